//! The handshake: `Bootstrap` (before lockdown: where the surface server
//! is), `Hello` (after lockdown: protocol version, role, sandbox
//! self-report), the broker's own look at `/proc`, then `Welcome`, the
//! first surface and the state the broker holds.
//!
//! Each step either advances [`Stage`] or refuses the renderer; nothing a
//! renderer says here is trusted further than the check that reads it.

use std::path::{Component, Path};
use std::time::Instant;

use workshop_common::sandbox_report::{shortfalls, Layer, LayerState, SandboxMode, SandboxReport};
use workshop_common::{BrokerToRenderer, Role, PROTOCOL_VERSION};

use super::BadMessage;
use crate::audit::Verdict;
use crate::core::{Broker, Confinement, Effect, GoneReason, Stage, SurfaceSpec};

impl Broker {
    /// `Bootstrap`: the server must be in the renderer's private directory;
    /// the broker connects to it with the first surface.
    pub(super) fn bootstrap(
        &mut self,
        role: Role,
        server: &str,
        pid: u32,
    ) -> Result<Verdict, BadMessage> {
        let Some(w) = self.windows.get_mut(&role) else {
            return Ok(Verdict::Stale);
        };
        let dir_ok = w
            .renderer
            .bootstrap_dir
            .as_deref()
            .is_some_and(|dir| server_path_ok(dir, server));
        if !dir_ok {
            return Err(BadMessage::BootstrapPath);
        }
        w.renderer.pid = Some(pid);
        w.renderer.stage = Stage::AwaitingHello;
        w.surface_generation += 1;
        let (width, height, scale) = w.size;
        let spec = SurfaceSpec {
            generation: w.surface_generation,
            width,
            height,
            scale,
        };
        w.renderer.proto.surfaces_mut().sent(spec);
        self.effects.push(Effect::SendSurface {
            role,
            generation: w.renderer.generation,
            spec,
            connect: Some(server.into()),
        });
        Ok(Verdict::Accepted)
    }

    /// `Hello`: version and role must match; the sandbox report must meet
    /// the mode (a shortfall the kernel explains is only a warning).
    pub(super) fn hello(
        &mut self,
        now: Instant,
        role: Role,
        protocol_version: u32,
        claimed: Role,
        sandbox: SandboxReport,
        pid: u32,
    ) -> Result<Verdict, BadMessage> {
        if protocol_version != PROTOCOL_VERSION {
            tracing::error!(
                role = role.as_str(),
                version = protocol_version,
                expected = PROTOCOL_VERSION,
                "renderer speaks another protocol version; refused"
            );
            return Err(BadMessage::WrongVersion {
                version: protocol_version,
            });
        }
        if claimed != role {
            return Err(BadMessage::WrongRole {
                claimed,
                assigned: role,
            });
        }
        let mode = self.config.sandbox;
        let verify = self.config.verify_from_outside && mode != SandboxMode::Disabled;
        let fatal = sandbox_fatal(role, mode, &sandbox);
        let Some(w) = self.windows.get_mut(&role) else {
            return Ok(Verdict::Stale);
        };
        let generation = w.renderer.generation;
        w.renderer.report = Some(sandbox);
        if fatal {
            w.renderer.stage = Stage::Dying(GoneReason::Refused);
            self.effects.push(Effect::Kill { role, generation });
            return Ok(Verdict::Refused("sandbox shortfall".to_owned()));
        }
        if verify {
            w.renderer.stage = Stage::Verifying;
            self.effects.push(Effect::Inspect {
                role,
                generation,
                pid,
            });
        } else {
            self.welcome(now, role);
        }
        Ok(Verdict::Accepted)
    }

    /// What the broker saw in `/proc` against what `Hello` claimed.
    pub(super) fn inspected(
        &mut self,
        now: Instant,
        role: Role,
        result: Result<Confinement, String>,
    ) {
        let mode = self.config.sandbox;
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        if w.renderer.stage != Stage::Verifying {
            return;
        }
        let generation = w.renderer.generation;
        let problems: Vec<String> = match (&result, &w.renderer.report) {
            (Err(e), _) => vec![format!("could not inspect the renderer: {e}")],
            (Ok(_), None) => vec!["no sandbox report".to_owned()],
            (Ok(seen), Some(report)) => confinement_mismatches(seen, report),
        };
        let fatal = match &result {
            Err(_) => mode == SandboxMode::Strict,
            Ok(_) => !problems.is_empty(),
        };
        for p in &problems {
            if fatal {
                tracing::error!(
                    role = role.as_str(),
                    generation,
                    problem = p.as_str(),
                    "renderer confinement not confirmed; refused"
                );
            } else {
                tracing::warn!(
                    role = role.as_str(),
                    generation,
                    problem = p.as_str(),
                    "renderer confinement not confirmed"
                );
            }
        }
        if fatal {
            w.renderer.stage = Stage::Dying(GoneReason::Refused);
            self.effects.push(Effect::Kill { role, generation });
            return;
        }
        self.welcome(now, role);
    }

