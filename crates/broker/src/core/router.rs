//! The router: what a renderer message means, and whether it is allowed.
//!
//! Every datagram from a renderer passes, in this order:
//!
//! 1. the strict reader and the codec, in the receive thread (failures
//!    arrive here as [`Fault`]s);
//! 2. the `gate`: the renderer's rate limit, the capability table for the
//!    role the *broker* assigned to that channel (looked up once; the
//!    verdict carries the entry to the stages after it), stateless
//!    validation, the sender pid, and the protocol stage;
//! 3. the message's own stage: the `handshake` (`Bootstrap`, `Hello`, the
//!    broker's inspection, `Welcome`), the `protocol` state (surfaces and
//!    frames, invokes, pings), the `access` tree (checked whole against the
//!    window's last one), or the `app` messages (what the user asked for).
//!
//! The first failure makes it a bad message: one audit event, the renderer
//! is killed, nothing else changes (Chromium's `ReceivedBadMessage`). Each
//! message is audited once, here, with the verdict its stage returned.

mod access;
mod app;
mod gate;
mod handshake;
mod protocol;

use std::time::Instant;

use thiserror::Error;
use workshop_common::codec::CodecError;
use workshop_common::protocol::RendererMessageKind;
use workshop_common::validate::Invalid;
use workshop_common::{RendererToBroker, Role, PROTOCOL_VERSION};

use super::{Broker, GoneReason, RendererEvent, Stage};
use crate::audit::{AuditEvent, Direction, Verdict};
use gate::{Admitted, Refusal};
pub use protocol::{PingAction, ProtocolState, SurfaceAction, Surfaces, TokenBucket};

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
    /// It carried a control message of an unknown type.
    #[error("unknown control message (level {level}, type {kind})")]
    UnknownControl {
        /// Its `cmsg_level`.
        level: i32,
        /// Its `cmsg_type`.
        kind: i32,
    },
    /// The codec refused it.
    #[error("{0}")]
    Undecodable(CodecError),
    /// The socket failed.
    #[error("socket error: {0}")]
    ReadFailed(String),
    /// Its stderr went over the relay's rate limit (reported by the relay,
    /// not the receive thread): which limit.
    #[error("stderr log flood: {0}")]
    LogFlood(String),
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
    /// An `AccessUpdate` that makes an invalid tree of the window's last one.
    #[error("accessibility tree: {0}")]
    AccessTree(workshop_common::access::AccessInvalid),
    /// A second `AccessUpdate` with no frame accepted in between.
    #[error("accessibility update rate exceeded (one per frame)")]
    AccessRateLimited,
    /// A `ClipboardWrite` no copy or cut gesture in its window asked for.
    #[error("clipboard write without a copy gesture")]
    UnsolicitedClipboardWrite,
    /// The bootstrap server path is not inside the renderer's directory.
    #[error("bootstrap server outside the renderer's private directory")]
    BootstrapPath,
}

