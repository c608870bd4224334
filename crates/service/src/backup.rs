//! 备份与恢复 (backup and restore) of a whole database.
//!
//! - SQLite: `VACUUM INTO` a new file, one read transaction, so the copy is consistent while
//!   imports and the service go on; the copy is checked (`quick_check`) before it gets its
//!   name. Restoring puts the file in place of the database (the service stopped).
//! - PostgreSQL: `pg_dump --format=custom` of the store's schema, inside a snapshot
//!   exported by the store, so the row counts reported are those of the rows dumped;
//!   restored by `pg_restore` in one transaction. Both programs come with the PostgreSQL
//!   client (of the server's major version or newer) and must be on `PATH`.
//!
//! A backup is written under a temporary name, created readable by its owner only (it holds
//! the registry, with ID numbers and phones encrypted), and renamed when complete: an
//! interrupted backup never looks like a finished one. The key is never in a backup —
//! without it a backup's ID numbers and phones cannot be read, and with it alone nobody
//! gets at them — so it is backed up separately, and a restore checks that the key given is
//! the one the backup was made with. Restoring over a database that holds data needs
//! `force`. Each backup leaves an audit row in the database backed up; each restore one in
//! the database restored.

use crate::ServiceError;
use serde_json::json;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use store::audit::{Change, Who};
use store::backup::{Inspection, TableCount};
use store::{Backend, Store, Vault};

/// What a backup or a restore handled.
#[derive(Debug, Clone)]
pub struct Copied {
    pub backend: Backend,
    /// The backup file.
    pub path: PathBuf,
    pub bytes: u64,
    /// Rows per table, as backed up or as restored.
    pub tables: Vec<TableCount>,
    /// Fingerprint of the key the personal fields are encrypted with.
    pub fingerprint: String,
}

impl Copied {
    /// Rows of `table`.
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|t| t.table == table)
            .map_or(0, |t| t.rows)
    }
}

/// How a backup file begins.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const PG_MAGIC: &[u8] = b"PGDMP";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ServiceError + '_ {
    move |source| ServiceError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes a backup of the database `store` is open on (`url`, for `pg_dump`) to `out`,
/// which must not exist yet.
pub async fn backup(store: &Store, url: &str, out: &Path) -> Result<Copied, ServiceError> {
    if out.exists() {
        return Err(ServiceError::Invalid(format!(
            "{} 已存在：备份不会覆盖已有文件，请换一个文件名（例如带上日期）",
            out.display()
        )));
    }
    let partial = with_suffix(out, ".partial");
    let result = write_backup(store, url, out, &partial).await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    let mut after = json!({ "file_name": crate::imports::file_name_of(out) });
    match &result {
        Ok(c) => {
            after["bytes"] = json!(c.bytes);
            after["rows"] = json!(c.tables.iter().map(|t| t.rows).sum::<u64>());
        }
        Err(e) => after["error"] = json!(e.to_string()),
    }
    // A backup copies every personal field: recorded like an export.
    store
        .audit(&Change {
            action: "backup.create",
            entity: "backup",
            entity_id: None,
            before: None,
            after: Some(after),
        })
        .await?;
    result
}

async fn write_backup(
    store: &Store,
    url: &str,
    out: &Path,
    partial: &Path,
) -> Result<Copied, ServiceError> {
    // Left behind by an interrupted backup: never a finished one, which has the final name.
    if partial.exists() {
        std::fs::remove_file(partial).map_err(io(partial))?;
    }
    let file = create_private(partial)?;
    let (tables, fingerprint) = match store.backend() {
        Backend::Sqlite => {
            // SQLite writes into the empty file and keeps its permissions.
            drop(file);
            store.vacuum_into(partial).await?;
            let copy = store::backup::inspect_sqlite(partial, true).await?;
            (copy.tables, copy.fingerprint)
        }
        Backend::Postgres => {
            let mut snapshot = store.pg_snapshot().await?;
            let tables = snapshot.table_counts().await?;
            let (target, password) = libpq_url(url);
            let args = [
                "--format=custom".to_owned(),
                format!("--schema={}", snapshot.schema),
                format!("--snapshot={}", snapshot.id),
                format!("--dbname={target}"),
            ];
            let dumped = tokio::task::spawn_blocking(move || {
                run_pg("pg_dump", &args, password.as_deref(), Stdio::from(file))
            })
            .await
            .map_err(|e| ServiceError::Invalid(format!("pg_dump 未能运行：{e}")))?;
            snapshot.end().await?;
            dumped?;
            (tables, store.meta_get("key_fingerprint").await?)
        }
    };
    std::fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(io(partial))?;
    std::fs::rename(partial, out).map_err(io(out))?;
    sync_dir(out);
    Ok(Copied {
        backend: store.backend(),
        path: out.to_path_buf(),
        bytes: std::fs::metadata(out).map_err(io(out))?.len(),
        tables,
        fingerprint: fingerprint.unwrap_or_default(),
    })
}

