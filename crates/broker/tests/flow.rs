//! The whole workshop app in the headless shell with real renderer
//! processes: every stage of the original, the failure paths, and what must
//! persist.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{Harness, Options};
use workshop_broker::auth::{RejectAll, SimulatedApi};
use workshop_broker::core::GoneReason;
use workshop_broker::settings::{Placement, Settings, SettingsStore};
use workshop_broker::shell::headless::headless_display;
use workshop_common::Role;

fn welcome_ink(app: &workshop_broker::shell::headless::HeadlessApp) -> usize {
    let (_, y) = support::main_centre(Some(&support::bruce("bruce@wayne.com")), |w| w.welcome_id());
    support::ink(app, Role::Main, 24, y as u32 - 8, 352, 16)
}

#[test]
fn the_whole_flow() {
    let mut h = Harness::start(Options {
        auth: Arc::new(SimulatedApi {
            delay: Duration::from_millis(400),
        }),
        ..support::options()
    });
    // "Initializing..." then the signed-out view.
    h.wait_main_initialized();
    assert_eq!(h.app.driver().core().user(), None);
    // Open the Login Window.
    h.click_check();
    h.wait_ready(Role::Login);
    let (sx, sy) = support::login_centre(|w| w.submit_button_id());
    // Submit: "loading..." while pending (the button repaints in grey).
    let frames = h.frames(Role::Login);
    h.submit_login("bruce@wayne.com", "hunter2");
    h.wait_frames(Role::Login, frames + 1);
    assert!(
        h.app.backend().window(Role::Login).is_some(),
        "still open while pending"
    );
    let px = {
        let w = h.app.backend().window(Role::Login).unwrap();
        // The disabled button's 2 px border, left edge, mid-height.
        w.pixels[(sy as u32 * w.width + (sx as u32 - 139)) as usize]
    };
    assert_eq!(px & 0xFFFFFF, 0xA7A7A7, "grey while loading");
    // Success: Login closed, Main greets Bruce Wayne.
    h.until("signed in and login closed", |app| {
        app.driver().core().user().is_some() && app.backend().window(Role::Login).is_none()
    });
    h.until("welcome shown", |app| welcome_ink(app) > 50);
    // Logout.
    let (lx, ly) = support::main_centre(Some(&support::bruce("bruce@wayne.com")), |w| {
        w.logout_button_id()
    });
    h.app.click(Role::Main, lx, ly);
    h.until("signed out", |app| {
        app.driver().core().user().is_none() && welcome_ink(app) == 0
    });
    assert_eq!(h.broker_log_count("Logging out"), 1);
    // Close: everything closes and the app quits.
    let (cx, cy) = support::main_centre(None, |w| w.close_button_id());
    h.app.click(Role::Main, cx, cy);
    h.until("quit", |app| app.has_quit());
    let log = h.broker_log();
    assert!(log.contains("Closing Application") && log.contains("All Windows Closed"));
    assert!(!log.contains("hunter2"));
}

#[test]
fn a_failing_authenticator_keeps_the_login_window() {
    let mut h = Harness::start(Options {
        auth: Arc::new(RejectAll {
            delay: Duration::from_millis(10),
        }),
        ..support::options()
    });
    h.wait_main_initialized();
    h.click_check();
    let login = h.wait_ready(Role::Login);
    h.submit_login("bruce@wayne.com", "wrong");
    let (_, ey) = support::login_error_centre(|w| w.error_label_id());
    h.until("error shown", |app| {
        support::ink(app, Role::Login, 60, ey as u32 - 8, 280, 16) > 20
    });
    assert_eq!(h.generation(Role::Login), Some(login));
    assert_eq!(h.app.driver().core().user(), None);
}

