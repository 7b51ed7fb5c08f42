//! The retained UI document: widgets by id, a column layout tree, input
//! handling, focus, and damage-tracked painting.
//!
//! Window content code builds a [`Ui`] once, keeps the [`WidgetId`]s it gets
//! back, feeds it [`Event`]s, reacts to the [`UiAction`]s it returns, updates
//! widgets through setters, and calls [`Ui::paint`] whenever it wants a frame.
//! `paint` repaints only what changed since the previous call and returns the
//! physical rectangle to present, so a hover change costs one button, not a
//! window.

use crate::canvas::Canvas;
use crate::edit::EditBuffer;
use crate::event::{CursorIcon, Event, Key, Modifiers, UiAction};
use crate::geom::{PxRect, Rect};
use crate::id::WidgetId;
use crate::layout::{self, Column};
use crate::text::TextSystem;
use crate::theme::{self, Color};
use crate::widget::{Button, Entry, Kind, Label, Look, TextInput, WidgetKind};
use crate::UiError;

/// A window's widget document. See the module docs for the life cycle.
#[derive(Debug)]
pub struct Ui {
    width: f32,
    height: f32,
    widgets: Vec<Entry>,
    root: Column,
    /// Scale the text layouts and bounds were computed for.
    scale: f32,
    /// Layout must be recomputed before the next paint.
    layout_stale: bool,
    /// Everything must be repainted on the next paint.
    full_repaint: bool,
    /// Identity of the canvas painted last (a different canvas, even of the
    /// same size, gets a full repaint).
    last_canvas: Option<u64>,
    /// Last pointer position inside the window, to re-hover after layout.
    pointer: Option<(f32, f32)>,
    hovered: Option<WidgetId>,
    pressed: Option<WidgetId>,
    /// The input a pointer drag is selecting in (pressed in it, not yet
    /// released).
    selecting: Option<WidgetId>,
    focused: Option<WidgetId>,
    /// Focus came from the keyboard (Tab): draw the focus ring (CSS
    /// `:focus-visible`). A click or [`Ui::focus`] focuses without it.
    focus_visible: bool,
    window_focused: bool,
    /// The previous event was a Space key press: the `Text(" ")` the same
    /// press may type is not a second click on a focused button.
    after_space_key: bool,
    /// Text the user copied or cut, for the owner to hand to the broker
    /// ([`Ui::take_copy`]).
    copied: Option<String>,
    /// The input method's composition at the caret of the focused input;
    /// the input draws it underlined at its caret (`Kind::Input::preedit`),
    /// a password input not at all.
    preedit: String,
}

impl Ui {
    /// An empty document for a window of `width × height` logical pixels.
    /// The window is assumed to have keyboard focus until
    /// [`Event::FocusLost`] says otherwise.
    pub fn new(width: f32, height: f32) -> Ui {
        Ui {
            width: sane_len(width),
            height: sane_len(height),
            widgets: Vec::new(),
            root: Column::new(),
            scale: 1.0,
            layout_stale: true,
            full_repaint: true,
            last_canvas: None,
            pointer: None,
            hovered: None,
            pressed: None,
            selecting: None,
            focused: None,
            focus_visible: false,
            window_focused: true,
            after_space_key: false,
            copied: None,
            preedit: String::new(),
        }
    }

    /// Logical size.
    pub fn size(&self) -> (f32, f32) {
        (self.width, self.height)
    }

    /// Changes the logical size (relayout and full repaint).
    pub fn resize(&mut self, width: f32, height: f32) {
        self.width = sane_len(width);
        self.height = sane_len(height);
        self.invalidate_tree();
    }

    fn push(&mut self, kind: Kind) -> WidgetId {
        let id = WidgetId(u32::try_from(self.widgets.len()).unwrap_or(u32::MAX));
        self.widgets.push(Entry::new(kind));
        id
    }

    /// Adds a label; it shows once placed in the tree with [`Ui::set_root`].
    pub fn add_label(&mut self, label: Label) -> WidgetId {
        self.push(Kind::Label {
            spec: label,
            layout: None,
        })
    }

    /// Adds a button.
    pub fn add_button(&mut self, button: Button) -> WidgetId {
        self.push(Kind::Button {
            spec: button,
            layout: None,
        })
    }

    /// Adds a text input.
    pub fn add_input(&mut self, input: TextInput) -> WidgetId {
        self.push(Kind::Input {
            edit: EditBuffer::new(input.max_len, input.masked),
            placeholder: input.placeholder,
            style: input.style,
            layout: None,
            placeholder_layout: None,
            scroll: 0.0,
            caret_rect: None,
            preedit: String::new(),
        })
    }

