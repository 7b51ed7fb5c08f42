//! The invoke round trip and input-free frames through the *desktop* shell.
//!
//! The headless figures (`rtt`) wake the loop thread through the event
//! queue's condition variable. The desktop shell wakes winit's X11 event
//! loop through an `EventLoopProxy` (calloop's ping, an eventfd) and runs
//! its `about_to_wait` bookkeeping on every wake-up: what users really get.
//! This scenario runs the same broker configuration as the others in the
//! desktop shell (`workshop_broker::app::run_desktop`) on `DISPLAY`; a
//! driver thread clicks "Let's check it out!" with `xdotool` once the Main
//! Window is painted, waits for the Login Window renderer's invoke report,
//! prints the table and exits the process (the renderers die with it, by
//! their parent-death signal). The raw ipc-channel round trip is measured
//! first, in the same process and placement.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use workshop_common::Role;

use crate::floors;
use crate::harness::{self, main_centre, Lines, Options as HarnessOptions, Reports};
use crate::stats::Latency;
use crate::{BenchError, Options};

/// Runs the scenario; on success it does not return (the desktop loop
/// owns the main thread; the driver thread exits the process).
pub fn run(opts: &Options) -> Result<(), BenchError> {
    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        return Err(BenchError::Setup("xvfb-invoke needs DISPLAY".into()));
    }
    let n = opts.n.unwrap_or(20_000);
    let size = opts
        .sizes
        .as_ref()
        .and_then(|s| s.first().copied())
        .unwrap_or(16);
    let place = opts
        .placements
        .first()
        .copied()
        .unwrap_or(crate::place::Placement::OneCore);
    super::heading("Invoke round trip through the desktop shell (Xvfb)");
    super::enter(place)?;
    let warm = (n / 10).clamp(100, 2_000);
    let ipc = Latency::of(&floors::ipc_channel_rtt(place, size, n, warm)?)
        .ok_or_else(|| BenchError::Setup("no floor samples".into()))?;
    let mut hopts = HarnessOptions::new(place);
    hopts.main_args = vec!["--bench=timeline".to_owned()];
    hopts.login_args = vec![format!("--bench=invoke:{n}:{size}")];
    let lines: Lines = Arc::default();
    let config = harness::app_config(&hopts, &lines)?;
    let check = main_centre(|w| w.check_button_id())?;
    std::thread::Builder::new()
        .name("bench-driver".to_owned())
        .spawn(move || {
            let code = match drive(&lines, check, size, &ipc) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("workshop-bench xvfb-invoke: {e}");
                    1
                }
            };
            println!("\nLoad average at end: {}", super::load_average());
            std::process::exit(code);
        })
        .map_err(|e| BenchError::io("driver thread", e))?;
    workshop_broker::app::run_desktop(config)
        .map_err(|e| BenchError::Setup(format!("desktop shell: {e}")))?;
    Err(BenchError::Setup("the desktop shell quit first".into()))
}

fn xdo(args: &[&str]) -> Result<String, BenchError> {
    let out = Command::new("xdotool")
        .args(args)
        .output()
        .map_err(|e| BenchError::io("xdotool", e))?;
    if !out.status.success() {
        return Err(BenchError::Setup(format!("xdotool {args:?} failed")));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn drive(lines: &Lines, check: (f32, f32), size: usize, ipc: &Latency) -> Result<(), BenchError> {
    let mut reports = Reports::default();
    let wait = |reports: &mut Reports, role: Role, kind: &str| {
        let deadline = Instant::now() + harness::WAIT;
        loop {
            reports.take(lines)?;
            if let Some(r) = reports.find(role, kind) {
                return Ok(r);
            }
            if Instant::now() >= deadline {
                return Err(BenchError::Timeout(format!("{role} {kind}")));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    wait(&mut reports, Role::Main, "timeline")?;
    // The check button appears with the initial state, a frame later.
    std::thread::sleep(Duration::from_millis(300));
    let wid = xdo(&["search", "--sync", "--name", "^Main Window$"])?;
    let wid = wid.lines().next().unwrap_or("").to_owned();
    let (x, y) = (check.0.round().to_string(), check.1.round().to_string());
    xdo(&["mousemove", "--sync", "--window", &wid, &x, &y])?;
    xdo(&["click", "1"])?;
    let report = wait(&mut reports, Role::Login, "invoke")?;
    let inv = Latency::of(&report.samples)
        .ok_or_else(|| BenchError::Setup("no invoke samples".into()))?;
    println!("| size | path | n | min / p10 / **p50** / p90 / max | × ipc-channel |");
    println!("|---|---|---|---|---|");
    println!(
        "{} 1.00 |",
        ipc.row(&format!("{size} B | raw ipc-channel bytes"))
    );
    println!(
        "{} **{:.2}** |",
        inv.row(&format!("{size} B | **invoke through the desktop broker**")),
        inv.ratio(ipc)
    );
    Ok(())
}
