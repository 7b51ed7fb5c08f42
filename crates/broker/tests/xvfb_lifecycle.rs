//! Lifecycle on a real X server of the test's own (so killing it harms no
//! other test): a signal right after a window moved still saves the move,
//! and losing the display is a shutdown of ours that saves it too.
//!
//! `#[ignore]`d so `cargo test` passes anywhere; `.ci/run` runs them
//! (`--ignored`) where `Xvfb` and `xdotool` are installed. Every wait polls
//! a condition with a deadline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An Xvfb on a display number it picked itself (`-displayfd`).
fn xvfb() -> (Killed, String) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x1024x24",
            "-nolisten",
            "tcp",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb is installed");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let n: u32 = line.trim().parse().expect("Xvfb printed its display");
    (Killed(child), format!(":{n}"))
}

fn poll<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(POLL);
    }
}

fn xdo(display: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("xdotool is installed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `workshop` on `display` with `data` as its user data directory; its log
/// in `log`.
fn workshop(display: &str, data: &Path, log: &Path) -> Killed {
    let log = std::fs::File::create(log).unwrap();
    Killed(
        Command::new(env!("CARGO_BIN_EXE_workshop"))
            .arg("--user-data-dir")
            .arg(data)
            .env("DISPLAY", display)
            .env("WINIT_X11_SCALE_FACTOR", "1")
            .env("RUST_LOG", "info,workshop_broker::settings=debug")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

fn read(path: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut s);
    }
    s
}

fn exit_of(child: &mut Child) -> ExitStatus {
    poll("the app to exit", || child.try_wait().unwrap())
}

/// Starts the app, waits for the Main Window's renderer, moves the window
/// to (321, 234) and waits until the app has seen the move (its `Moved`
/// arrives through the X server), not until it saved it.
fn started_and_moved(display: &str, dir: &Path) -> (Killed, std::path::PathBuf) {
    let log = dir.join("workshop.log");
    let app = workshop(display, &dir.join("data"), &log);
    poll("renderer ready", || {
        read(&log).contains("renderer ready").then_some(())
    });
    let id = poll("the Main Window", || {
        let pid = app.0.id().to_string();
        let out = xdo(
            display,
            &["search", "--pid", &pid, "--name", "^Main Window$"],
        );
        out.lines().next().map(|l| l.trim().to_owned())
    });
    xdo(display, &["windowmove", "--sync", &id, "321", "234"]);
    poll("the app to see the move", || {
        read(&log)
            .lines()
            .any(|l| l.contains("window position to save") && l.contains("321"))
            .then_some(())
    });
    (app, log)
}

fn saved_main(data: &Path) -> Option<(i64, i64)> {
    let v: serde_json::Value = serde_json::from_str(&read(&data.join("settings.json"))).ok()?;
    Some((
        v["windows"]["main"]["x"].as_i64()?,
        v["windows"]["main"]["y"].as_i64()?,
    ))
}

#[test]
#[ignore = "needs Xvfb and xdotool"]
fn sigterm_right_after_a_move_saves_it() {
    let (_x, display) = xvfb();
    let dir = tempfile::tempdir().unwrap();
    let (mut app, log) = started_and_moved(&display, dir.path());
    let pid = app.0.id() as libc::pid_t;
    // SAFETY: kill(2) on our own child, not yet reaped.
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(sent, 0);
    let status = exit_of(&mut app.0);
    let said = read(&log);
    assert_eq!(status.code(), Some(0), "{said}");
    assert!(said.contains("shutting down"), "{said}");
    assert_eq!(
        saved_main(&dir.path().join("data")),
        Some((321, 234)),
        "{said}"
    );
}

#[test]
#[ignore = "needs Xvfb and xdotool"]
fn losing_the_display_is_a_shutdown_that_saves_the_last_move() {
    let (mut x, display) = xvfb();
    let dir = tempfile::tempdir().unwrap();
    let (mut app, log) = started_and_moved(&display, dir.path());
    // The app has the move; the display dies before the debounce is over
    // (or after: either way the move must be on disk).
    x.0.kill().unwrap();
    x.0.wait().unwrap();
    let status = exit_of(&mut app.0);
    let said = read(&log);
    assert_eq!(status.code(), Some(3), "{said}");
    assert!(
        said.contains("lost the connection to the display"),
        "{said}"
    );
    assert!(!said.contains("X connection to"), "Xlib's own exit: {said}");
    assert_eq!(
        saved_main(&dir.path().join("data")),
        Some((321, 234)),
        "{said}"
    );
}
