//! The attacks: each case is something a compromised renderer could do,
//! run from inside the real renderer runtime after the real lockdown (or,
//! for the handshake cases, in place of an honest step). The tests in
//! `tests/` assert that each costs the broker that renderer and nothing
//! else.

use std::io::IoSlice;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::{sendmsg, SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
use workshop_common::access::{
    AccessId, AccessNode, AccessRole, AccessUpdate, MAX_DEPTH, MAX_NODES,
};
use workshop_common::codec;
use workshop_common::geometry::PxRect;
use workshop_common::input::CursorIcon;
use workshop_common::input::InputEvent;
use workshop_common::protocol::{BrokerToRenderer, Request, RequestId};
use workshop_common::sandbox_report::{LayerStatus, SandboxMode};
use workshop_common::{RendererToBroker, Role, Secret, PROTOCOL_VERSION};
use workshop_renderer::runtime::{Runtime, RuntimeError};
use workshop_renderer::{Hooks, SandboxStep};
use workshop_transport::control::Received;

/// Sends raw bytes, bypassing every sender-side check.
fn raw(rt: &Runtime, bytes: &[u8]) {
    let _ = rustix::net::send(rt.control(), bytes, SendFlags::NOSIGNAL);
}

/// Sends raw bytes with descriptors attached.
fn raw_with_fds(rt: &Runtime, bytes: &[u8], fds: &[BorrowedFd<'_>]) -> bool {
    let mut space = vec![MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(253))];
    let mut anc = SendAncillaryBuffer::new(&mut space);
    if !anc.push(SendAncillaryMessage::ScmRights(fds)) {
        return false;
    }
    sendmsg(
        rt.control(),
        &[IoSlice::new(bytes)],
        &mut anc,
        SendFlags::NOSIGNAL,
    )
    .is_ok()
}

/// An ipc-channel first-fragment header: fragment size, then total size.
fn ipc_header(fragment_size: usize, total_size: usize, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&fragment_size.to_ne_bytes());
    v.extend_from_slice(&total_size.to_ne_bytes());
    v.extend_from_slice(payload);
    v
}

/// The compromised renderer's hooks: `case` is the attack the test named.
#[derive(Debug)]
pub struct Attack {
    case: Option<String>,
    /// Honest mode's account of the input it was given (see
    /// [`Attack::tally`]).
    seen: Tally,
}

/// What an honest renderer counts of its input, so a test can check that
/// the broker's pacing delivered every character and key, in order.
#[derive(Debug, Default)]
struct Tally {
    chars: usize,
    keys: usize,
}

impl Attack {
    /// The attack `case` (`None`: behave like the product renderer).
    pub fn new(case: Option<String>) -> Attack {
        Attack {
            case,
            seen: Tally::default(),
        }
    }

    /// Honest mode: counts every character and key; on the report key
    /// (Ctrl+R) logs the counts and the Login Window's email field (its
    /// length and an FNV-1a hash of it), read after every earlier event was
    /// applied, as one `input-tally` line on stderr.
    fn tally(&mut self, rt: &mut Runtime, event: &InputEvent) {
        match event {
            InputEvent::Text(t) => self.seen.chars += t.chars().count(),
            InputEvent::Key {
                key: workshop_common::input::Key::Char('r'),
                modifiers: workshop_common::input::Modifiers { ctrl: true, .. },
            } => {
                let email = match rt.parts().content {
                    workshop_renderer::content::Content::Login(w, _) => {
                        w.ui().value(w.email_input_id()).to_owned()
                    }
                    workshop_renderer::content::Content::Main(..) => String::new(),
                };
                tracing::info!(
                    "input-tally chars={} keys={} email_len={} email_fnv={:016x}",
                    self.seen.chars,
                    self.seen.keys,
                    email.len(),
                    fnv1a(email.as_bytes())
                );
            }
            InputEvent::Key { .. } => self.seen.keys += 1,
            _ => {}
        }
    }

