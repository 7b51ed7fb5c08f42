//! The real broker, headless, with real renderers: the scenarios' stage.
//!
//! [`Harness::start`] builds the broker exactly as `workshop --headless`
//! does (`app::start_headless`: same core, hosts, router, codec, audit,
//! sandbox), with three differences, all stated in docs/BENCHMARKS.md:
//!
//! * renderers are this executable (the renderer runtime with the bench's
//!   hooks, `renderer.rs`), told what to measure with `--bench=...` and where to run
//!   with `--bench-cpu=N`;
//! * the per-renderer rate limits (`CoreConfig::message_rate`,
//!   `frame_rate`) are raised out of the way: the product's 4 000 messages
//!   and 1 000 frames per second would kill a renderer that floods on
//!   purpose; likewise input pacing (`CoreConfig::input_interval`) is off,
//!   so back-to-back samples of the input scenario measure the pipeline,
//!   not the pacer's 8 ms (a real key after a quiet spell is not held);
//! * renderers log at `warn` plus their `BENCH` lines, which the broker's
//!   stderr relay hands to [`HostConfig::stderr_sink`] and this module
//!   parses into [`Report`]s.
//!
//! [`HostConfig::stderr_sink`]: workshop_broker::host::HostConfig

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use workshop_broker::app::{self, AppConfig};
use workshop_broker::auth::SimulatedApi;
use workshop_broker::core::{Rate, Stage};
use workshop_broker::shell::headless::HeadlessApp;
use workshop_common::sandbox_report::SandboxMode;
use workshop_common::Role;
use workshop_renderer_login::LoginWindow;
use workshop_renderer_main::MainWindow;
use workshop_ui::{TextSystem, WidgetId};

use crate::place::Placement;
use crate::BenchError;

/// How long any one wait may take before the bench gives up.
pub const WAIT: Duration = Duration::from_secs(60);

/// A rate no renderer reaches: the limit is out of the way.
pub const UNLIMITED: Rate = Rate {
    per_second: 1e12,
    burst: 1e12,
};

/// What a scenario wants of its broker.
#[derive(Debug, Clone)]
pub struct Options {
    /// Sandbox mode of broker and renderers.
    pub sandbox: SandboxMode,
    /// Where renderers run.
    pub placement: Placement,
    /// Extra arguments for Main Window renderers.
    pub main_args: Vec<String>,
    /// Extra arguments for Login Window renderers.
    pub login_args: Vec<String>,
}

impl Options {
    /// Enforce mode, no bench plan.
    pub fn new(placement: Placement) -> Options {
        Options {
            sandbox: SandboxMode::Enforce,
            placement,
            main_args: Vec::new(),
            login_args: Vec::new(),
        }
    }
}

/// A finished `BENCH` report from a renderer.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Which renderer process of the window.
    pub generation: u32,
    /// The `key=value` fields of its last line.
    pub fields: BTreeMap<String, String>,
    /// The samples (ns) of the lines before it.
    pub samples: Vec<u64>,
}

impl Report {
    /// Field `name` as a number.
    pub fn num(&self, name: &str) -> Option<u64> {
        self.fields.get(name)?.parse().ok()
    }
}

/// `BENCH` lines from renderers, as the broker's relay delivered them.
pub type Lines = Arc<Mutex<VecDeque<(Role, u32, String)>>>;

/// The broker configuration of every scenario (see the module docs);
/// `BENCH` lines go to `lines`.
pub fn app_config(opts: &Options, lines: &Lines) -> Result<AppConfig, BenchError> {
    let exe = std::env::current_exe().map_err(|e| BenchError::io("current_exe", e))?;
    let mut config = AppConfig::new(exe, opts.sandbox);
    config.core.message_rate = UNLIMITED;
    config.core.frame_rate = UNLIMITED;
    config.core.input_interval = Duration::ZERO;
    config.auth = Arc::new(SimulatedApi {
        delay: Duration::from_millis(10),
    });
    config.host.log_filter = "warn,workshop_bench::renderer=info".to_owned();
    config
        .host
        .every_spawn_args
        .insert(Role::Main, renderer_args(opts, &opts.main_args));
    config
        .host
        .every_spawn_args
        .insert(Role::Login, renderer_args(opts, &opts.login_args));
    let sink = lines.clone();
    config.host.stderr_sink = Some(Arc::new(move |role, generation, line: &str| {
        // Other lines reach the bench's stderr through the broker's relay
        // (warnings and errors).
        if line.contains("BENCH ") {
            if let Ok(mut l) = sink.lock() {
                l.push_back((role, generation, line.to_owned()));
            }
        }
    }));
    Ok(config)
}

