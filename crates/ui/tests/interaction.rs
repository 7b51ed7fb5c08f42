//! Pointer, keyboard and text-input behaviour of a `Ui`, driven through
//! `Ui::handle` exactly as a renderer would drive it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{LoginWindow, MainState, MainWindow};
use workshop_ui::{
    Button, ButtonStyle, Column, Event, Key, Label, Modifiers, Rect, TextInput, TextSystem, Ui,
    UiAction, UiError, WidgetKind,
};

fn centre(r: Rect) -> (f32, f32) {
    (r.x + r.w / 2.0, r.y + r.h / 2.0)
}

fn key(k: Key) -> Event {
    Event::Key {
        key: k,
        modifiers: Modifiers::NONE,
    }
}

fn shift(k: Key) -> Event {
    Event::Key {
        key: k,
        modifiers: Modifiers::SHIFT,
    }
}

fn main_window() -> MainWindow {
    let mut w = MainWindow::new(&MainState::LoggedOut).unwrap();
    w.ui.layout(&mut TextSystem::new());
    w
}

#[test]
fn click_is_press_and_release_on_the_same_enabled_button() {
    let mut w = main_window();
    let check = centre(w.ui.bounds(w.check).unwrap());
    let close = centre(w.ui.bounds(w.close).unwrap());
    let press = |(x, y)| Event::PointerPressed { x, y };
    let release = |(x, y)| Event::PointerReleased { x, y };

    assert!(w.ui.handle(&press(check)).is_empty());
    assert_eq!(w.ui.pressed(), Some(w.check));
    assert_eq!(
        w.ui.handle(&release(check)),
        vec![UiAction::Clicked(w.check)]
    );
    assert_eq!(w.ui.pressed(), None);

    // Pressed on one, released on another: nothing.
    w.ui.handle(&press(check));
    assert!(w.ui.handle(&release(close)).is_empty());
    // Pressed, dragged out, released outside: nothing.
    w.ui.handle(&press(close));
    w.ui.handle(&Event::PointerMoved { x: 5.0, y: 5.0 });
    assert_eq!(w.ui.hovered(), None);
    assert!(w.ui.handle(&release((5.0, 5.0))).is_empty());
    // Released on nothing after pressing nothing: nothing.
    w.ui.handle(&press((5.0, 5.0)));
    assert!(
        w.ui.handle(&release(close)).is_empty(),
        "release alone is no click"
    );
    // Dragged out and back in: still a click.
    w.ui.handle(&press(close));
    w.ui.handle(&Event::PointerMoved { x: 5.0, y: 5.0 });
    w.ui.handle(&Event::PointerMoved {
        x: close.0,
        y: close.1,
    });
    assert_eq!(
        w.ui.handle(&release(close)),
        vec![UiAction::Clicked(w.close)]
    );

    // Disabled: no press, no click.
    w.ui.set_enabled(w.close, false).unwrap();
    w.ui.handle(&press(close));
    assert_eq!(w.ui.pressed(), None);
    assert!(w.ui.handle(&release(close)).is_empty());
    // Disabled while pressed: the press is dropped.
    w.ui.set_enabled(w.close, true).unwrap();
    w.ui.handle(&press(close));
    w.ui.set_enabled(w.close, false).unwrap();
    assert!(w.ui.handle(&release(close)).is_empty());
    // Hidden buttons cannot be clicked either.
    w.ui.set_enabled(w.close, true).unwrap();
    w.ui.set_visible(w.check, false).unwrap();
    w.ui.handle(&press(check));
    assert!(w.ui.handle(&release(check)).is_empty());
}

#[test]
fn hover_tracks_pointer_and_pointer_left_clears_it() {
    let mut w = main_window();
    let (x, y) = centre(w.ui.bounds(w.check).unwrap());
    w.ui.handle(&Event::PointerMoved { x, y });
    assert_eq!(w.ui.hovered(), Some(w.check));
    w.ui.handle(&Event::PointerLeft);
    assert_eq!(w.ui.hovered(), None);
    w.ui.handle(&Event::PointerMoved { x, y });
    w.ui.handle(&Event::PointerMoved { x, y: y + 100.0 });
    assert_eq!(w.ui.hovered(), None);
}

