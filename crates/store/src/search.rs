//! 查询 (registry reads for the API): household search, one household with its members and
//! incomes, a member's identity for an audited reveal, counts by region, and what became of
//! a department batch. Every read here is bounded to a region's subtree by the caller.
//!
//! Search must stay fast on a registry of millions of members, so every predicate is one an
//! index answers: the village code range (`households_village_no`), a 户编号 prefix as a
//! range (`household_no >= p AND household_no < succ(p)`), a name prefix the same way on
//! `members_name`, an ID number through its keyed hash (`members_id_hash`). Counts stop at
//! [`COUNT_CAP`]; whether a search reads from the match or from the region depends on
//! which is rare (see [`Store::search_households`]). On PostgreSQL the ranges compare with
//! `COLLATE "C"` (byte order, the order of the indexes of migrations 0011 and 0012),
//! because a linguistic collation does not keep a prefix's strings together.

use crate::crypto::{Field, Row};
use crate::decode::{code, region};
use crate::registry::{
    Digest, HOUSEHOLD_COLUMNS, HouseholdRow, INCOME_COLUMNS, IncomeRow, MEMBER_COLUMNS,
    MemberWithId, income_from_row, scope_range,
};
use crate::sql::{Param, Sql, bind_all};
use crate::{Backend, Store, StoreError, on_db};
use chrono::{DateTime, Utc};
use domain::case::CaseState;
use domain::screening::RuleId;
use domain::{
    Household, HouseholdType, IdNumber, IncomeRecord, Member, Phone, RegionCode, Relation,
};
use rustc_hash::{FxHashMap, FxHashSet};

/// Counting stops here: a total above it is reported as "more than". Counting is the one
/// part of a search whose cost grows with the result, so the cap is kept low: a list that
/// long is narrowed, not read.
pub const COUNT_CAP: u64 = 1_000;

/// What a household search matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HouseholdMatch {
    /// Every household of the range.
    All,
    /// 户编号 starting with this text.
    NumberPrefix(String),
    /// A member (户主 or another) whose name is exactly this.
    NameExact(String),
    /// A member whose name is exactly this, if anyone's is; otherwise a member whose name
    /// starts with it. (A full name finds those people, not also every longer name
    /// beginning with it: 陈媛 is 429 people of a million households, names starting with
    /// 陈媛 1,773.)
    NamePrefix(String),
    /// A member with this ID number, by its keyed hash.
    IdHash(Digest),
}

/// Order of the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HouseholdOrder {
    /// By 户编号.
    #[default]
    Number,
    /// By village code, then 户编号.
    Village,
}

/// A household search: what, where, in which order, which page.
#[derive(Debug, Clone)]
pub struct HouseholdQuery {
    /// The region whose subtree is searched (the caller's, or a part of it).
    pub within: RegionCode,
    pub matching: HouseholdMatch,
    pub order: HouseholdOrder,
    pub offset: u64,
    pub limit: u32,
}

/// One household of a result page, decrypted: the caller masks before showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdHit {
    pub household_no: String,
    pub village: RegionCode,
    pub village_name: Option<String>,
    pub household_type: HouseholdType,
    /// 户主's name and ID number, when the household has a 户主.
    pub head: Option<(String, IdNumber)>,
    /// Members registered.
    pub size: u32,
    pub phone: Option<Phone>,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdPage {
    /// Matches, counted up to [`COUNT_CAP`].
    pub total: u64,
    /// More than `total` match (the count stopped at the cap).
    pub capped: bool,
    pub items: Vec<HouseholdHit>,
}

/// The successor of a prefix in code-point (and UTF-8 byte) order: the least string greater
/// than every string that starts with it. `None` when there is none (only U+10FFFF).
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A region of this level or below is read village by village when listed in 户编号
/// order (a township has a few dozen villages); a larger one along the 户编号 index.
const FAN_OUT_LEVEL: domain::RegionLevel = domain::RegionLevel::Township;

/// One household of a page: number, village, village name, type, phone, size, 户主's name
/// and ID (ciphertext and the keyed hash it is bound to), and the count the page statement
/// carried.
type HitRow = (
    String,
    i64,
    Option<String>,
    i16,
    Option<Vec<u8>>,
    i64,
    Option<String>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    i64,
);

