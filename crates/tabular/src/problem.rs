//! 问题报告: what an import found wrong, by row and column, in words a county clerk can act
//! on — and the masking of sensitive values (证件号码, 联系电话) whenever one is echoed back.
//! A [`Report`] renders as text for the terminal and as a CSV Excel opens directly.

use crate::spec::{Column, Kind};
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// One problem of an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 行号 as the spreadsheet shows it (header = 1).
    pub row: usize,
    /// 表头 as written in the file (or the template's header for a missing column).
    pub column: Option<String>,
    /// 列号 letter ("C"); none for a column the file lacks.
    pub column_letter: Option<String>,
    /// 单元格的值 — masked for sensitive columns.
    pub value: Option<String>,
    /// 问题说明, in Chinese.
    pub message: String,
}

impl Problem {
    /// A problem of a whole row (or of the file, at row 1).
    pub fn row(row: usize, message: impl Into<String>) -> Self {
        Self {
            row,
            column: None,
            column_letter: None,
            value: None,
            message: message.into(),
        }
    }

    /// A problem of one cell. `value` is masked here when `column` is sensitive, so that a
    /// caller cannot forget to.
    pub fn cell(
        row: usize,
        index: usize,
        header: &str,
        column: Option<&Column>,
        value: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        let value = value.filter(|v| !v.is_empty()).map(|v| match column {
            Some(c) if c.is_sensitive() => mask_value(c, v),
            _ => v.to_owned(),
        });
        Self {
            row,
            column: Some(header.to_owned()),
            column_letter: Some(column_letter(index)),
            value,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    /// `第5行 C列「证件号码」值“520322********123X”：证件号码校验位错误…`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第{}行", self.row)?;
        match (&self.column_letter, &self.column) {
            (Some(l), Some(c)) => write!(f, " {l}列「{c}」")?,
            (Some(l), None) => write!(f, " {l}列")?,
            (None, Some(c)) => write!(f, "「{c}」")?,
            (None, None) => {}
        }
        if let Some(v) = &self.value {
            write!(f, "值“{v}”")?;
        }
        write!(f, "：{}", self.message)
    }
}

/// The spreadsheet letter of a 0-based column index: 0 → "A", 25 → "Z", 26 → "AA".
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Masks a value of a sensitive column for display (PIPL): an 18-character 证件号码 keeps
/// its division and last four (520322********123X), an 11-digit 联系电话 its first three and
/// last four (138****5678); anything else keeps at most its first three and last two
/// characters around "****". Values of other columns are returned unchanged.
pub fn mask_value(column: &Column, value: &str) -> String {
    let chars: Vec<char> = value.trim().chars().collect();
    match column.kind {
        Kind::IdNumber if chars.len() == 18 => mask_chars(&chars, 6, 4, "********"),
        Kind::Phone if chars.len() == 11 => mask_chars(&chars, 3, 4, "****"),
        // Too short to show any of it.
        Kind::IdNumber | Kind::Phone if chars.len() <= 4 => "****".to_owned(),
        Kind::IdNumber | Kind::Phone => {
            let n = chars.len();
            mask_chars(&chars, 3.min(n / 3), 2.min(n / 4), "****")
        }
        _ => value.to_owned(),
    }
}

fn mask_chars(chars: &[char], front: usize, back: usize, stars: &str) -> String {
    let mut out: String = chars[..front].iter().collect();
    out.push_str(stars);
    out.extend(&chars[chars.len() - back..]);
    out
}

/// 导入问题报告: every problem of a rejected file, and the warnings of an accepted one
/// (unknown columns ignored, …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// 来源说明 of the file read, e.g. "CSV，GB18030编码".
    pub source_note: String,
    pub problems: Vec<Problem>,
    /// 提示 — reported, not blocking.
    pub warnings: Vec<String>,
    /// 同义词映射 — department words read as template values, with their rows.
    pub mapped: Vec<crate::synonyms::Mapped>,
}

impl Report {
    /// Whether the file may be imported: no problems (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The report as text for a terminal, listing at most `max_problems` problems (the
    /// CSV from [`Report::write_csv`] always has them all).
    pub fn render_text(&self, max_problems: usize) -> String {
        let mut out = String::new();
        if !self.source_note.is_empty() {
            out.push_str(&format!("读取：{}\n", self.source_note));
        }
        for w in &self.warnings {
            out.push_str(&format!("提示：{w}\n"));
        }
        for m in &self.mapped {
            out.push_str(&format!("按同义词读取：{m}\n"));
        }
        if self.problems.is_empty() {
            out.push_str("未发现问题。\n");
            return out;
        }
        out.push_str(&format!(
            "发现{}个问题，整个文件未导入。请逐条修改后重新导入：\n",
            self.problems.len()
        ));
        for p in self.problems.iter().take(max_problems) {
            out.push_str(&format!("  {p}\n"));
        }
        if self.problems.len() > max_problems {
            out.push_str(&format!(
                "  ……另有{}个问题未列出，完整清单请导出问题报告（CSV）。\n",
                self.problems.len() - max_problems
            ));
        }
        out
    }

