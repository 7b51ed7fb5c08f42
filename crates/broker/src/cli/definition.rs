//! The command line's definition, as data: one `clap` derive that the
//! broker parses with, and that `build.rs` turns into the man page
//! (`clap_mangen`) and the shell completions (`clap_complete`), so the
//! three cannot drift.
//!
//! This file depends on `clap` and `std` only: `build.rs` compiles it as a
//! module of its own (`#[path]`), before the rest of the crate exists. What the values mean
//! to the app (`RunOptions`, `SandboxMode`) is `cli.rs`'s business.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// The desktop id: the `.desktop` file's name, the icon's name, the
/// AppStream id, the X11 `WM_CLASS` and the Wayland `app_id`.
pub const APP_ID: &str = "dev.workshop.Workshop";

/// The environment variables the broker reads: `--help` lists them, and
/// the man page has them as its ENVIRONMENT section.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "RUST_LOG",
        "filters the log, e.g. RUST_LOG=workshop::audit=debug shows every message that crosses the boundary",
    ),
    (
        "WAYLAND_DISPLAY",
        "the Wayland display, tried first; if it cannot be reached and DISPLAY can, workshop warns and uses X11",
    ),
    ("DISPLAY", "the X11 display"),
    (
        "XDG_CONFIG_HOME",
        "the default user data directory is $XDG_CONFIG_HOME/workshop (else ~/.config/workshop)",
    ),
];

/// The whole definition: the derive plus what a derive cannot say (the
/// ENVIRONMENT list, which is data).
pub fn command() -> clap::Command {
    let mut text = String::from("Environment:");
    for (name, meaning) in ENVIRONMENT {
        text.push_str(&format!("\n  {name}\n          {meaning}"));
    }
    Cli::command().after_long_help(text)
}

/// `workshop`, the broker's command line. (The renderer's own command
/// line, `workshop --type=renderer ...`, is not parsed here: see
/// `main.rs`.)
#[derive(Debug, Parser)]
#[command(
    name = "workshop",
    version,
    about = "The Electron workshop demo as a sandboxed, multi-process desktop app",
    long_about = "The Electron workshop demo as a sandboxed, multi-process desktop app.\n\n\
        With no subcommand, workshop runs the app: a privileged broker process owns every \
        window and starts one sandboxed renderer process per window (user, PID, network, IPC, \
        UTS and mount namespaces in an empty root, Landlock, rlimits and a seccomp allowlist). \
        Only one instance runs per user data directory: starting a second one raises the first \
        one's Main Window.",
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// The app's options (when no subcommand is given).
    #[command(flatten)]
    pub run: RunArgs,
    /// A report instead of the app.
    #[command(subcommand)]
    pub command: Option<Reports>,
}

/// Options of the app itself.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Where settings.json and the single-instance lock live [default: $XDG_CONFIG_HOME/workshop]
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub user_data_dir: Option<PathBuf>,
    /// Latency of the simulated sign-in, in milliseconds
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub auth_delay_ms: u64,
    /// strict: refuse a renderer unless every confinement layer is in force; enforce: every layer the kernel offers
    #[arg(long, value_name = "MODE", value_enum, default_value_t = Mode::Enforce, overrides_with = "no_sandbox")]
    pub sandbox: Mode,
    /// Run renderers unconfined, for debugging (says so on every start)
    #[arg(long, overrides_with = "sandbox")]
    pub no_sandbox: bool,
    /// One log line per event as text, or one JSON object per line; filter with RUST_LOG
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = Format::Text)]
    pub log_format: Format,
    /// Windows in memory, no display needed
    #[arg(long)]
    pub headless: bool,
    /// How long quitting waits for renderers to exit before killing them
    /// [default: 1000]. Hidden: a knob for tests that need a shutdown that
    /// is still waiting when they act (tests/lifecycle.rs).
    #[arg(long, value_name = "MS", hide = true)]
    pub shutdown_grace_ms: Option<u64>,
}

/// The report subcommands: each prints its report and exits.
#[derive(Debug, Subcommand)]
pub enum Reports {
    /// Print the capability table (markdown), from the table the broker enforces
    Capabilities,
    /// Print the renderer's seccomp allowlist (markdown), a reason per rule
    SeccompPolicy,
    /// Start a renderer and print every confinement layer and probe
    SandboxReport {
        /// One JSON object instead of a table
        #[arg(long)]
        json: bool,
        /// The mode to report on
        #[arg(long, value_name = "MODE", value_enum, default_value_t = Mode::Enforce, overrides_with = "no_sandbox")]
        sandbox: Mode,
        /// Report on an unconfined renderer
        #[arg(long, overrides_with = "sandbox")]
        no_sandbox: bool,
    },
}

/// `--sandbox` values (`--no-sandbox` is its own flag, so that turning the
/// sandbox off is never a typo away).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Every layer required
    Strict,
    /// Every layer the kernel offers; missing ones are reported loudly
    Enforce,
}

/// `--log-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable lines
    Text,
    /// One JSON object per line
    Json,
}
