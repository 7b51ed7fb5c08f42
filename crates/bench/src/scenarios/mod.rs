//! One module per scenario; each prints its tables to stdout.
//!
//! Every scenario measures its floor in the same process run, with the same
//! placement, right beside the Workshop figure, and says in its output what
//! each figure includes.

pub mod budgets;
pub mod desktop;
pub mod flood;
pub mod fonts;
pub mod frames;
pub mod input;
pub mod memory;
pub mod peer;
pub mod rtt;
pub mod spawn;
pub mod xvfb;

use std::process::Command;

use crate::place::Placement;
use crate::BenchError;

/// Prints a scenario heading with the command line that reproduces it and
/// the machine's load (the cores are shared: a busy neighbour shows here).
pub fn heading(title: &str) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("\n## {title}\n");
    println!("`workshop-bench {}`\n", args.join(" "));
    println!("Load average at start: {}\n", load_average());
}

/// `/proc/loadavg`'s first three fields.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Prints the placement subheading and pins the bench for it.
pub fn enter(place: Placement) -> Result<(), BenchError> {
    place
        .apply()
        .map_err(|e| BenchError::io("sched_setaffinity", e))?;
    let what = match place {
        Placement::OneCore => "bench (broker) and peer processes all on CPU 0",
        Placement::TwoCores => "bench (broker, all threads) on CPU 0, each peer process on CPU 1",
        Placement::Unpinned => "no pinning (the scheduler decides)",
    };
    println!("\n### Placement `{place}`: {what}\n");
    eprintln!("[{place}]");
    Ok(())
}

/// `all`: every scenario but `xvfb`, each in a fresh process.
pub fn all(args: &[String]) -> Result<(), BenchError> {
    let exe = std::env::current_exe().map_err(|e| BenchError::io("current_exe", e))?;
    for scenario in ["rtt", "flood", "input", "frames", "spawn", "memory"] {
        let status = Command::new(&exe)
            .arg(scenario)
            .args(args)
            .status()
            .map_err(|e| BenchError::io("run scenario", e))?;
        if !status.success() {
            return Err(BenchError::Setup(format!("{scenario} failed: {status}")));
        }
    }
    Ok(())
}
