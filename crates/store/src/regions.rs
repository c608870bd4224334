//! 行政区划: the division hierarchy, loaded from the statistics bureau's files.

use crate::{Store, StoreError, on_db, on_tx};
use domain::{Region, RegionCode, RegionLevel};
use std::collections::HashSet;

/// Rows per multi-row statement (5 parameters each).
const CHUNK: usize = 2000;

/// A stored division with its level and parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionRow {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent: Option<RegionCode>,
}

fn row(code: i64, name: String) -> Result<RegionRow, StoreError> {
    let code = RegionCode::from_u64(code as u64)
        .ok_or_else(|| StoreError::Corrupt(format!("区划代码 {code}")))?;
    Ok(RegionRow {
        code,
        name,
        level: code.level(),
        parent: code.parent(),
    })
}

impl Store {
    /// Inserts or renames divisions in one transaction; returns how many were new or renamed.
    pub async fn upsert_regions(&self, regions: &[Region]) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let mut changed = 0;
        for chunk in regions.chunks(CHUNK) {
            changed += on_tx!(&mut tx, c => {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO regions (code, name, level, parent) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.code.as_i64())
                        .push_bind(r.name.as_str())
                        .push_bind(r.code.level() as i16)
                        .push_bind(r.code.parent().map(|p| p.as_i64()));
                });
                qb.push(
                    " ON CONFLICT (code) DO UPDATE SET name = excluded.name \
                     WHERE regions.name <> excluded.name",
                );
                qb.build().execute(c).await?.rows_affected()
            });
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// The division with this code, if loaded.
    pub async fn region(&self, code: RegionCode) -> Result<Option<RegionRow>, StoreError> {
        let r: Option<(i64, String)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT code, name FROM regions WHERE code = $1")
                .bind(code.as_i64())
                .fetch_optional(p)
                .await?
        });
        r.map(|(c, n)| row(c, n)).transpose()
    }

    /// Every division in `root`'s subtree (itself included) at `level`, ordered by code.
    pub async fn regions_under(
        &self,
        root: RegionCode,
        level: RegionLevel,
    ) -> Result<Vec<RegionRow>, StoreError> {
        let (lo, hi) = root.subtree();
        let rows: Vec<(i64, String)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT code, name FROM regions \
                 WHERE code >= $1 AND code < $2 AND level = $3 ORDER BY code",
            )
            .bind(lo as i64)
            .bind(hi as i64)
            .bind(level as i16)
            .fetch_all(p)
            .await?
        });
        rows.into_iter().map(|(c, n)| row(c, n)).collect()
    }

    /// Which of `codes` are loaded villages.
    pub async fn existing_villages(
        &self,
        codes: &[RegionCode],
    ) -> Result<HashSet<RegionCode>, StoreError> {
        let mut out = HashSet::new();
        for chunk in codes.chunks(CHUNK) {
            let found: Vec<(i64,)> = on_db!(&self.db, p => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT code FROM regions WHERE level = 5 AND code IN (",
                );
                let mut sep = qb.separated(", ");
                for c in chunk {
                    sep.push_bind(c.as_i64());
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await?
            });
            out.extend(
                found
                    .into_iter()
                    .filter_map(|(c,)| RegionCode::from_u64(c as u64)),
            );
        }
        Ok(out)
    }
}
