//! A settings writer killed with SIGKILL at random points, many times,
//! never leaves a `settings.json` that fails to parse.
//!
//! The writer is this test binary re-executed with an environment variable
//! (so it is a real separate process doing real `SettingsStore::save`s);
//! the parent kills it after a pseudo-random delay and checks the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

use workshop_broker::settings::{Display, Loaded, Placement, Settings, SettingsStore};

const DIR_VAR: &str = "WORKSHOP_SETTINGS_WRITER_DIR";

/// The child: rewrite settings forever with growing content.
#[test]
fn settings_writer_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return; // Only does something when re-executed by the parent.
    };
    let store = SettingsStore::open(std::path::Path::new(&dir)).unwrap();
    let mut s = Settings::default();
    for i in 0u64.. {
        s.windows.insert(
            format!("w{}", i % 50),
            Placement {
                x: i as i32,
                y: -(i as i32),
                display: Display {
                    name: Some(format!("display-{i}").repeat((i % 7) as usize + 1)),
                    x: 0,
                    y: 0,
                    width: 1920,
                    height: 1080,
                },
            },
        );
        store.save(&s).unwrap();
    }
}

#[test]
fn sigkill_at_random_points_never_corrupts_the_file() {
    if std::env::var(DIR_VAR).is_ok() {
        return;
    }
    let iterations: u64 = std::env::var("WORKSHOP_SETTINGS_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    // A fixed-seed LCG: reproducible "random" kill points.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut saw_file = 0;
    for i in 0..iterations {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "settings_writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DIR_VAR, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // Fault injection: the kill lands somewhere in 1..40 ms of writing
        // (startup takes a few ms, so early kills interrupt the first
        // writes and later ones interrupt a write in the middle).
        let delay = Duration::from_micros(1000 + (seed >> 33) % 39_000);
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        let store = SettingsStore::open(dir.path()).unwrap();
        match store.load().unwrap() {
            (_, Loaded::Valid) => saw_file += 1,
            (_, Loaded::Missing) => {}
            (_, Loaded::MovedAside(p)) => panic!(
                "iteration {i}: settings.json did not parse after SIGKILL (kept at {})",
                p.display()
            ),
            (_, Loaded::Newer(v)) => panic!("iteration {i}: version {v} from this build's writer"),
        }
    }
    assert!(
        saw_file > iterations / 2,
        "the writer rarely got to write: {saw_file}/{iterations}"
    );
}
