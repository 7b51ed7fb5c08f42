//! Column layout: the subset of CSS flexbox (`flex-direction: column`) the
//! Workshop windows use.
//!
//! A [`Column`] stacks its children top to bottom with a `gap`, distributes
//! leftover height according to [`Justify`] (`justify-content`), and places
//! each child horizontally according to [`Align`] (`align-items`). Widths
//! follow CSS: under `Align::Center` a child is as wide as its content
//! (`fit-content`), under `Align::Stretch` as wide as the column; a fixed or
//! percentage width (`width_fraction`) wins over both. Nothing wraps, and a
//! nested column is exactly as tall as its content.

use crate::geom::Rect;
use crate::id::WidgetId;

/// Padding around a column's content, CSS order (top, right, bottom, left).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Insets {
    /// Top padding.
    pub top: f32,
    /// Right padding.
    pub right: f32,
    /// Bottom padding.
    pub bottom: f32,
    /// Left padding.
    pub left: f32,
}

impl Insets {
    /// Padding in CSS order: top, right, bottom, left.
    pub const fn new(top: f32, right: f32, bottom: f32, left: f32) -> Insets {
        Insets {
            top,
            right,
            bottom,
            left,
        }
    }

    /// CSS `padding: vertical horizontal`.
    pub const fn symmetric(vertical: f32, horizontal: f32) -> Insets {
        Insets::new(vertical, horizontal, vertical, horizontal)
    }

    /// The same padding on every side.
    pub const fn all(v: f32) -> Insets {
        Insets::new(v, v, v, v)
    }
}

/// How leftover height is distributed (CSS `justify-content`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Justify {
    /// Children packed at the top.
    #[default]
    Start,
    /// Children packed in the middle.
    Center,
    /// First child at the top, last at the bottom, the rest spread evenly
    /// (with a single child, like `Start`).
    SpaceBetween,
}

/// How children are placed across the column (CSS `align-items`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Align {
    /// Children keep their content width and are centred.
    #[default]
    Center,
    /// Children without a fixed width take the column's full width; those
    /// with one sit at the left edge.
    Stretch,
}

/// A vertical flex container.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Column {
    /// Padding inside the column.
    pub padding: Insets,
    /// Space between consecutive children.
    pub gap: f32,
    /// Vertical distribution.
    pub justify: Justify,
    /// Horizontal placement.
    pub align: Align,
    /// Width as a fraction of the parent column's content width (CSS
    /// `width: 70%` is `Some(0.7)`). Ignored on the root, which always fills
    /// the window.
    pub width_fraction: Option<f32>,
    /// Children, top to bottom. Each widget should appear at most once in a
    /// tree.
    pub children: Vec<Node>,
}

impl Column {
    /// An empty column: no padding, no gap, `Start`, `Center`.
    pub fn new() -> Column {
        Column::default()
    }

    /// Sets the padding.
    pub fn padding(mut self, padding: Insets) -> Column {
        self.padding = padding;
        self
    }

    /// Sets the gap between children.
    pub fn gap(mut self, gap: f32) -> Column {
        self.gap = gap;
        self
    }

    /// Sets the vertical distribution.
    pub fn justify(mut self, justify: Justify) -> Column {
        self.justify = justify;
        self
    }

    /// Sets the horizontal placement.
    pub fn align(mut self, align: Align) -> Column {
        self.align = align;
        self
    }

    /// Sets the width as a fraction of the parent's content width.
    pub fn width_fraction(mut self, fraction: f32) -> Column {
        self.width_fraction = Some(fraction);
        self
    }

    /// Appends a child (a widget id or a nested column).
    pub fn child(mut self, child: impl Into<Node>) -> Column {
        self.children.push(child.into());
        self
    }

    /// Every widget id in the tree, in tree (reading and focus) order.
    pub fn widget_ids(&self) -> Vec<WidgetId> {
        let mut out = Vec::new();
        collect_ids(self, &mut out);
        out
    }
}

fn collect_ids(c: &Column, out: &mut Vec<WidgetId>) {
    for n in &c.children {
        match n {
            Node::Widget(id) => out.push(*id),
            Node::Column(col) => collect_ids(col, out),
        }
    }
}

