//! Unit tests of the state machine, without processes: every decision the
//! core makes, driven by synthetic events and read off its effects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use workshop_common::geometry::PxRect;
use workshop_common::input::CursorIcon;
use workshop_common::protocol::{Reply, Request, RequestId};
use workshop_common::sandbox_report::{SandboxMode, SandboxReport};
use workshop_common::user::{LoginError, User};
use workshop_common::{BrokerToRenderer, RendererToBroker, Role, Secret, PROTOCOL_VERSION};

use super::*;

struct T {
    core: Broker,
    now: Instant,
    pid: u32,
}

fn user() -> User {
    User {
        id: 123456,
        name: "Bruce Wayne".into(),
        email: "bruce@wayne.com".into(),
    }
}

impl T {
    fn new() -> T {
        T::with(CoreConfig {
            sandbox: SandboxMode::Disabled,
            verify_from_outside: false,
            ..CoreConfig::default()
        })
    }

    fn with(config: CoreConfig) -> T {
        T {
            core: Broker::new(config),
            now: Instant::now(),
            pid: 1000,
        }
    }

    fn ev(&mut self, e: Event) -> Vec<Effect> {
        self.core.handle(self.now, e)
    }

    fn gen(&self, role: Role) -> u32 {
        self.core.window(role).unwrap().renderer.generation
    }

    fn renderer(&mut self, role: Role, event: RendererEvent) -> Vec<Effect> {
        let generation = self.gen(role);
        self.ev(Event::Renderer {
            role,
            generation,
            event,
        })
    }

    fn msg(&mut self, role: Role, msg: RendererToBroker) -> Vec<Effect> {
        let pid = self.pid + role as u32;
        self.renderer(role, RendererEvent::Message { msg, size: 10, pid })
    }

    fn dir(role: Role) -> PathBuf {
        PathBuf::from(format!("/tmp/workshop-test-{}", role.as_str()))
    }

    /// Brings `role`'s renderer to Ready, returning the handshake effects.
    fn ready(&mut self, role: Role) -> Vec<Effect> {
        self.renderer(
            role,
            RendererEvent::Spawned {
                bootstrap_dir: T::dir(role),
            },
        );
        let server = format!("{}/.tmpAbCdEf/socket", T::dir(role).display());
        let fx = self.msg(role, RendererToBroker::Bootstrap { server });
        assert!(
            fx.iter().any(|e| matches!(
                e,
                Effect::SendSurface {
                    connect: Some(_),
                    ..
                }
            )),
            "{fx:?}"
        );
        let fx = self.msg(
            role,
            RendererToBroker::Hello {
                protocol_version: PROTOCOL_VERSION,
                role,
                sandbox: SandboxReport::disabled(),
            },
        );
        assert_eq!(self.core.window(role).unwrap().renderer.stage, Stage::Ready);
        fx
    }

    fn start(&mut self) {
        let fx = self.ev(Event::Start);
        assert!(matches!(fx[0], Effect::OpenWindow { role: Role::Main }));
        assert!(matches!(
            fx[1],
            Effect::Spawn {
                role: Role::Main,
                ..
            }
        ));
        self.ready(Role::Main);
    }

    fn killed(fx: &[Effect], role: Role) -> bool {
        fx.iter()
            .any(|e| matches!(e, Effect::Kill { role: r, .. } if *r == role))
    }

    fn sends(fx: &[Effect], role: Role) -> Vec<&BrokerToRenderer> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Send { role: r, msg, .. } if *r == role => Some(msg),
                _ => None,
            })
            .collect()
    }

    fn open_login(&mut self) {
        let fx = self.msg(Role::Main, RendererToBroker::OpenLoginWindow);
        assert!(fx.iter().any(|e| matches!(
            e,
            Effect::Spawn {
                role: Role::Login,
                ..
            }
        )));
        self.ready(Role::Login);
    }

    fn submit(&mut self, id: u64, email: &str) -> Vec<Effect> {
        self.msg(
            Role::Login,
            RendererToBroker::Invoke {
                id: RequestId(id),
                request: Request::SubmitLogin {
                    email: email.into(),
                    password: Secret::new("pw".into()),
                },
            },
        )
    }
}

#[test]
fn handshake_sends_welcome_surface_and_initial_state() {
    let mut t = T::new();
    t.ev(Event::Start);
    let fx = t.ready(Role::Main);
    let sent = T::sends(&fx, Role::Main);
    assert!(matches!(sent[0], BrokerToRenderer::Welcome));
    assert!(matches!(
        sent[1],
        BrokerToRenderer::Surface { generation: 1, .. }
    ));
    assert!(matches!(
        sent[2],
        BrokerToRenderer::InitialState { user: None }
    ));
    assert_eq!(t.core.window(Role::Main).unwrap().renderer.pid, Some(1000));
}

