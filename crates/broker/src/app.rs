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
                sandbox,
                invoke_timeout: DEFAULT_INVOKE_TIMEOUT,
                log_filter: workshop_logging::filter_from_env(),
                first_spawn_args: BTreeMap::new(),
                every_spawn_args: BTreeMap::new(),
                stderr_sink: None,
            },
            auth: Arc::new(SimulatedApi {
                delay: Duration::from_millis(2000),
            }),
        }
    }
}

/// Builds a driver whose producers call `wake`, and the queue it reads.
pub fn build(config: AppConfig, wake: Wake) -> (Driver, EventReceiver) {
    let (tx, rx) = event_queue(wake);
    let hosts = Hosts::new(config.host, tx.clone());
    let core = Broker::new(config.core);
    (Driver::new(core, hosts, config.auth, tx), rx)
}

/// Builds and starts the headless app (windows in memory at `scale`).
pub fn start_headless(config: AppConfig, scale: f32) -> HeadlessApp {
    let (driver, rx) = build(config, Arc::new(|| {}));
    HeadlessApp::start(driver, HeadlessBackend::new(scale), rx)
}
