//! Spawn-time confinement: what the broker's child does between `fork` and
//! `exec` to become a renderer in its own namespaces.
//!
//! Namespaces must be made before the renderer runs any of its own code, so
//! this runs in the broker's `Command::pre_exec` closure. That closure runs
//! in a forked copy of a multi-threaded process: it may only make
//! async-signal-safe calls (no allocation, no locks, no `tracing`).
//! Everything that allocates happens before the fork, in
//! [`SpawnConfinement::prepare`]; [`SpawnConfinement::enter`] only makes raw
//! system calls on prepared bytes.
//!
//! What [`SpawnConfinement::enter`] does, in order:
//!
//! 0. Only when the broker runs as root and the mode is not `Disabled`:
//!    become [`ROOT_BROKER_RENDERER_UID`]/[`ROOT_BROKER_RENDERER_GID`] with
//!    no supplementary groups (raw `setgroups`, `setresgid`, `setresuid`,
//!    then dumpable again so it may still write its own id maps).
//!    The kernel never applies `RLIMIT_NPROC` to the host's uid 0 (the
//!    `INIT_USER` exemption in `copy_process`), so a renderer that is root
//!    outside could not be held to [`crate::thread_limit`]; and a renderer
//!    that escaped every layer would be root on the host. This comes first
//!    because a credential change clears the parent-death signal.
//! 1. `PR_SET_PDEATHSIG(SIGKILL)`, then checks `getppid()` is still the
//!    broker (if the broker died before the call, the signal will never
//!    come: exit at once). Then marks every fd from [`INHERITED_FDS`] up
//!    close-on-exec, so the renderer inherits only stdin, stdout, stderr and
//!    fd 3 (its socket to the broker), whatever a library of the broker left
//!    open without `O_CLOEXEC` (an X11 connection, say). These two happen in
//!    every mode, `Disabled` included.
//! 2. Unless the mode is `Disabled`: `unshare` of new user, mount, net, ipc,
//!    uts and pid namespaces in one call ([`NAMESPACE_FLAGS`]).
//! 3. `/proc/self/setgroups` ← `deny` (required before an unprivileged
//!    process may write its gid map; it also stops the renderer from ever
//!    dropping supplementary groups to dodge a negative group permission).
//! 4. `/proc/self/uid_map` and `gid_map`: [`SANDBOX_UID`]/[`SANDBOX_GID`]
//!    (0) inside ↦ the child's effective uid/gid outside (the broker's, or
//!    `nobody` after step 0), one id each. Being uid 0 inside, the renderer
//!    keeps every capability across `exec`, but only over the namespaces
//!    its own user namespace owns: it needs `CAP_SYS_ADMIN` there for one
//!    thing, the [`crate::empty_root`] `pivot_root` in its bootstrap, and
//!    right after that [`crate::capabilities`] drops every capability and
//!    locks the securebits so uid 0 can never regain one. Outside it is the
//!    one unprivileged id it maps to.
//! 5. One more fork: `CLONE_NEWPID` moves only the caller's *children* into
//!    the new pid namespace (and leaves the caller unable to create threads:
//!    `EINVAL`), so the grandchild becomes PID 1 of the namespace, arms its
//!    own parent-death signal (its parent is now the intermediate) and
//!    returns to std, which execs the renderer. The intermediate closes
//!    every fd it holds (std's `spawn()` waits for EOF on a close-on-exec
//!    error pipe, which the intermediate would otherwise hold open until
//!    the renderer exits), waits for the renderer and exits the same way:
//!    with its exit code, or by re-raising the signal that killed it (with
//!    core dumps off) so the broker's `waitpid` sees the same status. Killing
//!    the intermediate (`Child::kill`) kills the renderer through its
//!    parent-death signal. [`crate::inspect::renderer_pid`] finds the
//!    renderer's pid from the intermediate's.
//!
//! If `unshare` fails (e.g. `EPERM` where unprivileged user namespaces are
//! turned off): in `Strict` mode `spawn()` fails with that error; in
//! `Enforce` mode the child says so on stderr and continues without
//! namespaces (the renderer's [`crate::namespaces::namespaces_status`] and
//! the broker's [`crate::inspect::inspect`] then report the missing layers).
//!
//! What the namespaces give:
//! * user: the renderer is one unprivileged id outside, its capabilities
//!   (until its bootstrap drops them) count only over namespaces this one
//!   owns, and the other namespaces are owned by this one, not the host's.
//! * pid: the renderer is PID 1 and sees no other process; the broker's pid
//!   means nothing inside it.
//! * net: only a loopback interface, which is down: no network at all.
//! * ipc: no SysV IPC or POSIX message queues shared with the host.
//! * uts: its own hostname.
//! * mount: a private copy of the mount table, which the renderer itself
//!   replaces in its bootstrap with an empty root ([`crate::empty_root`]:
//!   `pivot_root` into an empty read-only tmpfs, old root detached, no
//!   `/proc`). It cannot happen here: `exec` needs the binary, ld.so and
//!   the shared libraries from the host root, and the bootstrap needs
//!   `/proc/self/ns` and the broker-visible bootstrap directory first.
//!
//! Caveat: the kernel sends the parent-death signal when the *thread* that
//! spawned the child exits, not the process. Spawn renderers from a thread
//! that lives as long as the broker (its main or event-loop thread).
//!
//! ```no_run
//! use std::os::fd::AsRawFd;
//! use std::os::unix::process::CommandExt;
//! use std::process::{Command, Stdio};
//! use workshop_common::sandbox_report::SandboxMode;
//! use workshop_sandbox::SpawnConfinement;
//!
//! # fn renderer_socket() -> std::os::fd::OwnedFd { unimplemented!() }
//! let confinement = SpawnConfinement::prepare(SandboxMode::Enforce)?;
//! let socket = renderer_socket(); // the renderer's end of a SOCK_SEQPACKET pair
//! let socket_fd = socket.as_raw_fd();
//! let mut cmd = Command::new(std::env::current_exe()?);
//! cmd.args(["--type=renderer", "--role=main"])
//!     .arg(format!("--parent-ns={}", confinement.parent_namespaces().to_arg()))
//!     .arg(format!("--broker-pid={}", confinement.broker_pid()))
//!     .env_clear()
//!     .stdin(Stdio::null())
//!     .stderr(Stdio::piped());
//! // SAFETY: dup2 and `enter` are async-signal-safe; `enter` is made for
//! // exactly this place.
//! unsafe {
//!     cmd.pre_exec(move || {
//!         if libc::dup2(socket_fd, 3) != 3 {
//!             return Err(std::io::Error::last_os_error());
//!         }
//!         confinement.enter()
//!     });
//! }
//! let child = cmd.spawn()?; // the intermediate when namespaces are on
//! drop(socket);
//! let seen = workshop_sandbox::inspect(child.id())?; // follows the intermediate
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;

