//! 监测案件 (monitoring cases): the case document and its transitions. The procedure itself
//! is `domain::case`; this module only keeps what it decides, with optimistic concurrency
//! so that two clerks acting on one case at once cannot both succeed.

use crate::screening::{LEAD_SELECT, LeadTuple, lead_row, lead_status};
use crate::sql::{Param, Sql, Where, bind_all};
use crate::{Backend, Store, StoreError, Tx, on_db, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::case::{Case, CaseState, Event};
use domain::{HouseholdType, RegionCode};
use rustc_hash::FxHashMap;

/// A stored case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    pub id: i64,
    pub household_id: i64,
    pub household_no: String,
    pub village: RegionCode,
    pub lead_id: Option<i64>,
    pub version: i64,
    pub case: Case,
    pub created_at: DateTime<Utc>,
}

type CaseTuple = (
    i64,
    i64,
    String,
    i64,
    Option<i64>,
    i64,
    String,
    DateTime<Utc>,
);

fn row(t: CaseTuple) -> Result<CaseRow, StoreError> {
    let (id, household_id, household_no, village, lead_id, version, data, created_at) = t;
    Ok(CaseRow {
        id,
        household_id,
        household_no,
        village: crate::decode::region(village)?,
        lead_id,
        version,
        case: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("案件 {id}：{e}")))?,
        created_at,
    })
}

const CASE_SELECT: &str = "SELECT c.id, c.household_id, h.household_no, h.village_code, c.lead_id, \
    c.version, c.data, c.created_at FROM cases c JOIN households h ON h.id = c.household_id";

fn to_json(case: &Case) -> String {
    serde_json::to_string(case).expect("a case serialises")
}

