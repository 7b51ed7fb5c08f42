//! Seccomp-bpf: the last and tightest layer, a syscall allowlist.
//!
//! [`crate::seccomp_policy::RULES`] compiles to stacked filters (the kernel
//! runs every installed filter on every call and takes the most severe
//! answer: `KILL_PROCESS` > `ERRNO` > `ALLOW`):
//!
//! 1. one filter per errno in the table (`EPERM` for the probed forbidden
//!    calls, `ENOSYS` for `clone3`), each allowing everything else;
//! 2. the allowlist, installed last, which allows the listed calls and kills
//!    the process for anything else. Calls that have an errno rule are
//!    passed through here so the errno filter's answer stands.
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
    /// Allows the listed calls, kills on anything else.
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
    let denied: BTreeSet<Syscall> = rules
        .iter()
        .filter(|r| r.action != Action::Allow)
        .map(|r| r.syscall)
        .collect();

    let mut filters = Vec::with_capacity(errnos.len() + 1);
    for errno in errnos {
        let stage = Stage::Errno(errno);
        let chosen = rules.iter().filter(|r| r.action == Action::Errno(errno));
        let map = rule_map(chosen, own_pid, |_| false)?;
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

    // Every call with an errno rule passes the allowlist unconditionally, so
    // the errno filter decides; the others pass only on their own conditions.
    let stage = Stage::Allowlist;
    let map = rule_map(rules.iter(), own_pid, |syscall| denied.contains(&syscall))?;
    let filter = SeccompFilter::new(map, SeccompAction::KillProcess, SeccompAction::Allow, arch)
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
/// call unconditionally, otherwise any one rule (all its conditions) must
/// match. `unconditional(syscall)` forces the empty vector.
fn rule_map<'a>(
    rules: impl Iterator<Item = &'a Rule>,
    own_pid: u32,
    unconditional: impl Fn(Syscall) -> bool,
) -> Result<BTreeMap<i64, Vec<SeccompRule>>, SeccompError> {
    // `None` marks a call matched unconditionally.
    let mut grouped: BTreeMap<i64, Option<Vec<SeccompRule>>> = BTreeMap::new();
    for rule in rules {
        let syscall = rule.syscall;
        if rule.when.is_empty() || unconditional(rule.syscall) {
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
/// thread can make only the calls in the table.
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
    use seccompiler::sock_filter;

    const RET_KILL_PROCESS: u32 = 0x8000_0000;
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
    fn listed_calls_pass_and_unlisted_calls_kill() {
        let p = policy();
        for nr in [
            libc::SYS_recvmsg,
            libc::SYS_futex,
            libc::SYS_munmap,
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
        ] {
            assert_eq!(verdict(&p, nr, [0; 6]), RET_KILL_PROCESS, "syscall {nr}");
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
    fn clone_makes_threads_not_processes() {
        let p = policy();
        let thread = (libc::CLONE_VM
            | libc::CLONE_FS
            | libc::CLONE_FILES
            | libc::CLONE_SIGHAND
            | libc::CLONE_THREAD
            | libc::CLONE_SYSVSEM
            | libc::CLONE_SETTLS
            | libc::CLONE_PARENT_SETTID
            | libc::CLONE_CHILD_CLEARTID) as u64;
        let fork =
            libc::SIGCHLD as u64 | (libc::CLONE_CHILD_SETTID | libc::CLONE_CHILD_CLEARTID) as u64;
        assert_eq!(
            verdict(&p, libc::SYS_clone, [thread, 0, 0, 0, 0, 0]),
            RET_ALLOW
        );
        assert_eq!(
            verdict(&p, libc::SYS_clone, [fork, 0, 0, 0, 0, 0]),
            errno(libc::EPERM)
        );
        // High bits do not smuggle a thread flag past the check.
        assert_eq!(
            verdict(&p, libc::SYS_clone, [fork | 1 << 40, 0, 0, 0, 0, 0]),
            errno(libc::EPERM)
        );
    }

    #[test]
    fn memory_may_not_become_executable() {
        let p = policy();
        let rw = (libc::PROT_READ | libc::PROT_WRITE) as u64;
        let rwx = rw | libc::PROT_EXEC as u64;
        for nr in [libc::SYS_mmap, libc::SYS_mprotect] {
            assert_eq!(verdict(&p, nr, [0, 4096, rw, 0, 0, 0]), RET_ALLOW);
            assert_eq!(verdict(&p, nr, [0, 4096, rwx, 0, 0, 0]), errno(libc::EPERM));
            assert_eq!(
                verdict(&p, nr, [0, 4096, libc::PROT_EXEC as u64, 0, 0, 0]),
                errno(libc::EPERM)
            );
        }
    }

    #[test]
    fn signals_only_to_itself() {
        let p = policy();
        let own = u64::from(OWN_PID);
        for nr in [libc::SYS_kill, libc::SYS_tgkill, libc::SYS_tkill] {
            assert_eq!(verdict(&p, nr, [own, 6, 6, 0, 0, 0]), RET_ALLOW, "{nr}");
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
        assert_eq!(
            verdict(&p, libc::SYS_write, [1, 0, 1, 0, 0, 0]),
            RET_KILL_PROCESS
        );
        assert_eq!(
            verdict(&p, libc::SYS_write, [3, 0, 1, 0, 0, 0]),
            RET_KILL_PROCESS
        );
        assert_eq!(verdict(&p, libc::SYS_sendto, [3, 0, 1, 0, 0, 0]), RET_ALLOW);
        assert_eq!(
            verdict(&p, libc::SYS_sendto, [3, 0, 1, 0, 0x7fff_0000, 16]),
            RET_KILL_PROCESS
        );
        let setfl = libc::F_SETFL as u64;
        assert_eq!(
            verdict(&p, libc::SYS_fcntl, [3, setfl, 0, 0, 0, 0]),
            RET_ALLOW
        );
        assert_eq!(
            verdict(&p, libc::SYS_fcntl, [3, libc::F_DUPFD as u64, 0, 0, 0, 0]),
            RET_KILL_PROCESS
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
                RET_KILL_PROCESS
            );
        }
        let empty = libc::AT_EMPTY_PATH as u64;
        assert_eq!(
            verdict(&p, libc::SYS_newfstatat, [3, 1, 2, empty, 0, 0]),
            RET_ALLOW
        );
        assert_eq!(
            verdict(
                &p,
                libc::SYS_newfstatat,
                [libc::AT_FDCWD as u64, 1, 2, 0, 0, 0]
            ),
            RET_KILL_PROCESS
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
