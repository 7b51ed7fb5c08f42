//! The three widgets: [`Label`], [`Button`] and [`TextInput`].
//!
//! The public types here are descriptions (what to show, how it looks) that
//! the caller hands to [`crate::Ui`]; the `Ui` keeps them together with the
//! live state (hover, focus, edit buffer, cached text layouts) in a private
//! entry and paints them with the functions at the bottom of this module.

use crate::canvas::Canvas;
use crate::draw::{self, PxBox};
use crate::edit::EditBuffer;
use crate::geom::{PxRect, Rect};
use crate::layout::{SizeRequest, WidthRule};
use crate::text::{FontWeight, TextLayout, TextStyle, TextSystem};
use crate::theme::{self, Color};

/// Horizontal alignment of a label's text inside its box (only visible
/// when the box is wider than the text, e.g. in a stretched column).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TextAlign {
    /// Left edge.
    Left,
    /// Centred (the default; the Workshop windows centre their text).
    #[default]
    Center,
    /// Right edge.
    Right,
}

/// A line (or, with `\n`, several lines) of static text.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// The text.
    pub text: String,
    /// Size and weight (default 16 px regular).
    pub style: TextStyle,
    /// Colour (default [`theme::TEXT`]).
    pub color: Color,
    /// Alignment within the box.
    pub align: TextAlign,
}

impl Label {
    /// 16 px regular body text in [`theme::TEXT`].
    pub fn new(text: impl Into<String>) -> Label {
        Label {
            text: text.into(),
            style: TextStyle::new(16.0, FontWeight::Regular),
            color: theme::TEXT,
            align: TextAlign::Center,
        }
    }

    /// A CSS `h2` heading: 24 px bold (the heading's CSS margins are not
    /// applied; columns space their children with `gap`).
    pub fn heading(text: impl Into<String>) -> Label {
        Label::new(text).size(24.0).weight(FontWeight::Bold)
    }

    /// Sets the font size in logical pixels.
    pub fn size(mut self, size: f32) -> Label {
        self.style.size = size;
        self
    }

    /// Sets the weight.
    pub fn weight(mut self, weight: FontWeight) -> Label {
        self.style.weight = weight;
        self
    }

    /// Sets the colour.
    pub fn color(mut self, color: Color) -> Label {
        self.color = color;
        self
    }

    /// Sets the alignment.
    pub fn align(mut self, align: TextAlign) -> Label {
        self.align = align;
        self
    }
}

/// Width of a button or input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Width {
    /// Exactly this many logical pixels.
    Fixed(f32),
    /// The containing column's full content width (CSS `width: 100%`).
    Fill,
}

/// How a button looks. The defaults (via [`ButtonStyle::outline`]) are the
/// Workshop buttons: 250 × 48, 2 px border, 10 px radius, 16 px semibold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ButtonStyle {
    /// Text and border colour at rest; fill colour on hover.
    pub color: Color,
    /// Fill at rest; `None` is transparent (the window background shows).
    pub idle_fill: Option<Color>,
    /// Width.
    pub width: Width,
    /// Height in logical pixels.
    pub height: f32,
    /// Corner radius in logical pixels.
    pub radius: f32,
    /// Border width in logical pixels.
    pub border: f32,
    /// Label size and weight (16 px, semibold = bold, see
    /// [`FontWeight::SEMIBOLD`]).
    pub text: TextStyle,
}

impl ButtonStyle {
    /// A Workshop outline button in `color`: transparent at rest, filled with
    /// `color` (text [`theme::HOVER_TEXT`]) on hover.
    pub const fn outline(color: Color) -> ButtonStyle {
        ButtonStyle {
            color,
            idle_fill: None,
            width: Width::Fixed(250.0),
            height: 48.0,
            radius: 10.0,
            border: 2.0,
            text: TextStyle::new(16.0, FontWeight::SEMIBOLD),
        }
    }

    /// The login form's Submit button: green on [`theme::SUBMIT_BG`], full
    /// width.
    pub const fn submit() -> ButtonStyle {
        let mut s = ButtonStyle::outline(theme::GREEN);
        s.idle_fill = Some(theme::SUBMIT_BG);
        s.width = Width::Fill;
        s
    }

