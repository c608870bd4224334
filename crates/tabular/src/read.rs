//! Reading a spreadsheet file into a [`Table`] — or row by row through a [`RowStream`] — the
//! header row, then every non-blank data row with its true spreadsheet row number. Owns the file-level concerns of an import — format
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
    #[error("CSV文件第{row}行格式错误：{message}")]
    Csv { row: usize, message: String },
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

/// Reads a CSV or XLSX file (chosen by extension) into memory. `sheet` names the
/// worksheet of a workbook; the first sheet is read when it is `None`. CSV files ignore
/// `sheet`. For very large CSV files prefer [`RowStream`], which never holds every row.
pub fn read_table(path: &Path, sheet: Option<&str>) -> Result<Table, ReadError> {
    let mut stream = RowStream::open(path, sheet)?;
    if let Source::Rows(rows) = &mut stream.source {
        return Ok(Table {
            source_note: stream.source_note,
            headers: stream.headers,
            rows: std::mem::take(rows).collect(),
        });
    }
    collect(stream)
}

/// Reads CSV from memory (see [`RowStream::from_csv_bytes`] for the encodings). A header
/// row of only blanks gives empty `headers`.
pub fn read_csv_bytes(bytes: &[u8]) -> Result<Table, ReadError> {
    collect(RowStream::from_csv_bytes(bytes.to_vec())?)
}

/// Reads the rest of a stream into a [`Table`].
fn collect(mut stream: RowStream) -> Result<Table, ReadError> {
    let mut rows = Vec::new();
    while let Some(row) = stream.next_row()? {
        rows.push(row.clone());
    }
    Ok(Table {
        source_note: stream.source_note,
        headers: stream.headers,
        rows,
    })
}

/// A file read one row at a time: the header row first, then each non-blank data row in
/// turn. For CSV, one row buffer (and its cells' strings) is reused from row to row, so a
/// file of millions of rows costs no allocation per cell and is never all in memory as
/// cells. Workbooks are read whole by calamine and then handed out row by row.
pub struct RowStream {
    source_note: String,
    headers: Vec<String>,
    source: Source,
    /// The row [`RowStream::next_row`] hands out.
    current: Row,
}

enum Source {
    Csv(Box<CsvSource>),
    Rows(std::vec::IntoIter<Row>),
}

