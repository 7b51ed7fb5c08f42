//! The sandbox, proven on real renderer processes: the whole app works under
//! `--sandbox=strict`, every layer is active and every probe denied, the
//! kernel's view from outside agrees. (A renderer missing a layer is the
//! compromised renderer's suite: `crates/compromised/tests/sandbox_modes.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{Harness, Options};
use workshop_broker::auth::SimulatedApi;
use workshop_broker::core::GoneReason;
use workshop_common::sandbox_report::{Layer, LayerState, Probe, ProbeOutcome, SandboxMode};
use workshop_common::Role;

fn status_field(pid: u32, field: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(field).map(|v| v.trim().to_owned()))
        .unwrap()
}

fn ns(pid: &str, kind: &str) -> std::path::PathBuf {
    std::fs::read_link(format!("/proc/{pid}/ns/{kind}")).unwrap()
}

fn assert_confined(h: &Harness, role: Role) {
    let w = h.app.driver().core().window(role).unwrap();
    let pid = w.renderer.pid.unwrap();
    // The kernel's view, read here independently of the broker's check.
    assert_eq!(status_field(pid, "Seccomp:"), "2", "{role}");
    assert_eq!(status_field(pid, "NoNewPrivs:"), "1", "{role}");
    assert_eq!(status_field(pid, "CapEff:"), "0000000000000000", "{role}");
    assert_eq!(status_field(pid, "CapPrm:"), "0000000000000000", "{role}");
    assert_eq!(status_field(pid, "CapBnd:"), "0000000000000000", "{role}");
    // Its root is the empty tmpfs: nothing of the host in view.
    let root: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/root"))
        .unwrap()
        .collect();
    assert!(root.is_empty(), "{role}: {root:?}");
    for kind in ["user", "pid", "net", "ipc", "uts", "mnt"] {
        assert_ne!(
            ns(&pid.to_string(), kind),
            ns("self", kind),
            "{role} shares {kind}"
        );
    }
    // What the renderer reported after lockdown.
    let report = w.renderer.report.as_ref().unwrap();
    assert_eq!(report.mode, SandboxMode::Strict);
    for layer in Layer::ALL {
        assert_eq!(
            report.layer(layer),
            Some(LayerState::Active),
            "{role} {layer:?}"
        );
    }
    for p in &report.probes {
        // Seccomp's EPERM, but the empty root's ENOENT for stat (which the
        // filter lets through in fstat's spelling) and the task limit's
        // EAGAIN for the thread bomb.
        let expected: &[i32] = match p.probe {
            Probe::StatHostFile | Probe::StatProc => &[libc::ENOENT, libc::EPERM],
            Probe::ThreadBomb => &[libc::EAGAIN],
            _ => &[libc::EPERM],
        };
        assert!(
            matches!(p.outcome, ProbeOutcome::Denied { errno } if expected.contains(&errno)),
            "{role}: probe {} was {:?}",
            p.probe.name(),
            p.outcome
        );
    }
}

#[test]
fn the_whole_app_runs_under_strict_and_every_probe_is_denied() {
    let mut h = Harness::start(Options {
        sandbox: SandboxMode::Strict,
        auth: Arc::new(SimulatedApi {
            delay: Duration::from_millis(20),
        }),
        ..support::options()
    });
    h.wait_main_initialized();
    assert_confined(&h, Role::Main);
    h.click_check();
    let login = h.wait_ready(Role::Login);
    assert_confined(&h, Role::Login);
    h.submit_login("bruce@wayne.com", "pw");
    h.until("signed in", |app| app.driver().core().user().is_some());
    let gone = h.wait_gone_full(Role::Login, login);
    assert_eq!(gone.exit, Some(workshop_broker::core::ExitKind::Code(0)));
    let (lx, ly) = support::main_centre(Some(&support::bruce("bruce@wayne.com")), |w| {
        w.logout_button_id()
    });
    h.app.click(Role::Main, lx, ly);
    h.until("signed out", |app| app.driver().core().user().is_none());
    // No renderer died along the way (a missing allowlist entry is SIGSYS).
    assert!(h
        .app
        .driver()
        .core()
        .gone()
        .iter()
        .all(|g| g.reason == GoneReason::Closed));
    let (cx, cy) = support::main_centre(None, |w| w.close_button_id());
    h.app.click(Role::Main, cx, cy);
    h.until("quit", |app| app.has_quit());
}

#[test]
fn sandbox_report_json_lists_every_layer_active() {
    let out = std::process::Command::new(support::exe())
        .args(["sandbox-report", "--json", "--sandbox=strict"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), Layer::ALL.len());
    for l in layers {
        assert_eq!(l["active"], true, "{l}");
    }
    let probes = v["probes"].as_array().unwrap();
    assert!(!probes.is_empty());
    for p in probes {
        assert_eq!(p["denied"], true, "{p}");
    }
    assert_eq!(v["observed"]["seccomp"], 2);
    assert_eq!(v["observed"]["no_new_privs"], true);
    assert_eq!(v["ok"], true);
}

#[test]
fn no_sandbox_says_so_and_reports_nothing_denied() {
    let out = std::process::Command::new(support::exe())
        .args(["sandbox-report", "--json", "--no-sandbox"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["active"] == false));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not confined"));
}