impl Store {
    /// FROM and WHERE of the households of `within` that `m` matches, read village by
    /// village — the regions table walked in code order, each village's matches found by
    /// one seek of `households_village_no` (on PostgreSQL at most `each` of them), in
    /// (village, 户编号) order. SQLite keeps a CROSS JOIN's order; PostgreSQL is told by
    /// LATERAL. Parameters are bound into `sql`.
    fn village_by_village(
        &self,
        sql: &mut Sql,
        within: RegionCode,
        m: &HouseholdMatch,
        each: u64,
    ) -> String {
        let c = self.byte_order();
        let (lo, hi) = scope_range(Some(within));
        let mut inner = Sql {
            text: String::new(),
            params: std::mem::take(&mut sql.params),
        };
        self.push_match(&mut inner, m);
        let (lo, hi) = (inner.bind(Param::Int(lo)), inner.bind(Param::Int(hi)));
        sql.params = inner.params;
        let range = format!(" WHERE v.code >= {lo} AND v.code < {hi} AND v.level = 5");
        match self.backend() {
            Backend::Sqlite => format!(
                " FROM regions v CROSS JOIN households h{range} AND h.village_code = v.code{}",
                inner.text
            ),
            Backend::Postgres => {
                let each = sql.bind(Param::Int(each as i64));
                format!(
                    " FROM regions v CROSS JOIN LATERAL (SELECT h.id, h.household_no \
                     FROM households h WHERE h.village_code = v.code{} \
                     ORDER BY h.household_no{c} LIMIT {each}) AS h{range}",
                    inner.text
                )
            }
        }
    }

    /// Appends ` AND <what m matches>` (nothing for `All`).
    fn push_match(&self, sql: &mut Sql, m: &HouseholdMatch) {
        let c = self.byte_order();
        match m {
            HouseholdMatch::All => {}
            HouseholdMatch::NumberPrefix(prefix) => {
                let a = sql.bind(Param::Text(prefix.clone()));
                sql.push(&format!(" AND h.household_no{c} >= {a}"));
                if let Some(end) = prefix_end(prefix) {
                    let b = sql.bind(Param::Text(end));
                    sql.push(&format!(" AND h.household_no{c} < {b}"));
                }
            }
            HouseholdMatch::NameExact(name) => {
                let a = sql.bind(Param::Text(name.clone()));
                sql.push(&format!(
                    " AND h.id IN (SELECT m.household_id FROM members m WHERE m.name{c} = {a})"
                ));
            }
            HouseholdMatch::NamePrefix(prefix) => {
                let a = sql.bind(Param::Text(prefix.clone()));
                let end = match prefix_end(prefix) {
                    Some(end) => {
                        let b = sql.bind(Param::Text(end));
                        format!(" AND m.name{c} < {b}")
                    }
                    None => String::new(),
                };
                sql.push(&format!(
                    " AND h.id IN (SELECT m.household_id FROM members m \
                     WHERE m.name{c} >= {a}{end})"
                ));
            }
            HouseholdMatch::IdHash(hash) => {
                let a = sql.bind(Param::Blob(hash.to_vec()));
                sql.push(&format!(
                    " AND h.id IN (SELECT m.household_id FROM members m WHERE m.id_hash = {a})"
                ));
            }
        }
    }

    /// ` WHERE` over the village range `lo..hi`, through the village index or not.
    fn push_range(&self, sql: &mut Sql, (lo, hi): (i64, i64), indexed: bool) {
        let v = if indexed {
            "h.village_code".to_owned()
        } else {
            self.not_indexed("h.village_code")
        };
        let (lo, hi) = (sql.bind(Param::Int(lo)), sql.bind(Param::Int(hi)));
        sql.push(&format!(" WHERE {v} >= {lo} AND {v} < {hi}"));
    }

    /// `(SELECT COUNT(*) …)` of at most [`COUNT_CAP`] + 1 households of `where_` (text
    /// whose parameters are already in the statement being built).
    fn capped_count(where_: &str, alias: &str) -> String {
        format!(
            "(SELECT COUNT(*) FROM (SELECT 1 FROM households h{where_} LIMIT {}) AS {alias})",
            COUNT_CAP + 1
        )
    }

