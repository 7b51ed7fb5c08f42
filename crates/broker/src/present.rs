//! Copying a renderer's damaged rectangle out of shared memory, and writing
//! window pixels to PNG.
//!
//! The copy is the broker's only contact with renderer-written pixels. The
//! rectangle was clamped to the surface by the router (the one clamp of
//! the protocol); [`copy_damage`] checks it again against both buffers as
//! the deliberate last line of defence, so that no rectangle, whatever bug
//! produced it, can index out of bounds here. The
//! surface holds premultiplied RGBA8 (what the renderer's widget kit paints);
//! window content is painted over an opaque background, so its colour bytes
//! are the straight colour and the copy converts them to softbuffer's
//! `0x00RRGGBB` by dropping alpha. Whatever bytes a hostile renderer writes,
//! or keeps writing during the copy, only make garbage or tearing in its own
//! window.

use std::path::Path;

use workshop_common::geometry::PxRect;

/// Copies `damage` from `src` (a `width × height` RGBA8 surface) into `dst`
/// (the same size, 0RGB `u32`s), converting as it goes; returns the
/// rectangle it copied (empty if the buffers are too small).
pub fn copy_damage(src: &[u8], dst: &mut [u32], width: u32, height: u32, damage: PxRect) -> PxRect {
    // Deliberate defence in depth, not a redundant copy of the router's
    // clamp: this is the last check before renderer-chosen numbers index
    // memory, and it is made against both buffers as they are now.
    let r = damage.clamp_to(width, height);
    let w = width as usize;
    if src.len() < w * height as usize * 4 || dst.len() < w * height as usize {
        return PxRect::full(0, 0);
    }
    // The surface is a page-aligned mapping, so viewing it as u32s costs
    // nothing; an unaligned `src` (only in tests) takes the byte path.
    // SAFETY: any 4 bytes are a valid u32; `align_to` only reinterprets.
    let (prefix, words, _) = unsafe { src.align_to::<u32>() };
    for row in r.y as usize..(r.y + r.height) as usize {
        let start = row * w + r.x as usize;
        let end = start + r.width as usize;
        if prefix.is_empty() {
            for (d, &v) in dst[start..end].iter_mut().zip(&words[start..end]) {
                *d = rgba_to_0rgb(v);
            }
        } else {
            let src_row = &src[start * 4..end * 4];
            for (d, s) in dst[start..end].iter_mut().zip(src_row.chunks_exact(4)) {
                *d = rgba_to_0rgb(u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
            }
        }
    }
    r
}

/// Bytes R, G, B, A read as a little-endian `u32` (`0xAABBGGRR`) to
/// `0x00RRGGBB`. Shifts and masks only, so the loops above vectorize with
/// the baseline instruction set.
#[inline(always)]
fn rgba_to_0rgb(v: u32) -> u32 {
    ((v & 0xFF) << 16) | (v & 0xFF00) | ((v >> 16) & 0xFF)
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
            // RGBA with blue = i + 1, alpha 255.
            px.copy_from_slice(&[0, 0, i as u8 + 1, 255]);
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
    fn aligned_and_unaligned_sources_agree() {
        let (w, h) = (5u32, 3u32);
        let mut backing = vec![0u8; (w * h * 4) as usize + 1];
        for (i, b) in backing.iter_mut().enumerate() {
            *b = (i * 7) as u8;
        }
        let n = (w * h * 4) as usize;
        let mut a = vec![0u32; (w * h) as usize];
        let mut b = vec![0u32; (w * h) as usize];
        // One of the two views is misaligned for u32.
        let mut src_a = backing[..n].to_vec();
        src_a.copy_from_slice(&backing[1..=n]);
        copy_damage(&src_a, &mut a, w, h, PxRect::full(w, h));
        copy_damage(&backing[1..=n], &mut b, w, h, PxRect::full(w, h));
        assert_eq!(a, b);
        let px = &backing[1..5];
        assert_eq!(
            b[0],
            (u32::from(px[0]) << 16) | (u32::from(px[1]) << 8) | u32::from(px[2])
        );
    }

    #[test]
    fn short_buffers_are_ignored() {
        let mut dst = vec![0u32; 4];
        copy_damage(&[1, 2, 3], &mut dst, 2, 2, PxRect::full(2, 2));
        assert_eq!(dst, vec![0; 4]);
    }
}
