//! The control socket: one `SOCK_SEQPACKET` datagram per message.
//!
//! Why not ipc-channel for control messages: ipc-channel's unix `recv`
//! trusts the sender's fragment header (a forged `total_size` aborts the
//! receiving process, a mismatched size hangs it, attached fds are installed
//! and leak), its bytes receiver has no timed receive, and its `send` blocks
//! when the peer stops reading. The broker must survive a hostile renderer
//! and must never block on one, so it owns this socket and reads it with
//! [`ControlSocket::recv_strict`]:
//!
//! * the datagram is received into a fixed buffer of
//!   [`MAX_MESSAGE_BYTES`] with `MSG_TRUNC`, so a larger one is *measured*,
//!   never allocated, and refused;
//! * `SO_PASSCRED` makes the kernel attach the sender's pid to every
//!   datagram; any other control message, in particular `SCM_RIGHTS`, is
//!   refused and the descriptors it carried are closed on the spot
//!   (`MSG_CMSG_CLOEXEC` keeps them out of any child spawned meanwhile); a
//!   control message of any type other than credentials and descriptors is
//!   refused too ([`StrictError::UnknownControl`]);
//! * truncated control data, a datagram without credentials and an empty
//!   datagram are refused.
//!
//! The broker writes with `MSG_DONTWAIT`: a renderer that stops reading
//! fills its queue and is declared unresponsive instead of freezing the
//! broker. The renderer's side ([`ControlSocket::send`],
//! [`ControlSocket::recv_timeout`]) trusts the broker.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::event::{poll, PollFd, PollFlags};
use rustix::net::{
    recv, recvmsg, send, socketpair, sockopt, AddressFamily, RecvAncillaryBuffer,
    RecvAncillaryMessage, RecvFlags, ReturnFlags, SendFlags, SocketFlags, SocketType,
};
use thiserror::Error;
pub use workshop_common::codec::MAX_MESSAGE_BYTES;

/// `SOL_SOCKET` and the two control message types the strict reader knows
/// (`<linux/socket.h>`); any other type is refused.
const SOL_SOCKET: i32 = 1;
const SCM_RIGHTS: i32 = 1;
const SCM_CREDENTIALS: i32 = 2;

/// Room for the one credentials message we expect plus one descriptor, so
/// that a datagram carrying descriptors is seen (and its descriptors closed)
/// rather than silently truncated. The kernel releases descriptors that do
/// not fit without installing them.
const CMSG_SPACE: usize = rustix::cmsg_space!(ScmCredentials(1), ScmRights(1));

/// Why the broker refused a datagram. The peer that sent it is hostile.
#[derive(Debug, Error)]
pub enum StrictError {
    /// The datagram carried file descriptors (now closed).
    #[error("datagram carried {count} file descriptor(s)")]
    FdsAttached {
        /// How many were received (more may have been released by the kernel).
        count: usize,
    },
    /// The datagram was longer than [`MAX_MESSAGE_BYTES`].
    #[error("datagram of {len} bytes exceeds the {MAX_MESSAGE_BYTES}-byte limit")]
    TooLarge {
        /// Its real length.
        len: usize,
    },
    /// The kernel had to truncate the control data.
    #[error("control data truncated")]
    ControlTruncated,
    /// The datagram arrived without sender credentials.
    #[error("datagram without sender credentials")]
    MissingCredentials,
    /// A zero-length datagram.
    #[error("empty datagram")]
    Empty,
    /// A control message of a type the reader does not know (neither
    /// credentials nor descriptors).
    #[error("unknown control message (level {level}, type {kind})")]
    UnknownControl {
        /// Its `cmsg_level`.
        level: i32,
        /// Its `cmsg_type`.
        kind: i32,
    },
    /// The socket failed.
    #[error("receive failed: {0}")]
    Io(#[from] io::Error),
}

/// A datagram accepted by [`ControlSocket::recv_strict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strict {
    /// `len` bytes at the start of the buffer, sent by process `pid` (as
    /// the kernel saw it, in the broker's pid namespace).
    Datagram {
        /// Length.
        len: usize,
        /// Sender pid.
        pid: u32,
    },
    /// The peer closed its end.
    Closed,
}

