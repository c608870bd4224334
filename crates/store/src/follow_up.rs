//! 帮扶责任人 (the cadre responsible for a monitored household) and 帮扶走访 (follow-up
//! visits) of open cases: who is responsible now and before, when the household was last
//! visited, and the incomes re-assessed at those visits.

use crate::crypto::Row;
use crate::{Field, Store, StoreError, Tx, on_db, on_tx};
use chrono::{NaiveDate, Utc};
use domain::assistance::Helper;
use domain::{Money, RegionCode};
use rustc_hash::FxHashMap;

/// A helper as shown: the phone masked (138****5678).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperRow {
    pub name: String,
    pub unit: String,
    pub phone_masked: String,
    pub since: NaiveDate,
    /// `None`: the current helper.
    pub ended_on: Option<NaiveDate>,
}

/// What the to-do list needs of an open case beyond its document: its current helper and
/// its latest follow-up visit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUp {
    pub helper: Option<String>,
    pub last_visit: Option<NaiveDate>,
}

impl Tx {
    /// The household's open case, if any.
    pub async fn open_case_of(&mut self, household: i64) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = on_tx!(self, c => {
            sqlx::query_as("SELECT id FROM cases WHERE household_id = $1 AND open = $2")
                .bind(household)
                .bind(true)
                .fetch_optional(c)
                .await?
        });
        Ok(row.map(|r| r.0))
    }

    /// Makes `helper` the case's 帮扶责任人 from `helper.since`; the previous one, if any,
    /// ends that day and stays in the history.
    pub async fn assign_helper(
        &mut self,
        vault: &crate::Vault,
        case_id: i64,
        helper: &Helper,
    ) -> Result<i64, StoreError> {
        on_tx!(self, c => {
            sqlx::query("UPDATE helpers SET ended_on = $1 WHERE case_id = $2 AND ended_on IS NULL")
                .bind(helper.since)
                .bind(case_id)
                .execute(&mut *c)
                .await?;
        });
        // The phone is bound to the row's id, known only once the row exists: inserted
        // empty, sealed and set in the same transaction.
        let (id,): (i64,) = on_tx!(self, c => {
            sqlx::query_as(
                "INSERT INTO helpers (case_id, name, unit, phone_enc, since_on, ended_on, created_at) \
                 VALUES ($1, $2, $3, $4, $5, NULL, $6) RETURNING id",
            )
            .bind(case_id)
            .bind(helper.name.trim())
            .bind(helper.unit.trim())
            .bind(Vec::<u8>::new())
            .bind(helper.since)
            .bind(Utc::now())
            .fetch_one(&mut *c)
            .await?
        });
        let phone = vault.seal(Field::Phone, Row::helper(id), helper.phone.as_str());
        on_tx!(self, c => {
            sqlx::query("UPDATE helpers SET phone_enc = $1 WHERE id = $2")
                .bind(phone)
                .bind(id)
                .execute(c)
                .await?;
        });
        Ok(id)
    }
}

type HelperTuple = (i64, String, String, Vec<u8>, NaiveDate, Option<NaiveDate>);

impl Store {
    /// A case's helpers, the current one first, then the earlier ones, newest first.
    pub async fn helpers_of(&self, case_id: i64) -> Result<Vec<HelperRow>, StoreError> {
        let rows: Vec<HelperTuple> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT id, name, unit, phone_enc, since_on, ended_on FROM helpers WHERE case_id = $1 \
                 ORDER BY ended_on IS NOT NULL, since_on DESC, id DESC",
            )
            .bind(case_id)
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|(id, name, unit, phone, since, ended_on)| {
                let phone = self.vault.open(Field::Phone, Row::helper(id), &phone)?;
                let phone_masked = domain::Phone::parse(&phone)
                    .map(|p| p.masked())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(HelperRow {
                    name,
                    unit,
                    phone_masked,
                    since,
                    ended_on,
                })
            })
            .collect()
    }

    /// Current helper and latest follow-up visit of every open case in a region's subtree,
    /// by case id.
    pub async fn follow_ups(
        &self,
        scope: Option<RegionCode>,
    ) -> Result<FxHashMap<i64, FollowUp>, StoreError> {
        let (lo, hi) = crate::registry::scope_range(scope);
        let rows: Vec<(i64, Option<String>, Option<NaiveDate>)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT c.id, \
                 (SELECT name FROM helpers WHERE case_id = c.id AND ended_on IS NULL), \
                 (SELECT max(visited_on) FROM visits WHERE case_id = c.id) \
                 FROM cases c JOIN households h ON h.id = c.household_id \
                 WHERE c.open = $1 AND h.village_code >= $2 AND h.village_code < $3",
            )
            .bind(true)
            .bind(lo)
            .bind(hi)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, helper, last_visit)| (id, FollowUp { helper, last_visit }))
            .collect())
    }

    /// Incomes re-assessed at the case's follow-up visits: (visit day, per-capita income).
    pub async fn visit_incomes(&self, case_id: i64) -> Result<Vec<(NaiveDate, Money)>, StoreError> {
        let rows: Vec<(NaiveDate, i64)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT visited_on, income FROM visits WHERE case_id = $1 AND income IS NOT NULL \
                 ORDER BY visited_on",
            )
            .bind(case_id)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(on, fen)| (on, Money::from_fen(fen)))
            .collect())
    }
}
