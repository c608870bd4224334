//! Reading a spreadsheet file into a [`Table`]: the header row, then every non-blank data row
//! with its true spreadsheet row number. Owns the file-level concerns of an import — format
//! by extension, text encoding of CSV (UTF-8 with or without BOM, GB18030 as saved by Chinese
//! Excel), and turning XLSX cells (numbers, Excel dates, booleans) into [`Cell`]s. Knows
//! nothing of templates: mapping headers to columns and typing values is [`crate::parse`].

use chrono::NaiveDate;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One cell as the file holds it. Text is trimmed; blank text is [`Cell::Empty`].
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cell {
    /// 空单元格
    #[default]
    Empty,
    /// 文本 — every CSV cell, and XLSX text cells.
    Text(String),
    /// 数值 — an XLSX number cell (a code typed without text format lands here too).
    Number(f64),
    /// 日期 — an XLSX cell with a date format.
    Date(NaiveDate),
    /// 逻辑值 — an XLSX TRUE/FALSE cell.
    Bool(bool),
}

impl Cell {
    /// Whether the cell holds nothing.
    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    /// The cell as text, the way a clerk sees it: numbers without a trailing ".0"
    /// (a village code 520322101001 stored as a number stays "520322101001"), dates as
    /// YYYY-MM-DD, logical values as TRUE/FALSE.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Number(v) => Cow::Owned(number_text(*v)),
            Cell::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
            Cell::Bool(true) => Cow::Borrowed("TRUE"),
            Cell::Bool(false) => Cow::Borrowed("FALSE"),
        }
    }
}

/// A float as a spreadsheet shows it: whole numbers without decimals.
fn number_text(v: f64) -> String {
    let mut s = String::new();
    if v.fract() == 0.0 && v.abs() < 1e17 {
        let _ = write!(s, "{v:.0}");
    } else {
        let _ = write!(s, "{v}");
    }
    s
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    /// 行号 as the spreadsheet shows it: the header is row 1, the first data row 2. Blank
    /// rows are dropped from [`Table::rows`] but still counted, so numbers stay true.
    pub number: usize,
    /// Cells by column position (A = 0). May be shorter than the header row.
    pub cells: Vec<Cell>,
}

impl Row {
    /// The cell at column `index`, [`Cell::Empty`] beyond the end of the row.
    pub fn cell(&self, index: usize) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        self.cells.get(index).unwrap_or(&EMPTY)
    }
}

/// A sheet read from a file: its header row and its non-blank data rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// 来源说明 — format and encoding actually read, e.g. "CSV，GB18030编码" or
    /// "XLSX，工作表“户信息”", shown in the import report.
    pub source_note: String,
    /// 表头 by column position (A = 0), trimmed of spaces, full-width spaces and a BOM.
    /// A column without a header is an empty string.
    pub headers: Vec<String>,
    /// 数据行, header excluded, blank rows skipped.
    pub rows: Vec<Row>,
}

/// Why a file could not be read at all (as opposed to problems in its rows).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("找不到文件：{}", .path.display())]
    NotFound { path: PathBuf },
    #[error("无法读取文件{}：{source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("不支持的文件格式：{}（请使用CSV或XLSX文件）", .path.display())]
    UnsupportedFormat { path: PathBuf },
    #[error("工作簿中没有名为“{sheet}”的工作表（现有工作表：{}）", .available.join("、"))]
    SheetNotFound {
        sheet: String,
        available: Vec<String>,
    },
    #[error("文件{}是空的：没有表头行", .path.display())]
    NoHeader { path: PathBuf },
    #[error("CSV文件第{line}行格式错误：{message}")]
    Csv { line: u64, message: String },
    #[error("无法打开Excel文件{}：{message}（文件可能已损坏或设置了密码）", .path.display())]
    Workbook { path: PathBuf, message: String },
}

/// The spreadsheet formats an import accepts, decided by the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// .csv (also .txt saved by Excel as “Unicode 文本”, tab-separated)
    Csv,
    /// .xlsx / .xlsm / .xls / .xlsb / .ods, read with calamine
    Workbook,
}

impl Format {
    /// The format of `path` by its extension, if supported.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Some(Format::Csv),
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => Some(Format::Workbook),
            _ => None,
        }
    }
}