#[test]
fn bootstrap_outside_the_private_directory_is_a_bad_message() {
    let mut t = T::new();
    t.ev(Event::Start);
    t.renderer(
        Role::Main,
        RendererEvent::Spawned {
            bootstrap_dir: T::dir(Role::Main),
        },
    );
    let fx = t.msg(
        Role::Main,
        RendererToBroker::Bootstrap {
            server: "/tmp/.X11-unix/X0".into(),
        },
    );
    assert!(T::killed(&fx, Role::Main));
    assert!(!fx.iter().any(|e| matches!(e, Effect::SendSurface { .. })));
    assert_eq!(t.core.audit().refused(), 1);
}

#[test]
fn a_message_the_role_may_not_send_kills_only_that_renderer() {
    let mut t = T::new();
    t.start();
    t.open_login();
    let fx = t.msg(Role::Login, RendererToBroker::OpenLoginWindow);
    assert!(T::killed(&fx, Role::Login));
    assert!(!T::killed(&fx, Role::Main));
    assert_eq!(
        t.core.window(Role::Main).unwrap().renderer.stage,
        Stage::Ready
    );
    let last = t.core.audit().recent().last().unwrap();
    assert_eq!(last.kind, "OpenLoginWindow");
    assert!(matches!(last.verdict, crate::audit::Verdict::Refused(_)));
}

#[test]
fn handshake_messages_out_of_order_are_bad() {
    let mut t = T::new();
    t.start();
    let fx = t.msg(
        Role::Main,
        RendererToBroker::Hello {
            protocol_version: PROTOCOL_VERSION,
            role: Role::Main,
            sandbox: SandboxReport::disabled(),
        },
    );
    assert!(T::killed(&fx, Role::Main));

    let mut t = T::new();
    t.ev(Event::Start);
    t.renderer(
        Role::Main,
        RendererEvent::Spawned {
            bootstrap_dir: T::dir(Role::Main),
        },
    );
    let fx = t.msg(Role::Main, RendererToBroker::OpenLoginWindow);
    assert!(
        T::killed(&fx, Role::Main),
        "app message before the handshake"
    );
}

#[test]
fn wrong_version_and_wrong_role_are_refused() {
    for (version, role) in [
        (PROTOCOL_VERSION + 1, Role::Main),
        (PROTOCOL_VERSION, Role::Login),
    ] {
        let mut t = T::new();
        t.ev(Event::Start);
        t.renderer(
            Role::Main,
            RendererEvent::Spawned {
                bootstrap_dir: T::dir(Role::Main),
            },
        );
        t.msg(
            Role::Main,
            RendererToBroker::Bootstrap {
                server: format!("{}/.tmpX/socket", T::dir(Role::Main).display()),
            },
        );
        let fx = t.msg(
            Role::Main,
            RendererToBroker::Hello {
                protocol_version: version,
                role,
                sandbox: SandboxReport::disabled(),
            },
        );
        assert!(T::killed(&fx, Role::Main));
        assert!(T::sends(&fx, Role::Main).is_empty());
    }
}

#[test]
fn a_less_confined_renderer_is_refused() {
    let mut t = T::with(CoreConfig {
        sandbox: SandboxMode::Strict,
        verify_from_outside: false,
        ..CoreConfig::default()
    });
    t.ev(Event::Start);
    t.renderer(
        Role::Main,
        RendererEvent::Spawned {
            bootstrap_dir: T::dir(Role::Main),
        },
    );
    t.msg(
        Role::Main,
        RendererToBroker::Bootstrap {
            server: format!("{}/.tmpX/socket", T::dir(Role::Main).display()),
        },
    );
    let fx = t.msg(
        Role::Main,
        RendererToBroker::Hello {
            protocol_version: PROTOCOL_VERSION,
            role: Role::Main,
            // A report for another mode: everything disabled.
            sandbox: SandboxReport::disabled(),
        },
    );
    assert!(T::killed(&fx, Role::Main));
    assert_eq!(
        t.core.window(Role::Main).unwrap().renderer.stage,
        Stage::Dying(GoneReason::Refused)
    );
}

#[test]
fn a_datagram_from_another_pid_is_bad() {
    let mut t = T::new();
    t.start();
    let fx = t.renderer(
        Role::Main,
        RendererEvent::Message {
            msg: RendererToBroker::OpenLoginWindow,
            size: 4,
            pid: 4242,
        },
    );
    assert!(T::killed(&fx, Role::Main));
}

