//! What a renderer says about its own confinement, and the policy that judges it.
//!
//! The renderer fills a [`SandboxReport`] after it has locked itself down and
//! run its probes; the broker checks it with [`shortfalls`] against the mode
//! it was started in and refuses a renderer that is less confined than the
//! mode asks. The broker also checks what it can see from outside
//! (`/proc/PID/status`, namespaces) rather than trusting this report alone.

use serde::{Deserialize, Serialize};

/// Most entries a report may carry in each list (a renderer sending more is
/// misbehaving).
pub const MAX_REPORT_ENTRIES: usize = 32;

/// How strictly renderers are confined (`--sandbox=...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SandboxMode {
    /// Every layer is required; a missing one is fatal.
    Strict,
    /// Every layer the kernel offers is applied; missing ones are logged loudly.
    Enforce,
    /// `--no-sandbox`: nothing applied (debugging only; said on every start).
    Disabled,
}

impl SandboxMode {
    /// Command-line spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::Strict => "strict",
            SandboxMode::Enforce => "enforce",
            SandboxMode::Disabled => "disabled",
        }
    }

    /// Parses the command-line spelling.
    pub fn parse(s: &str) -> Option<SandboxMode> {
        match s {
            "strict" => Some(SandboxMode::Strict),
            "enforce" | "default" => Some(SandboxMode::Enforce),
            "disabled" | "none" => Some(SandboxMode::Disabled),
            _ => None,
        }
    }
}

/// One confinement layer, in the order they are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Layer {
    /// New user namespace: uid 0 inside maps to one unprivileged id outside
    /// (the broker's uid, or `nobody` when the broker is root), so whatever
    /// capabilities the renderer holds hold only over its own namespaces.
    UserNamespace,
    /// New PID namespace: the renderer is PID 1 and sees no other process.
    PidNamespace,
    /// New network namespace: only a downed loopback.
    NetNamespace,
    /// New IPC namespace: no shared SysV IPC with the host.
    IpcNamespace,
    /// New UTS namespace.
    UtsNamespace,
    /// New mount namespace.
    MountNamespace,
    /// The root is an empty, read-only, one-inode tmpfs (`pivot_root`, old
    /// root detached, no `/proc`): every path names nothing, whatever the
    /// seccomp filter lets through.
    EmptyRoot,
    /// Every capability dropped (effective, permitted, inheritable, ambient,
    /// bounding set) and the securebits locked so uid 0 regains none.
    NoCapabilities,
    /// `PR_SET_NO_NEW_PRIVS`.
    NoNewPrivs,
    /// `PR_SET_DUMPABLE 0`: no core dumps, no ptrace by same-uid processes.
    NotDumpable,
    /// Landlock: every filesystem right handled, none granted; network and
    /// scoping where the ABI has them.
    Landlock,
    /// Resource limits: no file writes, no core, bounded address space, few fds.
    Rlimits,
    /// A few tasks at most (`RLIMIT_NPROC`, counted per user namespace), at
    /// a lower CPU priority it cannot raise back (nice, `RLIMIT_NICE`).
    ThreadLimit,
    /// Seccomp-bpf allowlist.
    Seccomp,
}

impl Layer {
    /// Every layer, in application order.
    pub const ALL: [Layer; 14] = [
        Layer::UserNamespace,
        Layer::PidNamespace,
        Layer::NetNamespace,
        Layer::IpcNamespace,
        Layer::UtsNamespace,
        Layer::MountNamespace,
        Layer::EmptyRoot,
        Layer::NoCapabilities,
        Layer::NoNewPrivs,
        Layer::NotDumpable,
        Layer::Landlock,
        Layer::Rlimits,
        Layer::ThreadLimit,
        Layer::Seccomp,
    ];

    /// The namespace layers, made at spawn.
    pub const NAMESPACES: [Layer; 6] = [
        Layer::UserNamespace,
        Layer::PidNamespace,
        Layer::NetNamespace,
        Layer::IpcNamespace,
        Layer::UtsNamespace,
        Layer::MountNamespace,
    ];

    /// Name for tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Layer::UserNamespace => "user-namespace",
            Layer::PidNamespace => "pid-namespace",
            Layer::NetNamespace => "net-namespace",
            Layer::IpcNamespace => "ipc-namespace",
            Layer::UtsNamespace => "uts-namespace",
            Layer::MountNamespace => "mount-namespace",
            Layer::EmptyRoot => "empty-root",
            Layer::NoCapabilities => "no-capabilities",
            Layer::NoNewPrivs => "no-new-privs",
            Layer::NotDumpable => "not-dumpable",
            Layer::Landlock => "landlock",
            Layer::Rlimits => "rlimits",
            Layer::ThreadLimit => "thread-limit",
            Layer::Seccomp => "seccomp",
        }
    }
}

