//! The two Workshop windows, built as the content crates build them: layout
//! numbers against the original CSS, exact pixels, damage, PNG snapshots.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{LoginWindow, MainState, MainWindow};
use workshop_ui::{theme, Canvas, CursorIcon, Event, PxRect, Rect, TextSystem, Ui, LINE_HEIGHT};

const EPS: f32 = 0.01;

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < EPS
}

fn logged_in() -> MainState {
    MainState::LoggedIn {
        name: "Bruce Wayne".into(),
        email: "bruce@wayne.com".into(),
    }
}

fn canvas(scale: f32) -> Canvas {
    let px = (400.0 * scale) as u32;
    Canvas::new(px, px, scale).unwrap()
}

/// Centre of a widget's box, in logical pixels.
fn centre(r: Rect) -> (f32, f32) {
    (r.x + r.w / 2.0, r.y + r.h / 2.0)
}

fn px(c: &Canvas, x: f32, y: f32) -> u32 {
    let s = c.scale();
    c.pixel_0rgb((x * s) as u32, (y * s) as u32).unwrap()
}

#[test]
fn main_window_layout_matches_css() {
    let mut text = TextSystem::new();
    let mut w = MainWindow::new(&MainState::LoggedOut).unwrap();
    w.ui.layout(&mut text);
    let heading = w.ui.bounds(w.heading).unwrap();
    let check = w.ui.bounds(w.check).unwrap();
    let close_b = w.ui.bounds(w.close).unwrap();

    // padding 48px 24px; heading (h2 = 24 px bold) at the top, centred.
    assert!(close(heading.y, 48.0), "{heading:?}");
    assert!(close(heading.h, 24.0 * LINE_HEIGHT));
    assert!(close(heading.x + heading.w / 2.0, 200.0), "heading centred");
    assert!(heading.w > 150.0 && heading.w < 250.0, "{heading:?}");
    // Close: 250 × 48, centred, bottom edge on the bottom padding.
    assert_eq!(close_b, Rect::new(75.0, 304.0, 250.0, 48.0));
    // The middle group sits with equal space above and below.
    assert!(close(check.w, 250.0) && close(check.h, 48.0) && close(check.x, 75.0));
    let above = check.y - heading.bottom();
    let below = close_b.y - check.bottom();
    assert!(close(above, below) && above > 16.0, "{above} vs {below}");
    for id in [w.initializing, w.welcome, w.email, w.logout] {
        assert_eq!(w.ui.bounds(id), None, "hidden widgets take no space");
    }

    w.show(&logged_in()).unwrap();
    w.ui.layout(&mut text);
    let welcome = w.ui.bounds(w.welcome).unwrap();
    let email = w.ui.bounds(w.email).unwrap();
    let logout = w.ui.bounds(w.logout).unwrap();
    assert_eq!(w.ui.bounds(w.check), None);
    assert!(close(welcome.h, 16.0 * LINE_HEIGHT));
    assert!(
        close(email.y, welcome.bottom() + 16.0),
        "gap 16 in the group"
    );
    assert!(close(logout.y, email.bottom() + 16.0));
    assert!(close(logout.w, 250.0) && close(logout.x, 75.0));
    assert!(close(
        welcome.y - heading.bottom(),
        close_b.y - logout.bottom()
    ));
    for r in [welcome, email] {
        assert!(close(r.x + r.w / 2.0, 200.0), "text centred: {r:?}");
    }
    assert_eq!(
        w.ui.bounds(w.close),
        Some(Rect::new(75.0, 304.0, 250.0, 48.0))
    );
}

#[test]
fn login_window_layout_matches_css() {
    let mut text = TextSystem::new();
    let mut w = LoginWindow::new().unwrap();
    w.ui.layout(&mut text);
    let email = w.ui.bounds(w.email).unwrap();
    let password = w.ui.bounds(w.password).unwrap();
    let submit = w.ui.bounds(w.submit).unwrap();
    let error = w.ui.bounds(w.error).unwrap();
    // Form: 70 % of 400 = 280 wide, centred; children stretched.
    for r in [email, password, submit, error] {
        assert!(close(r.x, 60.0) && close(r.w, 280.0), "{r:?}");
    }
    assert!(close(email.h, 36.0) && close(password.h, 36.0) && close(submit.h, 48.0));
    assert!(close(password.y, email.bottom() + 16.0));
    assert!(close(submit.y, password.bottom() + 16.0));
    assert!(close(error.y, submit.bottom() + 16.0));
    // Centred vertically: equal space above and below the form.
    assert!(
        close(email.y, 400.0 - error.bottom()),
        "{email:?} {error:?}"
    );
}