use workshop_common::sandbox_report::SandboxMode;

use crate::namespaces::{NamespaceError, ParentNamespaces};

/// The namespaces every sandboxed renderer gets.
pub const NAMESPACE_FLAGS: libc::c_int = libc::CLONE_NEWUSER
    | libc::CLONE_NEWNS
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWPID;

/// The renderer's uid inside its user namespace: 0, so that it keeps its
/// (namespaced) capabilities across `exec` long enough to `pivot_root` into
/// its empty root; it drops all of them right after
/// ([`crate::capabilities`]).
pub const SANDBOX_UID: u32 = 0;
/// The renderer's gid inside its user namespace.
pub const SANDBOX_GID: u32 = 0;

/// The uid outside a renderer runs as when the broker is root: `nobody`
/// (the kernel's overflow uid, owning nothing). Not the broker's 0: the
/// kernel exempts uid 0 from `RLIMIT_NPROC`, and an escaped renderer would
/// be root on the host.
pub const ROOT_BROKER_RENDERER_UID: u32 = 65534;
/// The gid outside a renderer runs as when the broker is root: `nogroup`.
pub const ROOT_BROKER_RENDERER_GID: u32 = 65534;

/// Exit code of a child whose parent died before the parent-death signal
/// was armed (nobody is left to read it; it only ends the orphan).
pub const EXIT_PARENT_GONE: libc::c_int = 120;
/// Exit code of the intermediate when waiting for the renderer failed.
pub const EXIT_WAIT_FAILED: libc::c_int = 121;

