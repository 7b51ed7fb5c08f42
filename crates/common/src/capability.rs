//! The capability table: which role may send which message, and how.
//!
//! Policy as data. The broker checks every decoded message against
//! [`RENDERER_MAY_SEND`] using the role *it* assigned to the channel the
//! message arrived on; a message whose (role, kind) pair is not listed is a
//! bad message and costs the renderer its process. `workshop capabilities`
//! prints [`markdown`], generated from these same tables, so the docs cannot
//! drift from what is enforced.

use crate::protocol::{BrokerMessageKind, RendererMessageKind};
use crate::role::Role;

/// How a message is exchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Part of the handshake; accepted once, in order, before anything else.
    Handshake,
    /// Fire and forget.
    Send,
    /// Carries a request id and gets exactly one reply.
    Invoke {
        /// How many may be unanswered at once; one more is a bad message.
        max_in_flight: usize,
    },
    /// Answers a message the broker sent (a ping); an answer to nothing is a
    /// bad message.
    Reply,
    /// Accepted only once per user gesture the broker itself saw in the
    /// window (a copy or cut), within [`CLIPBOARD_GESTURE_MS`]; any other
    /// is a bad message.
    AfterGesture,
    /// At most one per frame the broker accepted from the renderer (one
    /// before the first); one more is a bad message.
    PerFrame,
}

/// How long after a Ctrl+C / Ctrl+X the broker saw in a window it accepts
/// that window's one `ClipboardWrite`, in milliseconds.
pub const CLIPBOARD_GESTURE_MS: u64 = 2000;

impl Pattern {
    fn describe(self) -> String {
        match self {
            Pattern::Handshake => "handshake".to_owned(),
            Pattern::Send => "send".to_owned(),
            Pattern::Invoke { max_in_flight } => format!("invoke (≤ {max_in_flight} in flight)"),
            Pattern::Reply => "reply".to_owned(),
            Pattern::AfterGesture => {
                format!("after a gesture (1 per copy/cut, ≤ {CLIPBOARD_GESTURE_MS} ms)")
            }
            Pattern::PerFrame => format!(
                "≤ 1 per frame (≤ {} nodes, depth ≤ {})",
                crate::access::MAX_NODES,
                crate::access::MAX_DEPTH
            ),
        }
    }
}

/// One permitted renderer → broker message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capability {
    /// The role that may send it.
    pub role: Role,
    /// The message.
    pub kind: RendererMessageKind,
    /// How it is exchanged.
    pub pattern: Pattern,
    /// Why this role needs it.
    pub reason: &'static str,
}

/// One permitted broker → renderer message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Push {
    /// The role that may receive it.
    pub role: Role,
    /// The message.
    pub kind: BrokerMessageKind,
    /// Why this role gets it.
    pub reason: &'static str,
}

use Pattern::{AfterGesture, Handshake, Invoke, PerFrame, Reply, Send};
use RendererMessageKind as R;
use Role::{Login, Main};

/// Every message a renderer may send, per role. Anything absent is denied.
#[rustfmt::skip]
pub const RENDERER_MAY_SEND: &[Capability] = &[
    // Plumbing every window needs.
    Capability { role: Main, kind: R::Bootstrap, pattern: Handshake, reason: "names the one-shot server the broker connects to, before lockdown" },
    Capability { role: Login, kind: R::Bootstrap, pattern: Handshake, reason: "names the one-shot server the broker connects to, before lockdown" },
    Capability { role: Main, kind: R::Hello, pattern: Handshake, reason: "protocol version, role and sandbox self-report, after lockdown" },
    Capability { role: Login, kind: R::Hello, pattern: Handshake, reason: "protocol version, role and sandbox self-report, after lockdown" },
    Capability { role: Main, kind: R::FrameReady, pattern: Send, reason: "hands a painted frame to the broker to present" },
    Capability { role: Login, kind: R::FrameReady, pattern: Send, reason: "hands a painted frame to the broker to present" },
    Capability { role: Main, kind: R::SetCursor, pattern: Send, reason: "hand over buttons" },
    Capability { role: Login, kind: R::SetCursor, pattern: Send, reason: "hand over buttons, I-beam over inputs" },
    Capability { role: Main, kind: R::Pong, pattern: Reply, reason: "proves the renderer is responsive" },
    Capability { role: Login, kind: R::Pong, pattern: Reply, reason: "proves the renderer is responsive" },
    Capability { role: Login, kind: R::SetImeArea, pattern: Send, reason: "the focused input's caret, for the input method (the Main Window has no text input)" },
    Capability { role: Main, kind: R::ClipboardWrite, pattern: AfterGesture, reason: "Ctrl+C / Ctrl+X: the selected text, for the broker-owned clipboard" },
    Capability { role: Login, kind: R::ClipboardWrite, pattern: AfterGesture, reason: "Ctrl+C / Ctrl+X in the Email field (never the password field)" },
    Capability { role: Main, kind: R::AccessUpdate, pattern: PerFrame, reason: "describes its window (heading, buttons, texts) to assistive technology, under the broker's window node" },
    Capability { role: Login, kind: R::AccessUpdate, pattern: PerFrame, reason: "describes the form to assistive technology; the password node carries no value" },
    // The Main Window's app messages.
    Capability { role: Main, kind: R::OpenLoginWindow, pattern: Send, reason: "\"Let's check it out!\" opens the Login Window" },
    Capability { role: Main, kind: R::Logout, pattern: Send, reason: "\"Logout\" forgets the signed-in user" },
    Capability { role: Main, kind: R::CloseWindow, pattern: Send, reason: "\"Close\" closes every window and quits" },
    Capability { role: Login, kind: R::CloseWindow, pattern: Send, reason: "Escape closes the Login Window, and only it" },
    // The Login Window's app messages.
    Capability { role: Login, kind: R::SubmitLogin, pattern: Invoke { max_in_flight: 1 }, reason: "the form submits credentials and awaits the outcome" },
];

