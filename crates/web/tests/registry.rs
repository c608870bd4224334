//! The registry and data endpoints through the real router over HTTP, on each test
//! database: search and the household page show ID numbers and phones masked, a reveal is
//! audited, every caller stays inside its region (404 outside it), roles without the right
//! get 403, an import is all or nothing and limited to the caller's region, a department
//! liaison sees its own feed only, and policy, screening, quality and counts are scoped.

mod common;

use common::*;
use domain::Sex;
use domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use store::audit::AuditFilter;

/// The full values of the fixture that no list or page may show.
fn secrets() -> Vec<String> {
    vec![
        id(520322, 11, Sex::Male),
        id(520322, 22, Sex::Female),
        id(520322, 33, Sex::Male),
        id(520323, 44, Sex::Male),
        "13812345678".to_owned(),
        "13987654321".to_owned(),
    ]
}

fn assert_no_secrets(body: &Value, what: &str) {
    let text = body.to_string();
    for s in secrets() {
        assert!(!text.contains(&s), "{what} shows a full value: {text}");
    }
}

fn numbers(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {body}"))
        .iter()
        .map(|i| i["household_no"].as_str().unwrap().to_owned())
        .collect()
}

/// Households the client's region holds.
async fn count(c: &common::Client) -> u64 {
    let r = c.get("/api/v1/households").await;
    r.body["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("{}", r.body))
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test]
async fn search_finds_by_number_name_and_id_number_and_shows_them_masked() {
    for s in servers().await {
        let db = s.t.name;
        let c = s.as_role(Role::Village, true).await;
        let all = c.get("/api/v1/households").await;
        assert_eq!(all.status, StatusCode::OK, "{db}: {}", all.body);
        assert_eq!(numbers(&all.body), ["H1", "H2"], "{db}");
        assert_eq!(all.body["total"], 2);
        assert_eq!(all.body["total_capped"], false);
        let h1 = &all.body["items"][0];
        assert_eq!(h1["head_name"], "张大山");
        assert_eq!(h1["size"], 2);
        assert_eq!(h1["household_type"], "脱贫户");
        assert_eq!(h1["village"]["code"], HOME_VILLAGE);
        assert_eq!(h1["phone_masked"], "138****5678");
        let head_id = id(520322, 11, Sex::Male);
        assert_eq!(
            h1["head_id_masked"],
            format!("520322********{}", &head_id[14..])
        );
        assert_no_secrets(&all.body, "the list");

        let q = |q: &str| format!("/api/v1/households?q={}", enc(q));
        for (query, expected) in [
            ("H1", vec!["H1"]),
            ("H", vec!["H1", "H2"]),
            ("张大山", vec!["H1"]),
            ("张大", vec!["H1"]),
            // A member who is not the 户主 finds the household too.
            ("李秀英", vec!["H1"]),
            // One character: exactly that name, not every 王.
            ("王", vec![]),
            ("王建国", vec!["H2"]),
            ("赵远方", vec![]),
            ("A1", vec![]),
        ] {
            let r = c.get(&q(query)).await;
            assert_eq!(r.status, StatusCode::OK, "{db} {query}: {}", r.body);
            assert_eq!(numbers(&r.body), expected, "{db}: q={query}");
            assert_no_secrets(&r.body, "a search");
        }
        // By full ID number, through the keyed hash; a lower-case x or full-width digits
        // are the same number.
        let wife = id(520322, 22, Sex::Female);
        let r = c.get(&q(&wife)).await;
        assert_eq!(numbers(&r.body), ["H1"], "{db}: {}", r.body);
        assert_no_secrets(&r.body, "a search by ID number");
        // The same search in a body.
        let r = c
            .post(
                "/api/v1/households/search",
                json!({"q": wife, "per_page": 5}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(numbers(&r.body), ["H1"]);

        // Paged and sorted.
        let p2 = c.get("/api/v1/households?per_page=1&page=2").await;
        assert_eq!(numbers(&p2.body), ["H2"]);
        assert_eq!(p2.body["total"], 2);
        let by_village = c.get("/api/v1/households?sort=village").await;
        assert_eq!(numbers(&by_village.body), ["H1", "H2"]);
        let bad = c.get("/api/v1/households?sort=age").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.headers["content-type"], "application/problem+json");
        let deep = c.get("/api/v1/households?page=2000&per_page=100").await;
        assert_eq!(
            deep.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            deep.body
        );

        // The county sees its own county only, and may narrow to a village.
        let county = s.as_role(Role::CountyOperator, true).await;
        let r = county
            .get(&format!("/api/v1/households?village={HOME_VILLAGE}"))
            .await;
        assert_eq!(numbers(&r.body), ["H1", "H2"]);
        let r = county.get("/api/v1/households").await;
        assert_eq!(numbers(&r.body), ["H1", "H2"], "{db}");

        // Another county's caller: nothing of H1, and the home village does not exist.
        let away = s.as_role(Role::Village, false).await;
        assert_eq!(
            numbers(&away.get(&q("H1")).await.body),
            Vec::<String>::new()
        );
        assert_eq!(
            numbers(&away.get(&q(&wife)).await.body),
            Vec::<String>::new()
        );
        assert_eq!(numbers(&away.get("/api/v1/households").await.body), ["A1"]);
        let r = away
            .get(&format!("/api/v1/households?village={HOME_VILLAGE}"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = away
            .get(&format!("/api/v1/households?region={HOME_COUNTY}"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body["code"], "not_found");

        // A department liaison reads no registry.
        let liaison = s.as_role(Role::Department, true).await;
        let r = liaison.get("/api/v1/households").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.body["code"], "forbidden");
    }
}

#[tokio::test]
async fn the_household_page_is_masked_and_a_reveal_is_audited() {
    for s in servers().await {
        let db = s.t.name;
        let c = s.as_role(Role::Village, true).await;
        let h = c.get("/api/v1/households/H1").await;
        assert_eq!(h.status, StatusCode::OK, "{db}: {}", h.body);
        assert_eq!(h.body["household_no"], "H1");
        assert_eq!(h.body["phone_masked"], "138****5678");
        assert_eq!(h.body["exit_year"], 2018);
        let members = h.body["members"].as_array().unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0]["relation"], "户主");
        assert_eq!(members[0]["name"], "张大山");
        assert_eq!(members[0]["birth_year"], 1975);
        assert_eq!(members[0]["sex"], "男");
        assert_eq!(members[1]["relation"], "配偶");
        let income = &h.body["incomes"][0];
        assert_eq!(income["year"], 2025);
        assert_eq!(income["net"], "22000");
        assert_eq!(income["per_capita_net"], "11000");
        assert_eq!(h.body["cases"], json!([]));
        assert_no_secrets(&h.body, "the household page");

        // Outside the caller's region, and unknown: the same 404.
        let away = s.as_role(Role::CountyOperator, false).await;
        let r = away.get("/api/v1/households/H1").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body["code"], "not_found");
        assert_eq!(
            c.get("/api/v1/households/NOPE").await.status,
            StatusCode::NOT_FOUND
        );

        // The full ID number: for those who serve the household, audited.
        let wife = members[1]["id"].as_i64().unwrap();
        let path = format!("/api/v1/members/{wife}/reveal");
        let r = c.post(&path, json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert_eq!(r.body["id_number"], id(520322, 22, Sex::Female));
        assert_eq!(r.body["name"], "李秀英");
        let rows =
            s.t.store
                .audit_log(&AuditFilter {
                    entity: Some("member".into()),
                    entity_id: Some(wife.to_string()),
                    ..AuditFilter::default()
                })
                .await
                .unwrap();
        assert_eq!(rows.len(), 1, "{db}: one audit row per reveal");
        assert_eq!(rows[0].action, "personal.reveal");
        assert_eq!(rows[0].actor, username(Role::Village, true));
        assert_eq!(rows[0].role, "村级");
        let logged = format!("{:?}", rows[0]);
        assert!(!logged.contains(&id(520322, 22, Sex::Female)), "{logged}");
        assert!(logged.contains("H1"), "{logged}");

        // Supervisors read but never reveal; other counties do not find the member.
        let city = s.as_role(Role::CityViewer, true).await;
        assert_eq!(
            city.get("/api/v1/households/H1").await.status,
            StatusCode::OK
        );
        let r = city.post(&path, json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = away.post(&path, json!({})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(
            c.post("/api/v1/members/999999/reveal", json!({}))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            c.post("/api/v1/members/abc/reveal", json!({})).await.status,
            StatusCode::NOT_FOUND
        );
        // Refused reveals leave no row.
        let rows =
            s.t.store
                .audit_log(&AuditFilter {
                    action: Some("personal.reveal".into()),
                    ..AuditFilter::default()
                })
                .await
                .unwrap();
        assert_eq!(rows.len(), 1, "{db}");

        // The phone, likewise.
        let r = c
            .post("/api/v1/households/H1/phone/reveal", json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["phone"], "13812345678");
        let r = c
            .post("/api/v1/households/H2/phone/reveal", json!({}))
            .await;
        assert_eq!(r.body["phone"], Value::Null);
        let r = away
            .post("/api/v1/households/H1/phone/reveal", json!({}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let rows =
            s.t.store
                .audit_log(&AuditFilter {
                    entity: Some("household".into()),
                    entity_id: Some("H1".into()),
                    action: Some("personal.reveal".into()),
                    ..AuditFilter::default()
                })
                .await
                .unwrap();
        assert_eq!(rows.len(), 1);
        assert!(!format!("{:?}", rows[0]).contains("13812345678"));

        // A reveal without the CSRF token is refused before anything is read.
        let no_csrf = common::Client { csrf: None, ..c };
        assert_eq!(
            no_csrf.post(&path, json!({})).await.status,
            StatusCode::FORBIDDEN
        );
    }
}

const HOUSEHOLDS_HEAD: &str = "户编号,村代码,户类型,脱贫年度,住房安全,饮水安全,联系电话\n";
const OTHER_VILLAGE: &str = "520322101002";

#[tokio::test]
async fn an_import_is_all_or_nothing_and_stays_in_the_callers_region() {
    for s in servers().await {
        let db = s.t.name;
        let village = s.as_role(Role::Village, true).await;
        assert_eq!(count(&village).await, 2);

        // A bad row: every problem by row and column, nothing written.
        let bad = format!(
            "{HOUSEHOLDS_HEAD}H3,{HOME_VILLAGE},一般农户,,安全,安全,13800001111\n\
             H4,{HOME_VILLAGE},富裕户,,安全,安全,\n"
        );
        let r = upload(
            &village,
            "/api/v1/imports/households",
            "户信息.csv",
            bad.as_bytes(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{db}: {}",
            r.body
        );
        assert_eq!(r.headers["content-type"], "application/problem+json");
        assert_eq!(r.body["code"], "invalid_file");
        let problems = r.body["problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{}", r.body);
        assert_eq!(problems[0]["row"], 3);
        assert_eq!(problems[0]["column"], "户类型");
        assert_eq!(problems[0]["column_letter"], "C");
        assert_eq!(count(&village).await, 2, "nothing imported");

        // Another village of the same township: not the village account's.
        let other = format!("{HOUSEHOLDS_HEAD}H3,{OTHER_VILLAGE},一般农户,,安全,安全,\n");
        let r = upload(
            &village,
            "/api/v1/imports/households",
            "h.csv",
            other.as_bytes(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{db}: {}",
            r.body
        );
        let p = &r.body["problems"][0];
        assert_eq!(p["column"], "村代码");
        assert!(
            p["message"]
                .as_str()
                .unwrap()
                .contains("不在您的管辖范围内"),
            "{}",
            r.body
        );
        // Nor may it take over a household of another county by its number.
        let takeover = format!("{HOUSEHOLDS_HEAD}A1,{HOME_VILLAGE},一般农户,,安全,安全,\n");
        let r = upload(
            &village,
            "/api/v1/imports/households",
            "h.csv",
            takeover.as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["problems"][0]["column"], "户编号");
        // Members of a household elsewhere are as unknown as unregistered ones.
        let members = format!(
            "户编号,姓名,证件号码,与户主关系,劳动技能\nA1,钱多多,{},户主,普通劳动力\n",
            id(520322, 55, Sex::Male)
        );
        let r = upload(
            &village,
            "/api/v1/imports/members",
            "m.csv",
            members.as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let msg = r.body["problems"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(msg.contains("尚未登记或不在您的管辖范围内"), "{msg}");
        assert_no_secrets(&r.body, "a rejected file");
        let incomes = "户编号,年度,工资性收入,生产经营性收入,生产经营性支出,财产性收入,转移性收入\n\
                       A1,2025,1,0,0,0,0\n";
        let r = upload(
            &village,
            "/api/v1/imports/incomes",
            "i.csv",
            incomes.as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

        // The township holds both villages: the same file imports.
        let township = s.as_role(Role::Township, true).await;
        let r = upload(
            &township,
            "/api/v1/imports/households",
            "户信息.csv",
            other.as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert_eq!(r.body["inserted"], 1);
        assert_eq!(r.body["file_name"], "户信息.csv");
        assert_eq!(r.body["kind"], "households");
        assert!(r.body["batch_id"].as_i64().unwrap() > 0);
        assert_eq!(count(&township).await, 3);
        assert_eq!(count(&village).await, 2, "H3 is not the village's");
        // A good file for the village's own households.
        let mine = format!("{HOUSEHOLDS_HEAD}H5,{HOME_VILLAGE},一般农户,,安全,安全,\n");
        let r = upload(
            &village,
            "/api/v1/imports/households",
            "h.csv",
            mine.as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(count(&village).await, 3);

        // Roles without the right, unknown kinds, missing files.
        let city = s.as_role(Role::CityViewer, true).await;
        let r = upload(
            &city,
            "/api/v1/imports/households",
            "h.csv",
            mine.as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = upload(
            &village,
            "/api/v1/imports/regions",
            "h.csv",
            mine.as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // A file that is not a spreadsheet: one problem, naming the file as uploaded.
        let r = upload(
            &village,
            "/api/v1/imports/households",
            "户信息.pdf",
            b"%PDF",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["code"], "invalid_file");
        let msg = r.body["problems"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            msg.contains("户信息.pdf") && !msg.contains("fangpin-upload"),
            "{msg}"
        );
        let r = village.post("/api/v1/imports/households", json!({})).await;
        assert!(r.status.is_client_error(), "{}", r.body);
    }
}

#[tokio::test]
async fn a_hostile_workbook_is_one_problem_at_its_cell_and_the_server_keeps_serving() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tabular/tests/hostile");
    for s in servers().await {
        let village = s.as_role(Role::Village, true).await;
        // Once: an allocation of hundreds of gigabytes that killed the server.
        let bytes = std::fs::read(corpus.join("cell-xfd1048576.xlsx")).unwrap();
        let r = upload(
            &village,
            "/api/v1/imports/households",
            "户信息.xlsx",
            &bytes,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.headers["content-type"], "application/problem+json");
        let p = &r.body["problems"][0];
        assert_eq!(p["row"], 1_048_576, "{}", r.body);
        assert_eq!(p["column_letter"], "XFD", "{}", r.body);
        assert!(
            p["message"].as_str().unwrap().contains("最多列数"),
            "{}",
            r.body
        );
        let bytes = std::fs::read(corpus.join("sst-uniquecount-huge.xlsx")).unwrap();
        let r = upload(
            &village,
            "/api/v1/imports/households",
            "户信息.xlsx",
            &bytes,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let message = r.body["problems"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("超出导入限制") && message.contains("户信息.xlsx"),
            "{message}"
        );
        assert!(!message.contains("fangpin-upload"), "{message}");
        // Still serving, and nothing was written.
        assert_eq!(count(&village).await, 2);
    }
}

fn medical_csv() -> String {
    format!(
        "证件号码,姓名,结算日期,医疗总费用,基本医保支付,大病保险支付,医疗救助支付,个人自付,就诊类型\n\
         {zhang},张大山,2025-03-02,90000,20000,10000,0,60000,住院\n\
         {wang},王建国,2025-05-05,300,200,0,0,,门诊\n",
        zhang = id(520322, 11, Sex::Male),
        wang = id(520322, 33, Sex::Male),
    )
}

fn disability_csv() -> String {
    format!(
        "证件号码,姓名,残疾类别,残疾等级,发证日期\n{},李秀英,肢体残疾,二级,2025-06-01\n",
        id(520322, 22, Sex::Female)
    )
}

#[tokio::test]
async fn a_liaison_uploads_and_follows_its_own_department_only() {
    for s in servers().await {
        let db = s.t.name;
        let liaison = s.as_role(Role::Department, true).await;
        let r = upload(
            &liaison,
            "/api/v1/feeds/medical",
            "医保.csv",
            medical_csv().as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert_eq!(r.body["outcome"], "已导入");
        assert_eq!(r.body["stored"], 2);
        assert_eq!(r.body["feed"], "医保结算");
        let medical = r.body["batch_id"].as_i64().unwrap();
        assert_no_secrets(&r.body, "a feed import");
        // The same file again: nothing new.
        let r = upload(
            &liaison,
            "/api/v1/feeds/medical",
            "医保.csv",
            medical_csv().as_bytes(),
        )
        .await;
        assert_eq!(r.body["outcome"], "无新记录", "{}", r.body);
        assert_eq!(r.body["duplicates"], 2);

        // Another department's feed: refused to the liaison, taken from the county.
        let r = upload(
            &liaison,
            "/api/v1/feeds/disability",
            "残联.csv",
            disability_csv().as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let county = s.as_role(Role::CountyOperator, true).await;
        let r = upload(
            &county,
            "/api/v1/feeds/disability",
            "残联.csv",
            disability_csv().as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let disability = r.body["batch_id"].as_i64().unwrap();
        let r = upload(&county, "/api/v1/feeds/nonsense", "x.csv", b"x").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let bad = "证件号码,姓名,结算日期,医疗总费用\n123,某,2025-01-01,1\n";
        let r = upload(&liaison, "/api/v1/feeds/medical", "bad.csv", bad.as_bytes()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["code"], "invalid_file");

        // Batches: the liaison's department only.
        let ids = |v: &Value| -> Vec<i64> {
            v.as_array()
                .unwrap_or_else(|| panic!("{v}"))
                .iter()
                .map(|b| b["id"].as_i64().unwrap())
                .collect()
        };
        let r = liaison.get("/api/v1/feeds").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(ids(&r.body), [medical], "{db}");
        assert_eq!(r.body[0]["department"], "医保");
        let r = liaison.get("/api/v1/feeds?feed=disability").await;
        assert_eq!(ids(&r.body), Vec::<i64>::new());
        let r = county.get("/api/v1/feeds").await;
        assert_eq!(ids(&r.body), [disability, medical]);
        let r = county.get("/api/v1/feeds?feed=残疾人证").await;
        assert_eq!(ids(&r.body), [disability]);
        let village = s.as_role(Role::Village, true).await;
        assert_eq!(
            village.get("/api/v1/feeds").await.status,
            StatusCode::FORBIDDEN
        );

        // What became of the batch: counts, after a screening has read it.
        let r = county
            .post("/api/v1/screening/runs", json!({"as_of": "2025-12-31"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        let r = liaison
            .get(&format!("/api/v1/feeds/{medical}/outcome"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        let o = &r.body;
        assert_eq!(o["households"], 2, "{o}");
        assert_eq!(o["rules"], json!(["医疗负担较重"]));
        // 张大山's 60,000 out of pocket raised one 医疗负担较重 warning, now an open lead.
        assert_eq!(o["warned_households"], 1, "{db}: {o}");
        assert_eq!(o["warnings"], 1, "{o}");
        assert_eq!(o["leads_open"], 1, "{o}");
        assert_eq!(o["leads_dismissed"], 0, "{o}");
        assert_eq!(o["cases"], json!([]), "{o}");
        assert_no_secrets(o, "a feed outcome");
        assert!(!o.to_string().contains("H1"), "no households named: {o}");
        // Another department's batch does not exist for the liaison.
        let r = liaison
            .get(&format!("/api/v1/feeds/{disability}/outcome"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = county
            .get(&format!("/api/v1/feeds/{disability}/outcome"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        // Another county's operator neither sees this county's batches nor adds records to
        // its households: a row about a person registered here is unmatched there.
        let away = s.as_role(Role::CountyOperator, false).await;
        let r = away.get(&format!("/api/v1/feeds/{medical}/outcome")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(
            ids(&away.get("/api/v1/feeds").await.body),
            Vec::<i64>::new()
        );
        let r = upload(
            &away,
            "/api/v1/feeds/disability",
            "残联.csv",
            disability_csv().as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["outcome"], "无新记录", "{}", r.body);
        assert_eq!(r.body["unmatched"], 1);
    }
}

#[tokio::test]
async fn policy_screening_quality_and_counts_are_scoped() {
    for s in servers().await {
        let db = s.t.name;
        let village = s.as_role(Role::Village, true).await;
        let r = village.get("/api/v1/policy").await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert_eq!(r.body["version"], Value::Null, "the built-in default");
        let source = r.body["source"].as_str().unwrap().to_owned();

        // Loading: administrators only, and only one whose region holds every household
        // (here two counties share the database); a broken document changes nothing.
        let r = village
            .post("/api/v1/policy", json!({"source": source}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let county_admin = s.as_role(Role::CountyAdmin, true).await;
        let r = county_admin
            .post("/api/v1/policy", json!({"source": source}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{db}: {}", r.body);
        let admin = s.as_role(Role::SystemAdmin, true).await;
        let r = admin
            .post("/api/v1/policy", json!({"source": "title = 1 [[["}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = admin
            .post("/api/v1/policy", json!({"source": source}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert_eq!(r.body["version"], 1);
        assert_eq!(r.body["stored"], true);
        let r = admin
            .post("/api/v1/policy", json!({"source": source}))
            .await;
        assert_eq!(
            r.body["stored"], false,
            "the same document is not stored twice"
        );
        let r = village.get("/api/v1/policy").await;
        assert_eq!(r.body["version"], 1);
        let r = village.get("/api/v1/policy/history").await;
        assert_eq!(r.body.as_array().unwrap().len(), 1, "{}", r.body);

        // Screening: the caller's county only.
        let op = s.as_role(Role::CountyOperator, true).await;
        let r = village.post("/api/v1/screening/runs", json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = op
            .post(
                "/api/v1/screening/runs",
                json!({"dry_run": true, "as_of": "2025-12-31"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert_eq!(r.body["run_id"], Value::Null);
        assert_eq!(r.body["households"], 2, "{}", r.body);
        let r = op
            .post("/api/v1/screening/runs", json!({"as_of": "2025-12-31"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let run = r.body["run_id"].as_i64().unwrap();
        let r = op
            .post("/api/v1/screening/runs", json!({"region": AWAY_COUNTY}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = village.get("/api/v1/screening/runs").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, json!([]), "a county run is not inside a village");
        let r = op.get("/api/v1/screening/runs").await;
        assert_eq!(r.body[0]["id"], run, "{}", r.body);
        let away = s.as_role(Role::CountyOperator, false).await;
        assert_eq!(away.get("/api/v1/screening/runs").await.body, json!([]));

        // Data quality of the caller's region.
        let r = village.get("/api/v1/quality").await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert_eq!(r.body["households"], 2);
        assert_no_secrets(&r.body, "data quality");
        let r = away.get("/api/v1/quality").await;
        assert_eq!(r.body["households"], 1);
        let r = away
            .get(&format!("/api/v1/quality?region={HOME_VILLAGE}"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // Counts by region.
        let county = s.as_role(Role::CountyOperator, true).await;
        let r = county
            .get(&format!("/api/v1/regions/{HOME_COUNTY}/counts"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert_eq!(r.body["region"]["name"], "桐梓县");
        assert_eq!(r.body["region"]["counts"]["households"], 2);
        assert_eq!(r.body["region"]["counts"]["members"], 3);
        let town = r.body["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == format!("{HOME_TOWNSHIP}000"))
            .unwrap_or_else(|| panic!("{}", r.body));
        assert_eq!(town["counts"]["households"], 2);
        assert_eq!(town["level"], "乡镇");
        let r = village
            .get(&format!("/api/v1/regions/{HOME_VILLAGE}/counts"))
            .await;
        assert_eq!(r.body["region"]["counts"]["households"], 2, "{}", r.body);
        assert_eq!(r.body["children"], json!([]));
        let r = village
            .get(&format!("/api/v1/regions/{HOME_COUNTY}/counts"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "above the village");
        let r = away
            .get(&format!("/api/v1/regions/{HOME_COUNTY}/counts"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let city = s.as_role(Role::CityViewer, true).await;
        let r = city.get("/api/v1/regions/5203/counts").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let counties: Vec<(String, u64)> = r.body["children"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["counts"]["households"].as_u64().unwrap() > 0)
            .map(|c| {
                (
                    c["code"].as_str().unwrap().to_owned(),
                    c["counts"]["households"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            counties,
            [
                (format!("{HOME_COUNTY}000000"), 2),
                (format!("{AWAY_COUNTY}000000"), 1)
            ]
        );
        let liaison = s.as_role(Role::Department, true).await;
        let r = liaison
            .get(&format!("/api/v1/regions/{HOME_COUNTY}/counts"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let s = &servers().await[0];
    let doc = s.anonymous().get("/api/openapi.json").await.body;
    for (path, method) in [
        ("/api/v1/households", "get"),
        ("/api/v1/households/search", "post"),
        ("/api/v1/households/{no}", "get"),
        ("/api/v1/members/{id}/reveal", "post"),
        ("/api/v1/households/{no}/phone/reveal", "post"),
        ("/api/v1/imports/{kind}", "post"),
        ("/api/v1/feeds/{kind}", "post"),
        ("/api/v1/feeds", "get"),
        ("/api/v1/feeds/{id}/outcome", "get"),
        ("/api/v1/policy", "get"),
        ("/api/v1/policy", "post"),
        ("/api/v1/policy/history", "get"),
        ("/api/v1/screening/runs", "post"),
        ("/api/v1/screening/runs", "get"),
        ("/api/v1/quality", "get"),
        ("/api/v1/regions/{code}/counts", "get"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        assert!(op["tags"][0].is_string(), "{method} {path} has no tag");
    }
    let import = &doc["paths"]["/api/v1/imports/{kind}"]["post"];
    assert!(
        import["requestBody"]["content"]["multipart/form-data"].is_object(),
        "{import}"
    );
}

/// 1,100 households B0001…B1100 alternating between two villages of the home township
/// (odd numbers in the other village), each with a 户主 of the same name: more than a
/// search counts, so that every way a search reads is taken.
async fn many_households(s: &TestServer) {
    use service::imports::{ImportOutcome, RegistryKind, import_registry};
    let mut households = String::from(HOUSEHOLDS_HEAD);
    let mut members = String::from("户编号,姓名,证件号码,与户主关系,劳动技能\n");
    let born = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap();
    for i in 1..=1100u32 {
        let village = if i % 2 == 1 {
            OTHER_VILLAGE
        } else {
            HOME_VILLAGE
        };
        households.push_str(&format!("B{i:04},{village},一般农户,,安全,安全,\n"));
        let id = domain::IdNumber::from_parts(
            520322,
            born + chrono::Days::new(u64::from(i)),
            101,
            Sex::Male,
        );
        members.push_str(&format!("B{i:04},同名人,{},户主,普通劳动力\n", id.as_str()));
    }
    for (kind, name, text) in [
        (RegistryKind::Households, "many-h.csv", households),
        (RegistryKind::Members, "many-m.csv", members),
    ] {
        let p = s.t.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        match import_registry(&s.t.store, kind, &p, None, "test", None)
            .await
            .unwrap()
        {
            ImportOutcome::Imported { .. } => {}
            ImportOutcome::Rejected { report } => panic!("{}", report.render_text(5)),
        }
    }
}

fn b(range: impl Iterator<Item = u32>) -> Vec<String> {
    range.map(|i| format!("B{i:04}")).collect()
}

#[tokio::test]
async fn long_results_are_counted_to_a_cap_and_paged_in_order() {
    for s in servers().await {
        let db = s.t.name;
        many_households(&s).await;
        let county = s.as_role(Role::CountyOperator, true).await;
        let township = s.as_role(Role::Township, true).await;
        let village = s.as_role(Role::Village, true).await;
        let city = s.as_role(Role::CityViewer, true).await;
        for (who, c) in [
            ("county", &county),
            ("township", &township),
            ("city", &city),
        ] {
            for q in ["", "&q=B", "&q=%E5%90%8C%E5%90%8D%E4%BA%BA"] {
                let path = format!("/api/v1/households?per_page=100&page=2{q}");
                let r = c.get(&path).await;
                assert_eq!(r.status, StatusCode::OK, "{db} {who} {path}: {}", r.body);
                // The city also sees the other county's A1, first in number order.
                let a1 = u32::from(who == "city" && q.is_empty());
                assert_eq!(
                    numbers(&r.body),
                    b(101 - a1..=200 - a1),
                    "{db} {who} {path}"
                );
                // Counted up to 1,000 — but a name's namesakes are counted exactly, as the
                // database sorts them all anyway.
                let name = q.contains('%');
                let total = if name { 1100 } else { 1000 };
                assert_eq!(r.body["total"], total, "{db} {who} {path}");
                assert_eq!(r.body["total_capped"], !name, "{db} {who} {path}");
                // Past the count: the pages are still there.
                let path = format!("/api/v1/households?per_page=100&page=11{q}");
                let r = c.get(&path).await;
                assert_eq!(
                    numbers(&r.body),
                    b(1001 - a1..=1100 - a1),
                    "{db} {who} {path}"
                );
                // By village: the home village's (even numbers, then H1, H2) first.
                let path = format!("/api/v1/households?per_page=100&page=6&sort=village{q}");
                let r = c.get(&path).await;
                // 552 (or 550) in the home village, then the other village's.
                let mut expected = b((1002..=1100).step_by(2));
                if q.is_empty() {
                    expected.extend(["H1".to_owned(), "H2".to_owned()]);
                    expected.extend(b((1..=95).step_by(2)));
                } else {
                    expected.extend(b((1..=99).step_by(2)));
                }
                assert_eq!(numbers(&r.body), expected, "{db} {who} {path}");
            }
            // A rare prefix is still read from the index.
            let r = c.get("/api/v1/households?q=B100&sort=village").await;
            let evens = [1000, 1002, 1004, 1006, 1008].into_iter();
            let odds = [1001, 1003, 1005, 1007, 1009].into_iter();
            assert_eq!(numbers(&r.body), b(evens.chain(odds)), "{db} {who}");
        }
        // One village: exact totals.
        let r = village.get("/api/v1/households?q=B&per_page=5").await;
        assert_eq!(r.body["total"], 550, "{db}: {}", r.body);
        assert_eq!(r.body["total_capped"], false);
        assert_eq!(numbers(&r.body), b((2..=10).step_by(2)));
        let r = village.get("/api/v1/households?per_page=5&page=111").await;
        assert_eq!(r.body["total"], 552);
        assert_eq!(numbers(&r.body), ["H1", "H2"], "{db}");
        let r = village
            .get("/api/v1/households?q=%E5%90%8C%E5%90%8D%E4%BA%BA&per_page=3&page=2")
            .await;
        assert_eq!(numbers(&r.body), b([8, 10, 12].into_iter()), "{db}");
        assert_no_secrets(&r.body, "a long list");
    }
}
