//! Empty templates: every template writes as XLSX and CSV, opens with calamine, reads back
//! as its own header row, and carries the explanation and choice-list sheets.

mod common;

use calamine::{Data, Reader, SheetVisible, open_workbook_auto};
use common::temp_file;
use tabular::spec::{self, Kind};
use tabular::{parse_members, read_table, write_template};

fn sheet_text(range: &calamine::Range<Data>) -> String {
    range
        .rows()
        .flat_map(|r| r.iter().map(|d| format!("{d}\t")))
        .collect()
}

#[test]
fn every_template_opens_and_explains_itself() {
    for t in spec::ALL {
        let (_dir, path) = temp_file(&format!("{}.xlsx", t.name));
        write_template(t, &path).unwrap();

        let mut wb = open_workbook_auto(&path).unwrap();
        let names = wb.sheet_names();
        assert_eq!(
            names[0], t.title,
            "data sheet first, named after the template"
        );
        assert_eq!(names[1], "填写说明");
        let has_choices = t.columns.iter().any(|c| c.choices().is_some());
        assert_eq!(names.iter().any(|n| n == "选项"), has_choices, "{}", t.name);

        let data = wb.worksheet_range(t.title).unwrap();
        let header: Vec<String> = data
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(header, t.headers());

        let help = sheet_text(&wb.worksheet_range("填写说明").unwrap());
        for needle in [
            "表头",
            "英文键名",
            "是否必填",
            "说明",
            "可选值",
            "全部导入",
            "重复导入",
            "两位小数",
            "YYYY-MM-DD",
            t.key_note,
        ] {
            assert!(help.contains(needle), "{}: 填写说明 lacks {needle}", t.name);
        }
        for c in t.columns {
            assert!(
                help.contains(c.header) && help.contains(c.key),
                "{} {}",
                t.name,
                c.key
            );
        }

        if has_choices {
            let meta = wb
                .sheets_metadata()
                .iter()
                .find(|s| s.name == "选项")
                .unwrap();
            assert_eq!(meta.visible, SheetVisible::Hidden);
            let options = wb.worksheet_range("选项").unwrap();
            let text = sheet_text(&options);
            for c in t.columns {
                for label in c.choices().unwrap_or_default() {
                    assert!(text.contains(label), "{} {label}", c.key);
                }
            }
        }

        // An empty template reads back as a header row without problems.
        let table = read_table(&path, None).unwrap();
        assert_eq!(table.headers, t.headers());
        assert!(table.rows.is_empty());

        let (_dir, csv) = temp_file(&format!("{}.csv", t.name));
        write_template(t, &csv).unwrap();
        let table = read_table(&csv, None).unwrap();
        assert_eq!(table.headers, t.headers());
        assert_eq!(table.source_note, "CSV，UTF-8编码");
    }
}

#[test]
fn members_template_lists_long_choices_on_the_options_sheet() {
    let (_dir, path) = temp_file("members.xlsx");
    write_template(&spec::MEMBERS, &path).unwrap();
    let mut wb = open_workbook_auto(&path).unwrap();
    let options = wb.worksheet_range("选项").unwrap();
    let headers: Vec<String> = options
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect();
    let enumerated: Vec<&str> = spec::MEMBERS
        .columns
        .iter()
        .filter(|c| matches!(c.kind, Kind::Enum(_) | Kind::MultiEnum(_) | Kind::Flag))
        .map(|c| c.header)
        .collect();
    assert_eq!(headers, enumerated);
    let relation = headers.iter().position(|h| h == "与户主关系").unwrap();
    let labels: Vec<String> = options
        .rows()
        .skip(1)
        .map(|r| r[relation].to_string())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(labels, domain::Relation::labels());

    // The empty template parses without problems (and says it has no rows).
    let parsed = parse_members(&read_table(&path, None).unwrap());
    assert!(parsed.is_ok());
    assert_eq!(parsed.warnings, vec!["文件只有表头，没有数据行"]);
}
