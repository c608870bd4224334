//! 导入文件: registry files and department feeds, read and checked by the same functions an
//! import calls (`tabular::parse_file`, `tabular::parse_feed_file`) from a real file, since
//! the format is chosen by the file's extension and a workbook is opened from its path.
//!
//! The selector byte picks the template: 0 户信息, 1 人口信息, 2 收支信息, then the feeds in
//! their storage order (3 医保结算 … 10 死亡), modulo 11; the rest of the input is the file.
//! A workbook input is read as `.xlsx`, the only workbook format an import accepts (the
//! others are refused by their extension before a byte is read, so fuzzing them would
//! only exercise that refusal).

use chrono::NaiveDate;
use domain::feed::Feed;
use std::path::{Path, PathBuf};
use tabular::parse::{
    HouseholdParser, IncomeParser, MemberParser, Parsed, ParsedFile, parse_feed_file, parse_file,
};

/// The templates a selector byte can name, in selector order.
pub const KINDS: [&str; 11] = [
    "households",
    "members",
    "incomes",
    "medical",
    "disability",
    "disaster",
    "assistance",
    "employment",
    "schooling",
    "housing",
    "death",
];

/// The latest date a feed record may carry, fixed so that a run is reproducible.
fn latest() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 31).expect("a date")
}

/// One CSV input: selector byte, then the file.
pub fn csv(data: &[u8]) {
    let (kind, file) = crate::pick(data);
    check(kind, "csv", file);
}

/// One workbook input: selector byte, then the `.xlsx` file.
pub fn workbook(data: &[u8]) {
    let (kind, file) = crate::pick(data);
    check(kind, "xlsx", file);
}

/// Writes `file` where the reader will find it and parses it as template `kind`.
fn check(kind: u8, ext: &str, file: &[u8]) {
    let path = scratch(ext);
    std::fs::write(&path, file).expect("the scratch file is writable");
    parse(usize::from(kind) % KINDS.len(), &path);
}

/// Parses the file at `path` as template number `kind` of [`KINDS`] and checks what the
/// parser promises about its result.
pub fn parse(kind: usize, path: &Path) {
    match kind {
        0 => {
            if let Some(file) = registry::<HouseholdParser>(path) {
                for (_, h) in &file.parsed.records {
                    assert!(
                        h.check().is_empty(),
                        "an accepted household breaks its rules"
                    );
                }
            }
        }
        1 => {
            registry::<MemberParser>(path);
        }
        2 => {
            registry::<IncomeParser>(path);
        }
        _ => {
            let feed = Feed::from_code(kind as i16 - 2).expect("feeds are numbered 1 to 8");
            if let Ok(file) = parse_feed_file(feed, path, None, latest()) {
                for (_, row) in &file.parsed.records {
                    assert!(row.date <= latest(), "a record after the latest date");
                    assert_eq!(row.detail.feed(), feed, "a record of another feed");
                }
                report(&file.source_note, &file.parsed);
            }
        }
    }
}

/// A registry file parsed and its report rendered, as the CLI and the API do.
fn registry<P: tabular::RecordParser>(path: &Path) -> Option<ParsedFile<P::Record>> {
    let file = parse_file::<P>(path, None).ok()?;
    report(&file.source_note, &file.parsed);
    Some(file)
}

/// Renders the problem report both ways a clerk sees it (terminal text and CSV), which
/// echo and mask cell values.
fn report<T>(note: &str, parsed: &Parsed<T>) {
    let report = parsed.report(note);
    assert_eq!(report.is_ok(), parsed.problems.is_empty());
    let _ = report.render_text(20);
    let mut csv = Vec::new();
    report
        .write_csv_to(&mut csv)
        .expect("a report writes to memory");
}

/// This process's scratch file for extension `ext`, in its own folder under the temporary
/// directory (the fuzz script points `TMPDIR` into the run's output folder).
fn scratch(ext: &str) -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fangpin-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
        dir
    });
    dir.join(format!("input.{ext}"))
}