#[test]
fn hover_follows_widgets_that_move_under_a_still_pointer() {
    let mut text = TextSystem::new();
    let signed_in = MainState::LoggedIn {
        name: "Bruce Wayne".into(),
        email: "bruce@wayne.com".into(),
    };
    // Where Logout will be once signed in...
    let mut later = MainWindow::new(&signed_in).unwrap();
    later.ui.layout(&mut text);
    let (x, y) = centre(later.ui.bounds(later.logout).unwrap());
    // ...is empty space while signed out.
    let mut w = main_window();
    w.ui.handle(&Event::PointerMoved { x, y });
    assert_eq!(w.ui.hovered(), None);
    w.show(&signed_in).unwrap();
    w.ui.layout(&mut text);
    assert_eq!(
        w.ui.hovered(),
        Some(w.logout),
        "Logout appeared under the pointer"
    );
}

#[test]
fn tab_cycles_enabled_focusables_and_enter_clicks() {
    let mut w = LoginWindow::new().unwrap();
    assert_eq!(w.ui.focused(), None);
    w.ui.handle(&key(Key::Tab));
    assert_eq!(w.ui.focused(), Some(w.email));
    w.ui.handle(&key(Key::Tab));
    assert_eq!(w.ui.focused(), Some(w.password));
    w.ui.handle(&key(Key::Tab));
    assert_eq!(w.ui.focused(), Some(w.email), "disabled Submit is skipped");
    w.ui.handle(&shift(Key::Tab));
    assert_eq!(w.ui.focused(), Some(w.password));

    w.handle(&Event::Text("pw".into())).unwrap();
    w.ui.focus(w.email).unwrap();
    w.handle(&Event::Text("a@b.c".into())).unwrap();
    assert!(w.ui.is_enabled(w.submit));
    w.ui.handle(&key(Key::Tab));
    w.ui.handle(&key(Key::Tab));
    assert_eq!(w.ui.focused(), Some(w.submit));
    assert_eq!(
        w.ui.handle(&key(Key::Enter)),
        vec![UiAction::Clicked(w.submit)]
    );
    assert_eq!(
        w.ui.handle(&key(Key::Char(' '))),
        vec![UiAction::Clicked(w.submit)]
    );
    w.ui.handle(&key(Key::Tab));
    assert_eq!(w.ui.focused(), Some(w.email), "wraps around");
    assert_eq!(
        w.ui.handle(&key(Key::Enter)),
        vec![UiAction::Submitted(w.email)]
    );

    // Disabling the focused widget drops focus.
    w.ui.focus(w.submit).unwrap();
    w.set_pending(true).unwrap();
    assert_eq!(w.ui.focused(), None);
    assert_eq!(w.ui.text(w.submit), "loading...");
    assert!(!w.ui.is_enabled(w.submit));
    assert!(w.ui.handle(&key(Key::Enter)).is_empty());
    assert_eq!(w.ui.focus(w.email), Err(UiError::NotFocusable(w.email)));
}

#[test]
fn main_window_tab_order_and_click_focus() {
    let mut w = main_window();
    w.ui.handle(&key(Key::Tab));
    assert_eq!(w.ui.focused(), Some(w.check));
    w.ui.handle(&key(Key::Tab));
    assert_eq!(w.ui.focused(), Some(w.close));
    w.ui.handle(&shift(Key::Tab));
    assert_eq!(w.ui.focused(), Some(w.check));
    // Clicking empty space blurs; labels never take focus.
    w.ui.handle(&Event::PointerPressed { x: 5.0, y: 5.0 });
    assert_eq!(w.ui.focused(), None);
    assert_eq!(w.ui.focus(w.heading), Err(UiError::NotFocusable(w.heading)));
}

#[test]
fn login_submit_enables_only_when_both_fields_filled() {
    let mut w = LoginWindow::new().unwrap();
    assert!(!w.ui.is_enabled(w.submit));
    w.ui.focus(w.email).unwrap();
    assert!(!w.handle(&Event::Text("bruce@wayne.com".into())).unwrap());
    assert!(!w.ui.is_enabled(w.submit));
    assert!(
        !w.handle(&key(Key::Enter)).unwrap(),
        "Enter with Submit disabled"
    );
    w.ui.focus(w.password).unwrap();
    w.handle(&Event::Text("x".into())).unwrap();
    assert!(w.ui.is_enabled(w.submit));
    w.handle(&key(Key::Backspace)).unwrap();
    assert!(!w.ui.is_enabled(w.submit), "emptied again");
    w.handle(&Event::Text("batman".into())).unwrap();
    assert!(w.handle(&key(Key::Enter)).unwrap(), "Enter submits");
}