/// Restores the backup `input` into the database `url`, whose personal fields will be read
/// with `vault`, as `who` (named in the audit row of the restore). A database holding data
/// is replaced only with `force`.
pub async fn restore(
    url: &str,
    vault: &Vault,
    who: Who,
    input: &Path,
    force: bool,
) -> Result<Copied, ServiceError> {
    let backend = backup_kind(input)?;
    let target_backend = if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    if backend != target_backend {
        let (from, to) = match backend {
            Backend::Sqlite => ("SQLite", "sqlite://文件"),
            Backend::Postgres => ("PostgreSQL", "postgres://…"),
        };
        return Err(ServiceError::Invalid(format!(
            "{} 是 {from} 的备份，只能恢复到 {to} 数据库",
            input.display()
        )));
    }
    let (fingerprint, dumped_tables, schema) = match backend {
        Backend::Sqlite => {
            let b = store::backup::inspect_sqlite(input, true).await?;
            let names = b.tables.into_iter().map(|t| t.table).collect();
            (b.fingerprint, names, None)
        }
        Backend::Postgres => {
            let input = input.to_path_buf();
            let (fp, tables, schema) = tokio::task::spawn_blocking(move || pg_archive(&input))
                .await
                .map_err(|e| ServiceError::Invalid(format!("pg_restore 未能运行：{e}")))??;
            (fp, tables, Some(schema))
        }
    };
    let fingerprint = fingerprint.ok_or_else(|| {
        ServiceError::Invalid(format!(
            "{} 不是 fangpin 数据库的备份（没有密钥指纹）",
            input.display()
        ))
    })?;
    if fingerprint != vault.fingerprint() {
        return Err(ServiceError::Invalid(format!(
            "备份中的证件号码和电话由指纹为 {fingerprint} 的密钥加密，当前密钥的指纹为 {}。\
             请先取回做备份时的密钥文件（--key-file 或 FANGPIN_KEY），再恢复",
            vault.fingerprint()
        )));
    }
    let target = store::backup::inspect(url).await?;
    if target.holds_data() && !force {
        return Err(ServiceError::Invalid(format!(
            "目标数据库 {} 已有数据（{}）：恢复将用备份替换它们。确认要替换时加 --force",
            store::redact_url(url),
            describe(&target)
        )));
    }
    match backend {
        Backend::Sqlite => restore_sqlite(url, input)?,
        Backend::Postgres => {
            let schema = schema.unwrap_or_default();
            match &target.schema {
                Some(s) if *s == schema => {}
                Some(s) => {
                    return Err(ServiceError::Invalid(format!(
                        "备份来自模式“{schema}”，目标连接使用模式“{s}”：\
                         请在数据库地址中使用同名模式（options=-c search_path={schema}）"
                    )));
                }
                None => {
                    return Err(ServiceError::Invalid(format!(
                        "目标数据库中没有连接所用的模式：请先建立模式“{schema}”\
                         （CREATE SCHEMA {schema}），再恢复"
                    )));
                }
            }
            let newer: Vec<&str> = target
                .tables
                .iter()
                .map(|t| t.table.as_str())
                .filter(|t| !dumped_tables.iter().any(|d| d == t))
                .collect();
            if !newer.is_empty() {
                return Err(ServiceError::Invalid(format!(
                    "目标数据库有备份中没有的表（{}），它比备份的版本新：请恢复到一个空数据库",
                    newer.join("、")
                )));
            }
            let (url, input) = (url.to_owned(), input.to_path_buf());
            tokio::task::spawn_blocking(move || restore_pg(&url, &input))
                .await
                .map_err(|e| ServiceError::Invalid(format!("pg_restore 未能运行：{e}")))??;
        }
    }
    // Opened as usual: a backup of an older version is migrated forward, and the key is
    // checked once more against the restored database.
    let store = Store::open(url, vault.clone()).await?.acting_as(who);
    let tables = store.table_counts().await?;
    let bytes = std::fs::metadata(input).map_err(io(input))?.len();
    store
        .audit(&Change {
            action: "backup.restore",
            entity: "backup",
            entity_id: None,
            before: None,
            after: Some(json!({
                "file_name": crate::imports::file_name_of(input),
                "bytes": bytes,
                "rows": tables.iter().map(|t| t.rows).sum::<u64>(),
                "replaced_data": target.holds_data(),
            })),
        })
        .await?;
    store.close().await;
    Ok(Copied {
        backend,
        path: input.to_path_buf(),
        bytes,
        tables,
        fingerprint,
    })
}

