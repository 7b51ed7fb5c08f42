//! Assembling the broker from its configuration.
//!
//! One place builds the core, the renderer hosts, the authenticator and the
//! event queue, so the binary, the tests and the benchmarks run the same
//! broker.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use workshop_common::client::DEFAULT_INVOKE_TIMEOUT;
use workshop_common::sandbox_report::SandboxMode;

use crate::auth::{Authenticator, SimulatedApi};
use crate::core::{Broker, CoreConfig};
use crate::host::{HostConfig, Hosts};
use crate::queue::{event_queue, EventReceiver, Wake};
use crate::settings::{Keeper, Loaded, Settings, SettingsStore};
use crate::shell::desktop::DesktopError;
use crate::shell::headless::{HeadlessApp, HeadlessBackend};
use crate::shell::Driver;

/// Everything that configures one broker.
pub struct AppConfig {
    /// The core's tunables.
    pub core: CoreConfig,
    /// How renderers are started.
    pub host: HostConfig,
    /// Who signs users in.
    pub auth: Arc<dyn Authenticator>,
    /// Where `settings.json` lives (`None`: positions are not persisted).
    pub user_data_dir: Option<PathBuf>,
    /// The single-instance lock, when this broker holds one; its listener
    /// starts with the event queue.
    pub instance: Option<crate::instance::Primary>,
    /// SIGTERM/SIGINT/SIGHUP, blocked by `run` before any thread started;
    /// their thread starts with the event queue.
    pub signals: Option<crate::signals::Blocked>,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("core", &self.core)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl AppConfig {
    /// The product defaults, with renderers started from `exe`.
    pub fn new(exe: PathBuf, sandbox: SandboxMode) -> AppConfig {
        AppConfig {
            core: CoreConfig {
                sandbox,
                ..CoreConfig::default()
            },
            host: HostConfig {
                exe,
                own_exe: None,
                sandbox,
                invoke_timeout: DEFAULT_INVOKE_TIMEOUT,
                log_filter: workshop_logging::filter_from_env(),
                first_spawn_args: BTreeMap::new(),
                every_spawn_args: BTreeMap::new(),
                stderr_sink: None,
                fonts: Arc::new(crate::fonts::PendingPack::start()),
            },
            auth: Arc::new(SimulatedApi {
                delay: Duration::from_millis(2000),
            }),
            user_data_dir: None,
            instance: None,
            signals: None,
        }
    }
}

/// Builds a driver whose producers call `wake`, and the queue it reads.
/// Settings are loaded here; a corrupt file is moved aside and reported.
pub fn build(config: AppConfig, wake: Wake) -> (Driver, EventReceiver) {
    let (tx, rx) = event_queue(wake);
    let hosts = Hosts::new(config.host, tx.clone());
    let core = Broker::new(config.core);
    let keeper = load_settings(config.user_data_dir.as_deref());
    if let Some(signals) = config.signals {
        if let Err(e) = signals.listen(tx.clone()) {
            tracing::error!(error = %e, "signals will end the app without saving");
        }
    }
    if let Some(primary) = config.instance {
        if let Err(e) = primary.listen(tx.clone()) {
            tracing::error!(error = %e, "cannot listen for second instances");
        }
    }
    (Driver::new(core, hosts, config.auth, tx, keeper), rx)
}

fn load_settings(dir: Option<&std::path::Path>) -> Keeper {
    let Some(dir) = dir else {
        return Keeper::new(None, Settings::default());
    };
    let store = match SettingsStore::open(dir) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "settings unavailable; positions will not be saved");
            return Keeper::new(None, Settings::default());
        }
    };
    if let Err(e) = rustix::fs::access(dir, rustix::fs::Access::WRITE_OK) {
        // Read-only (a read-only mount, a locked-down profile): run with
        // what is there, say so once.
        let settings = match store.load() {
            Ok((settings, _)) => settings,
            Err(_) => Settings::default(),
        };
        tracing::warn!(dir = %dir.display(), error = %std::io::Error::from(e), "user data directory is not writable; window positions will not be saved");
        return Keeper::new(None, settings);
    }
    match store.load() {
        Ok((settings, Loaded::Valid | Loaded::Missing)) => Keeper::new(Some(store), settings),
        Ok((settings, Loaded::Newer(version))) => {
            tracing::warn!(
                version,
                understood = crate::settings::VERSION,
                "settings.json is from a newer version of workshop: using what this version understands; positions will not be saved"
            );
            Keeper::new(None, settings)
        }
        Ok((settings, Loaded::MovedAside(aside))) => {
            tracing::error!(
                kept_at = %aside.display(),
                "settings.json was corrupt: kept aside, using defaults"
            );
            Keeper::new(Some(store), settings)
        }
        Err(e) => {
            // Unreadable (not corrupt): do not overwrite what we cannot read.
            tracing::error!(error = %e, "cannot read settings; positions will not be saved");
            Keeper::new(None, Settings::default())
        }
    }
}

/// Runs the app on the desktop (winit + softbuffer) until it quits.
pub fn run_desktop(config: AppConfig) -> Result<(), DesktopError> {
    crate::shell::desktop::run(|wake| build(config, wake))
}

/// Builds and starts the headless app (windows in memory at `scale`).
pub fn start_headless(config: AppConfig, scale: f32) -> HeadlessApp {
    let (driver, rx) = build(config, Arc::new(|| {}));
    HeadlessApp::start(driver, HeadlessBackend::new(scale), rx)
}
