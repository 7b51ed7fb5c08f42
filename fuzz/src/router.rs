//! The `router` target: a hostile script driven into the broker core.
//!
//! [`run`] brings the Main and Login renderers to `Ready` (sandbox disabled,
//! no outside verification), then reads the rest of the input as a script of
//! operations: renderer messages (each a length-prefixed chunk decoded with
//! the product's codec), timer ticks at advancing synthetic times, window
//! events, renderer lifecycle events and authenticator results. After every
//! event [`Driver`] checks the invariants listed on [`Driver::step`].
//!
//! Script format, one operation after another (a missing byte reads as 0):
//!
//! | first byte `op` | operation |
//! | --- | --- |
//! | `op & 7 < 4` | message: length (1 byte, or 2 if the first has bit 7: `(b & 0x7f) << 8 \| next`), then that many bytes. Role: bit 3 (0 Main, 1 Login). Undecodable bytes are skipped, or fed as `Fault::Undecodable` when bit 4 is set. `op >> 5`: 6 = from a wrong pid, 7 = to the previous renderer generation, else the current renderer's pid. |
//! | `op & 7 == 4` | tick: next byte × 50 ms of synthetic time, then `Event::Tick` |
//! | `op & 7 == 5` | window event, see [`Script::window`] |
//! | `op & 7 == 6` | renderer lifecycle event, see [`Script::lifecycle`] |
//! | `op & 7 == 7` | authenticator result, see [`Script::auth`] |
//!
//! The first byte of the input picks the configuration: bit 0 set gives
//! tight rate limits (16-message burst, 4-frame burst) so the fuzzer can
//! reach them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use workshop_broker::audit::{AuditEvent, Direction, Verdict};
use workshop_broker::core::{
    Broker, CoreConfig, Effect, Event, ExitKind, Fault, Rate, RendererEvent, Stage, WindowEvent,
};
use workshop_common::capability::broker_may_send;
use workshop_common::codec;
use workshop_common::geometry::Position;
use workshop_common::input::{InputEvent, Key, Modifiers};
use workshop_common::protocol::{RendererMessageKind, Reply, RequestId};
use workshop_common::sandbox_report::SandboxMode;
use workshop_common::user::{check_email, check_password, LoginError, User};
use workshop_common::{BrokerToRenderer, RendererToBroker, Role};

use crate::{bugwatch, samples};

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

/// The configuration selected by the first input byte.
pub fn config(selector: u8) -> CoreConfig {
    let mut config = CoreConfig {
        sandbox: SandboxMode::Disabled,
        verify_from_outside: false,
        ..CoreConfig::default()
    };
    if selector & 1 == 1 {
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
                bootstrap_dir: PathBuf::from(samples::bootstrap_dir(role)),
            },
        });
        self.message(
            role,
            RendererToBroker::Bootstrap {
                server: samples::server_path(role),
            },
        );
        self.message(role, samples::hello(role));
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
                            path.starts_with(samples::bootstrap_dir(*role)),
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

/// Reads the script; a missing byte reads as 0.
struct Script<'a> {
    data: &'a [u8],
}

impl<'a> Script<'a> {
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    fn len(&mut self) -> usize {
        let b = self.u8();
        if b & 0x80 == 0 {
            usize::from(b)
        } else {
            (usize::from(b & 0x7f) << 8) | usize::from(self.u8())
        }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (chunk, rest) = self.data.split_at(n);
        self.data = rest;
        chunk
    }

    fn role(b: u8) -> Role {
        if b & 1 == 0 {
            Role::Main
        } else {
            Role::Login
        }
    }

