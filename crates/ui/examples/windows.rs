//! Builds the Main and Login windows, writes PNGs of their states, and
//! times painting.
//!
//! `cargo run --release -p workshop-ui --example windows -- [OUT_DIR]`
//! (default OUT_DIR: `target/ui-windows`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use support::{LoginWindow, MainState, MainWindow};
use workshop_ui::{Canvas, Event, Key, Modifiers, TextSystem, Ui};

fn write_png(path: &std::path::Path, canvas: &Canvas) {
    let file = std::fs::File::create(path).expect("create png");
    let mut enc = png::Encoder::new(
        std::io::BufWriter::new(file),
        canvas.width_px(),
        canvas.height_px(),
    );
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().expect("png header");
    w.write_image_data(&canvas.to_rgba_image())
        .expect("png data");
}

fn render(ui: &mut Ui, text: &mut TextSystem, scale: f32) -> Canvas {
    let px = (400.0 * scale) as u32;
    let mut c = Canvas::new(px, px, scale).unwrap();
    ui.paint(&mut c, text);
    c
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("target/ui-windows"));
    std::fs::create_dir_all(&out).unwrap();

    // Timing: text system creation, first full paint, warm repaints.
    let t0 = Instant::now();
    let mut text = TextSystem::new();
    let t_text = t0.elapsed();
    let mut main = MainWindow::new(&MainState::LoggedOut).unwrap();
    let mut canvas = Canvas::new(400, 400, 1.0).unwrap();
    let t1 = Instant::now();
    main.ui.paint(&mut canvas, &mut text);
    let t_first = t1.elapsed();

    let n = 2000;
    let check = main.ui.bounds(main.check).unwrap();
    let (cx, cy) = (check.x + 10.0, check.y + 10.0);
    let t2 = Instant::now();
    for i in 0..n {
        let ev = if i % 2 == 0 {
            Event::PointerMoved { x: cx, y: cy }
        } else {
            Event::PointerLeft
        };
        main.ui.handle(&ev);
        main.ui.paint(&mut canvas, &mut text);
    }
    let t_hover = t2.elapsed() / n;
    let t3 = Instant::now();
    for _ in 0..n {
        main.ui.invalidate();
        main.ui.paint(&mut canvas, &mut text);
    }
    let t_full = t3.elapsed() / n;
    let mut frame = vec![0u32; 400 * 400];
    let t4 = Instant::now();
    for _ in 0..n {
        canvas.copy_to_0rgb(canvas.bounds(), &mut frame, 400);
    }
    let t_copy = t4.elapsed() / n;
    // Calibration: a plain memcpy of the same number of bytes.
    let src = vec![1u32; 400 * 400];
    let t5 = Instant::now();
    for _ in 0..n {
        frame.copy_from_slice(std::hint::black_box(&src));
    }
    let t_memcpy = t5.elapsed() / n;
    println!("TextSystem::new:            {t_text:?}");
    println!("first full paint (400x400): {t_first:?}");
    println!("warm hover repaint:         {t_hover:?}");
    println!("warm full repaint:          {t_full:?}");
    println!("copy_to_0rgb full frame:    {t_copy:?}");
    println!("memcpy of the same size:    {t_memcpy:?}");

    for scale in [1.0f32, 2.0] {
        let tag = if scale == 1.0 { "1x" } else { "2x" };
        let mut m = MainWindow::new(&MainState::Initializing).unwrap();
        write_png(
            &out.join(format!("main_initializing_{tag}.png")),
            &render(&mut m.ui, &mut text, scale),
        );
        let mut m = MainWindow::new(&MainState::LoggedOut).unwrap();
        let mut c = render(&mut m.ui, &mut text, scale);
        write_png(&out.join(format!("main_logged_out_{tag}.png")), &c);
        let b = m.ui.bounds(m.check).unwrap();
        m.ui.handle(&Event::PointerMoved {
            x: b.x + 5.0,
            y: b.y + 5.0,
        });
        m.ui.paint(&mut c, &mut text);
        write_png(&out.join(format!("main_check_hover_{tag}.png")), &c);
        let mut m = MainWindow::new(&MainState::LoggedIn {
            name: "Bruce Wayne".into(),
            email: "bruce@wayne.com".into(),
        })
        .unwrap();
        let mut c = render(&mut m.ui, &mut text, scale);
        write_png(&out.join(format!("main_logged_in_{tag}.png")), &c);
        let b = m.ui.bounds(m.close).unwrap();
        m.ui.handle(&Event::PointerMoved {
            x: b.x + 5.0,
            y: b.y + 5.0,
        });
        m.ui.paint(&mut c, &mut text);
        write_png(&out.join(format!("main_close_hover_{tag}.png")), &c);

        let mut l = LoginWindow::new().unwrap();
        let mut c = render(&mut l.ui, &mut text, scale);
        write_png(&out.join(format!("login_empty_{tag}.png")), &c);
        l.ui.focus(l.email).unwrap();
        l.handle(&Event::Text("bruce@wayne.com".into())).unwrap();
        l.ui.focus(l.password).unwrap();
        l.handle(&Event::Text("batman".into())).unwrap();
        l.ui.paint(&mut c, &mut text);
        write_png(&out.join(format!("login_filled_{tag}.png")), &c);
        let b = l.ui.bounds(l.submit).unwrap();
        l.ui.handle(&Event::PointerMoved {
            x: b.x + 5.0,
            y: b.y + 5.0,
        });
        l.ui.paint(&mut c, &mut text);
        write_png(&out.join(format!("login_submit_hover_{tag}.png")), &c);
        // Keyboard focus on Submit (focus ring), long email scrolled, and a
        // selection in it.
        let mut k = LoginWindow::new().unwrap();
        k.ui.focus(k.email).unwrap();
        k.handle(&Event::Text(
            "bruce.wayne.the.batman@wayne-enterprises.example.com".into(),
        ))
        .unwrap();
        for _ in 0..6 {
            k.ui.handle(&Event::Key {
                key: Key::Left,
                modifiers: Modifiers::SHIFT,
            });
        }
        k.ui.focus(k.password).unwrap();
        k.handle(&Event::Text("batman".into())).unwrap();
        let mut c2 = render(&mut k.ui, &mut text, scale);
        write_png(
            &out.join(format!("login_unfocused_scrolled_{tag}.png")),
            &c2,
        );
        k.ui.focus(k.email).unwrap();
        k.ui.paint(&mut c2, &mut text);
        write_png(&out.join(format!("login_selection_{tag}.png")), &c2);
        k.ui.handle(&Event::Key {
            key: Key::Tab,
            modifiers: Modifiers::NONE,
        });
        k.ui.handle(&Event::Key {
            key: Key::Tab,
            modifiers: Modifiers::NONE,
        });
        k.ui.paint(&mut c2, &mut text);
        write_png(&out.join(format!("login_submit_focus_ring_{tag}.png")), &c2);

        l.set_pending(true).unwrap();
        l.set_error("Invalid email or password").unwrap();
        l.ui.handle(&Event::PointerLeft);
        l.ui.paint(&mut c, &mut text);
        write_png(&out.join(format!("login_pending_error_{tag}.png")), &c);
    }
    println!("PNGs in {}", out.display());
}
