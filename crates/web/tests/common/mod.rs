//! A running server for the API tests: a fresh database (SQLite, and PostgreSQL when
//! `FANGPIN_TEST_PG_URL` is set), two counties — 桐梓县 (520322, "home") and 绥阳县
//! (520323, "away") — each with households, one account per role in each county's tree,
//! and the real router listening on a real port.

#![allow(dead_code, reason = "each test file uses a part of the fixtures")]

use domain::access::Role;
use domain::feed::Feed;
use domain::{IdNumber, RegionCode, Sex};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use service::accounts::{Creator, NewAccount, add_user};
use service::imports::{ImportOutcome, RegistryKind, import_registry};
use store::testing::TestStore;
use web::{AppState, ServerConfig};

pub const PASSWORD: &str = "Test-password-2026";

/// Villages, townships and counties of the two trees.
pub const HOME_COUNTY: &str = "520322";
pub const HOME_TOWNSHIP: &str = "520322101";
pub const HOME_VILLAGE: &str = "520322101001";
pub const AWAY_COUNTY: &str = "520323";
pub const AWAY_TOWNSHIP: &str = "520323101";
pub const AWAY_VILLAGE: &str = "520323101001";

/// The division codes built into the program.
pub fn divisions() -> tabular::divisions::Source {
    tabular::divisions::Source::Embedded
}

pub fn id(county: u32, seq: u16, sex: Sex) -> String {
    let born = chrono::NaiveDate::from_ymd_opt(1975, 5, 1).unwrap();
    IdNumber::from_parts(county, born, seq, sex)
        .as_str()
        .to_owned()
}

/// The region an account of `role` is bound to in the home or away tree.
pub fn region_for(role: Role, home: bool) -> &'static str {
    use domain::RegionLevel as L;
    let (v, t, c) = if home {
        (HOME_VILLAGE, HOME_TOWNSHIP, HOME_COUNTY)
    } else {
        (AWAY_VILLAGE, AWAY_TOWNSHIP, AWAY_COUNTY)
    };
    match role.region_level() {
        Some(L::Village) => v,
        Some(L::Township) => t,
        Some(L::County) => c,
        // Both counties lie in 遵义市 (5203): the away city is 昆明市 (5301).
        Some(L::City) => {
            if home {
                "5203"
            } else {
                "5301"
            }
        }
        // Province viewers and system administrators: the province (both trees), except
        // that the "away" one sits in another province and so sees neither county.
        Some(L::Province) | None => {
            if home {
                "52"
            } else {
                "53"
            }
        }
    }
}

/// The user name of the account of `role` in the home or away tree.
pub fn username(role: Role, home: bool) -> String {
    format!("r{}_{}", role.code(), if home { "home" } else { "away" })
}

pub struct TestServer {
    pub t: TestStore,
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A server on each test database.
pub async fn servers() -> Vec<TestServer> {
    let mut out = Vec::new();
    for t in store::testing::stores().await {
        out.push(start(t, ServerConfig::default()).await);
    }
    out
}

pub async fn start(t: TestStore, mut config: ServerConfig) -> TestServer {
    seed(&t).await;
    // Each server its own upload folder: the default one, relative to the working
    // directory, would be shared by every server of a test binary (and is locked by one).
    if config.upload_dir == ServerConfig::default().upload_dir {
        config.upload_dir = t.dir.path().join("uploads");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    config.listen = listener.local_addr().unwrap();
    let base = format!("http://{}", config.listen);
    let state = AppState::new(t.store.clone(), config);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, state, async {
        let _ = rx.await;
    }));
    TestServer {
        t,
        base,
        stop: Some(tx),
    }
}

