//! The `fangpin` binary as a user runs it: the demo, templates, and a rejected import.

use std::path::Path;
use std::process::{Command, Output};

fn fangpin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fangpin"))
        .current_dir(dir)
        .env_remove("FANGPIN_DATABASE_URL")
        .env_remove("FANGPIN_KEY")
        .env_remove("FANGPIN_KEY_FILE")
        .env_remove("FANGPIN_DIVISIONS")
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
    let o = fangpin(d, &["demo", "--no-serve", "--households", "300"]);
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
    let o = fangpin(d, &["demo", "--no-serve", "--households", "200"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("桐梓县合计") && l.contains(" 200 "))
    );

    // A file it did not create is refused and left as it was.
    std::fs::write(d.join("mine.db"), b"precious").unwrap();
    let o = fangpin(
        d,
        &[
            "demo",
            "--no-serve",
            "--db",
            "mine.db",
            "--households",
            "10",
        ],
    );
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
    let o = run(&["import", "regions", "--county", "520322"]);
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

#[test]
fn hostile_workbooks_are_refused_in_chinese_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        let mut all = vec!["--database-url", "sqlite://h.db", "--key-file", "h.key"];
        all.extend_from_slice(args);
        fangpin(d, &all)
    };
    assert!(run(&["keygen"]).status.success());
    assert!(
        run(&["import", "regions", "--county", "520322"])
            .status
            .success()
    );
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/tabular/tests/hostile");
    // Once: an abort after asking for hundreds of gigabytes; ~1 GB before a 422.
    for (file, words) in [
        ("cell-xfd1048576.xlsx", "第1048576行 XFD列"),
        ("sst-uniquecount-huge.xlsx", "超出导入限制"),
        ("a1-xfd2000.xlsx", "第2000行 XFD列"),
    ] {
        let path = corpus.join(file);
        let o = run(&["import", "households", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{file}: {err}");
        assert!(err.contains(words), "{file}: {err}");
        assert!(!err.contains("panicked"), "{file}: {err}");
    }
    let o = run(&["export", "households", "out.csv"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains(" 0 行"), "{}", stdout(&o));
}

#[test]
fn screening_the_demo_county_lists_leads_with_their_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = fangpin(d, &["demo", "--no-serve", "--households", "2000"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert!(out.contains("已导入部门数据：8类"), "{out}");
    assert!(out.contains("筛查预警（截至 2025-12-31）"), "{out}");
    let db = [
        "--database-url",
        "sqlite://demo.db",
        "--key-file",
        "demo.key",
    ];
    let run = |args: &[&str]| {
        let all: Vec<&str> = db.iter().chain(args).copied().collect();
        let o = fangpin(d, &all);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        stdout(&o)
    };

    // The demo already screened: the same screening again opens nothing new.
    let again = run(&["screen", "--out", "预警名单.csv"]);
    assert!(again.contains("新线索 0 条"), "{again}");
    assert!(again.contains("按乡镇（户）"), "{again}");
    let table = tabular::read_table(&d.join("预警名单.csv"), None).unwrap();
    assert_eq!(table.headers, tabular::spec::SCREENING.headers());
    assert!(
        table.rows.len() > 50,
        "{} flagged of 2000",
        table.rows.len()
    );
    let col = |h: &str| table.headers.iter().position(|x| x == h).unwrap();
    for row in &table.rows {
        let reasons = row.cell(col("预警说明")).text();
        assert!(!reasons.is_empty());
        // No ID number (every one here starts with the county code) in the list.
        assert!(!reasons.contains("520322"), "{reasons}");
        assert_eq!(row.cell(col("线索处理")).text(), "已预警");
    }
    let income_low = table
        .rows
        .iter()
        .find(|r| r.cell(col("规则编号")).text().contains("income_low"))
        .expect("some household below the line");
    assert!(
        income_low
            .cell(col("预警说明"))
            .text()
            .contains("不高于监测范围")
    );

    // What if the line were higher: reported, not written.
    let what_if = run(&["screen", "--line", "9000"]);
    assert!(what_if.contains("试算：现行政策预警"), "{what_if}");
    assert!(what_if.contains("未写入数据库"), "{what_if}");

    // The policy in effect is the built-in one, stored as version 1.
    let policy = run(&["policy", "show", "--as-of", "2025-12-31"]);
    assert!(policy.contains("第 1 版"), "{policy}");
    assert!(policy.contains("[rules.medical_burden]"), "{policy}");

    let batches = run(&["feed", "list"]);
    assert_eq!(batches.lines().filter(|l| l.starts_with("批次")).count(), 8);

    // A lead becomes a case; a step the village may not take is refused in Chinese.
    let leads = run(&["lead", "list"]);
    let lead = leads
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("an open lead");
    let opened = run(&["case", "open", lead, "--name", "张三"]);
    assert!(opened.contains("已立案：监测案件 1"), "{opened}");
    let refused = fangpin(
        d,
        &[
            &db[..],
            &[
                "case", "act", "1", "compare", "--name", "张三", "--note", "无",
            ],
        ]
        .concat(),
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("应由县级办理"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    run(&[
        "case",
        "act",
        "1",
        "verify",
        "--name",
        "张三",
        "--members",
        "4",
        "--income",
        "21000",
        "--rigid",
        "16000",
        "--housing",
        "安全",
        "--water",
        "安全",
        "--labour",
        "2",
        "--note",
        "户主住院",
    ]);
    std::fs::write(d.join("承诺授权书.pdf"), b"%PDF-1.4 scan").unwrap();
    let signed = run(&[
        "case",
        "act",
        "1",
        "consent",
        "--name",
        "张三",
        "--people",
        "户主",
        "--queries",
        "收入、房产、车辆",
        "--scan",
        "承诺授权书.pdf",
    ]);
    assert!(
        signed.contains("附件“承诺授权书.pdf”已随案保存"),
        "{signed}"
    );
    run(&[
        "case",
        "act",
        "1",
        "compare",
        "--level",
        "县级",
        "--name",
        "王五",
        "--note",
        "无异常",
    ]);
    let shown = run(&["case", "show", "1"]);
    assert!(
        shown.contains("信息比对") && shown.contains("县级:王五"),
        "{shown}"
    );
    let pending = run(&["case", "pending"]);
    assert!(pending.contains("待办 1 件"), "{pending}");
    assert!(pending.contains("民主评议（村级）"), "{pending}");
    // The township has nothing to do yet; the responsible cadre sees the case.
    let township = run(&["case", "pending", "--level", "乡镇"]);
    assert!(township.contains("待办 0 件"), "{township}");
    run(&[
        "case",
        "helper",
        "1",
        "--name",
        "王帮扶",
        "--unit",
        "县人社局 干部",
        "--phone",
        "13800001234",
    ]);
    let mine = run(&["case", "pending", "--helper", "王帮扶"]);
    assert!(mine.contains("帮扶责任人 王帮扶"), "{mine}");
    let shown = run(&["case", "show", "1"]);
    assert!(
        shown.contains("138****1234") && !shown.contains("13800001234"),
        "{shown}"
    );

    let quality = run(&["quality", "--as-of", "2026-01-01", "--out", "quality.xlsx"]);
    assert!(quality.contains("数据质量检查：2000 户"), "{quality}");
    let q = tabular::read_table(&d.join("quality.xlsx"), None).unwrap();
    assert_eq!(q.headers, tabular::spec::QUALITY.headers());
}

#[test]
fn accounts_tokens_and_a_server_that_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = ["--database-url", "sqlite://a.db", "--key-file", "a.key"];
    let run = |args: &[&str]| {
        let o = fangpin(d, &[&db[..], args].concat());
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        stdout(&o)
    };
    run(&["keygen"]);
    run(&["import", "regions", "--county", "520322"]);
    // A generated password is printed once; a role on the wrong level is refused.
    let added = run(&[
        "user",
        "add",
        "yibao",
        "--role",
        "部门联络员",
        "--region",
        "520322",
        "--department",
        "medical",
    ]);
    assert!(added.contains("初始密码："), "{added}");
    let wrong = fangpin(
        d,
        &[
            &db[..],
            &["user", "add", "cun", "--role", "村级", "--region", "520322"],
        ]
        .concat(),
    );
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("须绑定到村级区划"));
    let token = run(&[
        "token",
        "create",
        "--user",
        "yibao",
        "--name",
        "医保结算系统",
    ]);
    let secret = token
        .lines()
        .find(|l| l.starts_with("fp_"))
        .expect("the token is printed once")
        .to_owned();
    let listed = run(&["token", "list"]);
    assert!(listed.contains("医保结算系统") && !listed.contains(&secret));
    assert!(run(&["user", "list"]).contains("yibao"));
    run(&["user", "disable", "yibao"]);
    assert!(run(&["user", "list"]).contains("已停用"));
    assert!(
        run(&["token", "list"]).contains("已吊销"),
        "disabling revokes tokens"
    );

    // `serve` answers on its port and stops on SIGTERM with status 0.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_fangpin"))
        .current_dir(d)
        .env("FANGPIN_LISTEN", format!("127.0.0.1:{port}"))
        .args(db)
        .arg("serve")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut answered = String::new();
    for _ in 0..100 {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            s.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            s.read_to_string(&mut answered).unwrap();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "graceful stop: {:?}", out.status);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.lines()
            .any(|l| l.starts_with('{') && l.contains("/readyz")),
        "one JSON log line per request: {log}"
    );
}