    /// Sets the width.
    pub const fn width(mut self, width: Width) -> ButtonStyle {
        self.width = width;
        self
    }
}

/// A push button. States: normal, hover (filled with the colour, text
/// [`theme::HOVER_TEXT`]), pressed (filled slightly darker), disabled (text
/// and border [`theme::DISABLED`], not clickable).
#[derive(Clone, Debug, PartialEq)]
pub struct Button {
    /// The text on the button.
    pub label: String,
    /// Its look.
    pub style: ButtonStyle,
}

impl Button {
    /// A button with the given text and style.
    pub fn new(label: impl Into<String>, style: ButtonStyle) -> Button {
        Button {
            label: label.into(),
            style,
        }
    }
}

/// How a text input looks (defaults: the login form's inputs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputStyle {
    /// Width (default `Fill`).
    pub width: Width,
    /// Height (36).
    pub height: f32,
    /// Corner radius (8).
    pub radius: f32,
    /// Border width (1), in [`theme::INPUT_BORDER`].
    pub border: f32,
    /// Left/right padding between border and text (8).
    pub padding: f32,
    /// Fill (white); `None` is transparent.
    pub fill: Option<Color>,
    /// Text size and weight (16 px regular).
    pub text: TextStyle,
}

impl Default for InputStyle {
    fn default() -> Self {
        InputStyle {
            width: Width::Fill,
            height: 36.0,
            radius: 8.0,
            border: 1.0,
            padding: 8.0,
            fill: Some(theme::INPUT_BG),
            text: TextStyle::new(16.0, FontWeight::Regular),
        }
    }
}

/// Default byte limit of a [`TextInput`].
pub const DEFAULT_MAX_LEN: usize = 256;

/// A single-line text field. Editing: typing ([`crate::Event::Text`]),
/// Left/Right by grapheme and Ctrl+Left/Right by word (Shift extends the
/// selection), Home/End (and Up/Down), Backspace/Delete (Ctrl: by word),
/// Ctrl+A, Enter submits; a click places the caret, a drag selects, a
/// double click selects a word. The selection is drawn as a light
/// highlight behind the glyphs (behind the bullets in a masked field).
/// Typing or pasting replaces the selection.
#[derive(Clone, Debug, PartialEq)]
pub struct TextInput {
    /// Shown in [`theme::PLACEHOLDER`] while the value is empty.
    pub placeholder: String,
    /// Password field: shows one `•` per character, never prints its value
    /// in `Debug`, zeroes its buffer when cleared or dropped.
    pub masked: bool,
    /// Longest value in bytes (input beyond it is cut off at a char
    /// boundary); at most [`crate::MAX_INPUT_LEN`].
    pub max_len: usize,
    /// Its look.
    pub style: InputStyle,
}

impl TextInput {
    /// An empty, unmasked input with a placeholder.
    pub fn new(placeholder: impl Into<String>) -> TextInput {
        TextInput {
            placeholder: placeholder.into(),
            masked: false,
            max_len: DEFAULT_MAX_LEN,
            style: InputStyle::default(),
        }
    }

    /// Makes it a password field.
    pub fn masked(mut self, masked: bool) -> TextInput {
        self.masked = masked;
        self
    }

    /// Sets the byte limit.
    pub fn max_len(mut self, max_len: usize) -> TextInput {
        self.max_len = max_len;
        self
    }

    /// Sets the style.
    pub fn style(mut self, style: InputStyle) -> TextInput {
        self.style = style;
        self
    }
}

/// What kind of widget an id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WidgetKind {
    /// A [`Label`].
    Label,
    /// A [`Button`].
    Button,
    /// A [`TextInput`].
    TextInput,
}

/// A widget with its live state, as kept by the `Ui`.
#[derive(Debug)]
pub(crate) enum Kind {
    Label {
        spec: Label,
        layout: Option<TextLayout>,
    },
    Button {
        spec: Button,
        layout: Option<TextLayout>,
    },
    Input {
        placeholder: String,
        style: InputStyle,
        edit: EditBuffer,
        /// Layout of the displayed value (bullets when masked).
        layout: Option<TextLayout>,
        placeholder_layout: Option<TextLayout>,
        /// Horizontal scroll of the text, logical px (keeps the caret in view).
        scroll: f32,
        /// Where the caret was last painted, logical px (the IME cursor
        /// area); `None` before the first paint.
        caret_rect: Option<Rect>,
        /// The input method's composition, drawn underlined at the caret
        /// (not part of the value until committed); empty when none.
        preedit: String,
    },
}

