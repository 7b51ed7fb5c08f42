//! Namespace identities, and the renderer's check that it really is in its
//! own namespaces.
//!
//! The namespaces are made at spawn ([`crate::spawn`]), by code that cannot
//! report anything. So the broker reads its own namespace ids
//! ([`ParentNamespaces::current`]), passes them on the renderer's command
//! line ([`ParentNamespaces::to_arg`]), and the renderer compares them with
//! its own ([`namespaces_status`]) *before* its lockdown (afterwards it can
//! no longer open `/proc`). The broker does not trust that report alone: it
//! compares the renderer's `/proc/PID/ns/*` with its own from outside
//! ([`crate::inspect::inspect`]).
//!
//! A namespace id is the inode number in the `/proc/PID/ns/<kind>` link
//! target, e.g. `user:[4026531837]`.

use std::path::Path;

use workshop_common::sandbox_report::{Layer, LayerState, LayerStatus};

/// The namespace layers with their `/proc/PID/ns/` names, in report order.
pub const NAMESPACES: [(Layer, &str); 6] = [
    (Layer::UserNamespace, "user"),
    (Layer::PidNamespace, "pid"),
    (Layer::NetNamespace, "net"),
    (Layer::IpcNamespace, "ipc"),
    (Layer::UtsNamespace, "uts"),
    (Layer::MountNamespace, "mnt"),
];

/// The errno reported for a namespace the renderer shares with the broker.
/// The real reason was seen at spawn time, in the child between fork and
/// exec, which cannot report it; [`crate::spawn`] writes it to stderr there.
/// 0 means "not known here".
pub const SHARED_NAMESPACE_ERRNO: i32 = 0;

/// Why namespace ids could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum NamespaceError {
    /// Reading a `/proc/.../ns/<kind>` link failed.
    #[error("reading {path}: {source}")]
    Read {
        /// The link.
        path: String,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// A link target did not look like `kind:[number]`.
    #[error("unexpected namespace link {0:?}")]
    Link(String),
    /// A command-line argument did not look like `user:N,pid:N,...`.
    #[error("malformed namespace argument {0:?}")]
    Arg(String),
}

/// The six namespace ids of one process (the broker's, for the renderer to
/// compare with).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParentNamespaces {
    ids: [u64; 6],
}

impl ParentNamespaces {
    /// The calling process's namespaces.
    pub fn current() -> Result<ParentNamespaces, NamespaceError> {
        Self::read(Path::new("/proc/self/ns"))
    }

    /// The namespaces of process `pid` (as seen in the caller's pid
    /// namespace; needs ptrace-read access to it).
    pub fn of_pid(pid: u32) -> Result<ParentNamespaces, NamespaceError> {
        Self::read(&Path::new("/proc").join(pid.to_string()).join("ns"))
    }

    fn read(dir: &Path) -> Result<ParentNamespaces, NamespaceError> {
        let mut ids = [0; 6];
        for (slot, (_, kind)) in ids.iter_mut().zip(NAMESPACES) {
            *slot = read_link(&dir.join(kind))?;
        }
        Ok(ParentNamespaces { ids })
    }

    /// The id of one namespace layer (`None` for a non-namespace layer).
    pub fn id(&self, layer: Layer) -> Option<u64> {
        NAMESPACES
            .iter()
            .position(|(l, _)| *l == layer)
            .map(|i| self.ids[i])
    }