/// Reads a CSV or XLSX file (chosen by extension). `sheet` names the worksheet of a
/// workbook; the first sheet is read when it is `None`. CSV files ignore `sheet`.
pub fn read_table(path: &Path, sheet: Option<&str>) -> Result<Table, ReadError> {
    if !path.exists() {
        return Err(ReadError::NotFound {
            path: path.to_path_buf(),
        });
    }
    let format = Format::of(path).ok_or_else(|| ReadError::UnsupportedFormat {
        path: path.to_path_buf(),
    })?;
    let table = match format {
        Format::Csv => {
            let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            read_csv_bytes(&bytes)?
        }
        Format::Workbook => read_workbook(path, sheet)?,
    };
    if table.headers.iter().all(String::is_empty) {
        return Err(ReadError::NoHeader {
            path: path.to_path_buf(),
        });
    }
    Ok(table)
}

/// Reads CSV from memory: strips a UTF-8 BOM, reads UTF-8 when the bytes are valid UTF-8
/// and GB18030 otherwise (UTF-16 with a BOM, as Excel's “Unicode 文本”, is also accepted).
/// A header row of only blanks gives empty `headers`; [`read_table`] reports that.
pub fn read_csv_bytes(bytes: &[u8]) -> Result<Table, ReadError> {
    let (text, encoding): (Cow<'_, [u8]>, &str) =
        if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
            (Cow::Borrowed(rest), "UTF-8")
        } else if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            let (decoded, _, _) = encoding_rs::UTF_16LE.decode(bytes);
            (Cow::Owned(decoded.into_owned().into_bytes()), "UTF-16")
        } else if std::str::from_utf8(bytes).is_ok() {
            (Cow::Borrowed(bytes), "UTF-8")
        } else {
            let (decoded, _) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            (Cow::Owned(decoded.into_owned().into_bytes()), "GB18030")
        };
    let delimiter = sniff_delimiter(&text);
    let mut table = parse_csv(&text, delimiter)?;
    table.source_note = if delimiter == b'\t' {
        format!("制表符分隔文本，{encoding}编码")
    } else {
        format!("CSV，{encoding}编码")
    };
    Ok(table)
}

/// Comma, unless the first line has tabs and no commas (Excel's “Unicode 文本”).
fn sniff_delimiter(text: &[u8]) -> u8 {
    let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
    if !first.contains(&b',') && first.contains(&b'\t') {
        b'\t'
    } else {
        b','
    }
}

fn parse_csv(text: &[u8], delimiter: u8) -> Result<Table, ReadError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text);
    let mut record = csv::ByteRecord::new();
    let mut table = Table::default();
    // The csv reader skips blank lines; a spreadsheet shows each as a row. A record's
    // position is where the previous one ended (before its line break), so the line
    // breaks from there to the record's first byte are one terminator plus the blank rows.
    let mut number = 0usize;
    let mut have_header = false;
    loop {
        let more = rdr
            .read_byte_record(&mut record)
            .map_err(|e| ReadError::Csv {
                line: e.position().map_or(0, csv::Position::line),
                message: e.to_string(),
            })?;
        if !more {
            break;
        }
        let start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(0);
        let breaks = line_breaks_at(text.get(start..).unwrap_or_default());
        number += if have_header {
            breaks.max(1)
        } else {
            breaks + 1
        };
        if !have_header {
            have_header = true;
            table.headers = record.iter().map(|f| clean_header(&utf8(f))).collect();
            trim_trailing_empty(&mut table.headers);
            continue;
        }
        let mut cells = Vec::with_capacity(record.len());
        let mut any = false;
        for field in &record {
            let cell = text_cell(&utf8(field));
            any |= !cell.is_empty();
            cells.push(cell);
        }
        if any {
            trim_trailing_empty_cells(&mut cells);
            table.rows.push(Row { number, cells });
        }
    }
    Ok(table)
}

/// Line breaks (CRLF, LF or CR) at the start of `bytes`.
fn line_breaks_at(bytes: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'\r' | b'\n' => i += 1,
            _ => break,
        }
        n += 1;
    }
    n
}

fn utf8(field: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(field)
}

/// Trimmed text, or [`Cell::Empty`] when only blanks (ASCII or full-width) remain.
fn text_cell(s: &str) -> Cell {
    let t = s.trim();
    if t.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(t.to_owned())
    }
}

