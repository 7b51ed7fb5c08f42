//! Workshop's software widget kit.
//!
//! Each window's content is painted by a sandboxed renderer process into a
//! shared-memory frame; this crate is what it paints with. It owns the
//! pixels ([`Canvas`], tiny-skia), the text ([`TextSystem`], cosmic-text with
//! Noto Sans compiled in, so no font file is ever opened), three widgets
//! ([`Label`], [`Button`], [`TextInput`]), a flexbox-like [`Column`] layout,
//! hit-testing, focus, and damage tracking ([`Ui::paint`] returns the
//! rectangle that changed). It knows nothing of IPC, processes or files.
//!
//! ```
//! use workshop_ui::*;
//!
//! let mut text = TextSystem::new(); // once per process
//! let mut ui = Ui::new(400.0, 400.0);
//! let heading = ui.add_label(Label::heading("Electron Workshop"));
//! let close = ui.add_button(Button::new("Close", ButtonStyle::outline(theme::RED)));
//! ui.set_root(
//!     Column::new()
//!         .padding(Insets::symmetric(48.0, 24.0))
//!         .gap(16.0)
//!         .justify(Justify::SpaceBetween)
//!         .child(heading)
//!         .child(close),
//! );
//! let mut canvas = Canvas::new(400, 400, 1.0)?;
//! assert_eq!(ui.paint(&mut canvas, &mut text), Some(canvas.bounds()));
//! assert_eq!(ui.paint(&mut canvas, &mut text), None); // nothing changed
//!
//! ui.handle(&Event::PointerMoved { x: 200.0, y: 330.0 });
//! assert_eq!(ui.cursor(), CursorIcon::Pointer);
//! let damage = ui.paint(&mut canvas, &mut text); // just the Close button
//! assert_eq!(damage, Some(PxRect::new(75, 304, 250, 48)));
//! # Ok::<(), UiError>(())
//! ```

#![warn(missing_docs)]

pub mod access;
mod canvas;
mod draw;
mod edit;
mod event;
mod geom;
mod id;
mod layout;
mod text;
pub mod theme;
mod ui;
mod widget;

pub use access::{AccessItem, AccessKind, AccessRequest, AccessSnapshot};
pub use canvas::{Canvas, PixelStore, MAX_SCALE};
pub use edit::{MASK_CHAR, MAX_INPUT_LEN};
pub use event::{CursorIcon, Event, Key, Modifiers, UiAction};
pub use geom::{PxRect, Rect};
pub use id::WidgetId;
pub use layout::{Align, Column, Insets, Justify, Node};
pub use text::{
    FaceListing, FallbackFace, FontBytes, FontWeight, Slant, TextLayout, TextStyle, TextSystem,
    LINE_HEIGHT,
};
pub use theme::Color;
pub use ui::Ui;
pub use widget::{
    Button, ButtonStyle, InputStyle, Label, TextAlign, TextInput, WidgetKind, Width,
    DEFAULT_MAX_LEN,
};

/// Everything that can go wrong when using the kit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UiError {
    /// A canvas of zero (or unallocatable) size was requested.
    #[error("invalid canvas size {width}x{height}")]
    InvalidCanvasSize {
        /// Requested width in pixels.
        width: u32,
        /// Requested height in pixels.
        height: u32,
    },
    /// The HiDPI scale is not a finite number in `(0, MAX_SCALE]`.
    #[error("invalid scale {0}")]
    InvalidScale(f32),
    /// The id does not name a widget of this `Ui`.
    #[error("unknown widget {0:?}")]
    UnknownWidget(WidgetId),
    /// The widget is of another kind than the operation needs.
    #[error("widget {id:?} is not a {expected}")]
    WrongKind {
        /// The widget.
        id: WidgetId,
        /// What the operation works on.
        expected: &'static str,
    },
    /// The widget cannot take focus (a label, or disabled, or hidden).
    #[error("widget {0:?} cannot take focus")]
    NotFocusable(WidgetId),
}
