//! The single-instance lock, like Electron's `requestSingleInstanceLock`.
//!
//! The first `workshop` for a user data directory takes an exclusive
//! `flock` on `DIR/instance.lock` and listens on `DIR/instance.sock`. A
//! second one finds the lock taken, connects, says `raise`, and exits 0; the
//! first raises its Main Window (Electron's `second-instance`). The lock is
//! released by the kernel when the first process exits, however it exits,
//! so a crash never leaves the app unable to start.
//!
//! Whatever connects to the socket is another local process of the same
//! user, but it is still read strictly: at most a few bytes, with a
//! timeout, and only the exact word `raise` does anything.
//!
//! The directory is private ([`crate::private`]: 0700, ours, refused if
//! others may write to it); the lock file is opened without following a
//! symlink or blocking on a FIFO, must be a regular file, and is 0600; the
//! socket is set to 0600 once bound, whatever the umask.

use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{flock, FlockOperation};
use thiserror::Error;

use crate::core::Event;
use crate::private::{self, PrivateError, FILE_MODE};
use crate::queue::EventSender;

/// The lock file's name.
pub const LOCK_FILE: &str = "instance.lock";
/// The socket's name.
pub const SOCKET_FILE: &str = "instance.sock";
/// What a second instance says.
pub const RAISE: &[u8] = b"raise";
/// How long a second instance keeps trying to reach the first.
pub const NOTIFY_TIMEOUT: Duration = Duration::from_millis(800);

/// Why the lock could not be taken or used.
#[derive(Debug, Error)]
pub enum InstanceError {
    /// The user data directory could not be created, or is not private.
    #[error("user data directory: {0}")]
    DataDir(#[from] PrivateError),
    /// The lock file could not be opened.
    #[error("open {path}: {source}")]
    OpenLock {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The lock file is not a regular file (a FIFO, a device…).
    #[error("{path} is not a regular file; refusing to use it")]
    LockNotRegular {
        /// The file.
        path: PathBuf,
    },
    /// The lock file's mode could not be set.
    #[error("lock file: {0}")]
    LockMode(PrivateError),
    /// `flock` failed for another reason than contention.
    #[error("lock {path}: {source}")]
    Lock {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The socket could not be bound.
    #[error("listen on {path}: {source}")]
    Listen {
        /// The socket.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The bound socket's mode could not be set to 0600.
    #[error("set mode 600 on {path}: {source}")]
    SocketMode {
        /// The socket.
        path: PathBuf,
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
    /// is false if it could not be reached in time).
    Secondary {
        /// Whether the first instance got the message.
        told: bool,
    },
}

/// The held lock and the listening socket.
#[derive(Debug)]
pub struct Primary {
    _lock: std::fs::File,
    listener: UnixListener,
}

/// Takes the lock for `dir`, or tells the instance that holds it.
pub fn acquire(dir: &Path) -> Result<Instance, InstanceError> {
    private::ensure_dir(dir)?;
    let lock_path = dir.join(LOCK_FILE);
    let socket_path = dir.join(SOCKET_FILE);
    // No symlink followed, no wait for a FIFO's writer.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&lock_path)
        .map_err(|source| InstanceError::OpenLock {
            path: lock_path.clone(),
            source,
        })?;
    let meta = lock.metadata().map_err(|source| InstanceError::OpenLock {
        path: lock_path.clone(),
        source,
    })?;
    if !meta.file_type().is_file() {
        return Err(InstanceError::LockNotRegular { path: lock_path });
    }
    if meta.permissions().mode() & 0o7777 != FILE_MODE {
        private::set_mode(&lock, &lock_path, FILE_MODE).map_err(InstanceError::LockMode)?;
    }
    match flock(&lock, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) => {
            return Ok(Instance::Secondary {
                told: notify(&socket_path),
            })
        }
        Err(e) => {
            return Err(InstanceError::Lock {
                path: lock_path,
                source: e.into(),
            })
        }
    }
    // We hold the lock, so any socket file is a stale one from a crash.
    let _ = std::fs::remove_file(&socket_path);
    let listener = UnixListener::bind(&socket_path).map_err(|source| InstanceError::Listen {
        path: socket_path.clone(),
        source,
    })?;
    // bind() applied the umask; the private directory already keeps other
    // users out, and this makes the socket itself 0600 too. The path was
    // created by the bind just above, in a directory only we can write.
    std::fs::set_permissions(&socket_path, std::fs::Permissions::from_mode(FILE_MODE)).map_err(
        |source| InstanceError::SocketMode {
            path: socket_path.clone(),
            source,
        },
    )?;
    Ok(Instance::Primary(Primary {
        _lock: lock,
        listener,
    }))
}

/// Tells the first instance to raise its window; retries while it is still
/// starting (it takes the lock before it binds the socket).
fn notify(socket: &Path) -> bool {
    let deadline = Instant::now() + NOTIFY_TIMEOUT;
    loop {
        if let Ok(mut s) = UnixStream::connect(socket) {
            let _ = s.set_write_timeout(Some(NOTIFY_TIMEOUT));
            if s.write_all(RAISE).is_ok() {
                return true;
            }
        }
        if Instant::now() >= deadline {
            return false;
        }
        // Waiting for another process to finish starting: there is no event
        // to wait on for a socket that does not exist yet, so poll briefly.
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Primary {
    /// Starts the thread that turns `raise` into [`Event::SecondInstance`].
    pub fn listen(self, events: EventSender) -> std::io::Result<()> {
        std::thread::Builder::new()
            .name("single-instance".into())
            .spawn(move || {
                for stream in self.listener.incoming() {
                    let Ok(mut stream) = stream else { continue };
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
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
                    } else {
                        tracing::warn!(
                            bytes = len,
                            "unexpected message on the instance socket; ignored"
                        );
                    }
                }
                // `incoming` never ends; the lock is held by this thread for
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
    fn the_second_acquire_in_another_process_is_secondary() {
        // flock is per open file description: a second open in this process
        // contends like another process would.
        let dir = tempfile::tempdir().unwrap();
        let Instance::Primary(first) = acquire(dir.path()).unwrap() else {
            panic!("first should be primary")
        };
        let listener = first.listener.try_clone().unwrap();
        let t = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).unwrap();
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
}
