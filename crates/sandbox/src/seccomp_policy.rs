//! The renderer's seccomp policy, as data.
//!
//! This table is the whole policy: every system call a locked-down renderer
//! may make and with which arguments, every forbidden call that fails with
//! an errno instead (so the self-test probes survive to report it), and a
//! reason for each line. Anything the table does not allow traps: the kernel
//! raises `SIGSYS` (`SECCOMP_RET_TRAP`), whose handler ([`crate::violation`])
//! writes `workshop-sandbox-violation syscall=N` to stderr and exits with
//! [`crate::violation::SANDBOX_VIOLATION_EXIT_CODE`], which the broker
//! reports as `sandbox-violation`. [`crate::seccomp`] compiles the table;
//! reviewers read it here, or as the generated markdown table that
//! `workshop seccomp-policy` prints.
//!
//! How to read a line: `syscall` is the call, `action` what happens when the
//! call matches every condition in `when` (an empty `when` matches always).
//! Several lines for one call and action are alternatives (OR). A call that
//! matches an `Errno` line fails with that errno, whatever its `Allow` lines
//! say; one that matches an `Allow` line and no `Errno` line is made; one
//! that matches neither traps. So `mmap` with `PROT_EXEC` gets `EPERM` (the
//! `mmap-exec` probe), `mmap` with read/write protection and listed flags is
//! made, and `mmap` with any other flag is a violation.
//!
//! The baseline to beat is Chromium's (`baseline_policy.cc` and
//! `syscall_parameters_restrictions.cc` in `sandbox/linux/seccomp-bpf-helpers`):
//! every argument restriction here is at least as tight, and the reason of a
//! rule says so where it matters. Argument values are named constants below,
//! each saying what it means. [`counts`] gives the figures the docs quote.

/// A system call number, as `libc::SYS_*` and `seccompiler` spell it.
pub type Syscall = libc::c_long;

/// What the filter does with a call that matches a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Let the call through.
    Allow,
    /// Fail the call with this errno; the process lives on.
    Errno(i32),
}

/// How much of a syscall argument a condition compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    /// The low 32 bits (an `int` argument: fds, pids, flags passed as `int`).
    Dword,
    /// All 64 bits (a pointer or an `unsigned long`).
    Qword,
}

/// The comparison a condition makes between the argument and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// `arg == value`.
    Eq,
    /// `arg != value`.
    Ne,
    /// `arg & mask == value`.
    MaskedEq(u64),
}

/// The value a condition compares against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// A constant.
    Const(u64),
    /// The renderer's own pid, captured when the filter is built (1 inside
    /// the renderer's pid namespace).
    OwnPid,
}

/// One condition on one argument of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArgCond {
    /// Which argument (0-based).
    pub arg: u8,
    /// How much of it to compare.
    pub width: Width,
    /// The comparison.
    pub cmp: Cmp,
    /// What to compare with.
    pub value: Value,
}

/// One line of the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// The system call number.
    pub syscall: Syscall,
    /// Its name, for tables and messages.
    pub name: &'static str,
    /// What happens when every condition holds.
    pub action: Action,
    /// The conditions, all of which must hold (empty: always).
    pub when: &'static [ArgCond],
    /// Why this line exists.
    pub reason: &'static str,
}

// ---------------------------------------------------------------------------
// Named argument values. 32-bit masks are the complement of an allowlist of
// bits within an `int` argument: `arg & mask == 0` means "no other bit".

/// The complement of `bits` within a 32-bit (`int`) argument: as a
/// [`Cmp::MaskedEq`] mask with value 0 it means "no bit outside `bits`".
pub const fn others32(bits: u64) -> u64 {
    !bits & 0xffff_ffff
}

/// The exact `clone(2)` flags glibc's `pthread_create` passes (glibc 2.36,
/// `nptl/pthread_create.c`): a thread sharing memory, files, fs info,
/// signal handlers and SysV semaphore undo, with its own TLS, its tid
/// written for the parent and cleared (with a futex wake) at exit. Anything
/// else is not a thread glibc makes. The `thread` exercise of the
/// `sandbox-probe` makes a thread under the filter, which proves this is
/// the value this machine's glibc uses.
pub const GLIBC_PTHREAD_CLONE_FLAGS: u64 = (libc::CLONE_VM
    | libc::CLONE_FS
    | libc::CLONE_FILES
    | libc::CLONE_SIGHAND
    | libc::CLONE_THREAD
    | libc::CLONE_SYSVSEM
    | libc::CLONE_SETTLS
    | libc::CLONE_PARENT_SETTID
    | libc::CLONE_CHILD_CLEARTID) as u64;
