//! The task limit and the CPU priority: a renderer can neither starve the
//! host of processes/threads nor of CPU time.
//!
//! Without it, the allowlist lets any `clone(CLONE_THREAD)` through and
//! `RLIMIT_AS` (1 GiB) still holds ~65,000 small-stack threads: one
//! renderer filled a pids cgroup of 600 and the broker could not start the
//! Login renderer.
//!
//! `RLIMIT_NPROC` is the bound. Since Linux 5.14 (`ucounts: Move
//! RLIMIT_NPROC into ucounts`) the kernel counts tasks per (user namespace,
//! uid) and checks the limit at every level up to the init namespace
//! (`is_rlimit_overlimit` in `kernel/ucount.c`, called from
//! `copy_process`). Each renderer has its own user namespace, so the count
//! is that renderer's tasks alone: its namespace's intermediate process and
//! its own threads, nothing of the user's session. Seen on 6.18 (the
//! `a_thread_bomb_is_contained_per_renderer` test in
//! `tests/confinement.rs`): a renderer holding every thread its limit
//! allows leaves a second renderer of the same uid exactly as many.
//! Exceeding it needs `CAP_SYS_RESOURCE` or `CAP_SYS_ADMIN`
//! in the *init* namespace, or being the host's uid 0 (`INIT_USER`, which
//! is why [`crate::spawn`] runs a root broker's renderers as `nobody`);
//! raising a hard limit needs `CAP_SYS_RESOURCE` there too. So it applies
//! after the capability drop, and is final.
//!
//! The CPU: the renderer lowers its own priority to nice
//! [`RENDERER_NICE`] (always allowed) and sets `RLIMIT_NICE` so it may never
//! go back below it (`can_nice` checks that limit; `CAP_SYS_NICE` would be
//! needed in the init namespace). What bounds a spinning renderer: it can
//! keep at most [`MAX_TASKS`]` - 1` threads busy (the intermediate sleeps),
//! at a lower priority than the broker, which replaces it when it stops
//! answering pings. Priority is per thread on Linux; the renderer is single-
//! threaded here and later threads inherit it.

use rustix::process::{Resource, Rlimit};
use workshop_common::sandbox_report::{Layer, LayerState, LayerStatus};

/// Tasks a renderer's user namespace may hold: 4. The renderer is
/// single-threaded (its runtime starts no thread; ipc-channel's router is
/// not used); the intermediate process of [`crate::spawn`] is the second;
/// two spare for a library that starts a helper thread.
pub const MAX_TASKS: u64 = 4;
/// The renderer's nice value: 10, below the broker's (normally 0) so the
/// broker's event loop is scheduled first when a renderer spins.
pub const RENDERER_NICE: i32 = 10;
/// `RLIMIT_NICE` is expressed as `20 - nice` (the lowest nice allowed).
const NICE_RLIMIT_BASE: i32 = 20;

// The intermediate and the main thread must fit, and the nice value must be
// one `RLIMIT_NICE` can express.
const _: () = assert!(MAX_TASKS >= 2);
const _: () = assert!(RENDERER_NICE > 0 && RENDERER_NICE < NICE_RLIMIT_BASE);

/// Why the thread limit or the priority could not be applied. One variant
/// per step.
#[derive(Debug, thiserror::Error)]
pub enum ThreadLimitError {
    /// Step 1.
    #[error("setting RLIMIT_NPROC to {value}: {source}")]
    TaskLimit {
        /// The value asked for.
        value: u64,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// Step 2: reading the current nice value.
    #[error("reading the nice value: {0}")]
    ReadNice(#[source] std::io::Error),
    /// Step 2: lowering the priority.
    #[error("setting nice {nice}: {source}")]
    Nice {
        /// The nice value asked for.
        nice: i32,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// Step 3.
    #[error("setting RLIMIT_NICE to {value}: {source}")]
    NiceLimit {
        /// The value asked for.
        value: u64,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
}

impl ThreadLimitError {
    /// The errno the kernel returned.
    pub fn errno(&self) -> i32 {
        match self {
            ThreadLimitError::TaskLimit { source, .. }
            | ThreadLimitError::ReadNice(source)
            | ThreadLimitError::Nice { source, .. }
            | ThreadLimitError::NiceLimit { source, .. } => {
                source.raw_os_error().unwrap_or(libc::EINVAL)
            }
        }
    }
}

/// `value` as both soft and hard limit, never above the current hard limit.
fn set_limit(resource: Resource, value: u64) -> Result<u64, rustix::io::Errno> {
    let value = match rustix::process::getrlimit(resource).maximum {
        Some(hard) => hard.min(value),
        None => value,
    };
    rustix::process::setrlimit(
        resource,
        Rlimit {
            current: Some(value),
            maximum: Some(value),
        },
    )?;
    Ok(value)
}

/// Applies the task limit, then the priority and its floor. The status's
/// detail is the task limit in force.
pub fn apply() -> Result<LayerStatus, ThreadLimitError> {
    // Step 1.
    let tasks = set_limit(Resource::Nproc, MAX_TASKS).map_err(|e| ThreadLimitError::TaskLimit {
        value: MAX_TASKS,
        source: e.into(),
    })?;
    // Step 2: never *raise* the priority (that is what the limit forbids).
    let current = rustix::process::getpriority_process(None)
        .map_err(|e| ThreadLimitError::ReadNice(e.into()))?;
    let nice = current.max(RENDERER_NICE);
    rustix::process::setpriority_process(None, nice).map_err(|e| ThreadLimitError::Nice {
        nice,
        source: e.into(),
    })?;
    // Step 3.
    let floor = u64::try_from(NICE_RLIMIT_BASE - nice).unwrap_or(0);
    set_limit(Resource::Nice, floor).map_err(|e| ThreadLimitError::NiceLimit {
        value: floor,
        source: e.into(),
    })?;
    Ok(LayerStatus {
        layer: Layer::ThreadLimit,
        state: LayerState::Active,
        detail: u32::try_from(tasks).unwrap_or(u32::MAX),
    })
}