    /// Sets the layout tree. The root column always fills the window.
    pub fn set_root(&mut self, root: Column) {
        self.root = root;
        self.invalidate_tree();
    }

    /// The layout tree.
    pub fn root(&self) -> &Column {
        &self.root
    }

    /// Forces a relayout and full repaint on the next [`Ui::paint`].
    pub fn invalidate(&mut self) {
        self.invalidate_tree();
    }

    fn invalidate_tree(&mut self) {
        self.layout_stale = true;
        self.full_repaint = true;
    }

    pub(crate) fn entry(&self, id: WidgetId) -> Result<&Entry, UiError> {
        self.widgets
            .get(id.0 as usize)
            .ok_or(UiError::UnknownWidget(id))
    }

    pub(crate) fn entry_mut(&mut self, id: WidgetId) -> Result<&mut Entry, UiError> {
        self.widgets
            .get_mut(id.0 as usize)
            .ok_or(UiError::UnknownWidget(id))
    }

    /// What kind of widget `id` is, or `None` if it is not from this `Ui`.
    pub fn kind(&self, id: WidgetId) -> Option<WidgetKind> {
        self.entry(id).ok().map(Entry::kind)
    }

    /// Sets a label's text, or a text input's value (caret to the end,
    /// truncated to its `max_len`; no [`UiAction::Changed`] is reported).
    pub fn set_text(&mut self, id: WidgetId, text: &str) -> Result<(), UiError> {
        let e = self.entry_mut(id)?;
        match &mut e.kind {
            Kind::Label { spec, layout } => {
                if spec.text != text {
                    spec.text.clear();
                    spec.text.push_str(text);
                    *layout = None;
                    e.dirty = true;
                    self.layout_stale = true;
                }
                Ok(())
            }
            Kind::Input { edit, layout, .. } => {
                edit.set_text(text);
                *layout = None;
                e.dirty = true;
                Ok(())
            }
            Kind::Button { .. } => Err(UiError::WrongKind {
                id,
                expected: "label or text input",
            }),
        }
    }

    /// Changes a text input's byte limit, truncating its value (at a char
    /// boundary) if it no longer fits.
    pub fn set_max_len(&mut self, id: WidgetId, max_len: usize) -> Result<(), UiError> {
        let e = self.entry_mut(id)?;
        match &mut e.kind {
            Kind::Input { edit, layout, .. } => {
                edit.set_max_len(max_len);
                *layout = None;
                e.dirty = true;
                Ok(())
            }
            _ => Err(UiError::WrongKind {
                id,
                expected: "text input",
            }),
        }
    }

    /// Sets a label's colour (e.g. to show an error in [`theme::ERROR`]).
    pub fn set_color(&mut self, id: WidgetId, color: Color) -> Result<(), UiError> {
        let e = self.entry_mut(id)?;
        match &mut e.kind {
            Kind::Label { spec, .. } => {
                if spec.color != color {
                    spec.color = color;
                    e.dirty = true;
                }
                Ok(())
            }
            _ => Err(UiError::WrongKind {
                id,
                expected: "label",
            }),
        }
    }

    /// Sets a button's text.
    pub fn set_label(&mut self, id: WidgetId, label: &str) -> Result<(), UiError> {
        let e = self.entry_mut(id)?;
        match &mut e.kind {
            Kind::Button { spec, layout } => {
                if spec.label != label {
                    spec.label.clear();
                    spec.label.push_str(label);
                    *layout = None;
                    e.dirty = true;
                }
                Ok(())
            }
            _ => Err(UiError::WrongKind {
                id,
                expected: "button",
            }),
        }
    }

    /// Enables or disables a widget. A disabled button is grey, ignores the
    /// pointer and keyboard and shows the default cursor; a disabled input
    /// cannot be focused or edited. Disabling the focused widget drops focus.
    pub fn set_enabled(&mut self, id: WidgetId, enabled: bool) -> Result<(), UiError> {
        let e = self.entry_mut(id)?;
        if e.enabled != enabled {
            e.enabled = enabled;
            e.dirty = true;
        }
        if !enabled {
            for slot in [&mut self.focused, &mut self.pressed, &mut self.selecting] {
                if *slot == Some(id) {
                    *slot = None;
                }
            }
        }
        Ok(())
    }

