//! `/api/v1`: one module per resource, each exposing `router()` whose handlers carry their
//! OpenAPI description.

pub mod audit;
pub mod auth;
pub mod cases;
pub mod data;
pub mod households;
pub mod jobs;
pub mod screening;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(audit::router())
        .merge(cases::router())
        .merge(households::router())
        .merge(jobs::router())
        .merge(data::router())
        .merge(screening::router())
}
