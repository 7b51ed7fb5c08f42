//! The renderer's command line, as the broker writes it.
//!
//! `--type=renderer --role=main|login --ipc-fd=3 [--fonts-fd=4]
//! --sandbox=MODE --invoke-timeout-ms=N --log-filter=F --parent-ns=...
//! --broker-pid=N`.
//! Anything else is refused, so the product renderer cannot be talked into
//! a test behaviour: test and bench renderers are other executables that
//! take their own options off the line before they call this parser (see
//! `hooks.rs`).

use std::time::Duration;

use thiserror::Error;
use workshop_common::sandbox_report::SandboxMode;
use workshop_common::Role;

/// Parsed renderer arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct RendererArgs {
    /// Which window.
    pub role: Role,
    /// The inherited control socket.
    pub ipc_fd: i32,
    /// The inherited font pack, when the broker found fallback fonts.
    pub fonts_fd: Option<i32>,
    /// How to confine ourselves.
    pub sandbox: SandboxMode,
    /// Invoke timeout.
    pub invoke_timeout: Duration,
    /// Log filter.
    pub log_filter: String,
    /// The broker's namespace ids (empty when unknown).
    pub parent_ns: String,
    /// The broker's pid (for the signal probe).
    pub broker_pid: u32,
}

/// A renderer command line that cannot be run.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArgsError {
    /// `--type=renderer` must come first.
    #[error("expected --type=renderer first")]
    NotRenderer,
    /// A required option is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// An option is unknown (test and bench options included: only their
    /// own executables know them).
    #[error("unknown option '{0}'")]
    Unknown(String),
    /// An option's value does not parse.
    #[error("invalid value for {0}")]
    Invalid(&'static str),
}

impl RendererArgs {
    /// Parses the arguments after the program name.
    pub fn parse(args: &[String]) -> Result<RendererArgs, ArgsError> {
        let mut it = args.iter();
        if it.next().map(String::as_str) != Some("--type=renderer") {
            return Err(ArgsError::NotRenderer);
        }
        let mut role = None;
        let mut ipc_fd = None;
        let mut fonts_fd = None;
        let mut sandbox = SandboxMode::Enforce;
        let mut invoke_timeout = workshop_common::client::DEFAULT_INVOKE_TIMEOUT;
        let mut log_filter = "info".to_owned();
        let mut parent_ns = String::new();
        let mut broker_pid = 0;
        for arg in it {
            let (name, value) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
            match name {
                "--role" => role = Some(Role::parse(value).ok_or(ArgsError::Invalid("--role"))?),
                "--ipc-fd" => {
                    ipc_fd = Some(value.parse().map_err(|_| ArgsError::Invalid("--ipc-fd"))?)
                }
                "--fonts-fd" => {
                    fonts_fd = Some(
                        value
                            .parse()
                            .map_err(|_| ArgsError::Invalid("--fonts-fd"))?,
                    )
                }
                "--sandbox" => {
                    sandbox = SandboxMode::parse(value).ok_or(ArgsError::Invalid("--sandbox"))?
                }
                "--invoke-timeout-ms" => {
                    let ms: u64 = value
                        .parse()
                        .map_err(|_| ArgsError::Invalid("--invoke-timeout-ms"))?;
                    invoke_timeout = Duration::from_millis(ms);
                }
                "--log-filter" => log_filter = value.to_owned(),
                "--parent-ns" => parent_ns = value.to_owned(),
                "--broker-pid" => {
                    broker_pid = value
                        .parse()
                        .map_err(|_| ArgsError::Invalid("--broker-pid"))?
                }
                _ => return Err(ArgsError::Unknown(arg.clone())),
            }
        }
        Ok(RendererArgs {
            role: role.ok_or(ArgsError::Missing("--role"))?,
            ipc_fd: ipc_fd.ok_or(ArgsError::Missing("--ipc-fd"))?,
            fonts_fd,
            sandbox,
            invoke_timeout,
            log_filter,
            parent_ns,
            broker_pid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_what_the_broker_writes() {
        let a = RendererArgs::parse(&args(&[
            "--type=renderer",
            "--role=login",
            "--ipc-fd=3",
            "--fonts-fd=4",
            "--sandbox=strict",
            "--invoke-timeout-ms=250",
            "--log-filter=debug",
            "--broker-pid=42",
        ]));
        let Ok(a) = a else { panic!("{a:?}") };
        assert_eq!(a.role, Role::Login);
        assert_eq!(a.ipc_fd, 3);
        assert_eq!(a.fonts_fd, Some(4));
        assert_eq!(a.sandbox, SandboxMode::Strict);
        assert_eq!(a.invoke_timeout, Duration::from_millis(250));
        assert_eq!(a.broker_pid, 42);
    }

    #[test]
    fn refuses_unknown_and_missing() {
        assert_eq!(
            RendererArgs::parse(&args(&["--role=main"])),
            Err(ArgsError::NotRenderer)
        );
        assert_eq!(
            RendererArgs::parse(&args(&["--type=renderer", "--ipc-fd=3"])),
            Err(ArgsError::Missing("--role"))
        );
        assert_eq!(
            RendererArgs::parse(&args(&[
                "--type=renderer",
                "--role=main",
                "--ipc-fd=3",
                "--x"
            ])),
            Err(ArgsError::Unknown("--x".into()))
        );
    }

    #[test]
    fn misbehaviour_is_not_in_the_product_renderer() {
        assert_eq!(
            RendererArgs::parse(&args(&[
                "--type=renderer",
                "--role=main",
                "--ipc-fd=3",
                "--misbehave=flood"
            ])),
            Err(ArgsError::Unknown("--misbehave=flood".into()))
        );
    }

    #[test]
    fn bench_modes_are_not_in_the_product_renderer() {
        for extra in ["--bench=invoke:10:16", "--bench-cpu=1"] {
            assert_eq!(
                RendererArgs::parse(&args(&[
                    "--type=renderer",
                    "--role=login",
                    "--ipc-fd=3",
                    extra
                ])),
                Err(ArgsError::Unknown(extra.into()))
            );
        }
    }
}