impl Tx {
    /// Stores a new case (its first event is written too).
    pub async fn insert_case(
        &mut self,
        household_id: i64,
        lead_id: Option<i64>,
        case: &Case,
    ) -> Result<i64, StoreError> {
        let now = Utc::now();
        let result: Result<(i64,), sqlx::Error> = on_tx!(self, c => {
            sqlx::query_as(
                "INSERT INTO cases (household_id, village_code, lead_id, state, open, first_clue_on, \
                 version, data, created_at, updated_at) \
                 SELECT $1, h.village_code, $2, $3, $4, $5, 1, $6, $7, $7 FROM households h \
                 WHERE h.id = $1 RETURNING id",
            )
            .bind(household_id)
            .bind(lead_id)
            .bind(i64::from(case.state.code()))
            .bind(case.state.is_open())
            .bind(case.first_clue_on)
            .bind(to_json(case))
            .bind(now)
            .fetch_one(c)
            .await
        });
        let (id,) = result.map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict("该户已有未办结的监测案件，不能重复立案".to_owned())
            }
            sqlx::Error::RowNotFound => StoreError::NotFound(format!("农户 {household_id}")),
            e => StoreError::from(e),
        })?;
        if let Some(event) = case.history.last() {
            self.insert_case_event(id, event).await?;
        }
        Ok(id)
    }

    /// Stores a case changed by one transition, if nobody changed it since it was read
    /// (`version`), with the transition's event.
    pub async fn update_case(
        &mut self,
        id: i64,
        version: i64,
        case: &Case,
    ) -> Result<(), StoreError> {
        let affected = on_tx!(self, c => {
            sqlx::query(
                "UPDATE cases SET state = $1, open = $2, version = version + 1, data = $3, \
                 updated_at = $4 WHERE id = $5 AND version = $6",
            )
            .bind(i64::from(case.state.code()))
            .bind(case.state.is_open())
            .bind(to_json(case))
            .bind(Utc::now())
            .bind(id)
            .bind(version)
            .execute(c)
            .await?
            .rows_affected()
        });
        if affected != 1 {
            return Err(StoreError::Conflict(
                "该案件刚被其他人办理过，请刷新后重试".to_owned(),
            ));
        }
        if let Some(event) = case.history.last() {
            self.insert_case_event(id, event).await?;
        }
        Ok(())
    }

    async fn insert_case_event(&mut self, case_id: i64, e: &Event) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO case_events (case_id, kind, from_state, to_state, level, actor, on_date, \
                 note, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(case_id)
            .bind(i64::from(e.kind.code()))
            .bind(e.from.map(|s| i64::from(s.code())))
            .bind(i64::from(e.to.code()))
            .bind(i64::from(e.actor.level.code()))
            .bind(e.actor.name.as_str())
            .bind(e.on)
            .bind(e.note.as_str())
            .bind(Utc::now())
            .execute(c)
            .await
            .map(|_| ())?
        });
        Ok(())
    }

    /// Closes an open lead: 不予纳入 (dismissed, with the reason) or 已转入识别 (converted).
    pub async fn close_lead(
        &mut self,
        lead: i64,
        status: i64,
        by: &str,
        note: &str,
    ) -> Result<(), StoreError> {
        let affected = on_tx!(self, c => {
            sqlx::query(
                "UPDATE leads SET status = $1, closed_at = $2, closed_by = $3, close_note = $4 \
                 WHERE id = $5 AND status = $6",
            )
            .bind(status)
            .bind(Utc::now())
            .bind(by)
            .bind(note)
            .bind(lead)
            .bind(lead_status::OPEN)
            .execute(c)
            .await?
            .rows_affected()
        });
        if affected != 1 {
            return Err(StoreError::Conflict(format!("线索 {lead} 不存在或已处理")));
        }
        Ok(())
    }

    /// The household of an open lead, and when the lead was found (its calendar day, in the
    /// deployment's zone, is the first clue's: `Store::zone`).
    pub async fn open_lead(&mut self, lead: i64) -> Result<(i64, DateTime<Utc>), StoreError> {
        let row: Option<(i64, DateTime<Utc>)> = on_tx!(self, c => {
            sqlx::query_as("SELECT household_id, created_at FROM leads WHERE id = $1 AND status = $2")
                .bind(lead)
                .bind(lead_status::OPEN)
                .fetch_optional(c)
                .await?
        });
        let (household, at) =
            row.ok_or_else(|| StoreError::NotFound(format!("待研判的线索 {lead}")))?;
        Ok((household, at))
    }

    /// 户类型 of a household.
    pub async fn household_type_of(&mut self, id: i64) -> Result<HouseholdType, StoreError> {
        let t: Option<(i16,)> = on_tx!(self, c => {
            sqlx::query_as("SELECT household_type FROM households WHERE id = $1")
                .bind(id)
                .fetch_optional(c)
                .await?
        });
        let (t,) = t.ok_or_else(|| StoreError::NotFound(format!("农户 {id}")))?;
        HouseholdType::from_code(t).ok_or_else(|| StoreError::Corrupt(format!("户类型代码 {t}")))
    }

    /// A case, for a transition in this transaction.
    pub async fn case_for_update(&mut self, id: i64) -> Result<CaseRow, StoreError> {
        let sql = format!("{CASE_SELECT} WHERE c.id = $1");
        let t: Option<CaseTuple> = on_tx!(self, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(c).await?
        });
        row(t.ok_or_else(|| StoreError::NotFound(format!("监测案件 {id}")))?)
    }
}

