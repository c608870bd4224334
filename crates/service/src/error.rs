//! Errors of the use-cases, with messages a user can act on.

use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Read(#[from] tabular::read::ReadError),
    #[error(transparent)]
    Write(#[from] tabular::write::WriteError),
    #[error(transparent)]
    Divisions(#[from] tabular::divisions::DivisionsError),
    #[error(transparent)]
    Synth(#[from] synth::SynthError),
    #[error("{0}")]
    Invalid(String),
    /// The caller may not do this (its role or region does not allow it).
    #[error("{0}")]
    Forbidden(String),
    #[error("文件读写失败 {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl ServiceError {
    /// Every problem found in one input, joined into one message ("…；…").
    pub(crate) fn problems<P: std::fmt::Display>(problems: &[P]) -> Self {
        ServiceError::Invalid(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("；"),
        )
    }
}