/// Turns `BENCH` lines into finished reports (samples lines accumulate
/// until the line that ends a report).
#[derive(Debug, Default)]
pub struct Reports {
    partial: BTreeMap<Role, Vec<u64>>,
    done: Vec<(Role, Report)>,
}

impl Reports {
    /// Takes every line from `lines`; an error line is an error.
    pub fn take(&mut self, lines: &Lines) -> Result<(), BenchError> {
        let lines: Vec<(Role, u32, String)> = match lines.lock() {
            Ok(mut l) => l.drain(..).collect(),
            Err(_) => return Err(BenchError::Setup("renderer line buffer poisoned".into())),
        };
        for (role, generation, line) in lines {
            let Some(fields) = parse_bench_line(&line) else {
                continue;
            };
            match fields.get("kind").map(String::as_str) {
                Some("error") => {
                    return Err(BenchError::Renderer(format!(
                        "{role} #{generation}: {}",
                        fields.get("what").map_or("?", String::as_str)
                    )))
                }
                Some("samples") => {
                    let values = fields.get("values").map_or("", String::as_str);
                    let partial = self.partial.entry(role).or_default();
                    for v in values.split(',').filter(|v| !v.is_empty()) {
                        partial.push(
                            v.parse()
                                .map_err(|_| BenchError::Renderer(format!("bad sample {v:?}")))?,
                        );
                    }
                }
                Some(_) => {
                    let samples = self.partial.remove(&role).unwrap_or_default();
                    self.done.push((
                        role,
                        Report {
                            generation,
                            fields,
                            samples,
                        },
                    ));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Removes and returns `role`'s first finished report of `kind`.
    pub fn find(&mut self, role: Role, kind: &str) -> Option<Report> {
        let i = self.done.iter().position(|(r, rep)| {
            *r == role && rep.fields.get("kind").map(String::as_str) == Some(kind)
        })?;
        Some(self.done.remove(i).1)
    }
}

/// A running broker.
pub struct Harness {
    /// The app.
    pub app: HeadlessApp,
    lines: Lines,
    reports: Reports,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness").finish_non_exhaustive()
    }
}

fn renderer_args(opts: &Options, extra: &[String]) -> Vec<String> {
    let mut args = opts.placement.renderer_args();
    args.extend(extra.iter().cloned());
    args
}

impl Harness {
    /// Starts a broker (the Main Window opens).
    pub fn start(opts: &Options) -> Result<Harness, BenchError> {
        let lines: Lines = Arc::default();
        let config = app_config(opts, &lines)?;
        let app = app::start_headless(config, 1.0);
        Ok(Harness {
            app,
            lines,
            reports: Reports::default(),
        })
    }

    /// Runs the loop until `done` holds.
    pub fn until(
        &mut self,
        what: &str,
        done: impl FnMut(&HeadlessApp) -> bool,
    ) -> Result<(), BenchError> {
        self.app
            .run_until(what, WAIT, done)
            .map_err(|e| BenchError::Timeout(e.to_string()))
    }

    /// Waits until `role`'s renderer is ready and has presented a frame;
    /// returns its generation.
    pub fn wait_ready(&mut self, role: Role) -> Result<u32, BenchError> {
        self.until(&format!("{role} ready and painted"), |app| {
            ready(app, role) && app.backend().window(role).is_some_and(|w| w.frames > 0)
        })?;
        self.generation(role)
            .ok_or_else(|| BenchError::Setup(format!("no {role} window")))
    }

    /// Waits until the Main Window shows its signed-out view.
    pub fn wait_main_initialized(&mut self) -> Result<(), BenchError> {
        self.wait_ready(Role::Main)?;
        self.until("Main Window initialised", |app| {
            app.backend()
                .window(Role::Main)
                .is_some_and(|w| w.frames >= 2)
        })
    }

    /// The current renderer generation of `role`.
    pub fn generation(&self, role: Role) -> Option<u32> {
        self.app
            .driver()
            .core()
            .window(role)
            .map(|w| w.renderer.generation)
    }

    /// Frames presented so far in `role`.
    pub fn frames(&self, role: Role) -> u64 {
        self.app.backend().window(role).map_or(0, |w| w.frames)
    }

    /// Clicks "Let's check it out!" in the Main Window.
    pub fn click_check(&mut self) -> Result<(), BenchError> {
        let (x, y) = main_centre(|w| w.check_button_id())?;
        self.app.click(Role::Main, x, y);
        Ok(())
    }

    /// Opens the Login Window and waits until it painted; returns its
    /// renderer's generation.
    pub fn open_login(&mut self) -> Result<u32, BenchError> {
        self.wait_main_initialized()?;
        self.click_check()?;
        self.wait_ready(Role::Login)
    }

    /// Closes the Login Window and waits until it is gone.
    pub fn close_login(&mut self) -> Result<(), BenchError> {
        self.app.close_requested(Role::Login);
        self.until("Login Window gone", |app| {
            app.driver().core().window(Role::Login).is_none()
        })
    }

    /// Pumps until `role` reports `kind` (or an error), and returns it.
    pub fn wait_report(&mut self, role: Role, kind: &str) -> Result<Report, BenchError> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(report) = self.poll_report(role, kind)? {
                return Ok(report);
            }
            if Instant::now() >= deadline {
                return Err(BenchError::Timeout(format!("{role} report {kind}")));
            }
            if self.app.has_quit() {
                return Err(BenchError::Setup("the app quit".into()));
            }
            self.app.pump_once(Duration::from_millis(20));
        }
    }

    /// `role`'s report `kind` if it has arrived (an error report is an
    /// error); does not pump.
    pub fn poll_report(&mut self, role: Role, kind: &str) -> Result<Option<Report>, BenchError> {
        self.reports.take(&self.lines)?;
        Ok(self.reports.find(role, kind))
    }

    /// Quits the app (Close) and waits for its renderers to go.
    pub fn quit(mut self) {
        let close = main_centre(|w| w.close_button_id());
        if let Ok((x, y)) = close {
            if self.app.driver().core().window(Role::Main).is_some() {
                self.app.click(Role::Main, x, y);
            }
        }
        let _ = self
            .app
            .run_until("quit", Duration::from_secs(5), |app| app.has_quit());
    }
}

fn ready(app: &HeadlessApp, role: Role) -> bool {
    app.driver()
        .core()
        .window(role)
        .is_some_and(|w| w.renderer.stage == Stage::Ready)
}

/// The `key=value` fields after `BENCH ` in a renderer's log line.
pub fn parse_bench_line(line: &str) -> Option<BTreeMap<String, String>> {
    let (_, rest) = line.split_once("BENCH ")?;
    Some(
        rest.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

/// Centre of a Main Window widget in the signed-out view, logical pixels,
/// from the layout code the renderer runs.
pub fn main_centre(id: impl Fn(&MainWindow) -> WidgetId) -> Result<(f32, f32), BenchError> {
    let mut w = MainWindow::new();
    w.show_initial_state(None);
    w.ui_mut().layout(&mut TextSystem::new());
    let r = w
        .ui()
        .bounds(id(&w))
        .ok_or_else(|| BenchError::Setup("Main Window widget not laid out".into()))?;
    Ok((r.x + r.w / 2.0, r.y + r.h / 2.0))
}

/// Centre of a Login Window widget, logical pixels.
pub fn login_centre(id: impl Fn(&LoginWindow) -> WidgetId) -> Result<(f32, f32), BenchError> {
    let mut w = LoginWindow::new();
    w.ui_mut().layout(&mut TextSystem::new());
    let r = w
        .ui()
        .bounds(id(&w))
        .ok_or_else(|| BenchError::Setup("Login Window widget not laid out".into()))?;
    Ok((r.x + r.w / 2.0, r.y + r.h / 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_lines_parse() {
        let f =
            parse_bench_line(" INFO workshop_bench::renderer: BENCH kind=invoke size=16 n=3 done");
        let f = f.unwrap_or_default();
        assert_eq!(f.get("kind").map(String::as_str), Some("invoke"));
        assert_eq!(f.get("size").map(String::as_str), Some("16"));
        assert!(parse_bench_line("INFO other").is_none());
    }
}
