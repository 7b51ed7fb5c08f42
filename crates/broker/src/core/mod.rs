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
//! Sub-modules: [`router`] decides what a renderer message means and whether
//! it is allowed; [`supervisor`] decides what happens when a renderer goes.

pub mod router;
pub mod supervisor;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use workshop_common::geometry::{Position, PxRect};
use workshop_common::input::{CursorIcon, InputEvent};
use workshop_common::protocol::RequestId;
use workshop_common::sandbox_report::{Layer, SandboxMode};
use workshop_common::user::{LoginError, User};
use workshop_common::{BrokerToRenderer, RendererToBroker, Role, Secret};

use crate::audit::{AuditEvent, AuditTrail, Direction, Verdict};
pub use router::{BadMessage, Fault};
pub use supervisor::{ExitKind, GoneReason};

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
        }
    }
}

/// Something the core must react to.
#[derive(Debug)]
pub enum Event {
    /// The app starts: open the Main Window.
    Start,
    /// Something about renderer `generation` of window `role`.
    Renderer {
        /// The window.
        role: Role,
        /// Which renderer process of that window.
        generation: u32,
        /// What happened.
        event: RendererEvent,
    },
    /// Something about window `role`.
    Window {
        /// The window.
        role: Role,
        /// What happened.
        event: WindowEvent,
    },
    /// The authenticator finished request `id` of renderer `generation`.
    AuthFinished {
        /// The window that asked.
        role: Role,
        /// The renderer that asked.
        generation: u32,
        /// Its request id.
        id: RequestId,
        /// The outcome.
        result: Result<User, LoginError>,
    },
    /// Another `workshop` was started with the same user data directory.
    SecondInstance,
    /// Timers may be due.
    Tick,
}

/// What a renderer host reports.
#[derive(Debug)]
pub enum RendererEvent {
    /// The process started; the bootstrap server must live in `bootstrap_dir`.
    Spawned {
        /// The private directory the renderer's one-shot server must be in.
        bootstrap_dir: PathBuf,
    },
    /// The process could not be started.
    SpawnFailed {
        /// Why (for the log).
        error: String,
    },
    /// A datagram that decoded into a message.
    Message {
        /// The message.
        msg: RendererToBroker,
        /// Its encoded size.
        size: usize,
        /// The sender's pid, from the kernel.
        pid: u32,
    },
    /// A datagram the reader refused before decoding completed.
    Fault {
        /// Why.
        fault: Fault,
        /// Its size, when known.
        size: usize,
        /// The sender's pid, when known.
        pid: Option<u32>,
    },
    /// The surface channel could not be set up (connect or send failed).
    SurfaceFailed {
        /// Why.
        error: String,
    },
    /// The control socket reached end of stream.
    Disconnected,
    /// The renderer's queue toward it is full: it is not reading.
    Backlogged,
    /// What the broker saw from outside the renderer after the handshake.
    Inspected(Result<Confinement, String>),
    /// The process was reaped.
    Exited(ExitKind),
}

/// What the broker observed about a renderer from `/proc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confinement {
    /// `Seccomp:` field of `/proc/PID/status` (2 = filter).
    pub seccomp_mode: u8,
    /// `NoNewPrivs:` field.
    pub no_new_privs: bool,
    /// Namespace layers in which the renderer differs from the broker.
    pub separate_namespaces: Vec<Layer>,
}

/// What a window backend reports.
#[derive(Debug)]
pub enum WindowEvent {
    /// The window's surface is `width × height` physical pixels at `scale`.
    Resized {
        /// Width, physical pixels.
        width: u32,
        /// Height, physical pixels.
        height: u32,
        /// Scale factor.
        scale: f32,
    },
    /// User input.
    Input(InputEvent),
    /// The window manager's close button.
    CloseRequested,
    /// The window moved.
    Moved(Position),
    /// The user asked to retry a window whose renderer kept crashing.
    Retry,
}

/// A renderer that has gone (`render-process-gone`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gone {
    /// Its window.
    pub role: Role,
    /// Its generation.
    pub generation: u32,
    /// Why.
    pub reason: GoneReason,
    /// How the process ended (`None`: it never started).
    pub exit: Option<ExitKind>,
    /// For `bad-message`: what was wrong (payload-free).
    pub bad_message: Option<String>,
}

