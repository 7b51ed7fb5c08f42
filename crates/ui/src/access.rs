//! What the kit tells assistive technology: a snapshot of the widgets a
//! screen reader should know about, and the requests it can make.
//!
//! The kit knows which widgets exist, what they say, whether they are
//! enabled and where they are; [`Ui::accessibility`] turns that into an
//! [`AccessSnapshot`] in document order (the renderer turns it into the wire
//! tree). Hidden widgets and empty labels are left out, as a screen reader
//! would skip them. A masked input's value is never part of the snapshot:
//! the kit has no way to hand it out here.
//!
//! Requests come back as [`Event::Access`](crate::Event::Access) and are
//! handled like input: a click on an enabled button reports
//! [`UiAction::Clicked`], a focus request moves the keyboard focus (with the
//! focus ring, as Tab would), and a new value for an enabled, unmasked input
//! replaces it and reports [`UiAction::Changed`]. A value for a masked
//! input is ignored here too, whatever the broker let through.

use crate::event::UiAction;
use crate::geom::Rect;
use crate::id::WidgetId;
use crate::text::FontWeight;
use crate::ui::Ui;
use crate::widget::Kind;

/// Labels at least this large and bold are headings ([`crate::Label::heading`]).
const HEADING_MIN_SIZE: f32 = 20.0;

/// What a widget is, to assistive technology.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// A large bold label.
    Heading,
    /// Any other label.
    Label,
    /// A button.
    Button,
    /// An unmasked text input.
    TextInput,
    /// A masked (password) input.
    PasswordInput,
}

/// One widget as assistive technology sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessItem {
    /// The widget.
    pub id: WidgetId,
    /// What it is.
    pub kind: AccessKind,
    /// A label's text, a button's label, an input's placeholder.
    pub label: String,
    /// An unmasked input's value; `None` for everything else.
    pub value: Option<String>,
    /// Whether it can be used.
    pub enabled: bool,
    /// Its box from the last layout, logical pixels.
    pub bounds: Rect,
}

/// The window's widgets in document order, and the focused one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccessSnapshot {
    /// Visible widgets worth announcing.
    pub items: Vec<AccessItem>,
    /// The widget with keyboard focus, if it is among `items`.
    pub focus: Option<WidgetId>,
}

/// What assistive technology asks of a widget.
#[derive(Clone, PartialEq, Eq)]
pub enum AccessRequest {
    /// Press a button.
    Click(WidgetId),
    /// Give a button or an input the keyboard focus.
    Focus(WidgetId),
    /// Replace an unmasked input's value (cut to its maximum length).
    SetValue(WidgetId, String),
}

impl std::fmt::Debug for AccessRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccessRequest::Click(id) => write!(f, "Click({})", id.index()),
            AccessRequest::Focus(id) => write!(f, "Focus({})", id.index()),
            AccessRequest::SetValue(id, v) => {
                write!(f, "SetValue({}, {} bytes)", id.index(), v.len())
            }
        }
    }
}

impl Ui {
    /// The widgets a screen reader should know about, in document order
    /// (call after a layout, e.g. after [`Ui::paint`], so bounds are known).
    pub fn accessibility(&self) -> AccessSnapshot {
        let mut items = Vec::new();
        for id in self.root().widget_ids() {
            let Ok(e) = self.entry(id) else { continue };
            let Some(bounds) = e.bounds.filter(|_| e.visible) else {
                continue;
            };
            let (kind, label, value) = match &e.kind {
                Kind::Label { spec, .. } => {
                    if spec.text.is_empty() {
                        continue;
                    }
                    let heading = spec.style.weight == FontWeight::Bold
                        && spec.style.size >= HEADING_MIN_SIZE;
                    let kind = if heading {
                        AccessKind::Heading
                    } else {
                        AccessKind::Label
                    };
                    (kind, spec.text.clone(), None)
                }
                Kind::Button { spec, .. } => (AccessKind::Button, spec.label.clone(), None),
                Kind::Input {
                    placeholder, edit, ..
                } => {
                    if edit.is_masked() {
                        (AccessKind::PasswordInput, placeholder.clone(), None)
                    } else {
                        (
                            AccessKind::TextInput,
                            placeholder.clone(),
                            Some(edit.value().to_owned()),
                        )
                    }
                }
            };
            items.push(AccessItem {
                id,
                kind,
                label,
                value,
                enabled: e.enabled,
                bounds,
            });
        }
        let focus = self.focused().filter(|f| items.iter().any(|i| i.id == *f));
        AccessSnapshot { items, focus }
    }