    /// Shows or hides a widget. A hidden widget takes no space in the
    /// layout (CSS `display: none`), so this relayouts and repaints all.
    pub fn set_visible(&mut self, id: WidgetId, visible: bool) -> Result<(), UiError> {
        let e = self.entry_mut(id)?;
        if e.visible != visible {
            e.visible = visible;
            self.invalidate_tree();
        }
        if !visible {
            for slot in [
                &mut self.focused,
                &mut self.pressed,
                &mut self.hovered,
                &mut self.selecting,
            ] {
                if *slot == Some(id) {
                    *slot = None;
                }
            }
        }
        Ok(())
    }

    /// True if the widget exists and is enabled.
    pub fn is_enabled(&self, id: WidgetId) -> bool {
        self.entry(id).is_ok_and(|e| e.enabled)
    }

    /// True if the widget exists and is not hidden.
    pub fn is_visible(&self, id: WidgetId) -> bool {
        self.entry(id).is_ok_and(|e| e.visible)
    }

    /// A text input's value; `""` for any other widget.
    pub fn value(&self, id: WidgetId) -> &str {
        match self.entry(id).map(|e| &e.kind) {
            Ok(Kind::Input { edit, .. }) => edit.value(),
            _ => "",
        }
    }

    /// A label's text or a button's label (not an input's value: use
    /// [`Ui::value`]).
    pub fn text(&self, id: WidgetId) -> &str {
        match self.entry(id).map(|e| &e.kind) {
            Ok(Kind::Label { spec, .. }) => &spec.text,
            Ok(Kind::Button { spec, .. }) => &spec.label,
            _ => "",
        }
    }

    /// A text input's caret and selection as byte offsets into its value:
    /// `(caret, selection)`. For tests and accessibility.
    pub fn caret(&self, id: WidgetId) -> Option<(usize, Option<std::ops::Range<usize>>)> {
        match self.entry(id).map(|e| &e.kind) {
            Ok(Kind::Input { edit, .. }) => Some((edit.caret(), edit.selection())),
            _ => None,
        }
    }

    /// What a text input currently shows: its value, or one `•` per
    /// character when masked. `None` for other widgets.
    pub fn display_text(&self, id: WidgetId) -> Option<String> {
        match self.entry(id).map(|e| &e.kind) {
            Ok(Kind::Input { edit, .. }) => Some(edit.display().into_owned()),
            _ => None,
        }
    }

    /// A text input's selected text, for copying. `None` when nothing is
    /// selected, for other widgets, and always for a masked (password)
    /// input: its value is never copied.
    pub fn selected_text(&self, id: WidgetId) -> Option<&str> {
        match self.entry(id).map(|e| &e.kind) {
            Ok(Kind::Input { edit, .. }) => edit.selected_text(),
            _ => None,
        }
    }

    /// Inserts `text` at a text input's caret, replacing its selection, as
    /// typing would (paste uses this): control characters are dropped and
    /// the byte limit applies. Returns whether the value changed; as for
    /// [`Ui::set_text`], no [`UiAction::Changed`] is reported (see
    /// [`Ui::insert_text_focused`]). A disabled input is left alone.
    pub fn insert_text(&mut self, id: WidgetId, text: &str) -> Result<bool, UiError> {
        self.edit_input(id, |edit| edit.insert(text))
    }

    /// Deletes a text input's selection (cut uses this); returns whether
    /// the value changed. A disabled input is left alone.
    pub fn delete_selection(&mut self, id: WidgetId) -> Result<bool, UiError> {
        self.edit_input(id, |edit| edit.selection().is_some() && edit.backspace())
    }

    fn edit_input(
        &mut self,
        id: WidgetId,
        f: impl FnOnce(&mut EditBuffer) -> bool,
    ) -> Result<bool, UiError> {
        let e = self.entry_mut(id)?;
        let enabled = e.enabled;
        match &mut e.kind {
            Kind::Input { edit, layout, .. } => {
                if !enabled {
                    return Ok(false);
                }
                let changed = f(edit);
                if changed {
                    *layout = None;
                }
                e.dirty = true;
                Ok(changed)
            }
            _ => Err(UiError::WrongKind {
                id,
                expected: "text input",
            }),
        }
    }

    /// Where a text input's caret was last painted, in logical pixels (a
    /// 1 px wide, line-high rectangle; clamped to the visible text area):
    /// the IME cursor area. `None` for other widgets and before the input's
    /// first paint.
    pub fn caret_rect(&self, id: WidgetId) -> Option<Rect> {
        match self.entry(id).map(|e| &e.kind) {
            Ok(Kind::Input { caret_rect, .. }) => *caret_rect,
            _ => None,
        }
    }

