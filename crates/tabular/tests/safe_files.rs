//! Files in and out that cannot hurt whoever opens them: exports neutralise formula
//! injection in CSV and XLSX yet re-import unchanged, keep negative amounts numbers, and are
//! created readable by their owner only; imported names and addresses with control
//! characters are refused with their row and column.

mod common;

use common::*;
use domain::*;
use std::io::Read as _;
use std::path::Path;
use tabular::{
    Cell, parse_households, parse_members, read_csv_bytes, read_table, write_households,
    write_incomes, write_members, write_template,
};

/// The household of the finding, its address the classic payload, and neighbours whose
/// values start like formulas or only look like them.
fn hostile_households() -> Vec<Household> {
    let base = households().remove(1);
    let with = |no: &str, address: &str| Household {
        household_no: hh(no),
        address: Some(address.to_owned()),
        ..base.clone()
    };
    vec![
        with("H1", "=cmd|' /C calc'!A0"),
        with("H2", "=1+2"),
        with("H3", "+86 0851 1234"),
        with("H4", "@SUM(A1:A9)"),
        with("H5", "'=already quoted"),
        with("H6", "-2+3"),
        // Only looks like a formula: a plain negative number, and an apostrophe before
        // ordinary text.
        with("H7", "-12"),
        with("H8", "'高山组"),
        // A 户编号 may start with "-" (letters, digits and "-").
        with("-1-1", "楚米镇新华村一组"),
    ]
}

fn read_back(path: &Path) -> Vec<Household> {
    let parsed = parse_households(&read_table(path, None).unwrap());
    assert!(parsed.problems.is_empty(), "{:#?}", parsed.problems);
    parsed.records.into_iter().map(|(_, r)| r).collect()
}

#[test]
fn csv_exports_quote_formulas_and_re_import_unchanged() {
    let (_dir, path) = temp_file("户信息.csv");
    let rows = hostile_households();
    write_households(&path, &rows).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let address_of = |no: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{no},")) || l.starts_with(&format!("'{no},")))
            .unwrap_or_else(|| panic!("{no} in {text}"))
            .to_owned()
    };
    assert!(address_of("H1").contains(",'=cmd|' /C calc'!A0,"), "{text}");
    assert!(address_of("H2").contains(",'=1+2,"));
    assert!(address_of("H3").contains(",'+86 0851 1234,"));
    assert!(address_of("H4").contains(",'@SUM(A1:A9),"));
    assert!(address_of("H5").contains(",''=already quoted,"));
    assert!(address_of("H6").contains(",'-2+3,"));
    assert!(
        address_of("H7").contains(",-12,"),
        "a number stays a number"
    );
    assert!(address_of("H8").contains(",'高山组,"));
    assert!(address_of("'-1-1").starts_with("'-1-1,"), "{text}");
    // No cell of the file starts a formula.
    let table = read_csv_bytes(text.as_bytes()).unwrap();
    for row in &table.rows {
        for i in 0..table.headers.len() {
            if let Cell::Text(s) = row.cell(i) {
                assert!(
                    !matches!(s.as_bytes()[0], b'=' | b'+' | b'@' | b'\t' | b'\r'),
                    "{s}"
                );
            }
        }
    }
    assert_eq!(read_back(&path), rows);
}

/// The parts of an XLSX file, by name.
fn xlsx_part(path: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut part = zip.by_name(name).unwrap();
    let mut text = String::new();
    part.read_to_string(&mut text).unwrap();
    text
}

/// Whether the (inline string) cell holding `value` has a style with the quote prefix.
fn quote_prefixed(sheet: &str, styles: &str, value: &str) -> bool {
    let at = sheet
        .find(&format!(">{value}<"))
        .unwrap_or_else(|| panic!("{value} in the sheet"));
    let cell = &sheet[sheet[..at].rfind("<c ").unwrap()..at];
    let style: usize = cell
        .split("s=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map_or(0, |s| s.parse().unwrap());
    let xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
    let xf = xfs.split("<xf ").nth(style + 1).unwrap();
    xf.contains("quotePrefix=\"1\"")
}

#[test]
fn xlsx_exports_keep_formulas_as_text_and_re_import_unchanged() {
    let (_dir, path) = temp_file("户信息.xlsx");
    let rows = hostile_households();
    write_households(&path, &rows).unwrap();
    let sheet = xlsx_part(&path, "xl/worksheets/sheet1.xml");
    let styles = xlsx_part(&path, "xl/styles.xml");
    assert!(!sheet.contains("<f>"), "no formula is written");
    // Excel's own apostrophe: the cell keeps its value and stays text when edited.
    assert!(quote_prefixed(&sheet, &styles, "=1+2"));
    assert!(quote_prefixed(&sheet, &styles, "@SUM(A1:A9)"));
    assert!(quote_prefixed(&sheet, &styles, "-2+3"));
    assert!(quote_prefixed(&sheet, &styles, "-1-1"));
    assert!(!quote_prefixed(&sheet, &styles, "-12"));
    assert!(!quote_prefixed(&sheet, &styles, "楚米镇新华村一组"));
    assert_eq!(read_back(&path), rows);
}

#[test]
fn negative_amounts_stay_numbers() {
    let mut loss = incomes().remove(0);
    loss.business_income = Money::from_fen(-123_450);
    let (_dir, csv) = temp_file("收支信息.csv");
    write_incomes(&csv, std::slice::from_ref(&loss)).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains(",-1234.50,"), "{text}");
    assert!(!text.contains("'-"), "{text}");
    let (_dir, xlsx) = temp_file("收支信息.xlsx");
    write_incomes(&xlsx, &[loss]).unwrap();
    let t = read_table(&xlsx, None).unwrap();
    let col = t
        .headers
        .iter()
        .position(|h| h == "生产经营性收入")
        .unwrap();
    assert_eq!(t.rows[0].cell(col), &Cell::Number(-1234.5));
}

