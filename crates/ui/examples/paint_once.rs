//! Paints both windows once and touches no file: a target for checking the
//! "renderer opens no files" property by hand, e.g.
//! `strace -f -e trace=%file target/release/examples/paint_once`
//! (only the dynamic loader's opens appear, before `main`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use support::{LoginWindow, MainState, MainWindow};
use workshop_ui::{Canvas, Event, TextSystem};

fn main() {
    let mut text = TextSystem::new();
    let mut frame = vec![0u32; 400 * 400];
    let mut main = MainWindow::new(&MainState::LoggedOut).unwrap();
    let mut canvas = Canvas::new(400, 400, 1.0).unwrap();
    let damage = main.ui.paint(&mut canvas, &mut text).unwrap();
    canvas.copy_to_0rgb(damage, &mut frame, 400);
    let mut login = LoginWindow::new().unwrap();
    let mut canvas = Canvas::new(800, 800, 2.0).unwrap();
    login.ui.focus(login.password).unwrap();
    login.handle(&Event::Text("pässwörd €".into())).unwrap();
    login.ui.paint(&mut canvas, &mut text);
    std::hint::black_box(&frame);
}
