//! The router: what a renderer message means, and whether it is allowed.
//!
//! Every datagram from a renderer passes, in this order: the strict reader
//! and the codec (in the receive thread; failures arrive here as
//! [`Fault`]s), the renderer's rate limits, the capability table for the
//! role the *broker* assigned to that channel, stateless validation, the
//! sender-pid check, and the protocol state (handshake order, request ids in
//! flight, outstanding pings, surface generations). The first failure makes
//! it a bad message: one audit event, the renderer is killed, nothing else
//! changes (Chromium's `ReceivedBadMessage`). Each message is audited once.

use std::path::{Component, Path};
use std::time::Instant;

use thiserror::Error;
use workshop_common::capability::{renderer_may_send, Pattern};
use workshop_common::codec::CodecError;
use workshop_common::protocol::{RendererMessageKind, Request, RequestId};
use workshop_common::sandbox_report::{shortfalls, Layer, LayerState, SandboxMode};
use workshop_common::user::{check_email, check_password};
use workshop_common::validate::{self, Invalid};
use workshop_common::{BrokerToRenderer, RendererToBroker, Role, PROTOCOL_VERSION};

use super::{
    Broker, Confinement, CoreConfig, Effect, GoneReason, Rate, RendererEvent, Stage, SurfaceSpec,
};
use crate::audit::{AuditEvent, Direction, Verdict};

/// A datagram the receive thread refused before it became a message.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Fault {
    /// It carried file descriptors (closed on receipt).
    #[error("datagram carried {count} file descriptor(s)")]
    FdsAttached {
        /// How many.
        count: usize,
    },
    /// It was larger than the codec's limit.
    #[error("datagram of {len} bytes is over the limit")]
    TooLarge {
        /// Its length.
        len: usize,
    },
    /// Its control data was truncated.
    #[error("control data truncated")]
    ControlTruncated,
    /// It had no sender credentials.
    #[error("no sender credentials")]
    MissingCredentials,
    /// It was empty.
    #[error("empty datagram")]
    Empty,
    /// The codec refused it.
    #[error("{0}")]
    Undecodable(CodecError),
    /// The socket failed.
    #[error("socket error: {0}")]
    ReadFailed(String),
}

/// Why a message is bad. Payload-free, so it can be logged and audited.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BadMessage {
    /// Refused by the strict reader or the codec.
    #[error(transparent)]
    Fault(#[from] Fault),
    /// The role may not send this kind.
    #[error("{role} may not send {kind:?}")]
    NotPermitted {
        /// The assigned role.
        role: Role,
        /// The kind.
        kind: RendererMessageKind,
    },
    /// A field failed validation.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The message is not allowed at this point of the protocol.
    #[error("{kind:?} out of order")]
    OutOfOrder {
        /// The kind.
        kind: RendererMessageKind,
    },
    /// `Hello` with another protocol version.
    #[error("protocol version {version}, expected {PROTOCOL_VERSION}")]
    WrongVersion {
        /// The version claimed.
        version: u32,
    },
    /// `Hello` claiming another role than the one assigned.
    #[error("claims role {claimed}, assigned {assigned}")]
    WrongRole {
        /// What it claimed.
        claimed: Role,
        /// What the broker assigned.
        assigned: Role,
    },
    /// A datagram from another process than the renderer that bootstrapped.
    #[error("sent by pid {got}, renderer is pid {expected}")]
    WrongSender {
        /// The bootstrapped renderer.
        expected: u32,
        /// The sender.
        got: u32,
    },
    /// More messages than the rate limit allows.
    #[error("message rate limit exceeded")]
    RateLimited,
    /// More frames than the frame rate limit allows.
    #[error("frame rate limit exceeded")]
    FrameRateLimited,
    /// An invoke id not greater than every earlier one.
    #[error("request id {id} reused or out of sequence")]
    ReusedRequestId {
        /// The id.
        id: u64,
    },
    /// More invokes unanswered than the capability table allows.
    #[error("too many requests in flight")]
    TooManyInFlight,
    /// A pong that answers no outstanding ping.
    #[error("pong {nonce} answers no ping")]
    UnexpectedPong {
        /// Its nonce.
        nonce: u64,
    },
    /// A frame for a surface the broker never sent.
    #[error("frame for unknown surface {surface}")]
    UnknownSurface {
        /// The generation claimed.
        surface: u32,
    },
    /// The bootstrap server path is not inside the renderer's directory.
    #[error("bootstrap server outside the renderer's private directory")]
    BootstrapPath,
}

