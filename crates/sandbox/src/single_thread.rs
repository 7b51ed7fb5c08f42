//! Whether the caller is its process's only thread, asked of the kernel
//! itself rather than of `/proc` (which the empty root takes away).
//!
//! The capability drop, Landlock and seccomp without TSYNC all apply to the
//! calling thread (and threads it creates later) only, so each must run
//! while the renderer has no other thread. `unshare(CLONE_THREAD)` changes
//! nothing for a single-threaded caller and fails with `EINVAL` for any
//! other (`check_unshare_flags` in `kernel/fork.c` refuses it unless the
//! thread group is empty), which makes it an exact, side-effect-free test.
//! Where an outer seccomp filter refuses `unshare` altogether (container
//! runtimes do), the answer falls back to counting `/proc/self/task`: on
//! such a system there is no user namespace, hence no empty root, and
//! `/proc` is still there.

/// Why the caller is not known to be single-threaded.
#[derive(Debug, thiserror::Error)]
pub enum SingleThreadError {
    /// Another thread is alive.
    #[error("another thread is running; the layers must be applied before any starts (they apply per thread)")]
    OtherThreads,
    /// The check itself failed for another reason.
    #[error("asking the kernel whether the process is single-threaded: {0}")]
    Check(#[source] std::io::Error),
}

/// `Ok` if the caller is the only thread of its process.
pub fn ensure() -> Result<(), SingleThreadError> {
    // SAFETY: unshare with a flag that is a no-op for a single thread.
    if unsafe { libc::unshare(libc::CLONE_THREAD) } == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL) => Err(SingleThreadError::OtherThreads),
        Some(libc::EPERM | libc::ENOSYS) => match std::fs::read_dir(TASKS).map(Iterator::count) {
            Ok(1) => Ok(()),
            Ok(_) => Err(SingleThreadError::OtherThreads),
            Err(_) => Err(SingleThreadError::Check(e)),
        },
        _ => Err(SingleThreadError::Check(e)),
    }
}

/// The fallback's view of the threads.
const TASKS: &str = "/proc/self/task";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_second_thread_is_seen() {
        // The test harness runs tests on threads of its own, so this
        // process has several; with one more parked here it certainly does.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || rx.recv());
        let seen = ensure();
        drop(tx);
        other.join().unwrap().unwrap_err();
        assert!(
            matches!(seen, Err(SingleThreadError::OtherThreads)),
            "{seen:?}"
        );
    }
}
