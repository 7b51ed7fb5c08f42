//! The self-test: after its lockdown the renderer tries each forbidden thing
//! in common's [`Probe`] list, harmlessly, and reports what the kernel said.
//!
//! Each probe makes the real system call the renderer must not be able to
//! make and classifies the result:
//! * `EPERM` or `EACCES` → [`ProbeOutcome::Denied`]: seccomp answers `EPERM`,
//!   Landlock and the permission checks `EACCES`/`EPERM`.
//! * `ESRCH` → `Denied` for the probes aimed at the broker's pid (ptrace,
//!   signal) only: inside its pid namespace the renderer cannot even name the
//!   broker, which is that layer doing its job.
//! * `ENOENT` → `Denied` for the probes aimed at paths every host has
//!   (`/etc/passwd`, `/tmp`): only the empty root makes them vanish.
//! * the `stat` probes are `Denied` when a host path answers exactly as a
//!   path that exists nowhere does (whatever the errno: `ENOENT` from the
//!   empty root, or a filter's `EPERM`): the renderer learns nothing.
//! * the thread bomb is `Denied` when the kernel refuses a thread
//!   (`EAGAIN`, the task limit).
//! * success or any other error → [`ProbeOutcome::Allowed`]: nothing in the
//!   sandbox stopped the call. An absent X server (`ENOENT`,
//!   `ECONNREFUSED`) or a missing program (`ENOENT` from `execve`) means the
//!   kernel would have let it through, so it counts against the sandbox.
//!
//! Each probe is harmless even when it succeeds: files are opened read-only
//! or created under a fresh name and removed, sockets closed, the forked
//! child exits at once and is reaped, the program executed does not exist,
//! ptrace uses `PTRACE_SEIZE` (which does not stop the target) and the
//! signal is signal 0 (a permission check that delivers nothing), mappings
//! are unmapped, `stat` only reads metadata, the bomb's threads (at most
//! [`THREAD_BOMB_ATTEMPTS`], small stacks) park and are joined. The only
//! lasting effect of a successful `unshare` probe is
//! that the renderer sits in one more (empty) user namespace.
//!
//! The renderer decides whether to run them (not under `--no-sandbox`).

use std::ffi::CStr;

use workshop_common::sandbox_report::{Probe, ProbeOutcome, ProbeResult};

/// A file every Linux system has, opened read-only by the `OpenRead` probe.
pub const READ_PATH: &CStr = c"/etc/passwd";
/// Where the `CreateFile` probe tries to create a file.
pub const CREATE_DIR: &str = "/tmp";
/// The X11 display :0 socket, the `ConnectX11` target.
pub const X11_SOCKET: &[u8] = b"/tmp/.X11-unix/X0";
/// The abstract-namespace socket X servers also listen on (`@/tmp/.X11-unix/X0`),
/// the `ConnectAbstract` target.
pub const X11_ABSTRACT: &[u8] = b"/tmp/.X11-unix/X0";
/// A program that does not exist: the `Exec` probe can never replace the
/// renderer, and `ENOENT` proves the kernel would have run it.
pub const EXEC_PATH: &CStr = c"/nonexistent/workshop-probe";
/// A path that exists nowhere: what the `stat` probes compare with.
pub const NOWHERE_PATH: &CStr = c"/nonexistent/workshop-probe";
/// The procfs the `StatProc` probe looks for.
pub const PROC_PATH: &CStr = c"/proc/self";
/// Threads the `ThreadBomb` probe tries to start: one more than the whole
/// task limit, which also counts the main thread and the intermediate, so
/// an enforced limit always refuses one; harmless without a limit.
pub const THREAD_BOMB_ATTEMPTS: u64 = crate::thread_limit::MAX_TASKS + 1;
/// Stack size of each bomb thread (they only park).
pub const THREAD_BOMB_STACK: usize = 64 * 1024;

/// What the probes need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeContext {
    /// The broker's pid as the broker sees it (passed on the command line;
    /// inside the pid namespace `getppid()` is 0). The ptrace and signal
    /// probes aim at it.
    pub broker_pid: u32,
}

impl ProbeContext {
    /// A context aiming at `broker_pid`.
    pub fn new(broker_pid: u32) -> ProbeContext {
        ProbeContext { broker_pid }
    }
}

