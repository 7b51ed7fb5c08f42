//! The look, pixel for pixel: each state of both windows, painted by real
//! (sandboxed) renderer processes and presented by the headless shell, is
//! compared with a committed reference PNG in `tests/reference/`.
//!
//! Two layers of checks, so the tests keep meaning something even if the
//! references are regenerated carelessly:
//! - **exact probes**: a few pixels per state whose colour the design fixes
//!   (background, button borders and fills, input borders), taken from the
//!   widget bounds the renderer's own layout code computes;
//! - **reference images**: the whole window, with a small tolerance. A pixel
//!   counts as equal when no channel differs by more than
//!   [`CHANNEL_TOLERANCE`]; at most [`MAX_DIFFERING`] of the pixels may
//!   differ (glyph antialiasing may vary slightly between machines).
//!
//! On a mismatch the actual image and a diff image (differing pixels red on a
//! faded copy of the actual image) go to `$CARGO_TARGET_TMPDIR/look/`.
//! `WORKSHOP_UPDATE_REFERENCE=1 cargo test -p workshop-broker --test look`
//! rewrites the references instead; look at every one before committing it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use support::pixels::{
    border_probe, channels, fill_probe, inner, is_dark, login_box, main_box, read_png,
};
use support::{Harness, Options};
use workshop_broker::auth::{RejectAll, SimulatedApi};
use workshop_common::input::{Key, Modifiers};
use workshop_common::Role;
use workshop_renderer_login::LoginWindow;
use workshop_ui::theme::{self, Color};
use workshop_ui::{PxRect, WidgetId};

/// Largest per-channel difference (0..=255) that still counts as equal.
const CHANNEL_TOLERANCE: u8 = 8;
/// Largest share of pixels that may differ from the reference.
const MAX_DIFFERING: f64 = 0.005;

const EMAIL: &str = "bruce@wayne.com";
const PASSWORD: &str = "hunter2";

// ---------------------------------------------------------------------------
// Tests

#[test]
fn main_signed_out_and_check_button_hovered() {
    let mut h = Harness::start(support::options());
    let check = main_box(None, |w| w.check_button_id(), 1.0);
    let close = main_box(None, |w| w.close_button_id(), 1.0);
    wait_pixel(&mut h, Role::Main, border_probe(check), theme::BLUE);

    let look = Look::new(&h, Role::Main);
    look.background_corners();
    look.exact(border_probe(check), theme::BLUE, "check button border");
    look.exact(
        fill_probe(check),
        theme::BACKGROUND,
        "check button not filled",
    );
    look.exact(border_probe(close), theme::RED, "Close border");
    look.exact(fill_probe(close), theme::BACKGROUND, "Close not filled");
    let heading = main_box(None, |w| w.heading_id(), 1.0);
    look.at_least(heading, 700, "heading in black", is_dark);
    look.at_least(inner(check), 200, "check label in blue", |p| {
        near(p, theme::BLUE, 24)
    });
    look.none(whole(&look), "no yellow: no Logout button", |p| {
        near(p, theme::YELLOW, 24)
    });
    look.reference("main-signed-out");

    let (x, y) = centre(check);
    h.app.hover(Role::Main, x, y);
    wait_pixel(&mut h, Role::Main, fill_probe(check), theme::BLUE);
    let look = Look::new(&h, Role::Main);
    look.background_corners();
    look.exact(
        fill_probe(check),
        theme::BLUE,
        "hovered check button filled",
    );
    look.exact(
        border_probe(check),
        theme::BLUE,
        "hovered check button border",
    );
    look.at_least(inner(check), 120, "hovered label in #f9f9f9", |p| {
        p == theme::HOVER_TEXT.to_0rgb()
    });
    look.exact(fill_probe(close), theme::BACKGROUND, "Close not filled");
    look.reference("main-check-hovered");
}

