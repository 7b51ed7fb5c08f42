//! The Login Window driven as the renderer runtime drives it: real input
//! events through the real `Ui`, outcomes produced by the real client
//! (`complete` / `expire`), and assertions on exactly what the client queued
//! for the broker.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use workshop_common::client::{InvokeError, LoginOutcome, LoginWindowClient};
use workshop_common::protocol::{Reply, Request, RequestId};
use workshop_common::user::{LoginError, User, MAX_EMAIL_BYTES, MAX_PASSWORD_BYTES};
use workshop_common::RendererToBroker;
use workshop_renderer_login::{
    LoginPhase, LoginWindow, LOADING_LABEL, SIGNED_IN_LABEL, SUBMIT_LABEL,
};
use workshop_ui::{theme, Canvas, CursorIcon, Event, Key, Modifiers, Rect, TextSystem, WidgetId};

const TIMEOUT: Duration = Duration::from_secs(10);
const PASSWORD: &str = "correct horse battery staple";

fn bruce() -> User {
    User {
        id: 123456,
        name: "Bruce Wayne".into(),
        email: "bruce@wayne.com".into(),
    }
}

fn client() -> LoginWindowClient {
    LoginWindowClient::new(TIMEOUT)
}

fn layout(w: &mut LoginWindow) {
    w.ui_mut().layout(&mut TextSystem::new());
}

fn centre(r: Rect) -> (f32, f32) {
    (r.x + r.w / 2.0, r.y + r.h / 2.0)
}

/// A full click (press and release) on the centre of a widget.
fn click(w: &mut LoginWindow, c: &mut LoginWindowClient, id: WidgetId) {
    layout(w);
    let (x, y) = centre(w.ui().bounds(id).expect("widget is laid out"));
    w.handle(&Event::PointerMoved { x, y }, c);
    w.handle(&Event::PointerPressed { x, y }, c);
    w.handle(&Event::PointerReleased { x, y }, c);
}

fn key(w: &mut LoginWindow, c: &mut LoginWindowClient, key: Key) {
    w.handle(
        &Event::Key {
            key,
            modifiers: Modifiers::NONE,
        },
        c,
    );
}

fn type_text(w: &mut LoginWindow, c: &mut LoginWindowClient, s: &str) {
    w.handle(&Event::Text(s.to_owned()), c);
}

/// Clicks into a field and types.
fn fill(w: &mut LoginWindow, c: &mut LoginWindowClient, id: WidgetId, s: &str) {
    click(w, c, id);
    assert_eq!(w.ui().focused(), Some(id));
    type_text(w, c, s);
}

fn fill_form(w: &mut LoginWindow, c: &mut LoginWindowClient, email: &str, password: &str) {
    let (e, p) = (w.email_input_id(), w.password_input_id());
    fill(w, c, e, email);
    fill(w, c, p, password);
}

/// The one message queued: a SubmitLogin invoke; returns its id, email and
/// password.
fn one_submit(c: &mut LoginWindowClient) -> (RequestId, String, String) {
    let mut out = c.take_outgoing(Instant::now());
    assert_eq!(out.len(), 1, "exactly one message");
    match out.remove(0) {
        RendererToBroker::Invoke {
            id,
            request: Request::SubmitLogin { email, password },
        } => (id, email, password.expose().to_owned()),
        other => panic!("not a SubmitLogin invoke: {other:?}"),
    }
}

fn submit_label(w: &LoginWindow) -> &str {
    w.ui().text(w.submit_button_id())
}

fn submit_enabled(w: &LoginWindow) -> bool {
    w.ui().is_enabled(w.submit_button_id())
}

fn error_text(w: &LoginWindow) -> &str {
    w.ui().text(w.error_label_id())
}

/// A window with a sign-in pending; returns its request id.
fn pending(w: &mut LoginWindow, c: &mut LoginWindowClient) -> RequestId {
    fill_form(w, c, "bruce@wayne.com", PASSWORD);
    let id = w.submit_button_id();
    click(w, c, id);
    let (rid, _, _) = one_submit(c);
    assert_eq!(w.phase(), LoginPhase::Pending);
    rid
}

