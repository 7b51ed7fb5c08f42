//! The foundation, end to end with real renderer processes: the handshake,
//! each messaging pattern, and a renderer misbehaving at the protocol level.
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
    let mut h = Harness::start(Options::default());
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
    let mut h = Harness::start(Options::default());
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
    let mut h = Harness::start(Options::default());
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
        ..Options::default()
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
        ..Options::default()
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

#[test]
fn wrong_protocol_version_is_refused() {
    let mut h = Harness::start(Options::default().misbehave(Role::Main, "wrong-version"));
    let reason = h.wait_gone(Role::Main, 1);
    assert_eq!(reason, GoneReason::BadMessage);
    let refused = h
        .app
        .driver()
        .core()
        .audit()
        .recent()
        .find(|e| matches!(e.verdict, Verdict::Refused(_)))
        .cloned()
        .unwrap();
    assert_eq!(refused.kind, "Hello");
    assert!(h.broker_log().contains("another protocol version"));
    // Replaced by a well-behaved renderer.
    h.wait_main_initialized();
}

#[test]
fn a_forbidden_message_kills_only_its_renderer() {
    let mut h = Harness::start(Options::default().misbehave(Role::Login, "forbidden"));
    h.wait_main_initialized();
    h.click_check();
    h.until("login window opened", |app| {
        app.driver().core().window(Role::Login).is_some()
    });
    let login = h.generation(Role::Login).unwrap();
    assert_eq!(h.wait_gone(Role::Login, login), GoneReason::BadMessage);
    assert!(h
        .broker_log()
        .contains("login may not send OpenLoginWindow"));
    h.assert_responsive(Role::Main);
    // The Login Window got a fresh, well-behaved renderer.
    let again = h.wait_ready(Role::Login);
    assert!(again > login);
}

#[test]
fn undecodable_bytes_kill_the_renderer() {
    let mut h = Harness::start(Options::default().misbehave(Role::Main, "undecodable"));
    assert_eq!(h.wait_gone(Role::Main, 1), GoneReason::BadMessage);
    let refused = h
        .app
        .driver()
        .core()
        .audit()
        .recent()
        .find(|e| matches!(e.verdict, Verdict::Refused(_)))
        .cloned()
        .unwrap();
    assert_eq!(refused.kind, "undecodable");
    h.wait_main_initialized();
}

#[test]
fn a_message_over_the_limit_kills_the_renderer() {
    let mut h = Harness::start(Options::default().misbehave(Role::Main, "oversized"));
    assert_eq!(h.wait_gone(Role::Main, 1), GoneReason::BadMessage);
    assert!(h.broker_log().contains("over the limit"));
    h.wait_main_initialized();
}
