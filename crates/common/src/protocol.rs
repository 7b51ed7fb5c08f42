//! The wire types: one enum per direction, every variant documented.
//!
//! [`RendererToBroker`] is everything a renderer can say; the broker decodes
//! it with [`crate::codec`], checks it against [`crate::capability`] for the
//! role it assigned to the channel, and validates it with
//! [`crate::validate`]. [`BrokerToRenderer`] is everything the broker can say.
//!
//! `Debug` on both prints the variant name only: a log line or panic message
//! can never carry a payload (a password, an email, a user).
//!
//! Handles (channels, shared memory) never appear here: they travel as
//! ipc-channel types on their own channels (see `docs/ARCHITECTURE.md`).

use serde::{Deserialize, Serialize};

use crate::access::{AccessAction, AccessUpdate};
use crate::geometry::PxRect;
use crate::input::{CursorIcon, InputEvent};
use crate::role::Role;
use crate::sandbox_report::SandboxReport;
use crate::secret::Secret;
use crate::user::{LoginError, User};

/// Bumped on any incompatible change to these enums. A renderer whose
/// `Hello` carries another version is refused.
pub const PROTOCOL_VERSION: u32 = 3;

/// Identifies one invoke of one renderer. Ids start at 1 and strictly
/// increase for the life of the renderer process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RequestId(pub u64);

/// Messages a renderer sends to the broker.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub enum RendererToBroker {
    /// First message, sent before lockdown: the name of the one-shot
    /// ipc-channel server the renderer listens on. The broker connects to it
    /// and sends the channels the renderer will read from.
    Bootstrap {
        /// Path of the renderer's one-shot server socket; must lie in the
        /// private directory the broker created for this renderer.
        server: String,
    },
    /// Second message, sent after lockdown: the versioned handshake.
    Hello {
        /// Must equal [`PROTOCOL_VERSION`].
        protocol_version: u32,
        /// The role the renderer believes it has; must equal the role the
        /// broker assigned, or the renderer is refused.
        role: Role,
        /// The renderer's account of its confinement and its probes.
        sandbox: SandboxReport,
    },
    /// The renderer painted `damage` into surface `surface` and will not
    /// touch it until [`BrokerToRenderer::FrameAck`] (or a new surface).
    FrameReady {
        /// The generation of the surface painted into; a frame for a surface
        /// the broker has since replaced is dropped unacknowledged.
        surface: u32,
        /// The changed rectangle, physical pixels (clamped by the broker).
        damage: PxRect,
    },
    /// The pointer shape the window should show.
    SetCursor {
        /// Which shape.
        cursor: CursorIcon,
    },
    /// Answer to [`BrokerToRenderer::Ping`].
    Pong {
        /// The ping's nonce.
        nonce: u64,
    },
    /// Main Window: open the Login Window (or raise it).
    OpenLoginWindow,
    /// Main Window: forget the signed-in user.
    Logout,
    /// Main Window: close every window and quit. Login Window: close the
    /// Login Window (Escape).
    CloseWindow,
    /// Where the focused text input's caret is, for the input method's
    /// candidate window (`None`: no text input is focused, the input method
    /// is off). Physical pixels; the broker clamps it to the window.
    SetImeArea {
        /// The caret rectangle, if a text input is focused.
        area: Option<PxRect>,
    },
    /// The text the user copied or cut, for the broker to put on the
    /// clipboard. Accepted once per Ctrl+C / Ctrl+X the broker itself saw in
    /// this window, within [`crate::capability::CLIPBOARD_GESTURE_MS`];
    /// any other is a bad message. At most
    /// [`crate::validate::MAX_CLIPBOARD_BYTES`], no NUL. Never sent for the
    /// password field.
    ClipboardWrite {
        /// The selected text.
        text: String,
    },
    /// The window's accessibility tree (the first one whole, then what
    /// changed), sent just before the `FrameReady` of the paint that
    /// changed it. At most one per frame the broker accepted (one before
    /// the first); bounded and checked whole by [`crate::access`]. Never
    /// carries the password.
    AccessUpdate(AccessUpdate),
    /// A request that expects exactly one [`BrokerToRenderer::Reply`].
    Invoke {
        /// Fresh, strictly increasing id.
        id: RequestId,
        /// What is asked.
        request: Request,
    },
}

/// The requests a renderer can invoke.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Login Window: authenticate with these credentials.
    SubmitLogin {
        /// The email address as typed.
        email: String,
        /// The password; redacted everywhere but the authenticator.
        password: Secret,
    },
}

