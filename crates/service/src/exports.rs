//! 导出: the registry written back as the import templates, so that export → import is a
//! round trip. Full ID numbers and phones are written: an export is an operation on
//! personal data and is recorded by the caller's audit.

use crate::ServiceError;
use crate::imports::RegistryKind;
use domain::RegionCode;
use std::path::Path;
use store::Store;

/// Exports one registry table (all, or a division's subtree) to .xlsx or .csv.
pub async fn export_registry(
    store: &Store,
    kind: RegistryKind,
    out: &Path,
    scope: Option<RegionCode>,
) -> Result<u64, ServiceError> {
    let n = match kind {
        RegistryKind::Households => {
            let mut rows = Vec::new();
            store
                .for_each_household(scope, |h| {
                    rows.push(h);
                    Ok(())
                })
                .await?;
            tabular::write::write_households(out, &rows)?;
            rows.len()
        }
        RegistryKind::Members => {
            let mut rows = Vec::new();
            store
                .for_each_member(scope, |m| {
                    rows.push(m);
                    Ok(())
                })
                .await?;
            tabular::write::write_members(out, &rows)?;
            rows.len()
        }
        RegistryKind::Incomes => {
            let mut rows = Vec::new();
            store
                .for_each_income(scope, |r| {
                    rows.push(r);
                    Ok(())
                })
                .await?;
            tabular::write::write_incomes(out, &rows)?;
            rows.len()
        }
    };
    Ok(n as u64)
}
