//! Sample renderer messages: at least one of every variant, valid and
//! invalid, used for the seed corpora and the replay tests.

use workshop_common::access::{AccessId, AccessNode, AccessRole, AccessUpdate};
use workshop_common::geometry::PxRect;
use workshop_common::input::CursorIcon;
use workshop_common::sandbox_report::{
    Layer, LayerState, LayerStatus, Probe, ProbeOutcome, ProbeResult, SandboxMode, SandboxReport,
};
use workshop_common::validate::MAX_SERVER_PATH_BYTES;
use workshop_common::{RendererToBroker, Role, PROTOCOL_VERSION};

/// The harness's bootstrap directories, server paths, `Hello` and sign-in
/// invoke: defined once in the router model, shared with the proptest.
pub use crate::router_model::{bootstrap_dir, hello, server_path, submit};

/// A fully confined report with every layer `state` and every probe denied.
pub fn confined_report(mode: SandboxMode, state: LayerState) -> SandboxReport {
    SandboxReport {
        mode,
        layers: Layer::ALL
            .iter()
            .map(|&layer| LayerStatus {
                layer,
                state,
                detail: 7,
            })
            .collect(),
        probes: Probe::ALL
            .iter()
            .map(|&probe| ProbeResult {
                probe,
                outcome: ProbeOutcome::Denied { errno: 1 },
            })
            .collect(),
    }
}

/// Named messages: every variant, with valid and boundary values.
pub fn messages() -> Vec<(&'static str, RendererToBroker)> {
    let mut report_dup = SandboxReport::disabled();
    report_dup.probes.push(report_dup.probes[0]);
    let mut report_many = SandboxReport::disabled();
    for _ in 0..3 {
        report_many.layers.extend(report_dup.layers.clone());
    }
    let mut report_mixed = confined_report(SandboxMode::Enforce, LayerState::Active);
    report_mixed.layers[8].state = LayerState::Partial;
    report_mixed.layers[1].state = LayerState::Unavailable { errno: 22 };
    report_mixed.probes[3].outcome = ProbeOutcome::Allowed;
    report_mixed.probes[4].outcome = ProbeOutcome::NotRun;
    vec![
        (
            "bootstrap-main",
            RendererToBroker::Bootstrap {
                server: server_path(Role::Main),
            },
        ),
        (
            "bootstrap-login",
            RendererToBroker::Bootstrap {
                server: server_path(Role::Login),
            },
        ),
        (
            "bootstrap-escape",
            RendererToBroker::Bootstrap {
                server: "/tmp/wf/m/../../.X11-unix/X0".into(),
            },
        ),
        (
            "bootstrap-empty",
            RendererToBroker::Bootstrap {
                server: String::new(),
            },
        ),
        (
            "bootstrap-too-long",
            RendererToBroker::Bootstrap {
                server: "/".repeat(MAX_SERVER_PATH_BYTES + 1),
            },
        ),
        (
            "bootstrap-nul",
            RendererToBroker::Bootstrap {
                server: "/tmp/wf/m/\0/socket".into(),
            },
        ),
        ("hello-main", hello(Role::Main)),
        ("hello-login", hello(Role::Login)),
        (
            "hello-strict",
            RendererToBroker::Hello {
                protocol_version: PROTOCOL_VERSION,
                role: Role::Main,
                sandbox: confined_report(SandboxMode::Strict, LayerState::Active),
            },
        ),
        (
            "hello-enforce-mixed",
            RendererToBroker::Hello {
                protocol_version: PROTOCOL_VERSION,
                role: Role::Login,
                sandbox: report_mixed,
            },
        ),
        (
            "hello-duplicate-probe",
            RendererToBroker::Hello {
                protocol_version: PROTOCOL_VERSION,
                role: Role::Main,
                sandbox: report_dup,
            },
        ),
        (
            "hello-too-many-layers",
            RendererToBroker::Hello {
                protocol_version: PROTOCOL_VERSION,
                role: Role::Main,
                sandbox: report_many,
            },
        ),
        (
            "hello-wrong-version",
            RendererToBroker::Hello {
                protocol_version: PROTOCOL_VERSION + 1,
                role: Role::Main,
                sandbox: SandboxReport::disabled(),
            },
        ),
        (
            "frame-full",
            RendererToBroker::FrameReady {
                surface: 1,
                damage: PxRect::full(400, 400),
            },
        ),
        (
            "frame-overflowing",
            RendererToBroker::FrameReady {
                surface: 1,
                damage: PxRect {
                    x: 390,
                    y: u32::MAX,
                    width: u32::MAX,
                    height: u32::MAX,
                },
            },
        ),
        (
            "frame-surface-2",
            RendererToBroker::FrameReady {
                surface: 2,
                damage: PxRect {
                    x: 10,
                    y: 10,
                    width: 20,
                    height: 20,
                },
            },
        ),
        (
            "frame-surface-0",
            RendererToBroker::FrameReady {
                surface: 0,
                damage: PxRect::default(),
            },
        ),
        (
            "cursor-default",
            RendererToBroker::SetCursor {
                cursor: CursorIcon::Default,
            },
        ),
        (
            "cursor-pointer",
            RendererToBroker::SetCursor {
                cursor: CursorIcon::Pointer,
            },
        ),
        (
            "cursor-text",
            RendererToBroker::SetCursor {
                cursor: CursorIcon::Text,
            },
        ),
        ("pong-1", RendererToBroker::Pong { nonce: 1 }),
        ("pong-2", RendererToBroker::Pong { nonce: 2 }),
        ("pong-max", RendererToBroker::Pong { nonce: u64::MAX }),
        ("open-login-window", RendererToBroker::OpenLoginWindow),
        ("logout", RendererToBroker::Logout),
        ("close-window", RendererToBroker::CloseWindow),
        ("ime-area-none", RendererToBroker::SetImeArea { area: None }),
        (
            "ime-area-outside",
            RendererToBroker::SetImeArea {
                area: Some(PxRect {
                    x: u32::MAX - 5,
                    y: 3,
                    width: u32::MAX,
                    height: 20,
                }),
            },
        ),
        (
            "clipboard-write",
            RendererToBroker::ClipboardWrite {
                text: "bruce@wayne.com".into(),
            },
        ),
        (
            "clipboard-write-nul",
            RendererToBroker::ClipboardWrite {
                text: "a\0b".into(),
            },
        ),
        (
            "clipboard-write-too-long",
            RendererToBroker::ClipboardWrite {
                text: "c".repeat(workshop_common::validate::MAX_CLIPBOARD_BYTES + 1),
            },
        ),
        ("submit-1", submit(1, "bruce@wayne.com", "pw")),
        ("submit-2", submit(2, "bruce@wayne.com", "hunter2")),
        ("submit-bad-email", submit(1, "not an email", "pw")),
        ("submit-empty-password", submit(3, "a@b", "")),
        ("submit-id-0", submit(0, "a@b", "pw")),
        ("submit-id-max", submit(u64::MAX, "a@b", "pw")),
        ("submit-email-too-long", submit(1, &"e".repeat(255), "pw")),
        (
            "submit-password-too-long",
            submit(1, "a@b", &"p".repeat(1025)),
        ),
        ("submit-unicode", submit(4, "brücé@wäyne.com", "пароль🔑")),
        ("access-login", access(access_login())),
        ("access-password-value", {
            let mut u = access_login();
            u.nodes[2].value = Some("hunter2".into());
            access(u)
        }),
        ("access-cycle", {
            let mut u = access_login();
            u.nodes[3].children = vec![AccessId(1)];
            access(u)
        }),
        ("access-dangling", {
            let mut u = access_login();
            u.nodes[3].children = vec![AccessId(77)];
            access(u)
        }),
        ("access-duplicate-id", {
            let mut u = access_login();
            u.nodes.push(u.nodes[1].clone());
            access(u)
        }),
        ("access-window-id", {
            let mut u = access_login();
            u.nodes[3].id = AccessId(0);
            access(u)
        }),
        ("access-named-pane", {
            let mut u = access_login();
            u.nodes[0].label = "Password prompt from your bank".into();
            access(u)
        }),
        (
            "access-oversized",
            access(AccessUpdate {
                nodes: (1..=workshop_common::access::MAX_NODES as u32 + 1)
                    .map(|i| access_node(i, AccessRole::Label, "x", &[]))
                    .collect(),
                root: Some(AccessId(1)),
                focus: None,
            }),
        ),
        (
            "access-deep",
            access(access_chain(workshop_common::access::MAX_DEPTH + 1)),
        ),
    ]
}

