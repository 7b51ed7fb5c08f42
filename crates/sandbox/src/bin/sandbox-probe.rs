//! `sandbox-probe`: a stand-in renderer that locks itself down exactly as a
//! renderer does, runs the self-test probes, exercises every system call the
//! renderer relies on, and reports on stderr (the only fd it may write to).
//! The integration tests spawn it through [`workshop_sandbox::spawn`]; a
//! reviewer can run it by hand to see what this kernel enforces:
//!
//! ```text
//! sandbox-probe list-violations
//! sandbox-probe --mode=strict [--parent-ns=user:N,...] [--broker-pid=PID]
//!               [--skip=LAYER]... [--lenient=1] [--crowd-seccomp=1]
//!               [--ipc=ONE_SHOT_SERVER_NAME]
//!               [--then=exit|hold|uname|uname-on-thread|write-stdout|abort|panic|
//!                       thread-bomb|thread-bomb-hold|plain-stat|
//!                       violate:CASE|violate-with-sigsys-blocked]
//! ```
//!
//! Like a renderer it enters its empty root and drops its capabilities
//! after connecting (`--ipc`) and before the lockdown. `--skip` may be given
//! once per layer to leave out (test-knobs builds only; one lockdown layer
//! at most). `--lenient=1` (with `--skip=seccomp`) goes on without the
//! filter in enforce mode, to show what the other layers hold alone.
//! `--crowd-seccomp=1` installs allow-all filters before the lockdown that
//! use up the kernel's per-thread filter budget (`MAX_INSNS_PER_PATH`), so
//! that the errno filters still fit and the allowlist does not: a real
//! partially installed stack. `--then=violate:CASE` makes one of the
//! forbidden calls in [`VIOLATIONS`] after the exercises (it must trap:
//! `violating CASE NR`, then the handler's line, never `survived CASE`).
//! `list-violations` prints that table, `CASE NR` per line, unconfined, so
//! the tests iterate over the one definition of it.
//! `--then=thread-bomb` starts up to [`BOMB_THREADS`] parked threads after
//! the lockdown and says `fact bomb-threads N` (how many the kernel
//! allowed) before releasing them. `--then=plain-stat` calls `stat(3)` on
//! `/etc/passwd`, `/proc/self` and a path that exists nowhere and says
//! `fact plain-stat-NAME ok|ERRNO` (only without seccomp, which kills that
//! form of `newfstatat`).
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
//! `probe NAME OUTCOME`, `exercise NAME ok|failed:ERRNO`, `refused NAME
//! denied:ERRNO|allowed` (forbidden argument variants that must get an
//! errno), `done`, `holding`, or `lockdown-error LAYER MESSAGE` (exit
//! code 2).

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
    lenient: bool,
    crowd_seccomp: bool,
    ipc: Option<String>,
    then: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        mode: SandboxMode::Strict,
        parent: None,
        broker_pid: 0,
        skip: Vec::new(),
        lenient: false,
        crowd_seccomp: false,
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
            "--lenient" => args.lenient = value == "1",
            "--crowd-seccomp" => args.crowd_seccomp = value == "1",
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
    lenient: bool,
) -> Result<Vec<LayerStatus>, workshop_sandbox::LockdownError> {
    use workshop_sandbox::Knobs;
    let knobs = |layers: &[Layer]| Knobs {
        skip: skip.iter().copied().find(|l| layers.contains(l)),
        lenient,
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
    lenient: bool,
) -> Result<Vec<LayerStatus>, workshop_sandbox::LockdownError> {
    if !skip.is_empty() || lenient {
        report("lockdown-error none --skip and --lenient need the test-knobs feature");
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
    match std::env::args().nth(1).as_deref() {
        Some("spawn-without-userns") => spawn_without_userns(),
        Some("list-violations") => {
            for (case, nr) in VIOLATIONS {
                report(&format!("{case} {nr}"));
            }
            return;
        }
        _ => {}
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
    if args.crowd_seccomp {
        if let Err(e) = crowd_seccomp() {
            report(&format!("usage-error crowd-seccomp: {e}"));
            std::process::exit(EXIT_USAGE);
        }
        report("fact crowded-seccomp yes");
    }

    let layers = match lock(args.mode, &args.skip, args.lenient) {
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
    exercise_arguments();
    refuse_arguments();
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
        "uname-on-thread" => {
            // A thread made after the lockdown inherits the filter, and
            // the process-wide handler reports its violation.
            let joined = std::thread::spawn(|| {
                // SAFETY: a zeroed utsname is a valid buffer to write.
                let mut u: libc::utsname = unsafe { std::mem::zeroed() };
                // SAFETY: as above.
                unsafe { libc::uname(&mut u) };
            })
            .join();
            report(&format!("survived uname-on-thread {}", joined.is_ok()));
        }
        "violate-with-sigsys-blocked" => {
            // SAFETY: blocks SIGSYS in this thread's mask, then makes an
            // unlisted call (harmless if it were allowed).
            unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, libc::SIGSYS);
                libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                let mut u: libc::utsname = std::mem::zeroed();
                libc::uname(&mut u);
            }
            report("survived violate-with-sigsys-blocked");
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
        other => match other.strip_prefix("violate:") {
            Some(case) => violate(case),
            None => report(&format!("usage-error unknown --then={other}")),
        },
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
        exercised("sendmsg-eor", sendmsg_eor(b"sendmsg"));
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

/// ipc-channel's send: `sendmsg` with `MSG_EOR` (no fds).
fn sendmsg_eor(bytes: &[u8]) -> Result<(), i32> {
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr().cast_mut().cast(),
        iov_len: bytes.len(),
    };
    // SAFETY: msghdr is plain old data; all zeroes is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    // SAFETY: `msg` points at a valid iovec over `bytes` (only read).
    let sent = unsafe { libc::sendmsg(BROKER_FD, &msg, libc::MSG_EOR) };
    if sent < 0 {
        Err(errno())
    } else {
        Ok(())
    }
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

/// An argument-free page for the calls below that take an address.
fn scratch_page() -> Result<*mut libc::c_void, i32> {
    // SAFETY: a fresh anonymous mapping; the callers only pass it to the
    // kernel and never unmap it (the process ends soon after).
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        Err(errno())
    } else {
        Ok(p)
    }
}

/// The page size the calls below assume (the smallest Linux has).
const PAGE: usize = 4096;

/// `syscall(2)` and its errno: `Ok(return value)` or `Err(errno)`.
fn raw(nr: libc::c_long, args: [u64; 6]) -> Result<libc::c_long, i32> {
    // SAFETY: each caller passes arguments valid for its call (pointers to
    // live buffers or null where the call allows it).
    let ret = unsafe { libc::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]) };
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret)
    }
}