    /// The loaded villages of `within`'s subtree, by code.
    async fn villages_of(&self, within: RegionCode) -> Result<Vec<i64>, StoreError> {
        if within.level() == domain::RegionLevel::Village {
            return Ok(vec![within.as_i64()]);
        }
        let (lo, hi) = scope_range(Some(within));
        let rows: Vec<(i64,)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT code FROM regions WHERE code >= $1 AND code < $2 AND level = $3 \
                 ORDER BY code",
            )
            .bind(lo)
            .bind(hi)
            .bind(domain::RegionLevel::Village as i16)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }

    /// Households matching `q`, one page, with the total counted up to [`COUNT_CAP`].
    ///
    /// Two statements, each reading a bounded number of index entries whatever the size of
    /// the registry, and handing back a handful of rows (on SQLite, rows through the driver
    /// cost more under load than the reading itself):
    ///
    /// 1. the counts, capped: of the households matching in the region and, to choose the
    ///    way of reading, of the 户编号 prefix anywhere or of the exact name in the region;
    /// 2. the page, with its households' members: by ID number or name, the matches (a
    ///    name's namesakes, at most some thousands) sorted by the database; by 户编号 prefix,
    ///    along `households_no_village` in number order (the village read from the index);
    ///    in village order, the few matches sorted, or many read village by village (the
    ///    regions walked in order, each village's matches found by one seek); the whole
    ///    region in village order straight from `households_village_no`, and in number
    ///    order, for a township or a village, each village's first households merged, for a
    ///    larger region along `households_no_village` — not even looking at villages when
    ///    the region holds every household (a county's own database).
    pub async fn search_households(&self, q: &HouseholdQuery) -> Result<HouseholdPage, StoreError> {
        let c = self.byte_order();
        let range = scope_range(Some(q.within));
        let (lo, hi) = range;

        if matches!(
            q.matching,
            HouseholdMatch::IdHash(_)
                | HouseholdMatch::NameExact(_)
                | HouseholdMatch::NamePrefix(_)
        ) {
            return self.search_by_person(q).await;
        }

        // 1. The counts: of the households matching in the region, and of the 户编号
        // prefix anywhere (whether it is common), with the registry's village extent.
        let mut st = Sql::default();
        let slot_a = if q.matching == HouseholdMatch::All {
            "0".to_owned()
        } else {
            st.push(" WHERE 1 = 1");
            self.push_match(&mut st, &q.matching);
            Self::capped_count(&std::mem::take(&mut st.text), "a")
        };
        self.push_range(&mut st, range, q.matching == HouseholdMatch::All);
        self.push_match(&mut st, &q.matching);
        let slot_b = Self::capped_count(&std::mem::take(&mut st.text), "b");
        st.text = format!(
            "SELECT CAST({slot_a} AS BIGINT), CAST({slot_b} AS BIGINT), \
             (SELECT MIN(village_code) FROM households), \
             (SELECT MAX(village_code) FROM households)"
        );
        let (_, n, min, max): (i64, i64, Option<i64>, Option<i64>) = on_db!(&self.db, p => {
            bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(st.text)), &st.params)
                .fetch_one(p)
                .await?
        });
        let matching = q.matching.clone();
        let n = n as u64;
        let capped = n > COUNT_CAP;
        let total = n.min(COUNT_CAP);
        let empty = HouseholdPage {
            total,
            capped,
            items: Vec::new(),
        };
        if (!capped && q.offset >= n) || q.limit == 0 {
            return Ok(empty);
        }
        let holds_all = min.zip(max).is_some_and(|(min, max)| min >= lo && max < hi);

        // 2. The page.
        let by_number = q.order == HouseholdOrder::Number;
        let mut page = Sql::default();
        let no = self.not_indexed("h.household_no");
        let village = self.not_indexed("h.village_code");
        match &matching {
            HouseholdMatch::NumberPrefix(_) if by_number || !capped => {
                if by_number && holds_all {
                    page.push(" WHERE 1 = 1");
                } else {
                    self.push_range(&mut page, range, false);
                }
                self.push_match(&mut page, &matching);
                let order = if by_number {
                    format!("h.household_no{c}")
                } else {
                    format!("{village}, {no}{c}")
                };
                page.text = format!(
                    "SELECT h.id, CAST(0 AS BIGINT) AS n FROM households h{} ORDER BY {order}",
                    page.text
                );
            }
            HouseholdMatch::NumberPrefix(_) => {
                let each = q.offset + u64::from(q.limit);
                let from = self.village_by_village(&mut page, q.within, &matching, each);
                page.text = format!(
                    "SELECT h.id, CAST(0 AS BIGINT) AS n{from} ORDER BY v.code, h.household_no{c}"
                );
            }
            HouseholdMatch::All if !by_number => {
                self.push_range(&mut page, range, true);
                page.text = format!(
                    "SELECT h.id, CAST(0 AS BIGINT) AS n FROM households h{} \
                     ORDER BY h.village_code, h.household_no{c}",
                    page.text
                );
            }
            HouseholdMatch::All if q.within.level() >= FAN_OUT_LEVEL => {
                // Each village's first `offset + limit` households in number order, merged:
                // the page is among them.
                let villages = self.villages_of(q.within).await?;
                if villages.is_empty() {
                    return Ok(empty);
                }
                let each = page.bind(Param::Int((q.offset + u64::from(q.limit)) as i64));
                let branches: Vec<String> = villages
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let v = page.bind(Param::Int(*v));
                        format!(
                            "SELECT id, household_no FROM (SELECT h.id, h.household_no \
                             FROM households h WHERE h.village_code = {v} \
                             ORDER BY h.household_no{c} LIMIT {each}) AS v{i}"
                        )
                    })
                    .collect();
                page.text = format!(
                    "SELECT id, CAST(0 AS BIGINT) AS n FROM ({}) AS u ORDER BY household_no{c}",
                    branches.join(" UNION ALL ")
                );
            }
            // Searched by person above.
            HouseholdMatch::IdHash(_)
            | HouseholdMatch::NameExact(_)
            | HouseholdMatch::NamePrefix(_) => return self.search_by_person(q).await,
            HouseholdMatch::All => {
                if holds_all {
                    page.push(" WHERE 1 = 1");
                } else {
                    self.push_range(&mut page, range, false);
                }
                page.text = format!(
                    "SELECT h.id, CAST(0 AS BIGINT) AS n FROM households h{} ORDER BY h.household_no{c}",
                    page.text
                );
            }
        }
        let l = page.bind(Param::Int(i64::from(q.limit)));
        let o = page.bind(Param::Int(q.offset as i64));
        page.push(&format!(" LIMIT {l} OFFSET {o}"));
        Ok(HouseholdPage {
            total,
            capped,
            items: self.hits(page, q.order).await?.0,
        })
    }

    /// By ID number or by name: the matches are a person, or a name's namesakes (at most
    /// some thousands), so the database sorts them all and the page carries their count
    /// (`COUNT(*) OVER ()`, exact): one statement. A name prefix is first tried as a whole
    /// name ([`HouseholdMatch::NamePrefix`]).
    async fn search_by_person(&self, q: &HouseholdQuery) -> Result<HouseholdPage, StoreError> {
        let c = self.byte_order();
        let range = scope_range(Some(q.within));
        let statement = |m: &HouseholdMatch| {
            let mut page = Sql::default();
            self.push_range(&mut page, range, false);
            self.push_match(&mut page, m);
            let no = self.not_indexed("h.household_no");
            let order = match q.order {
                HouseholdOrder::Number => format!("{no}{c}"),
                HouseholdOrder::Village => {
                    format!("{}, {no}{c}", self.not_indexed("h.village_code"))
                }
            };
            let (l, o) = (
                page.bind(Param::Int(i64::from(q.limit))),
                page.bind(Param::Int(q.offset as i64)),
            );
            page.text = format!(
                "SELECT h.id, COUNT(*) OVER () AS n FROM households h{} ORDER BY {order} \
                 LIMIT {l} OFFSET {o}",
                page.text
            );
            page
        };
        let (first, then) = match &q.matching {
            HouseholdMatch::NamePrefix(name) => (
                HouseholdMatch::NameExact(name.clone()),
                Some(q.matching.clone()),
            ),
            m => (m.clone(), None),
        };
        let (items, n) = self.hits(statement(&first), q.order).await?;
        if let Some(n) = n {
            return Ok(HouseholdPage {
                total: n as u64,
                capped: false,
                items,
            });
        }
        if q.offset == 0 {
            // Nobody of that whole name here: the prefix, or nothing.
            let (items, n) = match &then {
                Some(m) => self.hits(statement(m), q.order).await?,
                None => (Vec::new(), None),
            };
            return Ok(HouseholdPage {
                total: n.unwrap_or(0) as u64,
                capped: false,
                items,
            });
        }
        // A page past the end: only the count is wanted.
        let count = |m: &HouseholdMatch| {
            let mut w = Sql::default();
            self.push_range(&mut w, range, false);
            self.push_match(&mut w, m);
            w.text = format!(
                "SELECT CAST({} AS BIGINT)",
                Self::capped_count(&w.text, "t")
            );
            w
        };
        let mut n = 0;
        for m in std::iter::once(&first).chain(then.as_ref()) {
            let sql = count(m);
            let (k,): (i64,) = on_db!(&self.db, p => {
                bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text)), &sql.params)
                    .fetch_one(p)
                    .await?
            });
            n = k as u64;
            if n > 0 {
                break;
            }
        }
        Ok(HouseholdPage {
            total: n.min(COUNT_CAP),
            capped: n > COUNT_CAP,
            items: Vec::new(),
        })
    }

    /// The households whose ids `page` selects (a statement of `id, n` rows), with their
    /// 户主 and size, in `order`, and the `n` of the page (a count the page statement may
    /// carry): one statement.
    async fn hits(
        &self,
        page: Sql,
        order: HouseholdOrder,
    ) -> Result<(Vec<HouseholdHit>, Option<i64>), StoreError> {
        // One row per household — its size and its 户主 looked up by the database — rather
        // than one per member: rows through the driver are what a page costs.
        let rows_of = |ids: &str| {
            format!(
                "SELECT h.household_no, h.village_code, r.name, h.household_type, h.phone_enc, \
                 (SELECT COUNT(*) FROM members m WHERE m.household_id = h.id), \
                 hm.name, hm.id_enc, hm.id_hash, p.n \
                 FROM ({ids}) AS p JOIN households h ON h.id = p.id \
                 LEFT JOIN regions r ON r.code = h.village_code \
                 LEFT JOIN members hm ON hm.id = (SELECT MIN(m.id) FROM members m \
                   WHERE m.household_id = h.id AND m.relation = {})",
                Relation::Head.code(),
            )
        };
        let rows: Vec<HitRow> = match &self.db {
            crate::db::Db::Sqlite(pools) => {
                let p = &pools.read;
                bind_all!(
                    sqlx::query_as(sqlx::AssertSqlSafe(rows_of(&page.text))),
                    &page.params
                )
                .fetch_all(p)
                .await?
            }
            // The page's ids first, then its rows by a statement that does not change with
            // the search. PostgreSQL plans a statement with ranges in it anew for each set
            // of values; planning the whole page statement took a third of a search's time
            // in the database, while the rows statement's plan is made once and kept.
            crate::db::Db::Postgres(p) => {
                let ids: Vec<(i64, i64)> =
                    bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(page.text)), &page.params)
                        .fetch_all(p)
                        .await?;
                let (ids, n): (Vec<i64>, Vec<i64>) = ids.into_iter().unzip();
                sqlx::query_as(sqlx::AssertSqlSafe(rows_of(
                    "SELECT id, CAST($2 AS BIGINT) AS n FROM unnest(CAST($1 AS BIGINT[])) AS u(id)",
                )))
                .bind(ids)
                .bind(n.first().copied().unwrap_or(0))
                .fetch_all(p)
                .await?
            }
        };
        let n = rows.first().map(|r| r.9);
        let mut hits: Vec<HouseholdHit> = Vec::with_capacity(rows.len());
        for (no, village, village_name, ty, phone, size, head, head_id, head_hash, _) in rows {
            let phone = self.open_phone(&no, phone.as_deref())?;
            hits.push(HouseholdHit {
                phone,
                household_no: no,
                village: region(village)?,
                village_name,
                household_type: code(ty, HouseholdType::from_code, "户类型")?,
                head: match (head, head_id, head_hash) {
                    (Some(name), Some(enc), Some(hash)) => Some((name, self.open_id(&hash, &enc)?)),
                    _ => None,
                },
                size: size as u32,
            });
        }
        // The page's order, which is byte order of 户编号 as in the database.
        match order {
            HouseholdOrder::Number => hits.sort_by(|a, b| a.household_no.cmp(&b.household_no)),
            HouseholdOrder::Village => {
                hits.sort_by(|a, b| (a.village, &a.household_no).cmp(&(b.village, &b.household_no)))
            }
        }
        Ok((hits, n))
    }

    fn open_id(&self, id_hash: &[u8], enc: &[u8]) -> Result<IdNumber, StoreError> {
        let text = self
            .vault
            .open(Field::IdNumber, Row::member(id_hash), enc)?;
        IdNumber::parse(&text).map_err(|e| StoreError::Corrupt(e.message))
    }

    fn open_phone(
        &self,
        household_no: &str,
        enc: Option<&[u8]>,
    ) -> Result<Option<Phone>, StoreError> {
        enc.map(|enc| {
            let text = self
                .vault
                .open(Field::Phone, Row::household(household_no), enc)?;
            Phone::parse(&text).map_err(|e| StoreError::Corrupt(e.message))
        })
        .transpose()
    }
}

