//! Registry imports end to end on real files, on SQLite and (when configured) PostgreSQL:
//! atomic, idempotent, with every problem reported by row and column.

use chrono::NaiveDate;
use domain::{IdNumber, RegionCode, Sex};
use service::imports::{ImportOutcome, RegistryKind, import_registry};
use std::path::{Path, PathBuf};
use store::Store;
use store::testing::{TestStore, stores};

fn divisions() -> tabular::divisions::Source {
    tabular::divisions::Source::Embedded
}

/// A valid ID number of someone born in 桐梓县 on `y-m-d`.
fn id(y: i32, m: u32, d: u32, seq: u16, sex: Sex) -> String {
    IdNumber::from_parts(520322, NaiveDate::from_ymd_opt(y, m, d).unwrap(), seq, sex)
        .as_str()
        .to_string()
}

const V1: &str = "520322101001";
const V2: &str = "520322101002";

async fn with_regions(t: &TestStore) {
    service::regions::import_regions(&t.store, &divisions(), Some("520322"))
        .await
        .unwrap();
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

async fn import(s: &Store, kind: RegistryKind, p: &Path) -> ImportOutcome {
    import_registry(s, kind, p, None, "test", None)
        .await
        .unwrap()
}

fn counts(o: &ImportOutcome) -> (u64, u64, u64) {
    match o {
        ImportOutcome::Imported { counts, .. } => {
            (counts.inserted, counts.updated, counts.unchanged)
        }
        ImportOutcome::Rejected { report } => panic!("rejected:\n{}", report.render_text(50)),
    }
}

fn problems(o: &ImportOutcome) -> Vec<tabular::Problem> {
    match o {
        ImportOutcome::Rejected { report } => report.problems.clone(),
        ImportOutcome::Imported { .. } => panic!("expected a rejection"),
    }
}

fn households_csv() -> String {
    format!(
        "户编号,村代码,户类型,脱贫年度,联系电话,住址,住房安全,饮水安全\n\
         H001,{V1},脱贫户,2018,13812345678,楚米镇一组,B,安全\n\
         H002,{V1},一般农户,,,,安全,安全\n\
         H003,{V2},一般农户,,13900001111,,C,不安全\n"
    )
}

fn members_csv() -> String {
    format!(
        "户编号,姓名,证件号码,与户主关系,性别,出生日期,劳动技能,健康状况,参加城乡居民医保\n\
         H001,张大山,{},户主,男,1968-05-01,普通劳动力,健康,是\n\
         H001,李秀英,{},配偶,女,1970-02-03,弱劳动力或半劳动力,长期慢性病,是\n\
         H001,张小军,{},之子,男,,普通劳动力,健康,是\n\
         H002,王老汉,{},户主,,,丧失劳动力,患有大病、残疾,是\n\
         H003,赵春花,{},户主,女,,普通劳动力,,否\n",
        id(1968, 5, 1, 11, Sex::Male),
        id(1970, 2, 3, 22, Sex::Female),
        id(1995, 8, 9, 33, Sex::Male),
        id(1950, 1, 2, 44, Sex::Male),
        id(1980, 3, 4, 55, Sex::Female),
    )
}

fn incomes_csv() -> &'static str {
    "户编号,年度,工资性收入,生产经营性收入,生产经营性支出,财产性收入,转移性收入,合规自付医疗支出\n\
     H001,2024,14000,6000,2500,800,3700,1200.50\n\
     H002,2024,0,1200,300,0,9600,\n\
     H003,2024,30000,0,0,0,500,\n"
}

async fn seeded(t: &TestStore) {
    with_regions(t).await;
    let dir = t.dir.path();
    let s = &t.store;
    counts(
        &import(
            s,
            RegistryKind::Households,
            &write(dir, "h.csv", &households_csv()),
        )
        .await,
    );
    counts(
        &import(
            s,
            RegistryKind::Members,
            &write(dir, "m.csv", &members_csv()),
        )
        .await,
    );
    counts(
        &import(
            s,
            RegistryKind::Incomes,
            &write(dir, "i.csv", incomes_csv()),
        )
        .await,
    );
}

