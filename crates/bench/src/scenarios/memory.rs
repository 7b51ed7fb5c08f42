//! Memory, idle, both windows open: the headless broker and its renderers.
//!
//! The broker here is this bench process running the headless shell (the
//! product's desktop broker, with its X connection and softbuffer
//! surfaces, is measured by `xvfb`). Renderers are found by the pids the
//! core learned from the kernel (`window(role).renderer.pid`). Each
//! sandboxed renderer also has a parent: the spawn step's intermediate
//! process (a fork of the broker that waits for the renderer, which is
//! PID 1 of its own pid namespace); it is listed too. Floor: this
//! executable idling in `main()` (`helper idle`): the executable's and the
//! libraries' share that nothing can avoid.

use std::time::{Duration, Instant};

use workshop_common::Role;

use crate::floors::Helper;
use crate::harness::{Harness, Options as HarnessOptions};
use crate::place::Placement;
use crate::procfs::{self, mib, Memory};
use crate::{BenchError, Options};

/// How long the app idles before memory is read.
pub const IDLE: Duration = Duration::from_secs(2);

/// Prints one memory row.
pub fn row(what: &str, pid: u32, m: &Memory) {
    println!(
        "| {what} | {pid} | **{}** | **{}** | {} | {} | {} | {} |",
        mib(m.rss),
        mib(m.pss),
        mib(m.uss),
        mib(m.pss_anon),
        mib(m.pss_file),
        mib(m.pss_shmem)
    );
}

/// The table header for [`row`].
pub fn header() {
    println!("| process | pid | RSS | PSS | USS | PSS anon | PSS file | PSS shmem |");
    println!("|---|---|---|---|---|---|---|---|");
}

/// Runs the scenario.
pub fn run(opts: &Options) -> Result<(), BenchError> {
    super::heading("Memory, headless broker, both windows open, idle");
    let place = opts
        .placements
        .first()
        .copied()
        .unwrap_or(Placement::Unpinned);
    super::enter(place)?;
    let idle = Helper::start("idle", &[], &[])?;
    let mut h = Harness::start(&HarnessOptions::new(place))?;
    h.open_login()?;
    let until = Instant::now() + IDLE;
    while Instant::now() < until {
        h.app.pump_once(Duration::from_millis(100));
    }
    println!("After {IDLE:?} idle with both windows painted.\n");
    header();
    let me = std::process::id();
    row(
        "broker (this bench, headless shell)",
        me,
        &procfs::memory(me)?,
    );
    for role in [Role::Main, Role::Login] {
        let pid = h
            .app
            .driver()
            .core()
            .window(role)
            .and_then(|w| w.renderer.pid)
            .ok_or_else(|| BenchError::Setup(format!("no {role} renderer pid")))?;
        row(&format!("**{role} renderer**"), pid, &procfs::memory(pid)?);
    }
    for p in procfs::descendants(me) {
        if p.pid != idle.pid() && p.renderer_role().is_none() {
            row(
                "spawn intermediate (waits for its renderer)",
                p.pid,
                &procfs::memory(p.pid)?,
            );
        }
    }
    row(
        "floor: this executable idle in `main()`",
        idle.pid(),
        &procfs::memory(idle.pid())?,
    );
    h.quit();
    drop(idle);
    Ok(())
}
