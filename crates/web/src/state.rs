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
    /// Imports, feeds and screenings running in the background.
    pub(crate) jobs: crate::jobs::Jobs,
    /// The data-quality reports last computed, whose pages `/quality` serves.
    pub(crate) quality: Arc<service::screening::QualityCache>,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> Self {
        crate::extract::set_zone(store.zone());
        let login = config.login_policy();
        let limits = Arc::new(crate::limit::Limits::new(
            config.login_attempts_per_minute,
            config.reveals_per_hour,
        ));
        // Requests wait briefly for SQLite's write lock, then answer 503 with Retry-After
        // (crate::error); jobs get a handle that waits longer (crate::jobs).
        let store = store.with_write_wait(std::time::Duration::from_secs(u64::from(
            config.write_wait_secs.max(1),
        )));
        Self {
            jobs: crate::jobs::Jobs::new(store.clone()),
            quality: Arc::default(),
            store,
            config: Arc::new(config),
            login,
            limits,
        }
    }
}
