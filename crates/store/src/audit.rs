//! 审计日志 (the tamper-evident audit log): who did what to which record, with the record
//! before and after, when and from where. A change writes its row in its own transaction
//! ([`Tx::audit`], just before the commit), so a change is never without its row nor a row
//! without its change; a view or an export of personal data writes one in a short
//! transaction of its own ([`Store::audit`]).
//!
//! Rows form a keyed hash chain. Each row's `hash` is HMAC-SHA256 over the previous row's
//! hash and the row's own fields, encoded unambiguously (see [`ChainInput::encode`]), under
//! the audit key: derived from the master key like the field keys, kept beside them and
//! never in the database ([`crate::Vault`]). Someone who can write the database but does
//! not hold the key cannot compute the hash of an edited, inserted or re-chained row, so
//! rewriting the log from some row to its end is detected, not only editing one row.
//! (Databases begun before the key was used had plain SHA-256 chains; they are checked and
//! re-sealed under the key once, at the upgrade, in one transaction, with an `audit.rekey`
//! row saying what the plain check found — [`Store::reseal_legacy_audit`].)
//!
//! The chain's end is kept in the one-row `audit_head`, which every append locks and moves
//! (on PostgreSQL `SELECT … FOR UPDATE`; SQLite serialises writers already, see
//! `Db::begin`), so two concurrent appends cannot both continue from the same row, and the
//! ids are gapless. [`Store::verify_audit`] recomputes the chain: an edited row no longer
//! matches its hash, a deleted row leaves a gap in the ids and a broken link.
//!
//! Cutting the newest rows (and moving the head back to match) leaves a shorter chain that
//! is still intact. That is caught by **anchors**: `fangpin audit anchor` writes the head
//! (id and hash) outside the database, and `fangpin audit verify --anchors FILE` checks that
//! every anchored row is still there with the same hash ([`Store::check_anchor`]).
//!
//! On PostgreSQL the service may run as a role that can only SELECT and INSERT the log
//! (docs/security.md, `docs/postgres-roles.sql`): even a bug or an injected statement in
//! the service cannot change a row.
//!
//! **Callers never put an ID number, phone or bank account in `before`/`after`**: they pass
//! record ids, 户编号, codes, counts, and masked values (`IdNumber::masked`, `Phone::masked`)
//! where a person must be recognisable. The log is kept forever and read by administrators;
//! it must not become a second copy of the registry's secrets.

use crate::sql::{Param, Where, bind_all};
use crate::{Store, StoreError, Tx, on_db, on_tx};
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use domain::RegionCode;
use sha2::{Digest as _, Sha256};

/// 操作人 (who is acting): the user, their role and region, and the client's address.
/// Every audit row records one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// 用户名, or the name of a system job.
    pub user: String,
    /// 角色, e.g. 县级管理员; "系统" for the command line and batch jobs.
    pub role: String,
    /// 所属区划 of the user; `None` for the whole system.
    pub region: Option<RegionCode>,
    /// 客户端地址 (IP address of a web request); `None` on the command line.
    pub client: Option<String>,
}

impl Who {
    /// The role of the command line and batch jobs.
    pub const SYSTEM_ROLE: &'static str = "系统";

    /// A system actor (`Who::system("命令行")`, `Who::system("定时筛查")`): role "系统",
    /// the whole system, no client address.
    pub fn system(name: impl Into<String>) -> Self {
        Self {
            user: name.into(),
            role: Self::SYSTEM_ROLE.to_owned(),
            region: None,
            client: None,
        }
    }
}

/// One audited change (or view, or export). See the table in docs/security.md for the
/// entity and action names in use.
#[derive(Debug, Clone, Default)]
pub struct Change<'a> {
    /// What was done: `"<entity>.<verb>"`, optionally `":<detail>"` (`"case.act:入户核实"`).
    pub action: &'a str,
    /// What kind of record, in English snake case (`"case"`, `"feed_batch"`).
    pub entity: &'a str,
    /// Which record, when there is one.
    pub entity_id: Option<String>,
    /// The record before the change (ids and masked values only).
    pub before: Option<serde_json::Value>,
    /// The record after the change (ids and masked values only).
    pub after: Option<serde_json::Value>,
}

