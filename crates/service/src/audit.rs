//! 审计日志 (audit log) as use-cases: check the chain, list rows. The rows themselves are
//! written by each use-case in the transaction of its change (`store::Tx::audit`), as the
//! store's actor (`Store::who`); the names of entities and actions are tabled in
//! docs/security.md.

use crate::ServiceError;
use std::path::Path;
use store::Store;
use store::audit::{Anchor, AuditCheck, AuditFilter, AuditRow};

/// `fangpin audit verify`: recomputes the whole hash chain and names the first row edited,
/// deleted or added outside the system.
pub async fn verify(store: &Store) -> Result<AuditCheck, ServiceError> {
    let check = store.verify_audit().await?;
    match &check.first_bad {
        None => tracing::info!(rows = check.rows, "audit chain verified"),
        // Info, not warn: the caller reports it to the user, in Chinese.
        Some((id, why)) => tracing::info!(id, why = %why, "audit chain broken"),
    }
    Ok(check)
}

/// Lists audit rows, newest first. An actor tied to a division (a county administrator)
/// sees the actions of that division's users only: the filter's scope is narrowed to it,
/// and a scope outside it is refused. Who may query at all is decided where users sign in.
pub async fn query(store: &Store, filter: &AuditFilter) -> Result<Vec<AuditRow>, ServiceError> {
    let mut f = filter.clone();
    if let Some(own) = store.who().region {
        match f.scope {
            None => f.scope = Some(own),
            Some(s) if own.contains(s) => {}
            Some(s) => {
                return Err(ServiceError::Invalid(format!(
                    "无权查看区划 {s} 的审计日志：只能查看本辖区 {own} 的记录"
                )));
            }
        }
    }
    Ok(store.audit_log(&f).await?)
}

/// `fangpin audit anchor`: the chain's head now, appended as one line to `file` when given
/// (created 0600: it names no person, but it is the log's own evidence).
pub async fn anchor(store: &Store, file: Option<&Path>) -> Result<Anchor, ServiceError> {
    let a = store.anchor_head().await?;
    if let Some(f) = file {
        use std::io::Write as _;
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut out = opts.open(f).map_err(|e| {
            ServiceError::Invalid(format!("无法写入链头记录文件 {}：{e}", f.display()))
        })?;
        writeln!(out, "{}", a.line())
            .and_then(|()| out.sync_all())
            .map_err(|e| {
                ServiceError::Invalid(format!("无法写入链头记录文件 {}：{e}", f.display()))
            })?;
    }
    tracing::info!(id = a.id, "audit head anchored");
    Ok(a)
}

/// What [`check_anchors`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorCheck {
    /// Anchors read.
    pub checked: usize,
    /// Why an anchor does not hold, one line each (in Chinese), oldest anchor first.
    pub broken: Vec<String>,
}

/// Checks every anchor of an anchor file against the log: each anchored row must still be
/// there with the anchored hash. A line that is not an anchor is refused with its number.
pub async fn check_anchors(store: &Store, file: &Path) -> Result<AnchorCheck, ServiceError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        ServiceError::Invalid(format!("无法读取链头记录文件 {}：{e}", file.display()))
    })?;
    let mut found = AnchorCheck {
        checked: 0,
        broken: Vec::new(),
    };
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let a = Anchor::parse(line).ok_or_else(|| {
            ServiceError::Invalid(format!(
                "链头记录文件 {} 第 {} 行格式有误：应为“编号 哈希 时间”",
                file.display(),
                n + 1
            ))
        })?;
        found.checked += 1;
        if let Some(why) = store.check_anchor(&a).await? {
            found.broken.push(why);
        }
    }
    Ok(found)
}