#[test]
fn hit_testing_and_cursor() {
    let mut text = TextSystem::new();
    let mut w = MainWindow::new(&MainState::LoggedOut).unwrap();
    w.ui.layout(&mut text);
    let (cx, cy) = centre(w.ui.bounds(w.close).unwrap());
    assert_eq!(w.ui.widget_at(cx, cy), Some(w.close));
    assert_eq!(
        w.ui.widget_at(75.0, 304.0),
        Some(w.close),
        "top-left edge inside"
    );
    assert_eq!(w.ui.widget_at(325.0, 320.0), None, "right edge outside");
    assert_eq!(w.ui.widget_at(74.9, 320.0), None);
    assert_eq!(w.ui.widget_at(200.0, 60.0), Some(w.heading));
    assert_eq!(w.ui.widget_at(5.0, 5.0), None);

    w.ui.handle(&Event::PointerMoved { x: cx, y: cy });
    assert_eq!(w.ui.cursor(), CursorIcon::Pointer);
    w.ui.handle(&Event::PointerMoved { x: 200.0, y: 60.0 });
    assert_eq!(
        w.ui.cursor(),
        CursorIcon::Default,
        "labels are not interactive"
    );
    assert_eq!(w.ui.hovered(), None);

    let mut l = LoginWindow::new().unwrap();
    l.ui.layout(&mut text);
    let (ex, ey) = centre(l.ui.bounds(l.email).unwrap());
    l.ui.handle(&Event::PointerMoved { x: ex, y: ey });
    assert_eq!(l.ui.cursor(), CursorIcon::Text);
    let (sx, sy) = centre(l.ui.bounds(l.submit).unwrap());
    l.ui.handle(&Event::PointerMoved { x: sx, y: sy });
    assert_eq!(l.ui.cursor(), CursorIcon::Default, "disabled submit: arrow");
    l.ui.handle(&Event::PointerLeft);
    assert_eq!(l.ui.cursor(), CursorIcon::Default);
}

#[test]
fn first_paint_is_full_then_nothing_then_only_the_hovered_button() {
    for scale in [1.0f32, 2.0] {
        let mut text = TextSystem::new();
        let mut w = MainWindow::new(&MainState::LoggedOut).unwrap();
        let mut c = canvas(scale);
        assert!(w.ui.needs_paint());
        assert_eq!(w.ui.paint(&mut c, &mut text), Some(c.bounds()));
        assert!(!w.ui.needs_paint());
        assert_eq!(w.ui.paint(&mut c, &mut text), None, "no change, no damage");

        let check = w.ui.bounds(w.check).unwrap();
        let expect = check.to_px_snapped(scale);
        let (x, y) = centre(check);
        w.ui.handle(&Event::PointerMoved { x, y });
        assert_eq!(w.ui.paint(&mut c, &mut text), Some(expect), "scale {scale}");
        // Moving within the same button changes nothing.
        w.ui.handle(&Event::PointerMoved { x: x + 3.0, y });
        assert_eq!(w.ui.paint(&mut c, &mut text), None);
        w.ui.handle(&Event::PointerLeft);
        assert_eq!(w.ui.paint(&mut c, &mut text), Some(expect));
        if scale == 2.0 {
            assert_eq!(
                expect,
                PxRect::new(150, (2.0 * check.y).round() as u32, 500, 96)
            );
        }

        // Hover moving from one button straight to another: both.
        w.ui.handle(&Event::PointerMoved { x, y });
        w.ui.paint(&mut c, &mut text);
        let (cx, cy) = centre(w.ui.bounds(w.close).unwrap());
        w.ui.handle(&Event::PointerMoved { x: cx, y: cy });
        let both = expect.union(&w.ui.bounds(w.close).unwrap().to_px_snapped(scale));
        assert_eq!(w.ui.paint(&mut c, &mut text), Some(both));

        // A new canvas (resize / rescale) repaints everything.
        let mut c2 = canvas(scale);
        assert_eq!(w.ui.paint(&mut c2, &mut text), Some(c2.bounds()));
        // So does a tree change.
        w.show(&logged_in()).unwrap();
        assert_eq!(w.ui.paint(&mut c2, &mut text), Some(c2.bounds()));
    }
}

