//! The gate: the checks every renderer message passes before anything acts
//! on it, in this order: the renderer's message rate, the capability table
//! for the role the broker assigned to the channel, stateless validation,
//! the sender's pid, and the protocol stage.
//!
//! The capability table is looked up here and only here; the verdict
//! ([`Admitted`]) carries the entry, so a later stage that needs it (an
//! invoke's in-flight limit) cannot disagree with the gate or look twice.

use std::time::Instant;

use workshop_common::capability::{renderer_may_send, Capability, Pattern};
use workshop_common::protocol::RendererMessageKind;
use workshop_common::validate;
use workshop_common::{RendererToBroker, Role};

use super::BadMessage;
use crate::core::{Broker, Stage};

/// A message the gate let through, with what later stages need of it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Admitted {
    /// Its entry in the capability table.
    pub(super) capability: &'static Capability,
}

/// Why the gate stopped a message.
#[derive(Debug)]
pub(super) enum Refusal {
    /// A bad message: the renderer is killed.
    Bad(BadMessage),
    /// The renderer is already dying or disconnected: audited as stale,
    /// otherwise ignored.
    Ignore,
}

impl From<BadMessage> for Refusal {
    fn from(bad: BadMessage) -> Refusal {
        Refusal::Bad(bad)
    }
}

impl Broker {
    /// Rate limit, capability table, validation, sender and stage.
    pub(super) fn gate(
        &mut self,
        now: Instant,
        role: Role,
        msg: &RendererToBroker,
        pid: u32,
    ) -> Result<Admitted, Refusal> {
        let kind = msg.kind();
        let Some(w) = self.windows.get_mut(&role) else {
            return Err(Refusal::Ignore);
        };
        let r = &mut w.renderer;
        if !r.proto.take_message(now) {
            return Err(BadMessage::RateLimited.into());
        }
        let capability =
            renderer_may_send(role, kind).ok_or(BadMessage::NotPermitted { role, kind })?;
        validate::renderer_message(msg).map_err(BadMessage::from)?;
        sender_ok(r.pid, pid)?;
        stage_allows(kind, &r.stage, capability.pattern)?;
        Ok(Admitted { capability })
    }
}

/// After `Bootstrap` every datagram must come from the pid that sent it.
fn sender_ok(expected: Option<u32>, got: u32) -> Result<(), BadMessage> {
    match expected {
        Some(expected) if expected != got => Err(BadMessage::WrongSender { expected, got }),
        Some(_) | None => Ok(()),
    }
}

/// Handshake messages once each, in order; everything else only after it.
fn stage_allows(kind: RendererMessageKind, stage: &Stage, pattern: Pattern) -> Result<(), Refusal> {
    let ok = match (kind, stage) {
        (RendererMessageKind::Bootstrap, Stage::AwaitingBootstrap) => true,
        (RendererMessageKind::Hello, Stage::AwaitingHello) => true,
        (_, Stage::Dying(_) | Stage::Disconnected) => return Err(Refusal::Ignore),
        (_, Stage::Ready) => pattern != Pattern::Handshake,
        (
            _,
            Stage::Starting | Stage::AwaitingBootstrap | Stage::AwaitingHello | Stage::Verifying,
        ) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(BadMessage::OutOfOrder { kind }.into())
    }
}