#[test]
fn open_login_window_twice_raises_the_first() {
    let mut t = T::new();
    t.start();
    t.open_login();
    let fx = t.msg(Role::Main, RendererToBroker::OpenLoginWindow);
    assert!(
        matches!(fx.as_slice(), [Effect::RaiseWindow { role: Role::Login }]),
        "{fx:?}"
    );
}

#[test]
fn login_success_closes_login_and_pushes_the_user_to_main() {
    let mut t = T::new();
    t.start();
    t.open_login();
    let fx = t.submit(1, "bruce@wayne.com");
    let Some(Effect::Authenticate {
        id,
        email,
        password,
        ..
    }) = fx.iter().find(|e| matches!(e, Effect::Authenticate { .. }))
    else {
        panic!("{fx:?}")
    };
    assert_eq!(
        (id.0, email.as_str(), password.expose()),
        (1, "bruce@wayne.com", "pw")
    );
    let generation = t.gen(Role::Login);
    let fx = t.ev(Event::AuthFinished {
        role: Role::Login,
        generation,
        id: RequestId(1),
        result: Ok(user()),
    });
    assert!(matches!(
        T::sends(&fx, Role::Login)[..],
        [
            BrokerToRenderer::Reply {
                reply: Reply::SubmitLogin(Ok(_)),
                ..
            },
            BrokerToRenderer::Shutdown
        ]
    ));
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::CloseWindow { role: Role::Login })));
    assert!(matches!(
        T::sends(&fx, Role::Main)[..],
        [BrokerToRenderer::Authenticated { .. }]
    ));
    assert_eq!(t.core.user(), Some(&user()));

    let fx = t.msg(Role::Main, RendererToBroker::Logout);
    assert!(matches!(
        T::sends(&fx, Role::Main)[..],
        [BrokerToRenderer::LoggedOut]
    ));
    assert_eq!(t.core.user(), None);
}

#[test]
fn a_malformed_email_gets_a_typed_error_without_authenticating() {
    let mut t = T::new();
    t.start();
    t.open_login();
    let fx = t.submit(1, "not-an-email");
    assert!(!fx.iter().any(|e| matches!(e, Effect::Authenticate { .. })));
    assert!(matches!(
        T::sends(&fx, Role::Login)[..],
        [BrokerToRenderer::Reply {
            reply: Reply::SubmitLogin(Err(LoginError::InvalidEmail)),
            ..
        }]
    ));
    // The id is finished: the next one may go.
    let fx = t.submit(2, "bruce@wayne.com");
    assert!(fx.iter().any(|e| matches!(e, Effect::Authenticate { .. })));
}

#[test]
fn invoke_ids_must_increase_and_respect_the_in_flight_limit() {
    let mut t = T::new();
    t.start();
    t.open_login();
    t.submit(5, "a@b");
    let fx = t.submit(5, "a@b");
    assert!(T::killed(&fx, Role::Login), "reused id");

    let mut t = T::new();
    t.start();
    t.open_login();
    t.submit(1, "a@b");
    let fx = t.submit(2, "a@b");
    assert!(T::killed(&fx, Role::Login), "second in flight");

    let mut t = T::new();
    t.start();
    t.open_login();
    let fx = t.submit(0, "a@b");
    assert!(T::killed(&fx, Role::Login), "id 0");
}

#[test]
fn an_over_long_password_is_a_bad_message() {
    let mut t = T::new();
    t.start();
    t.open_login();
    let fx = t.msg(
        Role::Login,
        RendererToBroker::Invoke {
            id: RequestId(1),
            request: Request::SubmitLogin {
                email: "a@b".into(),
                password: Secret::new("p".repeat(1025)),
            },
        },
    );
    assert!(T::killed(&fx, Role::Login));
}

#[test]
fn auth_result_for_a_closed_login_window_is_dropped() {
    let mut t = T::new();
    t.start();
    t.open_login();
    t.submit(1, "a@b");
    let generation = t.gen(Role::Login);
    t.ev(Event::Window {
        role: Role::Login,
        event: WindowEvent::CloseRequested,
    });
    t.renderer(Role::Login, RendererEvent::Exited(ExitKind::Code(0)));
    assert!(t.core.window(Role::Login).is_none());
    let fx = t.ev(Event::AuthFinished {
        role: Role::Login,
        generation,
        id: RequestId(1),
        result: Ok(user()),
    });
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(t.core.user(), None);
}

