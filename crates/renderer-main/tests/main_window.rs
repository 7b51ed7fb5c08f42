//! The Main Window driven as the renderer runtime drives it: broker pushes
//! through the `show_*` methods, real input events through the real `Ui`,
//! and assertions on exactly what the client queued for the broker.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use workshop_common::client::MainWindowClient;
use workshop_common::user::User;
use workshop_common::RendererToBroker;
use workshop_renderer_main::{MainView, MainWindow};
use workshop_ui::{theme, Canvas, CursorIcon, Event, Key, Modifiers, Rect, TextSystem, WidgetId};

fn bruce() -> User {
    User {
        id: 123456,
        name: "Bruce Wayne".into(),
        email: "bruce@wayne.com".into(),
    }
}

/// Lays the window out so hit-testing sees the current view.
fn layout(w: &mut MainWindow) {
    w.ui_mut().layout(&mut TextSystem::new());
}

fn centre(r: Rect) -> (f32, f32) {
    (r.x + r.w / 2.0, r.y + r.h / 2.0)
}

/// A full click (press and release) at a point.
fn click_at(w: &mut MainWindow, c: &mut MainWindowClient, (x, y): (f32, f32)) {
    w.handle(&Event::PointerMoved { x, y }, c);
    w.handle(&Event::PointerPressed { x, y }, c);
    w.handle(&Event::PointerReleased { x, y }, c);
}

/// Clicks the centre of a visible widget.
fn click(w: &mut MainWindow, c: &mut MainWindowClient, id: WidgetId) {
    layout(w);
    let b = w.ui().bounds(id).expect("widget is laid out");
    click_at(w, c, centre(b));
}

fn key(w: &mut MainWindow, c: &mut MainWindowClient, key: Key) {
    w.handle(
        &Event::Key {
            key,
            modifiers: Modifiers::NONE,
        },
        c,
    );
}

/// Where a widget sits in a given view (to click that spot in another one).
fn place_in(view: impl Fn(&mut MainWindow), id_of: fn(&MainWindow) -> WidgetId) -> (f32, f32) {
    let mut w = MainWindow::new();
    view(&mut w);
    layout(&mut w);
    centre(w.ui().bounds(id_of(&w)).unwrap())
}

#[test]
fn initializing_shows_heading_label_and_close_only() {
    let mut w = MainWindow::new();
    layout(&mut w);
    assert_eq!(w.view(), MainView::Initializing);
    assert_eq!(w.ui().text(w.heading_id()), "Electron Workshop");
    assert_eq!(w.ui().text(w.initializing_id()), "Initializing...");
    assert!(w.ui().bounds(w.initializing_id()).is_some());
    assert!(w.ui().bounds(w.close_button_id()).is_some());
    for id in [
        w.check_button_id(),
        w.welcome_id(),
        w.email_id(),
        w.logout_button_id(),
    ] {
        assert!(!w.ui().is_visible(id));
        assert_eq!(w.ui().bounds(id), None, "hidden widgets take no space");
    }
}

#[test]
fn initializing_sends_nothing_from_the_check_or_logout_places_or_keys() {
    let check_place = place_in(|w| w.show_initial_state(None), MainWindow::check_button_id);
    let logout_place = place_in(
        |w| w.show_authenticated(&bruce()),
        MainWindow::logout_button_id,
    );
    let mut w = MainWindow::new();
    let mut c = MainWindowClient::new();
    layout(&mut w);
    click_at(&mut w, &mut c, check_place);
    click_at(&mut w, &mut c, logout_place);
    // Tab lands on the only focusable widget (Close); nothing else can be
    // reached by keyboard either.
    key(&mut w, &mut c, Key::Tab);
    assert_eq!(w.ui().focused(), Some(w.close_button_id()));
    assert!(c.take_outgoing().is_empty());
    assert_eq!(w.view(), MainView::Initializing);
}

#[test]
fn close_works_while_initializing() {
    let mut w = MainWindow::new();
    let mut c = MainWindowClient::new();
    let id = w.close_button_id();
    click(&mut w, &mut c, id);
    assert_eq!(c.take_outgoing(), vec![RendererToBroker::CloseWindow]);
}

