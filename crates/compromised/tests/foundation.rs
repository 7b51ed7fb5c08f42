//! The foundation against a renderer that misbehaves at the protocol level:
//! a wrong handshake, a forbidden message, bytes that do not decode, a
//! message over the limit. Each kills only its renderer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::Harness;
use workshop_broker::audit::Verdict;
use workshop_broker::core::GoneReason;
use workshop_common::Role;

#[test]
fn wrong_protocol_version_is_refused() {
    let mut h = Harness::start(support::options().misbehave(Role::Main, "wrong-version"));
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
    let mut h = Harness::start(support::options().misbehave(Role::Login, "forbidden"));
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
    let mut h = Harness::start(support::options().misbehave(Role::Main, "undecodable"));
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
    let mut h = Harness::start(support::options().misbehave(Role::Main, "oversized"));
    assert_eq!(h.wait_gone(Role::Main, 1), GoneReason::BadMessage);
    assert!(h.broker_log().contains("over the limit"));
    h.wait_main_initialized();
}
