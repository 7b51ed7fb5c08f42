//! Starting a renderer process, in the order the docs describe:
//!
//! 1. create the control socket pair and a private bootstrap directory
//!    (created 0700, then set to exactly 0700 and checked through its
//!    descriptor, whatever the umask: [`crate::private`]);
//! 2. prepare the sandbox's spawn step (everything that allocates, before
//!    the fork);
//! 3. build the command: the same executable with `--type=renderer`, an
//!    empty environment but `TMPDIR` (where the renderer's one-shot server
//!    goes), stdin from `/dev/null`, stdout to `/dev/null`, stderr to a pipe
//!    the broker relays;
//! 4. in the child, before exec: put the renderer's socket at fd 3, then
//!    enter the sandbox's spawn step, which marks every descriptor above 3
//!    close-on-exec (in every mode), sets the parent-death signal and makes
//!    the namespaces; then, when the broker has a font pack
//!    ([`crate::fonts`]), `dup2` it to fd 4 ([`RENDERER_FONTS_FD`], passed
//!    as `--fonts-fd=4`): the one descriptor besides stdio and the control
//!    socket a renderer inherits. It is a sealed read-only memfd, the same
//!    object for every renderer; the renderer maps it before lockdown and
//!    closes the descriptor;
//! 5. after the fork: open a pidfd, start the stderr relay and the receive
//!    thread (which waits for the relay before reporting the exit).
//!
//! The program is the broker's own executable as it was at start-up
//! ([`OwnExe`]: `/proc/self/exe` opened `O_PATH` in `run`, exec'd as
//! `/proc/self/fd/N`), not the path on disk: a package upgrade renames a
//! new file over that path while the app runs, and a renderer started from
//! it would be another build (the handshake's version check is the
//! backstop, not the mechanism). The descriptor is close-on-exec, and the
//! child's `close_range` only marks descriptors close-on-exec, so it is
//! still open when `execve` resolves the path, and gone in the renderer.

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use workshop_common::Role;
use workshop_transport::control::{self, ControlSocket};
use workshop_transport::{RENDERER_CONTROL_FD, RENDERER_FONTS_FD};

use super::{confine, reader, relay, HostConfig, HostError};
use crate::private;
use crate::queue::EventSender;

/// The lowest descriptor [`OwnExe`] and the font pack may have: above
/// every descriptor the child sets up before exec (stdio,
/// [`RENDERER_CONTROL_FD`] and [`RENDERER_FONTS_FD`]).
pub const OWN_EXE_MIN_FD: i32 = 10;

/// The broker's own executable, held open (`O_PATH|O_CLOEXEC`) from
/// start-up for the life of the process.
#[derive(Clone, Debug)]
pub struct OwnExe {
    fd: Arc<OwnedFd>,
}

impl OwnExe {
    /// Opens `/proc/self/exe`: the file this process was started from, even
    /// if its path has since been replaced or removed.
    pub fn open() -> std::io::Result<OwnExe> {
        let opened = rustix::fs::open(
            "/proc/self/exe",
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )?;
        // Opened first thing, it would be fd 3, which the child overwrites
        // with the renderer's control socket before exec: keep it above.
        let fd = rustix::io::fcntl_dupfd_cloexec(&opened, OWN_EXE_MIN_FD)?;
        Ok(OwnExe { fd: Arc::new(fd) })
    }

    /// The path `execve` is given: this descriptor, seen through `/proc`.
    pub fn exec_path(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))
    }
}

/// A started renderer.
#[derive(Debug)]
pub struct Started {
    /// Signals go through this.
    pub pidfd: OwnedFd,
    /// The broker's end of the control socket (the reader has a clone).
    pub control: ControlSocket,
    /// Where the renderer's bootstrap server must be (removed on drop).
    pub bootstrap_dir: tempfile::TempDir,
    /// Set when the broker condemns the renderer; its receive thread then
    /// stops forwarding.
    pub condemned: Arc<AtomicBool>,
}