#[tokio::test]
async fn imports_are_idempotent_and_updates_update() {
    for t in stores().await {
        let name = t.name;
        with_regions(&t).await;
        let dir = t.dir.path();
        let s = &t.store;
        let h = write(dir, "h.csv", &households_csv());
        let m = write(dir, "m.csv", &members_csv());
        let i = write(dir, "i.csv", incomes_csv());
        assert_eq!(
            counts(&import(s, RegistryKind::Households, &h).await),
            (3, 0, 0),
            "{name}"
        );
        assert_eq!(
            counts(&import(s, RegistryKind::Members, &m).await),
            (5, 0, 0),
            "{name}"
        );
        assert_eq!(
            counts(&import(s, RegistryKind::Incomes, &i).await),
            (3, 0, 0),
            "{name}"
        );
        // The same files again: nothing changes.
        assert_eq!(
            counts(&import(s, RegistryKind::Households, &h).await),
            (0, 0, 3),
            "{name}"
        );
        assert_eq!(
            counts(&import(s, RegistryKind::Members, &m).await),
            (0, 0, 5),
            "{name}"
        );
        assert_eq!(
            counts(&import(s, RegistryKind::Incomes, &i).await),
            (0, 0, 3),
            "{name}"
        );
        // An updated file updates exactly the changed rows.
        let m2 = write(dir, "m2.csv", &members_csv().replace("张小军", "张晓军"));
        assert_eq!(
            counts(&import(s, RegistryKind::Members, &m2).await),
            (0, 1, 4),
            "{name}"
        );
        let i2 = write(
            dir,
            "i2.csv",
            &incomes_csv().replace("H003,2024,30000", "H003,2024,31000"),
        );
        assert_eq!(
            counts(&import(s, RegistryKind::Incomes, &i2).await),
            (0, 1, 2),
            "{name}"
        );
        let c = s.registry_counts().await.unwrap();
        assert_eq!((c.households, c.members, c.incomes), (3, 5, 3), "{name}");
        let batches = s.recent_batches(20).await.unwrap();
        assert_eq!(batches.len(), 8, "{name}");
        assert_eq!(batches[0].kind, "incomes");
        assert_eq!(batches[0].updated, 1);
    }
}

/// Snapshot of everything a failed import must leave untouched.
async fn snapshot(s: &Store) -> (Vec<domain::Household>, Vec<domain::Member>, usize) {
    let mut h = Vec::new();
    s.for_each_household(None, |x| {
        h.push(x);
        Ok::<_, store::StoreError>(())
    })
    .await
    .unwrap();
    let mut m = Vec::new();
    s.for_each_member(None, |x| {
        m.push(x);
        Ok::<_, store::StoreError>(())
    })
    .await
    .unwrap();
    let b = s.recent_batches(100).await.unwrap().len();
    (h, m, b)
}

#[tokio::test]
async fn malformed_files_are_reported_and_change_nothing() {
    for t in stores().await {
        let name = t.name;
        seeded(&t).await;
        let dir = t.dir.path();
        let s = &t.store;
        let before = snapshot(s).await;

        // A bad check character, two 户主, an ID already in another household — plus one
        // valid row that must not be written either.
        let good = id(1999, 9, 9, 77, Sex::Female);
        let mut bad_check = id(1990, 1, 1, 66, Sex::Male);
        let last = bad_check.pop().unwrap();
        bad_check.push(if last == '0' { '1' } else { '0' });
        let in_h001 = id(1995, 8, 9, 33, Sex::Male);
        let file = write(
            dir,
            "bad-members.csv",
            &format!(
                "户编号,姓名,证件号码,与户主关系,劳动技能\n\
                 H002,王小二,{bad_check},之子,普通劳动力\n\
                 H003,赵二,{good},户主,普通劳动力\n\
                 H002,张小军,{in_h001},之孙子,普通劳动力\n\
                 H009,无户,{},户主,普通劳动力\n",
                id(2001, 1, 1, 88, Sex::Male)
            ),
        );
        let o = import(s, RegistryKind::Members, &file).await;
        let p = problems(&o);
        let find = |row: usize, needle: &str| {
            p.iter()
                .find(|x| x.row == row && x.message.contains(needle))
                .unwrap_or_else(|| {
                    panic!("{name}: no problem at row {row} with “{needle}” in {p:#?}")
                })
        };
        let check = find(2, "校验");
        assert_eq!(check.column.as_deref(), Some("证件号码"));
        assert_eq!(check.column_letter.as_deref(), Some("C"));
        assert!(
            !check
                .value
                .as_deref()
                .unwrap_or("")
                .contains(&bad_check[6..14]),
            "{name}: the ID number is masked in the report"
        );
        let two_heads = find(3, "2名户主");
        assert_eq!(two_heads.column.as_deref(), Some("与户主关系"));
        let other = find(4, "已登记在户“H001”");
        assert_eq!(other.column.as_deref(), Some("证件号码"));
        find(5, "尚未登记");
        assert_eq!(snapshot(s).await, before, "{name}: nothing changed");

        // An unknown village.
        let file = write(
            dir,
            "bad-households.csv",
            "户编号,村代码,户类型,脱贫年度\n\
             H100,520322101001,一般农户,\n\
             H101,520322999999,一般农户,\n\
             H102,520322101001,脱贫户,\n",
        );
        let p = problems(&import(s, RegistryKind::Households, &file).await);
        let village = p
            .iter()
            .find(|x| x.row == 3)
            .expect("unknown village reported");
        assert!(village.message.contains("不存在"), "{name}: {village:?}");
        assert_eq!(village.column_letter.as_deref(), Some("B"));
        assert!(
            p.iter()
                .any(|x| x.row == 4 && x.message.contains("脱贫年度")),
            "{name}"
        );
        assert_eq!(snapshot(s).await, before, "{name}: nothing changed");
    }
}