/// One row of the audit log as stored. `before` and `after` are the stored JSON text,
/// exactly as hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub region: Option<RegionCode>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub client: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Which audit rows to list (all conditions hold together). Newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// 操作人 (user name), exactly.
    pub actor: Option<String>,
    /// An action exactly, or every action under it: `"case.act"` also lists
    /// `"case.act:入户核实"`.
    pub action: Option<String>,
    /// From this time on (included).
    pub from: Option<DateTime<Utc>>,
    /// Before this time (excluded).
    pub to: Option<DateTime<Utc>>,
    /// Only actors of this division's subtree (rows of system actors have no region and are
    /// left out).
    pub scope: Option<RegionCode>,
    /// At most this many rows; 0 means [`AuditFilter::DEFAULT_LIMIT`].
    pub limit: u32,
    /// Paging: only rows older than this id (the last id of the previous page).
    pub before_id: Option<i64>,
}

impl AuditFilter {
    pub const DEFAULT_LIMIT: u32 = 100;
    pub const MAX_LIMIT: u32 = 10_000;
}

/// What [`Store::verify_audit`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheck {
    /// Rows checked.
    pub rows: u64,
    /// The first row found tampered with — edited, deleted, or not on the chain — and why,
    /// in Chinese. `None`: the chain is intact.
    pub first_bad: Option<(i64, String)>,
    /// The chain's head as stored (last id, last hash). Written down elsewhere, it lets a
    /// later check notice a chain rewritten from some row to the end.
    pub head: (i64, String),
}

impl AuditCheck {
    pub fn is_ok(&self) -> bool {
        self.first_bad.is_none()
    }
}

/// `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields a row's hash covers, borrowed from wherever they are.
struct ChainInput<'a> {
    prev_hash: &'a str,
    id: i64,
    at: DateTime<Utc>,
    actor: &'a str,
    role: &'a str,
    region: Option<i64>,
    action: &'a str,
    entity: &'a str,
    entity_id: Option<&'a str>,
    before: Option<&'a str>,
    after: Option<&'a str>,
    client: Option<&'a str>,
}

/// How a row's hash is computed.
#[derive(Clone)]
pub enum ChainKey {
    /// Plain SHA-256 under the tag `fangpin-audit-v1`: the chains of databases begun before
    /// the audit key, read only to check them once before they are re-sealed.
    Legacy,
    /// HMAC with the audit key (SHA-256 or SM3, by the key's suite) under the tag
    /// `fangpin-audit-v2`.
    Keyed(crate::crypto::AuditMac),
}

impl ChainInput<'_> {
    /// The fields in a fixed order after a versioned tag, each encoded as one byte 0 (NULL)
    /// or as 1, its length in bytes (u64 big-endian) and its UTF-8 bytes. Length prefixes
    /// make the encoding unambiguous (no two different rows encode alike, whatever
    /// characters the fields hold). Numbers are decimal text; the time is RFC 3339 in UTC
    /// with exactly six fractional digits (`2026-01-15T08:30:00.123456Z`): PostgreSQL keeps
    /// microseconds, so a time is truncated to them before it is stored and hashed, and
    /// reads back identically from both databases.
    fn encode(&self, put_bytes: &mut dyn FnMut(&[u8])) {
        let mut put = |v: Option<&str>| match v {
            None => put_bytes(&[0u8]),
            Some(s) => {
                put_bytes(&[1u8]);
                put_bytes(&(s.len() as u64).to_be_bytes());
                put_bytes(s.as_bytes());
            }
        };
        put(Some(self.prev_hash));
        put(Some(&self.id.to_string()));
        put(Some(&time_text(self.at)));
        put(Some(self.actor));
        put(Some(self.role));
        put(self.region.map(|r| r.to_string()).as_deref());
        put(Some(self.action));
        put(Some(self.entity));
        put(self.entity_id);
        put(self.before);
        put(self.after);
        put(self.client);
    }

    /// The row's hash (lower-case hex) under `key`.
    fn hash(&self, key: &ChainKey) -> String {
        match key {
            ChainKey::Legacy => {
                let mut h = Sha256::new();
                h.update(b"fangpin-audit-v1\n");
                self.encode(&mut |b| h.update(b));
                hex::encode(h.finalize())
            }
            ChainKey::Keyed(mac) => mac.hex(|put| {
                put(b"fangpin-audit-v2\n");
                self.encode(put);
            }),
        }
    }
}

