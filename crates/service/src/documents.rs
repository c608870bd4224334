//! Versioned configuration documents (监测政策, 同义词表): TOML files an operator loads, read
//! with a bound, stored as loaded under their SHA-256, and parsed once per process.

use crate::ServiceError;
use sha2::{Digest as _, Sha256};
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

/// Reads a configuration document (`what`: 监测政策, 同义词表) of at most `max_bytes`,
/// refusing a larger file before reading it whole, and one that is not UTF-8 text.
pub(crate) fn read_document(
    path: &Path,
    max_bytes: usize,
    what: &str,
) -> Result<String, ServiceError> {
    let io = |source| ServiceError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    // One byte more than allowed tells a file at the bound from a larger one.
    file.take(max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > max_bytes {
        return Err(ServiceError::Invalid(format!(
            "{what}文件 {} 超过{}KB，不像{what}：请检查是否选错了文件",
            path.display(),
            max_bytes / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        ServiceError::Invalid(format!(
            "{what}文件 {} 不是UTF-8编码的文本：请用文本编辑器另存为UTF-8",
            path.display()
        ))
    })
}

/// SHA-256 of a document, hex: recorded with each version.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Documents parsed in this process, found again by their text: lists and imports ask for
/// the version in effect on every request, and parsing it each time would cost more than
/// the request.
pub(crate) struct Kept<T> {
    items: Mutex<Vec<(String, T)>>,
}

impl<T: Clone> Kept<T> {
    /// Versions kept: those in effect now and lately, not the whole history.
    const KEPT: usize = 8;

    pub(crate) const fn new() -> Self {
        Self {
            items: Mutex::new(Vec::new()),
        }
    }

    /// The document `text` parsed: kept from an earlier call, or parsed now and kept.
    pub(crate) fn get<E>(
        &self,
        text: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, E> {
        let hit = {
            let kept = self.items.lock().unwrap_or_else(|e| e.into_inner());
            kept.iter().find(|(t, _)| t == text).map(|(_, v)| v.clone())
        };
        if let Some(v) = hit {
            return Ok(v);
        }
        let v = parse(text)?;
        let mut kept = self.items.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= Self::KEPT {
            kept.remove(0);
        }
        kept.push((text.to_owned(), v.clone()));
        Ok(v)
    }
}
