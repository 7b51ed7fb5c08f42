//! Full-window frames per second through shared memory.
//!
//! Workshop: a Main Window renderer in `--bench=frames:N` mode. For each
//! frame it writes its whole shared surface (one background fill: the
//! renderer paints straight into shared memory), sends `FrameReady` with
//! full damage and waits for `FrameAck`; the broker reads it strictly,
//! decodes and routes it, converts-and-copies the whole surface into the
//! window (headless: into memory, as the desktop shell copies into its
//! softbuffer backing) and acks. `repaint:N` also re-lays-out and repaints
//! the whole widget tree each frame. 1600×1200 is reached with a real
//! resize (`WindowEvent::Resized`, a new surface generation).
//!
//! Floor: the bare hand-off of the same buffer between two processes
//! (memfd mapped in both, full write, 1-byte notify, 1-byte ack), without
//! and with the presenter copying the buffer out.

use workshop_broker::core::{Event, WindowEvent};
use workshop_common::Role;

use crate::floors;
use crate::harness::{Harness, Options as HarnessOptions, Report};
use crate::place::Placement;
use crate::stats::{Latency, Spread};
use crate::{BenchError, Options};

const SIZES: [(u32, u32); 2] = [(400, 400), (1600, 1200)];

fn frames_for(width: u32, height: u32, n: usize) -> usize {
    if width * height > 1_000_000 {
        (n / 10).max(50)
    } else {
        n
    }
}

fn fps(report: &Report) -> Result<f64, BenchError> {
    let n = report.num("n").unwrap_or(0) as f64;
    let ns = report
        .num("elapsed_ns")
        .filter(|&v| v > 0)
        .ok_or_else(|| BenchError::Renderer("frames report without elapsed_ns".into()))?;
    Ok(n / (ns as f64 / 1e9))
}

/// Frames per second of each run, and every per-frame sample, of one path.
#[derive(Default)]
struct PathRuns {
    fps: Vec<f64>,
    samples: Vec<u64>,
}

impl PathRuns {
    fn add(&mut self, fps: f64, samples: &[u64]) {
        self.fps.push(fps);
        self.samples.extend_from_slice(samples);
    }
}

const PATHS: [&str; 4] = [
    "bare hand-off",
    "bare hand-off + presenter copy",
    "**Workshop, full-surface frames**",
    "Workshop, full repaint of the widget tree",
];

/// Runs the scenario.
pub fn run(opts: &Options) -> Result<(), BenchError> {
    let n = opts.n.unwrap_or(3_000);
    let runs = opts.runs.unwrap_or(3);
    super::heading("Full-window frames");
    println!(
        "{n} frames at 400×400, {} at 1600×1200, after a tenth as many unmeasured, \
         {runs} runs of each path, interleaved. Frames/s: median (min – max) over runs; \
         × bare: median over the bare hand-off's median. Per-frame samples (all runs): \
         from starting the frame to its acknowledgement.",
        frames_for(1600, 1200, n)
    );
    for &place in &opts.placements {
        super::enter(place)?;
        let mut by_size: Vec<[PathRuns; 4]> = SIZES.iter().map(|_| Default::default()).collect();
        for r in 0..runs {
            eprintln!("  run {}/{runs}", r + 1);
            let workshop = workshop_frames(place, n, false)?;
            let repaint = workshop_frames(place, n, true)?;
            for (i, &(w, h)) in SIZES.iter().enumerate() {
                let count = frames_for(w, h, n);
                let warm = (count / 10).max(10);
                let (f, s) = floors::shm_handoff(place, w, h, count, warm, false)?;
                by_size[i][0].add(f, &s);
                let (f, s) = floors::shm_handoff(place, w, h, count, warm, true)?;
                by_size[i][1].add(f, &s);
                by_size[i][2].add(fps(&workshop[i])?, &workshop[i].samples);
                by_size[i][3].add(fps(&repaint[i])?, &repaint[i].samples);
            }
        }
        println!(
            "| size | path | frames/s (min – max) | × bare | per frame: n | min / p10 / **p50** / p90 / max |"
        );
        println!("|---|---|---|---|---|---|");
        for (i, &(w, h)) in SIZES.iter().enumerate() {
            let spread = |p: &PathRuns| {
                Spread::of(&p.fps).ok_or_else(|| BenchError::Setup("no runs".into()))
            };
            let bare = spread(&by_size[i][0])?;
            for (path, label) in by_size[i].iter().zip(PATHS) {
                let s = spread(path)?;
                let lat = Latency::of(&path.samples)
                    .ok_or_else(|| BenchError::Setup("no frame samples".into()))?;
                println!(
                    "{}",
                    lat.row(&format!(
                        "{w}×{h} | {label} | {:.0} ({:.0} – {:.0}) | **{:.2}**",
                        s.median,
                        s.min,
                        s.max,
                        s.median / bare.median
                    ))
                );
            }
        }
    }
    Ok(())
}

/// One frames run per size, each through a fresh broker.
fn workshop_frames(place: Placement, n: usize, repaint: bool) -> Result<Vec<Report>, BenchError> {
    let kind = if repaint { "repaint" } else { "frames" };
    let mut reports = Vec::new();
    for &(w, h) in &SIZES {
        eprintln!("  {kind} {w}×{h}");
        let mut opts = HarnessOptions::new(place);
        // The renderer runs its plan once per surface: on the first
        // (400×400) one, then on the one a resize brings.
        opts.main_args = vec![format!("--bench={kind}:{}", frames_for(w, h, n))];
        let mut harness = Harness::start(&opts)?;
        harness.wait_ready(Role::Main)?;
        if (w, h) != (400, 400) {
            harness.wait_report(Role::Main, kind)?;
            harness.app.feed(Event::Window {
                role: Role::Main,
                event: WindowEvent::Resized {
                    width: w,
                    height: h,
                    scale: 1.0,
                },
            });
        }
        let report = harness.wait_report(Role::Main, kind)?;
        if report.num("width") != Some(u64::from(w)) {
            return Err(BenchError::Renderer(format!(
                "expected a {w}×{h} report, got {:?}",
                report.fields
            )));
        }
        harness.quit();
        reports.push(report);
    }
    Ok(reports)
}