// ---------------------------------------------------------------- one household

/// A household as its page shows it, decrypted: the caller masks before showing.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdRecord {
    pub id: i64,
    pub household: Household,
    pub village_name: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// Members, 户主 first.
    pub members: Vec<MemberRecord>,
    /// Yearly incomes, oldest first.
    pub incomes: Vec<IncomeRecord>,
}

/// A member with its registry id (the handle of an audited reveal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub id: i64,
    pub member: Member,
}

impl Store {
    /// The household with this 户编号, its members and incomes; `None` if there is none.
    /// The caller checks the village against its region before showing anything. Rows are
    /// decoded as the registry's exports decode them.
    pub async fn household_record(&self, no: &str) -> Result<Option<HouseholdRecord>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            village_name: Option<String>,
            updated_at: DateTime<Utc>,
            #[sqlx(flatten)]
            household: HouseholdRow,
        }
        let h: Option<Row> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT h.id, r.name AS village_name, h.updated_at, {HOUSEHOLD_COLUMNS} \
                 FROM households h LEFT JOIN regions r ON r.code = h.village_code \
                 WHERE h.household_no = $1"
            )))
            .bind(no)
            .fetch_optional(p)
            .await?
        });
        let Some(Row {
            id,
            village_name,
            updated_at,
            household,
        }) = h
        else {
            return Ok(None);
        };
        let household = self.household_from_row(household)?;
        let members: Vec<MemberWithId> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT m.id, {MEMBER_COLUMNS} FROM members m \
                 JOIN households h ON h.id = m.household_id \
                 WHERE m.household_id = $1 ORDER BY m.relation, m.birth_date, m.id"
            )))
            .bind(id)
            .fetch_all(p)
            .await?
        });
        let incomes: Vec<IncomeRow> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {INCOME_COLUMNS} FROM incomes i \
                 JOIN households h ON h.id = i.household_id \
                 WHERE i.household_id = $1 ORDER BY i.year"
            )))
            .bind(id)
            .fetch_all(p)
            .await?
        });
        Ok(Some(HouseholdRecord {
            id,
            household,
            village_name,
            updated_at,
            members: members
                .into_iter()
                .map(|m| {
                    Ok(MemberRecord {
                        id: m.id,
                        member: self.member_from_row(m.row)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
            incomes: incomes
                .into_iter()
                .map(income_from_row)
                .collect::<Result<_, _>>()?,
        }))
    }

    /// One member's identity (for an audited reveal): 户编号, village, name and the full ID
    /// number; `None` if there is no such member.
    pub async fn member_identity(
        &self,
        member_id: i64,
    ) -> Result<Option<MemberIdentity>, StoreError> {
        // 户编号, village, name, encrypted ID number, and the keyed hash it is bound to.
        type IdentityRow = (String, i64, String, Vec<u8>, Vec<u8>);
        let row: Option<IdentityRow> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT h.household_no, h.village_code, m.name, m.id_enc, m.id_hash \
                 FROM members m JOIN households h ON h.id = m.household_id WHERE m.id = $1",
            )
            .bind(member_id)
            .fetch_optional(p)
            .await?
        });
        row.map(|(no, v, name, enc, hash)| {
            Ok(MemberIdentity {
                member_id,
                household_no: no,
                village: region(v)?,
                name,
                id_number: self.open_id(&hash, &enc)?,
            })
        })
        .transpose()
    }

    /// A household's village and full contact phone (for an audited reveal); `None` if
    /// there is no such household.
    pub async fn household_phone(
        &self,
        no: &str,
    ) -> Result<Option<(RegionCode, Option<Phone>)>, StoreError> {
        let row: Option<(i64, Option<Vec<u8>>)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT village_code, phone_enc FROM households WHERE household_no = $1")
                .bind(no)
                .fetch_optional(p)
                .await?
        });
        row.map(|(v, enc)| Ok((region(v)?, self.open_phone(no, enc.as_deref())?)))
            .transpose()
    }
}

