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

/// Waits up to `limit` for `child` to exit; `None` if it is still running.
fn exited_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Everything left on a finished child's stderr pipe.
fn stderr_of(child: &mut Child) -> String {
    let mut said = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut said);
    }
    said
}

/// A process of uid `nobody` holding the abstract name `name` (bound and
/// listening, as a primary would): the socket is made in the child after
/// it dropped to `nobody`, before it execs a `sleep`, which keeps it.
fn squatter(name: &str) -> Killed {
    use std::os::unix::process::CommandExt;
    const NOBODY: libc::uid_t = 65534;
    // sockaddr_un for "\0name", built before the fork.
    // SAFETY: sockaddr_un is plain data; all zeroes is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (slot, b) in addr.sun_path[1..].iter_mut().zip(name.bytes()) {
        *slot = b as libc::c_char;
    }
    let len = (std::mem::size_of::<libc::sa_family_t>() + 1 + name.len()) as libc::socklen_t;
    let mut cmd = Command::new("sleep");
    cmd.arg("600").stdin(Stdio::null());
    // SAFETY: the closure runs in the forked child and makes only
    // async-signal-safe calls (setgroups, setgid, setuid, socket, bind,
    // listen) on data prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let fail = || Err(std::io::Error::last_os_error());
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(NOBODY) != 0
                || libc::setuid(NOBODY) != 0
            {
                return fail();
            }
            // Not close-on-exec: the sleep keeps the name.
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
            if fd < 0
                || libc::bind(fd, std::ptr::addr_of!(addr).cast(), len) != 0
                || libc::listen(fd, 8) != 0
            {
                return fail();
            }
            Ok(())
        });
    }
    Killed(cmd.spawn().unwrap())
}

/// Another user holds the instance name of our data directory: the app
/// says so (naming the uid and the name) and exits 4, neither handing
/// over to the squatter nor running beside it. It used to run without
/// single-instance.
#[test]
fn a_name_squatted_by_another_user_is_refused() {
    if !running_as_root("a squatter of another uid") {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let name = workshop_broker::instance::socket_name(&dir, 0);
    let mut squat = squatter(&name);
    // The name is taken once the kernel lists it: wait for that.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let unix = std::fs::read_to_string("/proc/net/unix").unwrap();
        if unix.lines().any(|l| l.ends_with(&format!(" @{name}"))) {
            break;
        }
        assert!(
            squat.0.try_wait().unwrap().is_none(),
            "the squatter failed to start"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the squatter never bound @{name}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut app = Killed(
        workshop(&dir)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let status = exited_within(&mut app.0, Duration::from_secs(20))
        .expect("the app ran beside the squatter instead of refusing");
    let said = stderr_of(&mut app.0);
    assert_eq!(status.code(), Some(4), "{said}");
    assert!(
        said.contains(&format!("@{name}")) && said.contains("held by another user (uid 65534)"),
        "{said}"
    );
    assert!(!said.contains("another instance is running"), "{said}");
}

/// A primary that is stopped (SIGSTOP) holds the name but cannot answer:
/// a second start gives up after its bounded wait, says why and exits 5,
/// instead of claiming a handover (or hanging). It used to exit 0 with
/// "asked it to raise its window", a window that never came.
#[test]
fn a_stopped_primary_does_not_hang_a_second_start() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    let (mut first, _rx) = primary(&dir);
    let pid = first.0.id() as libc::pid_t;
    // SAFETY: kill(2) on our own child, not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    let mut second = Killed(
        workshop(&dir)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let status = exited_within(&mut second.0, Duration::from_secs(20));
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);
    let status = status.expect("the second start hung on a stopped primary");
    let said = stderr_of(&mut second.0);
    assert_eq!(status.code(), Some(5), "{said}");
    assert!(said.contains("did not answer"), "{said}");
    assert!(first.0.try_wait().unwrap().is_none());
}
