//! Fangpin's HTTP service (`fangpin serve`): the JSON API under `/api/v1`, its OpenAPI
//! document, authentication, and region-scoped access for every caller.
//!
//! Handlers are thin: they parse the request, ask [`auth::Caller`] for the permission and
//! region check, and call `service`. The same use-cases serve the CLI.

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod jobs;
pub mod limit;
pub mod server;
pub mod state;
pub mod upload;

pub use config::ServerConfig;
pub use server::{app, serve, shutdown_signal};
pub use state::AppState;
