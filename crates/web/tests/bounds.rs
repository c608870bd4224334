//! Bounds of the JSON API's free text and figures, through the real router over HTTP on
//! SQLite and (when configured) PostgreSQL: an oversized or control-laden text, an absurd
//! figure or an overlong list is refused with a Chinese problem naming the field, and
//! nothing of it is stored or audited.

mod common;

use common::*;
use domain::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn assert_refused(r: &Reply, needles: &[&str]) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let detail = r.body["detail"].as_str().unwrap_or_default();
    for n in needles {
        assert!(detail.contains(n), "{n} in {detail}");
    }
    // The answer never repeats the refused text.
    assert!(detail.chars().count() < 400, "{} characters", detail.len());
    assert!(!detail.contains('\u{1b}'), "{detail}");
}

/// Rows of the audit chain, and the longest row's JSON.
async fn audit(s: &TestServer) -> (u64, usize) {
    let check = s.t.store.verify_audit().await.unwrap();
    assert!(check.is_ok(), "{:?}", check.first_bad);
    let rows =
        s.t.store
            .audit_log(&store::audit::AuditFilter {
                limit: 1_000,
                ..Default::default()
            })
            .await
            .unwrap();
    let longest = rows
        .iter()
        .map(|r| r.after.as_deref().map_or(0, str::len))
        .max()
        .unwrap_or(0);
    (check.rows, longest)
}

#[tokio::test]
async fn oversized_or_control_laden_input_is_refused_and_nothing_is_kept() {
    let huge = "很".repeat(600_000);
    for s in servers().await {
        let db = s.t.name;
        let village = s.as_role(Role::Village, true).await;
        let county = s.as_role(Role::CountyOperator, true).await;
        let before = audit(&s).await.0;

        // The finding: a 600,000-character visit note was stored and copied into its audit
        // row. Now it is refused, and so is an escape sequence in a note.
        let r = village
            .post(
                "/api/v1/visits",
                json!({"household_no": "H1", "findings": huge, "risks": ["因病"]}),
            )
            .await;
        assert_refused(&r, &["走访情况过长：最多2000个字"]);
        let r = village
            .post(
                "/api/v1/visits",
                json!({"household_no": "H1", "findings": "户主\u{1b}[2J住院", "risks": ["因病"]}),
            )
            .await;
        assert_refused(&r, &["走访情况第3个字是控制字符"]);
        let r = village
            .post(
                "/api/v1/visits",
                json!({"household_no": "H".repeat(1 << 20), "findings": "x", "risks": ["因病"]}),
            )
            .await;
        assert_refused(&r, &["户编号"]);
        let r = village
            .post(
                "/api/v1/visits",
                json!({"household_no": "H1", "findings": "x",
                       "risks": ["因病", "因残", "因学", "因灾", "因意外事故", "其他"]}),
            )
            .await;
        assert_refused(&r, &["风险类型最多5项，现为6项"]);
        assert_eq!(audit(&s).await.0, before, "{db}: nothing audited");

        // A lead and a case to act on.
        let r = village
            .post(
                "/api/v1/visits",
                json!({"household_no": "H1", "findings": "户主住院\r\n花费很大", "risks": ["因病"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{db}: {}", r.body);
        let lead = r.body["lead_id"].as_i64().unwrap();
        let r = village
            .post(
                &format!("/api/v1/leads/{lead}/dismiss"),
                json!({"reason": huge}),
            )
            .await;
        assert_refused(&r, &["不予纳入的理由过长：最多500个字"]);
        let r = village
            .call(Method::POST, &format!("/api/v1/leads/{lead}/case"), None)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{db}: {}", r.body);
        let case = r.body["case_id"].as_i64().unwrap();
        let kept = audit(&s).await.0;

        // The 入户核实表 of the finding: 65,535 members and an income of −99,999,999.
        let act = |body: Value| {
            let c = &village;
            async move { c.post(&format!("/api/v1/cases/{case}/actions"), body).await }
        };
        let r = act(
            json!({"step": "verify", "members": 65_535, "income": "-99999999",
                           "housing": "安全", "water": "安全", "labour": 1}),
        )
        .await;
        assert_refused(
            &r,
            &[
                "入户核实表",
                "共同生活人数65535人超出范围：应在1人至30人之间",
                "近12个月家庭纯收入-99999999元超出范围",
            ],
        );
        let r = act(json!({"step": "verify", "members": 2, "income": 1e300,
                           "housing": "安全", "water": "安全", "labour": 1}))
        .await;
        assert_refused(&r, &["近12个月家庭纯收入"]);
        let r = act(json!({"step": "verify", "members": 2, "income": "11000",
                           "housing": "安全", "water": "安全", "labour": 1, "note": huge}))
        .await;
        assert_refused(&r, &["核实情况过长"]);
        let r = act(
            json!({"step": "consent", "signed_by": "张大山\u{1b}]0;x\u{7}",
                           "queries": "收入"}),
        )
        .await;
        assert_refused(&r, &["签字人第4个字是换行或控制字符"]);
        let r = act(json!({"step": "refuse", "reason": "理由\u{202E}倒序"})).await;
        assert_refused(&r, &["不予通过的理由"]);
        let r = county
            .post(
                &format!("/api/v1/cases/{case}/actions"),
                json!({"step": "compare", "findings": huge}),
            )
            .await;
        assert_refused(&r, &["比对结果过长"]);

        // Lists: a batch of 501 cases is refused before any is looked up.
        let many: Vec<i64> = (1..=501).collect();
        let r = village
            .post(
                "/api/v1/cases/actions",
                json!({"cases": many, "action": {"step": "publicity"}}),
            )
            .await;
        assert_refused(&r, &["案件最多500项，现为501项"]);

        // The cadre responsible and a measure.
        let r = village
            .call(
                Method::PUT,
                &format!("/api/v1/cases/{case}/helper"),
                Some(
                    json!({"name": "王\u{1b}[8m帮扶", "unit": "单位".repeat(200),
                            "phone": "13800001234", "since": "0001-01-01"}),
                ),
            )
            .await;
        assert_refused(
            &r,
            &[
                "帮扶责任人姓名",
                "工作单位及职务过长",
                "结对日期0001-01-01超出范围",
            ],
        );
        let r = village
            .post(
                &format!("/api/v1/cases/{case}/measures"),
                json!({"type": "低保", "risks": ["因病"], "provider": huge,
                       "start": "2025-01-01", "amount": "99999999"}),
            )
            .await;
        assert_refused(&r, &["帮扶金额99999999元超出范围", "责任部门过长"]);

        // A query's figure: how far a to-do list looks ahead.
        let r = village.get("/api/v1/pending?within=4000000000").await;
        assert_refused(&r, &["提前天数"]);

        let (rows, longest) = audit(&s).await;
        assert_eq!(rows, kept, "{db}: no refused input is audited");
        assert!(longest < 20_000, "{db}: an audit row of {longest} bytes");
    }
}
