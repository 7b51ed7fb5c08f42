//! The renderer's seccomp policy, as data.
//!
//! This table is the whole policy: every system call a locked-down renderer
//! may make, every forbidden call that fails with an errno (so the self-test
//! probes survive to report it), and a reason for each line. Anything not in
//! the table kills the process (`SECCOMP_RET_KILL_PROCESS`, seen by the
//! broker as death by `SIGSYS`). [`crate::seccomp`] compiles it; reviewers
//! read it here (or in `workshop sandbox-report`, which prints [`RULES`]).
//!
//! How to read a line: `syscall` is the call, `action` what happens when the
//! call matches every condition in `when` (an empty `when` matches always).
//! Several lines for one call and action are alternatives (OR). For a call
//! that has both `Allow` and `Errno` lines, the `Allow` line is unconditional
//! and the `Errno` lines carve out the forbidden cases (e.g. `mmap` is allowed
//! except with `PROT_EXEC`); a unit test holds the table to that shape.
//!
//! Argument values are named constants below, each saying what it means.

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
// Named argument values.

/// `clone(2)` flag: the child shares the caller's thread group, i.e. it is a
/// thread, not a process.
pub const CLONE_THREAD: u64 = libc::CLONE_THREAD as u64;
/// `mmap(2)`/`mprotect(2)` protection bit for executable memory.
pub const PROT_EXEC: u64 = libc::PROT_EXEC as u64;
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

/// `clone` flags lack `CLONE_THREAD`: a new process.
const IS_NOT_THREAD: ArgCond = ArgCond {
    arg: 0,
    width: Width::Qword,
    cmp: Cmp::MaskedEq(CLONE_THREAD),
    value: Value::Const(0),
};
/// `mmap`/`mprotect` protection (argument 2) asks for executable memory.
const PROT_HAS_EXEC: ArgCond = ArgCond {
    arg: 2,
    width: Width::Dword,
    cmp: Cmp::MaskedEq(PROT_EXEC),
    value: Value::Const(PROT_EXEC),
};
/// The first argument (the target pid/tgid/tid) is anyone else (including
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

