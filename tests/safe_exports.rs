//! Exports and reports as the `fangpin` binary writes them: readable by their owner only,
//! no cell that a spreadsheet would run as a formula, and an export that re-imports
//! unchanged.

mod common;

use common::Db;
use std::path::Path;

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn exports_are_private_defused_and_re_import_unchanged() {
    let db = Db::sqlite();
    let d = db.dir.path();
    db.ok(&["import", "regions", "--county", "520322"]);
    std::fs::write(
        d.join("h.csv"),
        "户编号,村代码,户类型,住址\n\
         H1,520322101001,一般农户,=cmd|' /C calc'!A0\n\
         H2,520322101001,一般农户,-2+3\n\
         H3,520322101001,一般农户,高山组\n",
    )
    .unwrap();
    assert!(db.ok(&["import", "households", "h.csv"]).contains("新增 3"));

    for ext in ["csv", "xlsx"] {
        let out = format!("户信息.{ext}");
        db.ok(&["export", "households", &out]);
        #[cfg(unix)]
        assert_eq!(mode(&d.join(&out)), 0o600, "{out}");
        // The export, imported again, changes nothing.
        let again = db.ok(&["import", "households", &out]);
        assert!(again.contains("未变 3"), "{out}: {again}");
    }
    let csv = std::fs::read_to_string(d.join("户信息.csv")).unwrap();
    assert!(csv.contains(",'=cmd|' /C calc'!A0"), "{csv}");
    assert!(csv.contains(",'-2+3"), "{csv}");

    // The problem report of a refused file, and a screening's lists.
    std::fs::write(
        d.join("bad.csv"),
        "户编号,村代码,户类型,住址\nH4,520322101001,一般农户,=1+2\u{1b}[2J\n",
    )
    .unwrap();
    let o = db.run(&["import", "households", "bad.csv", "--report", "问题.csv"]);
    assert_eq!(o.status.code(), Some(2));
    let report = std::fs::read_to_string(d.join("问题.csv")).unwrap();
    assert!(report.contains("住址第5个字是控制字符"), "{report}");
    // The value is shown quoted, its escape character visible but harmless.
    assert!(report.contains(",'=1+2\u{FFFD}[2J,"), "{report}");
    db.ok(&["screen", "--as-of", "2025-12-31", "--out", "预警.json"]);
    db.ok(&["quality", "--as-of", "2025-12-31", "--out", "质量.csv"]);
    #[cfg(unix)]
    for f in ["问题.csv", "预警.json", "质量.csv"] {
        assert_eq!(mode(&d.join(f)), 0o600, "{f}");
    }
}