/// `clone(2)` flags of a new address space or thread group: a `clone` with
/// neither is a `fork`.
pub const CLONE_VM_OR_THREAD: u64 = (libc::CLONE_VM | libc::CLONE_THREAD) as u64;
/// `clone(2)` flags of a `vfork` (what `posix_spawn` uses): shared memory,
/// parent suspended until the child execs.
pub const CLONE_VFORK_VM: u64 = (libc::CLONE_VM | libc::CLONE_VFORK) as u64;
/// `futex(2)` op modifier bits: process-private futex, and an absolute
/// timeout measured on `CLOCK_REALTIME` (glibc's `pthread_join` and timed
/// waits). Any other bit in the op is refused.
pub const FUTEX_MODIFIERS: u64 = (libc::FUTEX_PRIVATE_FLAG | libc::FUTEX_CLOCK_REALTIME) as u64;
/// The `futex(2)` op without its modifiers: compared against the commands
/// below.
pub const FUTEX_COMMAND_MASK: u64 = others32(FUTEX_MODIFIERS);
/// `FUTEX_WAIT`: glibc's low-level locks (`lll_lock`) sleep with it.
pub const FUTEX_WAIT: u64 = libc::FUTEX_WAIT as u64;
/// `FUTEX_WAKE`: every unlock, condvar notify and std's thread unpark.
pub const FUTEX_WAKE: u64 = libc::FUTEX_WAKE as u64;
/// `FUTEX_WAIT_BITSET`: std's futex-based `Mutex`/`Condvar`/park with an
/// absolute `CLOCK_MONOTONIC` timeout, glibc's condvars and `pthread_join`.
pub const FUTEX_WAIT_BITSET: u64 = libc::FUTEX_WAIT_BITSET as u64;
/// `mmap(2)`/`mprotect(2)` protection bits that may be asked for: read and
/// write (and none: guard pages). `PROT_EXEC` is refused with EPERM; any
/// other bit (`PROT_GROWSDOWN`, `PROT_SEM`, arch bits) is a violation.
pub const PROT_READ_WRITE: u64 = (libc::PROT_READ | libc::PROT_WRITE) as u64;
/// `mmap(2)`/`mprotect(2)` protection bit for executable memory.
pub const PROT_EXEC: u64 = libc::PROT_EXEC as u64;
/// `mmap(2)` flags that may be asked for: private or shared (the broker's
/// surfaces), anonymous, a thread stack, and glibc's reserve-only arenas.
/// Not `MAP_FIXED` (nothing after the lockdown maps at a fixed address,
/// and it could replace the SIGSYS handler's code), `MAP_HUGETLB`,
/// `MAP_LOCKED`, `MAP_POPULATE`, `MAP_GROWSDOWN`, `MAP_32BIT`, `MAP_SYNC`.
pub const MMAP_FLAGS: u64 = (libc::MAP_SHARED
    | libc::MAP_PRIVATE
    | libc::MAP_ANONYMOUS
    | libc::MAP_STACK
    | libc::MAP_NORESERVE) as u64;
/// `madvise(2)` advice glibc gives for freed memory and dead thread stacks.
pub const MADV_DONTNEED: u64 = libc::MADV_DONTNEED as u64;
/// `mremap(2)` flag `realloc` passes: the block may move. Not
/// `MREMAP_FIXED` or `MREMAP_DONTUNMAP`.
pub const MREMAP_MAYMOVE: u64 = libc::MREMAP_MAYMOVE as u64;
/// The wall clock (`SystemTime::now`, tracing's timestamps, glibc's
/// `nanosleep`).
pub const CLOCK_REALTIME: u64 = libc::CLOCK_REALTIME as u64;
/// The monotonic clock (`Instant::now`, `thread::sleep`).
pub const CLOCK_MONOTONIC: u64 = libc::CLOCK_MONOTONIC as u64;
/// `getrandom(2)` flags std passes (`GRND_INSECURE` for `HashMap` keys,
/// `GRND_NONBLOCK` as its fallback). Not `GRND_RANDOM`.
pub const GETRANDOM_FLAGS: u64 = (libc::GRND_NONBLOCK | libc::GRND_INSECURE) as u64;
/// The file status flag ipc-channel's `try_recv` sets and clears with
/// `F_SETFL`; no other flag (`O_APPEND`, `O_ASYNC`, `O_DIRECT`, ...).
pub const O_NONBLOCK: u64 = libc::O_NONBLOCK as u64;
/// `send`/`sendmsg` flags the renderer uses: `MSG_NOSIGNAL` (rustix's send
/// on the control socket), `MSG_DONTWAIT`, `MSG_EOR` (ipc-channel).
pub const SEND_FLAGS: u64 = (libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT | libc::MSG_EOR) as u64;
/// `recv`/`recvmsg` flags the renderer uses: `MSG_CMSG_CLOEXEC`
/// (ipc-channel), `MSG_TRUNC` (the strict control-socket read),
/// `MSG_PEEK`, `MSG_DONTWAIT`. Not `MSG_ERRQUEUE` or `MSG_OOB`.
pub const RECV_FLAGS: u64 =
    (libc::MSG_CMSG_CLOEXEC | libc::MSG_TRUNC | libc::MSG_PEEK | libc::MSG_DONTWAIT) as u64;