#[test]
fn signed_out_initial_state_shows_check_which_opens_login() {
    let mut w = MainWindow::new();
    let mut c = MainWindowClient::new();
    w.show_initial_state(None);
    assert_eq!(w.view(), MainView::SignedOut);
    assert_eq!(w.ui().text(w.check_button_id()), "Let's check it out!");
    assert!(!w.ui().is_visible(w.initializing_id()));
    assert!(!w.ui().is_visible(w.logout_button_id()));
    let id = w.check_button_id();
    click(&mut w, &mut c, id);
    assert_eq!(c.take_outgoing(), vec![RendererToBroker::OpenLoginWindow]);
    // The view does not change on its own: the broker opens the window.
    assert_eq!(w.view(), MainView::SignedOut);
    // The user may close the Login Window and ask again.
    click(&mut w, &mut c, id);
    assert_eq!(c.take_outgoing(), vec![RendererToBroker::OpenLoginWindow]);
}

#[test]
fn hovering_the_check_button_shows_the_hand() {
    let mut w = MainWindow::new();
    let mut c = MainWindowClient::new();
    w.show_initial_state(None);
    layout(&mut w);
    let (x, y) = centre(w.ui().bounds(w.check_button_id()).unwrap());
    w.handle(&Event::PointerMoved { x, y }, &mut c);
    assert_eq!(w.ui().cursor(), CursorIcon::Pointer);
    assert!(c.take_outgoing().is_empty(), "hover sends nothing");
}

#[test]
fn keyboard_activation_of_check_opens_login() {
    let mut w = MainWindow::new();
    let mut c = MainWindowClient::new();
    w.show_initial_state(None);
    layout(&mut w);
    key(&mut w, &mut c, Key::Tab);
    assert_eq!(w.ui().focused(), Some(w.check_button_id()));
    key(&mut w, &mut c, Key::Enter);
    assert_eq!(c.take_outgoing(), vec![RendererToBroker::OpenLoginWindow]);
}

#[test]
fn signed_in_initial_state_shows_welcome() {
    let mut w = MainWindow::new();
    w.show_initial_state(Some(&bruce()));
    assert_eq!(w.view(), MainView::SignedIn);
    assert_eq!(w.ui().text(w.welcome_id()), "Welcome, Bruce Wayne!");
    assert_eq!(w.ui().text(w.email_id()), "Your email: bruce@wayne.com");
    assert!(!w.ui().is_visible(w.check_button_id()));
}

#[test]
fn authenticated_shows_name_and_email_and_logout_sends_logout() {
    let mut w = MainWindow::new();
    let mut c = MainWindowClient::new();
    w.show_initial_state(None);
    w.show_authenticated(&bruce());
    layout(&mut w);
    assert_eq!(w.view(), MainView::SignedIn);
    assert_eq!(w.ui().text(w.welcome_id()), "Welcome, Bruce Wayne!");
    assert_eq!(w.ui().text(w.email_id()), "Your email: bruce@wayne.com");
    assert_eq!(w.ui().text(w.logout_button_id()), "Logout");
    for id in [w.welcome_id(), w.email_id(), w.logout_button_id()] {
        assert!(w.ui().bounds(id).is_some());
    }
    assert_eq!(w.ui().bounds(w.check_button_id()), None);
    assert!(!w.ui().is_visible(w.initializing_id()));

    let id = w.logout_button_id();
    click(&mut w, &mut c, id);
    assert_eq!(c.take_outgoing(), vec![RendererToBroker::Logout]);
    // Still signed in until the broker says otherwise.
    assert_eq!(w.view(), MainView::SignedIn);
}

