//! The two one-way process flags that come first in the lockdown.
//!
//! * `no_new_privs`: `execve` can never grant privileges again (set-uid bits
//!   and file capabilities are ignored). The kernel requires it before an
//!   unprivileged process may install a seccomp filter, and Landlock requires
//!   it too; it is irreversible and inherited by any child.
//! * not dumpable: no core dumps of renderer memory, and processes with the
//!   same uid can no longer `ptrace` the renderer or read its `/proc/PID/mem`
//!   and friends (only a holder of `CAP_SYS_PTRACE` over the renderer's user
//!   namespace can: the broker, which owns that namespace, keeps its view).

use rustix::process::DumpableBehavior;

/// Sets `PR_SET_NO_NEW_PRIVS` on the calling thread (inherited by threads
/// created later; the renderer is single-threaded at lockdown).
pub fn set_no_new_privs() -> std::io::Result<()> {
    rustix::thread::set_no_new_privs(true)?;
    Ok(())
}

/// Sets `PR_SET_DUMPABLE` to 0 for the process.
pub fn set_not_dumpable() -> std::io::Result<()> {
    rustix::process::set_dumpable_behavior(DumpableBehavior::NotDumpable)?;
    Ok(())
}
