//! 账号, 会话 and 接口令牌 (accounts, browser sessions, bearer tokens). This module stores
//! what the service decides: password hashes are made and checked in `service::accounts`;
//! sessions and tokens are looked up by the SHA-256 of their secret.

use crate::audit::Change;
use crate::{Store, StoreError, on_db, on_tx};
use chrono::{DateTime, Utc};
use domain::RegionCode;
use domain::access::Role;
use domain::feed::Feed;

/// An account as the rest of the system sees it (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    /// The department of a liaison (部门联络员).
    pub department: Option<Feed>,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    /// The password was set by someone else (an administrator, the command line, a reset):
    /// the account must choose its own before doing anything else.
    pub must_change_password: bool,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub region: RegionCode,
    pub department: Option<Feed>,
    pub password_hash: &'a str,
    /// The password was chosen by someone else: it must be changed at the first sign-in.
    pub must_change_password: bool,
}

/// An account row as selected by [`USER_COLUMNS`].
#[derive(sqlx::FromRow)]
struct UserRec {
    id: i64,
    username: String,
    display_name: String,
    role: i64,
    region_code: i64,
    department: Option<i64>,
    disabled: bool,
    failed_logins: i64,
    locked_until: Option<DateTime<Utc>>,
    must_change_password: bool,
}

/// An account with one more column (password hash, CSRF token).
#[derive(sqlx::FromRow)]
struct UserWith {
    #[sqlx(flatten)]
    user: UserRec,
    extra: String,
}

/// A session with its account, its CSRF token and when it was last used.
#[derive(sqlx::FromRow)]
struct SessionRec {
    #[sqlx(flatten)]
    with: UserWith,
    seen: DateTime<Utc>,
}

/// One sign-in attempt that got an allowance ([`Store::reserve_login`]).
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    pub user: UserRow,
    /// The argon2id hash to check the password against.
    pub password_hash: String,
    /// Failures in a row counting this attempt, as if it fails.
    pub failures: u32,
    /// This attempt locked the account (it was the last one allowed).
    pub locked: bool,
}

/// A token's id with its account.
#[derive(sqlx::FromRow)]
struct TokenUser {
    token_id: i64,
    #[sqlx(flatten)]
    user: UserRec,
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.region_code, u.department, \
    u.disabled, u.failed_logins, u.locked_until, u.must_change_password";

fn user(r: UserRec) -> Result<UserRow, StoreError> {
    let id = r.id;
    let corrupt = |what: String| StoreError::Corrupt(format!("账号 {id}：{what}"));
    Ok(UserRow {
        id,
        username: r.username,
        display_name: r.display_name,
        role: i16::try_from(r.role)
            .ok()
            .and_then(Role::from_code)
            .ok_or_else(|| corrupt(format!("角色代码 {}", r.role)))?,
        region: crate::decode::region(r.region_code)?,
        department: match r.department {
            None => None,
            Some(d) => Some(
                i16::try_from(d)
                    .ok()
                    .and_then(Feed::from_code)
                    .ok_or_else(|| corrupt(format!("部门代码 {d}")))?,
            ),
        },
        disabled: r.disabled,
        failed_logins: r.failed_logins,
        locked_until: r.locked_until,
        must_change_password: r.must_change_password,
    })
}

fn unique_violation(e: sqlx::Error, what: &str) -> StoreError {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what.into()),
        e => StoreError::from(e),
    }
}

