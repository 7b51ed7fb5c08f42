//! `workshop sandbox-report`: start a real renderer under a mode and show
//! what confines it.
//!
//! The renderer is started exactly as the app starts one (same spawn, same
//! lockdown, same probes); the broker's own view from `/proc` is added. The
//! table is for reviewers; `--json` is for machines. The exit status is
//! non-zero when a layer the mode requires is missing or a probe succeeded.

use std::process::ExitCode;
use std::time::Duration;

use workshop_common::sandbox_report::{
    shortfalls, LayerState, ProbeOutcome, SandboxMode, SandboxReport,
};
use workshop_common::Role;

use crate::app::{self, AppConfig};
use crate::core::Stage;

/// How long the renderer gets to complete its handshake.
const REPORT_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs the report command.
pub fn run(json: bool, mode: SandboxMode) -> ExitCode {
    workshop_logging::init(
        workshop_logging::LogFormat::Text,
        &std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned()),
        "BROKER",
    );
    // Said by the report itself: the renderer's own warning is relayed
    // from its stderr and can still be in the pipe when the report exits
    // (seen under load in CI).
    if mode == SandboxMode::Disabled {
        tracing::warn!(
            "--no-sandbox: the renderer is not confined; this report shows it unconfined"
        );
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("workshop sandbox-report: cannot find the executable: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut config = AppConfig::new(exe, mode);
    // The report must show a renderer even when it is refused.
    config.core.crash_limit = 1;
    let mut app = app::start_headless(config, 1.0);
    let outcome = app.run_until("the renderer's handshake", REPORT_TIMEOUT, |app| {
        let core = app.driver().core();
        core.window(Role::Main).is_some_and(|w| {
            w.renderer.report.is_some()
                && !matches!(w.renderer.stage, Stage::Verifying | Stage::AwaitingHello)
        }) || !core.gone().is_empty()
    });
    let core = app.driver().core();
    let report = core
        .window(Role::Main)
        .and_then(|w| w.renderer.report.clone());
    let pid = core.window(Role::Main).and_then(|w| w.renderer.pid);
    let inspection = pid.map(|pid| app.driver().hosts().inspect(pid));
    let Some(report) = report else {
        eprintln!(
            "workshop sandbox-report: no report from the renderer ({})",
            match outcome {
                Ok(()) => "it exited before its handshake".to_owned(),
                Err(e) => e.to_string(),
            }
        );
        return ExitCode::FAILURE;
    };
    let fatal: Vec<String> = shortfalls(mode, &report)
        .iter()
        .filter(|s| s.is_fatal(mode) || mode == SandboxMode::Strict)
        .map(|s| s.to_string())
        .collect();
    if json {
        println!("{}", to_json(mode, &report, inspection.as_ref(), &fatal));
    } else {
        print!("{}", to_table(mode, &report, inspection.as_ref(), &fatal));
    }
    if fatal.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn state_text(state: LayerState) -> String {
    match state {
        LayerState::Active => "active".to_owned(),
        LayerState::Partial => "partial".to_owned(),
        LayerState::Unavailable { errno } => format!("unavailable (errno {errno})"),
        LayerState::Disabled => "disabled".to_owned(),
    }
}

fn outcome_text(outcome: ProbeOutcome) -> String {
    match outcome {
        ProbeOutcome::Denied { errno } => format!("denied ({})", errno_name(errno)),
        ProbeOutcome::Allowed => "ALLOWED".to_owned(),
        ProbeOutcome::NotRun => "not run".to_owned(),
    }
}

fn errno_name(errno: i32) -> String {
    match errno {
        libc::EPERM => "EPERM".to_owned(),
        libc::EACCES => "EACCES".to_owned(),
        libc::ENOSYS => "ENOSYS".to_owned(),
        libc::ESRCH => "ESRCH".to_owned(),
        libc::EINVAL => "EINVAL".to_owned(),
        n => format!("errno {n}"),
    }
}

fn to_table(
    mode: SandboxMode,
    report: &SandboxReport,
    seen: Option<&Result<crate::core::Confinement, String>>,
    fatal: &[String],
) -> String {
    let mut out = format!("Sandbox report (mode: {})\n\n", mode.as_str());
    out.push_str("| layer | state | detail |\n|---|---|---|\n");
    for l in &report.layers {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            l.layer.name(),
            state_text(l.state),
            l.detail
        ));
    }
    out.push_str("\n| probe | result |\n|---|---|\n");
    for p in &report.probes {
        out.push_str(&format!(
            "| {} | {} |\n",
            p.probe.name(),
            outcome_text(p.outcome)
        ));
    }
    out.push_str("\nSeen by the broker from /proc: ");
    match seen {
        Some(Ok(c)) => out.push_str(&format!(
            "Seccomp: {}, NoNewPrivs: {}, no capabilities: {}, empty root: {}, thread limit: {}, namespaces not shared with the broker: {}\n",
            c.seccomp_mode,
            u8::from(c.no_new_privs),
            c.no_capabilities,
            c.empty_root,
            c.thread_limited,
            c.separate_namespaces
                .iter()
                .map(|l| l.name())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Some(Err(e)) => out.push_str(&format!("unavailable ({e})\n")),
        None => out.push_str("no pid\n"),
    }
    if fatal.is_empty() {
        out.push_str("\nVerdict: the renderer is as confined as this mode requires.\n");
    } else {
        out.push_str("\nVerdict: NOT as confined as this mode requires:\n");
        for f in fatal {
            out.push_str(&format!("  - {f}\n"));
        }
    }
    out
}

fn to_json(
    mode: SandboxMode,
    report: &SandboxReport,
    seen: Option<&Result<crate::core::Confinement, String>>,
    fatal: &[String],
) -> serde_json::Value {
    use serde_json::json;
    let layers: Vec<_> = report
        .layers
        .iter()
        .map(|l| {
            json!({
                "name": l.layer.name(),
                "active": l.state == LayerState::Active,
                "state": state_text(l.state),
                "detail": l.detail,
            })
        })
        .collect();
    let probes: Vec<_> = report
        .probes
        .iter()
        .map(|p| {
            let (denied, errno) = match p.outcome {
                ProbeOutcome::Denied { errno } => (true, Some(errno)),
                _ => (false, None),
            };
            json!({
                "name": p.probe.name(),
                "denied": denied,
                "errno": errno,
                "result": outcome_text(p.outcome),
            })
        })
        .collect();
    let observed = match seen {
        Some(Ok(c)) => json!({
            "seccomp": c.seccomp_mode,
            "no_new_privs": c.no_new_privs,
            "no_capabilities": c.no_capabilities,
            "empty_root": c.empty_root,
            "thread_limited": c.thread_limited,
            "separate_namespaces": c.separate_namespaces.iter().map(|l| l.name()).collect::<Vec<_>>(),
        }),
        Some(Err(e)) => json!({ "error": e }),
        None => serde_json::Value::Null,
    };
    json!({
        "mode": mode.as_str(),
        "layers": layers,
        "probes": probes,
        "observed": observed,
        "ok": fatal.is_empty(),
        "shortfalls": fatal,
    })
}

/// The seccomp policy as markdown, generated from the table the renderer
/// compiles (`workshop seccomp-policy`).
pub fn seccomp_policy_markdown() -> String {
    use workshop_sandbox::seccomp_policy::{counts, Action, ArgCond, Cmp, Value, RULES};
    fn cond(c: &ArgCond) -> String {
        let value = match c.value {
            Value::Const(v) => format!("{v:#x}"),
            Value::OwnPid => "own pid".to_owned(),
        };
        match c.cmp {
            Cmp::Eq => format!("arg{} == {value}", c.arg),
            Cmp::Ne => format!("arg{} != {value}", c.arg),
            Cmp::MaskedEq(mask) => format!("arg{} & {mask:#x} == {value}", c.arg),
        }
    }
    let mut out = format!(
        "Seccomp policy of the renderer (from `workshop_sandbox::seccomp_policy::RULES`): {}.\n\
         A call matching a `fail with` line fails with that errno; one matching only an `allow` \
         line is made; anything else is a violation: SIGSYS, the renderer writes `{} syscall=N` \
         to stderr and exits with code {}.\n\n\
         | syscall | action | when | reason |\n|---|---|---|---|\n",
        counts(),
        workshop_sandbox::VIOLATION_MARKER,
        workshop_sandbox::SANDBOX_VIOLATION_EXIT_CODE,
    );
    for r in RULES {
        let action = match r.action {
            Action::Allow => "allow".to_owned(),
            Action::Errno(e) => format!("fail with {}", errno_name(e)),
        };
        let when = if r.when.is_empty() {
            "always".to_owned()
        } else {
            r.when.iter().map(cond).collect::<Vec<_>>().join(" and ")
        };
        out.push_str(&format!(
            "| `{}` | {action} | {when} | {} |\n",
            r.name,
            r.reason.replace('|', "\\|")
        ));
    }
    out
}