/// The fds a renderer inherits: 0 stdin (`/dev/null`), 1 stdout, 2 stderr
/// (a pipe to the broker), 3 its `SOCK_SEQPACKET` socket to the broker.
/// Every fd from this number up is made close-on-exec.
pub const INHERITED_FDS: libc::c_uint = 4;

/// Highest fd the fallback loops visit when `close_range(2)` is missing or
/// lacks `CLOSE_RANGE_CLOEXEC` (Linux < 5.9 / 5.11).
const CLOSE_FALLBACK_LIMIT: libc::c_int = 1 << 16;

/// A zero for variadic system-call arguments, which the kernel reads as full
/// registers (a bare `0` would be passed as a 32-bit `int`).
const ZERO: libc::c_ulong = 0;
/// The exit signal a plain fork asks for, as a clone flags word.
const FORK_FLAGS: libc::c_ulong = libc::SIGCHLD as libc::c_ulong;
/// The first fd the intermediate closes (it keeps only fd 0).
const FIRST_AFTER_KEPT: libc::c_ulong = 1;
/// `SUID_DUMP_USER`, as a prctl argument word.
const DUMPABLE: libc::c_ulong = 1;
/// The parent-death signal, as a prctl argument word.
const DEATH_SIGNAL: libc::c_ulong = libc::SIGKILL as libc::c_ulong;

const SETGROUPS_PATH: &[u8] = b"/proc/self/setgroups\0";
const UID_MAP_PATH: &[u8] = b"/proc/self/uid_map\0";
const GID_MAP_PATH: &[u8] = b"/proc/self/gid_map\0";
const SETGROUPS_DENY: &[u8] = b"deny\n";

/// Why spawn confinement could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// Reading the broker's own namespace ids failed.
    #[error("reading the broker's namespaces: {0}")]
    Namespaces(#[source] NamespaceError),
}

/// Everything the child needs, prepared (allocated) before the fork.
#[derive(Clone, Debug)]
pub struct SpawnConfinement {
    mode: SandboxMode,
    broker_pid: libc::pid_t,
    /// `Some((uid, gid))` when step 0 switches to an unprivileged id.
    switch_to: Option<(u32, u32)>,
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
    parent_namespaces: ParentNamespaces,
}

impl SpawnConfinement {
    /// Prepares the confinement for one spawn under `mode`, in the broker,
    /// before `Command::spawn`.
    pub fn prepare(mode: SandboxMode) -> Result<SpawnConfinement, SpawnError> {
        let parent_namespaces = ParentNamespaces::current().map_err(SpawnError::Namespaces)?;
        let broker_uid = rustix::process::geteuid().as_raw();
        let broker_gid = rustix::process::getegid().as_raw();
        let switch_to = (broker_uid == 0 && mode != SandboxMode::Disabled)
            .then_some((ROOT_BROKER_RENDERER_UID, ROOT_BROKER_RENDERER_GID));
        let (uid, gid) = switch_to.unwrap_or((broker_uid, broker_gid));
        Ok(SpawnConfinement {
            mode,
            broker_pid: rustix::process::getpid().as_raw_nonzero().get(),
            switch_to,
            uid_map: format!("{SANDBOX_UID} {uid} 1\n").into_bytes(),
            gid_map: format!("{SANDBOX_GID} {gid} 1\n").into_bytes(),
            parent_namespaces,
        })
    }