/// One widget in the `Ui`.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) kind: Kind,
    pub(crate) enabled: bool,
    pub(crate) visible: bool,
    /// Box from the last layout; `None` when not in the tree or hidden.
    pub(crate) bounds: Option<Rect>,
    /// Physical rectangle painted last time (to erase it if the widget
    /// moves or disappears).
    pub(crate) painted: Option<PxRect>,
    /// Needs repainting.
    pub(crate) dirty: bool,
    /// Draws the keyboard focus ring (set by the `Ui` before each paint).
    pub(crate) ring: bool,
}

/// Interaction state of one widget at paint time.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Look {
    pub(crate) hovered: bool,
    pub(crate) pressed: bool,
    pub(crate) focused: bool,
    pub(crate) window_focused: bool,
}

impl Entry {
    pub(crate) fn new(kind: Kind) -> Entry {
        Entry {
            kind,
            enabled: true,
            visible: true,
            bounds: None,
            painted: None,
            dirty: true,
            ring: false,
        }
    }

    pub(crate) fn kind(&self) -> WidgetKind {
        match self.kind {
            Kind::Label { .. } => WidgetKind::Label,
            Kind::Button { .. } => WidgetKind::Button,
            Kind::Input { .. } => WidgetKind::TextInput,
        }
    }

    /// Inputs and buttons take focus and pointer interaction.
    pub(crate) fn is_interactive(&self) -> bool {
        !matches!(self.kind, Kind::Label { .. })
    }

    /// Drops cached text layouts (after a scale change).
    pub(crate) fn forget_layouts(&mut self) {
        match &mut self.kind {
            Kind::Label { layout, .. } | Kind::Button { layout, .. } => *layout = None,
            Kind::Input {
                layout,
                placeholder_layout,
                ..
            } => {
                *layout = None;
                *placeholder_layout = None;
            }
        }
    }

    /// Shapes whatever text is not cached yet.
    pub(crate) fn ensure_layouts(&mut self, text: &mut TextSystem, scale: f32) {
        match &mut self.kind {
            Kind::Label { spec, layout } => {
                if layout.is_none() {
                    *layout = Some(text.shape(&spec.text, spec.style, scale));
                }
            }
            Kind::Button { spec, layout } => {
                if layout.is_none() {
                    *layout = Some(text.shape(&spec.label, spec.style.text, scale));
                }
            }
            Kind::Input {
                placeholder,
                style,
                edit,
                layout,
                placeholder_layout,
                preedit,
                ..
            } => {
                if layout.is_none() {
                    let shown = with_preedit(edit, preedit);
                    *layout = Some(text.shape(&shown, style.text, scale));
                }
                if placeholder_layout.is_none() {
                    *placeholder_layout = Some(text.shape(placeholder, style.text, scale));
                }
            }
        }
    }

    /// Size request for layout (text layouts must be ensured first).
    pub(crate) fn size_request(&self) -> Option<SizeRequest> {
        if !self.visible {
            return None;
        }
        let width_rule = |w: Width| match w {
            Width::Fixed(v) => WidthRule::Fixed(v),
            Width::Fill => WidthRule::Fill,
        };
        Some(match &self.kind {
            Kind::Label { spec, layout } => {
                let (w, h) = match layout {
                    Some(l) => (l.width().ceil(), l.height()),
                    None => (0.0, spec.style.line_height()),
                };
                SizeRequest {
                    width: WidthRule::Content(w),
                    height: h,
                }
            }
            Kind::Button { spec, .. } => SizeRequest {
                width: width_rule(spec.style.width),
                height: spec.style.height,
            },
            Kind::Input { style, .. } => SizeRequest {
                width: width_rule(style.width),
                height: style.height,
            },
        })
    }

