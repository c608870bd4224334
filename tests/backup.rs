//! `fangpin backup` and `fangpin restore` (备份与恢复) through the real binary, on SQLite and,
//! when `FANGPIN_TEST_PG_URL` is set, on PostgreSQL: a backup restored over a changed
//! database, and into a wiped one, gives back every table as it was; a database holding
//! data is replaced only with --force; a backup never overwrites a file; the key is checked
//! and the operator is reminded that it is not in the backup.

mod common;

use common::{Content, Db, county, text};
use std::os::unix::fs::PermissionsExt;

/// `after` holds what `before` held, plus the restore's own audit row.
fn restored(before: &Content, after: &Content, what: &str) {
    for (table, v) in before {
        if table == "audit_log" || table == "audit_head" {
            continue;
        }
        assert_eq!(after.get(table), Some(v), "{what}: {table} differs");
    }
    assert_eq!(after.len(), before.len(), "{what}: tables");
    assert_eq!(after["audit_log"].0, before["audit_log"].0 + 1, "{what}");
}

async fn round_trip(db: &Db) {
    county(db, 300, &["households", "members", "incomes"]);
    db.ok(&["import", "feed", "medical", "gen/medical.csv"]);
    db.ok(&["screen", "--as-of", "2025-12-31"]);
    let before = db.content().await;
    assert!(before["leads"].0 > 0 && before["members"].0 > 0);

    let out = db.ok(&["backup", "backup.fp"]);
    for needle in ["户 300", "密钥不在备份中", "fangpin.key", "指纹"] {
        assert!(out.contains(needle), "{}: {needle} in {out}", db.name);
    }
    let file = db.path("backup.fp");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "{}: backup readable by its owner only",
        db.name
    );
    assert!(!db.path("backup.fp.partial").exists());
    let bytes = std::fs::read(&file).unwrap();

    // A backup never overwrites a file.
    let again = db.run(&["backup", "backup.fp"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("不会覆盖"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(std::fs::read(&file).unwrap(), bytes);

    // Changed after the backup: a restore without --force refuses and changes nothing.
    let lead = db.ok(&["lead", "list"]);
    let lead = lead.split_whitespace().nth(1).unwrap().to_owned();
    db.ok(&[
        "lead",
        "dismiss",
        &lead,
        "--reason",
        "已核实无风险",
        "--name",
        "张三",
    ]);
    db.ok(&["import", "feed", "assistance", "gen/assistance.csv"]);
    let changed = db.content().await;
    assert_ne!(changed["leads"], before["leads"]);
    let refused = db.run(&["restore", "backup.fp"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stdout));
    let why = text(&refused.stderr);
    assert!(why.contains("--force") && why.contains("户 300"), "{why}");
    assert_eq!(db.content().await, changed);

    // Another key is refused: the backup could not be read with it.
    let other = db.path("other.key");
    let o = common::fangpin(db.dir.path())
        .args(["--key-file", other.to_str().unwrap(), "keygen"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let wrong = common::fangpin(db.dir.path())
        .args(["--database-url", &db.url, "--key-file"])
        .arg(&other)
        .args(["restore", "backup.fp", "--force"])
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(
        text(&wrong.stderr).contains("密钥"),
        "{}",
        text(&wrong.stderr)
    );
    assert_eq!(db.content().await, changed);

    // With --force, the database is the backup again.
    let out = db.ok(&["restore", "backup.fp", "--force"]);
    assert!(out.contains("密钥不在备份中"), "{out}");
    restored(&before, &db.content().await, db.name);
    let verify = db.ok(&["audit", "verify"]);
    assert!(verify.contains("审计日志完整"), "{verify}");
    let last = db.ok(&["audit", "list", "--limit", "1"]);
    assert!(last.contains("backup.restore"), "{last}");

    // Wiped: restored into the empty database without --force.
    db.wipe().await;
    let wiped = db.content().await;
    assert!(
        wiped.get("households").is_none_or(|c| c.0 == 0),
        "{wiped:?}"
    );
    db.ok(&["restore", "backup.fp"]);
    restored(&before, &db.content().await, db.name);
    assert!(db.ok(&["audit", "verify"]).contains("审计日志完整"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_round_trip_on_sqlite() {
    round_trip(&Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_round_trip_on_postgres() {
    let Some(db) = Db::postgres().await else {
        eprintln!("FANGPIN_TEST_PG_URL is not set: PostgreSQL not tested");
        return;
    };
    round_trip(&db).await;
}

/// SQLite's backup is one read transaction: taken while an import is writing, it is the
/// database before the import or after it, never between, and the import is not disturbed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_taken_during_an_import_is_consistent() {
    use std::io::{BufRead, BufReader};
    let db = Db::sqlite();
    county(&db, 2000, &["households"]);
    let mut import = db
        .cmd(&["import", "members", "gen/members.csv"])
        .env("FANGPIN_LOG", "warn,store::db=debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(import.stderr.take().unwrap()).lines();
    assert!(
        lines.any(|l| l.unwrap().contains("transaction begun")),
        "the import writes"
    );
    let during = db.run(&["backup", "during.fp"]);
    let import_ok = import.wait().unwrap().success();
    assert!(import_ok, "the import was not disturbed");
    assert!(during.status.success(), "{}", text(&during.stderr));
    let members = db.content().await["members"].0;
    assert!(members > 5000);

    let copy = Db::sqlite();
    std::fs::copy(&db.key_file, &copy.key_file).unwrap();
    copy.ok(&["restore", db.path("during.fp").to_str().unwrap()]);
    let restored = copy.content().await["members"].0;
    assert!(
        restored == 0 || restored == members,
        "{restored} of {members} members: a backup between two states"
    );
    assert!(copy.ok(&["audit", "verify"]).contains("审计日志完整"));
}