/// A zero for variadic system-call arguments (a bare `0` would be a 32-bit
/// `int`; the kernel reads full registers).
const ZERO: libc::c_ulong = 0;
/// A plain fork's clone flags: just the exit signal.
const FORK_FLAGS: libc::c_ulong = libc::SIGCHLD as libc::c_ulong;

/// The errnos that mean "the sandbox said no".
const DENIAL_ERRNOS: &[i32] = &[libc::EPERM, libc::EACCES];
/// Also a denial for probes aimed at the broker's pid: the pid namespace
/// hides it.
const HIDDEN_TARGET_ERRNOS: &[i32] = &[libc::EPERM, libc::EACCES, libc::ESRCH];
/// Also a denial for probes aimed at paths every host has: the empty root
/// hides them.
const HIDDEN_PATH_ERRNOS: &[i32] = &[libc::EPERM, libc::EACCES, libc::ENOENT];
/// The task limit's refusal.
const TASK_LIMIT_ERRNOS: &[i32] = &[libc::EAGAIN];

/// Runs every probe in [`Probe::ALL`] order.
pub fn run_probes(ctx: &ProbeContext) -> Vec<ProbeResult> {
    Probe::ALL
        .iter()
        .map(|&probe| ProbeResult {
            probe,
            outcome: run_probe(probe, ctx),
        })
        .collect()
}

/// Runs one probe.
pub fn run_probe(probe: Probe, ctx: &ProbeContext) -> ProbeOutcome {
    let pid = libc::pid_t::try_from(ctx.broker_pid).unwrap_or(libc::pid_t::MAX);
    match probe {
        Probe::OpenRead => classify(open_read(), HIDDEN_PATH_ERRNOS),
        Probe::CreateFile => classify(create_file(), HIDDEN_PATH_ERRNOS),
        Probe::TcpSocket => classify(tcp_socket(), DENIAL_ERRNOS),
        Probe::ConnectX11 => classify(connect_unix(X11_SOCKET, false), DENIAL_ERRNOS),
        Probe::ConnectAbstract => classify(connect_unix(X11_ABSTRACT, true), DENIAL_ERRNOS),
        Probe::Fork => classify(fork(), DENIAL_ERRNOS),
        Probe::Exec => classify(exec(), DENIAL_ERRNOS),
        Probe::Ptrace => classify(ptrace(pid), HIDDEN_TARGET_ERRNOS),
        Probe::SignalBroker => classify(signal(pid), HIDDEN_TARGET_ERRNOS),
        Probe::Unshare => classify(unshare(), DENIAL_ERRNOS),
        Probe::MapExecutable => classify(map_exec(), DENIAL_ERRNOS),
        Probe::StatHostFile => same_as_nowhere(stat(READ_PATH), stat(NOWHERE_PATH)),
        Probe::StatProc => same_as_nowhere(stat(PROC_PATH), stat(NOWHERE_PATH)),
        Probe::ThreadBomb => classify(thread_bomb(), TASK_LIMIT_ERRNOS),
    }
}

/// `Denied` when `attempt` failed exactly as `nowhere` (the same call on
/// [`NOWHERE_PATH`]) did: the path told the renderer nothing.
fn same_as_nowhere(attempt: Attempt, nowhere: Attempt) -> ProbeOutcome {
    match (attempt, nowhere) {
        (Err(errno), Err(other)) if errno == other => ProbeOutcome::Denied { errno },
        _ => ProbeOutcome::Allowed,
    }
}

/// `Ok` if the call succeeded, else its errno.
type Attempt = Result<(), i32>;

fn classify(attempt: Attempt, denials: &[i32]) -> ProbeOutcome {
    match attempt {
        Err(errno) if denials.contains(&errno) => ProbeOutcome::Denied { errno },
        _ => ProbeOutcome::Allowed,
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EINVAL)
}

/// Turns a `-1`-on-error return into an [`Attempt`], handing a success's
/// value to `cleanup`.
fn check<T: PartialEq + From<i8>>(ret: T, cleanup: impl FnOnce(T)) -> Attempt {
    if ret == T::from(-1) {
        Err(last_errno())
    } else {
        cleanup(ret);
        Ok(())
    }
}

fn close(fd: libc::c_int) {
    // SAFETY: `fd` was just returned to us by the kernel and is closed once.
    unsafe { libc::close(fd) };
}

