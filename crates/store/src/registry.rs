//! 一户一档: households, members and yearly incomes.
//!
//! Writes happen inside a [`Tx`] so that an import validates against the database and
//! writes in one transaction: a file imports whole or not at all. Upserts compare the new
//! values with the stored ones and touch only rows that really change, so re-importing a
//! file changes nothing and the counts say so. Personal fields are compared through their
//! keyed hashes, because their ciphertexts differ on every encryption.

use crate::crypto::{DIGEST_LEN, Field, Row};
use crate::decode::{code, opt_code};
use crate::{Backend, Store, StoreError, Tx, on_db, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    DisabilityGrade, Education, Health, Household, HouseholdNo, HouseholdType, HousingSafety,
    IdNumber, IncomeRecord, Labor, Member, Money, PersonName, Phone, RegionCode, Relation,
    Schooling, WaterSafety,
};
use futures_util::TryStreamExt;
use std::collections::{HashMap, HashSet};

/// Keyed hash of an ID number or phone.
pub type Digest = [u8; DIGEST_LEN];

/// Keys per `IN (…)` lookup.
const LOOKUP: usize = 1000;
/// Rows per bulk statement (one JSON parameter, a few MiB).
const BULK: usize = 5000;
/// Fewest new members for which rebuilding the hash index beats inserting into it.
const REBUILD_MIN: usize = 50_000;

/// What an upsert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upserted {
    /// 新增
    pub inserted: u64,
    /// 更新
    pub updated: u64,
    /// 未变
    pub unchanged: u64,
}

impl Upserted {
    fn from_affected(total: usize, existing: usize, affected: u64) -> Self {
        let inserted = (total - existing) as u64;
        let updated = affected.saturating_sub(inserted);
        Self {
            inserted,
            updated,
            unchanged: total as u64 - inserted - updated,
        }
    }
}

/// A stored household's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HouseholdKey {
    pub id: i64,
    pub village: RegionCode,
}

/// A stored member's identity and role, as composition checks need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberRole {
    pub member_id: i64,
    pub household_id: i64,
    pub id_hash: Digest,
    pub relation: Relation,
}

/// One import recorded for the record (导入批次).
#[derive(Debug, Clone)]
pub struct BatchRecord<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub checksum: &'a str,
    pub rows: u64,
    pub counts: Upserted,
    pub actor: &'a str,
}

/// YYYY-MM-DD without the formatting machinery (millions of rows).
fn write_date(out: &mut String, d: NaiveDate) {
    use chrono::Datelike;
    let mut b = itoa::Buffer::new();
    out.push_str(b.format(d.year()));
    for v in [d.month(), d.day()] {
        out.push('-');
        if v < 10 {
            out.push('0');
        }
        out.push_str(b.format(v));
    }
}

/// A second 户主 refused by the database (index `members_one_head`): another import changed
/// the household between this import's checks and its write. The caller's checks make this
/// rare (imports take [`crate::Lock::Registry`]); it is a conflict to retry, not a defect.
fn second_head(e: StoreError) -> StoreError {
    match &e {
        StoreError::Sqlx(sqlx::Error::Database(d))
            if d.is_unique_violation()
                && (d.constraint() == Some("members_one_head")
                    || d.message().contains("members.household_id")) =>
        {
            StoreError::Conflict(
                "该户已有户主：另一次导入刚修改了该户的成员，请核对后重新导入".to_owned(),
            )
        }
        _ => e,
    }
}

fn digest_of(v: Vec<u8>) -> Result<Digest, StoreError> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt("证件号码散列长度不对".into()))
}