#[test]
fn new_form_is_empty_focused_and_submit_disabled() {
    let mut w = LoginWindow::new();
    layout(&mut w);
    assert_eq!(w.phase(), LoginPhase::Editing);
    assert_eq!(w.ui().value(w.email_input_id()), "");
    assert_eq!(w.ui().value(w.password_input_id()), "");
    assert_eq!(w.ui().focused(), Some(w.email_input_id()));
    assert_eq!(submit_label(&w), SUBMIT_LABEL);
    assert!(!submit_enabled(&w));
    assert_eq!(error_text(&w), "");
    assert_eq!(w.ui().display_text(w.password_input_id()).unwrap(), "");
}

#[test]
fn submit_is_disabled_until_both_fields_are_filled() {
    let mut w = LoginWindow::new();
    let mut c = client();
    let (e, p, s) = (
        w.email_input_id(),
        w.password_input_id(),
        w.submit_button_id(),
    );
    fill(&mut w, &mut c, e, "x");
    assert!(!submit_enabled(&w), "email alone");
    // Clicking the disabled button sends nothing.
    click(&mut w, &mut c, s);
    assert!(c.take_outgoing(Instant::now()).is_empty());
    fill(&mut w, &mut c, p, "y");
    assert!(
        submit_enabled(&w),
        "both filled (a valid email is not required)"
    );
    key(&mut w, &mut c, Key::Backspace);
    assert!(!submit_enabled(&w), "password emptied again");
    click(&mut w, &mut c, e);
    key(&mut w, &mut c, Key::Backspace);
    click(&mut w, &mut c, p);
    type_text(&mut w, &mut c, "y");
    assert!(!submit_enabled(&w), "password alone");
    assert!(c.take_outgoing(Instant::now()).is_empty());
}

#[test]
fn disabled_submit_is_grey_and_enabled_submit_green() {
    let mut text = TextSystem::new();
    let mut canvas = Canvas::new(400, 400, 1.0).unwrap();
    let mut w = LoginWindow::new();
    let mut c = client();
    w.ui_mut().paint(&mut canvas, &mut text);
    let b = w.ui().bounds(w.submit_button_id()).unwrap();
    assert_eq!(b.h, 48.0);
    let border = (b.x as u32 + 1, (b.y + b.h / 2.0) as u32);
    assert_eq!(
        canvas.pixel_0rgb(border.0, border.1),
        Some(theme::DISABLED.to_0rgb())
    );
    fill_form(&mut w, &mut c, "bruce@wayne.com", PASSWORD);
    w.handle(&Event::PointerLeft, &mut c);
    w.ui_mut().paint(&mut canvas, &mut text);
    assert_eq!(
        canvas.pixel_0rgb(border.0, border.1),
        Some(theme::GREEN.to_0rgb())
    );
}

#[test]
fn form_is_seventy_percent_wide_and_centred() {
    let mut w = LoginWindow::new();
    layout(&mut w);
    let email = w.ui().bounds(w.email_input_id()).unwrap();
    let password = w.ui().bounds(w.password_input_id()).unwrap();
    let submit = w.ui().bounds(w.submit_button_id()).unwrap();
    for r in [email, password, submit] {
        assert_eq!((r.x, r.w), (60.0, 280.0), "{r:?}");
    }
    assert_eq!((email.h, password.h, submit.h), (36.0, 36.0, 48.0));
    assert_eq!(password.y, email.bottom() + 16.0);
    assert_eq!(submit.y, password.bottom() + 16.0);
    // With no error the line takes no space: the form alone is centred,
    // as in the original.
    assert!(!w.ui().is_visible(w.error_label_id()));
    let (top, bottom) = (email.y, submit.bottom());
    assert!((top - (400.0 - bottom)).abs() < 0.5, "{top} vs {bottom}");
}