#[test]
fn frames_are_clamped_presented_and_acknowledged() {
    let mut t = T::new();
    t.start();
    t.ev(Event::Window {
        role: Role::Main,
        event: WindowEvent::Resized {
            width: 400,
            height: 400,
            scale: 1.0,
        },
    });
    let fx = t.msg(
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
    assert!(
        matches!(
            fx[0],
            Effect::Present {
                damage: PxRect {
                    x: 390,
                    y: 0,
                    width: 10,
                    height: 10
                },
                ..
            }
        ),
        "{fx:?}"
    );
    assert!(matches!(
        T::sends(&fx, Role::Main)[..],
        [BrokerToRenderer::FrameAck]
    ));
    assert_eq!(
        t.core.audit().recent().last().unwrap().verdict,
        crate::audit::Verdict::Clamped
    );

    let fx = t.msg(
        Role::Main,
        RendererToBroker::FrameReady {
            surface: 9,
            damage: PxRect::full(1, 1),
        },
    );
    assert!(T::killed(&fx, Role::Main), "unknown surface");
}

#[test]
fn a_resize_waits_for_the_previous_surface_to_be_adopted() {
    let mut t = T::new();
    t.start();
    let fx = t.ev(Event::Window {
        role: Role::Main,
        event: WindowEvent::Resized {
            width: 800,
            height: 800,
            scale: 2.0,
        },
    });
    assert!(fx.is_empty(), "surface 1 not painted yet: {fx:?}");
    let fx = t.msg(
        Role::Main,
        RendererToBroker::FrameReady {
            surface: 1,
            damage: PxRect::full(400, 400),
        },
    );
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::SendSurface {
            spec: SurfaceSpec {
                generation: 2,
                width: 800,
                ..
            },
            connect: None,
            ..
        }
    )));
    // A late frame into surface 1 is stale: dropped, not acknowledged.
    let fx = t.msg(
        Role::Main,
        RendererToBroker::FrameReady {
            surface: 1,
            damage: PxRect::full(400, 400),
        },
    );
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn ping_marks_unresponsive_then_replaces() {
    let mut t = T::new();
    t.start();
    let config = t.core.config().clone();
    t.now += config.ping_interval;
    let fx = t.ev(Event::Tick);
    let [BrokerToRenderer::Ping { nonce }] = T::sends(&fx, Role::Main)[..] else {
        panic!("{fx:?}")
    };
    let nonce = *nonce;
    t.now += config.unresponsive_after;
    let fx = t.ev(Event::Tick);
    assert!(fx.iter().any(
        |e| matches!(e, Effect::SetTitle { title, .. } if title == "Main Window (Not Responding)")
    ));
    let fx = t.msg(Role::Main, RendererToBroker::Pong { nonce });
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::SetTitle { title, .. } if title == "Main Window")));

    t.now += config.ping_interval;
    t.ev(Event::Tick);
    t.now += config.replace_after;
    let fx = t.ev(Event::Tick);
    assert!(T::killed(&fx, Role::Main));
    assert_eq!(
        t.core.window(Role::Main).unwrap().renderer.stage,
        Stage::Dying(GoneReason::Unresponsive)
    );
}

#[test]
fn a_pong_that_answers_nothing_is_bad() {
    let mut t = T::new();
    t.start();
    let fx = t.msg(Role::Main, RendererToBroker::Pong { nonce: 77 });
    assert!(T::killed(&fx, Role::Main));
}

#[test]
fn a_flood_is_cut_off_by_the_rate_limit() {
    let mut t = T::new();
    t.start();
    let mut killed = false;
    for _ in 0..10_000 {
        let fx = t.msg(
            Role::Main,
            RendererToBroker::SetCursor {
                cursor: CursorIcon::Pointer,
            },
        );
        if T::killed(&fx, Role::Main) {
            killed = true;
            break;
        }
    }
    assert!(killed);
}

#[test]
fn crashes_respawn_until_the_limit_then_show_the_error_page() {
    let mut t = T::new();
    t.start();
    t.ev(Event::Window {
        role: Role::Main,
        event: WindowEvent::Resized {
            width: 400,
            height: 400,
            scale: 1.0,
        },
    });
    for round in 0..2 {
        let fx = t.renderer(
            Role::Main,
            RendererEvent::Exited(ExitKind::Signal(libc::SIGSEGV)),
        );
        assert!(
            fx.iter().any(|e| matches!(
                e,
                Effect::Spawn {
                    role: Role::Main,
                    ..
                }
            )),
            "round {round}: {fx:?}"
        );
        let fx = t.ready(Role::Main);
        // The state the broker holds is re-sent.
        assert!(T::sends(&fx, Role::Main)
            .iter()
            .any(|m| matches!(m, BrokerToRenderer::InitialState { .. })));
    }
    let fx = t.renderer(
        Role::Main,
        RendererEvent::Exited(ExitKind::Signal(libc::SIGSEGV)),
    );
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::ShowCrashed { role: Role::Main })));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Spawn { .. })));
    assert_eq!(t.core.gone().len(), 3);
    assert_eq!(t.core.gone()[0].reason, GoneReason::Crashed(libc::SIGSEGV));

    let fx = t.ev(Event::Window {
        role: Role::Main,
        event: WindowEvent::Retry,
    });
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Spawn {
            role: Role::Main,
            ..
        }
    )));
}