#[test]
fn logged_out_goes_back_and_forgets_the_user() {
    let check_place = place_in(|w| w.show_initial_state(None), MainWindow::check_button_id);
    let mut w = MainWindow::new();
    let mut c = MainWindowClient::new();
    w.show_authenticated(&bruce());
    layout(&mut w);
    let logout_place = centre(w.ui().bounds(w.logout_button_id()).unwrap());
    w.show_logged_out();
    layout(&mut w);
    assert_eq!(w.view(), MainView::SignedOut);
    assert!(w.ui().is_visible(w.check_button_id()));
    assert!(w.ui().text(w.welcome_id()).is_empty());
    assert!(w.ui().text(w.email_id()).is_empty());
    assert_eq!(w.ui().bounds(w.logout_button_id()), None);
    assert_eq!(
        centre(w.ui().bounds(w.check_button_id()).unwrap()),
        check_place,
        "same layout as a fresh signed-out window"
    );
    if logout_place != check_place {
        click_at(&mut w, &mut c, logout_place);
    }
    assert!(c.take_outgoing().is_empty(), "the old Logout spot is dead");
    let id = w.check_button_id();
    click(&mut w, &mut c, id);
    assert_eq!(c.take_outgoing(), vec![RendererToBroker::OpenLoginWindow]);
}

#[test]
fn close_sends_close_window_in_every_view() {
    let views: [fn(&mut MainWindow); 3] = [
        |_| {},
        |w| w.show_initial_state(None),
        |w| w.show_authenticated(&bruce()),
    ];
    for view in views {
        let mut w = MainWindow::new();
        let mut c = MainWindowClient::new();
        view(&mut w);
        let id = w.close_button_id();
        click(&mut w, &mut c, id);
        assert_eq!(c.take_outgoing(), vec![RendererToBroker::CloseWindow]);
    }
}

#[test]
fn press_then_release_elsewhere_is_not_a_click() {
    let mut w = MainWindow::new();
    let mut c = MainWindowClient::new();
    layout(&mut w);
    let (x, y) = centre(w.ui().bounds(w.close_button_id()).unwrap());
    w.handle(&Event::PointerPressed { x, y }, &mut c);
    w.handle(&Event::PointerReleased { x, y: 10.0 }, &mut c);
    assert!(c.take_outgoing().is_empty());
}

#[test]
fn layout_follows_the_design() {
    let mut w = MainWindow::new();
    w.show_initial_state(None);
    layout(&mut w);
    let heading = w.ui().bounds(w.heading_id()).unwrap();
    assert_eq!(heading.y, 48.0, "48 px top padding");
    assert!(
        (heading.x + heading.w / 2.0 - 200.0).abs() < 0.01,
        "centred"
    );
    assert_eq!(
        w.ui().bounds(w.close_button_id()),
        Some(Rect::new(75.0, 304.0, 250.0, 48.0)),
        "250 × 48 at the bottom padding"
    );
    let check = w.ui().bounds(w.check_button_id()).unwrap();
    assert_eq!((check.x, check.w, check.h), (75.0, 250.0, 48.0));
}

#[test]
fn pushed_names_stay_on_one_line() {
    let mut w = MainWindow::new();
    w.show_authenticated(&User {
        id: 1,
        name: "Bruce\nWayne".into(),
        email: "bruce@wayne.com\r\n".into(),
    });
    assert_eq!(w.ui().text(w.welcome_id()), "Welcome, Bruce Wayne!");
    assert_eq!(w.ui().text(w.email_id()), "Your email: bruce@wayne.com  ");
}

/// The painted colour at a logical point.
fn pixel(c: &Canvas, (x, y): (f32, f32)) -> u32 {
    c.pixel_0rgb(x as u32, y as u32).unwrap()
}

