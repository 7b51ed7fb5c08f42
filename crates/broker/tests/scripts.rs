//! Text in the Email field of a real confined renderer: every script drawn
//! from the broker's font pack (CJK, emoji, Arabic and Hebrew draw real
//! glyphs, not boxes, and the renderer still opens no file), the input
//! method's composition, and a double click selecting a word.
//!
//! With Noto Sans only, every character it lacks draws as the same box
//! (`.notdef`), so two different strings of the same length look exactly
//! alike. Each case therefore types a string and a different one of the
//! same length and script, and requires the field to look different.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::pixels::login_box;
use support::Harness;
use workshop_broker::shell::headless::HeadlessApp;
use workshop_common::input::{InputEvent, Key, Modifiers};
use workshop_common::sandbox_report::{Probe, ProbeOutcome};
use workshop_common::Role;

/// Pairs of same-script, same-length strings that differ only in which
/// glyphs they need.
const CASES: &[(&str, &str, &str)] = &[
    ("Han", "中文", "文中"),
    ("Emoji", "😀", "😎"),
    ("Arabic", "مرحبا", "ابحرم"),
    ("Hebrew", "שלום", "םולש"),
];

/// The Email field's pixels.
fn field(app: &HeadlessApp) -> Vec<u32> {
    let r = login_box(|w| w.email_input_id());
    let win = app.backend().window(Role::Login).unwrap();
    let mut px = Vec::new();
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            px.push(win.pixels[(y * win.width + x) as usize]);
        }
    }
    px
}

fn ctrl(c: char) -> InputEvent {
    InputEvent::Key {
        key: Key::Char(c),
        modifiers: Modifiers {
            ctrl: true,
            ..Modifiers::default()
        },
    }
}

/// Empties the field and waits until it looks as it did empty.
fn clear(h: &mut Harness, empty: &[u32]) {
    h.input(Role::Login, ctrl('a'));
    h.app.key(Role::Login, Key::Backspace, Modifiers::default());
    h.until("the field looks empty again", |app| field(app) == empty);
}

/// Types `text` into the (empty) field and returns the field's pixels
/// once they changed (text arrives as one event, so in one frame).
fn typed(h: &mut Harness, text: &str, empty: &[u32]) -> Vec<u32> {
    h.app.type_text(Role::Login, text);
    h.until(&format!("{text} painted"), |app| field(app) != empty);
    field(&h.app)
}

#[test]
fn cjk_emoji_arabic_and_hebrew_draw_real_glyphs_from_the_font_pack() {
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    h.click_check();
    h.wait_ready(Role::Login);
    let r = login_box(|w| w.email_input_id());
    h.app.click(
        Role::Login,
        (r.x + r.width / 2) as f32,
        (r.y + r.height / 2) as f32,
    );
    h.wait_frames(Role::Login, 2);
    let empty = field(&h.app);

    for &(script, a, b) in CASES {
        let drawn_a = typed(&mut h, a, &empty);
        clear(&mut h, &empty);
        let drawn_b = typed(&mut h, b, &empty);
        clear(&mut h, &empty);
        assert!(
            drawn_a != drawn_b,
            "{script}: {a} and {b} look alike: boxes, not glyphs"
        );
        if script == "Emoji" {
            let coloured = drawn_a.iter().any(|&p| {
                let [r, _, b] = support::pixels::channels(p);
                r.abs_diff(b) > 60
            });
            assert!(coloured, "the emoji is not in colour");
        }
    }

    // Still confined: the probe that opens a file was refused, and the
    // pack is a read-only shared mapping, its descriptor closed.
    let w = h.app.driver().core().window(Role::Login).unwrap();
    let report = w.renderer.report.as_ref().unwrap();
    let open = report
        .probes
        .iter()
        .find(|p| p.probe == Probe::OpenRead)
        .unwrap();
    assert!(
        matches!(open.outcome, ProbeOutcome::Denied { .. }),
        "{open:?}"
    );
}

