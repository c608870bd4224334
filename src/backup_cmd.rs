//! `fangpin backup OUT` and `fangpin restore IN` (备份与恢复): thin calls into
//! `service::backup`, each ending with the reminder that the key is not in the backup.

use anyhow::Result;
use clap::Args;
use service::backup::Copied;
use service::keys::{KEY_ENV, KeySource};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use store::audit::Who;
use store::{Backend, Store};

#[derive(Args)]
pub(crate) struct BackupArgs {
    /// The backup file to write; it must not exist yet (e.g. fangpin-2026-01-31.db, or
    /// .dump on PostgreSQL).
    out: PathBuf,
}

#[derive(Args)]
pub(crate) struct RestoreArgs {
    /// A file written by `fangpin backup`.
    input: PathBuf,
    /// Replace a database that already holds data.
    #[arg(long)]
    force: bool,
}

pub(crate) async fn backup(
    store: &Store,
    url: &str,
    key: &Path,
    a: &BackupArgs,
) -> Result<ExitCode> {
    let c = service::backup::backup(store, url, &a.out).await?;
    let what = match c.backend {
        Backend::Sqlite => "SQLite 数据库",
        Backend::Postgres => "PostgreSQL 数据库（pg_dump 自定义格式）",
    };
    outln!(
        "已将 {what}备份到 {}（{}）：{}",
        c.path.display(),
        size(c.bytes),
        counts(&c)
    );
    outln!("备份文件只有本账号可读写；请存放到另一台机器或介质上。");
    remind(&c, key);
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn restore(url: &str, key: &Path, who: Who, a: &RestoreArgs) -> Result<ExitCode> {
    let vault = KeySource {
        file: key.to_path_buf(),
    }
    .load()?;
    let c = service::backup::restore(url, &vault, who, &a.input, a.force).await?;
    outln!(
        "已从 {} 恢复数据库 {}：{}",
        a.input.display(),
        store::redact_url(url),
        counts(&c)
    );
    remind(&c, key);
    Ok(ExitCode::SUCCESS)
}

/// The key is the other half of a backup: without it the ID numbers and phones in it
/// cannot be read, and it is deliberately not in it.
fn remind(c: &Copied, key: &Path) {
    let source = if std::env::var_os(KEY_ENV).is_some() {
        format!("环境变量 {KEY_ENV} 中的密钥")
    } else {
        format!("密钥文件 {}", key.display())
    };
    outln!(
        "提醒：备份中的证件号码和电话是加密的，只能用指纹为 {} 的密钥解密。密钥不在备份中：\
         请另行备份{source}，与备份分开保管；丢失密钥，备份中的这些信息将无法读取。",
        c.fingerprint
    );
}

/// The rows of the tables an operator knows by name.
fn counts(c: &Copied) -> String {
    const NAMED: [(&str, &str); 7] = [
        ("households", "户"),
        ("members", "人口"),
        ("incomes", "收支记录"),
        ("feed_batches", "部门数据批次"),
        ("leads", "线索"),
        ("cases", "监测案件"),
        ("audit_log", "审计记录"),
    ];
    let total: u64 = c.tables.iter().map(|t| t.rows).sum();
    let named: Vec<String> = NAMED
        .iter()
        .map(|(t, label)| format!("{label} {}", c.rows(t)))
        .collect();
    format!(
        "{} 张表共 {total} 行，其中{}",
        c.tables.len(),
        named.join("、")
    )
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}