use BrokerMessageKind as B;

/// Every message the broker may send, per role. The broker refuses (and logs
/// as its own bug) anything absent, so the signed-in user can never reach the
/// Login Window's process.
#[rustfmt::skip]
pub const BROKER_MAY_SEND: &[Push] = &[
    Push { role: Main, kind: B::Welcome, reason: "handshake accepted" },
    Push { role: Login, kind: B::Welcome, reason: "handshake accepted" },
    Push { role: Main, kind: B::Surface, reason: "the shared-memory surface to paint into" },
    Push { role: Login, kind: B::Surface, reason: "the shared-memory surface to paint into" },
    Push { role: Main, kind: B::FrameAck, reason: "the frame was presented; the surface is the renderer's again" },
    Push { role: Login, kind: B::FrameAck, reason: "the frame was presented; the surface is the renderer's again" },
    Push { role: Main, kind: B::Input, reason: "pointer, keys, text, focus and pasted text for this window only" },
    Push { role: Login, kind: B::Input, reason: "pointer, keys, text, focus and pasted text for this window only" },
    Push { role: Main, kind: B::Access, reason: "assistive technology pressed or focused a node of this window's own tree (paced as input)" },
    Push { role: Login, kind: B::Access, reason: "assistive technology pressed, focused or set the Email of this window's own tree (never the password; paced as input)" },
    Push { role: Main, kind: B::Ping, reason: "liveness" },
    Push { role: Login, kind: B::Ping, reason: "liveness" },
    Push { role: Main, kind: B::Shutdown, reason: "the window is closing" },
    Push { role: Login, kind: B::Shutdown, reason: "the window is closing" },
    Push { role: Main, kind: B::InitialState, reason: "ends \"Initializing...\" with the current user" },
    Push { role: Main, kind: B::Authenticated, reason: "shows \"Welcome, NAME!\"" },
    Push { role: Main, kind: B::LoggedOut, reason: "returns to the signed-out view" },
    Push { role: Login, kind: B::SubmitLoginReply, reason: "the outcome of the form's invoke" },
];

/// The capability for `role` sending `kind`, or `None` if it is denied.
pub fn renderer_may_send(role: Role, kind: RendererMessageKind) -> Option<&'static Capability> {
    RENDERER_MAY_SEND
        .iter()
        .find(|c| c.role == role && c.kind == kind)
}

/// Whether the broker may send `kind` to a renderer of `role`.
pub fn broker_may_send(role: Role, kind: BrokerMessageKind) -> bool {
    BROKER_MAY_SEND
        .iter()
        .any(|p| p.role == role && p.kind == kind)
}

