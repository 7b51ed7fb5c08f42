//! What happens when a renderer goes: classify, log, respawn or give up.
//!
//! Mirrors Electron's `render-process-gone`: every renderer death is logged
//! with a reason. The window gets a new renderer (fresh surface, the state
//! the broker holds re-sent after its handshake) unless the window is
//! closing or its renderers died `crash_limit` times within `crash_window`,
//! in which case the broker draws its own error page with a Retry button
//! instead of looping silently.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use workshop_common::Role;

use super::{Broker, Effect, Stage};

/// How a reaped process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    /// `exit(code)`.
    Code(i32),
    /// Killed by a signal.
    Signal(i32),
}

/// Why a renderer is gone (the `reason` of `render-process-gone`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoneReason {
    /// It exited with status 0 on its own.
    CleanExit,
    /// It exited with a non-zero status on its own.
    AbnormalExit(i32),
    /// It died of a fault signal (SIGSEGV, SIGABRT, …; SIGSYS is a
    /// [`GoneReason::SandboxViolation`]).
    Crashed(i32),
    /// SIGKILL that the broker did not send (the OOM killer, an operator).
    Killed,
    /// The broker killed it for a bad message.
    BadMessage,
    /// It never completed its handshake (start failure or timeout).
    LaunchFailed,
    /// It stopped answering pings or reading its socket.
    Unresponsive,
    /// Its handshake or confinement was refused.
    Refused,
    /// Its window was closed.
    Closed,
    /// Its seccomp filter refused a system call: the sandbox said so on
    /// stderr before the process died, or it died of `SIGSYS` without a
    /// word (it had blocked `SIGSYS`, so the kernel's forced signal took
    /// the default action; in a confined renderer only seccomp raises it,
    /// the filter refuses a self-sent one).
    SandboxViolation {
        /// The refused system call's number, when the sandbox's line named
        /// it.
        syscall: Option<u32>,
    },
}

impl GoneReason {
    /// The label used in logs and tests.
    pub fn label(self) -> &'static str {
        match self {
            GoneReason::CleanExit => "clean-exit",
            GoneReason::AbnormalExit(_) => "abnormal-exit",
            GoneReason::Crashed(_) => "crashed",
            GoneReason::Killed => "killed",
            GoneReason::BadMessage => "bad-message",
            GoneReason::LaunchFailed => "launch-failed",
            GoneReason::Unresponsive => "unresponsive",
            GoneReason::Refused => "refused",
            GoneReason::Closed => "closed",
            GoneReason::SandboxViolation { .. } => "sandbox-violation",
        }
    }

    /// It went by itself (exit, crash, a SIGKILL from outside), not because
    /// the broker condemned or closed it: what it had finished is still
    /// the user's (a sign-in, say).
    pub fn died_on_its_own(self) -> bool {
        match self {
            GoneReason::CleanExit
            | GoneReason::AbnormalExit(_)
            | GoneReason::Crashed(_)
            | GoneReason::Killed => true,
            GoneReason::BadMessage
            | GoneReason::LaunchFailed
            | GoneReason::Unresponsive
            | GoneReason::Refused
            | GoneReason::Closed
            | GoneReason::SandboxViolation { .. } => false,
        }
    }

    /// The system call refused, for a sandbox violation.
    pub fn syscall(self) -> Option<u32> {
        match self {
            GoneReason::SandboxViolation { syscall } => syscall,
            GoneReason::CleanExit
            | GoneReason::AbnormalExit(_)
            | GoneReason::Crashed(_)
            | GoneReason::Killed
            | GoneReason::BadMessage
            | GoneReason::LaunchFailed
            | GoneReason::Unresponsive
            | GoneReason::Refused
            | GoneReason::Closed => None,
        }
    }

    /// Classifies an exit the broker did not cause.
    pub fn from_exit(kind: ExitKind) -> GoneReason {
        match kind {
            ExitKind::Code(0) => GoneReason::CleanExit,
            ExitKind::Code(code) => GoneReason::AbnormalExit(code),
            ExitKind::Signal(sig) if sig == libc::SIGKILL => GoneReason::Killed,
            ExitKind::Signal(sig) if sig == libc::SIGSYS => {
                GoneReason::SandboxViolation { syscall: None }
            }
            ExitKind::Signal(sig) => GoneReason::Crashed(sig),
        }
    }
}

/// Recent deaths of one window's renderers.
#[derive(Debug, Default)]
pub struct CrashHistory {
    deaths: VecDeque<Instant>,
}

