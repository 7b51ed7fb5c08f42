//! The router's invariants as a property test: arbitrary sequences of
//! renderer messages (plausible and arbitrary), timer ticks, window events,
//! renderer lifecycle events and authenticator results, driven into the
//! broker core with both renderers `Ready` first (sandbox disabled, no
//! outside verification). After every event the invariants listed on
//! `Driver::step` are checked.
//!
//! The same checker, fed from raw bytes, is the `router` cargo-fuzz target
//! (`fuzz/src/router.rs`); keep the two in step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::Config;
use workshop_broker::audit::{AuditEvent, Direction, Verdict};
use workshop_broker::core::{
    Broker, CoreConfig, Effect, Event, ExitKind, Fault, Rate, RendererEvent, Stage, WindowEvent,
};
use workshop_common::capability::broker_may_send;
use workshop_common::codec::{self, CodecError};
use workshop_common::geometry::{Position, PxRect};
use workshop_common::input::{CursorIcon, InputEvent};
use workshop_common::protocol::{RendererMessageKind, Reply, Request, RequestId};
use workshop_common::sandbox_report::{
    Layer, LayerState, LayerStatus, Probe, ProbeOutcome, ProbeResult, SandboxMode, SandboxReport,
};
use workshop_common::user::{check_email, check_password, LoginError, User};
use workshop_common::{BrokerToRenderer, RendererToBroker, Role, Secret, PROTOCOL_VERSION};

// ---- "broker bug" watch ---------------------------------------------------

/// Counts the core's own "broker bug" reports: `Broker::handle` drops a
/// `Send` the push table forbids and logs it at ERROR, so the effects are
/// always allowed; this makes the attempt visible.
mod bugwatch {
    use std::cell::Cell;
    use std::fmt;
    use std::sync::Once;

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::subscriber::Interest;
    use tracing::{Event, Level, Metadata, Subscriber};

    thread_local! {
        static BUGS: Cell<u64> = const { Cell::new(0) };
    }

    pub fn count() -> u64 {
        BUGS.with(Cell::get)
    }

    pub fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let _ = tracing::subscriber::set_global_default(Watch);
        });
    }

    struct Watch;

    struct FindBug(bool);

    impl Visit for FindBug {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            if field.name() == "message" && format!("{value:?}").contains("broker bug") {
                self.0 = true;
            }
        }
    }

    impl Subscriber for Watch {
        fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
            if self.enabled(metadata) {
                Interest::always()
            } else {
                Interest::never()
            }
        }

        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            metadata.is_event() && *metadata.level() == Level::ERROR
        }

        fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
            Some(tracing::level_filters::LevelFilter::ERROR)
        }

        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }

        fn record(&self, _: &Id, _: &Record<'_>) {}

        fn record_follows_from(&self, _: &Id, _: &Id) {}

        fn event(&self, event: &Event<'_>) {
            let mut find = FindBug(false);
            event.record(&mut find);
            if find.0 {
                BUGS.with(|b| b.set(b.get() + 1));
            }
        }

        fn enter(&self, _: &Id) {}

        fn exit(&self, _: &Id) {}
    }
}

// ---- the checking driver --------------------------------------------------

fn bootstrap_dir(role: Role) -> &'static str {
    match role {
        Role::Main => "/tmp/wf/m",
        Role::Login => "/tmp/wf/l",
    }
}

fn server_path(role: Role) -> String {
    format!("{}/.tmpA/socket", bootstrap_dir(role))
}

fn hello(role: Role) -> RendererToBroker {
    RendererToBroker::Hello {
        protocol_version: PROTOCOL_VERSION,
        role,
        sandbox: SandboxReport::disabled(),
    }
}

/// The user the harness's authenticator signs in.
pub fn user() -> User {
    User {
        id: 7,
        name: "Bruce Wayne".into(),
        email: "bruce@wayne.com".into(),
    }
}

/// The pid the kernel would report for renderer `generation` of `role`.
pub fn pid(role: Role, generation: u32) -> u32 {
    10_000 + 2 * generation + u32::from(role == Role::Login)
}

/// The configuration: `tight` gives small rate-limit bursts.
pub fn config(tight: bool) -> CoreConfig {
    let mut config = CoreConfig {
        sandbox: SandboxMode::Disabled,
        verify_from_outside: false,
        ..CoreConfig::default()
    };
    if tight {
        config.message_rate = Rate {
            per_second: 100.0,
            burst: 16.0,
        };
        config.frame_rate = Rate {
            per_second: 30.0,
            burst: 4.0,
        };
    }
    config
}

/// What an event was, kept after the event itself is consumed.
#[derive(Clone, Debug)]
enum What {
    Message {
        role: Role,
        generation: u32,
        kind: RendererMessageKind,
        invoke_id: Option<u64>,
        bootstrap: bool,
    },
    Fault {
        role: Role,
        generation: u32,
    },
    Tick,
    Window {
        role: Role,
        close: bool,
    },
    /// Lifecycle events; `kills` for those that end the renderer.
    Renderer {
        role: Role,
        kills: bool,
    },
    Auth {
        role: Role,
        generation: u32,
        id: u64,
        ok: Option<User>,
    },
    Other,
}

