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

/// Root-only tests skip elsewhere, but never under `CI=true`: CI runs as
/// root, so a skip there would hide a test that no longer runs.
fn running_as_root(what: &str) -> bool {
    if rustix::process::geteuid().is_root() {
        return true;
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "{what} needs root; under CI=true a skip is a failure"
    );
    eprintln!("skipped: {what} needs root (CI runs this as root)");
    false
}

/// Stderr lines of `child` on a channel.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Reads `rx` into `seen` until a line contains `needle`.
fn wait_for(rx: &mpsc::Receiver<String>, seen: &mut Vec<String>, needle: &str) {
    while !seen.iter().any(|l| l.contains(needle)) {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no line containing {needle:?}:\n{}", seen.join("\n")));
        seen.push(line);
    }
}

#[test]
fn a_read_only_data_dir_runs_says_so_once_and_stays_single_instance() {
    if !running_as_root("a read-only bind mount") {
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

/// A tmpfs mounted for one test, unmounted (lazily) when dropped.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// How many inodes the tiny tmpfs has (its root directory is one).
const TINY_INODES: u32 = 16;

/// A data directory on a real tmpfs with no inode left: the app runs, says
/// once that positions will not be saved (the save fails with ENOSPC),
/// and single-instance still works (the lock is an abstract socket, it needs
/// no inode). The shutdown is still clean.
#[test]
fn a_data_dir_on_a_tmpfs_out_of_inodes_runs_says_so_once_and_stays_single_instance() {
    if !running_as_root("mounting a tmpfs") {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let mnt = base.path().join("tiny");
    std::fs::create_dir(&mnt).unwrap();
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o"])
        .arg(format!("size=1m,nr_inodes={TINY_INODES},mode=0700"))
        .arg("tmpfs")
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(status.success(), "mount -t tmpfs");
    let _mounted = Mounted(mnt.clone());
    let dir = mnt.join("data");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    // Use up every inode left.
    let mut made = 0;
    let full = loop {
        match std::fs::File::create(mnt.join(format!("fill-{made}"))) {
            Ok(_) => made += 1,
            Err(e) => break e,
        }
        assert!(
            made <= TINY_INODES,
            "the tmpfs has more inodes than asked for"
        );
    };
    assert_eq!(full.raw_os_error(), Some(libc::ENOSPC), "{full}");

    let workshop = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_workshop"));
        c.arg("--headless")
            .arg("--user-data-dir")
            .arg(&dir)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    let mut first = Killed(workshop().spawn().unwrap());
    let rx = lines_of(&mut first.0);
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "renderer ready");
    // The first save (after the debounce of the first position) fails.
    wait_for(&rx, &mut seen, "positions will not be saved");

    let second = workshop().output().unwrap();
    let said = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(0), "{said}");
    assert!(said.contains("another instance is running"), "{said}");
    assert!(first.0.try_wait().unwrap().is_none(), "the first one quit");

    let pid = first.0.id() as libc::pid_t;
    // SAFETY: kill(2) on our own child, not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = first.0.wait().unwrap();
    seen.extend(rx.iter());
    assert_eq!(status.code(), Some(0), "{}", seen.join("\n"));
    let warned = seen
        .iter()
        .filter(|l| l.contains("positions will not be saved"))
        .count();
    assert_eq!(warned, 1, "{}", seen.join("\n"));
    assert!(
        seen.iter().any(|l| l.contains("No space left on device")),
        "{}",
        seen.join("\n")
    );
    assert!(!dir.join("settings.json").exists());
}
