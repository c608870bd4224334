//! The `fangpin` binary as a user runs it: the demo, templates, and a rejected import.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn divisions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/divisions")
}

fn fangpin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fangpin"))
        .current_dir(dir)
        .env_remove("FANGPIN_DATABASE_URL")
        .env_remove("FANGPIN_KEY")
        .env_remove("FANGPIN_KEY_FILE")
        .env("FANGPIN_DIVISIONS", divisions())
        .args(args)
        .output()
        .expect("run fangpin")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn demo_builds_a_county_and_never_overwrites_a_foreign_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = fangpin(d, &["demo", "--households", "300"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    for needle in [
        "已导入区划：232 个村",
        "楚米镇",
        "马鬃苗族乡",
        "桐梓县合计",
        "人均纯收入中位数",
    ] {
        assert!(out.contains(needle), "missing {needle} in\n{out}");
    }
    let total = out.lines().find(|l| l.starts_with("桐梓县合计")).unwrap();
    assert!(total.contains(" 300 "), "{total}");
    assert!(d.join("demo.db").exists() && d.join("demo.key").exists());

    // A second demo replaces its own database.
    let o = fangpin(d, &["demo", "--households", "200"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("桐梓县合计") && l.contains(" 200 "))
    );

    // A file it did not create is refused and left as it was.
    std::fs::write(d.join("mine.db"), b"precious").unwrap();
    let o = fangpin(d, &["demo", "--db", "mine.db", "--households", "10"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("不会覆盖"));
    assert_eq!(std::fs::read(d.join("mine.db")).unwrap(), b"precious");
}

#[test]
fn templates_have_the_headers_of_formats_md() {
    let dir = tempfile::tempdir().unwrap();
    for t in tabular::spec::ALL {
        let out = dir.path().join(format!("{}.xlsx", t.name));
        let o = fangpin(dir.path(), &["template", t.name, out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let table = tabular::read_table(&out, None).unwrap();
        assert_eq!(table.headers, t.headers(), "{}", t.name);
        assert!(table.rows.is_empty());
    }
    let o = fangpin(dir.path(), &["template", "nonsense", "x.xlsx"]);
    assert!(!o.status.success());
}

#[test]
fn a_rejected_import_exits_2_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = "sqlite://reg.db";
    let run = |args: &[&str]| {
        let mut all = vec!["--database-url", url, "--key-file", "reg.key"];
        all.extend_from_slice(args);
        fangpin(d, &all)
    };
    assert!(run(&["keygen"]).status.success());
    let o = run(&[
        "import",
        "regions",
        divisions().to_str().unwrap(),
        "--county",
        "520322",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(
        d.join("h.csv"),
        "户编号,村代码,户类型,脱贫年度\nH1,520322101001,脱贫户,2016\nH2,520322999999,一般农户,\n",
    )
    .unwrap();
    let o = run(&["import", "households", "h.csv", "--report", "problems.csv"]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(out.contains("第3行") && out.contains("村代码"), "{out}");
    assert!(out.contains("文件未导入"), "{out}");
    let report = std::fs::read_to_string(d.join("problems.csv")).unwrap();
    assert!(report.contains("520322999999"));
    // Nothing was written: an export has no rows.
    let o = run(&["export", "households", "out.csv"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains(" 0 行"), "{}", stdout(&o));
    // Fixed, the file imports; again, it changes nothing.
    std::fs::write(
        d.join("h.csv"),
        "户编号,村代码,户类型,脱贫年度\nH1,520322101001,脱贫户,2016\nH2,520322101002,一般农户,\n",
    )
    .unwrap();
    assert!(stdout(&run(&["import", "households", "h.csv"])).contains("新增 2"));
    assert!(stdout(&run(&["import", "households", "h.csv"])).contains("未变 2"));
    // The wrong key is refused.
    let o = fangpin(
        d,
        &["--database-url", url, "--key-file", "other.key", "keygen"],
    );
    assert!(o.status.success());
    let o = fangpin(
        d,
        &[
            "--database-url",
            url,
            "--key-file",
            "other.key",
            "summary",
            "--county",
            "520322",
        ],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("密钥与数据库不匹配"));
}
