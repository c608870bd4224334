//! 审计日志 (audit log) as use-cases: check the chain, list rows. The rows themselves are
//! written by each use-case in the transaction of its change (`store::Tx::audit`), as the
//! store's actor (`Store::who`); the names of entities and actions are tabled in
//! docs/security.md.

use crate::ServiceError;
use store::Store;
use store::audit::{AuditCheck, AuditFilter, AuditRow};

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
