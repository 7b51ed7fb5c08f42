//! Seccomp-bpf: the last and tightest layer, a syscall allowlist.
//!
//! [`crate::seccomp_policy::RULES`] compiles to stacked filters (the kernel
//! runs every installed filter on every call and takes the most severe
//! answer: `KILL_PROCESS` > `TRAP` > `ERRNO` > `ALLOW`):
//!
//! 1. one filter per errno in the table (`EPERM` for the probed forbidden
//!    calls, `ENOSYS` for `clone3`), each failing the calls that match one
//!    of its rules and allowing everything else;
//! 2. the allowlist, installed last, which allows a call that matches any
//!    rule of the table (an `Allow` rule, or an errno rule so the errno
//!    filter's answer stands) and traps anything else (`SECCOMP_RET_TRAP`:
//!    `SIGSYS`, whose handler [`crate::violation`] reports the call and
//!    exits). A call from another architecture's ABI kills the process.
//!
//! The stack is all or nothing: [`install`] stops at the first filter the
//! kernel refuses and says how many went in, and the lockdown treats any
//! failure as fatal in every confined mode (a stack without its allowlist
//! would allow everything but the errno calls).
//!
//! Installed without `SECCOMP_FILTER_FLAG_TSYNC`: filters apply to the
//! calling thread and the threads it creates later, and the lockdown checks
//! the renderer is single-threaded first. The renderer's own pid is written
//! into the filter (the `kill`/`tgkill`/`tkill` targets it may signal), so
//! compile in the process that installs it.

use std::collections::{BTreeMap, BTreeSet};

use seccompiler::{
    BackendError, BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition,
    SeccompFilter, SeccompRule, TargetArch,
};
use workshop_common::sandbox_report::{Layer, LayerState, LayerStatus};

use crate::seccomp_policy::{Action, ArgCond, Cmp, Rule, Syscall, Value, Width, RULES};

/// Which part of the stack a filter is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Fails the matching calls with this errno, allows the rest.
    Errno(i32),
    /// Allows the listed calls, traps anything else.
    Allowlist,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stage::Errno(errno) => write!(f, "errno-{errno}"),
            Stage::Allowlist => f.write_str("allowlist"),
        }
    }
}

/// One compiled filter.
#[derive(Clone, Debug)]
pub struct Filter {
    /// Its place in the stack.
    pub stage: Stage,
    /// The BPF program.
    pub program: BpfProgram,
}

/// The policy compiled for one process, ready to install.
#[derive(Clone, Debug)]
pub struct CompiledPolicy {
    /// The filters, in installation order (allowlist last).
    pub filters: Vec<Filter>,
    /// The number of rules they encode.
    pub rules: usize,
}

