//! An app under test as a tree of processes: started as an unprivileged
//! user, found whole, measured, torn down.
//!
//! Why a child subreaper: Chromium double-forks helpers (its crash
//! handler, the zygote's children) whose parent exits, so walking the
//! app's own descendants misses them. With `PR_SET_CHILD_SUBREAPER` set on
//! the bench, every orphan of the app is re-parented to the bench instead
//! of init, and "the app" is every descendant of the bench other than the
//! bench's own helpers (its Xvfb). Only one app runs at a time.
//!
//! Why another user: a browser refuses its sandbox as root, and both apps
//! must run under the same conditions, so the bench (root, to read every
//! `/proc/PID/smaps_rollup`) runs both as one ordinary user (`--user`,
//! default `workshop-ci`), from a staging directory that user owns.

use std::ffi::CString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::procfs::{self, Memory, Proc};
use crate::BenchError;

/// How long an app gets to exit after SIGTERM before the rest is killed.
const TERM_GRACE: Duration = Duration::from_secs(3);

/// Makes the bench its descendants' reaper.
pub fn become_subreaper() -> Result<(), BenchError> {
    // SAFETY: prctl with an integer argument; no pointers.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
        return Err(BenchError::io(
            "PR_SET_CHILD_SUBREAPER",
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// Who the apps run as.
#[derive(Debug, Clone)]
pub struct RunAs {
    /// `None`: the bench's own user (it is not root).
    pub ids: Option<(u32, u32)>,
    /// For the report.
    pub name: String,
}

impl RunAs {
    /// `name`'s uid and gid when the bench is root; else the bench's user.
    pub fn resolve(name: &str) -> Result<RunAs, BenchError> {
        // SAFETY: getuid cannot fail.
        if unsafe { libc::getuid() } != 0 {
            return Ok(RunAs {
                ids: None,
                name: "the bench's own user (not root)".into(),
            });
        }
        let c = CString::new(name).map_err(|_| BenchError::Setup(format!("bad user {name:?}")))?;
        // SAFETY: getpwnam reads a NUL-terminated string and returns a
        // pointer into static storage, read at once, or null.
        let pw = unsafe { libc::getpwnam(c.as_ptr()) };
        if pw.is_null() {
            return Err(BenchError::Setup(format!(
                "no user {name:?} to run the apps as (create it, or pass --user=NAME)"
            )));
        }
        // SAFETY: non-null result of getpwnam, not yet overwritten.
        let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
        Ok(RunAs {
            ids: Some((uid, gid)),
            name: format!("{name} (uid {uid})"),
        })
    }

    /// Hands `path` to the user.
    pub fn own(&self, path: &Path) -> Result<(), BenchError> {
        if let Some((uid, gid)) = self.ids {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .map_err(|e| BenchError::io("chown staging", e))?;
        }
        Ok(())
    }

    /// A command for `program` as this user, with a clean environment:
    /// `HOME` in `home`, the given `DISPLAY`.
    pub fn command(&self, program: &Path, home: &Path, display: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", home)
            .env("DISPLAY", display)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .current_dir(home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((uid, gid)) = self.ids {
            // std drops supplementary groups when it changes uid as root.
            cmd.uid(uid).gid(gid);
        }
        cmd
    }
}

/// A directory the user owns, for one app run or for the whole bench.
pub struct Staging {
    dir: tempfile::TempDir,
}

impl Staging {
    /// A fresh directory owned by `user`, readable by everyone.
    pub fn new(user: &RunAs) -> Result<Staging, BenchError> {
        let dir = tempfile::Builder::new()
            .prefix("workshop-bench-")
            .tempdir()
            .map_err(|e| BenchError::io("staging dir", e))?;
        set_mode(dir.path(), 0o755)?;
        user.own(dir.path())?;
        Ok(Staging { dir })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A subdirectory the user owns.
    pub fn subdir(&self, name: &str, user: &RunAs) -> Result<PathBuf, BenchError> {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).map_err(|e| BenchError::io("staging subdir", e))?;
        set_mode(&p, 0o755)?;
        user.own(&p)?;
        Ok(p)
    }

    /// Copies an executable in, mode 0755 (the build's target directory
    /// may not be readable by the user).
    pub fn install(&self, from: &Path, name: &str) -> Result<PathBuf, BenchError> {
        let to = self.dir.path().join(name);
        std::fs::copy(from, &to).map_err(|e| BenchError::io("copy executable", e))?;
        set_mode(&to, 0o755)?;
        Ok(to)
    }

    /// Writes a file, mode 0644.
    pub fn write(&self, name: &str, text: &str) -> Result<PathBuf, BenchError> {
        let to = self.dir.path().join(name);
        std::fs::write(&to, text).map_err(|e| BenchError::io("write page", e))?;
        set_mode(&to, 0o644)?;
        Ok(to)
    }
}

fn set_mode(p: &Path, mode: u32) -> Result<(), BenchError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .map_err(|e| BenchError::io("chmod staging", e))
}

/// One process of an app and its memory.
#[derive(Debug, Clone)]
pub struct Member {
    /// The process.
    pub proc: Proc,
    /// Its memory.
    pub memory: Memory,
}

/// A running app: the pid the bench started, and `exclude` (the bench's
/// own helpers, never part of any app).
pub struct App {
    pid: u32,
    exclude: Vec<u32>,
    /// When `spawn()` was called.
    pub started: Instant,
}

impl App {
    /// Starts `cmd`; the bench must be a subreaper already.
    pub fn start(mut cmd: Command, exclude: &[u32]) -> Result<App, BenchError> {
        let started = Instant::now();
        let child = cmd.spawn().map_err(|e| BenchError::io("start app", e))?;
        // Reaped by pid in `stop` (the Child handle is not waited on).
        let pid = child.id();
        Ok(App {
            pid,
            exclude: exclude.to_vec(),
            started,
        })
    }

    /// Every live process of the app: the bench's descendants but its
    /// helpers and their descendants.
    pub fn processes(&self) -> Vec<Proc> {
        let me = std::process::id();
        let mut skip: Vec<u32> = self.exclude.clone();
        for &h in &self.exclude {
            skip.extend(procfs::descendants(h).iter().map(|p| p.pid));
        }
        procfs::descendants(me)
            .into_iter()
            .filter(|p| !skip.contains(&p.pid) && !procfs::is_zombie(p.pid))
            .collect()
    }

    /// Memory of every process of the app (processes that exit while
    /// being read are left out).
    pub fn members(&self) -> Vec<Member> {
        self.processes()
            .into_iter()
            .filter_map(|proc| {
                let memory = procfs::memory(proc.pid).ok()?;
                Some(Member { proc, memory })
            })
            .collect()
    }

    /// SIGTERM to every process of the app, then SIGKILL to whatever is
    /// left after [`TERM_GRACE`] (again to anything that appears), until
    /// nothing of the app is left; reaps everything re-parented to the
    /// bench.
    pub fn stop(self) -> Result<(), BenchError> {
        // SAFETY: kill(2) on the pid the bench started and has not reaped.
        unsafe { libc::kill(self.pid as i32, libc::SIGTERM) };
        for p in self.processes() {
            // SAFETY: kill(2) on a descendant of the bench (found by
            // walking /proc from the bench's pid just now).
            unsafe { libc::kill(p.pid as i32, libc::SIGTERM) };
        }
        let killing = Instant::now() + TERM_GRACE;
        let give_up = killing + TERM_GRACE;
        loop {
            self.reap();
            let left = self.processes();
            if left.is_empty() {
                return Ok(());
            }
            let now = Instant::now();
            if now >= give_up {
                return Err(BenchError::Timeout(format!(
                    "{} processes of the app to exit: {:?}",
                    left.len(),
                    left.iter().map(|p| &p.cmdline).collect::<Vec<_>>()
                )));
            }
            if now >= killing {
                for p in &left {
                    // SAFETY: as above, a descendant of the bench.
                    unsafe { libc::kill(p.pid as i32, libc::SIGKILL) };
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Reaps every exited child of the bench that belongs to the app.
    fn reap(&self) {
        let me = std::process::id();
        for p in procfs::descendants(me) {
            if self.exclude.contains(&p.pid) || procfs::parent_of(p.pid) != Some(me) {
                continue;
            }
            let mut status = 0;
            // SAFETY: waitpid on one specific child, non-blocking.
            unsafe { libc::waitpid(p.pid as i32, &mut status, libc::WNOHANG) };
        }
    }
}

/// PSS and RSS summed over `members`, KiB.
pub fn totals(members: &[Member]) -> (u64, u64) {
    members.iter().fold((0, 0), |(pss, rss), m| {
        (pss + m.memory.pss, rss + m.memory.rss)
    })
}