/// Outcome of a non-blocking send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The datagram is queued at the peer.
    Queued,
    /// The peer's queue is full: it is not reading.
    WouldBlock,
}

/// Why a send failed.
#[derive(Debug, Error)]
pub enum SendError {
    /// The peer has gone.
    #[error("peer closed the socket")]
    Closed,
    /// The message is larger than the protocol allows.
    #[error("message of {len} bytes exceeds the {MAX_MESSAGE_BYTES}-byte limit")]
    TooLarge {
        /// Its length.
        len: usize,
    },
    /// The socket failed.
    #[error("send failed: {0}")]
    Io(io::Error),
}

/// Outcome of the renderer's receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// `len` bytes at the start of the buffer.
    Message(usize),
    /// The timeout passed first.
    Timeout,
    /// The broker closed its end.
    Closed,
}

/// Why the renderer's receive failed.
#[derive(Debug, Error)]
pub enum RecvError {
    /// The broker sent more than the buffer holds (a broker bug).
    #[error("datagram of {len} bytes exceeds the buffer")]
    TooLarge {
        /// Its real length.
        len: usize,
    },
    /// The socket failed.
    #[error("receive failed: {0}")]
    Io(io::Error),
}

/// Why an inherited descriptor is not a usable control socket.
#[derive(Debug, Error)]
pub enum InheritError {
    /// `getsockopt(SO_TYPE)` failed: not a socket.
    #[error("fd is not a socket: {0}")]
    NotASocket(io::Error),
    /// A socket of another type.
    #[error("fd is a {0:?} socket, not SOCK_SEQPACKET")]
    WrongType(SocketType),
}

/// One end of a control socket pair.
#[derive(Debug)]
pub struct ControlSocket {
    fd: OwnedFd,
}

/// Creates a pair: the broker's end (with `SO_PASSCRED`, close-on-exec) and
/// the descriptor to hand to the renderer (close-on-exec too; the spawner
/// `dup2`s it to fd 3 in the child, which clears the flag there only).
pub fn pair() -> io::Result<(ControlSocket, OwnedFd)> {
    let (broker, renderer) = socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )?;
    sockopt::set_socket_passcred(&broker, true)?;
    Ok((ControlSocket { fd: broker }, renderer))
}

impl ControlSocket {
    /// Wraps an inherited descriptor after checking it is a seqpacket socket.
    pub fn from_inherited(fd: OwnedFd) -> Result<ControlSocket, InheritError> {
        match sockopt::socket_type(&fd) {
            Ok(SocketType::SEQPACKET) => Ok(ControlSocket { fd }),
            Ok(other) => Err(InheritError::WrongType(other)),
            Err(e) => Err(InheritError::NotASocket(e.into())),
        }
    }

    /// A second handle on the same socket (for a reader thread).
    pub fn try_clone(&self) -> io::Result<ControlSocket> {
        Ok(ControlSocket {
            fd: self.fd.try_clone()?,
        })
    }

    /// Renderer side: sends one datagram, blocking while the queue is full.
    pub fn send(&self, bytes: &[u8]) -> Result<(), SendError> {
        self.send_with(bytes, SendFlags::NOSIGNAL).map(|_| ())
    }

    /// Broker side: sends one datagram without blocking.
    pub fn try_send(&self, bytes: &[u8]) -> Result<Sent, SendError> {
        self.send_with(bytes, SendFlags::NOSIGNAL | SendFlags::DONTWAIT)
    }

