//! Renderer hosts: the broker's side of each renderer process.
//!
//! A host owns everything the OS gives the broker for one renderer: the
//! process (via a pidfd, so a signal can never hit a recycled pid), the
//! broker's end of the control socket, the surface channel and the current
//! surface's shared memory, the bootstrap directory, and the threads that
//! read the renderer's socket and stderr. It carries out the core's
//! renderer effects and reports back through the event queue; it decides
//! nothing.
//!
//! Modules: [`spawn`] builds the child process, [`reader`] is the receive
//! thread (strict read, decode, forward, then reap), [`relay`] forwards the
//! renderer's stderr into the broker's log, [`confine`] is the only place
//! that calls into the sandbox crate.

pub mod confine;
pub mod reader;
pub mod relay;
pub mod spawn;

use std::collections::{BTreeMap, VecDeque};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ipc_channel::ipc::{IpcSender, IpcSharedMemory};
use thiserror::Error;
use workshop_common::codec;
use workshop_common::sandbox_report::SandboxMode;
use workshop_common::{BrokerToRenderer, Role};
use workshop_transport::control::{ControlSocket, SendError, Sent};
use workshop_transport::surface::{surface_bytes, SurfaceHandle};

use crate::core::{Confinement, Event, RendererEvent, SurfaceSpec};
use crate::queue::EventSender;

/// Most control messages queued toward a renderer that is not reading
/// before it is declared unresponsive.
pub const BACKLOG_LIMIT: usize = 256;

/// Receives each line a renderer writes to stderr (tests watch these).
pub type StderrSink = Arc<dyn Fn(Role, u32, &str) + Send + Sync>;

/// How renderers are started.
#[derive(Clone)]
pub struct HostConfig {
    /// The `workshop` executable (renderers are the same binary).
    pub exe: PathBuf,
    /// The broker's own executable, held open since start-up: when set,
    /// renderers are started from it rather than from `exe`, so a package
    /// upgrade that replaces the file cannot start a different build.
    pub own_exe: Option<spawn::OwnExe>,
    /// The sandbox mode renderers are told to apply.
    pub sandbox: SandboxMode,
    /// How long a renderer waits for an invoke's reply.
    pub invoke_timeout: Duration,
    /// Log filter renderers use (`RUST_LOG` syntax).
    pub log_filter: String,
    /// Extra arguments for the first renderer of a role (tests: misbehaviour
    /// and knobs that only exist in test builds of the renderer).
    pub first_spawn_args: BTreeMap<Role, Vec<String>>,
    /// Extra arguments for every renderer of a role.
    pub every_spawn_args: BTreeMap<Role, Vec<String>>,
    /// Where renderer stderr lines go besides the log.
    pub stderr_sink: Option<StderrSink>,
    /// The fallback fonts every renderer inherits (none: Noto Sans only).
    /// One sealed object shared by all renderers, found on its own thread
    /// while the first window is made; the first spawn waits for it.
    pub fonts: Arc<crate::fonts::PendingPack>,
}

impl std::fmt::Debug for HostConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostConfig")
            .field("exe", &self.exe)
            .field("own_exe", &self.own_exe)
            .field("sandbox", &self.sandbox)
            .field("fonts", &self.fonts)
            .finish_non_exhaustive()
    }
}

/// Why a host operation failed.
#[derive(Debug, Error)]
pub enum HostError {
    /// Creating the control socket pair failed.
    #[error("control socket: {0}")]
    Socket(std::io::Error),
    /// Creating the bootstrap directory failed.
    #[error("bootstrap directory: {0}")]
    BootstrapDir(std::io::Error),
    /// The bootstrap directory could not be made private (0700, ours).
    #[error("bootstrap directory: {0}")]
    BootstrapDirMode(crate::private::PrivateError),
    /// Preparing the sandbox for the child failed.
    #[error("sandbox preparation: {0}")]
    Confinement(String),
    /// Creating the stderr pipe failed.
    #[error("stderr pipe: {0}")]
    Pipe(std::io::Error),
    /// The process could not be started.
    #[error("spawn {exe}: {source}")]
    Spawn {
        /// The executable.
        exe: String,
        /// Why.
        source: std::io::Error,
    },
    /// Opening a pidfd for the child failed.
    #[error("pidfd: {0}")]
    Pidfd(std::io::Error),
    /// Starting a thread failed.
    #[error("thread: {0}")]
    Thread(std::io::Error),
}

