//! Workshop beside Chromium, measured from outside on one private Xvfb.
//!
//! Chromium is what Electron is built on: the original electron-workshop
//! app is a Chromium showing two pages. This scenario shows the same Main
//! Window in Chromium (`peer/main.html`, an `--app` window, its check
//! button opening `peer/login.html` as a popup) and measures both apps
//! the same way, alternating runs (Workshop, Chromium, Workshop, ...), each
//! run a fresh process tree with a fresh profile, both as the same
//! unprivileged user with its own sandbox on ([`crate::apptree`]):
//!
//! * **cold start**: `spawn()` → the Main Window mapped (`MapNotify`) → the
//!   first frame showing the button's blue, found by polling a strip of
//!   the window's pixels ([`crate::xwatch`], [`crate::pixels`]) every
//!   [`POLL`];
//! * **idle memory**: after [`IDLE`], PSS and RSS of every process of the
//!   app (the bench is a child subreaper, so double-forked helpers count),
//!   with one window and again with two;
//! * **click → second window**: XTest click on the check button (after
//!   its hover state painted) → the Login Window mapped → its first frame
//!   (the grey of the disabled Submit outline);
//! * **sandbox layers** of each app's renderer, from `/proc`
//!   ([`crate::layers`]).
//!
//! The pointer is parked in the screen's corner before every run so no
//! hover state is painted first. A run that cannot finish is an error,
//! not a skipped sample.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::apptree::{self, App, Member, RunAs, Staging};
use crate::layers::{self, Layers};
use crate::pixels::Strip;
use crate::procfs::Memory;
use crate::stats::{ns_between, Latency, Ns, Spread};
use crate::xserver::Xvfb;
use crate::xwatch::{Mapped, XWatch};
use crate::{BenchError, Options};

/// The Main Window page.
const MAIN_PAGE: &str = include_str!("peer/main.html");
/// The Login Window page.
const LOGIN_PAGE: &str = include_str!("peer/login.html");
/// The listening AT-SPI client of [`Peer::WorkshopAtspiListening`].
const LISTENER: &str = include_str!("peer/listener.py");
/// Where the listener writes how many events it heard (in the run's home).
const HEARD_FILE: &str = "atspi-events-heard";
/// keysyms typed by [`Session::typing`].
const XK_BACKSPACE: u32 = 0xff08;
const XK_A: u32 = 0x61;
/// Pause between keystrokes of [`Session::typing`]: longer than the
/// broker's input interval (8 ms, `core/pacing.rs`), so every keystroke
/// is the first after a quiet spell and goes out at once, as a person's
/// keystrokes (about 100 ms apart) do. Without it the pacer holds each key
/// until its next batch and the figure is the interval, not the path.
const KEY_GAP: Duration = Duration::from_millis(12);
/// Rows above and below the first keystroke's change that are watched.
const BAND_MARGIN: u16 = 4;

/// The check button's outline (`workshop_ui::theme::BLUE`, `#58b9f1`).
pub const BLUE: u32 = 0x58b9f1;
/// The disabled Submit outline (`theme::DISABLED`, `#a7a7a7`).
pub const DISABLED_GREY: u32 = 0xa7a7a7;
/// Rows of blue more than the outline's that mean the hover fill painted.
const HOVER_EXTRA_ROWS: usize = 20;

/// Time between two looks at a window's pixels: the resolution of every
/// "first frame" figure.
pub const POLL: Duration = Duration::from_micros(500);
/// Idle time before memory is read (as `memory` and `xvfb`).
pub const IDLE: Duration = super::memory::IDLE;
/// How long any one step may take.
const WAIT: Duration = Duration::from_secs(30);
/// How long the hover state may take to show before the bench clicks
/// anyway (and says so).
const HOVER_WAIT: Duration = Duration::from_secs(2);
/// Unmeasured runs of each app before the measured ones (page cache).
const WARM_UP: usize = 1;

/// The user both apps run as when the bench is root.
pub const DEFAULT_USER: &str = "workshop-ci";