    /// One renderer message (see the module docs).
    fn message(&mut self, d: &mut Driver, op: u8) {
        let role = Script::role(op >> 3);
        let len = self.len();
        let chunk = self.take(len);
        let current = d.generation(role);
        let (generation, pid) = match op >> 5 {
            6 => (current, pid(role, current) + 1),
            7 => {
                let old = current.saturating_sub(1);
                (old, pid(role, old))
            }
            _ => (current, pid(role, current)),
        };
        let event = match codec::decode::<RendererToBroker>(chunk) {
            Ok(msg) => RendererEvent::Message {
                msg,
                size: chunk.len(),
                pid,
            },
            Err(e) if op & 0x10 != 0 => RendererEvent::Fault {
                fault: Fault::Undecodable(e),
                size: chunk.len(),
                pid: Some(pid),
            },
            Err(_) => return,
        };
        d.step(Event::Renderer {
            role,
            generation,
            event,
        });
    }

    /// `b = next byte`: role = bit 0; `(b >> 1) % 8` picks Resized (width
    /// and height u16, 0xFFFF meaning u32::MAX, then a scale byte), Resized
    /// back to 400 × 400, pointer move, a key or text, CloseRequested,
    /// Moved, Retry, or `Event::SecondInstance`.
    fn window(&mut self, d: &mut Driver) {
        let b = self.u8();
        let role = Script::role(b);
        let dim = |v: u16| {
            if v == u16::MAX {
                u32::MAX
            } else {
                u32::from(v)
            }
        };
        let event = match (b >> 1) % 8 {
            0 => {
                let width = dim(self.u16());
                let height = dim(self.u16());
                let scale = [1.0, 2.0, 1.25, 0.5][usize::from(self.u8() % 4)];
                WindowEvent::Resized {
                    width,
                    height,
                    scale,
                }
            }
            1 => WindowEvent::Resized {
                width: 400,
                height: 400,
                scale: 1.0,
            },
            2 => WindowEvent::Input(InputEvent::PointerMoved {
                x: f32::from(self.u8()) * 2.0,
                y: f32::from(self.u8()) * 2.0,
            }),
            3 => WindowEvent::Input(match self.u8() % 4 {
                0 => InputEvent::PointerPressed,
                1 => InputEvent::Text("a".into()),
                2 => InputEvent::Key {
                    key: Key::Enter,
                    modifiers: Modifiers::default(),
                },
                _ => InputEvent::Focus(true),
            }),
            4 => WindowEvent::CloseRequested,
            5 => WindowEvent::Moved(Position {
                x: i32::from(self.u16() as i16),
                y: i32::from(self.u16() as i16),
            }),
            6 => WindowEvent::Retry,
            _ => {
                d.step(Event::SecondInstance);
                return;
            }
        };
        d.step(Event::Window { role, event });
    }

    /// `b = next byte`: role = bit 0; `(b >> 1) % 10` picks Exited by
    /// SIGKILL, exit 0, SIGSEGV, Disconnected, Spawned, a whole handshake
    /// (Spawned, Bootstrap, Hello), Backlogged, SurfaceFailed, SpawnFailed,
    /// or Exited of the previous generation.
    fn lifecycle(&mut self, d: &mut Driver) {
        let b = self.u8();
        let role = Script::role(b);
        let generation = d.generation(role);
        let event = match (b >> 1) % 10 {
            0 => RendererEvent::Exited(ExitKind::Signal(9)),
            1 => RendererEvent::Exited(ExitKind::Code(0)),
            2 => RendererEvent::Exited(ExitKind::Signal(11)),
            3 => RendererEvent::Disconnected,
            4 => RendererEvent::Spawned {
                bootstrap_dir: PathBuf::from(samples::bootstrap_dir(role)),
            },
            5 => {
                d.handshake(role);
                return;
            }
            6 => RendererEvent::Backlogged,
            7 => RendererEvent::SurfaceFailed {
                error: "fuzz".into(),
            },
            8 => RendererEvent::SpawnFailed {
                error: "fuzz".into(),
            },
            _ => {
                d.step(Event::Renderer {
                    role,
                    generation: generation.saturating_sub(1),
                    event: RendererEvent::Exited(ExitKind::Signal(9)),
                });
                return;
            }
        };
        d.step(Event::Renderer {
            role,
            generation,
            event,
        });
    }

