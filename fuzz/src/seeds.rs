//! The seed corpora, generated (`cargo run --bin make_corpus`) so they stay
//! in step with the protocol.

use workshop_common::codec;
use workshop_common::geometry::PxRect;
use workshop_common::input::CursorIcon;
use workshop_common::{RendererToBroker, Role};

use crate::router::ScriptBuilder;
use crate::samples::{self, hello, submit};

/// Seeds for `decode_validate`: a valid encoding of every sample message,
/// then truncated, extended and garbled ones.
pub fn decode_validate() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, msg) in samples::messages() {
        let Ok(bytes) = codec::encode(&msg) else {
            continue;
        };
        if bytes.len() <= 64 || name.starts_with("hello") {
            let half = bytes[..bytes.len() / 2].to_vec();
            out.push((format!("{name}-truncated"), half));
        }
        out.push((name.to_owned(), bytes));
    }
    let pong = codec::encode(&RendererToBroker::Pong { nonce: 1 }).unwrap_or_default();
    let mut trailing = pong.clone();
    trailing.push(0);
    out.push(("pong-trailing-byte".into(), trailing));
    // Variant 4 (Pong) with nonce 1 as a 3-byte varint: non-canonical.
    out.push(("pong-noncanonical-varint".into(), vec![4, 251, 1, 0]));
    out.push(("unknown-variant".into(), vec![9]));
    out.push(("variant-max".into(), vec![0xff; 5]));
    // Bootstrap claiming a string of u64::MAX bytes.
    out.push((
        "bootstrap-huge-length".into(),
        vec![0, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ));
    // Bootstrap with invalid UTF-8.
    out.push(("bootstrap-bad-utf8".into(), vec![0, 2, 0xc3, 0x28]));
    // Hello claiming 2^32 layers.
    out.push((
        "hello-huge-vec".into(),
        vec![1, 1, 0, 2, 0xfc, 0xff, 0xff, 0xff, 0xff],
    ));
    out.push(("empty".into(), Vec::new()));
    let mut flipped = codec::encode(&submit(1, "bruce@wayne.com", "pw")).unwrap_or_default();
    flipped[3] ^= 0x80;
    out.push(("submit-flipped".into(), flipped));
    out
}

fn frame(surface: u32, damage: PxRect) -> RendererToBroker {
    RendererToBroker::FrameReady { surface, damage }
}