#[test]
fn label_change_damages_only_its_row() {
    let mut text = TextSystem::new();
    let mut w = MainWindow::new(&logged_in()).unwrap();
    let mut c = canvas(1.0);
    w.ui.paint(&mut c, &mut text);
    let before = w.ui.bounds(w.email).unwrap();
    w.ui.set_text(w.email, "Your email: b@w.io").unwrap();
    let damage = w.ui.paint(&mut c, &mut text).unwrap();
    let after = w.ui.bounds(w.email).unwrap();
    assert!(after.w < before.w);
    assert_eq!(damage.y, before.y.round() as u32);
    assert_eq!(damage.height, before.h.round() as u32);
    assert!(damage.x <= before.x as u32 && damage.right() >= before.right() as u32);
    // Setting the same text again is not a change.
    w.ui.set_text(w.email, "Your email: b@w.io").unwrap();
    assert_eq!(w.ui.paint(&mut c, &mut text), None);
}

/// Incremental painting must leave exactly the pixels a full paint of the
/// same state would.
#[test]
fn incremental_paint_equals_full_paint() {
    for scale in [1.0f32, 2.0] {
        let mut text = TextSystem::new();
        let mut w = MainWindow::new(&logged_in()).unwrap();
        let mut c = canvas(scale);
        w.ui.paint(&mut c, &mut text);
        let (lx, ly) = centre(w.ui.bounds(w.logout).unwrap());
        let (cx, cy) = centre(w.ui.bounds(w.close).unwrap());
        for ev in [
            Event::PointerMoved { x: lx, y: ly },
            Event::PointerPressed { x: lx, y: ly },
            Event::PointerMoved { x: cx, y: cy },
            Event::PointerReleased { x: cx, y: cy },
            Event::PointerMoved { x: lx, y: ly },
        ] {
            w.ui.handle(&ev);
            w.ui.paint(&mut c, &mut text);
        }
        w.ui.set_text(w.welcome, "Welcome, Clark Kent!").unwrap();
        w.ui.paint(&mut c, &mut text);

        let mut fresh = MainWindow::new(&MainState::LoggedIn {
            name: "Clark Kent".into(),
            email: "bruce@wayne.com".into(),
        })
        .unwrap();
        // Hit-testing uses the last layout (what is on screen), so lay out
        // before pointing at anything.
        fresh.ui.layout(&mut text);
        fresh.ui.handle(&Event::PointerMoved { x: lx, y: ly });
        assert_eq!(fresh.ui.hovered(), Some(fresh.logout));
        let mut c2 = canvas(scale);
        fresh.ui.paint(&mut c2, &mut text);
        assert!(c.to_rgba_image() == c2.to_rgba_image(), "scale {scale}");
    }
}

#[test]
fn background_and_button_pixels_are_exact() {
    for scale in [1.0f32, 2.0] {
        let mut text = TextSystem::new();
        let mut w = MainWindow::new(&MainState::LoggedOut).unwrap();
        let mut c = canvas(scale);
        w.ui.paint(&mut c, &mut text);
        let last = c.width_px() - 1;
        for (x, y) in [(0, 0), (last, 0), (0, last), (last, last)] {
            assert_eq!(c.pixel_0rgb(x, y), Some(0xf9f9f9), "corner at {scale}");
        }
        let check = w.ui.bounds(w.check).unwrap();
        // Idle: border in blue, transparent interior, blue text.
        assert_eq!(
            px(&c, check.x + 0.5, check.y + 24.0),
            0x58b9f1,
            "left border"
        );
        assert_eq!(
            px(&c, check.x + 1.5, check.y + 24.0),
            0x58b9f1,
            "2 px border"
        );
        assert_eq!(
            px(&c, check.x + 2.5, check.y + 24.0),
            0xf9f9f9,
            "inside border"
        );
        assert_eq!(
            px(&c, check.x + 12.0, check.y + 6.0),
            0xf9f9f9,
            "transparent"
        );
        // Hovered: filled with blue.
        let (x, y) = centre(check);
        w.ui.handle(&Event::PointerMoved { x, y });
        w.ui.paint(&mut c, &mut text);
        assert_eq!(
            px(&c, check.x + 12.0, check.y + 6.0),
            0x58b9f1,
            "hover fill"
        );
        assert_eq!(px(&c, check.x + 0.5, check.y + 24.0), 0x58b9f1);
        assert_eq!(px(&c, check.x - 1.0, check.y + 24.0), 0xf9f9f9, "outside");
        // Rounded corner: the very corner pixel stays background.
        assert_eq!(px(&c, check.x, check.y), 0xf9f9f9, "10 px radius");
        // Hover text is #f9f9f9 on blue: the label's pixels are light.
        assert!(
            count_colour(&c, check, 0xf9f9f9) > 20,
            "white text on hover"
        );
        // Pressed: slightly darker than the colour.
        w.ui.handle(&Event::PointerPressed { x, y });
        w.ui.paint(&mut c, &mut text);
        let pressed = px(&c, check.x + 12.0, check.y + 6.0);
        assert_ne!(pressed, 0x58b9f1);
        assert!(pressed & 0xff < 0xf1, "darker: {pressed:06x}");
    }
}