/// The hashed form of a time.
fn time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn json_text(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref()
        .map(|v| serde_json::to_string(v).expect("a JSON value serialises"))
}

impl Tx {
    /// Appends one audit row for `change`, done by `who`, chained to the previous row;
    /// returns its id. Call it just before the commit of the change: the head row stays
    /// locked until the transaction ends, so it should end soon.
    pub async fn audit(&mut self, who: &Who, change: &Change<'_>) -> Result<i64, StoreError> {
        // SQLite has no FOR UPDATE and needs none: our transactions there begin IMMEDIATE,
        // holding the database's one write lock already.
        let head_sql = match self.backend() {
            crate::Backend::Sqlite => "SELECT last_id, last_hash FROM audit_head WHERE one = 1",
            crate::Backend::Postgres => {
                "SELECT last_id, last_hash FROM audit_head WHERE one = 1 FOR UPDATE"
            }
        };
        let head: Option<(i64, String)> = on_tx!(self, c => {
            sqlx::query_as(head_sql).fetch_optional(&mut *c).await?
        });
        let (last_id, prev_hash) =
            head.ok_or_else(|| StoreError::Corrupt("审计日志链头缺失".to_owned()))?;
        let id = last_id + 1;
        let at = Utc::now().trunc_subsecs(6);
        let before = json_text(&change.before);
        let after = json_text(&change.after);
        let region = who.region.map(RegionCode::as_i64);
        let hash = ChainInput {
            prev_hash: &prev_hash,
            id,
            at,
            actor: &who.user,
            role: &who.role,
            region,
            action: change.action,
            entity: change.entity,
            entity_id: change.entity_id.as_deref(),
            before: before.as_deref(),
            after: after.as_deref(),
            client: who.client.as_deref(),
        }
        .hash(&ChainKey::Keyed(self.audit_mac.clone()));
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO audit_log (id, at, actor, role, region, action, entity, entity_id, \
                 before, after, client, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(id)
            .bind(at)
            .bind(&who.user)
            .bind(&who.role)
            .bind(region)
            .bind(change.action)
            .bind(change.entity)
            .bind(change.entity_id.as_deref())
            .bind(before.as_deref())
            .bind(after.as_deref())
            .bind(who.client.as_deref())
            .bind(&prev_hash)
            .bind(&hash)
            .execute(&mut *c)
            .await?;
            sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE one = 1")
                .bind(id)
                .bind(&hash)
                .execute(&mut *c)
                .await?;
        });
        Ok(id)
    }
}

/// A stored row as read: the region still the stored integer, so that verification hashes
/// exactly what is there.
type RawRow = (
    i64,
    DateTime<Utc>,
    String,
    String,
    Option<i64>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

const COLUMNS: &str = "id, at, actor, role, region, action, entity, entity_id, before, after, \
                       client, prev_hash, hash";

fn input(r: &RawRow) -> ChainInput<'_> {
    ChainInput {
        prev_hash: &r.11,
        id: r.0,
        at: r.1,
        actor: &r.2,
        role: &r.3,
        region: r.4,
        action: &r.5,
        entity: &r.6,
        entity_id: r.7.as_deref(),
        before: r.8.as_deref(),
        after: r.9.as_deref(),
        client: r.10.as_deref(),
    }
}

fn audit_row(r: RawRow) -> Result<AuditRow, StoreError> {
    let region =
        match r.4 {
            Some(v) => Some(RegionCode::from_u64(v as u64).ok_or_else(|| {
                StoreError::Corrupt(format!("审计日志第 {} 条的区划代码 {v}", r.0))
            })?),
            None => None,
        };
    Ok(AuditRow {
        id: r.0,
        at: r.1,
        actor: r.2,
        role: r.3,
        region,
        action: r.5,
        entity: r.6,
        entity_id: r.7,
        before: r.8,
        after: r.9,
        client: r.10,
        prev_hash: r.11,
        hash: r.12,
    })
}

