//! The Main Window's content: what it shows and what its buttons ask for.
//!
//! This crate exists so the Main Window's behaviour can be read, tested and
//! reviewed apart from everything privileged. It is a small state machine
//! ([`MainView`]) over a `workshop_ui` widget tree, fed two things by the
//! renderer runtime: the broker's pushes (`InitialState`, `Authenticated`,
//! `LoggedOut`, via the `show_*` methods) and input events (via
//! [`MainWindow::handle`]). Its only way to reach the broker is the
//! [`MainWindowClient`] it is handed, which can queue three messages and
//! nothing else. It knows nothing of processes, files, sockets or clocks.
//!
//! Decisions:
//! - **The broker is the single source of truth.** The window never changes
//!   its view on its own: clicking Logout sends `Logout` and the view changes
//!   when the broker answers with `LoggedOut`. Every click is exactly one
//!   message; the broker's handlers are idempotent, so a double click costs a
//!   duplicate message, never a wrong state.
//! - **Nothing but Close works while "Initializing...".** The check and
//!   Logout buttons are hidden (no space, no hit area, no focus), and the
//!   click handler also checks the view, so a stale click can never send
//!   `OpenLoginWindow` or `Logout` before the broker said who is signed in.
//!   Close works in every view: a user must always be able to quit.
//! - **Names and emails are shown on one line.** Control characters in them
//!   (the broker validates them anyway) are shown as spaces, so a pushed
//!   value cannot break the layout into extra lines.
//!
//! ```
//! use workshop_common::client::MainWindowClient;
//! use workshop_common::RendererToBroker;
//! use workshop_renderer_main::MainWindow;
//! use workshop_ui::{Event, TextSystem};
//!
//! let mut window = MainWindow::new();
//! let mut client = MainWindowClient::new();
//! window.show_initial_state(None);
//! window.ui_mut().layout(&mut TextSystem::new());
//! let b = window.ui().bounds(window.check_button_id()).unwrap();
//! let (x, y) = (b.x + b.w / 2.0, b.y + b.h / 2.0);
//! window.handle(&Event::PointerPressed { x, y }, &mut client);
//! window.handle(&Event::PointerReleased { x, y }, &mut client);
//! assert_eq!(client.take_outgoing(), vec![RendererToBroker::OpenLoginWindow]);
//! ```

#![warn(missing_docs)]

use workshop_common::client::MainWindowClient;
use workshop_common::user::User;
use workshop_ui::{
    theme, Align, Button, ButtonStyle, Column, Event, Insets, Justify, Label, Ui, UiAction,
    UiError, WidgetId,
};

/// Logical width of the Main Window.
pub const WIDTH: f32 = 400.0;
/// Logical height of the Main Window.
pub const HEIGHT: f32 = 400.0;

/// Which of its three faces the Main Window shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MainView {
    /// Before the broker's initial state arrived: "Initializing...".
    Initializing,
    /// Nobody is signed in: the "Let's check it out!" button.
    SignedOut,
    /// Someone is signed in: the welcome text and the Logout button.
    SignedIn,
}

/// The Main Window's content: heading, a middle group that depends on the
/// [`MainView`], and Close at the bottom.
#[derive(Debug)]
pub struct MainWindow {
    ui: Ui,
    view: MainView,
    heading: WidgetId,
    initializing: WidgetId,
    check: WidgetId,
    welcome: WidgetId,
    email: WidgetId,
    logout: WidgetId,
    close: WidgetId,
}

impl Default for MainWindow {
    fn default() -> Self {
        MainWindow::new()
    }
}

impl MainWindow {
    /// A 400 × 400 logical window showing the heading, "Initializing..." and
    /// Close until the broker's initial state arrives.
    pub fn new() -> MainWindow {
        let mut ui = Ui::new(WIDTH, HEIGHT);
        let heading = ui.add_label(Label::heading("Electron Workshop"));
        let initializing = ui.add_label(Label::new("Initializing..."));
        let check = ui.add_button(Button::new(
            "Let's check it out!",
            ButtonStyle::outline(theme::BLUE),
        ));
        let welcome = ui.add_label(Label::new(""));
        let email = ui.add_label(Label::new(""));
        let logout = ui.add_button(Button::new("Logout", ButtonStyle::outline(theme::YELLOW)));
        let close = ui.add_button(Button::new("Close", ButtonStyle::outline(theme::RED)));
        ui.set_root(
            Column::new()
                .padding(Insets::symmetric(48.0, 24.0))
                .gap(16.0)
                .justify(Justify::SpaceBetween)
                .align(Align::Center)
                .child(heading)
                .child(
                    Column::new()
                        .gap(16.0)
                        .align(Align::Center)
                        .child(initializing)
                        .child(check)
                        .child(welcome)
                        .child(email)
                        .child(logout),
                )
                .child(close),
        );
        let mut window = MainWindow {
            ui,
            view: MainView::Initializing,
            heading,
            initializing,
            check,
            welcome,
            email,
            logout,
            close,
        };
        window.apply_view();
        window
    }

