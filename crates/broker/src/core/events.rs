//! The core's vocabulary: what it is told ([`Event`]) and what it asks the
//! shell to do ([`Effect`]).
//!
//! Kept apart from the state machine so a reviewer can read every input and
//! output of the broker on one page.

use std::path::PathBuf;

use workshop_common::access::{AccessAction, AccessTree};
use workshop_common::geometry::{Position, PxRect};
use workshop_common::input::{CursorIcon, InputEvent};
use workshop_common::protocol::RequestId;
use workshop_common::sandbox_report::Layer;
use workshop_common::user::{LoginError, User};
use workshop_common::{BrokerToRenderer, RendererToBroker, Role, Secret};

use super::router::Fault;
use super::supervisor::{ExitKind, GoneReason};

/// Something the core must react to.
#[derive(Debug)]
pub enum Event {
    /// The app starts: open the Main Window.
    Start,
    /// Something about renderer `generation` of window `role`.
    Renderer {
        /// The window.
        role: Role,
        /// Which renderer process of that window.
        generation: u32,
        /// What happened.
        event: RendererEvent,
    },
    /// Something about window `role`.
    Window {
        /// The window.
        role: Role,
        /// What happened.
        event: WindowEvent,
    },
    /// The authenticator finished request `id` of renderer `generation`.
    AuthFinished {
        /// The window that asked.
        role: Role,
        /// The renderer that asked.
        generation: u32,
        /// Its request id.
        id: RequestId,
        /// The outcome.
        result: Result<User, LoginError>,
    },
    /// Another `workshop` was started with the same user data directory.
    SecondInstance,
    /// The app must stop now (a signal, the display gone): quit as if the
    /// Main Window were closed.
    Shutdown(ShutdownCause),
    /// Timers may be due.
    Tick,
}

/// Why the app is told to stop from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownCause {
    /// SIGTERM, SIGINT or SIGHUP (its name).
    Signal(&'static str),
    /// The connection to the display server was lost.
    DisplayLost,
}

impl ShutdownCause {
    /// For the log line.
    pub fn describe(self) -> &'static str {
        match self {
            ShutdownCause::Signal(name) => name,
            ShutdownCause::DisplayLost => "the display connection was lost",
        }
    }
}

/// What a renderer host reports.
#[derive(Debug)]
pub enum RendererEvent {
    /// The process started; the bootstrap server must live in `bootstrap_dir`.
    Spawned {
        /// The private directory the renderer's one-shot server must be in.
        bootstrap_dir: PathBuf,
    },
    /// The process could not be started.
    SpawnFailed {
        /// Why (for the log).
        error: String,
    },
    /// A datagram that decoded into a message.
    Message {
        /// The message.
        msg: RendererToBroker,
        /// Its encoded size.
        size: usize,
        /// The sender's pid, from the kernel.
        pid: u32,
    },
    /// A datagram the reader refused before decoding completed.
    Fault {
        /// Why.
        fault: Fault,
        /// Its size, when known.
        size: usize,
        /// The sender's pid, when known.
        pid: Option<u32>,
    },
    /// The surface channel could not be set up (connect or send failed).
    SurfaceFailed {
        /// Why.
        error: String,
    },
    /// The control socket reached end of stream.
    Disconnected,
    /// The renderer is not reading: its control queue is full, or it framed
    /// a surface it never took from its surface channel.
    Backlogged,
    /// What the broker saw from outside the renderer after the handshake.
    Inspected(Result<Confinement, String>),
    /// The renderer's stderr said its seccomp filter refused `syscall`
    /// (the relay recognised the sandbox's violation line).
    SandboxViolation {
        /// The refused system call's number.
        syscall: u32,
    },
    /// The process was reaped.
    Exited(ExitKind),
}

/// What the broker observed about a renderer from `/proc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confinement {
    /// `Seccomp:` field of `/proc/PID/status` (2 = filter).
    pub seccomp_mode: u8,
    /// `NoNewPrivs:` field.
    pub no_new_privs: bool,
    /// Namespace layers in which the renderer differs from the broker.
    pub separate_namespaces: Vec<Layer>,
    /// Effective, permitted and bounding capability sets all empty.
    pub no_capabilities: bool,
    /// `/proc/PID/root` is the empty root (a read-only one-inode tmpfs,
    /// listed empty).
    pub empty_root: bool,
    /// The task limit binds it (`Max processes` within the policy, not the
    /// host's uid 0) and its nice value is at least the policy's.
    pub thread_limited: bool,
}

/// What a window backend reports.
#[derive(Debug)]
pub enum WindowEvent {
    /// The window's surface is `width × height` physical pixels at `scale`.
    Resized {
        /// Width, physical pixels.
        width: u32,
        /// Height, physical pixels.
        height: u32,
        /// Scale factor.
        scale: f32,
    },
    /// User input.
    Input(InputEvent),
    /// The window manager's close button.
    CloseRequested,
    /// The window moved.
    Moved(Position),
    /// The user asked to retry a window whose renderer kept crashing.
    Retry,
    /// A paste gesture the shell recognised itself (Shift+Insert, or a
    /// middle click for PRIMARY); Ctrl+V arrives as a key and the core
    /// recognises it.
    PasteGesture(Selection),
    /// The shell's answer to [`Effect::ReadClipboard`]: the selection's
    /// text, if it had any.
    ClipboardRead(Option<ClipboardText>),
    /// Assistive technology asked for an action on a node of this window
    /// (forwarded only if the window's tree allows it).
    Access(AccessAction),
}