/// The physical description of a surface.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SurfaceSpec {
    /// Increases with every surface of a window.
    pub generation: u32,
    /// Width, physical pixels.
    pub width: u32,
    /// Height, physical pixels.
    pub height: u32,
    /// Scale factor.
    pub scale: f32,
}

/// Something the shell must do.
#[derive(Debug)]
pub enum Effect {
    /// Create window `role` (400 × 400, titled).
    OpenWindow {
        /// Which.
        role: Role,
    },
    /// Destroy window `role`.
    CloseWindow {
        /// Which.
        role: Role,
    },
    /// Bring window `role` to the front.
    RaiseWindow {
        /// Which.
        role: Role,
    },
    /// Set window `role`'s title.
    SetTitle {
        /// Which.
        role: Role,
        /// The title.
        title: String,
    },
    /// Set window `role`'s pointer shape.
    SetCursor {
        /// Which.
        role: Role,
        /// The shape.
        cursor: CursorIcon,
    },
    /// Draw the broker's own "renderer keeps crashing" page in `role`.
    ShowCrashed {
        /// Which.
        role: Role,
    },
    /// Start renderer `generation` for window `role`.
    Spawn {
        /// Which window.
        role: Role,
        /// Its generation.
        generation: u32,
    },
    /// Allocate a surface and send its handle on the surface channel,
    /// connecting that channel first when `connect` is given.
    SendSurface {
        /// Which window.
        role: Role,
        /// Which renderer.
        generation: u32,
        /// The surface.
        spec: SurfaceSpec,
        /// The renderer's one-shot server, validated, on the first surface.
        connect: Option<PathBuf>,
    },
    /// Encode and send a control message.
    Send {
        /// Which window.
        role: Role,
        /// Which renderer.
        generation: u32,
        /// The message.
        msg: BrokerToRenderer,
    },
    /// Copy `damage` of surface `surface` to the window and present it.
    Present {
        /// Which window.
        role: Role,
        /// Which renderer.
        generation: u32,
        /// The surface generation painted into.
        surface: u32,
        /// The clamped changed rectangle.
        damage: PxRect,
    },
    /// Read `/proc` to verify the renderer's confinement; answer with
    /// [`RendererEvent::Inspected`].
    Inspect {
        /// Which window.
        role: Role,
        /// Which renderer.
        generation: u32,
        /// Its pid as the kernel reported it.
        pid: u32,
    },
    /// SIGKILL the renderer (the host reaps it and reports `Exited`).
    Kill {
        /// Which window.
        role: Role,
        /// Which renderer.
        generation: u32,
    },
    /// Run the authenticator; answer with [`Event::AuthFinished`].
    Authenticate {
        /// Which window asked.
        role: Role,
        /// Which renderer.
        generation: u32,
        /// Its request id.
        id: RequestId,
        /// The email.
        email: String,
        /// The password.
        password: Secret,
    },
    /// Stop the app: stop every renderer and leave the event loop.
    Quit,
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
    /// The newest surface whose handle was sent.
    pub surface_sent: Option<SurfaceSpec>,
    /// The newest surface the renderer has painted into.
    pub surface_adopted: Option<u32>,
    /// A resize is waiting for the renderer to adopt the previous surface.
    pub surface_pending: bool,
    /// Router bookkeeping (rate limits, invokes, pings).
    pub proto: router::ProtocolState,
    /// When a Dying renderer gets SIGKILL if it has not exited.
    pub kill_at: Option<Instant>,
    /// When the handshake completed.
    pub ready_at: Option<Instant>,
    /// Why it was killed for a bad message, if it was.
    pub bad_message: Option<String>,
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
    /// Last position reported by the backend.
    pub position: Option<Position>,
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
    gone: Vec<Gone>,
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
            gone: Vec::new(),
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