    /// The handshake is complete: welcome, surface, initial state.
    fn welcome(&mut self, now: Instant, role: Role) {
        let ping_interval = self.config.ping_interval;
        let user = self.user.clone();
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        let generation = w.renderer.generation;
        w.renderer.stage = Stage::Ready;
        w.renderer.ready_at = Some(now);
        w.renderer.proto.ready(now, ping_interval);
        tracing::info!(
            role = role.as_str(),
            generation,
            pid = w.renderer.pid.unwrap_or(0),
            "renderer ready"
        );
        self.effects.push(Effect::Send {
            role,
            generation,
            msg: BrokerToRenderer::Welcome,
        });
        if let Some(spec) = w.renderer.proto.surfaces().current() {
            self.effects.push(Effect::Send {
                role,
                generation,
                msg: BrokerToRenderer::Surface {
                    generation: spec.generation,
                    width: spec.width,
                    height: spec.height,
                    scale: spec.scale,
                },
            });
            // Resized during the handshake: the new size waits for the
            // renderer to take this surface.
            if (spec.width, spec.height, spec.scale) != w.size {
                w.renderer.proto.surfaces_mut().hold_resize(now);
            }
        }
        if role == Role::Main {
            self.effects.push(Effect::Send {
                role,
                generation,
                msg: BrokerToRenderer::InitialState { user },
            });
        }
    }
}

/// Logs every shortfall of `report` against `mode`; true if one is fatal.
fn sandbox_fatal(role: Role, mode: SandboxMode, report: &SandboxReport) -> bool {
    let mut fatal = false;
    for s in &shortfalls(mode, report) {
        if s.is_fatal(mode) {
            fatal = true;
            tracing::error!(role = role.as_str(), mode = mode.as_str(), shortfall = %s, "renderer less confined than the mode requires");
        } else {
            tracing::warn!(role = role.as_str(), mode = mode.as_str(), shortfall = %s, "SANDBOX LAYER MISSING: the kernel does not offer it; running without it");
        }
    }
    fatal
}

/// Checks that `server` is `<dir>/<one component>/socket` with no `..`,
/// which is where ipc-channel's one-shot server lands when the renderer's
/// `TMPDIR` is `dir`.
fn server_path_ok(dir: &Path, server: &str) -> bool {
    let path = Path::new(server);
    let Ok(rest) = path.strip_prefix(dir) else {
        return false;
    };
    let parts: Vec<Component<'_>> = rest.components().collect();
    matches!(
        parts.as_slice(),
        [Component::Normal(_), Component::Normal(last)] if *last == "socket"
    )
}

/// What the broker saw versus what the renderer claimed.
fn confinement_mismatches(seen: &Confinement, report: &SandboxReport) -> Vec<String> {
    let mut out = Vec::new();
    let active = |layer| report.layer(layer) == Some(LayerState::Active);
    if active(Layer::Seccomp) && seen.seccomp_mode != 2 {
        out.push(format!(
            "reports seccomp active but /proc shows Seccomp: {}",
            seen.seccomp_mode
        ));
    }
    if active(Layer::NoNewPrivs) && !seen.no_new_privs {
        out.push("reports no_new_privs but /proc shows NoNewPrivs: 0".to_owned());
    }
    if active(Layer::NoCapabilities) && !seen.no_capabilities {
        out.push("reports no capabilities but /proc shows CapEff, CapPrm or CapBnd set".to_owned());
    }
    if active(Layer::EmptyRoot) && !seen.empty_root {
        out.push("reports an empty root but /proc/PID/root is not the empty tmpfs".to_owned());
    }
    if active(Layer::ThreadLimit) && !seen.thread_limited {
        out.push(
            "reports a thread limit but /proc shows no binding Max processes or nice value"
                .to_owned(),
        );
    }
    for layer in Layer::NAMESPACES {
        if active(layer) && !seen.separate_namespaces.contains(&layer) {
            out.push(format!(
                "reports {} but shares it with the broker",
                layer.name()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A renderer that claims the empty root, the capability drop or the
    /// thread limit while `/proc` shows otherwise is caught, one mismatch
    /// per lie.
    #[test]
    fn claims_the_kernel_contradicts_are_mismatches() {
        use workshop_common::sandbox_report::{LayerStatus, SandboxMode};
        let report = SandboxReport {
            mode: SandboxMode::Strict,
            layers: Layer::ALL
                .iter()
                .map(|&layer| LayerStatus {
                    layer,
                    state: LayerState::Active,
                    detail: 0,
                })
                .collect(),
            probes: Vec::new(),
        };
        let honest = Confinement {
            seccomp_mode: 2,
            no_new_privs: true,
            separate_namespaces: Layer::NAMESPACES.to_vec(),
            no_capabilities: true,
            empty_root: true,
            thread_limited: true,
        };
        assert!(confinement_mismatches(&honest, &report).is_empty());
        let liar = Confinement {
            no_capabilities: false,
            empty_root: false,
            thread_limited: false,
            ..honest
        };
        let found = confinement_mismatches(&liar, &report);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found.iter().any(|m| m.contains("empty root")), "{found:?}");
        assert!(
            found.iter().any(|m| m.contains("capabilities")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|m| m.contains("thread limit")),
            "{found:?}"
        );
    }

    #[test]
    fn bootstrap_path_must_be_one_directory_deep_in_the_private_dir() {
        let dir = Path::new("/tmp/workshop-r1");
        assert!(server_path_ok(dir, "/tmp/workshop-r1/.tmpAbc123/socket"));
        assert!(!server_path_ok(dir, "/tmp/workshop-r1/socket"));
        assert!(!server_path_ok(dir, "/tmp/workshop-r1/a/b/socket"));
        assert!(!server_path_ok(dir, "/tmp/workshop-r1/../x/socket"));
        assert!(!server_path_ok(
            dir,
            "/tmp/workshop-r1/.tmp/../../etc/socket"
        ));
        assert!(!server_path_ok(dir, "/tmp/.X11-unix/X0"));
        assert!(!server_path_ok(dir, "/tmp/workshop-r1/.tmpAbc123/other"));
        assert!(!server_path_ok(dir, "relative/.tmp/socket"));
    }
}
