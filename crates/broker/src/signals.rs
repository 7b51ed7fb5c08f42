//! SIGTERM, SIGINT and SIGHUP as a graceful shutdown.
//!
//! Without this the default action kills the broker on the spot: no flush
//! of `settings.json`, no word in the log. No signal handler is installed
//! (a handler may only touch async-signal-safe state, which is why most of
//! them end up as global flags): [`block`] blocks the three signals in the
//! calling thread before any other thread exists, so every thread inherits
//! the mask and none of them is ever interrupted; [`Blocked::listen`] then
//! starts one thread that takes them synchronously with `sigwait` and turns
//! the first into [`Event::Shutdown`] on the event queue, which wakes the
//! event loop like any other producer (winit's `EventLoopProxy` on the
//! desktop). The core then quits as if the Main Window were closed: windows
//! closed (their positions read first), settings flushed, renderers told to
//! shut down, exit 0. A second signal while that runs exits at once with
//! the conventional `128 + signal` status.
//!
//! Renderers do not inherit the mask: std's `Command` clears the signal
//! mask in the child before our `pre_exec` runs.

use std::io;

use thiserror::Error;

use crate::core::{Event, ShutdownCause};
use crate::queue::EventSender;

/// The signals that mean "quit".
pub const SHUTDOWN_SIGNALS: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

/// Why the signals could not be taken over.
#[derive(Debug, Error)]
pub enum SignalError {
    /// `pthread_sigmask` failed.
    #[error("block SIGTERM/SIGINT/SIGHUP: {0}")]
    Block(io::Error),
    /// The signal thread could not be started.
    #[error("start the signal thread: {0}")]
    Thread(io::Error),
}

/// The shutdown signals, blocked in this thread (and every thread started
/// after it); nothing takes them until [`Blocked::listen`].
#[derive(Debug)]
pub struct Blocked {
    set: SigSet,
}

/// A `sigset_t` that can move to the signal thread.
#[derive(Clone, Copy)]
struct SigSet(libc::sigset_t);

impl std::fmt::Debug for SigSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigSet(SIGTERM|SIGINT|SIGHUP)")
    }
}

/// Blocks [`SHUTDOWN_SIGNALS`] in the calling thread. Call it first, before
/// any thread is started, so that no thread is left to take them with the
/// default action.
pub fn block() -> Result<Blocked, SignalError> {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set it is given; sigaddset only
    // writes into that initialised set, with valid signal numbers.
    let set = unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        for sig in SHUTDOWN_SIGNALS {
            libc::sigaddset(set.as_mut_ptr(), sig);
        }
        set.assume_init()
    };
    // SAFETY: `set` is an initialised sigset_t; the old mask is not asked for.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(SignalError::Block(io::Error::from_raw_os_error(rc)));
    }
    Ok(Blocked { set: SigSet(set) })
}

/// The name of a shutdown signal.
pub fn name(sig: libc::c_int) -> &'static str {
    match sig {
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGHUP => "SIGHUP",
        _ => "signal",
    }
}

impl Blocked {
    /// Starts the thread that turns the first signal into
    /// [`Event::Shutdown`] and a second one into an immediate exit.
    pub fn listen(self, events: EventSender) -> Result<(), SignalError> {
        let set = self.set;
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let set = set;
                let mut asked = false;
                loop {
                    let mut sig: libc::c_int = 0;
                    // SAFETY: `set` is an initialised sigset_t and `sig` a
                    // valid place for the result; the signals in it are
                    // blocked in every thread, so sigwait is the only taker.
                    let rc = unsafe { libc::sigwait(&set.0, &mut sig) };
                    if rc != 0 {
                        tracing::error!(error = %io::Error::from_raw_os_error(rc), "sigwait failed; signals are no longer handled");
                        return;
                    }
                    let signal = name(sig);
                    if asked {
                        tracing::warn!(signal, "second signal during shutdown; exiting now");
                        std::process::exit(128 + sig);
                    }
                    asked = true;
                    if !events.send(Event::Shutdown(ShutdownCause::Signal(signal))) {
                        // The loop has already gone: nothing left to flush.
                        std::process::exit(128 + sig);
                    }
                }
            })
            .map(|_| ())
            .map_err(SignalError::Thread)
    }
}