/// The first pixel of every new surface until the renderer paints it:
/// RGBA `FF FF FF 00`, which is not premultiplied (colour above alpha), so
/// the widget kit never writes it. The core sends surface N+1 only after
/// the first `FrameReady` for surface N, and a renderer paints a new
/// surface whole before that frame; but `FrameReady { surface: N }` can be
/// sent by a renderer that learnt N from the control socket and never read
/// its surface channel. This pixel, still intact when surface N+1 is due,
/// shows that: such a renderer never mapped surface N, so it cannot have
/// overwritten it.
pub const UNTAKEN: [u8; 4] = [0xFF, 0xFF, 0xFF, 0x00];

/// Why a surface was not sent.
#[derive(Debug)]
enum SurfaceError {
    /// Connecting, allocating or sending failed.
    Failed(String),
    /// The previous surface still holds [`UNTAKEN`].
    NotTaken {
        /// The previous surface's generation.
        surface: u32,
    },
}

impl From<String> for SurfaceError {
    fn from(error: String) -> SurfaceError {
        SurfaceError::Failed(error)
    }
}

/// One running renderer.
struct Host {
    generation: u32,
    condemned: Arc<AtomicBool>,
    pidfd: OwnedFd,
    control: ControlSocket,
    surfaces: Option<IpcSender<SurfaceHandle>>,
    surface: Option<(SurfaceSpec, IpcSharedMemory)>,
    backlog: VecDeque<Vec<u8>>,
    backlogged: bool,
    _bootstrap_dir: tempfile::TempDir,
}

/// All renderer hosts, by window.
pub struct Hosts {
    config: HostConfig,
    events: EventSender,
    hosts: BTreeMap<Role, Host>,
    spawned_roles: BTreeMap<Role, u32>,
    encode_buf: Vec<u8>,
}

impl std::fmt::Debug for Hosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hosts")
            .field("roles", &self.hosts.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Outcome of [`Hosts::send`], for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued at the renderer.
    Sent(usize),
    /// Held in the backlog (the renderer's queue is full).
    Backlogged(usize),
    /// Not sent: no such renderer, or it has gone.
    Dropped(usize),
}

