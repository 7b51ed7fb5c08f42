//! The single-instance lock, like Electron's `requestSingleInstanceLock`.
//!
//! The lock *is* the socket: the first `workshop` for a user data directory
//! binds an abstract Unix socket named after this user and that directory
//! ([`socket_name`]: `workshop-<uid>-<hash of the canonical path>`) and
//! listens on it. A second one finds the name taken, connects, says
//! `raise`, and exits 0; the first raises its Main Window (Electron's
//! `second-instance`). The kernel releases the name when the first process
//! exits, however it exits, so a crash never leaves the app unable to start.
//!
//! Why abstract and not a file in the data directory (as it was): a socket
//! path must fit in 108 bytes, so a data directory over ~93 bytes could not
//! start at all; nothing has to be written, so a read-only or full data
//! directory still gets single-instance; and nothing in the file system can
//! be deleted from under a running instance (deleting the data directory,
//! or a stale-looking `instance.sock`, used to let a second primary start
//! or make later starts exit silently). An abstract name belongs to the
//! network namespace, not to a user, so both ends check the other's uid
//! with `SO_PEERCRED`: the primary ignores connections from other users,
//! and a second instance only talks to a name held by its own uid. A name
//! held by another user (squatting) is refused: the app says who holds it
//! and exits [`EXIT_SQUATTED`], rather than run a second primary beside
//! whatever the user's own instance is (or later will be) or hand the
//! squatter anything.
//!
//! Every step of a second instance is bounded by [`NOTIFY_TIMEOUT`]: the
//! connect is non-blocking (a primary that is stopped, or whose backlog is
//! full, does not hold it), and the primary answers `raise` with
//! [`RAISED`] once the request is on its event queue. A primary that does
//! not answer in time (stopped, hung) is reported and the second instance
//! exits [`EXIT_NO_ANSWER`]: the user learns why no window came up, and
//! the start never hangs.
//!
//! Whatever connects is read strictly: at most a few bytes, with a
//! timeout, and only the exact word `raise` does anything.