    /// `b = next byte`: bit 0 = Ok (the harness's user) or Err(Rejected).
    /// Bit 1 clear answers the oldest pending `Authenticate`; set, it forges
    /// a result for role bit 2, the current generation, id = next byte.
    fn auth(&mut self, d: &mut Driver) {
        let b = self.u8();
        let ok = b & 1 == 1;
        if b & 2 == 0 {
            d.finish_auth(ok);
            return;
        }
        let role = Script::role(b >> 2);
        let generation = d.generation(role);
        let id = u64::from(self.u8());
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

/// Maximum events per input, so a long input cannot stall the fuzzer.
pub const MAX_STEPS: usize = 4096;

/// Runs one fuzz input (see the module docs); panics on a violation.
pub fn run(data: &[u8]) {
    let mut script = Script { data };
    let mut d = Driver::new(config(script.u8()));
    d.start_both();
    while !script.data.is_empty() && d.steps < MAX_STEPS {
        let op = script.u8();
        match op & 7 {
            0..=3 => script.message(&mut d, op),
            4 => {
                d.advance(Duration::from_millis(50) * u32::from(script.u8()));
                d.step(Event::Tick);
            }
            5 => script.window(&mut d),
            6 => script.lifecycle(&mut d),
            _ => script.auth(&mut d),
        }
    }
}

/// Builds router scripts (for the seed corpus and tests).
#[derive(Clone, Debug, Default)]
pub struct ScriptBuilder(Vec<u8>);

impl ScriptBuilder {
    /// A script for configuration `selector` (see [`config`]).
    pub fn new(selector: u8) -> ScriptBuilder {
        ScriptBuilder(vec![selector])
    }

    /// A message from `role`'s current renderer.
    pub fn msg(self, role: Role, msg: &RendererToBroker) -> ScriptBuilder {
        let bytes = codec::encode(msg).unwrap_or_default();
        self.raw(role, 0, &bytes)
    }

    /// A raw chunk with `flags` in bits 4..8 of the op byte (bit 4: feed
    /// undecodable chunks as faults; `op >> 5` 6 wrong pid, 7 old generation).
    pub fn raw(mut self, role: Role, flags: u8, bytes: &[u8]) -> ScriptBuilder {
        self.0
            .push(u8::from(role == Role::Login) << 3 | (flags & 0xf0));
        let len = bytes.len().min(0x7fff);
        if len < 0x80 {
            self.0.push(len as u8);
        } else {
            self.0.push(0x80 | (len >> 8) as u8);
            self.0.push((len & 0xff) as u8);
        }
        self.0.extend_from_slice(&bytes[..len]);
        self
    }

    /// Advances time by `units` × 50 ms, then ticks.
    pub fn tick(mut self, units: u8) -> ScriptBuilder {
        self.0.extend([4, units]);
        self
    }

    /// A window event (see `Script::window`), with its extra bytes.
    pub fn window(mut self, role: Role, kind: u8, extra: &[u8]) -> ScriptBuilder {
        self.0
            .extend([5, kind << 1 | u8::from(role == Role::Login)]);
        self.0.extend_from_slice(extra);
        self
    }

    /// A lifecycle event (see `Script::lifecycle`).
    pub fn lifecycle(mut self, role: Role, kind: u8) -> ScriptBuilder {
        self.0
            .extend([6, kind << 1 | u8::from(role == Role::Login)]);
        self
    }

    /// Answers the oldest pending sign-in.
    pub fn auth(mut self, ok: bool) -> ScriptBuilder {
        self.0.extend([7, u8::from(ok)]);
        self
    }

    /// A forged authenticator result for `role`, request `id`.
    pub fn forged_auth(mut self, role: Role, id: u8, ok: bool) -> ScriptBuilder {
        self.0
            .extend([7, u8::from(ok) | 2 | u8::from(role == Role::Login) << 2, id]);
        self
    }

    /// The script's bytes.
    pub fn build(self) -> Vec<u8> {
        self.0
    }
}
