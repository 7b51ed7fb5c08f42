//! Rectangles in the two coordinate spaces the kit uses.
//!
//! Layout, events and hit-testing work in *logical* pixels ([`Rect`], `f32`);
//! the canvas and the damage reported to the broker are in *physical* pixels
//! ([`PxRect`], `u32`). Damage rectangles travel to a process that does not
//! trust us and come back from callers we do not control, so every operation
//! on [`PxRect`] is saturating or checked and none of them can panic.

/// A rectangle in logical pixels (before HiDPI scaling).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width (never negative for rectangles produced by layout).
    pub w: f32,
    /// Height (never negative for rectangles produced by layout).
    pub h: f32,
}

impl Rect {
    /// A rectangle from its top-left corner and size.
    pub const fn new(x: f32, y: f32, w: f32, h: f32) -> Rect {
        Rect { x, y, w, h }
    }

    /// Right edge (`x + w`).
    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    /// Bottom edge (`y + h`).
    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }

    /// True when the point lies inside: left/top edges inclusive, right/bottom
    /// edges exclusive, so two touching rectangles never both claim a point.
    /// NaN coordinates are never inside.
    pub fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.x && x < self.right() && y >= self.y && y < self.bottom()
    }

    /// The physical pixels this rectangle covers at `scale`, with each edge
    /// rounded to the nearest pixel (so a box at x = 75.0 starts exactly on
    /// pixel 75 at scale 1 and pixel 150 at scale 2). Negative or non-finite
    /// coordinates clamp to zero.
    pub fn to_px_snapped(&self, scale: f32) -> PxRect {
        let x0 = px_coord(self.x * scale);
        let y0 = px_coord(self.y * scale);
        let x1 = px_coord(self.right() * scale);
        let y1 = px_coord(self.bottom() * scale);
        PxRect::new(x0, y0, x1.saturating_sub(x0), y1.saturating_sub(y0))
    }
}

/// Rounds a physical coordinate to a pixel index, clamping negatives, NaN and
/// huge values into `u32`.
fn px_coord(v: f32) -> u32 {
    if v.is_nan() || v <= 0.0 {
        0
    } else if v >= u32::MAX as f32 {
        u32::MAX
    } else {
        // In range and non-negative: the cast cannot truncate meaningfully.
        v.round() as u32
    }
}

/// A rectangle of physical pixels: the unit of damage and of copying.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PxRect {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl PxRect {
    /// A rectangle from its top-left corner and size.
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> PxRect {
        PxRect {
            x,
            y,
            width,
            height,
        }
    }

    /// Exclusive right edge, saturating at `u32::MAX`.
    pub fn right(&self) -> u32 {
        self.x.saturating_add(self.width)
    }

    /// Exclusive bottom edge, saturating at `u32::MAX`.
    pub fn bottom(&self) -> u32 {
        self.y.saturating_add(self.height)
    }

    /// True when the rectangle covers no pixel.
    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// The smallest rectangle covering both. An empty side is ignored, so
    /// `a.union(empty) == a`.
    pub fn union(&self, other: &PxRect) -> PxRect {
        if self.is_empty() {
            return *other;
        }
        if other.is_empty() {
            return *self;
        }
        let x0 = self.x.min(other.x);
        let y0 = self.y.min(other.y);
        let x1 = self.right().max(other.right());
        let y1 = self.bottom().max(other.bottom());
        PxRect::new(x0, y0, x1 - x0, y1 - y0)
    }

    /// The overlap of both, or `None` when they do not overlap.
    pub fn intersect(&self, other: &PxRect) -> Option<PxRect> {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = self.right().min(other.right());
        let y1 = self.bottom().min(other.bottom());
        if x1 > x0 && y1 > y0 {
            Some(PxRect::new(x0, y0, x1 - x0, y1 - y0))
        } else {
            None
        }
    }

    /// True when the two share at least one pixel.
    pub fn intersects(&self, other: &PxRect) -> bool {
        self.intersect(other).is_some()
    }

    /// True when every pixel of `other` is inside `self` (an empty `other` is
    /// contained in anything).
    pub fn contains_rect(&self, other: &PxRect) -> bool {
        other.is_empty()
            || (other.x >= self.x
                && other.y >= self.y
                && other.right() <= self.right()
                && other.bottom() <= self.bottom())
    }

    /// This rectangle cut down to a `width × height` surface; may come out
    /// empty (then it is `PxRect::default()`).
    pub fn clamp_to(&self, width: u32, height: u32) -> PxRect {
        self.intersect(&PxRect::new(0, 0, width, height))
            .unwrap_or_default()
    }

    /// Grows the rectangle by `dx` columns on each side and `dy` rows on each
    /// side, saturating at zero and `u32::MAX`.
    pub fn outset(&self, dx: u32, dy: u32) -> PxRect {
        let x0 = self.x.saturating_sub(dx);
        let y0 = self.y.saturating_sub(dy);
        let x1 = self.right().saturating_add(dx);
        let y1 = self.bottom().saturating_add(dy);
        PxRect::new(x0, y0, x1 - x0, y1 - y0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_and_intersect() {
        let a = PxRect::new(0, 0, 10, 10);
        let b = PxRect::new(5, 5, 10, 10);
        assert_eq!(a.union(&b), PxRect::new(0, 0, 15, 15));
        assert_eq!(a.intersect(&b), Some(PxRect::new(5, 5, 5, 5)));
        assert_eq!(a.intersect(&PxRect::new(10, 0, 5, 5)), None);
        assert_eq!(a.union(&PxRect::default()), a);
        assert_eq!(PxRect::default().union(&b), b);
    }

    #[test]
    fn saturating_edges_never_panic() {
        let huge = PxRect::new(u32::MAX - 1, u32::MAX, u32::MAX, u32::MAX);
        assert_eq!(huge.right(), u32::MAX);
        assert!(huge.clamp_to(400, 400).is_empty());
        let u = huge.union(&PxRect::new(0, 0, 1, 1));
        assert_eq!(u.x, 0);
        assert_eq!(u.width, u32::MAX);
        assert_eq!(
            PxRect::new(390, 390, 100, 100).clamp_to(400, 400),
            PxRect::new(390, 390, 10, 10)
        );
        assert_eq!(
            PxRect::new(0, 0, 5, 5).outset(10, 10),
            PxRect::new(0, 0, 15, 15)
        );
    }

    #[test]
    fn logical_contains_and_snapping() {
        let r = Rect::new(75.0, 300.0, 250.0, 48.0);
        assert!(r.contains(75.0, 300.0));
        assert!(r.contains(324.9, 347.9));
        assert!(!r.contains(325.0, 320.0));
        assert!(!r.contains(f32::NAN, 320.0));
        assert_eq!(r.to_px_snapped(1.0), PxRect::new(75, 300, 250, 48));
        assert_eq!(r.to_px_snapped(2.0), PxRect::new(150, 600, 500, 96));
        let neg = Rect::new(-10.0, f32::NAN, 5.0, 5.0);
        assert_eq!(neg.to_px_snapped(1.0), PxRect::new(0, 0, 0, 0));
    }
}