impl What {
    fn of(event: &Event) -> What {
        match event {
            Event::Renderer {
                role,
                generation,
                event,
            } => match event {
                RendererEvent::Message { msg, .. } => What::Message {
                    role: *role,
                    generation: *generation,
                    kind: msg.kind(),
                    invoke_id: match msg {
                        RendererToBroker::Invoke { id, .. } => Some(id.0),
                        _ => None,
                    },
                    bootstrap: matches!(msg, RendererToBroker::Bootstrap { .. }),
                },
                RendererEvent::Fault { .. } => What::Fault {
                    role: *role,
                    generation: *generation,
                },
                RendererEvent::Backlogged | RendererEvent::SurfaceFailed { .. } => What::Renderer {
                    role: *role,
                    kills: true,
                },
                _ => What::Renderer {
                    role: *role,
                    kills: false,
                },
            },
            Event::Tick => What::Tick,
            Event::Window { role, event } => What::Window {
                role: *role,
                close: matches!(event, WindowEvent::CloseRequested),
            },
            Event::AuthFinished {
                role,
                generation,
                id,
                result,
            } => What::Auth {
                role: *role,
                generation: *generation,
                id: id.0,
                ok: result.as_ref().ok().cloned(),
            },
            Event::Start | Event::SecondInstance => What::Other,
        }
    }
}

/// A window's renderer as it was before a step.
#[derive(Clone, Debug)]
struct Snap {
    generation: u32,
    stage: Stage,
    closing: bool,
    /// When `Event::Tick` has work for it (mirrors the core's deadline).
    deadline: Option<Instant>,
}

fn idx(role: Role) -> usize {
    match role {
        Role::Main => 0,
        Role::Login => 1,
    }
}

/// Drives a [`Broker`] and checks its invariants after every event.
#[derive(Debug)]
pub struct Driver {
    core: Broker,
    now: Instant,
    /// Newest renderer generation spawned per role.
    generation: BTreeMap<Role, u32>,
    /// Every surface of the current window instances:
    /// (role, surface generation) → (renderer generation, width, height).
    surfaces: BTreeMap<(Role, u32), (u32, u32, u32)>,
    /// Renderers that have been sent `Welcome`.
    welcomed: BTreeSet<(Role, u32)>,
    /// Accepted invokes awaiting their one reply: (role, generation, id).
    in_flight: BTreeSet<(Role, u32, u64)>,
    /// `Authenticate` effects the harness has not answered.
    auth_pending: Vec<(Role, u32, u64)>,
    quit_seen: bool,
    /// Events fed so far.
    pub steps: usize,
}

impl Driver {
    /// A broker with `config`; nothing started yet.
    pub fn new(config: CoreConfig) -> Driver {
        bugwatch::install();
        Driver {
            core: Broker::new(config),
            now: Instant::now(),
            generation: BTreeMap::new(),
            surfaces: BTreeMap::new(),
            welcomed: BTreeSet::new(),
            in_flight: BTreeSet::new(),
            auth_pending: Vec::new(),
            quit_seen: false,
            steps: 0,
        }
    }

    /// The core under test.
    pub fn core(&self) -> &Broker {
        &self.core
    }

    /// Advances synthetic time.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    /// The newest renderer generation of `role` (0 before any).
    pub fn generation(&self, role: Role) -> u32 {
        self.generation.get(&role).copied().unwrap_or(0)
    }

    /// Starts the app and brings both windows' renderers to `Ready`.
    pub fn start_both(&mut self) {
        self.step(Event::Start);
        self.handshake(Role::Main);
        self.message(Role::Main, RendererToBroker::OpenLoginWindow);
        self.handshake(Role::Login);
        for role in Role::ALL {
            assert_eq!(
                self.core.window(role).map(|w| w.renderer.stage.clone()),
                Some(Stage::Ready),
                "{role} did not reach Ready"
            );
        }
    }

    /// Spawned, Bootstrap and Hello for the current renderer of `role`.
    pub fn handshake(&mut self, role: Role) {
        if self.core.window(role).is_none() {
            return;
        }
        let generation = self.generation(role);
        self.step(Event::Renderer {
            role,
            generation,
            event: RendererEvent::Spawned {
                bootstrap_dir: PathBuf::from(bootstrap_dir(role)),
            },
        });
        self.message(
            role,
            RendererToBroker::Bootstrap {
                server: server_path(role),
            },
        );
        self.message(role, hello(role));
    }

    /// Sends `msg` from the current renderer of `role`, from its own pid.
    pub fn message(&mut self, role: Role, msg: RendererToBroker) -> Vec<Effect> {
        let generation = self.generation(role);
        self.message_as(role, generation, pid(role, generation), msg)
    }

