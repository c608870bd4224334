//! What the command line prints when things go wrong for the reader: a pipe closed early
//! (`fangpin lead list | head -1`), a defect of the program (a panic), and values typed by
//! someone else that carry terminal escape sequences.

mod common;

use common::{Db, county, text};
use std::process::Stdio;

#[test]
fn a_reader_that_goes_away_ends_the_program_quietly() {
    let db = Db::sqlite();
    county(&db, 2000, &["households", "members", "incomes"]);
    db.ok(&["screen", "--as-of", "2025-12-31"]);
    let all = db.ok(&["lead", "list"]);
    assert!(all.lines().count() > 10, "{all}");
    // The reading end is closed before the program writes its first line: every write
    // meets a closed pipe, as it does after `head -1` has read its line.
    let mut child = db
        .cmd(&["lead", "list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn a_defect_is_one_chinese_sentence_without_a_backtrace() {
    let db = Db::sqlite();
    let o = db.run(&["internal-error-test"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(70), "{err}");
    assert!(err.starts_with("内部错误："), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    for word in ["panicked", "RUST_BACKTRACE", "src/", "thread"] {
        assert!(!err.contains(word), "{word}: {err}");
    }
    // With -v the details follow, for the maintainer.
    let o = db.run(&["-v", "internal-error-test"]);
    assert!(text(&o.stderr).contains("详情："), "{}", text(&o.stderr));
}

#[test]
fn escape_sequences_in_file_names_and_headers_reach_the_terminal_as_text() {
    let db = Db::sqlite();
    db.ok(&["import", "regions", "--county", "520322"]);
    // A header of someone else's file, echoed in the import's warnings: ESC [2J would
    // clear the clerk's screen, ESC ]0; retitle the window.
    let name = "户信息\u{1b}]0;x\u{7}.csv";
    std::fs::write(
        db.path(name),
        "户编号,村代码,户类型,\u{1b}[2J备注\nH1,520322101001,一般农户,x\n",
    )
    .unwrap();
    let o = db.run(&["import", "households", name]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{err}");
    assert!(out.contains("␛[2J备注"), "{out}");
    let o = db.run(&["import", "households", "缺少\u{1b}[2J.csv"]);
    let err = text(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("缺少␛[2J.csv"), "{err}");
    for printed in [out, err] {
        assert!(!printed.contains('\u{1b}'), "{printed:?}");
        assert!(!printed.contains('\u{7}'), "{printed:?}");
    }
}
