//! The broker's core: a plain state machine, events in, effects out.
//!
//! Nothing here touches a process, a socket, a window or a file. The shells
//! ([`crate::shell`]) feed [`Event`]s (renderer messages already decoded by a
//! receive thread, window events, timer ticks, authentication results) and
//! carry out the [`Effect`]s (spawn, send, present, close, quit). Because it
//! is deterministic given its inputs and the `now` passed in, it is unit
//! tested without any process and driven identically by the headless and the
//! desktop shells.
//!
//! Sub-modules: [`events`] is the vocabulary (every input and output);
//! [`router`] decides what a renderer message means and whether it is
//! allowed (its gate, then the handshake, the protocol state or the app
//! messages); `windows` opens, closes and quits; [`supervisor`] decides what
//! happens when a renderer goes. The last step of [`Broker::handle`] is the
//! push table (`push_allowed`).

pub mod events;
pub mod pacing;
pub mod router;
pub mod supervisor;
mod windows;

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use workshop_common::sandbox_report::SandboxMode;
use workshop_common::user::User;
use workshop_common::Role;

use crate::audit::{AuditEvent, AuditTrail, Direction, Verdict};
pub use events::{
    ClipboardText, Confinement, Effect, Event, Gone, RendererEvent, Selection, ShutdownCause,
    SurfaceSpec, WindowEvent,
};
pub use router::{BadMessage, Fault};
pub use supervisor::{ExitKind, GoneReason};

/// How many `render-process-gone` records the core keeps for inspection.
pub const GONE_KEPT: usize = 256;

/// Most copy/cut gestures a window's renderer may have unanswered.
pub const MAX_COPY_GESTURES: usize = 16;

/// Logical size of both windows (DESIGN, "The look").
pub const WINDOW_LOGICAL_SIZE: (u32, u32) = (400, 400);

/// A token-bucket rate: `burst` messages at once, refilled at `per_second`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Sustained messages per second.
    pub per_second: f64,
    /// Bucket size.
    pub burst: f64,
}

/// Tunables of the core. Defaults are the product's; tests shorten timers.
#[derive(Clone, Debug)]
pub struct CoreConfig {
    /// How renderers are confined; the broker refuses less.
    pub sandbox: SandboxMode,
    /// Whether the broker checks `/proc/PID/status` and namespaces itself
    /// after the handshake (on in the product; the check is skipped when the
    /// sandbox is disabled).
    pub verify_from_outside: bool,
    /// Idle time between pings.
    pub ping_interval: Duration,
    /// No pong for this long: the title says "(Not Responding)".
    pub unresponsive_after: Duration,
    /// No pong for this long: the renderer is replaced.
    pub replace_after: Duration,
    /// Spawn to accepted handshake must take less than this.
    pub handshake_timeout: Duration,
    /// A closing renderer that has not exited after this is killed.
    pub shutdown_grace: Duration,
    /// This many renderer deaths of one window within `crash_window` stop
    /// the respawning.
    pub crash_limit: usize,
    /// See `crash_limit`.
    pub crash_window: Duration,
    /// Every message from a renderer.
    pub message_rate: Rate,
    /// `FrameReady` from a renderer (each costs the broker a copy).
    pub frame_rate: Rate,
    /// Input is forwarded in at most one batch per this interval (see
    /// [`pacing`]).
    pub input_interval: Duration,
}

impl Default for CoreConfig {
    fn default() -> CoreConfig {
        CoreConfig {
            sandbox: SandboxMode::Enforce,
            verify_from_outside: true,
            ping_interval: Duration::from_secs(1),
            unresponsive_after: Duration::from_secs(3),
            replace_after: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(1),
            crash_limit: 3,
            crash_window: Duration::from_secs(30),
            message_rate: Rate {
                per_second: 4000.0,
                burst: 2000.0,
            },
            frame_rate: Rate {
                per_second: 1000.0,
                burst: 200.0,
            },
            input_interval: Duration::from_millis(8),
        }
    }
}

/// Where a renderer is in its life.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// `Spawn` emitted, process not yet reported.
    Starting,
    /// Waiting for `Bootstrap`.
    AwaitingBootstrap,
    /// Surface channel connected; waiting for `Hello` (after lockdown).
    AwaitingHello,
    /// `Hello` accepted; waiting for the broker's own inspection.
    Verifying,
    /// Handshake complete.
    Ready,
    /// Killed or told to shut down; waiting to be reaped.
    Dying(GoneReason),
    /// Its control socket closed on its own; the exit status will say why.
    Disconnected,
}