/// Expects success, or one of the errnos in `fine` (the call was let
/// through and the kernel answered on its merits).
fn expect(result: Result<libc::c_long, i32>, fine: &[i32]) -> Result<(), i32> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if fine.contains(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Each allowed argument variant of the table, made as a raw system call
/// (a libc wrapper or the vDSO could skip the kernel). A wrong rule traps,
/// which ends the probe before `done`.
fn exercise_arguments() {
    let addr = |p: *mut libc::c_void| p as u64;
    let page = match scratch_page() {
        Ok(p) => p,
        Err(e) => {
            exercised("scratch-page", Err(e));
            return;
        }
    };
    let ts = addr(page);
    for (name, clock) in [
        ("clock_gettime-realtime", libc::CLOCK_REALTIME),
        ("clock_gettime-monotonic", libc::CLOCK_MONOTONIC),
    ] {
        exercised(
            name,
            expect(
                raw(libc::SYS_clock_gettime, [clock as u64, ts, 0, 0, 0, 0]),
                &[],
            ),
        );
    }
    // A zero relative sleep: the page is zeroed.
    let zero = addr(page.wrapping_byte_add(64));
    for (name, clock) in [
        ("clock_nanosleep-realtime", libc::CLOCK_REALTIME),
        ("clock_nanosleep-monotonic", libc::CLOCK_MONOTONIC),
    ] {
        exercised(
            name,
            expect(
                raw(libc::SYS_clock_nanosleep, [clock as u64, 0, zero, 0, 0, 0]),
                &[],
            ),
        );
    }
    // Futex ops on a word holding 0: WAKE wakes nobody, WAIT for 1 fails
    // at once with EAGAIN (the kernel compared the value: the filter let it
    // through).
    let word = addr(page.wrapping_byte_add(128));
    for (name, op, val) in [
        ("futex-wake", libc::FUTEX_WAKE, 1),
        (
            "futex-wake-private",
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            1,
        ),
        ("futex-wait", libc::FUTEX_WAIT, 1),
        (
            "futex-wait-private",
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            1,
        ),
        (
            "futex-wait-bitset-realtime",
            libc::FUTEX_WAIT_BITSET | libc::FUTEX_CLOCK_REALTIME,
            1,
        ),
        (
            "futex-wait-bitset-private",
            libc::FUTEX_WAIT_BITSET | libc::FUTEX_PRIVATE_FLAG,
            1,
        ),
    ] {
        let bitset = u64::from(u32::MAX);
        exercised(
            name,
            expect(
                raw(libc::SYS_futex, [word, op as u64, val, 0, 0, bitset]),
                &[libc::EAGAIN],
            ),
        );
    }
    let buf = addr(page.wrapping_byte_add(256));
    for (name, flags) in [
        ("getrandom-insecure", libc::GRND_INSECURE),
        ("getrandom-nonblock", libc::GRND_NONBLOCK),
    ] {
        exercised(
            name,
            expect(
                raw(libc::SYS_getrandom, [buf, 16, u64::from(flags), 0, 0, 0]),
                &[libc::EAGAIN],
            ),
        );
    }
    exercised(
        "fcntl-getfd",
        expect(
            raw(libc::SYS_fcntl, [2, libc::F_GETFD as u64, 0, 0, 0, 0]),
            &[],
        ),
    );
    exercised("gettid", expect(raw(libc::SYS_gettid, [0; 6]), &[]));
    exercised("getpid", expect(raw(libc::SYS_getpid, [0; 6]), &[]));
    exercised(
        "sched_getaffinity-self",
        expect(
            raw(libc::SYS_sched_getaffinity, [0, 128, buf, 0, 0, 0]),
            &[],
        ),
    );
    exercised(
        "fstat",
        // SAFETY: a zeroed stat is a valid buffer for fstat(3) (glibc:
        // newfstatat(2, "", AT_EMPTY_PATH)).
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(libc::STDERR_FILENO, &mut st) == 0 {
                Ok(())
            } else {
                Err(errno())
            }
        },
    );
    exercised(
        "ppoll",
        expect(raw(libc::SYS_ppoll, [0, 0, zero, 0, 8, 0]), &[]),
    );
    exercised(
        "mmap-stack-noreserve",
        raw(
            libc::SYS_mmap,
            [
                0,
                PAGE as u64,
                libc::PROT_NONE as u64,
                (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK | libc::MAP_NORESERVE)
                    as u64,
                u64::MAX,
                0,
            ],
        )
        .and_then(|p| raw(libc::SYS_munmap, [p as u64, PAGE as u64, 0, 0, 0, 0]))
        .map(|_| ()),
    );
    exercised(
        "mprotect-none",
        expect(
            raw(libc::SYS_mprotect, [addr(page), PAGE as u64, 0, 0, 0, 0]),
            &[],
        )
        .and_then(|()| {
            expect(
                raw(
                    libc::SYS_mprotect,
                    [
                        addr(page),
                        PAGE as u64,
                        (libc::PROT_READ | libc::PROT_WRITE) as u64,
                        0,
                        0,
                        0,
                    ],
                ),
                &[],
            )
        }),
    );
    exercised("mremap-maymove", mremap_cycle());
    // The fd-only fstat syscall (glibc 2.36 uses newfstatat instead).
    exercised(
        "fstat-syscall",
        expect(raw(libc::SYS_fstat, [2, buf, 0, 0, 0, 0]), &[]),
    );
    // With no interrupted call to restart, the kernel answers EINTR: the
    // filter let it through.
    exercised(
        "restart_syscall",
        match raw(libc::SYS_restart_syscall, [0; 6]) {
            Err(libc::EINTR) => Ok(()),
            Err(e) => Err(e),
            Ok(_) => Err(-1),
        },
    );
    exercised("thread-under-filter", thread_under_filter());
}

