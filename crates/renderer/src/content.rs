//! Adapts the two window contents to the runtime.
//!
//! The runtime knows one [`Content`]; this enum holds either the Main
//! Window with the only client it may use, or the Login Window with its.
//! Pushes the broker may not send to a role are logged and ignored here (the
//! broker's own table should make them impossible).

use std::time::Instant;

use workshop_common::client::{LoginWindowClient, MainWindowClient};
use workshop_common::protocol::{BrokerToRenderer, RendererToBroker};
use workshop_common::Role;
use workshop_renderer_login::LoginWindow;
use workshop_renderer_main::MainWindow;
use workshop_ui::{Event, Ui};

/// One window's content and its client.
pub enum Content {
    /// The Main Window.
    Main(Box<MainWindow>, MainWindowClient),
    /// The Login Window.
    Login(Box<LoginWindow>, LoginWindowClient),
}

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Content::Main(..) => f.write_str("Content::Main"),
            Content::Login(..) => f.write_str("Content::Login"),
        }
    }
}

impl Content {
    /// The content for `role`.
    pub fn new(role: Role, invoke_timeout: std::time::Duration) -> Content {
        match role {
            Role::Main => Content::Main(Box::new(MainWindow::new()), MainWindowClient::new()),
            Role::Login => Content::Login(
                Box::new(LoginWindow::new()),
                LoginWindowClient::new(invoke_timeout),
            ),
        }
    }

    /// The widget document.
    pub fn ui_mut(&mut self) -> &mut Ui {
        match self {
            Content::Main(w, _) => w.ui_mut(),
            Content::Login(w, _) => w.ui_mut(),
        }
    }

    /// The labels assistive technology should hear as status lines (they
    /// change to report what happened).
    pub fn status_ids(&self) -> Vec<workshop_ui::WidgetId> {
        match self {
            Content::Main(w, _) => vec![w.initializing_id(), w.welcome_id()],
            Content::Login(w, _) => vec![w.error_label_id()],
        }
    }

    /// One input event (logical coordinates).
    pub fn input(&mut self, event: &Event) {
        match self {
            Content::Main(w, c) => w.handle(event, c),
            Content::Login(w, c) => w.handle(event, c),
        }
    }

    /// An app push from the broker. Plumbing messages are the runtime's.
    pub fn push(&mut self, msg: BrokerToRenderer) {
        match (self, msg) {
            (Content::Main(w, _), BrokerToRenderer::InitialState { user }) => {
                w.show_initial_state(user.as_ref())
            }
            (Content::Main(w, _), BrokerToRenderer::Authenticated { user }) => {
                w.show_authenticated(&user)
            }
            (Content::Main(w, _), BrokerToRenderer::LoggedOut) => w.show_logged_out(),
            (Content::Login(w, c), BrokerToRenderer::Reply { id, reply }) => {
                match c.complete(id, reply) {
                    Some(outcome) => w.on_outcome(outcome),
                    None => tracing::warn!(id = id.0, "reply to no pending request; dropped"),
                }
            }
            (content, msg) => {
                tracing::warn!(content = ?content, kind = ?msg.kind(), "push not meant for this window; ignored")
            }
        }
    }

    /// Messages queued by the content since the last call.
    pub fn take_outgoing(&mut self, now: Instant) -> Vec<RendererToBroker> {
        match self {
            Content::Main(_, c) => c.take_outgoing(),
            Content::Login(_, c) => c.take_outgoing(now),
        }
    }

    /// When an invoke times out next.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self {
            Content::Main(..) => None,
            Content::Login(_, c) => c.next_deadline(),
        }
    }

    /// Delivers timeouts due at `now`.
    pub fn expire(&mut self, now: Instant) {
        if let Content::Login(w, c) = self {
            for outcome in c.expire(now) {
                tracing::warn!(id = outcome.id.0, "request timed out");
                w.on_outcome(outcome);
            }
        }
    }
}
