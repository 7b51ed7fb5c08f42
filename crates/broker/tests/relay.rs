//! The stderr relay against real processes writing to a real pipe: fixed
//! memory whatever is written, floods cut off and reported, the pipe
//! drained to end of file so the writer never blocks on the broker, and the
//! sandbox's violation line reported with its syscall number.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::fd::OwnedFd;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use workshop_broker::core::{Event, Fault, Rate, RendererEvent};
use workshop_broker::host::relay::{self, RelayLimits, MAX_LINE};
use workshop_broker::host::StderrSink;
use workshop_broker::queue::{event_queue, EventReceiver};
use workshop_common::Role;

/// How long any single condition may take before the test fails.
const WAIT: Duration = Duration::from_secs(20);

/// 50 MB, far more than any relay buffer may hold.
const FLOOD_BYTES: &str = "50000000";

/// Growth of the test process's peak resident memory that fails the test:
/// the relay holds 8 KiB; an unbounded line buffer would hold ~50 MB.
const RSS_GROWTH_LIMIT_KIB: u64 = 16 * 1024;

/// The peak resident memory of this process (`VmHWM`), so memory a relay
/// held and freed before the measurement still counts. (Process-wide: a
/// test panicking in parallel, which loads debug info for its backtrace,
/// can raise it too; that run has a real failure anyway.)
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// `program args…` with its stdout on a pipe, and that pipe's read end.
fn writer(program: &str, args: &[&str]) -> (Child, OwnedFd) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pipe = OwnedFd::from(child.stdout.take().unwrap());
    (child, pipe)
}

/// Waits for `child` to exit, at most [`WAIT`] (on its pidfd); fails if
/// it is still running then, as a writer blocked on a full pipe would be.
fn exits(child: &mut Child) -> std::process::ExitStatus {
    use rustix::event::{poll, PollFd, PollFlags};
    let pidfd = rustix::process::pidfd_open(
        rustix::process::Pid::from_child(child),
        rustix::process::PidfdFlags::empty(),
    )
    .unwrap();
    let timeout = rustix::time::Timespec {
        tv_sec: WAIT.as_secs() as i64,
        tv_nsec: 0,
    };
    let mut fds = [PollFd::new(&pidfd, PollFlags::IN)];
    let ready = poll(&mut fds, Some(&timeout)).unwrap();
    if ready == 0 {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the writer is blocked: the relay stopped draining its pipe");
    }
    child.wait().unwrap()
}

fn lines_sink() -> (StderrSink, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    (
        Arc::new(move |_, _, line: &str| l.lock().unwrap().push(line.to_owned())),
        lines,
    )
}

/// The next renderer event from the relay.
fn next(rx: &EventReceiver) -> RendererEvent {
    match rx.recv_timeout(WAIT) {
        Some(Event::Renderer {
            role: Role::Main,
            generation: 7,
            event,
        }) => event,
        other => panic!("expected an event from MAIN #7, got {other:?}"),
    }
}

const UNLIMITED: RelayLimits = RelayLimits {
    bytes: Rate {
        per_second: f64::MAX,
        burst: f64::MAX,
    },
    lines: Rate {
        per_second: f64::MAX,
        burst: f64::MAX,
    },
};

#[test]
fn fifty_megabytes_without_a_newline_cost_fixed_memory() {
    let (tx, rx) = event_queue(Arc::new(|| {}));
    let (sink, lines) = lines_sink();
    let (mut child, pipe) = writer("head", &["-c", FLOOD_BYTES, "/dev/zero"]);
    let before = peak_rss_kib();
    // No rate limit here: this is about memory alone.
    let finished = relay::start(Role::Main, 7, pipe, Some(sink), tx, UNLIMITED).unwrap();
    assert!(exits(&mut child).success());
    assert!(finished.wait(WAIT), "the relay did not reach end of file");
    let grown = peak_rss_kib().saturating_sub(before);
    assert!(
        grown < RSS_GROWTH_LIMIT_KIB,
        "the relay grew the broker by {grown} KiB"
    );
    // One line: the first MAX_LINE bytes, each NUL escaped.
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0], "\\u{0}".repeat(MAX_LINE));
    assert!(rx.drain().is_empty());
}

