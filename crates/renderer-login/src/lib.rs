//! The Login Window's content: the sign-in form and its state machine.
//!
//! This crate exists so the one window that handles a password can be read
//! in one sitting, apart from everything privileged. It is a state machine
//! ([`LoginPhase`]) over a `workshop_ui` form, fed input events by the
//! renderer runtime ([`LoginWindow::handle`]) and the outcome of its one
//! request ([`LoginWindow::on_outcome`]). Its only way to reach the broker is
//! the [`LoginWindowClient`] it is handed, which can invoke `SubmitLogin` and
//! nothing else. It knows nothing of processes, files, sockets or clocks
//! (timeouts are the client's and the runtime's job).
//!
//! Decisions:
//! - **Submit is enabled iff both fields are non-empty** and nothing is
//!   pending (the original app's rule). Enter in either field, a click on
//!   Submit, or Enter/Space on the focused Submit button submit.
//! - **The email's shape is checked here too, as a convenience.** A submit
//!   whose email fails [`check_email`] shows the broker's own wording
//!   ("enter a valid email address") without a round trip and sends nothing.
//!   The broker validates every request anyway; this check protects nothing.
//!   Leading and trailing whitespace is trimmed from the email before the
//!   check and the send (a pasted address often carries some).
//! - **Field limits match the protocol's**: the email input holds at most
//!   [`MAX_EMAIL_BYTES`], the password input [`MAX_PASSWORD_BYTES`], so the
//!   form cannot produce a request the broker's limits refuse.
//! - **The password lives as briefly as possible.** At submit it is copied
//!   once out of the field straight into a [`Secret`] (moved into the
//!   client's queue, zeroed when dropped) and the field is cleared at once
//!   (the kit zeroes its buffer). So after a failed sign-in the password must
//!   be typed again, as on most sign-in forms; focus goes back to it. The
//!   window itself never holds the password, and its `Debug` shows the
//!   password field only as a redacted length.
//! - **One request at a time.** While a submit is pending, the button reads
//!   "loading..." and is disabled, both inputs are disabled (what was sent is
//!   what is shown), and further submits are ignored here before the client
//!   would refuse them.
//! - **Outcomes**: an error shows its text under the form (in
//!   [`theme::ERROR`]), the button reads "Submit" again and is enabled once
//!   both fields are filled. Success ends the form: the broker closes this
//!   window, and until it does the button reads "Signed in", everything stays
//!   disabled and nothing more can be sent. An outcome when nothing is
//!   pending, or for another request, is stale and ignored.
//! - **The email field has focus when the window opens**, so the user can
//!   type at once.
//! - **Escape closes the window** (a dialog's Cancel), pending or not: the
//!   window asks for it through [`LoginWindow::close_requested`], which the
//!   runtime polls after input. The Login role's client has no
//!   `CloseWindow` to send yet (the capability table gives it to the Main
//!   Window only); once it has, this becomes that one message.
//! - **Space on the focused Submit submits**, as Enter does, whether the
//!   platform reports Space as a key or only as the `" "` it types.

#![warn(missing_docs)]

use workshop_common::client::{InvokeError, LoginOutcome, LoginWindowClient};
use workshop_common::protocol::RequestId;
use workshop_common::user::{check_email, LoginError, MAX_EMAIL_BYTES, MAX_PASSWORD_BYTES};
use workshop_common::Secret;
use workshop_ui::{
    theme, Align, Button, ButtonStyle, Column, Event, Insets, Justify, Key, Label, TextInput, Ui,
    UiAction, UiError, WidgetId,
};

/// Logical width of the Login Window.
pub const WIDTH: f32 = 400.0;
/// Logical height of the Login Window.
pub const HEIGHT: f32 = 400.0;

/// Submit's label while the form can be edited.
pub const SUBMIT_LABEL: &str = "Submit";
/// Submit's label while a sign-in is pending.
pub const LOADING_LABEL: &str = "loading...";
/// Submit's label once the sign-in succeeded (until the broker closes the
/// window).
pub const SIGNED_IN_LABEL: &str = "Signed in";

/// Where the form is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoginPhase {
    /// The user can type and submit.
    Editing,
    /// A sign-in was sent and its outcome has not arrived.
    Pending,
    /// The sign-in succeeded; the form is finished.
    SignedIn,
}