#[test]
fn main_signed_in_and_logout_hovered() {
    let mut h = Harness::start(support::options());
    let check = main_box(None, |w| w.check_button_id(), 1.0);
    wait_pixel(&mut h, Role::Main, border_probe(check), theme::BLUE);
    h.click_check();
    h.wait_ready(Role::Login);
    // Pointer off the button again, so the signed-in view shows no hover.
    h.app.hover(Role::Main, 5.0, 5.0);
    wait_pixel(&mut h, Role::Main, fill_probe(check), theme::BACKGROUND);
    h.submit_login(EMAIL, PASSWORD);
    let user = support::bruce(EMAIL);
    let logout = main_box(Some(&user), |w| w.logout_button_id(), 1.0);
    h.until("signed in, Login Window closed", |app| {
        app.backend().window(Role::Login).is_none()
    });
    wait_pixel(&mut h, Role::Main, border_probe(logout), theme::YELLOW);

    let welcome = main_box(Some(&user), |w| w.welcome_id(), 1.0);
    let email = main_box(Some(&user), |w| w.email_id(), 1.0);
    let close = main_box(Some(&user), |w| w.close_button_id(), 1.0);
    let look = Look::new(&h, Role::Main);
    look.background_corners();
    look.exact(border_probe(logout), theme::YELLOW, "Logout border");
    look.exact(fill_probe(logout), theme::BACKGROUND, "Logout not filled");
    look.exact(border_probe(close), theme::RED, "Close border");
    look.at_least(welcome, 250, "\"Welcome, Bruce Wayne!\" in black", is_dark);
    look.at_least(email, 300, "\"Your email: ...\" in black", is_dark);
    look.none(whole(&look), "no blue: the check button is gone", |p| {
        near(p, theme::BLUE, 24)
    });
    look.reference("main-signed-in");

    let (x, y) = centre(logout);
    h.app.hover(Role::Main, x, y);
    wait_pixel(&mut h, Role::Main, fill_probe(logout), theme::YELLOW);
    let look = Look::new(&h, Role::Main);
    look.background_corners();
    look.exact(fill_probe(logout), theme::YELLOW, "hovered Logout filled");
    look.at_least(inner(logout), 60, "hovered label in #f9f9f9", |p| {
        p == theme::HOVER_TEXT.to_0rgb()
    });
    look.reference("main-logout-hovered");
}

#[test]
fn login_empty_filled_and_submit_hovered() {
    let mut h = open_login(support::options());
    let email = login_box(|w| w.email_input_id());
    let password = login_box(|w| w.password_input_id());
    let submit = login_box(|w| w.submit_button_id());
    wait_pixel(&mut h, Role::Login, border_probe(submit), theme::DISABLED);

    let look = Look::new(&h, Role::Login);
    look.background_corners();
    look.exact(
        border_probe(submit),
        theme::DISABLED,
        "disabled Submit border",
    );
    look.exact(fill_probe(submit), theme::SUBMIT_BG, "Submit fill");
    look.at_least(inner(submit), 120, "disabled label in grey", |p| {
        near(p, theme::DISABLED, 24)
    });
    look.exact(
        top_probe(email),
        theme::INPUT_FOCUS_BORDER,
        "focused Email border",
    );
    look.exact(top_probe(password), theme::INPUT_BORDER, "Password border");
    look.exact(right_probe(email), theme::INPUT_BG, "Email fill");
    look.exact(right_probe(password), theme::INPUT_BG, "Password fill");
    look.at_least(inner(password), 80, "placeholder ink", |p| {
        p != theme::INPUT_BG.to_0rgb() && near(p, theme::PLACEHOLDER, 70)
    });
    look.none(
        inner(password),
        "no dark text in the empty Password",
        is_dark,
    );
    look.reference("login-empty");

    fill_form(&mut h);
    let look = Look::new(&h, Role::Login);
    look.background_corners();
    look.exact(border_probe(submit), theme::GREEN, "enabled Submit border");
    look.exact(fill_probe(submit), theme::SUBMIT_BG, "Submit fill");
    look.at_least(inner(submit), 100, "Submit label in green", |p| {
        near(p, theme::GREEN, 24)
    });
    look.exact(top_probe(email), theme::INPUT_BORDER, "Email border");
    look.exact(
        top_probe(password),
        theme::INPUT_FOCUS_BORDER,
        "focused Password border",
    );
    look.at_least(inner(email), 150, "typed email in black", is_dark);
    look.at_least(inner(password), 50, "password mask in black", is_dark);
    look.reference("login-filled");

    let (x, y) = centre(submit);
    h.app.hover(Role::Login, x, y);
    wait_pixel(&mut h, Role::Login, fill_probe(submit), theme::GREEN);
    let look = Look::new(&h, Role::Login);
    look.background_corners();
    look.exact(fill_probe(submit), theme::GREEN, "hovered Submit filled");
    look.at_least(inner(submit), 70, "hovered label in #f9f9f9", |p| {
        p == theme::HOVER_TEXT.to_0rgb()
    });
    look.reference("login-submit-hovered");
}

