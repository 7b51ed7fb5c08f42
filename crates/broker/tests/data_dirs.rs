//! Data directories the app cannot write to still run it: a read-only one
//! says once that positions will not be saved, and single-instance still
//! works (its lock is an abstract socket, nothing is written).
//!
//! A read-only directory needs a read-only mount (root ignores mode 0500):
//! the test runs each `workshop` in a private mount namespace where the
//! data directory is bind-mounted read-only, and skips, saying so, unless
//! it runs as root (CI does).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
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

/// `workshop --headless` with `dir` mounted read-only for it alone.
fn workshop_read_only(dir: &Path) -> Command {
    let mut c = Command::new("unshare");
    c.args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount --bind -o ro "$1" "$1" && exec "$0" --headless --user-data-dir "$1""#)
        .arg(env!("CARGO_BIN_EXE_workshop"))
        .arg(dir)
        .env("RUST_LOG", "info");
    c
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn a_read_only_data_dir_runs_says_so_once_and_stays_single_instance() {
    if !is_root() {
        eprintln!("skipped: a read-only bind mount needs root (CI runs this as root)");
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let mut first = Killed(
        workshop_read_only(&dir)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
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
    while !seen.iter().any(|l: &String| l.contains("renderer ready")) {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("did not start:\n{}", seen.join("\n")));
        seen.push(line);
    }
    let warned = seen
        .iter()
        .filter(|l| l.contains("positions will not be saved"))
        .count();
    assert_eq!(warned, 1, "{}", seen.join("\n"));

    let second = workshop_read_only(&dir).output().unwrap();
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("another instance is running"), "{said}");
    assert!(first.0.try_wait().unwrap().is_none());
}
