//! The renderer process: bootstrap, lockdown, message loop, frame protocol.
//!
//! `workshop --type=renderer --role=main|login` lands here from `main()`
//! before anything of the broker runs. In order (see [`bootstrap`]):
//! take the control socket at fd 3, map the broker's font pack at fd 4
//! ([`fonts`]), host a one-shot ipc-channel server for
//! surfaces and name it to the broker, receive the first surface, lock down
//! (sandbox crate), run the probes, say `Hello`; then [`runtime`] paints
//! and answers until told to shut down. Window content lives in the
//! `renderer-main` and `renderer-login` crates; this crate only adapts it
//! ([`content`]) and describes it to assistive technology ([`access`]).

pub mod access;
pub mod args;
pub mod bootstrap;
pub mod content;
pub mod fonts;
pub mod hooks;
pub mod runtime;
pub mod surface;

use std::process::ExitCode;

pub use args::RendererArgs;
pub use hooks::{Hooks, Milestone, NoHooks, SandboxStep};

/// Whether `args` (including the program name) start a renderer.
pub fn is_renderer_invocation(args: &[String]) -> bool {
    args.get(1).is_some_and(|a| a == "--type=renderer")
}

/// The product renderer's entry point.
pub fn main(args: &[String]) -> ExitCode {
    main_with(args, Box::new(NoHooks))
}

/// The entry point with `hooks` attached: only test and bench executables
/// pass anything but [`NoHooks`] (see [`hooks`]).
pub fn main_with(args: &[String], hooks: Box<dyn Hooks>) -> ExitCode {
    let parsed = match RendererArgs::parse(args.get(1..).unwrap_or_default()) {
        Ok(a) => a,
        Err(e) => {
            // Logging is not set up yet; this is the one direct write.
            eprintln!("workshop renderer: {e}");
            return ExitCode::from(2);
        }
    };
    workshop_logging::init_renderer(&parsed.log_filter);
    match bootstrap::run(parsed, hooks) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "renderer stopped");
            ExitCode::FAILURE
        }
    }
}
