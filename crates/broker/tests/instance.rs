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
fn a_stale_socket_from_a_killed_instance_does_not_block_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Killed(workshop(dir.path()).stderr(Stdio::piped()).spawn().unwrap());
    // Wait until it is up (it holds the lock and listens), then kill it hard.
    let stderr = first.0.stderr.take().unwrap();
    let up = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("renderer ready"));
    assert!(up);
    let sock = dir.path().join("instance.sock");
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    assert!(sock.exists(), "the stale socket stays behind after SIGKILL");
    // The lock died with it: the next one is primary (keeps running).
    let mut next = Killed(workshop(dir.path()).stderr(Stdio::piped()).spawn().unwrap());
    let stderr = next.0.stderr.take().unwrap();
    let ready = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("renderer ready"));
    assert!(ready);
}
