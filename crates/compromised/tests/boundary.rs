//! Attacks on the broker's resources, run from inside a confined renderer
//! (`workshop-compromised`, after the real lockdown): hang its event loop,
//! grow its memory, flood or forge its log, starve the host of threads, learn
//! about host files. Each test runs the attack against the real broker with a
//! real second window and asserts: the broker lives, its event loop keeps
//! serving (the other window repaints on input), its memory stays under a
//! stated bound, the offender is gone for a stated reason or held at its
//! bound, and nothing on disk changed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Mutex;
use std::time::Duration;

use support::{disk_snapshot, rss_kib, watchdog, Harness, Options};
use workshop_broker::core::{Event, GoneReason, WindowEvent};
use workshop_common::Role;

/// Attacks whose proof is the test process's memory run one at a time, so
/// one test's allocations are not another's measurement.
static MEMORY: Mutex<()> = Mutex::new(());

/// Most the broker (this test process) may grow while an attack runs. The
/// attacks below would cost it hundreds of MiB to GiBs.
const RSS_GROWTH_BOUND_KIB: u64 = 64 * 1024;

/// Starts a broker with a data directory whose Login renderer runs
/// `case`; both windows open. Returns the harness, the Login renderer's
/// generation and the data directory.
fn login_attacks(case: &str) -> (Harness, u32, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let mut h = Harness::start(Options {
        tweak: Box::new(move |c| c.user_data_dir = Some(data)),
        ..support::options().misbehave(Role::Login, case)
    });
    h.wait_main_initialized();
    h.click_check();
    h.until("login window opened", |app| {
        app.driver().core().window(Role::Login).is_some()
    });
    let generation = h.generation(Role::Login).unwrap();
    (h, generation, dir)
}

/// The broker still serves: Main repaints on input, a fresh Login renderer
/// (if the offender was replaced) handshakes and paints.
fn still_serving(h: &mut Harness) {
    h.assert_responsive(Role::Main);
}

#[test]
fn a_renderer_that_never_reads_its_surfaces_cannot_hang_the_broker() {
    let _guard = MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    let _w = watchdog("surface storm", Duration::from_secs(90));
    let (mut h, generation, dir) = login_attacks("surface-never-read");
    h.wait_ready(Role::Login);
    let before_disk = disk_snapshot(dir.path());
    let before = rss_kib();
    // A resize storm: the broker owes the renderer one surface per size. The
    // renderer claims each one and reads none.
    for i in 0..600u32 {
        h.app.feed(Event::Window {
            role: Role::Login,
            event: WindowEvent::Resized {
                width: 400 + (i % 64),
                height: 400,
                scale: 1.0,
            },
        });
        h.app.pump_once(Duration::ZERO);
    }
    still_serving(&mut h);
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < RSS_GROWTH_BOUND_KIB, "broker grew {grown} KiB");
    let gone = h.wait_gone_full(Role::Login, generation);
    assert!(
        matches!(
            gone.reason,
            GoneReason::BadMessage | GoneReason::Unresponsive
        ),
        "{gone:?}"
    );
    h.wait_ready(Role::Login);
    h.assert_responsive(Role::Login);
    assert_eq!(disk_snapshot(dir.path()), before_disk);
}

#[test]
fn megabytes_of_stderr_without_a_newline_cannot_grow_the_broker() {
    let _guard = MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    let _w = watchdog("stderr without newline", Duration::from_secs(90));
    let before = rss_kib();
    let (mut h, generation, dir) = login_attacks("stderr-no-newline");
    let before_disk = disk_snapshot(dir.path());
    let gone = h.wait_gone_full(Role::Login, generation);
    assert_eq!(gone.reason, GoneReason::BadMessage, "{gone:?}");
    assert!(
        gone.bad_message
            .as_deref()
            .unwrap_or_default()
            .contains("log"),
        "{gone:?}"
    );
    still_serving(&mut h);
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < RSS_GROWTH_BOUND_KIB, "broker grew {grown} KiB");
    h.wait_ready(Role::Login);
    assert_eq!(disk_snapshot(dir.path()), before_disk);
}

#[test]
fn a_log_flood_is_cut_off_and_costs_the_offender() {
    let _w = watchdog("log flood", Duration::from_secs(90));
    let (mut h, generation, _dir) = login_attacks("log-flood");
    let gone = h.wait_gone_full(Role::Login, generation);
    assert_eq!(gone.reason, GoneReason::BadMessage, "{gone:?}");
    assert!(
        gone.bad_message
            .as_deref()
            .unwrap_or_default()
            .contains("log"),
        "{gone:?}"
    );
    still_serving(&mut h);
    // 64 MiB of lines were offered; what reached the log is bounded by the
    // relay's rate limit, not by what the renderer wrote.
    let relayed = h.broker_log_count("flood line");
    assert!(relayed < 100_000, "{relayed} flood lines reached the log");
}