    fn send_with(&self, bytes: &[u8], flags: SendFlags) -> Result<Sent, SendError> {
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(SendError::TooLarge { len: bytes.len() });
        }
        loop {
            match send(&self.fd, bytes, flags) {
                Ok(_) => return Ok(Sent::Queued),
                Err(rustix::io::Errno::INTR) => continue,
                Err(rustix::io::Errno::AGAIN) => return Ok(Sent::WouldBlock),
                Err(rustix::io::Errno::PIPE | rustix::io::Errno::CONNRESET) => {
                    return Err(SendError::Closed)
                }
                Err(e) => return Err(SendError::Io(e.into())),
            }
        }
    }

    /// Renderer side: waits up to `timeout` (forever if `None`) for one
    /// datagram and copies it into `buf`.
    pub fn recv_timeout(
        &self,
        buf: &mut [u8],
        timeout: Option<Duration>,
    ) -> Result<Received, RecvError> {
        if let Some(t) = timeout {
            let ts = rustix::time::Timespec {
                tv_sec: t.as_secs().min(i64::MAX as u64) as i64,
                tv_nsec: i64::from(t.subsec_nanos()),
            };
            let mut fds = [PollFd::new(&self.fd, PollFlags::IN)];
            loop {
                match poll(&mut fds, Some(&ts)) {
                    Ok(0) => return Ok(Received::Timeout),
                    Ok(_) => break,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(RecvError::Io(e.into())),
                }
            }
        }
        loop {
            match recv(&self.fd, &mut *buf, RecvFlags::TRUNC) {
                Ok((_, 0)) => return Ok(Received::Closed),
                Ok((_, len)) if len > buf.len() => return Err(RecvError::TooLarge { len }),
                Ok((_, len)) => return Ok(Received::Message(len)),
                Err(rustix::io::Errno::INTR) => continue,
                Err(rustix::io::Errno::CONNRESET) => return Ok(Received::Closed),
                Err(e) => return Err(RecvError::Io(e.into())),
            }
        }
    }

    /// Broker side: blocks for one datagram from the renderer and accepts
    /// it only if it is well-formed (see the module docs). `buf` must hold
    /// [`MAX_MESSAGE_BYTES`].
    pub fn recv_strict(&self, buf: &mut [u8; MAX_MESSAGE_BYTES]) -> Result<Strict, StrictError> {
        // Zeroed, so that after the kernel's write the headers can be walked
        // without knowing `msg_controllen` (a zero `cmsg_len` ends the walk).
        let mut space = [MaybeUninit::<u8>::new(0); CMSG_SPACE];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let msg = loop {
            let mut iov = [io::IoSliceMut::new(&mut buf[..])];
            match recvmsg(
                &self.fd,
                &mut iov,
                &mut control,
                RecvFlags::TRUNC | RecvFlags::CMSG_CLOEXEC,
            ) {
                Ok(msg) => break msg,
                Err(rustix::io::Errno::INTR) => continue,
                Err(rustix::io::Errno::CONNRESET) => return Ok(Strict::Closed),
                Err(e) => return Err(StrictError::Io(e.into())),
            }
        };
        // Inspect every control message. Descriptors are `OwnedFd`s here and
        // are closed when the iterator drops them.
        let mut pid = None;
        let mut fds = 0usize;
        for cmsg in control.drain() {
            match cmsg {
                RecvAncillaryMessage::ScmCredentials(cred) => {
                    pid = Some(cred.pid.as_raw_nonzero().get() as u32);
                }
                RecvAncillaryMessage::ScmRights(rights) => {
                    fds += rights.count();
                }
                // rustix's drain skips types it does not know and marks the
                // enum non-exhaustive; unknown types are refused below from
                // the raw headers, which see everything the kernel wrote.
                _ => {}
            }
        }
        drop(control);
        if fds > 0 {
            return Err(StrictError::FdsAttached { count: fds });
        }
        if let Some((level, kind)) = first_unknown_control(&initialized(&space)) {
            return Err(StrictError::UnknownControl { level, kind });
        }
        if msg.flags.contains(ReturnFlags::CTRUNC) {
            return Err(StrictError::ControlTruncated);
        }
        if msg.bytes > MAX_MESSAGE_BYTES || msg.flags.contains(ReturnFlags::TRUNC) {
            return Err(StrictError::TooLarge { len: msg.bytes });
        }
        match (msg.bytes, pid) {
            // End of stream carries no credentials; a datagram always does.
            (0, None) => Ok(Strict::Closed),
            (0, Some(_)) => Err(StrictError::Empty),
            (_, None) => Err(StrictError::MissingCredentials),
            (len, Some(pid)) => Ok(Strict::Datagram { len, pid }),
        }
    }

    /// Shuts the socket down in both directions, waking a reader blocked in
    /// [`ControlSocket::recv_strict`] on another handle.
    pub fn shutdown(&self) {
        // Failure means it is already shut down or closed; either is fine.
        let _ = rustix::net::shutdown(&self.fd, rustix::net::Shutdown::Both);
    }
}

