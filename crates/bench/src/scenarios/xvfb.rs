//! The product under an X server: cold start, Login spawn, memory.
//!
//! Runs the release `workshop` binary given with `--workshop=PATH` (built
//! without the bench feature) on `DISPLAY`, each run with a fresh
//! `--user-data-dir`, `--log-format json` and
//! `RUST_LOG=info,workshop::audit=debug,workshop_broker::host::spawn=debug`,
//! and reads its log from a pipe as it is written. Every figure comes from
//! the broker's own log timestamps (wall clock, microseconds), relative to
//! the bench's wall clock just before `spawn()`:
//!
//! * **cold start**: process start → the `FrameAck` sent for the Main
//!   Window's first frame, which the broker sends right after softbuffer's
//!   `present` returned (the X server composes after that; no screenshot
//!   polling, whose 10–50 ms granularity would swamp the figure). Includes
//!   exec and dynamic loading, log set-up, the single-instance lock,
//!   settings, the X connection, winit's event loop and window, softbuffer,
//!   the renderer's spawn, handshake, lockdown, first paint and present.
//!   The same instant as seen by the bench reading the pipe is printed too;
//! * **Login spawn**: "Opening login window" (the core's decision, logged
//!   when it handles `OpenLoginWindow`, after the real click through
//!   `xdotool`) → the Login Window's first `FrameAck`;
//! * **memory**: after both windows painted and 2 s idle, RSS and PSS of
//!   the broker and every descendant.
//!
//! Floor: `workshop capabilities` (exec, dynamic loading, `main()`, print,
//! exit): what any start of this executable costs without a window.
//!
//! Debug logging of the audit trail is on for these runs (a few dozen
//! lines to a pipe before the first frame); its cost is part of the
//! figures.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::harness::main_centre;
use crate::place::Placement;
use crate::procfs::{self, Memory};
use crate::stats::{ns_between, Latency, Ns};
use crate::{BenchError, Options};

const WAIT: Duration = Duration::from_secs(30);
/// Pause before each run.
const SETTLE: Duration = Duration::from_secs(1);
const RUST_LOG: &str = "info,workshop::audit=debug,workshop_broker::host::spawn=debug";

/// One log line: when the bench read it, and its JSON.
struct Line {
    read_at: Instant,
    json: Value,
}

impl Line {
    fn str(&self, key: &str) -> Option<&str> {
        self.json.get(key)?.as_str()
    }

    fn is_audit(&self, direction: &str, kind: &str, role: &str) -> bool {
        self.str("target") == Some("workshop::audit")
            && self.str("direction") == Some(direction)
            && self.str("kind") == Some(kind)
            && self.str("role") == Some(role)
    }

