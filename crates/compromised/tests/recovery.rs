//! Supervision with real processes: a renderer that crashes, is killed or
//! exits comes back by itself with the state the broker holds; one that
//! keeps dying stops being restarted and the broker shows its own page.
//! (The leak soak is in `soak.rs`, alone in its process so the descriptor
//! count is its own.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Harness, Options};
use workshop_broker::core::{ExitKind, GoneReason};
use workshop_common::input::{Key, Modifiers};
use workshop_common::Role;

const CTRL: Modifiers = Modifiers {
    shift: false,
    ctrl: true,
};

/// Signs in, so the Main Window has state worth restoring.
fn signed_in(opts: Options) -> Harness {
    let mut h = Harness::start(opts);
    h.wait_main_initialized();
    h.click_check();
    h.wait_ready(Role::Login);
    h.submit_login("bruce@wayne.com", "pw");
    h.until("signed in and login closed", |app| {
        app.driver().core().user().is_some() && app.backend().window(Role::Login).is_none()
    });
    h
}

/// Ink in the "Welcome, Bruce Wayne!" row of the Main Window.
fn welcome_ink_in(app: &workshop_broker::shell::headless::HeadlessApp) -> usize {
    let (_, y) = support::main_centre(Some(&support::bruce("bruce@wayne.com")), |w| w.welcome_id());
    support::ink(app, Role::Main, 24, y as u32 - 8, 352, 16)
}

/// The Main renderer dies as `case` (triggered by Ctrl+K after sign-in) and
/// comes back signed in.
fn main_comes_back_signed_in(case: &str, expected: GoneReason, exit: ExitKind) {
    let mut h = signed_in(support::options().misbehave(Role::Main, &format!("{case}-on-key")));
    let first = h.generation(Role::Main).unwrap();
    h.until("welcome shown", |app| welcome_ink_in(app) > 50);
    h.app.key(Role::Main, Key::Char('k'), CTRL);
    let gone = h.wait_gone_full(Role::Main, first);
    assert_eq!((gone.reason, gone.exit), (expected, Some(exit)), "{case}");
    let second = h.wait_ready(Role::Main);
    assert!(second > first);
    // The window is back with the broker's state: still signed in.
    let frames = h.frames(Role::Main);
    h.wait_frames(Role::Main, frames + 1);
    h.until("welcome shown again", |app| welcome_ink_in(app) > 50);
    assert!(h.broker_log().contains("render-process-gone"));
}

#[test]
fn segfault_is_recovered_with_state() {
    main_comes_back_signed_in(
        "segv",
        GoneReason::Crashed(libc::SIGSEGV),
        ExitKind::Signal(libc::SIGSEGV),
    );
}

#[test]
fn abort_is_recovered_with_state() {
    // As PID 1 of its namespace the renderer cannot deliver SIGABRT to
    // itself; glibc's abort falls back to a fault (see docs/SECURITY.md).
    main_comes_back_signed_in(
        "abort",
        GoneReason::Crashed(libc::SIGSEGV),
        ExitKind::Signal(libc::SIGSEGV),
    );
}

#[test]
fn clean_exit_is_recovered_with_state() {
    main_comes_back_signed_in("exit-clean", GoneReason::CleanExit, ExitKind::Code(0));
}

#[test]
fn unexpected_exit_code_is_recovered() {
    main_comes_back_signed_in("exit-code", GoneReason::AbnormalExit(3), ExitKind::Code(3));
}

#[test]
fn sigkill_from_outside_is_recovered_with_state() {
    let mut h = signed_in(support::options());
    let first = h.generation(Role::Main).unwrap();
    let pid = h
        .app
        .driver()
        .core()
        .window(Role::Main)
        .unwrap()
        .renderer
        .pid
        .unwrap();
    // SAFETY: plain kill(2) on the renderer's pid, which is alive (Ready)
    // and cannot have been reused: its parent has not reaped it.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
    let gone = h.wait_gone_full(Role::Main, first);
    assert_eq!(gone.reason, GoneReason::Killed);
    h.wait_ready(Role::Main);
    h.until("welcome shown again", |app| welcome_ink_in(app) > 50);
}

#[test]
fn repeated_crashes_stop_and_show_the_error_page_with_retry() {
    let mut opts = support::options();
    opts.every_spawn_args
        .insert(Role::Login, vec!["--misbehave=segv".into()]);
    let mut h = Harness::start(opts);
    h.wait_main_initialized();
    h.click_check();
    h.until("the crash page", |app| {
        app.backend().window(Role::Login).is_some_and(|w| w.crashed)
    });
    let deaths = h
        .app
        .driver()
        .core()
        .gone()
        .iter()
        .filter(|g| g.role == Role::Login)
        .count();
    assert_eq!(deaths, 3);
    assert!(h.broker_log().contains("renderer keeps dying"));
    let w = h.app.driver().core().window(Role::Login).unwrap();
    assert!(w.crashed_out);
    let stuck = w.renderer.generation;
    // The Main Window is unaffected.
    h.assert_responsive(Role::Main);
    // Retry starts a new renderer (which, here, crashes again).
    h.app.feed(workshop_broker::core::Event::Window {
        role: Role::Login,
        event: workshop_broker::core::WindowEvent::Retry,
    });
    h.until("a retried renderer", |app| {
        app.driver()
            .core()
            .window(Role::Login)
            .is_some_and(|w| w.renderer.generation > stuck)
    });
}