/// The sign bit of a 32-bit fd argument: clear for a real descriptor, set
/// for `AT_FDCWD` (-100).
pub const FD_SIGN_BIT: u64 = 0x8000_0000;
/// The signal seccomp raises for a violation. Its handler may not be
/// replaced, and the renderer may not raise it itself, so the violation
/// line on stderr always comes from the kernel's trap.
pub const SIGSYS: u64 = libc::SIGSYS as u64;
/// The renderer's stderr: a pipe to the broker that carries its `tracing`
/// output and panic messages.
pub const STDERR_FD: u64 = libc::STDERR_FILENO as u64;
/// `sendto(2)` destination address argument that means "the connected peer".
pub const NO_ADDRESS: u64 = 0;
/// `fcntl(2)` command that sets file status flags (ipc-channel toggles
/// `O_NONBLOCK` with it for `try_recv`).
pub const F_SETFL: u64 = libc::F_SETFL as u64;
/// `fcntl(2)` command that reads the descriptor flags. Rust's standard
/// library (debug builds) checks that a descriptor is open before it closes
/// an `OwnedFd`; without this a renderer built in debug mode dies with
/// SIGSYS when it drops its sockets at exit.
pub const F_GETFD: u64 = libc::F_GETFD as u64;
/// `fstatat(2)` flag that makes it operate on the fd itself (how glibc
/// implements `fstat(3)`).
pub const AT_EMPTY_PATH: u64 = libc::AT_EMPTY_PATH as u64;
/// `prctl(2)` option that names the calling thread.
pub const PR_SET_NAME: u64 = libc::PR_SET_NAME as u64;
/// The errno every forbidden-but-probed call gets.
pub const DENY_ERRNO: i32 = libc::EPERM;
/// The errno `clone3` gets, so glibc falls back to `clone`, whose flags a
/// seccomp filter can read (`clone3` passes them in memory it cannot).
pub const FALLBACK_ERRNO: i32 = libc::ENOSYS;

// ---------------------------------------------------------------------------
// Named conditions.

const fn cond(arg: u8, width: Width, cmp: Cmp, value: u64) -> ArgCond {
    ArgCond {
        arg,
        width,
        cmp,
        value: Value::Const(value),
    }
}

/// 32-bit argument `arg` equals `value`.
const fn is(arg: u8, value: u64) -> ArgCond {
    cond(arg, Width::Dword, Cmp::Eq, value)
}

/// 32-bit argument `arg` has no bit outside `bits`.
const fn only_bits(arg: u8, bits: u64) -> ArgCond {
    cond(arg, Width::Dword, Cmp::MaskedEq(others32(bits)), 0)
}

/// 32-bit argument `arg` is not `value`.
const fn is_not(arg: u8, value: u64) -> ArgCond {
    cond(arg, Width::Dword, Cmp::Ne, value)
}

/// The futex op (argument 1) is `command`, with only the allowed modifiers.
const fn futex_op(command: u64) -> ArgCond {
    cond(1, Width::Dword, Cmp::MaskedEq(FUTEX_COMMAND_MASK), command)
}

/// `mmap`/`mprotect` protection (argument 2) asks for executable memory.
const PROT_HAS_EXEC: ArgCond = cond(2, Width::Dword, Cmp::MaskedEq(PROT_EXEC), PROT_EXEC);
/// `mmap`/`mprotect` protection (argument 2) is read/write/none only.
const PROT_IS_DATA: ArgCond = only_bits(2, PROT_READ_WRITE);
/// The first argument (the target pid/tgid) is the renderer itself.
const TARGET_IS_SELF: ArgCond = ArgCond {
    arg: 0,
    width: Width::Dword,
    cmp: Cmp::Eq,
    value: Value::OwnPid,
};
/// The first argument (the target pid/tgid) is anyone else (including
/// 0 and -1, the process-group and broadcast forms of `kill`).
const TARGET_IS_OTHER: ArgCond = ArgCond {
    arg: 0,
    width: Width::Dword,
    cmp: Cmp::Ne,
    value: Value::OwnPid,
};

const fn allow(syscall: Syscall, name: &'static str, reason: &'static str) -> Rule {
    Rule {
        syscall,
        name,
        action: Action::Allow,
        when: &[],
        reason,
    }
}

const fn allow_if(
    syscall: Syscall,
    name: &'static str,
    when: &'static [ArgCond],
    reason: &'static str,
) -> Rule {
    Rule {
        syscall,
        name,
        action: Action::Allow,
        when,
        reason,
    }
}

const fn deny(syscall: Syscall, name: &'static str, reason: &'static str) -> Rule {
    Rule {
        syscall,
        name,
        action: Action::Errno(DENY_ERRNO),
        when: &[],
        reason,
    }
}

const fn deny_if(
    syscall: Syscall,
    name: &'static str,
    when: &'static [ArgCond],
    reason: &'static str,
) -> Rule {
    Rule {
        syscall,
        name,
        action: Action::Errno(DENY_ERRNO),
        when,
        reason,
    }
}

