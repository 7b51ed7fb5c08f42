//! Real processes in real sandboxes.
//!
//! Each test spawns the `sandbox-probe` helper the way the broker spawns a
//! renderer (`Command::pre_exec` with [`SpawnConfinement::enter`], a
//! `SOCK_SEQPACKET` socket as fd 3), lets it lock itself down, and checks
//! both what it reports and what the kernel shows from outside. No sleeps:
//! every wait is on a pipe, a socket or `waitpid`.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};

use workshop_common::sandbox_report::{Layer, Probe, SandboxMode};
use workshop_sandbox::inspect::SECCOMP_MODE_FILTER;
use workshop_sandbox::seccomp_policy::RULES;
use workshop_sandbox::thread_limit::MAX_TASKS;
use workshop_sandbox::violation::parse_violation_line;
use workshop_sandbox::{
    inspect, inspect_process, renderer_pid, SpawnConfinement, SANDBOX_VIOLATION_EXIT_CODE,
    VIOLATION_MARKER,
};

const PROBE: &str = env!("CARGO_BIN_EXE_sandbox-probe");
const SURFACE_LEN: usize = 4096;
const SURFACE_BYTE: u8 = 0x5a;
const REPLY_BYTE: u8 = 0xa5;

/// A spawned probe: the process, the broker end of its fd 3, its stderr.
struct Spawned {
    child: Child,
    socket: OwnedFd,
    stderr: BufReader<ChildStderr>,
    lines: Vec<String>,
}

fn seqpacket_pair() -> (OwnedFd, OwnedFd) {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for two fds.
    let rc = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    assert_eq!(rc, 0, "socketpair: {}", std::io::Error::last_os_error());
    // SAFETY: both fds are fresh and ours.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn spawn(mode: SandboxMode, extra: &[&str]) -> Spawned {
    let confinement = SpawnConfinement::prepare(mode).unwrap();
    let (broker_end, renderer_end) = seqpacket_pair();
    let mut cmd = Command::new(PROBE);
    cmd.arg(format!("--mode={}", mode.as_str()))
        .arg(format!(
            "--parent-ns={}",
            confinement.parent_namespaces().to_arg()
        ))
        .arg(format!("--broker-pid={}", confinement.broker_pid()))
        .args(extra)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child_fd = renderer_end.as_raw_fd();
    // SAFETY: the closure only makes async-signal-safe calls: dup2, and
    // `enter`, which is built for exactly this place.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(child_fd, 3) != 3 {
                return Err(std::io::Error::last_os_error());
            }
            confinement.enter()
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(renderer_end);
    let stderr = BufReader::new(child.stderr.take().unwrap());
    Spawned {
        child,
        socket: broker_end,
        stderr,
        lines: Vec::new(),
    }
}

impl Spawned {
    /// Reads stderr lines until one equals `marker` (or EOF, which fails).
    fn read_until(&mut self, marker: &str) {
        loop {
            let mut line = String::new();
            let n = self.stderr.read_line(&mut line).unwrap();
            assert!(
                n > 0,
                "probe ended before {marker:?}; it said:\n{}",
                self.lines.join("\n")
            );
            let line = line.trim_end().to_string();
            let done = line == marker;
            self.lines.push(line);
            if done {
                return;
            }
        }
    }

    /// Reads the rest of stderr and waits for the exit.
    fn finish(mut self) -> (ExitStatus, Report) {
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        self.lines.extend(rest.lines().map(str::to_string));
        let status = self.child.wait().unwrap();
        (status, Report::parse(self.lines))
    }

    /// Sends a "surface": a memfd full of [`SURFACE_BYTE`], as SCM_RIGHTS.
    fn send_surface(&self) -> Surface {
        Surface::send(&self.socket)
    }

    /// Shuts fd 3 down both ways: a holding probe sees its peer hang up.
    fn hang_up(&self) {
        // SAFETY: shutdown on our own socket.
        let rc = unsafe { libc::shutdown(self.socket.as_raw_fd(), libc::SHUT_RDWR) };
        assert_eq!(rc, 0, "shutdown: {}", std::io::Error::last_os_error());
    }

    /// Receives one datagram from the probe.
    fn recv(&self) -> Vec<u8> {
        let mut buf = [0u8; 256];
        // SAFETY: recv into a valid buffer on our socket.
        let n = unsafe {
            libc::recv(
                self.socket.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                0,
            )
        };
        assert!(n >= 0, "recv: {}", std::io::Error::last_os_error());
        buf[..n as usize].to_vec()
    }
}

/// A shared-memory region the test keeps mapped while the probe writes it.
struct Surface {
    ptr: *mut u8,
}