/// Who a member is, in full: only for an audited reveal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberIdentity {
    pub member_id: i64,
    pub household_no: String,
    pub village: RegionCode,
    pub name: String,
    pub id_number: IdNumber,
}

// ---------------------------------------------------------------- counts by region

/// Counts of one village (the caller sums them up to the level it shows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VillageCounts {
    pub households: u64,
    pub members: u64,
    /// Open cases by stage.
    pub cases: Vec<(CaseState, u64)>,
    /// Leads awaiting triage (待研判).
    pub open_leads: u64,
}

impl Store {
    /// Households, members, open cases by stage and open leads of every village in
    /// `root`'s subtree that has any, by village code.
    pub async fn village_counts(
        &self,
        root: RegionCode,
    ) -> Result<Vec<(RegionCode, VillageCounts)>, StoreError> {
        let (lo, hi) = scope_range(Some(root));
        // Two aggregates along indexes, rather than a member count per household: a
        // county of a million households takes about a second on SQLite.
        let households: Vec<(i64, i64)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT village_code, COUNT(*) FROM households \
                 WHERE village_code >= $1 AND village_code < $2 GROUP BY village_code",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(p)
            .await?
        });
        let members: Vec<(i64, i64)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT h.village_code, COUNT(*) FROM members m \
                 JOIN households h ON h.id = m.household_id \
                 WHERE h.village_code >= $1 AND h.village_code < $2 GROUP BY h.village_code",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(p)
            .await?
        });
        let cases: Vec<(i64, i64, i64)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT h.village_code, c.state, COUNT(*) FROM cases c \
                 JOIN households h ON h.id = c.household_id \
                 WHERE c.open = $3 AND h.village_code >= $1 AND h.village_code < $2 \
                 GROUP BY h.village_code, c.state",
            )
            .bind(lo)
            .bind(hi)
            .bind(true)
            .fetch_all(p)
            .await?
        });
        let leads: Vec<(i64, i64)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT h.village_code, COUNT(*) FROM leads l \
                 JOIN households h ON h.id = l.household_id \
                 WHERE l.status = $3 AND h.village_code >= $1 AND h.village_code < $2 \
                 GROUP BY h.village_code",
            )
            .bind(lo)
            .bind(hi)
            .bind(crate::screening::lead_status::OPEN)
            .fetch_all(p)
            .await?
        });
        let mut out: std::collections::BTreeMap<RegionCode, VillageCounts> = Default::default();
        for (v, n) in households {
            out.entry(region(v)?).or_default().households = n as u64;
        }
        for (v, n) in members {
            out.entry(region(v)?).or_default().members = n as u64;
        }
        for (v, s, n) in cases {
            let state = code(s, CaseState::from_code, "案件环节")?;
            out.entry(region(v)?)
                .or_default()
                .cases
                .push((state, n as u64));
        }
        for (v, n) in leads {
            out.entry(region(v)?).or_default().open_leads = n as u64;
        }
        Ok(out.into_iter().collect())
    }
}

