//! The audit trail: one event per message that crosses the boundary.
//!
//! Every message in either direction produces an [`AuditEvent`] (direction,
//! role, pid, kind, size, verdict) at the tracing target `workshop::audit`:
//! accepted traffic at DEBUG, anything refused at WARN, so
//! `RUST_LOG=workshop::audit=debug` shows the whole conversation. Events
//! never carry payloads. The broker core also keeps counters and the most
//! recent events so tests (and a future diagnostics page) can read them.

use std::collections::VecDeque;

use workshop_common::Role;

/// How many recent events are kept in memory.
pub const RECENT_EVENTS: usize = 512;

/// Which way a message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Renderer → broker.
    In,
    /// Broker → renderer.
    Out,
}

/// What the broker did with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted and acted on (or sent).
    Accepted,
    /// Accepted after clamping a field (damage outside the surface).
    Clamped,
    /// Well-formed but addressed to a renderer or surface that has since
    /// been replaced; ignored.
    Stale,
    /// A bad message: the renderer is killed. The reason is payload-free.
    Refused(String),
    /// Outgoing message not sent (the renderer's queue was full or it is gone).
    Undelivered(&'static str),
}

impl Verdict {
    fn label(&self) -> &str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Clamped => "clamped",
            Verdict::Stale => "stale",
            Verdict::Refused(_) => "refused",
            Verdict::Undelivered(_) => "undelivered",
        }
    }
}

/// One audited message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Which way.
    pub direction: Direction,
    /// The role of the renderer on the other end (assigned by the broker).
    pub role: Role,
    /// Which renderer process of that window (1 for the first, +1 per respawn).
    pub generation: u32,
    /// The renderer's pid as the kernel reported it, when known.
    pub pid: Option<u32>,
    /// The message kind, or a transport-level label such as `undecodable`.
    pub kind: &'static str,
    /// Encoded size in bytes.
    pub size: usize,
    /// The outcome.
    pub verdict: Verdict,
}

/// Counters and a ring of recent events.
#[derive(Debug, Default)]
pub struct AuditTrail {
    recent: VecDeque<AuditEvent>,
    accepted: u64,
    refused: u64,
}

impl AuditTrail {
    /// Logs `event` and remembers it.
    pub fn record(&mut self, event: AuditEvent) {
        let dir = match event.direction {
            Direction::In => "in",
            Direction::Out => "out",
        };
        let pid = event.pid.unwrap_or(0);
        match &event.verdict {
            Verdict::Refused(reason) => {
                self.refused += 1;
                tracing::warn!(
                    target: "workshop::audit",
                    direction = dir,
                    role = event.role.as_str(),
                    generation = event.generation,
                    pid,
                    kind = event.kind,
                    size = event.size,
                    verdict = event.verdict.label(),
                    reason = reason.as_str(),
                    "bad message"
                );
            }
            verdict => {
                self.accepted += 1;
                tracing::debug!(
                    target: "workshop::audit",
                    direction = dir,
                    role = event.role.as_str(),
                    generation = event.generation,
                    pid,
                    kind = event.kind,
                    size = event.size,
                    verdict = verdict.label(),
                    "audit"
                );
            }
        }
        if self.recent.len() == RECENT_EVENTS {
            self.recent.pop_front();
        }
        self.recent.push_back(event);
    }

    /// The most recent events, oldest first.
    pub fn recent(&self) -> impl Iterator<Item = &AuditEvent> {
        self.recent.iter()
    }

    /// How many refused (bad) messages have been recorded.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// How many other events have been recorded.
    pub fn accepted(&self) -> u64 {
        self.accepted
    }
}