#[test]
fn login_pending_shows_loading() {
    let mut h = open_login(Options {
        // Far longer than the test: the sign-in stays pending.
        auth: Arc::new(SimulatedApi {
            delay: Duration::from_secs(60),
        }),
        ..support::options()
    });
    let email = login_box(|w| w.email_input_id());
    let password = login_box(|w| w.password_input_id());
    let submit = login_box(|w| w.submit_button_id());
    fill_form(&mut h);
    let submit_label = ink_columns(&Look::new(&h, Role::Login), inner(submit));

    h.app.key(Role::Login, Key::Enter, Modifiers::default());
    wait_pixel(&mut h, Role::Login, border_probe(submit), theme::DISABLED);
    let look = Look::new(&h, Role::Login);
    look.background_corners();
    look.exact(
        border_probe(submit),
        theme::DISABLED,
        "pending Submit border",
    );
    look.exact(fill_probe(submit), theme::SUBMIT_BG, "Submit fill");
    look.exact(
        top_probe(email),
        theme::INPUT_BORDER,
        "disabled Email border",
    );
    look.exact(
        top_probe(password),
        theme::INPUT_BORDER,
        "disabled Password border",
    );
    look.at_least(inner(email), 150, "sent email in grey", |p| {
        near(p, theme::DISABLED, 40)
    });
    look.none(inner(email), "no black text while pending", is_dark);
    look.none(inner(password), "password cleared at submit", is_dark);
    let loading_label = ink_columns(&look, inner(submit));
    assert!(
        loading_label > submit_label + 10,
        "\"loading...\" ({loading_label} px wide) should be wider than \"Submit\" \
         ({submit_label} px)"
    );
    look.reference("login-pending");
    assert!(h.app.backend().window(Role::Login).is_some());
    assert_eq!(h.app.driver().core().user(), None);
}

#[test]
fn login_error_is_shown_under_the_form() {
    let mut h = open_login(Options {
        auth: Arc::new(RejectAll {
            delay: Duration::from_millis(20),
        }),
        ..support::options()
    });
    // Boxes as laid out with the error line shown (the form moves up).
    let shown = support::login_in_error_state();
    let error_box = |id: fn(&LoginWindow) -> WidgetId| {
        shown.ui().bounds(id(&shown)).unwrap().to_px_snapped(1.0)
    };
    let password = error_box(|w| w.password_input_id());
    let submit = error_box(|w| w.submit_button_id());
    let error = error_box(|w| w.error_label_id());
    fill_form(&mut h);
    h.app.key(Role::Login, Key::Enter, Modifiers::default());
    h.until("the error text under the form", |app| {
        count(app, Role::Login, error, |p| near(p, theme::ERROR, 16)) > 20
    });

    let look = Look::new(&h, Role::Login);
    look.background_corners();
    look.at_least(error, 100, "error text in #d93025", |p| {
        near(p, theme::ERROR, 16)
    });
    // The password was cleared and has focus again; Submit waits for it.
    look.exact(
        border_probe(submit),
        theme::DISABLED,
        "Submit disabled again",
    );
    look.exact(
        top_probe(password),
        theme::INPUT_FOCUS_BORDER,
        "Password focused",
    );
    look.none(inner(password), "password cleared", is_dark);
    look.reference("login-error");
}

#[test]
fn main_signed_out_at_scale_2() {
    let scale = 2.0;
    let mut h = Harness::start(Options {
        scale,
        ..support::options()
    });
    let check = main_box(None, |w| w.check_button_id(), scale);
    let close = main_box(None, |w| w.close_button_id(), scale);
    wait_pixel(&mut h, Role::Main, border_probe(check), theme::BLUE);
    let win = h.app.backend().window(Role::Main).unwrap();
    assert_eq!((win.width, win.height), (800, 800));

    let look = Look::new(&h, Role::Main);
    look.background_corners();
    // A 2 px border is 4 physical pixels at scale 2.
    for dx in 0..4 {
        let (x, y) = (check.x + dx, check.y + check.height / 2);
        look.exact((x, y), theme::BLUE, "check button border, 4 px");
    }
    look.exact(
        (check.x + 4, check.y + check.height / 2),
        theme::BACKGROUND,
        "inside the 4 px border",
    );
    look.exact(border_probe(close), theme::RED, "Close border");
    let heading = main_box(None, |w| w.heading_id(), scale);
    look.at_least(heading, 3000, "heading in black", is_dark);
    look.reference("main-signed-out-2x");
}

// ---------------------------------------------------------------------------
// Driving the app

