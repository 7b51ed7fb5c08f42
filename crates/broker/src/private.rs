//! Directories and files only this user may use, whatever the umask.
//!
//! The user data directory holds the instance lock and socket and
//! `settings.json`; each renderer's bootstrap directory holds its one-shot
//! server. A mode asked for at creation is masked by the umask (a `umask
//! 000` shell made them world-writable), so each is created with an
//! explicit mode *and* set with `fchmod` on an open descriptor, then
//! checked with `fstat` on that same descriptor:
//! - a directory must be a directory owned by this user; one that another
//!   user owns, or that group or others may write to, is refused with the
//!   path and what is wrong (someone else may already have planted files in
//!   it), as ssh refuses a loose `~/.ssh`. Otherwise it is set to
//!   [`DIR_MODE`] (an older 0755 data directory is tightened, not refused);
//! - a file is set to [`FILE_MODE`] through the descriptor it was created
//!   with.
//!
//! The data directory itself may be a symlink (a dotfiles setup): what it
//! points to is opened and must pass the same checks. Files *in* it are
//! never followed (see `settings` and `instance`).

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use thiserror::Error;

/// Mode of every private directory: owner only.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every private file: owner read/write only.
pub const FILE_MODE: u32 = 0o600;
/// Group write: another user could create, replace or remove entries.
pub const GROUP_WRITE: u32 = 0o020;
/// Others write: the same, for everyone.
pub const OTHER_WRITE: u32 = 0o002;

/// Why a private directory or file cannot be used.
#[derive(Debug, Error)]
pub enum PrivateError {
    /// Creating the directory (or its parents) failed.
    #[error("create {path}: {source}")]
    Create {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Something that is not a directory is at the path.
    #[error("{path} is not a directory")]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// Opening it failed (or it is not a directory).
    #[error("open {path}: {source}")]
    Open {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `fstat` failed.
    #[error("stat {path}: {source}")]
    Stat {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another user owns it.
    #[error("{path} is owned by uid {owner}, not by this user (uid {me}); refusing to use it")]
    NotOwned {
        /// The path.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// Our effective uid.
        me: u32,
    },
    /// Group or others may write to it.
    #[error(
        "{path} is writable by {who} (mode {mode:03o}); refusing to use it (fix: chmod 700 {path})"
    )]
    ForeignWritable {
        /// The path.
        path: PathBuf,
        /// "group", "others" or "group and others".
        who: &'static str,
        /// Its permission bits.
        mode: u32,
    },
    /// `fchmod` failed.
    #[error("set mode {mode:03o} on {path}: {source}")]
    Chmod {
        /// The path.
        path: PathBuf,
        /// The mode.
        mode: u32,
        /// Why.
        source: std::io::Error,
    },
}

/// What [`judge_dir`] decided about an existing directory.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Already exactly [`DIR_MODE`].
    Private,
    /// Ours and not writable by anyone else, but not exactly
    /// [`DIR_MODE`] (e.g. 0755): set it.
    Tighten,
    /// Not to be used (the error names why).
    Refuse(Refusal),
}

/// Why a directory is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Owned by `owner`, not `me`.
    NotOwned {
        /// Its owner.
        owner: u32,
        /// Our effective uid.
        me: u32,
    },
    /// Writable by group and/or others.
    ForeignWritable {
        /// Who may write.
        who: &'static str,
    },
}

/// The policy for a directory owned by `owner` with permission bits
/// `mode`, for a process whose effective uid is `me`.
pub fn judge_dir(owner: u32, mode: u32, me: u32) -> Verdict {
    if owner != me {
        return Verdict::Refuse(Refusal::NotOwned { owner, me });
    }
    let who = match (mode & GROUP_WRITE != 0, mode & OTHER_WRITE != 0) {
        (true, true) => Some("group and others"),
        (true, false) => Some("group"),
        (false, true) => Some("others"),
        (false, false) => None,
    };
    if let Some(who) = who {
        return Verdict::Refuse(Refusal::ForeignWritable { who });
    }
    if mode & 0o7777 == DIR_MODE {
        Verdict::Private
    } else {
        Verdict::Tighten
    }
}