    /// Every renderer that has gone, with why, oldest first.
    pub fn gone(&self) -> &[Gone] {
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
            Event::Tick => self.tick(now),
        }
        let mut effects = std::mem::take(&mut self.effects);
        // The push table is the last gate on everything the broker says: a
        // bug elsewhere in the core cannot send the user to the Login
        // Window's process.
        effects.retain(|e| match e {
            Effect::Send { role, msg, .. } => {
                let ok = workshop_common::capability::broker_may_send(*role, msg.kind());
                if !ok {
                    tracing::error!(role = role.as_str(), kind = ?msg.kind(), "broker bug: message not allowed to this role; not sent");
                }
                ok
            }
            _ => true,
        });
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
            Stage::Ready => Some(r.proto.ping_deadline(&self.config)),
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
                Stage::Ready => self.ping_tick(now, role),
                Stage::Dying(_) | Stage::Disconnected => {
                    if w.renderer.kill_at.is_some_and(|t| now >= t) {
                        w.renderer.kill_at = None;
                        self.effects.push(Effect::Kill { role, generation });
                    }
                }
            }
        }
    }

    fn ping_tick(&mut self, now: Instant, role: Role) {
        let config = self.config.clone();
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        let generation = w.renderer.generation;
        match w.renderer.proto.ping_due(now, &config) {
            router::PingAction::Nothing => {}
            router::PingAction::Send(nonce) => {
                self.effects.push(Effect::Send {
                    role,
                    generation,
                    msg: BrokerToRenderer::Ping { nonce },
                });
            }
            router::PingAction::MarkUnresponsive => {
                tracing::warn!(
                    role = role.as_str(),
                    generation,
                    "renderer is not responding"
                );
                w.title = format!("{} (Not Responding)", role.window_title());
                self.effects.push(Effect::SetTitle {
                    role,
                    title: w.title.clone(),
                });
            }
            router::PingAction::Replace => {
                tracing::warn!(
                    role = role.as_str(),
                    generation,
                    "renderer silent for too long; replacing it"
                );
                self.kill(now, role, GoneReason::Unresponsive);
            }
        }
    }

    /// Opens window `role` and starts its renderer (or raises it).
    fn open_window(&mut self, now: Instant, role: Role) {
        if let Some(w) = self.windows.get(&role) {
            if !w.closing {
                tracing::info!(role = role.as_str(), "Window already opened");
                self.effects.push(Effect::RaiseWindow { role });
                return;
            }
            // The old window is still shutting down: finish it now.
            let generation = w.renderer.generation;
            self.effects.push(Effect::Kill { role, generation });
            self.windows.remove(&role);
        }
        if role == Role::Login {
            tracing::info!("Opening login window");
        }
        let generation = self.take_generation();
        let (lw, lh) = WINDOW_LOGICAL_SIZE;
        self.windows.insert(
            role,
            WindowState {
                role,
                renderer: RendererState::new(generation, now, &self.config),
                size: (lw, lh, 1.0),
                surface_generation: 0,
                title: role.window_title().to_owned(),
                closing: false,
                crashes: supervisor::CrashHistory::default(),
                crashed_out: false,
                position: None,
            },
        );
        self.effects.push(Effect::OpenWindow { role });
        self.effects.push(Effect::Spawn { role, generation });
    }

    fn take_generation(&mut self) -> u32 {
        let g = self.next_generation;
        self.next_generation += 1;
        g
    }

    /// Starts a new renderer for an existing window.
    fn respawn(&mut self, now: Instant, role: Role) {
        let generation = self.take_generation();
        let config = self.config.clone();
        if let Some(w) = self.windows.get_mut(&role) {
            w.renderer = RendererState::new(generation, now, &config);
            self.effects.push(Effect::Spawn { role, generation });
        }
    }

    /// Closes window `role`: tells its renderer to shut down, kills it after
    /// the grace period, destroys the window.
    fn close_window(&mut self, now: Instant, role: Role) {
        let grace = self.config.shutdown_grace;
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        if w.closing {
            return;
        }
        w.closing = true;
        let generation = w.renderer.generation;
        match w.renderer.stage {
            Stage::Ready => {
                w.renderer.stage = Stage::Dying(GoneReason::Closed);
                w.renderer.kill_at = Some(now + grace);
                self.effects.push(Effect::Send {
                    role,
                    generation,
                    msg: BrokerToRenderer::Shutdown,
                });
            }
            Stage::Dying(_) => {}
            _ => {
                w.renderer.stage = Stage::Dying(GoneReason::Closed);
                self.effects.push(Effect::Kill { role, generation });
            }
        }
        self.effects.push(Effect::CloseWindow { role });
        if w.crashed_out {
            // No renderer is running; nothing will be reaped.
            self.windows.remove(&role);
            self.maybe_finish_quit();
        }
    }

    /// "Close": close every window and quit.
    fn quit(&mut self, now: Instant) {
        if self.quitting {
            return;
        }
        self.quitting = true;
        tracing::info!("Closing Application");
        let roles: Vec<Role> = self.windows.keys().copied().collect();
        for role in roles {
            self.close_window(now, role);
        }
        tracing::info!("All Windows Closed");
        self.effects.push(Effect::Quit);
    }

    fn maybe_finish_quit(&mut self) {
        // Quit is emitted once by `quit`; nothing else to do when the last
        // renderer goes. Kept as the single place to hook a final flush.
    }

    fn window_event(&mut self, now: Instant, role: Role, event: WindowEvent) {
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        match event {
            WindowEvent::Resized {
                width,
                height,
                scale,
            } => {
                if w.size == (width, height, scale) && w.surface_generation > 0 {
                    return;
                }
                w.size = (width, height, scale);
                if w.renderer.stage == Stage::Ready {
                    if w.renderer.surface_adopted == w.renderer.surface_sent.map(|s| s.generation) {
                        self.send_new_surface(role);
                    } else {
                        w.renderer.surface_pending = true;
                    }
                }
            }
            WindowEvent::Input(input) => {
                if w.renderer.stage == Stage::Ready && !w.closing {
                    let generation = w.renderer.generation;
                    self.effects.push(Effect::Send {
                        role,
                        generation,
                        msg: BrokerToRenderer::Input(input),
                    });
                }
            }
            WindowEvent::CloseRequested => match role {
                Role::Main => self.quit(now),
                Role::Login => self.close_window(now, role),
            },
            WindowEvent::Moved(position) => {
                w.position = Some(position);
            }
            WindowEvent::Retry => {
                if w.crashed_out {
                    tracing::info!(role = role.as_str(), "retrying a window that kept crashing");
                    w.crashed_out = false;
                    w.crashes = supervisor::CrashHistory::default();
                    self.respawn(now, role);
                }
            }
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
        w.renderer.surface_sent = Some(spec);
        w.renderer.surface_pending = false;
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

    fn auth_finished(
        &mut self,
        now: Instant,
        role: Role,
        generation: u32,
        id: RequestId,
        result: Result<User, LoginError>,
    ) {
        let Some(w) = self.windows.get_mut(&role) else {
            tracing::info!("sign-in finished after its window closed; result dropped");
            return;
        };
        if w.renderer.generation != generation || w.closing || !w.renderer.proto.finish_invoke(id) {
            tracing::info!("sign-in finished for a renderer that is gone; result dropped");
            return;
        }
        let ok = result.as_ref().ok().cloned();
        self.effects.push(Effect::Send {
            role,
            generation,
            msg: BrokerToRenderer::Reply {
                id,
                reply: workshop_common::protocol::Reply::SubmitLogin(result),
            },
        });
        if let Some(user) = ok {
            tracing::info!("user signed in");
            self.user = Some(user.clone());
            self.close_window(now, role);
            if let Some(main) = self.windows.get(&Role::Main) {
                if main.renderer.stage == Stage::Ready {
                    let generation = main.renderer.generation;
                    self.effects.push(Effect::Send {
                        role: Role::Main,
                        generation,
                        msg: BrokerToRenderer::Authenticated { user },
                    });
                }
            }
        }
    }

    /// Kills the current renderer of `role` for `reason`.
    fn kill(&mut self, _now: Instant, role: Role, reason: GoneReason) {
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        if matches!(w.renderer.stage, Stage::Dying(_)) {
            return;
        }
        let generation = w.renderer.generation;
        // A renderer whose socket closed is killed for `reason` only if it
        // had not died already; the supervisor prefers the exit status then.
        w.renderer.stage = Stage::Dying(reason);
        w.renderer.kill_at = None;
        self.effects.push(Effect::Kill { role, generation });
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
            surface_sent: None,
            surface_adopted: None,
            surface_pending: false,
            proto: router::ProtocolState::new(now, config),
            kill_at: None,
            ready_at: None,
            bad_message: None,
        }
    }
}

#[cfg(test)]
mod tests;
