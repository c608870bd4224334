//! What each fuzz target does with one input, kept apart from AFL so that a saved input can
//! be replayed by an ordinary test or binary. Every function here takes raw bytes as they
//! would arrive from outside and drives the product's own parser with them; a panic, an
//! arithmetic overflow (the targets are built with overflow checks), a hang or a broken
//! invariant checked here is a finding.
//!
//! - [`files`] — registry files (户信息, 人口信息, 收支信息) and the eight department feeds,
//!   as CSV or as a workbook, read and checked exactly as an import reads them;
//! - [`fields`] — the single-value parsers of forms and cells: 证件号码, 联系电话, 金额,
//!   区划代码, 户编号, 姓名, the 自主申报 form that is answered with a 回执码, labels;
//! - [`policy`] — the screening policy TOML and its "what if" overrides, and a county's
//!   synonym document for department feeds;
//! - [`api`] — the JSON bodies (and query strings) of every API operation, through the
//!   real router with a real database.
//!
//! The first byte of an input picks what it is (which file kind, which field, which
//! operation); [`pick`] says how, so seeds can be written by hand.

pub mod api;
pub mod fields;
pub mod files;
pub mod policy;

/// Splits an input into its selector byte and the rest; an empty input selects 0.
pub fn pick(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&first, rest)) => (first, rest),
        None => (0, &[]),
    }
}

/// The input as text, the way the product receives text: invalid UTF-8 replaced, as a
/// form field or a TOML file read with `from_utf8_lossy` would be. Inputs that are not
/// UTF-8 still reach the parsers, as replacement characters.
pub fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}