/// A child of a [`Column`].
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A widget, by id.
    Widget(WidgetId),
    /// A nested column.
    Column(Column),
}

impl From<WidgetId> for Node {
    fn from(id: WidgetId) -> Node {
        Node::Widget(id)
    }
}

impl From<Column> for Node {
    fn from(c: Column) -> Node {
        Node::Column(c)
    }
}

/// How wide a widget wants to be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum WidthRule {
    /// Its content's width (text); stretched under `Align::Stretch`.
    Content(f32),
    /// Exactly this wide.
    Fixed(f32),
    /// As wide as the column (CSS `width: 100%`).
    Fill,
}

/// A widget's size request; `None` from the measure function means the
/// widget is hidden and takes no space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SizeRequest {
    pub(crate) width: WidthRule,
    pub(crate) height: f32,
}

/// Lays out `root` over `window` and returns each visible widget's box.
pub(crate) fn layout(
    root: &Column,
    window: Rect,
    measure: &dyn Fn(WidgetId) -> Option<SizeRequest>,
) -> Vec<(WidgetId, Rect)> {
    let mut out = Vec::new();
    place_column(root, window, measure, &mut out);
    out
}

/// Finite, non-negative, or zero.
fn sane(v: f32) -> f32 {
    if v.is_finite() {
        v.max(0.0)
    } else {
        0.0
    }
}

fn intrinsic_width(c: &Column, m: &dyn Fn(WidgetId) -> Option<SizeRequest>) -> f32 {
    let mut w: f32 = 0.0;
    for n in &c.children {
        let cw = match n {
            Node::Widget(id) => match m(*id) {
                Some(SizeRequest {
                    width: WidthRule::Content(v) | WidthRule::Fixed(v),
                    ..
                }) => sane(v),
                _ => 0.0,
            },
            Node::Column(col) if col.width_fraction.is_none() => intrinsic_width(col, m),
            Node::Column(_) => 0.0,
        };
        w = w.max(cw);
    }
    w + sane(c.padding.left) + sane(c.padding.right)
}

fn node_height(n: &Node, m: &dyn Fn(WidgetId) -> Option<SizeRequest>) -> Option<f32> {
    match n {
        Node::Widget(id) => m(*id).map(|r| sane(r.height)),
        Node::Column(c) => Some(intrinsic_height(c, m)),
    }
}

fn intrinsic_height(c: &Column, m: &dyn Fn(WidgetId) -> Option<SizeRequest>) -> f32 {
    let heights: Vec<f32> = c
        .children
        .iter()
        .filter_map(|n| node_height(n, m))
        .collect();
    let gaps = sane(c.gap) * heights.len().saturating_sub(1) as f32;
    heights.iter().sum::<f32>() + gaps + sane(c.padding.top) + sane(c.padding.bottom)
}