impl Store {
    pub async fn case(&self, id: i64) -> Result<CaseRow, StoreError> {
        let sql = format!("{CASE_SELECT} WHERE c.id = $1");
        let t: Option<CaseTuple> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await?
        });
        row(t.ok_or_else(|| StoreError::NotFound(format!("监测案件 {id}")))?)
    }

    /// Every case of a household, oldest first: its full history stays readable.
    pub async fn cases_of_household(&self, household_no: &str) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!("{CASE_SELECT} WHERE h.household_no = $1 ORDER BY c.id");
        let rows: Vec<CaseTuple> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(household_no).fetch_all(p).await?
        });
        rows.into_iter().map(row).collect()
    }

    /// Open cases in a region's subtree, by 户编号.
    pub async fn open_cases(&self, scope: Option<RegionCode>) -> Result<Vec<CaseRow>, StoreError> {
        let (lo, hi) = crate::registry::scope_range(scope);
        let sql = format!(
            "{CASE_SELECT} WHERE c.open = $1 AND h.village_code >= $2 AND h.village_code < $3 \
             ORDER BY h.household_no"
        );
        let rows: Vec<CaseTuple> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(true).bind(lo).bind(hi).fetch_all(p).await?
        });
        rows.into_iter().map(row).collect()
    }

    /// Households with an open case: their state and the lead the case came from. What
    /// screening needs (a monitored household's lower medical threshold; warnings attached
    /// to the case rather than a new lead).
    pub async fn open_case_states(
        &self,
    ) -> Result<FxHashMap<i64, (CaseState, Option<i64>)>, StoreError> {
        let rows: Vec<(i64, i64, Option<i64>)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT household_id, state, lead_id FROM cases WHERE open = $1")
                .bind(true)
                .fetch_all(p)
                .await?
        });
        rows.into_iter()
            .map(|(h, s, lead)| {
                let state = i16::try_from(s)
                    .ok()
                    .and_then(CaseState::from_code)
                    .ok_or_else(|| StoreError::Corrupt(format!("案件环节代码 {s}")))?;
                Ok((h, (state, lead)))
            })
            .collect()
    }
}

/// What a public notice needs of a case's household: never an ID number, phone or health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeFacts {
    pub case_id: i64,
    pub household_no: String,
    pub village: RegionCode,
    /// 户主姓名.
    pub head_name: Option<String>,
    pub size: i64,
    /// 住址, from which the 村民小组 is read.
    pub address: Option<String>,
    /// The lead's suggested category and risks (the proposal a 识别公示 lists).
    pub lead_category: Option<i64>,
    pub lead_risks: Option<i64>,
}

type NoticeTuple = (
    i64,
    String,
    i64,
    Option<String>,
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

impl Store {
    /// The notice facts of these cases, in the order given.
    pub async fn notice_facts(&self, case_ids: &[i64]) -> Result<Vec<NoticeFacts>, StoreError> {
        let list = self.id_list();
        let sql = format!(
            "SELECT c.id, h.household_no, h.village_code, \
             (SELECT m.name FROM members m WHERE m.household_id = h.id AND m.relation = {head} LIMIT 1), \
             (SELECT COUNT(*) FROM members m WHERE m.household_id = h.id), \
             h.address, l.suggested_category, l.risks \
             FROM cases c JOIN households h ON h.id = c.household_id \
             LEFT JOIN leads l ON l.id = c.lead_id WHERE c.id IN ({list})",
            head = domain::Relation::Head.code()
        );
        let json = serde_json::to_string(case_ids).expect("ids serialise");
        let rows: Vec<NoticeTuple> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(json).fetch_all(p).await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for (case_id, household_no, v, head_name, size, address, lead_category, lead_risks) in rows
        {
            out.push(NoticeFacts {
                case_id,
                household_no,
                village: crate::decode::region(v)?,
                head_name,
                size,
                address,
                lead_category,
                lead_risks,
            });
        }
        out.sort_by_key(|f| case_ids.iter().position(|c| *c == f.case_id));
        Ok(out)
    }
}

impl Tx {
    /// Stores a measure of a case.
    pub async fn insert_measure(
        &mut self,
        case_id: i64,
        household_id: i64,
        m: &domain::assistance::Measure,
    ) -> Result<i64, StoreError> {
        let now = Utc::now();
        let (id,): (i64,) = on_tx!(self, c => {
            sqlx::query_as(
                "INSERT INTO measures (case_id, household_id, status, data, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(case_id)
            .bind(household_id)
            .bind(i64::from(m.status.code()))
            .bind(serde_json::to_string(m).expect("a measure serialises"))
            .bind(now)
            .fetch_one(c)
            .await?
        });
        Ok(id)
    }
}

impl Store {
    /// The measures of a case, in the order recorded.
    pub async fn measures_of(
        &self,
        case_id: i64,
    ) -> Result<Vec<(i64, domain::assistance::Measure)>, StoreError> {
        let rows: Vec<(i64, String)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT id, data FROM measures WHERE case_id = $1 ORDER BY id")
                .bind(case_id)
                .fetch_all(p)
                .await?
        });
        rows.into_iter()
            .map(|(id, data)| {
                serde_json::from_str(&data)
                    .map(|m| (id, m))
                    .map_err(|e| StoreError::Corrupt(format!("措施 {id}：{e}")))
            })
            .collect()
    }

    /// 劳动技能 of every member of a household.
    pub async fn labour_of(&self, household_id: i64) -> Result<Vec<domain::Labor>, StoreError> {
        let rows: Vec<(i16,)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT labor FROM members WHERE household_id = $1")
                .bind(household_id)
                .fetch_all(p)
                .await?
        });
        rows.into_iter()
            .map(|(l,)| {
                domain::Labor::from_code(l)
                    .ok_or_else(|| StoreError::Corrupt(format!("劳动技能代码 {l}")))
            })
            .collect()
    }
}

