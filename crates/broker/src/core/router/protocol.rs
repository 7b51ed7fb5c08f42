//! Protocol state: what the broker remembers between one renderer's
//! messages, and the rules that need it. Surfaces and frames, invokes in
//! flight, pings outstanding, and the two token buckets the gate and the
//! frame rule draw from.
//!
//! **At most one unread surface.** A surface handle travels on the
//! renderer's ipc-channel connection, whose `send` is a blocking `sendmsg`
//! on the event-loop thread, and each handle pins `width × height × 4`
//! bytes of shared memory until the renderer maps it. So the broker sends
//! surface N+1 only after the renderer has shown it took surface N (its
//! first `FrameReady { surface: N }`); resizes meanwhile coalesce into the
//! window's one current size, sent when the take is seen. With at most one
//! small message in flight the socket buffer can never fill, so the send
//! cannot block. A renderer that does not take its surface while a newer
//! size waits is marked unresponsive after `unresponsive_after` and
//! replaced after `replace_after`, like one that stops answering pings.

use std::time::Instant;

use workshop_common::geometry::PxRect;
use workshop_common::protocol::RequestId;
use workshop_common::{BrokerToRenderer, Role};

use super::BadMessage;
use crate::audit::Verdict;
use crate::core::{Broker, CoreConfig, Effect, GoneReason, Rate, Stage, SurfaceSpec};

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

/// What the surface timer wants done.
#[derive(Debug, PartialEq, Eq)]
pub enum SurfaceAction {
    /// Nothing yet.
    Nothing,
    /// A newer size has waited `unresponsive_after` for the renderer to
    /// take its surface.
    MarkUnresponsive,
    /// It has waited `replace_after`.
    Replace,
}

/// One renderer's surfaces: the newest sent, whether the renderer has
/// taken it, and since when a newer size waits for that.
#[derive(Clone, Debug, Default)]
pub struct Surfaces {
    current: Option<SurfaceSpec>,
    taken: bool,
    held_since: Option<Instant>,
    late: bool,
}

impl Surfaces {
    /// The newest surface whose handle was sent.
    pub fn current(&self) -> Option<SurfaceSpec> {
        self.current
    }

    /// Whether the renderer has taken the newest surface (true when none
    /// was sent): only then may another be sent.
    pub fn is_taken(&self) -> bool {
        self.taken || self.current.is_none()
    }

    /// Since when a newer size waits for the renderer to take its surface.
    pub fn held_since(&self) -> Option<Instant> {
        self.held_since
    }

    /// Surface `spec` was sent: nothing is held any more, nothing taken.
    pub(in crate::core) fn sent(&mut self, spec: SurfaceSpec) {
        self.current = Some(spec);
        self.taken = false;
        self.held_since = None;
        self.late = false;
    }

    /// The window has a size the current surface does not match; it waits
    /// (coalesced with any other) until the renderer takes the surface.
    pub(in crate::core) fn hold_resize(&mut self, now: Instant) {
        if self.held_since.is_none() {
            self.held_since = Some(now);
        }
    }

    /// A frame for the newest surface arrived; true the first time (the
    /// take), when a held size may be sent.
    fn take(&mut self) -> bool {
        let first = !self.taken;
        self.taken = true;
        self.late = false;
        first
    }

    fn deadline(&self, config: &CoreConfig) -> Option<Instant> {
        let since = self.held_since.filter(|_| !self.taken)?;
        Some(if self.late {
            since + config.replace_after
        } else {
            since + config.unresponsive_after
        })
    }