impl Store {
    /// Creates an account (audited as `user.add`).
    pub async fn insert_user(&self, u: &NewUser<'_>) -> Result<i64, StoreError> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let r: Result<(i64,), sqlx::Error> = on_tx!(&mut tx, c => {
            sqlx::query_as(
                "INSERT INTO users (username, display_name, role, region_code, department, \
                 password_hash, disabled, failed_logins, locked_until, created_at, updated_at, \
                 must_change_password) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL, $8, $8, $9) RETURNING id",
            )
            .bind(u.username)
            .bind(u.display_name)
            .bind(i64::from(u.role.code()))
            .bind(u.region.as_i64())
            .bind(u.department.map(|d| i64::from(d.code())))
            .bind(u.password_hash)
            .bind(false)
            .bind(now)
            .bind(u.must_change_password)
            .fetch_one(&mut *c)
            .await
        });
        let (id,) = r.map_err(|e| unique_violation(e, &format!("用户名“{}”已存在", u.username)))?;
        tx.audit(
            self.who(),
            &Change {
                action: "user.add",
                entity: "user",
                entity_id: Some(u.username.to_owned()),
                before: None,
                after: Some(serde_json::json!({
                    "role": u.role.label(),
                    "region": u.region.to_string(),
                    "department": u.department.map(|d| d.label()),
                })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An account and its password hash, by user name (for login).
    pub async fn user_for_login(
        &self,
        username: &str,
    ) -> Result<Option<(UserRow, String)>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash AS extra FROM users u WHERE u.username = $1"
        );
        let row: Option<UserWith> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(username).fetch_optional(p).await?
        });
        row.map(|r| Ok((user(r.user)?, r.extra))).transpose()
    }

    /// An account by user name.
    pub async fn user_by_name(&self, username: &str) -> Result<UserRow, StoreError> {
        Ok(self
            .user_for_login(username)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("账号“{username}”")))?
            .0)
    }

    /// Accounts bound to a region of `scope`'s subtree, by user name.
    pub async fn users(&self, scope: Option<RegionCode>) -> Result<Vec<UserRow>, StoreError> {
        let (lo, hi) = crate::registry::scope_range(scope);
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.region_code >= $1 AND u.region_code < $2 \
             ORDER BY u.username"
        );
        let rows: Vec<UserRec> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(lo).bind(hi).fetch_all(p).await?
        });
        rows.into_iter().map(user).collect()
    }

    /// Disables or re-enables an account; disabling also ends its sessions and revokes its
    /// tokens.
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<(), StoreError> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
                .bind(disabled).bind(now).bind(user_id).execute(&mut *c).await?;
            if disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id).execute(&mut *c).await?;
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(now).bind(user_id).execute(&mut *c).await?;
            }
        });
        tx.audit(
            self.who(),
            &Change {
                action: if disabled {
                    "user.disable"
                } else {
                    "user.enable"
                },
                entity: "user",
                entity_id: Some(user_id.to_string()),
                before: None,
                after: Some(serde_json::json!({ "disabled": disabled })),
            },
        )
        .await?;
        tx.commit().await
    }

    /// Sets a new password hash, clears the failure count and the lock, and ends the
    /// account's sessions — all but `keep` (the session of a user changing their own
    /// password). `must_change`: the password was set by someone else (a reset), so the
    /// account must choose its own at its next sign-in.
    pub async fn set_password(
        &self,
        user_id: i64,
        hash: &str,
        must_change: bool,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, \
                 must_change_password = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(hash).bind(must_change).bind(now).bind(user_id).execute(&mut *c).await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(user_id).bind(keep.unwrap_or("")).execute(&mut *c).await?;
        });
        tx.audit(
            self.who(),
            &Change {
                action: if keep.is_some() {
                    "user.change_password"
                } else {
                    "user.reset_password"
                },
                entity: "user",
                entity_id: Some(user_id.to_string()),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await
    }

    /// Takes one sign-in attempt from the account's allowance, atomically, before any
    /// password is checked: the failure count goes up by one (from one again once a lock
    /// has expired), and the attempt that reaches `max_failures` locks the account until
    /// `lock_until` at once. The password is then checked only for attempts that got an
    /// allowance, and a right one gives it back ([`Store::login_succeeded`]). So however
    /// many attempts arrive together, at most `max_failures` passwords are checked per lock
    /// window: the single UPDATE is serialised by the row lock (PostgreSQL) or the write
    /// lock (SQLite), and an attempt never reads a count another one is about to change.
    /// A crash between this and the check leaves a counted attempt, never a free one.
    ///
    /// `None`: no such account, or it is locked — the caller answers both alike.
    pub async fn reserve_login(
        &self,
        username: &str,
        max_failures: u32,
        lock_until: DateTime<Utc>,
    ) -> Result<Option<LoginAttempt>, StoreError> {
        let now = Utc::now();
        // The count this attempt makes, written once and used twice below.
        let count = "CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 \
                     ELSE failed_logins + 1 END";
        let sql = format!(
            "UPDATE users SET failed_logins = {count}, \
             locked_until = CASE WHEN {count} >= $3 THEN $4 ELSE NULL END \
             WHERE username = $1 AND (locked_until IS NULL OR locked_until <= $2) \
             RETURNING id, username, display_name, role, region_code, department, disabled, \
             failed_logins, locked_until, must_change_password, password_hash AS extra"
        );
        // A write transaction of its own: on SQLite it queues for the one writer (and is
        // answered busy after the request's wait) instead of holding a reader's connection
        // while an import writes.
        let mut tx = self.begin().await?;
        let row: Option<UserWith> = on_tx!(&mut tx, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(username)
                .bind(now)
                .bind(i64::from(max_failures))
                .bind(lock_until)
                .fetch_optional(&mut *c)
                .await?
        });
        tx.commit().await?;
        row.map(|r| {
            let user = user(r.user)?;
            Ok(LoginAttempt {
                failures: u32::try_from(user.failed_logins).unwrap_or(u32::MAX),
                locked: user.locked_until.is_some(),
                user,
                password_hash: r.extra,
            })
        })
        .transpose()
    }

    /// A successful login: the attempt is given back (the failure count starts again, any
    /// lock the attempt itself set is lifted), and a new session is stored.
    pub async fn login_succeeded(
        &self,
        user_id: i64,
        session: &NewSession<'_>,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(user_id).execute(&mut *c).await?;
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at, client, \
                 last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $4)",
            )
            .bind(session.id_hash).bind(user_id).bind(session.csrf).bind(now)
            .bind(session.expires_at).bind(session.client)
            .execute(&mut *c).await?;
        });
        tx.commit().await
    }

    /// The live session with this id hash: its account and CSRF token. Sessions past their
    /// lifetime, idle since before `idle_since`, or of disabled accounts are not found. A
    /// session in use is marked seen at most once a minute, so that reads do not each
    /// become a write.
    pub async fn session(
        &self,
        id_hash: &str,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<(UserRow, String)>, StoreError> {
        let now = Utc::now();
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf AS extra, s.last_seen_at AS seen FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.disabled = $4"
        );
        let row: Option<SessionRec> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_hash).bind(now).bind(idle_since).bind(false)
                .fetch_optional(p).await?
        });
        let Some(r) = row else { return Ok(None) };
        if now - r.seen > chrono::Duration::minutes(1) {
            // Best effort: while an import holds SQLite's writer the mark waits for the next
            // request; the session stays valid meanwhile (it was seen within the idle time).
            match self.begin().await {
                Ok(mut tx) => {
                    on_tx!(&mut tx, c => {
                        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                            .bind(now).bind(id_hash).execute(&mut *c).await?;
                    });
                    tx.commit().await?;
                }
                Err(StoreError::Busy) => tracing::debug!("session not marked seen: busy"),
                Err(e) => return Err(e),
            }
        }
        Ok(Some((user(r.with.user)?, r.with.extra)))
    }

    /// Ends a session (logout).
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash).execute(&mut *c).await?;
        });
        tx.commit().await
    }

    /// Stores a bearer token (its hash) acting for `user_id` (audited as `token.create`).
    pub async fn insert_token(
        &self,
        name: &str,
        token_hash: &str,
        user_id: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let (id,): (i64,) = on_tx!(&mut tx, c => {
            sqlx::query_as(
                "INSERT INTO api_tokens (name, token_hash, user_id, created_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, NULL) RETURNING id",
            )
            .bind(name).bind(token_hash).bind(user_id).bind(Utc::now())
            .fetch_one(&mut *c).await?
        });
        tx.audit(
            self.who(),
            &Change {
                action: "token.create",
                entity: "api_token",
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(serde_json::json!({ "name": name, "user_id": user_id })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The account a live (not revoked) token acts for, with the token's id.
    pub async fn token(&self, token_hash: &str) -> Result<Option<(i64, UserRow)>, StoreError> {
        let sql = format!(
            "SELECT t.id AS token_id, {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = $2"
        );
        let row: Option<TokenUser> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).bind(false)
                .fetch_optional(p).await?
        });
        row.map(|r| Ok((r.token_id, user(r.user)?))).transpose()
    }

    /// Revokes a token (audited as `token.revoke`); `false` when there was no live token
    /// with this id.
    pub async fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, c => {
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(Utc::now()).bind(id).execute(&mut *c).await?.rows_affected()
        });
        if n == 1 {
            tx.audit(
                self.who(),
                &Change {
                    action: "token.revoke",
                    entity: "api_token",
                    entity_id: Some(id.to_string()),
                    before: None,
                    after: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Tokens of the accounts of a region's subtree: (id, name, account, created, revoked).
    pub async fn tokens(&self, scope: Option<RegionCode>) -> Result<Vec<TokenRow>, StoreError> {
        let (lo, hi) = crate::registry::scope_range(scope);
        let rows: Vec<TokenTuple> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT t.id, t.name, u.username, t.created_at, t.revoked_at FROM api_tokens t \
                 JOIN users u ON u.id = t.user_id \
                 WHERE u.region_code >= $1 AND u.region_code < $2 ORDER BY t.id",
            )
            .bind(lo).bind(hi).fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, name, username, created_at, revoked_at)| TokenRow {
                id,
                name,
                username,
                created_at,
                revoked_at,
            })
            .collect())
    }
}

type TokenTuple = (i64, String, String, DateTime<Utc>, Option<DateTime<Utc>>);

/// A session to store at login.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub csrf: &'a str,
    pub expires_at: DateTime<Utc>,
    pub client: Option<&'a str>,
}

/// A token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub username: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}
