//! `sandbox-probe`: a stand-in renderer that locks itself down exactly as a
//! renderer does, runs the self-test probes, exercises every system call the
//! renderer relies on, and reports on stderr (the only fd it may write to).
//! The integration tests spawn it through [`workshop_sandbox::spawn`]; a
//! reviewer can run it by hand to see what this kernel enforces:
//!
//! ```text
//! sandbox-probe --mode=strict [--parent-ns=user:N,...] [--broker-pid=PID]
//!               [--skip=LAYER]... [--ipc=ONE_SHOT_SERVER_NAME]
//!               [--then=exit|hold|uname|write-stdout|abort|panic|thread-bomb|thread-bomb-hold|plain-stat]
//! ```
//!
//! Like a renderer it enters its empty root and drops its capabilities
//! after connecting (`--ipc`) and before the lockdown. `--skip` may be given
//! once per layer to leave out (test-knobs builds only; one lockdown layer
//! at most). `--then=thread-bomb` starts up to [`BOMB_THREADS`] parked
//! threads after the lockdown and says `fact bomb-threads N` (how many the
//! kernel allowed) before releasing them. `--then=plain-stat` calls
//! `stat(3)` on `/etc/passwd`, `/proc/self` and a path that exists nowhere
//! and says `fact plain-stat-NAME ok|ERRNO` (only without seccomp, which
//! kills that form of `newfstatat`).
//!
//! fd 3, if open, is a `SOCK_SEQPACKET` socket to the "broker": the probe
//! sends a datagram on it, waits (with `poll`) for a message carrying a
//! shared-memory fd, maps it, writes [`REPLY_BYTE`] over it and says
//! `mapped`. With `--then=hold` it then blocks on fd 3 until the peer hangs
//! up, so the tests can inspect it from outside.
//!
//! With `--ipc` (and the `probe-ipc` feature) it also connects to an
//! ipc-channel one-shot server before its lockdown, sends it an
//! `IpcSender<IpcSharedMemory>` and an `IpcBytesSender`, says `ipc-connected`,
//! and after the lockdown receives a surface (`try_recv_timeout`), writes
//! [`REPLY_BYTE`] over it, and receives a small and a fragmented bytes
//! message, as a renderer does.
//!
//! `sandbox-probe spawn-without-userns --mode=MODE` plays the broker on a
//! system that refuses namespaces: it makes `unshare` fail with `EPERM` for
//! itself and its children (a one-rule seccomp filter), then spawns itself
//! as a renderer through [`workshop_sandbox::SpawnConfinement`] and passes
//! on its exit status (`spawn-error ERRNO`, exit code 3, if `spawn` fails).
//!
//! Report lines (stderr): `fact KEY VALUE`, `layer NAME STATE DETAIL`,
//! `probe NAME OUTCOME`, `exercise NAME ok|failed:ERRNO`, `done`, `holding`,
//! or `lockdown-error LAYER MESSAGE` (exit code 2).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use workshop_common::sandbox_report::{Layer, LayerState, LayerStatus, ProbeOutcome, SandboxMode};
use workshop_sandbox::{namespaces_status, run_probes, ParentNamespaces, ProbeContext};

/// The fd of the socket to the (test) broker.
const BROKER_FD: libc::c_int = 3;
/// The byte the probe writes over the shared memory it receives.
const REPLY_BYTE: u8 = 0xa5;
/// Exit code when the lockdown fails.
const EXIT_LOCKDOWN_FAILED: i32 = 2;
/// Exit code for bad arguments.
const EXIT_USAGE: i32 = 64;
/// Threads `--then=thread-bomb` tries to start (the task limit must stop
/// it long before; without the limit this many small parked threads are
/// still harmless).
const BOMB_THREADS: usize = 1000;
/// Upper bound on waiting for the broker's shared-memory message (a guard
/// against a hung test, not a timing assertion).
const RECV_TIMEOUT_MS: libc::c_int = 30_000;

