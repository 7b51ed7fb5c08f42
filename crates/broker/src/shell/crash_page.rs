//! The broker's own page for a window whose renderer keeps dying.
//!
//! Drawn by the broker with the same widget kit (trusted code, trusted
//! input), so the user sees what happened and can ask for a retry instead
//! of watching a silent restart loop. Input to this page never reaches a
//! renderer.
//!
//! Retry works from the keyboard as well as the pointer: Tab focuses it
//! (with the focus ring), Enter or Space activates it. The shell feeds the
//! page the same [`InputEvent`]s it would forward to a renderer through
//! [`CrashPage::key_input`].

use workshop_common::input::{InputEvent, Key};
use workshop_ui::{
    theme, Button, ButtonStyle, Canvas, Column, Event, Insets, Justify, Label, Modifiers,
    TextSystem, Ui, UiAction, WidgetId,
};

/// The page's text.
pub const TITLE: &str = "This window stopped working";
/// The explanation.
pub const BODY: &str = "Its renderer crashed repeatedly.";
/// The button.
pub const RETRY: &str = "Retry";

/// A crash page sized for one window.
pub struct CrashPage {
    ui: Ui,
    text: TextSystem,
    canvas: Option<Canvas>,
    retry: WidgetId,
}

impl std::fmt::Debug for CrashPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CrashPage")
    }
}

impl CrashPage {
    /// A page for a `logical_w × logical_h` window.
    pub fn new(logical_w: f32, logical_h: f32) -> CrashPage {
        let mut ui = Ui::new(logical_w, logical_h);
        let title = ui.add_label(Label::heading(TITLE).size(20.0));
        let body = ui.add_label(Label::new(BODY));
        let retry = ui.add_button(Button::new(RETRY, ButtonStyle::outline(theme::BLUE)));
        ui.set_root(
            Column::new()
                .padding(Insets::symmetric(48.0, 24.0))
                .gap(16.0)
                .justify(Justify::Center)
                .child(title)
                .child(body)
                .child(retry),
        );
        CrashPage {
            ui,
            text: TextSystem::new(),
            canvas: None,
            retry,
        }
    }

    /// Paints the page at `width × height` physical pixels into `out`
    /// (0RGB); returns false if the size is unusable.
    pub fn paint(&mut self, width: u32, height: u32, scale: f32, out: &mut [u32]) -> bool {
        let fits = self
            .canvas
            .as_ref()
            .is_some_and(|c| c.width_px() == width && c.height_px() == height);
        if !fits {
            match Canvas::new(width, height, scale) {
                Ok(c) => self.canvas = Some(c),
                Err(_) => return false,
            }
            self.ui.invalidate();
        }
        let Some(canvas) = self.canvas.as_mut() else {
            return false;
        };
        self.ui.paint(canvas, &mut self.text);
        canvas.copy_to_0rgb(canvas.bounds(), out, width);
        true
    }

    /// One input event (logical coordinates); true when Retry was clicked.
    pub fn handle(&mut self, event: &Event) -> bool {
        self.ui
            .handle(event)
            .iter()
            .any(|a| matches!(a, UiAction::Clicked(id) if *id == self.retry))
    }

    /// A keyboard, text or window-focus event as the shell would forward it
    /// to a renderer; true when it activated Retry. Pointer events are
    /// ignored here (they need the shell's scale: use
    /// [`CrashPage::handle`]).
    pub fn key_input(&mut self, event: &InputEvent) -> bool {
        let event = match event {
            InputEvent::Key { key, modifiers } => Event::Key {
                key: ui_key(*key),
                modifiers: Modifiers {
                    shift: modifiers.shift,
                    ctrl: modifiers.ctrl,
                },
            },
            InputEvent::Text(text) => Event::Text(text.clone()),
            InputEvent::Focus(true) => Event::FocusGained,
            InputEvent::Focus(false) => Event::FocusLost,
            InputEvent::PointerMoved { .. }
            | InputEvent::PointerPressed
            | InputEvent::PointerReleased
            | InputEvent::PointerLeft
            | InputEvent::Paste(_)
            | InputEvent::ImePreedit(_)
            | InputEvent::ImeCommit(_)
            | InputEvent::DoubleClicked => return false,
        };
        self.handle(&event)
    }

    /// The pointer shape over the page.
    pub fn cursor(&self) -> workshop_ui::CursorIcon {
        self.ui.cursor()
    }
}

/// The wire's key as the kit's.
fn ui_key(key: Key) -> workshop_ui::Key {
    match key {
        Key::Tab => workshop_ui::Key::Tab,
        Key::Enter => workshop_ui::Key::Enter,
        Key::Backspace => workshop_ui::Key::Backspace,
        Key::Delete => workshop_ui::Key::Delete,
        Key::Left => workshop_ui::Key::Left,
        Key::Right => workshop_ui::Key::Right,
        Key::Home => workshop_ui::Key::Home,
        Key::End => workshop_ui::Key::End,
        Key::Escape => workshop_ui::Key::Escape,
        Key::Char(c) => workshop_ui::Key::Char(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use workshop_common::input::Modifiers as WireModifiers;

    fn key(key: Key) -> InputEvent {
        InputEvent::Key {
            key,
            modifiers: WireModifiers::default(),
        }
    }

    #[test]
    fn retry_is_reachable_and_activated_from_the_keyboard() {
        let mut page = CrashPage::new(400.0, 400.0);
        let mut out = vec![0u32; 400 * 400];
        assert!(page.paint(400, 400, 1.0, &mut out));
        assert!(!page.key_input(&key(Key::Enter)), "nothing focused yet");
        assert!(!page.key_input(&key(Key::Tab)));
        assert_eq!(page.ui.focused(), Some(page.retry));
        assert!(page.ui.focus_visible(), "Tab shows the focus ring");
        assert!(page.key_input(&key(Key::Enter)));
        // Space as the shell sends it: the text it types.
        assert!(page.key_input(&InputEvent::Text(" ".into())));
        assert!(!page.key_input(&InputEvent::Text("x".into())));
        assert!(!page.key_input(&InputEvent::PointerPressed));
        // The ring is drawn: blue just outside Retry's box.
        assert!(page.paint(400, 400, 1.0, &mut out));
        let b = page.ui.bounds(page.retry).map(|r| r.to_px_snapped(1.0));
        let b = b.unwrap_or_default();
        let below = ((b.bottom() + 2) * 400 + b.x + b.width / 2) as usize;
        assert_eq!(out.get(below), Some(&theme::BLUE.to_0rgb()));
    }
}