/// The policy. Everything not allowed here is a violation (SIGSYS trap).
pub const RULES: &[Rule] = &[
    // --- IPC with the broker -------------------------------------------
    allow_if(
        libc::SYS_recvmsg,
        "recvmsg",
        &[only_bits(2, RECV_FLAGS)],
        "ipc-channel receives broker messages (and their shared-memory fds) with recvmsg; flags limited to RECV_FLAGS (Chromium does not restrict them)",
    ),
    allow_if(
        libc::SYS_recvfrom,
        "recvfrom",
        &[only_bits(3, RECV_FLAGS)],
        "recv(2): the control socket's strict read (MSG_TRUNC) and ipc-channel's follow-up fragments; flags limited to RECV_FLAGS",
    ),
    allow_if(
        libc::SYS_sendmsg,
        "sendmsg",
        &[only_bits(2, SEND_FLAGS)],
        "ipc-channel senders (MSG_EOR); the renderer holds only connected sockets, which refuse a destination address; flags limited to SEND_FLAGS",
    ),
    allow_if(
        libc::SYS_sendto,
        "sendto",
        &[
            ArgCond {
                arg: 4,
                width: Width::Qword,
                cmp: Cmp::Eq,
                value: Value::Const(NO_ADDRESS),
            },
            only_bits(3, SEND_FLAGS),
        ],
        "send(2) of renderer-to-broker datagrams on fd 3 (MSG_NOSIGNAL); no destination address, so it can reach only the connected broker",
    ),
    #[cfg(target_arch = "x86_64")]
    allow(
        libc::SYS_poll,
        "poll",
        "ipc-channel's try_recv_timeout waits with poll(2); the fds and timeout only make it wait",
    ),
    allow(
        libc::SYS_ppoll,
        "ppoll",
        "poll(2) on architectures without the poll syscall, and libc versions that use ppoll",
    ),
    allow_if(
        libc::SYS_fcntl,
        "fcntl",
        &[is(1, F_SETFL), only_bits(2, O_NONBLOCK)],
        "ipc-channel's try_recv sets and clears O_NONBLOCK with F_SETFL; no other flag (Chromium also allows O_APPEND, O_SYNC, O_NOATIME, ...)",
    ),
    allow_if(
        libc::SYS_fcntl,
        "fcntl",
        &[is(1, F_GETFD)],
        "std's debug assertion that an OwnedFd is open before closing it reads F_GETFD; reveals nothing. No other command (Chromium allows F_DUPFD, F_SETLK, ...)",
    ),
    allow(
        libc::SYS_close,
        "close",
        "dropping received channels and shared-memory fds",
    ),
    allow_if(
        libc::SYS_newfstatat,
        "newfstatat",
        &[is(3, AT_EMPTY_PATH), cond(0, Width::Dword, Cmp::MaskedEq(FD_SIGN_BIT), 0)],
        "glibc's fstat(3) is newfstatat(fd, \"\", AT_EMPTY_PATH): ipc-channel stats every received fd. Only that flag and a real fd (not AT_FDCWD). Looser than Chromium, which traps and rewrites it to fstat after checking the path is empty: a filter cannot read the path, so a non-empty one could stat a name relative to an fd; the renderer holds no directory fds and its root is empty",
    ),
    deny_if(
        libc::SYS_newfstatat,
        "newfstatat",
        &[cond(0, Width::Dword, Cmp::MaskedEq(FD_SIGN_BIT), FD_SIGN_BIT)],
        "a path-taking stat (AT_FDCWD or any negative fd) fails with EPERM, whatever the path: no host path is ever looked up (probes: stat-host-file, stat-proc); the empty root answers the same underneath",
    ),
    allow(
        libc::SYS_fstat,
        "fstat",
        "fstat(3) on libc versions that use the fd-only fstat syscall",
    ),
    // --- Logging ---------------------------------------------------------
    allow_if(
        libc::SYS_write,
        "write",
        &[is(0, STDERR_FD)],
        "tracing and panic messages, and the SIGSYS handler's violation line, on stderr (a pipe to the broker); no other fd",
    ),
    // --- Memory ----------------------------------------------------------
    allow_if(
        libc::SYS_mmap,
        "mmap",
        &[PROT_IS_DATA, only_bits(3, MMAP_FLAGS)],
        "malloc, thread stacks, and mapping the broker's shared-memory surface: read/write protection and MMAP_FLAGS only (Chromium allows PROT_EXEC and MAP_FIXED/MAP_HUGETLB/MAP_POPULATE/...)",
    ),
    deny_if(
        libc::SYS_mmap,
        "mmap",
        &[PROT_HAS_EXEC],
        "no new executable memory (probe: mmap-exec)",
    ),
    allow_if(
        libc::SYS_mprotect,
        "mprotect",
        &[PROT_IS_DATA],
        "glibc grows malloc arenas and sets thread-stack guard pages: read/write/none only (Chromium allows PROT_EXEC)",
    ),
    deny_if(
        libc::SYS_mprotect,
        "mprotect",
        &[PROT_HAS_EXEC],
        "no turning written memory executable",
    ),
    allow(
        libc::SYS_munmap,
        "munmap",
        "free, thread exit, dropping a surface; affects only this process",
    ),
    allow_if(
        libc::SYS_mremap,
        "mremap",
        &[only_bits(3, MREMAP_MAYMOVE)],
        "realloc of large (mmap-backed) blocks: MREMAP_MAYMOVE only (Chromium does not restrict the flags)",
    ),
    allow_if(
        libc::SYS_madvise,
        "madvise",
        &[is(2, MADV_DONTNEED)],
        "glibc returns freed memory and dead thread stacks with MADV_DONTNEED; any other advice traps (Chromium answers EPERM for advice outside DONTNEED/FREE/RANDOM/REMOVE/NORMAL/...)",
    ),
    allow(libc::SYS_brk, "brk", "malloc's main arena; affects only this process"),
    // --- Threads ---------------------------------------------------------
    allow_if(
        libc::SYS_clone,
        "clone",
        &[ArgCond {
            arg: 0,
            width: Width::Qword,
            cmp: Cmp::Eq,
            value: Value::Const(GLIBC_PTHREAD_CLONE_FLAGS),
        }],
        "pthread_create, with exactly glibc's flags (as Chromium); other flags trap",
    ),
    deny_if(
        libc::SYS_clone,
        "clone",
        &[ArgCond {
            arg: 0,
            width: Width::Qword,
            cmp: Cmp::MaskedEq(CLONE_VM_OR_THREAD),
            value: Value::Const(0),
        }],
        "no new processes: a fork-like clone gets EPERM (probe: fork), as in Chromium",
    ),
    deny_if(
        libc::SYS_clone,
        "clone",
        &[ArgCond {
            arg: 0,
            width: Width::Qword,
            cmp: Cmp::MaskedEq(CLONE_VFORK_VM),
            value: Value::Const(CLONE_VFORK_VM),
        }],
        "no new processes: a vfork-like clone (posix_spawn) gets EPERM, as in Chromium",
    ),
    Rule {
        syscall: libc::SYS_clone3,
        name: "clone3",
        action: Action::Errno(FALLBACK_ERRNO),
        when: &[],
        reason: "clone3 passes its flags in memory a filter cannot read: ENOSYS makes glibc fall back to clone",
    },
    allow_if(
        libc::SYS_futex,
        "futex",
        &[futex_op(FUTEX_WAIT)],
        "glibc's low-level locks; only the private/realtime modifiers; no PI, requeue or wake-op (Chromium allows REQUEUE, CMP_REQUEUE, WAKE_OP, WAKE_BITSET too)",
    ),
    allow_if(
        libc::SYS_futex,
        "futex",
        &[futex_op(FUTEX_WAKE)],
        "every unlock, notify, unpark, and the kernel-side wake of pthread_join's tid futex",
    ),
    allow_if(
        libc::SYS_futex,
        "futex",
        &[futex_op(FUTEX_WAIT_BITSET)],
        "std's Mutex/Condvar/park and glibc's condvars and pthread_join wait with a bitset and an absolute timeout",
    ),
    allow(
        libc::SYS_set_robust_list,
        "set_robust_list",
        "glibc registers each new thread's robust mutex list (its own memory only)",
    ),
    allow(
        libc::SYS_rseq,
        "rseq",
        "glibc registers each new thread for restartable sequences (its own memory only)",
    ),
    allow(libc::SYS_gettid, "gettid", "thread ids for logging and glibc internals"),
    allow(
        libc::SYS_getpid,
        "getpid",
        "std::process::id and abort(3) (raise needs its own pid)",
    ),
    allow(
        libc::SYS_sched_getaffinity,
        "sched_getaffinity",
        "std::thread::available_parallelism (pid 0) and glibc's pthread_getattr_np, which std calls for every thread's stack guard and which passes the thread's own tid. Looser than Chromium, which rewrites own-tid calls in its SIGSYS handler: a filter cannot know each thread's tid. Reads only a CPU mask, and inside the renderer's pid namespace every target it can name is one of its own threads",
    ),
    allow(
        libc::SYS_sched_yield,
        "sched_yield",
        "spin-then-yield loops in std and crossbeam",
    ),
    allow_if(
        libc::SYS_prctl,
        "prctl",
        &[is(0, PR_SET_NAME)],
        "std names a thread from inside it (pthread_setname_np → PR_SET_NAME); no other option (PR_SET_DUMPABLE would undo a layer; Chromium also allows PR_GET_NAME, PR_GET_DUMPABLE, ...)",
    ),
    allow(libc::SYS_exit, "exit", "a thread ends"),
    allow(libc::SYS_exit_group, "exit_group", "the process ends (also the SIGSYS handler's exit)"),
    // --- Signals ---------------------------------------------------------
    allow(
        libc::SYS_rt_sigprocmask,
        "rt_sigprocmask",
        "pthread_create blocks signals around clone. A renderer that blocks SIGSYS gains nothing: the kernel kills a thread whose forced SIGSYS is blocked",
    ),
    allow_if(
        libc::SYS_rt_sigaction,
        "rt_sigaction",
        &[is_not(0, SIGSYS)],
        "abort(3) resets SIGABRT, std installs its stack-overflow handler; never for SIGSYS, whose violation handler must stay (tighter than Chromium, which allows any)",
    ),
    allow(
        libc::SYS_rt_sigreturn,
        "rt_sigreturn",
        "returning from a signal handler (std's stack-overflow handler)",
    ),
    allow(
        libc::SYS_sigaltstack,
        "sigaltstack",
        "std gives each thread an alternate signal stack for stack-overflow reports",
    ),
    allow_if(
        libc::SYS_kill,
        "kill",
        &[TARGET_IS_SELF, is_not(1, SIGSYS)],
        "signals to the renderer itself, but not SIGSYS (only the kernel's trap raises it); signals to anyone else get EPERM below",
    ),
    deny_if(
        libc::SYS_kill,
        "kill",
        &[TARGET_IS_OTHER],
        "no signals to other processes (probe: signal-broker)",
    ),
    allow_if(
        libc::SYS_tgkill,
        "tgkill",
        &[TARGET_IS_SELF, is_not(2, SIGSYS)],
        "raise(3)/abort(3) signal the calling thread, but not with SIGSYS; other thread groups get EPERM below",
    ),
    deny_if(
        libc::SYS_tgkill,
        "tgkill",
        &[TARGET_IS_OTHER],
        "no signals to other processes' threads",
    ),
    // --- Time, randomness, restarts --------------------------------------
    allow_if(
        libc::SYS_clock_gettime,
        "clock_gettime",
        &[is(0, CLOCK_REALTIME)],
        "SystemTime::now; normally the vDSO answers without a syscall, but VMs with an unstable clocksource fall back to it",
    ),
    allow_if(
        libc::SYS_clock_gettime,
        "clock_gettime",
        &[is(0, CLOCK_MONOTONIC)],
        "Instant::now (vDSO fallback as above); no other clock (Chromium also allows the coarse, raw, boottime and own-CPU clocks)",
    ),
    allow_if(
        libc::SYS_clock_nanosleep,
        "clock_nanosleep",
        &[is(0, CLOCK_MONOTONIC)],
        "std::thread::sleep",
    ),
    allow_if(
        libc::SYS_clock_nanosleep,
        "clock_nanosleep",
        &[is(0, CLOCK_REALTIME)],
        "glibc's nanosleep(3); no other clock (as Chromium's clock-id check, with fewer ids)",
    ),
    allow_if(
        libc::SYS_getrandom,
        "getrandom",
        &[only_bits(2, GETRANDOM_FLAGS)],
        "HashMap's RandomState seeds: GRND_INSECURE or GRND_NONBLOCK, never GRND_RANDOM (as Chromium)",
    ),
    allow(
        libc::SYS_restart_syscall,
        "restart_syscall",
        "the kernel restarts an interrupted poll/sleep after SIGSTOP/SIGCONT",
    ),
    // --- Forbidden but probed: fail with EPERM so the self-test can report
    #[cfg(target_arch = "x86_64")]
    deny(libc::SYS_open, "open", "no files (probe: open-file-for-reading)"),
    deny(
        libc::SYS_openat,
        "openat",
        "no files (probes: open-file-for-reading, create-file)",
    ),
    deny(libc::SYS_openat2, "openat2", "no files (as openat)"),
    #[cfg(target_arch = "x86_64")]
    deny(libc::SYS_creat, "creat", "no files (as openat)"),
    deny(
        libc::SYS_socket,
        "socket",
        "no new sockets (probes: tcp-socket, connect-x11-socket, connect-abstract-socket)",
    ),
    deny(
        libc::SYS_socketpair,
        "socketpair",
        "no new sockets; ipc-channel asks for one to fragment a huge message, which then fails with an error instead of a violation",
    ),
    deny(
        libc::SYS_connect,
        "connect",
        "no connections, including path sockets (X11) that Landlock ABI <= 8 cannot stop",
    ),
    deny(libc::SYS_execve, "execve", "no new programs (probe: exec)"),
    deny(libc::SYS_execveat, "execveat", "no new programs"),
    #[cfg(target_arch = "x86_64")]
    deny(libc::SYS_fork, "fork", "no new processes"),
    #[cfg(target_arch = "x86_64")]
    deny(libc::SYS_vfork, "vfork", "no new processes"),
    deny(libc::SYS_ptrace, "ptrace", "no debugging other processes (probe: ptrace)"),
    deny(
        libc::SYS_process_vm_readv,
        "process_vm_readv",
        "no reading other processes' memory",
    ),
    deny(
        libc::SYS_process_vm_writev,
        "process_vm_writev",
        "no writing other processes' memory",
    ),
    deny(libc::SYS_unshare, "unshare", "no new namespaces (probe: unshare)"),
    // --- Forbidden, not probed, but refused gently: std asks for these
    // while printing a panic's backtrace (RUST_BACKTRACE); EPERM lets the
    // panic message out and the renderer exit 101 instead of a violation
    // mid-message. (Its attempts to open its own binary for symbols get
    // openat's EPERM above.)
    deny(
        libc::SYS_getcwd,
        "getcwd",
        "backtrace printing shortens paths against the cwd; the renderer has no business knowing it",
    ),
    #[cfg(target_arch = "x86_64")]
    deny(
        libc::SYS_readlink,
        "readlink",
        "backtrace symbolization reads /proc/self/exe; no filesystem reads",
    ),
    deny(
        libc::SYS_readlinkat,
        "readlinkat",
        "readlink(2) on architectures without it; no filesystem reads",
    ),
];

