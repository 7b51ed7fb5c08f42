//! The command line: run the app, or print a report.
//!
//! ```text
//! workshop [--user-data-dir DIR] [--auth-delay-ms N] [--sandbox=strict|enforce]
//!          [--no-sandbox] [--log-format text|json] [--headless]
//! workshop capabilities
//! workshop seccomp-policy
//! workshop sandbox-report [--json] [--sandbox=strict|enforce] [--no-sandbox]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use thiserror::Error;
use workshop_common::sandbox_report::SandboxMode;

use workshop_logging::{self as logging, LogFormat};

use crate::run::RunOptions;

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
    /// `--help`.
    Help,
    /// `--version`.
    Version,
}

/// A command line that cannot be run.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CliError {
    /// An option this command does not know.
    #[error("unknown option '{0}' (see --help)")]
    UnknownOption(String),
    /// An option without its value.
    #[error("option '{0}' needs a value")]
    MissingValue(String),
    /// A value that does not parse.
    #[error("invalid value '{value}' for '{option}': {expected}")]
    BadValue {
        /// The option.
        option: String,
        /// The value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

const HELP: &str = "\
workshop: the Electron workshop demo as a sandboxed, multi-process Rust app

USAGE:
    workshop [OPTIONS]                 run the app
    workshop capabilities              print the capability table (markdown)
    workshop seccomp-policy            print the renderer's seccomp allowlist (markdown)
    workshop sandbox-report [--json]   start a renderer, print its confinement

OPTIONS:
    --user-data-dir DIR      settings and lock live here (default $XDG_CONFIG_HOME/workshop)
    --auth-delay-ms N        simulated sign-in latency (default 2000)
    --sandbox=MODE           strict: every layer required; enforce (default): every layer the kernel offers
    --no-sandbox             run renderers unconfined (debugging only; says so on every start)
    --log-format FORMAT      text (default) or json; filter with RUST_LOG
    --headless               windows in memory, no display needed
    -h, --help               this text
    -V, --version            the version
";

/// Parses `args` (without the program name).
pub fn parse(args: &[String]) -> Result<Command, CliError> {
    match args.first().map(|s| s.as_str()) {
        Some("capabilities") => no_more(&args[1..], Command::Capabilities),
        Some("seccomp-policy") => no_more(&args[1..], Command::SeccompPolicy),
        Some("sandbox-report") => parse_sandbox_report(&args[1..]),
        _ => parse_run(args),
    }
}

/// A subcommand that takes no arguments.
fn no_more(rest: &[String], command: Command) -> Result<Command, CliError> {
    match rest.first() {
        Some(extra) => Err(CliError::UnknownOption(extra.clone())),
        None => Ok(command),
    }
}

fn parse_sandbox_report(rest: &[String]) -> Result<Command, CliError> {
    let mut json = false;
    let mut sandbox = SandboxMode::Enforce;
    for arg in rest {
        match arg.as_str() {
            "--json" => json = true,
            "--no-sandbox" => sandbox = SandboxMode::Disabled,
            other => match other.strip_prefix("--sandbox=") {
                Some(v) => sandbox = parse_mode(v)?,
                None => return Err(CliError::UnknownOption(other.to_owned())),
            },
        }
    }
    Ok(Command::SandboxReport { json, sandbox })
}

/// The app's own options; `--name=value` and `--name value` both work.
fn parse_run(args: &[String]) -> Result<Command, CliError> {
    let mut it = args.iter();
    let mut opts = RunOptions {
        user_data_dir: None,
        auth_delay: Duration::from_millis(2000),
        sandbox: SandboxMode::Enforce,
        log_format: LogFormat::Text,
        headless: false,
    };
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = || -> Result<String, CliError> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| CliError::MissingValue(name.to_owned())),
            }
        };
        match name {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--user-data-dir" => opts.user_data_dir = Some(PathBuf::from(value()?)),
            "--auth-delay-ms" => opts.auth_delay = parse_millis(name, value()?)?,
            "--sandbox" => opts.sandbox = parse_mode(&value()?)?,
            "--no-sandbox" => opts.sandbox = SandboxMode::Disabled,
            "--log-format" => opts.log_format = parse_log_format(name, value()?)?,
            "--headless" => opts.headless = true,
            _ => return Err(CliError::UnknownOption(arg.clone())),
        }
    }
    Ok(Command::Run(opts))
}

fn parse_millis(option: &str, v: String) -> Result<Duration, CliError> {
    match v.parse::<u64>() {
        Ok(ms) => Ok(Duration::from_millis(ms)),
        Err(_) => Err(CliError::BadValue {
            option: option.to_owned(),
            value: v,
            expected: "milliseconds (0 or more)",
        }),
    }
}

fn parse_log_format(option: &str, v: String) -> Result<LogFormat, CliError> {
    LogFormat::parse(&v).ok_or(CliError::BadValue {
        option: option.to_owned(),
        value: v,
        expected: "text or json",
    })
}

fn parse_mode(v: &str) -> Result<SandboxMode, CliError> {
    match SandboxMode::parse(v) {
        Some(SandboxMode::Disabled) | None => Err(CliError::BadValue {
            option: "--sandbox".to_owned(),
            value: v.to_owned(),
            expected: "strict or enforce (use --no-sandbox to disable)",
        }),
        Some(mode) => Ok(mode),
    }
}

/// The broker's entry point.
pub fn main(args: &[String]) -> ExitCode {
    let command = match parse(args.get(1..).unwrap_or_default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("workshop: {e}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("workshop {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
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
                    ExitCode::FAILURE
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn run_options() {
        let Ok(Command::Run(o)) = parse(&args(&[
            "--user-data-dir",
            "/tmp/x",
            "--auth-delay-ms=5",
            "--sandbox=strict",
            "--log-format",
            "json",
            "--headless",
        ])) else {
            panic!("did not parse");
        };
        assert_eq!(o.user_data_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(o.auth_delay, Duration::from_millis(5));
        assert_eq!(o.sandbox, SandboxMode::Strict);
        assert_eq!(o.log_format, LogFormat::Json);
        assert!(o.headless);
    }

    #[test]
    fn errors_are_specific() {
        assert_eq!(
            parse(&args(&["--bogus"])),
            Err(CliError::UnknownOption("--bogus".into()))
        );
        assert_eq!(
            parse(&args(&["--user-data-dir"])),
            Err(CliError::MissingValue("--user-data-dir".into()))
        );
        assert!(matches!(
            parse(&args(&["--auth-delay-ms", "soon"])),
            Err(CliError::BadValue { .. })
        ));
        assert!(matches!(
            parse(&args(&["--sandbox=off"])),
            Err(CliError::BadValue { .. })
        ));
    }

    #[test]
    fn subcommands() {
        assert_eq!(parse(&args(&["capabilities"])), Ok(Command::Capabilities));
        assert_eq!(
            parse(&args(&["sandbox-report", "--json", "--sandbox=strict"])),
            Ok(Command::SandboxReport {
                json: true,
                sandbox: SandboxMode::Strict
            })
        );
        assert_eq!(
            parse(&args(&["sandbox-report", "--no-sandbox"])),
            Ok(Command::SandboxReport {
                json: false,
                sandbox: SandboxMode::Disabled
            })
        );
    }
}
