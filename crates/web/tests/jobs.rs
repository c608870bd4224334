//! 后台任务: an import, a feed or a screening posted to the API is answered 202 with a job,
//! whose progress and answer are read at `/api/v1/jobs/{id}` by the callers of the
//! creator's region only; a job that a stop interrupted is failed at the next start.

mod common;

use common::*;
use domain::access::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn an_import_is_a_job_read_by_its_region_only() {
    for s in servers().await {
        let operator = s.as_role(Role::CountyOperator, true).await;
        let file = format!(
            "户编号,村代码,户类型,脱贫年度,住房安全,饮水安全\nH5,{HOME_VILLAGE},一般农户,,安全,安全\n"
        );
        let part = reqwest::multipart::Part::bytes(file.into_bytes()).file_name("户信息.csv");
        let r = operator
            .send_raw(
                operator
                    .http
                    .post(format!("{}/api/v1/imports/households", operator.base))
                    .multipart(reqwest::multipart::Form::new().part("file", part)),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}: {}", s.t.name, r.body);
        let id = r.body["job_id"].as_str().unwrap().to_owned();
        assert_eq!(id.len(), 32, "an unguessable id");
        assert_eq!(r.headers["location"], format!("/api/v1/jobs/{id}").as_str());
        assert_eq!(r.body["location"], format!("/api/v1/jobs/{id}"));

        let done = operator.follow(&id).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert_eq!(done.body["inserted"], 1);
        let job = operator.get_raw(&format!("/api/v1/jobs/{id}")).await;
        assert_eq!(job.body["state"], "done");
        assert_eq!(job.body["kind"], "import:households");
        assert_eq!(job.body["created_by"], username(Role::CountyOperator, true));
        assert_eq!(
            (job.body["done"].as_i64(), job.body["total"].as_i64()),
            (Some(1), Some(1))
        );
        assert!(job.body["finished_at"].is_string());

        // The region above sees it; a village below and another county do not.
        let province = s.as_role(Role::ProvinceViewer, true).await;
        assert_eq!(
            province.get_raw(&format!("/api/v1/jobs/{id}")).await.status,
            StatusCode::OK
        );
        for (role, home) in [(Role::Village, true), (Role::CountyOperator, false)] {
            let r = s
                .as_role(role, home)
                .await
                .get_raw(&format!("/api/v1/jobs/{id}"))
                .await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{role:?} {home}: {}",
                r.body
            );
        }
        let r = operator
            .get_raw("/api/v1/jobs/0123456789abcdef0123456789abcdef")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // A file with problems: the job fails with the 422 its request would have had.
        let bad = "户编号,村代码,户类型\nH6,999999999999,一般农户\n";
        let r = upload(
            &operator,
            "/api/v1/imports/households",
            "bad.csv",
            bad.as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["code"], "invalid_file");

        // A screening, too; a refusal that needs no work is answered at once.
        let county = s.as_role(Role::CountyOperator, true).await;
        let r = county
            .post(
                "/api/v1/screening/runs",
                json!({"as_of": "2025-12-31", "dry_run": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body["households"].as_u64().unwrap() >= 2);
        let r = county
            .post("/api/v1/screening/runs", json!({"region": AWAY_COUNTY}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    }
}

#[tokio::test]
async fn a_job_interrupted_by_a_stop_is_failed_at_the_next_start() {
    let t = store::testing::sqlite().await;
    let row = store::jobs::JobRow {
        id: "00112233445566778899aabbccddeeff".into(),
        kind: "import:members".into(),
        state: "running".into(),
        stage: "核对并写入".into(),
        done: 0,
        total: 1000,
        status: None,
        result: None,
        created_by: username(Role::CountyOperator, true),
        region: HOME_COUNTY.parse::<i64>().unwrap() * 1_000_000,
        created_at: chrono::Utc::now(),
        started_at: None,
        finished_at: None,
    };
    t.store.start_job(&row).await.unwrap();
    let s = start(t, web::ServerConfig::default()).await;
    let operator = s.as_role(Role::CountyOperator, true).await;
    let r = operator.get_raw(&format!("/api/v1/jobs/{}", row.id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "failed");
    assert_eq!(r.body["status"], 500);
    assert_eq!(r.body["result"]["code"], "interrupted");
    assert!(
        r.body["result"]["detail"]
            .as_str()
            .unwrap()
            .contains("重新提交")
    );
}