/// An `AccessUpdate` message.
pub fn access(update: AccessUpdate) -> RendererToBroker {
    RendererToBroker::AccessUpdate(update)
}

/// One accessibility node with empty bounds.
pub fn access_node(id: u32, role: AccessRole, label: &str, children: &[u32]) -> AccessNode {
    AccessNode {
        id: AccessId(id),
        role,
        label: label.into(),
        value: None,
        disabled: false,
        children: children.iter().map(|&c| AccessId(c)).collect(),
        bounds: PxRect::full(10, 10),
    }
}

/// The Login Window's tree as its renderer sends it first.
pub fn access_login() -> AccessUpdate {
    let mut email = access_node(2, AccessRole::TextInput, "Email", &[]);
    email.value = Some(String::new());
    let mut submit = access_node(4, AccessRole::Button, "Submit", &[]);
    submit.disabled = true;
    AccessUpdate {
        nodes: vec![
            access_node(1, AccessRole::Pane, "", &[2, 3, 4]),
            email,
            access_node(3, AccessRole::PasswordInput, "Password", &[]),
            submit,
        ],
        root: Some(AccessId(1)),
        focus: Some(AccessId(2)),
    }
}

/// A pane with a chain of `depth - 1` labels under it.
pub fn access_chain(depth: usize) -> AccessUpdate {
    let depth = depth as u32;
    AccessUpdate {
        nodes: (1..=depth)
            .map(|i| {
                let role = if i == 1 {
                    AccessRole::Pane
                } else {
                    AccessRole::Label
                };
                let children: &[u32] = if i == depth { &[] } else { &[i + 1] };
                access_node(i, role, "", children)
            })
            .collect(),
        root: Some(AccessId(1)),
        focus: None,
    }
}
