//! What each boundary attack costs the broker while it runs: the other
//! window's repaint latency (hover → presented frame, the event loop's
//! responsiveness as a user sees it) and the broker's resident memory.
//!
//! A bench binary, not a test: figures are printed, never asserted. Run:
//! `cargo bench -p workshop-compromised --bench attacks` (the numbers in
//! docs/SECURITY.md came from this command). Each attack runs in the Login
//! renderer (`workshop-compromised --misbehave=CASE`, after the real
//! lockdown) while the Main Window is hovered back and forth.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use workshop_broker::core::{Event, WindowEvent};
use workshop_common::Role;
use workshop_testkit::pixels::{fill_probe, main_box};
use workshop_testkit::{main_centre, rss_kib, Harness, Options};

/// Repaint samples taken per attack.
const SAMPLES: usize = 40;

fn options(case: Option<&str>) -> Options {
    let opts = Options::for_exe(env!("CARGO_BIN_EXE_workshop-compromised"));
    match case {
        Some(case) => opts.misbehave(Role::Login, case),
        None => opts,
    }
}

/// The Main Window's presented pixel at `at`.
fn pixel(h: &Harness, (x, y): (u32, u32)) -> Option<u32> {
    let w = h.app.backend().window(Role::Main)?;
    w.pixels.get((y * w.width + x) as usize).copied()
}

/// Hover on/off the Close button and time each until Main presents it: the
/// Close button's fill changes, not merely "a frame". Waiting for any
/// frame is how the bench used to stop (a 20 s timeout, in a different
/// scenario from run to run, the baseline included): a frame that was not
/// the hover's can end the wait early, the next hover then goes out while
/// the last one is still held by input pacing, the two pointer moves are
/// coalesced into no change, and no frame ever comes.
fn repaint_latencies(h: &mut Harness, during: &mut dyn FnMut(&mut Harness)) -> Vec<Duration> {
    let (x, y) = main_centre(None, |w| w.close_button_id());
    let probe = fill_probe(main_box(None, |w| w.close_button_id(), 1.0));
    let mut out = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        during(h);
        let before = pixel(h, probe);
        let start = Instant::now();
        if i % 2 == 0 {
            h.app.hover(Role::Main, x, y);
        } else {
            h.app.hover(Role::Main, 5.0, 5.0);
        }
        h.until("Main to repaint the Close button", |app| {
            let now = app.backend().window(Role::Main).and_then(|w| {
                w.pixels
                    .get((probe.1 * w.width + probe.0) as usize)
                    .copied()
            });
            now != before
        });
        out.push(start.elapsed());
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn run(name: &str, case: Option<&str>, storm: bool) {
    let before = rss_kib();
    let mut h = Harness::start(Options {
        capture_logs: false,
        ..options(case)
    });
    h.wait_main_initialized();
    h.click_check();
    h.until("login opened", |app| {
        app.driver().core().window(Role::Login).is_some()
    });
    let mut peak = rss_kib();
    let mut step = 0u32;
    let mut during = |h: &mut Harness| {
        if storm {
            for _ in 0..16 {
                step += 1;
                h.app.feed(Event::Window {
                    role: Role::Login,
                    event: WindowEvent::Resized {
                        width: 400 + (step % 64),
                        height: 400,
                        scale: 1.0,
                    },
                });
            }
        }
        peak = peak.max(rss_kib());
    };
    let mut lat = repaint_latencies(&mut h, &mut during);
    peak = peak.max(rss_kib());
    lat.sort();
    println!(
        "| {name} | {:.2} | {:.2} | {:.2} | {} | {} |",
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.9).as_secs_f64() * 1e3,
        lat.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        before / 1024,
        peak / 1024,
    );
}

fn main() {
    println!("| attack (Login renderer) | Main repaint p50 ms | p90 ms | max ms | broker RSS before MiB | peak MiB |");
    println!("|---|---|---|---|---|---|");
    run("none (baseline)", None, false);
    run(
        "surface never read + resize storm",
        Some("surface-never-read"),
        true,
    );
    run(
        "256 MiB stderr without newline",
        Some("stderr-no-newline"),
        false,
    );
    run("log flood", Some("log-flood"), false);
    run("log forgery", Some("log-spoof"), false);
    run("thread bomb", Some("thread-bomb"), false);
    run("host path probes", Some("path-probe"), false);
    run("message flood", Some("flood"), false);
    run("frame flood", Some("frame-flood"), false);
}