#[test]
fn buttons_are_painted_in_their_colours() {
    let mut text = TextSystem::new();
    let mut w = MainWindow::new();
    w.show_authenticated(&bruce());
    let mut canvas = Canvas::new(400, 400, 1.0).unwrap();
    w.ui_mut().paint(&mut canvas, &mut text);
    // A point on each button's 2 px left border, halfway down.
    let on_border = |r: Rect| (r.x + 1.0, r.y + r.h / 2.0);
    let logout = w.ui().bounds(w.logout_button_id()).unwrap();
    let close = w.ui().bounds(w.close_button_id()).unwrap();
    assert_eq!(pixel(&canvas, on_border(logout)), theme::YELLOW.to_0rgb());
    assert_eq!(pixel(&canvas, on_border(close)), theme::RED.to_0rgb());
    assert_eq!(pixel(&canvas, (5.0, 5.0)), theme::BACKGROUND.to_0rgb());

    w.show_logged_out();
    w.ui_mut().paint(&mut canvas, &mut text);
    let check = w.ui().bounds(w.check_button_id()).unwrap();
    assert_eq!(pixel(&canvas, on_border(check)), theme::BLUE.to_0rgb());
    // Hover fills the button with its colour.
    let mut c = MainWindowClient::new();
    let (x, y) = (check.x + 10.0, check.y + 10.0);
    w.handle(&Event::PointerMoved { x, y }, &mut c);
    w.ui_mut().paint(&mut canvas, &mut text);
    assert_eq!(pixel(&canvas, (x, y)), theme::BLUE.to_0rgb());
}

fn write_png(name: &str, canvas: &Canvas) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("renderer-main");
    std::fs::create_dir_all(&dir).unwrap();
    let file = std::fs::File::create(dir.join(name)).unwrap();
    let mut enc = png::Encoder::new(
        std::io::BufWriter::new(file),
        canvas.width_px(),
        canvas.height_px(),
    );
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut out = enc.write_header().unwrap();
    out.write_image_data(&canvas.to_rgba_image()).unwrap();
}

#[test]
fn snapshots_of_every_state() {
    let mut text = TextSystem::new();
    let mut c = MainWindowClient::new();
    let mut w = MainWindow::new();
    let mut shot = |w: &mut MainWindow, name: &str| {
        // A fresh canvas each time: a full paint of the current state.
        let mut canvas = Canvas::new(400, 400, 1.0).unwrap();
        assert!(w.ui_mut().paint(&mut canvas, &mut text).is_some());
        write_png(name, &canvas);
    };
    shot(&mut w, "main_1_initializing.png");
    w.show_initial_state(None);
    shot(&mut w, "main_2_signed_out.png");
    let check = w.ui().bounds(w.check_button_id()).unwrap();
    w.handle(
        &Event::PointerMoved {
            x: check.x + 5.0,
            y: check.y + 5.0,
        },
        &mut c,
    );
    shot(&mut w, "main_3_check_hover.png");
    w.handle(&Event::PointerLeft, &mut c);
    w.show_authenticated(&bruce());
    shot(&mut w, "main_4_signed_in.png");
    w.show_logged_out();
    shot(&mut w, "main_5_logged_out.png");
    assert!(c.take_outgoing().is_empty());
}

#[test]
fn tab_reaches_every_button_in_visual_order_and_space_activates() {
    let mut w = MainWindow::new();
    let mut c = MainWindowClient::new();
    w.show_initial_state(None);
    key(&mut w, &mut c, Key::Tab);
    assert_eq!(w.ui().focused(), Some(w.check_button_id()));
    // Space as the broker delivers it: the text it types.
    w.handle(&Event::Text(" ".into()), &mut c);
    assert_eq!(c.take_outgoing(), vec![RendererToBroker::OpenLoginWindow]);
    key(&mut w, &mut c, Key::Tab);
    assert_eq!(w.ui().focused(), Some(w.close_button_id()));
    key(&mut w, &mut c, Key::Space);
    assert_eq!(c.take_outgoing(), vec![RendererToBroker::CloseWindow]);

    w.show_authenticated(&bruce());
    key(&mut w, &mut c, Key::Tab);
    assert_eq!(w.ui().focused(), Some(w.logout_button_id()));
    key(&mut w, &mut c, Key::Tab);
    assert_eq!(w.ui().focused(), Some(w.close_button_id()));
    key(&mut w, &mut c, Key::Tab);
    assert_eq!(w.ui().focused(), Some(w.logout_button_id()), "wraps");
    assert!(w.ui().focus_visible());
}