/// Rows read per query while verifying: memory stays bounded however long the log is.
const VERIFY_PAGE: i64 = 10_000;

impl Store {
    /// Records a view or an export of personal data by this store's actor ([`Store::who`]),
    /// in a short transaction of its own; returns the row's id.
    pub async fn audit(&self, change: &Change<'_>) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let id = tx.audit(&self.who, change).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The rows that `f` selects, newest first. Conditions not given are not in the SQL at
    /// all, so each query is answered from the index that fits it.
    pub async fn audit_log(&self, f: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let mut w = Where::default();
        if let Some(e) = &f.entity {
            w.add("entity = $n", Param::Text(e.clone()));
        }
        if let Some(e) = &f.entity_id {
            w.add("entity_id = $n", Param::Text(e.clone()));
        }
        if let Some(a) = &f.actor {
            w.add("actor = $n", Param::Text(a.clone()));
        }
        if let Some(a) = &f.action {
            // The action itself, or one of its detailed forms "case.act:…" — compared by
            // substring, not LIKE, so that % and _ in it mean nothing.
            w.add(
                "(action = $n OR substr(action, 1, length($n) + 1) = $n || ':')",
                Param::Text(a.clone()),
            );
        }
        if let Some(t) = f.from {
            w.add("at >= $n", Param::Time(t));
        }
        if let Some(t) = f.to {
            w.add("at < $n", Param::Time(t));
        }
        if f.scope.is_some() {
            let (lo, hi) = crate::registry::scope_range(f.scope);
            w.add("region >= $n", Param::Int(lo));
            w.add("region < $n", Param::Int(hi));
        }
        if let Some(id) = f.before_id {
            w.add("id < $n", Param::Int(id));
        }
        let limit = match f.limit {
            0 => AuditFilter::DEFAULT_LIMIT,
            n => n.min(AuditFilter::MAX_LIMIT),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE {} ORDER BY id DESC LIMIT {limit}",
            w.conditions()
        );
        let rows: Vec<RawRow> = on_db!(&self.db, p => {
            bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &w.params).fetch_all(p).await?
        });
        rows.into_iter().map(audit_row).collect()
    }