    /// Sends `msg` as renderer `generation` of `role` from `pid`.
    pub fn message_as(
        &mut self,
        role: Role,
        generation: u32,
        pid: u32,
        msg: RendererToBroker,
    ) -> Vec<Effect> {
        let size = codec::encode(&msg).map(|b| b.len()).unwrap_or(0);
        self.step(Event::Renderer {
            role,
            generation,
            event: RendererEvent::Message { msg, size, pid },
        })
    }

    /// Answers the oldest pending `Authenticate`, if any.
    pub fn finish_auth(&mut self, ok: bool) -> Vec<Effect> {
        if self.auth_pending.is_empty() {
            return Vec::new();
        }
        let (role, generation, id) = self.auth_pending.remove(0);
        self.step(Event::AuthFinished {
            role,
            generation,
            id: RequestId(id),
            result: if ok {
                Ok(user())
            } else {
                Err(LoginError::Rejected)
            },
        })
    }

    fn snap(&self, role: Role) -> Option<Snap> {
        let w = self.core.window(role)?;
        let r = &w.renderer;
        let config = self.core.config();
        let deadline = match r.stage {
            Stage::Starting
            | Stage::AwaitingBootstrap
            | Stage::AwaitingHello
            | Stage::Verifying => Some(r.spawned_at + config.handshake_timeout),
            Stage::Ready => Some(r.proto.ping_deadline(config)),
            Stage::Dying(_) | Stage::Disconnected => r.kill_at,
        };
        Some(Snap {
            generation: r.generation,
            stage: r.stage.clone(),
            closing: w.closing,
            deadline,
        })
    }

    fn audit_count(&self) -> u64 {
        self.core.audit().accepted() + self.core.audit().refused()
    }

    /// Feeds one event at the current synthetic time and checks, for the
    /// effects it produced:
    ///
    /// 1. **Audit**: a renderer message is audited exactly once (as `In`,
    ///    with its role and kind); a fault from the current renderer exactly
    ///    once, refused; any other event not at all.
    /// 2. **Push table**: no `Send` that `broker_may_send` forbids, and the
    ///    core never even attempts one (its "broker bug" log stays silent).
    /// 3. **Kills**: a renderer not already `Dying` that has a `Refused`
    ///    audit event in this step is killed in this step; a renderer killed
    ///    without one is explained by a timer whose deadline has passed (on
    ///    `Tick`), a window close or quit that finds it mid-handshake or
    ///    disconnected, reopening a closing Login Window, a sign-in closing
    ///    it, or `Backlogged`/`SurfaceFailed`. A kill names the renderer's
    ///    current generation.
    /// 4. **Frames**: every `Present` answers an accepted `FrameReady` from a
    ///    `Ready` renderer, names a surface sent to that very renderer, and
    ///    its damage is non-empty and fits that surface (`PxRect::fits_in`).
    ///    Every `Surface` message describes the shared memory actually sent
    ///    for that generation; surface generations are never reused within
    ///    a window; only an accepted `Bootstrap` connects a server, and only
    ///    inside the renderer's private directory.
    /// 5. **Protocol order**: the first message sent to a renderer is
    ///    `Welcome`, and it is sent once; sends target the role's current
    ///    renderer.
    /// 6. **Invokes**: `Authenticate` only for an invoke of the Login
    ///    renderer accepted in this step, with an email and password that
    ///    pass the shape checks; every `Reply` answers an accepted,
    ///    unanswered invoke of that renderer; an authenticator result for
    ///    anything else produces no effect.
    /// 7. **The user**: only an authenticator `Ok` for an outstanding invoke
    ///    signs a user in, only an accepted `Logout` signs out;
    ///    `Authenticated` carries exactly the authenticated user, and
    ///    `InitialState` the broker's current one.
    /// 8. `Quit` at most once; `Inspect` never (outside verification is off).
    pub fn step(&mut self, event: Event) -> Vec<Effect> {
        let what = What::of(&event);
        let pre = [self.snap(Role::Main), self.snap(Role::Login)];
        let audit_before = self.audit_count();
        let bugs_before = bugwatch::count();
        let user_before = self.core.user().cloned();
        let effects = self.core.handle(self.now, event);
        self.steps += 1;
        self.check(
            &what,
            &pre,
            audit_before,
            bugs_before,
            user_before,
            &effects,
        );
        effects
    }

