//! 同义词表 (departments' own words) versions: a county's document is checked over the
//! built-in table and stored as a new version with its audit row, like a policy; the newest
//! version is the table every feed import reads with; the table in effect is shown and the
//! versions listed.

use crate::ServiceError;
use crate::documents::{Kept, read_document, sha256_hex};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use store::Store;
use store::audit::Change;
use store::synonyms::StoredSynonyms;
use tabular::synonyms::{MAX_DOCUMENT_BYTES, Origin, Synonyms};

/// The table in effect and the stored version it comes from (`None`: the built-in table,
/// nothing loaded).
#[derive(Debug, Clone)]
pub struct InEffect {
    pub stored: Option<StoredSynonyms>,
    pub table: Arc<Synonyms>,
}

impl InEffect {
    /// The version imports record: 0 for the built-in table.
    pub fn version(&self) -> i64 {
        self.stored.as_ref().map_or(0, |s| s.version)
    }
}

/// `fangpin synonyms load FILE`: checks a county's document over the built-in table and
/// stores it as a new version, which every later feed import reads with. Returns the
/// version, the table now in effect, and whether it was stored: a document identical to
/// the one in effect is not stored twice.
pub async fn load_synonyms(
    store: &Store,
    path: &Path,
    actor: &str,
) -> Result<(i64, Arc<Synonyms>, bool), ServiceError> {
    let text = read_document(path, MAX_DOCUMENT_BYTES, "同义词表")?;
    let table =
        Arc::new(Synonyms::with_county(&text).map_err(|e| ServiceError::Invalid(e.to_string()))?);
    if let Some(current) = store.synonyms_in_effect().await?
        && current.source == text
    {
        return Ok((current.version, table, false));
    }
    let checksum = sha256_hex(&text);
    let county_words = county_words(&table);
    let mut tx = store.begin().await?;
    let version = tx
        .insert_synonyms(&table.title, &text, &checksum, actor)
        .await?;
    tx.audit(
        store.who(),
        &Change {
            action: "synonyms.load",
            entity: "synonym_table",
            entity_id: Some(version.to_string()),
            before: None,
            after: Some(json!({
                "title": table.title,
                "sha256": checksum,
                "words": table.len(),
                "county_words": county_words,
                "loaded_by": actor,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(version, words = table.len(), "synonym table loaded");
    Ok((version, table, true))
}

/// The table feed imports read with now: the newest stored version over the built-in
/// table, or the built-in table alone. A stored version this program no longer accepts
/// (a word that has become a value of its column) stops imports with the reason rather
/// than reading the department's words otherwise than the county decided.
pub async fn synonyms_in_effect(store: &Store) -> Result<InEffect, ServiceError> {
    static PARSED: Kept<Arc<Synonyms>> = Kept::new();
    let Some(stored) = store.synonyms_in_effect().await? else {
        return Ok(InEffect {
            stored: None,
            table: Synonyms::builtin(),
        });
    };
    let table = PARSED.get(&stored.source, |text| {
        Synonyms::with_county(text).map(Arc::new).map_err(|e| {
            ServiceError::Invalid(format!(
                "已加载的同义词表第{}版不能再使用：{e}。请修改后用 fangpin synonyms load 重新加载",
                stored.version
            ))
        })
    })?;
    Ok(InEffect {
        stored: Some(stored),
        table,
    })
}

/// Every stored version, newest first.
pub async fn history(store: &Store) -> Result<Vec<StoredSynonyms>, ServiceError> {
    Ok(store.synonym_versions().await?)
}

/// Words of the county's own (added or overriding) in a table.
pub fn county_words(table: &Synonyms) -> usize {
    (0..tabular::synonyms::COLUMNS.len())
        .flat_map(|c| table.entries(c))
        .filter(|e| e.origin == Origin::County)
        .count()
}
