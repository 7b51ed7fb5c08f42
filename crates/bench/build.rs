//! Links `workshop-bench` the way `workshop` is linked (see
//! `crates/broker/build.rs`, `pack_relative_relocations`): this executable
//! is also the renderer the headless scenarios spawn, so its start-up must
//! cost what the product's does.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