impl Tx {
    /// Stored households among `numbers`, by number. Looks them up by key when they are a
    /// small part of the registry, and reads every household once when they are not.
    pub async fn households_by_no(
        &mut self,
        numbers: &[&str],
    ) -> Result<HashMap<String, HouseholdKey>, StoreError> {
        let (total,): (i64,) = on_tx!(self, c => {
            sqlx::query_as("SELECT COUNT(*) FROM households").fetch_one(c).await?
        });
        let mut out = HashMap::with_capacity(numbers.len());
        let mut add = |no: String, id: i64, v: i64| -> Result<(), StoreError> {
            let village = crate::decode::region(v)?;
            out.insert(no, HouseholdKey { id, village });
            Ok(())
        };
        if total == 0 {
            return Ok(out);
        }
        if numbers.len() as i64 * 4 >= total {
            // One row holding every household as "number:id:village,…": streaming a million
            // rows through the driver one message at a time costs several seconds, one
            // aggregated string a fraction of that. 户编号 never contains ':' or ','.
            let wanted: HashSet<&str> = numbers.iter().copied().collect();
            let (all,): (Option<String>,) = on_tx!(self, c => {
                sqlx::query_as(
                    "SELECT string_agg(household_no || ':' || id || ':' || village_code, ',') \
                     FROM households",
                )
                .fetch_one(c)
                .await?
            });
            for item in all.as_deref().unwrap_or_default().split(',') {
                let mut parts = item.split(':');
                let (Some(no), Some(id), Some(v)) = (parts.next(), parts.next(), parts.next())
                else {
                    return Err(StoreError::Corrupt(format!("户记录 {item}")));
                };
                if wanted.contains(no) {
                    let parse = |x: &str| {
                        x.parse::<i64>()
                            .map_err(|_| StoreError::Corrupt(format!("户记录 {item}")))
                    };
                    add(no.to_owned(), parse(id)?, parse(v)?)?;
                }
            }
            return Ok(out);
        }
        for chunk in numbers.chunks(LOOKUP) {
            let rows: Vec<(String, i64, i64)> = on_tx!(self, c => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT household_no, id, village_code FROM households WHERE household_no IN (",
                );
                let mut sep = qb.separated(", ");
                for n in chunk {
                    sep.push_bind(*n);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(c).await?
            });
            for (no, id, v) in rows {
                add(no, id, v)?;
            }
        }
        Ok(out)
    }

    /// Inserts new households and updates changed ones (key: 户编号).
    pub async fn upsert_households(
        &mut self,
        vault: &crate::Vault,
        rows: &[Household],
    ) -> Result<Upserted, StoreError> {
        // Screening images of the registry are out of date from this change on.
        self.bump_registry_generation().await?;
        use crate::bulk::{RowWriter, Ty, select_json};
        const FIELDS: [(&str, Ty); 9] = [
            ("household_no", Ty::Text),
            ("village_code", Ty::Int),
            ("household_type", Ty::Small),
            ("exit_year", Ty::Small),
            ("phone_enc", Ty::Blob),
            ("phone_hash", Ty::Blob),
            ("address", Ty::Text),
            ("housing", Ty::Small),
            ("water", Ty::Small),
        ];
        let numbers: Vec<&str> = rows.iter().map(|h| h.household_no.as_str()).collect();
        let existing = self.households_by_no(&numbers).await?.len();
        let names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
        let sql = format!(
            "INSERT INTO households ({}, created_at, updated_at) \
             SELECT *, $2, $2 FROM ({}) AS src WHERE true \
             ON CONFLICT (household_no) DO UPDATE SET \
             village_code = excluded.village_code, \
             household_type = excluded.household_type, \
             exit_year = excluded.exit_year, \
             phone_enc = CASE WHEN households.phone_hash IS NOT DISTINCT FROM excluded.phone_hash \
                         THEN households.phone_enc ELSE excluded.phone_enc END, \
             phone_hash = excluded.phone_hash, \
             address = excluded.address, \
             housing = excluded.housing, \
             water = excluded.water, \
             updated_at = excluded.updated_at \
             WHERE households.village_code IS DISTINCT FROM excluded.village_code \
                OR households.household_type IS DISTINCT FROM excluded.household_type \
                OR households.exit_year IS DISTINCT FROM excluded.exit_year \
                OR households.phone_hash IS DISTINCT FROM excluded.phone_hash \
                OR households.address IS DISTINCT FROM excluded.address \
                OR households.housing IS DISTINCT FROM excluded.housing \
                OR households.water IS DISTINCT FROM excluded.water",
            names.join(", "),
            select_json(self.backend(), &FIELDS)
        );
        let affected = self
            .run_json(rows, &sql, Utc::now(), |h, buf| {
                let mut w = RowWriter::begin(buf);
                w.text(h.household_no.as_str())
                    .int(h.village.as_i64())
                    .int(h.household_type.code())
                    .opt_int(h.exit_year.map(|y| y as i16));
                match &h.phone {
                    Some(p) => w
                        .blob(&vault.seal(
                            Field::Phone,
                            Row::household(h.household_no.as_str()),
                            p.as_str(),
                        ))
                        .blob(&vault.digest(Field::Phone, p.as_str())),
                    None => w.null().null(),
                };
                match &h.address {
                    Some(a) => w.text(a),
                    None => w.null(),
                };
                w.opt_int(h.housing.map(HousingSafety::code))
                    .opt_int(h.water.map(WaterSafety::code))
                    .end();
            })
            .await?;
        Ok(Upserted::from_affected(rows.len(), existing, affected))
    }

