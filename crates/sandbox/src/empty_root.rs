//! The empty root: the renderer's whole filesystem view becomes one empty,
//! read-only directory.
//!
//! Landlock refuses opens but not `stat`, and a seccomp filter cannot read
//! the path a call names: with the host's mount table in view, a renderer
//! could learn the size and mode of `/etc/shadow`, whether the X socket or
//! the user's files exist, and walk the host's `/proc`. After this step
//! there is nothing to name: every path answers `ENOENT`, `/etc/passwd`
//! exactly like a path that exists nowhere, and there is no `/proc`.
//!
//! It runs in the renderer's bootstrap, after the broker has connected to
//! its surface server (the one file the renderer makes, in the
//! broker-visible bootstrap directory) and before the capability drop
//! ([`crate::capabilities`]), which takes away the `CAP_SYS_ADMIN` (over
//! the renderer's own mount namespace only) this needs and any way back.
//! It cannot run at spawn: `exec` needs the binary and its libraries, and
//! the bootstrap needs `/proc/self/ns` and the bootstrap directory.
//!
//! The steps, each with its own error:
//!
//! 1. make every mount private (`MS_REC | MS_PRIVATE`), so nothing done
//!    here propagates anywhere;
//! 2. mount a fresh tmpfs on [`MOUNT_POINT`] with [`TMPFS_FLAGS`] and
//!    [`TMPFS_OPTIONS`]: read-only, one inode (its root), one page;
//! 3. `chdir` into it;
//! 4. `pivot_root(".", ".")`: the tmpfs becomes the root, the old root is
//!    stacked on top of it (the documented way that needs no directory
//!    inside the new root, which can then be read-only and empty);
//! 5. `umount2(".", MNT_DETACH)`: the old root and everything under it
//!    (host `/proc`, `/sys`, `/dev`, home) leave the namespace;
//! 6. `chdir("/")`;
//! 7. check: `/` is a read-only tmpfs with one inode and none free.
//!
//! The broker checks the same from outside through `/proc/PID/root`
//! ([`crate::inspect`]).

use std::ffi::CStr;

use workshop_common::sandbox_report::{Layer, LayerState, LayerStatus};

/// Where the tmpfs is mounted before it becomes the root: a directory every
/// renderer's host has (the renderer has just read `/proc/self/ns`), and
/// covering it hides the host's `/proc` even in the instants before the
/// pivot.
pub const MOUNT_POINT: &CStr = c"/proc";
/// The tmpfs's source name, shown in the renderer's (one-line) mount table.
pub const TMPFS_SOURCE: &CStr = c"workshop-empty";
/// Read-only (nothing can be created, even by a renderer that kept
/// `CAP_SYS_ADMIN`, without a remount it can no longer make), and in case
/// anything ever reached it: no set-uid, no device nodes, no execution.
pub const TMPFS_FLAGS: libc::c_ulong =
    libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
/// One page of data and one inode, which the root directory itself takes:
/// even a read-write remount would leave room for nothing. Mode 0555 so the
/// broker (the tmpfs's owner outside, without `CAP_DAC_READ_SEARCH`) can
/// list it from outside and see it empty; searching it finds nothing
/// (`ENOENT`), listing it shows only `.` and `..`.
pub const TMPFS_OPTIONS: &CStr = c"size=4k,nr_inodes=1,mode=0555";
/// `statfs`'s `f_type` for tmpfs (`TMPFS_MAGIC` in `linux/magic.h`; as a
/// plain `i64` because libc's type for it differs between targets).
pub const TMPFS_MAGIC: i64 = 0x0102_1994;
/// Inodes the empty root has: its root directory and nothing else.
pub const EMPTY_ROOT_INODES: u64 = 1;

/// `tmpfs`.
const TMPFS: &CStr = c"tmpfs";
/// `"."`, the argument of the pivot and the detach.
const HERE: &CStr = c".";
/// `"/"`.
const ROOT: &CStr = c"/";

