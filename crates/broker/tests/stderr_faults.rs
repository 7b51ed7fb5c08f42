//! What a renderer says on stderr can cost it its life, through the whole
//! broker: spawn, relay, core, kill, reap. The "renderer" here is a shell
//! script started exactly as a renderer is (same pipe, same supervision),
//! so it can do on stderr what the real renderer binary never would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use support::{Harness, Options};
use workshop_broker::core::{ExitKind, GoneReason};
use workshop_common::sandbox_report::SandboxMode;
use workshop_common::Role;

/// Writes an executable `sh` script named `name` in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn start_with(exe: PathBuf) -> Harness {
    Harness::start(Options {
        // A shell script cannot confine itself; the broker is told not to
        // expect it (these tests are about stderr, not the sandbox).
        sandbox: SandboxMode::Disabled,
        tweak: Box::new(move |c| c.host.exe = exe),
        ..support::options()
    })
}

#[test]
fn a_renderer_flooding_stderr_is_replaced_like_a_bad_message() {
    let dir = tempfile::tempdir().unwrap();
    // 50 MB with no newline, then it waits to be killed.
    let exe = script(
        dir.path(),
        "flood",
        "head -c 50000000 /dev/zero >&2\nexec sleep 1000",
    );
    let mut h = start_with(exe);
    let gone = h.wait_gone_full(Role::Main, 1);
    assert_eq!(gone.reason, GoneReason::BadMessage);
    assert_eq!(gone.exit, Some(ExitKind::Signal(libc::SIGKILL)));
    let why = gone.bad_message.unwrap_or_default();
    assert!(why.contains("stderr log flood"), "{why}");
    // Replaced: a new renderer was started for the window.
    h.until("a second renderer", |app| {
        app.driver()
            .core()
            .window(Role::Main)
            .is_some_and(|w| w.renderer.generation > 1)
    });
}

#[test]
fn a_sandbox_violation_line_is_the_gone_reason() {
    let dir = tempfile::tempdir().unwrap();
    // What the sandbox's SIGSYS handler writes before the process dies,
    // after enough ordinary lines (within the relay's bursts) that the
    // relay is still busy with them when the process is reaped: the exit
    // must still be reported after the violation.
    let exe = script(
        dir.path(),
        "violate",
        "yes 'INFO renderer: some ordinary line of about eighty bytes, like a real one would be' | head -n 900 >&2\n\
         printf 'workshop-sandbox-violation syscall=59\\n' >&2\nkill -SYS $$",
    );
    let mut h = start_with(exe);
    let gone = h.wait_gone_full(Role::Main, 1);
    assert_eq!(
        gone.reason,
        GoneReason::SandboxViolation { syscall: Some(59) }
    );
    assert_eq!(gone.reason.label(), "sandbox-violation");
}