    /// The physical rectangle this widget paints into at `scale`.
    pub(crate) fn paint_rect(&self, scale: f32) -> Option<PxRect> {
        let b = self.bounds?;
        let r = b.to_px_snapped(scale);
        Some(match self.kind {
            // Glyph ink may overhang the advance box by a pixel or two.
            Kind::Label { .. } => r.outset((2.0 * scale).ceil() as u32, 0),
            // The focus ring lies outside the box (plus a pixel for its
            // anti-aliased edge).
            _ if self.ring => {
                let d = (FOCUS_RING_REACH * scale).ceil() as u32 + 1;
                r.outset(d, d)
            }
            _ => r,
        })
    }

    /// Paints the widget; pixels outside `clip` are left alone.
    pub(crate) fn paint(
        &mut self,
        canvas: &mut Canvas,
        text: &mut TextSystem,
        look: Look,
        clip: PxRect,
    ) {
        let scale = canvas.scale();
        let Some(bounds) = self.bounds else {
            return;
        };
        let Some(paint_rect) = self.paint_rect(scale) else {
            return;
        };
        self.ensure_layouts(text, scale);
        let snapped = bounds.to_px_snapped(scale);
        let b = PxBox {
            x0: snapped.x as f32,
            y0: snapped.y as f32,
            x1: snapped.right() as f32,
            y1: snapped.bottom() as f32,
        };
        let text_clip = paint_rect.intersect(&clip).unwrap_or_default();
        let enabled = self.enabled;
        if self.ring {
            let color = match &self.kind {
                Kind::Button { spec, .. } => spec.style.color,
                Kind::Input { .. } | Kind::Label { .. } => theme::INPUT_FOCUS_BORDER,
            };
            let radius = match &self.kind {
                Kind::Button { spec, .. } => spec.style.radius,
                Kind::Input { style, .. } => style.radius,
                Kind::Label { .. } => 0.0,
            };
            paint_focus_ring(canvas, b, radius * scale, color);
        }
        match &mut self.kind {
            Kind::Label { spec, layout } => {
                if let Some(l) = layout {
                    let lw = l.width() * scale;
                    let x = match spec.align {
                        TextAlign::Left => b.x0,
                        TextAlign::Center => b.x0 + (b.width() - lw) / 2.0,
                        TextAlign::Right => b.x1 - lw,
                    };
                    text.draw_layout(canvas, l, (round(x), round(b.y0)), spec.color, text_clip);
                }
            }
            Kind::Button { spec, layout } => {
                paint_button(
                    canvas,
                    text,
                    spec,
                    layout.as_ref(),
                    enabled,
                    look,
                    b,
                    text_clip,
                );
            }
            Kind::Input {
                placeholder: _,
                style,
                edit,
                layout,
                placeholder_layout,
                scroll,
                caret_rect,
                preedit,
            } => {
                let s = InputPaint {
                    style,
                    edit,
                    layout: layout.as_ref(),
                    placeholder: placeholder_layout.as_ref(),
                    preedit,
                    enabled,
                    look,
                };
                *scroll = s.paint(canvas, text, b, *scroll, text_clip);
                let caret_x = match layout.as_ref() {
                    Some(l) if !s.is_empty() => l.caret_x(s.shown_index(edit.caret(), true)),
                    _ => 0.0,
                };
                let line_h = style.text.line_height();
                let inner_w = (bounds.w - 2.0 * style.padding).max(0.0);
                *caret_rect = Some(Rect::new(
                    bounds.x + style.padding + (caret_x - *scroll).clamp(0.0, inner_w),
                    bounds.y + (bounds.h - line_h) / 2.0,
                    1.0,
                    line_h,
                ));
            }
        }
    }
}

/// Width of the keyboard focus ring, logical px.
const FOCUS_RING_WIDTH: f32 = 2.0;
/// Gap between a control's box and its focus ring, logical px (CSS
/// `outline-offset`).
const FOCUS_RING_GAP: f32 = 2.0;
/// How far the ring reaches outside the box.
const FOCUS_RING_REACH: f32 = FOCUS_RING_WIDTH + FOCUS_RING_GAP;