/// The state of one layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerState {
    /// Applied in full.
    Active,
    /// Applied, but the kernel could not enforce everything asked (for
    /// Landlock: an older ABI without some rights or scopes).
    Partial,
    /// Asked for but not in force; `errno` says why when it is known.
    Unavailable {
        /// The error number the kernel returned, or 0 when the failure
        /// happened where the reporter could not see it (a namespace the
        /// spawn step could not create is seen by the renderer only as
        /// "shared with the broker"; the spawn step logs the real errno).
        errno: i32,
    },
    /// Not asked for (`--no-sandbox`).
    Disabled,
}

/// One layer's line in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerStatus {
    /// Which layer.
    pub layer: Layer,
    /// Its state.
    pub state: LayerState,
    /// A layer-specific number: the Landlock ABI version, the number of
    /// seccomp rules, 0 otherwise.
    pub detail: u32,
}

/// A forbidden action the renderer attempts after lockdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Probe {
    /// Open an existing file for reading.
    OpenRead,
    /// Create a new file.
    CreateFile,
    /// Create a TCP socket.
    TcpSocket,
    /// Connect to the X11 server's unix socket.
    ConnectX11,
    /// Connect to an abstract unix socket.
    ConnectAbstract,
    /// Start a new process.
    Fork,
    /// Execute a program.
    Exec,
    /// Attach to another process with ptrace.
    Ptrace,
    /// Send a signal to the broker.
    SignalBroker,
    /// Create new namespaces.
    Unshare,
    /// Map memory writable and executable.
    MapExecutable,
    /// `stat` a host file (`/etc/passwd`) as an attacker does, with raw
    /// `newfstatat(AT_FDCWD, path, buf, AT_EMPTY_PATH)` (the flag does not
    /// make the path empty, and it is the form the filter lets through for
    /// `fstat`): denied when the answer is the same as for a path that
    /// exists nowhere.
    StatHostFile,
    /// The same for `/proc/self`: no procfs, the host's or any other.
    StatProc,
    /// Start more threads than the task limit allows: denied when the
    /// kernel refuses one (`EAGAIN`).
    ThreadBomb,
}

impl Probe {
    /// Every probe, in the order they run.
    pub const ALL: [Probe; 14] = [
        Probe::OpenRead,
        Probe::CreateFile,
        Probe::TcpSocket,
        Probe::ConnectX11,
        Probe::ConnectAbstract,
        Probe::Fork,
        Probe::Exec,
        Probe::Ptrace,
        Probe::SignalBroker,
        Probe::Unshare,
        Probe::MapExecutable,
        Probe::StatHostFile,
        Probe::StatProc,
        Probe::ThreadBomb,
    ];

    /// Name for tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Probe::OpenRead => "open-file-for-reading",
            Probe::CreateFile => "create-file",
            Probe::TcpSocket => "tcp-socket",
            Probe::ConnectX11 => "connect-x11-socket",
            Probe::ConnectAbstract => "connect-abstract-socket",
            Probe::Fork => "fork",
            Probe::Exec => "exec",
            Probe::Ptrace => "ptrace",
            Probe::SignalBroker => "signal-broker",
            Probe::Unshare => "unshare",
            Probe::MapExecutable => "mmap-exec",
            Probe::StatHostFile => "stat-host-file",
            Probe::StatProc => "stat-proc",
            Probe::ThreadBomb => "thread-bomb",
        }
    }
}

/// What happened when a probe ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProbeOutcome {
    /// The kernel refused with this errno.
    Denied {
        /// The error number.
        errno: i32,
    },
    /// The sandbox did not refuse it: it succeeded, or failed for a reason
    /// that is not a sandbox refusal (ENOENT, ECONNREFUSED…). Either way the
    /// layer meant to stop it did not.
    Allowed,
    /// Not attempted (sandbox disabled).
    NotRun,
}

/// One probe's line in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// Which probe.
    pub probe: Probe,
    /// Its outcome.
    pub outcome: ProbeOutcome,
}

/// The renderer's account of its own confinement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxReport {
    /// The mode the renderer was told to apply.
    pub mode: SandboxMode,
    /// Every layer's state.
    pub layers: Vec<LayerStatus>,
    /// Every probe's outcome.
    pub probes: Vec<ProbeResult>,
}