fn count_colour(c: &Canvas, r: Rect, colour: u32) -> usize {
    let s = c.scale();
    let b = r.to_px_snapped(s);
    let inner = PxRect::new(b.x + 4, b.y + 4, b.width - 8, b.height - 8);
    let mut n = 0;
    for y in inner.y..inner.bottom() {
        for x in inner.x..inner.right() {
            if c.pixel_0rgb(x, y) == Some(colour) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn login_pixels_disabled_enabled_hover() {
    for scale in [1.0f32, 2.0] {
        let mut text = TextSystem::new();
        let mut w = LoginWindow::new().unwrap();
        let mut c = canvas(scale);
        w.ui.paint(&mut c, &mut text);
        let submit = w.ui.bounds(w.submit).unwrap();
        let (sx, sy) = centre(submit);
        let border = |c: &Canvas| px(c, submit.x + 0.5, sy);
        let fill = |c: &Canvas| px(c, submit.x + 12.0, submit.y + 6.0);
        assert!(!w.ui.is_enabled(w.submit));
        assert_eq!(border(&c), 0xa7a7a7, "disabled border at {scale}");
        assert_eq!(px(&c, submit.x + 1.5, sy), 0xa7a7a7);
        assert_eq!(fill(&c), 0xfcfaf6, "submit fill");
        assert!(count_colour(&c, submit, 0xa7a7a7) > 10, "grey text");
        // Hovering a disabled button changes nothing.
        w.ui.handle(&Event::PointerMoved { x: sx, y: sy });
        assert_eq!(w.ui.paint(&mut c, &mut text), None);

        // Input: 1 px #BCBCBC border, white inside, placeholder #BCBCBC.
        let email = w.ui.bounds(w.email).unwrap();
        assert_eq!(px(&c, email.x + 0.5, email.y + 18.0), 0xbcbcbc);
        assert_eq!(px(&c, email.x + 1.5, email.y + 18.0), 0xffffff);
        assert!(count_colour(&c, email, 0xbcbcbc) > 10, "placeholder");

        w.ui.focus(w.email).unwrap();
        w.handle(&Event::Text("bruce@wayne.com".into())).unwrap();
        w.ui.focus(w.password).unwrap();
        w.handle(&Event::Text("batman".into())).unwrap();
        assert!(w.ui.is_enabled(w.submit));
        w.ui.handle(&Event::PointerLeft);
        w.ui.paint(&mut c, &mut text);
        assert_eq!(border(&c), 0x58bb80, "enabled border");
        assert_eq!(fill(&c), 0xfcfaf6);
        w.ui.handle(&Event::PointerMoved { x: sx, y: sy });
        w.ui.paint(&mut c, &mut text);
        assert_eq!(fill(&c), 0x58bb80, "hover fill");
        assert_eq!(w.ui.cursor(), CursorIcon::Pointer);
    }
}

/// The caret is a 1 px line in the text colour, shown only while the input
/// has focus and the window is focused.
#[test]
fn caret_follows_focus() {
    for scale in [1.0f32, 2.0] {
        let mut text = TextSystem::new();
        let mut w = LoginWindow::new().unwrap();
        let mut c = canvas(scale);
        w.ui.paint(&mut c, &mut text);
        let email = w.ui.bounds(w.email).unwrap();
        // Empty input: caret at the left padding edge (x + 8).
        let caret_col = |c: &Canvas| {
            let s = c.scale();
            let x = ((email.x + 8.0) * s).round() as u32;
            let y = ((email.y + 18.0) * s) as u32;
            c.pixel_0rgb(x, y).unwrap()
        };
        assert_eq!(caret_col(&c), 0xffffff);
        w.ui.focus(w.email).unwrap();
        w.ui.paint(&mut c, &mut text);
        assert_eq!(caret_col(&c), 0x000000, "caret at {scale}");
        assert_eq!(
            px(&c, email.x + 0.5, email.y + 18.0),
            theme::BLUE.to_0rgb(),
            "focus border"
        );
        w.ui.handle(&Event::FocusLost);
        let d = w.ui.paint(&mut c, &mut text);
        assert_eq!(
            d,
            Some(email.to_px_snapped(scale)),
            "only the input repaints"
        );
        assert_eq!(caret_col(&c), 0xffffff, "no caret without window focus");
        w.ui.handle(&Event::FocusGained);
        w.ui.paint(&mut c, &mut text);
        assert_eq!(caret_col(&c), 0x000000);
    }
}

/// A value longer than the field scrolls so the caret stays visible; when
/// the field loses focus it shows the start again.
#[test]
fn long_values_scroll_to_the_caret() {
    let mut text = TextSystem::new();
    let mut w = LoginWindow::new().unwrap();
    let mut c = canvas(1.0);
    w.ui.focus(w.email).unwrap();
    w.handle(&Event::Text(
        "bruce.wayne.the.batman@wayne-enterprises.example.com".into(),
    ))
    .unwrap();
    w.ui.paint(&mut c, &mut text);
    let e = w.ui.bounds(w.email).unwrap();
    let caret_at_end = px(&c, e.right() - 8.0, e.y + 18.0);
    assert_eq!(
        caret_at_end, 0x000000,
        "caret at the content box's right edge"
    );
    // Nothing is drawn over the padding or the border.
    for x in [e.right() - 1.5, e.right() - 4.0] {
        assert!(
            matches!(px(&c, x, e.y + 18.0), 0xffffff | 0x58b9f1),
            "at {x}"
        );
    }
    w.ui.handle(&key_home());
    w.ui.paint(&mut c, &mut text);
    assert_eq!(
        px(&c, e.x + 8.0, e.y + 18.0),
        0x000000,
        "caret back at the start"
    );
}

fn key_home() -> Event {
    Event::Key {
        key: workshop_ui::Key::Home,
        modifiers: workshop_ui::Modifiers::NONE,
    }
}

#[test]
fn masked_input_never_shows_its_value() {
    let mut text = TextSystem::new();
    let mut w = LoginWindow::new().unwrap();
    w.ui.focus(w.password).unwrap();
    w.handle(&Event::Text("hunter2".into())).unwrap();
    assert_eq!(w.ui.value(w.password), "hunter2");
    assert_eq!(w.ui.display_text(w.password).unwrap(), "•••••••");
    let dbg = format!("{:?}", w.ui);
    assert!(!dbg.contains("hunter2"), "Debug leaks the password");
    // Masked pixels equal those of an input showing the bullets.
    let mut c = canvas(1.0);
    w.ui.blur();
    w.ui.paint(&mut c, &mut text);
    let mut other = LoginWindow::new().unwrap();
    other.ui.set_text(other.password, "hunter2").unwrap();
    let mut c2 = canvas(1.0);
    other.ui.paint(&mut c2, &mut text);
    assert!(c.to_rgba_image() == c2.to_rgba_image());
    w.ui.clear(w.password).unwrap();
    assert_eq!(w.ui.value(w.password), "");
}

fn write_png(name: &str, c: &Canvas) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-windows");
    std::fs::create_dir_all(&dir).unwrap();
    let file = std::fs::File::create(dir.join(name)).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), c.width_px(), c.height_px());
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut wr = enc.write_header().unwrap();
    wr.write_image_data(&c.to_rgba_image()).unwrap();
}

