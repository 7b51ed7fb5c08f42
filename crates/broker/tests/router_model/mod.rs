//! The router's model: a [`Driver`] that feeds events into a real
//! [`Broker`] and checks the router's invariants after every one (listed on
//! [`Driver::step`]), with the small helpers it needs.
//!
//! There is one copy, used by two harnesses:
//!
//! - the stable property test `crates/broker/tests/router_proptest.rs`
//!   (`mod router_model;`), which feeds it operations from proptest
//!   strategies;
//! - the cargo-fuzz `router` target (`fuzz/src/router.rs`), which feeds it a
//!   script read from raw bytes. The fuzz crate includes this very file with
//!   `#[path = "../../crates/broker/tests/router_model/mod.rs"] pub mod
//!   router_model;` in `fuzz/src/lib.rs`.
//!
//! It lives here rather than in `fuzz/` so the root workspace's build and
//! `cargo test` never reach outside the workspace; the fuzz crate already
//! depends on `crates/broker` by path. Rules for editing it, since it is
//! compiled in both crates:
//!
//! - no `crate::` paths, and no dependencies other than `workshop_broker`,
//!   `workshop_common` and `tracing` (the two crates share nothing else);
//! - in the property test the module is private, so an item only the fuzz
//!   harness uses shows up there as dead code (clippy `-D warnings` fails);
//! - script parsing belongs in `fuzz/src/router.rs`, strategies in
//!   `router_proptest.rs`; this file holds only what both drive.

pub mod bugwatch;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use workshop_broker::audit::{AuditEvent, Direction, Verdict};
use workshop_broker::core::{
    Broker, CoreConfig, Effect, Event, Rate, RendererEvent, Stage, WindowEvent,
};
use workshop_common::capability::broker_may_send;
use workshop_common::codec;
use workshop_common::protocol::{RendererMessageKind, Reply, Request, RequestId};
use workshop_common::sandbox_report::{SandboxMode, SandboxReport};
use workshop_common::user::{check_email, check_password, LoginError, User};
use workshop_common::{BrokerToRenderer, RendererToBroker, Role, Secret, PROTOCOL_VERSION};

/// The bootstrap directory the harness gives each role's renderer.
pub fn bootstrap_dir(role: Role) -> &'static str {
    match role {
        Role::Main => "/tmp/wf/m",
        Role::Login => "/tmp/wf/l",
    }
}

/// A bootstrap server path the router accepts for `role`.
pub fn server_path(role: Role) -> String {
    format!("{}/.tmpA/socket", bootstrap_dir(role))
}

/// A `Hello` the router accepts for `role` (sandbox disabled).
pub fn hello(role: Role) -> RendererToBroker {
    RendererToBroker::Hello {
        protocol_version: PROTOCOL_VERSION,
        role,
        sandbox: SandboxReport::disabled(),
    }
}

/// A sign-in invoke.
pub fn submit(id: u64, email: &str, password: &str) -> RendererToBroker {
    RendererToBroker::Invoke {
        id: RequestId(id),
        request: Request::SubmitLogin {
            email: email.to_owned(),
            password: Secret::new(password.to_owned()),
        },
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

/// The configuration: sandbox disabled, no outside verification; `tight`
/// gives small rate-limit bursts (16 messages, 4 frames) so both harnesses
/// reach the limits.
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
            Event::Start | Event::SecondInstance | Event::Shutdown(_) => What::Other,
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

    /// An authenticator result for request `id` of `role`'s current
    /// renderer, whether or not the core asked for one. A matching pending
    /// `Authenticate` counts as answered (it is not answered again).
    pub fn forged_auth(&mut self, role: Role, id: u64, ok: bool) -> Vec<Effect> {
        let generation = self.generation(role);
        self.auth_pending.retain(|p| *p != (role, generation, id));
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
            Stage::Ready => Some(r.proto.deadline(config)),
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
                // broker has killed (or is closing) is dropped...
                self.in_flight.contains(&(*role, *generation, *id))
                    && pre[idx(*role)].as_ref().is_some_and(|s| {
                        s.generation == *generation && !s.closing && s.stage == Stage::Ready
                    })
            }
            _ => false,
        };
        // ...except a successful one whose renderer died by itself (its
        // window not closing): the broker applies it, with no reply.
        let auth_orphaned = match what {
            What::Auth {
                role,
                generation,
                id,
                ok: Some(_),
            } if !auth_legit => {
                self.in_flight.contains(&(*role, *generation, *id))
                    && pre[idx(*role)].as_ref().is_some_and(|s| {
                        !s.closing
                            && ((s.generation == *generation && s.stage == Stage::Disconnected)
                                || (s.generation != *generation
                                    && self.core.gone().iter().any(|g| {
                                        g.role == *role
                                            && g.generation == *generation
                                            && g.reason.died_on_its_own()
                                    })))
                    })
            }
            _ => false,
        };
        if auth_orphaned {
            if let What::Auth {
                role,
                generation,
                id,
                ..
            } = what
            {
                self.in_flight.remove(&(*role, *generation, *id));
            }
        }
        // A live renderer's result gets exactly one reply; an orphaned one
        // none (its renderer is gone), though it is applied.
        let auth_live = auth_legit;
        let auth_legit = auth_legit || auth_orphaned;
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
                Effect::WriteClipboard { .. } => {
                    assert!(
                        accepted(Role::Main, RendererMessageKind::ClipboardWrite)
                            || accepted(Role::Login, RendererMessageKind::ClipboardWrite),
                        "clipboard written without an accepted ClipboardWrite: {}",
                        ctx()
                    );
                }
                Effect::SetIme { role, area } => {
                    assert!(
                        accepted(*role, RendererMessageKind::SetImeArea),
                        "input method set without an accepted SetImeArea: {}",
                        ctx()
                    );
                    if let (Some(a), Some(w)) = (area, self.core.window(*role)) {
                        assert!(
                            a.fits_in(w.size.0, w.size.1),
                            "input method area {a:?} outside the window: {}",
                            ctx()
                        );
                    }
                }
                Effect::AccessTree { role, tree } => {
                    // A tree only ever follows that window's own accepted
                    // update (an empty one: its renderer was replaced), and
                    // never carries a password.
                    assert!(
                        tree.is_empty() || accepted(*role, RendererMessageKind::AccessUpdate),
                        "accessibility tree without an accepted AccessUpdate: {}",
                        ctx()
                    );
                    assert!(
                        tree.nodes().all(|n| n.role
                            != workshop_common::access::AccessRole::PasswordInput
                            || n.value.is_none()),
                        "password value in a tree: {}",
                        ctx()
                    );
                }
                Effect::ReadClipboard { .. } => {
                    assert!(
                        !matches!(what, What::Message { .. }),
                        "a renderer message read the clipboard: {}",
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
        if auth_live {
            assert_eq!(replies, 1, "one reply per result: {}", ctx());
        } else if auth_orphaned {
            assert_eq!(replies, 0, "a reply to a renderer that is gone: {}", ctx());
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
                    || (accepted(Role::Login, RendererMessageKind::CloseWindow)
                        && role == Role::Login
                        && mid_life)
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