impl Broker {
    /// Everything a renderer host reports. Exits and failed spawns are
    /// judged by the supervisor for any generation; everything else only
    /// matters from the window's current renderer.
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
            RendererEvent::Exited(kind) => self.renderer_gone(now, role, generation, Some(kind)),
            RendererEvent::SpawnFailed { error } => {
                tracing::error!(role = role.as_str(), generation, error = %error, "could not start renderer");
                self.renderer_gone(now, role, generation, None);
            }
            RendererEvent::Message { msg, size, pid } if current => {
                self.message(now, role, msg, size, pid)
            }
            RendererEvent::Message { msg, size, pid } => {
                self.audit_replaced(role, generation, &msg, size, pid)
            }
            RendererEvent::Spawned { bootstrap_dir } if current => {
                self.spawned(role, bootstrap_dir)
            }
            RendererEvent::Fault { fault, size, pid } if current => self.bad(
                now,
                role,
                fault.audit_kind(),
                size,
                pid,
                BadMessage::Fault(fault),
            ),
            RendererEvent::SurfaceFailed { error } if current => {
                tracing::warn!(role = role.as_str(), generation, error = %error, "surface channel failed");
                self.kill(now, role, GoneReason::LaunchFailed);
            }
            RendererEvent::Disconnected if current => self.disconnected(now, role),
            RendererEvent::Backlogged if current => {
                tracing::warn!(
                    role = role.as_str(),
                    generation,
                    "renderer stopped reading its socket or surface channel"
                );
                self.kill(now, role, GoneReason::Unresponsive);
            }
            RendererEvent::Inspected(result) if current => self.inspected(now, role, result),
            RendererEvent::SandboxViolation { syscall } if current => {
                self.sandbox_violation(now, role, generation, syscall)
            }
            // A replaced renderer: nothing it reports changes anything.
            RendererEvent::Spawned { .. }
            | RendererEvent::Fault { .. }
            | RendererEvent::SurfaceFailed { .. }
            | RendererEvent::Disconnected
            | RendererEvent::Backlogged
            | RendererEvent::Inspected(_)
            | RendererEvent::SandboxViolation { .. } => {}
        }
    }

    /// The renderer's own last words (its seccomp filter is killing it): at
    /// worst a lie that gets it replaced.
    fn sandbox_violation(&mut self, now: Instant, role: Role, generation: u32, syscall: u32) {
        let pid = self.windows.get(&role).and_then(|w| w.renderer.pid);
        self.audit.record(AuditEvent {
            direction: Direction::In,
            role,
            generation,
            pid,
            kind: "sandbox-violation",
            size: 0,
            verdict: Verdict::Refused(format!("syscall {syscall}")),
        });
        tracing::error!(
            role = role.as_str(),
            generation,
            syscall,
            "renderer's sandbox refused a system call; replacing it"
        );
        self.kill(
            now,
            role,
            GoneReason::SandboxViolation {
                syscall: Some(syscall),
            },
        );
    }

    /// A message from a renderer since replaced: audited, nothing else.
    fn audit_replaced(
        &mut self,
        role: Role,
        generation: u32,
        msg: &RendererToBroker,
        size: usize,
        pid: u32,
    ) {
        self.audit.record(AuditEvent {
            direction: Direction::In,
            role,
            generation,
            pid: Some(pid),
            kind: msg.kind().name(),
            size,
            verdict: Verdict::Stale,
        });
    }

    fn spawned(&mut self, role: Role, bootstrap_dir: std::path::PathBuf) {
        if let Some(w) = self.windows.get_mut(&role) {
            if w.renderer.stage == Stage::Starting {
                w.renderer.stage = Stage::AwaitingBootstrap;
            }
            w.renderer.bootstrap_dir = Some(bootstrap_dir);
        }
    }

    /// Gives the reaper a moment to report how it died before making sure
    /// it is dead.
    fn disconnected(&mut self, now: Instant, role: Role) {
        let grace = self.config.shutdown_grace;
        if let Some(w) = self.windows.get_mut(&role) {
            if !matches!(w.renderer.stage, Stage::Dying(_)) {
                tracing::debug!(
                    role = role.as_str(),
                    generation = w.renderer.generation,
                    "control socket closed"
                );
                w.renderer.kill_at = Some(now + grace.min(std::time::Duration::from_millis(500)));
                w.renderer.stage = Stage::Disconnected;
            }
        }
    }

    /// One message of the current renderer: the gate, then its stage, then
    /// one audit event.
    fn message(&mut self, now: Instant, role: Role, msg: RendererToBroker, size: usize, pid: u32) {
        let kind = msg.kind();
        let admitted = match self.gate(now, role, &msg, pid) {
            Ok(admitted) => admitted,
            Err(Refusal::Bad(bad)) => {
                return self.bad(now, role, kind.name(), size, Some(pid), bad)
            }
            Err(Refusal::Ignore) => return self.audit_in(role, pid, kind, size, Verdict::Stale),
        };
        match self.route(now, role, msg, pid, admitted) {
            Ok(verdict) => self.audit_in(role, pid, kind, size, verdict),
            Err(bad) => self.bad(now, role, kind.name(), size, Some(pid), bad),
        }
    }

    /// Hands an admitted message to the stage that owns it.
    fn route(
        &mut self,
        now: Instant,
        role: Role,
        msg: RendererToBroker,
        pid: u32,
        admitted: Admitted,
    ) -> Result<Verdict, BadMessage> {
        match msg {
            RendererToBroker::Bootstrap { server } => self.bootstrap(role, &server, pid),
            RendererToBroker::Hello {
                protocol_version,
                role: claimed,
                sandbox,
            } => self.hello(now, role, protocol_version, claimed, sandbox, pid),
            RendererToBroker::FrameReady { surface, damage } => {
                self.frame_ready(now, role, surface, damage)
            }
            RendererToBroker::Pong { nonce } => self.pong(now, role, nonce),
            RendererToBroker::SetCursor { cursor } => Ok(self.set_cursor(role, cursor)),
            RendererToBroker::OpenLoginWindow => Ok(self.open_login_window(now)),
            RendererToBroker::Logout => Ok(self.logout(role)),
            RendererToBroker::CloseWindow => Ok(self.close_requested(now, role)),
            RendererToBroker::ClipboardWrite { text } => self.clipboard_write(now, role, text),
            RendererToBroker::SetImeArea { area } => Ok(self.set_ime_area(role, area)),
            RendererToBroker::AccessUpdate(update) => self.access_update(role, &update),
            RendererToBroker::Invoke { id, request } => {
                self.invoke(role, id, request, admitted.capability)
            }
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
        let generation = self.current_generation(role);
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

    fn audit_in(
        &mut self,
        role: Role,
        pid: u32,
        kind: RendererMessageKind,
        size: usize,
        verdict: Verdict,
    ) {
        let generation = self.current_generation(role);
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

    fn current_generation(&self, role: Role) -> u32 {
        self.windows
            .get(&role)
            .map(|w| w.renderer.generation)
            .unwrap_or(0)
    }
}

impl Fault {
    /// The kind the audit trail records for a refused datagram.
    fn audit_kind(&self) -> &'static str {
        match self {
            Fault::Undecodable(_) => "undecodable",
            Fault::FdsAttached { .. }
            | Fault::TooLarge { .. }
            | Fault::ControlTruncated
            | Fault::MissingCredentials
            | Fault::Empty
            | Fault::UnknownControl { .. }
            | Fault::ReadFailed(_) => "malformed-datagram",
            Fault::LogFlood(_) => "stderr-flood",
        }
    }
}