#[test]
fn text_editing_through_events() {
    let mut ui = Ui::new(400.0, 400.0);
    let input = ui.add_input(TextInput::new("Email").max_len(12));
    ui.set_root(Column::new().child(input));
    ui.focus(input).unwrap();

    assert_eq!(
        ui.handle(&Event::Text("héllo".into())),
        vec![UiAction::Changed(input)]
    );
    assert_eq!(ui.value(input), "héllo");
    ui.handle(&key(Key::Home));
    ui.handle(&key(Key::Right));
    ui.handle(&key(Key::Right));
    assert_eq!(ui.caret(input), Some((3, None)), "é is 2 bytes");
    assert_eq!(
        ui.handle(&key(Key::Backspace)),
        vec![UiAction::Changed(input)]
    );
    assert_eq!(ui.value(input), "hllo");
    ui.handle(&shift(Key::End));
    assert_eq!(ui.caret(input), Some((4, Some(1..4))));
    ui.handle(&Event::Text("€".into()));
    assert_eq!(ui.value(input), "h€");
    ui.handle(&key(Key::End));
    ui.handle(&shift(Key::Left));
    ui.handle(&key(Key::Delete));
    assert_eq!(ui.value(input), "h");

    // Ctrl+A selects all; the control character it also types is ignored.
    ui.handle(&Event::Text("ello".into()));
    let ctrl_a = Event::Key {
        key: Key::Char('a'),
        modifiers: Modifiers::CTRL,
    };
    assert!(ui.handle(&ctrl_a).is_empty());
    assert!(ui.handle(&Event::Text("\u{1}".into())).is_empty());
    assert_eq!(ui.caret(input), Some((5, Some(0..5))));
    ui.handle(&key(Key::Backspace));
    assert_eq!(ui.value(input), "");
    assert!(
        ui.handle(&key(Key::Backspace)).is_empty(),
        "nothing to delete"
    );

    // max_len: 12 bytes, never splitting a char.
    ui.handle(&Event::Text("ééééééé".into()));
    assert_eq!(ui.value(input), "éééééé");
    assert!(ui.handle(&Event::Text("x".into())).is_empty(), "full");
    ui.set_text(input, "0123456789abcdef").unwrap();
    assert_eq!(ui.value(input), "0123456789ab");
    ui.set_max_len(input, 4).unwrap();
    assert_eq!(ui.value(input), "0123");

    // Printable Key::Char without Ctrl does not type (text comes via Text).
    assert!(ui.handle(&key(Key::Char('z'))).is_empty());
    assert_eq!(ui.value(input), "0123");

    // Disabled inputs ignore typing.
    ui.set_enabled(input, false).unwrap();
    assert!(ui.handle(&Event::Text("q".into())).is_empty());
    assert_eq!(ui.value(input), "0123");
}

#[test]
fn clicking_an_input_focuses_it_and_places_the_caret() {
    let mut text = TextSystem::new();
    let mut w = LoginWindow::new().unwrap();
    w.ui.set_text(w.email, "bruce@wayne.com").unwrap();
    let mut c = workshop_ui::Canvas::new(400, 400, 1.0).unwrap();
    w.ui.paint(&mut c, &mut text);
    let e = w.ui.bounds(w.email).unwrap();
    w.ui.handle(&Event::PointerPressed {
        x: e.x + 9.0,
        y: e.y + 18.0,
    });
    assert_eq!(w.ui.focused(), Some(w.email));
    assert_eq!(
        w.ui.caret(w.email),
        Some((0, None)),
        "click before the first char"
    );
    w.ui.handle(&Event::PointerPressed {
        x: e.right() - 10.0,
        y: e.y + 18.0,
    });
    assert_eq!(
        w.ui.caret(w.email),
        Some((15, None)),
        "click after the text"
    );
    w.ui.handle(&Event::PointerMoved {
        x: e.x + 50.0,
        y: e.y + 18.0,
    });
    w.ui.handle(&Event::PointerPressed {
        x: e.x + 50.0,
        y: e.y + 18.0,
    });
    let (caret, _) = w.ui.caret(w.email).unwrap();
    assert!(caret > 0 && caret < 15, "click in the middle: {caret}");
}