    fn is(&self, name: &str) -> bool {
        self.case.as_deref() == Some(name)
    }
}

impl Hooks for Attack {
    fn before_lockdown(&mut self, rt: &mut Runtime) {
        if self.is("early-message") {
            // A message the role may send, but not before its handshake.
            let _ = rt.send(&RendererToBroker::SetCursor {
                cursor: CursorIcon::Pointer,
            });
        }
    }

    fn sandbox_step(
        &mut self,
        step: SandboxStep,
        _mode: SandboxMode,
    ) -> Option<Result<Vec<LayerStatus>, workshop_sandbox::LockdownError>> {
        // Lock down as best effort without one layer and report it honestly,
        // so that the broker's refusal can be tested: `skip-layer=NAME` skips
        // a layer as if the kernel lacked it; `skip-layer-anyway=NAME` also
        // goes on where the lockdown would stop (a renderer that runs
        // without seccomp, for the broker to refuse).
        let case = self.case.as_deref()?;
        let (layer, lenient) = match case.strip_prefix("skip-layer-anyway=") {
            Some(layer) => (layer, true),
            None => (case.strip_prefix("skip-layer=")?, false),
        };
        let layer = workshop_common::sandbox_report::Layer::ALL
            .into_iter()
            .find(|l| l.name() == layer)?;
        let knobs = workshop_sandbox::Knobs {
            skip: Some(layer),
            lenient,
        };
        let mode = SandboxMode::Enforce;
        Some(match step {
            SandboxStep::EmptyRoot => {
                workshop_sandbox::empty_root_with(mode, &knobs).map(|l| vec![l])
            }
            SandboxStep::DropCapabilities => {
                workshop_sandbox::drop_capabilities_with(mode, &knobs).map(|l| vec![l])
            }
            SandboxStep::Lockdown => workshop_sandbox::lockdown_with(mode, &knobs),
        })
    }

    fn rewrite_hello(&mut self, hello: RendererToBroker) -> RendererToBroker {
        match (self.case.as_deref(), hello) {
            (Some("wrong-version"), RendererToBroker::Hello { role, sandbox, .. }) => {
                RendererToBroker::Hello {
                    protocol_version: PROTOCOL_VERSION + 1,
                    role,
                    sandbox,
                }
            }
            (
                Some("wrong-role"),
                RendererToBroker::Hello {
                    protocol_version,
                    role,
                    sandbox,
                },
            ) => {
                let other = match role {
                    Role::Main => Role::Login,
                    Role::Login => Role::Main,
                };
                RendererToBroker::Hello {
                    protocol_version,
                    role: other,
                    sandbox,
                }
            }
            (_, hello) => hello,
        }
    }

    fn answer_ping(&mut self) -> bool {
        !self.is("no-pong")
    }

    fn after_frame_ack(&mut self, rt: &mut Runtime) -> Result<(), RuntimeError> {
        if self.is("damage-outside") {
            if let Some(surface) = rt.surface_generation() {
                self.case = None;
                rt.send(&RendererToBroker::FrameReady {
                    surface,
                    damage: PxRect {
                        x: u32::MAX - 5,
                        y: 3,
                        width: u32::MAX,
                        height: u32::MAX,
                    },
                })?;
            }
        }
        Ok(())
    }

    fn on_input(&mut self, rt: &mut Runtime, event: &InputEvent) -> Result<(), RuntimeError> {
        if self.case.is_none() {
            self.tally(rt, event);
        }
        // A deferred case (`CASE-on-key`) fires when its trigger arrives.
        if !is_trigger(event) {
            return Ok(());
        }
        let Some(name) = self.case.clone() else {
            return Ok(());
        };
        if let Some(case) = name.strip_suffix("-on-key") {
            run(rt, case)?;
        }
        Ok(())
    }

