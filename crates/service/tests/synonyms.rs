//! Departments' own words (同义词表) end to end, on SQLite and (when configured) PostgreSQL:
//! a feed file in a department's vocabulary imports as the template's values and says what
//! it read how; a county's table, loaded as a version, takes effect at the next import and
//! is kept with its history; a bad table or an unknown word changes nothing.

mod common;

use common::*;
use domain::feed::Feed;
use domain::screening::RuleId;
use serde_json::Value;
use service::feeds::FeedOutcome;
use service::synonyms::{history, load_synonyms, synonyms_in_effect};
use store::audit::{AuditFilter, AuditRow};
use store::testing::{TestStore, stores};

fn mapped(o: &FeedOutcome) -> Vec<String> {
    match o {
        FeedOutcome::Imported { report, .. } | FeedOutcome::NothingNew { report, .. } => {
            report.mapped.iter().map(ToString::to_string).collect()
        }
        FeedOutcome::Rejected { report } => panic!("{}", report.render_text(20)),
    }
}

async fn audit(t: &TestStore, action: &str) -> Vec<AuditRow> {
    t.store
        .audit_log(&AuditFilter {
            action: Some(action.to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap()
}

fn after(row: &AuditRow) -> Value {
    serde_json::from_str(row.after.as_deref().unwrap()).unwrap()
}

const SCHOOLING_HEAD: &str = "证件号码,姓名,事件,学段,日期\n";
const DISASTER_HEAD: &str = "证件号码,姓名,灾害类型,受灾日期,直接经济损失,房屋受损\n";

#[tokio::test]
async fn a_feed_in_departments_words_imports_as_the_template_values() {
    for t in stores().await {
        seeded(&t).await;
        let (zhang, li) = (pid("张小军"), pid("李秀英"));
        // 应急管理's own words: 冰雹 for 风雹, 暴雨 for 洪涝, 倒塌房屋 for 倒塌.
        let words = format!(
            "{DISASTER_HEAD}\
             {li},李秀英,冰雹,2025-06-01,3000,倒塌房屋\n\
             {zhang},张小军,冰雹,2025-06-01,,\n\
             {li},李秀英,暴雨,2025-07-11,500,一般损坏\n"
        );
        let o = feed(&t, Feed::Disaster, "应急.csv", &words).await;
        assert_eq!(imported(&o).stored, 3, "{}", t.name);
        assert_eq!(
            mapped(&o),
            [
                "灾害类型：冰雹 → 风雹（2行）",
                "灾害类型：暴雨 → 洪涝（1行）",
                "房屋受损：倒塌房屋 → 倒塌（1行）"
            ],
            "{}",
            t.name
        );
        // The same events in the template's values are the records already stored.
        let plain = format!(
            "{DISASTER_HEAD}\
             {li},李秀英,风雹,2025-06-01,3000,倒塌\n\
             {zhang},张小军,风雹,2025-06-01,,\n\
             {li},李秀英,洪涝,2025-07-11,500,一般损坏\n"
        );
        match feed(&t, Feed::Disaster, "模板.csv", &plain).await {
            FeedOutcome::NothingNew { counts, report } => {
                assert_eq!(counts.duplicates, 3, "{}", t.name);
                assert!(report.mapped.is_empty());
            }
            other => panic!("{}: {other:?}", t.name),
        }
        // The batch's audit row keeps what was read how, under the built-in table (0).
        let rows = audit(&t, "feed_batch.import").await;
        assert_eq!(rows.len(), 1, "{}", t.name);
        let synonyms = &after(&rows[0])["synonyms"];
        assert_eq!(synonyms["version"], 0);
        assert_eq!(synonyms["mapped"][0]["from"], "冰雹");
        assert_eq!(synonyms["mapped"][0]["to"], "风雹");
        assert_eq!(synonyms["mapped"][0]["rows"], 2);

        // 教育's 学段 "高中" is not compulsory education, "初中" is: the screening reads the
        // stage each word stands for (张小军, 14, would count by age without a stage).
        let o = feed(
            &t,
            Feed::Schooling,
            "学籍-1.csv",
            &format!("{SCHOOLING_HEAD}{zhang},张小军,辍学,高中,2025-09-01\n"),
        )
        .await;
        assert_eq!(mapped(&o), ["学段：高中 → 普通高中一年级（1行）"]);
        let r = screen(&t, as_of(2025, 12, 31)).await;
        assert!(!rules_of(&r, "H1").contains(&RuleId::Dropout), "{}", t.name);
        let o = feed(
            &t,
            Feed::Schooling,
            "学籍-2.csv",
            &format!("{SCHOOLING_HEAD}{zhang},张小军,失学辍学,初中,2025-10-08\n"),
        )
        .await;
        assert_eq!(
            mapped(&o),
            ["事件：失学辍学 → 辍学（1行）", "学段：初中 → 七年级（1行）"]
        );
        let r = screen(&t, as_of(2025, 12, 31)).await;
        assert!(rules_of(&r, "H1").contains(&RuleId::Dropout), "{}", t.name);
    }
}

#[tokio::test]
async fn a_county_table_takes_effect_and_is_versioned() {
    for t in stores().await {
        seeded(&t).await;
        let li = pid("李秀英");
        let file = |kind: &str, day: u32| {
            format!("{DISASTER_HEAD}{li},李秀英,{kind},2025-01-{day:02},800,\n")
        };
        // 凌冻 (glaze ice) is a word of this county's emergency office, not of the table.
        match feed(&t, Feed::Disaster, "凌冻.csv", &file("凌冻", 5)).await {
            FeedOutcome::Rejected { report } => {
                assert_eq!(report.problems.len(), 1, "{}", t.name);
                assert_eq!(report.problems[0].row, 2);
            }
            other => panic!("{}: {other:?}", t.name),
        }
        assert!(synonyms_in_effect(&t.store).await.unwrap().stored.is_none());

        let county = write(
            t.dir.path(),
            "县同义词.toml",
            "title = \"桐梓县同义词表\"\n[disaster.disaster_type]\n\"凌冻\" = \"低温冷冻\"\n",
        );
        let (v1, table, stored) = load_synonyms(&t.store, &county, "县管理员").await.unwrap();
        assert_eq!((v1, stored), (1, true), "{}", t.name);
        assert_eq!(table.title, "桐梓县同义词表");
        // The same document again is not a new version.
        let (again, _, stored) = load_synonyms(&t.store, &county, "县管理员").await.unwrap();
        assert_eq!((again, stored), (1, false));

        let o = feed(&t, Feed::Disaster, "凌冻.csv", &file("凌冻", 5)).await;
        assert_eq!(
            mapped(&o),
            ["灾害类型：凌冻 → 低温冷冻（1行）"],
            "{}",
            t.name
        );
        let rows = audit(&t, "feed_batch.import").await;
        assert_eq!(after(&rows[0])["synonyms"]["version"], 1);
        let load = audit(&t, "synonyms.load").await;
        assert_eq!(load.len(), 1);
        assert_eq!(load[0].entity_id.as_deref(), Some("1"));
        assert_eq!(after(&load[0])["county_words"], 1);

        // Version 2 withdraws the built-in 冰雹: from now on it refuses a file.
        let v2_doc = write(
            t.dir.path(),
            "县同义词2.toml",
            "title = \"桐梓县同义词表（第二版）\"\n[\"受灾人员\".\"灾害类型\"]\n\
             \"凌冻\" = \"低温冷冻\"\n\"冰雹\" = false\n",
        );
        let (v2, _, _) = load_synonyms(&t.store, &v2_doc, "县管理员").await.unwrap();
        assert_eq!(v2, 2);
        let o = feed(&t, Feed::Disaster, "冰雹.csv", &file("冰雹", 9)).await;
        assert!(
            matches!(o, FeedOutcome::Rejected { .. }),
            "{}: {o:?}",
            t.name
        );
        let effect = synonyms_in_effect(&t.store).await.unwrap();
        assert_eq!(effect.version(), 2);
        assert!(effect.table.to_toml(None).contains("\"冰雹\" = false"));
        let all = history(&t.store).await.unwrap();
        assert_eq!(
            all.iter().map(|v| v.version).collect::<Vec<_>>(),
            [2, 1],
            "{}",
            t.name
        );
        assert_eq!(all[1].title, "桐梓县同义词表");
        assert_eq!(all[1].loaded_by, "县管理员");
        assert!(all[0].source.contains("\"冰雹\" = false"));
    }
}

#[tokio::test]
async fn a_bad_table_or_an_unknown_word_changes_nothing() {
    for t in stores().await {
        seeded(&t).await;
        // A synonym onto a value that is not one of its column, and a synonym that is a value
        // of its column: refused whole, each entry named; nothing stored.
        let bad = write(
            t.dir.path(),
            "bad.toml",
            "[schooling.stage]\n\"初中\" = \"初中一年级\"\n[housing.grade]\n\"A级\" = \"C\"\n",
        );
        let e = load_synonyms(&t.store, &bad, "县管理员")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("[学籍 · 学段] “初中” = “初中一年级”：“初中一年级”不是学段的可选值"),
            "{e}"
        );
        assert!(
            e.contains("[住房鉴定 · 鉴定等级] “A级”本身是鉴定等级的可选值“A”"),
            "{e}"
        );
        assert!(history(&t.store).await.unwrap().is_empty(), "{}", t.name);
        assert!(audit(&t, "synonyms.load").await.is_empty());
        // Not a text file at all.
        let binary = t.dir.path().join("bin.toml");
        std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x41]).unwrap();
        let e = load_synonyms(&t.store, &binary, "县管理员")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("不是UTF-8编码的文本"), "{e}");

        // A word neither a value nor a synonym: the whole file is refused, by row and column.
        let text = format!(
            "{SCHOOLING_HEAD}{zhang},张小军,辍学,初中,2025-09-01\n{zhang},张小军,辍学,初中部,2025-09-02\n",
            zhang = pid("张小军")
        );
        match feed(&t, Feed::Schooling, "学籍.csv", &text).await {
            FeedOutcome::Rejected { report } => {
                assert_eq!(report.problems.len(), 1);
                let p = &report.problems[0];
                assert_eq!(
                    (p.row, p.column_letter.as_deref(), p.value.as_deref()),
                    (3, Some("D"), Some("初中部")),
                    "{}",
                    t.name
                );
                assert!(
                    p.message.contains("应为：学龄前儿童、学前教育、小学"),
                    "{p}"
                );
                assert!(p.message.ends_with("同义词表中也没有这个词"), "{p}");
            }
            other => panic!("{}: {other:?}", t.name),
        }
        assert!(t.store.feed_batches(None, 10).await.unwrap().is_empty());

        // A stored table this program no longer accepts (here: a word that is a value of
        // its column, as a new release could make it) stops imports with the reason,
        // rather than reading the word otherwise than the county decided.
        let mut tx = t.store.begin().await.unwrap();
        tx.insert_synonyms("旧表", "[housing.grade]\n\"A\" = \"C\"\n", "-", "县管理员")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let path = write(
            t.dir.path(),
            "住建.csv",
            &format!(
                "证件号码,鉴定等级,鉴定日期\n{},C,2025-05-06\n",
                pid("张大山")
            ),
        );
        let e = service::feeds::import_feed(
            &t.store,
            Feed::Housing,
            &path,
            None,
            "test",
            today(),
            None,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("已加载的同义词表第1版不能再使用"), "{e}");
        assert!(t.store.feed_batches(None, 10).await.unwrap().is_empty());
    }
}