/// The keyboard focus ring: a rounded outline [`FOCUS_RING_WIDTH`] wide,
/// [`FOCUS_RING_GAP`] outside the control's box `b`, following its corner
/// radius, like a browser's `:focus-visible` outline.
fn paint_focus_ring(canvas: &mut Canvas, b: PxBox, radius: f32, color: Color) {
    let scale = canvas.scale();
    let reach = FOCUS_RING_REACH * scale;
    draw::border_rrect(
        canvas,
        b.inset(-reach),
        radius + reach,
        FOCUS_RING_WIDTH * scale,
        color,
    );
}

fn round(v: f32) -> i32 {
    if v.is_finite() {
        v.round() as i32
    } else {
        0
    }
}

#[allow(clippy::too_many_arguments)]
fn paint_button(
    canvas: &mut Canvas,
    text: &mut TextSystem,
    spec: &Button,
    layout: Option<&TextLayout>,
    enabled: bool,
    look: Look,
    b: PxBox,
    text_clip: PxRect,
) {
    let scale = canvas.scale();
    let st = &spec.style;
    let (fill, border, ink) = if !enabled {
        (st.idle_fill, theme::DISABLED, theme::DISABLED)
    } else if look.pressed && look.hovered {
        let c = st.color.darken(0.1);
        (Some(c), c, theme::HOVER_TEXT)
    } else if look.hovered {
        (Some(st.color), st.color, theme::HOVER_TEXT)
    } else {
        (st.idle_fill, st.color, st.color)
    };
    let radius = st.radius * scale;
    let bw = (st.border * scale).max(0.0);
    if let Some(f) = fill {
        draw::fill_rrect(canvas, b, radius, f);
    }
    draw::border_rrect(canvas, b, radius, bw, border);
    if let Some(l) = layout {
        let x = b.x0 + (b.width() - l.width() * scale) / 2.0;
        let y = b.y0 + (b.height() - st.text.line_height() * scale) / 2.0;
        text.draw_layout(canvas, l, (round(x), round(y)), ink, text_clip);
    }
}

/// What an input shapes: its displayed value with the composition, if
/// any, spliced in at the caret.
fn with_preedit<'a>(edit: &'a EditBuffer, preedit: &str) -> std::borrow::Cow<'a, str> {
    let shown = edit.display();
    if preedit.is_empty() {
        return shown;
    }
    let mut at = edit.display_index_of(edit.caret()).min(shown.len());
    while !shown.is_char_boundary(at) {
        at -= 1;
    }
    let (before, after) = shown.split_at(at);
    std::borrow::Cow::Owned(format!("{before}{preedit}{after}"))
}

/// Thickness of the composition underline, logical px.
const PREEDIT_UNDERLINE: f32 = 1.0;

struct InputPaint<'a> {
    style: &'a InputStyle,
    edit: &'a EditBuffer,
    layout: Option<&'a TextLayout>,
    placeholder: Option<&'a TextLayout>,
    preedit: &'a str,
    enabled: bool,
    look: Look,
}

