//! Lifecycle against the real binary: shutdown signals flush settings and
//! exit 0; a renderer respawned after the installed file was replaced is
//! still this build.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

/// A running `workshop` whose stderr lines arrive on a channel; killed on
/// drop.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    fn start(exe: &Path, dir: &Path) -> Running {
        Running::start_with(exe, dir, &[], "info")
    }

    fn start_with(exe: &Path, dir: &Path, extra: &[&str], log_filter: &str) -> Running {
        let mut child = Command::new(exe)
            .arg("--headless")
            .arg("--user-data-dir")
            .arg(dir)
            .args(extra)
            .env("RUST_LOG", log_filter)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The next line containing `needle`.
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "no line containing {needle:?}; seen:\n{}",
                    self.seen.join("\n")
                )
            });
            self.seen.push(line.clone());
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// Waits for the process to exit (polled: it is our child).
    fn exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Collect what it said before it went.
                while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
                    self.seen.push(line);
                }
                return status;
            }
            assert!(Instant::now() < deadline, "did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, sig: libc::c_int) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child's pid, which has not been reaped.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    }
}

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_workshop"))
}

/// Each shutdown signal: one log line naming it, exit 0, and the windows'
/// positions (read as they close) flushed to settings.json.
fn a_signal_is_a_clean_shutdown(sig: libc::c_int, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = Running::start(&exe(), dir.path());
    app.wait_for("renderer ready");
    app.signal(sig);
    let line = app.wait_for("[BROKER] workshop_broker::core: shutting down");
    assert!(line.contains(name), "{line}");
    let status = app.exit();
    assert_eq!(
        status.code(),
        Some(0),
        "{status:?}\n{}",
        app.seen.join("\n")
    );
    let settings = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&settings).unwrap();
    assert!(json["windows"]["main"]["x"].is_i64(), "{settings}");
    let shutting: Vec<_> = app
        .seen
        .iter()
        .filter(|l| l.contains("[BROKER]") && l.contains("shutting down"))
        .collect();
    assert_eq!(shutting.len(), 1, "{shutting:?}");
}

#[test]
fn sigterm_flushes_and_exits_zero() {
    a_signal_is_a_clean_shutdown(libc::SIGTERM, "SIGTERM");
}

#[test]
fn sigint_flushes_and_exits_zero() {
    a_signal_is_a_clean_shutdown(libc::SIGINT, "SIGINT");
}

#[test]
fn sighup_flushes_and_exits_zero() {
    a_signal_is_a_clean_shutdown(libc::SIGHUP, "SIGHUP");
}

/// A second signal while the shutdown is still waiting exits at once with
/// 128 + that signal, and the first signal's flush is on disk. The wait
/// is made to last, not timed: the renderer is stopped (SIGSTOP), so it
/// never acts on `Shutdown`, and the broker is given ten minutes of grace
/// for it (`--shutdown-grace-ms`); the test sends the second signal only
/// once the broker has logged the save.
#[test]
fn a_second_signal_during_shutdown_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = Running::start_with(
        &exe(),
        dir.path(),
        &["--shutdown-grace-ms=600000"],
        "info,workshop_broker::settings=debug",
    );
    let renderer = pid_of(&app.wait_for("renderer ready"));
    // SAFETY: kill(2) with the pid the broker reported for its renderer.
    assert_eq!(unsafe { libc::kill(renderer, libc::SIGSTOP) }, 0);
    app.signal(libc::SIGTERM);
    app.wait_for("shutting down");
    app.wait_for("settings saved");
    app.signal(libc::SIGINT);
    // Well inside the ten minutes the shutdown would otherwise wait.
    let status = app.exit();
    assert_eq!(
        status.code(),
        Some(128 + libc::SIGINT),
        "{status:?}\n{}",
        app.seen.join("\n")
    );
    assert!(
        app.seen
            .iter()
            .any(|l| l.contains("second signal during shutdown; exiting now")
                && l.contains("SIGINT")),
        "{}",
        app.seen.join("\n")
    );
    let settings = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&settings).unwrap();
    assert!(json["windows"]["main"]["x"].is_i64(), "{settings}");
}

/// The `pid=N` field of a log line.
fn pid_of(line: &str) -> libc::pid_t {
    line.split(|c: char| c.is_whitespace() || c == ',')
        .find_map(|w| w.strip_prefix("pid="))
        .and_then(|p| p.trim_matches('"').parse().ok())
        .unwrap_or_else(|| panic!("no pid in {line:?}"))
}

#[test]
fn a_renderer_respawned_after_the_binary_was_replaced_is_the_same_build() {
    let bin = tempfile::tempdir().unwrap();
    let installed = bin.path().join("workshop");
    std::fs::copy(exe(), &installed).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut app = Running::start(&installed, dir.path());
    let ready = app.wait_for("renderer ready");
    let pid = pid_of(&ready);

    // What a package upgrade does: a new file renamed over the path.
    let next = bin.path().join(".workshop.new");
    std::fs::copy("/bin/false", &next).unwrap();
    std::fs::rename(&next, &installed).unwrap();

    // SAFETY: kill(2) with a pid the broker reported for its renderer.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let again = app.wait_for("renderer ready");
    assert_ne!(pid_of(&again), pid, "{again}");
    assert!(
        app.child.try_wait().unwrap().is_none(),
        "the broker is still running"
    );
    assert!(
        !app.seen.iter().any(|l| l.contains("crashed repeatedly")),
        "{}",
        app.seen.join("\n")
    );
}

/// The renderer is exec'd through `/proc/self/fd/N`, which would make its
/// `comm` (what `ps`, `top` and the kernel show) the fd number; it names
/// itself `workshop-main` first thing, and its argv[0] is the installed
/// path.
#[test]
fn the_renderer_is_named_after_its_role() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = Running::start(&exe(), dir.path());
    let renderer = pid_of(&app.wait_for("renderer ready"));
    let comm = std::fs::read_to_string(format!("/proc/{renderer}/comm")).unwrap();
    assert_eq!(comm, "workshop-main\n");
    let cmdline = std::fs::read(format!("/proc/{renderer}/cmdline")).unwrap();
    let argv0 = cmdline.split(|&b| b == 0).next().unwrap();
    assert_eq!(argv0, exe().as_os_str().as_encoded_bytes());
}
