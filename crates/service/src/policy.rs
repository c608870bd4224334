//! 监测政策 (screening policy) versions: loaded from a TOML file, checked, stored as a new
//! version with its effective date; shown as the document that is in effect.

use crate::ServiceError;
use crate::documents::{Kept, read_document, sha256_hex};
use chrono::NaiveDate;
use domain::screening::Policy;
use serde_json::json;
use std::path::Path;
use store::audit::{Change, Who};
use store::screening::StoredPolicy;
use store::{Store, Tx};

/// Stores a checked policy document as a new version, with its audit row (the document
/// itself is kept in `policies`; the row names it by version and checksum); returns the
/// version.
pub(crate) async fn store_policy(
    store: &Store,
    text: &str,
    policy: &Policy,
    actor: &str,
) -> Result<i64, ServiceError> {
    let mut tx = store.begin().await?;
    let version = store_policy_in(&mut tx, store.who(), text, policy, actor).await?;
    tx.commit().await?;
    Ok(version)
}

/// [`store_policy`] inside the caller's transaction (a screening stores the built-in
/// policy with the run that first uses it).
pub(crate) async fn store_policy_in(
    tx: &mut Tx,
    who: &Who,
    text: &str,
    policy: &Policy,
    actor: &str,
) -> Result<i64, ServiceError> {
    let checksum = sha256_hex(text);
    let title = if policy.title.is_empty() {
        "未命名政策"
    } else {
        policy.title.as_str()
    };
    let version = tx
        .insert_policy(title, policy.effective_from, text, &checksum, actor)
        .await?;
    tx.audit(
        who,
        &Change {
            action: "policy.load",
            entity: "policy",
            entity_id: Some(version.to_string()),
            before: None,
            after: Some(json!({
                "title": title,
                "effective_from": policy.effective_from,
                "sha256": checksum,
                "loaded_by": actor,
            })),
        },
    )
    .await?;
    Ok(version)
}

/// Largest policy document: the built-in one, with a comment on every key, is under 10 KB.
const MAX_POLICY_BYTES: usize = 1024 * 1024;

/// `fangpin policy load FILE`: checks the document and stores it as a new version. A file
/// identical to the version in effect on its date is not stored twice.
pub async fn load_policy(
    store: &Store,
    path: &Path,
    actor: &str,
) -> Result<(i64, Policy, bool), ServiceError> {
    let text = read_document(path, MAX_POLICY_BYTES, "监测政策")?;
    let policy = Policy::from_toml(&text).map_err(|e| ServiceError::Invalid(e.message))?;
    if let Some(current) = store.policy_in_effect(policy.effective_from).await?
        && current.source == text
    {
        return Ok((current.version, policy, false));
    }
    let version = store_policy(store, &text, &policy, actor).await?;
    tracing::info!(version, effective_from = %policy.effective_from, "policy loaded");
    Ok((version, policy, true))
}

/// The policy in effect on `day`: the stored version, or the built-in default (version
/// `None`) when nothing was loaded.
pub async fn policy_for_day(
    store: &Store,
    day: NaiveDate,
) -> Result<(Option<StoredPolicy>, String), ServiceError> {
    match store.policy_in_effect(day).await? {
        Some(p) => {
            let text = p.source.clone();
            Ok((Some(p), text))
        }
        None => Ok((
            None,
            domain::screening::policy::DEFAULT_POLICY_TOML.to_owned(),
        )),
    }
}

/// The policy in effect on `day`, parsed (the built-in default until one is loaded).
///
/// Lists ask for it on every request (their deadlines), so each text is parsed once per
/// process and kept, found again by comparing the text itself.
pub async fn policy_on(store: &Store, day: NaiveDate) -> Result<Policy, ServiceError> {
    static PARSED: Kept<Policy> = Kept::new();
    let (_, text) = policy_for_day(store, day).await?;
    PARSED.get(&text, |t| {
        Policy::from_toml(t).map_err(|e| ServiceError::Invalid(e.message))
    })
}

/// Every stored version, newest first.
pub async fn history(store: &Store) -> Result<Vec<StoredPolicy>, ServiceError> {
    Ok(store.policies().await?)
}
