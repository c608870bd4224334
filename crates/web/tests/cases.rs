//! The monitoring-case side of `/api/v1` through the real router over HTTP, on SQLite and
//! (when configured) PostgreSQL: a visit opens a lead, the village opens a case and walks
//! it, each level is refused the steps that are not its own, the county approver decides,
//! assistance follows (measures, plan, helper, follow-up visit, elimination check, notice),
//! and the other county sees none of it.

mod common;

use chrono::{Days, NaiveDate};
use common::*;
use domain::Sex;
use domain::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn today() -> NaiveDate {
    domain::Zone::BEIJING.day_of(chrono::Utc::now())
}

impl Client {
    async fn act(&self, case: i64, body: Value) -> Reply {
        self.post(&format!("/api/v1/cases/{case}/actions"), body)
            .await
    }

    async fn post_empty(&self, path: &str) -> Reply {
        self.call(Method::POST, path, None).await
    }
}

/// Records a visit finding `risk` at `household` and returns the lead it opened.
async fn lead_from_visit(c: &Client, household: &str, risk: &str) -> i64 {
    let r = c
        .post(
            "/api/v1/visits",
            json!({"household_no": household, "findings": "户主务工受伤，收入中断", "risks": [risk]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["kind"], "排查走访");
    assert_eq!(r.body["lead_new"], true);
    r.body["lead_id"].as_i64().unwrap()
}

async fn open(c: &Client, lead: i64) -> i64 {
    let r = c.post_empty(&format!("/api/v1/leads/{lead}/case")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["state"], "入户核实");
    r.body["case_id"].as_i64().unwrap()
}

fn verify(on: NaiveDate) -> Value {
    json!({"step": "verify", "on": on, "members": 2, "income": "11000", "rigid": 0,
           "housing": "安全", "water": "安全", "labour": 2, "note": "务工受伤"})
}

fn consent(on: NaiveDate) -> Value {
    json!({"step": "consent", "on": on, "signed_by": "张大山",
           "queries": "收入、存款、房产、车辆、工商登记、财政供养"})
}

fn review(on: NaiveDate) -> Value {
    json!({"step": "review", "on": on, "participants": "村民代表12人", "minutes": "同意纳入"})
}

fn assert_ok(r: &Reply, state: &str) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], state, "{}", r.body);
}

fn assert_problem(r: &Reply, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert_eq!(r.body["code"], code, "{}", r.body);
}

fn detail(r: &Reply) -> &str {
    r.body["detail"].as_str().unwrap_or("")
}

