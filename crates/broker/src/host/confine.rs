//! The broker's only calls into the sandbox crate.
//!
//! Kept in one file so a reviewer can see every point where the broker
//! relies on confinement: preparing the spawn step (namespaces, parent-death
//! signal, the renderer's uid), naming its own namespaces for the
//! renderer's self-check, and inspecting a renderer from outside after its
//! handshake.

use workshop_common::sandbox_report::{Layer, SandboxMode};
use workshop_sandbox::{ParentNamespaces, SpawnConfinement};

use crate::core::Confinement;

/// Prepares the spawn step for `mode` (allocates; call before the fork).
pub fn prepare(mode: SandboxMode) -> Result<SpawnConfinement, String> {
    SpawnConfinement::prepare(mode).map_err(|e| e.to_string())
}

/// The broker's namespace ids as the renderer's `--parent-ns` argument.
pub fn parent_namespaces_arg() -> String {
    match ParentNamespaces::current() {
        Ok(ns) => ns.to_arg(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the broker's namespaces");
            String::new()
        }
    }
}

/// Reads `/proc/PID/status` and `/proc/PID/ns/*` of renderer `pid`.
pub fn inspect(pid: u32) -> Result<Confinement, String> {
    let seen = workshop_sandbox::inspect(pid).map_err(|e| e.to_string())?;
    Ok(Confinement {
        seccomp_mode: u8::try_from(seen.seccomp).unwrap_or(u8::MAX),
        no_new_privs: seen.no_new_privs,
        separate_namespaces: Layer::NAMESPACES
            .into_iter()
            .filter(|&l| seen.separate(l))
            .collect(),
        no_capabilities: seen.no_capabilities(),
        empty_root: seen.empty_root(),
        thread_limited: seen.thread_limited(),
    })
}
