//! The broker's own page for a window whose renderer keeps dying.
//!
//! Drawn by the broker with the same widget kit (trusted code, trusted
//! input), so the user sees what happened and can ask for a retry instead
//! of watching a silent restart loop. Input to this page never reaches a
//! renderer.

use workshop_ui::{
    theme, Button, ButtonStyle, Canvas, Column, Event, Insets, Justify, Label, TextSystem, Ui,
    UiAction, WidgetId,
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

    /// The pointer shape over the page.
    pub fn cursor(&self) -> workshop_ui::CursorIcon {
        self.ui.cursor()
    }
}
