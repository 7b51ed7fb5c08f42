//! Spawn to first frame, headless, with its breakdown.
//!
//! From the core deciding to open a window (the `now` of `Event::Start` for
//! the Main Window, of the `OpenLoginWindow` message for the Login Window:
//! `RendererState::spawned_at`) to the broker sending the `FrameAck` of
//! the window's first frame, which it does right after presenting it.
//!
//! The breakdown lines up two clocks that are one (`CLOCK_MONOTONIC`, no
//! time namespace): the broker's instants (the core's `spawned_at`, and the
//! audit trail's events stamped as they are emitted, see
//! [`crate::capture`]) and the renderer's own marks (`--bench=timeline`).

use workshop_common::sandbox_report::SandboxMode;
use workshop_common::Role;

use crate::capture::{Capture, Captured};
use crate::floors;
use crate::harness::{Harness, Options as HarnessOptions, Report};
use crate::place::{Clock, Placement};
use crate::stats::{Latency, Ns};
use crate::{BenchError, Options};

/// The stages, in order: (label, what it includes).
const STAGES: [(&str, &str); 9] = [
    (
        "spawn decided → `spawn()` returned",
        "socketpair, private dir, fork, `pre_exec` (fd moves, unshare, uid map, second fork for the pid namespace), exec",
    ),
    (
        "spawn decided → renderer `main()`",
        "the above, then the dynamic loader and constructors of the executable",
    ),
    (
        "`main()` → content built",
        "log set-up, namespace check in /proc, window content, text system (fonts parsed)",
    ),
    ("content → `Bootstrap` sent", "one-shot ipc-channel server"),
    (
        "`Bootstrap` → surface adopted",
        "broker: strict read, decode, route, connect, allocate + send the surface; renderer: accept",
    ),
    (
        "surface → `Hello` sent",
        "lockdown (no_new_privs, dumpable, Landlock, rlimits, seccomp) and the probes",
    ),
    (
        "`Hello` → `Welcome` received",
        "broker: decode, shortfalls, /proc inspection, Welcome + Surface (+ InitialState)",
    ),
    (
        "`Welcome` → first `FrameReady` sent",
        "first layout and paint, publish into shared memory",
    ),
    (
        "`FrameReady` → presented (`FrameAck` out)",
        "broker: strict read, decode, route, copy damage, present",
    ),
];

/// One spawn's stage durations (ns) and total.
#[derive(Debug, Default)]
struct Sample {
    stages: [u64; 9],
    total: u64,
}

fn field(r: &Report, name: &str) -> Result<u64, BenchError> {
    r.num(name)
        .filter(|&v| v > 0)
        .ok_or_else(|| BenchError::Renderer(format!("timeline without {name}: {:?}", r.fields)))
}

fn broker_event(
    events: &[Captured],
    role: Role,
    generation: u32,
    matches: impl Fn(&Captured) -> bool,
) -> Option<&Captured> {
    let generation = generation.to_string();
    events.iter().find(|e| {
        e.field("role") == Some(role.as_str())
            && e.field("generation") == Some(generation.as_str())
            && matches(e)
    })
}

fn audit(direction: &'static str, kind: &'static str) -> impl Fn(&Captured) -> bool {
    move |e| {
        e.target == "workshop::audit"
            && e.field("direction") == Some(direction)
            && e.field("kind") == Some(kind)
    }
}

/// Lines up one spawn of `role`'s renderer `generation`.
fn sample(
    h: &Harness,
    capture: &Capture,
    clock: &Clock,
    role: Role,
    timeline: &Report,
) -> Result<Sample, BenchError> {
    let generation = timeline.generation;
    let w = h
        .app
        .driver()
        .core()
        .window(role)
        .filter(|w| w.renderer.generation == generation)
        .ok_or_else(|| BenchError::Setup(format!("{role} renderer {generation} gone")))?;
    let decided = clock.mono(w.renderer.spawned_at);
    let events = capture.snapshot();
    let at = |what: &str, m: &dyn Fn(&Captured) -> bool| {
        broker_event(&events, role, generation, m)
            .map(|e| clock.mono(e.at))
            .ok_or_else(|| {
                BenchError::Setup(format!("no broker event {what} for {role} #{generation}"))
            })
    };
    let started = at("renderer started", &|e| {
        e.target == "workshop_broker::host::spawn" && e.message == "renderer started"
    })?;
    let presented = at("FrameAck out", &audit("out", "FrameAck"))?;
    let entry = field(timeline, "entry")?;
    let content = field(timeline, "content")?;
    let bootstrap = field(timeline, "bootstrap")?;
    let adopted = field(timeline, "adopted")?;
    let hello = field(timeline, "hello")?;
    let welcome = field(timeline, "welcome")?;
    let frame_ready = field(timeline, "frame_ready")?;
    let d = |a: u64, b: u64| b.saturating_sub(a);
    Ok(Sample {
        stages: [
            d(decided, started),
            d(decided, entry),
            d(entry, content),
            d(content, bootstrap),
            d(bootstrap, adopted),
            d(adopted, hello),
            d(hello, welcome),
            d(welcome, frame_ready),
            d(frame_ready, presented),
        ],
        total: d(decided, presented),
    })
}

