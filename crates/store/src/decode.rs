//! Stored values read back into domain types. A stored value the domain refuses is not a
//! user's mistake but a damaged database: it is reported as [`StoreError::Corrupt`], naming
//! what it was.

use crate::StoreError;
use domain::RegionCode;

/// A stored division code (an integer column).
pub(crate) fn region(v: i64) -> Result<RegionCode, StoreError> {
    RegionCode::from_u64(v as u64).ok_or_else(|| StoreError::Corrupt(format!("区划代码 {v}")))
}

/// A stored enumeration code (SMALLINT in PostgreSQL, BIGINT for case stages).
pub(crate) fn code<T>(
    v: impl Into<i64>,
    f: fn(i16) -> Option<T>,
    what: &str,
) -> Result<T, StoreError> {
    let v = v.into();
    i16::try_from(v)
        .ok()
        .and_then(f)
        .ok_or_else(|| StoreError::Corrupt(format!("{what}代码 {v}")))
}

/// An optional stored enumeration code.
pub(crate) fn opt_code<T>(
    v: Option<i16>,
    f: fn(i16) -> Option<T>,
    what: &str,
) -> Result<Option<T>, StoreError> {
    v.map(|v| code(v, f, what)).transpose()
}