    /// The focused widget if it is an enabled text input.
    pub fn focused_input(&self) -> Option<WidgetId> {
        self.focused.filter(|id| {
            self.entry(*id)
                .is_ok_and(|e| e.enabled && e.kind() == WidgetKind::TextInput)
        })
    }

    /// [`Ui::selected_text`] of the focused input (what Copy copies).
    pub fn focused_selected_text(&self) -> Option<&str> {
        self.selected_text(self.focused_input()?)
    }

    /// [`Ui::caret_rect`] of the focused input.
    pub fn focused_caret_rect(&self) -> Option<Rect> {
        self.caret_rect(self.focused_input()?)
    }

    /// Pastes: [`Ui::insert_text`] into the focused input, answering
    /// [`UiAction::Changed`] as typing does. Nothing without a focused input.
    pub fn insert_text_focused(&mut self, text: &str) -> Vec<UiAction> {
        match self.focused_input() {
            Some(id) if self.insert_text(id, text) == Ok(true) => vec![UiAction::Changed(id)],
            _ => Vec::new(),
        }
    }

    /// Cuts: [`Ui::delete_selection`] in the focused input, answering
    /// [`UiAction::Changed`]. Call [`Ui::focused_selected_text`] first for
    /// the text (a password field has none, and is not cut).
    pub fn delete_selection_focused(&mut self) -> Vec<UiAction> {
        match self.focused_input() {
            Some(id)
                if self.selected_text(id).is_some() && self.delete_selection(id) == Ok(true) =>
            {
                vec![UiAction::Changed(id)]
            }
            _ => Vec::new(),
        }
    }

    /// Empties a text input, zeroing the old value's bytes.
    pub fn clear(&mut self, id: WidgetId) -> Result<(), UiError> {
        let e = self.entry_mut(id)?;
        match &mut e.kind {
            Kind::Input { edit, layout, .. } => {
                edit.clear();
                *layout = None;
                e.dirty = true;
                Ok(())
            }
            _ => Err(UiError::WrongKind {
                id,
                expected: "text input",
            }),
        }
    }

    /// Gives keyboard focus to an enabled, visible button or input.
    pub fn focus(&mut self, id: WidgetId) -> Result<(), UiError> {
        let e = self.entry(id)?;
        if !(e.is_interactive() && e.enabled && e.visible) {
            return Err(UiError::NotFocusable(id));
        }
        self.set_focus(Some(id), false);
        Ok(())
    }

    /// Removes keyboard focus from whatever has it.
    pub fn blur(&mut self) {
        self.set_focus(None, false);
    }

    /// The widget with keyboard focus.
    pub fn focused(&self) -> Option<WidgetId> {
        self.focused
    }

    /// True when a widget has focus that came from the keyboard (Tab /
    /// Shift+Tab), so its focus ring shows; false after a click or a
    /// programmatic [`Ui::focus`] (CSS `:focus-visible`).
    pub fn focus_visible(&self) -> bool {
        self.focused.is_some() && self.focus_visible
    }

    /// The interactive widget under the pointer.
    pub fn hovered(&self) -> Option<WidgetId> {
        self.hovered
    }

    /// The button being pressed (pointer down on it, not yet released).
    pub fn pressed(&self) -> Option<WidgetId> {
        self.pressed
    }

    /// The widget's box from the last layout (logical pixels); `None` when
    /// hidden, not in the tree, or not laid out yet.
    pub fn bounds(&self, id: WidgetId) -> Option<Rect> {
        self.entry(id).ok().and_then(|e| e.bounds)
    }

    /// The topmost visible widget whose box contains the point (labels
    /// included), using the last layout.
    pub fn widget_at(&self, x: f32, y: f32) -> Option<WidgetId> {
        self.widgets
            .iter()
            .enumerate()
            .rev()
            .find(|(_, e)| e.visible && e.bounds.is_some_and(|b| b.contains(x, y)))
            .map(|(i, _)| WidgetId(i as u32))
    }

    fn interactive_at(&self, x: f32, y: f32) -> Option<WidgetId> {
        self.widget_at(x, y)
            .filter(|id| self.entry(*id).is_ok_and(Entry::is_interactive))
    }

    /// The cursor to show: a hand over an enabled button, an I-beam over an
    /// enabled input, the arrow elsewhere.
    pub fn cursor(&self) -> CursorIcon {
        let Some(id) = self.hovered else {
            return CursorIcon::Default;
        };
        match self.entry(id) {
            Ok(e) if e.enabled => match e.kind {
                Kind::Button { .. } => CursorIcon::Pointer,
                Kind::Input { .. } => CursorIcon::Text,
                Kind::Label { .. } => CursorIcon::Default,
            },
            _ => CursorIcon::Default,
        }
    }