#[test]
fn the_signed_in_user_survives_a_main_renderer_crash() {
    let mut t = T::new();
    t.start();
    t.open_login();
    t.submit(1, "bruce@wayne.com");
    let generation = t.gen(Role::Login);
    t.ev(Event::AuthFinished {
        role: Role::Login,
        generation,
        id: RequestId(1),
        result: Ok(user()),
    });
    t.renderer(
        Role::Main,
        RendererEvent::Exited(ExitKind::Signal(libc::SIGKILL)),
    );
    let fx = t.ready(Role::Main);
    assert!(T::sends(&fx, Role::Main).iter().any(
        |m| matches!(m, BrokerToRenderer::InitialState { user: Some(u) } if u.name == "Bruce Wayne")
    ));
}

#[test]
fn escape_in_the_login_window_closes_only_it() {
    let mut t = T::new();
    t.start();
    t.open_login();
    let fx = t.msg(Role::Login, RendererToBroker::CloseWindow);
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::CloseWindow { role: Role::Login })));
    assert!(!fx
        .iter()
        .any(|e| matches!(e, Effect::CloseWindow { role: Role::Main } | Effect::Quit)));
    assert!(!t.core.is_quitting());
}

#[test]
fn close_quits_everything() {
    let mut t = T::new();
    t.start();
    t.open_login();
    let fx = t.msg(Role::Main, RendererToBroker::CloseWindow);
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::CloseWindow { role: Role::Main })));
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::CloseWindow { role: Role::Login })));
    assert!(matches!(fx.last(), Some(Effect::Quit)));
    assert!(T::sends(&fx, Role::Login)
        .iter()
        .any(|m| matches!(m, BrokerToRenderer::Shutdown)));
    assert!(t.core.is_quitting());
    // Renderers exiting during the quit are not respawned.
    let fx = t.renderer(Role::Main, RendererEvent::Exited(ExitKind::Code(0)));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Spawn { .. })));
}

#[test]
fn messages_from_a_replaced_renderer_are_stale() {
    let mut t = T::new();
    t.start();
    let old = t.gen(Role::Main);
    t.renderer(Role::Main, RendererEvent::Exited(ExitKind::Code(0)));
    let fx = t.ev(Event::Renderer {
        role: Role::Main,
        generation: old,
        event: RendererEvent::Message {
            msg: RendererToBroker::OpenLoginWindow,
            size: 1,
            pid: 1000,
        },
    });
    assert!(fx.is_empty());
    assert_eq!(
        t.core.audit().recent().last().unwrap().verdict,
        crate::audit::Verdict::Stale
    );
}

#[test]
fn the_push_table_is_the_last_gate() {
    let mut t = T::new();
    t.start();
    t.open_login();
    // Drive the core into emitting a main-only push toward Login through
    // its internal API, as a bug would.
    let generation = t.gen(Role::Login);
    t.core.effects.push(Effect::Send {
        role: Role::Login,
        generation,
        msg: BrokerToRenderer::Authenticated { user: user() },
    });
    let fx = t.ev(Event::Tick);
    assert!(T::sends(&fx, Role::Login).is_empty(), "{fx:?}");
}

#[test]
fn disconnect_then_exit_is_classified_from_the_exit_status() {
    let mut t = T::new();
    t.start();
    t.renderer(Role::Main, RendererEvent::Disconnected);
    t.renderer(
        Role::Main,
        RendererEvent::Exited(ExitKind::Signal(libc::SIGABRT)),
    );
    assert_eq!(t.core.gone()[0].reason, GoneReason::Crashed(libc::SIGABRT));
    // A renderer that closes its socket but stays alive is killed.
    t.ready(Role::Main);
    t.renderer(Role::Main, RendererEvent::Disconnected);
    t.now += Duration::from_secs(1);
    let fx = t.ev(Event::Tick);
    assert!(T::killed(&fx, Role::Main));
}

#[test]
fn a_closing_renderer_that_sends_a_bad_message_is_killed_at_once() {
    // Found by the router fuzzer: the graceful shutdown's kill deadline used
    // to hide the bad message until the grace ran out.
    let mut t = T::new();
    t.start();
    t.open_login();
    t.ev(Event::Window {
        role: Role::Login,
        event: WindowEvent::CloseRequested,
    });
    let fx = t.msg(Role::Login, RendererToBroker::OpenLoginWindow);
    assert!(T::killed(&fx, Role::Login), "{fx:?}");
    t.renderer(
        Role::Login,
        RendererEvent::Exited(ExitKind::Signal(libc::SIGKILL)),
    );
    assert_eq!(t.core.gone().back().unwrap().reason, GoneReason::BadMessage);
}