#[test]
fn typing_and_clicking_submit_sends_one_invoke_with_what_was_typed() {
    let mut w = LoginWindow::new();
    let mut c = client();
    fill_form(&mut w, &mut c, "bruce@wayne.com", PASSWORD);
    assert_eq!(
        w.ui().display_text(w.password_input_id()).unwrap(),
        "•".repeat(PASSWORD.chars().count()),
        "masked"
    );
    assert!(
        c.take_outgoing(Instant::now()).is_empty(),
        "typing sends nothing"
    );
    let s = w.submit_button_id();
    click(&mut w, &mut c, s);
    let (id, email, password) = one_submit(&mut c);
    assert_eq!(email, "bruce@wayne.com");
    assert_eq!(password, PASSWORD);
    assert_eq!(w.pending_request(), Some(id));
    assert!(c.is_pending());
    // The password field is emptied at once; the email stays.
    assert_eq!(w.ui().value(w.password_input_id()), "");
    assert_eq!(w.ui().value(w.email_input_id()), "bruce@wayne.com");
}

#[test]
fn tab_moves_from_email_to_password_to_submit_and_enter_there_submits() {
    let mut w = LoginWindow::new();
    let mut c = client();
    layout(&mut w);
    type_text(&mut w, &mut c, "bruce@wayne.com");
    key(&mut w, &mut c, Key::Tab);
    assert_eq!(w.ui().focused(), Some(w.password_input_id()));
    type_text(&mut w, &mut c, PASSWORD);
    key(&mut w, &mut c, Key::Tab);
    assert_eq!(w.ui().focused(), Some(w.submit_button_id()));
    key(&mut w, &mut c, Key::Enter);
    let (_, email, password) = one_submit(&mut c);
    assert_eq!(
        (email.as_str(), password.as_str()),
        ("bruce@wayne.com", PASSWORD)
    );
}

#[test]
fn enter_in_either_field_submits() {
    for in_email in [false, true] {
        let mut w = LoginWindow::new();
        let mut c = client();
        fill_form(&mut w, &mut c, "bruce@wayne.com", PASSWORD);
        if in_email {
            let e = w.email_input_id();
            click(&mut w, &mut c, e);
        }
        key(&mut w, &mut c, Key::Enter);
        let (_, email, password) = one_submit(&mut c);
        assert_eq!(email, "bruce@wayne.com");
        assert_eq!(password, PASSWORD);
    }
}

#[test]
fn enter_with_an_empty_field_sends_nothing() {
    let mut w = LoginWindow::new();
    let mut c = client();
    type_text(&mut w, &mut c, "bruce@wayne.com");
    key(&mut w, &mut c, Key::Enter);
    assert!(c.take_outgoing(Instant::now()).is_empty());
    assert_eq!(w.phase(), LoginPhase::Editing);
}

#[test]
fn while_pending_the_button_reads_loading_and_nothing_more_is_sent() {
    let mut w = LoginWindow::new();
    let mut original = client();
    pending(&mut w, &mut original);
    assert_eq!(submit_label(&w), LOADING_LABEL);
    assert!(!submit_enabled(&w));
    assert!(!w.ui().is_enabled(w.email_input_id()));
    assert!(!w.ui().is_enabled(w.password_input_id()));
    // Every way of submitting again, through a client with nothing pending:
    // only the window itself can stop these.
    let mut fresh = client();
    let c = &mut fresh;
    let (e, p, s) = (
        w.email_input_id(),
        w.password_input_id(),
        w.submit_button_id(),
    );
    click(&mut w, c, s);
    key(&mut w, c, Key::Enter);
    for id in [e, p] {
        click(&mut w, c, id);
        type_text(&mut w, c, "more");
        key(&mut w, c, Key::Enter);
    }
    key(&mut w, c, Key::Tab);
    key(&mut w, c, Key::Enter);
    assert!(c.take_outgoing(Instant::now()).is_empty());
    assert!(original.take_outgoing(Instant::now()).is_empty());
    assert_eq!(w.pending_request(), Some(RequestId(1)), "still the first");
    assert_eq!(submit_label(&w), LOADING_LABEL);
    assert_eq!(w.ui().value(e), "bruce@wayne.com", "inputs are frozen");
    assert_eq!(w.ui().value(p), "");
    // The disabled button shows no hand.
    layout(&mut w);
    let (x, y) = centre(w.ui().bounds(s).unwrap());
    w.handle(&Event::PointerMoved { x, y }, c);
    assert_eq!(w.ui().cursor(), CursorIcon::Default);
}

