//! The county every service test of feeds, screening and cases starts from: three
//! households of 桐梓县 with members and two years of incomes, a test policy, and helpers to
//! import feeds and screen.

#![allow(dead_code, reason = "each test file uses a part of the fixtures")]

use chrono::NaiveDate;
use domain::feed::Feed;
use domain::screening::RuleId;
use domain::{IdNumber, Sex};
use service::feeds::{FeedOutcome, import_feed};
use service::imports::{ImportOutcome, RegistryKind, import_registry};
use service::screening::{ScreenOptions, ScreenReport, run_screening};
use std::path::{Path, PathBuf};
use store::testing::TestStore;

/// The division codes built into the program.
pub fn divisions() -> tabular::divisions::Source {
    tabular::divisions::Source::Embedded
}

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub fn id(y: i32, m: u32, day: u32, seq: u16, sex: Sex) -> String {
    IdNumber::from_parts(520322, d(y, m, day), seq, sex)
        .as_str()
        .to_string()
}

pub const V1: &str = "520322101001";
pub const V2: &str = "520322102001";
pub const TODAY: (i32, u32, u32) = (2026, 1, 15);

pub fn today() -> NaiveDate {
    d(TODAY.0, TODAY.1, TODAY.2)
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Members of the test registry, by name: (household, name, ID).
pub fn people() -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("H1", "张大山", id(1975, 5, 1, 11, Sex::Male)),
        ("H1", "李秀英", id(1977, 2, 3, 22, Sex::Female)),
        ("H1", "张小军", id(2011, 8, 9, 33, Sex::Male)),
        ("H1", "张奶奶", id(1950, 1, 2, 44, Sex::Female)),
        ("H2", "王建国", id(1970, 3, 4, 55, Sex::Male)),
        ("H2", "刘芳", id(1972, 6, 7, 66, Sex::Female)),
        ("H2", "王明", id(1998, 9, 1, 77, Sex::Male)),
        ("H2", "王丽", id(2000, 10, 2, 88, Sex::Female)),
        ("H3", "赵春花", id(1980, 3, 4, 99, Sex::Female)),
    ]
}

pub fn pid(name: &str) -> String {
    people().into_iter().find(|p| p.1 == name).unwrap().2
}

/// Three households of four, four and one:
/// - H1, a 脱贫户, is the worked example of docs/domain.md §4.4a: net 22,000 for four in 2025
///   (5,500 per person, at or below the 8,700 line);
/// - H2, an 一般农户 with 48,000 net (12,000 per person), the example's variant;
/// - H3, comfortable.
pub async fn seeded(t: &TestStore) {
    let s = &t.store;
    let dir = t.dir.path();
    service::regions::import_regions(s, &divisions(), Some("520322"))
        .await
        .unwrap();
    let households = format!(
        "户编号,村代码,户类型,脱贫年度,住房安全,饮水安全\n\
         H1,{V1},脱贫户,2018,安全,安全\n\
         H2,{V1},一般农户,,安全,安全\n\
         H3,{V2},一般农户,,安全,安全\n"
    );
    let mut members =
        "户编号,姓名,证件号码,与户主关系,劳动技能,在校生状况,务工月数,参加城乡居民医保\n"
            .to_owned();
    let roles = [
        ("户主", "普通劳动力", "", "7"),
        ("配偶", "普通劳动力", "", "0"),
        ("之子", "无劳动力", "八年级", "0"),
        ("之母", "无劳动力", "", "0"),
        ("户主", "普通劳动力", "", "10"),
        ("配偶", "普通劳动力", "", "10"),
        ("之子", "普通劳动力", "", "10"),
        ("之女", "普通劳动力", "", "10"),
        ("户主", "普通劳动力", "", "12"),
    ];
    for ((hh, name, id), (rel, labor, school, months)) in people().iter().zip(roles) {
        members.push_str(&format!(
            "{hh},{name},{id},{rel},{labor},{school},{months},是\n"
        ));
    }
    let incomes = "户编号,年度,工资性收入,生产经营性收入,生产经营性支出,财产性收入,转移性收入\n\
         H1,2024,20000,6000,2500,800,3700\n\
         H1,2025,14000,6000,2500,800,3700\n\
         H2,2024,48000,0,0,0,0\n\
         H2,2025,48000,0,0,0,0\n\
         H3,2024,90000,0,0,0,0\n\
         H3,2025,90000,0,0,0,0\n";
    for (kind, name, text) in [
        (RegistryKind::Households, "h.csv", households.as_str()),
        (RegistryKind::Members, "m.csv", members.as_str()),
        (RegistryKind::Incomes, "i.csv", incomes),
    ] {
        match import_registry(s, kind, &write(dir, name, text), None, "test", None)
            .await
            .unwrap()
        {
            ImportOutcome::Imported { .. } => {}
            ImportOutcome::Rejected { report } => panic!("{}", report.render_text(20)),
        }
    }
    // The test policy: Guizhou's line 8,700 for 2024 and 2025, reference income 20,000.
    let policy = write(
        dir,
        "policy.toml",
        r#"
        title = "测试政策"
        effective_from = "2024-01-01"
        [[monitoring_lines]]
        scope = "52"
        year = 2024
        amount = 8700
        [[monitoring_lines]]
        scope = "52"
        year = 2025
        amount = 8700
        [[rural_income]]
        scope = "52"
        year = 2024
        amount = 20000
        "#,
    );
    let (version, _, stored) = service::policy::load_policy(s, &policy, "test")
        .await
        .unwrap();
    assert_eq!((version, stored), (1, true));
}