#[test]
fn a_sign_in_for_a_renderer_killed_meanwhile_is_dropped() {
    // Found by the router fuzzer: the result used to complete the sign-in
    // for a renderer already killed for a bad message.
    let mut t = T::new();
    t.start();
    t.open_login();
    t.submit(1, "bruce@wayne.com");
    let generation = t.gen(Role::Login);
    let fx = t.msg(Role::Login, RendererToBroker::Logout);
    assert!(T::killed(&fx, Role::Login));
    let fx = t.ev(Event::AuthFinished {
        role: Role::Login,
        generation,
        id: RequestId(1),
        result: Ok(user()),
    });
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(t.core.user(), None);
}

impl T {
    fn resize(&mut self, role: Role, width: u32, height: u32) -> Vec<Effect> {
        self.ev(Event::Window {
            role,
            event: WindowEvent::Resized {
                width,
                height,
                scale: 1.0,
            },
        })
    }

    fn frame(&mut self, role: Role, surface: u32) -> Vec<Effect> {
        self.msg(
            role,
            RendererToBroker::FrameReady {
                surface,
                damage: PxRect::full(1, 1),
            },
        )
    }

    fn surfaces_sent(fx: &[Effect]) -> Vec<SurfaceSpec> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::SendSurface { spec, .. } => Some(*spec),
                _ => None,
            })
            .collect()
    }

    /// Advances time to `until` in `step`s, answering every ping, and
    /// returns every effect on the way.
    fn answer_pings_until(&mut self, role: Role, until: Instant, step: Duration) -> Vec<Effect> {
        let mut all = Vec::new();
        while self.now < until {
            self.now += step;
            let fx = self.ev(Event::Tick);
            let nonces: Vec<u64> = T::sends(&fx, role)
                .iter()
                .filter_map(|m| match m {
                    BrokerToRenderer::Ping { nonce } => Some(*nonce),
                    _ => None,
                })
                .collect();
            all.extend(fx);
            for nonce in nonces {
                all.extend(self.msg(role, RendererToBroker::Pong { nonce }));
            }
        }
        all
    }
}

#[test]
fn a_resize_storm_without_a_take_sends_one_surface_and_keeps_the_latest_size() {
    let mut t = T::new();
    t.start();
    t.frame(Role::Main, 1);
    let fx = t.resize(Role::Main, 500, 500);
    let sent = T::surfaces_sent(&fx);
    assert_eq!(sent.len(), 1, "{fx:?}");
    assert_eq!((sent[0].generation, sent[0].width), (2, 500));

    // The renderer never takes surface 2: however often the window is
    // resized, nothing more goes out on its surface channel.
    for i in 0..1000 {
        let fx = t.resize(Role::Main, 300 + i % 400, 200 + i % 300);
        assert!(T::surfaces_sent(&fx).is_empty(), "resize {i}: {fx:?}");
        assert!(
            !T::sends(&fx, Role::Main)
                .iter()
                .any(|m| matches!(m, BrokerToRenderer::Surface { .. })),
            "resize {i}: {fx:?}"
        );
    }
    let w = t.core.window(Role::Main).unwrap();
    assert_eq!(w.size, (300 + 999 % 400, 200 + 999 % 300, 1.0));
    assert!(w.renderer.proto.surfaces().held_since().is_some());
    assert_eq!(w.renderer.proto.surfaces().current().unwrap().generation, 2);

    // The take (its first frame for surface 2) sends the one latest size.
    let fx = t.frame(Role::Main, 2);
    let sent = T::surfaces_sent(&fx);
    assert_eq!(sent.len(), 1, "{fx:?}");
    assert_eq!(
        (sent[0].generation, sent[0].width, sent[0].height),
        (3, 300 + 999 % 400, 200 + 999 % 300)
    );
    assert!(T::sends(&fx, Role::Main)
        .iter()
        .any(|m| matches!(m, BrokerToRenderer::Surface { generation: 3, .. })));
    // A second frame for the same surface is no second take.
    t.frame(Role::Main, 3);
    let fx = t.frame(Role::Main, 3);
    assert!(T::surfaces_sent(&fx).is_empty(), "{fx:?}");
}