impl Store {
    /// Risk types of the warnings a household received from runs started on or after `since`.
    pub async fn warning_risks_since(
        &self,
        household_id: i64,
        since: NaiveDate,
    ) -> Result<domain::monitoring::RiskSet, StoreError> {
        let since = since.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        let rows: Vec<(i64,)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT w.risk FROM warnings w JOIN screening_runs r ON r.id = w.run_id \
                 WHERE w.household_id = $1 AND r.started_at >= $2",
            )
            .bind(household_id)
            .bind(since)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(r,)| {
                i16::try_from(r)
                    .ok()
                    .and_then(domain::monitoring::RiskType::from_code)
            })
            .fold(
                domain::monitoring::RiskSet::EMPTY,
                domain::monitoring::RiskSet::with,
            ))
    }
}

impl Tx {
    /// Keeps a file with a case (e.g. the scanned 承诺授权书) and returns how the case
    /// document names it. The same bytes stored twice for one case are kept once.
    pub async fn insert_case_file(
        &mut self,
        case_id: i64,
        name: &str,
        data: &[u8],
    ) -> Result<domain::case::Attachment, StoreError> {
        use sha2::{Digest as _, Sha256};
        let sha256 = hex::encode(Sha256::digest(data));
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO case_files (case_id, name, sha256, size, data, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_id, sha256) DO NOTHING",
            )
            .bind(case_id)
            .bind(name)
            .bind(&sha256)
            .bind(data.len() as i64)
            .bind(data)
            .bind(Utc::now())
            .execute(&mut *c)
            .await?;
        });
        Ok(domain::case::Attachment {
            name: name.to_owned(),
            sha256,
            size: data.len() as u64,
        })
    }
}

impl Store {
    /// A file kept with a case, by its digest: (name, bytes).
    pub async fn case_file(
        &self,
        case_id: i64,
        sha256: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        Ok(on_db!(&self.db, p => {
            sqlx::query_as("SELECT name, data FROM case_files WHERE case_id = $1 AND sha256 = $2")
                .bind(case_id)
                .bind(sha256)
                .fetch_optional(p)
                .await?
        }))
    }
}

// ------------------------------------------------------------ lists for the web API

/// Which cases a list shows; the region scope is ANDed into every query.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaseFilter<'a> {
    /// A region's subtree (everything when `None`: the CLI's unscoped view only).
    pub scope: Option<RegionCode>,
    /// Only cases at this stage.
    pub state: Option<CaseState>,
    /// Only open (`Some(true)`) or closed (`Some(false)`) cases.
    pub open: Option<bool>,
    /// Only the cases of this 户编号.
    pub household_no: Option<&'a str>,
}

/// A case as a list shows it: the stored case and its current 帮扶责任人.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseListRow {
    pub row: CaseRow,
    pub helper: Option<String>,
}