/// Starts a broker, waits for the signed-out Main Window, opens the Login
/// Window and waits for its first frame.
fn open_login(opts: Options) -> Harness {
    let mut h = Harness::start(opts);
    let check = main_box(None, |w| w.check_button_id(), 1.0);
    wait_pixel(&mut h, Role::Main, border_probe(check), theme::BLUE);
    h.click_check();
    h.wait_ready(Role::Login);
    let submit = login_box(|w| w.submit_button_id());
    wait_pixel(&mut h, Role::Login, border_probe(submit), theme::DISABLED);
    h
}

/// Types the email, Tab, the password; waits until Submit turns green (the
/// last of those events is the one that enables it).
fn fill_form(h: &mut Harness) {
    let (x, y) = centre(login_box(|w| w.email_input_id()));
    h.app.click(Role::Login, x, y);
    h.app.type_text(Role::Login, EMAIL);
    h.app.key(Role::Login, Key::Tab, Modifiers::default());
    h.app.type_text(Role::Login, PASSWORD);
    let submit = login_box(|w| w.submit_button_id());
    wait_pixel(h, Role::Login, border_probe(submit), theme::GREEN);
}

/// Waits until the physical pixel `at` of `role` is exactly `color`.
fn wait_pixel(h: &mut Harness, role: Role, at: (u32, u32), color: Color) {
    let want = color.to_0rgb();
    h.until(
        &format!("{role} pixel {at:?} to be #{want:06x}"),
        move |app| pixel(app, role, at) == Some(want),
    );
}

fn pixel(
    app: &workshop_broker::shell::headless::HeadlessApp,
    role: Role,
    at: (u32, u32),
) -> Option<u32> {
    let w = app.backend().window(role)?;
    (at.0 < w.width && at.1 < w.height).then(|| w.pixels[(at.1 * w.width + at.0) as usize])
}

fn count(
    app: &workshop_broker::shell::headless::HeadlessApp,
    role: Role,
    r: PxRect,
    pred: impl Fn(u32) -> bool,
) -> usize {
    let Some(w) = app.backend().window(role) else {
        return 0;
    };
    let mut n = 0;
    for y in r.y..(r.y + r.height).min(w.height) {
        for x in r.x..(r.x + r.width).min(w.width) {
            if pred(w.pixels[(y * w.width + x) as usize]) {
                n += 1;
            }
        }
    }
    n
}

// ---------------------------------------------------------------------------
// Geometry, from the same layout code the renderers run

/// Centre of a scale-1 box, logical pixels.
fn centre(r: PxRect) -> (f32, f32) {
    (
        r.x as f32 + r.width as f32 / 2.0,
        r.y as f32 + r.height as f32 / 2.0,
    )
}

/// A pixel of an input's 1 px top border, halfway across.
fn top_probe(r: PxRect) -> (u32, u32) {
    (r.x + r.width / 2, r.y)
}

/// A pixel inside an input near its right end, clear of text and caret.
fn right_probe(r: PxRect) -> (u32, u32) {
    (r.x + r.width - 6, r.y + r.height / 2)
}

/// The whole window.
fn whole(look: &Look) -> PxRect {
    PxRect {
        x: 0,
        y: 0,
        width: look.width,
        height: look.height,
    }
}

/// Every channel within `tol` of `c`.
fn near(p: u32, c: Color, tol: u8) -> bool {
    channels(p)
        .iter()
        .zip([c.r, c.g, c.b])
        .all(|(a, b)| a.abs_diff(b) <= tol)
}

/// How many columns of `r` hold any pixel other than the Submit fill and
/// the button colours' antialiasing against it: the label's width.
fn ink_columns(look: &Look, r: PxRect) -> u32 {
    let bg = theme::SUBMIT_BG.to_0rgb();
    (r.x..r.x + r.width)
        .filter(|&x| (r.y..r.y + r.height).any(|y| look.at((x, y)) != bg))
        .count() as u32
}

// ---------------------------------------------------------------------------
// Checks on one captured frame

/// One window's pixels at one moment, and the checks on them.
struct Look {
    role: Role,
    width: u32,
    height: u32,
    pixels: Vec<u32>,
}

impl Look {
    fn new(h: &Harness, role: Role) -> Look {
        let w = h.app.backend().window(role).unwrap();
        Look {
            role,
            width: w.width,
            height: w.height,
            pixels: w.pixels.clone(),
        }
    }

    fn at(&self, (x, y): (u32, u32)) -> u32 {
        assert!(x < self.width && y < self.height, "({x}, {y}) is outside");
        self.pixels[(y * self.width + x) as usize]
    }