struct Args {
    mode: SandboxMode,
    parent: Option<ParentNamespaces>,
    broker_pid: u32,
    skip: Vec<Layer>,
    ipc: Option<String>,
    then: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        mode: SandboxMode::Strict,
        parent: None,
        broker_pid: 0,
        skip: Vec::new(),
        ipc: None,
        then: "exit".into(),
    };
    for arg in std::env::args().skip(1) {
        let (key, value) = arg
            .split_once('=')
            .ok_or_else(|| format!("bad argument {arg}"))?;
        match key {
            "--mode" => {
                args.mode = SandboxMode::parse(value).ok_or_else(|| format!("bad mode {value}"))?
            }
            "--parent-ns" => {
                args.parent = Some(ParentNamespaces::parse(value).map_err(|e| e.to_string())?)
            }
            "--broker-pid" => args.broker_pid = value.parse().map_err(|_| "bad pid".to_string())?,
            "--skip" => args.skip.push(
                Layer::ALL
                    .into_iter()
                    .find(|l| l.name() == value)
                    .ok_or_else(|| format!("bad layer {value}"))?,
            ),
            "--then" => args.then = value.into(),
            "--ipc" => args.ipc = Some(value.into()),
            _ => return Err(format!("unknown argument {key}")),
        }
    }
    Ok(args)
}

fn state(s: LayerState) -> String {
    match s {
        LayerState::Active => "active".into(),
        LayerState::Partial => "partial".into(),
        LayerState::Unavailable { errno } => format!("unavailable:{errno}"),
        LayerState::Disabled => "disabled".into(),
    }
}

fn outcome(o: ProbeOutcome) -> String {
    match o {
        ProbeOutcome::Denied { errno } => format!("denied:{errno}"),
        ProbeOutcome::Allowed => "allowed".into(),
        ProbeOutcome::NotRun => "not-run".into(),
    }
}

/// Writes one report line to stderr (a single `write`).
fn report(line: &str) {
    let mut out = std::io::stderr().lock();
    let _ = out.write_all(format!("{line}\n").as_bytes());
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// The bootstrap layers (empty root, capability drop), then the lockdown,
/// leaving out the layers in `skip`.
#[cfg(feature = "test-knobs")]
fn lock(
    mode: SandboxMode,
    skip: &[Layer],
) -> Result<Vec<LayerStatus>, workshop_sandbox::LockdownError> {
    use workshop_sandbox::Knobs;
    let knobs = |layers: &[Layer]| Knobs {
        skip: skip.iter().copied().find(|l| layers.contains(l)),
    };
    let mut out = vec![
        workshop_sandbox::empty_root_with(mode, &knobs(&[Layer::EmptyRoot]))?,
        workshop_sandbox::drop_capabilities_with(mode, &knobs(&[Layer::NoCapabilities]))?,
    ];
    out.extend(workshop_sandbox::lockdown_with(
        mode,
        &knobs(&workshop_sandbox::LOCKDOWN_LAYERS),
    )?);
    Ok(out)
}

#[cfg(not(feature = "test-knobs"))]
fn lock(
    mode: SandboxMode,
    skip: &[Layer],
) -> Result<Vec<LayerStatus>, workshop_sandbox::LockdownError> {
    if !skip.is_empty() {
        report("lockdown-error none --skip needs the test-knobs feature");
        std::process::exit(EXIT_USAGE);
    }
    let mut out = vec![
        workshop_sandbox::empty_root(mode)?,
        workshop_sandbox::drop_capabilities(mode)?,
    ];
    out.extend(workshop_sandbox::lockdown(mode)?);
    Ok(out)
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("spawn-without-userns") {
        spawn_without_userns();
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            report(&format!("usage-error {e}"));
            std::process::exit(EXIT_USAGE);
        }
    };

    // Before the lockdown: what only /proc and plain calls can tell.
    let inherited = open_fds();
    // SAFETY: getuid/getpid have no preconditions.
    let (uid, pid) = unsafe { (libc::getuid(), libc::getpid()) };
    let namespaces = args.parent.as_ref().map(namespaces_status);
    let ctx = ProbeContext::new(args.broker_pid);
    let ipc = connect_ipc(args.ipc);

    let layers = match lock(args.mode, &args.skip) {
        Ok(layers) => layers,
        Err(e) => {
            let layer = e.layer().map_or("none", Layer::name);
            report(&format!("lockdown-error {layer} {e}"));
            std::process::exit(EXIT_LOCKDOWN_FAILED);
        }
    };

    report(&format!("fact open-fds {inherited}"));
    report(&format!("fact uid {uid}"));
    report(&format!("fact pid {pid}"));
    for l in namespaces.iter().flatten().chain(&layers) {
        report(&format!(
            "layer {} {} {}",
            l.layer.name(),
            state(l.state),
            l.detail
        ));
    }
    for p in run_probes(&ctx) {
        report(&format!("probe {} {}", p.probe.name(), outcome(p.outcome)));
    }
    exercise();
    exercise_ipc(ipc);
    report("done");

    match args.then.as_str() {
        "exit" => {}
        "hold" => {
            report("holding");
            hold();
        }
        "uname" => {
            // SAFETY: a zeroed utsname is a valid buffer.
            let mut u: libc::utsname = unsafe { std::mem::zeroed() };
            // SAFETY: `u` is valid to write.
            unsafe { libc::uname(&mut u) };
            report("survived uname");
        }
        "write-stdout" => {
            // SAFETY: writes one byte from a valid buffer.
            unsafe { libc::write(libc::STDOUT_FILENO, b"x".as_ptr().cast(), 1) };
            report("survived write-stdout");
        }
        "plain-stat" => {
            for (name, path) in [
                ("etc-passwd", c"/etc/passwd"),
                ("proc-self", c"/proc/self"),
                ("nowhere", c"/nonexistent/workshop-probe"),
            ] {
                // SAFETY: a zeroed stat is a valid buffer.
                let mut st: libc::stat = unsafe { std::mem::zeroed() };
                // SAFETY: NUL-terminated path; `st` is valid to write.
                let rc = unsafe { libc::stat(path.as_ptr(), &mut st) };
                let seen = if rc == 0 {
                    "ok".into()
                } else {
                    errno().to_string()
                };
                report(&format!("fact plain-stat-{name} {seen}"));
            }
        }
        "thread-bomb" => thread_bomb(false),
        "thread-bomb-hold" => thread_bomb(true),
        "abort" => std::process::abort(),
        "panic" => panic!("sandbox-probe panics on purpose"),
        other => report(&format!("usage-error unknown --then={other}")),
    }
}

