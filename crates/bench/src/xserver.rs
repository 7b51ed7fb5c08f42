//! A private Xvfb for one bench run.
//!
//! `peer` and `budgets` start their own X server rather than use
//! `DISPLAY`: both apps must see the same, otherwise idle server (no window
//! manager, no compositor, no other clients), and nobody else's windows may
//! cover the pixels the bench reads. Xvfb picks a free display number and
//! writes it to the pipe given with `-displayfd` once it accepts clients,
//! so readiness is that line, not a guess.

use std::io::{BufRead, BufReader};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

use crate::BenchError;

/// The screen every figure was taken on (docs/BENCHMARKS.md, "The machine").
const SCREEN: &str = "1280x1024x24";

/// The fd Xvfb writes its display number to, in the child.
const DISPLAY_FD: i32 = 3;

/// A running Xvfb, killed on drop.
pub struct Xvfb {
    child: Child,
    /// `:N`.
    pub display: String,
}

impl Xvfb {
    /// Starts Xvfb and waits until it accepts clients.
    pub fn start() -> Result<Xvfb, BenchError> {
        let mut fds = [0i32; 2];
        // SAFETY: pipe2 writes two fds into the array on success; each is
        // owned by exactly one OwnedFd below.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(BenchError::io("pipe", std::io::Error::last_os_error()));
        }
        // SAFETY: fresh fds from pipe2, owned by nothing else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let write_raw = write.as_raw_fd();
        let mut cmd = Command::new("Xvfb");
        cmd.args(["-screen", "0", SCREEN, "-nolisten", "tcp", "-displayfd"])
            .arg(DISPLAY_FD.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only dup2, async-signal-safe, between fork and exec; the
        // duplicate has no close-on-exec flag, so Xvfb inherits it as fd 3.
        unsafe {
            cmd.pre_exec(move || {
                if libc::dup2(write_raw, DISPLAY_FD) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| BenchError::io("start Xvfb", e))?;
        drop(write);
        let mut pipe = BufReader::new(std::fs::File::from(read));
        let mut number = String::new();
        pipe.read_line(&mut number)
            .map_err(|e| BenchError::io("read Xvfb's display number", e))?;
        let number = number.trim();
        let mut x = Xvfb {
            child,
            display: format!(":{number}"),
        };
        if number.is_empty() || number.parse::<u32>().is_err() {
            let status = x.child.try_wait().ok().flatten();
            return Err(BenchError::Setup(format!(
                "Xvfb did not start (status {status:?})"
            )));
        }
        Ok(x)
    }

    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