    fn count(&self, r: PxRect, pred: &impl Fn(u32) -> bool) -> usize {
        (r.y..r.y + r.height)
            .flat_map(|y| (r.x..r.x + r.width).map(move |x| (x, y)))
            .filter(|&p| pred(self.at(p)))
            .count()
    }

    /// Pixel `at` is exactly `color`.
    fn exact(&self, at: (u32, u32), color: Color, what: &str) {
        let got = self.at(at);
        assert_eq!(
            got,
            color.to_0rgb(),
            "{}: {what} at {at:?} is #{got:06x}, want #{:06x}",
            self.role,
            color.to_0rgb()
        );
    }

    fn background_corners(&self) {
        let (r, b) = (self.width - 2, self.height - 2);
        for at in [(1, 1), (r, 1), (1, b), (r, b)] {
            self.exact(at, theme::BACKGROUND, "background");
        }
    }

    /// At least `n` pixels in `r` satisfy `pred`.
    fn at_least(&self, r: PxRect, n: usize, what: &str, pred: impl Fn(u32) -> bool) {
        let got = self.count(r, &pred);
        assert!(
            got >= n,
            "{}: {what}: {got} pixels in {r:?}, want ≥ {n}",
            self.role
        );
    }

    /// No pixel in `r` satisfies `pred`.
    fn none(&self, r: PxRect, what: &str, pred: impl Fn(u32) -> bool) {
        let got = self.count(r, &pred);
        assert_eq!(got, 0, "{}: {what}: {got} pixels in {r:?}", self.role);
    }

    /// Compares the whole window with `tests/reference/<name>.png`, or
    /// rewrites it when `WORKSHOP_UPDATE_REFERENCE=1`.
    fn reference(&self, name: &str) {
        let path = reference_dir().join(format!("{name}.png"));
        if std::env::var("WORKSHOP_UPDATE_REFERENCE").as_deref() == Ok("1") {
            std::fs::create_dir_all(reference_dir()).unwrap();
            write_png(&path, &self.pixels, self.width, self.height);
            eprintln!("wrote reference {}", path.display());
            return;
        }
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("look");
        let fail = |msg: String| -> ! {
            std::fs::create_dir_all(&out).unwrap();
            let actual = out.join(format!("{name}.actual.png"));
            write_png(&actual, &self.pixels, self.width, self.height);
            panic!(
                "{name}: {msg}\n  reference: {}\n  actual:    {}\n  \
                 (WORKSHOP_UPDATE_REFERENCE=1 rewrites the references after a \
                 deliberate change of the look)",
                path.display(),
                actual.display()
            );
        };
        let Some((w, h, reference)) = read_png(&path) else {
            fail(format!("no readable reference at {}", path.display()));
        };
        if (w, h) != (self.width, self.height) {
            fail(format!(
                "size {}×{}, reference {w}×{h}",
                self.width, self.height
            ));
        }
        let mut differing = 0usize;
        let mut worst = 0u8;
        let mut diff = Vec::with_capacity(self.pixels.len());
        for (&a, &r) in self.pixels.iter().zip(&reference) {
            let d = channels(a)
                .iter()
                .zip(channels(r))
                .map(|(x, y)| x.abs_diff(y))
                .max()
                .unwrap_or(0);
            worst = worst.max(d);
            if d > CHANNEL_TOLERANCE {
                differing += 1;
                diff.push(0xff0000);
            } else {
                diff.push(fade(a));
            }
        }
        let total = self.pixels.len();
        let allowed = (total as f64 * MAX_DIFFERING).floor() as usize;
        eprintln!("{name}: {differing} of {total} pixels differ, largest difference {worst}");
        if differing > allowed {
            std::fs::create_dir_all(&out).unwrap();
            let diff_path = out.join(format!("{name}.diff.png"));
            write_png(&diff_path, &diff, self.width, self.height);
            fail(format!(
                "{differing} of {total} pixels ({:.3} %) differ by more than \
                 {CHANNEL_TOLERANCE} in a channel (allowed: {allowed}, {:.1} %); \
                 largest difference {worst}\n  diff:      {}",
                differing as f64 * 100.0 / total as f64,
                MAX_DIFFERING * 100.0,
                diff_path.display()
            ));
        }
    }
}

/// A pale copy of a pixel, for the background of diff images.
fn fade(p: u32) -> u32 {
    let [r, g, b] = channels(p).map(|c| 192 + c / 4);
    (u32::from(r) << 16) | (u32::from(g) << 8) | u32::from(b)
}

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

fn write_png(path: &Path, pixels: &[u32], width: u32, height: u32) {
    workshop_broker::present::write_png(path, pixels, width, height).unwrap();
}
