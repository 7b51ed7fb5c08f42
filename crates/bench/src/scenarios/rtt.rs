//! IPC round trip renderer → broker → renderer for an invoke.
//!
//! The Workshop figure is the Login Window's real `SubmitLogin` invoke
//! (through its `LoginWindowClient`) with the malformed email `x`: the
//! renderer encodes and sends it on its control socket; the broker's
//! receive thread reads it strictly and decodes it, queues it, the loop
//! thread wakes, the core checks rate, capability table, validation, sender
//! and stage, audits it, `check_email` fails, the `InvalidEmail` reply is
//! encoded and sent without blocking; the renderer decodes it and matches
//! it to its pending invoke. No authenticator thread is involved.
//!
//! Sizes are the encoded request; the password pads it (the email stays
//! `x`). The protocol caps passwords at 1 024 bytes, so a 60 KiB invoke
//! would be (rightly) a bad message: 60 KiB is measured through the
//! transport and codec only (`control+codec`, see [`crate::floors`]),
//! which also runs at 16 B and 1 KiB so the broker's own share shows.

use workshop_common::sandbox_report::SandboxMode;
use workshop_common::Role;

use crate::floors;
use crate::harness::{Harness, Options as HarnessOptions};
use crate::place::Placement;
use crate::procfs;
use crate::stats::Latency;
use crate::{BenchError, Options};

const SIZES: [usize; 3] = [16, 1024, 61_440];
const INVOKE_SIZES: [usize; 2] = [16, 1024];

fn summary(samples: &[u64]) -> Result<Latency, BenchError> {
    Latency::of(samples).ok_or_else(|| BenchError::Setup("no samples".into()))
}

/// Runs the scenario.
pub fn run(opts: &Options) -> Result<(), BenchError> {
    let n = opts.n.unwrap_or(20_000);
    let warm = (n / 10).clamp(100, 2_000);
    super::heading("Invoke round trip");
    println!(
        "Request of SIZE bytes renderer → broker, reply back; samples in \
         nanoseconds from send to reply decoded, warm-up excluded. Raw floors \
         reply with {} bytes; the real `Reply` is 4 bytes. Ratio: p50 over \
         the p50 of raw ipc-channel at the same size and placement.",
        floors::RAW_REPLY_BYTES
    );
    for &place in &opts.placements {
        super::enter(place)?;
        println!("| size | path | n | min / p10 / **p50** / p90 / max | × ipc-channel |");
        println!("|---|---|---|---|---|");
        let sizes = opts.sizes.clone().unwrap_or_else(|| SIZES.to_vec());
        let only = opts.only.as_deref();
        let want = |path: &str| only.is_none_or(|o| o == path);
        let mut switches = Vec::new();
        for size in sizes {
            let count = if size > 4096 { n / 4 } else { n };
            eprintln!("  floors {size} B");
            // The ratio's reference: always measured.
            let ipc = summary(&floors::ipc_channel_rtt(place, size, count, warm)?)?;
            if want("seqpacket") {
                let seq = summary(&floors::seqpacket_rtt(place, size, count, warm)?)?;
                println!(
                    "{} {:.2} |",
                    seq.row(&format!("{size} B | raw seqpacket")),
                    seq.ratio(&ipc)
                );
            }
            println!(
                "{} 1.00 |",
                ipc.row(&format!("{size} B | raw ipc-channel bytes"))
            );
            if want("control") {
                let (cc, _reply) = floors::control_codec_rtt(place, size, count, warm)?;
                let cc = summary(&cc)?;
                println!(
                    "{} {:.2} |",
                    cc.row(&format!("{size} B | ControlSocket + codec (no broker)")),
                    cc.ratio(&ipc)
                );
            }
            if !INVOKE_SIZES.contains(&size) || !want("invoke") {
                continue;
            }
            for (sandbox, batch, label) in [
                (SandboxMode::Enforce, false, "**invoke through the broker**"),
                (SandboxMode::Disabled, false, "invoke, `--no-sandbox`"),
                (
                    SandboxMode::Enforce,
                    true,
                    "invoke, every thread `SCHED_BATCH` (prototype)",
                ),
            ] {
                if (sandbox == SandboxMode::Disabled || batch) && (size != 16 || only.is_some()) {
                    continue;
                }
                // The prototype is about one core's wake-up preemption; on
                // two busy cores a batch wakee waits out the running
                // task's slice and the run may not finish (see
                // docs/BENCHMARKS.md, "The two misses, re-examined").
                if batch && place != Placement::OneCore {
                    continue;
                }
                eprintln!("  invoke {size} B ({}, batch {batch})", sandbox.as_str());
                crate::place::set_batch(batch)
                    .map_err(|e| BenchError::io("sched_setscheduler", e))?;
                let samples = invoke(place, sandbox, n, size);
                crate::place::set_batch(false)
                    .map_err(|e| BenchError::io("sched_setscheduler", e))?;
                let (samples, per_trip) = match samples {
                    Err(BenchError::Timeout(what)) if batch => {
                        println!(
                            "| {size} B | {label} | did not finish in {:?} ({what}) | | |",
                            crate::harness::WAIT
                        );
                        continue;
                    }
                    other => other?,
                };
                let inv = summary(&samples)?;
                println!(
                    "{} **{:.2}** |",
                    inv.row(&format!("{size} B | {label}")),
                    inv.ratio(&ipc)
                );
                switches.push((size, label, per_trip));
            }
        }
        if !switches.is_empty() {
            println!(
                "\nContext switches per invoke round trip (every thread of the bench, \
                 which is the broker, and of the renderer, over the whole run, \
                 `/proc/PID/task/*/status`):\n"
            );
            println!("| size | path | switches per round trip |");
            println!("|---|---|---|");
            for (size, label, per_trip) in switches {
                println!("| {size} B | {label} | {per_trip:.2} |");
            }
        }
    }
    Ok(())
}

/// `n` invokes of `size` bytes from a fresh Login Window renderer.
fn invoke(
    place: Placement,
    sandbox: SandboxMode,
    n: usize,
    size: usize,
) -> Result<(Vec<u64>, f64), BenchError> {
    let mut opts = HarnessOptions::new(place);
    opts.sandbox = sandbox;
    opts.login_args = vec![format!("--bench=invoke:{n}:{size}")];
    let mut h = Harness::start(&opts)?;
    let me = std::process::id();
    let before = procfs::context_switches(me);
    h.open_login()?;
    let report = h.wait_report(Role::Login, "invoke")?;
    let renderer = h
        .app
        .driver()
        .core()
        .window(Role::Login)
        .and_then(|w| w.renderer.pid)
        .map_or(0, procfs::context_switches);
    let switches = procfs::context_switches(me).saturating_sub(before) + renderer;
    h.quit();
    // Every round trip the renderer made, warm-up included (the ids run
    // past the one-byte range first).
    let trips = n + crate::renderer::warm_up(n).max(crate::renderer::THREE_BYTE_IDS_FROM as usize);
    let per_trip = switches as f64 / trips as f64;
    if report.num("size") != Some(size as u64) {
        return Err(BenchError::Renderer(format!(
            "asked for {size} B, got {:?}",
            report.fields.get("size")
        )));
    }
    Ok((report.samples, per_trip))
}
