//! A feed uploaded in a department's own words (同义词表) through the API: the answer says
//! which words were read as which template values; a word found nowhere is a 422 naming its
//! row and column.

mod common;

use common::*;
use domain::Sex;
use domain::access::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn an_upload_says_which_words_were_read_how() {
    for s in servers().await {
        let db = s.t.name;
        let liaison = s.as_role(Role::Department, true).await;
        let (zhang, wang) = (id(520322, 11, Sex::Male), id(520322, 33, Sex::Male));
        let csv = format!(
            "证件号码,姓名,结算日期,医疗总费用,就诊类型\n\
             {zhang},张大山,2025-03-02,9000,普通住院\n\
             {wang},王建国,2025-05-05,300,门特\n\
             {wang},王建国,2025-06-05,200,门特\n"
        );
        let r = upload(
            &liaison,
            "/api/v1/feeds/medical",
            "医保.csv",
            csv.as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert_eq!(r.body["stored"], 3);
        assert_eq!(
            r.body["mapped"],
            json!([
                {"column": "就诊类型", "from": "门特", "to": "门诊", "rows": 2},
                {"column": "就诊类型", "from": "普通住院", "to": "住院", "rows": 1},
            ]),
            "{db}"
        );
        // A canonical file reads nothing through the table.
        let plain = format!(
            "证件号码,姓名,结算日期,医疗总费用,就诊类型\n{zhang},张大山,2025-08-02,100,门诊\n"
        );
        let r = upload(
            &liaison,
            "/api/v1/feeds/medical",
            "医保2.csv",
            plain.as_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{db}: {}", r.body);
        assert_eq!(r.body["mapped"], json!([]));

        let bad = format!(
            "证件号码,姓名,结算日期,医疗总费用,就诊类型\n\
             {wang},王建国,2025-09-05,300,门特\n\
             {wang},王建国,2025-09-06,300,体检\n"
        );
        let r = upload(
            &liaison,
            "/api/v1/feeds/medical",
            "医保3.csv",
            bad.as_bytes(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{db}: {}",
            r.body
        );
        let p = &r.body["problems"][0];
        assert_eq!(
            (p["row"].as_u64(), p["column_letter"].as_str()),
            (Some(3), Some("E")),
            "{}",
            r.body
        );
        assert!(
            p["message"]
                .as_str()
                .unwrap()
                .ends_with("同义词表中也没有这个词"),
            "{}",
            r.body
        );
    }
}
