//! The surface widgets paint on, and its conversion to the frame format.
//!
//! Painting happens in a tiny-skia RGBA pixmap (premultiplied) at physical
//! resolution; the window's shared-memory frame is softbuffer's `0x00RRGGBB`
//! `u32` layout. [`Canvas::copy_to_0rgb`] is the one bridge between the two,
//! and it copies only the damaged rectangle.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::geom::PxRect;
use crate::theme::Color;
use crate::UiError;

/// Largest HiDPI scale accepted by [`Canvas::new`].
pub const MAX_SCALE: f32 = 8.0;

/// A physical-pixel RGBA pixmap plus the HiDPI scale that maps logical
/// coordinates onto it (`physical = logical × scale`).
pub struct Canvas {
    pixmap: tiny_skia::Pixmap,
    scale: f32,
    /// Unique per canvas, so a `Ui` notices it is painting on a new one.
    id: u64,
}

/// Source of [`Canvas`] identities.
static NEXT_CANVAS_ID: AtomicU64 = AtomicU64::new(1);

impl std::fmt::Debug for Canvas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canvas")
            .field("width_px", &self.width_px())
            .field("height_px", &self.height_px())
            .field("scale", &self.scale)
            .finish()
    }
}

impl Canvas {
    /// A transparent canvas of `width_px × height_px` physical pixels.
    ///
    /// Fails for a zero or absurdly large size and for a scale that is not a
    /// finite number in `(0, MAX_SCALE]`.
    pub fn new(width_px: u32, height_px: u32, scale: f32) -> Result<Canvas, UiError> {
        if !(scale.is_finite() && scale > 0.0 && scale <= MAX_SCALE) {
            return Err(UiError::InvalidScale(scale));
        }
        let pixmap =
            tiny_skia::Pixmap::new(width_px, height_px).ok_or(UiError::InvalidCanvasSize {
                width: width_px,
                height: height_px,
            })?;
        let id = NEXT_CANVAS_ID.fetch_add(1, Ordering::Relaxed);
        Ok(Canvas { pixmap, scale, id })
    }

    /// This canvas's identity (unique within the process).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Width in physical pixels.
    pub fn width_px(&self) -> u32 {
        self.pixmap.width()
    }

    /// Height in physical pixels.
    pub fn height_px(&self) -> u32 {
        self.pixmap.height()
    }

    /// The HiDPI scale (physical pixels per logical pixel).
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// The whole canvas as a damage rectangle.
    pub fn bounds(&self) -> PxRect {
        PxRect::new(0, 0, self.width_px(), self.height_px())
    }

    /// Direct access to the underlying pixmap, for custom painting.
    pub fn pixmap_mut(&mut self) -> &mut tiny_skia::Pixmap {
        &mut self.pixmap
    }

    /// Read access to the underlying pixmap.
    pub fn pixmap(&self) -> &tiny_skia::Pixmap {
        &self.pixmap
    }

    /// The colour at a physical pixel as `0x00RRGGBB` (un-premultiplied), or
    /// `None` outside the canvas. Meant for tests and debugging.
    pub fn pixel_0rgb(&self, x: u32, y: u32) -> Option<u32> {
        let p = self.pixmap.pixel(x, y)?.demultiply();
        Some((u32::from(p.red()) << 16) | (u32::from(p.green()) << 8) | u32::from(p.blue()))
    }

    /// Fills a rectangle (clamped to the canvas) with an opaque colour,
    /// exactly: no anti-aliasing, no blending. Used for backgrounds.
    pub fn fill_px_rect(&mut self, rect: PxRect, color: Color) {
        let (w, h) = (self.width_px(), self.height_px());
        let r = rect.clamp_to(w, h);
        if r.is_empty() {
            return;
        }
        let px = [color.r, color.g, color.b, 255];
        let stride = w as usize * 4;
        let data = self.pixmap.data_mut();
        for y in r.y..r.bottom() {
            let start = y as usize * stride + r.x as usize * 4;
            let end = start + r.width as usize * 4;
            if let Some(row) = data.get_mut(start..end) {
                for chunk in row.chunks_exact_mut(4) {
                    chunk.copy_from_slice(&px);
                }
            }
        }
    }