    /// The mode this was prepared for.
    pub fn mode(&self) -> SandboxMode {
        self.mode
    }

    /// The broker's namespaces, to pass on the renderer's command line
    /// ([`ParentNamespaces::to_arg`]).
    pub fn parent_namespaces(&self) -> &ParentNamespaces {
        &self.parent_namespaces
    }

    /// The uid and gid the renderer runs as outside its namespaces, when
    /// that is not the broker's own (the broker is root): whatever the
    /// renderer must create before its lockdown (its bootstrap server
    /// socket) must be in a directory this id may write.
    pub fn renderer_ids(&self) -> Option<(u32, u32)> {
        self.switch_to
    }

    /// The broker's pid, to pass on the renderer's command line (for
    /// [`crate::probes::ProbeContext`]).
    pub fn broker_pid(&self) -> u32 {
        self.broker_pid.unsigned_abs()
    }

    /// Enters the confinement; call it from `Command::pre_exec` (see the
    /// module docs for the steps). Returns in the process that will exec the
    /// renderer; the intermediate process of step 5 never returns.
    ///
    /// # Safety
    ///
    /// Only between `fork` and `exec` (inside `pre_exec`): it forks, and the
    /// intermediate closes every fd and exits without unwinding, which
    /// would wreck any other process state.
    pub unsafe fn enter(&self) -> io::Result<()> {
        // Step 0: a root broker's renderer becomes `nobody` first.
        if let Some((uid, gid)) = self.switch_to {
            // SAFETY: raw set*id system calls on this single-threaded child
            // (glibc's wrappers would broadcast to threads it no longer has).
            if let Err(e) = unsafe { become_unprivileged(uid, gid) } {
                diagnose(b"setresuid", e, true);
                return Err(io::Error::from_raw_os_error(e));
            }
        }
        // Step 1: die with the broker.
        // SAFETY: prctl with integer arguments.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, DEATH_SIGNAL, ZERO, ZERO, ZERO) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: getppid has no preconditions.
        if unsafe { libc::getppid() } != self.broker_pid {
            // SAFETY: ends this half-made child without unwinding.
            unsafe { libc::_exit(EXIT_PARENT_GONE) }
        }
        // SAFETY: only changes fd flags of this child, which is about to exec.
        unsafe { cloexec_from(INHERITED_FDS) };
        if self.mode == SandboxMode::Disabled {
            return Ok(());
        }

        // Step 2: new namespaces.
        // SAFETY: unshare with constant flags; this child is single-threaded.
        if unsafe { libc::unshare(NAMESPACE_FLAGS) } != 0 {
            // Without namespaces there is nothing to map and no pid
            // namespace to fork into.
            return self.tolerate(b"unshare", errno());
        }

        // Step 3: setgroups deny. Step 4: the id maps.
        // SAFETY: NUL-terminated constant path.
        if let Err(e) = unsafe { write_proc(SETGROUPS_PATH, SETGROUPS_DENY) } {
            self.tolerate(b"setgroups", e)?;
        }
        // SAFETY: as above.
        if let Err(e) = unsafe { write_proc(UID_MAP_PATH, &self.uid_map) } {
            self.tolerate(b"uid_map", e)?;
        }
        // SAFETY: as above.
        if let Err(e) = unsafe { write_proc(GID_MAP_PATH, &self.gid_map) } {
            self.tolerate(b"gid_map", e)?;
        }

        // Step 5: become PID 1 of the new pid namespace.
        // SAFETY: we are between fork and exec (this function's contract).
        unsafe { fork_into_pid_namespace() }
    }

