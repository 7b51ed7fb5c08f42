//! The router's invariants as a property test: arbitrary sequences of
//! renderer messages (plausible and arbitrary), timer ticks, window events,
//! renderer lifecycle events and authenticator results, driven into the
//! broker core with both renderers `Ready` first (sandbox disabled, no
//! outside verification). After every event the invariants listed on
//! `Driver::step` are checked.
//!
//! The checker itself (`Driver`, every invariant, the "broker bug" watch and
//! the helpers) is `router_model/mod.rs`, shared with the `router` cargo-fuzz
//! target (`fuzz/src/router.rs`), which feeds it from raw bytes instead.
//! This file holds only the proptest side: operations, strategies, `apply`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod router_model;

use std::path::PathBuf;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::Config;
use workshop_broker::core::{Effect, Event, ExitKind, Fault, RendererEvent, Stage, WindowEvent};
use workshop_common::codec::{self, CodecError};
use workshop_common::geometry::{Position, PxRect};
use workshop_common::input::{CursorIcon, InputEvent};
use workshop_common::sandbox_report::{
    Layer, LayerState, LayerStatus, Probe, ProbeOutcome, ProbeResult, SandboxMode, SandboxReport,
};
use workshop_common::{BrokerToRenderer, RendererToBroker, Role, PROTOCOL_VERSION};

use router_model::{bootstrap_dir, config, pid, server_path, submit, user, Driver};

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
        1 => prop::option::of(rect()).prop_map(|area| RendererToBroker::SetImeArea { area }),
        1 => prop::sample::select(vec!["copied".to_owned(), "a\0b".to_owned(), "c".repeat(16 * 1024 + 1)])
            .prop_map(|text| RendererToBroker::ClipboardWrite { text }),
        4 => (0u64..6, email, password).prop_map(|(id, e, p)| submit(id, &e, &p)),
        2 => access_update(),
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

/// Accessibility updates: whole trees, changes, and broken ones (a cycle,
/// a dangling child, a password value) over a small id space.
fn access_update() -> impl Strategy<Value = RendererToBroker> {
    use workshop_common::access::{AccessId, AccessNode, AccessRole, AccessUpdate};
    let node = (
        1u32..6,
        0usize..4,
        prop::collection::vec(1u32..7, 0..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(id, role, children, disabled, valued)| {
            let role = [
                AccessRole::Label,
                AccessRole::Button,
                AccessRole::TextInput,
                AccessRole::PasswordInput,
            ][role];
            AccessNode {
                id: AccessId(id),
                role,
                label: "x".into(),
                value: valued.then(|| "v".to_owned()),
                disabled,
                children: children.into_iter().map(AccessId).collect(),
                bounds: PxRect::full(10, 10),
            }
        });
    (
        prop::collection::vec(node, 0..5),
        any::<bool>(),
        prop::option::of(1u32..7),
    )
        .prop_map(|(mut nodes, with_root, focus)| {
            if with_root {
                let children = nodes.iter().map(|n| n.id).filter(|id| id.0 != 1).collect();
                nodes.retain(|n| n.id.0 != 1);
                nodes.insert(
                    0,
                    AccessNode {
                        id: AccessId(1),
                        role: AccessRole::Pane,
                        label: String::new(),
                        value: None,
                        disabled: false,
                        children,
                        bounds: PxRect::full(400, 400),
                    },
                );
            }
            RendererToBroker::AccessUpdate(AccessUpdate {
                nodes,
                root: with_root.then_some(AccessId(1)),
                focus: focus.map(AccessId),
            })
        })
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
            d.forged_auth(role, id, ok);
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