/// Internal state: the phase plus the pending request, if known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Editing,
    /// `None` only if the client refused a submit because one was already
    /// pending that this window did not start (which would be a bug): then
    /// the next outcome, whatever its id, ends the wait.
    Pending(Option<RequestId>),
    SignedIn,
}

/// The Login Window's content: a 70 % wide form with Email and Password
/// inputs, a Submit button and an error line.
#[derive(Debug)]
pub struct LoginWindow {
    ui: Ui,
    state: State,
    email: WidgetId,
    password: WidgetId,
    submit: WidgetId,
    error: WidgetId,
    /// Escape was pressed: the window should close.
    close_requested: bool,
}

impl Default for LoginWindow {
    fn default() -> Self {
        LoginWindow::new()
    }
}

impl LoginWindow {
    /// A 400 × 400 logical window with an empty form, the email field
    /// focused, and Submit disabled (grey) until both fields are filled.
    pub fn new() -> LoginWindow {
        let mut ui = Ui::new(WIDTH, HEIGHT);
        let email = ui.add_input(TextInput::new("Email").max_len(MAX_EMAIL_BYTES));
        let password = ui.add_input(
            TextInput::new("Password")
                .masked(true)
                .max_len(MAX_PASSWORD_BYTES),
        );
        let submit = ui.add_button(Button::new(SUBMIT_LABEL, ButtonStyle::submit()));
        let error = ui.add_label(Label::new("").size(14.0).color(theme::ERROR));
        ui.set_root(
            Column::new()
                .padding(Insets::symmetric(48.0, 0.0))
                .justify(Justify::Center)
                .align(Align::Center)
                .child(
                    Column::new()
                        .width_fraction(0.7)
                        .gap(16.0)
                        .align(Align::Stretch)
                        .child(email)
                        .child(password)
                        .child(submit)
                        .child(error),
                ),
        );
        let mut window = LoginWindow {
            ui,
            state: State::Editing,
            email,
            password,
            submit,
            error,
            close_requested: false,
        };
        window.set_error("");
        window.apply_state();
        ok(window.ui.focus(window.email));
        window
    }

    /// Feeds one input event (logical coordinates): typing, Tab, clicks.
    /// Enter in either field or activating Submit submits the form through
    /// `client.invoke_submit_login` if it can be submitted (both fields
    /// filled, nothing pending, not yet signed in).
    ///
    /// Escape asks for the window to close ([`LoginWindow::close_requested`]).
    pub fn handle(&mut self, event: &Event, client: &mut LoginWindowClient) {
        if matches!(
            event,
            Event::Key {
                key: Key::Escape,
                ..
            }
        ) {
            self.close_requested = true;
            client.send_close_window();
        }
        let mut submit = false;
        for action in self.ui.handle(event) {
            match action {
                UiAction::Changed(_) => self.apply_state(),
                UiAction::Clicked(id) if id == self.submit => submit = true,
                UiAction::Submitted(id) if id == self.email || id == self.password => submit = true,
                _ => {}
            }
        }
        if submit {
            self.submit(client);
        }
    }

    /// The outcome of the pending sign-in, as the client produced it
    /// (`complete` or `expire`). `Ok`: the form is finished (button "Signed
    /// in", all disabled) and the broker closes the window. `Err`: the error
    /// shows under the form and the form can be edited and submitted again.
    /// An outcome that matches no pending request is ignored.
    pub fn on_outcome(&mut self, outcome: LoginOutcome) {
        match self.state {
            State::Pending(Some(id)) if id == outcome.id => {}
            State::Pending(None) => {}
            _ => return,
        }
        match outcome.result {
            Ok(_user) => {
                self.state = State::SignedIn;
                self.set_error("");
                // Already empty since the submit; cleared again so nothing
                // typed in between (impossible, the field is disabled) stays.
                ok(self.ui.clear(self.password));
                self.apply_state();
            }
            Err(e) => {
                self.state = State::Editing;
                self.set_error(&error_text(&e));
                self.apply_state();
                let field = match e {
                    InvokeError::Login(LoginError::InvalidEmail) => self.email,
                    _ => self.password,
                };
                ok(self.ui.focus(field));
            }
        }
    }

    /// Where the form is in its life.
    pub fn phase(&self) -> LoginPhase {
        match self.state {
            State::Editing => LoginPhase::Editing,
            State::Pending(_) => LoginPhase::Pending,
            State::SignedIn => LoginPhase::SignedIn,
        }
    }