/// Messages the broker sends to a renderer.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub enum BrokerToRenderer {
    /// The handshake was accepted.
    Welcome,
    /// A new surface to paint into; its shared memory was sent before this
    /// message on the surface channel with the same `generation`. Replaces
    /// any previous surface and cancels a frame in flight.
    Surface {
        /// Increases with every new surface.
        generation: u32,
        /// Width, physical pixels.
        width: u32,
        /// Height, physical pixels.
        height: u32,
        /// Physical pixels per logical pixel.
        scale: f32,
    },
    /// The broker has presented the last frame; the surface is the
    /// renderer's again.
    FrameAck,
    /// User input for this window.
    Input(InputEvent),
    /// Assistive technology asked for this on a node of this window's
    /// last validated tree (paced with the input).
    Access(AccessAction),
    /// Liveness check; answer with [`RendererToBroker::Pong`].
    Ping {
        /// Echo this back.
        nonce: u64,
    },
    /// Exit now (the window is closing).
    Shutdown,
    /// Main Window: the broker's current state, sent once after `Welcome`
    /// ("Initializing..." is shown until it arrives).
    InitialState {
        /// The signed-in user, if any.
        user: Option<User>,
    },
    /// Main Window: a user signed in.
    Authenticated {
        /// Who.
        user: User,
    },
    /// Main Window: the user signed out.
    LoggedOut,
    /// The one reply to an [`RendererToBroker::Invoke`].
    Reply {
        /// The invoke's id.
        id: RequestId,
        /// The outcome.
        reply: Reply,
    },
}

/// The reply to each kind of [`Request`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// Outcome of [`Request::SubmitLogin`].
    SubmitLogin(Result<User, LoginError>),
}

/// The payload-free name of a renderer → broker message: the key of the
/// capability table and the `kind` of every audit event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RendererMessageKind {
    /// [`RendererToBroker::Bootstrap`].
    Bootstrap,
    /// [`RendererToBroker::Hello`].
    Hello,
    /// [`RendererToBroker::FrameReady`].
    FrameReady,
    /// [`RendererToBroker::SetCursor`].
    SetCursor,
    /// [`RendererToBroker::Pong`].
    Pong,
    /// [`RendererToBroker::OpenLoginWindow`].
    OpenLoginWindow,
    /// [`RendererToBroker::Logout`].
    Logout,
    /// [`RendererToBroker::CloseWindow`].
    CloseWindow,
    /// [`RendererToBroker::SetImeArea`].
    SetImeArea,
    /// [`RendererToBroker::ClipboardWrite`].
    ClipboardWrite,
    /// [`RendererToBroker::AccessUpdate`].
    AccessUpdate,
    /// [`RendererToBroker::Invoke`] with [`Request::SubmitLogin`].
    SubmitLogin,
}

impl RendererMessageKind {
    /// Every kind, in declaration order.
    pub const ALL: [RendererMessageKind; 12] = [
        RendererMessageKind::Bootstrap,
        RendererMessageKind::Hello,
        RendererMessageKind::FrameReady,
        RendererMessageKind::SetCursor,
        RendererMessageKind::Pong,
        RendererMessageKind::OpenLoginWindow,
        RendererMessageKind::Logout,
        RendererMessageKind::CloseWindow,
        RendererMessageKind::SetImeArea,
        RendererMessageKind::ClipboardWrite,
        RendererMessageKind::AccessUpdate,
        RendererMessageKind::SubmitLogin,
    ];

    /// The name used in tables and audit lines.
    pub fn name(self) -> &'static str {
        match self {
            RendererMessageKind::Bootstrap => "Bootstrap",
            RendererMessageKind::Hello => "Hello",
            RendererMessageKind::FrameReady => "FrameReady",
            RendererMessageKind::SetCursor => "SetCursor",
            RendererMessageKind::Pong => "Pong",
            RendererMessageKind::OpenLoginWindow => "OpenLoginWindow",
            RendererMessageKind::Logout => "Logout",
            RendererMessageKind::CloseWindow => "CloseWindow",
            RendererMessageKind::SetImeArea => "SetImeArea",
            RendererMessageKind::ClipboardWrite => "ClipboardWrite",
            RendererMessageKind::AccessUpdate => "AccessUpdate",
            RendererMessageKind::SubmitLogin => "SubmitLogin",
        }
    }
}

/// The payload-free name of a broker → renderer message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BrokerMessageKind {
    /// [`BrokerToRenderer::Welcome`].
    Welcome,
    /// [`BrokerToRenderer::Surface`].
    Surface,
    /// [`BrokerToRenderer::FrameAck`].
    FrameAck,
    /// [`BrokerToRenderer::Input`].
    Input,
    /// [`BrokerToRenderer::Access`].
    Access,
    /// [`BrokerToRenderer::Ping`].
    Ping,
    /// [`BrokerToRenderer::Shutdown`].
    Shutdown,
    /// [`BrokerToRenderer::InitialState`].
    InitialState,
    /// [`BrokerToRenderer::Authenticated`].
    Authenticated,
    /// [`BrokerToRenderer::LoggedOut`].
    LoggedOut,
    /// [`BrokerToRenderer::Reply`] to a [`Request::SubmitLogin`].
    SubmitLoginReply,
}