/// Starts up to [`BOMB_THREADS`] parked threads, says how many started,
/// (with `hold`: says `holding` and waits for fd 3 to hang up), releases
/// and joins them.
fn thread_bomb(hold_them: bool) {
    let mut parked = Vec::new();
    let mut refused = 0;
    for _ in 0..BOMB_THREADS {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        match std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || wait.recv())
        {
            Ok(handle) => parked.push((release, handle)),
            Err(e) => {
                refused = e.raw_os_error().unwrap_or(-1);
                break;
            }
        }
    }
    report(&format!("fact bomb-threads {}", parked.len()));
    report(&format!("fact bomb-refused {refused}"));
    if hold_them {
        report("holding");
        hold();
    }
    for (release, handle) in parked {
        drop(release);
        let _ = handle.join();
    }
    report("survived thread-bomb");
}

/// The fds open at start, e.g. `0,1,2,3` (probed with F_GETFD, before the
/// lockdown).
fn open_fds() -> String {
    (0..256)
        // SAFETY: F_GETFD on a possibly closed fd only reports EBADF.
        .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0)
        .map(|fd| fd.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn exercised(name: &str, result: Result<(), i32>) {
    match result {
        Ok(()) => report(&format!("exercise {name} ok")),
        Err(e) => report(&format!("exercise {name} failed:{e}")),
    }
}

static HANDLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_usr1(_: libc::c_int) {
    HANDLED.store(true, Ordering::SeqCst);
}

/// Every system call the renderer relies on after its lockdown.
fn exercise() {
    // Threads: clone(CLONE_THREAD) (after clone3's ENOSYS), set_robust_list,
    // rseq, sigaltstack, mmap/mprotect for the stack, prctl(PR_SET_NAME) for
    // its name, futex for join, a new malloc arena, exit, madvise of the
    // dead stack.
    let joined = std::thread::Builder::new()
        .name("probe-worker".into())
        .spawn(|| {
            let v: Vec<u64> = (0..100_000).collect();
            v.iter().sum::<u64>()
        })
        .map_err(|e| e.raw_os_error().unwrap_or(-1))
        .and_then(|h| h.join().map_err(|_| -1));
    exercised(
        "thread",
        joined.and_then(|sum| {
            if sum == 4_999_950_000 {
                Ok(())
            } else {
                Err(-1)
            }
        }),
    );

    // malloc small and big (brk, mmap, munmap), realloc of a big block
    // (mremap).
    let small: Vec<Box<[u8; 32]>> = (0..1000).map(|_| Box::new([7; 32])).collect();
    let mut big = vec![1u8; 1 << 20];
    big.resize(16 << 20, 2);
    let ok = small.len() == 1000 && big[(16 << 20) - 1] == 2;
    drop(small);
    drop(big);
    exercised("malloc", if ok { Ok(()) } else { Err(-1) });

    exercised("mmap", mmap_cycle());
    exercised("stderr", {
        eprintln!("exercise-line written to stderr with eprintln!");
        Ok(())
    });

    // Time, randomness, scheduling, identity.
    let now = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_nanos(1));
    let _ = now.elapsed();
    exercised("clock", Ok(()));
    let mut seed = [0u8; 16];
    // SAFETY: `seed` is valid for its length.
    let got = unsafe { libc::getrandom(seed.as_mut_ptr().cast(), seed.len(), 0) };
    exercised("getrandom", if got == 16 { Ok(()) } else { Err(errno()) });
    let mut map = HashMap::new();
    map.insert("k", 1);
    exercised("hashmap", if map["k"] == 1 { Ok(()) } else { Err(-1) });
    // SAFETY: sched_yield has no preconditions.
    let yielded = unsafe { libc::sched_yield() };
    exercised(
        "sched_yield",
        if yielded == 0 { Ok(()) } else { Err(errno()) },
    );
    exercised(
        "available_parallelism",
        std::thread::available_parallelism()
            .map(|_| ())
            .map_err(|e| e.raw_os_error().unwrap_or(-1)),
    );

    // Signals to itself: kill(self, 0), a handler run via tgkill
    // (rt_sigaction, tgkill, rt_sigreturn).
    exercised("signal-self", signal_self());

    // The broker socket, if the test gave us one.
    // Is fd 3 open? Asked with F_SETFL (the one fcntl command the allowlist
    // has), clearing flags a fresh socket does not have anyway.
    // SAFETY: fcntl on a possibly closed fd only reports EBADF.
    if unsafe { libc::fcntl(BROKER_FD, libc::F_SETFL, 0) } == 0 {
        exercised("send", send_datagram(b"hello"));
        exercised("try-recv-nonblocking", try_recv_nonblocking());
        exercised("recv-shared-memory", recv_shared_memory());
    }
}