// ---------------------------------------------------------------- the registry's extent

impl Store {
    /// The lowest and highest village code of the registered households (`None` when
    /// there are none): whether a region holds every household.
    pub async fn registry_span(&self) -> Result<Option<(RegionCode, RegionCode)>, StoreError> {
        let (min, max): (Option<i64>, Option<i64>) = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT (SELECT MIN(village_code) FROM households), \
                 (SELECT MAX(village_code) FROM households)",
            )
            .fetch_one(p)
            .await?
        });
        match min.zip(max) {
            Some((a, b)) => Ok(Some((region(a)?, region(b)?))),
            None => Ok(None),
        }
    }
}

// ---------------------------------------------------------------- screening runs

impl Store {
    /// Screening runs over `scope`'s subtree (runs whose own scope lies inside it), newest
    /// first.
    pub async fn screening_runs(
        &self,
        scope: RegionCode,
        limit: i64,
    ) -> Result<Vec<crate::screening::ScreeningRun>, StoreError> {
        let (lo, hi) = scope_range(Some(scope));
        Ok(on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT id, scope, as_of, policy_version, incremental, last_batch, households, \
                 flagged, warnings_new, leads_new, leads_attached, summary, actor, started_at, \
                 finished_at FROM screening_runs WHERE scope >= $1 AND scope < $2 \
                 ORDER BY id DESC LIMIT $3",
            )
            .bind(lo)
            .bind(hi)
            .bind(limit)
            .fetch_all(p)
            .await?
        }))
    }
}