    /// Writes the report as CSV (UTF-8 with BOM, so that Excel opens it directly): one
    /// line per problem and per warning.
    pub fn write_csv(&self, path: &Path) -> io::Result<()> {
        // Values from the file are echoed: the report is personal data like the file.
        let file = crate::write::create_private(path)?;
        self.write_csv_to(io::BufWriter::new(file))
    }

    /// [`Report::write_csv`] into any writer.
    pub fn write_csv_to<W: Write>(&self, mut out: W) -> io::Result<()> {
        out.write_all(b"\xEF\xBB\xBF")?;
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["类别", "行号", "列", "表头", "值", "说明"])?;
        for p in &self.problems {
            let row = p.row.to_string();
            let value = p.value.as_deref().map(defuse_formula);
            w.write_record([
                "问题",
                row.as_str(),
                p.column_letter.as_deref().unwrap_or(""),
                p.column.as_deref().unwrap_or(""),
                value.as_deref().unwrap_or(""),
                p.message.as_str(),
            ])?;
        }
        for warning in &self.warnings {
            w.write_record(["提示", "", "", "", "", warning.as_str()])?;
        }
        w.flush()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_text(usize::MAX))
    }
}

/// A value echoed into a CSV that Excel will open must not start a formula
/// (`=HYPERLINK(…)` typed into an address cell): such values get a leading apostrophe,
/// as in every export ([`crate::write::quote_csv`]). Control characters (a terminal
/// escape in a refused name) are shown as "�", line breaks kept.
fn defuse_formula(v: &str) -> String {
    let shown: String = v
        .chars()
        .map(|c| match c {
            '\n' => c,
            c if domain::text::is_forbidden(c) => '\u{FFFD}',
            c => c,
        })
        .collect();
    crate::write::quote_csv(&shown).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{HOUSEHOLDS, MEMBERS};

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(2), "C");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn masking() {
        let id = MEMBERS.column("id_number").unwrap();
        let phone = HOUSEHOLDS.column("phone").unwrap();
        let name = MEMBERS.column("name").unwrap();
        assert_eq!(mask_value(id, "52032219900101123X"), "520322********123X");
        assert_eq!(mask_value(id, "5203221990010112"), "520****12");
        assert_eq!(mask_value(id, "1234"), "****");
        assert_eq!(mask_value(phone, "13812345678"), "138****5678");
        assert_eq!(mask_value(phone, "1381234567"), "138****67");
        assert_eq!(mask_value(name, "张三"), "张三");
    }

    #[test]
    fn display_and_csv() {
        let id = MEMBERS.column("id_number").unwrap();
        let p = Problem::cell(
            5,
            2,
            "证件号码",
            Some(id),
            Some("52032219900101123X"),
            "证件号码校验位错误",
        );
        assert_eq!(
            p.to_string(),
            "第5行 C列「证件号码」值“520322********123X”：证件号码校验位错误"
        );
        let missing = Problem {
            column: Some("户编号".into()),
            ..Problem::row(1, "缺少必填列")
        };
        assert_eq!(missing.to_string(), "第1行「户编号」：缺少必填列");
        let report = Report {
            source_note: "CSV，UTF-8编码".into(),
            problems: vec![p, missing],
            warnings: vec!["未知列「备注」已忽略".into()],
            ..Report::default()
        };
        let text = report.render_text(1);
        assert!(text.contains("发现2个问题"), "{text}");
        assert!(text.contains("另有1个问题未列出"), "{text}");
        let mut buf = Vec::new();
        report.write_csv_to(&mut buf).unwrap();
        let csv = String::from_utf8(buf).unwrap();
        assert!(csv.starts_with("\u{FEFF}类别,行号,列,表头,值,说明"));
        assert!(csv.contains("问题,5,C,证件号码,520322********123X,证件号码校验位错误"));
        assert!(!csv.contains("19900101"));
        assert_eq!(defuse_formula("=1+1"), "'=1+1");
        assert_eq!(defuse_formula("-300"), "-300");
        assert_eq!(defuse_formula("\u{1b}[2J王五"), "\u{FFFD}[2J王五");
        assert_eq!(defuse_formula("\t=1"), "\u{FFFD}=1");
    }
}
