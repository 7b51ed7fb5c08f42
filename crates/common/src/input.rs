//! Input events as the broker forwards them to a window's renderer.
//!
//! Coordinates are physical pixels relative to the window's surface. Only the
//! broker produces these; the renderer trusts them as much as it trusts the
//! broker.

use serde::{Deserialize, Serialize};

/// Longest committed text in one [`InputEvent::Text`], in bytes.
pub const MAX_TEXT_BYTES: usize = 256;

/// Longest text in one [`InputEvent::ImePreedit`] or
/// [`InputEvent::ImeCommit`], in bytes (the broker cuts longer ones at a
/// char boundary).
pub const MAX_IME_BYTES: usize = 1024;

/// Longest text in one [`InputEvent::Paste`], in bytes: the broker cuts a
/// longer clipboard at a char boundary.
pub const MAX_PASTE_BYTES: usize = 16 * 1024;

/// One input event for a window.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub enum InputEvent {
    /// The pointer moved to (x, y).
    PointerMoved {
        /// Horizontal, physical pixels.
        x: f32,
        /// Vertical, physical pixels.
        y: f32,
    },
    /// The primary button went down at the last pointer position.
    PointerPressed,
    /// The primary button went up at the last pointer position.
    PointerReleased,
    /// The pointer left the window.
    PointerLeft,
    /// A key was pressed.
    Key {
        /// Which key.
        key: Key,
        /// Modifiers held.
        modifiers: Modifiers,
    },
    /// Text committed by the keyboard or IME.
    Text(String),
    /// The window gained (true) or lost (false) keyboard focus.
    Focus(bool),
    /// The user pasted (Ctrl+V, Shift+Insert, or a middle click for X11's
    /// PRIMARY selection): the text the broker read from the clipboard, at
    /// most [`MAX_PASTE_BYTES`], without NUL. Inserted at the caret.
    Paste(String),
    /// The input method's text being composed (empty: composition ended);
    /// shown at the caret, not yet part of the value. At most
    /// [`MAX_IME_BYTES`].
    ImePreedit(String),
    /// The input method committed this text: inserted at the caret. At
    /// most [`MAX_IME_BYTES`].
    ImeCommit(String),
    /// The primary button went down a second time, close enough in time
    /// and place to the first to be a double click (the platform's rule,
    /// applied by the broker's shell), at the last pointer position. Sent
    /// right after that second [`InputEvent::PointerPressed`]; a text input
    /// selects the word there.
    DoubleClicked,
}

/// Prints the variant and, for keys and the pointer, its fields; never
/// typed, committed or pasted text.
impl std::fmt::Debug for InputEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputEvent::PointerMoved { x, y } => write!(f, "PointerMoved({x}, {y})"),
            InputEvent::PointerPressed => f.write_str("PointerPressed"),
            InputEvent::PointerReleased => f.write_str("PointerReleased"),
            InputEvent::PointerLeft => f.write_str("PointerLeft"),
            InputEvent::Key { key, modifiers } => write!(f, "Key({key:?}, {modifiers:?})"),
            InputEvent::Text(t) => write!(f, "Text({} bytes)", t.len()),
            InputEvent::Focus(on) => write!(f, "Focus({on})"),
            InputEvent::Paste(t) => write!(f, "Paste({} bytes)", t.len()),
            InputEvent::ImePreedit(t) => write!(f, "ImePreedit({} bytes)", t.len()),
            InputEvent::ImeCommit(t) => write!(f, "ImeCommit({} bytes)", t.len()),
            InputEvent::DoubleClicked => f.write_str("DoubleClicked"),
        }
    }
}

/// The keys a window reacts to. Printable characters arrive as
/// [`InputEvent::Text`]; `Char` carries letters for shortcuts (Ctrl+A).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Key {
    /// Tab.
    Tab,
    /// Enter / Return.
    Enter,
    /// Backspace.
    Backspace,
    /// Delete.
    Delete,
    /// Left arrow.
    Left,
    /// Right arrow.
    Right,
    /// Home.
    Home,
    /// End.
    End,
    /// Escape.
    Escape,
    /// A character key, for shortcuts.
    Char(char),
}

/// Modifier keys held during a key press.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Modifiers {
    /// Shift.
    pub shift: bool,
    /// Control.
    pub ctrl: bool,
}

/// The pointer shapes a renderer may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CursorIcon {
    /// The arrow.
    #[default]
    Default,
    /// A hand, over buttons.
    Pointer,
    /// An I-beam, over text inputs.
    Text,
}
