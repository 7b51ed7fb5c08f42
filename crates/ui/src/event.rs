//! Input the widget kit understands, and what it tells its owner back.
//!
//! These are deliberately smaller than winit's types: the broker translates
//! window events into [`Event`]s (logical coordinates), forwards them to the
//! renderer, and the renderer feeds them to [`crate::Ui::handle`], which
//! answers with [`UiAction`]s and a [`CursorIcon`] to show.

use crate::access::AccessRequest;
use crate::id::WidgetId;

/// Keyboard modifiers held during a key press.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Modifiers {
    /// Shift.
    pub shift: bool,
    /// Control.
    pub ctrl: bool,
}

impl Modifiers {
    /// No modifier.
    pub const NONE: Modifiers = Modifiers {
        shift: false,
        ctrl: false,
    };
    /// Shift alone.
    pub const SHIFT: Modifiers = Modifiers {
        shift: true,
        ctrl: false,
    };
    /// Control alone.
    pub const CTRL: Modifiers = Modifiers {
        shift: false,
        ctrl: true,
    };
}

/// A pressed key.
///
/// Printable text is *not* delivered through `Char` or `Space`: it arrives
/// as [`Event::Text`] (after the platform's keyboard layout and input
/// method). `Char` exists for shortcuts (Ctrl+A); `Space` for activating a
/// focused button. A platform that sends both `Key::Space` and the
/// `Text(" ")` it types gets one click, as does one that sends only the
/// text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// Tab (Shift+Tab moves focus backwards).
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
    /// Up arrow (in a single-line input: to the start, like Home).
    Up,
    /// Down arrow (in a single-line input: to the end, like End).
    Down,
    /// Home.
    Home,
    /// End.
    End,
    /// Escape.
    Escape,
    /// The space bar.
    Space,
    /// A character key, lower-case for letters (`Char('a')` for Ctrl+A).
    Char(char),
}

/// An input event in logical coordinates.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The pointer moved to `(x, y)`.
    PointerMoved {
        /// Logical x.
        x: f32,
        /// Logical y.
        y: f32,
    },
    /// The primary button went down at `(x, y)`.
    PointerPressed {
        /// Logical x.
        x: f32,
        /// Logical y.
        y: f32,
    },
    /// The primary button went down a second time in quick succession at
    /// `(x, y)`: a double click. Sent right after that press's
    /// [`Event::PointerPressed`]; the platform layer, which has the clock and
    /// the user's double-click settings, decides what is quick. In a text
    /// input it selects the word under the pointer.
    DoubleClick {
        /// Logical x.
        x: f32,
        /// Logical y.
        y: f32,
    },
    /// The primary button went up at `(x, y)`.
    PointerReleased {
        /// Logical x.
        x: f32,
        /// Logical y.
        y: f32,
    },
    /// The pointer left the window.
    PointerLeft,
    /// A key was pressed (releases are not reported).
    Key {
        /// Which key.
        key: Key,
        /// Modifiers held.
        modifiers: Modifiers,
    },
    /// Committed text input (typing, paste from an input method). Control
    /// characters in it are ignored.
    Text(String),
    /// Text the user pasted (the broker read it from the clipboard):
    /// inserted at the caret like typed text.
    Paste(String),
    /// The input method's composition (empty: it ended). Kept apart from
    /// the value until committed.
    ImePreedit(String),
    /// The input method committed text: inserted at the caret.
    ImeCommit(String),
    /// The window gained keyboard focus.
    FocusGained,
    /// The window lost keyboard focus (the caret is hidden until it returns).
    FocusLost,
    /// Assistive technology asked for something (see [`crate::access`]).
    Access(AccessRequest),
}

/// What the owner of a [`crate::Ui`] should react to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UiAction {
    /// An enabled button was clicked (pointer pressed and released on it, or
    /// Enter / Space while it had focus).
    Clicked(WidgetId),
    /// The user edited an input's value (not reported for programmatic
    /// `set_text` / `clear`).
    Changed(WidgetId),
    /// Enter was pressed in an input.
    Submitted(WidgetId),
}

/// The mouse cursor the window should show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CursorIcon {
    /// The arrow.
    #[default]
    Default,
    /// A hand, over an enabled button.
    Pointer,
    /// An I-beam, over an enabled text input.
    Text,
}
