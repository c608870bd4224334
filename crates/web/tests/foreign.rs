//! Every endpoint of the OpenAPI document, called by every role from a foreign region,
//! about objects of the home county: each call is refused — 404 for an object or a region
//! outside the caller's subtree, 403 for what the role may not do — or, for a list, answers
//! without a trace of the home county. A new endpoint without a case here fails the test,
//! so none can be added without being walked.

mod common;

use common::*;
use domain::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Objects of the home county the foreign callers aim at.
struct Home {
    lead: i64,
    case: i64,
    member: i64,
    batch: i64,
    /// The job that imported `batch`.
    job: String,
}

async fn home_objects(s: &TestServer) -> Home {
    let village = s.as_role(Role::Village, true).await;
    let r = village
        .post(
            "/api/v1/visits",
            json!({"household_no": "H1", "findings": "户主务工受伤", "risks": ["因意外事故"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let lead = r.body["lead_id"].as_i64().unwrap();
    // A second lead stays open (for dismiss / open-case attempts); the first becomes a case.
    let r = village
        .post(
            "/api/v1/visits",
            json!({"household_no": "H2", "findings": "家中失火", "risks": ["因自然灾害"]}),
        )
        .await;
    let open_lead = r.body["lead_id"].as_i64().unwrap();
    let r = village
        .call(Method::POST, &format!("/api/v1/leads/{lead}/case"), None)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let case = r.body["case_id"].as_i64().unwrap();
    let h1 = village.get("/api/v1/households/H1").await;
    let member = h1.body["members"][0]["id"].as_i64().unwrap();
    let operator = s.as_role(Role::CountyOperator, true).await;
    let feed = format!(
        "证件号码,姓名,残疾类别,残疾等级,发证日期\n{},张大山,肢体残疾,一级,2025-12-01\n",
        id(520322, 11, domain::Sex::Male)
    );
    // Sent as it is, to keep the job's id; then followed to its answer.
    let part = reqwest::multipart::Part::bytes(feed.into_bytes()).file_name("dis.csv");
    let accepted = operator
        .send_raw(
            operator
                .http
                .post(format!("{}/api/v1/feeds/disability", operator.base))
                .multipart(reqwest::multipart::Form::new().part("file", part)),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.body);
    let job = accepted.body["job_id"].as_str().unwrap().to_owned();
    let r = operator.follow(&job).await;
    assert!(r.status.is_success(), "{}", r.body);
    let batch = r.body["batch_id"]
        .as_i64()
        .or_else(|| r.body["batch"].as_i64())
        .or_else(|| r.body["id"].as_i64())
        .unwrap_or_else(|| panic!("batch id in {}", r.body));
    Home {
        lead: open_lead,
        case,
        member,
        batch,
        job,
    }
}

/// How a foreign caller is answered.
enum Expect {
    /// 403 or 404.
    Refused,
    /// 200, 403 or 404 — and a 200 carries nothing of the home county.
    Clean,
    /// A file upload: 403, 404, or the file refused row by row because its rows lie
    /// outside the caller's region (422, nothing stored).
    RowsRefused,
}

/// The concrete request for an operation of the document.
fn request(
    method: &str,
    path: &str,
    h: &Home,
) -> (String, Option<Value>, Option<&'static str>, Expect) {
    let today = domain::Zone::BEIJING.day_of(chrono::Utc::now()).to_string();
    let fill = path
        .replace("/cases/{id}", &format!("/cases/{}", h.case))
        .replace("/leads/{id}", &format!("/leads/{}", h.lead))
        .replace("/members/{id}", &format!("/members/{}", h.member))
        .replace("/feeds/{id}", &format!("/feeds/{}", h.batch))
        .replace("/jobs/{id}", &format!("/jobs/{}", h.job))
        .replace("{no}", "H1")
        .replace("{code}", HOME_COUNTY)
        .replace("/feeds/{kind}", "/feeds/medical")
        .replace("{kind}", "households");
    let url = format!("/api/v1{fill}");
    let refuse = json!({"step": "refuse", "on": today, "reason": "越权测试"});
    use Expect::*;
    match (method, path) {
        (
            "get",
            "/cases" | "/leads" | "/households" | "/pending" | "/feeds" | "/quality"
            | "/screening/runs" | "/policy" | "/policy/history" | "/audit",
        ) => (url, None, None, Clean),
        // A job of the home county: it does not exist for a foreign caller.
        ("get", "/jobs/{id}") => (url, None, None, Refused),
        ("post", "/cases/{id}/actions") => (url, Some(refuse), None, Refused),
        ("post", "/cases/actions") => (
            url,
            Some(json!({"cases": [h.case], "action": refuse})),
            None,
            Refused,
        ),
        ("post", "/cases/{id}/consent") => (url, None, Some("scan.pdf"), Refused),
        ("post", "/cases/{id}/measures") => (
            url,
            Some(
                json!({"type": "三重保障", "risks": ["因意外事故"], "provider": "县医保局", "start": today}),
            ),
            None,
            Refused,
        ),
        ("put", "/cases/{id}/helper") => (
            url,
            Some(json!({"name": "王帮扶", "unit": "县人社局", "phone": "13800001234"})),
            None,
            Refused,
        ),
        ("post", "/leads/{id}/dismiss") => {
            (url, Some(json!({"reason": "越权测试"})), None, Refused)
        }
        ("post", "/visits") => (
            url,
            Some(json!({"household_no": "H1", "findings": "越权测试", "risks": []})),
            None,
            Refused,
        ),
        ("post", "/notices") => (
            url,
            Some(
                json!({"kind": "识别公示", "cases": [h.case], "from": today, "to": today,
                "office": "村委会", "office_phone": "0851-2612345", "issuer": "村委会"}),
            ),
            None,
            Refused,
        ),
        ("post", "/households/search") => (url, Some(json!({"q": "H1"})), None, Clean),
        // Uploads: a row of the home county (refused) from a foreign account.
        ("post", "/imports/{kind}") => (url, None, Some("households.csv"), RowsRefused),
        ("post", "/feeds/{kind}") => (url, None, Some("medical.csv"), Clean),
        // A foreign administrator loading a policy would change the home county's rules.
        ("post", "/policy") => (
            url,
            Some(json!({"source": "title = \"越权\"\neffective_from = \"2026-01-01\"\n"})),
            None,
            Refused,
        ),
        ("post", "/screening/runs") => (
            url,
            Some(json!({"region": HOME_COUNTY, "dry_run": true})),
            None,
            Refused,
        ),
        (_, p) if p.contains('{') || method != "get" => (url, Some(json!({})), None, Refused),
        _ => (url, None, None, Clean),
    }
}

fn upload_body(name: &str) -> Vec<u8> {
    match name {
        "households.csv" => format!(
            "户编号,村代码,户类型,脱贫年度,住房安全,饮水安全\nH9,{HOME_VILLAGE},一般农户,,安全,安全\n"
        )
        .into_bytes(),
        "medical.csv" => format!(
            "证件号码,姓名,结算日期,医疗总费用,个人自付\n{},张大山,2025-12-01,50000,30000\n",
            id(520322, 11, domain::Sex::Male)
        )
        .into_bytes(),
        _ => b"%PDF-1.4 scan".to_vec(),
    }
}

/// Traces of the home county that must not appear in a foreign caller's answer.
fn leaks(body: &Value) -> Option<&'static str> {
    let text = body.to_string();
    [
        "\"H1\"",
        "\"H2\"",
        HOME_VILLAGE,
        "张大山",
        "李秀英",
        "王建国",
    ]
    .into_iter()
    .find(|m| text.contains(m))
}

#[tokio::test]
async fn every_endpoint_refuses_every_role_from_another_region() {
    for s in servers().await {
        let home = home_objects(&s).await;
        let doc = s.anonymous().get("/api/openapi.json").await.body;
        let paths = doc["paths"].as_object().unwrap();
        let mut walked = 0;
        for role in Role::ALL.iter().copied() {
            let c = s.as_role(role, false).await;
            for (path, item) in paths {
                let path = path.strip_prefix("/api/v1").unwrap_or(path);
                if path.starts_with("/auth/") || !item.is_object() {
                    continue;
                }
                for method in item.as_object().unwrap().keys() {
                    let (url, body, file, expect) = request(method, path, &home);
                    let r = match file {
                        Some(name) => upload(&c, &url, name, &upload_body(name)).await,
                        None => {
                            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                            c.call(m, &url, body).await
                        }
                    };
                    let what = format!(
                        "{} {role} {method} {url}: {} {}",
                        s.t.name, r.status, r.body
                    );
                    match expect {
                        Expect::Refused => assert!(
                            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                            "{what}"
                        ),
                        Expect::RowsRefused => assert!(
                            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
                                || (r.status == StatusCode::UNPROCESSABLE_ENTITY
                                    && r.body.to_string().contains("不在您的管辖范围内")),
                            "{what}"
                        ),
                        Expect::Clean => {
                            assert!(
                                r.status.is_success()
                                    || matches!(
                                        r.status,
                                        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
                                    )
                                    // An upload whose every row is outside the caller's
                                    // registry stores nothing and says so.
                                    || (file.is_some() && r.status == StatusCode::UNPROCESSABLE_ENTITY),
                                "{what}"
                            );
                            if r.status.is_success() {
                                assert_eq!(leaks(&r.body), None, "{what}");
                            }
                        }
                    }
                    walked += 1;
                }
            }
        }
        assert!(walked >= 9 * 30, "only {walked} calls walked");
        // Nothing of the home county changed: the case is where the village left it.
        let village = s.as_role(Role::Village, true).await;
        let case = village.get(&format!("/api/v1/cases/{}", home.case)).await;
        assert_eq!(case.body["state"], "入户核实", "{}", case.body);
        let lead = village.get("/api/v1/leads").await;
        assert!(
            lead.body.to_string().contains("H2"),
            "the open lead is still open"
        );
    }
}