impl CrashHistory {
    /// Records a death at `now`; returns how many fall within `window`.
    pub fn record(&mut self, now: Instant, window: Duration) -> usize {
        self.deaths.push_back(now);
        while self
            .deaths
            .front()
            .is_some_and(|&t| now.duration_since(t) > window)
        {
            self.deaths.pop_front();
        }
        self.deaths.len()
    }
}

impl Broker {
    /// A renderer process was reaped (or never started).
    pub(super) fn renderer_gone(
        &mut self,
        now: Instant,
        role: Role,
        generation: u32,
        exit: Option<ExitKind>,
    ) {
        let quitting = self.quitting;
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        if w.renderer.generation != generation {
            return;
        }
        let reason = classify(&w.renderer.stage, w.renderer.ready_at.is_some(), exit);
        let gone = super::Gone {
            role,
            generation,
            reason,
            exit,
            bad_message: w.renderer.bad_message.take(),
        };
        let ending = w.closing || quitting;
        self.record_gone(gone);
        let exit = exit_text(exit);
        if ending {
            tracing::info!(
                role = role.as_str(),
                generation,
                reason = reason.label(),
                syscall = reason.syscall(),
                exit = exit.as_str(),
                "renderer exited"
            );
            self.windows.remove(&role);
            return;
        }
        tracing::warn!(
            role = role.as_str(),
            generation,
            reason = reason.label(),
            syscall = reason.syscall(),
            exit = exit.as_str(),
            "render-process-gone"
        );
        self.respawn_or_give_up(now, role, reason);
    }

    fn record_gone(&mut self, gone: super::Gone) {
        if self.gone.len() == super::GONE_KEPT {
            self.gone.pop_front();
        }
        self.gone.push_back(gone);
    }

    /// A fresh renderer, unless the window's renderers keep dying: then the
    /// broker's own error page.
    fn respawn_or_give_up(&mut self, now: Instant, role: Role, reason: GoneReason) {
        let (limit, window) = (self.config.crash_limit, self.config.crash_window);
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        let recent = w.crashes.record(now, window);
        let give_up = recent >= limit;
        if give_up {
            tracing::error!(
                role = role.as_str(),
                deaths = recent,
                window_secs = window.as_secs(),
                "renderer keeps dying; not restarting it until the user asks"
            );
            w.crashed_out = true;
            w.renderer.stage = Stage::Dying(reason);
        }
        if give_up || w.title != role.window_title() {
            w.title = role.window_title().to_owned();
            self.effects.push(Effect::SetTitle {
                role,
                title: w.title.clone(),
            });
        }
        if give_up {
            self.effects.push(Effect::ShowCrashed { role });
            return;
        }
        tracing::info!(role = role.as_str(), "restarting the renderer");
        self.respawn(now, role);
    }
}

/// Why a renderer went: the broker's own reason if it was dying, else its
/// exit status (a clean or failed exit before the handshake completed is a
/// failed launch).
fn classify(stage: &Stage, was_ready: bool, exit: Option<ExitKind>) -> GoneReason {
    match (stage, exit) {
        (Stage::Dying(reason), _) => *reason,
        (_, Some(kind)) if was_ready => GoneReason::from_exit(kind),
        (_, Some(kind)) => match GoneReason::from_exit(kind) {
            GoneReason::CleanExit | GoneReason::AbnormalExit(_) => GoneReason::LaunchFailed,
            other => other,
        },
        (_, None) => GoneReason::LaunchFailed,
    }
}

fn exit_text(exit: Option<ExitKind>) -> String {
    match exit {
        Some(ExitKind::Code(c)) => format!("exit code {c}"),
        Some(ExitKind::Signal(s)) => format!("signal {s}"),
        None => "not started".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(
            GoneReason::from_exit(ExitKind::Code(0)),
            GoneReason::CleanExit
        );
        assert_eq!(
            GoneReason::from_exit(ExitKind::Signal(libc::SIGSEGV)),
            GoneReason::Crashed(libc::SIGSEGV)
        );
        assert_eq!(
            GoneReason::from_exit(ExitKind::Signal(libc::SIGKILL)),
            GoneReason::Killed
        );
        // A silent SIGSYS death: the filter's forced signal, blocked.
        assert_eq!(
            GoneReason::from_exit(ExitKind::Signal(libc::SIGSYS)),
            GoneReason::SandboxViolation { syscall: None }
        );
    }

    #[test]
    fn history_forgets_old_deaths() {
        let mut h = CrashHistory::default();
        let t = Instant::now();
        let w = Duration::from_secs(30);
        assert_eq!(h.record(t, w), 1);
        assert_eq!(h.record(t + Duration::from_secs(10), w), 2);
        assert_eq!(h.record(t + Duration::from_secs(45), w), 1);
    }
}