    /// 审计日志校验: recomputes the whole chain in id order, a page at a time, and reports
    /// the first row edited, deleted or added outside the chain.
    ///
    /// The head is read first and only rows up to it are checked, so appends committed
    /// during the check (always after the head that was read) raise no false alarm.
    pub async fn verify_audit(&self) -> Result<AuditCheck, StoreError> {
        let key = ChainKey::Keyed(self.vault.audit_mac());
        let head: Option<(i64, String)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE one = 1")
                .fetch_optional(p)
                .await?
        });
        let head = head.ok_or_else(|| StoreError::Corrupt("审计日志链头缺失".to_owned()))?;
        let (last_id, last_hash) = head.clone();
        let mut rows = 0u64;
        let mut prev_id = 0i64;
        let mut prev_hash = GENESIS.to_owned();
        let bad = |rows: u64, id: i64, why: String| {
            Ok(AuditCheck {
                rows,
                first_bad: Some((id, why)),
                head: head.clone(),
            })
        };
        loop {
            let sql = format!(
                "SELECT {COLUMNS} FROM audit_log WHERE id > $1 AND id <= $2 ORDER BY id LIMIT {VERIFY_PAGE}"
            );
            let page: Vec<RawRow> = on_db!(&self.db, p => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(prev_id)
                    .bind(last_id)
                    .fetch_all(p)
                    .await?
            });
            let n = page.len();
            for r in page {
                let id = r.0;
                if id != prev_id + 1 {
                    let why = if id == prev_id + 2 {
                        format!("第 {} 条记录缺失：已被删除", prev_id + 1)
                    } else {
                        format!("第 {} 至 {} 条记录缺失：已被删除", prev_id + 1, id - 1)
                    };
                    return bad(rows, prev_id + 1, why);
                }
                if input(&r).hash(&key) != r.12 {
                    let why = format!(
                        "第 {id} 条记录的内容与其密钥哈希不符：该记录被修改过，\
                         或是不持有审计密钥者写入或重写的"
                    );
                    return bad(rows, id, why);
                }
                if r.11 != prev_hash {
                    let why = if id == 1 {
                        "第 1 条记录的前序哈希不是链的起点：链的开头被改写过".to_owned()
                    } else {
                        format!(
                            "第 {id} 条记录记载的前序哈希与第 {prev_id} 条记录的哈希不符：\
                             第 {prev_id} 条记录被改写或替换过"
                        )
                    };
                    return bad(rows, id, why);
                }
                rows += 1;
                prev_id = id;
                prev_hash = r.12;
            }
            if (n as i64) < VERIFY_PAGE {
                break;
            }
        }
        if prev_id != last_id {
            let why = if prev_id + 1 == last_id {
                format!("第 {last_id} 条记录缺失：链头记载到第 {last_id} 条，最新的记录已被删除")
            } else {
                format!(
                    "第 {} 至 {last_id} 条记录缺失：链头记载到第 {last_id} 条，最新的记录已被删除",
                    prev_id + 1
                )
            };
            return bad(rows, prev_id + 1, why);
        }
        if prev_hash != last_hash {
            let why = format!("第 {last_id} 条记录的哈希与链头记载的不符：最新的记录被改写过");
            return bad(rows, last_id, why);
        }
        // Rows beyond the head were not written by an append, unless an append committed
        // them after the head was read: then the head, read again, covers them.
        let max: Option<(Option<i64>,)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT MAX(id) FROM audit_log").fetch_optional(p).await?
        });
        if let Some(max) = max.and_then(|m| m.0)
            && max > last_id
        {
            let (now_last,): (i64,) = on_db!(&self.db, p => {
                sqlx::query_as("SELECT last_id FROM audit_head WHERE one = 1")
                    .fetch_one(p)
                    .await?
            });
            if max > now_last {
                let why = format!(
                    "第 {max} 条记录不在链上：链头只记载到第 {now_last} 条，该记录是绕过系统添加的"
                );
                return bad(rows, max, why);
            }
        }
        Ok(AuditCheck {
            rows,
            first_bad: None,
            head,
        })
    }
}

/// One anchored head: the chain's last row as it was when `fangpin audit anchor` ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub id: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
}

impl Anchor {
    /// One line of an anchor file: `<id> <hash> <time>`.
    pub fn line(&self) -> String {
        format!("{} {} {}", self.id, self.hash, time_text(self.at))
    }

    /// Reads a line written by [`Anchor::line`].
    pub fn parse(line: &str) -> Option<Anchor> {
        let mut it = line.split_whitespace();
        let id = it.next()?.parse().ok()?;
        let hash = it.next()?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let at = DateTime::parse_from_rfc3339(it.next()?)
            .ok()?
            .with_timezone(&Utc);
        it.next().is_none().then(|| Anchor {
            id,
            hash: hash.to_owned(),
            at,
        })
    }
}