/// The policy. Everything not listed kills the renderer.
pub const RULES: &[Rule] = &[
    // --- IPC with the broker -------------------------------------------
    allow(
        libc::SYS_recvmsg,
        "recvmsg",
        "ipc-channel receives broker messages (and their shared-memory fds) with recvmsg",
    ),
    allow(
        libc::SYS_recvfrom,
        "recvfrom",
        "ipc-channel reads the follow-up fragments of a large message with recv(2)",
    ),
    allow(
        libc::SYS_sendmsg,
        "sendmsg",
        "ipc-channel senders; the renderer holds only connected sockets, which refuse a destination address",
    ),
    allow_if(
        libc::SYS_sendto,
        "sendto",
        &[ArgCond {
            arg: 4,
            width: Width::Qword,
            cmp: Cmp::Eq,
            value: Value::Const(NO_ADDRESS),
        }],
        "send(2) of renderer-to-broker datagrams on fd 3; no destination address, so it can reach only the connected broker",
    ),
    #[cfg(target_arch = "x86_64")]
    allow(
        libc::SYS_poll,
        "poll",
        "ipc-channel's try_recv_timeout waits with poll(2)",
    ),
    allow(
        libc::SYS_ppoll,
        "ppoll",
        "poll(2) on architectures without the poll syscall, and libc versions that use ppoll",
    ),
    allow_if(
        libc::SYS_fcntl,
        "fcntl",
        &[ArgCond {
            arg: 1,
            width: Width::Dword,
            cmp: Cmp::Eq,
            value: Value::Const(F_SETFL),
        }],
        "ipc-channel's try_recv sets and clears O_NONBLOCK with F_SETFL; no other command",
    ),
    allow_if(
        libc::SYS_fcntl,
        "fcntl",
        &[ArgCond {
            arg: 1,
            width: Width::Dword,
            cmp: Cmp::Eq,
            value: Value::Const(F_GETFD),
        }],
        "std's debug assertion that an OwnedFd is open before closing it reads F_GETFD; reveals nothing",
    ),
    allow(
        libc::SYS_close,
        "close",
        "dropping received channels and shared-memory fds",
    ),
    allow_if(
        libc::SYS_newfstatat,
        "newfstatat",
        &[ArgCond {
            arg: 3,
            width: Width::Dword,
            cmp: Cmp::Eq,
            value: Value::Const(AT_EMPTY_PATH),
        }],
        "glibc's fstat(3): ipc-channel stats every received fd (socket or shared memory, and its size); only the AT_EMPTY_PATH form (metadata only: Landlock does not cover stat, so a path here could still reveal a file's metadata, never its content)",
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
        &[ArgCond {
            arg: 0,
            width: Width::Dword,
            cmp: Cmp::Eq,
            value: Value::Const(STDERR_FD),
        }],
        "tracing and panic messages on stderr (a pipe to the broker); no other fd",
    ),
    // --- Memory ----------------------------------------------------------
    allow(
        libc::SYS_mmap,
        "mmap",
        "malloc, thread stacks, and mapping the broker's shared-memory surface; PROT_EXEC is refused below",
    ),
    deny_if(
        libc::SYS_mmap,
        "mmap",
        &[PROT_HAS_EXEC],
        "no new executable memory (probe: mmap-exec)",
    ),
    allow(
        libc::SYS_mprotect,
        "mprotect",
        "glibc grows malloc arenas and sets thread-stack guard pages; PROT_EXEC is refused below",
    ),
    deny_if(
        libc::SYS_mprotect,
        "mprotect",
        &[PROT_HAS_EXEC],
        "no turning written memory executable",
    ),
    allow(libc::SYS_munmap, "munmap", "free, thread exit, dropping a surface"),
    allow(
        libc::SYS_mremap,
        "mremap",
        "realloc of large (mmap-backed) blocks",
    ),
    allow(
        libc::SYS_madvise,
        "madvise",
        "glibc returns freed memory and dead thread stacks (MADV_DONTNEED); affects only this process",
    ),
    allow(libc::SYS_brk, "brk", "malloc's main arena"),
    // --- Threads ---------------------------------------------------------
    allow(
        libc::SYS_clone,
        "clone",
        "pthread_create; a clone without CLONE_THREAD (a new process) is refused below",
    ),
    deny_if(
        libc::SYS_clone,
        "clone",
        &[IS_NOT_THREAD],
        "no new processes (probe: fork); namespace flags need CAP_SYS_ADMIN the renderer lacks, and CLONE_NEWUSER/CLONE_NEWPID with CLONE_THREAD are EINVAL",
    ),
    Rule {
        syscall: libc::SYS_clone3,
        name: "clone3",
        action: Action::Errno(FALLBACK_ERRNO),
        when: &[],
        reason: "clone3 passes its flags in memory a filter cannot read: ENOSYS makes glibc fall back to clone",
    },
    allow(libc::SYS_futex, "futex", "mutexes, condition variables, thread join"),
    allow(
        libc::SYS_set_robust_list,
        "set_robust_list",
        "glibc registers each new thread's robust mutex list",
    ),
    allow(libc::SYS_rseq, "rseq", "glibc registers each new thread for restartable sequences"),
    allow(libc::SYS_gettid, "gettid", "thread ids for logging and glibc internals"),
    allow(
        libc::SYS_getpid,
        "getpid",
        "std::process::id and abort(3) (raise needs its own pid)",
    ),
    allow(
        libc::SYS_sched_getaffinity,
        "sched_getaffinity",
        "std::thread::available_parallelism",
    ),
    allow(libc::SYS_sched_yield, "sched_yield", "spin-then-yield loops in std and crossbeam"),
    allow_if(
        libc::SYS_prctl,
        "prctl",
        &[ArgCond {
            arg: 0,
            width: Width::Dword,
            cmp: Cmp::Eq,
            value: Value::Const(PR_SET_NAME),
        }],
        "std names a thread from inside it (pthread_setname_np → PR_SET_NAME); no other option (PR_SET_DUMPABLE would undo a layer)",
    ),
    allow(libc::SYS_exit, "exit", "a thread ends"),
    allow(libc::SYS_exit_group, "exit_group", "the process ends"),
    // --- Signals ---------------------------------------------------------
    allow(
        libc::SYS_rt_sigprocmask,
        "rt_sigprocmask",
        "pthread_create blocks signals around clone",
    ),
    allow(
        libc::SYS_rt_sigaction,
        "rt_sigaction",
        "abort(3) resets SIGABRT to its default action",
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
    allow(
        libc::SYS_kill,
        "kill",
        "signals to the renderer itself; signals to anyone else are refused below",
    ),
    deny_if(
        libc::SYS_kill,
        "kill",
        &[TARGET_IS_OTHER],
        "no signals to other processes (probe: signal-broker)",
    ),
    allow(
        libc::SYS_tgkill,
        "tgkill",
        "raise(3)/abort(3) signal the calling thread; other thread groups are refused below",
    ),
    deny_if(
        libc::SYS_tgkill,
        "tgkill",
        &[TARGET_IS_OTHER],
        "no signals to other processes' threads",
    ),
    allow(
        libc::SYS_tkill,
        "tkill",
        "legacy per-thread signal to the main thread (whose tid is the pid); anyone else is refused below",
    ),
    deny_if(
        libc::SYS_tkill,
        "tkill",
        &[TARGET_IS_OTHER],
        "no per-thread signals to anyone else",
    ),
    // --- Time, randomness, restarts --------------------------------------
    allow(
        libc::SYS_clock_gettime,
        "clock_gettime",
        "Instant::now; normally the vDSO answers, but VMs with an unstable clocksource fall back to the syscall",
    ),
    allow(
        libc::SYS_clock_nanosleep,
        "clock_nanosleep",
        "std::thread::sleep (glibc's nanosleep)",
    ),
    allow(
        libc::SYS_getrandom,
        "getrandom",
        "HashMap's RandomState seeds",
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
        "no new sockets; ipc-channel asks for one to fragment a huge message, which then fails with an error instead of a silent kill",
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
    // panic message out and the renderer exit 101 instead of dying by SIGSYS
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

    /// The shape the compiler relies on: a call with errno rules has one
    /// errno, and its allow rule (if any) is unconditional, so the errno
    /// rules alone say what is refused.
    #[test]
    fn mixed_calls_have_an_unconditional_allow_and_one_errno() {
        let mut errnos: HashMap<Syscall, HashSet<i32>> = HashMap::new();
        for rule in RULES {
            if let Action::Errno(e) = rule.action {
                errnos.entry(rule.syscall).or_default().insert(e);
            }
        }
        for rule in RULES {
            if let Some(set) = errnos.get(&rule.syscall) {
                assert_eq!(set.len(), 1, "{} has several errnos", rule.name);
                if rule.action == Action::Allow {
                    assert!(rule.when.is_empty(), "{}: conditional allow", rule.name);
                }
            }
        }
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
