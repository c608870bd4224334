//! Export → import gives back equal records, for the three registry templates in both
//! formats: an export is a filled-in template.

mod common;

use common::*;
use domain::*;
use proptest::prelude::*;
use tabular::{
    Parsed, parse_households, parse_incomes, parse_members, read_table, write_households,
    write_incomes, write_members,
};

fn records<T>(parsed: Parsed<T>) -> Vec<T> {
    assert!(parsed.problems.is_empty(), "{:#?}", parsed.problems);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    parsed.records.into_iter().map(|(_, r)| r).collect()
}

fn households_back(rows: &[Household], ext: &str) -> Vec<Household> {
    let (_dir, path) = temp_file(&format!("户信息.{ext}"));
    write_households(&path, rows).unwrap();
    records(parse_households(&read_table(&path, None).unwrap()))
}

fn members_back(rows: &[Member], ext: &str) -> Vec<Member> {
    let (_dir, path) = temp_file(&format!("人口信息.{ext}"));
    write_members(&path, rows).unwrap();
    records(parse_members(&read_table(&path, None).unwrap()))
}

fn incomes_back(rows: &[IncomeRecord], ext: &str) -> Vec<IncomeRecord> {
    let (_dir, path) = temp_file(&format!("收支信息.{ext}"));
    write_incomes(&path, rows).unwrap();
    records(parse_incomes(&read_table(&path, None).unwrap()))
}

#[test]
fn fixed_records_round_trip_in_csv_and_xlsx() {
    for ext in ["csv", "xlsx"] {
        assert_eq!(households_back(&households(), ext), households(), "{ext}");
        assert_eq!(members_back(&members(), ext), members(), "{ext}");
        assert_eq!(incomes_back(&incomes(), ext), incomes(), "{ext}");
    }
}

#[test]
fn csv_export_has_bom_full_ids_and_template_headers() {
    let (_dir, path) = temp_file("m.csv");
    write_members(&path, &members()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes).unwrap();
    let first = text.lines().next().unwrap().trim_start_matches('\u{FEFF}');
    assert_eq!(first, tabular::spec::MEMBERS.headers().join(","));
    let m = &members()[0];
    assert!(
        text.contains(m.id_number.as_str()),
        "export carries full ID numbers"
    );
    assert!(text.contains("1968-04-12"));
    assert!(text.contains(",是,否,否"));

    let (_dir, path) = temp_file("i.csv");
    write_incomes(&path, &incomes()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("5203221010010001,2024,14000,6000.50,2500.01,0,3700,123.45,,0"),
        "{text}"
    );
}

#[test]
fn empty_exports_are_header_only() {
    for ext in ["csv", "xlsx"] {
        let (_dir, path) = temp_file(&format!("h.{ext}"));
        write_households(&path, &[]).unwrap();
        let t = read_table(&path, None).unwrap();
        assert_eq!(t.headers, tabular::spec::HOUSEHOLDS.headers());
        assert!(t.rows.is_empty());
    }
}

#[test]
fn unsupported_export_format_is_refused() {
    let (_dir, path) = temp_file("h.ods");
    let e = write_households(&path, &households()).unwrap_err();
    assert!(e.to_string().contains("不支持"), "{e}");
}

fn any_member() -> impl Strategy<Value = Member> {
    let birth = (1930i32..2024, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| ymd(y, m, d));
    (
        (
            birth,
            0u16..1000,
            any::<bool>(),
            "[A-Z0-9]{1,6}(-[0-9]{1,4})?",
        ),
        (
            "[\u{4e00}-\u{9fa5}]{1,4}(·[\u{4e00}-\u{9fa5}]{1,3})?",
            0..Relation::ALL.len(),
            0..Labor::ALL.len(),
            proptest::option::of(1u8..16),
            proptest::option::of(0..DisabilityGrade::ALL.len()),
            proptest::option::of(0..Schooling::ALL.len()),
            proptest::option::of(0..Education::ALL.len()),
        ),
        (
            proptest::option::of(0u8..=12),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
        ),
    )
        .prop_map(
            |(
                (birth, seq, male, no),
                (name, rel, lab, health, dis, sch, edu),
                (wm, mi, db, tk),
            )| {
                let sex = if male { Sex::Male } else { Sex::Female };
                let mut m = member(&no, &name, id(birth, seq, sex), Relation::ALL[rel]);
                m.labor = Labor::ALL[lab];
                // 健康 excludes the other conditions.
                m.health = health.map(|bits| {
                    if bits & 1 == 1 {
                        Health::HEALTHY
                    } else {
                        Health::from_bits(bits).unwrap()
                    }
                });
                m.disability_grade = dis.map(|i| DisabilityGrade::ALL[i]);
                m.schooling = sch.map(|i| Schooling::ALL[i]);
                m.education = edu.map(|i| Education::ALL[i]);
                m.work_months = wm;
                m.medical_insured = mi;
                m.dibao = db;
                m.tekun = tk;
                m
            },
        )
}