/// The figures the docs quote, computed from a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyCounts {
    /// Lines in the table.
    pub rules: usize,
    /// Distinct calls with at least one `Allow` line.
    pub allowed_calls: usize,
    /// Of those, the calls allowed only under argument conditions.
    pub argument_checked_calls: usize,
    /// Distinct calls with `Errno` lines and no `Allow` line: they always
    /// fail with an errno.
    pub errno_only_calls: usize,
}

impl std::fmt::Display for PolicyCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} allowed calls ({} with argument checks), {} errno-only, {} rules",
            self.allowed_calls, self.argument_checked_calls, self.errno_only_calls, self.rules
        )
    }
}

/// [`PolicyCounts`] of [`RULES`] ("N allowed calls, M errno-only").
pub fn counts() -> PolicyCounts {
    counts_of(RULES)
}

/// [`PolicyCounts`] of any table.
pub fn counts_of(rules: &[Rule]) -> PolicyCounts {
    use std::collections::BTreeSet;
    let allowed: BTreeSet<Syscall> = rules
        .iter()
        .filter(|r| r.action == Action::Allow)
        .map(|r| r.syscall)
        .collect();
    let unconditional: BTreeSet<Syscall> = rules
        .iter()
        .filter(|r| r.action == Action::Allow && r.when.is_empty())
        .map(|r| r.syscall)
        .collect();
    let errno: BTreeSet<Syscall> = rules
        .iter()
        .filter(|r| r.action != Action::Allow)
        .map(|r| r.syscall)
        .collect();
    PolicyCounts {
        rules: rules.len(),
        allowed_calls: allowed.len(),
        argument_checked_calls: allowed.difference(&unconditional).count(),
        errno_only_calls: errno.difference(&allowed).count(),
    }
}