#[test]
fn error_outcome_shows_the_error_and_the_form_works_again() {
    let mut w = LoginWindow::new();
    let mut c = client();
    let id = pending(&mut w, &mut c);
    let outcome = c
        .complete(id, Reply::SubmitLogin(Err(LoginError::Rejected)))
        .unwrap();
    w.on_outcome(outcome);
    assert_eq!(w.phase(), LoginPhase::Editing);
    assert_eq!(error_text(&w), "email or password is incorrect");
    assert_eq!(submit_label(&w), SUBMIT_LABEL);
    assert!(w.ui().is_enabled(w.email_input_id()));
    assert!(w.ui().is_enabled(w.password_input_id()));
    assert_eq!(w.ui().value(w.email_input_id()), "bruce@wayne.com");
    // The password was cleared at submit: type it again (focus is there).
    assert_eq!(w.ui().focused(), Some(w.password_input_id()));
    assert!(!submit_enabled(&w));
    type_text(&mut w, &mut c, "another");
    assert!(submit_enabled(&w));
    assert_eq!(error_text(&w), "email or password is incorrect", "kept");
    key(&mut w, &mut c, Key::Enter);
    let (id2, email, password) = one_submit(&mut c);
    assert!(id2 > id);
    assert_eq!(
        (email.as_str(), password.as_str()),
        ("bruce@wayne.com", "another")
    );
    assert_eq!(error_text(&w), "", "a new submit clears the old error");
    assert_eq!(submit_label(&w), LOADING_LABEL);
}

#[test]
fn invalid_email_reply_puts_focus_on_the_email() {
    let mut w = LoginWindow::new();
    let mut c = client();
    let id = pending(&mut w, &mut c);
    let outcome = c
        .complete(id, Reply::SubmitLogin(Err(LoginError::InvalidEmail)))
        .unwrap();
    w.on_outcome(outcome);
    assert_eq!(error_text(&w), "enter a valid email address");
    assert_eq!(w.ui().focused(), Some(w.email_input_id()));
}

#[test]
fn timeout_outcome_shows_an_error_and_re_enables() {
    let mut w = LoginWindow::new();
    let mut c = client();
    fill_form(&mut w, &mut c, "bruce@wayne.com", PASSWORD);
    key(&mut w, &mut c, Key::Enter);
    let t0 = Instant::now();
    assert_eq!(c.take_outgoing(t0).len(), 1);
    let expired = c.expire(t0 + TIMEOUT);
    assert_eq!(expired.len(), 1);
    for outcome in expired {
        w.on_outcome(outcome);
    }
    assert_eq!(w.phase(), LoginPhase::Editing);
    assert_eq!(error_text(&w), "sign-in timed out, try again");
    assert_eq!(submit_label(&w), SUBMIT_LABEL);
    type_text(&mut w, &mut c, "x");
    assert!(submit_enabled(&w));
}

#[test]
fn ok_outcome_finishes_the_form() {
    let mut w = LoginWindow::new();
    let mut c = client();
    let id = pending(&mut w, &mut c);
    let outcome = c.complete(id, Reply::SubmitLogin(Ok(bruce()))).unwrap();
    w.on_outcome(outcome);
    assert_eq!(w.phase(), LoginPhase::SignedIn);
    assert_eq!(w.pending_request(), None);
    assert_eq!(submit_label(&w), SIGNED_IN_LABEL);
    assert!(!submit_enabled(&w));
    assert!(!w.ui().is_enabled(w.email_input_id()));
    assert!(!w.ui().is_enabled(w.password_input_id()));
    assert_eq!(error_text(&w), "");
    assert_eq!(w.ui().value(w.password_input_id()), "");
    // Nothing can be sent any more.
    let (e, s) = (w.email_input_id(), w.submit_button_id());
    click(&mut w, &mut c, e);
    type_text(&mut w, &mut c, "x");
    key(&mut w, &mut c, Key::Enter);
    click(&mut w, &mut c, s);
    assert!(c.take_outgoing(Instant::now()).is_empty());
    assert_eq!(w.phase(), LoginPhase::SignedIn);
}