#[test]
fn closing_the_login_window_while_pending_is_clean() {
    let mut h = Harness::start(Options {
        auth: Arc::new(SimulatedApi {
            delay: Duration::from_millis(300),
        }),
        ..support::options()
    });
    h.wait_main_initialized();
    h.click_check();
    let login = h.wait_ready(Role::Login);
    h.submit_login("bruce@wayne.com", "pw");
    h.until("request in flight", |app| {
        app.driver()
            .core()
            .window(Role::Login)
            .is_some_and(|w| !w.renderer.proto.in_flight().is_empty())
    });
    h.app.close_requested(Role::Login);
    let gone = h.wait_gone_full(Role::Login, login);
    assert_eq!(gone.reason, GoneReason::Closed);
    assert_eq!(gone.exit, Some(workshop_broker::core::ExitKind::Code(0)));
    // The authenticator finishes after the window is gone: no sign-in, no
    // crash, Main still works.
    h.until_logged("result dropped");
    assert_eq!(h.app.driver().core().user(), None);
    h.assert_responsive(Role::Main);
}

#[test]
fn positions_persist_per_display() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let mut h = Harness::start(Options {
        tweak: Box::new(move |c| c.user_data_dir = Some(path)),
        ..support::options()
    });
    h.wait_main_initialized();
    // A drag: several moves, one write after it settles.
    h.app.move_window(Role::Main, 310, 220);
    h.app.move_window(Role::Main, 320, 230);
    let store = SettingsStore::open(dir.path()).unwrap();
    h.until("settings written after the debounce", |_| {
        store
            .load()
            .map(|(s, _)| s.windows.get("main").map(|p| (p.x, p.y)) == Some((320, 230)))
            .unwrap_or(false)
    });
    let (cx, cy) = support::main_centre(None, |w| w.close_button_id());
    h.app.click(Role::Main, cx, cy);
    h.until("quit", |app| app.has_quit());
    drop(h);

    // Next start: restored on the same display.
    let path = dir.path().to_path_buf();
    let h = Harness::start(Options {
        tweak: Box::new(move |c| c.user_data_dir = Some(path)),
        ..support::options()
    });
    let w = h.app.backend().window(Role::Main).unwrap();
    assert_eq!((w.position.x, w.position.y), (320, 230));
    drop(h);

    // A display that no longer exists: the default position.
    let mut s = Settings::default();
    s.windows.insert(
        "main".into(),
        Placement {
            x: 3000,
            y: 100,
            display: workshop_broker::settings::Display {
                name: Some("HDMI-2".into()),
                ..headless_display()
            },
        },
    );
    store.save(&s).unwrap();
    let path = dir.path().to_path_buf();
    let h = Harness::start(Options {
        tweak: Box::new(move |c| c.user_data_dir = Some(path)),
        ..support::options()
    });
    let w = h.app.backend().window(Role::Main).unwrap();
    assert_eq!((w.position.x, w.position.y), (200, 200));
}

#[test]
fn a_corrupt_settings_file_is_kept_aside_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        b"{\"version\":1,\"windows\":{",
    )
    .unwrap();
    let path = dir.path().to_path_buf();
    let mut h = Harness::start(Options {
        tweak: Box::new(move |c| c.user_data_dir = Some(path)),
        ..support::options()
    });
    h.wait_main_initialized();
    assert!(h.broker_log().contains("settings.json was corrupt"));
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("settings.json.corrupt-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read(aside[0].path()).unwrap(),
        b"{\"version\":1,\"windows\":{"
    );
}

#[test]
fn the_window_managers_close_button_on_main_quits() {
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    h.click_check();
    h.wait_ready(Role::Login);
    h.app.close_requested(Role::Main);
    h.until("quit", |app| app.has_quit());
    assert!(h.app.backend().window(Role::Main).is_none());
    assert!(h.app.backend().window(Role::Login).is_none());
    assert_eq!(h.broker_log_count("Closing Application"), 1);
}