fn ids(list: &Value, key: &str) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_village_opens_and_walks_a_case_and_each_level_keeps_to_its_steps() {
    for s in servers().await {
        let db = s.t.name;
        let village = s.as_role(Role::Village, true).await;
        let township = s.as_role(Role::Township, true).await;
        let operator = s.as_role(Role::CountyOperator, true).await;
        let viewer = s.as_role(Role::CityViewer, true).await;
        let away_village = s.as_role(Role::Village, false).await;
        let away_county = s.as_role(Role::CountyOperator, false).await;

        // A visit that finds a risk opens a lead, which the home tree sees and the away
        // tree does not.
        let lead = lead_from_visit(&village, "H1", "因意外事故").await;
        let leads = village.get("/api/v1/leads").await;
        assert_eq!(leads.status, StatusCode::OK, "{db}: {}", leads.body);
        assert_eq!(leads.body["total"], 1);
        let item = &leads.body["items"][0];
        assert_eq!(item["id"], lead);
        assert_eq!(item["household_no"], "H1");
        assert_eq!(item["channel"], "干部排查");
        assert_eq!(item["status"], "待研判");
        assert_eq!(item["risks"], json!(["因意外事故"]));
        assert_eq!(away_county.get("/api/v1/leads").await.body["total"], 0);
        let r = away_village
            .post_empty(&format!("/api/v1/leads/{lead}/case"))
            .await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
        let r = away_village
            .post(
                &format!("/api/v1/leads/{lead}/dismiss"),
                json!({"reason": "家庭可自主应对"}),
            )
            .await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
        let r = away_village
            .post(
                "/api/v1/visits",
                json!({"household_no": "H1", "findings": "x", "risks": ["因病"]}),
            )
            .await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
        // A supervisor reads but does not triage.
        let r = viewer
            .post_empty(&format!("/api/v1/leads/{lead}/case"))
            .await;
        assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");

        // The village opens the case from the lead.
        let case = open(&village, lead).await;
        let r = village
            .post_empty(&format!("/api/v1/leads/{lead}/case"))
            .await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found"); // a lead opens once
        let doc = village.get(&format!("/api/v1/cases/{case}")).await;
        assert_eq!(doc.status, StatusCode::OK, "{}", doc.body);
        assert_eq!(doc.body["state"], "入户核实");
        assert_eq!(doc.body["household_no"], "H1");
        assert_eq!(doc.body["lead_id"], lead);
        assert_eq!(doc.body["yours"], json!(["入户核实", "农户承诺授权"]));
        assert_eq!(doc.body["history"][0]["step"], "立案");
        assert_eq!(doc.body["history"][0]["level"], "村级");
        assert_eq!(doc.body["history"][0]["actor"], "村级甲");

        // A second household of the village and one of the other county, for the batch.
        let lead2 = lead_from_visit(&village, "H2", "因病").await;
        let case2 = open(&village, lead2).await;
        let away_lead = lead_from_visit(&away_village, "A1", "因病").await;
        let away_case = open(&away_village, away_lead).await;

        // The home and away trees see only their own cases.
        let list = village.get("/api/v1/cases").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert_eq!(list.body["total"], 2);
        assert_eq!(ids(&list.body["items"], "id"), vec![case2, case]);
        assert_eq!(
            list.body["items"][0]["awaiting"].as_array().unwrap().len(),
            3
        );
        let away_list = away_county.get("/api/v1/cases").await;
        assert_eq!(ids(&away_list.body["items"], "id"), vec![away_case]);
        for path in [
            format!("/api/v1/cases/{case}"),
            format!("/api/v1/cases/{case}/measures"),
            format!("/api/v1/cases/{case}/plan"),
            format!("/api/v1/cases/{case}/elimination-check"),
        ] {
            let r = away_county.get(&path).await;
            assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
        }
        let r = away_village.act(case, verify(today())).await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
        let p = away_county.get("/api/v1/pending?level=全部").await;
        assert_eq!(ids(&p.body, "case_id"), vec![away_case]);
        let r = village
            .get(&format!("/api/v1/cases?region={AWAY_VILLAGE}"))
            .await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
        let r = village
            .get("/api/v1/cases?state=民主评议&page=1&per_page=1")
            .await;
        assert_eq!(r.body["total"], 0);
        assert_eq!(
            village.get("/api/v1/cases?open=true").await.body["total"],
            2
        );
        assert_eq!(
            village.get("/api/v1/cases?open=false").await.body["total"],
            0
        );
        let r = village.get("/api/v1/cases?household_no=H2").await;
        assert_eq!(ids(&r.body["items"], "id"), vec![case2]);
        let r = village.get("/api/v1/cases?per_page=1&page=2").await;
        assert_eq!(r.body["total"], 2);
        assert_eq!(ids(&r.body["items"], "id"), vec![case]);

        // One batch of one village: a case of the other county makes it 404, and nothing
        // changes; two home cases take the step together.
        let batch = |cases: Vec<i64>| json!({"cases": cases, "action": consent(today())});
        let r = village
            .post("/api/v1/cases/actions", batch(vec![case, away_case]))
            .await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
        let doc = village.get(&format!("/api/v1/cases/{case}")).await;
        assert!(doc.body["identification_steps"]["consent_on"].is_null());
        let r = village
            .post("/api/v1/cases/actions", batch(vec![case, case2]))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert_eq!(ids(&r.body, "id"), vec![case, case2]);
        assert_eq!(r.body[0]["event"]["step"], "农户承诺授权");

        // Each level keeps to its steps: the township may not verify, the village may not
        // compare; the county clerk compares.
        let r = township.act(case, verify(today())).await;
        assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
        assert!(detail(&r).contains("入户核实"), "{}", detail(&r));
        assert_ok(&village.act(case, verify(today())).await, "入户核实");
        let compare = json!({"step": "compare", "findings": "无异常"});
        let r = village.act(case, compare.clone()).await;
        assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
        assert_ok(&operator.act(case, compare).await, "民主评议");
        assert_ok(&village.act(case, review(today())).await, "村级公示");
        let r = village.act(case, json!({"step": "publicity"})).await;
        assert_ok(&r, "村级公示");
        assert_eq!(r.body["event"]["level"], "村级");
        assert_eq!(r.body["event"]["actor"], "村级甲");

        // A step the procedure refuses is 422 with its Chinese message, and changes nothing.
        let before = village.get(&format!("/api/v1/cases/{case}")).await.body;
        let r = village.act(case, json!({"step": "close_publicity"})).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(detail(&r).contains("起方可结束公示"), "{}", detail(&r));
        let r = village.act(case, verify(today())).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(detail(&r).contains("“入户核实”已登记"), "{}", detail(&r));
        let after = village.get(&format!("/api/v1/cases/{case}")).await.body;
        assert_eq!(before, after, "{db}: a refused step changes nothing");

        // Malformed requests are answered in Chinese, as problem+json.
        let r = village.act(case, json!({"step": "fly"})).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(detail(&r).contains("请求内容不符合要求"), "{}", detail(&r));
        let r = village
            .act(case2, json!({"step": "verify", "housing": "安全"}))
            .await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(
            detail(&r).contains("members（共同生活人数）") && detail(&r).contains("labour"),
            "{}",
            detail(&r)
        );
        let r = village.get("/api/v1/cases/abc").await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");

        // The to-do lists: the village's desk holds the publicity, not the township's.
        let p = village.get("/api/v1/pending").await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        let mine: Vec<&Value> = p
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["case_id"] == case)
            .collect();
        assert_eq!(mine.len(), 1, "{}", p.body);
        assert_eq!(mine[0]["task"], "公示期满");
        assert_eq!(mine[0]["levels"], json!(["村级"]));
        let p = township.get("/api/v1/pending").await;
        assert!(!ids(&p.body, "case_id").contains(&case), "{}", p.body);
        // The other household's case waits for the county's comparison.
        let p = operator.get("/api/v1/pending").await;
        assert_eq!(ids(&p.body, "case_id"), vec![case2], "{}", p.body);

        // The lead list now holds converted leads only.
        assert_eq!(village.get("/api/v1/leads").await.body["total"], 0);
        let all = village.get("/api/v1/leads?status=全部").await;
        assert_eq!(all.body["total"], 2);
        assert_eq!(all.body["items"][0]["status"], "已转入识别");
    }
}