    fn mark_dirty(&mut self, id: Option<WidgetId>) {
        if let Some(e) = id.and_then(|id| self.widgets.get_mut(id.0 as usize)) {
            e.dirty = true;
        }
    }

    pub(crate) fn set_focus(&mut self, id: Option<WidgetId>, visible: bool) {
        if self.focused != id {
            self.mark_dirty(self.focused);
            self.mark_dirty(id);
            self.focused = id;
        }
        if self.focus_visible != visible {
            self.focus_visible = visible;
            self.mark_dirty(id);
        }
    }

    fn set_hovered(&mut self, id: Option<WidgetId>) {
        if self.hovered != id {
            // Only enabled buttons look different when hovered.
            for old_or_new in [self.hovered, id].into_iter().flatten() {
                if self.kind(old_or_new) == Some(WidgetKind::Button) && self.is_enabled(old_or_new)
                {
                    self.mark_dirty(Some(old_or_new));
                }
            }
            self.hovered = id;
        }
    }

    /// Focusable widgets in tree order.
    fn focus_order(&self) -> Vec<WidgetId> {
        self.root
            .widget_ids()
            .into_iter()
            .filter(|id| {
                self.entry(*id)
                    .is_ok_and(|e| e.is_interactive() && e.enabled && e.visible)
            })
            .collect()
    }

    /// Feeds one input event; returns what the owner should react to.
    pub fn handle(&mut self, ev: &Event) -> Vec<UiAction> {
        let mut actions = Vec::new();
        let after_space_key = std::mem::take(&mut self.after_space_key);
        match ev {
            Event::PointerMoved { x, y } => {
                self.pointer = Some((*x, *y));
                let hit = self.interactive_at(*x, *y);
                self.set_hovered(hit);
                if let Some(id) = self.selecting {
                    self.drag_select(id, *x);
                }
            }
            Event::PointerPressed { x, y } => {
                self.pointer = Some((*x, *y));
                let hit = self.interactive_at(*x, *y);
                self.set_hovered(hit);
                self.press(hit, *x);
            }
            Event::DoubleClick { x, y } => {
                self.pointer = Some((*x, *y));
                let hit = self.interactive_at(*x, *y).filter(|id| {
                    self.is_enabled(*id) && self.kind(*id) == Some(WidgetKind::TextInput)
                });
                if let Some(id) = hit {
                    self.set_focus(Some(id), false);
                    let index = self.input_index_at(id, *x);
                    if let (Some(index), Some(Kind::Input { edit, .. })) =
                        (index, self.edit_target(id))
                    {
                        edit.select_word_at(index);
                    }
                    // A drag after a double click does not reselect by char.
                    self.selecting = None;
                    self.mark_dirty(Some(id));
                }
            }
            Event::PointerReleased { x, y } => {
                self.pointer = Some((*x, *y));
                self.selecting = None;
                let hit = self.interactive_at(*x, *y);
                self.set_hovered(hit);
                if let Some(p) = self.pressed.take() {
                    self.mark_dirty(Some(p));
                    if hit == Some(p) && self.is_enabled(p) {
                        actions.push(UiAction::Clicked(p));
                    }
                }
            }
            Event::PointerLeft => {
                self.pointer = None;
                self.set_hovered(None);
            }
            Event::Key { key, modifiers } => self.key(*key, *modifiers, &mut actions),
            Event::ImePreedit(s) => {
                self.preedit.clear();
                self.preedit.push_str(s);
                self.show_preedit();
            }
            Event::Text(s) | Event::Paste(s) | Event::ImeCommit(s) => {
                if matches!(ev, Event::ImeCommit(_)) {
                    self.preedit.clear();
                    self.show_preedit();
                }
                if let Some(id) = self.focused {
                    if s == " " && self.is_enabled(id) && self.kind(id) == Some(WidgetKind::Button)
                    {
                        // Space typed on a focused button clicks it, unless
                        // the key press already did.
                        if !after_space_key {
                            actions.push(UiAction::Clicked(id));
                        }
                    } else if let Some(Kind::Input { edit, layout, .. }) = self.edit_target(id) {
                        if edit.insert(s) {
                            *layout = None;
                            actions.push(UiAction::Changed(id));
                        }
                        self.mark_dirty(Some(id));
                    }
                }
            }
            Event::Access(request) => self.access_request(request, &mut actions),
            Event::FocusGained | Event::FocusLost => {
                let focused = matches!(ev, Event::FocusGained);
                if self.window_focused != focused {
                    self.window_focused = focused;
                    self.mark_dirty(self.focused);
                }
                if !focused {
                    if let Some(p) = self.pressed.take() {
                        self.mark_dirty(Some(p));
                    }
                    self.selecting = None;
                }
            }
        }
        actions
    }

