//! Single instance, with two real `workshop` processes: the second exits 0
//! and the first raises its Main Window.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn workshop(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_workshop"));
    c.arg("--headless")
        .arg("--user-data-dir")
        .arg(dir)
        .env("RUST_LOG", "info");
    c
}

#[test]
fn the_second_instance_exits_zero_and_the_first_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Killed(workshop(dir.path()).stderr(Stdio::piped()).spawn().unwrap());
    let (tx, rx) = mpsc::channel();
    let stderr = first.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let wait_for = |needle: &str| loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no line containing {needle:?}"));
        if line.contains(needle) {
            return line;
        }
    };
    wait_for("renderer ready");

    let second = workshop(dir.path()).output().unwrap();
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("another instance is running"), "{said}");

    wait_for("second instance");
    // The first is still the one running.
    assert!(first.0.try_wait().unwrap().is_none());
}

#[test]
fn a_killed_instance_does_not_block_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Killed(workshop(dir.path()).stderr(Stdio::piped()).spawn().unwrap());
    // Wait until it is up (it holds the lock and listens), then kill it hard.
    let stderr = first.0.stderr.take().unwrap();
    let up = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("renderer ready"));
    assert!(up);
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    // The lock died with it: the next one is primary (keeps running).
    let mut next = Killed(workshop(dir.path()).stderr(Stdio::piped()).spawn().unwrap());
    let stderr = next.0.stderr.take().unwrap();
    let ready = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("renderer ready"));
    assert!(ready);
}

/// Starts a primary in `dir`, waits until its renderer is ready, and
/// returns it with its stderr lines.
fn primary(dir: &std::path::Path) -> (Killed, mpsc::Receiver<String>) {
    let mut first = Killed(workshop(dir).stderr(Stdio::piped()).spawn().unwrap());
    let (tx, rx) = mpsc::channel();
    let stderr = first.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("primary did not start:\n{}", seen.join("\n")));
        if line.contains("renderer ready") {
            return (first, rx);
        }
        seen.push(line);
    }
}

/// A second start in `dir` exits 0 saying another instance runs (one
/// still running after the deadline became a second primary).
fn assert_secondary(dir: &std::path::Path) {
    let mut second = Killed(
        workshop(dir)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while second.0.try_wait().unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the second start is still running: it became a second primary"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = std::mem::replace(&mut second.0, Command::new("true").spawn().unwrap())
        .wait_with_output()
        .unwrap();
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("another instance is running"), "{said}");
}

#[test]
fn a_200_byte_data_dir_path_starts_and_is_single_instance() {
    // Before: `instance.sock` in it overflowed the 108-byte socket path.
    let base = tempfile::tempdir().unwrap();
    let mut dir = base.path().to_path_buf();
    while dir.as_os_str().len() < 200 {
        dir.push("a-rather-long-directory-name");
    }
    let (mut first, _rx) = primary(&dir);
    assert_secondary(&dir);
    assert!(first.0.try_wait().unwrap().is_none());
}

#[test]
fn deleting_the_data_dir_while_running_does_not_let_a_second_primary_start() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    let (mut first, _rx) = primary(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_secondary(&dir);
    assert!(first.0.try_wait().unwrap().is_none());
}

#[test]
fn a_file_where_the_data_dir_should_be_is_named_as_such() {
    let base = tempfile::tempdir().unwrap();
    let file = base.path().join("data");
    std::fs::write(&file, b"").unwrap();
    let out = workshop(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!("{} is not a directory", file.display())),
        "{said}"
    );
}