fn print_table(title: &str, samples: &[Sample]) -> Result<(), BenchError> {
    let total: Vec<u64> = samples.iter().map(|s| s.total).collect();
    let t = Latency::of(&total).ok_or_else(|| BenchError::Setup("no samples".into()))?;
    println!("\n{title}: **{}** median, n = {}\n", Ns(t.p50), t.n);
    println!("| stage | p10 | **p50** | p90 | includes |");
    println!("|---|---|---|---|---|");
    for (i, (label, includes)) in STAGES.iter().enumerate() {
        let v: Vec<u64> = samples.iter().map(|s| s.stages[i]).collect();
        if let Some(l) = Latency::of(&v) {
            println!(
                "| {label} | {} | **{}** | {} | {includes} |",
                Ns(l.p10),
                Ns(l.p50),
                Ns(l.p90)
            );
        }
    }
    println!(
        "| **total: decided → presented** | {} | **{}** | {} | min {}, max {} |",
        Ns(t.p10),
        Ns(t.p50),
        Ns(t.p90),
        Ns(t.min),
        Ns(t.max)
    );
    Ok(())
}

/// Runs the scenario.
pub fn run(opts: &Options, capture: &Capture) -> Result<(), BenchError> {
    let runs = opts.runs.unwrap_or(30);
    let main_runs = (runs / 3).max(3);
    let clock = Clock::new();
    super::heading("Spawn to first frame (headless)");
    println!(
        "Login Window: {runs} openings in one broker (click \"Let's check it out!\", \
         first frame, close, 250 ms pause, repeat). Main Window: {main_runs} fresh brokers \
         (`Event::Start`). Stages are consecutive, except the first two, which \
         overlap (the second includes the first). The second stage and the \
         renderer-side ones come from the renderer's own monotonic marks."
    );
    for &place in &opts.placements {
        super::enter(place)?;
        let floor = Latency::of(&floors::spawn_exit(runs)?)
            .ok_or_else(|| BenchError::Setup("no floor samples".into()))?;
        println!(
            "Floor: start this executable with `std::process::Command` and wait for it to \
             exit (`helper exit`, no sandbox): p50 **{}** (p10 {}, p90 {}).",
            Ns(floor.p50),
            Ns(floor.p10),
            Ns(floor.p90)
        );
        let alloc = Latency::of(&floors::surface_alloc(400, 400, runs.max(20)))
            .ok_or_else(|| BenchError::Setup("no floor samples".into()))?;
        println!(
            "\nPart of the `Bootstrap` → surface stage: allocating a 400×400 surface as \
             the broker does (`IpcSharedMemory::from_byte`): p50 **{}** (p10 {}, p90 {}).",
            Ns(alloc.p50),
            Ns(alloc.p10),
            Ns(alloc.p90)
        );
        for sandbox in [
            SandboxMode::Strict,
            SandboxMode::Enforce,
            SandboxMode::Disabled,
        ] {
            eprintln!("  sandbox {}", sandbox.as_str());
            let flag = match sandbox {
                SandboxMode::Strict => "`--sandbox=strict`",
                SandboxMode::Enforce => "default (enforce)",
                SandboxMode::Disabled => "`--no-sandbox`",
            };
            let login = login_spawns(place, sandbox, runs, capture, &clock)?;
            print_table(&format!("Login Window, {flag}"), &login)?;
            let mut main = Vec::new();
            for _ in 0..main_runs {
                main.push(main_spawn(place, sandbox, capture, &clock)?);
            }
            print_table(&format!("Main Window (`Event::Start`), {flag}"), &main)?;
        }
    }
    Ok(())
}

/// Pause before each measured spawn: the previous renderer's teardown
/// (the kernel frees its namespaces asynchronously) is not part of the
/// next spawn.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

/// Keeps the loop turning for [`SETTLE`].
fn settle(h: &mut Harness) {
    let until = std::time::Instant::now() + SETTLE;
    while std::time::Instant::now() < until {
        h.app.pump_once(std::time::Duration::from_millis(20));
    }
}

fn options(place: Placement, sandbox: SandboxMode) -> HarnessOptions {
    let mut opts = HarnessOptions::new(place);
    opts.sandbox = sandbox;
    opts.main_args = vec!["--bench=timeline".to_owned()];
    opts.login_args = vec!["--bench=timeline".to_owned()];
    opts
}

/// Login Window spawn to first frame totals (ns), `runs` openings in one
/// broker in `sandbox` mode (the caller has pinned the bench).
pub fn login_totals(
    place: Placement,
    sandbox: SandboxMode,
    runs: usize,
    capture: &Capture,
) -> Result<Vec<u64>, BenchError> {
    let clock = Clock::new();
    let samples = login_spawns(place, sandbox, runs, capture, &clock)?;
    Ok(samples.iter().map(|s| s.total).collect())
}

fn login_spawns(
    place: Placement,
    sandbox: SandboxMode,
    runs: usize,
    capture: &Capture,
    clock: &Clock,
) -> Result<Vec<Sample>, BenchError> {
    let mut h = Harness::start(&options(place, sandbox))?;
    h.wait_main_initialized()?;
    // One unmeasured opening: the first thread pool, page faults of code
    // paths not yet run in this broker.
    h.click_check()?;
    h.wait_report(Role::Login, "timeline")?;
    h.close_login()?;
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        settle(&mut h);
        capture.clear();
        h.click_check()?;
        let timeline = h.wait_report(Role::Login, "timeline")?;
        out.push(sample(&h, capture, clock, Role::Login, &timeline)?);
        h.close_login()?;
    }
    h.quit();
    Ok(out)
}

fn main_spawn(
    place: Placement,
    sandbox: SandboxMode,
    capture: &Capture,
    clock: &Clock,
) -> Result<Sample, BenchError> {
    std::thread::sleep(SETTLE);
    capture.clear();
    let mut h = Harness::start(&options(place, sandbox))?;
    let timeline = h.wait_report(Role::Main, "timeline")?;
    let s = sample(&h, capture, clock, Role::Main, &timeline)?;
    h.quit();
    Ok(s)
}
