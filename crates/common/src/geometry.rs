//! Rectangles and sizes in physical pixels, with overflow-proof clamping.

use serde::{Deserialize, Serialize};

/// A rectangle in physical pixels. Any values are representable; consumers
/// clamp with [`PxRect::clamp_to`] before touching memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PxRect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl PxRect {
    /// The whole surface of `width × height`.
    pub fn full(width: u32, height: u32) -> PxRect {
        PxRect {
            x: 0,
            y: 0,
            width,
            height,
        }
    }

    /// True when the rectangle covers no pixel.
    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// The part of `self` inside a `width × height` surface. Never overflows:
    /// `x + width` is computed saturating, so `u32::MAX` values clamp to the
    /// edge instead of wrapping.
    pub fn clamp_to(&self, width: u32, height: u32) -> PxRect {
        let x0 = self.x.min(width);
        let y0 = self.y.min(height);
        let x1 = self.x.saturating_add(self.width).min(width);
        let y1 = self.y.saturating_add(self.height).min(height);
        PxRect {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }

    /// True when the rectangle lies entirely within `width × height`.
    pub fn fits_in(&self, width: u32, height: u32) -> bool {
        self.clamp_to(width, height) == *self
    }

    /// The smallest rectangle containing both (empty ones are ignored).
    pub fn union(&self, other: &PxRect) -> PxRect {
        if self.is_empty() {
            return *other;
        }
        if other.is_empty() {
            return *self;
        }
        let x0 = self.x.min(other.x);
        let y0 = self.y.min(other.y);
        let x1 = self
            .x
            .saturating_add(self.width)
            .max(other.x.saturating_add(other.width));
        let y1 = self
            .y
            .saturating_add(self.height)
            .max(other.y.saturating_add(other.height));
        PxRect {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }
}

/// A window position in physical pixels on the virtual desktop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    /// Horizontal.
    pub x: i32,
    /// Vertical.
    pub y: i32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clamp_handles_the_extremes() {
        let r = PxRect {
            x: u32::MAX,
            y: u32::MAX,
            width: u32::MAX,
            height: u32::MAX,
        };
        assert!(r.clamp_to(400, 400).is_empty());
        let r = PxRect {
            x: 390,
            y: 0,
            width: u32::MAX,
            height: 10,
        };
        assert_eq!(
            r.clamp_to(400, 400),
            PxRect {
                x: 390,
                y: 0,
                width: 10,
                height: 10
            }
        );
        assert!(!r.fits_in(400, 400));
        assert!(PxRect::full(400, 400).fits_in(400, 400));
    }

    proptest! {
        #[test]
        fn clamped_rect_always_fits(x: u32, y: u32, w: u32, h: u32, sw in 0u32..5000, sh in 0u32..5000) {
            let c = PxRect { x, y, width: w, height: h }.clamp_to(sw, sh);
            prop_assert!(c.x as u64 + c.width as u64 <= sw as u64);
            prop_assert!(c.y as u64 + c.height as u64 <= sh as u64);
        }

        #[test]
        fn union_contains_both(a in (0u32..1000, 0u32..1000, 1u32..1000, 1u32..1000),
                               b in (0u32..1000, 0u32..1000, 1u32..1000, 1u32..1000)) {
            let a = PxRect { x: a.0, y: a.1, width: a.2, height: a.3 };
            let b = PxRect { x: b.0, y: b.1, width: b.2, height: b.3 };
            let u = a.union(&b);
            prop_assert!(u.x <= a.x && u.y <= a.y && u.x <= b.x && u.y <= b.y);
            prop_assert!(u.x + u.width >= a.x + a.width && u.x + u.width >= b.x + b.width);
        }
    }
}
