//! Shape primitives in physical pixels: rounded-rectangle fills and borders.
//!
//! tiny-skia has no rounded-rectangle helper, and borders must look like CSS
//! (`border-radius` on the outer edge, the inner edge's radius reduced by the
//! border width), so both are built here once.

use tiny_skia::{FillRule, Paint, Path, PathBuilder, Transform};

use crate::canvas::Canvas;
use crate::theme::Color;

/// A rectangle in physical pixels with float edges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PxBox {
    pub(crate) x0: f32,
    pub(crate) y0: f32,
    pub(crate) x1: f32,
    pub(crate) y1: f32,
}

impl PxBox {
    pub(crate) fn inset(self, d: f32) -> PxBox {
        PxBox {
            x0: self.x0 + d,
            y0: self.y0 + d,
            x1: self.x1 - d,
            y1: self.y1 - d,
        }
    }

    pub(crate) fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    pub(crate) fn height(&self) -> f32 {
        self.y1 - self.y0
    }

    fn is_drawable(&self) -> bool {
        self.x1 > self.x0 && self.y1 > self.y0 && self.x0.is_finite() && self.y1.is_finite()
    }
}

/// Circle-approximating cubic control distance, as a fraction of the radius.
const KAPPA: f32 = 0.552_284_8;

/// Appends a closed rounded rectangle to `pb`.
fn push_rrect(pb: &mut PathBuilder, b: PxBox, radius: f32) {
    let r = radius.max(0.0).min(b.width() / 2.0).min(b.height() / 2.0);
    let c = r * (1.0 - KAPPA);
    let PxBox { x0, y0, x1, y1 } = b;
    pb.move_to(x0 + r, y0);
    pb.line_to(x1 - r, y0);
    pb.cubic_to(x1 - c, y0, x1, y0 + c, x1, y0 + r);
    pb.line_to(x1, y1 - r);
    pb.cubic_to(x1, y1 - c, x1 - c, y1, x1 - r, y1);
    pb.line_to(x0 + r, y1);
    pb.cubic_to(x0 + c, y1, x0, y1 - c, x0, y1 - r);
    pb.line_to(x0, y0 + r);
    pb.cubic_to(x0, y0 + c, x0 + c, y0, x0 + r, y0);
    pb.close();
}

fn paint_of(color: Color) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(color.to_skia());
    p.anti_alias = true;
    p
}

fn fill(canvas: &mut Canvas, path: &Path, rule: FillRule, color: Color) {
    if let Some(mut pixmap) = canvas.pixmap_mut() {
        pixmap.fill_path(path, &paint_of(color), rule, Transform::identity(), None);
    }
}

/// Fills a rounded rectangle.
pub(crate) fn fill_rrect(canvas: &mut Canvas, b: PxBox, radius: f32, color: Color) {
    if !b.is_drawable() || color.a == 0 {
        return;
    }
    let mut pb = PathBuilder::new();
    push_rrect(&mut pb, b, radius);
    if let Some(path) = pb.finish() {
        fill(canvas, &path, FillRule::Winding, color);
    }
}

/// Draws a CSS-style border of `width` inside the rounded rectangle `b`.
pub(crate) fn border_rrect(canvas: &mut Canvas, b: PxBox, radius: f32, width: f32, color: Color) {
    if !b.is_drawable() || width <= 0.0 || color.a == 0 {
        return;
    }
    let inner = b.inset(width);
    let mut pb = PathBuilder::new();
    push_rrect(&mut pb, b, radius);
    if inner.is_drawable() {
        push_rrect(&mut pb, inner, (radius - width).max(0.0));
    }
    if let Some(path) = pb.finish() {
        fill(canvas, &path, FillRule::EvenOdd, color);
    }
}

/// Fills a plain rectangle (anti-aliased edges for fractional coordinates).
pub(crate) fn fill_box(canvas: &mut Canvas, b: PxBox, color: Color) {
    if !b.is_drawable() || color.a == 0 {
        return;
    }
    if let (Some(rect), Some(mut pixmap)) = (
        tiny_skia::Rect::from_ltrb(b.x0, b.y0, b.x1, b.y1),
        canvas.pixmap_mut(),
    ) {
        pixmap.fill_rect(rect, &paint_of(color), Transform::identity(), None);
    }
}