/// The inode and permissions of the font pack's mapping in `pid`.
fn pack_mapping(pid: u32) -> (String, String) {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let line = maps
        .lines()
        .find(|l| l.contains("memfd:workshop-fonts"))
        .unwrap_or_else(|| panic!("no font pack mapped in {pid}:\n{maps}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    (fields[1].to_owned(), fields[4].to_owned())
}

#[test]
fn every_renderer_maps_the_same_sealed_pack_read_only() {
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    h.click_check();
    h.wait_ready(Role::Login);
    let core = h.app.driver().core();
    let main = core.window(Role::Main).unwrap().renderer.pid.unwrap();
    let login = core.window(Role::Login).unwrap().renderer.pid.unwrap();
    let (main_perm, main_inode) = pack_mapping(main);
    let (login_perm, login_inode) = pack_mapping(login);
    assert_eq!(main_perm, "r--s", "read-only, shared");
    assert_eq!(login_perm, "r--s", "read-only, shared");
    assert_eq!(main_inode, login_inode, "one object for every renderer");
    for pid in [main, login] {
        let fds: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            !fds.iter().any(|fd| fd == "4"),
            "the pack's descriptor is closed once mapped: {fds:?}"
        );
    }
}

/// Rows of the Email field (relative to its box) where `a` and `b` differ.
fn differing_rows(a: &[u32], b: &[u32], width: u32) -> Vec<u32> {
    let mut rows: Vec<u32> = a
        .iter()
        .zip(b)
        .enumerate()
        .filter(|(_, (p, q))| p != q)
        .map(|(i, _)| i as u32 / width)
        .collect();
    rows.dedup();
    rows
}

#[test]
fn ime_composition_is_drawn_underlined_at_the_caret_then_committed() {
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    h.click_check();
    h.wait_ready(Role::Login);
    let r = login_box(|w| w.email_input_id());
    h.app.click(
        Role::Login,
        (r.x + r.width / 2) as f32,
        (r.y + r.height / 2) as f32,
    );
    h.wait_frames(Role::Login, 2);
    let empty = field(&h.app);

    // What the user gets by typing "中文" with the keyboard: the reference.
    let keyboard = typed(&mut h, "中文", &empty);
    clear(&mut h, &empty);

    // The input method composes "中文": drawn, underlined, not yet typed.
    h.input(Role::Login, InputEvent::ImePreedit("中文".into()));
    h.until("the composition painted", |app| field(app) != empty);
    let composing = field(&h.app);
    let rows = differing_rows(&composing, &keyboard, r.width);
    assert!(
        !rows.is_empty() && rows.len() <= 2,
        "the composition is the typed text plus an underline (1 px): rows {rows:?}"
    );
    let underline_row = rows[0];
    let ink = composing
        [(underline_row * r.width) as usize..((underline_row + 1) * r.width) as usize]
        .iter()
        .zip(
            &keyboard[(underline_row * r.width) as usize..((underline_row + 1) * r.width) as usize],
        )
        .filter(|(p, q)| p != q)
        .count();
    assert!(ink >= 20, "the underline spans the composed text: {ink} px");

    // Committed: the same pixels as typing it, the underline gone.
    h.input(Role::Login, InputEvent::ImeCommit("中文".into()));
    h.until("the commit painted", |app| field(app) == keyboard);

    // A composition in the middle of the text sits at the caret: "ab",
    // caret between, compose "中" → looks like "a中b" (caret after the 中)
    // plus an underline.
    clear(&mut h, &empty);
    let a_zhong_b = typed(&mut h, "a中b", &empty);
    h.app.key(Role::Login, Key::Left, Modifiers::default());
    h.until("the caret one step left", |app| field(app) != a_zhong_b);
    let reference = field(&h.app);
    clear(&mut h, &empty);
    let ab = typed(&mut h, "ab", &empty);
    h.app.key(Role::Login, Key::Left, Modifiers::default());
    h.until("the caret between a and b", |app| field(app) != ab);
    let ab_left = field(&h.app);
    h.input(Role::Login, InputEvent::ImePreedit("中".into()));
    h.until("the composition painted at the caret", |app| {
        field(app) != ab_left
    });
    let rows = differing_rows(&field(&h.app), &reference, r.width);
    assert!(
        !rows.is_empty() && rows.len() <= 2,
        "a中b plus an underline: rows {rows:?}"
    );
    // Cancelled (an empty composition): back to "ab", caret between.
    h.input(Role::Login, InputEvent::ImePreedit(String::new()));
    h.until("the composition gone", |app| field(app) == ab_left);
}

#[test]
fn a_double_click_selects_the_word_under_the_pointer() {
    use workshop_broker::core::Selection;
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    h.click_check();
    h.wait_ready(Role::Login);
    let r = login_box(|w| w.email_input_id());
    let (x, y) = ((r.x + 20) as f32, (r.y + r.height / 2) as f32);
    h.app.click(Role::Login, x, y);
    h.wait_frames(Role::Login, 2);
    let empty = field(&h.app);
    let _ = typed(&mut h, "hello world", &empty);
    // What the desktop shell sends for a double click over "hello".
    h.input(Role::Login, InputEvent::PointerMoved { x, y });
    for e in [
        InputEvent::PointerPressed,
        InputEvent::PointerReleased,
        InputEvent::PointerPressed,
        InputEvent::DoubleClicked,
        InputEvent::PointerReleased,
    ] {
        h.input(Role::Login, e);
    }
    h.input(Role::Login, ctrl('c'));
    h.until("the word on the clipboard", |app| {
        app.backend().clipboard(Selection::Clipboard) == Some("hello")
    });
}
