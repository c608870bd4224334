//! 导出: the registry written back as the import templates, so that export → import is a
//! round trip. Full ID numbers and phones are written: an export is an operation on
//! personal data, and each one writes an audit row (审计日志) — also when it fails halfway,
//! since part of a file may have been written.

use crate::ServiceError;
use crate::imports::RegistryKind;
use domain::RegionCode;
use serde_json::json;
use std::path::Path;
use store::Store;
use store::audit::Change;
use tabular::write::{Export, RecordWriter};

/// Exports one registry table (all, or a division's subtree) to .xlsx or .csv, streamed:
/// rows go to the file as they are read, never all held in memory.
pub async fn export_registry(
    store: &Store,
    kind: RegistryKind,
    out: &Path,
    scope: Option<RegionCode>,
) -> Result<u64, ServiceError> {
    let result = write_registry(store, kind, out, scope).await;
    let name = kind.template().name;
    let mut after = json!({
        "kind": name,
        "scope": scope.map(|s| s.to_string()),
        "file_name": crate::imports::file_name_of(out),
    });
    match &result {
        Ok(rows) => after["rows"] = json!(rows),
        Err(e) => after["error"] = json!(e.to_string()),
    }
    store
        .audit(&Change {
            action: &format!("export.registry:{name}"),
            entity: "export",
            entity_id: None,
            before: None,
            after: Some(after),
        })
        .await?;
    result
}

async fn write_registry(
    store: &Store,
    kind: RegistryKind,
    out: &Path,
    scope: Option<RegionCode>,
) -> Result<u64, ServiceError> {
    match kind {
        RegistryKind::Households => {
            let mut w = RecordWriter::create(out)?;
            store
                .for_each_household(scope, |r| push(&mut w, &r))
                .await?;
            finish(w)
        }
        RegistryKind::Members => {
            let mut w = RecordWriter::create(out)?;
            store.for_each_member(scope, |r| push(&mut w, &r)).await?;
            finish(w)
        }
        RegistryKind::Incomes => {
            let mut w = RecordWriter::create(out)?;
            store.for_each_income(scope, |r| push(&mut w, &r)).await?;
            finish(w)
        }
    }
}

fn push<T: Export>(w: &mut RecordWriter<T>, record: &T) -> Result<(), ServiceError> {
    Ok(w.push(record)?)
}

fn finish<T: Export>(w: RecordWriter<T>) -> Result<u64, ServiceError> {
    Ok(w.finish()? as u64)
}
