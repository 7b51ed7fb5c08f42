//! Copying a renderer's damaged rectangle out of shared memory, and writing
//! window pixels to PNG.
//!
//! The copy is the broker's only contact with renderer-written pixels. The
//! rectangle was clamped to the surface by the router; it is clamped again
//! here against both buffers, so no rectangle can index out of bounds. The
//! bytes are treated as opaque 0RGB pixels: a hostile renderer that keeps
//! writing during the copy only tears its own window.

use std::path::Path;

use workshop_common::geometry::PxRect;

/// Copies `damage` from `src` (a `width × height` surface of little-endian
/// `u32` 0RGB pixels as bytes) into `dst` (the same size, as `u32`s).
pub fn copy_damage(src: &[u8], dst: &mut [u32], width: u32, height: u32, damage: PxRect) {
    let r = damage.clamp_to(width, height);
    let w = width as usize;
    if src.len() < w * height as usize * 4 || dst.len() < w * height as usize {
        return;
    }
    for row in r.y as usize..(r.y + r.height) as usize {
        let start = row * w + r.x as usize;
        let end = start + r.width as usize;
        let src_row = &src[start * 4..end * 4];
        for (d, s) in dst[start..end].iter_mut().zip(src_row.chunks_exact(4)) {
            *d = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        }
    }
}

/// Writes 0RGB pixels as an RGB PNG.
pub fn write_png(path: &Path, pixels: &[u32], width: u32, height: u32) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rgb = Vec::with_capacity(pixels.len() * 3);
    for p in pixels {
        rgb.extend_from_slice(&[(p >> 16) as u8, (p >> 8) as u8, *p as u8]);
    }
    writer
        .write_image_data(&rgb)
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_only_the_clamped_damage() {
        let (w, h) = (4u32, 3u32);
        let mut src = vec![0u8; (w * h * 4) as usize];
        for (i, px) in src.chunks_exact_mut(4).enumerate() {
            px.copy_from_slice(&(i as u32 + 1).to_le_bytes());
        }
        let mut dst = vec![0u32; (w * h) as usize];
        copy_damage(
            &src,
            &mut dst,
            w,
            h,
            PxRect {
                x: 2,
                y: 1,
                width: u32::MAX,
                height: u32::MAX,
            },
        );
        assert_eq!(dst, vec![0, 0, 0, 0, 0, 0, 7, 8, 0, 0, 11, 12]);
    }

    #[test]
    fn short_buffers_are_ignored() {
        let mut dst = vec![0u32; 4];
        copy_damage(&[1, 2, 3], &mut dst, 2, 2, PxRect::full(2, 2));
        assert_eq!(dst, vec![0; 4]);
    }
}
