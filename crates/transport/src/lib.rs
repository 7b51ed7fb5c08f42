//! The transport between the broker and a renderer.
//!
//! Two channels per renderer (see `docs/ARCHITECTURE.md`, "Channels"):
//!
//! * [`control`]: an `AF_UNIX` `SOCK_SEQPACKET` socket pair the broker
//!   creates; the renderer inherits its end as fd 3. Every control message,
//!   in both directions, is one datagram holding one codec-encoded message.
//!   The broker reads it with [`control::ControlSocket::recv_strict`], which
//!   refuses file descriptors, oversized datagrams and truncation, and it
//!   writes without ever blocking.
//! * [`surface`]: an ipc-channel connection the renderer hosts (a one-shot
//!   server) and the broker connects to, carrying only shared-memory
//!   surfaces, broker → renderer. The broker never receives on ipc-channel.

pub mod control;
pub mod surface;

/// The file descriptor number a renderer finds its control socket at.
pub const RENDERER_CONTROL_FD: i32 = 3;

/// The file descriptor number a renderer finds the broker's font pack at
/// (a sealed read-only memfd; see `workshop_common::fontpack`), when the
/// broker passes `--fonts-fd`.
pub const RENDERER_FONTS_FD: i32 = 4;