    fn after_welcome(&mut self, rt: &mut Runtime) -> Result<(), RuntimeError> {
        // Everything else fires right after the handshake is accepted.
        let Some(name) = self.case.clone() else {
            return Ok(());
        };
        if name.ends_with("-on-key") {
            return Ok(());
        }
        run(rt, &name)
    }
}

/// FNV-1a, 64 bits: the email field's fingerprint in `input-tally`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The key that fires a deferred case (`CASE-on-key`): Ctrl+K.
pub fn is_trigger(event: &InputEvent) -> bool {
    matches!(
        event,
        InputEvent::Key {
            key: workshop_common::input::Key::Char('k'),
            modifiers: workshop_common::input::Modifiers { ctrl: true, .. },
        }
    )
}

fn run(rt: &mut Runtime, name: &str) -> Result<(), RuntimeError> {
    let login = |id: u64| RendererToBroker::Invoke {
        id: RequestId(id),
        request: Request::SubmitLogin {
            email: "bruce@wayne.com".into(),
            password: Secret::new("pw".into()),
        },
    };
    match name {
        "undecodable" => raw(rt, &[0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03]),
        "truncated" => {
            if let Ok(bytes) = codec::encode(&login(1)) {
                raw(rt, &bytes[..bytes.len() - 3]);
            }
        }
        "unknown-variant" => raw(rt, &[0x7f, 0x00]),
        "oversized" => raw(rt, &vec![0u8; codec::MAX_MESSAGE_BYTES + 4096]),
        "empty" => raw(rt, &[]),
        "forbidden" => match rt.role() {
            Role::Main => rt.send(&login(1))?,
            Role::Login => rt.send(&RendererToBroker::OpenLoginWindow)?,
        },
        "reused-id" => {
            rt.send(&login(5))?;
            rt.send(&login(5))?;
        }
        "absurd-id" => rt.send(&login(0))?,
        "too-many-in-flight" => {
            rt.send(&login(1))?;
            rt.send(&login(2))?;
        }
        "ime-area-outside" => rt.send(&RendererToBroker::SetImeArea {
            area: Some(PxRect {
                x: u32::MAX - 5,
                y: 3,
                width: u32::MAX,
                height: u32::MAX,
            }),
        })?,
        "clipboard-unsolicited" => rt.send(&RendererToBroker::ClipboardWrite {
            text: "no gesture asked for this".into(),
        })?,
        "clipboard-oversized" => rt.send(&RendererToBroker::ClipboardWrite {
            text: "x".repeat(workshop_common::validate::MAX_CLIPBOARD_BYTES + 1),
        })?,
        "clipboard-nul" => rt.send(&RendererToBroker::ClipboardWrite {
            text: "a\0b".into(),
        })?,
        "reply-to-nothing" => rt.send(&RendererToBroker::Pong { nonce: 987_654_321 })?,
        "bootstrap-again" => rt.send(&RendererToBroker::Bootstrap {
            server: "/tmp/x/socket".into(),
        })?,
        "flood" => loop {
            // Blocks once the broker's queue is full; the broker kills us.
            rt.send(&RendererToBroker::SetCursor {
                cursor: CursorIcon::Pointer,
            })?;
        },
        "frame-flood" => {
            let surface = rt.surface_generation().unwrap_or(1);
            loop {
                rt.send(&RendererToBroker::FrameReady {
                    surface,
                    damage: PxRect::full(1, 1),
                })?;
            }
        }
        "unknown-surface" => rt.send(&RendererToBroker::FrameReady {
            surface: 999,
            damage: PxRect::full(1, 1),
        })?,
        "hang" => loop {
            // Stops reading and answering: the broker's pings and its
            // queue toward us go unanswered.
            std::thread::park();
        },
        "forged-total-size" => {
            let header = ipc_header(16 + 4, usize::MAX / 2, &[1, 2, 3, 4]);
            let fd = rt.control().as_fd();
            raw_with_fds(rt, &header, &[fd]);
        }
        "mismatched-size" => raw(rt, &ipc_header(4096, 1 << 20, &[9; 8])),
        "fragment-never-delivers" => {
            if let Ok((keep, send)) = rustix::net::socketpair(
                rustix::net::AddressFamily::UNIX,
                rustix::net::SocketType::SEQPACKET,
                rustix::net::SocketFlags::CLOEXEC,
                None,
            ) {
                let header = ipc_header(16 + 8, 1 << 30, &[0; 8]);
                raw_with_fds(rt, &header, &[send.as_fd()]);
                // Hold the other end open forever and never write to it.
                std::mem::forget(keep);
            }
        }
        "max-fds" => {
            // As many descriptors as this process may hold (253 at most per
            // message), in message after message.
            let mut fds: Vec<OwnedFd> = Vec::new();
            while fds.len() < 253 {
                match rt.control().as_fd().try_clone_to_owned() {
                    Ok(fd) => fds.push(fd),
                    Err(_) => break,
                }
            }
            let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|f| f.as_fd()).collect();
            for _ in 0..1000 {
                if !raw_with_fds(rt, b"fds", &borrowed) {
                    break;
                }
            }
        }
        "segv" => {
            // SAFETY: deliberately invalid: this test case exists to crash
            // the renderer with a real SIGSEGV.
            unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
        }
        "abort" => std::process::abort(),
        "surface-never-read" => surface_never_read(rt)?,
        "stderr-no-newline" => stderr_no_newline(),
        "log-flood" => log_flood(),
        "log-spoof" => log_spoof(),
        "thread-bomb" => thread_bomb(),
        "path-probe" => path_probe(),
        "forbidden-syscall" => {
            // `uname` is in no rule of the allowlist: the filter traps it.
            let mut u = std::mem::MaybeUninit::<libc::utsname>::zeroed();
            // SAFETY: `u` is a writable utsname buffer.
            unsafe { libc::uname(u.as_mut_ptr()) };
            tracing::error!("survived a forbidden system call");
        }
        "forbidden-syscall-sigsys-blocked" => {
            // Dodge the handler: with SIGSYS blocked, the trap's forced
            // signal takes the default action and the kernel kills us
            // without a line on stderr.
            // SAFETY: sigset operations on a local, initialised set;
            // pthread_sigmask with valid arguments.
            unsafe {
                let mut set = std::mem::MaybeUninit::<libc::sigset_t>::zeroed();
                libc::sigemptyset(set.as_mut_ptr());
                libc::sigaddset(set.as_mut_ptr(), libc::SIGSYS);
                libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), std::ptr::null_mut());
            }
            let mut u = std::mem::MaybeUninit::<libc::utsname>::zeroed();
            // SAFETY: `u` is a writable utsname buffer.
            unsafe { libc::uname(u.as_mut_ptr()) };
            tracing::error!("survived a forbidden system call");
        }
        case if case.starts_with("access-") => access_attack(rt, case)?,
        "exit-clean" => std::process::exit(0),
        "exit-code" => std::process::exit(3),
        _ => {}
    }
    Ok(())
}