    /// True once the user pressed Escape: the window wants to be closed
    /// (nothing is sent for it; see the module docs).
    pub fn close_requested(&self) -> bool {
        self.close_requested
    }

    /// The id of the pending sign-in, if one is pending and its id is known.
    pub fn pending_request(&self) -> Option<RequestId> {
        match self.state {
            State::Pending(id) => id,
            _ => None,
        }
    }

    /// The widget document (for painting, bounds and the cursor).
    pub fn ui(&self) -> &Ui {
        &self.ui
    }

    /// The widget document, mutably (painting, layout and resizing need it).
    pub fn ui_mut(&mut self) -> &mut Ui {
        &mut self.ui
    }

    /// The Email input.
    pub fn email_input_id(&self) -> WidgetId {
        self.email
    }

    /// The Password input (masked).
    pub fn password_input_id(&self) -> WidgetId {
        self.password
    }

    /// The Submit button.
    pub fn submit_button_id(&self) -> WidgetId {
        self.submit
    }

    /// The error line under the form (empty when there is no error).
    pub fn error_label_id(&self) -> WidgetId {
        self.error
    }

    /// True when both fields hold something.
    fn filled(&self) -> bool {
        !self.ui.value(self.email).is_empty() && !self.ui.value(self.password).is_empty()
    }

    /// Sends the form if it can be sent.
    fn submit(&mut self, client: &mut LoginWindowClient) {
        if self.state != State::Editing || !self.filled() {
            return;
        }
        let email = self.ui.value(self.email).trim().to_owned();
        if let Err(e) = check_email(&email) {
            self.set_error(&e.to_string());
            ok(self.ui.focus(self.email));
            return;
        }
        // The one copy of the password outside the field goes straight into
        // a `Secret`; the field's buffer is zeroed right after.
        let password = Secret::new(self.ui.value(self.password).to_owned());
        ok(self.ui.clear(self.password));
        self.set_error("");
        self.state = match client.invoke_submit_login(email, password) {
            Ok(id) => State::Pending(Some(id)),
            // The client already has a sign-in in flight: wait for it.
            Err(InvokeError::AlreadyPending) => State::Pending(None),
            Err(e) => {
                self.set_error(&error_text(&e));
                State::Editing
            }
        };
        self.apply_state();
    }

    /// Shows `text` under the form, or hides the line when it is empty so
    /// the form stays centred as in the original.
    fn set_error(&mut self, text: &str) {
        ok(self.ui.set_text(self.error, text));
        ok(self.ui.set_visible(self.error, !text.is_empty()));
    }

    /// Brings the inputs and the button in line with the state and the
    /// fields' contents.
    fn apply_state(&mut self) {
        let (editable, label) = match self.state {
            State::Editing => (true, SUBMIT_LABEL),
            State::Pending(_) => (false, LOADING_LABEL),
            State::SignedIn => (false, SIGNED_IN_LABEL),
        };
        for id in [self.email, self.password] {
            ok(self.ui.set_enabled(id, editable));
        }
        let can_submit = editable && self.filled();
        ok(self.ui.set_enabled(self.submit, can_submit));
        ok(self.ui.set_label(self.submit, label));
    }
}

/// What the error line says for a failed sign-in.
fn error_text(e: &InvokeError) -> String {
    match e {
        InvokeError::Login(e) => e.to_string(),
        InvokeError::TimedOut => "sign-in timed out, try again".to_owned(),
        InvokeError::AlreadyPending => LoginError::AlreadyPending.to_string(),
    }
}

/// Swallows the result of a `Ui` call. They fail only on an id that is not a
/// widget of the right kind in this window's `Ui` (or, for `focus`, one that
/// is disabled), which would be a bug here: loud in debug builds and tests,
/// ignored (never a panic) in release.
fn ok(result: Result<(), UiError>) {
    debug_assert!(result.is_ok(), "Login Window widget bug: {result:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_texts_are_worded_for_people() {
        assert_eq!(
            error_text(&InvokeError::Login(LoginError::Rejected)),
            "email or password is incorrect"
        );
        assert_eq!(
            error_text(&InvokeError::TimedOut),
            "sign-in timed out, try again"
        );
        assert_eq!(
            error_text(&InvokeError::AlreadyPending),
            "a sign-in is already in progress"
        );
    }
}