/// Which database a backup file is of, by its first bytes.
fn backup_kind(input: &Path) -> Result<Backend, ServiceError> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let n = std::fs::File::open(input)
        .and_then(|mut f| f.read(&mut head))
        .map_err(io(input))?;
    if head[..n].starts_with(SQLITE_MAGIC) {
        Ok(Backend::Sqlite)
    } else if head[..n].starts_with(PG_MAGIC) {
        Ok(Backend::Postgres)
    } else {
        Err(ServiceError::Invalid(format!(
            "{} 不是 fangpin 的备份文件（既不是 SQLite 数据库，也不是 pg_dump 自定义格式）",
            input.display()
        )))
    }
}

/// The largest tables of a database, for a message ("户 2,000 行、人口 6,431 行").
fn describe(i: &Inspection) -> String {
    let named = [
        ("households", "户"),
        ("members", "人口"),
        ("cases", "监测案件"),
        ("audit_log", "审计记录"),
    ];
    let parts: Vec<String> = named
        .iter()
        .filter(|(t, _)| i.rows(t) > 0)
        .map(|(t, label)| format!("{label} {} 行", i.rows(t)))
        .collect();
    if parts.is_empty() {
        "表中有数据".to_owned()
    } else {
        parts.join("、")
    }
}

/// Puts the backup file in place of the SQLite database: copied beside it under a
/// temporary name, then renamed over it, so that the database is at every moment either the
/// old one or the whole new one. The old write-ahead log goes first: SQLite would otherwise
/// replay it into the restored file.
fn restore_sqlite(url: &str, input: &Path) -> Result<(), ServiceError> {
    let target = store::backup::sqlite_file(url)?;
    let tmp = with_suffix(&target, ".restoring");
    if tmp.exists() {
        std::fs::remove_file(&tmp).map_err(io(&tmp))?;
    }
    let mut to = create_private(&tmp)?;
    let mut from = std::fs::File::open(input).map_err(io(input))?;
    std::io::copy(&mut from, &mut to).map_err(io(&tmp))?;
    to.flush().and_then(|()| to.sync_all()).map_err(io(&tmp))?;
    drop(to);
    for suffix in ["-wal", "-shm", "-journal"] {
        let side = with_suffix(&target, suffix);
        if side.exists() {
            std::fs::remove_file(&side).map_err(io(&side))?;
        }
    }
    std::fs::rename(&tmp, &target).map_err(io(&target))?;
    sync_dir(&target);
    Ok(())
}

