//! Resource limits: a renderer that escapes its other layers still cannot
//! fill the disk, dump its memory, eat all RAM or hoard file descriptors.
//!
//! Each limit is set as both soft and hard limit (lowering the hard limit is
//! one-way for a process without `CAP_SYS_RESOURCE`, which the renderer
//! lacks), never above the hard limit it already had.
//!
//! Not here: `RLIMIT_NPROC`, which is its own layer, [`crate::thread_limit`].
//! Since Linux 5.14 the kernel counts it per (user namespace, uid), not per
//! uid system-wide, so in the renderer's own user namespace it counts only
//! that renderer's tasks (see that module for the kernel code and the test
//! that shows it). Seccomp forbids new processes besides (`clone` without
//! `CLONE_THREAD`, `fork`, `vfork`, `clone3`).

use rustix::process::{Resource, Rlimit};
use workshop_common::sandbox_report::{Layer, LayerState, LayerStatus};

/// One limit with its reason.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// The resource.
    pub resource: Resource,
    /// Its name, for tables and messages.
    pub name: &'static str,
    /// The value, used as both soft and hard limit.
    pub value: u64,
    /// Why.
    pub reason: &'static str,
}

/// Largest file the renderer may write: none. Its stderr is a pipe to the
/// broker, which this limit does not touch (it applies to regular files).
pub const MAX_FILE_SIZE: u64 = 0;
/// Core dump size: none (renderer memory holds the user's data).
pub const MAX_CORE_SIZE: u64 = 0;
/// Address space: 1 GiB. A 4K surface is ~33 MiB and the font, glyph cache
/// and widget tree a few tens more; glibc reserves 64 MiB of address space
/// per malloc arena and std 2 MiB per thread stack, so this leaves ample
/// headroom while stopping a runaway allocation long before the machine
/// swaps.
pub const MAX_ADDRESS_SPACE: u64 = 1 << 30;
/// Open files: 32. The renderer holds stdin/stdout/stderr, fd 3 (its
/// datagram socket to the broker), a few ipc-channel sockets and one
/// shared-memory fd per surface. Received fds that would exceed the limit are
/// dropped by the kernel (the message arrives with `MSG_CTRUNC`).
pub const MAX_OPEN_FILES: u64 = 32;
/// Locked memory: none (the renderer has no use for `mlock`).
pub const MAX_LOCKED_MEMORY: u64 = 0;
/// POSIX message queue bytes: none (no `mq_open` use; keeps the per-user
/// queue budget for others).
pub const MAX_MSGQUEUE_BYTES: u64 = 0;

/// The limits, applied in this order.
pub const LIMITS: &[Limit] = &[
    Limit {
        resource: Resource::Fsize,
        name: "RLIMIT_FSIZE",
        value: MAX_FILE_SIZE,
        reason: "no file writes (SIGXFSZ); stderr is a pipe, not a file",
    },
    Limit {
        resource: Resource::Core,
        name: "RLIMIT_CORE",
        value: MAX_CORE_SIZE,
        reason: "no core dumps of renderer memory",
    },
    Limit {
        resource: Resource::As,
        name: "RLIMIT_AS",
        value: MAX_ADDRESS_SPACE,
        reason:
            "bounded address space: a runaway allocation fails instead of exhausting the machine",
    },
    Limit {
        resource: Resource::Nofile,
        name: "RLIMIT_NOFILE",
        value: MAX_OPEN_FILES,
        reason: "few fds: std streams, fd 3, a few channels and surfaces",
    },
    Limit {
        resource: Resource::Memlock,
        name: "RLIMIT_MEMLOCK",
        value: MAX_LOCKED_MEMORY,
        reason: "no locked memory",
    },
    Limit {
        resource: Resource::Msgqueue,
        name: "RLIMIT_MSGQUEUE",
        value: MAX_MSGQUEUE_BYTES,
        reason: "no POSIX message queues",
    },
];

/// A limit the kernel refused.
#[derive(Debug, thiserror::Error)]
#[error("setting {name} to {value}: {source}")]
pub struct RlimitError {
    /// The limit's name.
    pub name: &'static str,
    /// The value asked for.
    pub value: u64,
    /// What the kernel said.
    #[source]
    pub source: std::io::Error,
}

impl RlimitError {
    /// The errno the kernel returned.
    pub fn errno(&self) -> i32 {
        self.source.raw_os_error().unwrap_or(libc::EINVAL)
    }
}

/// Applies [`LIMITS`] to the process, stopping at the first refusal.
pub fn apply() -> Result<LayerStatus, RlimitError> {
    for limit in LIMITS {
        let value = match rustix::process::getrlimit(limit.resource).maximum {
            Some(hard) => hard.min(limit.value),
            None => limit.value,
        };
        rustix::process::setrlimit(
            limit.resource,
            Rlimit {
                current: Some(value),
                maximum: Some(value),
            },
        )
        .map_err(|e| RlimitError {
            name: limit.name,
            value,
            source: e.into(),
        })?;
    }
    Ok(LayerStatus {
        layer: Layer::Rlimits,
        state: LayerState::Active,
        detail: u32::try_from(LIMITS.len()).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_limit_has_a_reason_and_is_listed_once() {
        for (i, limit) in LIMITS.iter().enumerate() {
            assert!(
                !limit.reason.trim().is_empty(),
                "{} has no reason",
                limit.name
            );
            assert!(
                LIMITS[..i].iter().all(|l| l.resource != limit.resource),
                "{} listed twice",
                limit.name
            );
        }
    }

    #[test]
    fn nproc_belongs_to_the_thread_limit_layer() {
        assert!(LIMITS.iter().all(|l| l.resource != Resource::Nproc));
    }
}
