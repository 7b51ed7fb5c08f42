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
    /// `--shutdown-grace-ms` (hidden): how long quitting waits for
    /// renderers; `None` is the core's default.
    pub shutdown_grace: Option<Duration>,
}

/// Why the app could not run.
#[derive(Debug, Error)]
pub enum RunError {
    /// The path of our own executable is unknown (renderers are started
    /// from it).
    #[error("cannot find the workshop executable: {0}")]
    CurrentExe(std::io::Error),
    /// No user data directory could be determined.
    #[error("no user data directory: set XDG_CONFIG_HOME or HOME (absolute paths), or pass --user-data-dir")]
    NoUserDataDir,
    /// The user data directory is not private (or cannot be created).
    #[error("user data directory: {0}")]
    DataDir(#[from] crate::private::PrivateError),
    /// The shutdown signals could not be taken over.
    #[error("{0}")]
    Signals(#[from] crate::signals::SignalError),
    /// Our own executable could not be held open (renderers are started
    /// from it).
    #[error("cannot open /proc/self/exe: {0}")]
    OwnExe(std::io::Error),
    /// The single-instance lock failed.
    #[error("single-instance lock: {0}")]
    Instance(#[from] crate::instance::InstanceError),
    /// The single-instance name is held by another user.
    #[error("the single-instance socket @{name} for {dir} is held by another user (uid {uid}); refusing to start (`ss -xlp` shows which process)")]
    Squatted {
        /// The data directory.
        dir: String,
        /// The abstract name.
        name: String,
        /// Who holds it.
        uid: u32,
    },
    /// Another instance holds the lock but did not answer in time.
    #[error("another instance holds the lock for {dir} but did not answer within {timeout_ms} ms (is it stopped or hung?)")]
    NoAnswer {
        /// The data directory.
        dir: String,
        /// How long it was given.
        timeout_ms: u128,
    },
    /// The desktop shell failed.
    #[error("{0}")]
    Desktop(String),
}

/// Exit status of a start-up error other than those below.
pub const EXIT_FAILURE: u8 = 1;

impl RunError {
    /// The process exit status for this error (documented in
    /// docs/ARCHITECTURE.md).
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Squatted { .. } => instance::EXIT_SQUATTED,
            RunError::NoAnswer { .. } => instance::EXIT_NO_ANSWER,
            RunError::CurrentExe(_)
            | RunError::NoUserDataDir
            | RunError::DataDir(_)
            | RunError::Signals(_)
            | RunError::OwnExe(_)
            | RunError::Instance(_)
            | RunError::Desktop(_) => EXIT_FAILURE,
        }
    }
}

/// `--user-data-dir`, else `$XDG_CONFIG_HOME/workshop`, else
/// `$HOME/.config/workshop`.
pub fn user_data_dir(explicit: Option<&std::path::Path>) -> Option<std::path::PathBuf> {
    data_dir_from(
        explicit,
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    )
}

/// [`user_data_dir`] from the values it reads. A relative (or empty)
/// `XDG_CONFIG_HOME` is ignored, as the XDG Base Directory spec says; so is
/// a relative `HOME`, which would make the data directory depend on the
/// working directory.
pub fn data_dir_from(
    explicit: Option<&std::path::Path>,
    xdg_config_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Option<std::path::PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.to_path_buf());
    }
    let absolute = |v: std::ffi::OsString| {
        let p = std::path::PathBuf::from(v);
        p.is_absolute().then_some(p)
    };
    let base = xdg_config_home
        .and_then(absolute)
        .or_else(|| home.and_then(absolute).map(|h| h.join(".config")))?;
    Some(base.join("workshop"))
}

/// Runs the app until it quits.
pub fn run(opts: RunOptions) -> Result<(), RunError> {
    // First, before any thread exists: every thread inherits the mask.
    let signals = crate::signals::block()?;
    // Before anything can replace the file: renderers are this build.
    let own_exe = crate::host::spawn::OwnExe::open().map_err(RunError::OwnExe)?;
    if opts.sandbox == SandboxMode::Disabled {
        tracing::warn!("--no-sandbox: renderers run UNCONFINED; use only for debugging");
    }
    let dir = user_data_dir(opts.user_data_dir.as_deref()).ok_or(RunError::NoUserDataDir)?;
    // 0700 and ours, or refused, before anything is created in it.
    crate::private::ensure_dir(&dir)?;
    let primary = match instance::acquire(&dir)? {
        Instance::Primary(p) => p,
        Instance::Squatted { name, uid } => {
            return Err(RunError::Squatted {
                dir: dir.display().to_string(),
                name,
                uid,
            })
        }
        Instance::Secondary { told: true } => {
            tracing::info!(dir = %dir.display(), "another instance is running; asked it to raise its window");
            return Ok(());
        }
        Instance::Secondary { told: false } => {
            return Err(RunError::NoAnswer {
                dir: dir.display().to_string(),
                timeout_ms: instance::NOTIFY_TIMEOUT.as_millis(),
            })
        }
    };
    let exe = std::env::current_exe().map_err(RunError::CurrentExe)?;
    let mut config = AppConfig::new(exe, opts.sandbox);
    config.host.own_exe = Some(own_exe);
    config.signals = Some(signals);
    if let Some(grace) = opts.shutdown_grace {
        config.core.shutdown_grace = grace;
    }
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

#[cfg(test)]
mod tests {
    use super::data_dir_from;
    use std::path::{Path, PathBuf};

    #[test]
    fn relative_xdg_config_home_and_home_are_ignored() {
        let some = |s: &str| Some(std::ffi::OsString::from(s));
        assert_eq!(
            data_dir_from(None, some("rel/config"), some("/home/u")),
            Some(PathBuf::from("/home/u/.config/workshop"))
        );
        assert_eq!(
            data_dir_from(None, some("/x"), some("/home/u")),
            Some(PathBuf::from("/x/workshop"))
        );
        assert_eq!(
            data_dir_from(None, some(""), some("/home/u")),
            Some(PathBuf::from("/home/u/.config/workshop"))
        );
        assert_eq!(data_dir_from(None, some("rel"), some("also-rel")), None);
        assert_eq!(
            data_dir_from(Some(Path::new("given")), None, None),
            Some(PathBuf::from("given"))
        );
    }
}