impl Surface {
    fn send(socket: &OwnedFd) -> Surface {
        // SAFETY: memfd_create with a NUL-terminated name; the fd is ours.
        let fd = unsafe { libc::memfd_create(c"surface".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(fd >= 0);
        // SAFETY: `fd` is ours.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: sizes, maps and fills our own memfd.
        let ptr = unsafe {
            assert_eq!(
                libc::ftruncate(fd.as_raw_fd(), SURFACE_LEN as libc::off_t),
                0
            );
            let p = libc::mmap(
                std::ptr::null_mut(),
                SURFACE_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            std::ptr::write_bytes(p.cast::<u8>(), SURFACE_BYTE, SURFACE_LEN);
            p.cast::<u8>()
        };
        let mut data = *b"surface";
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr().cast(),
            iov_len: data.len(),
        };
        let mut control = [0u64; 8];
        // SAFETY: builds one SCM_RIGHTS message in `control` (large enough)
        // and sends it.
        unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(std::mem::size_of::<libc::c_int>() as u32) as _;
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>(), fd.as_raw_fd());
            let sent = libc::sendmsg(socket.as_raw_fd(), &msg, 0);
            assert!(sent > 0, "sendmsg: {}", std::io::Error::last_os_error());
        }
        Surface { ptr }
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is SURFACE_LEN bytes and lives as long as self.
        unsafe { std::slice::from_raw_parts(self.ptr, SURFACE_LEN) }
    }
}

impl Drop for Surface {
    fn drop(&mut self) {
        // SAFETY: unmaps the mapping made in `send`.
        unsafe { libc::munmap(self.ptr.cast(), SURFACE_LEN) };
    }
}

/// The probe's stderr, parsed.
#[derive(Debug)]
struct Report {
    lines: Vec<String>,
    layers: HashMap<String, String>,
    probes: HashMap<String, String>,
    exercises: HashMap<String, String>,
    refused: HashMap<String, String>,
    facts: HashMap<String, String>,
}

impl Report {
    fn parse(lines: Vec<String>) -> Report {
        let mut r = Report {
            lines: Vec::new(),
            layers: HashMap::new(),
            probes: HashMap::new(),
            exercises: HashMap::new(),
            refused: HashMap::new(),
            facts: HashMap::new(),
        };
        for line in &lines {
            let mut f = line.split_whitespace();
            let (kind, name, value) = (f.next(), f.next(), f.next());
            let (Some(kind), Some(name), Some(value)) = (kind, name, value) else {
                continue;
            };
            let table = match kind {
                "layer" => &mut r.layers,
                "probe" => &mut r.probes,
                "exercise" => &mut r.exercises,
                "refused" => &mut r.refused,
                "fact" => &mut r.facts,
                _ => continue,
            };
            table.insert(name.to_string(), value.to_string());
        }
        r.lines = lines;
        r
    }

    fn layer(&self, layer: Layer) -> &str {
        self.layers
            .get(layer.name())
            .unwrap_or_else(|| panic!("no layer {} in\n{}", layer.name(), self.text()))
    }

    fn probe(&self, probe: Probe) -> &str {
        self.probes
            .get(probe.name())
            .unwrap_or_else(|| panic!("no probe {} in\n{}", probe.name(), self.text()))
    }

    fn text(&self) -> String {
        self.lines.join("\n")
    }

    fn has(&self, line: &str) -> bool {
        self.lines.iter().any(|l| l == line)
    }
}

fn eperm() -> String {
    format!("denied:{}", libc::EPERM)
}

/// What each probe must say when seccomp is on: `EPERM`, but for the
/// stat probes (the empty root answers `ENOENT`, or the filter `EPERM`)
/// and the thread bomb (the task limit's `EAGAIN`).
fn confined(probe: Probe) -> Vec<String> {
    match probe {
        Probe::StatHostFile | Probe::StatProc => vec![format!("denied:{}", libc::ENOENT), eperm()],
        Probe::ThreadBomb => vec![format!("denied:{}", libc::EAGAIN)],
        _ => vec![eperm()],
    }
}

fn assert_confined_probes(report: &Report) {
    for probe in Probe::ALL {
        assert!(
            confined(probe).iter().any(|o| o == report.probe(probe)),
            "{} was {}\n{}",
            probe.name(),
            report.probe(probe),
            report.text()
        );
    }
}

/// Every layer applied before and in the lockdown, in order.
fn in_process_layers() -> Vec<Layer> {
    workshop_sandbox::BOOTSTRAP_LAYERS
        .into_iter()
        .chain(workshop_sandbox::LOCKDOWN_LAYERS)
        .collect()
}