fn mmap_cycle() -> Result<(), i32> {
    let len = 1 << 20;
    // SAFETY: a fresh anonymous mapping, used only within this function.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return Err(errno());
        }
        std::ptr::write_bytes(p.cast::<u8>(), 9, len);
        if libc::madvise(p, len, libc::MADV_DONTNEED) != 0
            || libc::mprotect(p, len, libc::PROT_READ) != 0
            || libc::munmap(p, len) != 0
        {
            return Err(errno());
        }
    }
    Ok(())
}

fn signal_self() -> Result<(), i32> {
    // SAFETY: installs an async-signal-safe handler (one atomic store) for
    // SIGUSR1, then signals this very thread.
    unsafe {
        if libc::kill(libc::getpid(), 0) != 0 {
            return Err(errno());
        }
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_usr1 as extern "C" fn(libc::c_int) as libc::sighandler_t;
        if libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()) != 0 {
            return Err(errno());
        }
        if libc::raise(libc::SIGUSR1) != 0 {
            return Err(errno());
        }
    }
    if HANDLED.load(Ordering::SeqCst) {
        Ok(())
    } else {
        Err(-1)
    }
}

fn send_datagram(bytes: &[u8]) -> Result<(), i32> {
    // SAFETY: `bytes` is valid for its length; fd 3 is our socket.
    let sent = unsafe { libc::send(BROKER_FD, bytes.as_ptr().cast(), bytes.len(), 0) };
    if sent < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

fn try_recv_nonblocking() -> Result<(), i32> {
    let mut buf = [0u8; 16];
    // SAFETY: fcntl on our socket; recv into a valid buffer.
    unsafe {
        if libc::fcntl(BROKER_FD, libc::F_SETFL, libc::O_NONBLOCK) != 0 {
            return Err(errno());
        }
        // The broker may or may not have sent already: either a message is
        // there (peek, leave it) or EAGAIN; both are fine.
        let got = libc::recv(
            BROKER_FD,
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_PEEK,
        );
        let e = errno();
        if libc::fcntl(BROKER_FD, libc::F_SETFL, 0) != 0 {
            return Err(errno());
        }
        if got < 0 && e != libc::EAGAIN {
            return Err(e);
        }
    }
    Ok(())
}

/// Waits for a message with one fd, maps it shared, overwrites it and says
/// so: what the renderer does with each surface.
fn recv_shared_memory() -> Result<(), i32> {
    let mut poll = libc::pollfd {
        fd: BROKER_FD,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let ready = unsafe { libc::poll(&mut poll, 1, RECV_TIMEOUT_MS) };
    if ready != 1 {
        return Err(if ready == 0 { libc::ETIMEDOUT } else { errno() });
    }
    let mut data = [0u8; 64];
    let mut control = [0u64; 8]; // aligned room for one SCM_RIGHTS fd
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: msghdr is plain old data; all zeroes is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control);
    // SAFETY: `msg` points at valid buffers of the stated sizes.
    let got = unsafe { libc::recvmsg(BROKER_FD, &mut msg, libc::MSG_CMSG_CLOEXEC) };
    if got < 0 {
        return Err(errno());
    }
    // SAFETY: the kernel filled `control`; CMSG_* walk it within bounds.
    let fd = unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if cmsg.is_null()
            || (*cmsg).cmsg_level != libc::SOL_SOCKET
            || (*cmsg).cmsg_type != libc::SCM_RIGHTS
        {
            return Err(libc::EBADMSG);
        }
        std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>())
    };
    // glibc's fstat(3): newfstatat(fd, "", AT_EMPTY_PATH).
    // SAFETY: a zeroed stat is a valid buffer; `fd` is ours.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(errno());
    }
    let len = usize::try_from(st.st_size).map_err(|_| libc::EINVAL)?;
    // SAFETY: maps the received fd shared, writes within it, unmaps it.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        );
        if p == libc::MAP_FAILED {
            return Err(errno());
        }
        let first = *p.cast::<u8>();
        std::ptr::write_bytes(p.cast::<u8>(), REPLY_BYTE, len);
        libc::munmap(p, len);
        libc::close(fd);
        report(&format!("fact shm-first-byte {first}"));
    }
    send_datagram(b"mapped")
}

