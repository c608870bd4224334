//! Text shared by every parser: the normalisation of what Chinese input methods type
//! (full-width digits and letters, ideographic spaces, stray whitespace), and the one check
//! every free-text field of a form, a request or a file goes through ([`TextField`]): a
//! bound on its length, and no control characters — a terminal escape typed into a name or
//! a note would otherwise travel into the audit log, exports, printed notices and the
//! command line of whoever reads them.

use crate::FieldError;

/// Folds full-width ASCII (Ｕ+FF01..FF5E) to half-width, the ideographic space to a space,
/// and trims. Chinese characters are left alone.
pub fn fold_width(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        out.push(c);
    }
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

/// Whether `c` may never appear in stored text: the C0 and C1 control characters (ESC
/// starts a terminal escape sequence) and DEL, the bidirectional overrides and isolates
/// that make text display in another order than it is stored (U+202A–202E, U+2066–2069,
/// U+200E/200F, U+061C), and the Unicode line and paragraph separators. Line feeds,
/// carriage returns and tabs are control characters too; [`TextField::lines`] admits them
/// in multi-line fields.
pub fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// How much of a refused value an error message repeats.
const QUOTE_CHARS: usize = 20;

/// A value as an error message may repeat it: at most 20 characters (then "…"), every
/// forbidden character shown as "�". A refused value can be a megabyte long or carry an
/// escape sequence; the message must be neither.
pub fn quoted(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(QUOTE_CHARS)
        .map(|c| if is_forbidden(c) { '\u{FFFD}' } else { c })
        .collect();
    if s.chars().nth(QUOTE_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// 文本字段: the bounds of one free-text field — the Chinese name messages use, the most
/// characters it holds, and whether it is a multi-line field (notes, minutes, findings),
/// where line breaks and tabs belong. Every other control character is refused, never
/// silently removed: the clerk sees what was wrong. The limits themselves are in
/// [`crate::bounds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextField {
    /// 字段名称, e.g. "走访情况".
    pub label: &'static str,
    /// 最多字数 (characters, not bytes: a Chinese character counts one).
    pub max_chars: usize,
    /// 可分行 (a multi-line field).
    pub multiline: bool,
}

impl TextField {
    /// A single-line field of at most `max_chars` characters.
    pub const fn line(label: &'static str, max_chars: usize) -> Self {
        Self {
            label,
            max_chars,
            multiline: false,
        }
    }

    /// A multi-line field (line breaks and tabs allowed) of at most `max_chars` characters.
    pub const fn lines(label: &'static str, max_chars: usize) -> Self {
        Self {
            label,
            max_chars,
            multiline: true,
        }
    }

    /// Checks `s` as it will be stored; surrounding whitespace does not count towards the
    /// length. An empty value passes (see [`TextField::check_required`]).
    pub fn check(&self, s: &str) -> Result<(), FieldError> {
        let t = s.trim();
        let label = self.label;
        // A UTF-8 character is at most 4 bytes: a longer text is refused before counting.
        let n = if t.len() > self.max_chars * 4 {
            None
        } else {
            Some(t.chars().count())
        };
        if n.is_none_or(|n| n > self.max_chars) {
            let now = n.map_or_else(String::new, |n| format!("，现为{n}个字"));
            return Err(FieldError::new(format!(
                "{label}过长：最多{}个字{now}",
                self.max_chars
            )));
        }
        let bad = t
            .chars()
            .position(|c| is_forbidden(c) && !(self.multiline && matches!(c, '\n' | '\r' | '\t')));
        if let Some(i) = bad {
            let what = if self.multiline {
                "控制字符"
            } else {
                "换行或控制字符"
            };
            return Err(FieldError::new(format!(
                "{label}第{}个字是{what}，请删除后重试",
                i + 1
            )));
        }
        Ok(())
    }

    /// [`TextField::check`], and not empty.
    pub fn check_required(&self, s: &str) -> Result<(), FieldError> {
        if s.trim().is_empty() {
            return Err(FieldError::new(format!("请填写{}", self.label)));
        }
        self.check(s)
    }

    /// Checks and pushes the problem, if any, to `out`.
    pub fn check_into(&self, s: &str, out: &mut Vec<FieldError>) {
        if let Err(e) = self.check(s) {
            out.push(e);
        }
    }

    /// The value as stored: trimmed, Windows line breaks (what a browser's text area
    /// sends) as "\n", checked.
    pub fn parse(&self, s: &str) -> Result<String, FieldError> {
        self.check(s)?;
        let t = s.trim();
        Ok(if self.multiline && t.contains('\r') {
            t.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            t.to_owned()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_digits_and_letters() {
        assert_eq!(fold_width("　５２０３２２Ｘ "), "520322X");
        assert_eq!(fold_width("桐梓县"), "桐梓县");
    }

    const NOTE: TextField = TextField::lines("走访情况", 10);
    const NAME: TextField = TextField::line("单位", 10);

    #[test]
    fn a_field_is_bounded_in_characters_not_bytes() {
        assert!(
            NAME.check("县农业农村局乡村振兴").is_ok(),
            "ten Chinese characters"
        );
        let e = NAME.check("县农业农村局乡村振兴办").unwrap_err();
        assert_eq!(e.message, "单位过长：最多10个字，现为11个字");
        // Far too long: refused without counting, the message still names the field.
        let e = NOTE.check(&"难".repeat(600_000)).unwrap_err();
        assert!(e.message.starts_with("走访情况过长：最多10个字"), "{e}");
        assert!(
            NAME.check("  县农业农村局乡村振兴  ").is_ok(),
            "blanks around do not count"
        );
    }

    #[test]
    fn control_characters_are_refused_line_breaks_only_where_multi_line() {
        assert!(NOTE.check("第一行\r\n第二行\t完").is_ok());
        let e = NAME.check("第一行\n第二行").unwrap_err();
        assert!(e.message.contains("第4个字是换行或控制字符"), "{e}");
        for bad in [
            "\u{1b}[2J清屏",
            "响铃\u{7}",
            "\u{9b}31m",
            "反向\u{202E}文字",
            "隔离\u{2066}",
        ] {
            assert!(NOTE.check(bad).is_err(), "{bad:?}");
            assert!(NAME.check(bad).is_err(), "{bad:?}");
        }
        // Ordinary CJK text, the middle dot of minority names, full-width punctuation.
        assert!(NAME.check("阿依古丽·买买提").is_ok());
        assert!(NOTE.check("（核实）：≥5千元").is_ok());
        assert_eq!(NAME.check_required(" ").unwrap_err().message, "请填写单位");
    }

    #[test]
    fn parse_trims_and_folds_windows_line_breaks() {
        assert_eq!(NOTE.parse(" 甲\r\n乙\r丙 ").unwrap(), "甲\n乙\n丙");
        assert_eq!(NAME.parse(" 红星村 ").unwrap(), "红星村");
    }

    #[test]
    fn quoted_values_are_short_and_harmless() {
        assert_eq!(quoted("\u{1b}[2J"), "\u{FFFD}[2J");
        let long = quoted(&"一".repeat(1000));
        assert_eq!(long.chars().count(), 21);
        assert!(long.ends_with('…'));
        assert_eq!(quoted("520322"), "520322");
    }
}
