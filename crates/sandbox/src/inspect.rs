//! The broker's outside view of a renderer, so it can verify instead of
//! trusting the renderer's own report.
//!
//! Everything here is read from `/proc/PID` by the broker: the kernel's
//! `Seccomp:` and `NoNewPrivs:` lines, the effective, permitted and bounding
//! capabilities, the real uid outside, the pid the renderer has in each
//! nested pid namespace (`NSpid:`), its uid map, its namespace links
//! compared with the broker's own, its root (`/proc/PID/root`: must be the
//! empty, read-only, one-inode tmpfs of [`crate::empty_root`]), its task
//! limit (`/proc/PID/limits`) and nice value (`/proc/PID/stat`). A
//! compromised renderer cannot forge any of it.
//!
//! With namespaces the broker's child is not the renderer but a small
//! intermediate process that waits for it (see [`crate::spawn`]);
//! [`renderer_pid`] finds the renderer from the pid `spawn` returned, and
//! [`inspect`] follows it by itself.

use std::path::PathBuf;

use workshop_common::sandbox_report::Layer;

use crate::empty_root::FsFacts;
use crate::namespaces::{NamespaceError, ParentNamespaces, NAMESPACES};

/// `Seccomp:` value for a process in seccomp filter mode.
pub const SECCOMP_MODE_FILTER: u32 = 2;

/// Why a process could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// Reading a `/proc/PID` file failed (the process may be gone).
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// A field was missing or malformed.
    #[error("{path}: missing or malformed {field}")]
    Field {
        /// The file.
        path: String,
        /// The field.
        field: &'static str,
    },
    /// Reading namespace links failed.
    #[error(transparent)]
    Namespaces(#[from] NamespaceError),
    /// The spawned process holds a new pid namespace but has not exactly one
    /// child in it.
    #[error("process {pid} is a namespace intermediate with {children} children")]
    Intermediate {
        /// The spawned pid.
        pid: u32,
        /// How many children it has.
        children: usize,
    },
}

/// One line of a `/proc/PID/uid_map`: `count` ids from `inside` map to
/// `outside`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdMapping {
    /// First id inside the process's user namespace.
    pub inside: u32,
    /// First id in the reader's user namespace.
    pub outside: u32,
    /// How many.
    pub count: u32,
}

/// One namespace, compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamespaceCheck {
    /// Which layer.
    pub layer: Layer,
    /// The broker's namespace id.
    pub broker: u64,
    /// The renderer's.
    pub renderer: u64,
}

impl NamespaceCheck {
    /// Whether the renderer has its own namespace.
    pub fn separate(&self) -> bool {
        self.broker != self.renderer
    }
}

/// What the kernel says about a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// The pid inspected (in the broker's pid namespace).
    pub pid: u32,
    /// `Seccomp:`: 0 none, 1 strict, 2 filter.
    pub seccomp: u32,
    /// `Seccomp_filters:` (Linux 5.9+): how many filters are installed.
    pub seccomp_filters: Option<u32>,
    /// `NoNewPrivs:`.
    pub no_new_privs: bool,
    /// `CapEff:`, the effective capability mask.
    pub cap_eff: u64,
    /// `CapPrm:`, the permitted capability mask.
    pub cap_prm: u64,
    /// `CapBnd:`, the bounding set.
    pub cap_bnd: u64,
    /// `Uid:`, the real uid as the broker's namespace sees it.
    pub uid_outside: u32,
    /// `statfs` of `/proc/PID/root`.
    pub root: FsFacts,
    /// Entries in `/proc/PID/root` (`None` when it cannot be listed).
    pub root_entries: Option<usize>,
    /// `Max processes` soft limit in `/proc/PID/limits` (`None`: unlimited).
    pub max_tasks: Option<u64>,
    /// The nice value (`/proc/PID/stat` field 19).
    pub nice: i32,
    /// `NSpid:`, the pid in each pid namespace from the broker's inwards
    /// (the last is the pid the process sees for itself).
    pub ns_pids: Vec<u32>,
    /// `/proc/PID/uid_map`.
    pub uid_map: Vec<IdMapping>,
    /// The six namespaces, compared with the broker's.
    pub namespaces: Vec<NamespaceCheck>,
}

impl Inspection {
    /// Whether the process has its own namespace of this kind (false for a
    /// non-namespace layer).
    pub fn separate(&self, layer: Layer) -> bool {
        self.namespaces
            .iter()
            .any(|c| c.layer == layer && c.separate())
    }

    /// The pid the process sees for itself (1 when it is its pid
    /// namespace's init).
    pub fn pid_inside(&self) -> Option<u32> {
        self.ns_pids.last().copied()
    }