fn open_read() -> Attempt {
    // SAFETY: a NUL-terminated constant path and plain flags.
    let fd = unsafe { libc::open(READ_PATH.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    check(fd, close)
}

fn create_file() -> Attempt {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write to.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    let name = format!(
        "{CREATE_DIR}/.workshop-probe-{}-{}-{}",
        std::process::id(),
        now.tv_sec,
        now.tv_nsec
    );
    let Ok(path) = std::ffi::CString::new(name) else {
        return Err(libc::EINVAL);
    };
    // SAFETY: `path` is NUL-terminated; O_EXCL never touches an existing file.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
            0o600,
        )
    };
    check(fd, |fd| {
        close(fd);
        // SAFETY: `path` is NUL-terminated; it names the file we just made.
        unsafe { libc::unlink(path.as_ptr()) };
    })
}

fn tcp_socket() -> Attempt {
    // SAFETY: plain integer arguments.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    check(fd, close)
}

fn connect_unix(name: &[u8], abstract_namespace: bool) -> Attempt {
    // SAFETY: plain integer arguments.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: sockaddr_un is plain old data; all zeroes is valid.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let start = usize::from(abstract_namespace);
    let room = addr.sun_path.len() - 1 - start;
    let len = name.len().min(room);
    for (dst, &src) in addr.sun_path[start..].iter_mut().zip(&name[..len]) {
        *dst = src as libc::c_char;
    }
    let path_offset = std::mem::size_of::<libc::sa_family_t>();
    // Abstract names are exactly as long as given (no terminating NUL).
    let addr_len = path_offset + start + len + usize::from(!abstract_namespace);
    let addr_len = libc::socklen_t::try_from(addr_len).unwrap_or(libc::socklen_t::MAX);
    // SAFETY: `addr` is a valid sockaddr_un of at least `addr_len` bytes.
    let ret = unsafe { libc::connect(fd, (&raw const addr).cast::<libc::sockaddr>(), addr_len) };
    let result = check(ret, |_| {});
    close(fd);
    result
}

fn fork() -> Attempt {
    // A raw fork (clone with only the exit signal): no atfork handlers, no
    // locks. The child, if there is one, exits at once.
    // SAFETY: the child touches no state of ours: it only calls _exit.
    let pid = unsafe { libc::syscall(libc::SYS_clone, FORK_FLAGS, ZERO, ZERO, ZERO, ZERO) };
    match pid {
        -1 => Err(last_errno()),
        0 => {
            // SAFETY: ends the child without running any destructor.
            unsafe { libc::_exit(0) }
        }
        child => {
            if let Ok(child) = libc::pid_t::try_from(child) {
                let mut status = 0;
                // SAFETY: reaps our own child; `status` is valid to write.
                unsafe { libc::waitpid(child, &mut status, libc::__WALL) };
            }
            Ok(())
        }
    }
}

fn exec() -> Attempt {
    let argv = [EXEC_PATH.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null()];
    // SAFETY: NUL-terminated path and NULL-terminated argv/envp arrays. The
    // path does not exist, so even an unconfined execve returns (ENOENT).
    let ret = unsafe { libc::execve(EXEC_PATH.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    check(ret, |_| {})
}

fn ptrace(pid: libc::pid_t) -> Attempt {
    // PTRACE_SEIZE runs the same permission check as PTRACE_ATTACH without
    // stopping the target. Should it succeed, the renderer is refused and
    // killed by the broker, which ends the tracing.
    // SAFETY: plain integer arguments; no memory is passed.
    let ret = unsafe {
        libc::ptrace(
            libc::PTRACE_SEIZE,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            std::ptr::null_mut::<libc::c_void>(),
        )
    };
    check(ret, |_| {})
}

fn signal(pid: libc::pid_t) -> Attempt {
    // SAFETY: signal 0 delivers nothing; it only checks permission.
    let ret = unsafe { libc::kill(pid, 0) };
    check(ret, |_| {})
}

fn unshare() -> Attempt {
    // SAFETY: plain flags; a success only adds a user namespace layer.
    let ret = unsafe { libc::unshare(libc::CLONE_NEWUSER) };
    check(ret, |_| {})
}

/// `stat` as the Spy attack spelled it. Not `stat(3)`: glibc makes that
/// `newfstatat(AT_FDCWD, path, buf, 0)`, which the seccomp filter kills
/// (only the `AT_EMPTY_PATH` form is allowed), and a probe must not end the
/// renderer. `sandbox-probe --then=plain-stat` shows `stat(3)` without the
/// filter.
pub fn stat(path: &CStr) -> Result<(), i32> {
    // SAFETY: a zeroed stat is a valid buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // The attacker's spelling: a real path with fstat's flag, which does
    // not make the path empty.
    // SAFETY: NUL-terminated path; `st` is valid to write.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_newfstatat,
            libc::AT_FDCWD,
            path.as_ptr(),
            &raw mut st,
            libc::AT_EMPTY_PATH,
        )
    };
    check(ret, |_| {})
}