impl Hosts {
    /// Hosts that report into `events`.
    pub fn new(config: HostConfig, events: EventSender) -> Hosts {
        Hosts {
            config,
            events,
            hosts: BTreeMap::new(),
            spawned_roles: BTreeMap::new(),
            encode_buf: Vec::with_capacity(256),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Starts renderer `generation` for `role` and says how it went
    /// (`Spawned` or `SpawnFailed`). The caller feeds that to the core
    /// before anything the new renderer sends can be handled.
    pub fn spawn(&mut self, role: Role, generation: u32) -> RendererEvent {
        if let Some(old) = self.hosts.remove(&role) {
            // The core replaces a renderer only after killing it; make sure.
            kill_pidfd(&old.pidfd);
            old.control.shutdown();
        }
        let first = !self.spawned_roles.contains_key(&role);
        self.spawned_roles.insert(role, generation);
        match spawn::start(&self.config, role, generation, first, &self.events) {
            Ok(started) => {
                let dir = started.bootstrap_dir.path().to_path_buf();
                self.hosts.insert(
                    role,
                    Host {
                        generation,
                        condemned: started.condemned,
                        pidfd: started.pidfd,
                        control: started.control,
                        surfaces: None,
                        surface: None,
                        backlog: VecDeque::new(),
                        backlogged: false,
                        _bootstrap_dir: started.bootstrap_dir,
                    },
                );
                RendererEvent::Spawned { bootstrap_dir: dir }
            }
            Err(e) => RendererEvent::SpawnFailed {
                error: e.to_string(),
            },
        }
    }

    fn host(&mut self, role: Role, generation: u32) -> Option<&mut Host> {
        self.hosts
            .get_mut(&role)
            .filter(|h| h.generation == generation)
    }

    /// Encodes and sends `msg` without blocking; a full queue holds it in a
    /// bounded backlog (flushed by [`Hosts::flush_backlogs`]).
    pub fn send(&mut self, role: Role, generation: u32, msg: &BrokerToRenderer) -> Delivery {
        let mut buf = std::mem::take(&mut self.encode_buf);
        let delivery = match codec::encode_into(msg, &mut buf) {
            Err(e) => {
                tracing::error!(kind = ?msg.kind(), error = %e, "cannot encode a broker message");
                Delivery::Dropped(0)
            }
            Ok(()) => match self
                .hosts
                .get_mut(&role)
                .filter(|h| h.generation == generation)
            {
                None => Delivery::Dropped(buf.len()),
                Some(host) => host.send_or_queue(&buf, role, &self.events),
            },
        };
        self.encode_buf = buf;
        delivery
    }

    /// Retries held messages for every renderer.
    pub fn flush_backlogs(&mut self) {
        for (&role, host) in self.hosts.iter_mut() {
            host.flush(role, &self.events);
        }
    }

    /// Whether any renderer has held messages (the loop then ticks soon).
    pub fn has_backlog(&self) -> bool {
        self.hosts.values().any(|h| !h.backlog.is_empty())
    }

    /// Allocates a surface, connecting the surface channel first when asked,
    /// and sends its handle. Failures are reported as `SurfaceFailed`; a
    /// renderer that never took the previous surface (see [`UNTAKEN`]) as
    /// `Backlogged`, and nothing is sent.
    pub fn send_surface(
        &mut self,
        role: Role,
        generation: u32,
        spec: SurfaceSpec,
        connect: Option<PathBuf>,
    ) {
        let events = self.events.clone();
        let Some(host) = self.host(role, generation) else {
            return;
        };
        let event = match host.send_surface(spec, connect) {
            Ok(()) => return,
            Err(SurfaceError::Failed(error)) => RendererEvent::SurfaceFailed { error },
            Err(SurfaceError::NotTaken { surface }) => {
                tracing::warn!(
                    role = role.as_str(),
                    generation,
                    surface,
                    "renderer framed a surface it never took from its channel"
                );
                RendererEvent::Backlogged
            }
        };
        events.send(Event::Renderer {
            role,
            generation,
            event,
        });
    }

    /// The current surface of `role`'s renderer and its pixels.
    pub fn surface(&self, role: Role, generation: u32) -> Option<(&SurfaceSpec, &[u8])> {
        let host = self
            .hosts
            .get(&role)
            .filter(|h| h.generation == generation)?;
        host.surface.as_ref().map(|(spec, shm)| (spec, &shm[..]))
    }

    /// SIGKILLs `role`'s renderer `generation` (the reaper reports `Exited`).
    pub fn kill(&mut self, role: Role, generation: u32) {
        if let Some(host) = self.host(role, generation) {
            // Its receive thread stops forwarding: nothing more it says
            // matters, and a flood should not keep the loop busy.
            host.condemned.store(true, Ordering::Release);
            kill_pidfd(&host.pidfd);
        }
    }

    /// Forgets `role`'s host once its renderer has been reaped.
    pub fn reaped(&mut self, role: Role, generation: u32) {
        if self
            .hosts
            .get(&role)
            .is_some_and(|h| h.generation == generation)
        {
            self.hosts.remove(&role);
        }
    }

    /// Reads `/proc` for the renderer `pid`.
    pub fn inspect(&self, pid: u32) -> Result<Confinement, String> {
        confine::inspect(pid)
    }

    /// Sends `Shutdown` to every renderer, waits up to `grace` for them to
    /// exit, then kills the rest. Used when the app quits.
    pub fn shutdown_all(&mut self, grace: Duration) {
        let roles: Vec<(Role, u32)> = self.hosts.iter().map(|(r, h)| (*r, h.generation)).collect();
        for (role, generation) in &roles {
            self.send(*role, *generation, &BrokerToRenderer::Shutdown);
        }
        let deadline = std::time::Instant::now() + grace;
        for host in self.hosts.values() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if !wait_pidfd(&host.pidfd, left) {
                kill_pidfd(&host.pidfd);
            }
        }
        for host in self.hosts.values() {
            host.control.shutdown();
        }
        self.hosts.clear();
    }
}

impl Host {
    fn send_or_queue(&mut self, bytes: &[u8], role: Role, events: &EventSender) -> Delivery {
        if !self.backlog.is_empty() {
            self.flush(role, events);
        }
        if self.backlog.is_empty() {
            match self.control.try_send(bytes) {
                Ok(Sent::Queued) => return Delivery::Sent(bytes.len()),
                Ok(Sent::WouldBlock) => {}
                Err(SendError::Closed) => return Delivery::Dropped(bytes.len()),
                Err(e) => {
                    tracing::warn!(role = role.as_str(), error = %e, "send to renderer failed");
                    return Delivery::Dropped(bytes.len());
                }
            }
        }
        if self.backlog.len() >= BACKLOG_LIMIT {
            if !self.backlogged {
                self.backlogged = true;
                events.send(Event::Renderer {
                    role,
                    generation: self.generation,
                    event: RendererEvent::Backlogged,
                });
            }
            return Delivery::Dropped(bytes.len());
        }
        self.backlog.push_back(bytes.to_vec());
        Delivery::Backlogged(bytes.len())
    }

