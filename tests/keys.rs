//! `fangpin keygen` and `fangpin key rotate` (密钥管理) through the real binary, on SQLite
//! and, when `FANGPIN_TEST_PG_URL` is set, on PostgreSQL: a county moved to an SM4 key,
//! interrupted after two batches and finished by a rerun, exports the same ID numbers and
//! phones as before; the database then refuses the old key; a key file others may read is
//! refused; the default key is not looked for in the working directory.

mod common;

use common::{Db, county, fangpin, text};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The binary on `db` with another key file than the database's own.
fn with_key(db: &Db, key: &Path, args: &[&str]) -> std::process::Output {
    fangpin(db.dir.path())
        .arg("--database-url")
        .arg(&db.url)
        .arg("--key-file")
        .arg(key)
        .args(args)
        .output()
        .expect("run fangpin")
}

#[tokio::test]
async fn key_rotate_moves_a_county_to_sm4_and_finishes_after_an_interruption() {
    for db in Db::all().await {
        let name = db.name;
        county(&db, 300, &["households", "members"]);
        db.ok(&["export", "members", "members-before.csv"]);
        db.ok(&["export", "households", "households-before.csv"]);
        let new = db.path("sm4.key");
        let new_s = new.to_str().unwrap();

        let o = db.run(&[
            "key",
            "rotate",
            "--new-key-file",
            new_s,
            "--suite",
            "sm4",
            "--batch",
            "100",
            "--stop-after-batches",
            "2",
        ]);
        assert_eq!(o.status.code(), Some(3), "{name}: {}", text(&o.stderr));
        let out = text(&o.stdout);
        assert!(
            out.contains("已生成新密钥文件") && out.contains("SM4-GCM"),
            "{out}"
        );
        assert!(out.contains("密钥轮换已中断"), "{out}");
        let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}: new key readable by its owner only");

        // Half way, neither key alone may be used.
        for key in [&db.key_file, &new] {
            let o = with_key(&db, key, &["summary", "--county", "520322"]);
            assert!(!o.status.success(), "{name}");
            assert!(
                text(&o.stderr).contains("密钥轮换尚未完成"),
                "{}",
                text(&o.stderr)
            );
        }

        // The same command again finishes the job.
        let out = db.ok(&["key", "rotate", "--new-key-file", new_s]);
        assert!(out.contains("密钥轮换完成（接续上次）"), "{name}: {out}");
        assert!(out.contains("旧密钥仍是恢复轮换前的备份所必需的"), "{out}");

        // Under the new key the registry reads as before, to the byte.
        for kind in ["members", "households"] {
            let file = format!("{kind}-after.csv");
            let o = with_key(&db, &new, &["export", kind, &file]);
            assert!(o.status.success(), "{name}: {}", text(&o.stderr));
            assert_eq!(
                std::fs::read(db.path(&format!("{kind}-before.csv"))).unwrap(),
                std::fs::read(db.path(&file)).unwrap(),
                "{name}: {kind} unchanged"
            );
        }
        // The audit chain (imports, the rotation) verifies under the new key.
        let o = with_key(&db, &new, &["audit", "verify"]);
        assert!(o.status.success(), "{name}: {}", text(&o.stdout));
        // The old key is now refused, and a rerun has nothing to do.
        let o = db.run(&["summary", "--county", "520322"]);
        assert!(
            text(&o.stderr).contains("密钥与数据库不匹配"),
            "{}",
            text(&o.stderr)
        );
        let out = db.ok(&["key", "rotate", "--new-key-file", new_s]);
        assert!(out.contains("无需轮换"), "{out}");

        // A key file the group may read is refused, naming the file and the fix.
        std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o640)).unwrap();
        let o = with_key(&db, &new, &["summary", "--county", "520322"]);
        let err = text(&o.stderr);
        assert!(!o.status.success(), "{name}");
        assert!(
            err.contains("chmod 600") && err.contains("sm4.key") && err.contains("640"),
            "{err}"
        );
    }
}

#[test]
fn the_default_key_is_not_the_one_in_the_working_directory() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        fangpin(work.path())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("cfg"))
            .args(args)
            .output()
            .unwrap()
    };
    // As root the default is /etc/fangpin/fangpin.key, which a test must not create.
    let root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    let default = if root {
        std::path::PathBuf::from("/etc/fangpin/fangpin.key")
    } else {
        home.path().join("cfg/fangpin/fangpin.key")
    };
    if !root {
        let o = run(&["keygen"]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert!(default.exists() && !work.path().join("fangpin.key").exists());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&default), 0o600);
        assert_eq!(mode(default.parent().unwrap()), 0o700);
        std::fs::remove_file(&default).unwrap();
    }
    if default.exists() {
        return;
    }
    // A key left in the working directory by an earlier version is pointed at, not used.
    std::fs::copy(
        {
            let k = work.path().join("old.key");
            let o = run(&["--key-file", k.to_str().unwrap(), "keygen"]);
            assert!(o.status.success(), "{}", text(&o.stderr));
            k
        },
        work.path().join("fangpin.key"),
    )
    .unwrap();
    let o = run(&["summary", "--county", "520322"]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("找不到密钥文件")
            && err.contains("旧版本的默认位置")
            && err.contains("mv fangpin.key"),
        "{err}"
    );
}

/// A rotation killed with SIGKILL in the middle of its batches (inside a transaction, a few
/// milliseconds after a commit) finishes when run again, and the registry reads as before.
#[tokio::test]
async fn a_rotation_killed_halfway_finishes_when_run_again() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    for db in Db::all().await {
        let name = db.name;
        county(&db, 300, &["households", "members"]);
        db.ok(&["export", "members", "before.csv"]);
        let new = db.path("new.key");
        let new_s = new.to_str().unwrap();
        let mut child = db
            .cmd(&["key", "rotate", "--new-key-file", new_s, "--batch", "20"])
            .env("FANGPIN_LOG", "warn,store::db=debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut commits = 0;
        for line in BufReader::new(stderr).lines() {
            if line.unwrap_or_default().contains("transaction committed") {
                commits += 1;
                // The marker, then 8 batches of households; the next one is under way.
                if commits == 9 {
                    std::thread::sleep(std::time::Duration::from_millis(3));
                    child.kill().unwrap();
                    break;
                }
            }
        }
        let status = child.wait().unwrap();
        assert!(!status.success(), "{name}: killed before the end");
        let o = db.run(&["summary", "--county", "520322"]);
        assert!(text(&o.stderr).contains("密钥轮换尚未完成"), "{name}");

        let out = db.ok(&["key", "rotate", "--new-key-file", new_s, "--batch", "20"]);
        assert!(out.contains("密钥轮换完成（接续上次）"), "{name}: {out}");
        let o = with_key(&db, &new, &["export", "members", "after.csv"]);
        assert!(o.status.success(), "{name}: {}", text(&o.stderr));
        assert_eq!(
            std::fs::read(db.path("before.csv")).unwrap(),
            std::fs::read(db.path("after.csv")).unwrap(),
            "{name}"
        );
        let o = with_key(&db, &new, &["audit", "verify"]);
        assert!(o.status.success(), "{name}: {}", text(&o.stdout));
    }
}
