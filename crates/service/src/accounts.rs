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
    /// How long a browser session lasts.
    pub session_ttl: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout: Duration::minutes(15),
            session_ttl: Duration::hours(10),
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

/// Why a login failed. The wording never tells whether the user name exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("用户名或密码错误")]
    Wrong,
    #[error("登录失败次数过多，账号已临时锁定，请于{until}后再试")]
    Locked { until: String },
}

/// 登录: checks the password; after `max_failures` wrong ones in a row the account is locked
/// for `lockout`. A disabled or unknown account gets the same answer as a wrong password,
/// after the same work, so that neither can be probed.
pub async fn login(
    store: &Store,
    username: &str,
    password: &str,
    client: Option<&str>,
    policy: &LoginPolicy,
) -> Result<Result<LoggedIn, LoginError>, ServiceError> {
    let now = Utc::now();
    let Some((user, hash)) = store.user_for_login(username.trim()).await? else {
        // The same argon2 work as for a real account.
        let pw = password.to_owned();
        let _ = argon2(move || verify_password(&pw, DUMMY_HASH)).await;
        return Ok(Err(LoginError::Wrong));
    };
    if let Some(until) = user.locked_until
        && until > now
    {
        return Ok(Err(LoginError::Locked {
            until: until
                .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                .format("%H:%M")
                .to_string(),
        }));
    }
    // Logins and failed logins are security events: audited as the account concerned.
    let as_user = store.acting_as(Who {
        user: user.username.clone(),
        role: user.role.label().to_owned(),
        region: Some(user.region),
        client: client.map(str::to_owned),
    });
    let pw = password.to_owned();
    let right = argon2(move || verify_password(&pw, &hash)).await;
    if !right || user.disabled {
        let failures = u32::try_from(user.failed_logins + 1).unwrap_or(u32::MAX);
        let lock = (failures >= policy.max_failures).then(|| now + policy.lockout);
        store.login_failed(user.id, lock).await?;
        as_user
            .audit(&Change {
                action: if lock.is_some() {
                    "auth.locked"
                } else {
                    "auth.login_failed"
                },
                entity: "user",
                entity_id: Some(user.username.clone()),
                before: None,
                after: Some(serde_json::json!({ "failures": failures })),
            })
            .await?;
        return Ok(Err(match lock {
            Some(until) => LoginError::Locked {
                until: until
                    .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                    .format("%H:%M")
                    .to_string(),
            },
            None => LoginError::Wrong,
        }));
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

/// The account of a live session cookie, with the session's CSRF token.
pub async fn session_user(
    store: &Store,
    cookie: &str,
) -> Result<Option<(UserRow, String)>, ServiceError> {
    Ok(store.session(&digest(cookie)).await?)
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
/// The failure count and any lock are cleared, and the account's sessions end.
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
    store.set_password(user.id, &hash).await?;
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