    /// Gives the focused input the current composition to draw at its
    /// caret (a password input never shows one: what is composed there is
    /// a secret too).
    fn show_preedit(&mut self) {
        let Some(id) = self.focused else {
            return;
        };
        let composed = &self.preedit;
        let Some(e) = self.widgets.get_mut(id.0 as usize) else {
            return;
        };
        if let Kind::Input {
            edit,
            layout,
            preedit,
            ..
        } = &mut e.kind
        {
            let shown = if edit.is_masked() { "" } else { composed };
            if preedit != shown {
                preedit.clear();
                preedit.push_str(shown);
                *layout = None;
                e.dirty = true;
            }
        }
    }

    /// The focused widget's state if it is an enabled input.
    fn edit_target(&mut self, id: WidgetId) -> Option<&mut Kind> {
        let e = self.widgets.get_mut(id.0 as usize)?;
        (e.enabled && matches!(e.kind, Kind::Input { .. })).then_some(&mut e.kind)
    }

    fn press(&mut self, hit: Option<WidgetId>, x: f32) {
        let Some(id) = hit.filter(|id| self.is_enabled(*id)) else {
            // Pressing anything else (or a disabled widget) blurs, as in a
            // browser.
            self.set_focus(None, false);
            return;
        };
        self.set_focus(Some(id), false);
        let index = self.input_index_at(id, x);
        let Some(e) = self.widgets.get_mut(id.0 as usize) else {
            return;
        };
        match &mut e.kind {
            Kind::Button { .. } => {
                self.pressed = Some(id);
                e.dirty = true;
            }
            Kind::Input { edit, .. } => {
                // Put the caret at the clicked boundary; a drag from here
                // selects.
                edit.move_to(index.unwrap_or(usize::MAX), false);
                self.selecting = Some(id);
                e.dirty = true;
            }
            Kind::Label { .. } => {}
        }
    }

    /// The pointer, pressed in input `id`, moved to `x`: the selection
    /// runs from where it was pressed to here.
    fn drag_select(&mut self, id: WidgetId, x: f32) {
        let Some(index) = self.input_index_at(id, x) else {
            return;
        };
        if let Some(Kind::Input { edit, .. }) = self.edit_target(id) {
            if edit.caret() != index {
                edit.move_to(index, true);
                self.mark_dirty(Some(id));
            }
        }
    }

    /// The value index (a grapheme boundary) nearest the logical `x` in
    /// input `id`, from its last layout; the end of the value when the
    /// layout is stale. `None` if `id` is not an input.
    fn input_index_at(&self, id: WidgetId, x: f32) -> Option<usize> {
        let e = self.entry(id).ok()?;
        let Kind::Input {
            edit,
            layout,
            style,
            scroll,
            ..
        } = &e.kind
        else {
            return None;
        };
        let index = match (layout.as_ref(), e.bounds) {
            (Some(l), Some(b)) if (l.scale() - self.scale).abs() < f32::EPSILON => {
                let local = x - b.x - style.padding + *scroll;
                edit.value_index_of_display(l.index_at_x(local))
            }
            _ => edit.value().len(),
        };
        Some(crate::edit::floor_grapheme(edit.value(), index))
    }