#[test]
fn setters_check_ids_and_kinds() {
    let mut ui = Ui::new(100.0, 100.0);
    let label = ui.add_label(Label::new("hi"));
    let button = ui.add_button(Button::new(
        "b",
        ButtonStyle::outline(workshop_ui::theme::RED),
    ));
    let mut other = Ui::new(100.0, 100.0);
    other.add_label(Label::new("a"));
    other.add_label(Label::new("b"));
    let foreign = other.add_label(Label::new("c"));
    assert!(matches!(
        ui.set_label(label, "x"),
        Err(UiError::WrongKind { .. })
    ));
    assert!(matches!(
        ui.set_text(button, "x"),
        Err(UiError::WrongKind { .. })
    ));
    assert!(matches!(ui.clear(label), Err(UiError::WrongKind { .. })));
    assert_eq!(
        ui.set_text(foreign, "x"),
        Err(UiError::UnknownWidget(foreign))
    );
    assert_eq!(ui.kind(button), Some(WidgetKind::Button));
    assert_eq!(ui.kind(foreign), None);
    assert_eq!(ui.value(label), "");
    ui.set_label(button, "new").unwrap();
    assert_eq!(ui.text(button), "new");
}

#[test]
fn focus_lost_drops_press() {
    let mut w = main_window();
    let c = centre(w.ui.bounds(w.close).unwrap());
    w.ui.handle(&Event::PointerPressed { x: c.0, y: c.1 });
    w.ui.handle(&Event::FocusLost);
    assert_eq!(w.ui.pressed(), None);
    assert!(w
        .ui
        .handle(&Event::PointerReleased { x: c.0, y: c.1 })
        .is_empty());
}

#[test]
fn hostile_coordinates_are_harmless() {
    let mut w = main_window();
    for (x, y) in [
        (f32::NAN, 0.0),
        (f32::INFINITY, f32::NEG_INFINITY),
        (-1e30, 1e30),
    ] {
        w.ui.handle(&Event::PointerMoved { x, y });
        w.ui.handle(&Event::PointerPressed { x, y });
        assert!(w.ui.handle(&Event::PointerReleased { x, y }).is_empty());
    }
    let mut text = TextSystem::new();
    let mut c = workshop_ui::Canvas::new(400, 400, 1.0).unwrap();
    w.ui.paint(&mut c, &mut text);
}

#[test]
fn space_activates_a_focused_button_however_the_platform_sends_it() {
    let mut w = main_window();
    w.ui.handle(&key(Key::Tab));
    assert_eq!(w.ui.focused(), Some(w.check));
    assert_eq!(
        w.ui.handle(&key(Key::Space)),
        vec![UiAction::Clicked(w.check)]
    );
    // A platform that sends the key and then the text it types: one click.
    assert!(
        w.ui.handle(&Event::Text(" ".into())).is_empty(),
        "the text of the same Space press"
    );
    // A platform that sends only the committed text (the broker today).
    assert_eq!(
        w.ui.handle(&Event::Text(" ".into())),
        vec![UiAction::Clicked(w.check)]
    );
    assert!(w.ui.handle(&Event::Text("x".into())).is_empty());
    // Space in a text input types a space, it clicks nothing.
    let mut l = LoginWindow::new().unwrap();
    l.ui.focus(l.email).unwrap();
    assert!(l.ui.handle(&key(Key::Space)).is_empty());
    assert_eq!(
        l.ui.handle(&Event::Text(" ".into())),
        vec![UiAction::Changed(l.email)]
    );
    assert_eq!(l.ui.value(l.email), " ");
}

#[test]
fn keyboard_focus_is_visible_pointer_focus_is_not() {
    let mut w = main_window();
    w.ui.handle(&key(Key::Tab));
    assert!(w.ui.focus_visible(), "Tab shows the ring");
    let (x, y) = centre(w.ui.bounds(w.close).unwrap());
    w.ui.handle(&Event::PointerPressed { x, y });
    assert_eq!(w.ui.focused(), Some(w.close));
    assert!(!w.ui.focus_visible(), "a click focuses without a ring");
    w.ui.handle(&shift(Key::Tab));
    assert_eq!(w.ui.focused(), Some(w.check));
    assert!(w.ui.focus_visible());
    w.ui.focus(w.close).unwrap();
    assert!(!w.ui.focus_visible(), "programmatic focus: no ring");
}

fn ctrl(k: Key) -> Event {
    Event::Key {
        key: k,
        modifiers: Modifiers::CTRL,
    }
}

fn ctrl_shift(k: Key) -> Event {
    Event::Key {
        key: k,
        modifiers: Modifiers {
            shift: true,
            ctrl: true,
        },
    }
}