/// The whole story in Strict mode: every layer active, every probe denied
/// with EPERM, every syscall the renderer needs still works, shared memory
/// round-trips, and it exits cleanly.
#[test]
fn strict_confinement_denies_every_probe_and_the_renderer_still_works() {
    // An fd the test leaks without O_CLOEXEC, as a careless library of the
    // broker might: the renderer must not inherit it.
    let mut leak = [-1; 2];
    // SAFETY: `leak` has room for two fds.
    assert_eq!(unsafe { libc::pipe(leak.as_mut_ptr()) }, 0);
    // SAFETY: both fds are fresh and ours.
    let _leak = unsafe { (OwnedFd::from_raw_fd(leak[0]), OwnedFd::from_raw_fd(leak[1])) };
    let mut p = spawn(SandboxMode::Strict, &["--then=exit"]);
    let surface = p.send_surface();
    assert_eq!(p.recv(), b"hello");
    assert_eq!(p.recv(), b"mapped");
    assert!(surface.bytes().iter().all(|&b| b == REPLY_BYTE));
    p.read_until("done");
    let (status, report) = p.finish();
    assert!(status.success(), "{status:?}\n{}", report.text());

    for layer in Layer::ALL {
        assert!(
            report.layer(layer).starts_with("active"),
            "{} is {}\n{}",
            layer.name(),
            report.layer(layer),
            report.text()
        );
    }
    assert_confined_probes(&report);
    for name in [
        "thread",
        "malloc",
        "mmap",
        "stderr",
        "clock",
        "getrandom",
        "hashmap",
        "sched_yield",
        "available_parallelism",
        "signal-self",
        "send",
        "try-recv-nonblocking",
        "recv-shared-memory",
        "sendmsg-eor",
    ]
    .into_iter()
    .chain(ALLOWED_ARGUMENT_EXERCISES.iter().copied())
    {
        assert_eq!(
            report.exercises.get(name).map(String::as_str),
            Some("ok"),
            "exercise {name}\n{}",
            report.text()
        );
    }
    for name in REFUSED_WITH_EPERM {
        assert_eq!(
            report.refused.get(*name).map(String::as_str),
            Some(eperm().as_str()),
            "refused {name}\n{}",
            report.text()
        );
    }
    // Only stdin, stdout, stderr and the broker socket were inherited.
    assert_eq!(report.facts["open-fds"], "0,1,2,3");
    // Seen from inside: PID 1 of its namespace, uid 0 (of its own user
    // namespace, with every capability dropped).
    assert_eq!(report.facts["pid"], "1");
    assert_eq!(report.facts["uid"], "0");
    assert_eq!(report.facts["shm-first-byte"], SURFACE_BYTE.to_string());
    // The seccomp line carries the number of rules, Landlock the ABI.
    let seccomp = report.layers["seccomp"].clone();
    let count = report
        .lines
        .iter()
        .find(|l| l.starts_with("layer seccomp "))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap();
    assert_eq!(seccomp, "active");
    assert_eq!(count, RULES.len().to_string());
}