    fn key(&mut self, key: Key, m: Modifiers, actions: &mut Vec<UiAction>) {
        let space = matches!(key, Key::Space | Key::Char(' '));
        self.after_space_key = space && !m.ctrl;
        if key == Key::Tab {
            let order = self.focus_order();
            if order.is_empty() {
                return;
            }
            let pos = self
                .focused
                .and_then(|f| order.iter().position(|id| *id == f));
            let n = order.len();
            let next = match (pos, m.shift) {
                (None, false) => 0,
                (None, true) => n - 1,
                (Some(p), false) => (p + 1) % n,
                (Some(p), true) => (p + n - 1) % n,
            };
            self.set_focus(order.get(next).copied(), true);
            return;
        }
        let Some(id) = self.focused else {
            return;
        };
        let Ok(entry) = self.entry(id) else {
            return;
        };
        if !entry.enabled {
            return;
        }
        match entry.kind() {
            WidgetKind::Button => {
                if key == Key::Enter || space {
                    actions.push(UiAction::Clicked(id));
                }
            }
            WidgetKind::TextInput => {
                if key == Key::Enter {
                    actions.push(UiAction::Submitted(id));
                    return;
                }
                let Some(Kind::Input { edit, layout, .. }) = self.edit_target(id) else {
                    return;
                };
                let mut copied = None;
                let changed = match key {
                    Key::Backspace if m.ctrl => edit.backspace_word(),
                    Key::Backspace => edit.backspace(),
                    Key::Delete if m.ctrl => edit.delete_word(),
                    Key::Delete => edit.delete(),
                    Key::Left if m.ctrl => {
                        edit.word_left(m.shift);
                        false
                    }
                    Key::Left => {
                        edit.left(m.shift);
                        false
                    }
                    Key::Right if m.ctrl => {
                        edit.word_right(m.shift);
                        false
                    }
                    Key::Right => {
                        edit.right(m.shift);
                        false
                    }
                    Key::Home | Key::Up => {
                        edit.home(m.shift);
                        false
                    }
                    Key::End | Key::Down => {
                        edit.end(m.shift);
                        false
                    }
                    Key::Char(c) if m.ctrl && c.eq_ignore_ascii_case(&'a') => {
                        edit.select_all();
                        false
                    }
                    Key::Char(c) if m.ctrl && c.eq_ignore_ascii_case(&'c') => {
                        copied = edit.selected_text().map(str::to_owned);
                        false
                    }
                    Key::Char(c) if m.ctrl && c.eq_ignore_ascii_case(&'x') => {
                        copied = edit.selected_text().map(str::to_owned);
                        edit.cut()
                    }
                    _ => return,
                };
                if changed {
                    *layout = None;
                    actions.push(UiAction::Changed(id));
                }
                if copied.is_some() {
                    self.copied = copied;
                }
                self.mark_dirty(Some(id));
            }
            WidgetKind::Label => {}
        }
    }

    /// The input method's current composition (empty when none).
    pub fn preedit(&self) -> &str {
        &self.preedit
    }

    /// The focused text input's caret (logical pixels; its box before the
    /// first paint), for the input method's candidate window; `None` when
    /// no enabled text input is focused.
    pub fn ime_area(&self) -> Option<Rect> {
        let id = self.focused?;
        let e = self.entry(id).ok()?;
        if !e.enabled || e.kind() != WidgetKind::TextInput {
            return None;
        }
        self.caret_rect(id).or_else(|| self.bounds(id))
    }

    /// The text the user copied (Ctrl+C) or cut (Ctrl+X) since the last
    /// call, if a copyable selection was focused: never from a masked
    /// (password) input.
    pub fn take_copy(&mut self) -> Option<String> {
        self.copied.take()
    }

    /// True when the next [`Ui::paint`] would draw something (a cheap check
    /// for a render loop deciding whether to produce a frame).
    pub fn needs_paint(&self) -> bool {
        self.full_repaint || self.layout_stale || self.widgets.iter().any(|e| e.dirty)
    }

    /// Computes the layout (widget boxes) for the current scale. `paint`
    /// does this itself; call it directly to query [`Ui::bounds`] before
    /// the first paint.
    pub fn layout(&mut self, text: &mut TextSystem) {
        let scale = self.scale;
        for e in &mut self.widgets {
            if e.visible {
                e.ensure_layouts(text, scale);
            }
        }
        let widgets = &self.widgets;
        let measure = |id: WidgetId| widgets.get(id.0 as usize).and_then(Entry::size_request);
        let placed = layout::layout(
            &self.root,
            Rect::new(0.0, 0.0, self.width, self.height),
            &measure,
        );
        let mut new_bounds: Vec<Option<Rect>> = vec![None; self.widgets.len()];
        for (id, r) in placed {
            if let Some(slot) = new_bounds.get_mut(id.0 as usize) {
                *slot = Some(r);
            }
        }
        for (e, nb) in self.widgets.iter_mut().zip(new_bounds) {
            if e.bounds != nb {
                e.bounds = nb;
                e.dirty = true;
            }
        }
        self.layout_stale = false;
        // Widgets may have moved under a pointer that did not: re-hover.
        if let Some((x, y)) = self.pointer {
            let hit = self.interactive_at(x, y);
            self.set_hovered(hit);
        }
    }

