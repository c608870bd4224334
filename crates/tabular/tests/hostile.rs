//! The hostile corpus (`tests/hostile/`, written by `make_corpus.py`) through the path by
//! which every import reads a file (`parse_file`, as `service::imports` calls it) and
//! through the in-memory entry point a fuzzer calls (`read_bytes`): each file is refused
//! with a Chinese message naming what is wrong (and its row and column when it is one
//! cell), or read right, and none of them costs more than a few megabytes.
//!
//! These tests share their process on purpose: the last one checks the process's peak
//! memory after all of them, which a single file allocating its declared size would blow.

use std::path::{Path, PathBuf};
use tabular::parse::{HouseholdParser, parse_file};
use tabular::{Limits, ReadError, read_bytes};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hostile")
        .join(name)
}

/// Where an error points: (row, column), for an error of one row or cell.
type At = Option<(usize, Option<usize>)>;

/// Each refused file, the words its error must hold, and where it must point.
const REFUSED: &[(&str, &[&str], At)] = &[
    // Extreme references and declared counts: once allocations of hundreds of gigabytes.
    (
        "cell-xfd1048576.xlsx",
        &["第1048576行 XFD列", "最多列数"],
        Some((1_048_576, Some(16_383))),
    ),
    (
        "a1-xfd2000.xlsx",
        &["第2000行 XFD列", "最多列数"],
        Some((2_000, Some(16_383))),
    ),
    (
        "sst-uniquecount-huge.xlsx",
        &[
            "超出导入限制",
            "sharedStrings.xml",
            "100000000000",
            "2,097,152",
        ],
        None,
    ),
    (
        "sst-uniquecount-1e11.xlsx",
        &["超出导入限制", "sharedStrings.xml", "1e11"],
        None,
    ),
    // Parts that inflate a thousandfold, or lie about their size.
    (
        "sst-bomb.xlsx",
        &["超出导入限制", "sharedStrings.xml", "压缩比超过100:1"],
        None,
    ),
    (
        "zip-bomb-sheet.xlsx",
        &["超出导入限制", "sheet1.xml", "压缩比超过100:1"],
        None,
    ),
    (
        "size-declared-4gib.xlsx",
        &["超出导入限制", "sheet1.xml", "3.9 GiB"],
        None,
    ),
    (
        "size-understated.xlsx",
        &["无法打开Excel文件", "sheet1.xml", "与声明的大小"],
        None,
    ),
    ("encrypted-part.xlsx", &["sheet1.xml", "已加密"], None),
    ("duplicate-part.xlsx", &["重名的部件"], None),
    // XML that would be buffered or expanded whole.
    (
        "long-shared-string.xlsx",
        &["第2行 A列", "40,000个字符", "32,767"],
        Some((2, Some(0))),
    ),
    (
        "billion-laughs.xlsx",
        &["无法打开Excel文件", "DOCTYPE"],
        None,
    ),
    (
        "styles-bomb.xlsx",
        &["超出导入限制", "styles.xml", "单元格格式", "64 MiB"],
        None,
    ),
    (
        "rows-out-of-order.xlsx",
        &["第3行", "顺序错乱"],
        Some((3, None)),
    ),
    // Names that do not say what the bytes are, and formats without tests behind them.
    ("text-named.xlsx", &["内容与扩展名不符", "改为.csv"], None),
    ("ole-named.xlsx", &["内容与扩展名不符", "旧版Excel"], None),
    (
        "workbook-named.csv",
        &["内容与扩展名不符", "改为.xlsx"],
        None,
    ),
    ("ods-named.xlsx", &["内容与扩展名不符", ".ods"], None),
    (
        "old-excel.xls",
        &["不支持旧版Excel工作簿（.xls）", "另存为"],
        None,
    ),
    ("book.xlsb", &["不支持Excel二进制工作簿（.xlsb）"], None),
    ("sheet.ods", &["不支持OpenDocument表格（.ods）"], None),
    ("sheet.et", &["不支持WPS表格（.et）"], None),
    ("empty.xlsx", &["是空的", "没有表头行"], None),
    ("empty.csv", &["是空的", "没有表头行"], None),
    // CSV.
    (
        "not-utf8-not-gb18030.csv",
        &["第2行 C列", "不是UTF-8编码"],
        Some((2, Some(2))),
    ),
    (
        "utf16-lone-surrogate.csv",
        &["第2行 B列", "无法识别的字节", "UTF-16"],
        Some((2, Some(1))),
    ),
    (
        "nul-in-cell.csv",
        &["第2行 B列", "空字符"],
        Some((2, Some(1))),
    ),
    (
        "cell-beyond-columns.csv",
        &["第2行 APJ列", "最多列数"],
        Some((2, Some(1_101))),
    ),
    (
        "long-cell.csv",
        &["第2行 C列", "33,000个字符"],
        Some((2, Some(2))),
    ),
    ("long-line.csv", &["第2行", "超过1 MiB"], Some((2, None))),
];