#[tokio::test]
async fn gb18030_csv_and_xlsx_with_date_cells_import() {
    for t in stores().await {
        let name = t.name;
        with_regions(&t).await;
        let dir = t.dir.path();
        let s = &t.store;
        // Households as GB18030, the way Chinese Excel saves CSV.
        let text = households_csv();
        let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
        let h = dir.join("households-gbk.csv");
        std::fs::write(&h, &bytes).unwrap();
        match import(s, RegistryKind::Households, &h).await {
            ImportOutcome::Imported { report, counts, .. } => {
                assert!(
                    report.source_note.contains("GB18030"),
                    "{name}: {}",
                    report.source_note
                );
                assert_eq!(counts.inserted, 3);
            }
            ImportOutcome::Rejected { report } => panic!("{}", report.render_text(20)),
        }
        // Members as XLSX with a real Excel date cell and numeric cells.
        let x = dir.join("members.xlsx");
        {
            use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
            let mut wb = Workbook::new();
            let ws = wb.add_worksheet();
            let headers = [
                "户编号",
                "姓名",
                "证件号码",
                "与户主关系",
                "出生日期",
                "劳动技能",
                "务工月数",
            ];
            for (c, h) in headers.iter().enumerate() {
                ws.write_string(0, c as u16, *h).unwrap();
            }
            let date = Format::new().set_num_format("yyyy-mm-dd");
            ws.write_string(1, 0, "H001").unwrap();
            ws.write_string(1, 1, "张大山").unwrap();
            ws.write_string(1, 2, id(1968, 5, 1, 11, Sex::Male))
                .unwrap();
            ws.write_string(1, 3, "户主").unwrap();
            ws.write_datetime_with_format(
                1,
                4,
                ExcelDateTime::from_ymd(1968, 5, 1).unwrap(),
                &date,
            )
            .unwrap();
            ws.write_string(1, 5, "普通劳动力").unwrap();
            ws.write_number(1, 6, 7.0).unwrap();
            wb.save(&x).unwrap();
        }
        assert_eq!(
            counts(&import(s, RegistryKind::Members, &x).await),
            (1, 0, 0),
            "{name}"
        );
        let mut back = Vec::new();
        s.for_each_member(Some(RegionCode::parse("520322").unwrap()), |m| {
            back.push(m);
            Ok::<_, store::StoreError>(())
        })
        .await
        .unwrap();
        assert_eq!(
            back[0].birth_date,
            NaiveDate::from_ymd_opt(1968, 5, 1).unwrap()
        );
        assert_eq!(back[0].work_months, Some(7));
    }
}

#[tokio::test]
async fn export_then_import_round_trips() {
    for t in stores().await {
        let name = t.name;
        seeded(&t).await;
        let dir = t.dir.path();
        let s = &t.store;
        for (kind, ext) in [
            (RegistryKind::Households, "xlsx"),
            (RegistryKind::Members, "csv"),
            (RegistryKind::Members, "xlsx"),
            (RegistryKind::Incomes, "csv"),
        ] {
            let out = dir.join(format!("export-{}.{ext}", kind.template().name));
            let n = service::exports::export_registry(s, kind, &out, None)
                .await
                .unwrap();
            assert!(n > 0);
            let o = import(s, kind, &out).await;
            let (ins, upd, same) = counts(&o);
            assert_eq!(
                (ins, upd, same),
                (0, 0, n),
                "{name}: {} {ext} round trip",
                kind.template().name
            );
        }
    }
}