#[test]
fn a_renderer_that_never_takes_its_surface_is_marked_unresponsive_then_replaced() {
    let mut t = T::new();
    t.start();
    let config = t.core.config().clone();
    let step = Duration::from_millis(250);
    t.frame(Role::Main, 1);
    t.resize(Role::Main, 500, 500);
    // Surface 2 is never taken; the next size waits from now on.
    t.resize(Role::Main, 600, 600);
    let held = t.now;
    assert_eq!(
        t.core
            .window(Role::Main)
            .unwrap()
            .renderer
            .proto
            .surfaces()
            .held_since(),
        Some(held)
    );

    // It answers every ping, yet: not responding once the size has waited
    // `unresponsive_after` ...
    let fx = t.answer_pings_until(Role::Main, held + config.unresponsive_after - step, step);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::SetTitle { .. })),
        "{fx:?}"
    );
    let fx = t.answer_pings_until(Role::Main, held + config.unresponsive_after, step);
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::SetTitle { title, .. } if title == "Main Window (Not Responding)"
        )),
        "{fx:?}"
    );
    // ... which its pongs do not undo, and replaced at `replace_after`.
    let fx = t.answer_pings_until(Role::Main, held + config.replace_after - step, step);
    assert!(!T::killed(&fx, Role::Main), "{fx:?}");
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::SetTitle { .. })),
        "{fx:?}"
    );
    let fx = t.answer_pings_until(Role::Main, held + config.replace_after, step);
    assert!(T::killed(&fx, Role::Main), "{fx:?}");
    assert_eq!(
        t.core.window(Role::Main).unwrap().renderer.stage,
        Stage::Dying(GoneReason::Unresponsive)
    );
    let fx = t.renderer(
        Role::Main,
        RendererEvent::Exited(ExitKind::Signal(libc::SIGKILL)),
    );
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Spawn {
                role: Role::Main,
                ..
            }
        )),
        "{fx:?}"
    );
    assert_eq!(
        t.core.gone().back().unwrap().reason,
        GoneReason::Unresponsive
    );
}

#[test]
fn taking_the_surface_clears_the_mark_and_sends_the_held_size() {
    let mut t = T::new();
    t.start();
    let config = t.core.config().clone();
    t.frame(Role::Main, 1);
    t.resize(Role::Main, 500, 500);
    t.resize(Role::Main, 600, 600);
    let held = t.now;
    let step = Duration::from_millis(250);
    t.answer_pings_until(Role::Main, held + config.unresponsive_after, step);
    assert!(t
        .core
        .window(Role::Main)
        .unwrap()
        .renderer
        .proto
        .is_unresponsive());
    let fx = t.frame(Role::Main, 2);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::SetTitle { title, .. } if title == "Main Window")),
        "{fx:?}"
    );
    let sent = T::surfaces_sent(&fx);
    assert_eq!((sent.len(), sent[0].width), (1, 600), "{fx:?}");
    // Nothing waits any more: no deadline kills it later.
    let fx = t.answer_pings_until(Role::Main, held + 2 * config.replace_after, step);
    assert!(!T::killed(&fx, Role::Main), "{fx:?}");
}

#[test]
fn a_sandbox_violation_is_the_gone_reason_with_its_syscall() {
    let mut t = T::new();
    t.start();
    let fx = t.renderer(Role::Main, RendererEvent::SandboxViolation { syscall: 59 });
    assert!(T::killed(&fx, Role::Main), "{fx:?}");
    t.renderer(Role::Main, RendererEvent::Disconnected);
    let fx = t.renderer(
        Role::Main,
        RendererEvent::Exited(ExitKind::Signal(libc::SIGSYS)),
    );
    let gone = t.core.gone().back().unwrap();
    assert_eq!(
        gone.reason,
        GoneReason::SandboxViolation { syscall: Some(59) }
    );
    assert_eq!(gone.reason.label(), "sandbox-violation");
    assert_eq!(gone.reason.syscall(), Some(59));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Spawn {
            role: Role::Main,
            ..
        }
    )));
    assert!(t
        .core
        .audit()
        .recent()
        .any(|e| e.kind == "sandbox-violation"
            && e.verdict == crate::audit::Verdict::Refused("syscall 59".into())));
}

#[test]
fn a_stderr_flood_replaces_the_renderer_like_a_bad_message() {
    let mut t = T::new();
    t.start();
    let fx = t.renderer(
        Role::Main,
        RendererEvent::Fault {
            fault: Fault::LogFlood("more than 100 lines per second (burst 1000)".into()),
            size: 0,
            pid: None,
        },
    );
    assert!(T::killed(&fx, Role::Main), "{fx:?}");
    let fx = t.renderer(
        Role::Main,
        RendererEvent::Exited(ExitKind::Signal(libc::SIGKILL)),
    );
    let gone = t.core.gone().back().unwrap();
    assert_eq!(gone.reason, GoneReason::BadMessage);
    assert!(gone
        .bad_message
        .as_deref()
        .is_some_and(|m| m.contains("stderr log flood") && m.contains("lines per second")));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Spawn {
            role: Role::Main,
            ..
        }
    )));
}