/// A header as matched against a template: BOM, surrounding blanks and line breaks removed.
pub(crate) fn clean_header(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}')
        .to_owned()
}

fn trim_trailing_empty(headers: &mut Vec<String>) {
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
}

fn trim_trailing_empty_cells(cells: &mut Vec<Cell>) {
    while cells.last().is_some_and(Cell::is_empty) {
        cells.pop();
    }
}

fn read_workbook(path: &Path, sheet: Option<&str>) -> Result<Table, ReadError> {
    use calamine::Reader as _;
    let workbook_error = |message: String| ReadError::Workbook {
        path: path.to_path_buf(),
        message,
    };
    let mut workbook =
        calamine::open_workbook_auto(path).map_err(|e| workbook_error(e.to_string()))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted || n.trim() == wanted.trim())
            .cloned()
            .ok_or_else(|| ReadError::SheetNotFound {
                sheet: wanted.to_owned(),
                available: names.clone(),
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| workbook_error("工作簿中没有工作表".to_owned()))?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| workbook_error(e.to_string()))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("xlsx")
        .to_ascii_uppercase();
    let mut table = Table {
        source_note: format!("{ext}，工作表“{name}”"),
        ..Table::default()
    };
    let Some((first_row, first_col)) = range.start() else {
        return Ok(table);
    };
    // calamine's range begins at the first used cell; pad back to column A and count rows
    // from the top of the sheet so that letters and numbers match what Excel shows.
    let pad = first_col as usize;
    let mut rows = range.rows();
    if let Some(header) = rows.next() {
        table.headers = std::iter::repeat_n(String::new(), pad)
            .chain(
                header
                    .iter()
                    .map(|d| clean_header(&workbook_cell(d).text())),
            )
            .collect();
        trim_trailing_empty(&mut table.headers);
    }
    for (i, data) in rows.enumerate() {
        let mut cells = Vec::with_capacity(pad + data.len());
        cells.resize(pad, Cell::Empty);
        let mut any = false;
        for d in data {
            let cell = workbook_cell(d);
            any |= !cell.is_empty();
            cells.push(cell);
        }
        if any {
            trim_trailing_empty_cells(&mut cells);
            table.rows.push(Row {
                number: first_row as usize + i + 2,
                cells,
            });
        }
    }
    Ok(table)
}

/// A calamine cell as a [`Cell`]: date-formatted numbers become dates, error values
/// (#N/A, #VALUE!…) become their text so that the row is reported, not silently blank.
fn workbook_cell(d: &calamine::Data) -> Cell {
    use calamine::Data;
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => text_cell(s),
        Data::Float(v) => Cell::Number(*v),
        Data::Int(v) => Cell::Number(*v as f64),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
                    .map_or(Cell::Number(dt.as_f64()), Cell::Date)
            } else {
                Cell::Number(dt.as_f64())
            }
        }
        Data::DateTimeIso(s) => s
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map_or_else(|| text_cell(s), Cell::Date),
        Data::DurationIso(s) => text_cell(s),
        Data::Error(e) => Cell::Text(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_show_without_trailing_zero() {
        assert_eq!(Cell::Number(520322101001.0).text(), "520322101001");
        assert_eq!(Cell::Number(2019.0).text(), "2019");
        assert_eq!(Cell::Number(1234.5).text(), "1234.5");
        assert_eq!(Cell::Number(-3.0).text(), "-3");
    }

    #[test]
    fn blank_lines_keep_row_numbers_true() {
        let t =
            read_csv_bytes("a,b\r\n1,2\r\n\r\n3,4\r\n ,\r\n5,\"x\ny\"\n6,7\n".as_bytes()).unwrap();
        let numbers: Vec<usize> = t.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, vec![2, 4, 6, 7]);
        assert_eq!(t.source_note, "CSV，UTF-8编码");
    }

    #[test]
    fn headers_are_cleaned() {
        let t = read_csv_bytes("\u{FEFF}\u{3000}户编号 ,\"村代码\n\",,\n".as_bytes()).unwrap();
        assert_eq!(t.headers, vec!["户编号", "村代码"]);
        assert!(t.rows.is_empty());
    }
}
