//! The renderer's in-process layers, each applied once, in order, under the
//! mode's rules.
//!
//! Before the lockdown, in the bootstrap, once the broker has connected to
//! the renderer's surface server: [`empty_root`] ([`crate::empty_root`]),
//! then [`drop_capabilities`] ([`crate::capabilities`]). Then [`lockdown`],
//! after the handshake and before the renderer reads a single content
//! message. All of it runs while the renderer is single-threaded
//! (capabilities, Landlock and seccomp without TSYNC apply to the calling
//! thread and its future threads only, so each refuses to run with a second
//! thread alive, [`crate::single_thread`]). The lockdown's order:
//!
//! 1. `no_new_privs` ([`crate::privileges`]),
//! 2. not dumpable ([`crate::privileges`]),
//! 3. Landlock ([`crate::landlock_layer`]),
//! 4. rlimits ([`crate::rlimits`]),
//! 5. thread limit and priority ([`crate::thread_limit`]): after the
//!    capability drop, so it is final, then the SIGSYS handler
//!    ([`crate::violation`]) that reports a seccomp violation, installed
//!    before the filter that then forbids replacing it,
//! 6. seccomp ([`crate::seccomp`]) last: it forbids the calls the earlier
//!    steps make. Its filter is compiled before step 1, so a broken table
//!    fails before anything is applied.
//!
//! Modes: `Disabled` applies nothing and reports each layer `Disabled`.
//! `Enforce` applies what the kernel allows; a layer the kernel refuses is
//! reported `Unavailable { errno }` (or `Partial`), logged loudly, and the
//! rest are still applied, except for the layers in [`REQUIRED_LAYERS`]
//! (seccomp): without them, or with them only partly in place, the lockdown
//! stops with an error naming the layer, as in `Strict`. `Strict` stops at
//! the first layer that is not fully `Active` with an error naming it.
//!
//! The namespace layers were made at spawn; the renderer checks them with
//! [`crate::namespaces::namespaces_status`] before calling this.

use workshop_common::sandbox_report::{Layer, LayerState, LayerStatus, SandboxMode};

use crate::capabilities::{self, CapabilityError};
use crate::empty_root::{self, EmptyRootError};
use crate::landlock_layer::{self, LandlockError};
use crate::privileges;
use crate::rlimits::{self, RlimitError};
use crate::seccomp::{self, SeccompError};
use crate::single_thread::{self, SingleThreadError};
use crate::thread_limit::{self, ThreadLimitError};
use crate::violation::{self, ViolationError};

/// The layers applied before the lockdown, in order: [`empty_root`], then
/// [`drop_capabilities`].
pub const BOOTSTRAP_LAYERS: [Layer; 2] = [Layer::EmptyRoot, Layer::NoCapabilities];

/// The layers [`lockdown`] applies and reports, in order.
pub const LOCKDOWN_LAYERS: [Layer; 6] = [
    Layer::NoNewPrivs,
    Layer::NotDumpable,
    Layer::Landlock,
    Layer::Rlimits,
    Layer::ThreadLimit,
    Layer::Seccomp,
];

/// The layers that must be fully active in every confined mode, not only in
/// `Strict`. Seccomp: it is the layer that stands between a compromised
/// renderer and the kernel's whole syscall surface, every kernel Workshop
/// supports has it, and a partly installed stack (errno filters without the
/// allowlist) would allow every call but a few. A kernel without it is a
/// reason to run `--no-sandbox` knowingly, not to run half-confined.
pub const REQUIRED_LAYERS: [Layer; 1] = [Layer::Seccomp];

