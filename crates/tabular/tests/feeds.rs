//! Department feeds (部门数据): every feed's file, as CSV and as XLSX with typed cells, parses
//! into the expected [`FeedRow`]s; missing columns, bad values and the medical cross-checks
//! are reported by row and column with the 证件号码 masked.

mod common;

use chrono::{Datelike, NaiveDate};
use common::*;
use domain::feed::{
    AssistanceChange, AssistanceKind, DisabilityKind, DisasterKind, EmploymentEvent, EventDetail,
    Feed, FeedRow, HouseDamage, HousingGrade, SchoolingEvent, VisitType,
};
use domain::{DisabilityGrade, IdNumber, Money, Schooling, Sex};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use tabular::spec::{self, Required};
use tabular::{Problem, parse_feed_file, parse_feed_table, read_table};

/// The import day: later event dates are problems.
fn today() -> NaiveDate {
    ymd(2025, 12, 31)
}

fn head() -> IdNumber {
    id(ymd(1968, 4, 12), 101, Sex::Male)
}

fn spouse() -> IdNumber {
    id(ymd(1970, 11, 3), 202, Sex::Female)
}

fn son() -> IdNumber {
    id(ymd(2011, 1, 30), 35, Sex::Male)
}

fn yuan(fen: i64) -> Money {
    Money::from_fen(fen)
}

/// One cell of a test file: text in CSV; in XLSX a number or a date cell where a clerk's
/// Excel would make one.
#[derive(Clone)]
enum C {
    T(String),
    N(f64),
    D(NaiveDate),
    E,
}

fn t(s: impl Into<String>) -> C {
    C::T(s.into())
}

impl C {
    fn csv(&self) -> String {
        match self {
            C::T(s) => s.clone(),
            C::N(v) => v.to_string(),
            C::D(d) => d.format("%Y-%m-%d").to_string(),
            C::E => String::new(),
        }
    }
}

/// A feed's sample file: its rows in template column order, and what they parse to.
struct Case {
    feed: Feed,
    rows: Vec<Vec<C>>,
    expected: Vec<FeedRow>,
}

fn row(id: &IdNumber, name: &str, rest: Vec<C>) -> Vec<C> {
    let mut r = vec![t(id.as_str()), if name.is_empty() { C::E } else { t(name) }];
    r.extend(rest);
    r
}

fn feed_row(id: IdNumber, date: NaiveDate, detail: EventDetail) -> FeedRow {
    FeedRow {
        id_number: id,
        date,
        detail,
    }
}