#[test]
fn outcomes_for_nothing_pending_or_another_request_are_ignored() {
    let mut w = LoginWindow::new();
    let mut c = client();
    w.on_outcome(LoginOutcome {
        id: RequestId(7),
        result: Ok(bruce()),
    });
    assert_eq!(w.phase(), LoginPhase::Editing, "nothing was pending");
    let id = pending(&mut w, &mut c);
    w.on_outcome(LoginOutcome {
        id: RequestId(id.0 + 1),
        result: Err(InvokeError::TimedOut),
    });
    assert_eq!(w.phase(), LoginPhase::Pending, "another request's outcome");
    assert_eq!(submit_label(&w), LOADING_LABEL);
    let outcome = c.complete(id, Reply::SubmitLogin(Ok(bruce()))).unwrap();
    w.on_outcome(outcome);
    assert_eq!(w.phase(), LoginPhase::SignedIn);
    w.on_outcome(LoginOutcome {
        id,
        result: Err(InvokeError::TimedOut),
    });
    assert_eq!(w.phase(), LoginPhase::SignedIn, "a late duplicate");
}

#[test]
fn a_badly_shaped_email_is_refused_without_a_round_trip() {
    let mut w = LoginWindow::new();
    let mut c = client();
    fill_form(&mut w, &mut c, "bruce", PASSWORD);
    assert!(submit_enabled(&w), "shape is not required to enable Submit");
    key(&mut w, &mut c, Key::Enter);
    assert!(c.take_outgoing(Instant::now()).is_empty());
    assert_eq!(w.phase(), LoginPhase::Editing);
    assert_eq!(error_text(&w), "enter a valid email address");
    assert_eq!(w.ui().focused(), Some(w.email_input_id()));
    assert_eq!(
        w.ui().value(w.password_input_id()),
        PASSWORD,
        "nothing was sent, so the password is kept"
    );
    type_text(&mut w, &mut c, "@wayne.com");
    key(&mut w, &mut c, Key::Enter);
    let (_, email, _) = one_submit(&mut c);
    assert_eq!(email, "bruce@wayne.com");
}

#[test]
fn the_email_is_trimmed() {
    let mut w = LoginWindow::new();
    let mut c = client();
    fill_form(&mut w, &mut c, "  bruce@wayne.com ", " pass ");
    key(&mut w, &mut c, Key::Enter);
    let (_, email, password) = one_submit(&mut c);
    assert_eq!(email, "bruce@wayne.com");
    assert_eq!(password, " pass ", "passwords are sent exactly as typed");
}

#[test]
fn fields_cannot_exceed_the_protocol_limits() {
    let mut w = LoginWindow::new();
    let mut c = client();
    let long_email = format!("{}@wayne.com", "b".repeat(2 * MAX_EMAIL_BYTES));
    let long_password = "p".repeat(2 * MAX_PASSWORD_BYTES);
    fill_form(&mut w, &mut c, &long_email, &long_password);
    assert_eq!(w.ui().value(w.email_input_id()).len(), MAX_EMAIL_BYTES);
    assert_eq!(
        w.ui().value(w.password_input_id()).len(),
        MAX_PASSWORD_BYTES
    );

    let mut w = LoginWindow::new();
    let email = format!("{}@wayne.com", "b".repeat(MAX_EMAIL_BYTES - 10));
    assert_eq!(email.len(), MAX_EMAIL_BYTES);
    fill_form(&mut w, &mut c, &email, &long_password);
    key(&mut w, &mut c, Key::Enter);
    let (_, sent_email, sent_password) = one_submit(&mut c);
    assert_eq!(sent_email, email);
    assert_eq!(sent_password.len(), MAX_PASSWORD_BYTES);
}