fn input_ui(value: &str) -> (Ui, workshop_ui::WidgetId) {
    let mut ui = Ui::new(400.0, 400.0);
    let input = ui.add_input(TextInput::new("Email"));
    ui.set_root(Column::new().child(input));
    ui.focus(input).unwrap();
    ui.handle(&Event::Text(value.into()));
    (ui, input)
}

#[test]
fn keyboard_selection_words_and_graphemes() {
    let (mut ui, input) = input_ui("hello big world");
    ui.handle(&shift(Key::Home));
    assert_eq!(ui.caret(input), Some((0, Some(0..15))), "Shift+Home");
    ui.handle(&shift(Key::End));
    assert_eq!(ui.caret(input), Some((15, None)), "Shift+End back");
    ui.handle(&ctrl(Key::Left));
    assert_eq!(
        ui.caret(input),
        Some((10, None)),
        "Ctrl+Left: start of world"
    );
    ui.handle(&ctrl_shift(Key::Left));
    assert_eq!(ui.caret(input), Some((6, Some(6..10))), "Ctrl+Shift+Left");
    assert_eq!(ui.selected_text(input), Some("big "));
    ui.handle(&ctrl(Key::Right));
    assert_eq!(ui.caret(input), Some((9, None)), "Ctrl+Right: end of big");
    ui.handle(&shift(Key::Right));
    ui.handle(&shift(Key::Right));
    assert_eq!(ui.selected_text(input), Some(" w"));
    // Typing replaces the selection; Backspace deletes it.
    assert_eq!(
        ui.handle(&Event::Text("_W".into())),
        vec![UiAction::Changed(input)]
    );
    assert_eq!(ui.value(input), "hello big_World");
    ui.handle(&shift(Key::Left));
    ui.handle(&key(Key::Backspace));
    assert_eq!(ui.value(input), "hello big_orld");
    assert_eq!(
        ui.handle(&ctrl(Key::Backspace)),
        vec![UiAction::Changed(input)]
    );
    assert_eq!(ui.value(input), "hello orld", "Ctrl+Backspace: a word");
    ui.handle(&ctrl(Key::Char('a')));
    assert_eq!(ui.selected_text(input), Some("hello orld"));
    ui.handle(&key(Key::Up));
    assert_eq!(ui.caret(input), Some((0, None)), "Up: to the start");
    ui.handle(&shift(Key::Down));
    assert_eq!(ui.caret(input), Some((10, Some(0..10))), "Shift+Down");
}

#[test]
fn one_backspace_per_grapheme_cluster() {
    // An accent typed as two code points, an emoji ZWJ sequence.
    let (mut ui, input) = input_ui("cafe\u{301}");
    ui.handle(&Event::Text("\u{1F469}\u{200D}\u{1F4BB}".into()));
    ui.handle(&key(Key::Backspace));
    assert_eq!(ui.value(input), "cafe\u{301}");
    ui.handle(&key(Key::Backspace));
    assert_eq!(ui.value(input), "caf");
    ui.handle(&Event::Text("e\u{301}!".into()));
    ui.handle(&key(Key::Left));
    ui.handle(&key(Key::Left));
    assert_eq!(ui.caret(input), Some((3, None)), "one Left over the é");
    ui.handle(&key(Key::Delete));
    assert_eq!(ui.value(input), "caf!");
}

/// Lays out and paints a one-input `Ui` so pointer positions map to text.
fn painted_input(value: &str, masked: bool) -> (Ui, workshop_ui::WidgetId, Rect) {
    let mut ui = Ui::new(400.0, 400.0);
    let input = ui.add_input(TextInput::new("x").masked(masked));
    ui.set_root(
        Column::new()
            .padding(workshop_ui::Insets::symmetric(20.0, 20.0))
            .child(input),
    );
    ui.set_text(input, value).unwrap();
    let mut c = workshop_ui::Canvas::new(400, 400, 1.0).unwrap();
    ui.paint(&mut c, &mut TextSystem::new());
    let b = ui.bounds(input).unwrap();
    (ui, input, b)
}

