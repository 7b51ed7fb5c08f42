//! Shared harness for the cross-process tests: the real broker (headless
//! shell) with real renderer processes spawned from the executable the test
//! names ([`Options::for_exe`]): the product `workshop`
//! (`CARGO_BIN_EXE_workshop` in the broker's tests) or the test-only
//! compromised renderer (`crates/compromised`).
//!
//! A crate of its own so that both suites share one harness; it is a
//! dev-dependency only, never part of what ships. Every wait is on a
//! condition, with a generous timeout that only matters when something is
//! broken.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

pub mod pixels;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use workshop_broker::app::{self, AppConfig};
use workshop_broker::auth::{Authenticator, SimulatedApi};
use workshop_broker::core::{Gone, GoneReason, Stage};
use workshop_broker::shell::headless::HeadlessApp;
use workshop_common::input::{InputEvent, Key, Modifiers};
use workshop_common::sandbox_report::SandboxMode;
use workshop_common::user::User;
use workshop_common::Role;
use workshop_renderer_login::LoginWindow;
use workshop_renderer_main::MainWindow;
use workshop_ui::{TextSystem, WidgetId};

/// How long any single condition may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// What a test wants of its broker.
pub struct Options {
    /// The executable renderers are spawned from.
    pub exe: PathBuf,
    pub sandbox: SandboxMode,
    pub auth: Arc<dyn Authenticator>,
    pub invoke_timeout: Duration,
    pub first_spawn_args: BTreeMap<Role, Vec<String>>,
    pub every_spawn_args: BTreeMap<Role, Vec<String>>,
    pub scale: f32,
    pub tweak: Box<dyn FnOnce(&mut AppConfig)>,
    /// Keep every log line for assertions (off for the leak soak, where the
    /// growing capture would be the only thing growing).
    pub capture_logs: bool,
}

impl Options {
    /// Defaults, with renderers spawned from `exe`.
    pub fn for_exe(exe: impl Into<PathBuf>) -> Options {
        Options {
            exe: exe.into(),
            sandbox: SandboxMode::Enforce,
            auth: Arc::new(SimulatedApi {
                delay: Duration::from_millis(50),
            }),
            invoke_timeout: Duration::from_secs(10),
            first_spawn_args: BTreeMap::new(),
            every_spawn_args: BTreeMap::new(),
            scale: 1.0,
            tweak: Box::new(|_| {}),
            capture_logs: true,
        }
    }

    /// The first renderer of `role` misbehaves as `case`.
    pub fn misbehave(mut self, role: Role, case: &str) -> Options {
        self.first_spawn_args
            .entry(role)
            .or_default()
            .push(format!("--misbehave={case}"));
        self
    }
}

/// Lines a renderer wrote to stderr, by role.
pub type RendererLog = Arc<Mutex<Vec<(Role, u32, String)>>>;