/// Why the empty root could not be entered. One variant per step.
#[derive(Debug, thiserror::Error)]
pub enum EmptyRootError {
    /// Step 1.
    #[error("making every mount private: {0}")]
    MakePrivate(#[source] std::io::Error),
    /// Step 2.
    #[error("mounting the empty tmpfs on {}: {source}", MOUNT_POINT.to_string_lossy())]
    MountTmpfs {
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// Step 3.
    #[error("entering the empty tmpfs: {0}")]
    EnterTmpfs(#[source] std::io::Error),
    /// Step 4.
    #[error("pivot_root into the empty tmpfs: {0}")]
    PivotRoot(#[source] std::io::Error),
    /// Step 5.
    #[error("detaching the old root: {0}")]
    DetachOldRoot(#[source] std::io::Error),
    /// Step 6.
    #[error("chdir to the new root: {0}")]
    ChdirRoot(#[source] std::io::Error),
    /// Step 7: `statfs("/")` failed.
    #[error("statfs of the new root: {0}")]
    StatRoot(#[source] std::io::Error),
    /// Step 7: the root is not what was mounted.
    #[error("the new root is not an empty read-only tmpfs (type {f_type:#x}, {files} inodes, {free} free, flags {flags:#x})")]
    NotEmpty {
        /// `f_type`.
        f_type: i64,
        /// `f_files`.
        files: u64,
        /// `f_ffree`.
        free: u64,
        /// `f_flags`.
        flags: u64,
    },
}

impl EmptyRootError {
    /// The errno the kernel returned (`ENOTEMPTY` for a root that is not
    /// the empty tmpfs).
    pub fn errno(&self) -> i32 {
        match self {
            EmptyRootError::MakePrivate(e)
            | EmptyRootError::MountTmpfs { source: e }
            | EmptyRootError::EnterTmpfs(e)
            | EmptyRootError::PivotRoot(e)
            | EmptyRootError::DetachOldRoot(e)
            | EmptyRootError::ChdirRoot(e)
            | EmptyRootError::StatRoot(e) => e.raw_os_error().unwrap_or(libc::EINVAL),
            EmptyRootError::NotEmpty { .. } => libc::ENOTEMPTY,
        }
    }
}

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// Enters the empty root (the steps in the module docs). Needs
/// `CAP_SYS_ADMIN` over the caller's mount namespace.
pub fn enter() -> Result<LayerStatus, EmptyRootError> {
    // Step 1.
    // SAFETY: NUL-terminated constant target; null source, type and data
    // are allowed for a propagation change.
    let rc = unsafe {
        libc::mount(
            std::ptr::null(),
            ROOT.as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(EmptyRootError::MakePrivate(last_error()));
    }
    // Step 2.
    // SAFETY: NUL-terminated constant strings; tmpfs reads `data` as a
    // NUL-terminated option string.
    let rc = unsafe {
        libc::mount(
            TMPFS_SOURCE.as_ptr(),
            MOUNT_POINT.as_ptr(),
            TMPFS.as_ptr(),
            TMPFS_FLAGS,
            TMPFS_OPTIONS.as_ptr().cast(),
        )
    };
    if rc != 0 {
        return Err(EmptyRootError::MountTmpfs {
            source: last_error(),
        });
    }
    // Step 3.
    // SAFETY: NUL-terminated constant path.
    if unsafe { libc::chdir(MOUNT_POINT.as_ptr()) } != 0 {
        return Err(EmptyRootError::EnterTmpfs(last_error()));
    }
    // Step 4.
    // SAFETY: two NUL-terminated constant paths.
    if unsafe { libc::syscall(libc::SYS_pivot_root, HERE.as_ptr(), HERE.as_ptr()) } != 0 {
        return Err(EmptyRootError::PivotRoot(last_error()));
    }
    // Step 5.
    // SAFETY: NUL-terminated constant path, integer flags.
    if unsafe { libc::umount2(HERE.as_ptr(), libc::MNT_DETACH) } != 0 {
        return Err(EmptyRootError::DetachOldRoot(last_error()));
    }
    // Step 6.
    // SAFETY: NUL-terminated constant path.
    if unsafe { libc::chdir(ROOT.as_ptr()) } != 0 {
        return Err(EmptyRootError::ChdirRoot(last_error()));
    }
    // Step 7.
    let seen = statfs(ROOT).map_err(EmptyRootError::StatRoot)?;
    if !seen.is_empty_root() {
        return Err(EmptyRootError::NotEmpty {
            f_type: seen.f_type,
            files: seen.files,
            free: seen.free,
            flags: seen.flags,
        });
    }
    Ok(LayerStatus {
        layer: Layer::EmptyRoot,
        state: LayerState::Active,
        detail: 0,
    })
}

/// What `statfs` says about a filesystem, as far as the empty root cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FsFacts {
    /// `f_type` (magic number).
    pub f_type: i64,
    /// `f_files`: inodes in total.
    pub files: u64,
    /// `f_ffree`: inodes free.
    pub free: u64,
    /// `f_flags` (`ST_*`).
    pub flags: u64,
}

impl FsFacts {
    /// A read-only tmpfs whose only inode is its root.
    pub fn is_empty_root(&self) -> bool {
        self.f_type == TMPFS_MAGIC
            && self.files == EMPTY_ROOT_INODES
            && self.free == 0
            && self.flags & libc::ST_RDONLY == libc::ST_RDONLY
    }
}

/// `statfs(path)` for the type and `statvfs(path)` for the rest (glibc's
/// `struct statfs` does not expose the mount flags).
pub fn statfs(path: &CStr) -> std::io::Result<FsFacts> {
    // SAFETY: a zeroed statfs is a valid buffer.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: NUL-terminated path; `st` is valid to write.
    if unsafe { libc::statfs(path.as_ptr(), &mut st) } != 0 {
        return Err(last_error());
    }
    // SAFETY: a zeroed statvfs is a valid buffer.
    let mut vfs: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: NUL-terminated path; `vfs` is valid to write.
    if unsafe { libc::statvfs(path.as_ptr(), &mut vfs) } != 0 {
        return Err(last_error());
    }
    Ok(FsFacts {
        f_type: st.f_type,
        files: vfs.f_files,
        free: vfs.f_ffree,
        flags: vfs.f_flag,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_host_root_is_not_an_empty_root() {
        let host = statfs(ROOT).unwrap();
        assert!(!host.is_empty_root(), "{host:?}");
    }

    #[test]
    fn only_a_read_only_one_inode_tmpfs_counts() {
        let empty = FsFacts {
            f_type: TMPFS_MAGIC,
            files: 1,
            free: 0,
            flags: libc::ST_RDONLY | libc::ST_NOSUID,
        };
        assert!(empty.is_empty_root());
        assert!(!FsFacts { free: 1, ..empty }.is_empty_root());
        assert!(!FsFacts { files: 2, ..empty }.is_empty_root());
        assert!(!FsFacts { flags: 0, ..empty }.is_empty_root());
        assert!(!FsFacts {
            f_type: 0x9fa0, // procfs
            ..empty
        }
        .is_empty_root());
    }
}
