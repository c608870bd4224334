//! Departments' own words (同义词表): a feed file written in a department's vocabulary reads
//! as the same records as the template's values, the words read are counted per column, a
//! county's table takes effect over the built-in one, and a word found nowhere is still
//! refused with its row and column.

mod common;

use common::*;
use domain::Sex;
use domain::feed::{Feed, FeedRow};
use std::path::PathBuf;
use std::sync::Arc;
use tabular::synonyms::Synonyms;
use tabular::{Parsed, parse_feed_file, parse_feed_file_with};

fn today() -> chrono::NaiveDate {
    ymd(2025, 12, 31)
}

fn person() -> String {
    id(ymd(1968, 4, 12), 101, Sex::Male).as_str().to_owned()
}

fn parse(dir: &tempfile::TempDir, feed: Feed, name: &str, text: &str) -> Parsed<FeedRow> {
    let path: PathBuf = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    parse_feed_file(feed, &path, None, today()).unwrap().parsed
}

fn records(p: &Parsed<FeedRow>) -> Vec<FeedRow> {
    assert!(p.problems.is_empty(), "{:#?}", p.problems);
    p.records.iter().map(|(_, r)| r.clone()).collect()
}

fn mapped(p: &Parsed<FeedRow>) -> Vec<String> {
    p.mapped.iter().map(ToString::to_string).collect()
}

/// A feed's enumerated columns: (feed, header, rows in the template's values, the same rows
/// in a department's words, the words read).
type Sample = (
    Feed,
    &'static str,
    Vec<&'static str>,
    Vec<&'static str>,
    Vec<&'static str>,
);

fn files() -> Vec<Sample> {
    vec![
        (
            Feed::Medical,
            "证件号码,结算日期,医疗总费用,就诊类型",
            vec![
                "2025-03-01,500,门诊",
                "2025-03-02,9000,住院",
                "2025-03-03,80,门诊",
            ],
            vec![
                "2025-03-01,500,门特",
                "2025-03-02,9000,普通住院",
                "2025-03-03,80,门特",
            ],
            vec![
                "就诊类型：门特 → 门诊（2行）",
                "就诊类型：普通住院 → 住院（1行）",
            ],
        ),
        (
            Feed::Disability,
            "证件号码,残疾类别,残疾等级,发证日期",
            vec!["视力残疾,一级,2025-01-10", "肢体残疾,四级,2025-02-10"],
            vec!["视力,壹级,2025-01-10", "4,肆级,2025-02-10"],
            vec![
                "残疾类别：视力 → 视力残疾（1行）",
                "残疾类别：4 → 肢体残疾（1行）",
                "残疾等级：壹级 → 一级（1行）",
                "残疾等级：肆级 → 四级（1行）",
            ],
        ),
        (
            Feed::Disaster,
            "证件号码,灾害类型,受灾日期,房屋受损",
            vec![
                "风雹,2025-06-01,倒塌",
                "洪涝,2025-07-01,一般损坏",
                "地质灾害,2025-07-02,无",
            ],
            vec![
                "冰雹,2025-06-01,倒塌房屋",
                "暴雨,2025-07-01,一般损坏",
                "泥石流,2025-07-02,无",
            ],
            vec![
                "灾害类型：暴雨 → 洪涝（1行）",
                "灾害类型：泥石流 → 地质灾害（1行）",
                "灾害类型：冰雹 → 风雹（1行）",
                "房屋受损：倒塌房屋 → 倒塌（1行）",
            ],
        ),
        (
            Feed::Assistance,
            "证件号码,救助类型,变动类型,日期,金额",
            vec!["低保,新增,2025-02-01,", "特困供养,发放,2025-03-01,500"],
            vec!["农村低保,新纳入,2025-02-01,", "五保,发放,2025-03-01,500"],
            vec![
                "救助类型：农村低保 → 低保（1行）",
                "救助类型：五保 → 特困供养（1行）",
                "变动类型：新纳入 → 新增（1行）",
            ],
        ),
        (
            Feed::Employment,
            "证件号码,事件,日期",
            vec!["失业登记,2025-04-01", "断缴,2025-05-01"],
            vec!["登记失业,2025-04-01", "停缴,2025-05-01"],
            vec![
                "事件：登记失业 → 失业登记（1行）",
                "事件：停缴 → 断缴（1行）",
            ],
        ),
        (
            Feed::Schooling,
            "证件号码,事件,学段,日期",
            vec!["辍学,七年级,2025-09-01", "入学,普通高中一年级,2025-09-02"],
            vec!["辍学,初中,2025-09-01", "复学,高中,2025-09-02"],
            vec![
                "事件：复学 → 入学（1行）",
                "学段：初中 → 七年级（1行）",
                "学段：高中 → 普通高中一年级（1行）",
            ],
        ),
        (
            Feed::Housing,
            "证件号码,鉴定等级,鉴定日期",
            vec!["C,2025-05-06", "D,2025-05-07"],
            vec!["c类,2025-05-06", "D级危房,2025-05-07"],
            vec!["鉴定等级：C类 → C（1行）", "鉴定等级：D级危房 → D（1行）"],
        ),
    ]
}