    fn flush(&mut self, role: Role, _events: &EventSender) {
        while let Some(front) = self.backlog.front() {
            match self.control.try_send(front) {
                Ok(Sent::Queued) => {
                    self.backlog.pop_front();
                }
                Ok(Sent::WouldBlock) => return,
                Err(e) => {
                    tracing::debug!(role = role.as_str(), error = %e, "dropping backlog of a gone renderer");
                    self.backlog.clear();
                    return;
                }
            }
        }
    }

    fn send_surface(
        &mut self,
        spec: SurfaceSpec,
        connect: Option<PathBuf>,
    ) -> Result<(), SurfaceError> {
        if let Some(path) = connect {
            let name = path
                .to_str()
                .ok_or_else(|| "bootstrap path is not UTF-8".to_owned())?
                .to_owned();
            // The core validated the path (inside this renderer's private
            // directory, no NUL, bounded length) before asking.
            let sender = IpcSender::<SurfaceHandle>::connect(name)
                .map_err(|e| format!("connect to the renderer's surface server: {e}"))?;
            self.surfaces = Some(sender);
        }
        let Some(sender) = &self.surfaces else {
            return Err("surface channel not connected".to_owned().into());
        };
        if let Some((old, pixels)) = &self.surface {
            if pixels.get(..UNTAKEN.len()) == Some(&UNTAKEN[..]) {
                return Err(SurfaceError::NotTaken {
                    surface: old.generation,
                });
            }
        }
        // The new surface supersedes the old one: unmap it before mapping
        // the next, so a resize never holds two of them here. (The core
        // presents only from the newest surface.)
        self.surface = None;
        let bytes = surface_bytes(spec.width, spec.height)
            .ok_or_else(|| "surface size overflows".to_owned())?;
        let mut shm = IpcSharedMemory::from_byte(0, bytes);
        // SAFETY: `shm` was created just above and has not been cloned or
        // sent: this is its only reader or writer.
        let pixels = unsafe { shm.deref_mut() };
        if let Some(first) = pixels.get_mut(..UNTAKEN.len()) {
            first.copy_from_slice(&UNTAKEN);
        }
        // `IpcSender::send` is a blocking `sendmsg` on the event-loop thread.
        // It cannot block here: the core sends a surface only once the
        // renderer has framed the previous one (core/router/protocol.rs),
        // and the check above refuses a frame claimed without taking it, so
        // at most this one small message (a header and one descriptor) is
        // ever in the channel's socket buffer.
        sender
            .send(SurfaceHandle {
                generation: spec.generation,
                width: spec.width,
                height: spec.height,
                pixels: shm.clone(),
            })
            .map_err(|e| format!("send surface: {e}"))?;
        self.surface = Some((spec, shm));
        Ok(())
    }
}

fn kill_pidfd(pidfd: &OwnedFd) {
    // ESRCH (already exited) is fine; a pidfd never names a recycled pid.
    let _ = rustix::process::pidfd_send_signal(pidfd, rustix::process::Signal::KILL);
}

/// Waits until the process behind `pidfd` exits or `timeout` passes;
/// returns whether it exited. Does not reap it (the reader thread does).
fn wait_pidfd(pidfd: &OwnedFd, timeout: Duration) -> bool {
    use rustix::event::{poll, PollFd, PollFlags};
    let ts = rustix::time::Timespec {
        tv_sec: timeout.as_secs() as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
    matches!(poll(&mut fds, Some(&ts)), Ok(n) if n > 0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use ipc_channel::ipc::IpcOneShotServer;

    /// A host whose surface channel leads to this test (the renderer's
    /// side), and the first surface as the renderer received it.
    fn connected() -> (
        Host,
        ipc_channel::ipc::IpcReceiver<SurfaceHandle>,
        SurfaceHandle,
    ) {
        let (control, _peer) = workshop_transport::control::pair().unwrap();
        let mut host = Host {
            generation: 1,
            condemned: Arc::new(AtomicBool::new(false)),
            pidfd: std::fs::File::open("/dev/null").unwrap().into(),
            control,
            surfaces: None,
            surface: None,
            backlog: VecDeque::new(),
            backlogged: false,
            _bootstrap_dir: tempfile::TempDir::new().unwrap(),
        };
        let (server, name) = IpcOneShotServer::<SurfaceHandle>::new().unwrap();
        let accept = std::thread::spawn(move || server.accept().unwrap());
        host.send_surface(spec(1), Some(name.into())).unwrap();
        let (rx, first) = accept.join().unwrap();
        (host, rx, first)
    }

    fn spec(generation: u32) -> SurfaceSpec {
        SurfaceSpec {
            generation,
            width: 8,
            height: 8,
            scale: 1.0,
        }
    }

    #[test]
    fn a_surface_framed_but_never_taken_stops_the_next_one() {
        let (mut host, rx, mut first) = connected();
        assert_eq!(first.pixels.get(..4), Some(&UNTAKEN[..]));
        // Not painted: the next surface is refused and nothing is sent.
        match host.send_surface(spec(2), None) {
            Err(SurfaceError::NotTaken { surface: 1 }) => {}
            other => panic!("{other:?}"),
        }
        assert!(rx.try_recv().is_err(), "nothing was sent");
        // Painted (the renderer mapped it): the next one goes out.
        // SAFETY: the test is the only writer of this mapping.
        unsafe { first.pixels.deref_mut() }.fill(0xF9);
        host.send_surface(spec(2), None).unwrap();
        let second = rx.recv().unwrap();
        assert_eq!(second.generation, 2);
        assert_eq!(second.pixels.get(..4), Some(&UNTAKEN[..]));
        // Only the newest surface stays mapped in the broker.
        assert_eq!(host.surface.as_ref().map(|(s, _)| s.generation), Some(2));
    }
}
