//! Test-only misbehaviours: a renderer that attacks the broker.
//!
//! Compiled only with the `hostile` feature, which the broker's tests enable
//! through a dev-dependency and release builds never do (the release
//! renderer refuses `--misbehave`, see `args.rs`). Each case is something a
//! compromised renderer could do; the broker's tests assert that it costs
//! the broker that renderer and nothing else.

use std::io::IoSlice;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::{sendmsg, SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
use workshop_common::codec;
use workshop_common::geometry::PxRect;
use workshop_common::input::CursorIcon;
use workshop_common::protocol::{Request, RequestId};
use workshop_common::{RendererToBroker, Role, Secret, PROTOCOL_VERSION};

use crate::args::RendererArgs;
use crate::runtime::{Runtime, RuntimeError};

/// Sends raw bytes, bypassing every sender-side check.
fn raw(rt: &Runtime, bytes: &[u8]) {
    let _ = rustix::net::send(rt.control(), bytes, SendFlags::NOSIGNAL);
}

/// Sends raw bytes with descriptors attached.
fn raw_with_fds(rt: &Runtime, bytes: &[u8], fds: &[BorrowedFd<'_>]) -> bool {
    let mut space = vec![MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(253))];
    let mut anc = SendAncillaryBuffer::new(&mut space);
    if !anc.push(SendAncillaryMessage::ScmRights(fds)) {
        return false;
    }
    sendmsg(
        rt.control(),
        &[IoSlice::new(bytes)],
        &mut anc,
        SendFlags::NOSIGNAL,
    )
    .is_ok()
}

/// An ipc-channel first-fragment header: fragment size, then total size.
fn ipc_header(fragment_size: usize, total_size: usize, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&fragment_size.to_ne_bytes());
    v.extend_from_slice(&total_size.to_ne_bytes());
    v.extend_from_slice(payload);
    v
}

fn case(rt: &Runtime) -> Option<&str> {
    rt.misbehave.as_deref()
}

/// Cases that act before lockdown (the bootstrap).
pub fn before_lockdown(_args: &RendererArgs, rt: &mut Runtime) {
    if case(rt) == Some("early-message") {
        // A message the role may send, but not before its handshake.
        let _ = rt.send(&RendererToBroker::SetCursor {
            cursor: CursorIcon::Pointer,
        });
    }
}

/// Lockdown knobs for the refusal tests: `skip-layer=NAME` skips a layer
/// as if the kernel lacked it; `skip-layer-anyway=NAME` also goes on where
/// the lockdown would stop (a renderer that runs without seccomp, for the
/// broker to refuse).
pub fn lockdown_knobs(args: &RendererArgs) -> Option<workshop_sandbox::Knobs> {
    let misbehave = args.misbehave.as_deref()?;
    let (layer, lenient) = match misbehave.strip_prefix("skip-layer-anyway=") {
        Some(layer) => (layer, true),
        None => (misbehave.strip_prefix("skip-layer=")?, false),
    };
    let layer = workshop_common::sandbox_report::Layer::ALL
        .into_iter()
        .find(|l| l.name() == layer)?;
    Some(workshop_sandbox::Knobs {
        skip: Some(layer),
        lenient,
    })
}

/// Cases that lie in the handshake.
pub fn rewrite_hello(args: &RendererArgs, hello: RendererToBroker) -> RendererToBroker {
    match (args.misbehave.as_deref(), hello) {
        (Some("wrong-version"), RendererToBroker::Hello { role, sandbox, .. }) => {
            RendererToBroker::Hello {
                protocol_version: PROTOCOL_VERSION + 1,
                role,
                sandbox,
            }
        }
        (
            Some("wrong-role"),
            RendererToBroker::Hello {
                protocol_version,
                role,
                sandbox,
            },
        ) => {
            let other = match role {
                Role::Main => Role::Login,
                Role::Login => Role::Main,
            };
            RendererToBroker::Hello {
                protocol_version,
                role: other,
                sandbox,
            }
        }
        (_, hello) => hello,
    }
}

/// Whether to leave pings unanswered.
pub fn ignore_ping(rt: &Runtime) -> bool {
    case(rt) == Some("no-pong")
}

/// Cases that need a frame to have been acknowledged first.
pub fn after_frame_ack(rt: &mut Runtime) -> Result<(), RuntimeError> {
    if case(rt) == Some("damage-outside") {
        if let Some(surface) = rt.surface_generation() {
            rt.misbehave = None;
            rt.send(&RendererToBroker::FrameReady {
                surface,
                damage: PxRect {
                    x: u32::MAX - 5,
                    y: 3,
                    width: u32::MAX,
                    height: u32::MAX,
                },
            })?;
        }
    }
    Ok(())
}

/// The key that fires a deferred case (`CASE-on-key`): Ctrl+K.
pub fn is_trigger(event: &workshop_common::input::InputEvent) -> bool {
    matches!(
        event,
        workshop_common::input::InputEvent::Key {
            key: workshop_common::input::Key::Char('k'),
            modifiers: workshop_common::input::Modifiers { ctrl: true, .. },
        }
    )
}