    /// The command-line form: `user:4026531837,pid:4026531836,...`.
    pub fn to_arg(&self) -> String {
        NAMESPACES
            .iter()
            .zip(self.ids)
            .map(|((_, kind), id)| format!("{kind}:{id}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Parses [`to_arg`](Self::to_arg)'s form: exactly the six kinds, in
    /// order.
    pub fn parse(arg: &str) -> Result<ParentNamespaces, NamespaceError> {
        let bad = || NamespaceError::Arg(arg.chars().take(200).collect());
        let mut parts = arg.split(',');
        let mut ids = [0; 6];
        for (slot, (_, kind)) in ids.iter_mut().zip(NAMESPACES) {
            let part = parts.next().ok_or_else(bad)?;
            let (k, id) = part.split_once(':').ok_or_else(bad)?;
            if k != kind || id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            *slot = id.parse().map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(ParentNamespaces { ids })
    }
}

/// Reads one `/proc/.../ns/<kind>` link and returns its inode number.
fn read_link(path: &Path) -> Result<u64, NamespaceError> {
    let target = std::fs::read_link(path).map_err(|source| NamespaceError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let target = target.to_string_lossy();
    parse_link(&target).ok_or_else(|| NamespaceError::Link(target.into_owned()))
}

/// `user:[4026531837]` → 4026531837.
fn parse_link(target: &str) -> Option<u64> {
    let (_, rest) = target.split_once(":[")?;
    rest.strip_suffix(']')?.parse().ok()
}

/// The renderer's namespace layers compared with its parent's: `Active` when
/// the namespace differs, `Unavailable` ([`SHARED_NAMESPACE_ERRNO`]) when it
/// is the broker's own. (The renderer is uid 0 of its user namespace and
/// holds capabilities there until [`crate::capabilities`] drops them; that
/// layer, `NoCapabilities`, reports the privileges.) Call first in the
/// bootstrap: it reads `/proc/self`, which the empty root removes.
pub fn namespaces_status(parent: &ParentNamespaces) -> Vec<LayerStatus> {
    let own = ParentNamespaces::current();
    NAMESPACES
        .iter()
        .enumerate()
        .map(|(i, &(layer, _))| {
            let state = match &own {
                Err(NamespaceError::Read { source, .. }) => LayerState::Unavailable {
                    errno: source.raw_os_error().unwrap_or(libc::EIO),
                },
                Err(_) => LayerState::Unavailable { errno: libc::EIO },
                Ok(own) if own.ids[i] == parent.ids[i] => LayerState::Unavailable {
                    errno: SHARED_NAMESPACE_ERRNO,
                },
                Ok(_) => LayerState::Active,
            };
            LayerStatus {
                layer,
                state,
                detail: 0,
            }
        })
        .collect()
}

/// The hexadecimal value of a `/proc/PID/status` line such as `CapEff:`.
pub(crate) fn status_hex(status: &str, key: &str) -> Option<u64> {
    let value = status.lines().find_map(|l| l.strip_prefix(key))?;
    u64::from_str_radix(value.trim(), 16).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn links_parse() {
        assert_eq!(parse_link("user:[4026531837]"), Some(4026531837));
        assert_eq!(parse_link("mnt:[1]"), Some(1));
        assert_eq!(parse_link("user:4026531837"), None);
        assert_eq!(parse_link("user:[x]"), None);
    }

    #[test]
    fn the_argument_round_trips() {
        let ns = ParentNamespaces::current().unwrap();
        let arg = ns.to_arg();
        assert!(arg.starts_with("user:"), "{arg}");
        assert_eq!(ParentNamespaces::parse(&arg).unwrap(), ns);
        assert_eq!(ns.id(Layer::NetNamespace), Some(ns.ids[2]));
        assert_eq!(ns.id(Layer::Seccomp), None);
    }

    #[test]
    fn malformed_arguments_are_refused() {
        for bad in [
            "",
            "user:1,pid:2,net:3,ipc:4,uts:5",
            "user:1,pid:2,net:3,ipc:4,uts:5,mnt:6,x:7",
            "pid:1,user:2,net:3,ipc:4,uts:5,mnt:6",
            "user:1,pid:2,net:3,ipc:4,uts:5,mnt:+6",
            "user:1,pid:2,net:3,ipc:4,uts:5,mnt:",
            "user:1,pid:2,net:3,ipc:4,uts:5,mnt:99999999999999999999999",
        ] {
            assert!(ParentNamespaces::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sharing_every_namespace_reports_each_unavailable() {
        let ns = ParentNamespaces::current().unwrap();
        let status = namespaces_status(&ns);
        assert_eq!(status.len(), 6);
        for (s, (layer, _)) in status.iter().zip(NAMESPACES) {
            assert_eq!(s.layer, layer);
            assert_eq!(
                s.state,
                LayerState::Unavailable {
                    errno: SHARED_NAMESPACE_ERRNO
                }
            );
        }
    }

    #[test]
    fn status_lines_parse() {
        let s = "Name:\tx\nCapEff:\t000001ffffffffff\nCapBnd:\t0\n";
        assert_eq!(status_hex(s, "CapEff:"), Some(0x1ff_ffff_ffff));
        assert_eq!(status_hex(s, "CapPrm:"), None);
    }
}