#[test]
fn a_byte_flood_is_reported_once_and_drained_to_the_end() {
    let (tx, rx) = event_queue(Arc::new(|| {}));
    let (sink, lines) = lines_sink();
    let (mut child, pipe) = writer("head", &["-c", FLOOD_BYTES, "/dev/zero"]);
    let before = peak_rss_kib();
    let finished = relay::start(Role::Main, 7, pipe, Some(sink), tx, relay::LIMITS).unwrap();
    match next(&rx) {
        RendererEvent::Fault {
            fault: Fault::LogFlood(why),
            ..
        } => assert!(why.contains("bytes per second"), "{why}"),
        other => panic!("expected a log flood, got {other:?}"),
    }
    // `head` can finish writing 50 MB only if the relay keeps reading.
    assert!(exits(&mut child).success());
    assert!(finished.wait(WAIT), "the relay did not reach end of file");
    let grown = peak_rss_kib().saturating_sub(before);
    assert!(grown < RSS_GROWTH_LIMIT_KIB, "grew by {grown} KiB");
    assert!(rx.drain().is_empty(), "more than one report");
    // Nothing after the flood was relayed: at most what the burst allowed.
    assert!(lines.lock().unwrap().len() <= 1);
}

#[test]
fn a_line_flood_is_cut_off_and_the_writer_never_blocks() {
    let (tx, rx) = event_queue(Arc::new(|| {}));
    let (sink, lines) = lines_sink();
    let (mut child, pipe) = writer("yes", &[]);
    let started = std::time::Instant::now();
    let finished = relay::start(Role::Main, 7, pipe, Some(sink), tx, relay::LIMITS).unwrap();
    match next(&rx) {
        RendererEvent::Fault {
            fault: Fault::LogFlood(why),
            ..
        } => assert!(why.contains("lines per second"), "{why}"),
        other => panic!("expected a log flood, got {other:?}"),
    }
    // The bucket's own bound: its burst plus what refilled meanwhile.
    let refilled = started.elapsed().as_secs_f64() * relay::LIMITS.lines.per_second;
    let relayed = lines.lock().unwrap().len();
    assert!(
        relayed as f64 <= relay::LIMITS.lines.burst + refilled + 1.0,
        "{relayed} lines relayed"
    );
    // `yes` writes forever; killing it ends the pipe, and the relay, which
    // went on draining without relaying, reaches end of file.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(finished.wait(WAIT), "the relay did not reach end of file");
    assert_eq!(
        lines.lock().unwrap().len(),
        relayed,
        "relayed after the flood"
    );
    assert!(rx.drain().is_empty(), "more than one report");
}

#[test]
fn the_sandbox_violation_line_is_reported_and_ordinary_lines_relayed() {
    let (tx, rx) = event_queue(Arc::new(|| {}));
    let (sink, lines) = lines_sink();
    let (mut child, pipe) = writer(
        "printf",
        &["INFO a: hello\\nworkshop-sandbox-violation syscall=59\\n INFO b: \\033[2Kbye"],
    );
    let finished = relay::start(Role::Main, 7, pipe, Some(sink), tx, relay::LIMITS).unwrap();
    match next(&rx) {
        RendererEvent::SandboxViolation { syscall } => assert_eq!(syscall, 59),
        other => panic!("expected a sandbox violation, got {other:?}"),
    }
    assert!(exits(&mut child).success());
    assert!(finished.wait(WAIT));
    assert_eq!(
        *lines.lock().unwrap(),
        vec![
            "INFO a: hello".to_owned(),
            " INFO b: \\u{1b}[2Kbye".to_owned()
        ]
    );
    assert!(rx.drain().is_empty());
}