impl Store {
    /// The chain's head now, as an anchor to write outside the database.
    pub async fn anchor_head(&self) -> Result<Anchor, StoreError> {
        let head: Option<(i64, String)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE one = 1")
                .fetch_optional(p)
                .await?
        });
        let (id, hash) = head.ok_or_else(|| StoreError::Corrupt("审计日志链头缺失".to_owned()))?;
        Ok(Anchor {
            id,
            hash,
            at: Utc::now().trunc_subsecs(6),
        })
    }

    /// Whether an anchored row is still in the log with the hash it had: `None` when it is,
    /// else why not, in Chinese. A chain cut back below the anchor, or rewritten through
    /// it, fails here even when it is intact in itself.
    pub async fn check_anchor(&self, a: &Anchor) -> Result<Option<String>, StoreError> {
        if a.id == 0 {
            return Ok(None);
        }
        let row: Option<(String,)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT hash FROM audit_log WHERE id = $1")
                .bind(a.id)
                .fetch_optional(p)
                .await?
        });
        let when = a.at.format("%Y-%m-%d %H:%M UTC");
        Ok(match row {
            None => Some(format!(
                "{when} 记录的链头为第 {} 条，该条记录已不存在：最新的记录被截除过",
                a.id
            )),
            Some((h,)) if h != a.hash => Some(format!(
                "{when} 记录的链头第 {} 条的哈希与现存记录不符：该处之前的记录被改写过",
                a.id
            )),
            Some(_) => None,
        })
    }

    /// Re-seals a chain begun with plain SHA-256 under the audit key, once, when a database
    /// is upgraded: in one transaction holding the head, each row is checked against the
    /// plain chain and given its keyed hash, and an `audit.rekey` row records how many rows
    /// were re-sealed and what the plain check found (a chain already broken stays
    /// reported, not silently blessed). Returns that check.
    pub async fn reseal_legacy_audit(&self) -> Result<Option<(i64, String)>, StoreError> {
        let keyed = ChainKey::Keyed(self.vault.audit_mac());
        let mut tx = self.begin().await?;
        let Some(Resealed {
            last_id,
            last_hash,
            rows,
            first_bad,
        }) = reseal_chain(&mut tx, &ChainKey::Legacy, &keyed).await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        tx.audit(
            &Who::system("升级"),
            &Change {
                action: "audit.rekey",
                entity: "audit_log",
                entity_id: None,
                before: Some(serde_json::json!({
                    "scheme": "sha256",
                    "last_id": last_id,
                    "last_hash": last_hash,
                    "check": match &first_bad {
                        None => "完整".to_owned(),
                        Some((id, why)) => format!("第 {id} 条起有问题：{why}"),
                    },
                })),
                after: Some(serde_json::json!({ "scheme": "hmac-sha256", "rows": rows })),
            },
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            rows,
            intact = first_bad.is_none(),
            "audit chain re-sealed under the key"
        );
        Ok(first_bad)
    }
}

/// What re-sealing the chain found and did.
struct Resealed {
    /// The head before.
    last_id: i64,
    last_hash: String,
    rows: i64,
    /// The first row at which the chain did not verify under the old key, and why.
    first_bad: Option<(i64, String)>,
}

/// Checks every row of the chain under `from` and gives it its hash under `to`, holding the
/// head, in `tx`; moves the head. `None` for an empty log (nothing touched).
async fn reseal_chain(
    tx: &mut Tx,
    from: &ChainKey,
    to: &ChainKey,
) -> Result<Option<Resealed>, StoreError> {
    let head_sql = match tx.backend() {
        crate::Backend::Sqlite => "SELECT last_id, last_hash FROM audit_head WHERE one = 1",
        crate::Backend::Postgres => {
            "SELECT last_id, last_hash FROM audit_head WHERE one = 1 FOR UPDATE"
        }
    };
    let head: Option<(i64, String)> = on_tx!(&mut *tx, c => {
        sqlx::query_as(head_sql).fetch_optional(&mut *c).await?
    });
    let (last_id, last_hash) =
        head.ok_or_else(|| StoreError::Corrupt("审计日志链头缺失".to_owned()))?;
    if last_id == 0 {
        return Ok(None);
    }
    let mut first_bad: Option<(i64, String)> = None;
    let mut old_prev = GENESIS.to_owned();
    let mut new_prev = GENESIS.to_owned();
    let mut prev_id = 0i64;
    let mut rows = 0i64;
    loop {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT {VERIFY_PAGE}"
        );
        let page: Vec<RawRow> = on_tx!(&mut *tx, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(prev_id).fetch_all(&mut *c).await?
        });
        let n = page.len();
        for r in page {
            if first_bad.is_none() {
                if r.0 != prev_id + 1 {
                    first_bad = Some((prev_id + 1, format!("第 {} 条记录缺失", prev_id + 1)));
                } else if input(&r).hash(from) != r.12 || r.11 != old_prev {
                    first_bad = Some((r.0, format!("第 {} 条记录与原哈希链不符", r.0)));
                }
            }
            old_prev = r.12.clone();
            let resealed = ChainInput {
                prev_hash: &new_prev,
                ..input(&r)
            }
            .hash(to);
            on_tx!(&mut *tx, c => {
                sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
                    .bind(&new_prev)
                    .bind(&resealed)
                    .bind(r.0)
                    .execute(&mut *c)
                    .await?;
            });
            new_prev = resealed;
            prev_id = r.0;
            rows += 1;
        }
        if (n as i64) < VERIFY_PAGE {
            break;
        }
    }
    if first_bad.is_none() && (prev_id != last_id || old_prev != last_hash) {
        first_bad = Some((prev_id, "链头与最后一条记录不符".to_owned()));
    }
    on_tx!(&mut *tx, c => {
        sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE one = 1")
            .bind(prev_id)
            .bind(&new_prev)
            .execute(&mut *c)
            .await?;
    });
    Ok(Some(Resealed {
        last_id,
        last_hash,
        rows,
        first_bad,
    }))
}

