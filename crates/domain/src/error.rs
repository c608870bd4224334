//! The one error a value parser returns: a message in Chinese that a county clerk can act on.
//! Row and column are added by whoever knows them (the file reader, the form handler).

use std::fmt;

/// A value that could not be accepted, with the reason in plain Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// 错误说明 — what is wrong and, where possible, how to fix it.
    pub message: String,
}

impl FieldError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}
