//! The router and the server: `/api/v1` with its OpenAPI document at `/api/openapi.json`,
//! health checks, and the layers every request passes — request id, structured log line,
//! security headers, problem+json for every error, timeout, body limit, caught panics —
//! and a graceful shutdown that lets requests in flight finish.

use crate::api;
use crate::config::ServerConfig;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::upload::UploadDir;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "防贫 Fangpin API",
        description = "防止返贫动态监测和帮扶：户籍档案、部门预警筛查、监测案件与帮扶。\
            所有请求须登录（会话 Cookie，变更请求带 X-CSRF-Token）或携带部门系统的 Bearer 令牌；\
            每个账号只能看到和办理其绑定区划内的数据，区划外的对象一律回答 404。",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(
        crate::error::Problem,
        // The answers of the background jobs, read at /jobs/{id} (`result`): no operation
        // returns them directly any more.
        crate::api::data::ImportResult,
        crate::api::data::FeedImportResult,
        crate::api::data::RejectedFile,
        crate::api::screening::RunReport,
    ))
)]
struct ApiDoc;

/// The API routes and the OpenAPI document generated from the same handlers, so that the
/// two cannot drift apart.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api::router())
        .split_for_parts()
}

/// The whole application: API, OpenAPI document, health checks and the common layers.
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let (api, doc) = api();
    let doc = std::sync::Arc::new(doc);
    let routes = api
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json((*doc).clone()) }
            }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .layer(from_fn_with_state(state.clone(), crate::limit::limit))
        .with_state(state);
    with_layers(routes, &config)
}

/// The layers every request passes, around `routes`: what `app` serves, and what a test
/// of the layers themselves wraps around routes of its own.
pub fn with_layers(routes: Router, config: &ServerConfig) -> Router {
    let max_body = config.max_body_mib as usize * 1024 * 1024;
    let timeout = Duration::from_secs(u64::from(config.request_timeout_secs.max(1)));
    let request_id = HeaderName::from_static("x-request-id");
    routes
        .fallback(|| async { ApiError::for_status(StatusCode::NOT_FOUND) })
        .method_not_allowed_fallback(|method: Method| async move {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("该接口地址不支持 {method} 请求"),
            )
        })
        // A panic is a bug of ours: answered 500, and the other requests go on.
        .layer(CatchPanicLayer::custom(crate::error::panicked))
        // One limit for every body, however it is read: the tower layer refuses a
        // declared length at once and cuts a streamed body off at the limit; axum's own
        // default (2 MB for each extractor) would otherwise refuse uploads far below it.
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(from_fn_with_state(timeout, deadline))
        .layer(from_fn_with_state(
            config.max_body_mib,
            crate::error::problems_only,
        ))
        // [I] Headers a browser honours even for JSON: no sniffing, no framing, no referrer
        // leaking household numbers in URLs, and nothing cached on shared office computers.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            // One log line per request: method, path (never the query, which may carry a
            // search for a name or an ID number), status, latency and request id.
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), id = %id)
            })
            .on_request(())
            .on_response(
                tower_http::trace::DefaultOnResponse::new()
                    .level(tracing::Level::INFO)
                    .latency_unit(tower_http::LatencyUnit::Micros),
            ),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// A request that runs longer than `request_timeout_secs` is abandoned — its future
/// dropped, so an import's transaction rolls back and its upload is removed — and
/// answered 503 `timeout`.
async fn deadline(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(secs = limit.as_secs(), "request timed out");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!(
                    "请求处理超过{}秒，已中止，未作任何更改；请稍后重试，大文件可拆分后分批导入",
                    limit.as_secs()
                ),
            )
            .into_response()
        }
    }
}

/// `/readyz`: the database answers.
async fn ready(State(state): State<AppState>) -> ApiResult<&'static str> {
    match state.store.ping().await {
        Ok(()) => Ok("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            Err(ApiError::for_status(StatusCode::SERVICE_UNAVAILABLE))
        }
    }
}

/// Serves until Ctrl-C or SIGTERM, then stops accepting and lets requests finish. The
/// upload folder is taken first (created, locked, emptied of what a crash left) and held
/// until the end.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let _uploads = UploadDir::open(&state.config.upload_dir).map_err(std::io::Error::other)?;
    // Jobs a crash left running: their uploads are gone (swept above), their transactions
    // rolled back; their rows say so before anyone asks.
    state.jobs.recover().await.map_err(std::io::Error::other)?;
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
