//! Input to present: a key on the Login Window to its changed pixels.
//!
//! The Email field has focus; each sample feeds one input event to the
//! headless shell exactly as the desktop shell does for a real key
//! (`WindowEvent::Input` into the core, which sends `Input` to the
//! renderer), alternately the text "a" and Backspace, so every event
//! changes the field. The renderer edits the field, lays out and paints
//! the damaged rectangle, converts it into shared memory and sends
//! `FrameReady`; the broker copies the damage and presents it. The sample
//! ends when the bench sees the window's presented-frame counter move,
//! right after the loop thread presented it. The floor is the raw
//! seqpacket round trip (16 B) in the same placement.

use std::time::Instant;

use workshop_common::input::{Key, Modifiers};
use workshop_common::Role;

use crate::floors;
use crate::harness::{login_centre, Harness, Options as HarnessOptions};
use crate::place::Placement;
use crate::stats::{ns_between, Latency, Ns};
use crate::{BenchError, Options};

/// Target: input to present at most this much above the IPC floor.
pub const TARGET_ABOVE_FLOOR_NS: u64 = 1_000_000;

/// Runs the scenario.
pub fn run(opts: &Options) -> Result<(), BenchError> {
    let n = opts.n.unwrap_or(5_000);
    let warm = (n / 10).clamp(50, 500);
    super::heading("Input to present (headless)");
    println!(
        "{n} events, alternately text \"a\" and Backspace into the focused Email \
         field; from feeding the event to the presented frame."
    );
    for &place in &opts.placements {
        super::enter(place)?;
        let (floor, l) = measure(place, n, warm)?;
        println!("| path | n | min / p10 / **p50** / p90 / max |");
        println!("|---|---|---|");
        println!("{}", floor.row("raw seqpacket round trip, 16 B (floor)"));
        println!(
            "{}",
            l.row("**key → presented, through broker and renderer**")
        );
        let above = l.p50.saturating_sub(floor.p50);
        println!(
            "\np50 above the floor: **{}** (target ≤ {}: {})",
            Ns(above),
            Ns(TARGET_ABOVE_FLOOR_NS),
            if above <= TARGET_ABOVE_FLOOR_NS {
                "met"
            } else {
                "missed"
            }
        );
    }
    Ok(())
}

/// The floor (raw seqpacket round trip, 16 B) and key → presented, `n`
/// samples each after `warm` unmeasured, in placement `place` (the
/// caller has pinned the bench).
pub fn measure(place: Placement, n: usize, warm: usize) -> Result<(Latency, Latency), BenchError> {
    let floor = Latency::of(&floors::seqpacket_rtt(place, 16, n, warm)?)
        .ok_or_else(|| BenchError::Setup("no floor samples".into()))?;
    let mut h = Harness::start(&HarnessOptions::new(place))?;
    h.open_login()?;
    let (x, y) = login_centre(|w| w.email_input_id())?;
    let before = h.frames(Role::Login);
    h.app.click(Role::Login, x, y);
    h.until("focus repaint", |app| {
        app.backend()
            .window(Role::Login)
            .is_some_and(|w| w.frames > before)
    })?;
    let mut samples = Vec::with_capacity(n);
    for i in 0..warm + n {
        let before = h.frames(Role::Login);
        let t0 = Instant::now();
        if i % 2 == 0 {
            h.app.type_text(Role::Login, "a");
        } else {
            h.app.key(Role::Login, Key::Backspace, Modifiers::default());
        }
        h.until("the edit presented", |app| {
            app.backend()
                .window(Role::Login)
                .is_some_and(|w| w.frames > before)
        })?;
        if i >= warm {
            samples.push(ns_between(t0, Instant::now()));
        }
    }
    h.quit();
    let l = Latency::of(&samples).ok_or_else(|| BenchError::Setup("no samples".into()))?;
    Ok((floor, l))
}
