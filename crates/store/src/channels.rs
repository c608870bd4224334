//! 干部排查 (cadre visits) and 农户自主申报 (self-declarations): the records of the two
//! discovery channels besides screening, and the leads they open.

use crate::crypto::{Field, Row};
use crate::screening::lead_status;
use crate::{Store, StoreError, Tx, on_db, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Money;
use domain::declaration::{Declaration, Visit};
use domain::monitoring::RiskSet;
use domain::screening::Channel;

/// What became of a declaration, for the household asking with its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationStatus {
    pub submitted_at: DateTime<Utc>,
    /// Whether the household was found in the registry.
    pub registered: bool,
    /// The lead's status (线索状态), when a lead was opened.
    pub lead_status: Option<i64>,
    /// The stage of the case opened from that lead, if any (案件环节 code).
    pub case_state: Option<i64>,
}

impl Tx {
    /// The household's open lead, with `risks` added; or a new open lead from `channel`.
    /// Returns the lead and whether it is new.
    pub async fn open_or_join_lead(
        &mut self,
        household: i64,
        channel: Channel,
        risks: RiskSet,
    ) -> Result<(i64, bool), StoreError> {
        let open: Option<(i64, i64)> = on_tx!(self, c => {
            sqlx::query_as("SELECT id, risks FROM leads WHERE household_id = $1 AND status = $2")
                .bind(household)
                .bind(lead_status::OPEN)
                .fetch_optional(c)
                .await?
        });
        if let Some((id, stored)) = open {
            let merged = RiskSet::from_bits(stored as u16)
                .unwrap_or_default()
                .merged(risks);
            self.set_lead_risks(id, merged.bits()).await?;
            return Ok((id, false));
        }
        let (id,): (i64,) = on_tx!(self, c => {
            sqlx::query_as(
                "INSERT INTO leads (household_id, village_code, channel, status, suggested_category, \
                 risks, run_id, created_at) SELECT $1, h.village_code, $2, $3, NULL, $4, NULL, $5 \
                 FROM households h WHERE h.id = $1 RETURNING id",
            )
            .bind(household)
            .bind(i64::from(channel.code()))
            .bind(lead_status::OPEN)
            .bind(i64::from(risks.bits()))
            .bind(Utc::now())
            .fetch_one(c)
            .await?
        });
        Ok((id, true))
    }

    /// Stores a visit: a screening visit (it may have opened `lead`) or, with `case`, a
    /// follow-up visit of the household's open case.
    pub async fn insert_visit(
        &mut self,
        household: i64,
        visit: &Visit,
        lead: Option<i64>,
        case: Option<i64>,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = on_tx!(self, c => {
            sqlx::query_as(
                "INSERT INTO visits (household_id, visited_on, visitor, findings, risks, lead_id, \
                 case_id, income, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(household)
            .bind(visit.visited_on)
            .bind(visit.visitor.trim())
            .bind(visit.findings.trim())
            .bind(i64::from(visit.risks.bits()))
            .bind(lead)
            .bind(case)
            .bind(visit.income.map(Money::fen))
            .bind(Utc::now())
            .fetch_one(c)
            .await?
        });
        Ok(id)
    }

    /// Stores a declaration (ID number and phone encrypted, with their keyed hashes).
    pub async fn insert_declaration(
        &mut self,
        vault: &crate::Vault,
        receipt: &str,
        d: &Declaration,
        household: Option<i64>,
        lead: Option<i64>,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = on_tx!(self, c => {
            sqlx::query_as(
                "INSERT INTO declarations (receipt, name, phone_enc, phone_hash, id_enc, id_hash, \
                 village_code, difficulty, risk, household_id, lead_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(receipt)
            .bind(d.name.as_str())
            .bind(vault.seal(Field::Phone, Row::declaration(receipt), d.phone.as_str()))
            .bind(vault.digest(Field::Phone, d.phone.as_str()).to_vec())
            .bind(vault.seal(
                Field::IdNumber,
                Row::declaration(receipt),
                d.id_number.as_str(),
            ))
            .bind(vault.digest(Field::IdNumber, d.id_number.as_str()).to_vec())
            .bind(d.village.as_i64())
            .bind(d.difficulty.as_str())
            .bind(i64::from(d.risk.code()))
            .bind(household)
            .bind(lead)
            .bind(Utc::now())
            .fetch_one(c)
            .await?
        });
        Ok(id)
    }
}

/// submitted at, household, lead status, case state.
type StatusRow = (DateTime<Utc>, Option<i64>, Option<i64>, Option<i64>);

/// A visit as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRow {
    pub on: NaiveDate,
    pub visitor: String,
    pub findings: String,
    /// Risks found.
    pub risks: RiskSet,
    /// The lead a screening visit opened or joined.
    pub lead: Option<i64>,
    /// The case a follow-up visit belongs to.
    pub case: Option<i64>,
    /// Per-capita income re-assessed at the visit.
    pub income: Option<Money>,
}

type VisitTuple = (
    NaiveDate,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

impl Store {
    /// The status of a declaration by its receipt.
    pub async fn declaration_status(
        &self,
        receipt: &str,
    ) -> Result<Option<DeclarationStatus>, StoreError> {
        let row: Option<StatusRow> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT d.created_at, d.household_id, l.status, \
                 (SELECT c.state FROM cases c WHERE c.lead_id = d.lead_id ORDER BY c.id DESC LIMIT 1) \
                 FROM declarations d LEFT JOIN leads l ON l.id = d.lead_id WHERE d.receipt = $1",
            )
            .bind(receipt)
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(|(at, household, lead, case)| DeclarationStatus {
            submitted_at: at,
            registered: household.is_some(),
            lead_status: lead,
            case_state: case,
        }))
    }

    /// Visits to a household, newest first.
    pub async fn visits_of(&self, household: i64) -> Result<Vec<VisitRow>, StoreError> {
        let rows: Vec<VisitTuple> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT visited_on, visitor, findings, risks, lead_id, case_id, income FROM visits \
                 WHERE household_id = $1 ORDER BY visited_on DESC, id DESC",
            )
            .bind(household)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(on, visitor, findings, risks, lead, case, income)| VisitRow {
                    on,
                    visitor,
                    findings,
                    risks: RiskSet::from_bits(risks as u16).unwrap_or_default(),
                    lead,
                    case,
                    income: income.map(Money::from_fen),
                },
            )
            .collect())
    }
}