/// The state the core keeps per renderer process.
#[derive(Debug)]
pub struct RendererState {
    /// Which renderer process of the window.
    pub generation: u32,
    /// Lifecycle stage.
    pub stage: Stage,
    /// The pid from the first datagram's credentials.
    pub pid: Option<u32>,
    /// When the spawn was requested.
    pub spawned_at: Instant,
    /// The private directory for the bootstrap server.
    pub bootstrap_dir: Option<PathBuf>,
    /// The sandbox report from `Hello`.
    pub report: Option<workshop_common::sandbox_report::SandboxReport>,
    /// Router bookkeeping (rate limits, surfaces, invokes, pings).
    pub proto: router::ProtocolState,
    /// When a Dying renderer gets SIGKILL if it has not exited.
    pub kill_at: Option<Instant>,
    /// When the handshake completed.
    pub ready_at: Option<Instant>,
    /// Why it was killed for a bad message, if it was.
    pub bad_message: Option<String>,
    /// Input held for it (see [`pacing`]).
    pub input: pacing::InputPacer,
    /// When the user pressed Ctrl+C / Ctrl+X in its window, oldest first,
    /// each until the one `ClipboardWrite` it allows arrives or it expires
    /// (at most [`MAX_COPY_GESTURES`]; the oldest goes first).
    pub copy_gestures: VecDeque<Instant>,
    /// Its last validated accessibility tree (empty until it sends one).
    pub access: workshop_common::access::AccessTree,
}

/// The state the core keeps per window.
#[derive(Debug)]
pub struct WindowState {
    /// Which window.
    pub role: Role,
    /// Its current renderer.
    pub renderer: RendererState,
    /// Physical size and scale as the backend reported them.
    pub size: (u32, u32, f32),
    /// Surface generations handed out for this window.
    pub surface_generation: u32,
    /// The title currently shown.
    pub title: String,
    /// The window is closing (its renderer was told to shut down).
    pub closing: bool,
    /// Respawn bookkeeping.
    pub crashes: supervisor::CrashHistory,
    /// Respawning stopped; the broker's error page is shown.
    pub crashed_out: bool,
}

/// The broker's state machine.
#[derive(Debug)]
pub struct Broker {
    config: CoreConfig,
    windows: BTreeMap<Role, WindowState>,
    user: Option<User>,
    next_generation: u32,
    quitting: bool,
    effects: Vec<Effect>,
    audit: AuditTrail,
    gone: VecDeque<Gone>,
    /// Sign-ins the broker asked its authenticator for and has not heard
    /// back about: only these results are ever applied (at most one per
    /// renderer in flight, removed when the result arrives).
    auth_pending: std::collections::BTreeSet<(Role, u32, workshop_common::protocol::RequestId)>,
}