    /// Handles one request from assistive technology (see the module docs).
    pub(crate) fn access_request(&mut self, request: &AccessRequest, actions: &mut Vec<UiAction>) {
        let id = match request {
            AccessRequest::Click(id)
            | AccessRequest::Focus(id)
            | AccessRequest::SetValue(id, _) => *id,
        };
        if !self.is_enabled(id) || !self.is_visible(id) {
            return;
        }
        match request {
            AccessRequest::Click(_) => {
                if let Ok(Kind::Button { .. }) = self.entry(id).map(|e| &e.kind) {
                    actions.push(UiAction::Clicked(id));
                }
            }
            AccessRequest::Focus(_) => {
                if self
                    .entry(id)
                    .is_ok_and(|e| matches!(e.kind, Kind::Button { .. } | Kind::Input { .. }))
                {
                    self.set_focus(Some(id), true);
                }
            }
            AccessRequest::SetValue(_, value) => {
                let Ok(e) = self.entry_mut(id) else { return };
                if let Kind::Input { edit, layout, .. } = &mut e.kind {
                    if edit.is_masked() {
                        return;
                    }
                    if edit.set_text(value) {
                        *layout = None;
                        e.dirty = true;
                        actions.push(UiAction::Changed(id));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Button, ButtonStyle, Canvas, Column, Event, Label, TextInput, TextSystem};

    fn form() -> (Ui, WidgetId, WidgetId, WidgetId, WidgetId) {
        let mut ui = Ui::new(400.0, 400.0);
        let h = ui.add_label(Label::heading("Title"));
        let email = ui.add_input(TextInput::new("Email"));
        let pw = ui.add_input(TextInput::new("Password").masked(true));
        let b = ui.add_button(Button::new("Submit", ButtonStyle::submit()));
        let empty = ui.add_label(Label::new(""));
        ui.set_root(
            Column::new()
                .child(h)
                .child(email)
                .child(pw)
                .child(b)
                .child(empty),
        );
        let mut canvas = Canvas::new(400, 400, 1.0).unwrap();
        ui.paint(&mut canvas, &mut TextSystem::new());
        (ui, h, email, pw, b)
    }

    #[test]
    fn the_snapshot_names_every_widget_and_never_the_password() {
        let (mut ui, _, email, pw, b) = form();
        ui.handle(&Event::Access(AccessRequest::Focus(pw)));
        ui.handle(&Event::Text("hunter2".into()));
        let s = ui.accessibility();
        let kinds: Vec<_> = s.items.iter().map(|i| (i.kind, i.label.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (AccessKind::Heading, "Title"),
                (AccessKind::TextInput, "Email"),
                (AccessKind::PasswordInput, "Password"),
                (AccessKind::Button, "Submit"),
            ]
        );
        assert_eq!(s.items[1].value.as_deref(), Some(""));
        assert_eq!(s.items[2].value, None);
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.focus, Some(pw));
        ui.set_enabled(b, false).unwrap();
        assert!(!ui.accessibility().items[3].enabled);
        let _ = email;
    }

    #[test]
    fn requests_act_like_input_and_never_set_the_password() {
        let (mut ui, h, email, pw, b) = form();
        assert_eq!(
            ui.handle(&Event::Access(AccessRequest::SetValue(
                email,
                "a@b.c".into()
            ))),
            vec![UiAction::Changed(email)]
        );
        assert_eq!(ui.value(email), "a@b.c");
        assert!(ui
            .handle(&Event::Access(AccessRequest::SetValue(pw, "x".into())))
            .is_empty());
        assert_eq!(ui.value(pw), "");
        assert_eq!(
            ui.handle(&Event::Access(AccessRequest::Click(b))),
            vec![UiAction::Clicked(b)]
        );
        assert!(ui
            .handle(&Event::Access(AccessRequest::Click(h)))
            .is_empty());
        ui.set_enabled(b, false).unwrap();
        assert!(ui
            .handle(&Event::Access(AccessRequest::Click(b)))
            .is_empty());
        ui.handle(&Event::Access(AccessRequest::Focus(email)));
        assert_eq!(ui.focused(), Some(email));
        assert!(ui.focus_visible());
    }
}