    /// Whether the process holds no capability and can gain none: empty
    /// effective, permitted and bounding sets.
    pub fn no_capabilities(&self) -> bool {
        self.cap_eff == 0 && self.cap_prm == 0 && self.cap_bnd == 0
    }

    /// Whether its root is the empty root: a read-only tmpfs whose one inode
    /// is its root directory, listed empty.
    pub fn empty_root(&self) -> bool {
        self.root.is_empty_root() && self.root_entries == Some(0)
    }

    /// Whether the task limit binds it: at most
    /// [`crate::thread_limit::MAX_TASKS`], not exempt as the host's uid 0,
    /// at a nice value no better than [`crate::thread_limit::RENDERER_NICE`].
    pub fn thread_limited(&self) -> bool {
        self.max_tasks
            .is_some_and(|max| max <= crate::thread_limit::MAX_TASKS)
            && self.uid_outside != 0
            && self.nice >= crate::thread_limit::RENDERER_NICE
    }

    /// Whether the kernel shows the full lockdown: seccomp filter mode,
    /// no_new_privs, no capability, the empty root, the task limit and all
    /// six namespaces separate.
    pub fn fully_confined(&self) -> bool {
        self.seccomp == SECCOMP_MODE_FILTER
            && self.no_new_privs
            && self.no_capabilities()
            && self.empty_root()
            && self.thread_limited()
            && NAMESPACES.iter().all(|(l, _)| self.separate(*l))
    }
}

fn proc_path(pid: u32, file: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{file}"))
}

fn read(pid: u32, file: &str) -> Result<String, InspectError> {
    let path = proc_path(pid, file);
    std::fs::read_to_string(&path).map_err(|source| InspectError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn field<T>(
    pid: u32,
    file: &str,
    field: &'static str,
    value: Option<T>,
) -> Result<T, InspectError> {
    value.ok_or_else(|| InspectError::Field {
        path: proc_path(pid, file).display().to_string(),
        field,
    })
}

fn status_value<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(str::trim)
}

/// Inspects the renderer behind `pid`, which may be the pid `Command::spawn`
/// returned: an intermediate (see [`renderer_pid`]) is followed to the
/// renderer, so [`Inspection::pid`] may differ from `pid`.
pub fn inspect(pid: u32) -> Result<Inspection, InspectError> {
    inspect_process(renderer_pid(pid)?)
}

/// Reads `/proc/PID/status`, `/proc/PID/uid_map` and `/proc/PID/ns/*` of
/// exactly process `pid` and compares the namespaces with the caller's own.
pub fn inspect_process(pid: u32) -> Result<Inspection, InspectError> {
    let status = read(pid, "status")?;
    let seccomp = field(
        pid,
        "status",
        "Seccomp",
        status_value(&status, "Seccomp:").and_then(|v| v.parse().ok()),
    )?;
    let seccomp_filters = status_value(&status, "Seccomp_filters:").and_then(|v| v.parse().ok());
    let no_new_privs = field(
        pid,
        "status",
        "NoNewPrivs",
        status_value(&status, "NoNewPrivs:").map(|v| v == "1"),
    )?;
    let cap_eff = field(
        pid,
        "status",
        "CapEff",
        crate::namespaces::status_hex(&status, "CapEff:"),
    )?;
    let cap_prm = field(
        pid,
        "status",
        "CapPrm",
        crate::namespaces::status_hex(&status, "CapPrm:"),
    )?;
    let cap_bnd = field(
        pid,
        "status",
        "CapBnd",
        crate::namespaces::status_hex(&status, "CapBnd:"),
    )?;
    let uid_outside = field(
        pid,
        "status",
        "Uid",
        status_value(&status, "Uid:")
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok()),
    )?;
    let ns_pids = field(
        pid,
        "status",
        "NSpid",
        status_value(&status, "NSpid:").and_then(|v| {
            v.split_whitespace()
                .map(|p| p.parse().ok())
                .collect::<Option<Vec<u32>>>()
        }),
    )?;
    let uid_map = field(
        pid,
        "uid_map",
        "mapping",
        parse_id_map(&read(pid, "uid_map")?),
    )?;

    let root_path = proc_path(pid, "root");
    let root_c =
        std::ffi::CString::new(root_path.as_os_str().as_encoded_bytes()).map_err(|_| {
            InspectError::Field {
                path: root_path.display().to_string(),
                field: "path",
            }
        })?;
    let root = crate::empty_root::statfs(&root_c).map_err(|source| InspectError::Read {
        path: root_path.display().to_string(),
        source,
    })?;
    let root_entries = std::fs::read_dir(&root_path).ok().map(Iterator::count);
    let max_tasks = field(
        pid,
        "limits",
        "Max processes",
        parse_max_processes(&read(pid, "limits")?),
    )?;
    let nice = field(pid, "stat", "nice", parse_nice(&read(pid, "stat")?))?;

    let broker = ParentNamespaces::current()?;
    let renderer = ParentNamespaces::of_pid(pid)?;
    let namespaces = NAMESPACES
        .iter()
        .filter_map(|&(layer, _)| {
            Some(NamespaceCheck {
                layer,
                broker: broker.id(layer)?,
                renderer: renderer.id(layer)?,
            })
        })
        .collect();

    Ok(Inspection {
        pid,
        seccomp,
        seccomp_filters,
        no_new_privs,
        cap_eff,
        cap_prm,
        cap_bnd,
        uid_outside,
        root,
        root_entries,
        max_tasks,
        nice,
        ns_pids,
        uid_map,
        namespaces,
    })
}

