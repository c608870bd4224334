//! What makes a written file safe to hand on. Exports carry full ID numbers and phones, and
//! problem reports and screening lists name households: every file is created readable and
//! writable by its owner only (0600). And no cell may be run as a formula by the
//! spreadsheet that opens it: a value starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return (an address typed as `=HYPERLINK(…)`, or `=cmd|' /C calc'!A0`) is neutralised
//! the way OWASP recommends and Excel itself does, with a leading apostrophe.
//!
//! - CSV: the apostrophe is written before the value. The readers remove it again
//!   ([`unquote`]), so an export re-imports unchanged.
//! - XLSX: the cell gets Excel's quote-prefix style, which keeps it text even when a clerk
//!   edits it; the value itself is unchanged. Only a value that already begins with
//!   apostrophes gets one more, so that the same [`unquote`] gives it back exactly.
//! - Numbers the program writes itself (amounts, years, dates) are never touched: a
//!   negative amount is `-1234.50` in CSV, which every spreadsheet reads as the number it
//!   is, and a number cell in XLSX. A text that merely looks like a negative number
//!   (`-12`) is no formula either and is left as it is.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates (or truncates) `path` for writing, readable and writable by its owner only. An
/// existing file is narrowed to 0600 before it is emptied, so that a file which cannot be
/// narrowed (another user's) is refused with its content intact.
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        // `mode` applies to a new file only; an existing one keeps its own.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.set_len(0)?;
    Ok(file)
}

/// Whether a spreadsheet could take `text` for a formula, once the apostrophes it may
/// already start with are set aside (they are escaped too, so that [`unquote`] is exact).
pub fn starts_formula(text: &str) -> bool {
    let t = text.trim_start_matches('\'');
    match t.as_bytes().first() {
        Some(b'=' | b'+' | b'@' | b'\t' | b'\r') => true,
        Some(b'-') => !is_plain_number(&t[1..]),
        _ => false,
    }
}

/// Digits, optionally a point and more digits: what a negative number looks like after
/// its minus sign. Nothing else is let through (`-1e5`, `-1+1`, `-inf` are quoted).
fn is_plain_number(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, "1"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// A CSV cell's text: `'` before a value a spreadsheet would run as a formula.
pub fn quote_csv(text: &str) -> Cow<'_, str> {
    if starts_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// An XLSX text cell: its value, and whether it needs the quote-prefix style.
pub(super) fn quote_xlsx(text: &str) -> (Cow<'_, str>, bool) {
    if !starts_formula(text) {
        (Cow::Borrowed(text), false)
    } else if text.starts_with('\'') {
        (Cow::Owned(format!("'{text}")), true)
    } else {
        (Cow::Borrowed(text), true)
    }
}

/// The inverse, applied to every text cell read from a file: one leading apostrophe
/// removed from a value that [`quote_csv`] would have quoted. `None` when there is nothing
/// to remove.
pub fn unquote(text: &str) -> Option<&str> {
    text.strip_prefix('\'').filter(|_| starts_formula(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_quoted_and_unquoted_exactly() {
        for (value, csv) in [
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("+86 851 1234", "'+86 851 1234"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("-1+1", "'-1+1"),
            ("-inf", "'-inf"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("'=1", "''=1"),
            ("''=1", "'''=1"),
            // Left alone: ordinary text, apostrophes before ordinary text, numbers.
            ("高山村3组", "高山村3组"),
            ("'高山", "'高山"),
            ("-12", "-12"),
            ("-1234.50", "-1234.50"),
            ("", ""),
        ] {
            assert_eq!(quote_csv(value), csv, "{value:?}");
            assert_eq!(unquote(csv).unwrap_or(csv), value, "{csv:?}");
            let (cell, styled) = quote_xlsx(value);
            assert_eq!(styled, starts_formula(value), "{value:?}");
            assert_eq!(unquote(&cell).unwrap_or(&cell), value, "{value:?}");
        }
        // An XLSX cell keeps its value; only an apostrophe already there is doubled.
        assert_eq!(quote_xlsx("=1+1"), (Cow::Borrowed("=1+1"), true));
        assert_eq!(quote_xlsx("'=1"), (Cow::Owned("''=1".to_owned()), true));
    }

    #[cfg(unix)]
    #[test]
    fn files_are_created_for_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let new = dir.path().join("new.csv");
        drop(create_private(&new).unwrap());
        assert_eq!(mode(&new), 0o600);
        // A file that was there before, readable by all, is narrowed and emptied.
        let old = dir.path().join("old.csv");
        std::fs::write(&old, "old content").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(create_private(&old).unwrap());
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read(&old).unwrap(), b"");
    }
}