/// Which of the desktop's selections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// The clipboard (Ctrl+C / Ctrl+V).
    Clipboard,
    /// X11's PRIMARY selection (select, then middle click). Where the
    /// platform has none, reads and writes of it do nothing.
    Primary,
}

/// Text on its way to or from the clipboard; `Debug` prints its length
/// only.
#[derive(Clone, PartialEq, Eq)]
pub struct ClipboardText(pub String);

impl std::fmt::Debug for ClipboardText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClipboardText({} bytes)", self.0.len())
    }
}

/// A renderer that has gone (`render-process-gone`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gone {
    /// Its window.
    pub role: Role,
    /// Its generation.
    pub generation: u32,
    /// Why.
    pub reason: GoneReason,
    /// How the process ended (`None`: it never started).
    pub exit: Option<ExitKind>,
    /// For `bad-message`: what was wrong (payload-free).
    pub bad_message: Option<String>,
}

/// The physical description of a surface.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SurfaceSpec {
    /// Increases with every surface of a window.
    pub generation: u32,
    /// Width, physical pixels.
    pub width: u32,
    /// Height, physical pixels.
    pub height: u32,
    /// Scale factor.
    pub scale: f32,
}

/// Something the shell must do.
#[derive(Debug)]
pub enum Effect {
    /// Create window `role` (400 × 400, titled).
    OpenWindow {
        /// Which.
        role: Role,
    },
    /// Destroy window `role`.
    CloseWindow {
        /// Which.
        role: Role,
    },
    /// Bring window `role` to the front.
    RaiseWindow {
        /// Which.
        role: Role,
    },
    /// Set window `role`'s title.
    SetTitle {
        /// Which.
        role: Role,
        /// The title.
        title: String,
    },
    /// Set window `role`'s pointer shape.
    SetCursor {
        /// Which.
        role: Role,
        /// The shape.
        cursor: CursorIcon,
    },
    /// Draw the broker's own "renderer keeps crashing" page in `role`.
    ShowCrashed {
        /// Which.
        role: Role,
    },
    /// Start renderer `generation` for window `role`.
    Spawn {
        /// Which window.
        role: Role,
        /// Its generation.
        generation: u32,
    },
    /// Allocate a surface and send its handle on the surface channel,
    /// connecting that channel first when `connect` is given.
    SendSurface {
        /// Which window.
        role: Role,
        /// Which renderer.
        generation: u32,
        /// The surface.
        spec: SurfaceSpec,
        /// The renderer's one-shot server, validated, on the first surface.
        connect: Option<PathBuf>,
    },
    /// Encode and send a control message.
    Send {
        /// Which window.
        role: Role,
        /// Which renderer.
        generation: u32,
        /// The message.
        msg: BrokerToRenderer,
    },
    /// Copy `damage` of surface `surface` to the window and present it.
    Present {
        /// Which window.
        role: Role,
        /// Which renderer.
        generation: u32,
        /// The surface generation painted into.
        surface: u32,
        /// The clamped changed rectangle.
        damage: PxRect,
    },
    /// Read `/proc` to verify the renderer's confinement; answer with
    /// [`RendererEvent::Inspected`].
    Inspect {
        /// Which window.
        role: Role,
        /// Which renderer.
        generation: u32,
        /// Its pid as the kernel reported it.
        pid: u32,
    },
    /// SIGKILL the renderer (the host reaps it and reports `Exited`).
    Kill {
        /// Which window.
        role: Role,
        /// Which renderer.
        generation: u32,
    },
    /// Run the authenticator; answer with [`Event::AuthFinished`].
    Authenticate {
        /// Which window asked.
        role: Role,
        /// Which renderer.
        generation: u32,
        /// Its request id.
        id: RequestId,
        /// The email.
        email: String,
        /// The password.
        password: Secret,
    },
    /// Turn window `role`'s input method on with its candidate window at
    /// `area` (physical pixels, inside the window), or off (`None`).
    SetIme {
        /// Which window.
        role: Role,
        /// The focused input's caret, clamped to the window.
        area: Option<PxRect>,
    },
    /// Read `selection` and answer with [`WindowEvent::ClipboardRead`] for
    /// window `role`.
    ReadClipboard {
        /// The window that pasted.
        role: Role,
        /// Which selection.
        selection: Selection,
    },
    /// Show `tree` to assistive technology as window `role`'s content
    /// (empty: only the broker's window node), under the broker's window
    /// node named by the window's title.
    AccessTree {
        /// Which window.
        role: Role,
        /// Its last validated tree.
        tree: AccessTree,
    },
    /// Own `selection` with `text` (the user copied or cut it).
    WriteClipboard {
        /// Which selection.
        selection: Selection,
        /// The text.
        text: ClipboardText,
    },
    /// Stop the app: stop every renderer and leave the event loop.
    Quit,
}
