//! Legitimate input at any speed must not trip the broker's defences: the
//! broker paces what it forwards (see `workshop_broker::core::pacing`), so
//! an auto-typed burst costs no renderer and loses no character.
//!
//! The renderers are the compromised executable in honest mode, whose only
//! addition is the `input-tally` line it logs on Ctrl+R: how many
//! characters and keys reached it, and its email field's length and hash.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::Harness;
use workshop_common::client::LoginWindowClient;
use workshop_common::input::{InputEvent, Key, Modifiers};
use workshop_common::Role;
use workshop_renderer_login::LoginWindow;

const CHARS: usize = 5000;
const BACKSPACE_EVERY: usize = 25;

/// The burst: `CHARS` one-character `Text` events (a password manager's
/// auto-type), with a Backspace after every `BACKSPACE_EVERY`, so keys and
/// text must also stay in order.
fn burst() -> Vec<InputEvent> {
    let mut events = Vec::new();
    for i in 0..CHARS {
        let c = char::from(b'a' + (i % 26) as u8);
        events.push(InputEvent::Text(c.to_string()));
        if (i + 1) % BACKSPACE_EVERY == 0 {
            events.push(InputEvent::Key {
                key: Key::Backspace,
                modifiers: Modifiers::default(),
            });
        }
    }
    events
}

/// What the Email field holds after `events`, from the same content code the
/// renderer runs.
fn expected_email(events: &[InputEvent]) -> String {
    let mut w = LoginWindow::new();
    let mut c = LoginWindowClient::new(Duration::from_secs(10));
    for e in events {
        let ui_event = match e {
            InputEvent::Text(t) => workshop_ui::Event::Text(t.clone()),
            InputEvent::Key { .. } => workshop_ui::Event::Key {
                key: workshop_ui::Key::Backspace,
                modifiers: workshop_ui::Modifiers::default(),
            },
            _ => unreachable!(),
        };
        w.handle(&ui_event, &mut c);
    }
    w.ui().value(w.email_input_id()).to_owned()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn five_thousand_characters_at_full_speed_cost_no_renderer_and_lose_none() {
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    h.click_check();
    let login = h.wait_ready(Role::Login);
    let events = burst();
    let frames_before = h.frames(Role::Login);
    let started = std::time::Instant::now();
    // As fast as the test can feed them: one event, then whatever the loop
    // has to do without waiting (frames presented and acknowledged as they
    // come, like a real event loop between two key events).
    for e in &events {
        h.app.input(Role::Login, e.clone());
        h.app.pump_once(Duration::ZERO);
    }
    // For the bench note (docs/BENCHMARKS.md), not asserted.
    eprintln!(
        "pacing: {} events fed in {:?}, {} frames presented meanwhile",
        events.len(),
        started.elapsed(),
        h.frames(Role::Login) - frames_before
    );
    h.app.input(
        Role::Login,
        InputEvent::Key {
            key: Key::Char('r'),
            modifiers: Modifiers {
                ctrl: true,
                shift: false,
            },
        },
    );
    let log = h.renderer_log.clone();
    h.until("the renderer's input tally", move |_| {
        log.lock()
            .unwrap()
            .iter()
            .any(|(r, _, l)| *r == Role::Login && l.contains("input-tally"))
    });
    let line = h
        .renderer_log
        .lock()
        .unwrap()
        .iter()
        .find(|(r, _, l)| *r == Role::Login && l.contains("input-tally"))
        .map(|(_, g, l)| (*g, l.clone()))
        .unwrap();
    let email = expected_email(&events);
    let want = format!(
        "input-tally chars={CHARS} keys={} email_len={} email_fnv={:016x}",
        CHARS / BACKSPACE_EVERY,
        email.len(),
        fnv1a(email.as_bytes())
    );
    assert_eq!(line.0, login, "the tally came from the first renderer");
    assert!(line.1.contains(&want), "got {:?}, want {want:?}", line.1);
    assert_eq!(
        h.generation(Role::Login),
        Some(login),
        "no renderer was lost"
    );
    assert!(
        !h.broker_log().contains("bad message"),
        "{}",
        h.broker_log()
    );
    assert!(h.app.driver().core().gone().is_empty());
}

/// The input method, through the headless shell: a composition is not part
/// of the value, a commit is inserted at the caret, and the broker turns the
/// input method on at the focused field (clamped to the window).
#[test]
fn input_method_composition_and_commit() {
    let mut h = Harness::start(support::options());
    h.wait_main_initialized();
    h.click_check();
    let login = h.wait_ready(Role::Login);
    // The Email field is focused from the start: the renderer says where.
    h.until("the input method area", |app| {
        app.backend()
            .window(Role::Login)
            .is_some_and(|w| w.ime_area.is_some())
    });
    let area = h
        .app
        .backend()
        .window(Role::Login)
        .unwrap()
        .ime_area
        .unwrap();
    // The caret's rectangle, inside the Email field.
    let field = support::pixels::login_box(|w| w.email_input_id());
    assert!(
        field.x <= area.x
            && area.x + area.width <= field.x + field.width
            && field.y <= area.y
            && area.y + area.height <= field.y + field.height,
        "{area:?} is not inside the Email field {field:?}"
    );
    let w = h.app.backend().window(Role::Login).unwrap();
    assert!(area.fits_in(w.width, w.height));
    h.app.type_text(Role::Login, "a");
    h.input(Role::Login, InputEvent::ImePreedit("にほ".into()));
    h.input(Role::Login, InputEvent::ImePreedit("日本".into()));
    h.input(Role::Login, InputEvent::ImeCommit("日本".into()));
    h.input(Role::Login, InputEvent::ImePreedit("ご".into()));
    h.input(
        Role::Login,
        InputEvent::Key {
            key: Key::Char('r'),
            modifiers: Modifiers {
                ctrl: true,
                shift: false,
            },
        },
    );
    let log = h.renderer_log.clone();
    h.until("the renderer's input tally", move |_| {
        log.lock()
            .unwrap()
            .iter()
            .any(|(r, _, l)| *r == Role::Login && l.contains("input-tally"))
    });
    let email = "a日本";
    let want = format!(
        "email_len={} email_fnv={:016x}",
        email.len(),
        fnv1a(email.as_bytes())
    );
    assert!(
        h.renderer_log
            .lock()
            .unwrap()
            .iter()
            .any(|(r, _, l)| *r == Role::Login && l.contains(&want)),
        "want {want}"
    );
    // A click on the background blurs the field: the input method off.
    h.app.click(Role::Login, 5.0, 5.0);
    h.until("the input method off", |app| {
        app.backend()
            .window(Role::Login)
            .is_some_and(|w| w.ime_area.is_none())
    });
    assert_eq!(h.generation(Role::Login), Some(login));
}