/// Why the seccomp layer could not be built or installed.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    /// seccompiler does not know this CPU architecture.
    #[error("unsupported architecture: {0}")]
    Arch(#[source] BackendError),
    /// A rule's condition is malformed (a bug in the table).
    #[error("rule for {name}: {source}")]
    Condition {
        /// The syscall's name.
        name: &'static str,
        /// What seccompiler said.
        #[source]
        source: BackendError,
    },
    /// A filter could not be assembled.
    #[error("building the {stage} filter: {source}")]
    Filter {
        /// Which filter.
        stage: Stage,
        /// What seccompiler said.
        #[source]
        source: BackendError,
    },
    /// A filter could not be compiled to BPF.
    #[error("compiling the {stage} filter: {source}")]
    Compile {
        /// Which filter.
        stage: Stage,
        /// What seccompiler said.
        #[source]
        source: BackendError,
    },
    /// The kernel refused a filter.
    #[error("installing the {stage} filter ({installed} installed before it): {source}")]
    Install {
        /// Which filter.
        stage: Stage,
        /// How many filters were installed before this one.
        installed: usize,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
}

impl SeccompError {
    /// The errno behind the failure (`EINVAL` for build errors).
    pub fn errno(&self) -> i32 {
        match self {
            SeccompError::Install { source, .. } => source.raw_os_error().unwrap_or(libc::EINVAL),
            _ => libc::EINVAL,
        }
    }

    /// How many filters were installed before the failure.
    pub fn installed(&self) -> usize {
        match self {
            SeccompError::Install { installed, .. } => *installed,
            _ => 0,
        }
    }
}

/// Compiles [`RULES`] for the process whose pid is `own_pid`.
pub fn compile(own_pid: u32) -> Result<CompiledPolicy, SeccompError> {
    compile_rules(RULES, own_pid)
}

/// Compiles `rules` (the table's shape: see [`crate::seccomp_policy`]).
pub fn compile_rules(rules: &[Rule], own_pid: u32) -> Result<CompiledPolicy, SeccompError> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(SeccompError::Arch)?;
    let errnos: BTreeSet<i32> = rules
        .iter()
        .filter_map(|r| match r.action {
            Action::Errno(errno) => Some(errno),
            Action::Allow => None,
        })
        .collect();

    let mut filters = Vec::with_capacity(errnos.len() + 1);
    for errno in errnos {
        let stage = Stage::Errno(errno);
        let chosen = rules.iter().filter(|r| r.action == Action::Errno(errno));
        let map = rule_map(chosen, own_pid)?;
        let errno_data = u32::try_from(errno).unwrap_or(libc::EPERM as u32);
        let filter = SeccompFilter::new(
            map,
            SeccompAction::Allow,
            SeccompAction::Errno(errno_data),
            arch,
        )
        .map_err(|source| SeccompError::Filter { stage, source })?;
        filters.push(Filter {
            stage,
            program: BpfProgram::try_from(filter)
                .map_err(|source| SeccompError::Compile { stage, source })?,
        });
    }

    // A call matching any rule passes the allowlist: an errno rule's match
    // is then answered by its errno filter (ERRNO outranks ALLOW), an allow
    // rule's is made. Anything else traps.
    let stage = Stage::Allowlist;
    let map = rule_map(rules.iter(), own_pid)?;
    let filter = SeccompFilter::new(map, SeccompAction::Trap, SeccompAction::Allow, arch)
        .map_err(|source| SeccompError::Filter { stage, source })?;
    filters.push(Filter {
        stage,
        program: BpfProgram::try_from(filter)
            .map_err(|source| SeccompError::Compile { stage, source })?,
    });

    Ok(CompiledPolicy {
        filters,
        rules: rules.len(),
    })
}

/// Groups `rules` by syscall for seccompiler: an empty vector matches the
/// call unconditionally (some rule has no condition), otherwise any one
/// rule (all its conditions) must match.
fn rule_map<'a>(
    rules: impl Iterator<Item = &'a Rule>,
    own_pid: u32,
) -> Result<BTreeMap<Syscall, Vec<SeccompRule>>, SeccompError> {
    // `None` marks a call matched unconditionally.
    let mut grouped: BTreeMap<Syscall, Option<Vec<SeccompRule>>> = BTreeMap::new();
    for rule in rules {
        let syscall = rule.syscall;
        if rule.when.is_empty() {
            grouped.insert(syscall, None);
            continue;
        }
        let conditions = rule
            .when
            .iter()
            .map(|c| condition(c, own_pid))
            .collect::<Result<Vec<_>, _>>()
            .and_then(SeccompRule::new)
            .map_err(|source| SeccompError::Condition {
                name: rule.name,
                source,
            })?;
        if let Some(list) = grouped.entry(syscall).or_insert_with(|| Some(Vec::new())) {
            list.push(conditions);
        }
    }
    Ok(grouped
        .into_iter()
        .map(|(syscall, rules)| (syscall, rules.unwrap_or_default()))
        .collect())
}

fn condition(c: &ArgCond, own_pid: u32) -> Result<SeccompCondition, BackendError> {
    let value = match c.value {
        Value::Const(v) => v,
        Value::OwnPid => u64::from(own_pid),
    };
    let width = match c.width {
        Width::Dword => SeccompCmpArgLen::Dword,
        Width::Qword => SeccompCmpArgLen::Qword,
    };
    let op = match c.cmp {
        Cmp::Eq => SeccompCmpOp::Eq,
        Cmp::Ne => SeccompCmpOp::Ne,
        Cmp::MaskedEq(mask) => SeccompCmpOp::MaskedEq(mask),
    };
    SeccompCondition::new(c.arg, width, op, value)
}

