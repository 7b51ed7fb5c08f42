//! The shared harness (`workshop-testkit`) pointed at the compromised
//! renderer: every renderer these suites start is `workshop-compromised`,
//! honest unless the test names an attack for it with
//! [`Options::misbehave`].
#![allow(dead_code)]

use std::path::PathBuf;

pub use workshop_testkit::*;

/// The compromised renderer executable.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_workshop-compromised"))
}

/// Harness defaults with renderers spawned from the compromised renderer.
pub fn options() -> Options {
    Options::for_exe(exe())
}
