//! The receive thread of one renderer: read strictly, decode, forward.
//!
//! It owns nothing but a handle on the control socket, a buffer and the
//! child for reaping. It never calls ipc-channel, never touches app state,
//! and stops forwarding after the first refused datagram (the core kills
//! the renderer; there is nothing more worth reading). When the socket
//! closes it reaps the process, waits (briefly) for the stderr relay to
//! reach end of file so everything the renderer said is reported first, and
//! reports how it ended.

use std::os::unix::process::ExitStatusExt;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use workshop_common::codec;
use workshop_common::{RendererToBroker, Role};
use workshop_transport::control::{ControlSocket, Strict, StrictError, MAX_MESSAGE_BYTES};

use super::relay;
use crate::core::{Event, ExitKind, Fault, RendererEvent};
use crate::queue::EventSender;

/// Starts the thread.
pub fn start(
    role: Role,
    generation: u32,
    socket: ControlSocket,
    child: Child,
    events: EventSender,
    condemned: Arc<AtomicBool>,
    stderr: relay::Finished,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(format!("recv-{}-{generation}", role.as_str()))
        .spawn(move || run(role, generation, socket, child, events, condemned, stderr))
        .map(|_| ())
}

fn run(
    role: Role,
    generation: u32,
    socket: ControlSocket,
    mut child: Child,
    events: EventSender,
    condemned: Arc<AtomicBool>,
    stderr: relay::Finished,
) {
    let mut buf = Box::new([0u8; MAX_MESSAGE_BYTES]);
    let send = |event| {
        events.send(Event::Renderer {
            role,
            generation,
            event,
        })
    };
    loop {
        let event = match socket.recv_strict(&mut buf) {
            Ok(Strict::Closed) => {
                send(RendererEvent::Disconnected);
                break;
            }
            Ok(Strict::Datagram { len, pid }) => {
                let decoded = codec::decode::<RendererToBroker>(&buf[..len]);
                // The buffer may hold a password: clear what was used.
                buf[..len].fill(0);
                match decoded {
                    Ok(msg) => RendererEvent::Message {
                        msg,
                        size: len,
                        pid,
                    },
                    Err(e) => RendererEvent::Fault {
                        fault: Fault::Undecodable(e),
                        size: len,
                        pid: Some(pid),
                    },
                }
            }
            Err(e) => {
                let (fault, size) = match e {
                    StrictError::FdsAttached { count } => (Fault::FdsAttached { count }, 0),
                    StrictError::TooLarge { len } => (Fault::TooLarge { len }, len),
                    StrictError::ControlTruncated => (Fault::ControlTruncated, 0),
                    StrictError::MissingCredentials => (Fault::MissingCredentials, 0),
                    StrictError::Empty => (Fault::Empty, 0),
                    StrictError::UnknownControl { level, kind } => {
                        (Fault::UnknownControl { level, kind }, 0)
                    }
                    StrictError::Io(e) => (Fault::ReadFailed(e.to_string()), 0),
                };
                RendererEvent::Fault {
                    fault,
                    size,
                    pid: None,
                }
            }
        };
        if condemned.load(Ordering::Acquire) {
            // The broker has killed this renderer; what it still says is
            // not worth a turn of the event loop.
            break;
        }
        let stop = matches!(event, RendererEvent::Fault { .. });
        if !send(event) {
            // The event loop is gone; the process will die with us.
            return;
        }
        if stop {
            break;
        }
    }
    drop(socket);
    let exit = match child.wait() {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => ExitKind::Code(code),
            (None, Some(sig)) => ExitKind::Signal(sig),
            (None, None) => ExitKind::Code(-1),
        },
        Err(e) => {
            tracing::error!(role = role.as_str(), generation, error = %e, "could not reap renderer");
            ExitKind::Code(-1)
        }
    };
    // The relay's last reports (a sandbox violation) come before the exit.
    if !stderr.wait(relay::DRAIN_GRACE) {
        tracing::debug!(
            role = role.as_str(),
            generation,
            "stderr still open after the renderer exited"
        );
    }
    send(RendererEvent::Exited(exit));
}