/// Fires a deferred case when its trigger key arrives.
pub fn on_input(
    rt: &mut Runtime,
    event: &workshop_common::input::InputEvent,
) -> Result<(), RuntimeError> {
    if !is_trigger(event) {
        return Ok(());
    }
    let Some(name) = rt.misbehave.clone() else {
        return Ok(());
    };
    if let Some(case) = name.strip_suffix("-on-key") {
        run(rt, case)?;
    }
    Ok(())
}

/// Everything else fires right after the handshake is accepted.
pub fn after_welcome(rt: &mut Runtime) -> Result<(), RuntimeError> {
    let Some(name) = rt.misbehave.clone() else {
        return Ok(());
    };
    if name.ends_with("-on-key") {
        return Ok(());
    }
    run(rt, &name)
}

fn run(rt: &mut Runtime, name: &str) -> Result<(), RuntimeError> {
    let login = |id: u64| RendererToBroker::Invoke {
        id: RequestId(id),
        request: Request::SubmitLogin {
            email: "bruce@wayne.com".into(),
            password: Secret::new("pw".into()),
        },
    };
    match name {
        "undecodable" => raw(rt, &[0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03]),
        "truncated" => {
            if let Ok(bytes) = codec::encode(&login(1)) {
                raw(rt, &bytes[..bytes.len() - 3]);
            }
        }
        "unknown-variant" => raw(rt, &[0x7f, 0x00]),
        "oversized" => raw(rt, &vec![0u8; codec::MAX_MESSAGE_BYTES + 4096]),
        "empty" => raw(rt, &[]),
        "forbidden" => match rt_role(rt) {
            Role::Main => rt.send(&login(1))?,
            Role::Login => rt.send(&RendererToBroker::OpenLoginWindow)?,
        },
        "reused-id" => {
            rt.send(&login(5))?;
            rt.send(&login(5))?;
        }
        "absurd-id" => rt.send(&login(0))?,
        "too-many-in-flight" => {
            rt.send(&login(1))?;
            rt.send(&login(2))?;
        }
        "reply-to-nothing" => rt.send(&RendererToBroker::Pong { nonce: 987_654_321 })?,
        "bootstrap-again" => rt.send(&RendererToBroker::Bootstrap {
            server: "/tmp/x/socket".into(),
        })?,
        "flood" => loop {
            // Blocks once the broker's queue is full; the broker kills us.
            rt.send(&RendererToBroker::SetCursor {
                cursor: CursorIcon::Pointer,
            })?;
        },
        "frame-flood" => {
            let surface = rt.surface_generation().unwrap_or(1);
            loop {
                rt.send(&RendererToBroker::FrameReady {
                    surface,
                    damage: PxRect::full(1, 1),
                })?;
            }
        }
        "unknown-surface" => rt.send(&RendererToBroker::FrameReady {
            surface: 999,
            damage: PxRect::full(1, 1),
        })?,
        "hang" => loop {
            // Stops reading and answering: the broker's pings and its
            // queue toward us go unanswered.
            std::thread::park();
        },
        "forged-total-size" => {
            let header = ipc_header(16 + 4, usize::MAX / 2, &[1, 2, 3, 4]);
            let fd = rt.control().as_fd();
            raw_with_fds(rt, &header, &[fd]);
        }
        "mismatched-size" => raw(rt, &ipc_header(4096, 1 << 20, &[9; 8])),
        "fragment-never-delivers" => {
            if let Ok((keep, send)) = rustix::net::socketpair(
                rustix::net::AddressFamily::UNIX,
                rustix::net::SocketType::SEQPACKET,
                rustix::net::SocketFlags::CLOEXEC,
                None,
            ) {
                let header = ipc_header(16 + 8, 1 << 30, &[0; 8]);
                raw_with_fds(rt, &header, &[send.as_fd()]);
                // Hold the other end open forever and never write to it.
                std::mem::forget(keep);
            }
        }
        "max-fds" => {
            // As many descriptors as this process may hold (253 at most per
            // message), in message after message.
            let mut fds: Vec<OwnedFd> = Vec::new();
            while fds.len() < 253 {
                match rt.control().as_fd().try_clone_to_owned() {
                    Ok(fd) => fds.push(fd),
                    Err(_) => break,
                }
            }
            let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|f| f.as_fd()).collect();
            for _ in 0..1000 {
                if !raw_with_fds(rt, b"fds", &borrowed) {
                    break;
                }
            }
        }
        "segv" => {
            // SAFETY: deliberately invalid: this test case exists to crash
            // the renderer with a real SIGSEGV.
            unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
        }
        "abort" => std::process::abort(),
        "exit-clean" => std::process::exit(0),
        "exit-code" => std::process::exit(3),
        _ => {}
    }
    Ok(())
}

fn rt_role(rt: &Runtime) -> Role {
    rt.role()
}
