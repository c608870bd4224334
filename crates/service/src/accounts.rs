//! 账号与登录 (accounts and authentication) as use-cases: creating accounts bound to a role
//! and a region, logging in with a password (argon2id) and a temporary lock after repeated
//! failures, browser sessions with a CSRF token, and bearer tokens for department systems.
//!
//! Secrets (session cookies, tokens, generated passwords) are random, shown once, and kept
//! only as hashes: the SHA-256 of a session or token, the argon2id PHC string of a password.

use crate::ServiceError;
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use domain::access::{Role, may_create};
use domain::feed::Feed;
use domain::text::TextField;
use domain::{RegionCode, bounds};
use sha2::{Digest as _, Sha256};
use store::Store;
use store::accounts::{NewSession, NewUser, UserRow};
use store::audit::{Change, Who};

/// 登录安全设置 (login policy), from the server configuration.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Failures in a row before the account is locked.
    pub max_failures: u32,
    /// How long a lock lasts.
    pub lockout: Duration,
    /// How long a browser session lasts at most.
    pub session_ttl: Duration,
    /// How long a session may go unused before it ends (a phone left on a desk).
    pub idle: Duration,
    /// The least time a refused sign-in takes to answer, whatever the reason (wrong
    /// password, unknown name, locked account), so that the answer's timing tells them no
    /// more apart than its words do.
    pub refusal_floor: std::time::Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout: Duration::minutes(15),
            session_ttl: Duration::hours(10),
            idle: Duration::minutes(30),
            refusal_floor: std::time::Duration::from_millis(250),
        }
    }
}

/// Longest user name.
pub const MAX_USERNAME: usize = 64;
/// 显示名称: the name recorded as 经办人 with every step (as long as a case allows).
pub const DISPLAY_NAME: TextField = TextField::line("显示名称", bounds::SHORT_CHARS);

/// A new account as an administrator fills it in.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub department: Option<Feed>,
    pub password: String,
    /// The password is an initial one, chosen by whoever creates the account: the account
    /// must replace it at its first sign-in. `false` only for demonstration accounts whose
    /// password is published anyway.
    pub must_change_password: bool,
}

/// Who creates an account: an administrator (role and region) or the system itself (the
/// CLI of the machine's operator, which may create any account).
#[derive(Debug, Clone, Copy)]
pub enum Creator {
    System,
    Admin { role: Role, region: RegionCode },
}

/// Minimum password length [I]: 10 characters, letters and digits.
pub const MIN_PASSWORD: usize = 10;

/// Checks a password's strength; the message says what is missing.
pub fn check_password(pw: &str) -> Result<(), ServiceError> {
    let long = pw.chars().count() >= MIN_PASSWORD;
    let letters = pw.chars().any(|c| c.is_alphabetic());
    let digits = pw.chars().any(|c| c.is_ascii_digit());
    if long && letters && digits {
        Ok(())
    } else {
        Err(ServiceError::Invalid(format!(
            "密码至少{MIN_PASSWORD}位，且须同时包含字母和数字"
        )))
    }
}

/// An argon2id hash (PHC string) of a password, with a fresh salt.
pub fn hash_password(pw: &str) -> Result<String, ServiceError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Invalid(format!("密码无法加密保存：{e}")))
}

fn verify_password(pw: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Runs argon2id work (`hash_password`, `verify_password`) on the blocking pool, at most
/// as many at once as the machine has cores. Each hash takes 19 MiB and tens of
/// milliseconds on purpose: on the request threads a burst of logins (a township's staff
/// at 8:30) would stall every other request, and unbounded it would take memory without
/// limit.
async fn argon2<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    static SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let _slot = SLOTS
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(work)
        .await
        .expect("argon2 work does not panic")
}

/// A random secret of 32 bytes, as 64 hex digits.
fn secret() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// SHA-256 (hex) of a secret: what the database keeps of a session or token.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A random password for `user reset-password`: 16 characters without look-alikes.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    use rand::Rng;
    let mut rng = rand::rng();
    loop {
        let pw: String = (0..16)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        if check_password(&pw).is_ok() {
            return pw;
        }
    }
}