// ---------------------------------------------------------------- feed outcomes

/// What became of a department batch, in counts: the warnings its department's rules
/// raised on the households it concerns, from runs that had read it, and where they led.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedOutcomeCounts {
    /// Households of the batch (inside the region asked about).
    pub households: u64,
    /// Of those, households with at least one warning of the department's rules.
    pub warned_households: u64,
    pub warnings: u64,
    /// Leads carrying those warnings, by status: 待研判, 不予纳入, 已转入识别.
    pub leads_open: u64,
    pub leads_dismissed: u64,
    pub leads_converted: u64,
    /// Cases opened from those leads, by stage.
    pub cases: Vec<(CaseState, u64)>,
}

impl Store {
    /// Feed batches a caller of `scope` sees, newest first: those imported by a user of
    /// its subtree, and those of the system itself (the command line); of one feed, or all.
    pub async fn feed_batches_in(
        &self,
        scope: RegionCode,
        feed: Option<domain::feed::Feed>,
        id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<crate::feeds::FeedBatch>, StoreError> {
        let (lo, hi) = scope_range(Some(scope));
        let feed = feed.map_or(0, |f| i64::from(f.code()));
        Ok(on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT b.id, b.feed, b.department, b.file_name, b.checksum, b.period_from, \
                 b.period_to, b.rows, b.stored, b.duplicates, b.unmatched, b.households, \
                 b.actor, b.imported_at, b.withdrawn_at, b.withdrawn_by \
                 FROM feed_batches b LEFT JOIN users u ON u.username = b.actor \
                 WHERE (u.id IS NULL OR (u.region_code >= $1 AND u.region_code < $2)) \
                 AND ($3 = 0 OR b.feed = $3) AND ($4 = 0 OR b.id = $4) \
                 ORDER BY b.id DESC LIMIT $5",
            )
            .bind(lo)
            .bind(hi)
            .bind(feed)
            .bind(id.unwrap_or(0))
            .bind(limit)
            .fetch_all(p)
            .await?
        }))
    }

    /// The households a batch's stored records concern (none once it is withdrawn).
    pub async fn feed_batch_households(&self, batch: i64) -> Result<Vec<i64>, StoreError> {
        let blobs: Vec<(Vec<u8>,)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT data FROM feed_segments WHERE batch_id = $1 ORDER BY seq")
                .bind(batch)
                .fetch_all(p)
                .await?
        });
        let mut out = Vec::new();
        for (blob,) in blobs {
            crate::feeds::codec::decode(&blob, |h, _| {
                if out.last() != Some(&h) {
                    out.push(h);
                }
            })?;
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The counts of [`FeedOutcomeCounts`] for batch `batch` of a department whose rules
    /// are `rules`, limited to households in `scope`'s subtree.
    pub async fn feed_outcome(
        &self,
        batch: i64,
        rules: &[RuleId],
        scope: RegionCode,
    ) -> Result<FeedOutcomeCounts, StoreError> {
        let all = self.feed_batch_households(batch).await?;
        let households: Vec<i64> = self
            .households_within(&all, scope)
            .await?
            .into_iter()
            .collect();
        let mut out = FeedOutcomeCounts {
            households: households.len() as u64,
            ..FeedOutcomeCounts::default()
        };
        if households.is_empty() || rules.is_empty() {
            return Ok(out);
        }
        let rule_codes: Vec<String> = rules.iter().map(|r| r.code().to_string()).collect();
        let sql = format!(
            "SELECT w.household_id, w.lead_id, l.status FROM warnings w \
             JOIN screening_runs r ON r.id = w.run_id JOIN leads l ON l.id = w.lead_id \
             WHERE w.household_id IN ({}) AND r.last_batch >= $2 AND w.rule IN ({})",
            self.id_list(),
            rule_codes.join(", ")
        );
        let mut warned: FxHashSet<i64> = FxHashSet::default();
        let mut leads: FxHashMap<i64, i64> = FxHashMap::default();
        for chunk in households.chunks(10_000) {
            let json = serde_json::to_string(chunk).expect("ids serialise");
            let rows: Vec<(i64, i64, i64)> = on_db!(&self.db, p => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(json)
                    .bind(batch)
                    .fetch_all(p)
                    .await?
            });
            out.warnings += rows.len() as u64;
            for (h, lead, status) in rows {
                warned.insert(h);
                leads.insert(lead, status);
            }
        }
        out.warned_households = warned.len() as u64;
        for status in leads.values() {
            match *status {
                crate::screening::lead_status::OPEN => out.leads_open += 1,
                crate::screening::lead_status::DISMISSED => out.leads_dismissed += 1,
                _ => out.leads_converted += 1,
            }
        }
        let lead_ids: Vec<i64> = leads.keys().copied().collect();
        let sql = format!(
            "SELECT state, COUNT(*) FROM cases WHERE lead_id IN ({}) GROUP BY state",
            self.id_list()
        );
        let mut by_state: std::collections::BTreeMap<i16, u64> = Default::default();
        for chunk in lead_ids.chunks(10_000) {
            let json = serde_json::to_string(chunk).expect("ids serialise");
            let rows: Vec<(i64, i64)> = on_db!(&self.db, p => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(json)
                    .fetch_all(p)
                    .await?
            });
            for (s, n) in rows {
                *by_state.entry(s as i16).or_default() += n as u64;
            }
        }
        for (s, n) in by_state {
            out.cases
                .push((code(s, CaseState::from_code, "案件环节")?, n));
        }
        Ok(out)
    }

    /// Households whose village lies in `scope`'s subtree, among `ids`.
    pub async fn households_within(
        &self,
        ids: &[i64],
        scope: RegionCode,
    ) -> Result<FxHashSet<i64>, StoreError> {
        let (lo, hi) = scope_range(Some(scope));
        let sql = format!(
            "SELECT id FROM households WHERE id IN ({}) \
             AND village_code >= $2 AND village_code < $3",
            self.id_list()
        );
        let mut out = FxHashSet::default();
        for chunk in ids.chunks(10_000) {
            let json = serde_json::to_string(chunk).expect("ids serialise");
            let rows: Vec<(i64,)> = on_db!(&self.db, p => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(json)
                    .bind(lo)
                    .bind(hi)
                    .fetch_all(p)
                    .await?
            });
            out.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_ends_bound_exactly_the_strings_with_the_prefix() {
        assert_eq!(prefix_end("H1").as_deref(), Some("H2"));
        assert_eq!(prefix_end("张").as_deref(), Some("弡"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        for p in ["520322", "王建", "A-1"] {
            let end = prefix_end(p).unwrap();
            assert!(format!("{p}\u{10FFFF}zz").as_str() < end.as_str());
            assert!(p < end.as_str());
        }
    }
}