    /// A step failed with `errno`: a line on stderr naming it (the
    /// `io::Error` std hands the broker cannot carry the step's name without
    /// allocating), then an error in `Strict` mode, carry on in `Enforce`.
    fn tolerate(&self, step: &[u8], errno: i32) -> io::Result<()> {
        let strict = self.mode == SandboxMode::Strict;
        diagnose(step, errno, strict);
        if strict {
            return Err(io::Error::from_raw_os_error(errno));
        }
        Ok(())
    }
}

fn errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EINVAL)
}

/// Step 0: no supplementary groups, then `gid`, then `uid` (real,
/// effective and saved), with raw system calls.
///
/// # Safety
///
/// Only between `fork` and `exec`, in a single-threaded child.
unsafe fn become_unprivileged(uid: u32, gid: u32) -> Result<(), i32> {
    let (uid, gid) = (libc::c_ulong::from(uid), libc::c_ulong::from(gid));
    // SAFETY: setgroups with an empty list (a null pointer is never read).
    if unsafe { libc::syscall(libc::SYS_setgroups, ZERO, ZERO) } != 0 {
        return Err(errno());
    }
    // SAFETY: integer arguments only.
    if unsafe { libc::syscall(libc::SYS_setresgid, gid, gid, gid) } != 0 {
        return Err(errno());
    }
    // SAFETY: integer arguments only.
    if unsafe { libc::syscall(libc::SYS_setresuid, uid, uid, uid) } != 0 {
        return Err(errno());
    }
    // The uid change made the process non-dumpable, which hands its
    // `/proc/self` files to root: the id-map writes of steps 3-4 would fail
    // with EACCES. Dumpable again, as any process is after `exec` until its
    // lockdown clears it.
    // SAFETY: prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, DUMPABLE, ZERO, ZERO, ZERO) } != 0 {
        return Err(errno());
    }
    Ok(())
}

