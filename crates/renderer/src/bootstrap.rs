//! From process start to the first `Hello`, straight-line, in the order the
//! docs describe, one error variant per step.
//!
//! 0. Name the process `workshop-main` / `workshop-login` (its `comm`, what
//!    `ps`, `top` and the kernel's messages show: the exec went through
//!    `/proc/self/fd/N`, so it would otherwise be the fd number).
//! 1. Adopt the control socket at the inherited fd.
//!    * 1a. Map the font pack at its inherited fd, when the broker passed
//!      one (read-only, before lockdown; see [`crate::fonts`]). A pack that
//!      does not check is logged and skipped: Noto Sans only.
//! 2. Check our namespaces against the broker's (before lockdown: `/proc`
//!    is unreadable afterwards).
//! 3. Build the window content (fonts are parsed from memory: the embedded
//!    Noto Sans and the mapped pack).
//! 4. Host a one-shot ipc-channel server for surfaces and name it to the
//!    broker with `Bootstrap`; accept the broker's connection and its first
//!    surface. (The renderer hosts the server so that the broker only ever
//!    *sends* on ipc-channel; see `docs/SECURITY.md`.)
//!    Then, once the broker is connected:
//!    * 4a. empty root: `pivot_root` into an empty read-only tmpfs, old
//!      root detached (no `/proc`, no host path from here on); needs the
//!      capabilities uid 0 has in our own user namespace;
//!    * 4b. drop every capability, securebits locked.
//! 5. Lock down: no_new_privs, not dumpable, Landlock, rlimits, thread
//!    limit and priority, seccomp. The process is single-threaded here, so
//!    every layer covers it all.
//! 6. Run the probes: try each forbidden thing and record the refusal.
//! 7. Say `Hello` (version, role, report) and hand over to the runtime.

use std::os::fd::{FromRawFd, OwnedFd};

use ipc_channel::ipc::IpcOneShotServer;
use thiserror::Error;
use workshop_common::protocol::RendererToBroker;
use workshop_common::sandbox_report::{
    Layer, LayerState, LayerStatus, Probe, ProbeOutcome, ProbeResult, SandboxMode, SandboxReport,
};
use workshop_common::{Role, PROTOCOL_VERSION};
use workshop_transport::control::{ControlSocket, InheritError};
use workshop_transport::surface::SurfaceHandle;

use crate::args::RendererArgs;
use crate::hooks::{Hooks, SandboxStep};
use crate::runtime::{Runtime, RuntimeError};

/// Why the renderer could not start. One variant per step.
#[derive(Debug, Error)]
pub enum BootstrapError {
    /// Step 1.
    #[error("control socket at fd {fd}: {source}")]
    ControlSocket {
        /// The fd.
        fd: i32,
        /// Why.
        source: InheritError,
    },
    /// Step 4: creating the one-shot server.
    #[error("surface server: {0}")]
    SurfaceServer(std::io::Error),
    /// Step 4: sending `Bootstrap`.
    #[error("sending Bootstrap: {0}")]
    SendBootstrap(RuntimeError),
    /// Step 4: accepting the broker's connection.
    #[error("accepting the broker's surface connection: {0}")]
    AcceptSurface(String),
    /// Step 4a.
    #[error("empty root: {0}")]
    EmptyRoot(workshop_sandbox::LockdownError),
    /// Step 4b.
    #[error("capability drop: {0}")]
    DropCapabilities(workshop_sandbox::LockdownError),
    /// Step 5.
    #[error("lockdown: {0}")]
    Lockdown(workshop_sandbox::LockdownError),
    /// Step 7 and after.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// The renderer's process name (`comm`, at most 15 bytes).
pub fn process_name(role: Role) -> &'static std::ffi::CStr {
    match role {
        Role::Main => c"workshop-main",
        Role::Login => c"workshop-login",
    }
}