fn check(name: &str, e: &ReadError, words: &[&str], at: At) {
    let text = e.to_string();
    for w in words {
        assert!(text.contains(w), "{name}: “{w}” missing from {text}");
    }
    assert!(
        !text.contains("panicked") && text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{name}: {text}"
    );
    assert_eq!(e.location(), at, "{name}: {text}");
}

#[test]
fn every_hostile_file_is_refused_with_a_chinese_message() {
    for (name, words, at) in REFUSED {
        let path = corpus(name);
        assert!(path.exists(), "{name} is not in the corpus");
        let e = parse_file::<HouseholdParser>(&path, None)
            .err()
            .unwrap_or_else(|| panic!("{name} was accepted"));
        check(name, &e, words, *at);
    }
}

#[test]
fn the_fuzzing_entry_point_reads_bytes_as_a_file_is_read() {
    for (name, words, at) in REFUSED {
        let bytes = std::fs::read(corpus(name)).unwrap();
        let e = read_bytes(Path::new(name), bytes, None, &Limits::STANDARD)
            .err()
            .unwrap_or_else(|| panic!("{name} was accepted"));
        check(name, &e, words, *at);
    }
}

#[test]
fn files_that_only_look_hostile_are_read_right() {
    let read = |name: &str| {
        parse_file::<HouseholdParser>(&corpus(name), None).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    // A declared dimension of the whole sheet allocates nothing.
    let f = read("dimension-a1-xfd1048576.xlsx");
    assert_eq!(f.source_note, "XLSX，工作表“户信息”");
    assert_eq!(f.parsed.records.len(), 1, "{:?}", f.parsed.problems);
    assert_eq!(f.parsed.records[0].0, 2);
    // A row a million rows down keeps its number, without the rows between.
    let f = read("row-1000000.xlsx");
    assert_eq!(f.parsed.records.len(), 1, "{:?}", f.parsed.problems);
    assert_eq!(f.parsed.records[0].0, 1_000_000);
    // A million empty lines are counted as rows, and skipped.
    let f = read("million-empty-rows.csv");
    assert!(f.parsed.is_ok(), "{:?}", f.parsed.problems);
    assert_eq!(f.parsed.records.len(), 1);
    assert_eq!(f.parsed.records[0].0, 1_000_002);
    // Empty cells to the far right of a row cost nothing and are not columns.
    let table = tabular::read_table(&corpus("trailing-commas.csv"), None).unwrap();
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].cells.len(), 3);
    // The same column twice is the file's problem at row 1, in the report.
    let f = read("duplicate-headers.csv");
    let p = &f.parsed.problems[0];
    assert_eq!((p.row, p.column_letter.as_deref()), (1, Some("D")), "{p}");
    assert!(p.message.contains("列重复"), "{p}");
}

#[test]
fn a_flood_of_problems_is_listed_up_to_its_bound() {
    // 60,000 rows with two bad cells each: 120,000 problems, 100,000 of them listed.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flood.csv");
    let mut text = String::from("户编号,村代码,户类型,脱贫年度\n");
    for i in 0..60_000 {
        text.push_str(&format!("H{i},X,Y,\n"));
    }
    std::fs::write(&path, text).unwrap();
    let f = parse_file::<HouseholdParser>(&path, None).unwrap();
    let limit = Limits::STANDARD.max_listed_problems;
    assert_eq!(f.parsed.problems.len(), limit + 1);
    let last = f.parsed.problems.last().unwrap();
    assert_eq!(last.row, 60_001);
    assert!(last.message.contains("另有20000个问题未逐条列出"), "{last}");
    assert_eq!(f.parsed.problems[0].row, 2);
}

/// Peak resident memory of this process (VmHWM), in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn the_whole_corpus_costs_little_memory() {
    // Read every file again here, so that the measure holds whatever order the other
    // tests run in.
    let mut names: Vec<String> = std::fs::read_dir(corpus(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".py"))
        .collect();
    names.sort();
    assert!(names.len() >= 35, "{names:?}");
    for name in &names {
        let _ = parse_file::<HouseholdParser>(&corpus(name), None);
    }
    // Before the bounds, the first of these files alone asked for hundreds of gigabytes
    // and the shared-strings bomb took 570 MiB; the test binary itself is ≈ 20 MiB.
    let peak = peak_kib();
    assert!(peak < 96 * 1024, "peak resident memory {peak} KiB");
}
