//! `workshop`: one executable, two kinds of process.
//!
//! With `--type=renderer` it is a sandboxed renderer and goes straight to the
//! renderer runtime, before any broker initialisation; otherwise it is the
//! broker (or a report command).
//!
//! The renderer's line is *not* parsed by clap, on purpose: a renderer runs
//! that parser before it has locked itself down, so it must be small enough
//! to read in one sitting (`workshop_renderer::args`, a loop over `--name=value`
//! pairs), allocate next to nothing, and refuse every option it does not
//! know (the test and bench options included) instead of offering help,
//! suggestions or environment fallbacks. The broker's rich command line
//! (`cli::definition`, clap) starts only once we know we are not a renderer.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if workshop_renderer::is_renderer_invocation(&args) {
        return workshop_renderer::main(&args);
    }
    workshop_broker::cli::main(&args)
}