#[test]
fn mouse_drag_selects_and_double_click_selects_a_word() {
    let (mut ui, input, b) = painted_input("hello big world", false);
    let y = b.y + b.h / 2.0;
    let start = b.x + 8.0; // the text's left edge
    ui.handle(&Event::PointerPressed { x: start, y });
    assert_eq!(ui.caret(input), Some((0, None)));
    ui.handle(&Event::PointerMoved {
        x: b.right() - 2.0,
        y,
    });
    assert_eq!(
        ui.caret(input),
        Some((15, Some(0..15))),
        "dragged to the end"
    );
    ui.handle(&Event::PointerReleased {
        x: b.right() - 2.0,
        y,
    });
    ui.handle(&Event::PointerMoved { x: start, y });
    assert_eq!(
        ui.caret(input),
        Some((15, Some(0..15))),
        "released: moving does nothing"
    );

    // Double click in the middle of "big".
    let mut probe = TextSystem::new();
    let (hello_w, _) = probe.measure(
        "hello b",
        workshop_ui::TextStyle::new(16.0, workshop_ui::FontWeight::Regular),
    );
    let x = start + hello_w;
    ui.handle(&Event::PointerPressed { x, y });
    ui.handle(&Event::PointerReleased { x, y });
    ui.handle(&Event::PointerPressed { x, y });
    assert_eq!(ui.caret(input).unwrap().1, None);
    ui.handle(&Event::DoubleClick { x, y });
    assert_eq!(ui.selected_text(input), Some("big"));
    ui.handle(&Event::PointerMoved { x: start, y });
    assert_eq!(
        ui.selected_text(input),
        Some("big"),
        "no drag after a double click"
    );
    ui.handle(&Event::PointerReleased { x: start, y });

    // In a password field a double click selects everything, and nothing
    // can be copied out of it.
    let (mut ui, input, b) = painted_input("two words", true);
    let (x, y) = (b.x + 12.0, b.y + b.h / 2.0);
    ui.handle(&Event::PointerPressed { x, y });
    ui.handle(&Event::DoubleClick { x, y });
    assert_eq!(ui.caret(input), Some((9, Some(0..9))));
    assert_eq!(ui.selected_text(input), None);
    assert_eq!(ui.focused_selected_text(), None);
    assert!(
        ui.delete_selection_focused().is_empty(),
        "no cut from a password"
    );
    assert_eq!(ui.value(input), "two words");
}

#[test]
fn clipboard_and_ime_hooks_on_the_focused_input() {
    let (mut ui, input, b) = painted_input("bruce@wayne.com", false);
    assert_eq!(ui.focused_input(), None);
    assert!(ui.insert_text_focused("x").is_empty(), "nothing focused");
    ui.focus(input).unwrap();
    assert_eq!(ui.focused_input(), Some(input));
    ui.handle(&key(Key::Home));
    ui.handle(&ctrl_shift(Key::Right));
    assert_eq!(ui.focused_selected_text(), Some("bruce"));
    // Paste replaces the selection, as typing does.
    assert_eq!(
        ui.insert_text_focused("alfred"),
        vec![UiAction::Changed(input)]
    );
    assert_eq!(ui.value(input), "alfred@wayne.com");
    assert_eq!(ui.caret(input), Some((6, None)));
    assert_eq!(ui.insert_text(input, "\n\t"), Ok(false), "controls dropped");
    // Cut.
    ui.handle(&shift(Key::End));
    assert_eq!(ui.focused_selected_text(), Some("@wayne.com"));
    assert_eq!(
        ui.delete_selection_focused(),
        vec![UiAction::Changed(input)]
    );
    assert_eq!(ui.value(input), "alfred");

    // The caret rectangle: where it was painted, in logical px.
    let mut text = TextSystem::new();
    let mut c = workshop_ui::Canvas::new(800, 800, 2.0).unwrap();
    ui.handle(&key(Key::Home));
    ui.paint(&mut c, &mut text);
    let r = ui.focused_caret_rect().unwrap();
    assert!((r.x - (b.x + 8.0)).abs() < 0.5, "{r:?} at the text start");
    assert!(r.y > b.y && r.bottom() < b.bottom(), "{r:?} inside {b:?}");
    ui.handle(&key(Key::End));
    ui.paint(&mut c, &mut text);
    let end = ui.caret_rect(input).unwrap();
    let (w, _) = text.measure(
        "alfred",
        workshop_ui::TextStyle::new(16.0, workshop_ui::FontWeight::Regular),
    );
    assert!(
        (end.x - (r.x + w)).abs() < 1.0,
        "{end:?} after alfred ({w})"
    );
    let label = ui.add_label(Label::new("l"));
    assert_eq!(ui.caret_rect(label), None, "not an input");

    // Disabled inputs take no paste.
    ui.set_enabled(input, false).unwrap();
    assert_eq!(ui.insert_text(input, "x"), Ok(false));
    assert_eq!(ui.focused_input(), None);
}