    /// The broker's timestamp, as wall-clock nanoseconds since the epoch.
    fn wall_ns(&self) -> Option<u64> {
        parse_rfc3339_ns(self.str("timestamp")?)
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` as nanoseconds since the epoch.
fn parse_rfc3339_ns(s: &str) -> Option<u64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':').map(|p| p.parse::<u64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = u64::try_from(era * 146_097 + doe - 719_468).ok()?;
    let mut nanos = 0u64;
    let mut scale = 100_000_000u64;
    for c in frac.chars().take(9) {
        nanos += u64::from(c.to_digit(10)?) * scale;
        scale /= 10;
    }
    Some(((days * 86_400 + hh * 3_600 + mm * 60 + ss) * 1_000_000_000) + nanos)
}

fn wall_now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Runs `xdotool`, retrying a few times: a display that is busy tearing
/// down the previous run's client can refuse a connection for a moment.
fn xdo(args: &[&str]) -> Result<String, BenchError> {
    let mut last = String::new();
    for _ in 0..5 {
        let out = Command::new("xdotool")
            .args(args)
            .output()
            .map_err(|e| BenchError::io("xdotool", e))?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        last = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(BenchError::Setup(format!("xdotool {args:?}: {last}")))
}

/// A running `workshop` and its log.
struct Run {
    child: Child,
    lines: Receiver<Line>,
    log: Vec<Line>,
    wall0: u64,
    t0: Instant,
    _dir: tempfile::TempDir,
}

impl Run {
    fn start(workshop: &Path, flags: &[&str]) -> Result<Run, BenchError> {
        let dir = tempfile::tempdir().map_err(|e| BenchError::io("tempdir", e))?;
        let mut cmd = Command::new(workshop);
        cmd.arg("--user-data-dir")
            .arg(dir.path().join("data"))
            .args(["--log-format", "json"])
            .args(flags)
            .env("RUST_LOG", RUST_LOG)
            .env("WINIT_X11_SCALE_FACTOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let wall0 = wall_now_ns();
        let t0 = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| BenchError::io("spawn workshop", e))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| BenchError::Setup("no stderr pipe".into()))?;
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                let read_at = Instant::now();
                if let Ok(json) = serde_json::from_str::<Value>(&line) {
                    if tx.send(Line { read_at, json }).is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Run {
            child,
            lines: rx,
            log: Vec::new(),
            wall0,
            t0,
            _dir: dir,
        })
    }

    /// Reads the log until `pred` matches a line; returns its index.
    fn wait_line(&mut self, what: &str, pred: impl Fn(&Line) -> bool) -> Result<usize, BenchError> {
        if let Some(i) = self.log.iter().position(&pred) {
            return Ok(i);
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = pred(&line);
                    self.log.push(line);
                    if hit {
                        return Ok(self.log.len() - 1);
                    }
                }
                Err(_) => {
                    let status = self.child.try_wait().ok().flatten();
                    return Err(BenchError::Timeout(format!(
                        "workshop log line {what} (exit status {status:?})"
                    )));
                }
            }
        }
    }

    /// Drains the log for `d`.
    fn idle(&mut self, d: Duration) {
        let until = Instant::now() + d;
        while let Ok(line) = self
            .lines
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            self.log.push(line);
        }
    }

    /// Broker-clock nanoseconds after spawn of the first line matching.
    fn at(&self, what: &str, pred: impl Fn(&Line) -> bool) -> Result<u64, BenchError> {
        self.log
            .iter()
            .find(|l| pred(l))
            .and_then(Line::wall_ns)
            .map(|t| t.saturating_sub(self.wall0))
            .ok_or_else(|| BenchError::Setup(format!("no log line {what}")))
    }

    fn stop(mut self) {
        let pid = self.child.id() as i32;
        // SAFETY: kill(2) on our own child's pid, which it keeps until we
        // reap it below.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stage labels and samples: each stage runs from the previous point that
/// was seen to its own point.
struct Stages {
    labels: Vec<String>,
    samples: Vec<Vec<u64>>,
}

impl Stages {
    fn new() -> Stages {
        Stages {
            labels: Vec::new(),
            samples: Vec::new(),
        }
    }

    /// Adds one run: `origin`, then `(label, point)`s in order; a missing
    /// point folds its stage into the next one.
    fn add(&mut self, origin: u64, points: &[(&str, Option<u64>)]) {
        let mut prev = origin;
        for (label, point) in points {
            let i = match self.labels.iter().position(|l| l == label) {
                Some(i) => i,
                None => {
                    self.labels.push((*label).to_owned());
                    self.samples.push(Vec::new());
                    self.labels.len() - 1
                }
            };
            if let Some(t) = *point {
                self.samples[i].push(t.saturating_sub(prev));
                prev = t;
            }
        }
    }

    fn print(&self, title: &str, total: &[u64]) -> Result<(), BenchError> {
        let t = Latency::of(total).ok_or_else(|| BenchError::Setup("no samples".into()))?;
        println!("\n{title}: **{}** median, n = {}\n", Ns(t.p50), t.n);
        println!("| stage | n | p10 | **p50** | p90 |");
        println!("|---|---|---|---|---|");
        for (label, s) in self.labels.iter().zip(&self.samples) {
            if let Some(l) = Latency::of(s) {
                println!(
                    "| {label} | {} | {} | **{}** | {} |",
                    l.n,
                    Ns(l.p10),
                    Ns(l.p50),
                    Ns(l.p90)
                );
            }
        }
        println!(
            "| **total** | {} | {} | **{}** | {} |",
            t.n,
            Ns(t.p10),
            Ns(t.p50),
            Ns(t.p90)
        );
        println!("\n(min {}, max {})", Ns(t.min), Ns(t.max));
        Ok(())
    }
}

/// The handshake points of `role`'s first renderer, labelled.
fn handshake_points(
    run: &Run,
    role: &'static str,
    spawned: &'static str,
) -> Vec<(&'static str, Option<u64>)> {
    let spawned_at = run
        .at("renderer started", |l| {
            l.str("target") == Some("workshop_broker::host::spawn")
                && l.str("message") == Some("renderer started")
                && l.str("role") == Some(role)
        })
        .ok();
    let mut points = vec![(spawned, spawned_at)];
    for (dir, kind, label) in [
        ("in", "Bootstrap", "→ `Bootstrap` in"),
        (
            "in",
            "Hello",
            "→ `Hello` in (surface hand-off, lockdown, probes)",
        ),
        ("out", "Welcome", "→ `Welcome` out (/proc inspection)"),
        ("in", "FrameReady", "→ first `FrameReady` in (first paint)"),
        (
            "out",
            "FrameAck",
            "→ `FrameAck` out (copy, softbuffer present)",
        ),
    ] {
        points.push((label, run.at(kind, |l| l.is_audit(dir, kind, role)).ok()));
    }
    points
}

/// winit's own first lines on an X server without a settings manager
/// (Xvfb): the display connection, then the first window. Landmarks only:
/// a stage whose line is missing folds into the next.
fn winit_points(run: &Run) -> Vec<(&'static str, Option<u64>)> {
    let connected = run
        .at("winit display", |l| {
            l.str("target")
                .is_some_and(|t| t.starts_with("winit::platform_impl::linux::x11::xdisplay"))
        })
        .ok();
    let window = run
        .at("winit window", |l| {
            l.str("target")
                .is_some_and(|t| t.starts_with("winit::platform_impl::linux::x11::window"))
        })
        .ok();
    vec![
        (
            "process start → X display connected (exec, log set-up, lock, settings, winit event loop)",
            connected,
        ),
        ("→ Main Window created (winit)", window),
    ]
}

/// Runs the scenario.
pub fn run(opts: &Options) -> Result<(), BenchError> {
    let workshop = opts.workshop.clone().ok_or_else(|| {
        BenchError::Setup("xvfb needs --workshop=PATH (the release workshop)".into())
    })?;
    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        return Err(BenchError::Setup(
            "xvfb needs DISPLAY (e.g. `Xvfb :88 -screen 0 1280x1024x24 -nolisten tcp &`)".into(),
        ));
    }
    let runs = opts.runs.unwrap_or(15);
    super::heading("The product under Xvfb: cold start, Login spawn, memory");
    println!("`{}`, {runs} runs per sandbox mode.", workshop.display());
    let geometry = xdo(&["getdisplaygeometry"])?;
    let corner: Vec<String> = geometry
        .split_whitespace()
        .map(|v| {
            v.parse::<i64>()
                .map_or_else(|_| "0".to_owned(), |n| (n - 1).to_string())
        })
        .collect();
    let check = main_centre(|w| w.check_button_id())?;
    for &place in &opts.placements {
        if place == Placement::TwoCores {
            println!(
                "\n(`two-cores` does not apply: the product's renderers inherit the broker's \
                 CPU mask; use `one-core` or `unpinned`.)"
            );
            continue;
        }
        super::enter(place)?;
        let floor = capabilities_floor(&workshop, runs)?;
        println!(
            "Floor, `workshop capabilities` (start, print, exit): p50 **{}** (p10 {}, p90 {})",
            Ns(floor.p50),
            Ns(floor.p10),
            Ns(floor.p90)
        );
        for (flags, label) in [
            (&[][..], "default (enforce)"),
            (&["--sandbox=strict"][..], "`--sandbox=strict`"),
            (&["--no-sandbox"][..], "`--no-sandbox`"),
        ] {
            eprintln!("  {label}");
            let mut cold = Stages::new();
            let mut login = Stages::new();
            let mut cold_total = Vec::new();
            let mut cold_seen = Vec::new();
            let mut login_total = Vec::new();
            let mut memory = None;
            for r in 0..runs {
                if let [x, y] = corner.as_slice() {
                    xdo(&["mousemove", "--sync", x, y])?;
                }
                // Let the previous run's teardown finish (the kernel frees
                // a renderer's namespaces asynchronously, on these cores).
                std::thread::sleep(SETTLE);
                let mut run = Run::start(&workshop, flags)?;
                let ack =
                    run.wait_line("Main FrameAck", |l| l.is_audit("out", "FrameAck", "main"))?;
                cold_seen.push(ns_between(run.t0, run.log[ack].read_at));
                let wid = xdo(&["search", "--sync", "--name", "^Main Window$"])?;
                let wid = wid.lines().next().unwrap_or("").to_owned();
                let (cx, cy) = (check.0.round().to_string(), check.1.round().to_string());
                xdo(&["mousemove", "--sync", "--window", &wid, &cx, &cy])?;
                xdo(&["click", "1"])?;
                run.wait_line("Login FrameAck", |l| l.is_audit("out", "FrameAck", "login"))?;
                let mut points = winit_points(&run);
                points.extend(handshake_points(
                    &run,
                    "main",
                    "→ Main renderer spawned (fork, namespaces, exec)",
                ));
                cold_total
                    .push(run.at("Main FrameAck", |l| l.is_audit("out", "FrameAck", "main"))?);
                cold.add(0, &points);
                let opened = run.at("Opening login window", |l| {
                    l.str("message") == Some("Opening login window")
                })?;
                let points = handshake_points(
                    &run,
                    "login",
                    "\"Opening login window\" → renderer spawned (window, fork, namespaces, exec)",
                );
                let presented =
                    run.at("Login FrameAck", |l| l.is_audit("out", "FrameAck", "login"))?;
                login_total.push(presented.saturating_sub(opened));
                login.add(opened, &points);
                if r + 1 == runs && flags.is_empty() {
                    run.idle(super::memory::IDLE);
                    memory = Some(read_memory(run.child.id())?);
                }
                run.stop();
            }
            println!("\n#### {label}");
            cold.print(
                "Cold start to the Main Window's first frame presented",
                &cold_total,
            )?;
            if let Some(seen) = Latency::of(&cold_seen) {
                println!(
                    "Same instant as the bench read the log line: p50 {} (p10 {}, p90 {}).",
                    Ns(seen.p50),
                    Ns(seen.p10),
                    Ns(seen.p90)
                );
            }
            login.print("Login Window spawn to first frame presented", &login_total)?;
            if let Some(rows) = memory {
                println!(
                    "\nMemory after both windows painted and {:?} idle (last run):\n",
                    super::memory::IDLE
                );
                super::memory::header();
                for (what, pid, m) in rows {
                    super::memory::row(&what, pid, &m);
                }
            }
        }
    }
    Ok(())
}

fn capabilities_floor(workshop: &Path, runs: usize) -> Result<Latency, BenchError> {
    let mut samples = Vec::new();
    for _ in 0..runs.max(5) {
        let t0 = Instant::now();
        let status = Command::new(workshop)
            .arg("capabilities")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| BenchError::io("workshop capabilities", e))?;
        if !status.success() {
            return Err(BenchError::Setup(format!(
                "workshop capabilities: {status}"
            )));
        }
        samples.push(ns_between(t0, Instant::now()));
    }
    Latency::of(&samples).ok_or_else(|| BenchError::Setup("no samples".into()))
}

fn read_memory(broker: u32) -> Result<Vec<(String, u32, Memory)>, BenchError> {
    let mut rows = vec![(
        "**broker** (desktop shell)".to_owned(),
        broker,
        procfs::memory(broker)?,
    )];
    for p in procfs::descendants(broker) {
        let what = match p.renderer_role() {
            Some(role) => format!("**{role} renderer**"),
            None => "spawn intermediate (waits for its renderer)".to_owned(),
        };
        rows.push((what, p.pid, procfs::memory(p.pid)?));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(
            parse_rfc3339_ns("1970-01-01T00:00:01Z"),
            Some(1_000_000_000)
        );
        assert_eq!(
            parse_rfc3339_ns("2000-03-01T00:00:00.000001Z"),
            Some(951_868_800_000_001_000)
        );
        assert_eq!(parse_rfc3339_ns("nope"), None);
    }
}