fn cases() -> Vec<Case> {
    use C::{D, E, N};
    vec![
        Case {
            feed: Feed::Medical,
            rows: vec![
                // Every column filled: 个人自付 as given.
                row(
                    &head(),
                    "张国强",
                    vec![
                        D(ymd(2025, 3, 5)),
                        N(12000.5),
                        N(6000.0),
                        N(2000.0),
                        N(1000.5),
                        N(3000.0),
                        t("住院"),
                    ],
                ),
                // 个人自付 blank: total − the payments given.
                row(
                    &spouse(),
                    "",
                    vec![D(ymd(2025, 3, 6)), N(800.0), N(500.25), E, E, E, t("门诊")],
                ),
                // No payment at all: the household bore the whole of it.
                row(
                    &head(),
                    "张国强",
                    vec![D(ymd(2025, 12, 31)), N(100.0), E, E, E, E, E],
                ),
            ],
            expected: vec![
                feed_row(
                    head(),
                    ymd(2025, 3, 5),
                    EventDetail::Medical {
                        total: yuan(1_200_050),
                        out_of_pocket: yuan(300_000),
                        visit: Some(VisitType::Inpatient),
                    },
                ),
                feed_row(
                    spouse(),
                    ymd(2025, 3, 6),
                    EventDetail::Medical {
                        total: yuan(80_000),
                        out_of_pocket: yuan(29_975),
                        visit: Some(VisitType::Outpatient),
                    },
                ),
                feed_row(
                    head(),
                    ymd(2025, 12, 31),
                    EventDetail::Medical {
                        total: yuan(10_000),
                        out_of_pocket: yuan(10_000),
                        visit: None,
                    },
                ),
            ],
        },
        Case {
            feed: Feed::Disability,
            rows: vec![
                row(
                    &spouse(),
                    "李秀英",
                    vec![t("肢体残疾"), t("二级"), D(ymd(2025, 1, 10))],
                ),
                row(
                    &head(),
                    "",
                    vec![t("多重残疾"), t("一级"), D(ymd(2024, 7, 1))],
                ),
            ],
            expected: vec![
                feed_row(
                    spouse(),
                    ymd(2025, 1, 10),
                    EventDetail::Disability {
                        kind: DisabilityKind::Physical,
                        grade: DisabilityGrade::Two,
                    },
                ),
                feed_row(
                    head(),
                    ymd(2024, 7, 1),
                    EventDetail::Disability {
                        kind: DisabilityKind::Multiple,
                        grade: DisabilityGrade::One,
                    },
                ),
            ],
        },
        Case {
            feed: Feed::Disaster,
            rows: vec![
                row(
                    &head(),
                    "",
                    vec![t("洪涝"), D(ymd(2025, 6, 20)), N(35000.0), t("严重损坏")],
                ),
                row(
                    &spouse(),
                    "李秀英",
                    vec![t("风雹"), D(ymd(2025, 4, 2)), E, E],
                ),
            ],
            expected: vec![
                feed_row(
                    head(),
                    ymd(2025, 6, 20),
                    EventDetail::Disaster {
                        kind: DisasterKind::Flood,
                        loss: Some(yuan(3_500_000)),
                        damage: Some(HouseDamage::Severe),
                    },
                ),
                feed_row(
                    spouse(),
                    ymd(2025, 4, 2),
                    EventDetail::Disaster {
                        kind: DisasterKind::WindHail,
                        loss: None,
                        damage: None,
                    },
                ),
            ],
        },
        Case {
            feed: Feed::Assistance,
            rows: vec![
                row(
                    &head(),
                    "",
                    vec![t("低保"), t("新增"), D(ymd(2025, 2, 1)), E],
                ),
                row(
                    &spouse(),
                    "",
                    vec![t("临时救助"), t("发放"), D(ymd(2025, 2, 15)), N(1500.0)],
                ),
                row(
                    &head(),
                    "张国强",
                    vec![t("特困供养"), t("停发"), D(ymd(2025, 9, 1)), E],
                ),
            ],
            expected: vec![
                feed_row(
                    head(),
                    ymd(2025, 2, 1),
                    EventDetail::Assistance {
                        kind: AssistanceKind::Dibao,
                        change: AssistanceChange::Granted,
                        amount: None,
                    },
                ),
                feed_row(
                    spouse(),
                    ymd(2025, 2, 15),
                    EventDetail::Assistance {
                        kind: AssistanceKind::Temporary,
                        change: AssistanceChange::Paid,
                        amount: Some(yuan(150_000)),
                    },
                ),
                feed_row(
                    head(),
                    ymd(2025, 9, 1),
                    EventDetail::Assistance {
                        kind: AssistanceKind::Tekun,
                        change: AssistanceChange::Stopped,
                        amount: None,
                    },
                ),
            ],
        },
        Case {
            feed: Feed::Employment,
            rows: vec![
                row(&head(), "张国强", vec![t("返乡"), D(ymd(2025, 2, 1))]),
                row(&spouse(), "", vec![t("失业登记"), D(ymd(2025, 3, 1))]),
                row(&spouse(), "", vec![t("断缴"), D(ymd(2025, 4, 1))]),
            ],
            expected: vec![
                feed_row(
                    head(),
                    ymd(2025, 2, 1),
                    EventDetail::Employment(EmploymentEvent::Returned),
                ),
                feed_row(
                    spouse(),
                    ymd(2025, 3, 1),
                    EventDetail::Employment(EmploymentEvent::Unemployed),
                ),
                feed_row(
                    spouse(),
                    ymd(2025, 4, 1),
                    EventDetail::Employment(EmploymentEvent::Lapsed),
                ),
            ],
        },
        Case {
            feed: Feed::Schooling,
            rows: vec![
                row(
                    &son(),
                    "张小明",
                    vec![t("辍学"), t("八年级"), D(ymd(2025, 9, 15))],
                ),
                row(&son(), "张小明", vec![t("入学"), E, D(ymd(2025, 10, 8))]),
            ],
            expected: vec![
                feed_row(
                    son(),
                    ymd(2025, 9, 15),
                    EventDetail::Schooling {
                        event: SchoolingEvent::Dropout,
                        stage: Some(Schooling::Grade8),
                    },
                ),
                feed_row(
                    son(),
                    ymd(2025, 10, 8),
                    EventDetail::Schooling {
                        event: SchoolingEvent::Enrolled,
                        stage: None,
                    },
                ),
            ],
        },
        Case {
            feed: Feed::Housing,
            rows: vec![
                row(&head(), "", vec![t("C"), D(ymd(2025, 5, 6))]),
                row(&spouse(), "", vec![t("D级"), D(ymd(2025, 5, 7))]),
            ],
            expected: vec![
                feed_row(
                    head(),
                    ymd(2025, 5, 6),
                    EventDetail::Housing(HousingGrade::C),
                ),
                feed_row(
                    spouse(),
                    ymd(2025, 5, 7),
                    EventDetail::Housing(HousingGrade::D),
                ),
            ],
        },
        Case {
            feed: Feed::Death,
            rows: vec![row(&head(), "张国强", vec![D(ymd(2025, 11, 30))])],
            expected: vec![feed_row(head(), ymd(2025, 11, 30), EventDetail::Death)],
        },
    ]
}