/// The control buffer's bytes. It was initialised to zeros before
/// `recvmsg`, which only ever writes initialised bytes into it.
fn initialized(space: &[MaybeUninit<u8>; CMSG_SPACE]) -> [u8; CMSG_SPACE] {
    let mut out = [0u8; CMSG_SPACE];
    for (o, b) in out.iter_mut().zip(space.iter()) {
        // SAFETY: every element was written with `MaybeUninit::new(0)` when
        // the buffer was created, and the kernel only overwrote some of them
        // with bytes; none is uninitialised.
        *o = unsafe { b.assume_init() };
    }
    out
}

/// Walks the `cmsghdr`s the kernel wrote into a zeroed control buffer and
/// returns the level and type of the first one that is neither
/// `SCM_CREDENTIALS` nor `SCM_RIGHTS`. Each header is `cmsg_len: usize`,
/// `cmsg_level: i32`, `cmsg_type: i32`, and the next header starts at
/// `cmsg_len` rounded up to `usize` alignment; a `cmsg_len` shorter than a
/// header (the zeroed tail) ends the walk.
fn first_unknown_control(raw: &[u8]) -> Option<(i32, i32)> {
    const WORD: usize = std::mem::size_of::<usize>();
    const HEADER: usize = WORD + 8;
    let mut at = 0usize;
    while let Some(header) = raw.get(at..at + HEADER) {
        let (len, rest) = header.split_at(WORD);
        let (level, kind) = rest.split_at(4);
        let len = usize::from_ne_bytes(len.try_into().ok()?);
        let level = i32::from_ne_bytes(level.try_into().ok()?);
        let kind = i32::from_ne_bytes(kind.try_into().ok()?);
        if len < HEADER {
            return None;
        }
        if level != SOL_SOCKET || (kind != SCM_RIGHTS && kind != SCM_CREDENTIALS) {
            return Some((level, kind));
        }
        at = at.checked_add(len.checked_next_multiple_of(WORD)?)?;
    }
    None
}

