//! The inputs on which the fuzz targets found a defect (`fuzz/regressions/csv/` and
//! `fuzz/regressions/workbook/`; docs/operations.md, “Fuzzing”), read as those targets
//! read them: the first byte picks the template — 0 户信息, 1 人口信息, 2 收支信息, then the
//! feeds in their storage order, 3 医保结算 … 10 死亡, modulo 11 — and the rest is the file.
//! `cargo test` never builds the fuzz workspace, so each finding is kept here as well:
//! every input is read to a result, records or problems, never to a panic.

use chrono::NaiveDate;
use domain::feed::Feed;
use std::path::{Path, PathBuf};
use tabular::parse::{HouseholdParser, IncomeParser, MemberParser, parse_feed_file, parse_file};
use tabular::{Problem, ReadError};

/// The kept inputs of one target, sorted by name.
fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Reads one kept input as its target does: its file written with extension `ext`, then
/// parsed as the template its first byte names. The problems found, or the read error.
fn read(input: &Path, ext: &str) -> Result<Vec<Problem>, ReadError> {
    let data = std::fs::read(input).unwrap();
    let (kind, file) = data.split_first().map_or((0, &[][..]), |(k, f)| (*k, f));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("input.{ext}"));
    std::fs::write(&path, file).unwrap();
    let latest = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    Ok(match kind % 11 {
        0 => parse_file::<HouseholdParser>(&path, None)?.parsed.problems,
        1 => parse_file::<MemberParser>(&path, None)?.parsed.problems,
        2 => parse_file::<IncomeParser>(&path, None)?.parsed.problems,
        k => {
            let feed = Feed::from_code(i16::from(k) - 2).unwrap();
            parse_feed_file(feed, &path, None, latest)?.parsed.problems
        }
    })
}

#[test]
fn every_kept_input_is_read_without_a_panic() {
    for (target, ext) in [("csv", "csv"), ("workbook", "xlsx")] {
        for input in inputs(target) {
            // A panic fails the test with the input's name in the output.
            eprintln!("{}", input.display());
            let _ = read(&input, ext);
        }
    }
}

/// An amount of twenty digits in a feed once overflowed the fast path of amounts (which
/// added digits before counting them) instead of being refused as too large.
#[test]
fn an_amount_of_twenty_digits_is_refused_as_too_large() {
    let input = inputs("csv")
        .into_iter()
        .find(|p| p.ends_with("amount-twenty-digits"))
        .expect("the kept input");
    let problems = read(&input, "csv").unwrap();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let p = &problems[0];
    assert_eq!((p.row, p.column_letter.as_deref()), (2, Some("F")));
    assert!(p.message.contains("过大"), "{}", p.message);
}
