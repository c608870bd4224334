//! Shared state of the running service.

use crate::config::ServerConfig;
use service::accounts::LoginPolicy;
use std::sync::Arc;
use store::Store;

/// What every request can reach. The store is private to this crate's access layer:
/// handlers get a region-scoped view of it through [`crate::auth::Caller`].
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Store,
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) login: LoginPolicy,
    /// Per-address counters of sign-ins and reveals, shared by every request.
    pub(crate) limits: Arc<crate::limit::Limits>,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> Self {
        let login = config.login_policy();
        let limits = Arc::new(crate::limit::Limits::new(
            config.login_attempts_per_minute,
            config.reveals_per_hour,
        ));
        Self {
            store,
            config: Arc::new(config),
            login,
            limits,
        }
    }
}