/// A running broker.
pub struct Harness {
    pub app: HeadlessApp,
    pub renderer_log: RendererLog,
    broker_log: Arc<Mutex<Vec<u8>>>,
    _log_guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>, bool);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Kept for assertions and for the failure message of `until`; not
        // echoed, so a passing suite stays quiet.
        if self.1 {
            self.0.lock().unwrap().extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Harness {
    /// Starts a broker; the Main Window opens.
    pub fn start(opts: Options) -> Harness {
        let broker_log = Arc::new(Mutex::new(Vec::new()));
        let writer = LogWriter(broker_log.clone(), opts.capture_logs);
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            ))
            .with_writer(move || writer.clone())
            .event_format(workshop_logging::broker_format(
                workshop_logging::LogFormat::Text,
                "BROKER",
            ))
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        let renderer_log: RendererLog = Arc::new(Mutex::new(Vec::new()));
        let sink_log = renderer_log.clone();
        let mut config = AppConfig::new(opts.exe, opts.sandbox);
        config.auth = opts.auth;
        config.host.invoke_timeout = opts.invoke_timeout;
        config.host.first_spawn_args = opts.first_spawn_args;
        config.host.every_spawn_args = opts.every_spawn_args;
        config.host.log_filter = "info".to_owned();
        if opts.capture_logs {
            config.host.stderr_sink = Some(Arc::new(move |role, generation, line: &str| {
                sink_log
                    .lock()
                    .unwrap()
                    .push((role, generation, line.to_owned()));
            }));
        }
        (opts.tweak)(&mut config);
        let app = app::start_headless(config, opts.scale);
        Harness {
            app,
            renderer_log,
            broker_log,
            _log_guard: guard,
        }
    }

    /// Everything the broker logged so far.
    pub fn broker_log(&self) -> String {
        String::from_utf8_lossy(&self.broker_log.lock().unwrap()).into_owned()
    }

    /// How many broker log lines contain `needle`.
    pub fn broker_log_count(&self, needle: &str) -> usize {
        self.broker_log()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Whether renderer `role` logged a line containing `needle`.
    pub fn renderer_logged(&self, role: Role, needle: &str) -> bool {
        self.renderer_log
            .lock()
            .unwrap()
            .iter()
            .any(|(r, _, l)| *r == role && l.contains(needle))
    }

    /// Runs until the broker has logged a line containing `needle`.
    pub fn until_logged(&mut self, needle: &str) {
        let log = self.broker_log.clone();
        let needle_owned = needle.to_owned();
        self.until(&format!("log line {needle:?}"), move |_| {
            String::from_utf8_lossy(&log.lock().unwrap()).contains(&needle_owned)
        });
    }

    /// Runs until `done` holds.
    pub fn until(&mut self, what: &str, done: impl FnMut(&HeadlessApp) -> bool) {
        if let Err(e) = self.app.run_until(what, WAIT, done) {
            panic!("{e}\n--- broker log ---\n{}", self.broker_log());
        }
    }

    /// The current renderer generation of `role`.
    pub fn generation(&self, role: Role) -> Option<u32> {
        self.app
            .driver()
            .core()
            .window(role)
            .map(|w| w.renderer.generation)
    }

    /// Waits until `role`'s renderer completed its handshake and presented
    /// a frame; returns its generation.
    pub fn wait_ready(&mut self, role: Role) -> u32 {
        self.until(&format!("{role} ready and painted"), |app| {
            let ready = app
                .driver()
                .core()
                .window(role)
                .is_some_and(|w| w.renderer.stage == Stage::Ready);
            ready && app.backend().window(role).is_some_and(|w| w.frames > 0)
        });
        self.generation(role).unwrap()
    }

    /// Waits until the Main Window left "Initializing..." (two frames: the
    /// first paint, then the initial state).
    pub fn wait_main_initialized(&mut self) {
        self.wait_ready(Role::Main);
        self.wait_frames(Role::Main, 2);
    }

    /// Waits until `role` has presented at least `n` frames.
    pub fn wait_frames(&mut self, role: Role, n: u64) {
        self.until(&format!("{n} frames in {role}"), |app| {
            app.backend().window(role).is_some_and(|w| w.frames >= n)
        });
    }

    /// Frames presented so far in `role`.
    pub fn frames(&self, role: Role) -> u64 {
        self.app.backend().window(role).map_or(0, |w| w.frames)
    }

    /// Waits until renderer `generation` of `role` is gone; returns why.
    pub fn wait_gone(&mut self, role: Role, generation: u32) -> GoneReason {
        self.wait_gone_full(role, generation).reason
    }

    /// Waits until renderer `generation` of `role` is gone; returns the
    /// whole record (reason and exit status).
    pub fn wait_gone_full(&mut self, role: Role, generation: u32) -> Gone {
        self.until(&format!("{role} renderer {generation} gone"), |app| {
            app.driver()
                .core()
                .gone()
                .iter()
                .any(|g| g.role == role && g.generation == generation)
        });
        self.app
            .driver()
            .core()
            .gone()
            .iter()
            .find(|g| g.role == role && g.generation == generation)
            .cloned()
            .unwrap()
    }

    /// Proves `role`'s renderer still serves input and frames: moves the
    /// pointer over and off a button and waits for the repaints.
    pub fn assert_responsive(&mut self, role: Role) {
        let before = self.frames(role);
        let (x, y) = match role {
            Role::Main => main_centre(None, |w| w.close_button_id()),
            Role::Login => login_centre(|w| w.email_input_id()),
        };
        let (ox, oy) = (5.0, 5.0);
        match role {
            Role::Main => {
                self.app.hover(role, x, y);
                self.wait_frames(role, before + 1);
                self.app.hover(role, ox, oy);
                self.wait_frames(role, before + 2);
            }
            Role::Login => {
                self.app.click(role, x, y);
                self.app.type_text(role, "z");
                self.wait_frames(role, before + 1);
            }
        }
    }

    /// Clicks "Let's check it out!".
    pub fn click_check(&mut self) {
        let (x, y) = main_centre(None, |w| w.check_button_id());
        self.app.click(Role::Main, x, y);
    }

    /// Fills the login form and presses Enter.
    pub fn submit_login(&mut self, email: &str, password: &str) {
        let (x, y) = login_centre(|w| w.email_input_id());
        self.app.click(Role::Login, x, y);
        self.app.type_text(Role::Login, email);
        self.app.key(Role::Login, Key::Tab, Modifiers::default());
        self.app.type_text(Role::Login, password);
        self.app.key(Role::Login, Key::Enter, Modifiers::default());
    }

    /// Sends a raw input event.
    pub fn input(&mut self, role: Role, e: InputEvent) {
        self.app.input(role, e);
    }
}

