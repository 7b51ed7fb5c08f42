//! `workshop-bench`: Workshop's benchmarks, run by hand.
//!
//! Why a binary and not `cargo bench` or timed tests: the figures that
//! matter cross process boundaries (a real broker, real sandboxed renderer
//! processes, a real X server), depend on where those processes run, and
//! must sit beside a floor measured in the same run on the same machine.
//! Tests never assert on time; this binary prints markdown tables that go
//! into docs/BENCHMARKS.md with the exact command that produced them.
//!
//! One executable, three roles, like `workshop` itself:
//!
//! * `workshop-bench --type=renderer ...` is a renderer: the product
//!   runtime with the bench's hooks attached ([`renderer`]: `--bench=PLAN`
//!   measures its side of the protocol). The broker under test spawns
//!   renderers from this executable, so the product `workshop` never
//!   contains the bench modes;
//! * `workshop-bench --type=helper KIND ...` is the peer process of a
//!   floor ([`floors`]);
//! * anything else is the bench: one scenario per subcommand
//!   (`workshop-bench help`).

mod apptree;
mod capture;
mod floors;
mod harness;
mod layers;
mod pixels;
mod place;
mod procfs;
mod renderer;
mod scenarios;
mod stats;
mod xserver;
mod xwatch;

use std::process::ExitCode;

use thiserror::Error;

use crate::place::Placement;

/// Why a scenario could not produce its figures.
#[derive(Debug, Error)]
pub enum BenchError {
    /// A system call or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A condition did not hold in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// A renderer reported an error from its bench mode.
    #[error("renderer: {0}")]
    Renderer(String),
    /// The bench's own X connection failed.
    #[error("X11 {what}: {detail}")]
    X11 {
        /// What was being done.
        what: &'static str,
        /// The X error.
        detail: String,
    },
    /// Anything else about setting a scenario up.
    #[error("{0}")]
    Setup(String),
}

impl BenchError {
    /// An I/O error while doing `what`.
    pub fn io(what: &'static str, source: std::io::Error) -> BenchError {
        BenchError::Io { what, source }
    }
}

const USAGE: &str = "\
workshop-bench SCENARIO [OPTIONS]

Scenarios (each prints markdown tables to stdout, progress to stderr):
  rtt      invoke round trip (16 B, 1 KiB) and transport+codec (16 B, 1 KiB,
           60 KiB) beside raw SOCK_SEQPACKET and ipc-channel round trips
  flood    renderer -> broker messages per second through the core
  spawn    spawn to first frame (headless), per sandbox mode, with breakdown
  input    input event to changed pixels presented (headless)
  frames   full-surface frames per second (400x400, 1600x1200) beside a bare
           shared-memory hand-off
  memory   RSS/PSS of the headless broker and renderers, both windows open
  xvfb     the product under an X server (needs DISPLAY, xdotool and
           --workshop=PATH): cold start, Login spawn, memory
  xvfb-invoke  the invoke round trip through the desktop shell (needs
           DISPLAY and xdotool; first --placement, first --sizes)
  all      every scenario above but the xvfb ones, each in a fresh process
  peer     Workshop beside Chromium on a private Xvfb, alternating runs:
           cold start, idle memory, click to second window, sandbox layers
           (needs Xvfb and chromium; skips when Chromium is not installed)
  budgets  every budget of docs/BENCHMARKS.md measured against its
           threshold, each part in a fresh process
  fonts    the broker's font scan over the system's fonts (in process):
           parsing every face, filling and sealing the pack

Options:
  --placement=one-core|two-cores|both|unpinned   (default both)
  --n=N          samples per latency figure (default per scenario)
  --runs=R       repetitions of rate and spawn figures (default per scenario)
  --workshop=PATH  the release `workshop` binary (xvfb)
  --only=PATH    rtt: only seqpacket|ipc-channel|control|invoke (profiling)
  --sizes=A,B    rtt: request sizes in bytes (default 16,1024,61440)
  --user=NAME    peer, budgets: who the apps run as when the bench is root
                 (default workshop-ci)
  --chromium=PATH  peer: the browser (default /usr/lib/chromium/chromium)
  --shot=DIR     peer: a screenshot of each app's two windows (first
                 measured run), taken with ImageMagick's `import` after
                 the figures of that moment were read
  --before=PATH  budgets: an older workshop build, measured in alternating
                 rounds with this one; its cold start is the baseline
  --baseline-ms=F  budgets: the cold-start baseline of this machine
                 (default: the one recorded in docs/BENCHMARKS.md)
";