#[test]
fn renderer_text_cannot_forge_a_broker_line() {
    let _w = watchdog("log spoof", Duration::from_secs(60));
    let (mut h, _generation, _dir) = login_attacks("log-spoof");
    h.until_logged("log-spoof done");
    let log = h.broker_log();
    for line in log.lines() {
        // Every line starts where the broker starts one: its timestamp.
        assert!(
            line.starts_with(|c: char| c.is_ascii_digit()),
            "a line the broker did not start: {line:?}"
        );
        for bad in ['\u{202E}', '\u{2028}', '\u{1b}', '\r'] {
            assert!(!line.contains(bad), "{bad:?} reached the log: {line:?}");
        }
        assert!(
            !line.contains("          "),
            "a run of spaces reached the log: {line:?}"
        );
    }
    // Each forged text is still there, as an escaped field of a renderer line.
    for needle in [
        "escape-forged",
        "separator-forged",
        "padding-forged",
        "prefix-forged",
    ] {
        assert!(
            log.lines()
                .any(|l| l.contains(needle) && l.contains("[LOGIN #") && l.contains("text=\"")),
            "{needle} missing: {log}"
        );
    }
    still_serving(&mut h);
}

#[test]
fn a_thread_bomb_is_held_at_the_renderer_thread_limit() {
    let _w = watchdog("thread bomb", Duration::from_secs(90));
    let mut h = Harness::start(support::options().misbehave(Role::Main, "thread-bomb"));
    h.wait_main_initialized();
    let log = h.renderer_log.clone();
    h.until("the bomb reports", move |_| {
        log.lock()
            .unwrap()
            .iter()
            .any(|(r, _, l)| *r == Role::Main && l.contains("thread-bomb created="))
    });
    let line = h
        .renderer_log
        .lock()
        .unwrap()
        .iter()
        .find(|(r, _, l)| *r == Role::Main && l.contains("thread-bomb created="))
        .map(|(_, _, l)| l.clone())
        .unwrap();
    let created: usize = line
        .split("created=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok())
        .unwrap();
    let limit = workshop_sandbox::thread_limit::MAX_TASKS as usize;
    assert!(
        created < limit,
        "{created} threads (limit {limit} tasks): {line}"
    );
    assert!(line.contains("errno=11"), "refused with EAGAIN: {line}");
    // The host could still start a process: the broker spawns the Login
    // renderer, and both windows serve.
    h.click_check();
    h.wait_ready(Role::Login);
    h.assert_responsive(Role::Login);
    h.assert_responsive(Role::Main);
    assert_eq!(
        h.generation(Role::Main),
        Some(1),
        "held at its bound, not killed"
    );
}

#[test]
fn host_paths_answer_like_paths_that_do_not_exist() {
    let _w = watchdog("path probe", Duration::from_secs(60));
    let (mut h, _generation, _dir) = login_attacks("path-probe");
    let log = h.renderer_log.clone();
    h.until("every path probed", move |_| {
        log.lock()
            .unwrap()
            .iter()
            .filter(|(r, _, l)| *r == Role::Login && l.contains("path-probe "))
            .count()
            >= 8
    });
    let results: Vec<String> = h
        .renderer_log
        .lock()
        .unwrap()
        .iter()
        .filter(|(r, _, l)| *r == Role::Login && l.contains("path-probe "))
        .map(|(_, _, l)| l.clone())
        .collect();
    let nonexistent = results
        .iter()
        .find(|l| l.contains("/nonexistent-workshop-probe="))
        .and_then(|l| l.rsplit('=').next())
        .unwrap()
        .to_owned();
    // ENOENT from the empty root, or EPERM from the filter that refuses
    // every path-taking stat: never an answer that tells the paths apart.
    assert!(
        nonexistent == format!("errno{}", libc::ENOENT)
            || nonexistent == format!("errno{}", libc::EPERM),
        "{results:?}"
    );
    for line in &results {
        let answer = line.rsplit('=').next().unwrap();
        assert_eq!(
            answer, nonexistent,
            "a host path answered differently: {line}"
        );
    }
    still_serving(&mut h);
}

/// A renderer that blocks SIGSYS before its forbidden call dies of the
/// kernel's SIGSYS with no line on stderr; that is still a sandbox
/// violation (syscall unknown), not a crash. It used to be `crashed(31)`.
#[test]
fn a_forbidden_system_call_with_sigsys_blocked_is_still_a_sandbox_violation() {
    let _w = watchdog("forbidden syscall, SIGSYS blocked", Duration::from_secs(60));
    let (mut h, generation, _dir) = login_attacks("forbidden-syscall-sigsys-blocked");
    let gone = h.wait_gone_full(Role::Login, generation);
    assert_eq!(
        gone.reason,
        GoneReason::SandboxViolation { syscall: None },
        "{gone:?}"
    );
    assert_eq!(gone.reason.label(), "sandbox-violation");
    still_serving(&mut h);
    h.wait_ready(Role::Login);
}

#[test]
fn a_forbidden_system_call_is_reported_as_a_sandbox_violation() {
    let _w = watchdog("forbidden syscall", Duration::from_secs(60));
    let (mut h, generation, _dir) = login_attacks("forbidden-syscall");
    let gone = h.wait_gone_full(Role::Login, generation);
    assert_eq!(
        gone.reason,
        GoneReason::SandboxViolation {
            syscall: Some(libc::SYS_uname as u32)
        },
        "{gone:?}"
    );
    assert_eq!(gone.reason.label(), "sandbox-violation");
    assert!(h
        .app
        .driver()
        .core()
        .audit()
        .recent()
        .any(|e| e.kind == "sandbox-violation"));
    still_serving(&mut h);
    h.wait_ready(Role::Login);
}