/// Why the lockdown stopped. One variant per step.
#[derive(Debug, thiserror::Error)]
pub enum LockdownError {
    /// More than one thread is running (or the check failed): the layers
    /// would not cover the others.
    #[error("{0}")]
    NotSingleThreaded(#[source] SingleThreadError),
    /// Before the lockdown: the empty root.
    #[error("empty root: {0}")]
    EmptyRoot(#[source] EmptyRootError),
    /// Before the lockdown: the capability drop.
    #[error("capability drop: {0}")]
    Capabilities(#[source] CapabilityError),
    /// The seccomp policy did not compile.
    #[error("compiling the seccomp policy: {0}")]
    CompileSeccomp(#[source] SeccompError),
    /// Step 1.
    #[error("no-new-privs: {0}")]
    NoNewPrivs(#[source] std::io::Error),
    /// Step 2.
    #[error("not-dumpable: {0}")]
    NotDumpable(#[source] std::io::Error),
    /// Step 3.
    #[error("landlock: {0}")]
    Landlock(#[source] LandlockError),
    /// Step 4.
    #[error("rlimits: {0}")]
    Rlimits(#[source] RlimitError),
    /// Step 5.
    #[error("thread limit: {0}")]
    ThreadLimit(#[source] ThreadLimitError),
    /// Step 5, last: the SIGSYS handler.
    #[error("seccomp violation handler: {0}")]
    SigsysHandler(#[source] ViolationError),
    /// Step 6 (fatal in every confined mode: see [`REQUIRED_LAYERS`]).
    #[error("seccomp: {0}")]
    Seccomp(#[source] SeccompError),
    /// `Enforce` mode: a layer of [`REQUIRED_LAYERS`] applied only partly or
    /// not at all.
    #[error("layer {} is {}; it is required in every sandboxed mode (only --no-sandbox runs without it)", layer.name(), describe(*state))]
    RequiredLayerNotActive {
        /// The layer.
        layer: Layer,
        /// What it was instead of `Active`.
        state: LayerState,
    },
    /// Strict mode: a layer applied only partly or not at all.
    #[error("strict sandbox: layer {} is {}", layer.name(), describe(*state))]
    LayerNotActive {
        /// The layer.
        layer: Layer,
        /// What it was instead of `Active`.
        state: LayerState,
    },
}

impl LockdownError {
    /// The layer the error is about, if it is about one.
    pub fn layer(&self) -> Option<Layer> {
        match self {
            LockdownError::NotSingleThreaded(_) | LockdownError::CompileSeccomp(_) => None,
            LockdownError::EmptyRoot(_) => Some(Layer::EmptyRoot),
            LockdownError::Capabilities(_) => Some(Layer::NoCapabilities),
            LockdownError::NoNewPrivs(_) => Some(Layer::NoNewPrivs),
            LockdownError::NotDumpable(_) => Some(Layer::NotDumpable),
            LockdownError::Landlock(_) => Some(Layer::Landlock),
            LockdownError::Rlimits(_) => Some(Layer::Rlimits),
            LockdownError::ThreadLimit(_) => Some(Layer::ThreadLimit),
            LockdownError::SigsysHandler(_) | LockdownError::Seccomp(_) => Some(Layer::Seccomp),
            LockdownError::LayerNotActive { layer, .. }
            | LockdownError::RequiredLayerNotActive { layer, .. } => Some(*layer),
        }
    }
}

fn describe(state: LayerState) -> String {
    match state {
        LayerState::Active => "active".into(),
        LayerState::Partial => "only partly enforced by this kernel".into(),
        LayerState::Unavailable { errno } => {
            format!("unavailable ({})", std::io::Error::from_raw_os_error(errno))
        }
        LayerState::Disabled => "disabled".into(),
    }
}

/// The errno to report when a step fails in `Enforce` mode.
trait StepError: std::fmt::Display {
    fn errno(&self) -> i32;
    /// The state to report instead of `Unavailable` (seccomp with some
    /// filters already installed is `Partial`).
    fn state(&self) -> LayerState {
        LayerState::Unavailable {
            errno: self.errno(),
        }
    }
}

impl StepError for std::io::Error {
    fn errno(&self) -> i32 {
        self.raw_os_error().unwrap_or(libc::EINVAL)
    }
}

impl StepError for LandlockError {
    fn errno(&self) -> i32 {
        LandlockError::errno(self)
    }
}

impl StepError for RlimitError {
    fn errno(&self) -> i32 {
        RlimitError::errno(self)
    }
}

impl StepError for EmptyRootError {
    fn errno(&self) -> i32 {
        EmptyRootError::errno(self)
    }
}

impl StepError for CapabilityError {
    fn errno(&self) -> i32 {
        CapabilityError::errno(self)
    }
}

impl StepError for ThreadLimitError {
    fn errno(&self) -> i32 {
        ThreadLimitError::errno(self)
    }
}

impl StepError for SeccompError {
    fn errno(&self) -> i32 {
        SeccompError::errno(self)
    }
    fn state(&self) -> LayerState {
        if self.installed() > 0 {
            LayerState::Partial
        } else {
            LayerState::Unavailable {
                errno: self.errno(),
            }
        }
    }
}

/// Test knobs: make one layer look unavailable, to prove that `Strict`
/// refuses and `Enforce` reports it. Only with the `test-knobs` feature.
#[cfg(feature = "test-knobs")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Knobs {
    /// The layer to skip, reported `Unavailable { errno: ENOSYS }`.
    pub skip: Option<Layer>,
    /// In `Enforce` mode, go on without a skipped [`REQUIRED_LAYERS`] layer
    /// instead of stopping, so a test can show what the other layers hold
    /// on their own.
    pub lenient: bool,
}

/// The errno a knob-skipped layer reports (as if the kernel lacked it).
#[cfg(feature = "test-knobs")]
pub const SKIPPED_ERRNO: i32 = libc::ENOSYS;

/// Replaces the caller's filesystem view with an empty root according to
/// `mode` ([`crate::empty_root`]). Needs the capabilities the renderer has
/// after `exec` as uid 0 of its user namespace, so it comes before
/// [`drop_capabilities`].
pub fn empty_root(mode: SandboxMode) -> Result<LayerStatus, LockdownError> {
    one_layer(mode, None, Layer::EmptyRoot, |step| {
        step.run(
            Layer::EmptyRoot,
            empty_root::enter,
            LockdownError::EmptyRoot,
        )
    })
}

/// Drops every capability of the calling (single-threaded) process
/// according to `mode` ([`crate::capabilities`]).
pub fn drop_capabilities(mode: SandboxMode) -> Result<LayerStatus, LockdownError> {
    one_layer(mode, None, Layer::NoCapabilities, run_drop_capabilities)
}

/// [`empty_root`] with test knobs.
#[cfg(feature = "test-knobs")]
pub fn empty_root_with(mode: SandboxMode, knobs: &Knobs) -> Result<LayerStatus, LockdownError> {
    one_layer(mode, knobs.skip, Layer::EmptyRoot, |step| {
        step.run(
            Layer::EmptyRoot,
            empty_root::enter,
            LockdownError::EmptyRoot,
        )
    })
}

/// [`drop_capabilities`] with test knobs.
#[cfg(feature = "test-knobs")]
pub fn drop_capabilities_with(
    mode: SandboxMode,
    knobs: &Knobs,
) -> Result<LayerStatus, LockdownError> {
    one_layer(
        mode,
        knobs.skip,
        Layer::NoCapabilities,
        run_drop_capabilities,
    )
}

fn run_drop_capabilities(step: &mut Step<'_>) -> Result<(), LockdownError> {
    single_thread::ensure().map_err(LockdownError::NotSingleThreaded)?;
    step.run(
        Layer::NoCapabilities,
        capabilities::drop_all,
        LockdownError::Capabilities,
    )
}

/// Runs one layer's step under `mode`'s rules (`Disabled`: nothing).
fn one_layer(
    mode: SandboxMode,
    skip: Option<Layer>,
    layer: Layer,
    apply: impl FnOnce(&mut Step<'_>) -> Result<(), LockdownError>,
) -> Result<LayerStatus, LockdownError> {
    if mode == SandboxMode::Disabled {
        return Ok(LayerStatus {
            layer,
            state: LayerState::Disabled,
            detail: 0,
        });
    }
    let mut out = Vec::with_capacity(1);
    apply(&mut Step {
        mode,
        skip,
        lenient: false,
        out: &mut out,
    })?;
    Ok(out.pop().unwrap_or(LayerStatus {
        layer,
        state: LayerState::Unavailable {
            errno: libc::EINVAL,
        },
        detail: 0,
    }))
}

/// Locks the calling (single-threaded) process down according to `mode` and
/// returns the six layers' statuses ([`LOCKDOWN_LAYERS`], in order).
pub fn lockdown(mode: SandboxMode) -> Result<Vec<LayerStatus>, LockdownError> {
    lockdown_inner(mode, None, false)
}

/// [`lockdown`] with test knobs.
#[cfg(feature = "test-knobs")]
pub fn lockdown_with(mode: SandboxMode, knobs: &Knobs) -> Result<Vec<LayerStatus>, LockdownError> {
    lockdown_inner(mode, knobs.skip, knobs.lenient)
}

fn lockdown_inner(
    mode: SandboxMode,
    skip: Option<Layer>,
    lenient: bool,
) -> Result<Vec<LayerStatus>, LockdownError> {
    if mode == SandboxMode::Disabled {
        tracing::warn!("sandbox disabled: the renderer is not confined");
        return Ok(LOCKDOWN_LAYERS
            .iter()
            .map(|&layer| LayerStatus {
                layer,
                state: LayerState::Disabled,
                detail: 0,
            })
            .collect());
    }

    single_thread::ensure().map_err(LockdownError::NotSingleThreaded)?;
    let policy = seccomp::compile(std::process::id()).map_err(LockdownError::CompileSeccomp)?;

    let mut out = Vec::with_capacity(LOCKDOWN_LAYERS.len());
    let mut step = Step {
        mode,
        skip,
        lenient,
        out: &mut out,
    };
    step.run(
        Layer::NoNewPrivs,
        || privileges::set_no_new_privs().map(|()| active(Layer::NoNewPrivs, 0)),
        LockdownError::NoNewPrivs,
    )?;
    step.run(
        Layer::NotDumpable,
        || privileges::set_not_dumpable().map(|()| active(Layer::NotDumpable, 0)),
        LockdownError::NotDumpable,
    )?;
    step.run(
        Layer::Landlock,
        landlock_layer::restrict,
        LockdownError::Landlock,
    )?;
    step.run(Layer::Rlimits, rlimits::apply, LockdownError::Rlimits)?;
    step.run(
        Layer::ThreadLimit,
        thread_limit::apply,
        LockdownError::ThreadLimit,
    )?;
    violation::install_handler().map_err(LockdownError::SigsysHandler)?;
    step.run(
        Layer::Seccomp,
        || seccomp::install(&policy),
        LockdownError::Seccomp,
    )?;
    Ok(out)
}

fn active(layer: Layer, detail: u32) -> LayerStatus {
    LayerStatus {
        layer,
        state: LayerState::Active,
        detail,
    }
}

/// Runs one step and records its status under the mode's rules.
struct Step<'a> {
    mode: SandboxMode,
    skip: Option<Layer>,
    lenient: bool,
    out: &'a mut Vec<LayerStatus>,
}

impl Step<'_> {
    fn run<E: StepError>(
        &mut self,
        layer: Layer,
        apply: impl FnOnce() -> Result<LayerStatus, E>,
        wrap: fn(E) -> LockdownError,
    ) -> Result<(), LockdownError> {
        let required = REQUIRED_LAYERS.contains(&layer) && !self.lenient;
        let status = if self.skip == Some(layer) {
            LayerStatus {
                layer,
                state: LayerState::Unavailable {
                    errno: skipped_errno(),
                },
                detail: 0,
            }
        } else {
            match apply() {
                Ok(status) => status,
                Err(e) if self.mode == SandboxMode::Strict || required => return Err(wrap(e)),
                Err(e) => {
                    tracing::error!(layer = layer.name(), error = %e, "sandbox layer not applied");
                    LayerStatus {
                        layer,
                        state: e.state(),
                        detail: 0,
                    }
                }
            }
        };
        if status.state != LayerState::Active {
            if self.mode == SandboxMode::Strict {
                return Err(LockdownError::LayerNotActive {
                    layer,
                    state: status.state,
                });
            }
            if required {
                return Err(LockdownError::RequiredLayerNotActive {
                    layer,
                    state: status.state,
                });
            }
            tracing::error!(
                layer = layer.name(),
                state = %describe(status.state),
                "SANDBOX LAYER MISSING: the renderer is less confined than the policy asks"
            );
        }
        self.out.push(status);
        Ok(())
    }
}

#[cfg(feature = "test-knobs")]
fn skipped_errno() -> i32 {
    SKIPPED_ERRNO
}

#[cfg(not(feature = "test-knobs"))]
fn skipped_errno() -> i32 {
    libc::ENOSYS
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn disabled_applies_nothing_and_says_so() {
        assert_eq!(
            empty_root(SandboxMode::Disabled).unwrap().state,
            LayerState::Disabled
        );
        assert_eq!(
            drop_capabilities(SandboxMode::Disabled).unwrap().state,
            LayerState::Disabled
        );
        let layers = lockdown(SandboxMode::Disabled).unwrap();
        assert_eq!(
            layers.iter().map(|l| l.layer).collect::<Vec<_>>(),
            LOCKDOWN_LAYERS
        );
        assert!(layers.iter().all(|l| l.state == LayerState::Disabled));
        // Nothing was applied to this (test) process.
        assert!(!rustix::thread::no_new_privs().unwrap());
    }

    #[test]
    fn a_second_thread_is_refused() {
        // Keep a second thread alive for the duration of the call, so this
        // holds whatever thread the harness runs the test on.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || rx.recv());
        let result = lockdown(SandboxMode::Enforce);
        drop(tx);
        other.join().unwrap().unwrap_err();
        match result {
            Err(LockdownError::NotSingleThreaded(SingleThreadError::OtherThreads)) => {}
            other => panic!("expected NotSingleThreaded, got {other:?}"),
        }
    }

    #[test]
    fn strict_errors_name_the_layer() {
        let e = LockdownError::LayerNotActive {
            layer: Layer::Landlock,
            state: LayerState::Unavailable {
                errno: libc::ENOSYS,
            },
        };
        let text = e.to_string();
        assert!(text.contains("landlock"), "{text}");
        assert!(text.contains("unavailable"), "{text}");
        assert_eq!(e.layer(), Some(Layer::Landlock));
    }

    #[test]
    fn required_layer_errors_name_the_layer() {
        let e = LockdownError::RequiredLayerNotActive {
            layer: Layer::Seccomp,
            state: LayerState::Partial,
        };
        let text = e.to_string();
        assert!(text.contains("seccomp"), "{text}");
        assert!(text.contains("only partly"), "{text}");
        assert_eq!(e.layer(), Some(Layer::Seccomp));
    }
}
