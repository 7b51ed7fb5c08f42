//! Geometry and pixel helpers shared by the pixel tests (`look.rs`) and the
//! real-window tests (`xvfb.rs`). Widget boxes come from the same layout
//! code the renderers run, so the tests never hard-code coordinates.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use workshop_common::user::User;
use workshop_renderer_login::LoginWindow;
use workshop_renderer_main::MainWindow;
use workshop_ui::{PxRect, TextSystem, WidgetId};

/// Physical box of a Main Window widget in `user`'s view at `scale`.
pub fn main_box(user: Option<&User>, id: impl Fn(&MainWindow) -> WidgetId, scale: f32) -> PxRect {
    let mut w = MainWindow::new();
    w.show_initial_state(user);
    w.ui_mut().layout(&mut TextSystem::new());
    w.ui().bounds(id(&w)).unwrap().to_px_snapped(scale)
}

/// Physical box of a Login Window widget at scale 1.
pub fn login_box(id: impl Fn(&LoginWindow) -> WidgetId) -> PxRect {
    let mut w = LoginWindow::new();
    w.ui_mut().layout(&mut TextSystem::new());
    w.ui().bounds(id(&w)).unwrap().to_px_snapped(1.0)
}

/// A pixel of a button's left border, halfway down (clear of the corners).
pub fn border_probe(r: PxRect) -> (u32, u32) {
    (r.x + 1, r.y + r.height / 2)
}

/// A pixel inside a button, left of its centred label.
pub fn fill_probe(r: PxRect) -> (u32, u32) {
    (r.x + 12, r.y + r.height / 2)
}

/// The inside of a button or input where its text goes: clear of the
/// borders and of the rounded corners (radius ≤ 10 at scale 1).
pub fn inner(r: PxRect) -> PxRect {
    PxRect {
        x: r.x + 12,
        y: r.y + 4,
        width: r.width - 24,
        height: r.height - 8,
    }
}

/// The red, green and blue bytes of a 0RGB pixel.
pub fn channels(p: u32) -> [u8; 3] {
    [(p >> 16) as u8, (p >> 8) as u8, p as u8]
}

/// Text-black ink (glyph cores), not any of the palette's colours.
pub fn is_dark(p: u32) -> bool {
    channels(p).iter().all(|&c| c < 90)
}

/// Reads an 8-bit RGB or RGBA PNG as 0RGB pixels.
pub fn read_png(path: &Path) -> Option<(u32, u32, Vec<u32>)> {
    let file = File::open(path).ok()?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).ok()?;
    let step = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        _ => return None,
    };
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(step)
        .map(|c| (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]))
        .collect();
    Some((info.width, info.height, pixels))
}