#[cfg(unix)]
#[test]
fn exports_templates_and_problem_reports_are_for_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    for ext in ["csv", "xlsx"] {
        let export = dir.path().join(format!("人口信息.{ext}"));
        // Written over a file that was readable by everyone.
        std::fs::write(&export, "old").unwrap();
        std::fs::set_permissions(&export, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_members(&export, &members()).unwrap();
        assert_eq!(mode(&export), 0o600, "{ext} export");
        let template = dir.path().join(format!("模板.{ext}"));
        write_template(&tabular::spec::MEMBERS, &template).unwrap();
        assert_eq!(mode(&template), 0o600, "{ext} template");
    }
    let bad = read_csv_bytes("户编号,姓名\nH1,张3\n".as_bytes()).unwrap();
    let report = parse_members(&bad).report("test");
    let out = dir.path().join("问题报告.csv");
    report.write_csv(&out).unwrap();
    assert_eq!(mode(&out), 0o600, "problem report");
}

#[test]
fn names_and_addresses_with_control_characters_are_refused_in_files() {
    let member_id = id(ymd(1970, 1, 1), 11, Sex::Male).as_str().to_owned();
    let members = format!(
        "户编号,姓名,证件号码,与户主关系,劳动技能\n\
         H1,\u{1b}[2J王五,{member_id},户主,普通劳动力\n\
         H2,阿依古丽·买买提,{},户主,普通劳动力\n\
         H3,王\u{202E}五,{},户主,普通劳动力\n",
        id(ymd(1971, 1, 1), 22, Sex::Female).as_str(),
        id(ymd(1972, 1, 1), 33, Sex::Male).as_str(),
    );
    let parsed = parse_members(&read_csv_bytes(members.as_bytes()).unwrap());
    let at = |row: usize| {
        parsed
            .problems
            .iter()
            .find(|p| p.row == row)
            .unwrap_or_else(|| panic!("row {row}: {:#?}", parsed.problems))
    };
    for row in [2, 4] {
        let p = at(row);
        assert_eq!(p.column.as_deref(), Some("姓名"));
        assert_eq!(p.column_letter.as_deref(), Some("B"));
        assert!(p.message.contains("个字是控制字符"), "{}", p.message);
        assert!(!p.message.contains('\u{1b}'), "{}", p.message);
    }
    assert_eq!(parsed.problems.len(), 2, "{:#?}", parsed.problems);

    let households = "户编号,村代码,户类型,住址\n\
         H1,520322101001,一般农户,高山组\u{1b}]0;owned\u{7}\n\
         H2,520322101001,一般农户,\"高山组\n老屋\"\n\
         H3,520322101001,一般农户,高山组\u{202E}\n";
    let parsed = parse_households(&read_csv_bytes(households.as_bytes()).unwrap());
    let rows: Vec<usize> = parsed.problems.iter().map(|p| p.row).collect();
    assert_eq!(rows, [2, 4], "{:#?}", parsed.problems);
    for p in &parsed.problems {
        assert_eq!(p.column.as_deref(), Some("住址"));
        assert!(p.message.contains("控制字符"), "{}", p.message);
    }
    // A line break (Excel's Alt+Enter) is part of an address.
    assert_eq!(parsed.records.len(), 1);
    assert_eq!(parsed.records[0].1.address.as_deref(), Some("高山组\n老屋"));
    let long = format!(
        "户编号,村代码,户类型,住址\nH1,520322101001,一般农户,{}\n",
        // Within what the reader accepts of one cell (32,767 characters), far beyond
        // what an address may be.
        "很".repeat(30_000)
    );
    let parsed = parse_households(&read_csv_bytes(long.as_bytes()).unwrap());
    assert!(parsed.problems[0].message.contains("住址过长：最多200个字"));
}