    fn check(
        &mut self,
        what: &What,
        pre: &[Option<Snap>; 2],
        audit_before: u64,
        bugs_before: u64,
        user_before: Option<User>,
        effects: &[Effect],
    ) {
        let steps = self.steps;
        let ctx = || format!("step {steps} ({what:?}) pre {pre:?} effects {effects:?}");
        let pre_gen = |role: Role| pre[idx(role)].as_ref().map(|s| s.generation);
        let pre_stage = |role: Role| pre[idx(role)].as_ref().map(|s| s.stage.clone());

        // 1. Audit.
        let n = usize::try_from(self.audit_count() - audit_before).unwrap_or(usize::MAX);
        let expected = match what {
            What::Message { .. } => 1,
            What::Fault { role, generation } if pre_gen(*role) == Some(*generation) => 1,
            _ => 0,
        };
        assert_eq!(n, expected, "audit events: {}", ctx());
        let recent: Vec<&AuditEvent> = self.core.audit().recent().collect();
        let new: Vec<AuditEvent> = recent[recent.len() - n..]
            .iter()
            .map(|&e| e.clone())
            .collect();
        for e in &new {
            assert_eq!(e.direction, Direction::In, "{}", ctx());
        }
        let accepted = |role: Role, kind: RendererMessageKind| {
            matches!(what, What::Message { role: r, kind: k, .. } if *r == role && *k == kind)
                && new
                    .iter()
                    .any(|e| matches!(e.verdict, Verdict::Accepted | Verdict::Clamped))
        };
        match what {
            What::Message { role, kind, .. } => {
                assert_eq!(
                    (new[0].role, new[0].kind),
                    (*role, kind.name()),
                    "{}",
                    ctx()
                );
            }
            What::Fault { role, .. } if n == 1 => {
                assert_eq!(new[0].role, *role, "{}", ctx());
                assert!(matches!(new[0].verdict, Verdict::Refused(_)), "{}", ctx());
            }
            _ => {}
        }
        let refused: BTreeSet<Role> = new
            .iter()
            .filter(|e| matches!(e.verdict, Verdict::Refused(_)))
            .map(|e| e.role)
            .collect();

        // 2. The core never tried to send something the push table forbids.
        assert_eq!(
            bugwatch::count(),
            bugs_before,
            "the core attempted a forbidden send: {}",
            ctx()
        );

        // 6 (set-up): an invoke accepted in this step is now in flight.
        let invoke_accepted = match what {
            What::Message {
                role,
                generation,
                invoke_id: Some(id),
                ..
            } if accepted(*role, RendererMessageKind::SubmitLogin) => {
                self.in_flight.insert((*role, *generation, *id));
                Some((*role, *generation, *id))
            }
            _ => None,
        };
        let auth_legit = match what {
            What::Auth {
                role,
                generation,
                id,
                ..
            } => {
                // Legitimate only for a live renderer: a result for one the
                // broker has killed (or is closing) is dropped.
                self.in_flight.contains(&(*role, *generation, *id))
                    && pre[idx(*role)].as_ref().is_some_and(|s| {
                        s.generation == *generation && !s.closing && s.stage == Stage::Ready
                    })
            }
            _ => false,
        };
        if matches!(what, What::Auth { .. }) && !auth_legit {
            assert!(
                effects.is_empty(),
                "a result for no outstanding invoke had effects: {}",
                ctx()
            );
        }

        let mut killed = BTreeSet::new();
        let mut replies = 0;
        for effect in effects {
            match effect {
                Effect::OpenWindow { role } => {
                    // A new window instance numbers its surfaces from 1.
                    self.surfaces.retain(|(r, _), _| r != role);
                }
                Effect::Spawn { role, generation } => {
                    let newest = self.generation.values().copied().max().unwrap_or(0);
                    assert!(*generation > newest, "generation reused: {}", ctx());
                    self.generation.insert(*role, *generation);
                }
                Effect::SendSurface {
                    role,
                    generation,
                    spec,
                    connect,
                } => {
                    assert!(
                        pre_gen(*role) == Some(*generation)
                            && self.core.window(*role).map(|w| w.renderer.generation)
                                == Some(*generation),
                        "surface for another renderer: {}",
                        ctx()
                    );
                    let bootstrap = matches!(
                        what,
                        What::Message {
                            bootstrap: true,
                            ..
                        }
                    ) && accepted(*role, RendererMessageKind::Bootstrap);
                    assert_eq!(connect.is_some(), bootstrap, "connect: {}", ctx());
                    if let Some(path) = connect {
                        assert!(
                            path.starts_with(bootstrap_dir(*role)),
                            "server outside the private directory: {}",
                            ctx()
                        );
                    }
                    let fresh = self
                        .surfaces
                        .insert(
                            (*role, spec.generation),
                            (*generation, spec.width, spec.height),
                        )
                        .is_none();
                    assert!(fresh, "surface generation reused: {}", ctx());
                }
                Effect::Send {
                    role,
                    generation,
                    msg,
                } => {
                    assert!(
                        broker_may_send(*role, msg.kind()),
                        "forbidden send: {}",
                        ctx()
                    );
                    let post_gen = self.core.window(*role).map(|w| w.renderer.generation);
                    assert!(
                        pre_gen(*role) == Some(*generation) || post_gen == Some(*generation),
                        "send to a renderer that is not current: {}",
                        ctx()
                    );
                    let first = !self.welcomed.contains(&(*role, *generation));
                    assert_eq!(
                        first,
                        matches!(msg, BrokerToRenderer::Welcome),
                        "Welcome must come first, once: {}",
                        ctx()
                    );
                    self.welcomed.insert((*role, *generation));
                    match msg {
                        BrokerToRenderer::Surface {
                            generation: surface,
                            width,
                            height,
                            ..
                        } => {
                            assert_eq!(
                                self.surfaces.get(&(*role, *surface)),
                                Some(&(*generation, *width, *height)),
                                "Surface message does not match the memory sent: {}",
                                ctx()
                            );
                        }
                        BrokerToRenderer::Reply { id, reply } => {
                            replies += 1;
                            assert!(
                                self.in_flight.remove(&(*role, *generation, id.0)),
                                "reply to no outstanding invoke: {}",
                                ctx()
                            );
                            let Reply::SubmitLogin(result) = reply;
                            if let Ok(u) = result {
                                assert!(
                                    matches!(what, What::Auth { ok: Some(x), .. } if x == u),
                                    "Ok reply without the authenticator: {}",
                                    ctx()
                                );
                            }
                        }
                        BrokerToRenderer::Authenticated { user } => {
                            assert!(
                                auth_legit
                                    && matches!(what, What::Auth { ok: Some(u), .. } if u == user),
                                "Authenticated without a sign-in: {}",
                                ctx()
                            );
                        }
                        BrokerToRenderer::InitialState { user } => {
                            assert_eq!(user.as_ref(), self.core.user(), "{}", ctx());
                        }
                        BrokerToRenderer::LoggedOut => {
                            assert!(
                                accepted(Role::Main, RendererMessageKind::Logout),
                                "LoggedOut without Logout: {}",
                                ctx()
                            );
                        }
                        _ => {}
                    }
                }
                Effect::Present {
                    role,
                    generation,
                    surface,
                    damage,
                } => {
                    assert!(
                        accepted(*role, RendererMessageKind::FrameReady)
                            && pre_stage(*role) == Some(Stage::Ready)
                            && pre_gen(*role) == Some(*generation),
                        "Present without an accepted frame: {}",
                        ctx()
                    );
                    let Some(&(owner, width, height)) = self.surfaces.get(&(*role, *surface))
                    else {
                        panic!("Present of an unknown surface: {}", ctx());
                    };
                    assert_eq!(owner, *generation, "surface of another renderer: {}", ctx());
                    assert!(
                        !damage.is_empty() && damage.fits_in(width, height),
                        "damage {damage:?} does not fit {width}x{height}: {}",
                        ctx()
                    );
                }
                Effect::Kill { role, generation } => {
                    assert_eq!(
                        pre_gen(*role),
                        Some(*generation),
                        "kill of a renderer that is not current: {}",
                        ctx()
                    );
                    killed.insert(*role);
                }
                Effect::Authenticate {
                    role,
                    generation,
                    id,
                    email,
                    password,
                } => {
                    assert_eq!(
                        invoke_accepted,
                        Some((*role, *generation, id.0)),
                        "Authenticate without an accepted invoke: {}",
                        ctx()
                    );
                    assert_eq!(*role, Role::Login, "{}", ctx());
                    assert!(
                        check_email(email).is_ok() && check_password(password.expose()).is_ok(),
                        "Authenticate with a malformed request: {}",
                        ctx()
                    );
                    self.auth_pending.push((*role, *generation, id.0));
                }
                Effect::Quit => {
                    assert!(!self.quit_seen, "second Quit: {}", ctx());
                    self.quit_seen = true;
                }
                Effect::Inspect { .. } => panic!("Inspect with verification off: {}", ctx()),
                Effect::CloseWindow { .. }
                | Effect::RaiseWindow { .. }
                | Effect::SetTitle { .. }
                | Effect::SetCursor { .. }
                | Effect::ShowCrashed { .. } => {}
            }
        }
        if auth_legit {
            assert_eq!(replies, 1, "one reply per result: {}", ctx());
        }

        // 3. Kills.
        for role in Role::ALL {
            let was_dying = matches!(pre_stage(role), Some(Stage::Dying(_)));
            if refused.contains(&role) && !was_dying {
                assert!(
                    killed.contains(&role),
                    "{role} refused but not killed: {}",
                    ctx()
                );
            }
            if killed.contains(&role) && !refused.contains(&role) {
                assert!(
                    self.kill_explained(what, pre, role, &accepted),
                    "{role} killed without a refused message or a rule: {}",
                    ctx()
                );
            }
        }

        // 7. The user.
        let user_after = self.core.user().cloned();
        if user_after != user_before {
            let signed_in = auth_legit
                && matches!(what, What::Auth { ok: Some(u), .. } if Some(u) == user_after.as_ref());
            let signed_out =
                user_after.is_none() && accepted(Role::Main, RendererMessageKind::Logout);
            assert!(
                signed_in || signed_out,
                "the user changed without a sign-in or a Logout: {}",
                ctx()
            );
        }
    }