#[tokio::test]
async fn the_county_approver_decides_and_assistance_follows() {
    for s in servers().await {
        let db = s.t.name;
        let village = s.as_role(Role::Village, true).await;
        let township = s.as_role(Role::Township, true).await;
        let operator = s.as_role(Role::CountyOperator, true).await;
        let approver = s.as_role(Role::CountyApprover, true).await;
        let away_village = s.as_role(Role::Village, false).await;

        // A case begun a month ago: the lead and the case are dated back, as publicity
        // must run five days before it may close.
        let d0 = today() - Days::new(30);
        let d = |n: u64| d0 + Days::new(n);
        let lead = lead_from_visit(&village, "H1", "因意外事故").await;
        let n =
            s.t.execute_raw(&format!(
                "UPDATE leads SET created_at = '{d0}T08:00:00+00:00', suggested_category = 1 \
                 WHERE id = {lead}"
            ))
            .await;
        assert_eq!(n, 1);
        let case = service::cases::open_case(
            &s.t.store,
            lead,
            &domain::case::Actor::new(domain::case::Level::Village, "村级甲"),
            d0,
        )
        .await
        .unwrap();

        assert_ok(&village.act(case, verify(d(0))).await, "入户核实");
        // The consent with its scan, as a form upload; an empty file is refused.
        let upload = |data: Vec<u8>| {
            let form = reqwest::multipart::Form::new()
                .text("on", d(0).to_string())
                .text("signed_by", "张大山")
                .text("queries", "收入、存款、房产、车辆")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(data).file_name("承诺授权书.pdf"),
                );
            village.send(
                village
                    .http
                    .post(format!("{}/api/v1/cases/{case}/consent", village.base))
                    .multipart(form),
            )
        };
        let r = upload(Vec::new()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = upload(b"%PDF-1.4 signed".to_vec()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let doc = village.get(&format!("/api/v1/cases/{case}")).await.body;
        let scan = &doc["identification_steps"]["consent"]["attachment"];
        assert_eq!(scan["name"], "承诺授权书.pdf", "{doc}");
        assert_eq!(scan["size"], 15);
        assert_eq!(scan["sha256"].as_str().unwrap().len(), 64);
        let compare = json!({"step": "compare", "on": d(1), "findings": "无异常"});
        assert_ok(&operator.act(case, compare).await, "民主评议");
        assert_ok(&village.act(case, review(d(2))).await, "村级公示");
        assert_ok(
            &village
                .act(case, json!({"step": "publicity", "on": d(2)}))
                .await,
            "村级公示",
        );
        assert_ok(
            &village
                .act(case, json!({"step": "close_publicity", "on": d(7)}))
                .await,
            "乡镇初审",
        );
        // The township's desk now holds it; the village's does not.
        let p = township.get("/api/v1/pending").await;
        assert_eq!(ids(&p.body, "case_id"), vec![case], "{db}: {}", p.body);
        assert_eq!(p.body[0]["task"], "乡镇初审");
        assert!(
            village
                .get("/api/v1/pending")
                .await
                .body
                .as_array()
                .unwrap()
                .is_empty()
        );
        let r = village
            .act(case, json!({"step": "township", "on": d(8)}))
            .await;
        assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
        assert_ok(
            &township
                .act(
                    case,
                    json!({"step": "township", "on": d(8), "note": "同意"}),
                )
                .await,
            "县级审定",
        );

        // The county's decision: on the approver's desk, refused to the county clerk.
        let p = approver.get("/api/v1/pending").await;
        assert_eq!(ids(&p.body, "case_id"), vec![case], "{}", p.body);
        assert_eq!(p.body[0]["task"], "县级审定纳入");
        let approve = |category: &str| {
            json!({"step": "approve", "on": d(9), "category": category,
                   "risks": ["因意外事故"], "per_capita": "5500", "line": 8700})
        };
        let r = operator.act(case, approve("脱贫不稳定户")).await;
        assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
        assert!(detail(&r).contains("县级审定"), "{}", detail(&r));
        let r = village.act(case, approve("脱贫不稳定户")).await;
        assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
        // The category must fit a 脱贫户 within the line: refused, nothing changes.
        let before = approver.get(&format!("/api/v1/cases/{case}")).await.body;
        let r = approver.act(case, approve("边缘易致贫户")).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(detail(&r).contains("应为“脱贫不稳定户”"), "{}", detail(&r));
        let r = approver
            .act(
                case,
                json!({"step": "approve", "category": "不存在", "line": "x"}),
            )
            .await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(detail(&r).contains("监测对象类别"), "{}", detail(&r));
        assert!(detail(&r).contains("风险类型"), "{}", detail(&r));
        assert!(detail(&r).contains("金额“x”无效"), "{}", detail(&r));
        assert_eq!(
            approver.get(&format!("/api/v1/cases/{case}")).await.body,
            before
        );
        let r = approver.act(case, approve("脱贫不稳定户")).await;
        assert_ok(&r, "已纳入监测");
        assert_eq!(r.body["event"]["actor"], "县级审定甲");
        let doc = village.get(&format!("/api/v1/cases/{case}")).await.body;
        assert_eq!(doc["identification"]["category"], "脱贫不稳定户");
        assert_eq!(doc["identification"]["per_capita"], "5500");
        assert_eq!(doc["identification"]["line"], "8700");
        assert_eq!(
            doc["identification_steps"]["verification"]["per_capita"],
            "5500"
        );
        assert_eq!(doc["history"].as_array().unwrap().len(), 9);
        assert_eq!(doc["awaiting"][0]["step"], "开始帮扶");

        // Measures and the plan.
        let plan = village.get(&format!("/api/v1/cases/{case}/plan")).await;
        assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
        assert_eq!(plan.body["uncovered"], json!(["因意外事故"]));
        assert_eq!(plan.body["complete"], false);
        let bad = village
            .post(
                &format!("/api/v1/cases/{case}/measures"),
                json!({"type": "不存在", "risks": ["因意外事故"], "provider": "县医保局",
                       "start": d(9), "amount": "1.234"}),
            )
            .await;
        assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(detail(&bad).contains("措施类型"), "{}", detail(&bad));
        let m = village
            .post(
                &format!("/api/v1/cases/{case}/measures"),
                json!({"type": "三重保障", "risks": ["因意外事故"], "provider": "县医保局",
                       "start": d(9), "amount": 3200.5}),
            )
            .await;
        assert_eq!(m.status, StatusCode::CREATED, "{db}: {}", m.body);
        assert_eq!(m.body["group"], "健康帮扶");
        assert_eq!(m.body["status"], "实施中");
        assert_eq!(m.body["amount"], "3200.50");
        let list = village.get(&format!("/api/v1/cases/{case}/measures")).await;
        assert_eq!(ids(&list.body, "id"), vec![m.body["id"].as_i64().unwrap()]);
        let doc = village.get(&format!("/api/v1/cases/{case}")).await.body;
        assert_eq!(doc["assistance_started_on"], json!(d(9)));
        let plan = village.get(&format!("/api/v1/cases/{case}/plan")).await;
        assert_eq!(plan.body["uncovered"], json!([]));
        assert!(
            plan.body["required"][0]
                .as_str()
                .unwrap()
                .contains("开发式帮扶"),
            "{}",
            plan.body
        );

        // The helper, answered and shown with the phone masked.
        let r = away_village
            .call(
                Method::PUT,
                &format!("/api/v1/cases/{case}/helper"),
                Some(json!({"name": "王帮扶", "unit": "县人社局 干部", "phone": "13800001234"})),
            )
            .await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
        let r = village
            .call(
                Method::PUT,
                &format!("/api/v1/cases/{case}/helper"),
                Some(json!({"name": "王帮扶", "unit": "县人社局 干部", "phone": "13800001234"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["phone"], "138****1234");
        let doc = village.get(&format!("/api/v1/cases/{case}")).await;
        assert_eq!(doc.body["helpers"][0]["name"], "王帮扶");
        assert_eq!(doc.body["helpers"][0]["phone"], "138****1234");
        assert!(!doc.body.to_string().contains("13800001234"));
        let list = village.get("/api/v1/cases").await;
        assert_eq!(list.body["items"][0]["helper"], "王帮扶");
        let p = village
            .get("/api/v1/pending?helper=王帮扶&within=366")
            .await;
        assert_eq!(ids(&p.body, "case_id"), vec![case], "{}", p.body);
        assert_eq!(p.body[0]["task"], "帮扶走访");

        // A visit to the monitored household is a follow-up visit of its case.
        let v = village
            .post(
                "/api/v1/visits",
                json!({"household_no": "H1", "findings": "务工稳定，收入核实", "income": "9600"}),
            )
            .await;
        assert_eq!(v.status, StatusCode::CREATED, "{}", v.body);
        assert_eq!(v.body["kind"], "帮扶走访");
        assert_eq!(v.body["case_id"], case);
        let doc = village.get(&format!("/api/v1/cases/{case}")).await.body;
        assert_eq!(doc["visits"][0]["income"], "9600");
        assert_eq!(doc["visits"][0]["visitor"], "村级甲");
        assert!(doc["next_visit_due"].is_string(), "{doc}");

        // The elimination conditions: not yet six months.
        let c = village
            .get(&format!("/api/v1/cases/{case}/elimination-check"))
            .await;
        assert_eq!(c.status, StatusCode::OK, "{}", c.body);
        assert_eq!(c.body["eligible"], false);
        let conditions = c.body["conditions"].as_array().unwrap();
        assert_eq!(conditions.len(), 6);
        let long_enough = conditions
            .iter()
            .find(|c| c["code"] == "MONITORED_LONG_ENOUGH")
            .unwrap();
        assert_eq!(long_enough["met"], false);

        // The notice: HTML with the head's name, and no ID number or phone.
        let notice = json!({"kind": "识别公示", "cases": [case], "from": d(2), "to": d(7),
            "office": "高山村村民委员会", "office_phone": "0851-2612345",
            "issuer": "高山村村民委员会"});
        let r = away_village.post("/api/v1/notices", notice.clone()).await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
        let r = village.post("/api/v1/notices", notice.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{:?}",
            r.headers
        );
        let html = r.body.as_str().unwrap();
        assert!(html.contains("张大山") && html.contains("识别"), "{html}");
        for secret in [
            id(520322, 11, Sex::Male),
            id(520322, 22, Sex::Female),
            "13812345678".to_owned(),
            "13800001234".to_owned(),
        ] {
            assert!(!html.contains(&secret), "{db}: the notice shows {secret}");
        }
        let mut mobile = notice.clone();
        mobile["office_phone"] = json!("13900001111");
        let r = village.post("/api/v1/notices", mobile).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let mut short = notice;
        short["to"] = json!(d(3));
        let r = village.post("/api/v1/notices", short).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_case_endpoints() {
    let s = servers().await.remove(0);
    let doc = s.anonymous().get("/api/openapi.json").await.body;
    let paths = &doc["paths"];
    for (path, method) in [
        ("/api/v1/leads", "get"),
        ("/api/v1/leads/{id}/dismiss", "post"),
        ("/api/v1/leads/{id}/case", "post"),
        ("/api/v1/cases", "get"),
        ("/api/v1/cases/{id}", "get"),
        ("/api/v1/cases/{id}/actions", "post"),
        ("/api/v1/cases/{id}/consent", "post"),
        ("/api/v1/cases/actions", "post"),
        ("/api/v1/pending", "get"),
        ("/api/v1/cases/{id}/measures", "get"),
        ("/api/v1/cases/{id}/measures", "post"),
        ("/api/v1/cases/{id}/plan", "get"),
        ("/api/v1/cases/{id}/elimination-check", "get"),
        ("/api/v1/cases/{id}/helper", "put"),
        ("/api/v1/visits", "post"),
        ("/api/v1/notices", "post"),
    ] {
        let op = &paths[path][method];
        assert!(op.is_object(), "{method} {path} missing");
        assert!(op["tags"][0].is_string(), "{method} {path} has no tag");
    }
    let steps = doc["components"]["schemas"]["StepRequest"].to_string();
    for step in [
        "verify",
        "close_publicity",
        "approve_elimination",
        "rollback",
    ] {
        assert!(steps.contains(step), "{step} missing from StepRequest");
    }
}

#[tokio::test]
async fn city_and_province_supervisors_see_no_health_details() {
    for s in servers().await {
        let village = s.as_role(Role::Village, true).await;
        let lead = lead_from_visit(&village, "H1", "因病").await;
        let case = open(&village, lead).await;
        assert_ok(&village.act(case, verify(today())).await, "入户核实");
        let withheld = "（涉及个人健康等敏感信息，仅办理人员可见）";
        // The village clerk and the county see what was written.
        for role in [Role::Village, Role::CountyApprover, Role::CountyAdmin] {
            let c = s.as_role(role, true).await;
            let v = c.get(&format!("/api/v1/cases/{case}")).await;
            assert_eq!(v.status, StatusCode::OK, "{role}: {}", v.body);
            assert_eq!(
                v.body["identification_steps"]["verification"]["note"],
                "务工受伤"
            );
            let h = c.get("/api/v1/households/H1").await;
            assert_eq!(h.body["members"][0]["health_withheld"], false, "{role}");
        }
        // Supervisors see the procedure, not what was written about the family's health.
        for role in [Role::CityViewer, Role::ProvinceViewer] {
            let c = s.as_role(role, true).await;
            let v = c.get(&format!("/api/v1/cases/{case}")).await;
            assert_eq!(v.status, StatusCode::OK, "{role}: {}", v.body);
            assert_eq!(v.body["state"], "入户核实");
            assert_eq!(
                v.body["identification_steps"]["verification"]["note"], withheld,
                "{role} {}",
                s.t.name
            );
            let text = v.body.to_string();
            assert!(!text.contains("务工受伤"), "{role}: {text}");
            let h = c.get("/api/v1/households/H1").await;
            assert_eq!(h.status, StatusCode::OK);
            for m in h.body["members"].as_array().unwrap() {
                assert_eq!(m["health_withheld"], true, "{role}");
                assert!(m["health"].is_null() && m["disability_grade"].is_null());
            }
        }
    }
}