impl Broker {
    /// A broker with no windows.
    pub fn new(config: CoreConfig) -> Broker {
        Broker {
            config,
            windows: BTreeMap::new(),
            user: None,
            next_generation: 1,
            quitting: false,
            effects: Vec::new(),
            audit: AuditTrail::default(),
            gone: VecDeque::new(),
            auth_pending: std::collections::BTreeSet::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    /// The window `role`, if open.
    pub fn window(&self, role: Role) -> Option<&WindowState> {
        self.windows.get(&role)
    }

    /// Every open window.
    pub fn windows(&self) -> impl Iterator<Item = &WindowState> {
        self.windows.values()
    }

    /// The signed-in user.
    pub fn user(&self) -> Option<&User> {
        self.user.as_ref()
    }

    /// Whether the app is shutting down.
    pub fn is_quitting(&self) -> bool {
        self.quitting
    }

    /// The audit trail.
    pub fn audit(&self) -> &AuditTrail {
        &self.audit
    }

    /// The most recent renderers that have gone ([`GONE_KEPT`] at most),
    /// with why, oldest first.
    pub fn gone(&self) -> &VecDeque<Gone> {
        &self.gone
    }

    /// Records an outgoing message (the shell knows its encoded size).
    pub fn audit_outgoing(
        &mut self,
        role: Role,
        generation: u32,
        kind: &'static str,
        size: usize,
        verdict: Verdict,
    ) {
        let pid = self
            .windows
            .get(&role)
            .filter(|w| w.renderer.generation == generation)
            .and_then(|w| w.renderer.pid);
        self.audit.record(AuditEvent {
            direction: Direction::Out,
            role,
            generation,
            pid,
            kind,
            size,
            verdict,
        });
    }

    /// Feeds one event; returns what the shell must do, in order.
    pub fn handle(&mut self, now: Instant, event: Event) -> Vec<Effect> {
        match event {
            Event::Start => self.open_window(now, Role::Main),
            Event::Renderer {
                role,
                generation,
                event,
            } => self.renderer_event(now, role, generation, event),
            Event::Window { role, event } => self.window_event(now, role, event),
            Event::AuthFinished {
                role,
                generation,
                id,
                result,
            } => self.auth_finished(now, role, generation, id, result),
            Event::SecondInstance => {
                tracing::info!("second instance started; raising the Main Window");
                if self.windows.contains_key(&Role::Main) {
                    self.effects.push(Effect::RaiseWindow { role: Role::Main });
                }
            }
            Event::Shutdown(cause) => {
                if !self.quitting {
                    tracing::info!(
                        cause = cause.describe(),
                        "shutting down: saving settings and closing renderers"
                    );
                }
                self.quit(now);
            }
            Event::Tick => self.tick(now),
        }
        let mut effects = std::mem::take(&mut self.effects);
        effects.retain(push_allowed);
        effects
    }

    /// When [`Event::Tick`] next has work to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.windows
            .values()
            .filter_map(|w| self.renderer_deadline(w))
            .min()
    }

    fn renderer_deadline(&self, w: &WindowState) -> Option<Instant> {
        let r = &w.renderer;
        match &r.stage {
            Stage::Starting
            | Stage::AwaitingBootstrap
            | Stage::AwaitingHello
            | Stage::Verifying => Some(r.spawned_at + self.config.handshake_timeout),
            Stage::Ready => {
                let liveness = r.proto.deadline(&self.config);
                Some(
                    r.input
                        .deadline(self.config.input_interval)
                        .map_or(liveness, |t| t.min(liveness)),
                )
            }
            Stage::Dying(_) | Stage::Disconnected => r.kill_at,
        }
    }

    fn tick(&mut self, now: Instant) {
        let roles: Vec<Role> = self.windows.keys().copied().collect();
        for role in roles {
            let Some(w) = self.windows.get_mut(&role) else {
                continue;
            };
            let generation = w.renderer.generation;
            match w.renderer.stage.clone() {
                Stage::Starting
                | Stage::AwaitingBootstrap
                | Stage::AwaitingHello
                | Stage::Verifying => {
                    if now >= w.renderer.spawned_at + self.config.handshake_timeout {
                        tracing::warn!(
                            role = role.as_str(),
                            generation,
                            "renderer did not complete its handshake in time"
                        );
                        self.kill(now, role, GoneReason::LaunchFailed);
                    }
                }
                Stage::Ready => {
                    self.forward_input(now, role);
                    self.liveness_tick(now, role);
                }
                Stage::Dying(_) | Stage::Disconnected => {
                    if w.renderer.kill_at.is_some_and(|t| now >= t) {
                        w.renderer.kill_at = None;
                        self.effects.push(Effect::Kill { role, generation });
                    }
                }
            }
        }
    }
}

/// The push table is the last gate on everything the broker says: a bug
/// elsewhere in the core cannot send the user to the Login Window's
/// process. Every effect is named, so a new one cannot compile until it is
/// decided whether it carries a message to a renderer.
fn push_allowed(effect: &Effect) -> bool {
    match effect {
        Effect::Send { role, msg, .. } => {
            let ok = workshop_common::capability::broker_may_send(*role, msg.kind());
            if !ok {
                tracing::error!(role = role.as_str(), kind = ?msg.kind(), "broker bug: message not allowed to this role; not sent");
            }
            ok
        }
        // Shared memory only; its `Surface` message goes through `Send`.
        Effect::SendSurface { .. }
        // Window, process and authenticator effects: nothing reaches a
        // renderer's content.
        | Effect::OpenWindow { .. }
        | Effect::CloseWindow { .. }
        | Effect::RaiseWindow { .. }
        | Effect::SetTitle { .. }
        | Effect::SetCursor { .. }
        | Effect::ShowCrashed { .. }
        | Effect::Spawn { .. }
        | Effect::Present { .. }
        | Effect::Inspect { .. }
        | Effect::Kill { .. }
        | Effect::Authenticate { .. }
        // The clipboard is the broker's: what a renderer gets of it
        // arrives as `Input` through `Send`.
        | Effect::SetIme { .. }
        | Effect::ReadClipboard { .. }
        | Effect::WriteClipboard { .. }
        // Goes to the window's accessibility adapter, never to a renderer.
        | Effect::AccessTree { .. }
        | Effect::Quit => true,
    }
}

impl RendererState {
    fn new(generation: u32, now: Instant, config: &CoreConfig) -> RendererState {
        RendererState {
            generation,
            stage: Stage::Starting,
            pid: None,
            spawned_at: now,
            bootstrap_dir: None,
            report: None,
            proto: router::ProtocolState::new(now, config),
            kill_at: None,
            ready_at: None,
            bad_message: None,
            input: pacing::InputPacer::default(),
            copy_gestures: VecDeque::new(),
            access: workshop_common::access::AccessTree::default(),
        }
    }
}

#[cfg(test)]
mod tests;
