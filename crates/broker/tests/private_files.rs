//! The broker's files and directories are private whatever the umask, and
//! nothing planted in the data directory can hang or redirect it. Each
//! case runs a real child process: the umask is process-wide and tests run
//! in parallel, so it is set only in the child (`sh -c 'umask 000; exec …'`
//! for the real `workshop`, or this test binary re-executed for a
//! settings writer).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use workshop_broker::settings::{Settings, SettingsStore, FILE_NAME};

/// How long any single condition may take before the test fails.
const WAIT: Duration = Duration::from_secs(20);

/// Set in the re-executed child: the data directory to save settings into.
const WRITER_DIR_VAR: &str = "WORKSHOP_PRIVATE_WRITER_DIR";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real `workshop --headless` for `data`, started under `umask 000`,
/// with its temporary directory (where bootstrap directories go) at `tmp`.
fn workshop_umask_000(data: &Path, tmp: &Path) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_workshop"))
        .arg("--headless")
        .arg("--user-data-dir")
        .arg(data)
        .env("TMPDIR", tmp)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Lines of `child`'s stderr, as they come.
fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
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

/// Waits for a line containing `needle`; returns every line up to it.
fn wait_for(rx: &mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(WAIT) {
            Ok(line) => {
                let done = line.contains(needle);
                seen.push(line);
                if done {
                    return seen;
                }
            }
            Err(_) => panic!("no line containing {needle:?}; got:\n{}", seen.join("\n")),
        }
    }
}

/// Waits for `child` to exit, at most [`WAIT`] (on its pidfd).
fn exits(child: &mut Child) -> ExitStatus {
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
    if poll(&mut fds, Some(&timeout)).unwrap() == 0 {
        panic!("still running after {WAIT:?}");
    }
    child.wait().unwrap()
}

/// Permission bits of `p` (not following a symlink), in octal.
fn mode(p: &Path) -> String {
    format!(
        "{:03o}",
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    )
}

#[test]
fn under_umask_000_the_data_dir_and_bootstrap_dirs_are_private() {
    let base = tempfile::tempdir().unwrap();
    let data = base.path().join("data");
    let tmp = base.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut child = Killed(workshop_umask_000(&data, &tmp).spawn().unwrap());
    let rx = stderr_lines(&mut child.0);
    wait_for(&rx, "renderer ready");
    assert_eq!(mode(&data), "700", "data dir");
    // The single-instance lock is an abstract socket: no file for it.
    assert!(!data.join("instance.lock").exists(), "instance.lock");
    assert!(!data.join("instance.sock").exists(), "instance.sock");
    // The Main Window's renderer is running: its bootstrap directory exists.
    let bootstrap: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("workshop-renderer-")
        })
        .collect();
    assert!(!bootstrap.is_empty(), "no bootstrap directory in {tmp:?}");
    for dir in bootstrap {
        assert_eq!(mode(&dir), "700", "{}", dir.display());
    }
}

/// The child: saves settings under `umask 000`.
#[test]
fn settings_writer_child() {
    let Ok(dir) = std::env::var(WRITER_DIR_VAR) else {
        return; // Only does something when re-executed by the parent.
    };
    rustix::process::umask(rustix::fs::Mode::empty());
    let store = SettingsStore::open(Path::new(&dir)).unwrap();
    store.save(&Settings::default()).unwrap();
}

#[test]
fn under_umask_000_settings_json_is_0600() {
    if std::env::var(WRITER_DIR_VAR).is_ok() {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let data = base.path().join("data");
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "settings_writer_child", "--test-threads=1"])
        .env(WRITER_DIR_VAR, &data)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(mode(&data), "700", "data dir");
    assert_eq!(mode(&data.join(FILE_NAME)), "600", "settings.json");
}

#[test]
fn a_fifo_named_settings_json_does_not_hang_start_up() {
    let base = tempfile::tempdir().unwrap();
    let data = base.path().join("data");
    let tmp = base.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    let fifo = data.join(FILE_NAME);
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let mut child = Killed(workshop_umask_000(&data, &tmp).spawn().unwrap());
    let rx = stderr_lines(&mut child.0);
    // It starts (before the fix it blocked forever opening the FIFO, with
    // the instance lock held).
    let seen = wait_for(&rx, "renderer ready").join("\n");
    assert!(seen.contains("a FIFO"), "not reported:\n{seen}");
    let aside: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("settings.json.corrupt-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert!(aside[0].file_type().unwrap().is_fifo());
}

#[test]
fn a_group_writable_data_dir_is_refused() {
    let base = tempfile::tempdir().unwrap();
    let data = base.path().join("data");
    let tmp = base.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o770)).unwrap();
    let mut child = Killed(workshop_umask_000(&data, &tmp).spawn().unwrap());
    let rx = stderr_lines(&mut child.0);
    let status = exits(&mut child.0);
    assert_eq!(status.code(), Some(1));
    // It has exited: its stderr is at end of file, so this ends.
    let said = rx.iter().collect::<Vec<_>>().join("\n");
    assert!(
        said.contains(&format!(
            "{} is writable by group (mode 770)",
            data.display()
        )),
        "{said}"
    );
    // Nothing was created in it.
    assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0);
    assert_eq!(mode(&data), "770", "left as it was");
}