/// One page of a list, and how many rows the whole list has, counted up to
/// [`crate::search::COUNT_CAP`] like a household search.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub total: i64,
    /// More than `total` rows match (the count stopped at the cap).
    pub capped: bool,
    pub rows: Vec<T>,
}

/// The page of a region's list of cases or leads, newest first: the statement selecting
/// its ids, and the count of the list up to [`crate::search::COUNT_CAP`].
///
/// `w` holds the list's own conditions on its table (alias `t`); the region's range is
/// added here. The count stops at the cap + 1 rows of the region index (`cases_region`,
/// `leads_region`), so it costs little whatever the region. It also says which way to
/// read the page:
/// - few matches (a village, a township, a rare stage): along the region index, sorting
///   those few by id;
/// - many (a county's cases): backwards along the ids (`cases_recent`, `leads_recent`,
///   which carry the columns the conditions read), keeping the region's rows, so that
///   page one reads about one page of index entries. A planner that does not know the
///   count would rather sort the whole region for 20 rows: SQLite is kept off the region
///   index ([`Store::not_indexed`]); PostgreSQL gets the range as constants, because the
///   plan it keeps for a prepared statement is made without the parameters' values, and
///   with them it chooses the backward walk itself. A deployment has few regions this
///   large, so these statements stay few.
///
/// Returns the ids statement (to be used as `IN (…)`) with its parameters, the total and
/// whether it was capped.
async fn region_page(
    store: &Store,
    table: &str,
    scope: Option<RegionCode>,
    w: Where,
    offset: i64,
    limit: i64,
) -> Result<(Sql, i64, bool), StoreError> {
    let (lo, hi) = crate::registry::scope_range(scope);
    let filter = w.conditions();
    let cap = crate::search::COUNT_CAP as i64;
    let mut count = Sql {
        text: String::new(),
        params: w.params.clone(),
    };
    let (a, b) = (count.bind(Param::Int(lo)), count.bind(Param::Int(hi)));
    count.text = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {table} t \
         WHERE t.village_code >= {a} AND t.village_code < {b} AND {filter} LIMIT {}) AS x",
        cap + 1
    );
    let (n,): (i64,) = on_db!(&store.db, p => {
        bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(count.text)), &count.params)
            .fetch_one(p)
            .await?
    });
    let mut ids = Sql {
        text: String::new(),
        params: w.params,
    };
    let region = match (n > cap, store.backend()) {
        (true, Backend::Postgres) => {
            format!("t.village_code >= {lo} AND t.village_code < {hi}")
        }
        (wide, _) => {
            let v = if wide {
                store.not_indexed("t.village_code")
            } else {
                "t.village_code".to_owned()
            };
            let (a, b) = (ids.bind(Param::Int(lo)), ids.bind(Param::Int(hi)));
            format!("{v} >= {a} AND {v} < {b}")
        }
    };
    let (limit, offset) = (ids.bind(Param::Int(limit)), ids.bind(Param::Int(offset)));
    ids.text = format!(
        "SELECT t.id FROM {table} t WHERE {region} AND {filter} \
         ORDER BY t.id DESC LIMIT {limit} OFFSET {offset}"
    );
    Ok((ids, n.min(cap), n > cap))
}

/// The rows of a page: `rows` is a statement with `{ids}` where the page's ids go, `ids`
/// the statement selecting them ([`region_page`]). SQLite runs them as one statement.
/// PostgreSQL runs the ids first and then the rows by a statement that is the same for
/// every page: it plans a statement with the region's range in it anew for each set of
/// values, and planning the rows too (joins, subqueries) would cost more than reading them.
async fn page_rows<T>(store: &Store, rows: &str, ids: Sql) -> Result<Vec<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    Ok(match &store.db {
        crate::db::Db::Sqlite(pools) => {
            let p = &pools.read;
            let sql = rows.replace("{ids}", &ids.text);
            bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &ids.params)
                .fetch_all(p)
                .await?
        }
        crate::db::Db::Postgres(p) => {
            let found: Vec<(i64,)> =
                bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(ids.text)), &ids.params)
                    .fetch_all(p)
                    .await?;
            let found: Vec<i64> = found.into_iter().map(|(id,)| id).collect();
            let sql = rows.replace("{ids}", "SELECT unnest(CAST($1 AS BIGINT[]))");
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(found)
                .fetch_all(p)
                .await?
        }
    })
}