async fn seed(t: &TestStore) {
    let s = &t.store;
    for county in [HOME_COUNTY, AWAY_COUNTY] {
        service::regions::import_regions(s, &divisions(), Some(county))
            .await
            .unwrap();
    }
    // Provinces 52 and 53 exist as regions for the province-level accounts.
    service::regions::import_regions(s, &divisions(), Some("5301"))
        .await
        .unwrap();
    let dir = t.dir.path();
    let households = format!(
        "户编号,村代码,户类型,脱贫年度,住房安全,饮水安全,联系电话\n\
         H1,{HOME_VILLAGE},脱贫户,2018,安全,安全,13812345678\n\
         H2,{HOME_VILLAGE},一般农户,,安全,安全,\n\
         A1,{AWAY_VILLAGE},一般农户,,安全,安全,13987654321\n"
    );
    let members = format!(
        "户编号,姓名,证件号码,与户主关系,劳动技能\n\
         H1,张大山,{},户主,普通劳动力\n\
         H1,李秀英,{},配偶,普通劳动力\n\
         H2,王建国,{},户主,普通劳动力\n\
         A1,赵远方,{},户主,普通劳动力\n",
        id(520322, 11, Sex::Male),
        id(520322, 22, Sex::Female),
        id(520322, 33, Sex::Male),
        id(520323, 44, Sex::Male),
    );
    let incomes = "户编号,年度,工资性收入,生产经营性收入,生产经营性支出,财产性收入,转移性收入\n\
         H1,2025,14000,6000,2500,800,3700\n\
         H2,2025,48000,0,0,0,0\n\
         A1,2025,30000,0,0,0,0\n";
    for (kind, name, text) in [
        (RegistryKind::Households, "h.csv", households.as_str()),
        (RegistryKind::Members, "m.csv", members.as_str()),
        (RegistryKind::Incomes, "i.csv", incomes),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        match import_registry(s, kind, &p, None, "test", None)
            .await
            .unwrap()
        {
            ImportOutcome::Imported { .. } => {}
            ImportOutcome::Rejected { report } => panic!("{}", report.render_text(20)),
        }
    }
    for role in Role::ALL.iter().copied() {
        for home in [true, false] {
            add_user(
                s,
                &NewAccount {
                    username: username(role, home),
                    display_name: format!("{role}{}", if home { "甲" } else { "乙" }),
                    role,
                    region: RegionCode::parse(region_for(role, home)).unwrap(),
                    department: (role == Role::Department).then_some(Feed::Medical),
                    password: PASSWORD.to_owned(),
                    must_change_password: false,
                },
                Creator::System,
            )
            .await
            .unwrap();
        }
    }
}

/// A logged-in client: keeps the session cookie and sends the CSRF token with changes.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

/// A response: status, headers and the body as JSON (or as text in `Value::String`).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl TestServer {
    pub fn anonymous(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap(),
            base: self.base.clone(),
            csrf: None,
            bearer: None,
        }
    }

    /// Logs in as the account of `role` in the home or away tree.
    pub async fn as_role(&self, role: Role, home: bool) -> Client {
        self.login(&username(role, home), PASSWORD).await
    }

    pub async fn login(&self, user: &str, password: &str) -> Client {
        let mut c = self.anonymous();
        let r = c
            .call(
                Method::POST,
                "/api/v1/auth/login",
                Some(serde_json::json!({"username": user, "password": password})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {user}: {}", r.body);
        c.csrf = Some(r.body["csrf_token"].as_str().unwrap().to_owned());
        c
    }
}

impl Client {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    /// Sends `req` with the client's credentials and reads the answer; a job accepted (202,
    /// an import, a feed, a screening) is followed until it ends, and its answer — the
    /// status and body its request would have had — is returned as the reply.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let r = self.send_raw(req).await;
        match r.body["job_id"].as_str() {
            Some(id) if r.status == StatusCode::ACCEPTED => self.follow(id).await,
            _ => r,
        }
    }

    /// Polls the job `id` until it is done or failed; its answer as a reply.
    pub async fn follow(&self, id: &str) -> Reply {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let r = self.get_raw(&format!("/api/v1/jobs/{id}")).await;
            assert_eq!(r.status, StatusCode::OK, "job {id}: {}", r.body);
            if matches!(r.body["state"].as_str(), Some("done" | "failed")) {
                let status =
                    StatusCode::from_u16(r.body["status"].as_u64().unwrap() as u16).unwrap();
                let mut headers = r.headers;
                let kind = if status.is_success() {
                    "application/json"
                } else {
                    "application/problem+json"
                };
                headers.insert(reqwest::header::CONTENT_TYPE, kind.parse().unwrap());
                return Reply {
                    status,
                    headers,
                    body: r.body["result"].clone(),
                };
            }
            assert!(
                std::time::Instant::now() < deadline,
                "job {id} still {}",
                r.body
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub async fn get_raw(&self, path: &str) -> Reply {
        self.send_raw(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// Sends `req` with the client's credentials (CSRF token, bearer token) and reads the
    /// answer: JSON when it is, text otherwise.
    pub async fn send_raw(&self, mut req: reqwest::RequestBuilder) -> Reply {
        if let Some(csrf) = &self.csrf {
            req = req.header("X-CSRF-Token", csrf);
        }
        if let Some(token) = &self.bearer {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }
}

/// Uploads `bytes` as the multipart field `file`, named `file_name`, with the client's
/// session cookie and CSRF token.
pub async fn upload(c: &Client, path: &str, file_name: &str, bytes: &[u8]) -> Reply {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    c.send(c.http.post(format!("{}{path}", c.base)).multipart(form))
        .await
}