    fn kill_explained(
        &self,
        what: &What,
        pre: &[Option<Snap>; 2],
        role: Role,
        accepted: &dyn Fn(Role, RendererMessageKind) -> bool,
    ) -> bool {
        let Some(snap) = &pre[idx(role)] else {
            return false;
        };
        let mid_life = !matches!(snap.stage, Stage::Ready | Stage::Dying(_));
        match what {
            What::Tick => snap.deadline.is_some_and(|d| self.now >= d),
            What::Window {
                role: r,
                close: true,
            } => (*r == role || *r == Role::Main) && mid_life,
            What::Message { .. } => {
                (accepted(Role::Main, RendererMessageKind::CloseWindow) && mid_life)
                    || (accepted(Role::Main, RendererMessageKind::OpenLoginWindow)
                        && role == Role::Login
                        && snap.closing)
            }
            What::Renderer { role: r, kills } => *kills && *r == role,
            What::Auth { role: r, ok, .. } => ok.is_some() && *r == role && mid_life,
            What::Fault { .. } | What::Window { .. } | What::Other => false,
        }
    }
}

// ---- operations and strategies --------------------------------------------

/// Where a message claims to come from.
#[derive(Clone, Copy, Debug)]
enum From {
    Own,
    WrongPid,
    OldGeneration,
}

