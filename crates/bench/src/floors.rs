//! The floors: what the same work costs with nothing of Workshop in the way.
//!
//! Each floor is a ping-pong, flood or hand-off between the bench and a
//! helper process (this same executable, `--type=helper KIND`, started
//! fresh, pinned by itself with `cpu=N`), so it pays the same process
//! boundary, the same wake-ups and the same placement as the real thing:
//!
//! * `seqpacket`: a bare `AF_UNIX`/`SOCK_SEQPACKET` socketpair, `send` and
//!   `recv` of raw bytes: the kernel's floor for a control message;
//! * `ipc-channel`: `IpcBytesSender`/`IpcBytesReceiver` of ipc-channel
//!   0.23.1, what DESIGN proposed for control messages;
//! * `control+codec`: Workshop's own `ControlSocket` (the renderer's
//!   blocking `send`/`recv_timeout`, the broker's `recv_strict` with
//!   `SO_PASSCRED` and zeroing) and the real codec on the real wire types
//!   (`Invoke { SubmitLogin }` in, the `InvalidEmail` `Reply` out), with no
//!   broker thread hop, queue, core or audit: everything the real invoke
//!   does except the broker itself;
//! * `shm`: a memfd mapped in both processes, the helper writes the whole
//!   buffer and sends a 1-byte notify, the bench acknowledges with 1 byte
//!   (optionally copying the buffer out first, as a presenter must);
//! * `spawn`: start this executable and wait for it to exit (`helper exit`).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use crate::renderer::{password_len_for, THREE_BYTE_IDS_FROM};
use ipc_channel::ipc::{self, IpcBytesReceiver, IpcBytesSender, IpcOneShotServer, IpcSender};
use rustix::net::SocketType;
use rustix::net::{recv, send, socketpair, AddressFamily, RecvFlags, SendFlags, SocketFlags};
use workshop_common::codec::{self, MAX_MESSAGE_BYTES};
use workshop_common::input::CursorIcon;
use workshop_common::protocol::{BrokerToRenderer, RendererToBroker, Reply, Request, RequestId};
use workshop_common::user::LoginError;
use workshop_common::Secret;
use workshop_transport::control::{self, ControlSocket, Received, Strict};

use crate::place::{pin_current_thread, Placement};
use crate::stats::ns_between;
use crate::BenchError;

/// Bytes of every raw floor's reply (the real `Reply` is 4 bytes).
pub const RAW_REPLY_BYTES: usize = 8;

/// A helper process, killed if still running when dropped.
#[derive(Debug)]
pub struct Helper {
    child: Child,
}