impl BrokerMessageKind {
    /// Every kind, in declaration order.
    pub const ALL: [BrokerMessageKind; 11] = [
        BrokerMessageKind::Welcome,
        BrokerMessageKind::Surface,
        BrokerMessageKind::FrameAck,
        BrokerMessageKind::Input,
        BrokerMessageKind::Access,
        BrokerMessageKind::Ping,
        BrokerMessageKind::Shutdown,
        BrokerMessageKind::InitialState,
        BrokerMessageKind::Authenticated,
        BrokerMessageKind::LoggedOut,
        BrokerMessageKind::SubmitLoginReply,
    ];

    /// The name used in tables and audit lines.
    pub fn name(self) -> &'static str {
        match self {
            BrokerMessageKind::Welcome => "Welcome",
            BrokerMessageKind::Surface => "Surface",
            BrokerMessageKind::FrameAck => "FrameAck",
            BrokerMessageKind::Input => "Input",
            BrokerMessageKind::Access => "Access",
            BrokerMessageKind::Ping => "Ping",
            BrokerMessageKind::Shutdown => "Shutdown",
            BrokerMessageKind::InitialState => "InitialState",
            BrokerMessageKind::Authenticated => "Authenticated",
            BrokerMessageKind::LoggedOut => "LoggedOut",
            BrokerMessageKind::SubmitLoginReply => "SubmitLoginReply",
        }
    }
}

impl RendererToBroker {
    /// The message's kind (no payload).
    pub fn kind(&self) -> RendererMessageKind {
        match self {
            RendererToBroker::Bootstrap { .. } => RendererMessageKind::Bootstrap,
            RendererToBroker::Hello { .. } => RendererMessageKind::Hello,
            RendererToBroker::FrameReady { .. } => RendererMessageKind::FrameReady,
            RendererToBroker::SetCursor { .. } => RendererMessageKind::SetCursor,
            RendererToBroker::Pong { .. } => RendererMessageKind::Pong,
            RendererToBroker::OpenLoginWindow => RendererMessageKind::OpenLoginWindow,
            RendererToBroker::Logout => RendererMessageKind::Logout,
            RendererToBroker::CloseWindow => RendererMessageKind::CloseWindow,
            RendererToBroker::SetImeArea { .. } => RendererMessageKind::SetImeArea,
            RendererToBroker::ClipboardWrite { .. } => RendererMessageKind::ClipboardWrite,
            RendererToBroker::AccessUpdate(_) => RendererMessageKind::AccessUpdate,
            RendererToBroker::Invoke { request, .. } => match request {
                Request::SubmitLogin { .. } => RendererMessageKind::SubmitLogin,
            },
        }
    }
}

impl BrokerToRenderer {
    /// The message's kind (no payload).
    pub fn kind(&self) -> BrokerMessageKind {
        match self {
            BrokerToRenderer::Welcome => BrokerMessageKind::Welcome,
            BrokerToRenderer::Surface { .. } => BrokerMessageKind::Surface,
            BrokerToRenderer::FrameAck => BrokerMessageKind::FrameAck,
            BrokerToRenderer::Input(_) => BrokerMessageKind::Input,
            BrokerToRenderer::Access(_) => BrokerMessageKind::Access,
            BrokerToRenderer::Ping { .. } => BrokerMessageKind::Ping,
            BrokerToRenderer::Shutdown => BrokerMessageKind::Shutdown,
            BrokerToRenderer::InitialState { .. } => BrokerMessageKind::InitialState,
            BrokerToRenderer::Authenticated { .. } => BrokerMessageKind::Authenticated,
            BrokerToRenderer::LoggedOut => BrokerMessageKind::LoggedOut,
            BrokerToRenderer::Reply { reply, .. } => match reply {
                Reply::SubmitLogin(_) => BrokerMessageKind::SubmitLoginReply,
            },
        }
    }
}

impl std::fmt::Debug for RendererToBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind().name())
    }
}

impl std::fmt::Debug for BrokerToRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind().name())
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::SubmitLogin { .. } => f.write_str("SubmitLogin"),
        }
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::SubmitLogin(Ok(_)) => f.write_str("SubmitLogin(Ok)"),
            Reply::SubmitLogin(Err(e)) => write!(f, "SubmitLogin(Err({e:?}))"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_no_payload() {
        let m = RendererToBroker::Invoke {
            id: RequestId(7),
            request: Request::SubmitLogin {
                email: "bruce@wayne.com".into(),
                password: Secret::new("hunter2".into()),
            },
        };
        let d = format!("{m:?} {m:#?}");
        assert!(!d.contains("hunter2") && !d.contains("bruce"), "{d}");
        assert_eq!(format!("{m:?}"), "SubmitLogin");
        let b = BrokerToRenderer::Authenticated {
            user: User {
                id: 1,
                name: "Bruce Wayne".into(),
                email: "bruce@wayne.com".into(),
            },
        };
        assert_eq!(format!("{b:?}"), "Authenticated");
    }

    #[test]
    fn kind_names_are_unique() {
        let mut names: Vec<_> = RendererMessageKind::ALL.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RendererMessageKind::ALL.len());
        let mut names: Vec<_> = BrokerMessageKind::ALL.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), BrokerMessageKind::ALL.len());
    }
}