/// Blocks until the peer on fd 3 hangs up.
fn hold() {
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: recv into a valid buffer.
        let got = unsafe { libc::recv(BROKER_FD, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if got == 0 || (got < 0 && errno() != libc::EINTR) {
            return;
        }
    }
}

#[cfg(feature = "probe-ipc")]
mod ipc_probe {
    //! The renderer's ipc-channel receive paths, after the lockdown.
    use std::time::Duration;

    use ipc_channel::ipc::{self, IpcBytesReceiver, IpcReceiver, IpcSender, IpcSharedMemory};

    use super::{exercised, report, RECV_TIMEOUT_MS, REPLY_BYTE};

    /// What the probe sends the test over the one-shot server.
    pub type Bootstrap = (IpcSender<IpcSharedMemory>, ipc::IpcBytesSender);

    /// The receiving ends the probe keeps.
    pub struct Channels {
        surfaces: IpcReceiver<IpcSharedMemory>,
        bytes: IpcBytesReceiver,
    }

    /// Before the lockdown: connect, hand over two senders. (The first
    /// send also makes ipc-channel measure the socket buffer size with a
    /// socketpair, which the lockdown later forbids.)
    pub fn connect(name: String) -> Result<Channels, String> {
        let bootstrap: IpcSender<Bootstrap> =
            IpcSender::connect(name).map_err(|e| e.to_string())?;
        let (surface_tx, surfaces) = ipc::channel().map_err(|e| e.to_string())?;
        let (bytes_tx, bytes) = ipc::bytes_channel().map_err(|e| e.to_string())?;
        bootstrap
            .send((surface_tx, bytes_tx))
            .map_err(|e| e.to_string())?;
        Ok(Channels { surfaces, bytes })
    }

    /// After the lockdown: receive and use what the test sends.
    pub fn exercise(channels: Channels) {
        let timeout = Duration::from_millis(RECV_TIMEOUT_MS.unsigned_abs().into());
        exercised(
            "ipc-surface",
            match channels.surfaces.try_recv_timeout(timeout) {
                Ok(mut surface) => {
                    report(&format!("fact ipc-surface-len {}", surface.len()));
                    report(&format!(
                        "fact ipc-surface-first-byte {}",
                        surface.first().copied().unwrap_or(0)
                    ));
                    // SAFETY: this process holds the only mapping it writes
                    // through; the test only reads its own afterwards.
                    unsafe { surface.deref_mut() }.fill(REPLY_BYTE);
                    Ok(())
                }
                Err(e) => {
                    report(&format!("fact ipc-surface-error {e:?}"));
                    Err(-1)
                }
            },
        );
        exercised(
            "ipc-bytes",
            match channels.bytes.recv() {
                Ok(b) if b == b"ping" => Ok(()),
                _ => Err(-1),
            },
        );
        exercised(
            "ipc-fragmented",
            match channels.bytes.recv() {
                Ok(b) => {
                    report(&format!("fact ipc-fragmented-len {}", b.len()));
                    Ok(())
                }
                Err(_) => Err(-1),
            },
        );
        exercised(
            "ipc-try-recv",
            match channels.bytes.try_recv() {
                Err(ipc_channel::TryRecvError::Empty) => Ok(()),
                _ => Err(-1),
            },
        );
    }
}

#[cfg(feature = "probe-ipc")]
fn connect_ipc(name: Option<String>) -> Option<ipc_probe::Channels> {
    let channels = match ipc_probe::connect(name?) {
        Ok(c) => c,
        Err(e) => {
            report(&format!("usage-error ipc connect: {e}"));
            std::process::exit(EXIT_USAGE);
        }
    };
    report("ipc-connected");
    Some(channels)
}

#[cfg(feature = "probe-ipc")]
fn exercise_ipc(channels: Option<ipc_probe::Channels>) {
    if let Some(c) = channels {
        ipc_probe::exercise(c);
    }
}

#[cfg(not(feature = "probe-ipc"))]
fn connect_ipc(name: Option<String>) -> Option<()> {
    if name.is_some() {
        report("usage-error --ipc needs the probe-ipc feature");
        std::process::exit(EXIT_USAGE);
    }
    None
}

#[cfg(not(feature = "probe-ipc"))]
fn exercise_ipc(_: Option<()>) {}

/// Exit code when `spawn` itself fails (in `spawn-without-userns`).
const EXIT_SPAWN_FAILED: i32 = 3;

/// See the module docs. Never returns.
fn spawn_without_userns() -> ! {
    use std::os::unix::process::{CommandExt, ExitStatusExt};

    let mode = std::env::args()
        .nth(2)
        .and_then(|a| a.strip_prefix("--mode=").and_then(SandboxMode::parse))
        .unwrap_or(SandboxMode::Enforce);
    if let Err(e) = refuse_unshare() {
        report(&format!("usage-error seccomp: {e}"));
        std::process::exit(EXIT_USAGE);
    }
    let confinement = match workshop_sandbox::SpawnConfinement::prepare(mode) {
        Ok(c) => c,
        Err(e) => {
            report(&format!("usage-error prepare: {e}"));
            std::process::exit(EXIT_USAGE);
        }
    };
    // No broker socket for this renderer: fd 3 stays closed.
    // SAFETY: closing a possibly closed fd is harmless.
    unsafe { libc::close(BROKER_FD) };
    let Ok(exe) = std::env::current_exe() else {
        std::process::exit(EXIT_USAGE);
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.arg(format!("--mode={}", mode.as_str()))
        .arg(format!(
            "--parent-ns={}",
            confinement.parent_namespaces().to_arg()
        ))
        .arg(format!("--broker-pid={}", confinement.broker_pid()))
        .stdin(std::process::Stdio::null());
    // SAFETY: `enter` is async-signal-safe and made for `pre_exec`.
    unsafe { cmd.pre_exec(move || confinement.enter()) };
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            report(&format!("spawn-error {}", e.raw_os_error().unwrap_or(-1)));
            std::process::exit(EXIT_SPAWN_FAILED);
        }
    };
    let direct = workshop_sandbox::renderer_pid(child.id()).ok() == Some(child.id());
    report(&format!("fact renderer-is-direct-child {direct}"));
    match child.wait() {
        Ok(status) => {
            std::process::exit(status.code().unwrap_or(128 + status.signal().unwrap_or(0)))
        }
        Err(_) => std::process::exit(EXIT_USAGE),
    }
}

/// Installs a filter that fails `unshare` with EPERM and allows the rest.
fn refuse_unshare() -> Result<(), String> {
    use seccompiler::{BpfProgram, SeccompAction, SeccompFilter};

    let arch = std::env::consts::ARCH
        .try_into()
        .map_err(|e| format!("{e:?}"))?;
    let filter = SeccompFilter::new(
        [(libc::SYS_unshare, vec![])].into_iter().collect(),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM.unsigned_abs()),
        arch,
    )
    .map_err(|e| e.to_string())?;
    let program = BpfProgram::try_from(filter).map_err(|e| e.to_string())?;
    seccompiler::apply_filter(&program).map_err(|e| e.to_string())
}
