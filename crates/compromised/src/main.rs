//! `workshop-compromised`: a renderer that attacks the broker, for tests.
//!
//! It is the product renderer runtime (same bootstrap, same lockdown, same
//! probes, same message loop) with [`attacks::Attack`] attached through the
//! runtime's hooks. `--misbehave=CASE` names the attack; without it this is
//! an honest renderer, so a test's other window (and every respawn) runs the
//! same executable. The product `workshop` knows no `--misbehave`: this
//! executable is built only as a workspace member for tests and is never
//! installed or packaged.

mod attacks;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut case = None;
    let args: Vec<String> = std::env::args()
        .filter(|arg| match arg.strip_prefix("--misbehave=") {
            Some(name) => {
                case = Some(name.to_owned());
                false
            }
            None => true,
        })
        .collect();
    if !workshop_renderer::is_renderer_invocation(&args) {
        eprintln!("workshop-compromised: only runs as a renderer (--type=renderer first)");
        return ExitCode::from(2);
    }
    workshop_renderer::main_with(&args, Box::new(attacks::Attack::new(case)))
}