#[test]
fn every_feed_in_departments_words_reads_as_the_template_values() {
    let dir = tempfile::tempdir().unwrap();
    let p = person();
    let file = |head: &str, rows: &[&str]| {
        let mut text = format!("{head}\n");
        for r in rows {
            text.push_str(&format!("{p},{r}\n"));
        }
        text
    };
    for (feed, head, canonical, words, read) in files() {
        let plain = parse(&dir, feed, "plain.csv", &file(head, &canonical));
        assert!(plain.mapped.is_empty(), "{}", feed.name());
        let theirs = parse(&dir, feed, "words.csv", &file(head, &words));
        assert_eq!(records(&theirs), records(&plain), "{}", feed.name());
        assert_eq!(mapped(&theirs), read, "{}", feed.name());
    }
}

#[test]
fn the_report_says_what_was_read_how() {
    let dir = tempfile::tempdir().unwrap();
    let p = person();
    let mut text = "证件号码,事件,学段,日期\n".to_owned();
    for day in 1..=12 {
        text.push_str(&format!("{p},辍学,初中,2025-09-{day:02}\n"));
    }
    // Spaces and full-width letters do not hide a word.
    text.push_str(&format!("{p},辍学,初 中,2025-10-01\n"));
    let parsed = parse(&dir, Feed::Schooling, "学籍.csv", &text);
    assert_eq!(records(&parsed).len(), 13);
    let report = parsed.report("CSV");
    let shown = report.render_text(10);
    assert!(
        shown.contains("按同义词读取：学段：初中 → 七年级（13行）"),
        "{shown}"
    );
}

#[test]
fn a_county_table_takes_effect_over_the_builtin_one() {
    let dir = tempfile::tempdir().unwrap();
    let p = person();
    let path = dir.path().join("应急.csv");
    std::fs::write(
        &path,
        format!("证件号码,灾害类型,受灾日期\n{p},凌冻,2025-01-05\n{p},台风,2025-08-05\n"),
    )
    .unwrap();
    // The built-in table does not know 凌冻, and reads 台风 as 风雹.
    let builtin = parse_feed_file(Feed::Disaster, &path, None, today())
        .unwrap()
        .parsed;
    assert_eq!(builtin.problems.len(), 1, "{:#?}", builtin.problems);
    assert_eq!(builtin.problems[0].row, 2);
    assert_eq!(mapped(&builtin), ["灾害类型：台风 → 风雹（1行）"]);
    let county = Synonyms::with_county(
        "[\"受灾人员\".\"灾害类型\"]\n\"凌冻\" = \"低温冷冻\"\n\"台风\" = \"其他\"\n",
    )
    .unwrap();
    let parsed = parse_feed_file_with(Feed::Disaster, &path, None, today(), Arc::new(county))
        .unwrap()
        .parsed;
    assert!(parsed.problems.is_empty(), "{:#?}", parsed.problems);
    assert_eq!(
        mapped(&parsed),
        [
            "灾害类型：凌冻 → 低温冷冻（1行）",
            "灾害类型：台风 → 其他（1行）"
        ]
    );
}

#[test]
fn a_word_found_nowhere_is_refused_with_its_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = person();
    let text = format!(
        "证件号码,灾害类型,受灾日期\n{p},冰雹,2025-06-01\n{p},冰雹雨,2025-06-02\n{p},洪涝,2025-06-03\n"
    );
    let parsed = parse(&dir, Feed::Disaster, "应急.csv", &text);
    assert_eq!(parsed.problems.len(), 1, "{:#?}", parsed.problems);
    let problem = &parsed.problems[0];
    assert_eq!(
        (
            problem.row,
            problem.column_letter.as_deref(),
            problem.column.as_deref()
        ),
        (3, Some("B"), Some("灾害类型"))
    );
    assert_eq!(problem.value.as_deref(), Some("冰雹雨"));
    assert_eq!(
        problem.message,
        "灾害类型“冰雹雨”不在可选值中，应为：洪涝、地质灾害、旱灾、风雹、低温冷冻、地震、\
         森林火灾、生物灾害、其他；同义词表中也没有这个词"
    );
    // A template value of another column is not a word of this one.
    let text = format!("证件号码,事件,学段,日期\n{p},初中,,2025-09-01\n");
    let parsed = parse(&dir, Feed::Schooling, "学籍.csv", &text);
    assert_eq!(parsed.problems.len(), 1);
    assert_eq!(parsed.problems[0].column_letter.as_deref(), Some("B"));
}