/// A node of a hostile accessibility tree.
fn node(id: u32, role: AccessRole, label: &str, children: &[u32]) -> AccessNode {
    AccessNode {
        id: AccessId(id),
        role,
        label: label.into(),
        value: None,
        disabled: false,
        children: children.iter().map(|&c| AccessId(c)).collect(),
        bounds: PxRect::full(100, 20),
    }
}

/// A well-formed tree: a pane, an Email input and a Submit button.
fn form_tree() -> AccessUpdate {
    AccessUpdate {
        nodes: vec![
            node(1, AccessRole::Pane, "", &[2, 3]),
            node(2, AccessRole::TextInput, "Email", &[]),
            node(3, AccessRole::Button, "Submit", &[]),
        ],
        root: Some(AccessId(1)),
        focus: Some(AccessId(2)),
    }
}

/// `access-CASE`: one hostile accessibility update (or, for the flood, two
/// good ones with no frame between them).
fn access_attack(rt: &mut Runtime, case: &str) -> Result<(), RuntimeError> {
    let mut u = form_tree();
    match case {
        "access-oversized" => {
            u.nodes = (1..=MAX_NODES as u32 + 1)
                .map(|i| node(i, AccessRole::Label, "x", &[]))
                .collect();
        }
        "access-cycle" => u.nodes[2].children = vec![AccessId(1)],
        "access-dangling" => u.nodes[2].children = vec![AccessId(404)],
        "access-duplicate" => u.nodes.push(node(3, AccessRole::Label, "again", &[])),
        "access-two-parents" => u.nodes[2].children = vec![AccessId(2)],
        "access-deep" => {
            let depth = MAX_DEPTH as u32 + 1;
            u.nodes = (1..=depth)
                .map(|i| {
                    let role = if i == 1 {
                        AccessRole::Pane
                    } else {
                        AccessRole::Label
                    };
                    let next = [i + 1];
                    node(i, role, "", if i == depth { &[] } else { &next })
                })
                .collect();
            u.focus = None;
        }
        "access-password-value" => {
            u.nodes[1].role = AccessRole::PasswordInput;
            u.nodes[1].value = Some("hunter2".into());
        }
        "access-named-window" => u.nodes[0].label = "Password prompt from your bank".into(),
        "access-incremental-dangling" => {
            // Deferred until the honest renderer has described the form
            // (and framed it): a change naming a child neither it nor the
            // window's tree has.
            u = AccessUpdate {
                nodes: vec![node(1, AccessRole::Pane, "", &[2, 3, 404])],
                root: None,
                focus: None,
            };
        }
        "access-flood" => rt.send(&RendererToBroker::AccessUpdate(u.clone()))?,
        // The Main renderer describes the Login Window's form, with the ids
        // the Login renderer uses: valid, and only ever its own window's.
        "access-login-form" => {
            u.nodes = vec![
                node(1, AccessRole::Pane, "", &[2, 3, 4]),
                node(2, AccessRole::TextInput, "Email", &[]),
                node(3, AccessRole::PasswordInput, "Password", &[]),
                node(4, AccessRole::Button, "Submit", &[]),
            ];
        }
        _ => return Ok(()),
    }
    rt.send(&RendererToBroker::AccessUpdate(u))
}