/// Creates `dir` (and missing parents) as [`DIR_MODE`], or checks the one
/// that exists, and leaves it exactly [`DIR_MODE`]. Refuses a directory
/// another user owns or may write to.
pub fn ensure_dir(dir: &Path) -> Result<(), PrivateError> {
    // `create` would say "File exists" about a file where the directory
    // should be.
    if std::fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
        return Err(PrivateError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|source| PrivateError::Create {
            path: dir.to_path_buf(),
            source,
        })?;
    let fd = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| PrivateError::Open {
        path: dir.to_path_buf(),
        source: e.into(),
    })?;
    secure_dir_fd(&fd, dir)
}

/// Checks and sets the directory open at `fd` (named `path` in errors).
pub fn secure_dir_fd(fd: &OwnedFd, path: &Path) -> Result<(), PrivateError> {
    let st = rustix::fs::fstat(fd).map_err(|e| PrivateError::Stat {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    let me = rustix::process::geteuid().as_raw();
    let mode = st.st_mode & 0o7777;
    match judge_dir(st.st_uid, mode, me) {
        Verdict::Private => Ok(()),
        Verdict::Tighten => match set_mode(fd, path, DIR_MODE) {
            // A read-only file system: nobody can write to it, which is
            // what the tightening is for.
            Err(PrivateError::Chmod { source, .. })
                if source.raw_os_error() == Some(libc::EROFS) =>
            {
                Ok(())
            }
            other => other,
        },
        Verdict::Refuse(Refusal::NotOwned { owner, me }) => Err(PrivateError::NotOwned {
            path: path.to_path_buf(),
            owner,
            me,
        }),
        Verdict::Refuse(Refusal::ForeignWritable { who }) => Err(PrivateError::ForeignWritable {
            path: path.to_path_buf(),
            who,
            mode,
        }),
    }
}

/// Sets the directory at `path` (just created by us, e.g. a bootstrap
/// directory) to exactly [`DIR_MODE`] and checks it, without following a
/// symlink.
pub fn secure_new_dir(path: &Path) -> Result<(), PrivateError> {
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| PrivateError::Open {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    secure_dir_fd(&fd, path)
}

/// Sets `mode` on the file or directory open at `fd`.
pub fn set_mode(fd: impl AsFd, path: &Path, mode: u32) -> Result<(), PrivateError> {
    rustix::fs::fchmod(fd, Mode::from_raw_mode(mode)).map_err(|e| PrivateError::Chmod {
        path: path.to_path_buf(),
        mode,
        source: e.into(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn policy() {
        assert_eq!(judge_dir(1000, 0o700, 1000), Verdict::Private);
        assert_eq!(judge_dir(1000, 0o755, 1000), Verdict::Tighten);
        assert_eq!(judge_dir(1000, 0o500, 1000), Verdict::Tighten);
        assert_eq!(
            judge_dir(1000, 0o775, 1000),
            Verdict::Refuse(Refusal::ForeignWritable { who: "group" })
        );
        assert_eq!(
            judge_dir(1000, 0o757, 1000),
            Verdict::Refuse(Refusal::ForeignWritable { who: "others" })
        );
        assert_eq!(
            judge_dir(1000, 0o1777, 1000),
            Verdict::Refuse(Refusal::ForeignWritable {
                who: "group and others"
            })
        );
        assert_eq!(
            judge_dir(0, 0o700, 1000),
            Verdict::Refuse(Refusal::NotOwned { owner: 0, me: 1000 })
        );
    }

    #[test]
    fn an_existing_loose_dir_is_tightened_and_a_writable_one_refused() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        ensure_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, DIR_MODE);

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o770)).unwrap();
        let err = ensure_dir(&dir).unwrap_err().to_string();
        assert!(err.contains(&dir.display().to_string()), "{err}");
        assert!(err.contains("writable by group (mode 770)"), "{err}");
    }

    #[test]
    fn a_file_where_the_directory_should_be_is_named_as_such() {
        let base = tempfile::tempdir().unwrap();
        let file = base.path().join("data");
        std::fs::write(&file, b"").unwrap();
        let err = ensure_dir(&file).unwrap_err().to_string();
        assert_eq!(err, format!("{} is not a directory", file.display()));
    }

    #[test]
    fn missing_parents_are_created_private() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("a/b/workshop");
        ensure_dir(&dir).unwrap();
        for d in [base.path().join("a"), base.path().join("a/b"), dir] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o7777;
            assert_eq!(mode & (GROUP_WRITE | OTHER_WRITE), 0, "{}", d.display());
        }
    }
}