/// Centre of a Main Window widget in `user`'s view, logical pixels, from the
/// same layout code the renderer runs.
pub fn main_centre(user: Option<&User>, id: impl Fn(&MainWindow) -> WidgetId) -> (f32, f32) {
    let mut w = MainWindow::new();
    match user {
        Some(u) => w.show_authenticated(u),
        None => w.show_initial_state(None),
    }
    w.ui_mut().layout(&mut TextSystem::new());
    let r = w.ui().bounds(id(&w)).unwrap();
    (r.x + r.w / 2.0, r.y + r.h / 2.0)
}

/// Centre of a Login Window widget, logical pixels.
pub fn login_centre(id: impl Fn(&LoginWindow) -> WidgetId) -> (f32, f32) {
    let mut w = LoginWindow::new();
    w.ui_mut().layout(&mut TextSystem::new());
    let r = w.ui().bounds(id(&w)).unwrap();
    (r.x + r.w / 2.0, r.y + r.h / 2.0)
}

/// The Login Window as it looks after a refused sign-in (the error line is
/// shown, which moves the form), driven through its real input handling.
pub fn login_in_error_state() -> LoginWindow {
    use workshop_common::client::LoginWindowClient;
    use workshop_common::protocol::{RendererToBroker, Reply};
    use workshop_common::user::LoginError;
    let mut w = LoginWindow::new();
    let mut c = LoginWindowClient::new(Duration::from_secs(10));
    w.ui_mut().layout(&mut TextSystem::new());
    let key = |key| workshop_ui::Event::Key {
        key,
        modifiers: workshop_ui::Modifiers::default(),
    };
    w.handle(&workshop_ui::Event::Text("bruce@wayne.com".into()), &mut c);
    w.handle(&key(workshop_ui::Key::Tab), &mut c);
    w.handle(&workshop_ui::Event::Text("wrong".into()), &mut c);
    w.handle(&key(workshop_ui::Key::Enter), &mut c);
    let sent = c.take_outgoing(std::time::Instant::now());
    let Some(RendererToBroker::Invoke { id, .. }) = sent.first() else {
        panic!("the form did not submit: {sent:?}")
    };
    let outcome = c
        .complete(*id, Reply::SubmitLogin(Err(LoginError::Rejected)))
        .unwrap();
    w.on_outcome(outcome);
    w.ui_mut().layout(&mut TextSystem::new());
    w
}

/// Centre of a Login Window widget after a refused sign-in, logical pixels.
pub fn login_error_centre(id: impl Fn(&LoginWindow) -> WidgetId) -> (f32, f32) {
    let w = login_in_error_state();
    let r = w.ui().bounds(id(&w)).unwrap();
    (r.x + r.w / 2.0, r.y + r.h / 2.0)
}

/// Counts pixels in `role`'s window that differ from the background within
/// a logical rectangle.
pub fn ink(app: &HeadlessApp, role: Role, x: u32, y: u32, w: u32, h: u32) -> usize {
    let win = app.backend().window(role).unwrap();
    let bg = workshop_ui::theme::BACKGROUND.to_0rgb();
    let mut n = 0;
    for row in y..(y + h).min(win.height) {
        for col in x..(x + w).min(win.width) {
            if win.pixels[(row * win.width + col) as usize] != bg {
                n += 1;
            }
        }
    }
    n
}

/// The signed-in user the simulated API returns for `email`.
pub fn bruce(email: &str) -> User {
    User {
        id: 123456,
        name: "Bruce Wayne".into(),
        email: email.into(),
    }
}

/// Aborts the test process if it is still running after `limit`: a test
/// whose broker event loop hangs (the attack it runs succeeded) then fails
/// with a message instead of hanging the suite. Dropping the guard disarms
/// it.
pub fn watchdog(what: &str, limit: Duration) -> Watchdog {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let what = what.to_owned();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
            eprintln!("watchdog: {what} still running after {limit:?}: the broker hung");
            std::process::abort();
        }
    });
    Watchdog(tx)
}

/// Disarms the [`watchdog`] when dropped (the channel closes, so the
/// watchdog's wait ends before its limit).
pub struct Watchdog(#[allow(dead_code)] std::sync::mpsc::Sender<()>);

/// This process's resident set in KiB (`VmRSS`): the broker's, since the
/// harness runs the broker in the test process.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Every file under `dir` with its size and modification time, to show a
/// test changed nothing on disk.
pub fn disk_snapshot(dir: &std::path::Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            }
            out.push((entry.path(), meta.len(), meta.modified().unwrap()));
        }
    }
    out.sort();
    out
}