/// Writes PNGs of both windows (under the cargo target dir's tmp folder,
/// `ui-windows/`) for people to look at, and checks they are not blank.
#[test]
fn render_both_windows_to_png() {
    let mut text = TextSystem::new();
    for scale in [1.0f32, 2.0] {
        let tag = if scale == 1.0 { "1x" } else { "2x" };
        let mut m = MainWindow::new(&MainState::LoggedOut).unwrap();
        let mut c = canvas(scale);
        m.ui.paint(&mut c, &mut text);
        write_png(&format!("main_{tag}.png"), &c);
        assert!(non_background(&c) > 1000);
        let mut l = LoginWindow::new().unwrap();
        let mut c = canvas(scale);
        l.ui.paint(&mut c, &mut text);
        write_png(&format!("login_{tag}.png"), &c);
        assert!(non_background(&c) > 1000);
    }
}

fn non_background(c: &Canvas) -> usize {
    let mut frame = vec![0u32; (c.width_px() * c.height_px()) as usize];
    c.copy_to_0rgb(c.bounds(), &mut frame, c.width_px());
    frame.iter().filter(|&&p| p != 0xf9f9f9).count()
}

#[test]
fn copy_to_0rgb_from_a_painted_window() {
    let mut text = TextSystem::new();
    let mut w = MainWindow::new(&MainState::LoggedOut).unwrap();
    let mut c = canvas(1.0);
    w.ui.paint(&mut c, &mut text);
    let mut frame = vec![0u32; 400 * 400];
    c.copy_to_0rgb(PxRect::new(0, 0, 400, 400), &mut frame, 400);
    assert_eq!(frame[0], 0xf9f9f9);
    let close_b = w.ui.bounds(w.close).unwrap();
    assert_eq!(frame[(close_b.y as usize + 24) * 400 + 75], 0xec6262);
    for r in [
        PxRect::new(399, 399, u32::MAX, u32::MAX),
        PxRect::new(u32::MAX, 0, 1, 1),
        PxRect::new(0, 0, 401, 401),
    ] {
        c.copy_to_0rgb(r, &mut frame, 400);
        c.copy_to_0rgb(r, &mut frame[..1000], 400);
        c.copy_to_0rgb(r, &mut frame, 1);
    }
}

