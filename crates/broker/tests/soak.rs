//! Spawn/kill cycles leave the broker's descriptors and memory flat, and no
//! zombies. Alone in its test binary so the process-wide descriptor count
//! and RSS belong to this test only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Harness, Options};
use workshop_common::Role;

fn broker_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn broker_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Spawn/kill cycles leave the broker's descriptors and memory flat. CI runs
/// a short soak; `WORKSHOP_SOAK_CYCLES=1000 cargo test --release -p
/// workshop-broker --test recovery soak -- --nocapture` runs the full one
/// (figures in docs/BENCHMARKS.md).
#[test]
fn soak_spawn_kill_cycles_leak_nothing() {
    let cycles: u32 = std::env::var("WORKSHOP_SOAK_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let mut h = Harness::start(Options {
        tweak: Box::new(|c| c.core.crash_limit = usize::MAX),
        capture_logs: false,
        ..support::options()
    });
    h.wait_main_initialized();
    let kill_one = |h: &mut Harness| {
        let g = h.generation(Role::Main).unwrap();
        let pid = h
            .app
            .driver()
            .core()
            .window(Role::Main)
            .unwrap()
            .renderer
            .pid
            .unwrap();
        // SAFETY: kill(2) on a live, unreaped renderer.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        h.wait_gone(Role::Main, g);
        h.wait_ready(Role::Main);
    };
    // Warm up: thread stacks, allocator arenas and caches reach steady state.
    for _ in 0..10 {
        kill_one(&mut h);
    }
    let (fds0, rss0) = (broker_fds(), broker_rss_kib());
    for _ in 0..cycles {
        kill_one(&mut h);
    }
    let (fds1, rss1) = (broker_fds(), broker_rss_kib());
    println!("soak: {cycles} cycles, broker fds {fds0} -> {fds1}, RSS {rss0} KiB -> {rss1} KiB");
    assert_eq!(fds1, fds0, "descriptors leaked");
    // Memory: flat within allocator noise (1 KiB per cycle over the full
    // soak would show).
    assert!(
        rss1 <= rss0 + 1024,
        "RSS grew from {rss0} KiB to {rss1} KiB over {cycles} cycles"
    );
    // No zombies: every renderer was reaped.
    let zombies = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| {
            let t = t.ok()?;
            std::fs::read_to_string(t.path().join("children")).ok()
        })
        .flat_map(|c| c.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| s.split_whitespace().nth(2) == Some("Z"))
                .unwrap_or(false)
        })
        .count();
    assert_eq!(zombies, 0);
}