/// A realloc-style move of a 2-page anonymous mapping to 16 pages.
fn mremap_cycle() -> Result<(), i32> {
    let p = raw(
        libc::SYS_mmap,
        [
            0,
            2 * PAGE as u64,
            (libc::PROT_READ | libc::PROT_WRITE) as u64,
            (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64,
            u64::MAX,
            0,
        ],
    )?;
    let q = raw(
        libc::SYS_mremap,
        [
            p as u64,
            2 * PAGE as u64,
            16 * PAGE as u64,
            libc::MREMAP_MAYMOVE as u64,
            0,
            0,
        ],
    )?;
    raw(libc::SYS_munmap, [q as u64, 16 * PAGE as u64, 0, 0, 0, 0]).map(|_| ())
}

/// glibc's `pthread_create` under the filter: the only clone flags the
/// filter allows are [`GLIBC_PTHREAD_CLONE_FLAGS`]; a glibc passing others
/// would trap here. Reports the value for the record.
///
/// [`GLIBC_PTHREAD_CLONE_FLAGS`]: workshop_sandbox::seccomp_policy::GLIBC_PTHREAD_CLONE_FLAGS
fn thread_under_filter() -> Result<(), i32> {
    let handle = std::thread::Builder::new()
        .spawn(|| 42)
        .map_err(|e| e.raw_os_error().unwrap_or(-1))?;
    let answer = handle.join().map_err(|_| -1)?;
    report(&format!(
        "fact glibc-pthread-clone-flags {:#x}",
        workshop_sandbox::seccomp_policy::GLIBC_PTHREAD_CLONE_FLAGS
    ));
    if answer == 42 {
        Ok(())
    } else {
        Err(-1)
    }
}

/// Forbidden argument variants the table answers with an errno (the
/// process lives on): `refused NAME denied:ERRNO`, or `allowed`.
fn refuse_arguments() {
    let refused = |name: &str, result: Result<libc::c_long, i32>| match result {
        Err(e) => report(&format!("refused {name} denied:{e}")),
        Ok(_) => report(&format!("refused {name} allowed")),
    };
    let Ok(page) = scratch_page() else {
        report("refused scratch-page allowed");
        return;
    };
    refused(
        "mprotect-exec",
        raw(
            libc::SYS_mprotect,
            [
                page as u64,
                PAGE as u64,
                (libc::PROT_READ | libc::PROT_EXEC) as u64,
                0,
                0,
                0,
            ],
        ),
    );
    refused(
        "mmap-exec-shared",
        raw(
            libc::SYS_mmap,
            [
                0,
                PAGE as u64,
                (libc::PROT_READ | libc::PROT_EXEC) as u64,
                (libc::MAP_SHARED | libc::MAP_ANONYMOUS) as u64,
                u64::MAX,
                0,
            ],
        ),
    );
    // Signal 0 to a pid that exists in no namespace of ours: the filter
    // answers before the kernel looks.
    refused("tgkill-other", raw(libc::SYS_tgkill, [2, 2, 0, 0, 0, 0]));
    refused("kill-group", raw(libc::SYS_kill, [0, 0, 0, 0, 0, 0]));
    refused(
        "kill-everyone",
        raw(libc::SYS_kill, [u64::from(u32::MAX), 0, 0, 0, 0, 0]),
    );
}

/// One forbidden call per line: the name the tests use, the call, and its
/// arguments. Each is harmless if it were let through (a test failure,
/// not damage): bad flags the kernel rejects, a zero-length sleep, a
/// signal 0, a read of the old SIGSYS action.
const VIOLATIONS: &[(&str, libc::c_long)] = &[
    ("futex-lock-pi", libc::SYS_futex),
    ("futex-cmp-requeue", libc::SYS_futex),
    ("futex-wake-op", libc::SYS_futex),
    ("madvise-mergeable", libc::SYS_madvise),
    ("madvise-hugepage", libc::SYS_madvise),
    ("mmap-populate", libc::SYS_mmap),
    ("mmap-growsdown-prot", libc::SYS_mmap),
    ("mprotect-growsdown", libc::SYS_mprotect),
    ("mremap-dontunmap", libc::SYS_mremap),
    ("clone-extra-flags", libc::SYS_clone),
    ("clock_gettime-boottime", libc::SYS_clock_gettime),
    ("clock_gettime-process-cputime", libc::SYS_clock_gettime),
    ("clock_nanosleep-tai", libc::SYS_clock_nanosleep),
    ("clock_getres", libc::SYS_clock_getres),
    ("fcntl-setfl-append", libc::SYS_fcntl),
    ("fcntl-dupfd", libc::SYS_fcntl),
    ("getrandom-random", libc::SYS_getrandom),
    ("rt_sigaction-sigsys", libc::SYS_rt_sigaction),
    ("kill-self-sigsys", libc::SYS_kill),
    ("tgkill-self-sigsys", libc::SYS_tgkill),
    ("tkill-self", libc::SYS_tkill),
    ("newfstatat-fd-no-flag", libc::SYS_newfstatat),
    ("sendto-oob", libc::SYS_sendto),
    ("recvmsg-errqueue", libc::SYS_recvmsg),
    ("prctl-dumpable", libc::SYS_prctl),
];

/// Makes the forbidden call `case` (see [`VIOLATIONS`]); it must trap.
fn violate(case: &str) {
    let Some(&(_, nr)) = VIOLATIONS.iter().find(|(name, _)| *name == case) else {
        report(&format!("usage-error unknown violation {case}"));
        return;
    };
    let Ok(page) = scratch_page() else {
        report("usage-error no scratch page");
        return;
    };
    let p = page as u64;
    let zero_ts = p + 64; // a zeroed timespec
    let word = p + 128;
    let own = u64::from(std::process::id());
    let sigsys = libc::SIGSYS as u64;
    let rw = (libc::PROT_READ | libc::PROT_WRITE) as u64;
    let private = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64;
    let args: [u64; 6] = match case {
        "futex-lock-pi" => [
            word,
            (libc::FUTEX_LOCK_PI | libc::FUTEX_PRIVATE_FLAG) as u64,
            0,
            0,
            0,
            0,
        ],
        "futex-cmp-requeue" => [word, libc::FUTEX_CMP_REQUEUE as u64, 0, 0, word, 1],
        "futex-wake-op" => [word, libc::FUTEX_WAKE_OP as u64, 0, 0, word, 0],
        "madvise-mergeable" => [p, PAGE as u64, libc::MADV_MERGEABLE as u64, 0, 0, 0],
        "madvise-hugepage" => [p, PAGE as u64, libc::MADV_HUGEPAGE as u64, 0, 0, 0],
        "mmap-populate" => [
            0,
            PAGE as u64,
            rw,
            private | libc::MAP_POPULATE as u64,
            u64::MAX,
            0,
        ],
        "mmap-growsdown-prot" => [
            0,
            PAGE as u64,
            rw | libc::PROT_GROWSDOWN as u64,
            private,
            u64::MAX,
            0,
        ],
        "mprotect-growsdown" => [p, PAGE as u64, rw | libc::PROT_GROWSDOWN as u64, 0, 0, 0],
        "mremap-dontunmap" => [
            p,
            PAGE as u64,
            PAGE as u64,
            (libc::MREMAP_MAYMOVE | libc::MREMAP_DONTUNMAP) as u64,
            0,
            0,
        ],
        // glibc's thread flags plus CLONE_NEWNS: with CLONE_FS the kernel
        // would refuse it (EINVAL) even if the filter did not.
        "clone-extra-flags" => [
            workshop_sandbox::seccomp_policy::GLIBC_PTHREAD_CLONE_FLAGS | libc::CLONE_NEWNS as u64,
            0,
            0,
            0,
            0,
            0,
        ],
        "clock_gettime-boottime" => [libc::CLOCK_BOOTTIME as u64, p, 0, 0, 0, 0],
        "clock_gettime-process-cputime" => [libc::CLOCK_PROCESS_CPUTIME_ID as u64, p, 0, 0, 0, 0],
        "clock_nanosleep-tai" => [libc::CLOCK_TAI as u64, 0, zero_ts, 0, 0, 0],
        "clock_getres" => [libc::CLOCK_MONOTONIC as u64, p, 0, 0, 0, 0],
        "fcntl-setfl-append" => [2, libc::F_SETFL as u64, libc::O_APPEND as u64, 0, 0, 0],
        "fcntl-dupfd" => [2, libc::F_DUPFD as u64, 10, 0, 0, 0],
        "getrandom-random" => [
            p,
            1,
            u64::from(libc::GRND_RANDOM | libc::GRND_NONBLOCK),
            0,
            0,
            0,
        ],
        // Only reads the old action (new action NULL).
        "rt_sigaction-sigsys" => [sigsys, 0, p, 8, 0, 0],
        "kill-self-sigsys" => [own, sigsys, 0, 0, 0, 0],
        "tgkill-self-sigsys" => [own, own, sigsys, 0, 0, 0],
        "tkill-self" => [own, 0, 0, 0, 0, 0],
        // A name relative to a real fd, without AT_EMPTY_PATH (relative to
        // AT_FDCWD it would be EPERM: the path-taking rule).
        "newfstatat-fd-no-flag" => [2, zero_ts, p + 256, 0, 0, 0],
        "sendto-oob" => [2, p, 1, libc::MSG_OOB as u64, 0, 0],
        "recvmsg-errqueue" => [2, p, libc::MSG_ERRQUEUE as u64, 0, 0, 0],
        "prctl-dumpable" => [libc::PR_GET_DUMPABLE as u64, 0, 0, 0, 0, 0],
        _ => {
            report(&format!("usage-error no arguments for {case}"));
            return;
        }
    };
    report(&format!("violating {case} {nr}"));
    let result = raw(nr, args);
    report(&format!("survived {case} {result:?}"));
}

/// What the kernel allows on one thread's seccomp path (`MAX_INSNS_PER_PATH`
/// in `kernel/seccomp.c`): the new filter's length plus, for each filter
/// already installed, its length and a 4-instruction penalty.
const MAX_INSNS_PER_PATH: usize = 32_768;
/// The penalty per installed filter.
const INSNS_PENALTY: usize = 4;
/// The longest classic BPF program (`BPF_MAXINSNS`).
const BPF_MAXINSNS: usize = 4096;

/// Installs allow-all filters that leave room for the policy's errno
/// filters but not for its allowlist (see the module docs).
fn crowd_seccomp() -> Result<(), String> {
    use seccompiler::sock_filter;

    let policy =
        workshop_sandbox::seccomp::compile(std::process::id()).map_err(|e| e.to_string())?;
    let (allowlist, errno_filters) = policy
        .filters
        .split_last()
        .ok_or_else(|| "empty policy".to_string())?;
    let errno_cost: usize = errno_filters
        .iter()
        .map(|f| f.program.len() + INSNS_PENALTY)
        .sum();
    // After the fillers, the errno filters fit, the allowlist (counted
    // without its own penalty) overshoots by half its length.
    let mut fill = MAX_INSNS_PER_PATH
        .checked_sub(errno_cost + allowlist.program.len() / 2)
        .ok_or_else(|| "policy larger than the budget".to_string())?;
    const BPF_JMP_JA: u16 = 0x05;
    const BPF_RET_K: u16 = 0x06;
    const RET_ALLOW: u32 = 0x7fff_0000;
    while fill > INSNS_PENALTY + 1 {
        let len = (fill - INSNS_PENALTY).min(BPF_MAXINSNS);
        let mut program = vec![
            sock_filter {
                code: BPF_JMP_JA,
                jt: 0,
                jf: 0,
                k: 0,
            };
            len - 1
        ];
        program.push(sock_filter {
            code: BPF_RET_K,
            jt: 0,
            jf: 0,
            k: RET_ALLOW,
        });
        seccompiler::apply_filter(&program).map_err(|e| e.to_string())?;
        fill -= len + INSNS_PENALTY;
    }
    Ok(())
}