impl SandboxReport {
    /// A report for `--no-sandbox`: every layer disabled, no probe run.
    pub fn disabled() -> SandboxReport {
        SandboxReport {
            mode: SandboxMode::Disabled,
            layers: Layer::ALL
                .iter()
                .map(|&layer| LayerStatus {
                    layer,
                    state: LayerState::Disabled,
                    detail: 0,
                })
                .collect(),
            probes: Probe::ALL
                .iter()
                .map(|&probe| ProbeResult {
                    probe,
                    outcome: ProbeOutcome::NotRun,
                })
                .collect(),
        }
    }

    /// The state reported for `layer`, if any.
    pub fn layer(&self, layer: Layer) -> Option<LayerState> {
        self.layers
            .iter()
            .find(|l| l.layer == layer)
            .map(|l| l.state)
    }

    /// The outcome reported for `probe`, if any.
    pub fn probe(&self, probe: Probe) -> Option<ProbeOutcome> {
        self.probes
            .iter()
            .find(|p| p.probe == probe)
            .map(|p| p.outcome)
    }
}

/// One way a report falls short of its mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortfall {
    /// The report was made for another mode than the broker's.
    WrongMode {
        /// What the report says.
        reported: SandboxMode,
    },
    /// A layer is missing from the report.
    LayerMissing(Layer),
    /// A layer is not fully active (fatal in strict mode, a warning otherwise).
    LayerNotActive(Layer, LayerState),
    /// A probe is missing from the report.
    ProbeMissing(Probe),
    /// A probe was not denied: the renderer can do something it must not.
    ProbeNotDenied(Probe, ProbeOutcome),
}

impl Shortfall {
    /// Whether this shortfall makes the renderer unacceptable under `mode`.
    /// A layer the kernel cannot offer is tolerated in `Enforce` mode (and
    /// logged loudly), except seccomp: a renderer whose filter is missing or
    /// only partly installed is refused in every confined mode (the
    /// renderer's lockdown refuses too; this is the broker not trusting
    /// it). A probe that succeeds is never tolerated, unless the sandbox is
    /// disabled.
    pub fn is_fatal(&self, mode: SandboxMode) -> bool {
        match (self, mode) {
            (_, SandboxMode::Disabled) => matches!(self, Shortfall::WrongMode { .. }),
            (Shortfall::LayerNotActive(Layer::Seccomp, _), SandboxMode::Enforce) => true,
            (Shortfall::LayerNotActive(..), SandboxMode::Enforce) => false,
            (Shortfall::WrongMode { .. }, _)
            | (Shortfall::LayerMissing(_), _)
            | (Shortfall::LayerNotActive(..), SandboxMode::Strict)
            | (Shortfall::ProbeMissing(_), _)
            | (Shortfall::ProbeNotDenied(..), _) => true,
        }
    }
}

impl std::fmt::Display for Shortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shortfall::WrongMode { reported } => {
                write!(f, "report made for mode {}", reported.as_str())
            }
            Shortfall::LayerMissing(l) => write!(f, "layer {} not reported", l.name()),
            Shortfall::LayerNotActive(l, s) => write!(f, "layer {} is {s:?}", l.name()),
            Shortfall::ProbeMissing(p) => write!(f, "probe {} not reported", p.name()),
            Shortfall::ProbeNotDenied(p, o) => write!(f, "probe {} was {o:?}", p.name()),
        }
    }
}

