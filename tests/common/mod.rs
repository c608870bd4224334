//! A database and a key for tests that drive the real `fangpin` binary: a fresh SQLite file,
//! or (when `FANGPIN_TEST_PG_URL` is set) a fresh schema of that PostgreSQL server, reached
//! by the binary through the same URL with `search_path` set. What the binary wrote is read
//! back through `store` itself.

#![allow(dead_code, reason = "each test file uses part of it")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use store::Store;
use store::testing::TestStore;

/// Table → (rows, digest of its content).
pub type Content = BTreeMap<String, (u64, String)>;

/// A database the binary works on, with its key file, in a temporary folder.
pub struct Db {
    pub name: &'static str,
    pub url: String,
    pub key_file: PathBuf,
    pub dir: tempfile::TempDir,
    /// The PostgreSQL schema's store, kept open to read what the binary wrote.
    pub pg: Option<TestStore>,
}

/// `fangpin` with a clean environment (no variable of the developer's shell leaks in).
pub fn fangpin(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fangpin"));
    c.current_dir(dir);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("FANGPIN_") {
            c.env_remove(k);
        }
    }
    c.env_remove("RUST_BACKTRACE");
    c
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Db {
    /// A fresh SQLite file with a new key file.
    pub fn sqlite() -> Db {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db {
            name: "sqlite",
            url: format!("sqlite://{}", dir.path().join("fangpin.db").display()),
            key_file: dir.path().join("fangpin.key"),
            dir,
            pg: None,
        };
        db.ok(&["keygen"]);
        db
    }

    /// A fresh PostgreSQL schema, if `FANGPIN_TEST_PG_URL` is set.
    pub async fn postgres() -> Option<Db> {
        let t = store::testing::postgres().await?;
        let schema = t.schema.clone().expect("a test schema");
        let sep = if t.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{sep}options=-c%20search_path%3D{schema}", t.url);
        // The schema was created with the tests' fixed key; the binary gets it as a file.
        let key_file = t.dir.path().join("fangpin.key");
        std::fs::write(&key_file, format!("fangpin-key-v1:{}\n", "07".repeat(32)))
            .expect("write key");
        // A key file others can read is refused.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))
                .expect("chmod key");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        Some(Db {
            name: "postgres",
            url,
            key_file,
            dir,
            pg: Some(t),
        })
    }

    /// SQLite, and PostgreSQL when configured.
    pub async fn all() -> Vec<Db> {
        let mut v = vec![Db::sqlite()];
        v.extend(Db::postgres().await);
        v
    }

    /// The binary on this database.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = fangpin(self.dir.path());
        c.arg("--database-url")
            .arg(&self.url)
            .arg("--key-file")
            .arg(&self.key_file)
            .args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run fangpin")
    }

    /// Runs and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "{} {args:?}: {}\n{}",
            self.name,
            text(&o.stderr),
            text(&o.stdout)
        );
        text(&o.stdout)
    }

    /// The database opened afresh by the tests (on SQLite a new connection, as a restarted
    /// process would make).
    pub async fn store(&self) -> Store {
        match &self.pg {
            Some(t) => t.store.clone(),
            None => {
                let vault = store::Vault::load(&self.key_file).expect("key");
                Store::open(&self.url, vault).await.expect("open")
            }
        }
    }

    /// Every table's rows and content digest.
    pub async fn content(&self) -> Content {
        let s = self.store().await;
        let c = store::testing::content(&s).await;
        if self.pg.is_none() {
            s.close().await;
        }
        c
    }

    /// Removes everything: the SQLite file with its journal, or every object of the schema.
    pub async fn wipe(&self) {
        match &self.pg {
            Some(t) => {
                let schema = t.schema.as_deref().expect("a test schema");
                t.execute_raw(&format!("DROP SCHEMA {schema} CASCADE"))
                    .await;
                t.execute_raw(&format!("CREATE SCHEMA {schema}")).await;
            }
            None => {
                let file = store::backup::sqlite_file(&self.url).expect("a file");
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = file.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A county to work on: regions and the registry of `households` generated households, with
/// the generated files (registry and department feeds) in `gen/`.
pub fn county(db: &Db, households: usize, registry: &[&str]) {
    db.ok(&["import", "regions", "--county", "520322"]);
    let n = households.to_string();
    db.ok(&[
        "generate",
        "--county",
        "520322",
        "--households",
        &n,
        "--out",
        "gen",
    ]);
    for kind in registry {
        let file = format!("gen/{kind}.csv");
        db.ok(&["import", kind, &file]);
    }
}