use std::io::{Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::path::Path;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::core::Event;
use crate::queue::EventSender;

/// What a second instance says.
pub const RAISE: &[u8] = b"raise";
/// What the first instance answers once the raise is queued.
pub const RAISED: &[u8] = b"ok";
/// How long a second instance keeps trying to reach the first, and then
/// waits for its answer.
pub const NOTIFY_TIMEOUT: Duration = Duration::from_millis(800);
/// How often a second instance retries a connect the first instance is
/// not ready for (between its `bind` and `listen`, or a full backlog).
const CONNECT_RETRY: Duration = Duration::from_millis(20);
/// How long the first instance waits for a connection's request.
const REQUEST_TIMEOUT: Duration = Duration::from_millis(500);
/// Exit status when the instance name is held by another user.
pub const EXIT_SQUATTED: u8 = 4;
/// Exit status of a second instance whose first instance did not answer.
pub const EXIT_NO_ANSWER: u8 = 5;

/// Why the lock could not be taken or used.
#[derive(Debug, Error)]
pub enum InstanceError {
    /// The abstract socket could not be bound for another reason than
    /// contention.
    #[error("listen on @{name}: {source}")]
    Listen {
        /// The abstract name.
        name: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The outcome of asking for the lock.
#[derive(Debug)]
pub enum Instance {
    /// We are the only instance.
    Primary(Primary),
    /// Another instance runs; it has been told to raise its window (`told`
    /// is false if it did not answer within [`NOTIFY_TIMEOUT`]).
    Secondary {
        /// Whether the first instance answered.
        told: bool,
    },
    /// The name is held by another user: the app must not run.
    Squatted {
        /// The abstract name.
        name: String,
        /// The uid holding it.
        uid: u32,
    },
}

/// The held name and its listening socket.
#[derive(Debug)]
pub struct Primary {
    listener: UnixListener,
}

/// FNV-1a, 64 bits: stable across builds and Rust versions (std's hasher
/// is not), so every build of the app agrees on the name.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The abstract socket name of `dir` for user `uid` (`dir` as given if it
/// cannot be canonicalised).
pub fn socket_name(dir: &Path, uid: u32) -> String {
    use std::os::unix::ffi::OsStrExt;
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    format!(
        "workshop-{uid}-{:016x}",
        fnv1a(canonical.as_os_str().as_bytes())
    )
}

fn my_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// The uid of the process at the other end of `stream`.
fn peer_uid(stream: &UnixStream) -> Option<u32> {
    rustix::net::sockopt::socket_peercred(stream)
        .ok()
        .map(|c| c.uid.as_raw())
}

/// Takes the lock for `dir`, or tells the instance that holds it.
pub fn acquire(dir: &Path) -> Result<Instance, InstanceError> {
    let name = socket_name(dir, my_uid());
    let listen_err = |source| InstanceError::Listen {
        name: name.clone(),
        source,
    };
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).map_err(listen_err)?;
    match UnixListener::bind_addr(&addr) {
        Ok(listener) => Ok(Instance::Primary(Primary { listener })),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Ok(notify(&name)),
        Err(e) => Err(listen_err(e)),
    }
}

/// Tells the first instance to raise its window and waits for its answer,
/// all within [`NOTIFY_TIMEOUT`]; retries a connect it is not ready for.
fn notify(name: &str) -> Instance {
    let deadline = Instant::now() + NOTIFY_TIMEOUT;
    loop {
        match connect_now(name) {
            Ok(s) => match peer_uid(&s) {
                Some(uid) if uid == my_uid() => {
                    return Instance::Secondary {
                        told: ask_to_raise(s, deadline),
                    }
                }
                Some(uid) => {
                    return Instance::Squatted {
                        name: name.to_owned(),
                        uid,
                    }
                }
                None => {}
            },
            Err(e) => tracing::debug!(error = %e, "instance socket not ready"),
        }
        if Instant::now() >= deadline {
            return Instance::Secondary { told: false };
        }
        // A primary between `bind` and `listen`, or with a full backlog:
        // there is no event to wait on for that, so poll briefly.
        std::thread::sleep(CONNECT_RETRY);
    }
}

/// A non-blocking connect to the abstract `name`: refused or would-block
/// come back at once instead of waiting on a primary that does not accept.
fn connect_now(name: &str) -> std::io::Result<UnixStream> {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let fd = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )?;
    let addr = SocketAddrUnix::new_abstract_name(name.as_bytes())?;
    rustix::net::connect(&fd, &addr)?;
    let stream = UnixStream::from(fd);
    stream.set_nonblocking(false)?;
    Ok(stream)
}

/// Says `raise` and waits until `deadline` for [`RAISED`].
fn ask_to_raise(mut s: UnixStream, deadline: Instant) -> bool {
    let left = || {
        Some(
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
        )
    };
    if s.set_write_timeout(left()).is_err()
        || s.write_all(RAISE).is_err()
        || s.shutdown(std::net::Shutdown::Write).is_err()
        || s.set_read_timeout(left()).is_err()
    {
        return false;
    }
    let mut answer = [0u8; 4];
    let mut len = 0;
    while len < answer.len() {
        match s.read(&mut answer[len..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => len += n,
        }
    }
    &answer[..len] == RAISED
}

impl Primary {
    /// Starts the thread that turns `raise` into [`Event::SecondInstance`].
    pub fn listen(self, events: EventSender) -> std::io::Result<()> {
        let me = my_uid();
        std::thread::Builder::new()
            .name("single-instance".into())
            .spawn(move || {
                for stream in self.listener.incoming() {
                    let Ok(mut stream) = stream else { continue };
                    let uid = peer_uid(&stream);
                    if uid != Some(me) {
                        tracing::warn!(
                            peer_uid = uid,
                            "connection to the instance socket from another user; ignored"
                        );
                        continue;
                    }
                    let _ = stream.set_read_timeout(Some(REQUEST_TIMEOUT));
                    let _ = stream.set_write_timeout(Some(REQUEST_TIMEOUT));
                    let mut buf = [0u8; 16];
                    let mut len = 0;
                    while len < buf.len() {
                        match stream.read(&mut buf[len..]) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => len += n,
                        }
                    }
                    if &buf[..len] == RAISE {
                        if !events.send(Event::SecondInstance) {
                            return;
                        }
                        // The second instance waits for this (bounded).
                        let _ = stream.write_all(RAISED);
                    } else {
                        tracing::warn!(
                            bytes = len,
                            "unexpected message on the instance socket; ignored"
                        );
                    }
                }
                // `incoming` never ends; the name is held by this thread for
                // the life of the process.
                drop(self);
            })
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_second_acquire_is_secondary_and_the_name_is_released_with_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let Instance::Primary(first) = acquire(dir.path()).unwrap() else {
            panic!("first should be primary")
        };
        let listener = first.listener.try_clone().unwrap();
        let t = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).unwrap();
            s.write_all(RAISED).unwrap();
            buf
        });
        let Instance::Secondary { told } = acquire(dir.path()).unwrap() else {
            panic!("second should be secondary")
        };
        assert!(told);
        assert_eq!(t.join().unwrap(), RAISE);
        drop(first);
        // Released with the first: a third may be primary.
        assert!(matches!(acquire(dir.path()).unwrap(), Instance::Primary(_)));
    }

    #[test]
    fn the_name_fits_whatever_the_path_and_follows_symlinks() {
        let base = tempfile::tempdir().unwrap();
        let long = base.path().join("d".repeat(200)).join("e".repeat(200));
        let name = socket_name(&long, 1000);
        assert!(name.len() < 64, "{name}");
        assert!(name.starts_with("workshop-1000-"), "{name}");
        let real = base.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(socket_name(&real, 7), socket_name(&link, 7));
        assert_ne!(socket_name(&real, 7), socket_name(&real, 8));
        assert_ne!(socket_name(&real, 7), socket_name(&long, 7));
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // Test vectors of FNV-1a 64.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