/// Reads a custom-format archive's table of contents: the key fingerprint stored in its
/// `meta` table, its tables, and the schema they are in.
fn pg_archive(input: &Path) -> Result<(Option<String>, Vec<String>, String), ServiceError> {
    let file = input.display().to_string();
    let list = run_pg(
        "pg_restore",
        &["--list".into(), file.clone()],
        None,
        Stdio::piped(),
    )?;
    let mut tables = Vec::new();
    let mut schema = None;
    for line in list.lines().filter(|l| !l.starts_with(';')) {
        // "216; 1259 32315 TABLE public households fangpin"
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() == 7 && t[3] == "TABLE" {
            schema.get_or_insert_with(|| t[4].to_owned());
            tables.push(t[5].to_owned());
        }
    }
    let schema = schema.ok_or_else(|| {
        ServiceError::Invalid(format!("{file} 中没有数据表：不是 fangpin 数据库的备份"))
    })?;
    // The data of `meta` as COPY text: "key_fingerprint\t<fingerprint>".
    let meta = run_pg(
        "pg_restore",
        &[
            "--data-only".into(),
            format!("--schema={schema}"),
            "--table=meta".into(),
            "--file=-".into(),
            file,
        ],
        None,
        Stdio::piped(),
    )?;
    let fingerprint = meta
        .lines()
        .find_map(|l| l.strip_prefix("key_fingerprint\t"))
        .map(str::to_owned);
    Ok((fingerprint, tables, schema))
}

/// Restores a custom-format archive into `url` in one transaction, replacing the objects
/// of the archive that exist there (`--clean`). The schema itself is left as it is (the
/// caller has checked that it exists and is the archive's): it may hold other things, and
/// `public` belongs to the database.
fn restore_pg(url: &str, input: &Path) -> Result<(), ServiceError> {
    let file = input.display().to_string();
    let list = run_pg(
        "pg_restore",
        &["--list".into(), file.clone()],
        None,
        Stdio::piped(),
    )?;
    let keep: String = list
        .lines()
        .filter(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            let schema_itself = t.get(3) == Some(&"SCHEMA")
                || (t.get(3) == Some(&"COMMENT") && t.get(5) == Some(&"SCHEMA"));
            !schema_itself
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let list_file =
        std::env::temp_dir().join(format!("fangpin-restore-{}.list", std::process::id()));
    std::fs::write(&list_file, keep).map_err(io(&list_file))?;
    let (target, password) = libpq_url(url);
    let restored = run_pg(
        "pg_restore",
        &[
            "--clean".into(),
            "--if-exists".into(),
            "--single-transaction".into(),
            "--exit-on-error".into(),
            "--no-owner".into(),
            "--no-privileges".into(),
            format!("--use-list={}", list_file.display()),
            format!("--dbname={target}"),
            file,
        ],
        password.as_deref(),
        Stdio::piped(),
    );
    let _ = std::fs::remove_file(&list_file);
    restored.map(|_| ())
}

/// Runs a PostgreSQL client program; returns its standard output (when piped).
fn run_pg(
    program: &str,
    args: &[String],
    password: Option<&str>,
    stdout: Stdio,
) -> Result<String, ServiceError> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped());
    if let Some(p) = password {
        // Through the environment, not the command line, which other users can list.
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ServiceError::Invalid(format!(
                "找不到 {program}：请安装 PostgreSQL 客户端程序（版本不低于数据库服务器，\
                 Debian/Ubuntu 为 postgresql-client），并确认它在 PATH 中"
            ))
        } else {
            ServiceError::Invalid(format!("{program} 无法启动：{e}"))
        }
    })?;
    if !out.status.success() {
        return Err(ServiceError::Invalid(format!(
            "{program} 失败（{}）：{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A PostgreSQL URL for libpq without its password, and the password (percent-decoded).
fn libpq_url(url: &str) -> (String, Option<String>) {
    let (Some(s), Some(at)) = (url.find("://"), url.rfind('@')) else {
        return (url.to_owned(), None);
    };
    if at < s {
        return (url.to_owned(), None);
    }
    match url[s + 3..at].split_once(':') {
        Some((user, password)) => (
            format!("{}{user}{}", &url[..s + 3], &url[at..]),
            Some(percent_decode(password)),
        ),
        None => (url.to_owned(), None),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A new file readable and writable by its owner only.
fn create_private(path: &Path) -> Result<std::fs::File, ServiceError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io(path))
}

/// Makes a rename durable: the directory entry is synced too (best effort).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{libpq_url, percent_decode};

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            libpq_url("postgres://fp:s%40cret@db:5432/fp?sslmode=require"),
            (
                "postgres://fp@db:5432/fp?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            libpq_url("postgres://fp@db/fp"),
            ("postgres://fp@db/fp".to_owned(), None)
        );
        assert_eq!(percent_decode("a%2Fb%"), "a/b%");
    }
}