/// The soft `Max processes` limit: `Some(None)` for unlimited.
fn parse_max_processes(limits: &str) -> Option<Option<u64>> {
    let rest = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max processes"))?;
    match rest.split_whitespace().next()? {
        "unlimited" => Some(None),
        n => n.parse().ok().map(Some),
    }
}

/// Field 19 (nice) of `/proc/PID/stat`, counted after the `)` that ends
/// the command name (which may itself hold spaces and parentheses).
fn parse_nice(stat: &str) -> Option<i32> {
    let (_, after) = stat.rsplit_once(')')?;
    // Fields 3.. follow: state is field 3, nice is field 19.
    after.split_whitespace().nth(19 - 3)?.parse().ok()
}

fn parse_id_map(text: &str) -> Option<Vec<IdMapping>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split_whitespace().map(|n| n.parse::<u32>().ok());
            let m = IdMapping {
                inside: f.next()??,
                outside: f.next()??,
                count: f.next()??,
            };
            f.next().is_none().then_some(m)
        })
        .collect()
}

/// The renderer's pid (in the caller's pid namespace) given the pid that
/// `Command::spawn` returned. If the spawned process made a new pid
/// namespace (its `pid_for_children` differs from its `pid`), it is the
/// intermediate and the renderer is its only child; otherwise the spawned
/// process is the renderer itself. Call after `spawn()` returned: by then
/// the renderer exists (std waits for its exec).
pub fn renderer_pid(spawned: u32) -> Result<u32, InspectError> {
    let ns = |name: &str| -> Result<PathBuf, InspectError> {
        let path = proc_path(spawned, &format!("ns/{name}"));
        std::fs::read_link(&path).map_err(|source| InspectError::Read {
            path: path.display().to_string(),
            source,
        })
    };
    if ns("pid")? == ns("pid_for_children")? {
        return Ok(spawned);
    }
    let file = format!("task/{spawned}/children");
    let children = read(spawned, &file)?;
    let pids = field(
        spawned,
        &file,
        "children",
        children
            .split_whitespace()
            .map(|p| p.parse().ok())
            .collect::<Option<Vec<u32>>>(),
    )?;
    match pids.as_slice() {
        [only] => Ok(*only),
        _ => Err(InspectError::Intermediate {
            pid: spawned,
            children: pids.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn id_maps_parse() {
        let m = parse_id_map("      1000          0          1\n").unwrap();
        assert_eq!(
            m,
            vec![IdMapping {
                inside: 1000,
                outside: 0,
                count: 1
            }]
        );
        assert_eq!(parse_id_map("").unwrap(), vec![]);
        assert!(parse_id_map("1 2\n").is_none());
        assert!(parse_id_map("1 2 3 4\n").is_none());
    }

    #[test]
    fn limits_and_stat_parse() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max cpu time              unlimited            unlimited            seconds   \n\
                      Max processes             4                    4                    processes \n";
        assert_eq!(parse_max_processes(limits), Some(Some(4)));
        assert_eq!(
            parse_max_processes("Max processes  unlimited  unlimited  processes\n"),
            Some(None)
        );
        assert_eq!(parse_max_processes("Max open files 32 32 files\n"), None);
        let stat = "1 (a) b) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 30 10 1 0 5 0 0";
        assert_eq!(parse_nice(stat), Some(10));
        assert_eq!(parse_nice("1 (x"), None);
    }

    #[test]
    fn the_test_process_is_not_confined() {
        let me = inspect(std::process::id()).unwrap();
        assert!(me.namespaces.iter().all(|c| !c.separate()));
        assert_eq!(me.namespaces.len(), 6);
        assert!(!me.fully_confined());
        assert!(!me.empty_root(), "{:?}", me.root);
        assert_eq!(me.pid_inside(), Some(std::process::id()));
        assert_eq!(
            renderer_pid(std::process::id()).unwrap(),
            std::process::id()
        );
    }
}