/// Writes `bytes` to the `/proc` file `path` (NUL-terminated) in one write.
///
/// # Safety
///
/// `path` must be NUL-terminated.
unsafe fn write_proc(path: &[u8], bytes: &[u8]) -> Result<(), i32> {
    // SAFETY: `path` is NUL-terminated (caller's contract).
    let fd = unsafe {
        libc::open(
            path.as_ptr().cast::<libc::c_char>(),
            libc::O_WRONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(errno());
    }
    // SAFETY: `bytes` is valid for its length; `fd` is ours.
    let written = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
    let result = if written < 0 {
        Err(errno())
    } else if written.unsigned_abs() != bytes.len() {
        Err(libc::EIO)
    } else {
        Ok(())
    };
    // SAFETY: closes the fd opened above, once.
    unsafe { libc::close(fd) };
    result
}

/// Writes [`diagnosis`] to stderr.
fn diagnose(step: &[u8], errno: i32, strict: bool) {
    let mut line = [0u8; 160];
    let len = diagnosis(step, errno, strict, &mut line);
    // SAFETY: `line` is valid for `len` bytes; a failed write is ignored.
    unsafe { libc::write(libc::STDERR_FILENO, line.as_ptr().cast(), len) };
}

/// Formats `workshop-sandbox: <step> failed (errno N); <consequence>` into
/// `line` without allocating (truncated to fit) and returns its length.
fn diagnosis(step: &[u8], errno: i32, strict: bool, line: &mut [u8]) -> usize {
    let mut len = 0;
    let mut push = |bytes: &[u8]| {
        for &b in bytes {
            if let Some(slot) = line.get_mut(len) {
                *slot = b;
                len += 1;
            }
        }
    };
    push(b"workshop-sandbox: ");
    push(step);
    push(b" failed (errno ");
    let mut digits = [0u8; 10];
    let mut n = errno.unsigned_abs();
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    push(&digits[i..]);
    push(if strict {
        b"); strict sandbox: not starting the renderer\n"
    } else {
        b"); the renderer runs without its namespaces' full protection\n"
    });
    len
}

/// Step 5. Returns `Ok` in the grandchild (PID 1 of the new pid namespace);
/// the intermediate waits for it and exits, never returning.
///
/// # Safety
///
/// Only between `fork` and `exec`.
unsafe fn fork_into_pid_namespace() -> io::Result<()> {
    // A pipe whose write end only the intermediate keeps: if the grandchild
    // sees it hung up after arming its parent-death signal, the intermediate
    // died before the signal could be armed.
    let mut alive = [-1; 2];
    // SAFETY: `alive` has room for the two fds.
    if unsafe { libc::pipe2(alive.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let [alive_read, alive_write] = alive;

    // A raw fork (clone with only the exit signal): glibc's fork() would run
    // atfork handlers, which may take locks a thread of the broker held.
    // SAFETY: no shared memory or fds (plain fork semantics); both sides
    // continue below on their own copy of this stack.
    let pid = unsafe { libc::syscall(libc::SYS_clone, FORK_FLAGS, ZERO, ZERO, ZERO, ZERO) };
    if pid < 0 {
        let e = io::Error::last_os_error();
        // SAFETY: closes the two fds made above, once each.
        unsafe {
            libc::close(alive_read);
            libc::close(alive_write);
        }
        return Err(e);
    }
    if pid == 0 {
        // The grandchild: PID 1 of the new namespace.
        // SAFETY: closes our copy of the write end, once.
        unsafe { libc::close(alive_write) };
        // SAFETY: prctl with integer arguments.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, DEATH_SIGNAL, ZERO, ZERO, ZERO) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut poll = libc::pollfd {
            fd: alive_read,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no waiting.
        let ready = unsafe { libc::poll(&mut poll, 1, 0) };
        if ready != 0 {
            // Hung up (the intermediate is gone) or poll failed: either way
            // nobody will kill us when the broker goes.
            // SAFETY: ends this half-made child without unwinding.
            unsafe { libc::_exit(EXIT_PARENT_GONE) }
        }
        // SAFETY: closes the read end, once (it is close-on-exec anyway).
        unsafe { libc::close(alive_read) };
        return Ok(());
    }

    // The intermediate.
    // SAFETY: closes the read end, once.
    unsafe { libc::close(alive_read) };
    let child = libc::pid_t::try_from(pid).unwrap_or(-1);
    // SAFETY: we are the forked intermediate and never return to std.
    unsafe { wait_and_mirror(child, alive_write) }
}

/// The intermediate's life: drop every fd but `keep` (the liveness pipe),
/// wait for `child`, then exit the way it did.
///
/// # Safety
///
/// Only in the intermediate process (it closes fds and exits).
unsafe fn wait_and_mirror(child: libc::pid_t, keep: libc::c_int) -> ! {
    // The broker's signal handlers are still installed in this copy of it;
    // none of them should ever run here.
    for signal in 1..=libc::SIGRTMAX() {
        if signal == libc::SIGKILL || signal == libc::SIGSTOP {
            continue;
        }
        // SAFETY: a zeroed sigaction is SIG_DFL with an empty mask; glibc
        // refuses its two internal signals, which is fine.
        unsafe {
            let action: libc::sigaction = std::mem::zeroed();
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
    // SAFETY: only this process's fds, none of which it uses again.
    unsafe { keep_only(keep) };

    let mut status = 0;
    loop {
        // SAFETY: waits for our own child; `status` is valid to write.
        let reaped = unsafe { libc::waitpid(child, &mut status, 0) };
        if reaped == child {
            break;
        }
        if reaped < 0 && errno() == libc::EINTR {
            continue;
        }
        // SAFETY: ends the intermediate without unwinding.
        unsafe { libc::_exit(EXIT_WAIT_FAILED) }
    }
    if libc::WIFEXITED(status) {
        // SAFETY: as above.
        unsafe { libc::_exit(libc::WEXITSTATUS(status)) }
    }
    if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        // SAFETY: plain calls on this process only: no core dump of this
        // copy of the broker, default action for `signal`, unblocked, then
        // raised.
        unsafe {
            libc::prctl(libc::PR_SET_DUMPABLE, ZERO, ZERO, ZERO, ZERO);
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, signal);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::kill(libc::getpid(), signal);
            libc::_exit(128 + signal)
        }
    }
    // SAFETY: ends the intermediate without unwinding.
    unsafe { libc::_exit(EXIT_WAIT_FAILED) }
}

/// Marks every fd from `first` up close-on-exec.
///
/// # Safety
///
/// Changes fd flags process-wide; only for a child about to exec.
unsafe fn cloexec_from(first: libc::c_uint) {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags.
    let done = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            libc::c_ulong::from(first),
            libc::c_ulong::from(libc::c_uint::MAX),
            libc::c_ulong::from(libc::CLOSE_RANGE_CLOEXEC),
        )
    } == 0;
    if done {
        return;
    }
    let first = libc::c_int::try_from(first).unwrap_or(libc::c_int::MAX);
    for fd in first..CLOSE_FALLBACK_LIMIT {
        // SAFETY: F_SETFD on a possibly invalid fd is harmless (EBADF).
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
}

/// Moves `keep` to fd 0 and closes every other fd, in one `close_range`
/// (so once the broker sees EOF on std's error pipe, the intermediate holds
/// nothing else either).
///
/// # Safety
///
/// Invalidates every fd of the process but `keep`'s new number, 0.
unsafe fn keep_only(keep: libc::c_int) {
    if keep != 0 {
        // SAFETY: dup2 onto fd 0 (the intermediate's stdin, unused).
        unsafe { libc::dup2(keep, 0) };
    }
    // SAFETY: close_range on an fd range; invalid fds are skipped.
    let closed = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            FIRST_AFTER_KEPT,
            libc::c_ulong::from(libc::c_uint::MAX),
            ZERO,
        )
    } == 0;
    if closed {
        return;
    }
    // Linux < 5.9: one by one.
    for fd in 1..CLOSE_FALLBACK_LIMIT {
        // SAFETY: closing a possibly invalid fd is harmless (EBADF).
        unsafe { libc::close(fd) };
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn diagnoses_format_without_allocating() {
        let mut line = [0u8; 160];
        let n = diagnosis(b"unshare", libc::EPERM, false, &mut line);
        assert_eq!(
            std::str::from_utf8(&line[..n]).unwrap(),
            "workshop-sandbox: unshare failed (errno 1); the renderer runs without its namespaces' full protection\n"
        );
        let n = diagnosis(b"uid_map", 2147483647, true, &mut line);
        assert_eq!(
            std::str::from_utf8(&line[..n]).unwrap(),
            "workshop-sandbox: uid_map failed (errno 2147483647); strict sandbox: not starting the renderer\n"
        );
        let mut short = [0u8; 8];
        assert_eq!(diagnosis(b"unshare", 1, true, &mut short), 8);
    }

    #[test]
    fn maps_root_inside_to_one_unprivileged_id_outside() {
        let c = SpawnConfinement::prepare(SandboxMode::Strict).unwrap();
        let uid = rustix::process::geteuid().as_raw();
        let outside = if uid == 0 {
            assert_eq!(
                c.renderer_ids(),
                Some((ROOT_BROKER_RENDERER_UID, ROOT_BROKER_RENDERER_GID))
            );
            ROOT_BROKER_RENDERER_UID
        } else {
            assert_eq!(c.renderer_ids(), None);
            uid
        };
        assert_ne!(outside, 0);
        assert_eq!(c.uid_map, format!("0 {outside} 1\n").into_bytes());
        let disabled = SpawnConfinement::prepare(SandboxMode::Disabled).unwrap();
        assert_eq!(disabled.renderer_ids(), None);
        assert_eq!(c.broker_pid(), std::process::id());
        assert_eq!(*c.parent_namespaces(), ParentNamespaces::current().unwrap());
    }
}