fn headers(feed: Feed) -> Vec<&'static str> {
    spec::feed_template(feed).headers()
}

/// CSV text with the template's headers.
fn csv(headers: &[&str], rows: &[Vec<C>]) -> String {
    let mut s = headers.join(",");
    s.push('\n');
    for r in rows {
        s.push_str(&r.iter().map(C::csv).collect::<Vec<_>>().join(","));
        s.push('\n');
    }
    s
}

/// The same rows as an XLSX sheet: numbers as number cells, dates as date cells.
fn xlsx(path: &std::path::Path, sheet: &str, headers: &[&str], rows: &[Vec<C>]) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in (0u16..).zip(headers) {
        ws.write_string(0, c, *h).unwrap();
    }
    for (r, cells) in (1u32..).zip(rows) {
        for (c, cell) in (0u16..).zip(cells) {
            match cell {
                C::T(s) => {
                    ws.write_string(r, c, s).unwrap();
                }
                C::N(v) => {
                    ws.write_number(r, c, *v).unwrap();
                }
                C::D(d) => {
                    let dt =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .unwrap();
                    ws.write_datetime_with_format(r, c, &dt, &date).unwrap();
                }
                C::E => {}
            }
        }
    }
    wb.save(path).unwrap();
}

fn records(parsed: &tabular::Parsed<FeedRow>) -> Vec<FeedRow> {
    parsed.records.iter().map(|(_, r)| r.clone()).collect()
}

#[test]
fn every_feed_parses_from_csv_and_xlsx_alike() {
    for case in cases() {
        let feed = case.feed;
        let hs = headers(feed);
        let (dir, path) = temp_file(&format!("{}.csv", feed.name()));
        write(&path, csv(&hs, &case.rows).as_bytes());

        let streamed = parse_feed_file(feed, &path, None, today()).unwrap();
        let p = &streamed.parsed;
        assert!(p.is_ok(), "{}: {:#?}", feed.name(), p.problems);
        assert!(p.warnings.is_empty(), "{}: {:?}", feed.name(), p.warnings);
        assert_eq!(records(p), case.expected, "{} (CSV)", feed.name());
        let numbers: Vec<usize> = p.records.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, (2..2 + case.rows.len()).collect::<Vec<_>>());
        // The table path gives the same result as the streaming one.
        let table = read_table(&path, None).unwrap();
        assert_eq!(
            &parse_feed_table(feed, &table, today()),
            p,
            "{}",
            feed.name()
        );

        let book = dir.path().join(format!("{}.xlsx", feed.name()));
        xlsx(&book, feed.label(), &hs, &case.rows);
        let from_xlsx = parse_feed_file(feed, &book, Some(feed.label()), today()).unwrap();
        assert_eq!(
            from_xlsx.source_note,
            format!("XLSX，工作表“{}”", feed.label())
        );
        assert_eq!(from_xlsx.parsed, *p, "{} (XLSX)", feed.name());
    }
}