/// Starts renderer `generation` of `role`.
pub fn start(
    config: &HostConfig,
    role: Role,
    generation: u32,
    first: bool,
    events: &EventSender,
) -> Result<Started, HostError> {
    // 1. Socket pair and private directory.
    let (control, renderer_end) = control::pair().map_err(HostError::Socket)?;
    let bootstrap_dir = tempfile::Builder::new()
        .prefix("workshop-renderer-")
        .permissions(std::fs::Permissions::from_mode(private::DIR_MODE))
        .tempdir()
        .map_err(HostError::BootstrapDir)?;
    private::secure_new_dir(bootstrap_dir.path()).map_err(HostError::BootstrapDirMode)?;

    // 2. Sandbox spawn step, prepared before the fork. A root broker's
    // renderer runs as an unprivileged id, which must be able to make its
    // bootstrap server socket in the private directory.
    let confinement = confine::prepare(config.sandbox).map_err(HostError::Confinement)?;
    if let Some((uid, gid)) = confinement.renderer_ids() {
        std::os::unix::fs::chown(bootstrap_dir.path(), Some(uid), Some(gid))
            .map_err(HostError::BootstrapDir)?;
    }

    // 3. The command.
    let (stderr_read, stderr_write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| HostError::Pipe(e.into()))?;
    let mut cmd = match &config.own_exe {
        Some(own) => {
            let mut cmd = Command::new(own.exec_path());
            // `ps` and the renderer's own argv show the installed path.
            cmd.arg0(&config.exe);
            cmd
        }
        None => Command::new(&config.exe),
    };
    cmd.arg("--type=renderer")
        .arg(format!("--role={}", role.as_str()))
        .arg(format!("--ipc-fd={RENDERER_CONTROL_FD}"))
        .arg(format!("--sandbox={}", config.sandbox.as_str()))
        .arg(format!(
            "--invoke-timeout-ms={}",
            config.invoke_timeout.as_millis()
        ))
        .arg(format!("--log-filter={}", config.log_filter))
        .arg(format!("--parent-ns={}", confine::parent_namespaces_arg()))
        .arg(format!("--broker-pid={}", std::process::id()));
    let fonts_fd = config.fonts.get().map(|pack| pack.fd().as_raw_fd());
    if fonts_fd.is_some() {
        cmd.arg(format!("--fonts-fd={RENDERER_FONTS_FD}"));
    }
    if first {
        if let Some(extra) = config.first_spawn_args.get(&role) {
            cmd.args(extra);
        }
    }
    if let Some(extra) = config.every_spawn_args.get(&role) {
        cmd.args(extra);
    }
    cmd.env_clear()
        .env("TMPDIR", bootstrap_dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(stderr_write));

    // 4. In the child, before exec.
    let renderer_fd = renderer_end.as_raw_fd();
    // SAFETY: the closure runs in the forked child before exec and only
    // makes async-signal-safe system calls (dup2, fcntl, and the sandbox's
    // `enter`, which is written to the same rule); it
    // allocates nothing and takes no locks. The font pack's descriptor is
    // at or above `OWN_EXE_MIN_FD`, so neither dup2 clobbers the other's
    // source, and it stays open (config holds it) until after the spawn.
    unsafe {
        cmd.pre_exec(move || {
            if renderer_fd == RENDERER_CONTROL_FD {
                if libc::fcntl(renderer_fd, libc::F_SETFD, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(renderer_fd, RENDERER_CONTROL_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Everything above the control socket closes at exec: the
            // sandbox's `enter` marks it, in every mode (std's own error
            // pipe is already close-on-exec and must stay open).
            confinement.enter()?;
            // Then the font pack at fd 4, made after the marking so it
            // survives exec (dup2's new descriptor is not close-on-exec).
            if let Some(fd) = fonts_fd {
                if libc::dup2(fd, RENDERER_FONTS_FD) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|source| HostError::Spawn {
        exe: config.exe.display().to_string(),
        source,
    })?;
    drop(renderer_end);
    drop(cmd);

    // 5. pidfd, receive thread, relay.
    let pid = child.id();
    let pidfd = rustix::process::pidfd_open(
        rustix::process::Pid::from_child(&child),
        rustix::process::PidfdFlags::empty(),
    )
    .map_err(|e| HostError::Pidfd(e.into()))?;
    let reader_socket = control.try_clone().map_err(HostError::Socket)?;
    let condemned = Arc::new(AtomicBool::new(false));
    let stderr = match relay::start(
        role,
        generation,
        stderr_read,
        config.stderr_sink.clone(),
        events.clone(),
        relay::LIMITS,
    ) {
        Ok(finished) => finished,
        Err(e) => {
            // No receive thread yet to reap it: do it here.
            kill_and_reap(child);
            return Err(HostError::Thread(e));
        }
    };
    reader::start(
        role,
        generation,
        reader_socket,
        child,
        events.clone(),
        condemned.clone(),
        stderr,
    )
    .map_err(HostError::Thread)?;
    tracing::debug!(role = role.as_str(), generation, pid, "renderer started");
    Ok(Started {
        pidfd,
        control,
        bootstrap_dir,
        condemned,
    })
}

fn kill_and_reap(mut child: std::process::Child) {
    // ESRCH (already gone) is fine; the wait reaps it either way.
    let _ = child.kill();
    let _ = child.wait();
}