fn place_column(
    c: &Column,
    rect: Rect,
    m: &dyn Fn(WidgetId) -> Option<SizeRequest>,
    out: &mut Vec<(WidgetId, Rect)>,
) {
    let content = Rect::new(
        rect.x + sane(c.padding.left),
        rect.y + sane(c.padding.top),
        sane(rect.w - sane(c.padding.left) - sane(c.padding.right)),
        sane(rect.h - sane(c.padding.top) - sane(c.padding.bottom)),
    );
    let gap = sane(c.gap);
    let items: Vec<(&Node, f32)> = c
        .children
        .iter()
        .filter_map(|n| node_height(n, m).map(|h| (n, h)))
        .collect();
    let n = items.len();
    let used: f32 = items.iter().map(|(_, h)| h).sum::<f32>() + gap * n.saturating_sub(1) as f32;
    let free = content.h - used;
    let (mut y, spacing) = match c.justify {
        Justify::Start => (content.y, gap),
        Justify::Center => (content.y + free / 2.0, gap),
        Justify::SpaceBetween if n > 1 && free > 0.0 => (content.y, gap + free / (n - 1) as f32),
        Justify::SpaceBetween => (content.y, gap),
    };
    for (node, h) in items {
        let w = match node {
            Node::Widget(id) => match m(*id).map(|r| r.width) {
                Some(WidthRule::Content(v)) => match c.align {
                    Align::Stretch => content.w,
                    Align::Center => sane(v),
                },
                Some(WidthRule::Fixed(v)) => sane(v),
                Some(WidthRule::Fill) | None => content.w,
            },
            Node::Column(col) => match (col.width_fraction, c.align) {
                (Some(f), _) => sane(f * content.w),
                (None, Align::Stretch) => content.w,
                (None, Align::Center) => intrinsic_width(col, m).min(content.w),
            },
        };
        // Under Stretch, anything not stretched (fixed or fractional width)
        // sits at the start, as in CSS.
        let x = match c.align {
            Align::Center => content.x + (content.w - w) / 2.0,
            Align::Stretch => content.x,
        };
        let r = Rect::new(x, y, w, h);
        match node {
            Node::Widget(id) => out.push((*id, r)),
            Node::Column(col) => place_column(col, r, m, out),
        }
        y += h + spacing;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> WidgetId {
        WidgetId(n)
    }

    #[test]
    fn space_between_center_and_stretch() {
        // 400×400 window, padding 48/24, gap 16: a 32-high text, a 48-high
        // fixed 250 button in a nested column, a 48-high button.
        let m = |w: WidgetId| -> Option<SizeRequest> {
            match w.0 {
                0 => Some(SizeRequest {
                    width: WidthRule::Content(200.0),
                    height: 32.0,
                }),
                1 | 2 => Some(SizeRequest {
                    width: WidthRule::Fixed(250.0),
                    height: 48.0,
                }),
                _ => None,
            }
        };
        let root = Column::new()
            .padding(Insets::symmetric(48.0, 24.0))
            .gap(16.0)
            .justify(Justify::SpaceBetween)
            .align(Align::Center)
            .child(id(0))
            .child(Column::new().gap(16.0).child(id(1)).child(id(9)))
            .child(id(2));
        let out = layout(&root, Rect::new(0.0, 0.0, 400.0, 400.0), &m);
        assert_eq!(out.len(), 3, "hidden widget 9 takes no slot");
        assert_eq!(out[0], (id(0), Rect::new(100.0, 48.0, 200.0, 32.0)));
        assert_eq!(out[2], (id(2), Rect::new(75.0, 304.0, 250.0, 48.0)));
        // Middle: free = 304 - 32 - 48 - 48 - 32 = 144, split in two gaps.
        assert_eq!(
            out[1],
            (
                id(1),
                Rect::new(75.0, 48.0 + 32.0 + 16.0 + 72.0, 250.0, 48.0)
            )
        );

        let form = Column::new().justify(Justify::Center).child(
            Column::new()
                .width_fraction(0.7)
                .gap(16.0)
                .align(Align::Stretch)
                .child(id(0))
                .child(id(1)),
        );
        let out = layout(&form, Rect::new(0.0, 0.0, 400.0, 400.0), &m);
        // Form 280 wide, centred; content 32 + 16 + 48 = 96 high.
        assert_eq!(
            out[0].1,
            Rect::new(60.0, 152.0, 280.0, 32.0),
            "stretched text"
        );
        assert_eq!(
            out[1].1,
            Rect::new(60.0, 200.0, 250.0, 48.0),
            "fixed width at start"
        );
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let m = |_: WidgetId| {
            Some(SizeRequest {
                width: WidthRule::Fixed(f32::NAN),
                height: f32::INFINITY,
            })
        };
        let root = Column::new()
            .padding(Insets::all(-5.0))
            .gap(f32::NAN)
            .justify(Justify::SpaceBetween)
            .child(id(0))
            .child(Column::new().width_fraction(f32::NAN).child(id(1)));
        let out = layout(&root, Rect::new(0.0, 0.0, 10.0, 10.0), &m);
        assert_eq!(out.len(), 2);
        assert_eq!(root.widget_ids(), vec![id(0), id(1)]);
    }
}