impl RowStream {
    /// Opens a CSV or workbook file (format by extension) and reads its header row.
    pub fn open(path: &Path, sheet: Option<&str>) -> Result<Self, ReadError> {
        if !path.exists() {
            return Err(ReadError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let format = Format::of(path).ok_or_else(|| ReadError::UnsupportedFormat {
            path: path.to_path_buf(),
        })?;
        let stream = match format {
            Format::Csv => {
                let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
                Self::from_csv_bytes(bytes)?
            }
            Format::Workbook => {
                let table = read_workbook(path, sheet)?;
                Self {
                    source_note: table.source_note,
                    headers: table.headers,
                    source: Source::Rows(table.rows.into_iter()),
                    current: Row::default(),
                }
            }
        };
        if stream.headers.iter().all(String::is_empty) {
            return Err(ReadError::NoHeader {
                path: path.to_path_buf(),
            });
        }
        Ok(stream)
    }

    /// CSV held in memory: strips a UTF-8 BOM, reads UTF-8 when the bytes are valid UTF-8
    /// and GB18030 otherwise (UTF-16 with a BOM, as Excel's “Unicode 文本”, is also
    /// accepted, tab-separated or not). The source note says which encoding was read.
    ///
    /// The encoding is decided on the first mebibyte; every record is still checked as
    /// UTF-8 as it is read, so a file that changes encoding further down is refused with
    /// the line, never read as garbled text.
    pub fn from_csv_bytes(bytes: Vec<u8>) -> Result<Self, ReadError> {
        let (text, skip, encoding) = if bytes.starts_with(b"\xEF\xBB\xBF") {
            (bytes, 3, "UTF-8")
        } else if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            let (decoded, _, _) = encoding_rs::UTF_16LE.decode(&bytes);
            (decoded.into_owned().into_bytes(), 0, "UTF-16")
        } else if looks_like_utf8(&bytes) {
            (bytes, 0, "UTF-8")
        } else {
            let (decoded, _) = encoding_rs::GB18030.decode_without_bom_handling(&bytes);
            (decoded.into_owned().into_bytes(), 0, "GB18030")
        };
        let delimiter = sniff_delimiter(&text[skip..]);
        let source_note = if delimiter == b'\t' {
            format!("制表符分隔文本，{encoding}编码")
        } else {
            format!("CSV，{encoding}编码")
        };
        let mut cursor = std::io::Cursor::new(text);
        cursor.set_position(skip as u64);
        let mut csv = CsvSource {
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(cursor),
            skip,
            record: csv::StringRecord::new(),
            number: 0,
            spare: Vec::new(),
        };
        let mut headers = Vec::new();
        if csv.next_record()? {
            headers = csv.record.iter().map(clean_header).collect();
            trim_trailing_empty(&mut headers);
        }
        Ok(Self {
            source_note,
            headers,
            source: Source::Csv(Box::new(csv)),
            current: Row::default(),
        })
    }

    /// 来源说明: format and encoding read, e.g. "CSV，GB18030编码".
    pub fn source_note(&self) -> &str {
        &self.source_note
    }

    /// 表头 by column position, cleaned as in [`Table::headers`].
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The next non-blank data row, or `None` at the end of the file. The row is valid
    /// until the next call (its buffer is reused).
    pub fn next_row(&mut self) -> Result<Option<&Row>, ReadError> {
        let filled = match &mut self.source {
            Source::Csv(csv) => csv.fill(&mut self.current)?,
            Source::Rows(rows) => rows.next().map(|r| self.current = r).is_some(),
        };
        Ok(filled.then_some(&self.current))
    }

    /// Replaces the contents of `batch` with up to `max` next rows (none at the end of the
    /// file), reusing the rows already in it: the way to hand rows to another thread.
    pub fn next_batch(&mut self, batch: &mut Vec<Row>, max: usize) -> Result<(), ReadError> {
        match &mut self.source {
            Source::Csv(csv) => {
                let mut n = 0;
                while n < max {
                    if n == batch.len() {
                        batch.push(Row::default());
                    }
                    if !csv.fill(&mut batch[n])? {
                        break;
                    }
                    n += 1;
                }
                batch.truncate(n);
            }
            Source::Rows(rows) => {
                batch.clear();
                batch.extend(rows.by_ref().take(max));
            }
        }
        Ok(())
    }
}

/// The CSV side of a [`RowStream`].
struct CsvSource {
    reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
    /// Bytes of a BOM skipped before the reader's first byte.
    skip: usize,
    /// Checked as UTF-8 once per record; its fields are then read without checking again.
    record: csv::StringRecord,
    /// Spreadsheet row number of the last record read (0 before the header).
    number: usize,
    /// Strings of cells that became empty, kept for reuse.
    spare: Vec<String>,
}

impl CsvSource {
    /// Reads the next record into `self.record` and advances `self.number` to its row.
    ///
    /// The csv reader skips blank lines, which a spreadsheet shows as rows. A record's
    /// position is where the previous one ended (before its line break), so the line breaks
    /// from there to its first byte are one terminator plus the blank rows between.
    fn next_record(&mut self) -> Result<bool, ReadError> {
        let more = self
            .reader
            .read_record(&mut self.record)
            .map_err(|e| csv_error(e, self.number + 1))?;
        if !more {
            return Ok(false);
        }
        let start = self
            .record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(0);
        let text = self.reader.get_ref().get_ref();
        let breaks = line_breaks_at(text.get(self.skip + start..).unwrap_or_default());
        self.number += if self.number == 0 {
            breaks + 1
        } else {
            breaks.max(1)
        };
        Ok(true)
    }