impl AsFd for ControlSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn peer(fd: OwnedFd) -> ControlSocket {
        ControlSocket::from_inherited(fd).unwrap()
    }

    #[test]
    fn a_datagram_arrives_with_the_senders_pid() {
        let (broker, r) = pair().unwrap();
        let r = peer(r);
        r.send(b"hello").unwrap();
        let mut buf = Box::new([0u8; MAX_MESSAGE_BYTES]);
        let got = broker.recv_strict(&mut buf).unwrap();
        assert_eq!(
            got,
            Strict::Datagram {
                len: 5,
                pid: std::process::id()
            }
        );
        assert_eq!(&buf[..5], b"hello");
    }

    #[test]
    fn end_of_stream_and_empty_datagram_are_told_apart() {
        let (broker, r) = pair().unwrap();
        let r = peer(r);
        r.send(b"").unwrap();
        let mut buf = Box::new([0u8; MAX_MESSAGE_BYTES]);
        assert!(matches!(
            broker.recv_strict(&mut buf),
            Err(StrictError::Empty)
        ));
        drop(r);
        assert_eq!(broker.recv_strict(&mut buf).unwrap(), Strict::Closed);
    }

    #[test]
    fn an_oversized_datagram_is_measured_not_accepted() {
        let (broker, r) = pair().unwrap();
        let big = vec![7u8; MAX_MESSAGE_BYTES + 100];
        // Bypass the sender-side check to act as a hostile peer.
        send(&r, &big, SendFlags::empty()).unwrap();
        let mut buf = Box::new([0u8; MAX_MESSAGE_BYTES]);
        match broker.recv_strict(&mut buf) {
            Err(StrictError::TooLarge { len }) => assert_eq!(len, MAX_MESSAGE_BYTES + 100),
            other => panic!("{other:?}"),
        }
        // The next datagram is read normally.
        send(&r, b"ok", SendFlags::empty()).unwrap();
        assert!(matches!(
            broker.recv_strict(&mut buf).unwrap(),
            Strict::Datagram { len: 2, .. }
        ));
    }

    /// One `cmsghdr` as the kernel lays it out, padded to `usize` alignment.
    fn cmsg(level: i32, kind: i32, payload: &[u8]) -> Vec<u8> {
        let word = std::mem::size_of::<usize>();
        let len = word + 8 + payload.len();
        let mut out = Vec::new();
        out.extend_from_slice(&len.to_ne_bytes());
        out.extend_from_slice(&level.to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(payload);
        out.resize(len.next_multiple_of(word), 0);
        out
    }

    #[test]
    fn a_control_message_of_an_unknown_type_is_refused() {
        let creds = cmsg(SOL_SOCKET, SCM_CREDENTIALS, &[1; 12]);
        let rights = cmsg(SOL_SOCKET, SCM_RIGHTS, &[2; 4]);
        // SCM_PIDFD (4) and SCM_SECURITY (3) are what SO_PASSPIDFD and
        // SO_PASSSEC would add; an unknown level is refused as well.
        for (level, kind) in [(SOL_SOCKET, 4), (SOL_SOCKET, 3), (41, SCM_RIGHTS)] {
            let mut raw = creds.clone();
            raw.extend_from_slice(&cmsg(level, kind, &[3; 4]));
            raw.resize(CMSG_SPACE.max(raw.len()) + 32, 0);
            assert_eq!(first_unknown_control(&raw), Some((level, kind)));
        }
        let mut known = creds.clone();
        known.extend_from_slice(&rights);
        known.resize(CMSG_SPACE.max(known.len()) + 32, 0);
        assert_eq!(first_unknown_control(&known), None);
        assert_eq!(first_unknown_control(&[0; CMSG_SPACE]), None);
    }

    #[test]
    fn try_send_reports_a_full_queue_instead_of_blocking() {
        let (broker, r) = pair().unwrap();
        let _r = peer(r);
        let msg = [0u8; 1024];
        let mut queued = 0;
        while broker.try_send(&msg).unwrap() == Sent::Queued {
            queued += 1;
            assert!(queued < 100_000, "never filled");
        }
        assert!(queued > 0);
    }

    #[test]
    fn renderer_receive_times_out_and_sees_close() {
        let (broker, r) = pair().unwrap();
        let r = peer(r);
        let mut buf = [0u8; 64];
        assert_eq!(
            r.recv_timeout(&mut buf, Some(Duration::from_millis(1)))
                .unwrap(),
            Received::Timeout
        );
        assert_eq!(broker.try_send(b"abc").unwrap(), Sent::Queued);
        assert_eq!(
            r.recv_timeout(&mut buf, Some(Duration::from_secs(5)))
                .unwrap(),
            Received::Message(3)
        );
        drop(broker);
        assert_eq!(r.recv_timeout(&mut buf, None).unwrap(), Received::Closed);
        assert!(matches!(r.send(b"x"), Err(SendError::Closed)));
    }

    #[test]
    fn inherited_fd_must_be_a_seqpacket_socket() {
        let (a, _b) = socketpair(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        assert!(matches!(
            ControlSocket::from_inherited(a),
            Err(InheritError::WrongType(_))
        ));
        let f: OwnedFd = std::fs::File::open("/proc/self/stat").unwrap().into();
        assert!(matches!(
            ControlSocket::from_inherited(f),
            Err(InheritError::NotASocket(_))
        ));
    }
}