    /// Copies `rect` of the canvas into `dst`, a `0x00RRGGBB` frame of
    /// `dst_width` pixels per row, at the same coordinates.
    ///
    /// Colours are un-premultiplied and alpha is dropped (window content is
    /// painted over an opaque background, so alpha is 255 anyway). The
    /// rectangle is clamped to the canvas and to `dst` (its width and its
    /// number of whole rows); any rectangle, however wrong, is safe.
    pub fn copy_to_0rgb(&self, rect: PxRect, dst: &mut [u32], dst_width: u32) {
        if dst_width == 0 {
            return;
        }
        let dst_rows = u32::try_from(dst.len() / dst_width as usize).unwrap_or(u32::MAX);
        let r = rect
            .clamp_to(self.width_px(), self.height_px())
            .clamp_to(dst_width, dst_rows);
        if r.is_empty() {
            return;
        }
        let src = self.pixmap.data();
        let src_stride = self.width_px() as usize * 4;
        let n = r.width as usize;
        for y in r.y..r.bottom() {
            let s0 = y as usize * src_stride + r.x as usize * 4;
            let d0 = y as usize * dst_width as usize + r.x as usize;
            let (Some(s_row), Some(d_row)) = (src.get(s0..s0 + n * 4), dst.get_mut(d0..d0 + n))
            else {
                continue;
            };
            // Fast path assumes opaque pixels (premultiplied == straight);
            // the rare translucent ones are fixed up afterwards.
            let mut all_opaque = true;
            for (d, p) in d_row.iter_mut().zip(s_row.chunks_exact(4)) {
                let v = u32::from_le_bytes([p[0], p[1], p[2], p[3]]);
                all_opaque &= v >> 24 == 0xff;
                *d = v.swap_bytes() >> 8;
            }
            if !all_opaque {
                for (d, p) in d_row.iter_mut().zip(s_row.chunks_exact(4)) {
                    if let [r, g, b, a] = *p {
                        if a != 255 {
                            *d = unpremultiply_0rgb(r, g, b, a);
                        }
                    }
                }
            }
        }
    }

    /// The whole canvas as straight (un-premultiplied) RGBA8 bytes, row by
    /// row, for writing PNGs in tests and examples.
    pub fn to_rgba_image(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.pixmap.data().len());
        for p in self.pixmap.pixels() {
            let c = p.demultiply();
            out.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
        }
        out
    }
}

/// `0x00RRGGBB` of a premultiplied, not fully opaque pixel.
fn unpremultiply_0rgb(r: u8, g: u8, b: u8, a: u8) -> u32 {
    if a == 0 {
        return 0;
    }
    let f = |c: u8| ((u32::from(c) * 255 + u32::from(a) / 2) / u32::from(a)).min(255);
    (f(r) << 16) | (f(g) << 8) | f(b)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn rejects_bad_sizes_and_scales() {
        assert!(Canvas::new(0, 10, 1.0).is_err());
        assert!(Canvas::new(10, 10, 0.0).is_err());
        assert!(Canvas::new(10, 10, f32::NAN).is_err());
        assert!(Canvas::new(10, 10, 100.0).is_err());
        assert!(Canvas::new(10, 10, 2.0).is_ok());
    }

    #[test]
    fn copy_to_0rgb_any_rect_is_safe() {
        let mut c = Canvas::new(16, 8, 1.0).unwrap();
        c.fill_px_rect(c.bounds(), Color::rgb(0x123456));
        let rects = [
            PxRect::new(0, 0, 16, 8),
            PxRect::new(10, 5, 100, 100),
            PxRect::new(u32::MAX, u32::MAX, u32::MAX, u32::MAX),
            PxRect::new(15, 7, u32::MAX, 1),
            PxRect::new(0, 0, 0, 0),
            PxRect::new(20, 0, 5, 5),
        ];
        for r in rects {
            // Right-sized, too small, empty, and zero-width destinations.
            let mut full = vec![0u32; 16 * 8];
            c.copy_to_0rgb(r, &mut full, 16);
            let mut small = vec![0u32; 7];
            c.copy_to_0rgb(r, &mut small, 16);
            c.copy_to_0rgb(r, &mut [], 16);
            c.copy_to_0rgb(r, &mut full, 0);
            let mut wide = vec![0u32; 100];
            c.copy_to_0rgb(r, &mut wide, 50);
        }
        let mut full = vec![0u32; 16 * 8];
        c.copy_to_0rgb(PxRect::new(2, 3, 4, 2), &mut full, 16);
        assert_eq!(full[3 * 16 + 2], 0x123456);
        assert_eq!(full[4 * 16 + 5], 0x123456);
        assert_eq!(full[3 * 16 + 6], 0, "outside the rect stays untouched");
        assert_eq!(full[5 * 16 + 2], 0, "outside the rect stays untouched");
    }

    #[test]
    fn translucent_pixels_are_unpremultiplied() {
        assert_eq!(unpremultiply_0rgb(0x40, 0x20, 0, 0x80), 0x804000);
        assert_eq!(unpremultiply_0rgb(9, 9, 9, 0), 0);
        assert_eq!(unpremultiply_0rgb(255, 255, 255, 255), 0xffffff);
    }

    #[test]
    fn rgba_image_is_straight_alpha() {
        let mut c = Canvas::new(2, 1, 1.0).unwrap();
        c.fill_px_rect(PxRect::new(0, 0, 1, 1), Color::rgb(0xf9f9f9));
        let img = c.to_rgba_image();
        assert_eq!(&img[..4], &[0xf9, 0xf9, 0xf9, 0xff]);
        assert_eq!(&img[4..], &[0, 0, 0, 0]);
    }
}