#[test]
fn the_cursor_follows_what_is_under_the_pointer() {
    use workshop_common::input::CursorIcon;
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    let (x, y) = support::main_centre(None, |w| w.check_button_id());
    h.app.hover(Role::Main, x, y);
    h.until("hand over the button", |app| {
        app.backend()
            .window(Role::Main)
            .is_some_and(|w| w.cursor == CursorIcon::Pointer)
    });
    h.app.hover(Role::Main, 5.0, 5.0);
    h.until("arrow off it", |app| {
        app.backend()
            .window(Role::Main)
            .is_some_and(|w| w.cursor == CursorIcon::Default)
    });
    h.click_check();
    h.wait_ready(Role::Login);
    let (x, y) = support::login_centre(|w| w.email_input_id());
    h.app.hover(Role::Login, x, y);
    h.until("I-beam over the email field", |app| {
        app.backend()
            .window(Role::Login)
            .is_some_and(|w| w.cursor == CursorIcon::Text)
    });
}

fn ctrl(c: char) -> workshop_common::input::InputEvent {
    workshop_common::input::InputEvent::Key {
        key: workshop_common::input::Key::Char(c),
        modifiers: workshop_common::input::Modifiers {
            ctrl: true,
            shift: false,
        },
    }
}

fn clipboard_writes(h: &Harness) -> usize {
    h.app
        .driver()
        .core()
        .audit()
        .recent()
        .filter(|e| {
            e.kind == "ClipboardWrite" && e.direction == workshop_broker::audit::Direction::In
        })
        .count()
}

#[test]
fn paste_and_copy_go_through_the_broker_clipboard() {
    use workshop_broker::core::Selection;
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    h.click_check();
    let login = h.wait_ready(Role::Login);
    // Another application copied an address; Ctrl+V in the Email field.
    h.app
        .backend_mut()
        .set_clipboard(Selection::Clipboard, "pasted@wayne.com");
    h.input(Role::Login, ctrl('v'));
    // Then the clipboard changes; select all and copy the field back.
    h.app
        .backend_mut()
        .set_clipboard(Selection::Clipboard, "something else");
    h.input(Role::Login, ctrl('a'));
    h.input(Role::Login, ctrl('c'));
    h.until("the field's text on the clipboard", |app| {
        app.backend().clipboard(Selection::Clipboard) == Some("pasted@wayne.com")
    });
    assert_eq!(
        h.app.backend().clipboard(Selection::Primary),
        Some("pasted@wayne.com"),
        "copying also sets PRIMARY"
    );
    // A middle click pastes PRIMARY (at the end: End collapses the
    // selection the copy left).
    h.app.backend_mut().set_clipboard(Selection::Primary, "+1");
    h.app.key(
        Role::Login,
        workshop_common::input::Key::End,
        workshop_common::input::Modifiers::default(),
    );
    h.app.paste_gesture(Role::Login, Selection::Primary);
    h.input(Role::Login, ctrl('a'));
    h.input(Role::Login, ctrl('x'));
    h.until("the cut text on the clipboard", |app| {
        app.backend().clipboard(Selection::Clipboard) == Some("pasted@wayne.com+1")
    });
    assert_eq!(h.generation(Role::Login), Some(login));
}

#[test]
fn the_password_field_is_never_copied() {
    use workshop_broker::core::Selection;
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    h.click_check();
    h.wait_ready(Role::Login);
    h.app.type_text(Role::Login, "bruce@wayne.com");
    h.app.key(
        Role::Login,
        workshop_common::input::Key::Tab,
        workshop_common::input::Modifiers::default(),
    );
    h.app.type_text(Role::Login, "hunter2");
    h.input(Role::Login, ctrl('a'));
    h.input(Role::Login, ctrl('c'));
    h.input(Role::Login, ctrl('x'));
    // Back to the Email field and copy it: input is handled in order, so
    // once this copy arrives, the password field's would have too.
    h.app.key(
        Role::Login,
        workshop_common::input::Key::Tab,
        workshop_common::input::Modifiers {
            shift: true,
            ctrl: false,
        },
    );
    h.input(Role::Login, ctrl('a'));
    h.input(Role::Login, ctrl('c'));
    h.until("the email on the clipboard", |app| {
        app.backend().clipboard(Selection::Clipboard) == Some("bruce@wayne.com")
    });
    assert_eq!(clipboard_writes(&h), 1, "only the email was sent");
    assert!(!h.broker_log().contains("hunter2"));
}
