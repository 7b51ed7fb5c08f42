//! Generates the man page and the shell completions from the command
//! line's one definition (`src/cli/definition.rs`, compiled here as a
//! module of its own), so what `--help` says, what `man workshop` says and what a
//! shell completes cannot drift.
//!
//! They are written to `<target>/<profile>/workshop-assets/` (for a release
//! build, `target/release/workshop-assets/`), which is where the cargo-deb
//! metadata in `Cargo.toml` picks them up: cargo-deb maps the
//! `target/release/` prefix to the real target directory, whatever
//! `CARGO_TARGET_DIR` says. A build script should only write into
//! `OUT_DIR`; that directory's name carries a hash no packaging tool can
//! know, so the files are written there first and then copied next to the
//! binary, the way cargo-deb's own documentation suggests for generated
//! assets.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "src/cli/definition.rs"]
mod definition;

use clap_complete::Shell;

fn main() -> io::Result<()> {
    println!("cargo:rerun-if-changed=src/cli/definition.rs");
    println!("cargo:rerun-if-changed=build.rs");
    pack_relative_relocations();
    let out_dir = PathBuf::from(
        std::env::var_os("OUT_DIR").ok_or_else(|| io::Error::other("cargo did not set OUT_DIR"))?,
    );
    let generated = out_dir.join("workshop-assets");
    fs::create_dir_all(&generated)?;
    write_assets(&generated)?;
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out.
    if let Some(profile_dir) = out_dir.ancestors().nth(3) {
        let assets = profile_dir.join("workshop-assets");
        fs::create_dir_all(&assets)?;
        for entry in fs::read_dir(&generated)? {
            let entry = entry?;
            fs::copy(entry.path(), assets.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// `workshop.1` and one page per report subcommand, `workshop.bash`,
/// `_workshop` (zsh) and `workshop.fish`.
fn write_assets(dir: &Path) -> io::Result<()> {
    let cmd = definition::command();
    fs::write(dir.join("workshop.1"), man_page(cmd.clone())?)?;
    // The main page names each report as workshop-NAME(1): write those.
    for sub in cmd.get_subcommands() {
        let name = format!("workshop-{}", sub.get_name());
        let mut page = Vec::new();
        clap_mangen::Man::new(
            sub.clone()
                .name(name.clone())
                .version(env!("CARGO_PKG_VERSION")),
        )
        .section("1")
        .manual("Workshop Manual")
        .render(&mut page)?;
        fs::write(dir.join(format!("{name}.1")), page)?;
    }
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut cmd = cmd.clone();
        clap_complete::generate_to(shell, &mut cmd, "workshop", dir)?;
    }
    Ok(())
}

/// clap_mangen's sections, with ENVIRONMENT and FILES written as man
/// pages have them (not as clap's free-form "EXTRA" text).
fn man_page(cmd: clap::Command) -> io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.after_long_help(None::<&str>))
        .section("1")
        .manual("Workshop Manual");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    out.extend_from_slice(b".SH ENVIRONMENT\n");
    for (name, meaning) in definition::ENVIRONMENT {
        out.extend_from_slice(format!(".TP\n\\fB{name}\\fR\n{}\n", roff_text(meaning)).as_bytes());
    }
    out.extend_from_slice(
        concat!(
            ".SH FILES\n",
            ".TP\n\\fI$XDG_CONFIG_HOME/workshop/settings.json\\fR\n",
            "Window positions, per window and display.\n",
            ".TP\n\\fI/etc/apparmor.d/workshop\\fR\n",
            "The AppArmor profile that lets \\fB/usr/bin/workshop\\fR create the user namespaces its renderer sandbox starts with ",
            "(Ubuntu 23.10 and later restrict them); the sandbox itself is what confines the renderers.\n",
        )
        .as_bytes(),
    );
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// Plain text as roff: backslashes escaped, no line may start with a
/// control character.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.') | Some('\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

/// Links `workshop` with its relative relocations packed (`DT_RELR`,
/// `-z pack-relative-relocs`): the same position-independent executable,
/// so the kernel still loads it at a random address, but the dynamic
/// loader reads a few kilobytes of bitmaps instead of 27,690 24-byte
/// `R_X86_64_RELATIVE` entries (648 KiB) at every start. Every renderer is
/// such a start: the table was resident in each of them (shared, but a
/// third of a renderer's PSS budget), and reading it is on the path from
/// spawn to first frame. Needs GNU ld 2.38 or lld, and glibc 2.36 at run
/// time (the binary then requires the `GLIBC_ABI_DT_RELR` version, so an
/// older glibc refuses it with a clear message instead of misloading it).
fn pack_relative_relocations() {
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