#[test]
fn a_sign_in_that_finishes_as_the_login_renderer_crashes_is_applied() {
    // Found in issue 13: "result dropped" although the user signed in.
    for after_respawn in [false, true] {
        let mut t = T::new();
        t.start();
        t.open_login();
        t.submit(1, "bruce@wayne.com");
        let generation = t.gen(Role::Login);
        t.renderer(Role::Login, RendererEvent::Disconnected);
        if after_respawn {
            let fx = t.renderer(
                Role::Login,
                RendererEvent::Exited(ExitKind::Signal(libc::SIGSEGV)),
            );
            assert!(fx.iter().any(|e| matches!(
                e,
                Effect::Spawn {
                    role: Role::Login,
                    ..
                }
            )));
            assert_ne!(t.gen(Role::Login), generation);
        }
        let fx = t.ev(Event::AuthFinished {
            role: Role::Login,
            generation,
            id: RequestId(1),
            result: Ok(user()),
        });
        assert_eq!(
            t.core.user(),
            Some(&user()),
            "after_respawn={after_respawn}"
        );
        assert!(
            matches!(
                T::sends(&fx, Role::Main)[..],
                [BrokerToRenderer::Authenticated { .. }]
            ),
            "{fx:?}"
        );
        assert!(fx
            .iter()
            .any(|e| matches!(e, Effect::CloseWindow { role: Role::Login })));
        // Nobody is left to reply to.
        assert!(!T::sends(&fx, Role::Login)
            .iter()
            .any(|m| matches!(m, BrokerToRenderer::Reply { .. })));
    }
}

fn ctrl_key(c: char) -> Event {
    Event::Window {
        role: Role::Login,
        event: WindowEvent::Input(workshop_common::input::InputEvent::Key {
            key: workshop_common::input::Key::Char(c),
            modifiers: workshop_common::input::Modifiers {
                ctrl: true,
                shift: false,
            },
        }),
    }
}

fn clipboard_write(t: &mut T) -> Vec<Effect> {
    t.msg(
        Role::Login,
        RendererToBroker::ClipboardWrite {
            text: "copied".into(),
        },
    )
}

#[test]
fn one_clipboard_write_per_copy_gesture_within_its_window() {
    let mut t = T::new();
    t.start();
    t.open_login();
    // Ctrl+C: forwarded, and one write is accepted, on both selections.
    let fx = t.ev(ctrl_key('c'));
    assert_eq!(T::sends(&fx, Role::Login).len(), 1);
    let fx = clipboard_write(&mut t);
    assert_eq!(
        fx.iter()
            .filter(|e| matches!(e, Effect::WriteClipboard { .. }))
            .count(),
        2
    );
    // A second write for the same gesture is a bad message.
    let fx = clipboard_write(&mut t);
    assert!(T::killed(&fx, Role::Login));
    assert!(!fx
        .iter()
        .any(|e| matches!(e, Effect::WriteClipboard { .. })));
}

#[test]
fn a_late_clipboard_write_is_a_bad_message() {
    let mut t = T::new();
    t.start();
    t.open_login();
    t.ev(ctrl_key('x'));
    t.now += Duration::from_millis(workshop_common::capability::CLIPBOARD_GESTURE_MS);
    let fx = clipboard_write(&mut t);
    assert!(T::killed(&fx, Role::Login));
}

#[test]
fn ctrl_v_reads_the_clipboard_and_is_not_forwarded() {
    let mut t = T::new();
    t.start();
    t.open_login();
    let fx = t.ev(ctrl_key('v'));
    assert!(T::sends(&fx, Role::Login).is_empty());
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::ReadClipboard {
            role: Role::Login,
            selection: crate::core::Selection::Clipboard
        }
    )));
    // The answer goes to the renderer as a paste, without NUL.
    let fx = t.ev(Event::Window {
        role: Role::Login,
        event: WindowEvent::ClipboardRead(Some(crate::core::ClipboardText("a\0b".into()))),
    });
    assert_eq!(
        T::sends(&fx, Role::Login),
        vec![&BrokerToRenderer::Input(
            workshop_common::input::InputEvent::Paste("ab".into())
        )]
    );
}

#[test]
fn two_quick_copies_allow_two_writes() {
    let mut t = T::new();
    t.start();
    t.open_login();
    t.ev(ctrl_key('c'));
    t.ev(ctrl_key('c'));
    assert!(!T::killed(&clipboard_write(&mut t), Role::Login));
    assert!(!T::killed(&clipboard_write(&mut t), Role::Login));
    assert!(T::killed(&clipboard_write(&mut t), Role::Login));
}