impl Store {
    /// A page of the cases matching `f`, newest first, with each one's current helper.
    pub async fn case_list(
        &self,
        f: &CaseFilter<'_>,
        offset: i64,
        limit: i64,
    ) -> Result<Page<CaseListRow>, StoreError> {
        let mut w = Where::default();
        if let Some(s) = f.state {
            w.add("t.state = $n", Param::Int(i64::from(s.code())));
        }
        if let Some(open) = f.open {
            w.add("t.open = $n", Param::Bool(open));
        }
        if let Some(no) = f.household_no {
            w.add(
                "t.household_id = (SELECT id FROM households WHERE household_no = $n)",
                Param::Text(no.to_owned()),
            );
        }
        let (ids, total, capped) = region_page(self, "cases", f.scope, w, offset, limit).await?;
        const ROWS: &str = "SELECT c.id, c.household_id, h.household_no, c.village_code, \
            c.lead_id, c.version, c.data, c.created_at, \
            (SELECT name FROM helpers WHERE case_id = c.id AND ended_on IS NULL) \
            FROM cases c CROSS JOIN households h \
            WHERE h.id = c.household_id AND c.id IN ({ids}) ORDER BY c.id DESC";
        type ListTuple = (
            i64,
            i64,
            String,
            i64,
            Option<i64>,
            i64,
            String,
            DateTime<Utc>,
            Option<String>,
        );
        let rows: Vec<ListTuple> = page_rows(self, ROWS, ids).await?;
        let rows = rows
            .into_iter()
            .map(|(id, hh, no, v, lead, version, data, at, helper)| {
                Ok(CaseListRow {
                    row: row((id, hh, no, v, lead, version, data, at))?,
                    helper,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Page {
            total,
            capped,
            rows,
        })
    }

    /// One lead (线索) by id, with its household's village (for the caller's region check).
    pub async fn lead(&self, id: i64) -> Result<crate::screening::LeadRow, StoreError> {
        let sql = format!("{LEAD_SELECT} AND l.id = $1");
        let t: Option<LeadTuple> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await?
        });
        lead_row(t.ok_or_else(|| StoreError::NotFound(format!("线索 {id}")))?)
    }

    /// A page of the leads in a region's subtree, optionally of one status, newest first.
    pub async fn lead_list(
        &self,
        scope: Option<RegionCode>,
        status: Option<i64>,
        offset: i64,
        limit: i64,
    ) -> Result<Page<crate::screening::LeadRow>, StoreError> {
        let mut w = Where::default();
        if let Some(status) = status {
            w.add("t.status = $n", Param::Int(status));
        }
        let (ids, total, capped) = region_page(self, "leads", scope, w, offset, limit).await?;
        let sql = format!(
            "{LEAD_SELECT} AND l.id IN ({{ids}}) \
             ORDER BY l.id DESC"
        );
        let rows: Vec<LeadTuple> = page_rows(self, &sql, ids).await?;
        let rows = rows.into_iter().map(lead_row).collect::<Result<_, _>>()?;
        Ok(Page {
            total,
            capped,
            rows,
        })
    }

    /// The village of a household (户编号), if registered.
    pub async fn household_village(
        &self,
        household_no: &str,
    ) -> Result<Option<RegionCode>, StoreError> {
        let v: Option<(i64,)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT village_code FROM households WHERE household_no = $1")
                .bind(household_no)
                .fetch_optional(p)
                .await?
        });
        v.map(|(v,)| crate::decode::region(v)).transpose()
    }
}