/// Where Debian keeps the browser itself (`/usr/bin/chromium` is a shell
/// launcher that adds flags from /etc/chromium.d and a few forks).
const CHROMIUM_BINARY: &str = "/usr/lib/chromium/chromium";
/// The launcher, used when the binary is elsewhere.
const CHROMIUM_LAUNCHER: &str = "/usr/bin/chromium";

/// Chromium's flags besides `--app` and `--user-data-dir`, each with why.
const CHROMIUM_FLAGS: [(&str, &str); 6] = [
    ("--no-first-run", "no first-run dialog"),
    (
        "--no-default-browser-check",
        "no default-browser infobar (the launcher adds it too)",
    ),
    ("--window-size=400,400", "the Main Window's size"),
    ("--window-position=0,0", "where Workshop's window is"),
    (
        "--force-device-scale-factor=1",
        "as `WINIT_X11_SCALE_FACTOR=1` for Workshop",
    ),
    (
        "--password-store=basic",
        "no keyring daemon to look for (there is no session bus)",
    ),
];

/// An app of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The release `workshop`.
    Workshop,
    /// The release `workshop` inside a private session bus with an AT-SPI
    /// bus launched (`budgets`).
    WorkshopAtspi,
    /// As [`Peer::WorkshopAtspi`], with an AT-SPI client listening for
    /// every event (`peer/listener.py`, python3 with `gir1.2-atspi-2.0`).
    WorkshopAtspiListening,
    /// Chromium with the pages.
    Chromium,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::Workshop => "Workshop",
            Peer::WorkshopAtspi => "Workshop (AT-SPI bus)",
            Peer::WorkshopAtspiListening => "Workshop (AT-SPI bus, client listening)",
            Peer::Chromium => "Chromium",
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Peer::Workshop => "workshop",
            Peer::WorkshopAtspi => "workshop-atspi",
            Peer::WorkshopAtspiListening => "workshop-atspi-listening",
            Peer::Chromium => "chromium",
        }
    }
}

/// Everything the runs share: the X server, the bench's connection to
/// it, the user and the staged executables and pages.
pub struct Session {
    /// The private X server.
    pub xvfb: Xvfb,
    watch: XWatch,
    user: RunAs,
    stage: Staging,
    workshop: PathBuf,
    chromium: Option<PathBuf>,
    main_url: String,
    runs: usize,
    /// `--shot`: save the next run's screen here, as `NAME.png`.
    pub shot: Option<PathBuf>,
}