/// Every way `report` falls short of `mode`. Under `Disabled` only a mode
/// mismatch counts.
pub fn shortfalls(mode: SandboxMode, report: &SandboxReport) -> Vec<Shortfall> {
    let mut out = Vec::new();
    if report.mode != mode {
        out.push(Shortfall::WrongMode {
            reported: report.mode,
        });
        return out;
    }
    if mode == SandboxMode::Disabled {
        return out;
    }
    for layer in Layer::ALL {
        match report.layer(layer) {
            None => out.push(Shortfall::LayerMissing(layer)),
            Some(LayerState::Active) => {}
            Some(state) => out.push(Shortfall::LayerNotActive(layer, state)),
        }
    }
    for probe in Probe::ALL {
        match report.probe(probe) {
            None => out.push(Shortfall::ProbeMissing(probe)),
            Some(ProbeOutcome::Denied { .. }) => {}
            Some(outcome) => out.push(Shortfall::ProbeNotDenied(probe, outcome)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(mode: SandboxMode) -> SandboxReport {
        SandboxReport {
            mode,
            layers: Layer::ALL
                .iter()
                .map(|&layer| LayerStatus {
                    layer,
                    state: LayerState::Active,
                    detail: 0,
                })
                .collect(),
            probes: Probe::ALL
                .iter()
                .map(|&probe| ProbeResult {
                    probe,
                    outcome: ProbeOutcome::Denied { errno: 1 },
                })
                .collect(),
        }
    }

    #[test]
    fn a_complete_report_passes_strict() {
        assert!(shortfalls(SandboxMode::Strict, &full(SandboxMode::Strict)).is_empty());
    }

    #[test]
    fn a_missing_layer_is_fatal_only_in_strict() {
        let mut r = full(SandboxMode::Strict);
        r.layers[8].state = LayerState::Unavailable { errno: 38 };
        let s = shortfalls(SandboxMode::Strict, &r);
        assert_eq!(s.len(), 1);
        assert!(s[0].is_fatal(SandboxMode::Strict));
        r.mode = SandboxMode::Enforce;
        let s = shortfalls(SandboxMode::Enforce, &r);
        assert_eq!(s.len(), 1);
        assert!(!s[0].is_fatal(SandboxMode::Enforce));
    }

    #[test]
    fn seccomp_not_active_is_fatal_in_enforce_too() {
        for state in [
            LayerState::Partial,
            LayerState::Unavailable { errno: 38 },
            LayerState::Disabled,
        ] {
            let mut r = full(SandboxMode::Enforce);
            for l in r.layers.iter_mut().filter(|l| l.layer == Layer::Seccomp) {
                l.state = state;
            }
            let s = shortfalls(SandboxMode::Enforce, &r);
            assert_eq!(s, vec![Shortfall::LayerNotActive(Layer::Seccomp, state)]);
            assert!(s[0].is_fatal(SandboxMode::Enforce), "{state:?}");
            r.mode = SandboxMode::Strict;
            assert!(shortfalls(SandboxMode::Strict, &r)[0].is_fatal(SandboxMode::Strict));
        }
    }

    #[test]
    fn an_allowed_probe_is_always_fatal_when_sandboxed() {
        for mode in [SandboxMode::Strict, SandboxMode::Enforce] {
            let mut r = full(mode);
            r.probes[0].outcome = ProbeOutcome::Allowed;
            let s = shortfalls(mode, &r);
            assert_eq!(
                s,
                vec![Shortfall::ProbeNotDenied(
                    Probe::OpenRead,
                    ProbeOutcome::Allowed
                )]
            );
            assert!(s[0].is_fatal(mode));
        }
    }

    /// Spy and Starve: a renderer that could stat a host file or `/proc`,
    /// or start threads without bound, is refused in every confined mode,
    /// even where a missing layer is only a warning.
    #[test]
    fn host_stat_and_thread_bomb_probes_not_denied_are_fatal() {
        for mode in [SandboxMode::Strict, SandboxMode::Enforce] {
            for probe in [Probe::StatHostFile, Probe::StatProc, Probe::ThreadBomb] {
                let mut r = full(mode);
                let i = Probe::ALL.iter().position(|&p| p == probe).unwrap_or(0);
                r.probes[i].outcome = ProbeOutcome::Allowed;
                let s = shortfalls(mode, &r);
                assert_eq!(
                    s,
                    vec![Shortfall::ProbeNotDenied(probe, ProbeOutcome::Allowed)]
                );
                assert!(s[0].is_fatal(mode), "{probe:?} {mode:?}");
            }
        }
    }

    #[test]
    fn omitted_entries_are_fatal() {
        let mut r = full(SandboxMode::Enforce);
        r.probes.pop();
        r.layers.remove(0);
        let s = shortfalls(SandboxMode::Enforce, &r);
        assert!(s.iter().all(|x| x.is_fatal(SandboxMode::Enforce)));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn mode_mismatch_is_fatal_even_when_disabled() {
        let r = SandboxReport::disabled();
        assert!(shortfalls(SandboxMode::Disabled, &r).is_empty());
        let s = shortfalls(SandboxMode::Strict, &r);
        assert!(s[0].is_fatal(SandboxMode::Strict));
        let mut r = full(SandboxMode::Strict);
        r.mode = SandboxMode::Strict;
        let s = shortfalls(SandboxMode::Disabled, &r);
        assert!(s[0].is_fatal(SandboxMode::Disabled));
    }
}