#[derive(Clone, Debug)]
enum Win {
    Resize(u32, u32, f32),
    Input(InputEvent),
    Close,
    Moved(i32, i32),
    Retry,
    SecondInstance,
}

#[derive(Clone, Debug)]
enum Life {
    Exit(ExitKind),
    ExitOld,
    Disconnected,
    Spawned,
    Handshake,
    Backlogged,
    SurfaceFailed,
    SpawnFailed,
    Fault(u8),
}

#[derive(Clone, Debug)]
enum Op {
    Msg(Role, RendererToBroker, From),
    Tick(u64),
    Window(Role, Win),
    Life(Role, Life),
    Auth(bool),
    ForgedAuth(Role, u64, bool),
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn rect() -> impl Strategy<Value = PxRect> {
    let v = || prop_oneof![4 => 0u32..600, 1 => any::<u32>()];
    (v(), v(), v(), v()).prop_map(|(x, y, width, height)| PxRect {
        x,
        y,
        width,
        height,
    })
}

fn cursor() -> impl Strategy<Value = CursorIcon> {
    prop_oneof![
        Just(CursorIcon::Default),
        Just(CursorIcon::Pointer),
        Just(CursorIcon::Text)
    ]
}

fn submit(id: u64, email: &str, password: &str) -> RendererToBroker {
    RendererToBroker::Invoke {
        id: RequestId(id),
        request: Request::SubmitLogin {
            email: email.to_owned(),
            password: Secret::new(password.to_owned()),
        },
    }
}

fn report() -> impl Strategy<Value = SandboxReport> {
    let layer = (
        prop::sample::select(Layer::ALL.to_vec()),
        prop_oneof![
            Just(LayerState::Active),
            Just(LayerState::Partial),
            Just(LayerState::Disabled),
            any::<i32>().prop_map(|errno| LayerState::Unavailable { errno }),
        ],
    )
        .prop_map(|(layer, state)| LayerStatus {
            layer,
            state,
            detail: 0,
        });
    let probe = (
        prop::sample::select(Probe::ALL.to_vec()),
        prop_oneof![
            Just(ProbeOutcome::Allowed),
            Just(ProbeOutcome::NotRun),
            Just(ProbeOutcome::Denied { errno: 1 }),
        ],
    )
        .prop_map(|(probe, outcome)| ProbeResult { probe, outcome });
    (
        prop::sample::select(vec![
            SandboxMode::Disabled,
            SandboxMode::Enforce,
            SandboxMode::Strict,
        ]),
        prop::collection::vec(layer, 0..40),
        prop::collection::vec(probe, 0..40),
    )
        .prop_map(|(mode, layers, probes)| SandboxReport {
            mode,
            layers,
            probes,
        })
}

/// Messages a renderer of either role might send, right or wrong for the
/// moment: most pass decoding and validation, so the protocol state is
/// exercised rather than the first check.
fn plausible() -> impl Strategy<Value = RendererToBroker> {
    let email = prop::sample::select(vec![
        "bruce@wayne.com".to_owned(),
        "not an email".to_owned(),
        String::new(),
        "e".repeat(255),
    ]);
    let password = prop::sample::select(vec!["pw".to_owned(), String::new(), "p".repeat(1025)]);
    prop_oneof![
        4 => (0u32..4, rect())
            .prop_map(|(surface, damage)| RendererToBroker::FrameReady { surface, damage }),
        1 => cursor().prop_map(|cursor| RendererToBroker::SetCursor { cursor }),
        2 => (0u64..4).prop_map(|nonce| RendererToBroker::Pong { nonce }),
        1 => Just(RendererToBroker::OpenLoginWindow),
        1 => Just(RendererToBroker::Logout),
        1 => Just(RendererToBroker::CloseWindow),
        4 => (0u64..6, email, password).prop_map(|(id, e, p)| submit(id, &e, &p)),
        1 => (role(), prop::sample::select(vec!["/tmp/wf/m/../x/socket", "/tmp/.X11-unix/X0", ""]), any::<bool>())
            .prop_map(|(r, bad, good)| RendererToBroker::Bootstrap {
                server: if good { server_path(r) } else { bad.to_owned() },
            }),
        1 => (role(), 0u32..3, prop_oneof![3 => Just(SandboxReport::disabled()), 1 => report()])
            .prop_map(|(role, v, sandbox)| RendererToBroker::Hello {
                protocol_version: PROTOCOL_VERSION + v / 2,
                role,
                sandbox,
            }),
    ]
}

/// Any message at all, fields unconstrained.
fn arbitrary() -> impl Strategy<Value = RendererToBroker> {
    let text = || prop::collection::vec(any::<char>(), 0..40).prop_map(String::from_iter);
    prop_oneof![
        text().prop_map(|server| RendererToBroker::Bootstrap { server }),
        (any::<u32>(), role(), report()).prop_map(|(protocol_version, role, sandbox)| {
            RendererToBroker::Hello {
                protocol_version,
                role,
                sandbox,
            }
        }),
        (any::<u32>(), any::<(u32, u32, u32, u32)>()).prop_map(|(surface, (x, y, w, h))| {
            RendererToBroker::FrameReady {
                surface,
                damage: PxRect {
                    x,
                    y,
                    width: w,
                    height: h,
                },
            }
        }),
        any::<u64>().prop_map(|nonce| RendererToBroker::Pong { nonce }),
        (any::<u64>(), text(), text()).prop_map(|(id, e, p)| submit(id, &e, &p)),
    ]
}

fn window_op() -> impl Strategy<Value = Win> {
    let dim = prop_oneof![4 => 0u32..2000, 1 => any::<u32>()];
    prop_oneof![
        3 => (dim.clone(), dim, prop::sample::select(vec![1.0f32, 2.0, 1.25, 0.5]))
            .prop_map(|(w, h, s)| Win::Resize(w, h, s)),
        2 => prop_oneof![
            (0f32..800.0, 0f32..800.0).prop_map(|(x, y)| InputEvent::PointerMoved { x, y }),
            Just(InputEvent::PointerPressed),
            Just(InputEvent::Text("a".into())),
            any::<bool>().prop_map(InputEvent::Focus),
        ]
        .prop_map(Win::Input),
        2 => Just(Win::Close),
        1 => any::<(i32, i32)>().prop_map(|(x, y)| Win::Moved(x, y)),
        1 => Just(Win::Retry),
        1 => Just(Win::SecondInstance),
    ]
}

fn life_op() -> impl Strategy<Value = Life> {
    prop_oneof![
        2 => prop::sample::select(vec![
            ExitKind::Signal(9),
            ExitKind::Code(0),
            ExitKind::Code(1),
            ExitKind::Signal(11),
        ])
        .prop_map(Life::Exit),
        1 => Just(Life::ExitOld),
        1 => Just(Life::Disconnected),
        1 => Just(Life::Spawned),
        3 => Just(Life::Handshake),
        1 => Just(Life::Backlogged),
        1 => Just(Life::SurfaceFailed),
        1 => Just(Life::SpawnFailed),
        1 => any::<u8>().prop_map(Life::Fault),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let from = prop_oneof![
        18 => Just(From::Own),
        1 => Just(From::WrongPid),
        1 => Just(From::OldGeneration),
    ];
    prop_oneof![
        12 => (role(), prop_oneof![5 => plausible(), 1 => arbitrary()], from)
            .prop_map(|(r, m, f)| Op::Msg(r, m, f)),
        3 => prop_oneof![3 => 0u64..1500, 1 => 0u64..12_000].prop_map(Op::Tick),
        2 => (role(), window_op()).prop_map(|(r, w)| Op::Window(r, w)),
        2 => (role(), life_op()).prop_map(|(r, l)| Op::Life(r, l)),
        1 => any::<bool>().prop_map(Op::Auth),
        1 => (role(), 0u64..6, any::<bool>()).prop_map(|(r, id, ok)| Op::ForgedAuth(r, id, ok)),
    ]
}

fn apply(d: &mut Driver, op: Op) {
    match op {
        Op::Msg(role, msg, from) => {
            let current = d.generation(role);
            let (generation, pid) = match from {
                From::Own => (current, pid(role, current)),
                From::WrongPid => (current, pid(role, current) + 1),
                From::OldGeneration => {
                    let old = current.saturating_sub(1);
                    (old, pid(role, old))
                }
            };
            d.message_as(role, generation, pid, msg);
        }
        Op::Tick(ms) => {
            d.advance(Duration::from_millis(ms));
            d.step(Event::Tick);
        }
        Op::Window(role, Win::SecondInstance) => {
            let _ = role;
            d.step(Event::SecondInstance);
        }
        Op::Window(role, win) => {
            let event = match win {
                Win::Resize(width, height, scale) => WindowEvent::Resized {
                    width,
                    height,
                    scale,
                },
                Win::Input(input) => WindowEvent::Input(input),
                Win::Close => WindowEvent::CloseRequested,
                Win::Moved(x, y) => WindowEvent::Moved(Position { x, y }),
                Win::Retry | Win::SecondInstance => WindowEvent::Retry,
            };
            d.step(Event::Window { role, event });
        }
        Op::Life(role, Life::Handshake) => d.handshake(role),
        Op::Life(role, life) => {
            let generation = d.generation(role);
            let (generation, event) = match life {
                Life::Exit(kind) => (generation, RendererEvent::Exited(kind)),
                Life::ExitOld => (
                    generation.saturating_sub(1),
                    RendererEvent::Exited(ExitKind::Signal(9)),
                ),
                Life::Disconnected => (generation, RendererEvent::Disconnected),
                Life::Spawned => (
                    generation,
                    RendererEvent::Spawned {
                        bootstrap_dir: PathBuf::from(bootstrap_dir(role)),
                    },
                ),
                Life::Backlogged => (generation, RendererEvent::Backlogged),
                Life::SurfaceFailed => (
                    generation,
                    RendererEvent::SurfaceFailed {
                        error: "test".into(),
                    },
                ),
                Life::SpawnFailed => (
                    generation,
                    RendererEvent::SpawnFailed {
                        error: "test".into(),
                    },
                ),
                Life::Fault(b) => {
                    let fault = match b % 4 {
                        0 => Fault::FdsAttached {
                            count: usize::from(b),
                        },
                        1 => Fault::TooLarge {
                            len: codec::MAX_MESSAGE_BYTES + usize::from(b),
                        },
                        2 => Fault::MissingCredentials,
                        _ => Fault::Undecodable(CodecError::Malformed {
                            reason: "truncated",
                        }),
                    };
                    let pid = Some(pid(role, generation));
                    (
                        generation,
                        RendererEvent::Fault {
                            fault,
                            size: usize::from(b),
                            pid,
                        },
                    )
                }
                Life::Handshake => unreachable!("handled above"),
            };
            d.step(Event::Renderer {
                role,
                generation,
                event,
            });
        }
        Op::Auth(ok) => {
            d.finish_auth(ok);
        }
        Op::ForgedAuth(role, id, ok) => {
            let generation = d.generation(role);
            d.auth_pending.retain(|p| *p != (role, generation, id));
            d.step(Event::AuthFinished {
                role,
                generation,
                id: RequestId(id),
                result: if ok {
                    Ok(user())
                } else {
                    Err(LoginError::Rejected)
                },
            });
        }
    }
}

proptest! {
    #![proptest_config(Config::with_cases(256))]

    #[test]
    fn router_invariants_hold_for_any_sequence(
        tight in any::<bool>(),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut d = Driver::new(config(tight));
        d.start_both();
        for op in ops {
            apply(&mut d, op);
        }
    }
}

/// The checker is not vacuous: a scripted session goes through every kind
/// of effect it inspects.
#[test]
fn a_scripted_session_reaches_every_checked_effect() {
    let has = |fx: &[Effect], f: &dyn Fn(&Effect) -> bool| fx.iter().any(f);
    let mut d = Driver::new(config(false));
    d.start_both();
    let fx = d.message(
        Role::Main,
        RendererToBroker::FrameReady {
            surface: 1,
            damage: PxRect {
                x: 390,
                y: 0,
                width: u32::MAX,
                height: 10,
            },
        },
    );
    assert!(has(
        &fx,
        &|e| matches!(e, Effect::Present { damage, .. } if damage.width == 10)
    ));
    let fx = d.message(Role::Login, submit(1, "bruce@wayne.com", "pw"));
    assert!(has(&fx, &|e| matches!(e, Effect::Authenticate { .. })));
    let fx = d.finish_auth(true);
    assert!(has(&fx, &|e| matches!(
        e,
        Effect::Send {
            msg: BrokerToRenderer::Authenticated { .. },
            ..
        }
    )));
    assert_eq!(d.core().user(), Some(&user()));
    let fx = d.message(Role::Main, RendererToBroker::Logout);
    assert!(has(&fx, &|e| matches!(
        e,
        Effect::Send {
            msg: BrokerToRenderer::LoggedOut,
            ..
        }
    )));
    let fx = d.message(Role::Main, RendererToBroker::Pong { nonce: 9 });
    assert!(has(&fx, &|e| matches!(e, Effect::Kill { .. })));
    let fx = d.step(Event::Renderer {
        role: Role::Main,
        generation: d.generation(Role::Main),
        event: RendererEvent::Exited(ExitKind::Signal(9)),
    });
    assert!(has(&fx, &|e| matches!(e, Effect::Spawn { .. })));
    d.handshake(Role::Main);
    assert_eq!(
        d.core().window(Role::Main).unwrap().renderer.stage,
        Stage::Ready
    );
    d.advance(Duration::from_secs(1));
    let fx = d.step(Event::Tick);
    assert!(has(&fx, &|e| matches!(
        e,
        Effect::Send {
            msg: BrokerToRenderer::Ping { .. },
            ..
        }
    )));
    let fx = d.message(Role::Main, RendererToBroker::CloseWindow);
    assert!(has(&fx, &|e| matches!(e, Effect::Quit)));
    assert!(d.steps > 15);
}