/// Answers pings and claims every surface the broker announces with a
/// `FrameReady`, but never reads the surface channel: each surface the
/// broker sends stays unread in that socket, pinning its shared memory.
fn surface_never_read(rt: &mut Runtime) -> Result<(), RuntimeError> {
    let mut buf = vec![0u8; codec::MAX_MESSAGE_BYTES];
    loop {
        let len = match rt.control().recv_timeout(&mut buf, None) {
            Ok(Received::Message(len)) => len,
            Ok(Received::Closed | Received::Timeout) => return Ok(()),
            Err(e) => return Err(RuntimeError::Recv(e)),
        };
        match codec::decode::<BrokerToRenderer>(&buf[..len]) {
            Ok(BrokerToRenderer::Ping { nonce }) => rt.send(&RendererToBroker::Pong { nonce })?,
            Ok(BrokerToRenderer::Surface { generation, .. }) => {
                rt.send(&RendererToBroker::FrameReady {
                    surface: generation,
                    damage: PxRect::full(1, 1),
                })?
            }
            Ok(BrokerToRenderer::Shutdown) => return Ok(()),
            _ => {}
        }
    }
}

/// Writes to stderr until the write fails or `total` bytes are written.
fn write_stderr(chunk: &[u8], total: usize) {
    // SAFETY: fd 2 is this process's stderr (the broker's relay pipe),
    // open for the whole life of the process; it is only borrowed here.
    let stderr = unsafe { BorrowedFd::borrow_raw(2) };
    let mut written = 0;
    while written < total {
        match rustix::io::write(stderr, chunk) {
            Ok(n) if n > 0 => written += n,
            _ => return,
        }
    }
}