    /// 户编号 of stored households, by id.
    pub async fn household_numbers(
        &mut self,
        ids: &[i64],
    ) -> Result<HashMap<i64, String>, StoreError> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(LOOKUP) {
            let rows: Vec<(i64, String)> = on_tx!(self, c => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT id, household_no FROM households WHERE id IN (",
                );
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(c).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// Number of stored members (to choose between keyed lookups and one full scan).
    pub async fn member_count(&mut self) -> Result<u64, StoreError> {
        let (n,): (i64,) = on_tx!(self, c => {
            sqlx::query_as("SELECT COUNT(*) FROM members").fetch_one(c).await?
        });
        Ok(n as u64)
    }

    /// Every stored member's identity and role, in one pass: cheaper than keyed lookups
    /// when an import touches a large part of the registry.
    pub async fn all_member_roles(&mut self) -> Result<Vec<MemberRole>, StoreError> {
        // Aggregated into one string per 100,000 members ("id:household:relation:hash,…"):
        // millions of single-row messages through the driver cost many times more.
        const SLICE: i64 = 100_000;
        let hex_hash = match self.backend() {
            Backend::Sqlite => "hex(id_hash)",
            Backend::Postgres => "encode(id_hash, 'hex')",
        };
        let sql = format!(
            "SELECT string_agg(id || ':' || household_id || ':' || relation || ':' || {hex_hash}, ',') \
             FROM members WHERE id >= $1 AND id < $2"
        );
        let (max,): (Option<i64>,) = on_tx!(self, c => {
            sqlx::query_as("SELECT MAX(id) FROM members").fetch_one(c).await?
        });
        let mut out = Vec::new();
        let corrupt = |item: &str| StoreError::Corrupt(format!("成员记录 {item}"));
        let mut lo = 0;
        while lo <= max.unwrap_or(-1) {
            let (slice,): (Option<String>,) = on_tx!(self, c => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(lo)
                    .bind(lo + SLICE)
                    .fetch_one(c)
                    .await?
            });
            for item in slice
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter(|i| !i.is_empty())
            {
                let mut p = item.split(':');
                let (Some(id), Some(hh), Some(rel), Some(hash)) =
                    (p.next(), p.next(), p.next(), p.next())
                else {
                    return Err(corrupt(item));
                };
                let mut digest = [0u8; DIGEST_LEN];
                hex::decode_to_slice(hash, &mut digest).map_err(|_| corrupt(item))?;
                out.push(MemberRole {
                    member_id: id.parse().map_err(|_| corrupt(item))?,
                    household_id: hh.parse().map_err(|_| corrupt(item))?,
                    id_hash: digest,
                    relation: code(
                        rel.parse::<i16>().map_err(|_| corrupt(item))?,
                        Relation::from_code,
                        "与户主关系",
                    )?,
                });
            }
            lo += SLICE;
        }
        Ok(out)
    }

    /// Stored members among these ID hashes.
    pub async fn members_by_hash(
        &mut self,
        hashes: &[Digest],
    ) -> Result<HashMap<Digest, MemberRole>, StoreError> {
        let mut out = HashMap::with_capacity(hashes.len());
        for chunk in hashes.chunks(LOOKUP) {
            let rows: Vec<(i64, i64, Vec<u8>, i16)> = on_tx!(self, c => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT id, household_id, id_hash, relation FROM members WHERE id_hash IN (",
                );
                let mut sep = qb.separated(", ");
                for h in chunk {
                    sep.push_bind(h.as_slice());
                }
                qb.push(")");
                qb.build_query_as().fetch_all(c).await?
            });
            for (id, hh, hash, rel) in rows {
                let hash = digest_of(hash)?;
                out.insert(
                    hash,
                    MemberRole {
                        member_id: id,
                        household_id: hh,
                        id_hash: hash,
                        relation: code(rel, Relation::from_code, "与户主关系")?,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Every stored member of these households (for composition checks).
    pub async fn members_of_households(
        &mut self,
        household_ids: &[i64],
    ) -> Result<Vec<MemberRole>, StoreError> {
        let mut out = Vec::new();
        for chunk in household_ids.chunks(LOOKUP) {
            let rows: Vec<(i64, i64, Vec<u8>, i16)> = on_tx!(self, c => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT id, household_id, id_hash, relation FROM members WHERE household_id IN (",
                );
                let mut sep = qb.separated(", ");
                for h in chunk {
                    sep.push_bind(*h);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(c).await?
            });
            for (id, hh, hash, rel) in rows {
                out.push(MemberRole {
                    member_id: id,
                    household_id: hh,
                    id_hash: digest_of(hash)?,
                    relation: code(rel, Relation::from_code, "与户主关系")?,
                });
            }
        }
        Ok(out)
    }

    /// Inserts new members and updates stored ones that changed (key: the ID number's
    /// keyed hash). Each row pairs a member with its household's id and its hash; `new`
    /// are not stored yet, `stored` are (the caller has looked them up in this
    /// transaction).
    ///
    /// On SQLite, when `new` is large and at least as large as the table, the unique index
    /// on the hash is dropped and built again after the insert: one sort instead of
    /// millions of random insertions. Uniqueness is still enforced — by the rebuilt index,
    /// inside the transaction — so a duplicate fails the whole import. PostgreSQL keeps its
    /// indexes (see below).
    pub async fn upsert_members(
        &mut self,
        vault: &crate::Vault,
        new: &[(i64, Digest, &Member)],
        stored: &[(i64, Digest, &Member)],
    ) -> Result<Upserted, StoreError> {
        // Screening images of the registry are out of date from this change on.
        self.bump_registry_generation().await?;
        use crate::bulk::{Ty, select_json};
        const COMMON: [(&str, Ty); 15] = [
            ("household_id", Ty::Int),
            ("name", Ty::Text),
            ("id_hash", Ty::Blob),
            ("relation", Ty::Small),
            ("sex", Ty::Small),
            ("birth_date", Ty::Date),
            ("labor", Ty::Small),
            ("health", Ty::Small),
            ("disability_grade", Ty::Small),
            ("schooling", Ty::Small),
            ("education", Ty::Small),
            ("work_months", Ty::Small),
            ("medical_insured", Ty::Bool),
            ("dibao", Ty::Bool),
            ("tekun", Ty::Bool),
        ];
        /// Columns compared to decide whether a stored member changed.
        const COMPARED: [&str; 12] = [
            "household_id",
            "name",
            "relation",
            "labor",
            "health",
            "disability_grade",
            "schooling",
            "education",
            "work_months",
            "medical_insured",
            "dibao",
            "tekun",
        ];
        let backend = self.backend();
        let now = Utc::now();
        let names: Vec<&str> = COMMON.iter().map(|(n, _)| *n).collect();

        let mut updated = 0;
        if !stored.is_empty() {
            let set: Vec<String> = names
                .iter()
                .filter(|n| **n != "id_hash")
                .map(|n| format!("{n} = src.{n}"))
                .collect();
            let changed: Vec<String> = COMPARED
                .iter()
                .map(|n| format!("members.{n} IS DISTINCT FROM src.{n}"))
                .collect();
            let sql = format!(
                "UPDATE members SET {}, updated_at = $2 FROM ({}) AS src \
                 WHERE members.id_hash = src.id_hash AND ({})",
                set.join(", "),
                select_json(backend, &COMMON),
                changed.join(" OR ")
            );
            // Those who stop being 户主 first, those who become one after: the index
            // members_one_head (migration 0017) is checked row by row, so a file that hands
            // the role from one member to another must never hold two at an instant.
            let (heads, others): (Vec<_>, Vec<_>) = stored
                .iter()
                .partition(|(_, _, m)| m.relation == Relation::Head);
            for part in [others, heads] {
                updated += self
                    .run_json(&part, &sql, now, |r, buf| {
                        Self::member_json(vault, r, false, buf)
                    })
                    .await
                    .map_err(second_head)?;
            }
        }
        if !new.is_empty() {
            let mut fields = COMMON.to_vec();
            fields.push(("id_enc", Ty::Blob));
            let sql = format!(
                "INSERT INTO members ({}, id_enc, updated_at) SELECT *, $2 FROM ({}) AS src",
                names.join(", "),
                select_json(backend, &fields)
            );
            // Never on PostgreSQL: DROP INDEX takes an exclusive lock on the table until
            // the transaction ends, so every read of members — a search, a sign-in's
            // region, a screening — would wait for the whole import. SQLite's readers keep
            // reading the last committed state meanwhile (write-ahead log).
            let rebuild = backend == Backend::Sqlite
                && new.len() >= REBUILD_MIN
                && new.len() as u64 >= self.member_count().await?;
            if rebuild {
                for index in ["members_id_hash", "members_name"] {
                    let sql = format!("DROP INDEX {index}");
                    on_tx!(self, c => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(c).await.map(|_| ())?);
                }
            }
            self.run_json(new, &sql, now, |r, buf| {
                Self::member_json(vault, r, true, buf)
            })
            .await
            .map_err(second_head)?;
            if rebuild {
                // As migrations 0001 and 0011 define them.
                let name_index = match backend {
                    Backend::Sqlite => "CREATE INDEX members_name ON members (name, household_id)",
                    Backend::Postgres => {
                        "CREATE INDEX members_name ON members (name COLLATE \"C\", household_id)"
                    }
                };
                for sql in [
                    "CREATE UNIQUE INDEX members_id_hash ON members (id_hash)",
                    name_index,
                ] {
                    on_tx!(self, c => sqlx::query(sql).execute(c).await.map(|_| ())?);
                }
            }
        }
        Ok(Upserted {
            inserted: new.len() as u64,
            updated,
            unchanged: stored.len() as u64 - updated,
        })
    }

    /// Runs `sql` (taking the JSON rows as $1 and the time as $2) over `rows` in chunks,
    /// `write` serialising one row.
    ///
    /// The database works on one chunk while the next is serialised (and encrypted) here:
    /// each statement is polled once — which hands it to the database — before the next
    /// chunk is built, and only then awaited.
    pub(crate) async fn run_json<T>(
        &mut self,
        rows: &[T],
        sql: &str,
        now: DateTime<Utc>,
        write: impl Fn(&T, &mut String),
    ) -> Result<u64, StoreError> {
        use crate::bulk::finish;
        let build = |chunk: &[T], buf: &mut String| {
            buf.clear();
            for row in chunk {
                write(row, buf);
            }
            finish(buf);
        };
        let mut chunks = rows.chunks(BULK);
        let mut current = String::new();
        let mut next = String::new();
        let mut affected = 0;
        let Some(first) = chunks.next() else {
            return Ok(0);
        };
        build(first, &mut current);
        loop {
            let following = chunks.next();
            affected += on_tx!(self, c => {
                let fut = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(current.as_str())
                    .bind(now)
                    .execute(c);
                let mut fut = std::pin::pin!(fut);
                let polled =
                    std::future::poll_fn(|cx| std::task::Poll::Ready(fut.as_mut().poll(cx))).await;
                if let Some(chunk) = following {
                    build(chunk, &mut next);
                }
                match polled {
                    std::task::Poll::Ready(r) => r?,
                    std::task::Poll::Pending => fut.await?,
                }
                .rows_affected()
            });
            if following.is_none() {
                break;
            }
            std::mem::swap(&mut current, &mut next);
        }
        Ok(affected)
    }

    /// Serialises a member row for [`Tx::upsert_members`] (ciphertext last when `with_enc`).
    fn member_json(
        vault: &crate::Vault,
        (hh, hash, m): &(i64, Digest, &Member),
        with_enc: bool,
        buf: &mut String,
    ) {
        use crate::bulk::RowWriter;
        let mut date = String::with_capacity(10);
        write_date(&mut date, m.birth_date);
        let mut w = RowWriter::begin(buf);
        w.int(*hh)
            .text(m.name.as_str())
            .blob(hash)
            .int(m.relation.code())
            .int(m.sex.code())
            .text(&date)
            .int(m.labor.code())
            .opt_int(m.health.map(|h| i16::from(h.bits())))
            .opt_int(m.disability_grade.map(DisabilityGrade::code))
            .opt_int(m.schooling.map(Schooling::code))
            .opt_int(m.education.map(Education::code))
            .opt_int(m.work_months)
            .bool(m.medical_insured)
            .bool(m.dibao)
            .bool(m.tekun);
        if with_enc {
            w.blob(&vault.seal(Field::IdNumber, Row::member(hash), m.id_number.as_str()));
        }
        w.end();
    }

    /// Which (household id, year) pairs already have an income record.
    pub async fn existing_incomes(
        &mut self,
        household_ids: &[i64],
    ) -> Result<HashSet<(i64, u16)>, StoreError> {
        let mut out = HashSet::new();
        for chunk in household_ids.chunks(LOOKUP) {
            let rows: Vec<(i64, i16)> = on_tx!(self, c => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT household_id, year FROM incomes WHERE household_id IN (",
                );
                let mut sep = qb.separated(", ");
                for h in chunk {
                    sep.push_bind(*h);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(c).await?
            });
            out.extend(rows.into_iter().map(|(h, y)| (h, y as u16)));
        }
        Ok(out)
    }

    /// Inserts new yearly incomes and updates changed ones (key: household, year).
    pub async fn upsert_incomes(
        &mut self,
        rows: &[(i64, &IncomeRecord)],
        existing: usize,
    ) -> Result<Upserted, StoreError> {
        // Screening images of the registry are out of date from this change on.
        self.bump_registry_generation().await?;
        use crate::bulk::{RowWriter, Ty, select_json};
        const FIELDS: [(&str, Ty); 10] = [
            ("household_id", Ty::Int),
            ("year", Ty::Small),
            ("wage", Ty::Int),
            ("business_income", Ty::Int),
            ("business_cost", Ty::Int),
            ("property", Ty::Int),
            ("transfer", Ty::Int),
            ("medical_oop", Ty::Int),
            ("education_cost", Ty::Int),
            ("other_rigid", Ty::Int),
        ];
        let amounts = &FIELDS[2..];
        let set: Vec<String> = amounts
            .iter()
            .map(|(n, _)| format!("{n} = excluded.{n}"))
            .collect();
        let changed: Vec<String> = amounts
            .iter()
            .map(|(n, _)| format!("incomes.{n} IS DISTINCT FROM excluded.{n}"))
            .collect();
        let names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
        let sql = format!(
            "INSERT INTO incomes ({}, updated_at) SELECT *, $2 FROM ({}) AS src WHERE true \
             ON CONFLICT (household_id, year) DO UPDATE SET {}, updated_at = excluded.updated_at \
             WHERE {}",
            names.join(", "),
            select_json(self.backend(), &FIELDS),
            set.join(", "),
            changed.join(" OR ")
        );
        let affected = self
            .run_json(rows, &sql, Utc::now(), |(hh, r), buf| {
                RowWriter::begin(buf)
                    .int(*hh)
                    .int(r.year)
                    .int(r.wage.fen())
                    .int(r.business_income.fen())
                    .int(r.business_cost.fen())
                    .int(r.property.fen())
                    .int(r.transfer.fen())
                    .opt_int(r.medical_out_of_pocket.map(Money::fen))
                    .opt_int(r.education_cost.map(Money::fen))
                    .opt_int(r.other_rigid_cost.map(Money::fen))
                    .end();
            })
            .await?;
        Ok(Upserted::from_affected(rows.len(), existing, affected))
    }

    /// Records an import batch.
    pub async fn record_batch(&mut self, b: &BatchRecord<'_>) -> Result<i64, StoreError> {
        let now = Utc::now();
        let (id,): (i64,) = on_tx!(self, c => {
            sqlx::query_as(
                "INSERT INTO import_batches (kind, file_name, checksum, rows, inserted, \
                 updated, unchanged, actor, imported_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(b.kind)
            .bind(b.file_name)
            .bind(b.checksum)
            .bind(b.rows as i64)
            .bind(b.counts.inserted as i64)
            .bind(b.counts.updated as i64)
            .bind(b.counts.unchanged as i64)
            .bind(b.actor)
            .bind(now)
            .fetch_one(c)
            .await?
        });
        Ok(id)
    }
}

/// The columns of [`HouseholdRow`], of `households h`.
pub(crate) const HOUSEHOLD_COLUMNS: &str = "h.household_no, h.village_code, h.household_type, \
    h.exit_year, h.phone_enc, h.address, h.housing, h.water";

/// A row of the households table as read back.
#[derive(sqlx::FromRow)]
pub(crate) struct HouseholdRow {
    household_no: String,
    village_code: i64,
    household_type: i16,
    exit_year: Option<i16>,
    phone_enc: Option<Vec<u8>>,
    address: Option<String>,
    housing: Option<i16>,
    water: Option<i16>,
}

/// The columns of [`MemberRow`], of `members m` joined with `households h`.
pub(crate) const MEMBER_COLUMNS: &str = "h.household_no, m.name, m.id_enc, m.id_hash, m.relation, \
    m.birth_date, m.labor, m.health, m.disability_grade, m.schooling, m.education, \
    m.work_months, m.medical_insured, m.dibao, m.tekun";

/// A row of the members table as read back.
#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    household_no: String,
    name: String,
    id_enc: Vec<u8>,
    /// The row's key, bound into `id_enc`.
    id_hash: Vec<u8>,
    relation: i16,
    birth_date: NaiveDate,
    labor: i16,
    health: Option<i16>,
    disability_grade: Option<i16>,
    schooling: Option<i16>,
    education: Option<i16>,
    work_months: Option<i16>,
    medical_insured: Option<bool>,
    dibao: Option<bool>,
    tekun: Option<bool>,
}

/// A member row with its registry id.
#[derive(sqlx::FromRow)]
pub(crate) struct MemberWithId {
    pub id: i64,
    #[sqlx(flatten)]
    pub row: MemberRow,
}

/// The columns of [`IncomeRow`], of `incomes i` joined with `households h`.
pub(crate) const INCOME_COLUMNS: &str = "h.household_no, i.year, i.wage, i.business_income, \
    i.business_cost, i.property, i.transfer, i.medical_oop, i.education_cost, i.other_rigid";

/// A row of the incomes table as read back.
pub(crate) type IncomeRow = (
    String,
    i16,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// A region's subtree as the integer range of its codes (everything when `None`).
pub(crate) fn scope_range(scope: Option<RegionCode>) -> (i64, i64) {
    scope.map_or((0, i64::MAX), |s| {
        let (lo, hi) = s.subtree();
        (lo as i64, hi as i64)
    })
}

/// A yearly income as read back.
pub(crate) fn income_from_row(r: IncomeRow) -> Result<IncomeRecord, StoreError> {
    let (no, year, w, bi, bc, pr, tr, med, edu, oth) = r;
    Ok(IncomeRecord {
        household_no: HouseholdNo::parse(&no).map_err(|e| StoreError::Corrupt(e.message))?,
        year: year as u16,
        wage: Money::from_fen(w),
        business_income: Money::from_fen(bi),
        business_cost: Money::from_fen(bc),
        property: Money::from_fen(pr),
        transfer: Money::from_fen(tr),
        medical_out_of_pocket: med.map(Money::from_fen),
        education_cost: edu.map(Money::from_fen),
        other_rigid_cost: oth.map(Money::from_fen),
    })
}

/// village, type, size, latest year, latest net income.
type FactsRow = (i64, i16, i64, Option<i16>, Option<i64>);

/// Per-household facts for statistics (汇总): village, type, size, latest year's net income.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdFacts {
    pub village: RegionCode,
    pub household_type: HouseholdType,
    pub size: u32,
    /// (year, household net income) of the latest recorded year.
    pub latest_net: Option<(u16, Money)>,
}

/// Row counts of the registry tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryCounts {
    pub households: i64,
    pub members: i64,
    pub incomes: i64,
}

impl Store {
    /// Streams every household in `scope` (all when None), ordered by 户编号, decrypted,
    /// into `f`; an error of `f` stops the stream and is returned as is.
    /// Export is an operation on personal data: the caller audits it.
    pub async fn for_each_household<E: From<StoreError>>(
        &self,
        scope: Option<RegionCode>,
        mut f: impl FnMut(Household) -> Result<(), E>,
    ) -> Result<u64, E> {
        let (lo, hi) = scope_range(scope);
        let sql = format!(
            "SELECT {HOUSEHOLD_COLUMNS} FROM households h \
             WHERE h.village_code >= $1 AND h.village_code < $2 ORDER BY h.household_no"
        );
        let mut n = 0;
        on_db!(&self.db, p => {
            let mut rows = sqlx::query_as::<_, HouseholdRow>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(lo)
                .bind(hi)
                .fetch(p);
            while let Some(r) = rows.try_next().await.map_err(StoreError::from)? {
                f(self.household_from_row(r)?)?;
                n += 1;
            }
        });
        Ok(n)
    }

    pub(crate) fn household_from_row(&self, r: HouseholdRow) -> Result<Household, StoreError> {
        let HouseholdRow {
            household_no: no,
            village_code: village,
            household_type: ty,
            exit_year: exit,
            phone_enc: phone,
            address,
            housing,
            water,
        } = r;
        let phone = match phone {
            Some(enc) => {
                let p = self.vault.open(Field::Phone, Row::household(&no), &enc)?;
                Some(Phone::parse(&p).map_err(|e| StoreError::Corrupt(e.message))?)
            }
            None => None,
        };
        Ok(Household {
            household_no: HouseholdNo::parse(&no).map_err(|e| StoreError::Corrupt(e.message))?,
            village: crate::decode::region(village)?,
            household_type: code(ty, HouseholdType::from_code, "户类型")?,
            exit_year: exit.map(|y| y as u16),
            phone,
            address,
            housing: opt_code(housing, HousingSafety::from_code, "住房安全")?,
            water: opt_code(water, WaterSafety::from_code, "饮水安全")?,
        })
    }

    /// Streams every member in `scope`, ordered by 户编号 then relation, decrypted.
    pub async fn for_each_member<E: From<StoreError>>(
        &self,
        scope: Option<RegionCode>,
        mut f: impl FnMut(Member) -> Result<(), E>,
    ) -> Result<u64, E> {
        let (lo, hi) = scope_range(scope);
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members m JOIN households h ON h.id = m.household_id \
             WHERE h.village_code >= $1 AND h.village_code < $2 \
             ORDER BY h.household_no, m.relation, m.id"
        );
        let mut n = 0;
        on_db!(&self.db, p => {
            let mut rows = sqlx::query_as::<_, MemberRow>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(lo)
                .bind(hi)
                .fetch(p);
            while let Some(r) = rows.try_next().await.map_err(StoreError::from)? {
                f(self.member_from_row(r)?)?;
                n += 1;
            }
        });
        Ok(n)
    }

    pub(crate) fn member_from_row(&self, r: MemberRow) -> Result<Member, StoreError> {
        let corrupt = |e: domain::FieldError| StoreError::Corrupt(e.message);
        let id = self
            .vault
            .open(Field::IdNumber, Row::member(&r.id_hash), &r.id_enc)?;
        let id = IdNumber::parse(&id).map_err(corrupt)?;
        let health = r
            .health
            .map(|h| {
                Health::from_bits(h as u8)
                    .ok_or_else(|| StoreError::Corrupt(format!("健康状况 {h}")))
            })
            .transpose()?;
        Ok(Member {
            household_no: HouseholdNo::parse(&r.household_no).map_err(corrupt)?,
            name: PersonName::parse(&r.name).map_err(corrupt)?,
            sex: id.sex(),
            birth_date: r.birth_date,
            id_number: id,
            relation: code(r.relation, Relation::from_code, "与户主关系")?,
            labor: code(r.labor, Labor::from_code, "劳动技能")?,
            health,
            disability_grade: opt_code(r.disability_grade, DisabilityGrade::from_code, "残疾等级")?,
            schooling: opt_code(r.schooling, Schooling::from_code, "在校生状况")?,
            education: opt_code(r.education, Education::from_code, "文化程度")?,
            work_months: r.work_months.map(|m| m as u8),
            medical_insured: r.medical_insured,
            dibao: r.dibao,
            tekun: r.tekun,
        })
    }

    /// Streams every yearly income in `scope`, ordered by 户编号 and year.
    pub async fn for_each_income<E: From<StoreError>>(
        &self,
        scope: Option<RegionCode>,
        mut f: impl FnMut(IncomeRecord) -> Result<(), E>,
    ) -> Result<u64, E> {
        let (lo, hi) = scope_range(scope);
        let sql = format!(
            "SELECT {INCOME_COLUMNS} FROM incomes i JOIN households h ON h.id = i.household_id \
             WHERE h.village_code >= $1 AND h.village_code < $2 \
             ORDER BY h.household_no, i.year"
        );
        let mut n = 0;
        on_db!(&self.db, p => {
            let mut rows = sqlx::query_as::<_, IncomeRow>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(lo)
                .bind(hi)
                .fetch(p);
            while let Some(r) = rows.try_next().await.map_err(StoreError::from)? {
                f(income_from_row(r)?)?;
                n += 1;
            }
        });
        Ok(n)
    }

    /// Per-household facts in `scope` for statistics.
    pub async fn household_facts(
        &self,
        scope: Option<RegionCode>,
    ) -> Result<Vec<HouseholdFacts>, StoreError> {
        let (lo, hi) = scope_range(scope);
        let sql = "SELECT h.village_code, h.household_type, \
                   (SELECT COUNT(*) FROM members m WHERE m.household_id = h.id) AS size, \
                   i.year, \
                   i.wage + i.business_income - i.business_cost + i.property + i.transfer AS net \
                   FROM households h \
                   LEFT JOIN incomes i ON i.household_id = h.id AND i.year = \
                     (SELECT MAX(year) FROM incomes x WHERE x.household_id = h.id) \
                   WHERE h.village_code >= $1 AND h.village_code < $2";
        let rows: Vec<FactsRow> = on_db!(&self.db, p => {
            sqlx::query_as(sql).bind(lo).bind(hi).fetch_all(p).await?
        });
        rows.into_iter()
            .map(|(v, ty, size, year, net)| {
                Ok(HouseholdFacts {
                    village: crate::decode::region(v)?,
                    household_type: code(ty, HouseholdType::from_code, "户类型")?,
                    size: size as u32,
                    latest_net: year.zip(net).map(|(y, n)| (y as u16, Money::from_fen(n))),
                })
            })
            .collect()
    }

    /// Row counts of the registry.
    pub async fn registry_counts(&self) -> Result<RegistryCounts, StoreError> {
        let (h, m, i): (i64, i64, i64) = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM households), (SELECT COUNT(*) FROM members), \
                 (SELECT COUNT(*) FROM incomes)",
            )
            .fetch_one(p)
            .await?
        });
        Ok(RegistryCounts {
            households: h,
            members: m,
            incomes: i,
        })
    }

    /// The last import batches, newest first.
    pub async fn recent_batches(&self, limit: i64) -> Result<Vec<BatchSummary>, StoreError> {
        let rows: Vec<BatchSummary> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT id, kind, file_name, checksum, rows, inserted, updated, unchanged, \
                 actor, imported_at FROM import_batches ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }
}

/// A recorded import batch (导入批次).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchSummary {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub checksum: String,
    pub rows: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub actor: String,
    pub imported_at: DateTime<Utc>,
}
