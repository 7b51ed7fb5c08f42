//! The broker judges a renderer by the mode it runs in: one that locks down
//! without a layer is refused under `--sandbox=strict`, and accepted (with a
//! loud log line) under the default `enforce`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Harness, Options};
use workshop_broker::core::{GoneReason, Stage};
use workshop_common::sandbox_report::{Layer, LayerState, SandboxMode};
use workshop_common::Role;

#[test]
fn strict_mode_refuses_a_renderer_missing_a_layer() {
    let mut h = Harness::start(Options {
        sandbox: SandboxMode::Strict,
        ..support::options().misbehave(Role::Main, "skip-layer=landlock")
    });
    let gone = h.wait_gone_full(Role::Main, 1);
    assert_eq!(gone.reason, GoneReason::Refused);
    let log = h.broker_log();
    assert!(
        log.contains("renderer less confined than the mode requires"),
        "{log}"
    );
    assert!(log.contains("landlock"));
    // The replacement (no knob) is accepted.
    h.wait_main_initialized();
}

#[test]
fn enforce_mode_runs_without_an_unavailable_layer_and_says_so() {
    let mut h = Harness::start(Options {
        sandbox: SandboxMode::Enforce,
        ..support::options().misbehave(Role::Main, "skip-layer=landlock")
    });
    h.wait_main_initialized();
    assert_eq!(h.generation(Role::Main), Some(1), "accepted, not replaced");
    assert!(h.broker_log().contains("SANDBOX LAYER MISSING"));
    let w = h.app.driver().core().window(Role::Main).unwrap();
    assert_eq!(w.renderer.stage, Stage::Ready);
    assert!(matches!(
        w.renderer.report.as_ref().unwrap().layer(Layer::Landlock),
        Some(LayerState::Unavailable { .. })
    ));
}

/// Seccomp is not one of the layers enforce mode may run without: a
/// renderer that reports it missing (here one that skipped it and went on,
/// which the real lockdown refuses to do) is refused by the broker too.
#[test]
fn enforce_mode_refuses_a_renderer_without_seccomp() {
    let mut h = Harness::start(Options {
        sandbox: SandboxMode::Enforce,
        ..support::options().misbehave(Role::Main, "skip-layer-anyway=seccomp")
    });
    let gone = h.wait_gone_full(Role::Main, 1);
    assert_eq!(gone.reason, GoneReason::Refused);
    let log = h.broker_log();
    // The missing filter itself is a fatal shortfall (not only the probes
    // that succeed without it), not a "SANDBOX LAYER MISSING" warning.
    assert!(
        log.lines().any(
            |l| l.contains("renderer less confined than the mode requires")
                && l.contains("layer seccomp is Unavailable")
        ),
        "{log}"
    );
    assert!(
        !log.lines()
            .any(|l| l.contains("SANDBOX LAYER MISSING") && l.contains("layer seccomp")),
        "{log}"
    );
    // The replacement (no knob) is accepted.
    h.wait_main_initialized();
}

/// Starve: even in enforce mode (where a missing layer is only logged), a
/// renderer without its thread limit can start threads without bound; its
/// own probe says so, and the broker refuses it. Its replacement (no knob)
/// is accepted. (Without its empty root a renderer still cannot stat a host
/// path, since the filter refuses every path-taking stat: the probes say
/// denied, and enforce mode runs it with the layer logged missing.)
#[test]
fn enforce_mode_refuses_a_renderer_that_can_bomb_threads() {
    for (layer, probes) in [("thread-limit", &["thread-bomb"][..])] {
        let mut h = Harness::start(Options {
            sandbox: SandboxMode::Enforce,
            ..support::options().misbehave(Role::Main, &format!("skip-layer={layer}"))
        });
        let gone = h.wait_gone_full(Role::Main, 1);
        assert_eq!(gone.reason, GoneReason::Refused, "{layer}");
        let log = h.broker_log();
        for probe in probes {
            assert!(
                log.contains(&format!("probe {probe} was Allowed")),
                "{layer}: {log}"
            );
        }
        h.wait_main_initialized();
    }
}

#[test]
fn enforce_mode_runs_without_the_empty_root_and_says_so() {
    let mut h = Harness::start(Options {
        sandbox: SandboxMode::Enforce,
        ..support::options().misbehave(Role::Main, "skip-layer=empty-root")
    });
    h.wait_main_initialized();
    assert_eq!(h.generation(Role::Main), Some(1), "accepted, not replaced");
    let log = h.broker_log();
    assert!(
        log.lines()
            .any(|l| l.contains("SANDBOX LAYER MISSING") && l.contains("empty-root")),
        "{log}"
    );
}