#[test]
fn each_missing_required_column_is_one_problem_at_row_1() {
    for case in cases() {
        let feed = case.feed;
        let template = spec::feed_template(feed);
        let required: Vec<usize> = (0..template.columns.len())
            .filter(|&i| template.columns[i].required == Required::Yes)
            .collect();
        assert!(required.len() >= 2, "{}", feed.name());
        for &gone in &required {
            let column = &template.columns[gone];
            let keep = |cells: &[C]| -> Vec<C> {
                cells
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != gone)
                    .map(|(_, c)| c.clone())
                    .collect()
            };
            let hs = keep(&headers(feed).into_iter().map(t).collect::<Vec<_>>());
            let hs: Vec<String> = hs.iter().map(C::csv).collect();
            let hs: Vec<&str> = hs.iter().map(String::as_str).collect();
            let rows: Vec<Vec<C>> = case.rows.iter().map(|r| keep(r)).collect();
            let table = tabular::read_csv_bytes(csv(&hs, &rows).as_bytes()).unwrap();
            let parsed = parse_feed_table(feed, &table, today());
            assert_eq!(
                parsed.problems.len(),
                1,
                "{} without {}: {:#?}",
                feed.name(),
                column.header,
                parsed.problems
            );
            let p = &parsed.problems[0];
            assert_eq!((p.row, p.column_letter.as_deref()), (1, None));
            assert_eq!(p.column.as_deref(), Some(column.header));
            assert_eq!(
                p.message,
                format!(
                    "缺少必填列「{}」（表头也可写作英文键名 {}）",
                    column.header, column.key
                )
            );
            assert!(
                parsed.records.is_empty(),
                "a row without a required column is no record"
            );
        }
    }
}

fn find<'a>(problems: &'a [Problem], row: usize, letter: &str) -> &'a Problem {
    let found: Vec<_> = problems
        .iter()
        .filter(|p| p.row == row && p.column_letter.as_deref() == Some(letter))
        .collect();
    assert_eq!(found.len(), 1, "row {row} column {letter}: {problems:#?}");
    found[0]
}

/// The full 证件号码 must appear nowhere in what the clerk sees.
fn assert_no_full_id(parsed: &tabular::Parsed<FeedRow>, ids: &[&str]) {
    let report = parsed.report("CSV，UTF-8编码");
    let mut csv = Vec::new();
    report.write_csv_to(&mut csv).unwrap();
    let all = format!(
        "{}{}",
        report.render_text(1000),
        String::from_utf8(csv).unwrap()
    );
    for id in ids {
        assert!(!all.contains(id), "full ID {id} leaked: {all}");
    }
}