/// 256 MiB on stderr without a newline.
fn stderr_no_newline() {
    write_stderr(&[b'x'; 64 * 1024], 256 << 20);
}

/// Short lines as fast as the pipe takes them, up to 64 MiB.
fn log_flood() {
    write_stderr(
        &b" INFO workshop_renderer: flood line\n".repeat(1024),
        64 << 20,
    );
}

/// Lines that try to pass for the broker's own or hide what they say.
pub const SPOOF_LINES: [&str; 5] = [
    " INFO workshop: bidi \u{202E}dlrow olleh\n",
    "\u{1b}[2K\r[BROKER] INFO workshop: escape-forged line\n",
    "line-separator\u{2028}[BROKER] INFO workshop: separator-forged line\n",
    " INFO padded",
    "[BROKER] INFO workshop::audit: prefix-forged line\n",
];

fn log_spoof() {
    for (i, line) in SPOOF_LINES.iter().enumerate() {
        if i == 3 {
            // Padding to push the rest onto its own visual line.
            let padded = format!(
                "{line}{}[BROKER] INFO workshop: padding-forged line\n",
                " ".repeat(500)
            );
            write_stderr(padded.as_bytes(), padded.len());
        } else {
            write_stderr(line.as_bytes(), line.len());
        }
    }
    tracing::info!("log-spoof done");
}

/// Most threads the bomb tries (enough to exceed any sane limit, few
/// enough that an unconfined run cannot hurt the machine).
pub const THREAD_BOMB_TRIES: usize = 2000;

/// Starts parked threads until the kernel refuses or the tries run out,
/// and reports how many it got. The threads stay parked.
fn thread_bomb() {
    let mut created = 0usize;
    let mut error = String::from("none");
    for _ in 0..THREAD_BOMB_TRIES {
        match std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(|| loop {
                std::thread::park();
            }) {
            Ok(_) => created += 1,
            Err(e) => {
                error = e
                    .raw_os_error()
                    .map_or_else(|| e.to_string(), |n| n.to_string());
                break;
            }
        }
    }
    tracing::info!("thread-bomb created={created} errno={error}");
}

/// Host paths a renderer must not learn anything about, and one that
/// exists nowhere: the answers must all be the same.
pub const PROBED_PATHS: [&str; 7] = [
    "/etc/passwd",
    "/etc/shadow",
    "/proc/self",
    "/proc/1/status",
    "/tmp/.X11-unix",
    "/tmp",
    "/nonexistent-workshop-probe",
];

/// `newfstatat(AT_FDCWD, path, AT_EMPTY_PATH)` (the flag does not make a
/// path empty) on each probed path and on `$TMPDIR` (the bootstrap
/// directory), reported as `path-probe PATH=RESULT`.
fn path_probe() {
    let tmpdir = std::env::var("TMPDIR").unwrap_or_default();
    let mut paths: Vec<String> = PROBED_PATHS.iter().map(|p| (*p).to_owned()).collect();
    if !tmpdir.is_empty() {
        paths.push(tmpdir);
    }
    for path in paths {
        let result = match std::ffi::CString::new(path.clone()) {
            Ok(c) => {
                let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
                // SAFETY: `c` is a valid NUL-terminated path and `st` a
                // writable buffer of the size newfstatat fills.
                let rc = unsafe {
                    libc::syscall(
                        libc::SYS_newfstatat,
                        libc::AT_FDCWD,
                        c.as_ptr(),
                        st.as_mut_ptr(),
                        libc::AT_EMPTY_PATH,
                    )
                };
                if rc == 0 {
                    "found".to_owned()
                } else {
                    format!(
                        "errno{}",
                        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
                    )
                }
            }
            Err(_) => "invalid".to_owned(),
        };
        tracing::info!("path-probe {path}={result}");
    }
}