fn money() -> impl Strategy<Value = Money> {
    (0i64..=10_000_000_000).prop_map(Money::from_fen)
}

fn any_income() -> impl Strategy<Value = IncomeRecord> {
    (
        "[0-9]{4,16}",
        2014u16..=2100,
        [money(), money(), money(), money(), money()],
        [
            proptest::option::of(money()),
            proptest::option::of(money()),
            proptest::option::of(money()),
        ],
    )
        .prop_map(
            |(no, year, [w, bi, bc, p, t], [med, edu, other])| IncomeRecord {
                household_no: hh(&no),
                year,
                wage: w,
                business_income: bi,
                business_cost: bc,
                property: p,
                transfer: t,
                medical_out_of_pocket: med,
                education_cost: edu,
                other_rigid_cost: other,
            },
        )
}

fn any_household() -> impl Strategy<Value = Household> {
    (
        "[0-9]{16}",
        (1u64..999, 1u64..999),
        proptest::option::of(2014u16..=2020),
        proptest::option::of("1[3-9][0-9]{9}"),
        proptest::option::of((
            // What a spreadsheet would take for a formula, quoted by the export and
            // unquoted by the import.
            proptest::sample::select(vec!["", "=", "+", "-", "@", "'", "'=", "''-", "-1+", "-12"]),
            "[^\u{0}-\u{1f}\u{7f}\u{3000} ]([^\u{0}-\u{1f}\u{3000}]{0,20}[^\u{0}-\u{1f}\u{7f}\u{3000} ])?",
        )
            .prop_map(|(prefix, rest)| format!("{prefix}{rest}"))
            .prop_filter("a valid address", |a| domain::household::ADDRESS.check(a).is_ok())),
        proptest::option::of(0..HousingSafety::ALL.len()),
        proptest::option::of(0..WaterSafety::ALL.len()),
    )
        .prop_map(|(no, (town, village), exit, phone, address, housing, water)| Household {
            household_no: hh(&no),
            village: RegionCode::parse(&format!("520322{town:03}{village:03}")).unwrap(),
            household_type: if exit.is_some() {
                HouseholdType::ExPoor
            } else {
                HouseholdType::Ordinary
            },
            exit_year: exit,
            phone: phone.map(|p| Phone::parse(&p).unwrap()),
            address: address.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
            housing: housing.map(|i| HousingSafety::ALL[i]),
            water: water.map(|i| WaterSafety::ALL[i]),
        })
}

/// Rows of one file must have distinct keys: keep the first of each.
fn distinct_by<T, K: std::hash::Hash + Eq>(mut v: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|r| seen.insert(key(r)));
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn members_round_trip(rows in proptest::collection::vec(any_member(), 0..12)) {
        let rows = distinct_by(rows, |m| m.id_number.clone());
        for ext in ["csv", "xlsx"] {
            if rows.is_empty() { continue; }
            prop_assert_eq!(&members_back(&rows, ext), &rows);
        }
    }

    #[test]
    fn incomes_round_trip(rows in proptest::collection::vec(any_income(), 1..12)) {
        let rows = distinct_by(rows, |r| (r.household_no.clone(), r.year));
        for ext in ["csv", "xlsx"] {
            prop_assert_eq!(&incomes_back(&rows, ext), &rows);
        }
    }

    #[test]
    fn households_round_trip(rows in proptest::collection::vec(any_household(), 1..12)) {
        let rows = distinct_by(rows, |h| h.household_no.clone());
        for ext in ["csv", "xlsx"] {
            prop_assert_eq!(&households_back(&rows, ext), &rows);
        }
    }
}

#[test]
fn too_many_rows_for_one_worksheet_are_refused_up_front() {
    let (_dir, path) = temp_file("h.xlsx");
    let rows = vec![households().remove(1); 1_048_576];
    let e = write_households(&path, &rows).unwrap_err();
    assert!(matches!(e, tabular::WriteError::TooManyRows), "{e}");
    assert!(e.to_string().contains("请导出为CSV"), "{e}");
    assert!(!path.exists());
}

#[test]
fn record_writer_streams_one_record_at_a_time() {
    for ext in ["csv", "xlsx"] {
        let (_dir, path) = temp_file(&format!("m.{ext}"));
        let mut w = tabular::RecordWriter::<Member>::create(&path).unwrap();
        for m in members() {
            w.push(&m).unwrap();
        }
        assert_eq!(w.finish().unwrap(), members().len());
        let parsed = tabular::parse_file::<tabular::MemberParser>(&path, None).unwrap();
        assert_eq!(records(parsed.parsed), members());
    }
}