/// Seeds for `router`: short scripts that each reach a different part of
/// the protocol.
pub fn router() -> Vec<(String, Vec<u8>)> {
    use Role::{Login, Main};
    let s = ScriptBuilder::new;
    let cursor = RendererToBroker::SetCursor {
        cursor: CursorIcon::Pointer,
    };
    let login_tree = samples::access(samples::access_login());
    let seeds = vec![
        ("start-only", s(0)),
        (
            "access-tree-per-frame",
            s(0).msg(Login, &login_tree)
                .msg(Login, &frame(1, PxRect::full(400, 400)))
                .msg(Login, &login_tree)
                .msg(Main, &login_tree),
        ),
        (
            "access-flood",
            s(0).msg(Login, &login_tree).msg(Login, &login_tree),
        ),
        (
            "access-cycle",
            s(0).msg(Login, &{
                let mut u = samples::access_login();
                u.nodes[3].children = vec![workshop_common::access::AccessId(1)];
                samples::access(u)
            }),
        ),
        (
            "access-dangling-update",
            s(0).msg(Main, &login_tree)
                .msg(Main, &frame(1, PxRect::full(400, 400)))
                .msg(
                    Main,
                    &samples::access(workshop_common::access::AccessUpdate {
                        nodes: vec![samples::access_node(
                            1,
                            workshop_common::access::AccessRole::Pane,
                            "",
                            &[2, 9],
                        )],
                        root: None,
                        focus: None,
                    }),
                ),
        ),
        (
            "clipboard-write-after-copy",
            s(0).window(Login, 3, &[4]).msg(
                Login,
                &RendererToBroker::ClipboardWrite {
                    text: "copied".into(),
                },
            ),
        ),
        (
            "clipboard-write-unsolicited",
            s(0).msg(
                Main,
                &RendererToBroker::ClipboardWrite {
                    text: "not asked".into(),
                },
            ),
        ),
        ("paste-gesture", s(0).window(Login, 3, &[5])),
        (
            "ime-area-clamped",
            s(0).msg(
                Login,
                &RendererToBroker::SetImeArea {
                    area: Some(PxRect {
                        x: 390,
                        y: 0,
                        width: u32::MAX,
                        height: 30,
                    }),
                },
            ),
        ),
        (
            "frames-and-cursor",
            s(0).msg(Main, &frame(1, PxRect::full(400, 400)))
                .msg(Login, &frame(1, PxRect::full(10, 10)))
                .msg(
                    Main,
                    &frame(
                        1,
                        PxRect {
                            x: 390,
                            y: 0,
                            width: u32::MAX,
                            height: 10,
                        },
                    ),
                )
                .msg(Login, &cursor),
        ),
        (
            "ping-pong",
            s(0).tick(20)
                .msg(Main, &RendererToBroker::Pong { nonce: 1 })
                .msg(Login, &RendererToBroker::Pong { nonce: 1 })
                .tick(20)
                .tick(70)
                .msg(Main, &RendererToBroker::Pong { nonce: 2 }),
        ),
        (
            "unresponsive-then-replaced",
            s(0).tick(20)
                .tick(70)
                .tick(140)
                .lifecycle(Main, 0)
                .lifecycle(Main, 5),
        ),
        (
            "sign-in-then-logout",
            s(0).msg(Login, &submit(1, "bruce@wayne.com", "pw"))
                .auth(true)
                .msg(Main, &RendererToBroker::Logout)
                .lifecycle(Login, 1),
        ),
        (
            "sign-in-rejected-then-retry",
            s(0).msg(Login, &submit(1, "not an email", "pw"))
                .msg(Login, &submit(2, "bruce@wayne.com", "pw"))
                .auth(false)
                .msg(Login, &submit(3, "bruce@wayne.com", "pw"))
                .forged_auth(Login, 3, true),
        ),
        (
            "forged-auth",
            s(0).forged_auth(Login, 1, true).forged_auth(Main, 0, true),
        ),
        (
            "too-many-in-flight",
            s(0).msg(Login, &submit(1, "a@b", "pw"))
                .msg(Login, &submit(2, "a@b", "pw")),
        ),
        (
            "close-login-and-reopen",
            s(0).window(Login, 4, &[])
                .msg(Main, &RendererToBroker::OpenLoginWindow)
                .lifecycle(Login, 1)
                .msg(Main, &RendererToBroker::OpenLoginWindow)
                .lifecycle(Login, 5),
        ),
        (
            "quit",
            s(0).msg(Main, &RendererToBroker::CloseWindow)
                .lifecycle(Main, 1)
                .lifecycle(Login, 1),
        ),
        (
            "bad-message-respawn",
            s(0).msg(Login, &RendererToBroker::OpenLoginWindow)
                .lifecycle(Login, 0)
                .lifecycle(Login, 5)
                .msg(Login, &cursor),
        ),
        (
            "resize-and-frames",
            s(0).window(Main, 0, &[0x20, 0x03, 0x20, 0x03, 1])
                .msg(Main, &frame(1, PxRect::full(400, 400)))
                .msg(Main, &frame(2, PxRect::full(800, 800)))
                .msg(Main, &frame(1, PxRect::full(400, 400)))
                .window(Main, 1, &[])
                .msg(Main, &frame(3, PxRect::full(400, 400))),
        ),
        (
            "crash-loop-then-retry",
            s(0).lifecycle(Main, 2)
                .lifecycle(Main, 5)
                .lifecycle(Main, 2)
                .lifecycle(Main, 5)
                .lifecycle(Main, 2)
                .window(Main, 6, &[])
                .lifecycle(Main, 5),
        ),
        (
            "rate-limited",
            (0..24).fold(s(1), |b, _| b.msg(Main, &cursor)),
        ),
        (
            "frame-flood",
            (0..8).fold(s(1), |b, _| b.msg(Login, &frame(1, PxRect::full(5, 5)))),
        ),
        (
            "handshake-by-hand",
            s(0).lifecycle(Main, 0)
                .lifecycle(Main, 4)
                .msg(
                    Main,
                    &RendererToBroker::Bootstrap {
                        server: samples::server_path(Main),
                    },
                )
                .msg(Main, &hello(Main))
                .msg(Main, &frame(2, PxRect::full(400, 400))),
        ),
        ("handshake-timeout", s(0).lifecycle(Login, 0).tick(201)),
        (
            "disconnect-then-kill",
            s(0).lifecycle(Main, 3).tick(20).lifecycle(Main, 0),
        ),
        ("undecodable-fault", s(0).raw(Login, 0x10, &[9, 9, 9])),
        (
            "wrong-pid-and-stale",
            s(0).raw(Main, 0xc0, &codec::encode(&cursor).unwrap_or_default())
                .lifecycle(Main, 5)
                .raw(Login, 0xe0, &codec::encode(&cursor).unwrap_or_default()),
        ),
        (
            "input-and-moves",
            s(0).window(Main, 2, &[10, 20])
                .window(Login, 3, &[1])
                .window(Login, 5, &[0x10, 0, 0x20, 0])
                .window(Main, 7, &[]),
        ),
        (
            "hello-strict-refused",
            s(0).lifecycle(Login, 0)
                .lifecycle(Login, 4)
                .msg(
                    Login,
                    &RendererToBroker::Bootstrap {
                        server: samples::server_path(Login),
                    },
                )
                .msg(
                    Login,
                    &RendererToBroker::Hello {
                        protocol_version: workshop_common::PROTOCOL_VERSION,
                        role: Login,
                        sandbox: samples::confined_report(
                            workshop_common::sandbox_report::SandboxMode::Strict,
                            workshop_common::sandbox_report::LayerState::Active,
                        ),
                    },
                ),
        ),
    ];
    seeds
        .into_iter()
        .map(|(name, b)| (name.to_owned(), b.build()))
        .collect()
}
