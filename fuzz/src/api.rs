//! 接口请求: every operation of the JSON API, reached through the real router (every layer,
//! the extractors that deserialise bodies and query strings, the handlers' validation, the
//! service and a real SQLite database), as a logged-in user of any role.
//!
//! The operations are read from the OpenAPI document generated from the handlers, so an
//! operation added later is fuzzed without a change here. Multipart uploads are left to
//! the file targets, and `auth/logout`, which would end the fuzzer's own sessions, is left
//! out.
//!
//! An input is two selector bytes — the role (modulo the roles that could log in) and
//! which fixture a path parameter names (the low bit) — then a line naming the operation
//! as `METHOD /api/v1/path/{param}` (an unknown line picks the operation by its first byte,
//! modulo their number), then the JSON body, or the query string of an operation without
//! a body. Naming the operation in words keeps the seeds valid when operations are added.
//! Any 500 answer is a finding: outside input must be refused in words, never fail the
//! server.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use domain::RegionCode;
use domain::access::Role;
use domain::feed::Feed;
use serde_json::{Value, json};
use service::accounts::{Creator, NewAccount, add_user};
use service::imports::{ImportOutcome, RegistryKind, import_registry};
use std::net::SocketAddr;
use tower::ServiceExt as _;

const PASSWORD: &str = "Fuzz-password-2026";
const VILLAGE: &str = "520322101001";

/// One operation of the API.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: Method,
    /// The path under the server's root, with `{parameters}`.
    pub path: String,
    /// Whether it takes a JSON body (otherwise the input becomes its query string).
    pub json_body: bool,
}

impl Operation {
    /// `METHOD /path`, as an input names it.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A logged-in user of one role.
struct Session {
    role: Role,
    cookie: String,
    csrf: String,
}

/// The application with its fixtures: a database with a county, two households with
/// members and incomes, a lead and a case for each, and a session per role.
pub struct Api {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    pub operations: Vec<Operation>,
    sessions: Vec<Session>,
    /// Lead and case ids of the fixtures, for `{id}` parameters.
    ids: [i64; 2],
    /// Kept so the database outlives the fuzzer's loop.
    _dir: std::path::PathBuf,
}

impl Api {
    /// Builds the database and logs every role in. Slow (seconds): once per process.
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = std::env::temp_dir().join(format!("fangpin-fuzz-api-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
        let (app, sessions, ids) = runtime.block_on(setup(&dir));
        Self {
            runtime,
            app,
            operations: operations(),
            sessions,
            ids,
            _dir: dir,
        }
    }

    /// One input: selector bytes, then the body or query.
    pub fn check(&self, data: &[u8]) {
        let (role, rest) = crate::pick(data);
        let (fixture, rest) = crate::pick(rest);
        let (line, payload) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        let op = self
            .operations
            .iter()
            .find(|o| o.name().as_bytes() == line)
            .unwrap_or_else(|| {
                let (first, _) = crate::pick(line);
                &self.operations[usize::from(first) % self.operations.len()]
            });
        let session = &self.sessions[usize::from(role) % self.sessions.len()];
        let which = usize::from(fixture & 1);
        let path = op
            .path
            .replace("{id}", &self.ids[which].to_string())
            .replace("{no}", ["H1", "H2"][which])
            .replace("{code}", ["520322", VILLAGE][which]);
        let (uri, body) = if op.json_body {
            (path, Body::from(payload.to_vec()))
        } else if payload.is_empty() {
            (path, Body::empty())
        } else {
            (format!("{path}?{}", query(payload)), Body::empty())
        };
        let request = request(op.method.clone(), &uri, session, body);
        let (status, answer) = self.runtime.block_on(call(&self.app, request));
        assert_ne!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{} {uri} as {}: {answer}",
            op.method,
            session.role
        );
    }
}

/// Every operation of the OpenAPI document except uploads and logout.
fn operations() -> Vec<Operation> {
    let (_, doc) = web::server::api();
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        if path.ends_with("/auth/logout") {
            continue;
        }
        for (method, op) in [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::DELETE, &item.delete),
            (Method::PATCH, &item.patch),
        ] {
            let Some(op) = op else { continue };
            let media: Vec<&String> = op
                .request_body
                .iter()
                .flat_map(|b| b.content.keys())
                .collect();
            if media.iter().any(|m| m.starts_with("multipart/")) {
                continue;
            }
            out.push(Operation {
                method,
                path: path.clone(),
                json_body: !media.is_empty(),
            });
        }
    }
    assert!(!out.is_empty(), "the API document lists operations");
    out
}

/// The bytes as a query string: unreserved characters, `=` and `&` as they are, every
/// other byte percent-encoded (a URI cannot carry them raw).
fn query(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~=&".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn request(method: Method, uri: &str, session: &Session, body: Body) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .body(body)
        .expect("a request");
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    req
}