/// The broker's outside view: the kernel shows seccomp filter mode,
/// no_new_privs, no capabilities, uid 0 unmapped, six separate namespaces
/// and PID 1 inside, and the spawned pid is the intermediate.
#[test]
fn the_kernel_shows_the_confinement_from_outside() {
    let mut p = spawn(SandboxMode::Strict, &["--then=hold"]);
    let _surface = p.send_surface();
    p.read_until("holding");

    let spawned = p.child.id();
    let renderer = renderer_pid(spawned).unwrap();
    assert_ne!(
        renderer, spawned,
        "the renderer is the intermediate's child"
    );
    let seen = inspect(spawned).unwrap();
    assert_eq!(seen.pid, renderer, "inspect follows the intermediate");
    assert_eq!(seen.seccomp, SECCOMP_MODE_FILTER);
    assert_eq!(seen.seccomp_filters, Some(3));
    assert!(seen.no_new_privs);
    assert_eq!(seen.cap_eff, 0);
    assert_eq!(seen.cap_prm, 0);
    assert_eq!(seen.cap_bnd, 0);
    assert!(seen.no_capabilities());
    // Root inside, one unprivileged id outside.
    assert_eq!(seen.uid_map.len(), 1);
    assert_eq!(seen.uid_map[0].inside, 0);
    assert_ne!(seen.uid_map[0].outside, 0);
    assert_ne!(seen.uid_outside, 0);
    // Its root, seen through /proc/PID/root: the empty tmpfs.
    assert!(seen.empty_root(), "{:?} {:?}", seen.root, seen.root_entries);
    assert_eq!(seen.root_entries, Some(0));
    // The task limit and the priority.
    assert_eq!(seen.max_tasks, Some(MAX_TASKS));
    assert_eq!(seen.nice, workshop_sandbox::thread_limit::RENDERER_NICE);
    assert!(seen.thread_limited());
    assert_eq!(seen.pid_inside(), Some(1));
    for check in &seen.namespaces {
        assert!(check.separate(), "{:?} shared with the broker", check.layer);
    }
    assert!(seen.fully_confined());

    // The intermediate is not locked down (it never runs renderer code) but
    // shares the renderer's user namespace and holds no fds.
    let middle = inspect_process(spawned).unwrap();
    assert_eq!(middle.seccomp, 0);
    assert!(middle.separate(Layer::UserNamespace));
    let fds = std::fs::read_dir(format!("/proc/{spawned}/fd"))
        .unwrap()
        .count();
    assert_eq!(
        fds, 1,
        "only the liveness pipe stays open in the intermediate"
    );

    // Hanging up lets the probe exit; the intermediate passes the status on.
    drop(p.socket);
    let status = p.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// The violation lines in a probe's stderr, parsed.
fn violations(report: &Report) -> Vec<i64> {
    report
        .lines
        .iter()
        .filter(|l| l.starts_with(VIOLATION_MARKER))
        .map(|l| parse_violation_line(l).unwrap_or_else(|| panic!("malformed: {l:?}")))
        .collect()
}

/// Asserts the probe was stopped by the filter at syscall `nr`: exactly one
/// violation line naming it, and the violation exit code, passed on by the
/// intermediate.
#[allow(clippy::useless_conversion)] // `c_long` is `i32` on 32-bit targets.
fn assert_violation(status: ExitStatus, report: &Report, nr: libc::c_long) {
    assert_eq!(
        violations(report),
        vec![i64::from(nr)],
        "{status:?}\n{}",
        report.text()
    );
    assert_eq!(
        status.code(),
        Some(SANDBOX_VIOLATION_EXIT_CODE),
        "{status:?}\n{}",
        report.text()
    );
}

/// Anything not on the list traps: the SIGSYS handler writes the syscall
/// number and exits with the violation code, and the intermediate passes
/// that on to the broker's waitpid.
#[test]
fn an_unlisted_syscall_is_a_violation_reported_with_its_number() {
    let p = spawn(SandboxMode::Strict, &["--then=uname"]);
    let _surface = p.send_surface();
    let (status, report) = p.finish();
    assert!(report.has("done"), "{}", report.text());
    assert!(!report.has("survived uname"), "{}", report.text());
    assert_violation(status, &report, libc::SYS_uname);
}

/// A thread made after the lockdown is under the same filter, and its
/// violation is reported the same way.
#[test]
fn a_violation_on_another_thread_is_reported_too() {
    let (status, report) = run_confined(&["--then=uname-on-thread"]);
    assert!(report.has("done"), "{}", report.text());
    assert!(
        !report.lines.iter().any(|l| l.starts_with("survived")),
        "{}",
        report.text()
    );
    assert_violation(status, &report, libc::SYS_uname);
}

/// Argument checks trap too: write is allowed on stderr only.
#[test]
fn writing_to_stdout_is_a_violation() {
    let p = spawn(SandboxMode::Strict, &["--then=write-stdout"]);
    let _surface = p.send_surface();
    let (status, report) = p.finish();
    assert!(report.has("done"), "{}", report.text());
    assert!(!report.has("survived write-stdout"), "{}", report.text());
    assert_violation(status, &report, libc::SYS_write);
}

/// The allowed argument variants the probe makes as raw system calls after
/// its lockdown (each `exercise NAME ok`; a wrong rule would trap).
const ALLOWED_ARGUMENT_EXERCISES: &[&str] = &[
    "clock_gettime-realtime",
    "clock_gettime-monotonic",
    "clock_nanosleep-realtime",
    "clock_nanosleep-monotonic",
    "futex-wake",
    "futex-wake-private",
    "futex-wait",
    "futex-wait-private",
    "futex-wait-bitset-realtime",
    "futex-wait-bitset-private",
    "getrandom-insecure",
    "getrandom-nonblock",
    "fcntl-getfd",
    "gettid",
    "getpid",
    "sched_getaffinity-self",
    "fstat",
    "ppoll",
    "mmap-stack-noreserve",
    "mprotect-none",
    "mremap-maymove",
    "fstat-syscall",
    "restart_syscall",
    "thread-under-filter",
];

/// Forbidden argument variants the table answers with EPERM.
const REFUSED_WITH_EPERM: &[&str] = &[
    "mprotect-exec",
    "mmap-exec-shared",
    "tgkill-other",
    "kill-group",
    "kill-everyone",
];

/// Every forbidden argument variant the probe knows, and the syscall the
/// violation line must name: the probe's own table (`VIOLATIONS` in
/// `sandbox-probe.rs`, the one definition), as `sandbox-probe
/// list-violations` prints it.
fn violations_table() -> Vec<(String, i64)> {
    let out = Command::new(PROBE).arg("list-violations").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let table: Vec<(String, i64)> = String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .map(|l| {
            let (case, nr) = l.rsplit_once(' ').unwrap();
            (case.to_owned(), nr.parse().unwrap())
        })
        .collect();
    assert!(table.len() >= 20, "{table:?}");
    table
}

/// Runs the probe confined in strict mode without a broker socket (so it
/// does not wait for a surface) and returns its exit status and report.
fn run_confined(extra: &[&str]) -> (ExitStatus, Report) {
    let confinement = SpawnConfinement::prepare(SandboxMode::Strict).unwrap();
    let mut cmd = Command::new(PROBE);
    cmd.arg("--mode=strict")
        .args(extra)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: `enter` is async-signal-safe and made for `pre_exec`.
    unsafe { cmd.pre_exec(move || confinement.enter()) };
    let out = cmd.output().unwrap();
    let report = Report::parse(
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(str::to_string)
            .collect(),
    );
    (out.status, report)
}

/// Each forbidden argument variant (a PI futex op, advice outside the
/// allowlist, mmap/mprotect flags, clone flags beyond glibc's, other clock
/// ids, F_SETFL flags, GRND_RANDOM, replacing the SIGSYS handler, raising
/// SIGSYS, ...) made by a confined process traps, and the violation line
/// names its syscall.
#[test]
fn every_forbidden_argument_variant_is_a_violation() {
    // Every case runs; the failures are listed together.
    let mut failures = Vec::new();
    let table = violations_table();
    for (case, nr) in &table {
        let (case, nr) = (case.as_str(), *nr);
        let (status, report) = run_confined(&[&format!("--then=violate:{case}")]);
        let reached = report.has(&format!("violating {case} {nr}"));
        let survived = report.lines.iter().any(|l| l.starts_with("survived"));
        let trapped =
            violations(&report) == vec![nr] && status.code() == Some(SANDBOX_VIOLATION_EXIT_CODE);
        if !reached || survived || !trapped {
            failures.push(format!(
                "{case}: reached={reached} survived={survived} {status:?}\n{}",
                report.text()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases not trapped:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n---\n")
    );
}

/// A renderer cannot dodge the handler by blocking SIGSYS: the kernel
/// kills a thread whose forced SIGSYS is blocked (no line, death by the
/// signal itself), and the forbidden call is still never made.
#[test]
fn a_violation_with_sigsys_blocked_is_killed_by_the_kernel() {
    let (status, report) = run_confined(&["--then=violate-with-sigsys-blocked"]);
    assert!(report.has("done"), "{}", report.text());
    assert!(
        !report.has("survived violate-with-sigsys-blocked"),
        "{}",
        report.text()
    );
    assert!(violations(&report).is_empty(), "{}", report.text());
    assert_eq!(
        status.signal(),
        Some(libc::SIGSYS),
        "{status:?}\n{}",
        report.text()
    );
}

/// Strict mode refuses to run with any lockdown layer missing, and the error
/// names it.
#[test]
fn strict_refuses_a_missing_layer_and_names_it() {
    for layer in in_process_layers() {
        let skip = format!("--skip={}", layer.name());
        let p = spawn(SandboxMode::Strict, &[&skip]);
        let (status, report) = p.finish();
        assert_eq!(
            status.code(),
            Some(2),
            "{}: {status:?}\n{}",
            layer.name(),
            report.text()
        );
        let line = report
            .lines
            .iter()
            .find(|l| l.starts_with("lockdown-error "))
            .unwrap_or_else(|| panic!("no lockdown-error\n{}", report.text()));
        assert!(
            line.starts_with(&format!("lockdown-error {} ", layer.name())),
            "{line}"
        );
        assert!(line.contains("strict"), "{line}");
        assert!(line.contains(layer.name()), "{line}");
        assert!(!report.has("done"), "{}", report.text());
    }
}

/// Seccomp is required in every confined mode: in enforce mode a kernel
/// without it stops the lockdown with an error naming the layer.
#[test]
fn enforce_refuses_to_run_without_seccomp() {
    let p = spawn(SandboxMode::Enforce, &["--skip=seccomp"]);
    let (status, report) = p.finish();
    assert_eq!(status.code(), Some(2), "{status:?}\n{}", report.text());
    let line = report
        .lines
        .iter()
        .find(|l| l.starts_with("lockdown-error "))
        .unwrap_or_else(|| panic!("no lockdown-error\n{}", report.text()));
    assert!(line.starts_with("lockdown-error seccomp "), "{line}");
    assert!(line.contains("required in every sandboxed mode"), "{line}");
    assert!(!report.has("done"), "{}", report.text());
}

/// A partly installed filter stack (here for real: the kernel's
/// per-thread instruction budget is used up so that the errno filters go
/// in and the allowlist does not) is fatal in enforce and strict mode, and
/// the error names the filter the kernel refused.
#[test]
fn a_partial_seccomp_stack_is_fatal_in_every_confined_mode() {
    for mode in [SandboxMode::Enforce, SandboxMode::Strict] {
        let p = spawn(mode, &["--crowd-seccomp=1"]);
        let (status, report) = p.finish();
        assert!(report.has("fact crowded-seccomp yes"), "{}", report.text());
        assert_eq!(
            status.code(),
            Some(2),
            "{}: {status:?}\n{}",
            mode.as_str(),
            report.text()
        );
        let line = report
            .lines
            .iter()
            .find(|l| l.starts_with("lockdown-error "))
            .unwrap_or_else(|| panic!("no lockdown-error\n{}", report.text()));
        assert!(line.starts_with("lockdown-error seccomp "), "{line}");
        assert!(
            line.contains("installing the allowlist filter (2 installed before it)"),
            "{line}"
        );
        assert!(!report.has("done"), "{}", report.text());
    }
}

/// Enforce mode reports a missing layer and still applies the rest: without
/// Landlock, seccomp alone still denies every probe.
#[test]
fn enforce_reports_a_missing_layer_and_applies_the_rest() {
    let p = spawn(SandboxMode::Enforce, &["--skip=landlock"]);
    let _surface = p.send_surface();
    let (status, report) = p.finish();
    assert!(status.success(), "{status:?}\n{}", report.text());
    assert_eq!(
        report.layer(Layer::Landlock),
        format!("unavailable:{}", libc::ENOSYS)
    );
    for layer in in_process_layers() {
        if layer != Layer::Landlock {
            assert!(
                report.layer(layer).starts_with("active"),
                "{}",
                layer.name()
            );
        }
    }
    assert_confined_probes(&report);
}

/// Without seccomp (a test knob lets enforce mode go on without it), the
/// other layers still hold where they should, and the probes really run:
/// what only seccomp stops shows up as allowed.
#[test]
fn without_seccomp_the_probes_show_what_each_other_layer_covers() {
    // Without the empty root too: with it, the paths Landlock would refuse
    // do not even exist (see the next test).
    let p = spawn(
        SandboxMode::Enforce,
        &[
            "--skip=seccomp",
            "--lenient=1",
            "--skip=empty-root",
            "--then=plain-stat",
        ],
    );
    let _surface = p.send_surface();
    let (status, report) = p.finish();
    assert!(status.success(), "{status:?}\n{}", report.text());
    assert_eq!(
        report.layer(Layer::Seccomp),
        format!("unavailable:{}", libc::ENOSYS)
    );
    let eacces = format!("denied:{}", libc::EACCES);
    // Landlock: no files.
    assert_eq!(report.probe(Probe::OpenRead), eacces, "{}", report.text());
    assert_eq!(report.probe(Probe::CreateFile), eacces, "{}", report.text());
    // The pid namespace hides the broker.
    let esrch = format!("denied:{}", libc::ESRCH);
    assert_eq!(report.probe(Probe::Ptrace), esrch, "{}", report.text());
    assert_eq!(
        report.probe(Probe::SignalBroker),
        esrch,
        "{}",
        report.text()
    );
    // The task limit, not seccomp, stops the thread bomb.
    assert_eq!(
        report.probe(Probe::ThreadBomb),
        format!("denied:{}", libc::EAGAIN),
        "{}",
        report.text()
    );
    // Without the empty root, stat sees the host: /etc/passwd and /proc are
    // there (Landlock does not cover stat). This is the Spy attack.
    for probe in [Probe::StatHostFile, Probe::StatProc] {
        assert_eq!(
            report.probe(probe),
            "allowed",
            "{}\n{}",
            probe.name(),
            report.text()
        );
    }
    assert_eq!(report.facts["plain-stat-etc-passwd"], "ok");
    assert_eq!(report.facts["plain-stat-proc-self"], "ok");
    // Only seccomp stops these: a TCP socket (Landlock only covers bind and
    // connect), fork, W+X memory, nested user namespaces.
    for probe in [
        Probe::TcpSocket,
        Probe::Fork,
        Probe::MapExecutable,
        Probe::Unshare,
    ] {
        assert_eq!(
            report.probe(probe),
            "allowed",
            "{}\n{}",
            probe.name(),
            report.text()
        );
    }
    // And these are not denied by anything but seccomp *as probed*: the
    // exec target does not exist (ENOENT comes before Landlock could say
    // no), no X server listens here (a path-socket connect is beyond
    // Landlock ABI 7), and no abstract socket exists in the renderer's own
    // network namespace for Landlock's scope to refuse (ECONNREFUSED).
    for probe in [Probe::Exec, Probe::ConnectX11, Probe::ConnectAbstract] {
        assert_eq!(
            report.probe(probe),
            "allowed",
            "{}\n{}",
            probe.name(),
            report.text()
        );
    }
}

/// Spy: with the empty root and without seccomp, every path-taking call
/// answers for a host path exactly as for a path that exists nowhere, both
/// spelled as the attacker's `newfstatat(AT_FDCWD, path, AT_EMPTY_PATH)`
/// (the probes) and as plain `stat(3)` (`--then=plain-stat`), and there is
/// no `/proc`. Opens of host paths find nothing either.
#[test]
fn the_empty_root_hides_every_host_path_from_stat() {
    let p = spawn(
        SandboxMode::Enforce,
        &["--skip=seccomp", "--lenient=1", "--then=plain-stat"],
    );
    let _surface = p.send_surface();
    let (status, report) = p.finish();
    assert!(status.success(), "{status:?}\n{}", report.text());
    assert_eq!(
        report.layer(Layer::EmptyRoot),
        "active",
        "{}",
        report.text()
    );
    let enoent = format!("denied:{}", libc::ENOENT);
    for probe in [
        Probe::StatHostFile,
        Probe::StatProc,
        Probe::OpenRead,
        Probe::CreateFile,
    ] {
        assert_eq!(
            report.probe(probe),
            enoent,
            "{}\n{}",
            probe.name(),
            report.text()
        );
    }
    for fact in [
        "plain-stat-etc-passwd",
        "plain-stat-proc-self",
        "plain-stat-nowhere",
    ] {
        assert_eq!(
            report.facts[fact],
            libc::ENOENT.to_string(),
            "{fact}\n{}",
            report.text()
        );
    }
}

/// Starve: a thread bomb is contained by the task limit, counted per user
/// namespace: a renderer holding every thread it may have does not take a
/// single one from another renderer of the same uid, and the bomb's
/// renderer keeps running.
#[test]
fn a_thread_bomb_is_contained_per_renderer() {
    // The renderer's namespace holds the intermediate and the main thread.
    let allowed = (MAX_TASKS - 2).to_string();
    let mut first = spawn(SandboxMode::Strict, &["--then=thread-bomb-hold"]);
    let _s1 = first.send_surface();
    first.read_until("holding");
    let second = spawn(SandboxMode::Strict, &["--then=thread-bomb"]);
    let _s2 = second.send_surface();
    let (status, report) = second.finish();
    assert!(status.success(), "{status:?}\n{}", report.text());
    assert!(report.has("survived thread-bomb"), "{}", report.text());
    assert_eq!(report.facts["bomb-threads"], allowed, "{}", report.text());
    assert_eq!(
        report.facts["bomb-refused"],
        libc::EAGAIN.to_string(),
        "{}",
        report.text()
    );
    first.hang_up();
    let (status, report) = first.finish();
    assert!(status.success(), "{status:?}\n{}", report.text());
    assert_eq!(report.facts["bomb-threads"], allowed, "{}", report.text());
    assert_eq!(
        report.layer(Layer::ThreadLimit),
        "active",
        "{}",
        report.text()
    );
}

/// `--no-sandbox`: nothing applied, the renderer shares every namespace, and
/// the probes (which the renderer does not run in this mode) show that each
/// forbidden thing works: they are real attempts that can fail. ptrace and
/// kill are aimed at a stand-in broker the test owns.
#[test]
fn disabled_mode_applies_nothing_and_the_probes_can_fail() {
    // A process to aim ptrace and kill(0) at: `cat` blocked on a pipe.
    let mut victim = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // A later --broker-pid overrides the one `spawn` passes.
    let victim_pid = format!("--broker-pid={}", victim.id());
    let p = spawn(SandboxMode::Disabled, &[&victim_pid]);
    let _surface = p.send_surface();
    let (status, report) = p.finish();
    drop(victim.stdin.take());
    victim.wait().unwrap();
    assert!(status.success(), "{status:?}\n{}", report.text());
    for layer in in_process_layers() {
        assert_eq!(report.layer(layer), "disabled", "{}", layer.name());
    }
    for layer in &Layer::ALL[..6] {
        assert_eq!(report.layer(*layer), "unavailable:0", "{}", layer.name());
    }
    for probe in Probe::ALL {
        assert_eq!(
            report.probe(probe),
            "allowed",
            "{}\n{}",
            probe.name(),
            report.text()
        );
    }
    assert_ne!(report.facts["pid"], "1");
}

/// How a renderer's abort(3) looks to the broker. Not as SIGABRT: the
/// renderer is PID 1 of its pid namespace, and the kernel drops signals a
/// namespace init sends itself while their action is the default, so
/// glibc's abort() falls through to its last resort, a `hlt` instruction,
/// which faults: the broker sees SIGSEGV (on x86_64). The intermediate
/// passes the signal on faithfully.
#[test]
fn an_abort_is_seen_by_the_broker_as_a_crash() {
    let p = spawn(SandboxMode::Strict, &["--then=abort"]);
    let _surface = p.send_surface();
    let (status, report) = p.finish();
    assert!(report.has("done"), "{}", report.text());
    assert!(!status.success(), "{status:?}");
    #[cfg(target_arch = "x86_64")]
    assert_eq!(
        status.signal(),
        Some(libc::SIGSEGV),
        "{status:?}\n{}",
        report.text()
    );
}

/// The renderer's real receive paths: ipc-channel's `try_recv_timeout`
/// (poll + recvmsg + fstat + mmap of a shared-memory fd), `recv` of a small
/// and of a fragmented bytes message (an extra channel fd and recv(2)), and
/// `try_recv` (fcntl O_NONBLOCK), all after a strict lockdown.
#[test]
fn ipc_channel_receives_work_after_lockdown() {
    use ipc_channel::ipc::{IpcBytesSender, IpcOneShotServer, IpcSender, IpcSharedMemory};
    type Bootstrap = (IpcSender<IpcSharedMemory>, IpcBytesSender);

    let (server, name) = IpcOneShotServer::<Bootstrap>::new().unwrap();
    allow_renderer_to_connect(&name);
    let ipc = format!("--ipc={name}");
    let mut p = spawn(SandboxMode::Strict, &[&ipc]);
    let _raw_surface = p.send_surface();
    // Wait until the probe has connected (EOF here fails fast instead of
    // leaving accept() blocked forever).
    p.read_until("ipc-connected");
    let (_rx, (surfaces, bytes)) = server.accept().unwrap();
    let surface = IpcSharedMemory::from_byte(SURFACE_BYTE, 400 * 400 * 4);
    surfaces.send(surface.clone()).unwrap();
    bytes.send(b"ping").unwrap();
    let big = vec![7u8; 1 << 20];
    bytes.send(&big).unwrap();

    let (status, report) = p.finish();
    assert!(status.success(), "{status:?}\n{}", report.text());
    for name in ["ipc-surface", "ipc-bytes", "ipc-fragmented", "ipc-try-recv"] {
        assert_eq!(
            report.exercises.get(name).map(String::as_str),
            Some("ok"),
            "exercise {name}\n{}",
            report.text()
        );
    }
    assert_eq!(report.facts["ipc-surface-len"], (400 * 400 * 4).to_string());
    assert_eq!(
        report.facts["ipc-surface-first-byte"],
        SURFACE_BYTE.to_string()
    );
    assert_eq!(report.facts["ipc-fragmented-len"], big.len().to_string());
    assert!(surface.iter().all(|&b| b == REPLY_BYTE));
}

/// A root test process spawns its probes as `nobody` (as a root broker
/// does): let that id reach the one-shot server's socket.
fn allow_renderer_to_connect(socket: &str) {
    use std::os::unix::fs::PermissionsExt;
    if rustix::process::geteuid().as_raw() != 0 {
        return;
    }
    let socket = std::path::Path::new(socket);
    let dir = socket.parent().unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711)).unwrap();
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o777)).unwrap();
}