#[test]
fn ui_with_no_tree_paints_background() {
    let mut text = TextSystem::new();
    let mut ui = Ui::new(400.0, 400.0);
    let mut c = canvas(1.0);
    assert_eq!(ui.paint(&mut c, &mut text), Some(c.bounds()));
    assert_eq!(c.pixel_0rgb(200, 200), Some(0xf9f9f9));
}

fn tab(shift: bool) -> Event {
    Event::Key {
        key: workshop_ui::Key::Tab,
        modifiers: if shift {
            workshop_ui::Modifiers::SHIFT
        } else {
            workshop_ui::Modifiers::NONE
        },
    }
}

/// Keyboard focus draws a 2 px ring 2 px outside the control, in its colour
/// (buttons) or the input focus colour; pointer focus draws none. Damage
/// covers the ring: an incremental paint equals a full one.
#[test]
fn focus_ring_for_keyboard_focus_only() {
    for scale in [1.0f32, 2.0] {
        let mut text = TextSystem::new();
        let mut w = MainWindow::new(&MainState::LoggedOut).unwrap();
        let mut c = canvas(scale);
        w.ui.paint(&mut c, &mut text);
        let close_box = w.ui.bounds(w.close).unwrap();
        let check_box = w.ui.bounds(w.check).unwrap();
        let below = |r: Rect| (r.x + r.w / 2.0, r.bottom() + 3.0);
        let left = |r: Rect| (r.x - 3.0, r.y + r.h / 2.0);
        let at = |c: &Canvas, p: (f32, f32)| px(c, p.0, p.1);
        let bg = theme::BACKGROUND.to_0rgb();
        assert_eq!(at(&c, below(close_box)), bg);

        w.ui.handle(&tab(false));
        w.ui.handle(&tab(false));
        assert_eq!(w.ui.focused(), Some(w.close));
        let d = w.ui.paint(&mut c, &mut text).unwrap();
        assert_eq!(at(&c, below(close_box)), theme::RED.to_0rgb(), "{scale}");
        assert_eq!(at(&c, left(close_box)), theme::RED.to_0rgb(), "{scale}");
        assert_eq!(
            at(
                &c,
                (close_box.x + close_box.w / 2.0, close_box.bottom() + 5.0)
            ),
            bg,
            "2 px wide"
        );
        assert_eq!(at(&c, below(check_box)), bg, "only the focused one");
        let ring = close_box.to_px_snapped(scale);
        assert!(
            d.contains_rect(&ring.outset((4.0 * scale) as u32, (4.0 * scale) as u32)),
            "damage {d:?} covers the ring"
        );
        let mut full = canvas(scale);
        w.ui.invalidate();
        w.ui.paint(&mut full, &mut text);
        assert!(
            c.to_rgba_image() == full.to_rgba_image(),
            "incremental == full"
        );

        // Back to the check button: the old ring is erased.
        w.ui.handle(&tab(true));
        w.ui.paint(&mut c, &mut text);
        assert_eq!(at(&c, below(close_box)), bg);
        assert_eq!(at(&c, below(check_box)), theme::BLUE.to_0rgb());

        // A click focuses Close without a ring.
        let (x, y) = centre(close_box);
        w.ui.handle(&Event::PointerPressed { x, y });
        w.ui.handle(&Event::PointerReleased { x, y });
        w.ui.handle(&Event::PointerLeft);
        w.ui.paint(&mut c, &mut text);
        assert_eq!(w.ui.focused(), Some(w.close));
        assert_eq!(at(&c, below(close_box)), bg);
        assert_eq!(at(&c, below(check_box)), bg);

        // Inputs get the ring too, in the input focus colour.
        let mut l = LoginWindow::new().unwrap();
        let mut c = canvas(scale);
        l.ui.handle(&tab(false));
        l.ui.paint(&mut c, &mut text);
        let email = l.ui.bounds(l.email).unwrap();
        assert_eq!(at(&c, left(email)), theme::INPUT_FOCUS_BORDER.to_0rgb());
        write_png(&format!("focus_ring_email_{scale}x.png"), &c);
        l.ui.handle(&tab(false));
        l.ui.paint(&mut c, &mut text);
        assert_eq!(at(&c, left(email)), bg);
    }
}