/// Sends one request through the router; the status and the body as text.
async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, String) {
    let res = app.clone().oneshot(req).await.expect("the router answers");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("a body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn setup(dir: &std::path::Path) -> (axum::Router, Vec<Session>, [i64; 2]) {
    let url = format!("sqlite://{}", dir.join("fuzz.db").display());
    let store = store::Store::open(&url, store::Vault::from_master(&[7u8; 32]))
        .await
        .expect("open the database");
    service::regions::import_regions(
        &store,
        &tabular::divisions::Source::Embedded,
        Some("520322"),
    )
    .await
    .expect("regions");
    let files = [
        (
            RegistryKind::Households,
            "h.csv",
            format!(
                "户编号,村代码,户类型,脱贫年度,住房安全,饮水安全,联系电话\n\
                 H1,{VILLAGE},脱贫户,2018,安全,安全,13812345678\n\
                 H2,{VILLAGE},一般农户,,安全,安全,\n"
            ),
        ),
        (
            RegistryKind::Members,
            "m.csv",
            "户编号,姓名,证件号码,与户主关系,劳动技能\n\
             H1,张大山,520322197505010019,户主,普通劳动力\n\
             H1,李秀英,520322197505010027,配偶,普通劳动力\n\
             H2,王建国,520322197505010035,户主,普通劳动力\n"
                .to_owned(),
        ),
        (
            RegistryKind::Incomes,
            "i.csv",
            "户编号,年度,工资性收入,生产经营性收入,生产经营性支出,财产性收入,转移性收入\n\
             H1,2025,14000,6000,2500,800,3700\n\
             H2,2025,48000,0,0,0,0\n"
                .to_owned(),
        ),
    ];
    for (kind, name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("a fixture file");
        match import_registry(&store, kind, &path, None, "fuzz", None)
            .await
            .expect("the fixture imports")
        {
            ImportOutcome::Imported { .. } => {}
            ImportOutcome::Rejected { report } => panic!("{}", report.render_text(20)),
        }
    }
    for role in Role::ALL.iter().copied() {
        let region = match role.region_level() {
            Some(domain::RegionLevel::Village) => VILLAGE,
            Some(domain::RegionLevel::Township) => "520322101",
            Some(domain::RegionLevel::County) => "520322",
            Some(domain::RegionLevel::City) => "5203",
            _ => "52",
        };
        add_user(
            &store,
            &NewAccount {
                username: format!("r{}", role.code()),
                display_name: format!("{role}甲"),
                role,
                region: RegionCode::parse(region).expect("a region"),
                department: (role == Role::Department).then_some(Feed::Medical),
                password: PASSWORD.to_owned(),
                must_change_password: false,
            },
            Creator::System,
        )
        .await
        .expect("an account");
    }
    // Uploads are left to the file targets; should one arrive, it stays in this folder.
    let config = web::ServerConfig {
        upload_dir: dir.join("uploads"),
        ..web::ServerConfig::default()
    };
    let app = web::app(web::AppState::new(store, config));
    let mut sessions = Vec::new();
    for role in Role::ALL.iter().copied() {
        if let Some(s) = login(&app, role).await {
            sessions.push(s);
        }
    }
    let village = sessions
        .iter()
        .find(|s| s.role.region_level() == Some(domain::RegionLevel::Village))
        .expect("a village clerk logged in");
    let mut ids = [0; 2];
    for (i, no) in ["H1", "H2"].into_iter().enumerate() {
        let body =
            json!({"household_no": no, "findings": "户主务工受伤，收入中断", "risks": ["因病"]});
        let lead = post(&app, village, "/api/v1/visits", &body).await["lead_id"]
            .as_i64()
            .expect("a lead");
        let case = post(
            &app,
            village,
            &format!("/api/v1/leads/{lead}/case"),
            &json!({}),
        )
        .await;
        ids[i] = case["case_id"].as_i64().unwrap_or(lead);
    }
    (app, sessions, ids)
}

async fn login(app: &axum::Router, role: Role) -> Option<Session> {
    let body = json!({"username": format!("r{}", role.code()), "password": PASSWORD});
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("a request");
    let res = app.clone().oneshot(req).await.expect("the router answers");
    if !res.status().is_success() {
        return None;
    }
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)?
        .to_str()
        .ok()?
        .split(';')
        .next()?
        .to_owned();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .ok()?;
    let answer: Value = serde_json::from_slice(&bytes).ok()?;
    Some(Session {
        role,
        cookie,
        csrf: answer["csrf_token"].as_str()?.to_owned(),
    })
}

async fn post(app: &axum::Router, session: &Session, uri: &str, body: &Value) -> Value {
    let req = request(Method::POST, uri, session, Body::from(body.to_string()));
    let (status, text) = call(app, req).await;
    assert!(status.is_success(), "{uri}: {status} {text}");
    serde_json::from_str(&text).expect("a JSON answer")
}