/// A panic, even with RUST_BACKTRACE set, prints its message and exits 101:
/// the calls std's backtrace printer makes (getcwd, readlink, openat of its
/// own binary) are refused with EPERM, not answered with SIGSYS.
#[test]
fn a_panic_with_backtrace_exits_101_not_sigsys() {
    let confinement = SpawnConfinement::prepare(SandboxMode::Strict).unwrap();
    let mut cmd = Command::new(PROBE);
    cmd.args(["--mode=strict", "--then=panic"])
        .env_clear()
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: `enter` is async-signal-safe and made for `pre_exec`.
    unsafe { cmd.pre_exec(move || confinement.enter()) };
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{:?}\n{text}", out.status);
    assert!(text.contains("sandbox-probe panics on purpose"), "{text}");
    assert!(text.contains("stack backtrace"), "{text}");
}

/// Where the kernel refuses namespaces (here: a seccomp filter makes
/// `unshare` fail with EPERM for the "broker"), Enforce mode still starts
/// the renderer, says why on stderr, reports the six namespace layers
/// unavailable, and still applies every in-process layer.
#[test]
fn enforce_without_namespaces_runs_less_confined_and_says_so() {
    let out = Command::new(PROBE)
        .args(["spawn-without-userns", "--mode=enforce"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let report = Report::parse(
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(str::to_string)
            .collect(),
    );
    assert!(out.status.success(), "{:?}\n{}", out.status, report.text());
    assert!(
        report.has(
            "workshop-sandbox: unshare failed (errno 1); the renderer runs without its namespaces' full protection"
        ),
        "{}",
        report.text()
    );
    assert_eq!(report.facts["renderer-is-direct-child"], "true");
    assert_ne!(report.facts["pid"], "1");
    for layer in &Layer::ALL[..6] {
        assert_eq!(report.layer(*layer), "unavailable:0", "{}", layer.name());
    }
    for layer in workshop_sandbox::LOCKDOWN_LAYERS {
        assert_eq!(report.layer(layer), "active", "{}", layer.name());
    }
    // No user namespace: no capability to pivot with, none to drop.
    let eperm_state = format!("unavailable:{}", libc::EPERM);
    assert_eq!(report.layer(Layer::EmptyRoot), eperm_state);
    assert_eq!(report.layer(Layer::NoCapabilities), eperm_state);
    for probe in Probe::ALL {
        match probe {
            // Without the empty root the host's paths are there, but the
            // filter refuses every path-taking stat (EPERM) first.
            Probe::StatHostFile | Probe::StatProc => {
                assert_eq!(report.probe(probe), eperm(), "{}", probe.name())
            }
            _ => assert!(
                confined(probe).iter().any(|o| o == report.probe(probe)),
                "{} was {}\n{}",
                probe.name(),
                report.probe(probe),
                report.text()
            ),
        }
    }
    assert!(report.has("done"), "{}", report.text());
}

/// The same system in Strict mode: `spawn()` itself fails with the errno,
/// and stderr names the step.
#[test]
fn strict_without_namespaces_refuses_to_spawn() {
    let out = Command::new(PROBE)
        .args(["spawn-without-userns", "--mode=strict"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{:?}\n{text}", out.status);
    assert!(
        text.contains(&format!("spawn-error {}", libc::EPERM)),
        "{text}"
    );
    assert!(
        text.contains(
            "workshop-sandbox: unshare failed (errno 1); strict sandbox: not starting the renderer"
        ),
        "{text}"
    );
    assert!(!text.contains("\ndone"), "{text}");
}