/// Where `at-spi-bus-launcher` is, if installed.
pub fn atspi_launcher() -> Option<PathBuf> {
    [
        "/usr/libexec/at-spi-bus-launcher",
        "/usr/lib/at-spi2-core/at-spi-bus-launcher",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// The installed Chromium, if any.
pub fn find_chromium(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = given {
        return Some(p.to_owned());
    }
    [CHROMIUM_BINARY, CHROMIUM_LAUNCHER]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The release `workshop` given, or the one next to this executable.
pub fn workshop_binary(opts: &Options) -> Result<PathBuf, BenchError> {
    if let Some(p) = &opts.workshop {
        return Ok(p.clone());
    }
    let exe = std::env::current_exe().map_err(|e| BenchError::io("current_exe", e))?;
    let sibling = exe.with_file_name("workshop");
    if sibling.exists() {
        Ok(sibling)
    } else {
        Err(BenchError::Setup(format!(
            "no {} (build it with `cargo build --release -p workshop-broker`, \
             or pass --workshop=PATH)",
            sibling.display()
        )))
    }
}

impl Session {
    /// Starts Xvfb, becomes a subreaper and stages the apps.
    pub fn start(
        opts: &Options,
        workshop: &Path,
        chromium: Option<&Path>,
    ) -> Result<Session, BenchError> {
        apptree::become_subreaper()?;
        let user = RunAs::resolve(opts.user.as_deref().unwrap_or(DEFAULT_USER))?;
        let stage = Staging::new(&user)?;
        let workshop = stage.install(workshop, "workshop")?;
        stage.write("main.html", MAIN_PAGE)?;
        stage.write("login.html", LOGIN_PAGE)?;
        stage.write("listener.py", LISTENER)?;
        let main_url = format!("file://{}/main.html", stage.path().display());
        let xvfb = Xvfb::start()?;
        let watch = XWatch::connect(&xvfb.display)?;
        Ok(Session {
            xvfb,
            watch,
            user,
            stage,
            workshop,
            chromium: chromium.map(Path::to_owned),
            main_url,
            runs: 0,
            shot: None,
        })
    }

    fn command(&mut self, peer: Peer) -> Result<Command, BenchError> {
        self.runs += 1;
        let home = self
            .stage
            .subdir(&format!("run-{}", self.runs), &self.user)?;
        let data = home.join("data");
        let display = self.xvfb.display.clone();
        let mut cmd = match peer {
            Peer::Workshop => {
                let mut c = self.user.command(&self.workshop, &home, &display);
                c.arg("--user-data-dir").arg(&data);
                c
            }
            Peer::WorkshopAtspi | Peer::WorkshopAtspiListening => {
                let launcher = atspi_launcher()
                    .ok_or_else(|| BenchError::Setup("no at-spi-bus-launcher".into()))?;
                let listener = if peer == Peer::WorkshopAtspiListening {
                    format!(
                        "/usr/bin/python3 {} {} & ",
                        self.stage.path().join("listener.py").display(),
                        home.join(HEARD_FILE).display()
                    )
                } else {
                    String::new()
                };
                let mut c =
                    self.user
                        .command(Path::new("/usr/bin/dbus-run-session"), &home, &display);
                c.args(["--", "/bin/sh", "-c"])
                    .arg(format!(
                        "{} --launch-immediately & {listener}exec \"$0\" \"$@\"",
                        launcher.display()
                    ))
                    .arg(&self.workshop)
                    .arg("--user-data-dir")
                    .arg(&data);
                c
            }
            Peer::Chromium => {
                let chromium = self
                    .chromium
                    .clone()
                    .ok_or_else(|| BenchError::Setup("no Chromium".into()))?;
                let mut c = self.user.command(&chromium, &home, &display);
                c.arg(format!("--app={}", self.main_url))
                    .arg(format!("--user-data-dir={}", data.display()))
                    .args(CHROMIUM_FLAGS.iter().map(|(f, _)| *f));
                c
            }
        };
        cmd.env("WINIT_X11_SCALE_FACTOR", "1");
        Ok(cmd)
    }

    /// One run of `peer`: start, first frame, idle memory, click, second
    /// window, idle memory, stop.
    pub fn run(&mut self, peer: Peer) -> Result<Sample, BenchError> {
        self.watch.park_pointer()?;
        self.watch.drain()?;
        let cmd = self.command(peer)?;
        let app = App::start(cmd, &[self.xvfb.pid()])?;
        let result = self.measure(peer, &app);
        let stopped = app.stop();
        let sample = result?;
        stopped?;
        Ok(sample)
    }

    fn measure(&self, peer: Peer, app: &App) -> Result<Sample, BenchError> {
        let main = self.watch.wait_mapped(&[], WAIT)?;
        let (framed, strip) = self
            .watch
            .poll_until(&main, POLL, WAIT, |s| s.shows(BLUE))?;
        let mapped = ns_between(app.started, main.at);
        let first_frame = ns_between(app.started, framed);
        if let Some(dir) = &self.shot {
            self.screenshot(&dir.join(format!("{}-main.png", peer.file_name())))?;
        }
        std::thread::sleep(IDLE);
        let one = app.members();
        let renderer_layers = one
            .iter()
            .find(|m| is_renderer(m))
            .and_then(|m| Some((m.proc.pid, layers::of(m.proc.pid)?)));
        let hover_seen = self.hover(&main, &strip)?;
        self.watch.drain()?;
        let clicked = Instant::now();
        self.watch.click()?;
        let second = self.watch.wait_mapped(&[main.window], WAIT)?;
        let (second_framed, _) = self
            .watch
            .poll_until(&second, POLL, WAIT, |s| s.shows(DISABLED_GREY))?;
        if let Some(dir) = &self.shot {
            self.screenshot(&dir.join(format!("{}.png", peer.file_name())))?;
        }
        std::thread::sleep(IDLE);
        let two = app.members();
        Ok(Sample {
            peer,
            mapped,
            first_frame,
            second_mapped: ns_between(clicked, second.at),
            second_frame: ns_between(clicked, second_framed),
            one: MemoryFigures::of(&one, &self.workshop),
            two: MemoryFigures::of(&two, &self.workshop),
            renderer_layers,
            hover_seen,
        })
    }

    /// Key → present through the desktop shell: starts `peer`, opens the
    /// Login Window, gives it the keyboard (its Email field has the focus),
    /// then
    /// `keys` keystrokes ('a', Backspace, 'a', ...), each timed from the
    /// fake key press written to the X server to the first read-back of
    /// the window whose rows around the field differ from before it (the
    /// rows are found from the first 'a'). Also returns how many events
    /// the listening client heard, for [`Peer::WorkshopAtspiListening`].
    pub fn typing(&mut self, peer: Peer, keys: usize) -> Result<Typing, BenchError> {
        self.watch.park_pointer()?;
        self.watch.drain()?;
        let cmd = self.command(peer)?;
        let heard_file = self
            .stage
            .path()
            .join(format!("run-{}", self.runs))
            .join(HEARD_FILE);
        let app = App::start(cmd, &[self.xvfb.pid()])?;
        let result = self.type_into_login(keys);
        let heard = std::fs::read_to_string(&heard_file)
            .ok()
            .and_then(|s| s.trim().parse().ok());
        let stopped = app.stop();
        let samples = result?;
        stopped?;
        Ok(Typing { samples, heard })
    }

    fn type_into_login(&self, keys: usize) -> Result<Vec<u64>, BenchError> {
        let main = self.watch.wait_mapped(&[], WAIT)?;
        let (_, strip) = self
            .watch
            .poll_until(&main, POLL, WAIT, |s| s.shows(BLUE))?;
        let y = strip
            .centre_of(BLUE)
            .ok_or_else(|| BenchError::Setup("no check button in the strip".into()))?;
        self.watch
            .pointer_to(main.window, XWatch::strip_x(main.width), y as i16)?;
        self.watch.drain()?;
        self.watch.click()?;
        let login = self.watch.wait_mapped(&[main.window], WAIT)?;
        self.watch
            .poll_until(&login, POLL, WAIT, |s| s.shows(DISABLED_GREY))?;
        self.watch.park_pointer()?;
        self.watch.focus(login.window)?;
        let (a, backspace) = (self.watch.keycode(XK_A)?, self.watch.keycode(XK_BACKSPACE)?);
        // The Login Window opens with the Email field focused. The first
        // 'a': which rows change.
        let whole = 0..login.height;
        let before = self.watch.rows(login.window, login.width, whole.clone())?;
        self.watch.key(a)?;
        let (_, after) = self.wait_rows_change(&login, whole.clone(), &before)?;
        let band = changed_rows(&before, &after, login.width)
            .ok_or_else(|| BenchError::Setup("typing changed no row".into()))?;
        let band =
            band.start.saturating_sub(BAND_MARGIN)..(band.end + BAND_MARGIN).min(login.height);
        let mut samples = Vec::with_capacity(keys);
        for i in 0..keys {
            let key = if i % 2 == 0 { backspace } else { a };
            let before = self.watch.rows(login.window, login.width, band.clone())?;
            let pressed = Instant::now();
            self.watch.key(key)?;
            let (shown, _) = self.wait_rows_change(&login, band.clone(), &before)?;
            samples.push(ns_between(pressed, shown));
            std::thread::sleep(KEY_GAP);
        }
        Ok(samples)
    }

    /// Reads `rows` of `m` every [`POLL`] until they differ from `before`.
    fn wait_rows_change(
        &self,
        m: &Mapped,
        rows: std::ops::Range<u16>,
        before: &[u8],
    ) -> Result<(Instant, Vec<u8>), BenchError> {
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.watch.rows(m.window, m.width, rows.clone())?;
            if now != before {
                return Ok((Instant::now(), now));
            }
            if Instant::now() >= deadline {
                return Err(BenchError::Timeout(format!(
                    "window 0x{:x} to show the keystroke",
                    m.window
                )));
            }
            std::thread::sleep(POLL);
        }
    }

    /// The whole screen into `path` (ImageMagick's `import`).
    fn screenshot(&self, path: &Path) -> Result<(), BenchError> {
        let status = Command::new("import")
            .args(["-display", &self.xvfb.display, "-window", "root"])
            .arg(path)
            .status()
            .map_err(|e| BenchError::io("import (ImageMagick)", e))?;
        if !status.success() {
            return Err(BenchError::Setup(format!("import: {status}")));
        }
        eprintln!("    screenshot {}", path.display());
        Ok(())
    }

    /// Points at the check button and waits for its hover fill.
    fn hover(&self, main: &Mapped, strip: &Strip) -> Result<bool, BenchError> {
        let y = strip
            .centre_of(BLUE)
            .ok_or_else(|| BenchError::Setup("no check button in the strip".into()))?;
        let outline_rows = strip.rows_with(BLUE).len();
        self.watch
            .pointer_to(main.window, XWatch::strip_x(main.width), y as i16)?;
        match self.watch.poll_until(main, POLL, HOVER_WAIT, |s| {
            s.rows_with(BLUE).len() > outline_rows + HOVER_EXTRA_ROWS
        }) {
            Ok(_) => Ok(true),
            Err(BenchError::Timeout(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// What [`Session::typing`] measured.
#[derive(Debug, Clone)]
pub struct Typing {
    /// Key press written → the change read back, ns, one per keystroke.
    pub samples: Vec<u64>,
    /// Events the listening client heard (`None`: no client, or it wrote
    /// nothing).
    pub heard: Option<u64>,
}

/// The rows (of `width` 4-byte pixels) in which `a` and `b` differ.
fn changed_rows(a: &[u8], b: &[u8], width: u16) -> Option<std::ops::Range<u16>> {
    let row = usize::from(width) * 4;
    let differing: Vec<usize> = a
        .chunks(row)
        .zip(b.chunks(row))
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, _)| i)
        .collect();
    let first = u16::try_from(*differing.first()?).ok()?;
    let last = u16::try_from(*differing.last()?).ok()?;
    Some(first..last + 1)
}

fn is_renderer(m: &Member) -> bool {
    m.proc.cmdline.contains("--type=renderer")
}

/// Memory of one app at one moment, KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryFigures {
    /// PSS over every process.
    pub pss: u64,
    /// RSS summed over every process (shared pages counted per process).
    pub rss: u64,
    /// How many processes.
    pub processes: usize,
    /// Renderer processes: PSS summed.
    pub renderer_pss: u64,
    /// Renderer processes: RSS summed.
    pub renderer_rss: u64,
    /// The largest PSS of one renderer.
    pub max_renderer_pss: u64,
    /// How many renderer processes.
    pub renderers: usize,
    /// The broker (Workshop) or browser process (Chromium): the first
    /// process that is neither a renderer nor another `--type=` helper.
    pub broker: Memory,
}

impl MemoryFigures {
    fn of(members: &[Member], workshop: &Path) -> MemoryFigures {
        let (pss, rss) = apptree::totals(members);
        let renderers: Vec<&Member> = members.iter().filter(|m| is_renderer(m)).collect();
        let workshop = workshop.to_string_lossy();
        let broker = members
            .iter()
            .find(|m| {
                !m.proc.cmdline.contains("--type=")
                    && (m.proc.cmdline.starts_with(workshop.as_ref())
                        || m.proc.cmdline.contains("--app="))
            })
            .map(|m| m.memory)
            .unwrap_or_default();
        MemoryFigures {
            pss,
            rss,
            processes: members.len(),
            renderer_pss: renderers.iter().map(|m| m.memory.pss).sum(),
            renderer_rss: renderers.iter().map(|m| m.memory.rss).sum(),
            max_renderer_pss: renderers.iter().map(|m| m.memory.pss).max().unwrap_or(0),
            renderers: renderers.len(),
            broker,
        }
    }
}

/// One run's figures.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Which app.
    pub peer: Peer,
    /// `spawn()` → Main Window mapped, ns.
    pub mapped: u64,
    /// `spawn()` → its first frame with the button's blue, ns.
    pub first_frame: u64,
    /// Click → Login Window mapped, ns.
    pub second_mapped: u64,
    /// Click → its first frame, ns.
    pub second_frame: u64,
    /// Memory, one window, idle.
    pub one: MemoryFigures,
    /// Memory, two windows, idle.
    pub two: MemoryFigures,
    /// A renderer's pid and layers (one window).
    pub renderer_layers: Option<(u32, Layers)>,
    /// Whether the hover fill painted before the click.
    pub hover_seen: bool,
}

fn kib_spread(samples: &[&Sample], f: impl Fn(&Sample) -> u64) -> Option<Spread> {
    let v: Vec<f64> = samples.iter().map(|s| f(s) as f64 / 1024.0).collect();
    Spread::of(&v)
}

fn lat(samples: &[&Sample], f: impl Fn(&Sample) -> u64) -> Option<Latency> {
    Latency::of(&samples.iter().map(|s| f(s)).collect::<Vec<_>>())
}

/// `median (min – max)` of a latency.
fn lat_cell(l: &Latency) -> String {
    format!("**{}** ({} – {})", Ns(l.p50), Ns(l.min), Ns(l.max))
}

fn mib_cell(s: &Spread) -> String {
    format!("**{:.1} MiB** ({:.1} – {:.1})", s.median, s.min, s.max)
}

fn count_cell(s: &Spread) -> String {
    if s.min == s.max {
        format!("{:.0}", s.median)
    } else {
        format!("{:.0} ({:.0} – {:.0})", s.median, s.min, s.max)
    }
}

/// A table row: its label and the figure it reads from a sample.
type Figure = (&'static str, fn(&Sample) -> u64);

/// The comparison table: one row per figure, medians and min–max of
/// each app, and the ratio of the medians.
pub fn print_table(samples: &[Sample]) {
    let w: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.peer == Peer::Workshop)
        .collect();
    let c: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.peer == Peer::Chromium)
        .collect();
    println!(
        "\nMedians of {} runs each (min – max), alternated; ratio: Chromium's median over \
         Workshop's.\n",
        w.len().min(c.len())
    );
    println!("| figure | Workshop | Chromium | Chromium ÷ Workshop |");
    println!("|---|---|---|---|");
    let lat_rows: [Figure; 4] = [
        ("process start → Main Window mapped", |s| s.mapped),
        (
            "**cold start**: process start → first frame with the button's blue",
            |s| s.first_frame,
        ),
        ("click → Login Window mapped", |s| s.second_mapped),
        ("**click → Login Window's first frame**", |s| {
            s.second_frame
        }),
    ];
    for (label, f) in lat_rows {
        if let (Some(a), Some(b)) = (lat(&w, f), lat(&c, f)) {
            println!(
                "| {label} | {} | {} | **{:.1} ×** |",
                lat_cell(&a),
                lat_cell(&b),
                b.ratio(&a)
            );
        }
    }
    let mem_rows: [Figure; 8] = [
        ("**PSS, all processes, one window**", |s| s.one.pss),
        ("RSS summed over processes, one window", |s| s.one.rss),
        ("**PSS, all processes, two windows**", |s| s.two.pss),
        ("RSS summed over processes, two windows", |s| s.two.rss),
        ("renderer PSS, one window (all renderers)", |s| {
            s.one.renderer_pss
        }),
        ("renderer RSS, one window (all renderers)", |s| {
            s.one.renderer_rss
        }),
        ("broker / browser process RSS, two windows", |s| {
            s.two.broker.rss
        }),
        ("broker / browser process PSS, two windows", |s| {
            s.two.broker.pss
        }),
    ];
    for (label, f) in mem_rows {
        if let (Some(a), Some(b)) = (kib_spread(&w, f), kib_spread(&c, f)) {
            println!(
                "| {label} | {} | {} | **{:.1} ×** |",
                mib_cell(&a),
                mib_cell(&b),
                b.median / a.median.max(f64::MIN_POSITIVE)
            );
        }
    }
    let count_rows: [Figure; 3] = [
        ("processes, one window", |s| s.one.processes as u64),
        ("processes, two windows", |s| s.two.processes as u64),
        ("renderer processes, two windows", |s| {
            s.two.renderers as u64
        }),
    ];
    for (label, f) in count_rows {
        let spread = |v: &[&Sample]| Spread::of(&v.iter().map(|s| f(s) as f64).collect::<Vec<_>>());
        if let (Some(a), Some(b)) = (spread(&w), spread(&c)) {
            println!("| {label} | {} | {} | |", count_cell(&a), count_cell(&b));
        }
    }
    let missed: usize = samples.iter().filter(|s| !s.hover_seen).count();
    if missed > 0 {
        println!(
            "\n({missed} runs clicked without having seen the hover fill within {HOVER_WAIT:?}.)"
        );
    }
    println!("\nSandbox layers of each app's renderer (last run), as `/proc` shows them:\n");
    println!("| app | renderer pid | seccomp | no_new_privs | CapEff | namespaces not shared with the bench |");
    println!("|---|---|---|---|---|---|");
    for group in [&w, &c] {
        if let Some(s) = group.iter().rev().find(|s| s.renderer_layers.is_some()) {
            if let Some((pid, l)) = &s.renderer_layers {
                println!("| {} | {pid} | {} |", s.peer.name(), l.cells());
            }
        }
    }
}

/// Runs the scenario.
pub fn run(opts: &Options) -> Result<(), BenchError> {
    let Some(chromium) = find_chromium(opts.chromium.as_deref()) else {
        println!(
            "workshop-bench peer: skipped, Chromium is not installed (no {CHROMIUM_BINARY} \
             or {CHROMIUM_LAUNCHER}; `apt-get install chromium`, or pass --chromium=PATH)."
        );
        return Ok(());
    };
    let workshop = workshop_binary(opts)?;
    let n = opts.n.unwrap_or(10);
    super::heading("Workshop beside Chromium (one Xvfb, alternating runs)");
    let mut session = Session::start(opts, &workshop, Some(&chromium))?;
    println!(
        "Both apps as {}, sandbox on, fresh profile per run, on a private Xvfb ({}, \
         1280x1024x24, no window manager). Workshop: `{}` (copied from {}) \
         `--user-data-dir DIR`, `WINIT_X11_SCALE_FACTOR=1`. Chromium: `{}` \
         `--app=file://…/main.html --user-data-dir=DIR` {}. Pixels polled every {:?}; \
         memory after {:?} idle.",
        session.user.name,
        session.xvfb.display,
        session.workshop.display(),
        workshop.display(),
        chromium.display(),
        CHROMIUM_FLAGS
            .iter()
            .map(|(f, why)| format!("`{f}` ({why})"))
            .collect::<Vec<_>>()
            .join(", "),
        POLL,
        IDLE
    );
    if let Ok(v) = Command::new(&chromium).arg("--version").output() {
        println!("\n{}", String::from_utf8_lossy(&v.stdout).trim());
    }
    let mut samples = Vec::new();
    for i in 0..WARM_UP + n {
        for peer in [Peer::Workshop, Peer::Chromium] {
            eprintln!(
                "  {} run {}{}",
                peer.name(),
                i + 1,
                if i < WARM_UP { " (warm-up)" } else { "" }
            );
            session.shot = opts.shot.clone().filter(|_| i == WARM_UP);
            let s = session.run(peer)?;
            eprintln!(
                "    first frame {}, second window {}, PSS {:.1} MiB",
                Ns(s.first_frame),
                Ns(s.second_frame),
                s.one.pss as f64 / 1024.0
            );
            if i >= WARM_UP {
                samples.push(s);
            }
        }
    }
    print_table(&samples);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_rows_bound_the_difference() {
        // Three rows of two pixels; the middle row differs in one byte.
        let a = vec![0u8; 3 * 2 * 4];
        let mut b = a.clone();
        b[2 * 4 + 5] = 1;
        assert_eq!(changed_rows(&a, &b, 2), Some(1..2));
        b[0] = 9;
        assert_eq!(changed_rows(&a, &b, 2), Some(0..2));
        assert_eq!(changed_rows(&a, &a, 2), None);
    }
}
