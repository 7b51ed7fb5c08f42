//! The `workshop` command line, run as a real process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn workshop() -> Command {
    Command::new(env!("CARGO_BIN_EXE_workshop"))
}

#[test]
fn capabilities_prints_the_enforced_table() {
    let out = workshop().arg("capabilities").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        workshop_common::capability::markdown()
    );
}

#[test]
fn seccomp_policy_lists_every_rule() {
    let out = workshop().arg("seccomp-policy").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // The figures come from the table, not from prose.
    let counts = workshop_sandbox::seccomp_policy::counts();
    assert!(
        text.contains(&format!("{} allowed calls", counts.allowed_calls)),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} errno-only", counts.errno_only_calls)),
        "{text}"
    );
    for rule in workshop_sandbox::seccomp_policy::RULES {
        assert!(
            text.contains(&format!("| `{}` |", rule.name)),
            "{}",
            rule.name
        );
        assert!(text.contains(rule.reason.split('|').next().unwrap()));
    }
}

#[test]
fn without_a_display_it_says_so_in_one_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = workshop()
        .arg("--user-data-dir")
        .arg(dir.path())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no display") && err.contains("xvfb-run"),
        "{err}"
    );
}

#[test]
fn with_an_unreachable_display_it_says_so_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = workshop()
        .arg("--user-data-dir")
        .arg(dir.path())
        .env("DISPLAY", ":59999")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot open display \":59999\""), "{err}");
}

#[test]
fn unknown_options_are_refused_with_status_2() {
    let out = workshop().arg("--frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown option '--frobnicate'"));
}

#[test]
fn help_names_every_option() {
    let out = workshop().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for opt in [
        "--user-data-dir",
        "--auth-delay-ms",
        "--sandbox",
        "--no-sandbox",
        "--log-format",
        "--headless",
        "capabilities",
        "sandbox-report",
        "seccomp-policy",
    ] {
        assert!(text.contains(opt), "{opt}");
    }
}