/// Parsed options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Placements to run, in order.
    pub placements: Vec<Placement>,
    /// `--n`.
    pub n: Option<usize>,
    /// `--runs`.
    pub runs: Option<usize>,
    /// `--workshop`.
    pub workshop: Option<std::path::PathBuf>,
    /// `--only`: one path of a scenario (for profiling).
    pub only: Option<String>,
    /// `--sizes`: message sizes (`rtt`).
    pub sizes: Option<Vec<usize>>,
    /// `--user`: who `peer` and `budgets` run the apps as.
    pub user: Option<String>,
    /// `--chromium`: the browser `peer` runs.
    pub chromium: Option<std::path::PathBuf>,
    /// `--shot`: where `peer` saves a screenshot of each app.
    pub shot: Option<std::path::PathBuf>,
    /// `--baseline-ms`: the cold-start baseline `budgets` compares with.
    pub baseline_ms: Option<f64>,
    /// `--before`: an older `workshop` whose cold start `budgets` measures
    /// in alternating rounds with this one, as the baseline.
    pub before: Option<std::path::PathBuf>,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut opts = Options {
        placements: vec![Placement::OneCore, Placement::TwoCores],
        n: None,
        runs: None,
        workshop: None,
        only: None,
        sizes: None,
        user: None,
        chromium: None,
        baseline_ms: None,
        shot: None,
        before: None,
    };
    for arg in args {
        let (name, value) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
        match name {
            "--placement" => {
                opts.placements = match value {
                    "both" => vec![Placement::OneCore, Placement::TwoCores],
                    v => vec![Placement::parse(v).ok_or_else(|| format!("bad placement {v:?}"))?],
                }
            }
            "--n" => opts.n = Some(value.parse().map_err(|_| format!("bad --n {value:?}"))?),
            "--runs" => {
                opts.runs = Some(value.parse().map_err(|_| format!("bad --runs {value:?}"))?)
            }
            "--workshop" => opts.workshop = Some(value.into()),
            "--only" => opts.only = Some(value.to_owned()),
            "--sizes" => {
                let sizes: Result<Vec<usize>, _> = value.split(',').map(str::parse).collect();
                opts.sizes = Some(sizes.map_err(|_| format!("bad --sizes {value:?}"))?);
            }
            "--user" => opts.user = Some(value.to_owned()),
            "--chromium" => opts.chromium = Some(value.into()),
            "--before" => opts.before = Some(value.into()),
            "--shot" => opts.shot = Some(value.into()),
            "--baseline-ms" => {
                opts.baseline_ms = Some(
                    value
                        .parse()
                        .map_err(|_| format!("bad --baseline-ms {value:?}"))?,
                )
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(opts)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if workshop_renderer::is_renderer_invocation(&args) {
        return renderer::main(&args);
    }
    if args.get(1).is_some_and(|a| a == "--type=helper") {
        return ExitCode::from(floors::helper_main(&args).clamp(0, 255) as u8);
    }
    let Some(scenario) = args.get(1) else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    if scenario == "help" || scenario == "--help" {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let opts = match parse_options(&args[2..]) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("workshop-bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let capture = capture::init(scenario == "spawn" || scenario == "budget-part=spawn");
    let result = match scenario.as_str() {
        "rtt" => scenarios::rtt::run(&opts),
        "flood" => scenarios::flood::run(&opts),
        "spawn" => scenarios::spawn::run(&opts, &capture),
        "input" => scenarios::input::run(&opts),
        "frames" => scenarios::frames::run(&opts),
        "memory" => scenarios::memory::run(&opts),
        "xvfb" => scenarios::xvfb::run(&opts),
        "xvfb-invoke" => scenarios::desktop::run(&opts),
        "all" => scenarios::all(&args[2..]),
        "peer" => scenarios::peer::run(&opts),
        "fonts" => scenarios::fonts::run(&opts),
        "budgets" => scenarios::budgets::run(&args[2..], &opts),
        "budget-part=desktop" => scenarios::budgets::desktop_part(&opts),
        "budget-part=spawn" => scenarios::budgets::spawn_part(&opts, &capture),
        "budget-part=input" => scenarios::budgets::input_part(&opts),
        "budget-part=typing" => scenarios::budgets::typing_part(&opts),
        other => {
            eprintln!("workshop-bench: unknown scenario {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => {
            if scenario != "all" && !scenario.starts_with("budget") {
                println!("\nLoad average at end: {}", scenarios::load_average());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("workshop-bench {scenario}: {e}");
            ExitCode::FAILURE
        }
    }
}