    fn due(&mut self, now: Instant, config: &CoreConfig) -> SurfaceAction {
        let Some(since) = self.held_since.filter(|_| !self.taken) else {
            return SurfaceAction::Nothing;
        };
        if now >= since + config.replace_after {
            SurfaceAction::Replace
        } else if !self.late && now >= since + config.unresponsive_after {
            self.late = true;
            SurfaceAction::MarkUnresponsive
        } else {
            SurfaceAction::Nothing
        }
    }
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
    surfaces: Surfaces,
    /// Whether an `AccessUpdate` may come now: one before the first frame,
    /// then one per accepted frame (not cumulative).
    access_credit: bool,
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
            surfaces: Surfaces::default(),
            access_credit: true,
        }
    }

    /// Whether the renderer is currently marked unresponsive, for pings or
    /// for a surface it does not take.
    pub fn is_unresponsive(&self) -> bool {
        self.unresponsive || self.surfaces.late
    }

    /// Request ids awaiting their reply.
    pub fn in_flight(&self) -> &[RequestId] {
        &self.in_flight
    }

    /// The renderer's surfaces.
    pub fn surfaces(&self) -> &Surfaces {
        &self.surfaces
    }

    pub(in crate::core) fn surfaces_mut(&mut self) -> &mut Surfaces {
        &mut self.surfaces
    }

    /// The gate's message budget.
    pub(super) fn take_message(&mut self, now: Instant) -> bool {
        self.messages.take(now)
    }

    /// Spends the one `AccessUpdate` the last frame allows; false if it
    /// was spent already.
    pub(super) fn take_access_credit(&mut self) -> bool {
        std::mem::replace(&mut self.access_credit, false)
    }

    /// The handshake completed at `now`: the first ping is due an interval
    /// later.
    pub(super) fn ready(&mut self, now: Instant, ping_interval: std::time::Duration) {
        self.next_ping_at = now + ping_interval;
    }

    pub(super) fn start_invoke(
        &mut self,
        id: RequestId,
        max_in_flight: usize,
    ) -> Result<(), BadMessage> {
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

    /// When a `Ready` renderer's timers (ping or surface) next need
    /// attention.
    pub fn deadline(&self, config: &CoreConfig) -> Instant {
        let ping = self.ping_deadline(config);
        self.surfaces.deadline(config).map_or(ping, |s| s.min(ping))
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

    /// Advances the surface timer.
    pub fn surface_due(&mut self, now: Instant, config: &CoreConfig) -> SurfaceAction {
        self.surfaces.due(now, config)
    }

    /// Matches a pong; returns whether the renderer had been marked
    /// unresponsive for pings.
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

impl Broker {
    /// `FrameReady`: present the clamped damage of the newest surface and
    /// acknowledge it; the first frame for a surface is its take.
    pub(super) fn frame_ready(
        &mut self,
        now: Instant,
        role: Role,
        surface: u32,
        damage: PxRect,
    ) -> Result<Verdict, BadMessage> {
        let Some(w) = self.windows.get_mut(&role) else {
            return Ok(Verdict::Stale);
        };
        let generation = w.renderer.generation;
        let proto = &mut w.renderer.proto;
        let Some(sent) = proto.surfaces.current() else {
            return Err(BadMessage::UnknownSurface { surface });
        };
        if surface > sent.generation || surface == 0 {
            return Err(BadMessage::UnknownSurface { surface });
        }
        if surface < sent.generation {
            // Painted into a surface replaced since; the new Surface
            // message cancelled that frame. It still ends the paint that
            // sent an `AccessUpdate` (resizes are legitimate), within the
            // frame rate so stale frames cannot buy updates faster.
            if proto.frames.take(now) {
                proto.access_credit = true;
            }
            return Ok(Verdict::Stale);
        }
        if !proto.frames.take(now) {
            return Err(BadMessage::FrameRateLimited);
        }
        proto.access_credit = true;
        // The one clamp: from here on the rectangle fits the surface it
        // names. (The pixel copy re-checks it against both buffers, as the
        // last line of defence; see `crate::present`.)
        let clamped = damage.clamp_to(sent.width, sent.height);
        let first = proto.surfaces.take();
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
        if first {
            self.surface_taken(role);
        }
        Ok(if clamped == damage {
            Verdict::Accepted
        } else {
            Verdict::Clamped
        })
    }

    /// The renderer took its newest surface: a held size goes out now.
    fn surface_taken(&mut self, role: Role) {
        let Some(w) = self.windows.get(&role) else {
            return;
        };
        let held = w.renderer.proto.surfaces.held_since().is_some();
        self.show_responsiveness(role);
        if held {
            self.send_new_surface(role);
        }
    }

    /// `Pong`: must answer the outstanding ping.
    pub(super) fn pong(
        &mut self,
        now: Instant,
        role: Role,
        nonce: u64,
    ) -> Result<Verdict, BadMessage> {
        let config = &self.config;
        let Some(w) = self.windows.get_mut(&role) else {
            return Ok(Verdict::Stale);
        };
        if w.renderer.proto.pong(nonce, now, config)? {
            tracing::info!(role = role.as_str(), "renderer is responding again");
            self.show_responsiveness(role);
        }
        Ok(Verdict::Accepted)
    }

    /// The window was resized to `w.size`: send a surface for it if the
    /// renderer has taken the last one, or hold it until it does.
    pub(in crate::core) fn surface_resized(&mut self, now: Instant, role: Role) {
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        if w.renderer.stage != Stage::Ready {
            // The handshake sends the size current at `Welcome`.
            return;
        }
        if w.renderer.proto.surfaces.is_taken() {
            self.send_new_surface(role);
        } else {
            w.renderer.proto.surfaces.hold_resize(now);
        }
    }

    /// Allocates the next surface generation for `role` and sends it.
    fn send_new_surface(&mut self, role: Role) {
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        w.surface_generation += 1;
        let (width, height, scale) = w.size;
        let spec = SurfaceSpec {
            generation: w.surface_generation,
            width,
            height,
            scale,
        };
        let generation = w.renderer.generation;
        w.renderer.proto.surfaces.sent(spec);
        self.effects.push(Effect::SendSurface {
            role,
            generation,
            spec,
            connect: None,
        });
        self.effects.push(Effect::Send {
            role,
            generation,
            msg: BrokerToRenderer::Surface {
                generation: spec.generation,
                width,
                height,
                scale,
            },
        });
    }

    /// The timers of a `Ready` renderer: pings, then the surface.
    pub(in crate::core) fn liveness_tick(&mut self, now: Instant, role: Role) {
        self.ping_tick(now, role);
        let config = &self.config;
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        if w.renderer.stage != Stage::Ready {
            return;
        }
        let generation = w.renderer.generation;
        match w.renderer.proto.surface_due(now, config) {
            SurfaceAction::Nothing => {}
            SurfaceAction::MarkUnresponsive => {
                tracing::warn!(
                    role = role.as_str(),
                    generation,
                    "renderer has not taken its surface; not responding"
                );
                self.show_responsiveness(role);
            }
            SurfaceAction::Replace => {
                tracing::warn!(
                    role = role.as_str(),
                    generation,
                    "renderer never took its surface; replacing it"
                );
                self.kill(now, role, GoneReason::Unresponsive);
            }
        }
    }

    fn ping_tick(&mut self, now: Instant, role: Role) {
        let config = &self.config;
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        let generation = w.renderer.generation;
        match w.renderer.proto.ping_due(now, config) {
            PingAction::Nothing => {}
            PingAction::Send(nonce) => {
                self.effects.push(Effect::Send {
                    role,
                    generation,
                    msg: BrokerToRenderer::Ping { nonce },
                });
            }
            PingAction::MarkUnresponsive => {
                tracing::warn!(
                    role = role.as_str(),
                    generation,
                    "renderer is not responding"
                );
                self.show_responsiveness(role);
            }
            PingAction::Replace => {
                tracing::warn!(
                    role = role.as_str(),
                    generation,
                    "renderer silent for too long; replacing it"
                );
                self.kill(now, role, GoneReason::Unresponsive);
            }
        }
    }

    /// Puts " (Not Responding)" in the title exactly while the renderer is
    /// marked unresponsive.
    fn show_responsiveness(&mut self, role: Role) {
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        let title = if w.renderer.proto.is_unresponsive() {
            format!("{} (Not Responding)", role.window_title())
        } else {
            role.window_title().to_owned()
        };
        if w.title != title {
            w.title = title;
            self.effects.push(Effect::SetTitle {
                role,
                title: w.title.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