/// Starts up to [`THREAD_BOMB_ATTEMPTS`] parked threads, then releases and
/// joins every one started; `Err` with the first refusal's errno.
fn thread_bomb() -> Attempt {
    let mut parked = Vec::new();
    let mut refused = None;
    for _ in 0..THREAD_BOMB_ATTEMPTS {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let started = std::thread::Builder::new()
            .stack_size(THREAD_BOMB_STACK)
            .spawn(move || {
                // Returns when `release` is dropped.
                let _ = wait.recv();
            });
        match started {
            Ok(handle) => parked.push((release, handle)),
            Err(e) => {
                refused = Some(e.raw_os_error().unwrap_or(libc::EINVAL));
                break;
            }
        }
    }
    let started = parked.len();
    for (release, handle) in parked {
        drop(release);
        let _ = handle.join();
    }
    tracing::debug!(started, refused = ?refused, "thread bomb probe");
    match refused {
        Some(errno) => Err(errno),
        None => Ok(()),
    }
}

fn map_exec() -> Attempt {
    let len = 4096;
    // SAFETY: an anonymous private mapping at an address of the kernel's
    // choosing; it aliases nothing and is unmapped below.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return Err(last_errno());
    }
    // SAFETY: unmaps exactly the mapping made above.
    unsafe { libc::munmap(addr, len) };
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn errnos_classify() {
        assert_eq!(
            classify(Err(libc::EPERM), DENIAL_ERRNOS),
            ProbeOutcome::Denied { errno: libc::EPERM }
        );
        assert_eq!(
            classify(Err(libc::EACCES), DENIAL_ERRNOS),
            ProbeOutcome::Denied {
                errno: libc::EACCES
            }
        );
        assert_eq!(
            classify(Err(libc::ENOENT), DENIAL_ERRNOS),
            ProbeOutcome::Allowed
        );
        assert_eq!(
            classify(Err(libc::ESRCH), DENIAL_ERRNOS),
            ProbeOutcome::Allowed
        );
        assert_eq!(
            classify(Err(libc::ESRCH), HIDDEN_TARGET_ERRNOS),
            ProbeOutcome::Denied { errno: libc::ESRCH }
        );
        assert_eq!(
            classify(Ok(()), HIDDEN_TARGET_ERRNOS),
            ProbeOutcome::Allowed
        );
        assert_eq!(
            same_as_nowhere(Err(libc::ENOENT), Err(libc::ENOENT)),
            ProbeOutcome::Denied {
                errno: libc::ENOENT
            }
        );
        assert_eq!(
            same_as_nowhere(Err(libc::EACCES), Err(libc::ENOENT)),
            ProbeOutcome::Allowed
        );
        assert_eq!(
            same_as_nowhere(Ok(()), Err(libc::ENOENT)),
            ProbeOutcome::Allowed
        );
    }

    /// Without a sandbox, the harmless probes report `Allowed`: they are
    /// real attempts, not canned answers. (Fork, exec, ptrace, signal and
    /// unshare are left to the integration tests, which run them in a child
    /// process.)
    #[test]
    fn unconfined_probes_are_allowed() {
        let ctx = ProbeContext::new(std::process::id());
        for probe in [
            Probe::OpenRead,
            Probe::CreateFile,
            Probe::TcpSocket,
            Probe::MapExecutable,
            Probe::StatHostFile,
            Probe::StatProc,
            Probe::ThreadBomb,
        ] {
            assert_eq!(run_probe(probe, &ctx), ProbeOutcome::Allowed, "{probe:?}");
        }
        // No X server here, or one that accepts us: either way not denied.
        assert_eq!(run_probe(Probe::ConnectX11, &ctx), ProbeOutcome::Allowed);
    }
}