/// Installs `policy` on the calling thread, allowlist last. After this the
/// thread can make only the calls in the table; install the SIGSYS handler
/// ([`crate::violation::install_handler`]) first. On error the stack may be
/// partial ([`SeccompError::installed`] filters in): the caller must not
/// let the process go on to handle content.
pub fn install(policy: &CompiledPolicy) -> Result<LayerStatus, SeccompError> {
    for (installed, filter) in policy.filters.iter().enumerate() {
        seccompiler::apply_filter(&filter.program).map_err(|e| SeccompError::Install {
            stage: filter.stage,
            installed,
            source: match e {
                seccompiler::Error::Seccomp(io) | seccompiler::Error::Prctl(io) => io,
                other => std::io::Error::other(other.to_string()),
            },
        })?;
    }
    Ok(LayerStatus {
        layer: Layer::Seccomp,
        state: LayerState::Active,
        detail: u32::try_from(policy.rules).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests {
    //! The compiled filters, run through a small interpreter of the BPF
    //! subset seccompiler emits, combined the way the kernel combines
    //! stacked filters.
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::seccomp_policy::GLIBC_PTHREAD_CLONE_FLAGS;
    use seccompiler::sock_filter;

    const RET_KILL_PROCESS: u32 = 0x8000_0000;
    const RET_TRAP: u32 = 0x0003_0000;
    const RET_ERRNO: u32 = 0x0005_0000;
    const RET_ALLOW: u32 = 0x7fff_0000;
    const OWN_PID: u32 = 1;

    #[cfg(target_arch = "x86_64")]
    const AUDIT_ARCH: u32 = 0xc000_003e;
    #[cfg(target_arch = "aarch64")]
    const AUDIT_ARCH: u32 = 0xc000_00b7;

    /// `struct seccomp_data` as the filter sees it.
    fn data(nr: libc::c_long, args: [u64; 6]) -> Vec<u8> {
        let mut d = Vec::with_capacity(64);
        d.extend_from_slice(&(nr as i32).to_le_bytes());
        d.extend_from_slice(&AUDIT_ARCH.to_le_bytes());
        d.extend_from_slice(&0u64.to_le_bytes());
        for a in args {
            d.extend_from_slice(&a.to_le_bytes());
        }
        d
    }

    fn run(program: &[sock_filter], data: &[u8]) -> u32 {
        let (mut acc, mut pc) = (0u32, 0usize);
        loop {
            let i = &program[pc];
            let (class, op, src) = (i.code & 0x07, i.code & 0xf0, i.code & 0x08);
            assert_eq!(src, 0, "only immediate operands are emitted");
            pc += 1;
            match class {
                0x00 => {
                    let k = i.k as usize;
                    acc = u32::from_le_bytes(data[k..k + 4].try_into().unwrap());
                }
                0x04 => match op {
                    0x50 => acc &= i.k,
                    _ => panic!("unexpected ALU op {op:#x}"),
                },
                0x05 => {
                    let taken = match op {
                        0x00 => {
                            pc += i.k as usize;
                            continue;
                        }
                        0x10 => acc == i.k,
                        0x20 => acc > i.k,
                        0x30 => acc >= i.k,
                        0x40 => acc & i.k != 0,
                        _ => panic!("unexpected JMP op {op:#x}"),
                    };
                    pc += usize::from(if taken { i.jt } else { i.jf });
                }
                0x06 => return i.k,
                _ => panic!("unexpected class {class:#x}"),
            }
        }
    }

    /// The kernel's verdict: every filter runs, the lowest action wins
    /// (as a signed 32-bit number), the newest filter breaking ties.
    fn verdict(policy: &CompiledPolicy, nr: libc::c_long, args: [u64; 6]) -> u32 {
        let d = data(nr, args);
        let mut best: Option<u32> = None;
        for f in policy.filters.iter().rev() {
            let ret = run(&f.program, &d);
            let action = |r: u32| (r & 0xffff_0000) as i32;
            if best.is_none_or(|b| action(ret) < action(b)) {
                best = Some(ret);
            }
        }
        best.unwrap()
    }

    fn policy() -> CompiledPolicy {
        compile(OWN_PID).unwrap()
    }

    fn errno(e: i32) -> u32 {
        RET_ERRNO | e as u32
    }

    #[test]
    fn the_stack_is_errno_filters_then_the_allowlist() {
        let p = policy();
        let stages: Vec<Stage> = p.filters.iter().map(|f| f.stage).collect();
        assert_eq!(
            stages,
            vec![
                Stage::Errno(libc::EPERM),
                Stage::Errno(libc::ENOSYS),
                Stage::Allowlist
            ]
        );
        assert_eq!(p.rules, RULES.len());
    }

    #[test]
    fn listed_calls_pass_and_unlisted_calls_trap() {
        let p = policy();
        for nr in [
            libc::SYS_munmap,
            libc::SYS_brk,
            libc::SYS_close,
            libc::SYS_exit_group,
        ] {
            assert_eq!(verdict(&p, nr, [0; 6]), RET_ALLOW, "syscall {nr}");
        }
        for nr in [
            libc::SYS_uname,
            libc::SYS_getuid,
            libc::SYS_bpf,
            libc::SYS_mount,
            libc::SYS_seccomp,
            libc::SYS_setns,
            libc::SYS_memfd_create,
            libc::SYS_tkill,
            libc::SYS_clock_getres,
            libc::SYS_futex_waitv,
        ] {
            assert_eq!(verdict(&p, nr, [0; 6]), RET_TRAP, "syscall {nr}");
        }
    }

    #[test]
    fn probed_calls_get_eperm_and_clone3_enosys() {
        let p = policy();
        for nr in [
            libc::SYS_openat,
            libc::SYS_socket,
            libc::SYS_connect,
            libc::SYS_execve,
            libc::SYS_execveat,
            libc::SYS_ptrace,
            libc::SYS_unshare,
            libc::SYS_process_vm_readv,
            libc::SYS_process_vm_writev,
            libc::SYS_getcwd,
            libc::SYS_readlinkat,
        ] {
            assert_eq!(verdict(&p, nr, [0; 6]), errno(libc::EPERM), "syscall {nr}");
        }
        assert_eq!(verdict(&p, libc::SYS_clone3, [0; 6]), errno(libc::ENOSYS));
    }

    #[test]
    fn clone_makes_glibc_threads_only() {
        let p = policy();
        let thread = GLIBC_PTHREAD_CLONE_FLAGS;
        let fork =
            libc::SIGCHLD as u64 | (libc::CLONE_CHILD_SETTID | libc::CLONE_CHILD_CLEARTID) as u64;
        let vfork = (libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD) as u64;
        let clone = |flags: u64| verdict(&p, libc::SYS_clone, [flags, 0, 0, 0, 0, 0]);
        assert_eq!(clone(thread), RET_ALLOW);
        assert_eq!(clone(fork), errno(libc::EPERM));
        assert_eq!(clone(libc::SIGCHLD as u64), errno(libc::EPERM));
        assert_eq!(clone(vfork), errno(libc::EPERM));
        // High bits do not smuggle a thread flag past the check.
        assert_eq!(clone(fork | 1 << 40), errno(libc::EPERM));
        // Anything but glibc's exact set is a violation.
        for extra in [
            libc::CLONE_NEWNS,
            libc::CLONE_NEWUSER,
            libc::CLONE_PTRACE,
            libc::CLONE_UNTRACED,
            libc::CLONE_PARENT,
            libc::CLONE_IO,
            libc::CLONE_PIDFD,
        ] {
            assert_eq!(clone(thread | extra as u64), RET_TRAP, "extra {extra:#x}");
        }
        assert_eq!(clone(thread & !(libc::CLONE_SYSVSEM as u64)), RET_TRAP);
        assert_eq!(clone(thread | 1 << 40), RET_TRAP);
        assert_eq!(clone(libc::CLONE_VM as u64), RET_TRAP);
    }

    #[test]
    fn memory_may_not_become_executable() {
        let p = policy();
        let rw = (libc::PROT_READ | libc::PROT_WRITE) as u64;
        let rwx = rw | libc::PROT_EXEC as u64;
        let private = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64;
        for nr in [libc::SYS_mmap, libc::SYS_mprotect] {
            for prot in [0, libc::PROT_READ as u64, rw] {
                assert_eq!(verdict(&p, nr, [0, 4096, prot, private, 0, 0]), RET_ALLOW);
            }
            assert_eq!(
                verdict(&p, nr, [0, 4096, rwx, private, 0, 0]),
                errno(libc::EPERM)
            );
            assert_eq!(
                verdict(&p, nr, [0, 4096, libc::PROT_EXEC as u64, private, 0, 0]),
                errno(libc::EPERM)
            );
            for odd in [
                libc::PROT_GROWSDOWN,
                libc::PROT_GROWSUP,
                0x8, /* PROT_SEM */
            ] {
                assert_eq!(
                    verdict(&p, nr, [0, 4096, rw | odd as u64, private, 0, 0]),
                    RET_TRAP,
                    "prot bit {odd:#x}"
                );
            }
        }
    }

    #[test]
    fn mmap_flags_are_an_allowlist() {
        let p = policy();
        let rw = (libc::PROT_READ | libc::PROT_WRITE) as u64;
        let mmap =
            |flags: libc::c_int| verdict(&p, libc::SYS_mmap, [0, 4096, rw, flags as u64, 0, 0]);
        for ok in [
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            libc::MAP_SHARED,
        ] {
            assert_eq!(mmap(ok), RET_ALLOW, "{ok:#x}");
        }
        for extra in [
            libc::MAP_FIXED,
            libc::MAP_FIXED_NOREPLACE,
            libc::MAP_HUGETLB,
            libc::MAP_LOCKED,
            libc::MAP_POPULATE,
            libc::MAP_GROWSDOWN,
            libc::MAP_32BIT,
            libc::MAP_SYNC,
        ] {
            assert_eq!(
                mmap(libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | extra),
                RET_TRAP,
                "{extra:#x}"
            );
        }
    }

    #[test]
    fn futex_allows_only_the_non_pi_ops_glibc_and_std_use() {
        let p = policy();
        let futex = |op: libc::c_int| verdict(&p, libc::SYS_futex, [0, op as u64, 0, 0, 0, 0]);
        for cmd in [libc::FUTEX_WAIT, libc::FUTEX_WAKE, libc::FUTEX_WAIT_BITSET] {
            for modifiers in [
                0,
                libc::FUTEX_PRIVATE_FLAG,
                libc::FUTEX_CLOCK_REALTIME,
                libc::FUTEX_PRIVATE_FLAG | libc::FUTEX_CLOCK_REALTIME,
            ] {
                assert_eq!(futex(cmd | modifiers), RET_ALLOW, "{:#x}", cmd | modifiers);
            }
        }
        for cmd in [
            libc::FUTEX_LOCK_PI,
            libc::FUTEX_UNLOCK_PI,
            libc::FUTEX_TRYLOCK_PI,
            libc::FUTEX_WAIT_REQUEUE_PI,
            libc::FUTEX_CMP_REQUEUE_PI,
            libc::FUTEX_LOCK_PI2,
            libc::FUTEX_REQUEUE,
            libc::FUTEX_CMP_REQUEUE,
            libc::FUTEX_WAKE_OP,
            libc::FUTEX_WAKE_BITSET,
            libc::FUTEX_FD,
            libc::FUTEX_WAKE | 0x200,
        ] {
            assert_eq!(futex(cmd), RET_TRAP, "{cmd:#x}");
            assert_eq!(futex(cmd | libc::FUTEX_PRIVATE_FLAG), RET_TRAP, "{cmd:#x}");
        }
    }

    #[test]
    fn clocks_advice_and_flags_are_allowlists() {
        let p = policy();
        let call = |nr: libc::c_long, args: [u64; 6]| verdict(&p, nr, args);
        for clock in [libc::CLOCK_REALTIME, libc::CLOCK_MONOTONIC] {
            for nr in [libc::SYS_clock_gettime, libc::SYS_clock_nanosleep] {
                assert_eq!(call(nr, [clock as u64, 0, 0, 0, 0, 0]), RET_ALLOW);
            }
        }
        for clock in [
            libc::CLOCK_PROCESS_CPUTIME_ID,
            libc::CLOCK_THREAD_CPUTIME_ID,
            libc::CLOCK_BOOTTIME,
            libc::CLOCK_REALTIME_ALARM,
            libc::CLOCK_TAI,
            -2,      // a CPU clock of another process
            -0x1000, // a dynamic (fd) clock
        ] {
            for nr in [libc::SYS_clock_gettime, libc::SYS_clock_nanosleep] {
                assert_eq!(call(nr, [clock as u64, 0, 0, 0, 0, 0]), RET_TRAP, "{clock}");
            }
        }
        let madvise =
            |advice: libc::c_int| call(libc::SYS_madvise, [0, 4096, advice as u64, 0, 0, 0]);
        assert_eq!(madvise(libc::MADV_DONTNEED), RET_ALLOW);
        for advice in [
            libc::MADV_MERGEABLE,
            libc::MADV_HUGEPAGE,
            libc::MADV_DONTFORK,
            libc::MADV_WIPEONFORK,
            libc::MADV_HWPOISON,
            libc::MADV_FREE,
            libc::MADV_REMOVE,
        ] {
            assert_eq!(madvise(advice), RET_TRAP, "{advice}");
        }
        let setfl = libc::F_SETFL as u64;
        let fcntl =
            |cmd: u64, arg: libc::c_int| call(libc::SYS_fcntl, [3, cmd, arg as u64, 0, 0, 0]);
        assert_eq!(fcntl(setfl, 0), RET_ALLOW);
        assert_eq!(fcntl(setfl, libc::O_NONBLOCK), RET_ALLOW);
        for flag in [
            libc::O_APPEND,
            libc::O_ASYNC,
            libc::O_DIRECT,
            libc::O_NOATIME,
        ] {
            assert_eq!(fcntl(setfl, flag), RET_TRAP, "{flag:#x}");
        }
        assert_eq!(fcntl(libc::F_GETFD as u64, 0), RET_ALLOW);
        for cmd in [
            libc::F_DUPFD,
            libc::F_DUPFD_CLOEXEC,
            libc::F_GETFL,
            libc::F_SETFD,
            libc::F_SETLK,
            libc::F_SETOWN,
        ] {
            assert_eq!(fcntl(cmd as u64, 0), RET_TRAP, "{cmd}");
        }
        let random =
            |flags: libc::c_uint| call(libc::SYS_getrandom, [0, 16, flags as u64, 0, 0, 0]);
        assert_eq!(random(libc::GRND_INSECURE), RET_ALLOW);
        assert_eq!(random(libc::GRND_NONBLOCK), RET_ALLOW);
        assert_eq!(random(libc::GRND_RANDOM), RET_TRAP);
        let mremap =
            |flags: libc::c_int| call(libc::SYS_mremap, [0, 4096, 8192, flags as u64, 0, 0]);
        assert_eq!(mremap(libc::MREMAP_MAYMOVE), RET_ALLOW);
        assert_eq!(mremap(libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED), RET_TRAP);
        assert_eq!(
            mremap(libc::MREMAP_MAYMOVE | libc::MREMAP_DONTUNMAP),
            RET_TRAP
        );
    }

    #[test]
    fn the_sigsys_handler_stays() {
        let p = policy();
        let sigsys = libc::SIGSYS as u64;
        assert_eq!(
            verdict(&p, libc::SYS_rt_sigaction, [sigsys, 1, 0, 8, 0, 0]),
            RET_TRAP
        );
        assert_eq!(
            verdict(
                &p,
                libc::SYS_rt_sigaction,
                [libc::SIGABRT as u64, 1, 0, 8, 0, 0]
            ),
            RET_ALLOW
        );
        let own = u64::from(OWN_PID);
        assert_eq!(
            verdict(&p, libc::SYS_kill, [own, sigsys, 0, 0, 0, 0]),
            RET_TRAP
        );
        assert_eq!(
            verdict(&p, libc::SYS_tgkill, [own, own, sigsys, 0, 0, 0]),
            RET_TRAP
        );
    }

    #[test]
    fn signals_only_to_itself() {
        let p = policy();
        let own = u64::from(OWN_PID);
        assert_eq!(verdict(&p, libc::SYS_kill, [own, 6, 0, 0, 0, 0]), RET_ALLOW);
        assert_eq!(
            verdict(&p, libc::SYS_tgkill, [own, own, 6, 0, 0, 0]),
            RET_ALLOW
        );
        for nr in [libc::SYS_kill, libc::SYS_tgkill] {
            for other in [0u64, 2, 4242, u64::from(u32::MAX)] {
                assert_eq!(
                    verdict(&p, nr, [other, 6, 6, 0, 0, 0]),
                    errno(libc::EPERM),
                    "{nr} to {other}"
                );
            }
        }
    }

    #[test]
    fn argument_checks_hold() {
        let p = policy();
        let stderr = libc::STDERR_FILENO as u64;
        assert_eq!(
            verdict(&p, libc::SYS_write, [stderr, 0, 1, 0, 0, 0]),
            RET_ALLOW
        );
        assert_eq!(verdict(&p, libc::SYS_write, [1, 0, 1, 0, 0, 0]), RET_TRAP);
        assert_eq!(verdict(&p, libc::SYS_write, [3, 0, 1, 0, 0, 0]), RET_TRAP);
        let nosignal = libc::MSG_NOSIGNAL as u64;
        assert_eq!(
            verdict(&p, libc::SYS_sendto, [3, 0, 1, nosignal, 0, 0]),
            RET_ALLOW
        );
        assert_eq!(
            verdict(&p, libc::SYS_sendto, [3, 0, 1, 0, 0x7fff_0000, 16]),
            RET_TRAP
        );
        assert_eq!(
            verdict(&p, libc::SYS_sendto, [3, 0, 1, libc::MSG_OOB as u64, 0, 0]),
            RET_TRAP
        );
        assert_eq!(
            verdict(&p, libc::SYS_sendmsg, [3, 0, libc::MSG_EOR as u64, 0, 0, 0]),
            RET_ALLOW
        );
        assert_eq!(
            verdict(
                &p,
                libc::SYS_sendmsg,
                [3, 0, libc::MSG_ZEROCOPY as u64, 0, 0, 0]
            ),
            RET_TRAP
        );
        let cloexec = libc::MSG_CMSG_CLOEXEC as u64;
        assert_eq!(
            verdict(&p, libc::SYS_recvmsg, [3, 0, cloexec, 0, 0, 0]),
            RET_ALLOW
        );
        assert_eq!(
            verdict(
                &p,
                libc::SYS_recvmsg,
                [3, 0, libc::MSG_ERRQUEUE as u64, 0, 0, 0]
            ),
            RET_TRAP
        );
        let trunc = libc::MSG_TRUNC as u64;
        assert_eq!(
            verdict(&p, libc::SYS_recvfrom, [3, 0, 1, trunc, 0, 0]),
            RET_ALLOW
        );
        assert_eq!(
            verdict(
                &p,
                libc::SYS_recvfrom,
                [3, 0, 1, libc::MSG_OOB as u64, 0, 0]
            ),
            RET_TRAP
        );
        let name = libc::PR_SET_NAME as u64;
        assert_eq!(
            verdict(&p, libc::SYS_prctl, [name, 0, 0, 0, 0, 0]),
            RET_ALLOW
        );
        for option in [
            libc::PR_SET_DUMPABLE,
            libc::PR_SET_NO_NEW_PRIVS,
            libc::PR_SET_SECCOMP,
        ] {
            assert_eq!(
                verdict(&p, libc::SYS_prctl, [option as u64, 1, 0, 0, 0, 0]),
                RET_TRAP
            );
        }
        let empty = libc::AT_EMPTY_PATH as u64;
        assert_eq!(
            verdict(&p, libc::SYS_newfstatat, [3, 1, 2, empty, 0, 0]),
            RET_ALLOW
        );
        // A path-taking stat (a negative dirfd such as AT_FDCWD) is EPERM
        // whatever its flags; a real fd without AT_EMPTY_PATH traps.
        for flags in [0, libc::AT_EMPTY_PATH] {
            assert_eq!(
                verdict(
                    &p,
                    libc::SYS_newfstatat,
                    [libc::AT_FDCWD as u64, 1, 2, flags as u64, 0, 0]
                ),
                RET_ERRNO | libc::EPERM as u32
            );
        }
        assert_eq!(
            verdict(&p, libc::SYS_newfstatat, [3, 1, 2, 0, 0, 0]),
            RET_TRAP
        );
    }

    #[test]
    fn another_architecture_is_killed() {
        let p = policy();
        let mut d = data(libc::SYS_getpid, [0; 6]);
        d[4..8].copy_from_slice(&0x4000_0003u32.to_le_bytes()); // i386
        for f in &p.filters {
            assert_eq!(run(&f.program, &d), RET_KILL_PROCESS);
        }
    }
}