impl Helper {
    /// Starts `--type=helper kind args...`, with `fds[i].0` placed at fd
    /// `fds[i].1` in the child.
    pub fn start(
        kind: &str,
        args: &[String],
        fds: &[(BorrowedFd<'_>, RawFd)],
    ) -> Result<Helper, BenchError> {
        let exe = std::env::current_exe().map_err(|e| BenchError::io("current_exe", e))?;
        let mut cmd = Command::new(exe);
        cmd.arg("--type=helper")
            .arg(kind)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        let moves: Vec<(RawFd, RawFd)> = fds.iter().map(|(f, to)| (f.as_raw_fd(), *to)).collect();
        // SAFETY: runs in the forked child before exec and only makes
        // async-signal-safe calls (fcntl, dup2, close) on descriptors this
        // process owns; it allocates nothing (`moves` was built before).
        unsafe {
            cmd.pre_exec(move || {
                // First out of the way (a source may sit on a target
                // number), then into place; dup2 clears close-on-exec.
                let mut high = [0; 8];
                for (i, (from, _)) in moves.iter().enumerate().take(high.len()) {
                    let fd = libc::fcntl(*from, libc::F_DUPFD_CLOEXEC, 100);
                    if fd < 0 {
                        return Err(io::Error::last_os_error());
                    }
                    high[i] = fd;
                }
                for (i, (_, to)) in moves.iter().enumerate().take(high.len()) {
                    if libc::dup2(high[i], *to) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                    libc::close(high[i]);
                }
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| BenchError::io("spawn helper", e))?;
        Ok(Helper { child })
    }

    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for it to exit.
    pub fn wait(mut self) -> Result<(), BenchError> {
        let status = self
            .child
            .wait()
            .map_err(|e| BenchError::io("wait helper", e))?;
        if status.success() {
            Ok(())
        } else {
            Err(BenchError::Setup(format!("helper exited with {status}")))
        }
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn cpu_arg(place: Placement) -> Vec<String> {
    place
        .peer_cpu()
        .map(|c| vec![format!("cpu={c}")])
        .unwrap_or_default()
}

fn seqpacket_pair() -> Result<(OwnedFd, OwnedFd), BenchError> {
    socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| BenchError::io("socketpair", e.into()))
}

fn send_all(fd: &OwnedFd, bytes: &[u8]) -> Result<(), BenchError> {
    loop {
        match send(fd, bytes, SendFlags::NOSIGNAL) {
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(BenchError::io("send", e.into())),
        }
    }
}

fn recv_one(fd: &OwnedFd, buf: &mut [u8]) -> Result<usize, BenchError> {
    loop {
        match recv(fd, &mut *buf, RecvFlags::empty()) {
            Ok((n, _)) => return Ok(n),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(BenchError::io("recv", e.into())),
        }
    }
}

/// Round trips of `size` bytes out, [`RAW_REPLY_BYTES`] back, over a bare
/// seqpacket pair; `warm` unmeasured first.
pub fn seqpacket_rtt(
    place: Placement,
    size: usize,
    n: usize,
    warm: usize,
) -> Result<Vec<u64>, BenchError> {
    let (mine, theirs) = seqpacket_pair()?;
    let helper = Helper::start("seqpacket-echo", &cpu_arg(place), &[(theirs.as_fd(), 3)])?;
    drop(theirs);
    let msg = vec![0x5a_u8; size];
    let mut buf = vec![0u8; MAX_MESSAGE_BYTES * 2];
    let mut samples = Vec::with_capacity(n);
    for i in 0..warm + n {
        let t0 = Instant::now();
        send_all(&mine, &msg)?;
        recv_one(&mine, &mut buf)?;
        if i >= warm {
            samples.push(ns_between(t0, Instant::now()));
        }
    }
    drop(mine);
    helper.wait()?;
    Ok(samples)
}

/// Round trips over ipc-channel's bytes channels (a fresh pair each way,
/// set up through a one-shot server as Workshop's bootstrap does).
pub fn ipc_channel_rtt(
    place: Placement,
    size: usize,
    n: usize,
    warm: usize,
) -> Result<Vec<u64>, BenchError> {
    let (server, name) = IpcOneShotServer::<(IpcBytesSender, IpcBytesReceiver)>::new()
        .map_err(|e| BenchError::io("one-shot server", e))?;
    let mut args = cpu_arg(place);
    args.push(format!("server={name}"));
    let helper = Helper::start("ipc-echo", &args, &[])?;
    let (_bootstrap, (to_helper, from_helper)) = server
        .accept()
        .map_err(|e| BenchError::Setup(format!("ipc-channel accept: {e:?}")))?;
    let msg = vec![0x5a_u8; size];
    let mut samples = Vec::with_capacity(n);
    for i in 0..warm + n {
        let t0 = Instant::now();
        to_helper
            .send(&msg)
            .map_err(|e| BenchError::io("ipc-channel send", e))?;
        let reply = from_helper
            .recv()
            .map_err(|e| BenchError::Setup(format!("ipc-channel recv: {e:?}")))?;
        drop(reply);
        if i >= warm {
            samples.push(ns_between(t0, Instant::now()));
        }
    }
    drop(to_helper);
    helper.wait()?;
    Ok(samples)
}

/// The invoke a renderer sends, `size` bytes encoded with a three-byte id.
fn invoke(id: u64, password: &str) -> RendererToBroker {
    RendererToBroker::Invoke {
        id: RequestId(id),
        request: Request::SubmitLogin {
            email: "x".to_owned(),
            password: Secret::new(password.to_owned()),
        },
    }
}

/// Round trips of the real invoke message through `ControlSocket` and the
/// codec, the helper playing the broker's reader and router reply without
/// the broker (see the module docs). Returns the samples and the reply size.
pub fn control_codec_rtt(
    place: Placement,
    size: usize,
    n: usize,
    warm: usize,
) -> Result<(Vec<u64>, usize), BenchError> {
    let password_len = password_len_for(size)
        .ok_or_else(|| BenchError::Setup(format!("no invoke of {size} bytes")))?;
    let password = "p".repeat(password_len);
    let (broker_end, renderer_end) =
        control::pair().map_err(|e| BenchError::io("control pair", e))?;
    let helper = Helper::start("control-echo", &cpu_arg(place), &[(broker_end.as_fd(), 3)])?;
    drop(broker_end);
    let socket = ControlSocket::from_inherited(renderer_end)
        .map_err(|e| BenchError::Setup(format!("control socket: {e}")))?;
    let mut send_buf = Vec::with_capacity(size);
    let mut recv_buf = vec![0u8; MAX_MESSAGE_BYTES];
    let mut samples = Vec::with_capacity(n);
    let mut reply_bytes = 0;
    if (warm + n) as u64 + THREE_BYTE_IDS_FROM > 65_535 {
        return Err(BenchError::Setup(
            "too many round trips for 3-byte ids".into(),
        ));
    }
    for i in 0..warm + n {
        let msg = invoke(THREE_BYTE_IDS_FROM + i as u64, &password);
        let t0 = Instant::now();
        codec::encode_into(&msg, &mut send_buf)
            .map_err(|e| BenchError::Setup(format!("encode: {e}")))?;
        if send_buf.len() != size {
            return Err(BenchError::Setup(format!(
                "invoke encoded to {} bytes, not {size}",
                send_buf.len()
            )));
        }
        let sent = socket.send(&send_buf);
        send_buf.fill(0);
        sent.map_err(|e| BenchError::Setup(format!("send: {e}")))?;
        let len = match socket.recv_timeout(&mut recv_buf, None) {
            Ok(Received::Message(len)) => len,
            other => return Err(BenchError::Setup(format!("control recv: {other:?}"))),
        };
        let reply: BrokerToRenderer = codec::decode(&recv_buf[..len])
            .map_err(|e| BenchError::Setup(format!("decode reply: {e}")))?;
        if i >= warm {
            samples.push(ns_between(t0, Instant::now()));
        }
        reply_bytes = len;
        drop(reply);
    }
    drop(socket);
    helper.wait()?;
    Ok((samples, reply_bytes))
}

/// One-way messages per second over a bare seqpacket pair: the helper sends
/// `n` datagrams of `size` bytes as fast as the bench drains them.
pub fn seqpacket_flood(place: Placement, size: usize, n: usize) -> Result<f64, BenchError> {
    let (mine, theirs) = seqpacket_pair()?;
    let mut args = cpu_arg(place);
    args.push(format!("n={n}"));
    args.push(format!("size={size}"));
    let helper = Helper::start("seqpacket-flood", &args, &[(theirs.as_fd(), 3)])?;
    drop(theirs);
    let mut buf = vec![0u8; 4096];
    let mut first = None;
    let mut got = 0usize;
    while got < n {
        let len = recv_one(&mine, &mut buf)?;
        if len == 0 {
            break;
        }
        got += 1;
        first.get_or_insert_with(Instant::now);
    }
    let end = Instant::now();
    helper.wait()?;
    rate(got, first, end)
}

/// One-way messages per second through `ControlSocket` and the codec: the
/// helper sends `n` encoded `SetCursor`s as a renderer does; the bench
/// reads them as the broker's receive thread does (`recv_strict`, decode,
/// zero), without the thread hop, queue, core or audit.
pub fn control_codec_flood(place: Placement, n: usize) -> Result<f64, BenchError> {
    let (broker_end, renderer_end) =
        control::pair().map_err(|e| BenchError::io("control pair", e))?;
    let mut args = cpu_arg(place);
    args.push(format!("n={n}"));
    let helper = Helper::start("control-flood", &args, &[(renderer_end.as_fd(), 3)])?;
    drop(renderer_end);
    let mut buf = Box::new([0u8; MAX_MESSAGE_BYTES]);
    let mut first = None;
    let mut got = 0usize;
    while got < n {
        match broker_end.recv_strict(&mut buf) {
            Ok(Strict::Datagram { len, .. }) => {
                let msg = codec::decode::<RendererToBroker>(&buf[..len]);
                buf[..len].fill(0);
                msg.map_err(|e| BenchError::Setup(format!("decode: {e}")))?;
                got += 1;
                first.get_or_insert_with(Instant::now);
            }
            Ok(Strict::Closed) => break,
            Err(e) => return Err(BenchError::Setup(format!("recv_strict: {e}"))),
        }
    }
    let end = Instant::now();
    helper.wait()?;
    rate(got, first, end)
}

fn rate(got: usize, first: Option<Instant>, end: Instant) -> Result<f64, BenchError> {
    let first = first.ok_or_else(|| BenchError::Setup("nothing arrived".into()))?;
    let secs = end.saturating_duration_since(first).as_secs_f64();
    if got < 2 || secs <= 0.0 {
        return Err(BenchError::Setup("too few messages to time".into()));
    }
    Ok((got - 1) as f64 / secs)
}

/// A shared mapping of a memfd.
struct Mapping {
    ptr: *mut std::ffi::c_void,
    len: usize,
}

impl Mapping {
    fn new(fd: &OwnedFd, len: usize) -> Result<Mapping, BenchError> {
        // SAFETY: a fresh shared mapping of a memfd this process created and
        // sized to `len`; nothing else in this process maps it, and it is
        // unmapped exactly once, in `drop`.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
                rustix::mm::MapFlags::SHARED,
                fd,
                0,
            )
        }
        .map_err(|e| BenchError::io("mmap", e.into()))?;
        Ok(Mapping { ptr, len })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes for the life of `self`.
        // Another process may write them concurrently; by the hand-off
        // protocol it does not while we read, and any byte value is valid.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }

    fn pixels_mut(&mut self) -> &mut [u32] {
        // SAFETY: the mapping is page aligned (so aligned for u32), `len`
        // is a multiple of 4, and `&mut self` makes this the only view in
        // this process.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.cast::<u32>(), self.len / 4) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps the mapping created in `new`, once; no slice of it
        // outlives `self`.
        let _ = unsafe { rustix::mm::munmap(self.ptr, self.len) };
    }
}

/// The bare hand-off of `frames` full `width × height × 4`-byte buffers:
/// returns frames per second and per-frame samples (ack sent → notify
/// received, plus the copy out when `copy`).
pub fn shm_handoff(
    place: Placement,
    width: u32,
    height: u32,
    frames: usize,
    warm: usize,
    copy: bool,
) -> Result<(f64, Vec<u64>), BenchError> {
    let len = width as usize * height as usize * 4;
    let memfd = rustix::fs::memfd_create("workshop-bench-surface", rustix::fs::MemfdFlags::CLOEXEC)
        .map_err(|e| BenchError::io("memfd_create", e.into()))?;
    rustix::fs::ftruncate(&memfd, len as u64).map_err(|e| BenchError::io("ftruncate", e.into()))?;
    let map = Mapping::new(&memfd, len)?;
    let (mine, theirs) = seqpacket_pair()?;
    let mut args = cpu_arg(place);
    args.push(format!("bytes={len}"));
    let helper = Helper::start(
        "shm-writer",
        &args,
        &[(theirs.as_fd(), 3), (memfd.as_fd(), 4)],
    )?;
    drop(theirs);
    let mut presented = vec![0u32; width as usize * height as usize];
    let full = workshop_common::geometry::PxRect::full(width, height);
    let mut samples = Vec::with_capacity(frames);
    let mut one = [0u8; 1];
    let mut start = Instant::now();
    for i in 0..warm + frames {
        if i == warm {
            start = Instant::now();
        }
        let t0 = Instant::now();
        send_all(&mine, &[1])?;
        recv_one(&mine, &mut one)?;
        if copy {
            workshop_broker::present::copy_damage(map.bytes(), &mut presented, width, height, full);
        }
        if i >= warm {
            samples.push(ns_between(t0, Instant::now()));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    drop(mine);
    helper.wait()?;
    std::hint::black_box(&presented);
    Ok((frames as f64 / secs, samples))
}

/// Allocating a `width × height` surface as the broker does
/// (`IpcSharedMemory::from_byte(0, ..)`: memfd, size, map, zero-fill), `n`
/// times.
pub fn surface_alloc(width: u32, height: u32, n: usize) -> Vec<u64> {
    let len = width as usize * height as usize * 4;
    (0..n)
        .map(|_| {
            let t0 = Instant::now();
            let shm = ipc_channel::ipc::IpcSharedMemory::from_byte(0, len);
            let t = ns_between(t0, Instant::now());
            drop(shm);
            t
        })
        .collect()
}

/// Starting this executable and waiting for it to exit, `n` times.
pub fn spawn_exit(n: usize) -> Result<Vec<u64>, BenchError> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        Helper::start("exit", &[], &[])?.wait()?;
        samples.push(ns_between(t0, Instant::now()));
    }
    Ok(samples)
}

// ---------------------------------------------------------------------------
// The helper side.

/// Runs helper `args[2]` (after `--type=helper`); returns the exit code.
pub fn helper_main(args: &[String]) -> i32 {
    let kind = args.get(2).map(String::as_str).unwrap_or("");
    let opt = |name: &str| -> Option<String> {
        args.iter()
            .skip(3)
            .find_map(|a| a.strip_prefix(name)?.strip_prefix('=').map(str::to_owned))
    };
    let num = |name: &str| opt(name).and_then(|v| v.parse::<usize>().ok());
    if let Some(cpu) = num("cpu") {
        if let Err(e) = pin_current_thread(cpu) {
            eprintln!("helper: cannot pin to CPU {cpu}: {e}");
            return 2;
        }
    }
    let result = match kind {
        "exit" => Ok(()),
        "idle" => loop {
            // Until the bench kills us (see `Helper`'s drop).
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        "seqpacket-echo" => inherited(3).and_then(|fd| seqpacket_echo(&fd)),
        "seqpacket-flood" => inherited(3).and_then(|fd| {
            seqpacket_flood_send(&fd, num("n").unwrap_or(0), num("size").unwrap_or(16))
        }),
        "ipc-echo" => match opt("server") {
            Some(name) => ipc_echo(name),
            None => Err(BenchError::Setup("ipc-echo needs server=NAME".into())),
        },
        "control-echo" => inherited(3).and_then(control_echo),
        "control-flood" => {
            inherited(3).and_then(|fd| control_flood_send(fd, num("n").unwrap_or(0)))
        }
        "shm-writer" => match (inherited(3), inherited(4), num("bytes")) {
            (Ok(sock), Ok(memfd), Some(len)) => shm_writer(&sock, &memfd, len),
            _ => Err(BenchError::Setup(
                "shm-writer needs fds 3, 4 and bytes=N".into(),
            )),
        },
        other => Err(BenchError::Setup(format!("unknown helper {other:?}"))),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("helper {kind}: {e}");
            1
        }
    }
}

fn inherited(fd: RawFd) -> Result<OwnedFd, BenchError> {
    // SAFETY: the bench placed this descriptor here for us (see
    // `Helper::start`); nothing else in this fresh process owns it. fstat
    // checks it is open before we take it.
    let ok = unsafe {
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        libc::fstat(fd, st.as_mut_ptr()) == 0
    };
    if !ok {
        return Err(BenchError::Setup(format!("fd {fd} not inherited")));
    }
    // SAFETY: as above: open, and ours alone.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn seqpacket_echo(fd: &OwnedFd) -> Result<(), BenchError> {
    let mut buf = vec![0u8; MAX_MESSAGE_BYTES * 2];
    let reply = [0xa5_u8; RAW_REPLY_BYTES];
    loop {
        if recv_one(fd, &mut buf)? == 0 {
            return Ok(());
        }
        send_all(fd, &reply)?;
    }
}

fn seqpacket_flood_send(fd: &OwnedFd, n: usize, size: usize) -> Result<(), BenchError> {
    let msg = vec![0x5a_u8; size];
    for _ in 0..n {
        send_all(fd, &msg)?;
    }
    Ok(())
}

fn ipc_echo(server: String) -> Result<(), BenchError> {
    let bootstrap = IpcSender::<(IpcBytesSender, IpcBytesReceiver)>::connect(server)
        .map_err(|e| BenchError::io("connect", e))?;
    let (to_me, from_bench) = ipc::bytes_channel().map_err(|e| BenchError::io("channel", e))?;
    let (to_bench, from_me) = ipc::bytes_channel().map_err(|e| BenchError::io("channel", e))?;
    bootstrap
        .send((to_me, from_me))
        .map_err(|e| BenchError::Setup(format!("bootstrap send: {e:?}")))?;
    let reply = [0xa5_u8; RAW_REPLY_BYTES];
    // The bench dropping its sender ends the loop.
    while let Ok(msg) = from_bench.recv() {
        drop(msg);
        to_bench
            .send(&reply)
            .map_err(|e| BenchError::io("ipc-channel send", e))?;
    }
    Ok(())
}

fn control_echo(fd: OwnedFd) -> Result<(), BenchError> {
    let socket = ControlSocket::from_inherited(fd)
        .map_err(|e| BenchError::Setup(format!("control socket: {e}")))?;
    let mut buf = Box::new([0u8; MAX_MESSAGE_BYTES]);
    let mut out = Vec::with_capacity(64);
    loop {
        match socket.recv_strict(&mut buf) {
            Ok(Strict::Datagram { len, .. }) => {
                let msg = codec::decode::<RendererToBroker>(&buf[..len]);
                buf[..len].fill(0);
                let id = match msg {
                    Ok(RendererToBroker::Invoke { id, .. }) => id,
                    other => {
                        return Err(BenchError::Setup(format!(
                            "control-echo: unexpected {:?}",
                            other.map(|m| m.kind())
                        )))
                    }
                };
                let reply = BrokerToRenderer::Reply {
                    id,
                    reply: Reply::SubmitLogin(Err(LoginError::InvalidEmail)),
                };
                codec::encode_into(&reply, &mut out)
                    .map_err(|e| BenchError::Setup(format!("encode: {e}")))?;
                socket
                    .try_send(&out)
                    .map_err(|e| BenchError::Setup(format!("try_send: {e}")))?;
            }
            Ok(Strict::Closed) => return Ok(()),
            Err(e) => return Err(BenchError::Setup(format!("recv_strict: {e}"))),
        }
    }
}

fn control_flood_send(fd: OwnedFd, n: usize) -> Result<(), BenchError> {
    let socket = ControlSocket::from_inherited(fd)
        .map_err(|e| BenchError::Setup(format!("control socket: {e}")))?;
    let mut out = Vec::with_capacity(16);
    for i in 0..n {
        let cursor = if i % 2 == 0 {
            CursorIcon::Pointer
        } else {
            CursorIcon::Default
        };
        codec::encode_into(&RendererToBroker::SetCursor { cursor }, &mut out)
            .map_err(|e| BenchError::Setup(format!("encode: {e}")))?;
        socket
            .send(&out)
            .map_err(|e| BenchError::Setup(format!("send: {e}")))?;
    }
    Ok(())
}

fn shm_writer(sock: &OwnedFd, memfd: &OwnedFd, len: usize) -> Result<(), BenchError> {
    let mut map = Mapping::new(memfd, len)?;
    let mut one = [0u8; 1];
    let mut value = 0u32;
    loop {
        if recv_one(sock, &mut one)? == 0 {
            return Ok(());
        }
        value = value.wrapping_add(0x010101) & 0x00ff_ffff;
        map.pixels_mut().fill(value);
        send_all(sock, &[1])?;
    }
}
