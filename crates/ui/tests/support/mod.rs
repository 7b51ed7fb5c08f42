//! The two Workshop windows built on `workshop_ui`, as the window content
//! crates are expected to build them: shared by the tests and the
//! `windows` example so both exercise the same trees.
#![allow(dead_code)]

use workshop_ui::{
    theme, Align, Button, ButtonStyle, Column, Event, Insets, Justify, Label, TextInput, Ui,
    UiAction, UiError, WidgetId,
};

/// Logical size of both windows.
pub const WINDOW: (f32, f32) = (400.0, 400.0);

/// What the Main Window shows in its middle group.
#[derive(Clone, Debug, PartialEq)]
pub enum MainState {
    /// Before the broker's initial state arrived.
    Initializing,
    /// Nobody signed in: the "Let's check it out!" button.
    LoggedOut,
    /// Signed in.
    LoggedIn { name: String, email: String },
}

/// The Main Window: heading, middle group, Close.
#[derive(Debug)]
pub struct MainWindow {
    pub ui: Ui,
    pub heading: WidgetId,
    pub initializing: WidgetId,
    pub check: WidgetId,
    pub welcome: WidgetId,
    pub email: WidgetId,
    pub logout: WidgetId,
    pub close: WidgetId,
}

impl MainWindow {
    pub fn new(state: &MainState) -> Result<MainWindow, UiError> {
        let mut ui = Ui::new(WINDOW.0, WINDOW.1);
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
        let mut w = MainWindow {
            ui,
            heading,
            initializing,
            check,
            welcome,
            email,
            logout,
            close,
        };
        w.show(state)?;
        Ok(w)
    }

    pub fn show(&mut self, state: &MainState) -> Result<(), UiError> {
        let (init, out, inn) = match state {
            MainState::Initializing => (true, false, false),
            MainState::LoggedOut => (false, true, false),
            MainState::LoggedIn { name, email } => {
                self.ui
                    .set_text(self.welcome, &format!("Welcome, {name}!"))?;
                self.ui
                    .set_text(self.email, &format!("Your email: {email}"))?;
                (false, false, true)
            }
        };
        self.ui.set_visible(self.initializing, init)?;
        self.ui.set_visible(self.check, out)?;
        for id in [self.welcome, self.email, self.logout] {
            self.ui.set_visible(id, inn)?;
        }
        Ok(())
    }
}

/// The Login Window: a 70 % wide form centred vertically.
#[derive(Debug)]
pub struct LoginWindow {
    pub ui: Ui,
    pub email: WidgetId,
    pub password: WidgetId,
    pub submit: WidgetId,
    pub error: WidgetId,
    pub pending: bool,
}

impl LoginWindow {
    pub fn new() -> Result<LoginWindow, UiError> {
        let mut ui = Ui::new(WINDOW.0, WINDOW.1);
        let email = ui.add_input(TextInput::new("Email").max_len(254));
        let password = ui.add_input(TextInput::new("Password").masked(true).max_len(128));
        let submit = ui.add_button(Button::new("Submit", ButtonStyle::submit()));
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
        let mut w = LoginWindow {
            ui,
            email,
            password,
            submit,
            error,
            pending: false,
        };
        w.refresh()?;
        Ok(w)
    }

    /// Submit is enabled only with both fields filled and nothing pending.
    pub fn refresh(&mut self) -> Result<(), UiError> {
        let filled =
            !self.ui.value(self.email).is_empty() && !self.ui.value(self.password).is_empty();
        self.ui.set_enabled(self.submit, filled && !self.pending)?;
        self.ui.set_label(
            self.submit,
            if self.pending { "loading..." } else { "Submit" },
        )
    }

    pub fn set_pending(&mut self, pending: bool) -> Result<(), UiError> {
        self.pending = pending;
        for id in [self.email, self.password] {
            self.ui.set_enabled(id, !pending)?;
        }
        self.refresh()
    }

    pub fn set_error(&mut self, error: &str) -> Result<(), UiError> {
        self.ui.set_text(self.error, error)
    }

    /// Feeds an event; returns true when the form should be submitted.
    pub fn handle(&mut self, ev: &Event) -> Result<bool, UiError> {
        let mut submit = false;
        for a in self.ui.handle(ev) {
            match a {
                UiAction::Changed(_) => self.refresh()?,
                UiAction::Clicked(id) if id == self.submit => submit = true,
                UiAction::Submitted(_) => submit = self.ui.is_enabled(self.submit),
                _ => {}
            }
        }
        Ok(submit)
    }
}
