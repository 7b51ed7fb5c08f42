//! The surface widgets paint on.
//!
//! Painting happens in tiny-skia's premultiplied RGBA8 layout at physical
//! resolution, either in memory the canvas owns ([`Canvas::new`]: tests,
//! the broker's own pages) or straight into memory someone else owns
//! ([`Canvas::with_store`]: a renderer paints into the shared-memory surface
//! the broker presents from, with no private copy). [`Canvas::copy_to_0rgb`]
//! converts a rectangle to softbuffer's `0x00RRGGBB` `u32` layout.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::geom::PxRect;
use crate::theme::Color;
use crate::UiError;

/// Largest HiDPI scale accepted by [`Canvas::new`].
pub const MAX_SCALE: f32 = 8.0;

/// Pixel memory a canvas can paint into without owning it: exactly
/// `width × height × 4` bytes of premultiplied RGBA8, row by row.
pub trait PixelStore: Send {
    /// The bytes, for reading.
    fn bytes(&self) -> &[u8];
    /// The bytes, for painting.
    fn bytes_mut(&mut self) -> &mut [u8];
}

enum Storage {
    Owned(tiny_skia::Pixmap),
    Store {
        store: Box<dyn PixelStore>,
        width: u32,
        height: u32,
    },
}

/// A physical-pixel RGBA pixmap plus the HiDPI scale that maps logical
/// coordinates onto it (`physical = logical × scale`).
pub struct Canvas {
    storage: Storage,
    scale: f32,
    /// Unique per canvas, so a `Ui` notices it is painting on a new one.
    id: u64,
}