pub async fn feed(t: &TestStore, feed: Feed, name: &str, text: &str) -> FeedOutcome {
    let p = write(t.dir.path(), name, text);
    import_feed(&t.store, feed, &p, None, "test", today(), None)
        .await
        .unwrap()
}

pub const MEDICAL_HEAD: &str =
    "证件号码,姓名,结算日期,医疗总费用,基本医保支付,大病保险支付,医疗救助支付,个人自付,就诊类型\n";

/// H2's cancer treatment: 38,000 out of pocket in two settlements; one row about someone
/// outside the registry; one row repeated.
pub fn medical_csv() -> String {
    let outsider = IdNumber::from_parts(520322, d(1960, 1, 1), 901, Sex::Male);
    format!(
        "{MEDICAL_HEAD}\
         {wang},王建国,2025-03-02,60000,20000,10000,0,30000,住院\n\
         {wang},王建国,2025-09-20,20000,10000,2000,0,8000,住院\n\
         {wang},王建国,2025-09-20,20000,10000,2000,0,8000,住院\n\
         {out},孙某,2025-04-01,500,300,0,0,200,门诊\n\
         {zhang},张大山,2025-05-05,300,200,0,0,,门诊\n",
        wang = pid("王建国"),
        zhang = pid("张大山"),
        out = outsider.as_str(),
    )
}

pub fn imported(o: &FeedOutcome) -> service::feeds::FeedCounts {
    match o {
        FeedOutcome::Imported { counts, .. } => *counts,
        other => panic!("expected an import: {other:?}"),
    }
}

pub async fn screen(t: &TestStore, opts: ScreenOptions) -> ScreenReport {
    run_screening(
        &t.store,
        &ScreenOptions {
            actor: "test".into(),
            ..opts
        },
    )
    .await
    .unwrap()
}

pub fn as_of(y: i32, m: u32, day: u32) -> ScreenOptions {
    ScreenOptions {
        as_of: Some(d(y, m, day)),
        ..ScreenOptions::default()
    }
}

pub fn rules_of(r: &ScreenReport, no: &str) -> Vec<RuleId> {
    r.flagged
        .iter()
        .find(|f| f.household_no == no)
        .map(|f| f.warnings.iter().map(|w| w.rule).collect())
        .unwrap_or_default()
}

/// The village clerk who opens and walks the cases of the tests.
pub fn village() -> domain::case::Actor {
    domain::case::Actor::new(domain::case::Level::Village, "村干部张")
}

/// A filled-in 入户核实表.
pub fn verification() -> domain::case::Verification {
    domain::case::Verification {
        members: 4,
        net_income_12m: domain::Money::from_yuan(22_000),
        rigid_spending_12m: domain::Money::from_yuan(16_000),
        housing: domain::HousingSafety::Safe,
        water: domain::WaterSafety::Safe,
        all_insured: true,
        schooling_secured: true,
        labour_members: 2,
        note: "户主住院治疗，配偶在家务农".into(),
    }
}

/// The seeded registry, a medical feed screened as of 2025-12-31, and a case opened by the
/// village on each open lead: the cases' ids, and the day the leads were found (Beijing).
pub async fn cases_from_screening(t: &TestStore) -> (NaiveDate, Vec<i64>) {
    seeded(t).await;
    imported(&feed(t, Feed::Medical, "med.csv", &medical_csv()).await);
    screen(t, as_of(2025, 12, 31)).await;
    let leads = t
        .store
        .leads(None, Some(store::screening::lead_status::OPEN))
        .await
        .unwrap();
    let day0 = domain::Zone::BEIJING.day_of(leads[0].created_at);
    let mut cases = Vec::new();
    for l in &leads {
        cases.push(
            service::cases::open_case(&t.store, l.id, &village(), day0)
                .await
                .unwrap(),
        );
    }
    (day0, cases)
}