/// Calls that must never be allowed, whatever the table says; the unit tests
/// hold [`RULES`] to this list.
pub const NEVER_ALLOWED: &[(Syscall, &str)] = &[
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_open, "open"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_creat, "creat"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_fork, "fork"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_vfork, "vfork"),
    (libc::SYS_openat, "openat"),
    (libc::SYS_openat2, "openat2"),
    (libc::SYS_execve, "execve"),
    (libc::SYS_execveat, "execveat"),
    (libc::SYS_clone3, "clone3"),
    (libc::SYS_ptrace, "ptrace"),
    (libc::SYS_socket, "socket"),
    (libc::SYS_socketpair, "socketpair"),
    (libc::SYS_connect, "connect"),
    (libc::SYS_bind, "bind"),
    (libc::SYS_listen, "listen"),
    (libc::SYS_accept4, "accept4"),
    (libc::SYS_unshare, "unshare"),
    (libc::SYS_setns, "setns"),
    (libc::SYS_process_vm_readv, "process_vm_readv"),
    (libc::SYS_process_vm_writev, "process_vm_writev"),
    (libc::SYS_bpf, "bpf"),
    (libc::SYS_mount, "mount"),
    (libc::SYS_pivot_root, "pivot_root"),
    (libc::SYS_chroot, "chroot"),
    (libc::SYS_seccomp, "seccomp"),
    (libc::SYS_memfd_create, "memfd_create"),
    (libc::SYS_pkey_mprotect, "pkey_mprotect"),
    (libc::SYS_personality, "personality"),
    (libc::SYS_userfaultfd, "userfaultfd"),
    (libc::SYS_perf_event_open, "perf_event_open"),
    (libc::SYS_io_uring_setup, "io_uring_setup"),
    (libc::SYS_keyctl, "keyctl"),
    (libc::SYS_add_key, "add_key"),
    (libc::SYS_init_module, "init_module"),
    (libc::SYS_finit_module, "finit_module"),
    (libc::SYS_kexec_load, "kexec_load"),
    (libc::SYS_setuid, "setuid"),
    (libc::SYS_setgid, "setgid"),
    (libc::SYS_pidfd_open, "pidfd_open"),
    (libc::SYS_pidfd_send_signal, "pidfd_send_signal"),
    (libc::SYS_pidfd_getfd, "pidfd_getfd"),
    // Chromium traps tkill; glibc signals threads with tgkill.
    (libc::SYS_tkill, "tkill"),
    (libc::SYS_rt_sigqueueinfo, "rt_sigqueueinfo"),
    (libc::SYS_rt_tgsigqueueinfo, "rt_tgsigqueueinfo"),
    (libc::SYS_futex_waitv, "futex_waitv"),
    (libc::SYS_clock_getres, "clock_getres"),
    (libc::SYS_clock_settime, "clock_settime"),
    (libc::SYS_getcwd, "getcwd"),
    (libc::SYS_readlinkat, "readlinkat"),
    // Harmless, but unlisted on purpose: the integration tests call it to
    // prove that an unlisted call kills.
    (libc::SYS_uname, "uname"),
    (libc::SYS_wait4, "wait4"),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn every_rule_has_a_reason_and_a_name() {
        for rule in RULES {
            assert!(
                rule.reason.trim().len() >= 10,
                "{}: reason too thin",
                rule.name
            );
            assert!(!rule.name.is_empty());
        }
    }

    #[test]
    fn no_rule_is_listed_twice() {
        let mut seen = HashSet::new();
        for rule in RULES {
            assert!(
                seen.insert((rule.syscall, rule.action, rule.when)),
                "{} listed twice",
                rule.name
            );
        }
    }

    #[test]
    fn names_match_numbers() {
        let mut names: HashMap<Syscall, &str> = HashMap::new();
        for rule in RULES {
            let name = *names.entry(rule.syscall).or_insert(rule.name);
            assert_eq!(name, rule.name, "syscall {} has two names", rule.syscall);
        }
        assert_eq!(
            names.len(),
            names.values().collect::<HashSet<_>>().len(),
            "two syscalls share a name"
        );
    }

    #[test]
    fn forbidden_calls_are_never_allowed() {
        for &(syscall, name) in NEVER_ALLOWED {
            assert!(
                !RULES
                    .iter()
                    .any(|r| r.syscall == syscall && r.action == Action::Allow),
                "{name} is allowed"
            );
        }
    }

    /// The shape the compiler relies on: a call has at most one errno
    /// (stacked errno filters of the same rank would answer in install
    /// order, not table order).
    #[test]
    fn a_call_has_at_most_one_errno() {
        let mut errnos: HashMap<Syscall, HashSet<i32>> = HashMap::new();
        for rule in RULES {
            if let Action::Errno(e) = rule.action {
                errnos.entry(rule.syscall).or_default().insert(e);
            }
        }
        for (syscall, set) in errnos {
            assert_eq!(set.len(), 1, "syscall {syscall} has several errnos");
        }
    }

    /// Every allowed call but the ones whose arguments cannot reach beyond
    /// the process is argument-checked, and the counts add up.
    #[test]
    fn counts_come_from_the_table() {
        let c = counts();
        assert_eq!(c.rules, RULES.len());
        let names: HashSet<&str> = RULES
            .iter()
            .filter(|r| r.action == Action::Allow)
            .map(|r| r.name)
            .collect();
        assert_eq!(c.allowed_calls, names.len());
        assert!(c.argument_checked_calls >= 20, "{c}");
        // open, openat, openat2, creat, socket, socketpair, connect, execve,
        // execveat, fork, vfork, ptrace, process_vm_readv/writev, unshare, getcwd,
        // readlink, readlinkat, clone3 (x86_64).
        #[cfg(target_arch = "x86_64")]
        assert_eq!(c.errno_only_calls, 19, "{c}");
        assert!(c.to_string().contains(" allowed calls ("), "{c}");
        assert!(c.to_string().contains(" errno-only"), "{c}");
    }

    /// The values a filter compares with are what glibc and the kernel
    /// use: a typo in a mask would silently widen a rule.
    #[test]
    fn masks_mean_what_they_say() {
        assert_eq!(GLIBC_PTHREAD_CLONE_FLAGS, 0x003d_0f00);
        assert_eq!(FUTEX_COMMAND_MASK, 0xffff_fe7f);
        assert_eq!(others32(PROT_READ_WRITE), 0xffff_fffc);
        assert_eq!(FD_SIGN_BIT as u32 as i32, i32::MIN);
        assert_eq!(libc::AT_FDCWD as u32 as u64 & FD_SIGN_BIT, FD_SIGN_BIT);
    }

    /// Every probe's system call answers EPERM (and nothing else does
    /// besides clone3's ENOSYS).
    #[test]
    fn probed_calls_are_denied_with_eperm() {
        let probed: &[Syscall] = &[
            libc::SYS_openat,
            libc::SYS_socket,
            libc::SYS_connect,
            libc::SYS_clone,
            libc::SYS_execve,
            libc::SYS_ptrace,
            libc::SYS_kill,
            libc::SYS_unshare,
            libc::SYS_mmap,
            libc::SYS_process_vm_readv,
            libc::SYS_process_vm_writev,
        ];
        for &syscall in probed {
            assert!(
                RULES
                    .iter()
                    .any(|r| r.syscall == syscall && r.action == Action::Errno(libc::EPERM)),
                "syscall {syscall} has no EPERM rule"
            );
        }
        for rule in RULES {
            match rule.action {
                Action::Allow | Action::Errno(libc::EPERM) => {}
                Action::Errno(libc::ENOSYS) => assert_eq!(rule.syscall, libc::SYS_clone3),
                Action::Errno(e) => panic!("{}: unexpected errno {e}", rule.name),
            }
        }
    }

    #[test]
    fn the_list_stays_small() {
        let allowed: HashSet<Syscall> = RULES
            .iter()
            .filter(|r| r.action == Action::Allow)
            .map(|r| r.syscall)
            .collect();
        assert!(allowed.len() <= 40, "{} calls allowed", allowed.len());
    }
}