/// The tables as markdown, for `workshop capabilities` and the docs.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str("## Renderer → broker\n\n");
    out.push_str("Checked against the role the broker assigned to the channel. Anything not listed is a bad message: audited, and the renderer is killed.\n\n");
    out.push_str("| message |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.as_str()));
    }
    out.push_str(" reason |\n|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    for kind in RendererMessageKind::ALL {
        out.push_str(&format!("| `{}` |", kind.name()));
        let mut reason = "";
        for role in Role::ALL {
            match renderer_may_send(role, kind) {
                Some(c) => {
                    out.push_str(&format!(" {} |", c.pattern.describe()));
                    reason = c.reason;
                }
                None => out.push_str(" denied |"),
            }
        }
        out.push_str(&format!(" {reason} |\n"));
    }
    out.push_str("\n## Broker → renderer\n\n");
    out.push_str("The broker refuses to send anything not listed to a role.\n\n| message |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.as_str()));
    }
    out.push_str(" reason |\n|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    for kind in BrokerMessageKind::ALL {
        out.push_str(&format!("| `{}` |", kind.name()));
        let mut reason = "";
        for role in Role::ALL {
            if let Some(p) = BROKER_MAY_SEND
                .iter()
                .find(|p| p.role == role && p.kind == kind)
            {
                out.push_str(" yes |");
                reason = p.reason;
            } else {
                out.push_str(" no |");
            }
        }
        out.push_str(&format!(" {reason} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole policy, spelled out independently of the table: every
    /// (role, kind) pair, allowed or denied.
    #[test]
    fn every_pair_is_decided_as_intended() {
        for role in Role::ALL {
            for kind in RendererMessageKind::ALL {
                let expected = match (role, kind) {
                    (_, R::Bootstrap | R::Hello) => Some(Handshake),
                    (_, R::FrameReady | R::SetCursor) => Some(Send),
                    (_, R::Pong) => Some(Reply),
                    (_, R::ClipboardWrite) => Some(AfterGesture),
                    (_, R::AccessUpdate) => Some(PerFrame),
                    (Login, R::SetImeArea) => Some(Send),
                    (Main, R::SetImeArea) => None,
                    (Main, R::OpenLoginWindow | R::Logout | R::CloseWindow) => Some(Send),
                    (Login, R::OpenLoginWindow | R::Logout) => None,
                    (Login, R::CloseWindow) => Some(Send),
                    (Login, R::SubmitLogin) => Some(Invoke { max_in_flight: 1 }),
                    (Main, R::SubmitLogin) => None,
                };
                assert_eq!(
                    renderer_may_send(role, kind).map(|c| c.pattern),
                    expected,
                    "{role:?} {kind:?}"
                );
            }
        }
    }

    #[test]
    fn pushes_are_decided_as_intended() {
        for role in Role::ALL {
            for kind in BrokerMessageKind::ALL {
                let expected = match (role, kind) {
                    (
                        _,
                        B::Welcome
                        | B::Surface
                        | B::FrameAck
                        | B::Input
                        | B::Access
                        | B::Ping
                        | B::Shutdown,
                    ) => true,
                    (Main, B::InitialState | B::Authenticated | B::LoggedOut) => true,
                    (Login, B::InitialState | B::Authenticated | B::LoggedOut) => false,
                    (Login, B::SubmitLoginReply) => true,
                    (Main, B::SubmitLoginReply) => false,
                };
                assert_eq!(broker_may_send(role, kind), expected, "{role:?} {kind:?}");
            }
        }
    }

    #[test]
    fn the_table_shows_the_clipboard_rows() {
        let md = markdown();
        let row = md
            .lines()
            .find(|l| l.starts_with("| `ClipboardWrite` |"))
            .unwrap_or_default();
        assert_eq!(
            row.matches("after a gesture").count(),
            Role::ALL.len(),
            "{row}"
        );
    }

    #[test]
    fn no_duplicate_entries_and_every_entry_has_a_reason() {
        for (i, a) in RENDERER_MAY_SEND.iter().enumerate() {
            assert!(!a.reason.is_empty());
            for b in &RENDERER_MAY_SEND[i + 1..] {
                assert!(!(a.role == b.role && a.kind == b.kind), "{a:?}");
            }
        }
        for (i, a) in BROKER_MAY_SEND.iter().enumerate() {
            assert!(!a.reason.is_empty());
            for b in &BROKER_MAY_SEND[i + 1..] {
                assert!(!(a.role == b.role && a.kind == b.kind), "{a:?}");
            }
        }
    }

    #[test]
    fn markdown_lists_every_kind_and_denials() {
        let md = markdown();
        for kind in RendererMessageKind::ALL {
            assert!(md.contains(&format!("`{}`", kind.name())));
        }
        for kind in BrokerMessageKind::ALL {
            assert!(md.contains(&format!("`{}`", kind.name())));
        }
        assert!(md.contains("| `SubmitLogin` | denied | invoke (≤ 1 in flight) |"));
    }
}