#[test]
fn debug_output_never_shows_the_password() {
    let secret = "hunter2-Xyzzy-42";
    let mut w = LoginWindow::new();
    let mut c = client();
    let no_leak = |w: &LoginWindow| {
        for dump in [format!("{w:?}"), format!("{w:#?}")] {
            assert!(!dump.contains(secret), "{dump}");
            assert!(!dump.contains("Xyzzy"), "{dump}");
        }
    };
    fill_form(&mut w, &mut c, "bruce@wayne.com", secret);
    no_leak(&w);
    assert!(format!("{w:?}").contains("redacted"), "the field says so");
    key(&mut w, &mut c, Key::Enter);
    no_leak(&w);
    let out = c.take_outgoing(Instant::now());
    assert!(!format!("{out:?}").contains(secret));
    assert!(!format!("{c:?}").contains(secret));
    // And it did go out, in the one message meant for it.
    match &out[..] {
        [RendererToBroker::Invoke {
            request: Request::SubmitLogin { password, .. },
            ..
        }] => assert_eq!(password.expose(), secret),
        _ => panic!("expected one SubmitLogin"),
    }
}

fn write_png(name: &str, canvas: &Canvas) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("renderer-login");
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
    let mut shot = |w: &mut LoginWindow, name: &str| {
        let mut canvas = Canvas::new(400, 400, 1.0).unwrap();
        assert!(w.ui_mut().paint(&mut canvas, &mut text).is_some());
        write_png(name, &canvas);
    };
    let mut w = LoginWindow::new();
    let mut c = client();
    shot(&mut w, "login_1_empty.png");
    fill_form(&mut w, &mut c, "bruce@wayne.com", PASSWORD);
    w.handle(&Event::PointerLeft, &mut c);
    shot(&mut w, "login_2_filled.png");
    let s = w.submit_button_id();
    click(&mut w, &mut c, s);
    let (id, _, _) = one_submit(&mut c);
    shot(&mut w, "login_3_pending.png");
    let outcome = c
        .complete(id, Reply::SubmitLogin(Err(LoginError::Rejected)))
        .unwrap();
    w.on_outcome(outcome);
    shot(&mut w, "login_4_error.png");
    type_text(&mut w, &mut c, PASSWORD);
    key(&mut w, &mut c, Key::Enter);
    let (id, _, _) = one_submit(&mut c);
    let outcome = c.complete(id, Reply::SubmitLogin(Ok(bruce()))).unwrap();
    w.on_outcome(outcome);
    shot(&mut w, "login_5_signed_in.png");
}

#[test]
fn escape_asks_the_broker_to_close_the_window() {
    let mut w = LoginWindow::new();
    let mut c = client();
    assert!(!w.close_requested());
    fill_form(&mut w, &mut c, "bruce@wayne.com", PASSWORD);
    key(&mut w, &mut c, Key::Tab);
    assert!(!w.close_requested(), "other keys do not close");
    key(&mut w, &mut c, Key::Escape);
    assert!(w.close_requested());
    assert_eq!(
        c.take_outgoing(Instant::now()),
        vec![RendererToBroker::CloseWindow]
    );
    // Pending or not, Escape still closes (the broker drops a late reply).
    let mut w = LoginWindow::new();
    fill_form(&mut w, &mut c, "bruce@wayne.com", PASSWORD);
    key(&mut w, &mut c, Key::Enter);
    assert_eq!(w.phase(), LoginPhase::Pending);
    key(&mut w, &mut c, Key::Escape);
    assert!(w.close_requested());
}

#[test]
fn space_on_the_focused_submit_submits() {
    let mut w = LoginWindow::new();
    let mut c = client();
    fill_form(&mut w, &mut c, "bruce@wayne.com", PASSWORD);
    key(&mut w, &mut c, Key::Tab);
    assert_eq!(w.ui().focused(), Some(w.submit_button_id()));
    // The broker delivers Space as the text it types.
    type_text(&mut w, &mut c, " ");
    let (_, email, password) = one_submit(&mut c);
    assert_eq!(
        (email.as_str(), password.as_str()),
        ("bruce@wayne.com", PASSWORD)
    );
}