#[test]
fn medical_problems_by_row_and_column() {
    let good = head();
    let good_id = good.as_str().to_owned();
    let bad_check = format!(
        "{}{}",
        &good_id[..17],
        if good_id.ends_with('0') { '1' } else { '0' }
    );
    let text = format!(
        "证件号码,姓名,结算日期,医疗总费用,基本医保支付,大病保险支付,医疗救助支付,个人自付,就诊类型\n\
         {bad_check},张国强,2025-03-05,100,,,,,门诊\n\
         {good_id},张国强,2025-03-05,100,,,,,体检\n\
         {good_id},张国强,2025-03-05,100,-20,,,,\n\
         {good_id},张国强,2026-01-01,100,,,,,\n\
         {good_id},张国强,2025-03-05,100,60,30,20.5,,\n\
         {good_id},张国强,2025-03-05,100,,,,100.01,\n\
         {good_id},张国强,2025-03-05,100.001,,,,,\n\
         ,张国强,,,,,,,\n\
         {good_id},张国强,2025-03-05,100,40,,,,住院\n"
    );
    let (_dir, path) = temp_file("医保结算.csv");
    write(&path, text.as_bytes());
    let parsed = parse_feed_file(Feed::Medical, &path, None, today())
        .unwrap()
        .parsed;
    let ps = &parsed.problems;

    // Row 2: a wrong check character, reported with the number masked.
    let p = find(ps, 2, "A");
    let masked = format!("{}********{}", &bad_check[..6], &bad_check[14..]);
    assert_eq!(p.value.as_deref(), Some(masked.as_str()));
    assert!(p.message.starts_with("证件号码校验位错误"), "{p}");
    assert!(
        p.to_string()
            .starts_with(&format!("第2行 A列「证件号码」值“{masked}”：")),
        "{p}"
    );

    let p = find(ps, 3, "I");
    assert_eq!(p.value.as_deref(), Some("体检"));
    assert_eq!(
        p.message,
        "就诊类型“体检”不在可选值中，应为：门诊、住院；同义词表中也没有这个词"
    );

    let p = find(ps, 4, "E");
    assert_eq!(p.message, "基本医保支付不能为负数");

    let p = find(ps, 5, "C");
    assert_eq!(p.value.as_deref(), Some("2026-01-01"));
    assert!(
        p.message
            .starts_with("结算日期“2026-01-01”晚于今天（2025-12-31）"),
        "{p}"
    );

    let p = find(ps, 6, "D");
    assert_eq!(p.value.as_deref(), Some("100"));
    assert!(p.message.starts_with("三项支付合计超过医疗总费用"), "{p}");
    assert!(p.message.contains("110.50元"), "{p}");

    let p = find(ps, 7, "H");
    assert_eq!(p.message, "个人自付100.01元超过医疗总费用100元");

    let p = find(ps, 8, "D");
    assert!(p.message.contains("最多保留两位小数"), "{p}");

    for (letter, header) in [("A", "证件号码"), ("C", "结算日期"), ("D", "医疗总费用")]
    {
        let p = find(ps, 9, letter);
        assert_eq!(p.message, format!("{header}不能为空"));
    }

    assert_eq!(ps.len(), 10, "{ps:#?}");
    // Sorted by row, then column.
    let keys: Vec<_> = ps
        .iter()
        .map(|p| (p.row, p.column_letter.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Only the clean row is a record, its 个人自付 derived.
    assert_eq!(
        parsed.records,
        vec![(
            10,
            feed_row(
                head(),
                ymd(2025, 3, 5),
                EventDetail::Medical {
                    total: yuan(10_000),
                    out_of_pocket: yuan(6_000),
                    visit: Some(VisitType::Inpatient),
                }
            )
        )]
    );
    assert_no_full_id(&parsed, &[&good_id, &bad_check]);
}

#[test]
fn other_feeds_problems() {
    let a = head();
    let a = a.as_str();
    let short = &a[..17];

    // 残疾人证: an unknown category, a grade out of the list, an ID too short.
    let text = format!(
        "证件号码,姓名,残疾类别,残疾等级,发证日期\n\
         {a},,内脏残疾,二级,2025-01-10\n\
         {a},,视力残疾,五级,2025-01-10\n\
         {short},,视力残疾,一级,2025-01-10\n"
    );
    let table = tabular::read_csv_bytes(text.as_bytes()).unwrap();
    let parsed = parse_feed_table(Feed::Disability, &table, today());
    let ps = &parsed.problems;
    assert!(
        find(ps, 2, "C")
            .message
            .starts_with("残疾类别“内脏残疾”不在可选值中")
    );
    assert!(
        find(ps, 3, "D")
            .message
            .starts_with("残疾等级“五级”不在可选值中")
    );
    let p = find(ps, 4, "A");
    assert_eq!(p.message, "证件号码应为18位，实际为17位");
    assert_eq!(p.value, Some(format!("520****{}", &short[15..])));
    assert_eq!(ps.len(), 3, "{ps:#?}");
    assert_no_full_id(&parsed, &[a, short]);

    // 社会救助: a 临时救助 payment without amount; a negative amount; a future date.
    let text = format!(
        "证件号码,姓名,救助类型,变动类型,日期,金额\n\
         {a},,临时救助,发放,2025-02-15,\n\
         {a},,低保,发放,2025-02-15,-300\n\
         {a},,低保,新增,2026/1/1,\n\
         {a},,临时救助,新增,2025-02-15,\n"
    );
    let table = tabular::read_csv_bytes(text.as_bytes()).unwrap();
    let parsed = parse_feed_table(Feed::Assistance, &table, today());
    let ps = &parsed.problems;
    let p = find(ps, 2, "F");
    assert_eq!(
        (p.message.as_str(), p.value.as_deref()),
        ("临时救助发放须填写金额", None)
    );
    assert_eq!(find(ps, 3, "F").message, "金额不能为负数");
    assert!(
        find(ps, 4, "E")
            .message
            .starts_with("日期“2026-01-01”晚于今天（2025-12-31）")
    );
    assert_eq!(ps.len(), 3, "{ps:#?}");
    assert_eq!(parsed.records.len(), 1);
    assert_eq!(parsed.records[0].0, 5);

    // 临时救助发放 in a file without the 金额 column at all: still a problem, by header.
    let text = format!("证件号码,救助类型,变动类型,日期\n{a},临时救助,发放,2025-02-15\n");
    let table = tabular::read_csv_bytes(text.as_bytes()).unwrap();
    let parsed = parse_feed_table(Feed::Assistance, &table, today());
    assert_eq!(parsed.problems.len(), 1);
    let p = &parsed.problems[0];
    assert_eq!(
        (p.row, p.column_letter.as_deref(), p.column.as_deref()),
        (2, None, Some("金额"))
    );

    // 住房鉴定, 受灾人员, 学籍, 就业, 死亡: labels out of their lists, bad amounts and dates.
    let checks: [(Feed, String, &str, &str); 6] = [
        (
            Feed::Housing,
            format!("证件号码,鉴定等级,鉴定日期\n{a},E,2025-05-06\n"),
            "B",
            "鉴定等级“E”不在可选值中",
        ),
        (
            Feed::Disaster,
            format!("证件号码,灾害类型,受灾日期,直接经济损失\n{a},洪涝,2025-06-20,-1\n"),
            "D",
            "直接经济损失不能为负数",
        ),
        (
            Feed::Disaster,
            format!("证件号码,灾害类型,受灾日期,房屋受损\n{a},洪涝,2025-06-20,全倒\n"),
            "D",
            "房屋受损“全倒”不在可选值中",
        ),
        (
            Feed::Schooling,
            format!("证件号码,事件,学段,日期\n{a},休学,,2025-09-01\n"),
            "B",
            "事件“休学”不在可选值中",
        ),
        (
            Feed::Employment,
            format!("证件号码,事件,日期\n{a},返乡,2025-02-30\n"),
            "C",
            "日期“2025-02-30”不是有效日期",
        ),
        (
            Feed::Death,
            format!("证件号码,死亡日期\n{a},2026-03-01\n"),
            "B",
            "死亡日期“2026-03-01”晚于今天",
        ),
    ];
    for (feed, text, letter, start) in checks {
        let table = tabular::read_csv_bytes(text.as_bytes()).unwrap();
        let parsed = parse_feed_table(feed, &table, today());
        assert_eq!(
            parsed.problems.len(),
            1,
            "{}: {:#?}",
            feed.name(),
            parsed.problems
        );
        let p = find(&parsed.problems, 2, letter);
        assert!(p.message.starts_with(start), "{}: {p}", feed.name());
        assert!(parsed.records.is_empty());
    }
}

#[test]
fn out_of_pocket_is_derived_only_when_blank() {
    let a = head();
    let a = a.as_str();
    // No 个人自付 column at all, payments in any mix; then 个人自付 given as 0.
    let text = format!(
        "证件号码,结算日期,医疗总费用,基本医保支付,大病保险支付,医疗救助支付\n\
         {a},2025-03-05,1000,600,,\n\
         {a},2025-03-06,1000,600,150.5,49.5\n\
         {a},2025-03-07,1000,,,\n\
         {a},2025-03-08,1000,1000,,\n"
    );
    let table = tabular::read_csv_bytes(text.as_bytes()).unwrap();
    let parsed = parse_feed_table(Feed::Medical, &table, today());
    assert!(parsed.is_ok(), "{:#?}", parsed.problems);
    let own: Vec<i64> = parsed
        .records
        .iter()
        .map(|(_, r)| match r.detail {
            EventDetail::Medical { out_of_pocket, .. } => out_of_pocket.fen(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(own, vec![40_000, 20_000, 100_000, 0]);

    let text =
        format!("证件号码,结算日期,医疗总费用,基本医保支付,个人自付\n{a},2025-03-05,1000,600,0\n");
    let table = tabular::read_csv_bytes(text.as_bytes()).unwrap();
    let parsed = parse_feed_table(Feed::Medical, &table, today());
    assert_eq!(
        parsed.records[0].1.detail,
        EventDetail::Medical {
            total: yuan(100_000),
            out_of_pocket: Money::ZERO,
            visit: None
        }
    );
}

#[test]
fn english_keys_in_any_order_and_case() {
    let a = head();
    let text = format!(
        "\u{FEFF}Visit_Type,TOTAL_COST,id_number,Settled_On,out_of_pocket,备注\n\
         住院,5000,{},2025-08-01,1200,随便\n",
        a.as_str()
    );
    let (_dir, path) = temp_file("medical.csv");
    write(&path, text.as_bytes());
    let parsed = parse_feed_file(Feed::Medical, &path, None, today())
        .unwrap()
        .parsed;
    assert!(parsed.is_ok(), "{:#?}", parsed.problems);
    assert_eq!(parsed.warnings, vec!["F列「备注」不是本模板的列，已忽略"]);
    assert_eq!(
        records(&parsed),
        vec![feed_row(
            head(),
            ymd(2025, 8, 1),
            EventDetail::Medical {
                total: yuan(500_000),
                out_of_pocket: yuan(120_000),
                visit: Some(VisitType::Inpatient),
            }
        )]
    );

    let text = format!(
        "DATE,Change,assistance_type,AMOUNT,Name,ID_NUMBER\n2025-02-15,发放,临时救助,800,李秀英,{}\n",
        spouse().as_str()
    );
    let table = tabular::read_csv_bytes(text.as_bytes()).unwrap();
    let parsed = parse_feed_table(Feed::Assistance, &table, today());
    assert!(parsed.is_ok(), "{:#?}", parsed.problems);
    assert_eq!(
        records(&parsed),
        vec![feed_row(
            spouse(),
            ymd(2025, 2, 15),
            EventDetail::Assistance {
                kind: AssistanceKind::Temporary,
                change: AssistanceChange::Paid,
                amount: Some(yuan(80_000)),
            }
        )]
    );
}

#[test]
fn streaming_a_large_feed_file_gives_the_same_result_as_the_table() {
    // Several reader batches, with problems scattered among them.
    let mut text = headers(Feed::Medical).join(",");
    text.push('\n');
    for i in 0..5000u32 {
        let who = id(
            ymd(1950 + (i % 60) as i32, 1 + i % 12, 1 + i % 28),
            (i % 1000) as u16,
            Sex::Female,
        );
        let total = 100 + i;
        let day = if i % 1231 == 0 {
            "2026-02-01".to_owned()
        } else {
            format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28)
        };
        let basic = if i % 977 == 0 { total + 1 } else { total / 2 };
        text.push_str(&format!(
            "{},,{day},{total},{basic},,,,门诊\n",
            who.as_str()
        ));
    }
    let (_dir, path) = temp_file("big.csv");
    write(&path, text.as_bytes());
    let streamed = parse_feed_file(Feed::Medical, &path, None, today()).unwrap();
    let table = read_table(&path, None).unwrap();
    assert_eq!(
        streamed.parsed,
        parse_feed_table(Feed::Medical, &table, today())
    );
    // i = 0 (both), 977, 1231, 1954, 2462, 2931, 3693, 3908, 4885, 4924.
    assert_eq!(
        streamed.parsed.problems.len(),
        11,
        "{:#?}",
        streamed.parsed.problems
    );
    assert_eq!(streamed.parsed.records.len(), 5000 - 10);
    let (n, r) = &streamed.parsed.records[0];
    assert_eq!(*n, 3);
    assert_eq!(
        r.detail,
        EventDetail::Medical {
            total: yuan(10_100),
            out_of_pocket: yuan(5_100),
            visit: Some(VisitType::Outpatient)
        }
    );
}