fn ev_key(key: workshop_ui::Key, modifiers: workshop_ui::Modifiers) -> Event {
    Event::Key { key, modifiers }
}

/// A selection is a light highlight behind the selected glyphs (the mask
/// dots in a password field), drawn only while the input has focus.
#[test]
fn selection_is_drawn_behind_text_and_dots() {
    use workshop_ui::{Key, Modifiers};
    for scale in [1.0f32, 2.0] {
        let mut text = TextSystem::new();
        let mut w = LoginWindow::new().unwrap();
        let mut c = canvas(scale);
        w.ui.focus(w.email).unwrap();
        w.handle(&Event::Text("bruce@wayne.com".into())).unwrap();
        w.ui.focus(w.password).unwrap();
        w.handle(&Event::Text("batman".into())).unwrap();
        w.ui.paint(&mut c, &mut text);
        let email = w.ui.bounds(w.email).unwrap();
        let password = w.ui.bounds(w.password).unwrap();
        let sel = theme::SELECTION.to_0rgb();
        assert_eq!(count_colour(&c, email, sel), 0);
        assert_eq!(count_colour(&c, password, sel), 0);

        // Shift+Home in the password: the dots' whole run is highlighted,
        // the dots still drawn over it.
        w.ui.handle(&ev_key(Key::Home, Modifiers::SHIFT));
        w.ui.paint(&mut c, &mut text);
        let in_password = count_colour(&c, password, sel);
        assert!(in_password as f32 > 20.0 * scale * scale, "{in_password}");
        let dark = count_where(&c, password, |p| p & 0xff < 0x40);
        assert!(dark > 0, "dots over the highlight");
        write_png(&format!("selection_password_{scale}x.png"), &c);

        // Focus moves to the email and selects its last word with
        // Ctrl+Shift+Left; the password's highlight goes away.
        w.ui.focus(w.email).unwrap();
        w.ui.handle(&ev_key(
            Key::Left,
            Modifiers {
                shift: true,
                ctrl: true,
            },
        ));
        assert_eq!(w.ui.selected_text(w.email), Some("wayne.com"));
        w.ui.paint(&mut c, &mut text);
        assert_eq!(count_colour(&c, password, sel), 0);
        let in_email = count_colour(&c, email, sel);
        assert!(in_email > in_password / 2, "{in_email}");
        write_png(&format!("selection_email_{scale}x.png"), &c);
        // The highlight is behind the selected glyphs only: to the right
        // of the caret's old place, not over "bruce@".
        let left_half = Rect::new(email.x, email.y, 60.0, email.h);
        assert_eq!(count_colour(&c, left_half, sel), 0);
    }
}

fn count_where(c: &Canvas, r: Rect, pred: impl Fn(u32) -> bool) -> usize {
    let s = c.scale();
    let b = r.to_px_snapped(s);
    let mut n = 0;
    for y in b.y..b.bottom() {
        for x in b.x..b.right() {
            if c.pixel_0rgb(x, y).is_some_and(&pred) {
                n += 1;
            }
        }
    }
    n
}
