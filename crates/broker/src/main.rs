//! `workshop`: one executable, two kinds of process.
//!
//! With `--type=renderer` it is a sandboxed renderer and goes straight to the
//! renderer runtime, before any broker initialisation; otherwise it is the
//! broker (or a report command).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if workshop_renderer::is_renderer_invocation(&args) {
        return workshop_renderer::main(&args);
    }
    workshop_broker::cli::main(&args)
}
