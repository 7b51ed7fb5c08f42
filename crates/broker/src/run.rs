//! Running the app: from parsed options to a running event loop.

use std::sync::Arc;

use thiserror::Error;
use workshop_common::sandbox_report::SandboxMode;

use crate::app::{self, AppConfig};
use crate::auth::SimulatedApi;
use crate::cli::RunOptions;

/// Why the app could not run.
#[derive(Debug, Error)]
pub enum RunError {
    /// The path of our own executable is unknown (renderers are started
    /// from it).
    #[error("cannot find the workshop executable: {0}")]
    CurrentExe(std::io::Error),
    /// The desktop shell failed.
    #[error("{0}")]
    Desktop(String),
}

/// Runs the app until it quits.
pub fn run(opts: RunOptions) -> Result<(), RunError> {
    if opts.sandbox == SandboxMode::Disabled {
        tracing::warn!("--no-sandbox: renderers run UNCONFINED; use only for debugging");
    }
    let exe = std::env::current_exe().map_err(RunError::CurrentExe)?;
    let mut config = AppConfig::new(exe, opts.sandbox);
    config.auth = Arc::new(SimulatedApi {
        delay: opts.auth_delay,
    });
    if opts.headless {
        tracing::info!("running headless: windows exist in memory only");
        let mut app = app::start_headless(config, 1.0);
        app.run();
        return Ok(());
    }
    crate::shell::desktop::run(config).map_err(|e| RunError::Desktop(e.to_string()))
}