    /// The broker's initial state (`BrokerToRenderer::InitialState`):
    /// nobody signed in shows the "Let's check it out!" button, a user shows
    /// the welcome view.
    pub fn show_initial_state(&mut self, user: Option<&User>) {
        match user {
            Some(user) => self.show_authenticated(user),
            None => self.show_logged_out(),
        }
    }

    /// A user signed in (`BrokerToRenderer::Authenticated`): "Welcome,
    /// NAME!", "Your email: EMAIL" and the Logout button.
    pub fn show_authenticated(&mut self, user: &User) {
        let welcome = format!("Welcome, {}!", one_line(&user.name));
        let email = format!("Your email: {}", one_line(&user.email));
        ok(self.ui.set_text(self.welcome, &welcome));
        ok(self.ui.set_text(self.email, &email));
        self.view = MainView::SignedIn;
        self.apply_view();
    }

    /// The user signed out (`BrokerToRenderer::LoggedOut`): back to the
    /// "Let's check it out!" button. The old name and email are forgotten.
    pub fn show_logged_out(&mut self) {
        ok(self.ui.set_text(self.welcome, ""));
        ok(self.ui.set_text(self.email, ""));
        self.view = MainView::SignedOut;
        self.apply_view();
    }

    /// Feeds one input event (logical coordinates). A click on "Let's check
    /// it out!" queues `OpenLoginWindow`, on Logout `Logout`, on Close
    /// `CloseWindow` (keyboard activation of a focused button counts as a
    /// click). Only Close does anything while initializing.
    pub fn handle(&mut self, event: &Event, client: &mut MainWindowClient) {
        for action in self.ui.handle(event) {
            let UiAction::Clicked(id) = action else {
                continue;
            };
            if id == self.close {
                client.send_close_window();
            } else if id == self.check && self.view == MainView::SignedOut {
                client.send_open_login_window();
            } else if id == self.logout && self.view == MainView::SignedIn {
                client.send_logout();
            }
        }
    }

    /// What the window currently shows.
    pub fn view(&self) -> MainView {
        self.view
    }

    /// The widget document (for painting, bounds and the cursor).
    pub fn ui(&self) -> &Ui {
        &self.ui
    }

    /// The widget document, mutably (painting, layout and resizing need it).
    pub fn ui_mut(&mut self) -> &mut Ui {
        &mut self.ui
    }

    /// The "Electron Workshop" heading.
    pub fn heading_id(&self) -> WidgetId {
        self.heading
    }

    /// The "Initializing..." label.
    pub fn initializing_id(&self) -> WidgetId {
        self.initializing
    }

    /// The "Let's check it out!" button.
    pub fn check_button_id(&self) -> WidgetId {
        self.check
    }

    /// The "Welcome, NAME!" label.
    pub fn welcome_id(&self) -> WidgetId {
        self.welcome
    }

    /// The "Your email: EMAIL" label.
    pub fn email_id(&self) -> WidgetId {
        self.email
    }

    /// The Logout button.
    pub fn logout_button_id(&self) -> WidgetId {
        self.logout
    }

    /// The Close button.
    pub fn close_button_id(&self) -> WidgetId {
        self.close
    }

    /// Shows exactly the middle-group widgets of the current view.
    fn apply_view(&mut self) {
        let (initializing, signed_out, signed_in) = match self.view {
            MainView::Initializing => (true, false, false),
            MainView::SignedOut => (false, true, false),
            MainView::SignedIn => (false, false, true),
        };
        ok(self.ui.set_visible(self.initializing, initializing));
        ok(self.ui.set_visible(self.check, signed_out));
        for id in [self.welcome, self.email, self.logout] {
            ok(self.ui.set_visible(id, signed_in));
        }
    }
}

/// The text with every control character (newlines included) shown as a
/// space, so it stays on one line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Swallows the result of a `Ui` setter. They fail only on an id that is not
/// a widget of the right kind in this window's `Ui`, which would be a bug
/// here: loud in debug builds and tests, ignored (never a panic) in release.
fn ok(result: Result<(), UiError>) {
    debug_assert!(result.is_ok(), "Main Window widget bug: {result:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_replaces_control_characters() {
        assert_eq!(one_line("Bruce\nWayne\t!"), "Bruce Wayne !");
        assert_eq!(one_line("Brüce"), "Brüce");
    }
}
