//! Running the app: from its options ([`RunOptions`], which the command
//! line fills in) to a running event loop.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use workshop_common::sandbox_report::SandboxMode;
use workshop_logging::LogFormat;

use crate::app::{self, AppConfig};
use crate::auth::SimulatedApi;
use crate::instance::{self, Instance};

/// Options of the app itself.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// `--user-data-dir`; default `$XDG_CONFIG_HOME/workshop`.
    pub user_data_dir: Option<PathBuf>,
    /// `--auth-delay-ms`.
    pub auth_delay: Duration,
    /// `--sandbox` / `--no-sandbox`.
    pub sandbox: SandboxMode,
    /// `--log-format`.
    pub log_format: LogFormat,
    /// `--headless`: windows in memory, no display needed.
    pub headless: bool,
}

/// Why the app could not run.
#[derive(Debug, Error)]
pub enum RunError {
    /// The path of our own executable is unknown (renderers are started
    /// from it).
    #[error("cannot find the workshop executable: {0}")]
    CurrentExe(std::io::Error),
    /// No user data directory could be determined.
    #[error("no user data directory: set XDG_CONFIG_HOME or HOME, or pass --user-data-dir")]
    NoUserDataDir,
    /// The user data directory is not private (or cannot be created).
    #[error("user data directory: {0}")]
    DataDir(#[from] crate::private::PrivateError),
    /// The single-instance lock failed.
    #[error("single-instance lock: {0}")]
    Instance(#[from] crate::instance::InstanceError),
    /// The desktop shell failed.
    #[error("{0}")]
    Desktop(String),
}

/// `--user-data-dir`, else `$XDG_CONFIG_HOME/workshop`, else
/// `$HOME/.config/workshop`.
pub fn user_data_dir(explicit: Option<&std::path::Path>) -> Option<std::path::PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.to_path_buf());
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| std::path::PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("workshop"))
}

/// Runs the app until it quits.
pub fn run(opts: RunOptions) -> Result<(), RunError> {
    if opts.sandbox == SandboxMode::Disabled {
        tracing::warn!("--no-sandbox: renderers run UNCONFINED; use only for debugging");
    }
    let dir = user_data_dir(opts.user_data_dir.as_deref()).ok_or(RunError::NoUserDataDir)?;
    // 0700 and ours, or refused, before anything is created in it.
    crate::private::ensure_dir(&dir)?;
    let primary = match instance::acquire(&dir)? {
        Instance::Primary(p) => p,
        Instance::Secondary { told } => {
            if told {
                tracing::info!(dir = %dir.display(), "another instance is running; asked it to raise its window");
            } else {
                tracing::warn!(dir = %dir.display(), "another instance holds the lock but did not answer");
            }
            return Ok(());
        }
    };
    let exe = std::env::current_exe().map_err(RunError::CurrentExe)?;
    let mut config = AppConfig::new(exe, opts.sandbox);
    config.user_data_dir = Some(dir);
    config.instance = Some(primary);
    config.auth = Arc::new(SimulatedApi {
        delay: opts.auth_delay,
    });
    if opts.headless {
        tracing::info!("running headless: windows exist in memory only");
        let mut app = app::start_headless(config, 1.0);
        app.run();
        return Ok(());
    }
    app::run_desktop(config).map_err(|e| RunError::Desktop(e.to_string()))
}
