//! Messages per second, one way, renderer → broker, through the core.
//!
//! A Main Window renderer sends `SetCursor` back to back (blocking sends:
//! the broker's consumption sets the pace). Each message is read strictly
//! and decoded by the receive thread, queued (bounded, 4 096), taken by the
//! loop thread and judged by the core (rate limit, capability table,
//! validation, sender, stage), audited (the audit event is built and
//! counted; at the product's default log level it is not printed) and
//! carried out (the headless window's cursor is set). The rate is counted
//! from the core's audit counter over the middle 80 % of the flood.

use std::time::{Duration, Instant};

use workshop_common::Role;

use crate::floors;
use crate::harness::{Harness, Options as HarnessOptions, WAIT};
use crate::place::Placement;
use crate::stats::Spread;
use crate::{BenchError, Options};

/// Encoded size of `SetCursor` (variant and cursor tags).
const SET_CURSOR_BYTES: usize = 2;

fn row(label: &str, values: &[f64]) -> Result<String, BenchError> {
    let s = Spread::of(values).ok_or_else(|| BenchError::Setup("no runs".into()))?;
    Ok(format!(
        "| {label} | {} | **{:.0}** | {:.0} – {:.0} |",
        s.n, s.median, s.min, s.max
    ))
}

/// Runs the scenario.
pub fn run(opts: &Options) -> Result<(), BenchError> {
    let n = opts.n.unwrap_or(200_000);
    let runs = opts.runs.unwrap_or(5);
    super::heading("Renderer → broker messages per second");
    println!(
        "{n} messages per run ({SET_CURSOR_BYTES}-byte `SetCursor`), median and \
         min – max over runs. The broker's rate limit (4 000/s, burst 2 000 in \
         the product) is raised out of the way."
    );
    for &place in &opts.placements {
        super::enter(place)?;
        println!("| path | runs | msgs/s (median) | min – max |");
        println!("|---|---|---|---|");
        let mut raw = Vec::new();
        let mut cc = Vec::new();
        let mut core = Vec::new();
        let mut sender = Vec::new();
        for r in 0..runs {
            eprintln!("  run {}/{runs}", r + 1);
            raw.push(floors::seqpacket_flood(place, SET_CURSOR_BYTES, n)?);
            cc.push(floors::control_codec_flood(place, n)?);
            let (c, s) = through_core(place, n)?;
            core.push(c);
            sender.push(s);
        }
        println!("{}", row("raw seqpacket (recv only)", &raw)?);
        println!(
            "{}",
            row(
                "ControlSocket `recv_strict` + decode (no thread hop, no core)",
                &cc
            )?
        );
        println!(
            "{}",
            row(
                "**through the broker: reader thread, queue, core, audit**",
                &core
            )?
        );
        println!(
            "{}",
            row(
                "(same runs, as the renderer saw its sends complete)",
                &sender
            )?
        );
    }
    Ok(())
}

/// One flood through a real broker: (accepted per second as the core
/// counted them, sends per second as the renderer timed them).
fn through_core(place: Placement, n: usize) -> Result<(f64, f64), BenchError> {
    let mut opts = HarnessOptions::new(place);
    opts.main_args = vec![format!("--bench=flood:{n}")];
    let mut h = Harness::start(&opts)?;
    h.wait_ready(Role::Main)?;
    let deadline = Instant::now() + WAIT;
    let mut trace: Vec<(Instant, u64)> = Vec::new();
    let mut report = None;
    loop {
        h.app.pump_once(Duration::from_millis(20));
        let count = h.app.driver().core().audit().accepted();
        trace.push((Instant::now(), count));
        if report.is_none() {
            report = h.poll_report(Role::Main, "flood")?;
        }
        // Done once the renderer has finished and nothing more arrives.
        if report.is_some() && trace.len() >= 2 && trace[trace.len() - 2].1 == count {
            break;
        }
        if Instant::now() >= deadline {
            return Err(BenchError::Timeout("flood".into()));
        }
    }
    h.quit();
    let report = report.ok_or_else(|| BenchError::Setup("no flood report".into()))?;
    let sender_ns = report
        .num("elapsed_ns")
        .ok_or_else(|| BenchError::Renderer("flood report without elapsed_ns".into()))?;
    let end = trace.last().map_or(0, |t| t.1);
    let start = end.saturating_sub(n as u64);
    let at = |count: u64| trace.iter().find(|t| t.1 >= count).copied();
    let (Some((ta, ca)), Some((tb, cb))) =
        (at(start + n as u64 / 10), at(start + n as u64 * 9 / 10))
    else {
        return Err(BenchError::Setup("flood trace too short".into()));
    };
    let secs = tb.saturating_duration_since(ta).as_secs_f64();
    if secs <= 0.0 {
        return Err(BenchError::Setup("flood too fast to time".into()));
    }
    Ok(((cb - ca) as f64 / secs, n as f64 / (sender_ns as f64 / 1e9)))
}