/// Runs the renderer to completion, with `hooks` attached (the product
/// passes [`crate::hooks::NoHooks`]).
pub fn run(args: RendererArgs, hooks: Box<dyn Hooks>) -> Result<(), BootstrapError> {
    // 0. The process name. Cosmetic, so a failure is only logged.
    if let Err(e) = rustix::thread::set_name(process_name(args.role)) {
        tracing::warn!(error = %e, "cannot set the process name");
    }

    // 1. The control socket.
    if args.ipc_fd < 3 {
        return Err(BootstrapError::ControlSocket {
            fd: args.ipc_fd,
            source: InheritError::NotASocket(std::io::Error::from_raw_os_error(libc::EBADF)),
        });
    }
    // SAFETY: the broker placed our end of the control socket at this fd
    // (>= 3, so not stdio) and nothing else in this process has taken
    // ownership of it; `from_inherited` checks it really is a seqpacket
    // socket before it is used.
    let fd = unsafe { OwnedFd::from_raw_fd(args.ipc_fd) };
    let control =
        ControlSocket::from_inherited(fd).map_err(|source| BootstrapError::ControlSocket {
            fd: args.ipc_fd,
            source,
        })?;

    // 1a. The font pack.
    let fallbacks = match args.fonts_fd {
        Some(fd) => map_fonts(fd),
        None => Vec::new(),
    };

    // 2. Namespaces, judged before /proc becomes unreadable.
    let namespace_layers = namespace_layers(&args);

    // 3. Content.
    let mut runtime = Runtime::new(&args, control, fallbacks, hooks);

    // 4. Surface server, Bootstrap, first surface.
    let (server, name) =
        IpcOneShotServer::<SurfaceHandle>::new().map_err(BootstrapError::SurfaceServer)?;
    runtime
        .send(&RendererToBroker::Bootstrap { server: name })
        .map_err(BootstrapError::SendBootstrap)?;
    let (surfaces, first) = server
        .accept()
        .map_err(|e| BootstrapError::AcceptSurface(e.to_string()))?;
    runtime.adopt_surface_channel(surfaces, first);

    runtime.with_hooks(|hooks, rt| hooks.before_lockdown(rt));

    // 4a. Empty root. 4b. No capabilities.
    let empty_root = confine(&mut runtime, SandboxStep::EmptyRoot, args.sandbox)
        .map_err(BootstrapError::EmptyRoot)?;
    let no_capabilities = confine(&mut runtime, SandboxStep::DropCapabilities, args.sandbox)
        .map_err(BootstrapError::DropCapabilities)?;

    // 5. Lockdown.
    let lockdown_layers = confine(&mut runtime, SandboxStep::Lockdown, args.sandbox)
        .map_err(BootstrapError::Lockdown)?;

    // 6. Probes.
    let probes = probes(&args);

    // 7. Hello.
    let mut layers = namespace_layers;
    layers.extend(empty_root);
    layers.extend(no_capabilities);
    layers.extend(lockdown_layers);
    let report = SandboxReport {
        mode: args.sandbox,
        layers,
        probes,
    };
    for l in report
        .layers
        .iter()
        .filter(|l| l.state != LayerState::Active)
    {
        if args.sandbox != SandboxMode::Disabled {
            tracing::warn!(layer = l.layer.name(), state = ?l.state, "sandbox layer not active");
        }
    }
    let hello = RendererToBroker::Hello {
        protocol_version: PROTOCOL_VERSION,
        role: args.role,
        sandbox: report,
    };
    let hello = runtime.with_hooks(|hooks, _| hooks.rewrite_hello(hello));
    runtime.send(&hello)?;
    runtime.run()?;
    Ok(())
}

/// Step 1a: the faces of the pack at `fd`, or none (logged) when it is
/// unusable: missing fonts cost glyphs, not the window.
fn map_fonts(fd: i32) -> Vec<workshop_ui::FallbackFace> {
    if fd != crate::fonts::RENDERER_FONTS_FD {
        tracing::warn!(fd, "font pack not at its fd; Noto Sans only");
        return Vec::new();
    }
    // SAFETY: the broker placed the pack at this fd (4, not stdio and not
    // the control socket) and nothing else in this process owns it;
    // `FontPack::map` checks it is a sealed memfd before mapping it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    match crate::fonts::FontPack::map(fd) {
        Ok(pack) => {
            tracing::debug!(faces = pack.face_count(), "font pack mapped");
            pack.fallbacks()
        }
        Err(e) => {
            tracing::warn!(error = %e, "font pack unusable; Noto Sans only");
            Vec::new()
        }
    }
}

fn namespace_layers(args: &RendererArgs) -> Vec<LayerStatus> {
    if args.sandbox == SandboxMode::Disabled {
        return Layer::NAMESPACES
            .iter()
            .map(|&layer| LayerStatus {
                layer,
                state: LayerState::Disabled,
                detail: 0,
            })
            .collect();
    }
    match workshop_sandbox::ParentNamespaces::parse(&args.parent_ns) {
        Ok(parent) => workshop_sandbox::namespaces_status(&parent),
        Err(e) => {
            tracing::warn!(error = %e, "broker namespaces unknown; cannot check ours");
            Layer::NAMESPACES
                .iter()
                .map(|&layer| LayerStatus {
                    layer,
                    state: LayerState::Unavailable {
                        errno: libc::EINVAL,
                    },
                    detail: 0,
                })
                .collect()
        }
    }
}

/// One confinement step, as the sandbox crate does it (or as a test
/// renderer's hooks do it instead).
fn confine(
    runtime: &mut Runtime,
    step: SandboxStep,
    mode: SandboxMode,
) -> Result<Vec<LayerStatus>, workshop_sandbox::LockdownError> {
    if let Some(done) = runtime.with_hooks(|hooks, _| hooks.sandbox_step(step, mode)) {
        return done;
    }
    match step {
        SandboxStep::EmptyRoot => workshop_sandbox::empty_root(mode).map(|l| vec![l]),
        SandboxStep::DropCapabilities => workshop_sandbox::drop_capabilities(mode).map(|l| vec![l]),
        SandboxStep::Lockdown => workshop_sandbox::lockdown(mode),
    }
}

fn probes(args: &RendererArgs) -> Vec<ProbeResult> {
    if args.sandbox == SandboxMode::Disabled {
        return Probe::ALL
            .iter()
            .map(|&probe| ProbeResult {
                probe,
                outcome: ProbeOutcome::NotRun,
            })
            .collect();
    }
    workshop_sandbox::run_probes(&workshop_sandbox::ProbeContext::new(args.broker_pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_names_fit_the_kernels_comm() {
        // TASK_COMM_LEN is 16 with the NUL: a longer name is cut silently.
        for role in [Role::Main, Role::Login] {
            let name = process_name(role).to_bytes();
            assert!(name.len() <= 15, "{name:?}");
            assert!(name.starts_with(b"workshop-"), "{name:?}");
        }
        assert_ne!(process_name(Role::Main), process_name(Role::Login));
    }
}