/// Creates an account, after checking that its role fits its region (a village account on a
/// village, a county account on a county …), that a liaison names its department, and that
/// the creator may create it there.
pub async fn add_user(store: &Store, a: &NewAccount, by: Creator) -> Result<i64, ServiceError> {
    let name = a.username.trim();
    if name.is_empty()
        || name.len() > MAX_USERNAME
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(ServiceError::Invalid(format!(
            "用户名只能由字母、数字和 _ - . 组成，最长{MAX_USERNAME}位"
        )));
    }
    // The display name is recorded as 经办人 with every step the account takes.
    DISPLAY_NAME
        .check(&a.display_name)
        .map_err(|e| ServiceError::Invalid(e.message))?;
    if !a.role.fits(a.region) {
        return Err(ServiceError::Invalid(format!(
            "“{}”账号须绑定到{}级区划，{}不是",
            a.role,
            a.role.region_level().map_or("任意", |l| l.label()),
            a.region
        )));
    }
    if (a.role == Role::Department) != a.department.is_some() {
        return Err(ServiceError::Invalid(
            "部门联络员须指定所属部门（其他角色不指定）".to_owned(),
        ));
    }
    if let Creator::Admin { role, region } = by
        && !may_create(role, region, a.role, a.region)
    {
        return Err(ServiceError::Forbidden(format!(
            "{role}不能在{}创建“{}”账号",
            a.region, a.role
        )));
    }
    if store.region(a.region).await?.is_none() {
        return Err(ServiceError::Invalid(format!(
            "区划代码{}不在区划表中，请先导入区划",
            a.region
        )));
    }
    check_password(&a.password)?;
    let pw = a.password.clone();
    let hash = argon2(move || hash_password(&pw)).await?;
    let display = if a.display_name.trim().is_empty() {
        name
    } else {
        a.display_name.trim()
    };
    Ok(store
        .insert_user(&NewUser {
            username: name,
            display_name: display,
            role: a.role,
            region: a.region,
            department: a.department,
            password_hash: &hash,
            must_change_password: a.must_change_password,
        })
        .await?)
}

/// A successful login: the cookie secret (shown once, to be set as the session cookie) and
/// the CSRF token the pages send back with every change.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub session: String,
    pub csrf: String,
    pub user: UserRow,
    pub expires_at: DateTime<Utc>,
}

/// Why a login failed. One answer for every reason — wrong password, unknown or disabled
/// account, locked account — so that neither the words nor the status tell an attacker
/// which names exist or which accounts they have locked; the user whose account is locked
/// is told that repeated failures lock it, and the administrator sees the lock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error(
        "用户名或密码错误。连续输错{max_failures}次，账号将锁定{lock_minutes}分钟；如已锁定，请稍后再试或联系管理员"
    )]
    Refused {
        max_failures: u32,
        lock_minutes: i64,
    },
}

/// How many passwords sign-ins have checked against an account's hash since the process
/// started (not the decoy checks of refused attempts). Tests read it to show that a burst
/// of attempts checks no more passwords than the lock allows.
pub fn passwords_checked() -> u64 {
    CHECKED.load(std::sync::atomic::Ordering::Relaxed)
}

static CHECKED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// 登录: takes an attempt from the account's allowance first ([`Store::reserve_login`]),
/// then checks the password; the attempt that uses the last of `max_failures` locks the
/// account for `lockout`, and a right password gives the attempt back. Every refusal —
/// wrong, unknown, disabled, locked — does the same argon2 work, gets the same answer,
/// and answers no sooner than `refusal_floor` after it arrived.
pub async fn login(
    store: &Store,
    username: &str,
    password: &str,
    client: Option<&str>,
    policy: &LoginPolicy,
) -> Result<Result<LoggedIn, LoginError>, ServiceError> {
    let started = tokio::time::Instant::now();
    let refused = || LoginError::Refused {
        max_failures: policy.max_failures,
        lock_minutes: policy.lockout.num_minutes(),
    };
    let now = Utc::now();
    let attempt = store
        .reserve_login(username.trim(), policy.max_failures, now + policy.lockout)
        .await?;
    let Some(attempt) = attempt else {
        // Unknown or locked: the same argon2 work as a real check, against a hash that
        // matches nothing.
        let pw = password.to_owned();
        let _ = argon2(move || verify_password(&pw, DUMMY_HASH)).await;
        tokio::time::sleep_until(started + policy.refusal_floor).await;
        return Ok(Err(refused()));
    };
    let user = attempt.user;
    // Logins and failed logins are security events: audited as the account concerned.
    let as_user = store.acting_as(Who {
        user: user.username.clone(),
        role: user.role.label().to_owned(),
        region: Some(user.region),
        client: client.map(str::to_owned),
    });
    let pw = password.to_owned();
    let hash = attempt.password_hash;
    CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let right = argon2(move || verify_password(&pw, &hash)).await;
    if !right || user.disabled {
        as_user
            .audit(&Change {
                action: if attempt.locked {
                    "auth.locked"
                } else {
                    "auth.login_failed"
                },
                entity: "user",
                entity_id: Some(user.username.clone()),
                before: None,
                after: Some(serde_json::json!({ "failures": attempt.failures })),
            })
            .await?;
        tokio::time::sleep_until(started + policy.refusal_floor).await;
        return Ok(Err(refused()));
    }
    let session = secret();
    let csrf = secret();
    let expires_at = now + policy.session_ttl;
    store
        .login_succeeded(
            user.id,
            &NewSession {
                id_hash: &digest(&session),
                csrf: &csrf,
                expires_at,
                client,
            },
        )
        .await?;
    as_user
        .audit(&Change {
            action: "auth.login",
            entity: "user",
            entity_id: Some(user.username.clone()),
            before: None,
            after: None,
        })
        .await?;
    Ok(Ok(LoggedIn {
        session,
        csrf,
        user,
        expires_at,
    }))
}