    /// Paints whatever changed since the last call into `canvas` and returns
    /// the physical rectangle that changed (`None` if nothing did).
    ///
    /// The first paint, a different canvas (new size or scale means a new
    /// [`Canvas`]), [`Ui::set_root`], [`Ui::set_visible`], [`Ui::resize`]
    /// and [`Ui::invalidate`] repaint everything. Otherwise each changed
    /// widget is repainted over a fresh background within its own box (and,
    /// if it moved, its old box); the rest of the canvas's pixels are reused,
    /// so nobody else should draw on it in between.
    pub fn paint(&mut self, canvas: &mut Canvas, text: &mut TextSystem) -> Option<PxRect> {
        let key = canvas.id();
        if self.last_canvas != Some(key) {
            if (self.scale - canvas.scale()).abs() > f32::EPSILON {
                self.scale = canvas.scale();
                for e in &mut self.widgets {
                    e.forget_layouts();
                }
            }
            self.last_canvas = Some(key);
            self.invalidate_tree();
        }
        if self.layout_stale {
            self.layout(text);
        }
        self.update_rings();
        let scale = self.scale;

        if self.full_repaint {
            self.full_repaint = false;
            let all = canvas.bounds();
            self.repaint_rect(canvas, text, all);
            for e in &mut self.widgets {
                e.dirty = false;
                e.painted = if e.visible { e.paint_rect(scale) } else { None };
            }
            return Some(all);
        }

        // Damage: for each changed widget, where it was and where it is.
        let mut rects: Vec<PxRect> = Vec::new();
        for e in &mut self.widgets {
            if !e.dirty {
                continue;
            }
            e.dirty = false;
            let now = if e.visible { e.paint_rect(scale) } else { None };
            for r in [e.painted, now].into_iter().flatten() {
                let r = r.clamp_to(canvas.width_px(), canvas.height_px());
                if !r.is_empty() {
                    rects.push(r);
                }
            }
            e.painted = now;
        }
        if rects.is_empty() {
            return None;
        }
        let rects = self.close_damage(rects);
        let mut total = PxRect::default();
        for r in rects {
            self.repaint_rect(canvas, text, r);
            total = total.union(&r);
        }
        Some(total)
    }

    /// Gives the focus ring to the focused widget when focus came from the
    /// keyboard, takes it from every other one; a widget whose ring changes
    /// is repainted (its paint rectangle grows or shrinks with the ring).
    fn update_rings(&mut self) {
        let owner = self.focused.filter(|_| self.focus_visible);
        for (i, e) in self.widgets.iter_mut().enumerate() {
            let ring =
                owner == Some(WidgetId(i as u32)) && e.enabled && e.visible && e.is_interactive();
            if e.ring != ring {
                e.ring = ring;
                e.dirty = true;
            }
        }
    }

    /// Merges overlapping damage rectangles and grows them until every
    /// widget they touch lies wholly inside one, so repainting a rectangle
    /// never draws half a widget (anti-aliased edges would double up).
    fn close_damage(&self, mut rects: Vec<PxRect>) -> Vec<PxRect> {
        let painted: Vec<PxRect> = self
            .widgets
            .iter()
            .filter(|e| e.visible)
            .filter_map(|e| e.painted)
            .collect();
        // Each pass either merges two rectangles or grows one to a widget;
        // both are monotone, so this ends (bounded for safety anyway).
        for _ in 0..(rects.len() + painted.len() + 1) * 4 {
            let mut changed = false;
            'merge: for i in 0..rects.len() {
                for j in (i + 1)..rects.len() {
                    if rects[i].intersects(&rects[j]) {
                        let u = rects[i].union(&rects[j]);
                        rects[i] = u;
                        rects.swap_remove(j);
                        changed = true;
                        break 'merge;
                    }
                }
            }
            for r in rects.iter_mut() {
                for p in &painted {
                    if r.intersects(p) && !r.contains_rect(p) {
                        *r = r.union(p);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        rects
    }

    /// Fills `rect` with the background and paints every widget touching it.
    fn repaint_rect(&mut self, canvas: &mut Canvas, text: &mut TextSystem, rect: PxRect) {
        canvas.fill_px_rect(rect, theme::BACKGROUND);
        let scale = canvas.scale();
        for i in 0..self.widgets.len() {
            let id = WidgetId(i as u32);
            let look = Look {
                hovered: self.hovered == Some(id),
                pressed: self.pressed == Some(id),
                focused: self.focused == Some(id),
                window_focused: self.window_focused,
            };
            let Some(e) = self.widgets.get_mut(i) else {
                continue;
            };
            if !e.visible {
                continue;
            }
            if e.paint_rect(scale).is_some_and(|r| r.intersects(&rect)) {
                e.paint(canvas, text, look, rect);
            }
        }
    }
}

/// A finite, non-negative length.
fn sane_len(v: f32) -> f32 {
    if v.is_finite() {
        v.max(0.0)
    } else {
        0.0
    }
}
