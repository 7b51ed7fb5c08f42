//! The foundation, end to end with real renderer processes: the handshake
//! and each messaging pattern. (A renderer misbehaving at the protocol level
//! is the compromised renderer's suite: `crates/compromised/tests`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{Harness, Options};
use workshop_broker::audit::{Direction, Verdict};
use workshop_broker::auth::{RejectAll, SimulatedApi};
use workshop_broker::core::{ExitKind, GoneReason, Stage};
use workshop_common::Role;

#[test]
fn handshake_completes_and_both_sides_are_audited() {
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    let core = h.app.driver().core();
    let main = core.window(Role::Main).unwrap();
    let pid = main.renderer.pid.unwrap();
    assert_ne!(pid, std::process::id());
    let kinds: Vec<(&str, Direction)> = core
        .audit()
        .recent()
        .map(|e| (e.kind, e.direction))
        .collect();
    for expected in [
        ("Bootstrap", Direction::In),
        ("Hello", Direction::In),
        ("Welcome", Direction::Out),
        ("Surface", Direction::Out),
        ("InitialState", Direction::Out),
        ("FrameReady", Direction::In),
        ("FrameAck", Direction::Out),
    ] {
        assert!(
            kinds.contains(&expected),
            "{expected:?} not audited: {kinds:?}"
        );
    }
    assert!(core
        .audit()
        .recent()
        .filter(|e| e.direction == Direction::In)
        .all(|e| e.pid == Some(pid) && e.verdict == Verdict::Accepted));
}

#[test]
fn send_opens_the_login_window_once() {
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    h.click_check();
    let login = h.wait_ready(Role::Login);
    assert_eq!(h.broker_log_count("Opening login window"), 1);
    h.click_check();
    h.until("Window already opened", |app| {
        app.backend()
            .window(Role::Login)
            .is_some_and(|w| w.raised == 1)
    });
    assert_eq!(h.broker_log_count("Window already opened"), 1);
    assert_eq!(h.broker_log_count("Opening login window"), 1);
    assert_eq!(h.generation(Role::Login), Some(login), "no second renderer");
}

#[test]
fn invoke_replies_and_the_user_is_pushed_to_main() {
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    h.click_check();
    h.wait_ready(Role::Login);
    let before = h.frames(Role::Main);
    h.submit_login("bruce@wayne.com", "hunter2");
    h.until("signed in, login closed", |app| {
        app.driver().core().user().is_some() && app.backend().window(Role::Login).is_none()
    });
    assert_eq!(
        h.app.driver().core().user(),
        Some(&support::bruce("bruce@wayne.com"))
    );
    // The closed Login Window's renderer exited on its own, cleanly: its
    // exit path stays inside the seccomp allowlist (regression: a debug
    // build's `fcntl(F_GETFD)` on close was killed with SIGSYS).
    let gone = h.wait_gone_full(Role::Login, 2);
    assert_eq!(gone.reason, GoneReason::Closed);
    assert_eq!(gone.exit, Some(ExitKind::Code(0)));
    // The push repainted the Main Window ("Welcome, Bruce Wayne!").
    h.wait_frames(Role::Main, before + 1);
    let (_, welcome_y) =
        support::main_centre(Some(&support::bruce("bruce@wayne.com")), |w| w.welcome_id());
    assert!(support::ink(&h.app, Role::Main, 24, welcome_y as u32 - 8, 352, 16) > 50);
    // The password never reached a log line.
    assert!(!h.broker_log().contains("hunter2"));
    assert!(!h
        .renderer_log
        .lock()
        .unwrap()
        .iter()
        .any(|(_, _, l)| l.contains("hunter2")));
}

#[test]
fn invoke_error_is_shown_and_the_window_stays() {
    let mut h = Harness::start(Options {
        auth: Arc::new(RejectAll {
            delay: Duration::from_millis(20),
        }),
        ..support::options()
    });
    h.wait_main_initialized();
    h.click_check();
    h.wait_ready(Role::Login);
    let (_, err_y) = support::login_error_centre(|w| w.error_label_id());
    assert_eq!(
        support::ink(&h.app, Role::Login, 60, err_y as u32 - 8, 280, 16),
        0
    );
    h.submit_login("bruce@wayne.com", "wrong");
    h.until("error text under the form", |app| {
        support::ink(app, Role::Login, 60, err_y as u32 - 8, 280, 16) > 20
    });
    assert!(h.app.backend().window(Role::Login).is_some());
    assert_eq!(h.app.driver().core().user(), None);
    let stage = &h
        .app
        .driver()
        .core()
        .window(Role::Login)
        .unwrap()
        .renderer
        .stage;
    assert_eq!(*stage, Stage::Ready);
}

#[test]
fn invoke_times_out_on_the_renderer_side_and_a_late_reply_is_dropped() {
    let mut h = Harness::start(Options {
        auth: Arc::new(SimulatedApi {
            delay: Duration::from_millis(1500),
        }),
        invoke_timeout: Duration::from_millis(200),
        ..support::options()
    });
    h.wait_main_initialized();
    h.click_check();
    h.wait_ready(Role::Login);
    h.submit_login("bruce@wayne.com", "pw");
    let log = h.renderer_log.clone();
    h.until("the renderer reports the timeout", move |_| {
        log.lock()
            .unwrap()
            .iter()
            .any(|(r, _, l)| *r == Role::Login && l.contains("request timed out"))
    });
    // The broker's late reply arrives after the timeout; the renderer drops
    // it and the sign-in still completes on the broker's side.
    let log = h.renderer_log.clone();
    h.until("the late reply is dropped", move |_| {
        log.lock()
            .unwrap()
            .iter()
            .any(|(r, _, l)| *r == Role::Login && l.contains("reply to no pending request"))
    });
}
