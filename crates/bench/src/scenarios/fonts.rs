//! `fonts`: what the broker's font scan costs (`broker/src/fonts.rs`).
//!
//! The scan is on the start-up path: the first renderer inherits the pack,
//! so the first spawn waits for whatever of the scan is left when the
//! first window is ready. This times the real `discover_timed` over the
//! real font directories, in this process, with the page cache warm (the
//! first, cold run is reported on its own): its two halves, parsing every
//! installed face once and filling and sealing the memfd.

use workshop_broker::fonts;

use crate::stats::Latency;
use crate::BenchError;

/// Runs when `--n` is not given.
const DEFAULT_RUNS: usize = 30;

/// Times `--n` scans of [`fonts::FONT_DIRS`].
pub fn run(opts: &crate::Options) -> Result<(), BenchError> {
    super::heading("Font scan (broker, in process)");
    let dirs: Vec<std::path::PathBuf> = fonts::FONT_DIRS.iter().map(Into::into).collect();
    let runs = opts.n.unwrap_or(DEFAULT_RUNS).max(1);
    let (mut parse, mut pack, mut total) = (Vec::new(), Vec::new(), Vec::new());
    let mut first = None;
    let mut bytes = 0;
    for i in 0..=runs {
        let started = std::time::Instant::now();
        let (found, t) = fonts::discover_timed(&dirs)
            .map_err(|e| BenchError::Setup(format!("font scan: {e}")))?;
        let all = started.elapsed();
        bytes = found.pack.as_ref().map_or(0, |p| p.len());
        drop(found);
        if i == 0 {
            first = Some(all);
            continue;
        }
        parse.push(t.parse.as_nanos() as u64);
        pack.push(t.pack.as_nanos() as u64);
        total.push(all.as_nanos() as u64);
    }
    if let Some(first) = first {
        println!(
            "First scan of this process: {:.2} ms\n",
            first.as_secs_f64() * 1e3
        );
    }
    println!("Pack: {bytes} bytes. Then {runs} scans:\n");
    println!("| phase | n | min / p10 / **p50** / p90 / max |");
    println!("|---|---|---|");
    for (label, samples) in [
        ("parse every face once, choose", &parse),
        ("memfd: create, copy (sendfile), seal", &pack),
        ("whole scan", &total),
    ] {
        if let Some(l) = Latency::of(samples) {
            println!("{}", l.row(label));
        }
    }
    Ok(())
}
