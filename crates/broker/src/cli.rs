//! The command line: run the app, or print a report.
//!
//! ```text
//! workshop [--user-data-dir DIR] [--auth-delay-ms N] [--sandbox=strict|enforce]
//!          [--no-sandbox] [--log-format text|json] [--headless]
//! workshop capabilities
//! workshop seccomp-policy
//! workshop sandbox-report [--json] [--sandbox=strict|enforce] [--no-sandbox]
//! ```
//!
//! The options are defined once, as a `clap` derive, in [`definition`]; the
//! man page and the shell completions are generated from that same
//! definition by `build.rs`. This module turns what clap parsed into the
//! app's own types and runs the command.

pub mod definition;

use std::process::ExitCode;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::FromArgMatches;
use thiserror::Error;
use workshop_common::sandbox_report::SandboxMode;

use workshop_logging::{self as logging, LogFormat};

use crate::run::RunOptions;
pub use definition::APP_ID;
use definition::{Cli, Format, Mode, Reports};

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the app.
    Run(RunOptions),
    /// Print the capability table.
    Capabilities,
    /// Print the renderer's seccomp policy.
    SeccompPolicy,
    /// Start a renderer and print its confinement.
    SandboxReport {
        /// `--json`.
        json: bool,
        /// The mode to report on.
        sandbox: SandboxMode,
    },
}

/// A command line that cannot be run (or that asked for `--help` or
/// `--version`, which clap reports the same way).
#[derive(Debug, Error)]
pub enum CliError {
    /// An option (or a stray word) this command does not know; with
    /// clap's suggestion when it has one.
    #[error("unknown option '{option}' (see --help){}", suggestion.as_ref().map(|s| format!("; did you mean '{s}'?")).unwrap_or_default())]
    UnknownOption {
        /// What was given.
        option: String,
        /// A similar option, if clap knows one.
        suggestion: Option<String>,
    },
    /// Anything else clap refused (a missing or invalid value, a subcommand
    /// with options of the app), or `--help` / `--version`.
    #[error("{0}")]
    Clap(clap::Error),
}

impl CliError {
    fn from_clap(e: clap::Error) -> CliError {
        if e.kind() != ErrorKind::UnknownArgument {
            return CliError::Clap(e);
        }
        let string = |kind| match e.get(kind) {
            Some(ContextValue::String(s)) => Some(s.clone()),
            Some(ContextValue::Strings(v)) => v.first().cloned(),
            _ => None,
        };
        match string(ContextKind::InvalidArg) {
            Some(option) => CliError::UnknownOption {
                option,
                suggestion: string(ContextKind::SuggestedArg),
            },
            None => CliError::Clap(e),
        }
    }
}

/// Parses `args` (without the program name).
pub fn parse(args: &[String]) -> Result<Command, CliError> {
    let argv = std::iter::once("workshop").chain(args.iter().map(String::as_str));
    let cli = definition::command()
        .try_get_matches_from(argv)
        .and_then(|m| Cli::from_arg_matches(&m))
        .map_err(CliError::from_clap)?;
    Ok(match cli.command {
        Some(Reports::Capabilities) => Command::Capabilities,
        Some(Reports::SeccompPolicy) => Command::SeccompPolicy,
        Some(Reports::SandboxReport {
            json,
            sandbox,
            no_sandbox,
        }) => Command::SandboxReport {
            json,
            sandbox: sandbox_mode(sandbox, no_sandbox),
        },
        None => Command::Run(RunOptions {
            user_data_dir: cli.run.user_data_dir,
            auth_delay: Duration::from_millis(cli.run.auth_delay_ms),
            sandbox: sandbox_mode(cli.run.sandbox, cli.run.no_sandbox),
            log_format: match cli.run.log_format {
                Format::Text => LogFormat::Text,
                Format::Json => LogFormat::Json,
            },
            headless: cli.run.headless,
            shutdown_grace: cli.run.shutdown_grace_ms.map(Duration::from_millis),
        }),
    })
}

/// `--sandbox` and `--no-sandbox` override each other (the last one on the
/// line wins, clap's `overrides_with`), so at most one is set here.
fn sandbox_mode(mode: Mode, no_sandbox: bool) -> SandboxMode {
    match (no_sandbox, mode) {
        (true, _) => SandboxMode::Disabled,
        (false, Mode::Strict) => SandboxMode::Strict,
        (false, Mode::Enforce) => SandboxMode::Enforce,
    }
}

