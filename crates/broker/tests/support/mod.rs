//! The shared harness (`workshop-testkit`) pointed at the product binary:
//! every renderer these suites start is the real `workshop`.
#![allow(dead_code)]

use std::path::PathBuf;

pub use workshop_testkit::*;

/// The workshop binary under test.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_workshop"))
}

/// Harness defaults with renderers spawned from the product binary.
pub fn options() -> Options {
    Options::for_exe(exe())
}