impl InputPaint<'_> {
    /// Nothing to draw but the placeholder.
    fn is_empty(&self) -> bool {
        self.edit.value().is_empty() && self.preedit.is_empty()
    }

    /// Where value byte `index` sits in the shaped text (which has the
    /// composition spliced in at the caret); at the caret itself, before
    /// the composition, or after it with `after_preedit`.
    fn shown_index(&self, index: usize, after_preedit: bool) -> usize {
        let d = self.edit.display_index_of(index);
        let caret = self.edit.display_index_of(self.edit.caret());
        if d > caret || (d == caret && after_preedit) {
            d + self.preedit.len()
        } else {
            d
        }
    }

    /// Paints the input and returns the (possibly adjusted) scroll offset.
    fn paint(
        &self,
        canvas: &mut Canvas,
        text: &mut TextSystem,
        b: PxBox,
        scroll: f32,
        clip: PxRect,
    ) -> f32 {
        let scale = canvas.scale();
        let st = self.style;
        let radius = st.radius * scale;
        let bw = (st.border * scale).max(0.0);
        if let Some(f) = st.fill {
            draw::fill_rrect(canvas, b, radius, f);
        }
        let focused = self.look.focused && self.enabled;
        let border = if focused {
            theme::INPUT_FOCUS_BORDER
        } else {
            theme::INPUT_BORDER
        };
        draw::border_rrect(canvas, b, radius, bw, border);

        let pad = st.padding * scale;
        let inner_x = b.x0 + pad;
        let inner_w_logical = ((b.width() - 2.0 * pad) / scale).max(0.0);
        let line_h = st.text.line_height() * scale;
        let text_y = round(b.y0 + (b.height() - line_h) / 2.0);
        // Text is clipped to the content box (inside the padding), widened
        // by one caret width so a caret at the very end still shows.
        let caret_w = scale.round().max(1.0);
        let cx0 = inner_x.round().max(0.0);
        let cx1 = (inner_x + inner_w_logical * scale).round() + caret_w;
        let inside = PxRect::new(
            cx0 as u32,
            (b.y0 + bw).max(0.0) as u32,
            (cx1 - cx0).max(0.0) as u32,
            (b.height() - 2.0 * bw).max(0.0) as u32,
        );
        let clip = clip.intersect(&inside).unwrap_or_default();

        if self.is_empty() {
            if let Some(p) = self.placeholder {
                text.draw_layout(
                    canvas,
                    p,
                    (round(inner_x), text_y),
                    theme::PLACEHOLDER,
                    clip,
                );
            }
            if focused && self.look.window_focused {
                self.caret(canvas, inner_x, text_y, line_h, clip);
            }
            return 0.0;
        }
        let Some(l) = self.layout else {
            return scroll;
        };
        // While focused, scroll to keep the caret in view; unfocused, show
        // the start of the text (as browsers do).
        let caret_x = l.caret_x(self.shown_index(self.edit.caret(), true));
        let mut scroll = if focused { scroll } else { 0.0 };
        if focused {
            if caret_x - scroll > inner_w_logical {
                scroll = caret_x - inner_w_logical;
            }
            if caret_x < scroll {
                scroll = caret_x;
            }
            scroll = scroll.min((l.width() - inner_w_logical).max(0.0)).max(0.0);
        }
        let origin_x = inner_x - scroll * scale;

        if focused {
            if let Some(sel) = self.edit.selection() {
                let x0 = l.caret_x(self.shown_index(sel.start, false)) * scale;
                let x1 = l.caret_x(self.shown_index(sel.end, true)) * scale;
                let hl = PxBox {
                    x0: (origin_x + x0).round().max(clip.x as f32),
                    y0: text_y as f32,
                    x1: (origin_x + x1).round().min(clip.right() as f32),
                    y1: text_y as f32 + line_h.round(),
                };
                draw::fill_box(canvas, hl, theme::SELECTION);
            }
        }
        let ink = if self.enabled {
            theme::TEXT
        } else {
            theme::DISABLED
        };
        text.draw_layout(canvas, l, (round(origin_x), text_y), ink, clip);
        if !self.preedit.is_empty() {
            // The composition, underlined (as every input method's host
            // draws it), from the caret to the end of what is composed.
            let start = self.shown_index(self.edit.caret(), false);
            let end = start + self.preedit.len();
            let (a, z) = (l.caret_x(start) * scale, l.caret_x(end) * scale);
            let thick = (PREEDIT_UNDERLINE * scale).round().max(1.0);
            let y0 = (text_y as f32 + line_h * 0.86).round();
            let underline = PxBox {
                x0: (origin_x + a.min(z)).round().max(clip.x as f32),
                y0,
                x1: (origin_x + a.max(z)).round().min(clip.right() as f32),
                y1: y0 + thick,
            };
            draw::fill_box(canvas, underline, ink);
        }
        if focused && self.look.window_focused && self.edit.selection().is_none() {
            self.caret(canvas, origin_x + caret_x * scale, text_y, line_h, clip);
        }
        scroll
    }

    /// A 1-logical-pixel caret in the text colour.
    fn caret(&self, canvas: &mut Canvas, x: f32, top: i32, line_h: f32, clip: PxRect) {
        let scale = canvas.scale();
        let w = scale.round().max(1.0);
        let x0 = x.round().min(clip.right() as f32 - w).max(clip.x as f32);
        let caret = PxBox {
            x0,
            y0: top as f32,
            x1: x0 + w,
            y1: top as f32 + line_h.round(),
        };
        draw::fill_box(canvas, caret, theme::TEXT);
    }
}