/// An argon2id hash of a random password nobody knows, verified when the user name does
/// not exist so that a probe takes as long as a real attempt.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
    1hF5XoHqIqTQGnZ1Uu5Vh1V7oJj2kJx0bO0fCq9m4aA";

/// The account of a live session cookie, with the session's CSRF token: not past its
/// lifetime, and used within `policy.idle`.
pub async fn session_user(
    store: &Store,
    cookie: &str,
    policy: &LoginPolicy,
) -> Result<Option<(UserRow, String)>, ServiceError> {
    Ok(store
        .session(&digest(cookie), Utc::now() - policy.idle)
        .await?)
}

/// 修改密码: the signed-in user replaces their password, proving the current one. The
/// other sessions of the account end; this one (`cookie`) goes on. This is how an account
/// whose password was set by someone else becomes usable.
pub async fn change_password(
    store: &Store,
    user: &UserRow,
    current: &str,
    new: &str,
    cookie: Option<&str>,
) -> Result<(), ServiceError> {
    let (_, hash) = store
        .user_for_login(&user.username)
        .await?
        .ok_or_else(|| ServiceError::Invalid("账号不存在".to_owned()))?;
    let pw = current.to_owned();
    if !argon2(move || verify_password(&pw, &hash)).await {
        return Err(ServiceError::Invalid("当前密码不正确".to_owned()));
    }
    check_password(new)?;
    if new == current {
        return Err(ServiceError::Invalid("新密码不能与当前密码相同".to_owned()));
    }
    let pw = new.to_owned();
    let hash = argon2(move || hash_password(&pw)).await?;
    let keep = cookie.map(digest);
    Ok(store
        .set_password(user.id, &hash, false, Some(keep.as_deref().unwrap_or("")))
        .await?)
}

/// 退出登录.
pub async fn logout(store: &Store, cookie: &str) -> Result<(), ServiceError> {
    Ok(store.delete_session(&digest(cookie)).await?)
}

/// Creates a bearer token for a department liaison's account (a department system acts
/// with it): returns the token's id and the secret, shown once.
pub async fn create_token(
    store: &Store,
    username: &str,
    name: &str,
) -> Result<(i64, String), ServiceError> {
    let user = store.user_by_name(username).await?;
    if user.role != Role::Department {
        return Err(ServiceError::Invalid(
            "接口令牌只发给部门联络员账号（部门系统以该部门的身份上传数据）".to_owned(),
        ));
    }
    let token = format!("fp_{}", secret());
    let id = store.insert_token(name, &digest(&token), user.id).await?;
    Ok((id, token))
}

/// The account a bearer token acts for, if the token is live.
pub async fn token_user(store: &Store, token: &str) -> Result<Option<UserRow>, ServiceError> {
    Ok(store.token(&digest(token)).await?.map(|(_, u)| u))
}

/// 停用/启用账号: a disabled account cannot log in; its sessions end and its tokens are
/// revoked at once.
pub async fn set_disabled(
    store: &Store,
    username: &str,
    disabled: bool,
) -> Result<(), ServiceError> {
    let user = store.user_by_name(username).await?;
    Ok(store.set_disabled(user.id, disabled).await?)
}

/// 重置密码: sets `password`, or a generated one (returned, to be handed over in person).
/// The failure count and any lock are cleared, the account's sessions end, and the user
/// must choose a new password at the next sign-in.
pub async fn reset_password(
    store: &Store,
    username: &str,
    password: Option<&str>,
) -> Result<String, ServiceError> {
    let user = store.user_by_name(username).await?;
    let pw = match password {
        Some(p) => {
            check_password(p)?;
            p.to_owned()
        }
        None => generate_password(),
    };
    let hash = {
        let pw = pw.clone();
        argon2(move || hash_password(&pw)).await?
    };
    // Handed over by someone else: the user chooses their own at the next sign-in.
    store.set_password(user.id, &hash, true, None).await?;
    Ok(pw)
}

/// 吊销令牌.
pub async fn revoke_token(store: &Store, id: i64) -> Result<(), ServiceError> {
    if store.revoke_token(id).await? {
        Ok(())
    } else {
        Err(ServiceError::Invalid(format!("没有编号为{id}的有效令牌")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse 42").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse 42", &h));
        assert!(!verify_password("correct horse 43", &h));
        assert!(!verify_password("anything", DUMMY_HASH));
        assert!(
            PasswordHash::new(DUMMY_HASH).is_ok(),
            "the dummy hash parses"
        );
    }

    #[test]
    fn weak_passwords_are_refused_and_generated_ones_are_not() {
        for weak in ["short1", "onlyletterslong", "1234567890"] {
            assert!(check_password(weak).is_err(), "{weak}");
        }
        assert!(check_password(&generate_password()).is_ok());
    }
}