/// The broker's entry point.
pub fn main(args: &[String]) -> ExitCode {
    let command = match parse(args.get(1..).unwrap_or_default()) {
        Ok(c) => c,
        Err(CliError::Clap(e)) => {
            // --help and --version go to stdout with status 0, clap's
            // errors to stderr with status 2; a closed stdout is no reason
            // to fail louder.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
        Err(e) => {
            eprintln!("workshop: {e}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Capabilities => {
            print!("{}", workshop_common::capability::markdown());
            ExitCode::SUCCESS
        }
        Command::SeccompPolicy => {
            print!("{}", crate::report::seccomp_policy_markdown());
            ExitCode::SUCCESS
        }
        Command::SandboxReport { json, sandbox } => crate::report::run(json, sandbox),
        Command::Run(opts) => {
            logging::init(opts.log_format, &logging::filter_from_env(), "BROKER");
            match crate::run::run(opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    // One line, for a person at a terminal.
                    eprintln!("workshop: {e}");
                    ExitCode::from(e.exit_code())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    fn run_options(s: &[&str]) -> RunOptions {
        match parse(&args(s)) {
            Ok(Command::Run(o)) => o,
            other => panic!("{s:?}: {other:?}"),
        }
    }

    #[test]
    fn run_options_in_both_spellings() {
        let o = run_options(&[
            "--user-data-dir",
            "/tmp/x",
            "--auth-delay-ms=5",
            "--sandbox=strict",
            "--log-format",
            "json",
            "--headless",
        ]);
        assert_eq!(o.user_data_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(o.auth_delay, Duration::from_millis(5));
        assert_eq!(o.sandbox, SandboxMode::Strict);
        assert_eq!(o.log_format, LogFormat::Json);
        assert!(o.headless);
    }

    #[test]
    fn defaults() {
        let o = run_options(&[]);
        assert_eq!(o.user_data_dir, None);
        assert_eq!(o.auth_delay, Duration::from_millis(2000));
        assert_eq!(o.sandbox, SandboxMode::Enforce);
        assert_eq!(o.log_format, LogFormat::Text);
        assert!(!o.headless);
    }

    #[test]
    fn the_last_sandbox_option_wins() {
        assert_eq!(
            run_options(&["--sandbox=strict", "--no-sandbox"]).sandbox,
            SandboxMode::Disabled
        );
        assert_eq!(
            run_options(&["--no-sandbox", "--sandbox", "strict"]).sandbox,
            SandboxMode::Strict
        );
    }

    #[test]
    fn errors_are_specific() {
        assert!(matches!(
            parse(&args(&["--bogus"])),
            Err(CliError::UnknownOption { option, .. }) if option == "--bogus"
        ));
        let Err(e) = parse(&args(&["--headles"])) else {
            panic!("--headles parsed");
        };
        assert_eq!(
            e.to_string(),
            "unknown option '--headles' (see --help); did you mean '--headless'?"
        );
        for (line, kind) in [
            (&["--user-data-dir"][..], ErrorKind::InvalidValue),
            (&["--auth-delay-ms", "soon"], ErrorKind::ValueValidation),
            (&["--sandbox=off"], ErrorKind::InvalidValue),
            (&["--help"], ErrorKind::DisplayHelp),
            (&["--version"], ErrorKind::DisplayVersion),
        ] {
            match parse(&args(line)) {
                Err(CliError::Clap(e)) => assert_eq!(e.kind(), kind, "{line:?}"),
                other => panic!("{line:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn subcommands() {
        assert!(matches!(
            parse(&args(&["capabilities"])),
            Ok(Command::Capabilities)
        ));
        assert!(matches!(
            parse(&args(&["seccomp-policy"])),
            Ok(Command::SeccompPolicy)
        ));
        assert_eq!(
            parse(&args(&["sandbox-report", "--json", "--sandbox=strict"])).ok(),
            Some(Command::SandboxReport {
                json: true,
                sandbox: SandboxMode::Strict
            })
        );
        assert_eq!(
            parse(&args(&["sandbox-report", "--no-sandbox"])).ok(),
            Some(Command::SandboxReport {
                json: false,
                sandbox: SandboxMode::Disabled
            })
        );
        // A report takes none of the app's options, and no stray words.
        assert!(parse(&args(&["capabilities", "--headless"])).is_err());
        assert!(parse(&args(&["--headless", "capabilities"])).is_err());
        assert!(parse(&args(&["capabilities", "extra"])).is_err());
    }

    #[test]
    fn the_definition_is_consistent() {
        definition::command().debug_assert();
    }
}