    /// Reads the next non-blank record into `row`, reusing its cells' strings. False at
    /// the end of the file.
    fn fill(&mut self, row: &mut Row) -> Result<bool, ReadError> {
        while self.next_record()? {
            row.number = self.number;
            let cells = &mut row.cells;
            let mut any = false;
            for (i, field) in self.record.iter().enumerate() {
                let text = trim(field);
                any |= !text.is_empty();
                match cells.get_mut(i) {
                    Some(cell) => assign(cell, text, &mut self.spare),
                    None => {
                        let mut cell = Cell::Empty;
                        assign(&mut cell, text, &mut self.spare);
                        cells.push(cell);
                    }
                }
            }
            while cells.len() > self.record.len() {
                if let Some(Cell::Text(s)) = cells.pop() {
                    self.spare.push(s);
                }
            }
            if any {
                while cells.last().is_some_and(Cell::is_empty) {
                    cells.pop();
                }
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// A CSV reading error in words a clerk can act on, at spreadsheet row `row`.
fn csv_error(e: csv::Error, row: usize) -> ReadError {
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "含有不是UTF-8编码的字符（文件前部是UTF-8编码）：\
             请将整个文件另存为“CSV UTF-8”或GBK编码的CSV后重新导入"
            .to_owned(),
        csv::ErrorKind::Io(err) => format!("读取失败：{err}"),
        _ => e.to_string(),
    };
    ReadError::Csv { row, message }
}

/// Trims blanks (ASCII, full-width and other Unicode spaces). The common field — starting
/// and ending with a visible ASCII character or a CJK character — costs a few byte checks:
/// every Unicode space is ASCII or starts with a byte below 0xE4 in UTF-8.
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let visible = |lead: u8| lead.is_ascii_graphic() || lead >= 0xE4;
    let first = b.first().copied();
    // The lead byte of the last character: skip back over continuation bytes (10xxxxxx).
    let last = b.iter().rev().take(4).find(|&&c| c & 0xC0 != 0x80).copied();
    match (first, last) {
        (Some(f), Some(l)) if visible(f) && visible(l) => s,
        _ => s.trim(),
    }
}

/// Sets a reused cell to `text` (already trimmed), keeping string buffers for reuse.
fn assign(cell: &mut Cell, text: &str, spare: &mut Vec<String>) {
    if text.is_empty() {
        if let Cell::Text(s) = std::mem::take(cell) {
            spare.push(s);
        }
    } else if let Cell::Text(s) = cell {
        s.clear();
        s.push_str(text);
    } else {
        let mut s = spare.pop().unwrap_or_default();
        s.clear();
        s.push_str(text);
        *cell = Cell::Text(s);
    }
}

/// Whether the text is UTF-8, judged on its first mebibyte (a character cut at the end of
/// that prefix does not count against it). Checking the whole of a file of several hundred
/// megabytes would cost as much as parsing it; [`CsvSource`] checks each record anyway.
fn looks_like_utf8(bytes: &[u8]) -> bool {
    let prefix = &bytes[..bytes.len().min(1 << 20)];
    match std::str::from_utf8(prefix) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && prefix.len() < bytes.len(),
    }
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
    fn leading_blank_lines_move_the_header_down() {
        let t = read_csv_bytes(b"\n\na,b\n1,2\n").unwrap();
        assert_eq!(t.headers, vec!["a", "b"]);
        assert_eq!(t.rows[0].number, 4);
    }

    #[test]
    fn utf16_tab_separated_text_from_excel() {
        let text = "户编号\t村代码\r\nH1\t520322101001\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let t = read_csv_bytes(&bytes).unwrap();
        assert_eq!(t.source_note, "制表符分隔文本，UTF-16编码");
        assert_eq!(t.headers, vec!["户编号", "村代码"]);
        assert_eq!(t.rows[0].cells[1], Cell::Text("520322101001".into()));
    }

    #[test]
    fn streaming_reuses_the_row_and_batches_agree() {
        let text = "a,b,c\nx,,z\n,,\n1,2\n,y\n";
        let mut stream = RowStream::from_csv_bytes(text.as_bytes().to_vec()).unwrap();
        let mut seen = Vec::new();
        while let Some(row) = stream.next_row().unwrap() {
            seen.push(row.clone());
        }
        let table = read_csv_bytes(text.as_bytes()).unwrap();
        assert_eq!(seen, table.rows);
        assert_eq!(
            seen.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![2, 4, 5]
        );
        assert_eq!(seen[2].cells, vec![Cell::Empty, Cell::Text("y".into())]);

        let mut stream = RowStream::from_csv_bytes(text.as_bytes().to_vec()).unwrap();
        let mut batch = Vec::new();
        let mut batched = Vec::new();
        loop {
            stream.next_batch(&mut batch, 2).unwrap();
            if batch.is_empty() {
                break;
            }
            batched.extend(batch.iter().cloned());
        }
        assert_eq!(batched, table.rows);
    }

    #[test]
    fn headers_are_cleaned() {
        let t = read_csv_bytes("\u{FEFF}\u{3000}户编号 ,\"村代码\n\",,\n".as_bytes()).unwrap();
        assert_eq!(t.headers, vec!["户编号", "村代码"]);
        assert!(t.rows.is_empty());
    }
}

#[cfg(test)]
mod trim_tests {
    use super::*;

    #[test]
    fn trims_every_kind_of_blank() {
        for (raw, want) in [
            ("张三", "张三"),
            (" 张三\u{3000}", "张三"),
            ("\u{3000}张三", "张三"),
            ("\u{a0}x\u{2003}", "x"),
            ("a b", "a b"),
            ("\t1\r", "1"),
            ("", ""),
            ("  ", ""),
            ("é", "é"),
        ] {
            assert_eq!(trim(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn utf8_is_judged_on_a_prefix_but_checked_throughout() {
        assert!(looks_like_utf8("户编号".as_bytes()));
        let mut big = vec![b'a'; (1 << 20) - 1];
        big.extend_from_slice("户".as_bytes());
        assert!(
            looks_like_utf8(&big),
            "a character cut by the prefix is fine"
        );
        let mut text = b"a,b\n".repeat(300_000);
        text.extend_from_slice(b"\xD5\xC5,1\n");
        let e = read_csv_bytes(&text).unwrap_err();
        assert!(e.to_string().contains("第300001行"), "{e}");
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }
}
