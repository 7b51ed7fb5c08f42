//! The seam where test and benchmark renderers attach, so that the product
//! renderer carries none of their behaviour.
//!
//! The product `workshop` runs the renderer with [`NoHooks`]: every method
//! below is a no-op or returns what it was given, and nothing in the
//! product's command line can choose another implementation. The
//! compromised renderer (`crates/compromised`, a test-only executable) and
//! the bench renderer (`crates/bench`) are their own executables that call
//! [`crate::main_with`] with their own `Hooks`; they parse their own
//! options and hand the rest to [`crate::RendererArgs::parse`], which refuses
//! anything it does not know. No cargo feature of this crate changes what
//! the product binary contains.
//!
//! Each hook runs at one point of the bootstrap or the message loop, named
//! by the method. Hooks that get `&mut Runtime` can use its public methods
//! (send raw datagrams on its control socket, read its surface, handle
//! broker messages) exactly as a compromised renderer could.

use workshop_common::input::InputEvent;
use workshop_common::protocol::RendererToBroker;
use workshop_common::sandbox_report::{LayerStatus, SandboxMode};

use crate::runtime::{Runtime, RuntimeError};

/// A point of the renderer's start-up, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    /// Window content and text system built (fonts parsed).
    ContentBuilt,
    /// The broker's surface channel accepted, first surface received.
    SurfaceAdopted,
    /// `Welcome` received.
    Welcome,
    /// A `FrameAck` received.
    FrameAck,
}

/// A confinement step of the bootstrap (see `bootstrap.rs`, steps 4a–5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxStep {
    /// 4a: `pivot_root` into the empty root.
    EmptyRoot,
    /// 4b: drop every capability.
    DropCapabilities,
    /// 5: no_new_privs, not dumpable, Landlock, rlimits, thread limit,
    /// seccomp.
    Lockdown,
}

/// Behaviour a non-product renderer adds. Every default is the product's.
pub trait Hooks {
    /// The runtime reached `milestone`.
    fn reached(&mut self, _milestone: Milestone) {}

    /// A message is about to be encoded and sent.
    fn on_send(&mut self, _msg: &RendererToBroker) {}

    /// After the surface channel is connected, before lockdown.
    fn before_lockdown(&mut self, _rt: &mut Runtime) {}

    /// Replaces a confinement step: `Some` is used instead of what the
    /// sandbox crate would do for `step` in `mode`.
    fn sandbox_step(
        &mut self,
        _step: SandboxStep,
        _mode: SandboxMode,
    ) -> Option<Result<Vec<LayerStatus>, workshop_sandbox::LockdownError>> {
        None
    }

    /// The `Hello` about to be sent.
    fn rewrite_hello(&mut self, hello: RendererToBroker) -> RendererToBroker {
        hello
    }

    /// After the broker's `Welcome`.
    fn after_welcome(&mut self, _rt: &mut Runtime) -> Result<(), RuntimeError> {
        Ok(())
    }

    /// After each `FrameAck`.
    fn after_frame_ack(&mut self, _rt: &mut Runtime) -> Result<(), RuntimeError> {
        Ok(())
    }

    /// Before an input event reaches the content.
    fn on_input(&mut self, _rt: &mut Runtime, _event: &InputEvent) -> Result<(), RuntimeError> {
        Ok(())
    }

    /// Whether to answer a `Ping`.
    fn answer_ping(&mut self) -> bool {
        true
    }

    /// At the top of each paint: `Ok(true)` means the hook painted (or
    /// chose not to) and the content's paint is skipped.
    fn paint(&mut self, _rt: &mut Runtime) -> Result<bool, RuntimeError> {
        Ok(false)
    }
}

/// The product renderer's hooks: none.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl Hooks for NoHooks {}