/// A token bucket.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    rate: Rate,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: Rate, now: Instant) -> TokenBucket {
        TokenBucket {
            rate,
            tokens: rate.burst,
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What the ping timer wants done.
#[derive(Debug, PartialEq, Eq)]
pub enum PingAction {
    /// Nothing yet.
    Nothing,
    /// Send a ping with this nonce.
    Send(u64),
    /// The renderer has not answered for `unresponsive_after`.
    MarkUnresponsive,
    /// The renderer has not answered for `replace_after`.
    Replace,
}

/// Per-renderer protocol bookkeeping.
#[derive(Clone, Debug)]
pub struct ProtocolState {
    messages: TokenBucket,
    frames: TokenBucket,
    last_request_id: u64,
    in_flight: Vec<RequestId>,
    ping: Option<(u64, Instant)>,
    next_nonce: u64,
    next_ping_at: Instant,
    unresponsive: bool,
}

impl ProtocolState {
    /// Fresh state for a renderer spawned at `now`.
    pub fn new(now: Instant, config: &CoreConfig) -> ProtocolState {
        ProtocolState {
            messages: TokenBucket::new(config.message_rate, now),
            frames: TokenBucket::new(config.frame_rate, now),
            last_request_id: 0,
            in_flight: Vec::new(),
            ping: None,
            next_nonce: 1,
            next_ping_at: now + config.ping_interval,
            unresponsive: false,
        }
    }

    /// Whether the renderer is currently marked unresponsive.
    pub fn is_unresponsive(&self) -> bool {
        self.unresponsive
    }

    /// Request ids awaiting their reply.
    pub fn in_flight(&self) -> &[RequestId] {
        &self.in_flight
    }

    fn start_invoke(&mut self, id: RequestId, max_in_flight: usize) -> Result<(), BadMessage> {
        if id.0 <= self.last_request_id {
            return Err(BadMessage::ReusedRequestId { id: id.0 });
        }
        if self.in_flight.len() >= max_in_flight {
            return Err(BadMessage::TooManyInFlight);
        }
        self.last_request_id = id.0;
        self.in_flight.push(id);
        Ok(())
    }

    /// Removes `id` from the requests in flight; false if it was not there.
    pub fn finish_invoke(&mut self, id: RequestId) -> bool {
        let before = self.in_flight.len();
        self.in_flight.retain(|&x| x != id);
        before != self.in_flight.len()
    }

    /// When the ping timer next needs attention.
    pub fn ping_deadline(&self, config: &CoreConfig) -> Instant {
        match self.ping {
            None => self.next_ping_at,
            Some((_, sent)) if !self.unresponsive => sent + config.unresponsive_after,
            Some((_, sent)) => sent + config.replace_after,
        }
    }

    /// Advances the ping timer.
    pub fn ping_due(&mut self, now: Instant, config: &CoreConfig) -> PingAction {
        match self.ping {
            None if now >= self.next_ping_at => {
                let nonce = self.next_nonce;
                self.next_nonce += 1;
                self.ping = Some((nonce, now));
                PingAction::Send(nonce)
            }
            None => PingAction::Nothing,
            Some((_, sent)) if now >= sent + config.replace_after => PingAction::Replace,
            Some((_, sent)) if !self.unresponsive && now >= sent + config.unresponsive_after => {
                self.unresponsive = true;
                PingAction::MarkUnresponsive
            }
            Some(_) => PingAction::Nothing,
        }
    }

    /// Matches a pong; returns whether the renderer had been marked
    /// unresponsive (so the title can be restored).
    fn pong(&mut self, nonce: u64, now: Instant, config: &CoreConfig) -> Result<bool, BadMessage> {
        match self.ping {
            Some((n, _)) if n == nonce => {
                self.ping = None;
                self.next_ping_at = now + config.ping_interval;
                Ok(std::mem::replace(&mut self.unresponsive, false))
            }
            _ => Err(BadMessage::UnexpectedPong { nonce }),
        }
    }
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

impl Broker {
    pub(super) fn renderer_event(
        &mut self,
        now: Instant,
        role: Role,
        generation: u32,
        event: RendererEvent,
    ) {
        let current = self
            .windows
            .get(&role)
            .is_some_and(|w| w.renderer.generation == generation);
        match event {
            RendererEvent::Exited(kind) => {
                self.renderer_gone(now, role, generation, Some(kind));
                return;
            }
            RendererEvent::SpawnFailed { error } => {
                tracing::error!(
                    role = role.as_str(),
                    generation,
                    error = error.as_str(),
                    "could not start renderer"
                );
                self.renderer_gone(now, role, generation, None);
                return;
            }
            _ if !current => {
                if let RendererEvent::Message { msg, size, pid } = &event {
                    self.audit.record(AuditEvent {
                        direction: Direction::In,
                        role,
                        generation,
                        pid: Some(*pid),
                        kind: msg.kind().name(),
                        size: *size,
                        verdict: Verdict::Stale,
                    });
                }
                return;
            }
            _ => {}
        }
        match event {
            RendererEvent::Spawned { bootstrap_dir } => {
                if let Some(w) = self.windows.get_mut(&role) {
                    if w.renderer.stage == Stage::Starting {
                        w.renderer.stage = Stage::AwaitingBootstrap;
                    }
                    w.renderer.bootstrap_dir = Some(bootstrap_dir);
                }
            }
            RendererEvent::Message { msg, size, pid } => self.message(now, role, msg, size, pid),
            RendererEvent::Fault { fault, size, pid } => {
                let kind = match fault {
                    Fault::Undecodable(_) => "undecodable",
                    _ => "malformed-datagram",
                };
                self.bad(now, role, kind, size, pid, BadMessage::Fault(fault));
            }
            RendererEvent::SurfaceFailed { error } => {
                tracing::warn!(
                    role = role.as_str(),
                    generation,
                    error = error.as_str(),
                    "surface channel failed"
                );
                self.kill(now, role, GoneReason::LaunchFailed);
            }
            RendererEvent::Disconnected => {
                // Give the reaper a moment to report how it died before
                // making sure it is dead.
                let grace = self.config.shutdown_grace;
                if let Some(w) = self.windows.get_mut(&role) {
                    if !matches!(w.renderer.stage, Stage::Dying(_)) {
                        tracing::debug!(role = role.as_str(), generation, "control socket closed");
                        w.renderer.kill_at =
                            Some(now + grace.min(std::time::Duration::from_millis(500)));
                        w.renderer.stage = Stage::Disconnected;
                    }
                }
            }
            RendererEvent::Backlogged => {
                tracing::warn!(
                    role = role.as_str(),
                    generation,
                    "renderer stopped reading its socket"
                );
                self.kill(now, role, GoneReason::Unresponsive);
            }
            RendererEvent::Inspected(result) => self.inspected(now, role, result),
            RendererEvent::Exited(_) | RendererEvent::SpawnFailed { .. } => {}
        }
    }

    /// Records a bad message and kills its renderer.
    fn bad(
        &mut self,
        now: Instant,
        role: Role,
        kind: &'static str,
        size: usize,
        pid: Option<u32>,
        reason: BadMessage,
    ) {
        let generation = self
            .windows
            .get(&role)
            .map(|w| w.renderer.generation)
            .unwrap_or(0);
        self.audit.record(AuditEvent {
            direction: Direction::In,
            role,
            generation,
            pid,
            kind,
            size,
            verdict: Verdict::Refused(reason.to_string()),
        });
        tracing::error!(
            role = role.as_str(),
            generation,
            reason = %reason,
            "bad message from renderer; killing it"
        );
        if let Some(w) = self.windows.get_mut(&role) {
            if w.renderer.bad_message.is_none() {
                w.renderer.bad_message = Some(reason.to_string());
            }
        }
        self.kill(now, role, GoneReason::BadMessage);
    }

    fn message(&mut self, now: Instant, role: Role, msg: RendererToBroker, size: usize, pid: u32) {
        let kind = msg.kind();
        match self.admit(now, role, &msg, pid) {
            Err(Admission::Bad(bad)) => {
                self.bad(now, role, kind.name(), size, Some(pid), bad);
                return;
            }
            Err(Admission::Ignore) => {
                self.audit_in(role, pid, kind, size, Verdict::Stale);
                return;
            }
            Ok(()) => {}
        }
        let verdict = match self.dispatch(now, role, msg, pid) {
            Ok(verdict) => verdict,
            Err(bad) => {
                self.bad(now, role, kind.name(), size, Some(pid), bad);
                return;
            }
        };
        self.audit_in(role, pid, kind, size, verdict);
    }

    fn audit_in(
        &mut self,
        role: Role,
        pid: u32,
        kind: RendererMessageKind,
        size: usize,
        verdict: Verdict,
    ) {
        let generation = self
            .windows
            .get(&role)
            .map(|w| w.renderer.generation)
            .unwrap_or(0);
        self.audit.record(AuditEvent {
            direction: Direction::In,
            role,
            generation,
            pid: Some(pid),
            kind: kind.name(),
            size,
            verdict,
        });
    }

    /// Rate limits, the capability table, validation, the sender and the
    /// protocol stage.
    fn admit(
        &mut self,
        now: Instant,
        role: Role,
        msg: &RendererToBroker,
        pid: u32,
    ) -> Result<(), Admission> {
        let kind = msg.kind();
        let Some(w) = self.windows.get_mut(&role) else {
            return Err(Admission::Ignore);
        };
        let r = &mut w.renderer;
        if !r.proto.messages.take(now) {
            return Err(Admission::Bad(BadMessage::RateLimited));
        }
        let Some(capability) = renderer_may_send(role, kind) else {
            return Err(Admission::Bad(BadMessage::NotPermitted { role, kind }));
        };
        validate::renderer_message(msg).map_err(|e| Admission::Bad(e.into()))?;
        match r.pid {
            Some(expected) if expected != pid => {
                return Err(Admission::Bad(BadMessage::WrongSender {
                    expected,
                    got: pid,
                }));
            }
            _ => {}
        }
        let stage_ok = match (kind, &r.stage) {
            (RendererMessageKind::Bootstrap, Stage::AwaitingBootstrap) => true,
            (RendererMessageKind::Hello, Stage::AwaitingHello) => true,
            (_, Stage::Dying(_) | Stage::Disconnected) => return Err(Admission::Ignore),
            (_, Stage::Ready) => capability.pattern != Pattern::Handshake,
            _ => false,
        };
        if !stage_ok {
            return Err(Admission::Bad(BadMessage::OutOfOrder { kind }));
        }
        Ok(())
    }

    fn dispatch(
        &mut self,
        now: Instant,
        role: Role,
        msg: RendererToBroker,
        pid: u32,
    ) -> Result<Verdict, BadMessage> {
        let config = self.config.clone();
        let Some(w) = self.windows.get_mut(&role) else {
            return Ok(Verdict::Stale);
        };
        let generation = w.renderer.generation;
        match msg {
            RendererToBroker::Bootstrap { server } => {
                let dir_ok = w
                    .renderer
                    .bootstrap_dir
                    .as_deref()
                    .is_some_and(|dir| server_path_ok(dir, &server));
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
                w.renderer.surface_sent = Some(spec);
                self.effects.push(Effect::SendSurface {
                    role,
                    generation,
                    spec,
                    connect: Some(server.into()),
                });
                Ok(Verdict::Accepted)
            }
            RendererToBroker::Hello {
                protocol_version,
                role: claimed,
                sandbox,
            } => {
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
                let mode = config.sandbox;
                let found = shortfalls(mode, &sandbox);
                let mut fatal = false;
                for s in &found {
                    if s.is_fatal(mode) {
                        fatal = true;
                        tracing::error!(role = role.as_str(), mode = mode.as_str(), shortfall = %s, "renderer less confined than the mode requires");
                    } else {
                        tracing::warn!(role = role.as_str(), mode = mode.as_str(), shortfall = %s, "SANDBOX LAYER MISSING: the kernel does not offer it; running without it");
                    }
                }
                w.renderer.report = Some(sandbox);
                if fatal {
                    w.renderer.stage = Stage::Dying(GoneReason::Refused);
                    self.effects.push(Effect::Kill { role, generation });
                    return Ok(Verdict::Refused("sandbox shortfall".to_owned()));
                }
                if config.verify_from_outside && mode != SandboxMode::Disabled {
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
            RendererToBroker::FrameReady { surface, damage } => {
                let Some(sent) = w.renderer.surface_sent else {
                    return Err(BadMessage::UnknownSurface { surface });
                };
                if surface > sent.generation || surface == 0 {
                    return Err(BadMessage::UnknownSurface { surface });
                }
                if surface < sent.generation {
                    // Painted into a surface replaced since; the new Surface
                    // message cancelled that frame.
                    return Ok(Verdict::Stale);
                }
                if !w.renderer.proto.frames.take(now) {
                    return Err(BadMessage::FrameRateLimited);
                }
                let clamped = damage.clamp_to(sent.width, sent.height);
                w.renderer.surface_adopted = Some(surface);
                if !clamped.is_empty() {
                    self.effects.push(Effect::Present {
                        role,
                        generation,
                        surface,
                        damage: clamped,
                    });
                }
                self.effects.push(Effect::Send {
                    role,
                    generation,
                    msg: BrokerToRenderer::FrameAck,
                });
                if w.renderer.surface_pending {
                    self.send_new_surface(role);
                }
                Ok(if clamped == damage {
                    Verdict::Accepted
                } else {
                    Verdict::Clamped
                })
            }
            RendererToBroker::SetCursor { cursor } => {
                self.effects.push(Effect::SetCursor { role, cursor });
                Ok(Verdict::Accepted)
            }
            RendererToBroker::Pong { nonce } => {
                if w.renderer.proto.pong(nonce, now, &config)? {
                    tracing::info!(role = role.as_str(), "renderer is responding again");
                    w.title = role.window_title().to_owned();
                    self.effects.push(Effect::SetTitle {
                        role,
                        title: w.title.clone(),
                    });
                }
                Ok(Verdict::Accepted)
            }
            RendererToBroker::OpenLoginWindow => {
                self.open_window(now, Role::Login);
                Ok(Verdict::Accepted)
            }
            RendererToBroker::Logout => {
                tracing::info!("Logging out");
                self.user = None;
                self.effects.push(Effect::Send {
                    role,
                    generation,
                    msg: BrokerToRenderer::LoggedOut,
                });
                Ok(Verdict::Accepted)
            }
            RendererToBroker::CloseWindow => {
                self.quit(now);
                Ok(Verdict::Accepted)
            }
            RendererToBroker::Invoke { id, request } => {
                let max_in_flight =
                    match renderer_may_send(role, request_kind(&request)).map(|c| c.pattern) {
                        Some(Pattern::Invoke { max_in_flight }) => max_in_flight,
                        _ => 0,
                    };
                w.renderer.proto.start_invoke(id, max_in_flight)?;
                match request {
                    Request::SubmitLogin { email, password } => {
                        // The broker's own check; the form's is a convenience.
                        let shape =
                            check_email(&email).and_then(|()| check_password(password.expose()));
                        match shape {
                            Ok(()) => self.effects.push(Effect::Authenticate {
                                role,
                                generation,
                                id,
                                email,
                                password,
                            }),
                            Err(error) => {
                                w.renderer.proto.finish_invoke(id);
                                self.effects.push(Effect::Send {
                                    role,
                                    generation,
                                    msg: BrokerToRenderer::Reply {
                                        id,
                                        reply: workshop_common::protocol::Reply::SubmitLogin(Err(
                                            error,
                                        )),
                                    },
                                });
                            }
                        }
                    }
                }
                Ok(Verdict::Accepted)
            }
        }
    }

    fn inspected(&mut self, now: Instant, role: Role, result: Result<Confinement, String>) {
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
        let config = self.config.clone();
        let user = self.user.clone();
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        let generation = w.renderer.generation;
        w.renderer.stage = Stage::Ready;
        w.renderer.ready_at = Some(now);
        w.renderer.proto = ProtocolState {
            next_ping_at: now + config.ping_interval,
            ..w.renderer.proto.clone()
        };
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
        if let Some(spec) = w.renderer.surface_sent {
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
            if (spec.width, spec.height, spec.scale) != w.size {
                w.renderer.surface_pending = true;
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

enum Admission {
    Bad(BadMessage),
    Ignore,
}

fn request_kind(request: &Request) -> RendererMessageKind {
    match request {
        Request::SubmitLogin { .. } => RendererMessageKind::SubmitLogin,
    }
}

/// What the broker saw versus what the renderer claimed.
fn confinement_mismatches(
    seen: &Confinement,
    report: &workshop_common::sandbox_report::SandboxReport,
) -> Vec<String> {
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
    use std::time::Duration;

    /// A renderer that claims the empty root, the capability drop or the
    /// thread limit while `/proc` shows otherwise is caught, one mismatch
    /// per lie.
    #[test]
    fn claims_the_kernel_contradicts_are_mismatches() {
        use workshop_common::sandbox_report::{LayerStatus, SandboxReport};
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

    #[test]
    fn token_bucket_allows_the_burst_then_the_rate() {
        let t = Instant::now();
        let mut b = TokenBucket::new(
            Rate {
                per_second: 10.0,
                burst: 5.0,
            },
            t,
        );
        for _ in 0..5 {
            assert!(b.take(t));
        }
        assert!(!b.take(t));
        assert!(b.take(t + Duration::from_millis(100)));
        assert!(!b.take(t + Duration::from_millis(100)));
    }
}