fn check_scale(scale: f32) -> Result<(), UiError> {
    if scale.is_finite() && scale > 0.0 && scale <= MAX_SCALE {
        Ok(())
    } else {
        Err(UiError::InvalidScale(scale))
    }
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
        check_scale(scale)?;
        let pixmap =
            tiny_skia::Pixmap::new(width_px, height_px).ok_or(UiError::InvalidCanvasSize {
                width: width_px,
                height: height_px,
            })?;
        Ok(Canvas {
            storage: Storage::Owned(pixmap),
            scale,
            id: NEXT_CANVAS_ID.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// A canvas of `width_px × height_px` that paints into `store`, which
    /// must hold exactly `width_px × height_px × 4` bytes (its current
    /// contents are kept).
    pub fn with_store(
        store: Box<dyn PixelStore>,
        width_px: u32,
        height_px: u32,
        scale: f32,
    ) -> Result<Canvas, UiError> {
        check_scale(scale)?;
        let bad_size = UiError::InvalidCanvasSize {
            width: width_px,
            height: height_px,
        };
        let expected = (width_px as usize)
            .checked_mul(height_px as usize)
            .and_then(|n| n.checked_mul(4))
            .ok_or(bad_size.clone())?;
        if expected == 0 || store.bytes().len() != expected {
            return Err(bad_size);
        }
        // tiny-skia's own limits (it must accept the size to paint on it).
        tiny_skia::PixmapRef::from_bytes(store.bytes(), width_px, height_px).ok_or(bad_size)?;
        Ok(Canvas {
            storage: Storage::Store {
                store,
                width: width_px,
                height: height_px,
            },
            scale,
            id: NEXT_CANVAS_ID.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// The pixel bytes (premultiplied RGBA8).
    pub fn data(&self) -> &[u8] {
        match &self.storage {
            Storage::Owned(p) => p.data(),
            Storage::Store { store, .. } => store.bytes(),
        }
    }

    /// The pixel bytes, for painting.
    pub fn data_mut(&mut self) -> &mut [u8] {
        match &mut self.storage {
            Storage::Owned(p) => p.data_mut(),
            Storage::Store { store, .. } => store.bytes_mut(),
        }
    }

    /// This canvas's identity (unique within the process).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Width in physical pixels.
    pub fn width_px(&self) -> u32 {
        match &self.storage {
            Storage::Owned(p) => p.width(),
            Storage::Store { width, .. } => *width,
        }
    }

    /// Height in physical pixels.
    pub fn height_px(&self) -> u32 {
        match &self.storage {
            Storage::Owned(p) => p.height(),
            Storage::Store { height, .. } => *height,
        }
    }

    /// The HiDPI scale (physical pixels per logical pixel).
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// The whole canvas as a damage rectangle.
    pub fn bounds(&self) -> PxRect {
        PxRect::new(0, 0, self.width_px(), self.height_px())
    }

    /// The pixels as a tiny-skia pixmap, for custom painting. `None` only
    /// if a [`PixelStore`] changed its length since the canvas was made.
    pub fn pixmap_mut(&mut self) -> Option<tiny_skia::PixmapMut<'_>> {
        match &mut self.storage {
            Storage::Owned(p) => Some(p.as_mut()),
            Storage::Store {
                store,
                width,
                height,
            } => tiny_skia::PixmapMut::from_bytes(store.bytes_mut(), *width, *height),
        }
    }

    /// The colour at a physical pixel as `0x00RRGGBB` (un-premultiplied), or
    /// `None` outside the canvas. Meant for tests and debugging.
    pub fn pixel_0rgb(&self, x: u32, y: u32) -> Option<u32> {
        if x >= self.width_px() || y >= self.height_px() {
            return None;
        }
        let i = (y as usize * self.width_px() as usize + x as usize) * 4;
        let px = self.data().get(i..i + 4)?;
        let (r, g, b, a) = (px[0], px[1], px[2], px[3]);
        Some(if a == 255 {
            (u32::from(r) << 16) | (u32::from(g) << 8) | u32::from(b)
        } else {
            unpremultiply_0rgb(r, g, b, a)
        })
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
        let word = u32::from_ne_bytes(px);
        let stride = w as usize * 4;
        let data = self.data_mut();
        for y in r.y..r.bottom() {
            let start = y as usize * stride + r.x as usize * 4;
            let end = start + r.width as usize * 4;
            let Some(row) = data.get_mut(start..end) else {
                continue;
            };
            // SAFETY: any 4 bytes are a valid u32; `align_to_mut` only
            // reinterprets, and the unaligned ends are filled bytewise.
            let (head, words, tail) = unsafe { row.align_to_mut::<u32>() };
            if head.is_empty() && tail.is_empty() {
                words.fill(word);
            } else {
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
        let src = self.data();
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
        let mut out = Vec::with_capacity(self.data().len());
        for px in self.data().chunks_exact(4) {
            let c = tiny_skia::PremultipliedColorU8::from_rgba(px[0], px[1], px[2], px[3])
                .map(|c| c.demultiply());
            match c {
                Some(c) => out.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]),
                // Not valid premultiplied data (a colour above its alpha).
                None => out.extend_from_slice(px),
            }
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

    struct VecStore(Vec<u8>);

    impl PixelStore for VecStore {
        fn bytes(&self) -> &[u8] {
            &self.0
        }
        fn bytes_mut(&mut self) -> &mut [u8] {
            &mut self.0
        }
    }

    #[test]
    fn a_store_canvas_paints_like_an_owned_one() {
        let mut owned = Canvas::new(40, 30, 1.0).unwrap();
        let mut stored =
            Canvas::with_store(Box::new(VecStore(vec![0; 40 * 30 * 4])), 40, 30, 1.0).unwrap();
        for c in [&mut owned, &mut stored] {
            c.fill_px_rect(PxRect::new(0, 0, 40, 30), crate::theme::BACKGROUND);
            crate::draw::fill_box(
                c,
                crate::draw::PxBox {
                    x0: 5.5,
                    y0: 5.5,
                    x1: 20.0,
                    y1: 12.0,
                },
                crate::theme::BLUE,
            );
        }
        assert_eq!(owned.data(), stored.data());
        assert_eq!(stored.pixel_0rgb(0, 0), Some(0xF9F9F9));
    }

    #[test]
    fn a_store_of_the_wrong_size_is_refused() {
        for len in [0, 40 * 30 * 4 - 1, 40 * 30 * 4 + 4] {
            assert!(Canvas::with_store(Box::new(VecStore(vec![0; len])), 40, 30, 1.0).is_err());
        }
        assert!(Canvas::with_store(Box::new(VecStore(vec![])), 0, 0, 1.0).is_err());
    }
}