impl Tx {
    /// A key rotation's share of the audit log: the chain, keyed by the old key's audit key,
    /// is checked under it and sealed again under this transaction's (the new key's), so
    /// that `audit verify` passes with the new key alone. Returns the rows re-sealed and
    /// what the check under the old key found: a chain broken before the rotation stays
    /// reported (in the rotation's audit row), never silently blessed.
    pub(crate) async fn reseal_audit_for_rotation(
        &mut self,
        old: crate::crypto::AuditMac,
    ) -> Result<(i64, Option<(i64, String)>), StoreError> {
        let to = ChainKey::Keyed(self.audit_mac.clone());
        Ok(
            match reseal_chain(self, &ChainKey::Keyed(old), &to).await? {
                None => (0, None),
                Some(r) => (r.rows, r.first_bad),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::AuditMac;
    use hmac::{Hmac, Mac};

    fn sample() -> ChainInput<'static> {
        ChainInput {
            prev_hash: GENESIS,
            id: 1,
            at: DateTime::parse_from_rfc3339("2026-01-15T08:30:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            actor: "张三",
            role: "村级经办",
            region: Some(520_322_101_001),
            action: "case.act:入户核实",
            entity: "case",
            entity_id: Some("7"),
            before: Some(r#"{"state":"入户核实"}"#),
            after: None,
            client: None,
        }
    }

    #[test]
    fn the_encoding_is_pinned_and_unambiguous() {
        // Pinned (and recomputed independently from the documented encoding): a change of
        // the encoding would make every stored chain fail to verify.
        assert_eq!(
            sample().hash(&ChainKey::Legacy),
            "7794900f1d57e174250681ca3bc5b5b849b653b16c8b2dc2df32e4836556690d"
        );
        // Keyed: the same row under two keys hashes apart, and neither is the plain hash.
        let k1 = ChainKey::Keyed(AuditMac::Sha256(
            Hmac::<Sha256>::new_from_slice(&[1u8; 32]).unwrap(),
        ));
        let k2 = ChainKey::Keyed(AuditMac::Sha256(
            Hmac::<Sha256>::new_from_slice(&[2u8; 32]).unwrap(),
        ));
        assert_eq!(
            sample().hash(&k1),
            "25cc51191030503d9a2b4b78b0e0aa39cfa3daf0a491eac3cf1f6bfb6c79a83a"
        );
        assert_ne!(sample().hash(&k1), sample().hash(&k2));
        // Moving text across a field boundary, or NULL versus empty, changes the hash.
        let a = ChainInput {
            actor: "张三村",
            role: "级经办",
            ..sample()
        };
        assert_ne!(a.hash(&ChainKey::Legacy), sample().hash(&ChainKey::Legacy));
        let b = ChainInput {
            after: Some(""),
            ..sample()
        };
        assert_ne!(b.hash(&k1), sample().hash(&k1));
    }

    #[test]
    fn times_are_hashed_with_six_fractional_digits() {
        let t = DateTime::parse_from_rfc3339("2026-01-15T08:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time_text(t), "2026-01-15T08:30:00.000000Z");
    }
}
