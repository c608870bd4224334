//! Reading a spreadsheet file into a [`Table`] — or row by row through a [`RowStream`] — the
//! header row, then every non-blank data row with its true spreadsheet row number. Owns the
//! file-level concerns of an import — format by extension confirmed by content, text
//! encoding of CSV (UTF-8 with or without BOM, GB18030 as saved by Chinese Excel), the
//! [`Limits`] of every file, and turning cells into [`Cell`]s (workbooks through
//! [`crate::workbook`]). Knows nothing of templates: mapping headers to columns and typing
//! values is [`crate::parse`].

use crate::limits::{Limits, bytes_text, grouped};
use crate::problem::{Problem, column_letter};
use crate::workbook::{self, Content, SheetRows, check_cell_text};
use chrono::NaiveDate;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{Read, Seek, SeekFrom};
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

/// Why a file could not be read at all (as opposed to problems in its rows). Every
/// message is Chinese; one about a cell names its row and column.
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
    /// 未经测试的格式 — a spreadsheet format that is known but not read.
    #[error(
        "不支持{kind}：{}。请在Excel或WPS中“另存为”Excel工作簿（.xlsx）或“CSV UTF-8（逗号分隔）”后重新导入",
        .path.display()
    )]
    FormatNotAccepted { path: PathBuf, kind: &'static str },
    /// 内容与扩展名不符 — e.g. a workbook named .csv.
    #[error("文件{}的内容与扩展名不符：{message}", .path.display())]
    WrongContent { path: PathBuf, message: String },
    /// 超出导入限制 (crate::limits).
    #[error(
        "文件{}超出导入限制：{message}。如果确是正常数据，请在Excel中另存为“CSV UTF-8（逗号分隔）”后导入",
        .path.display()
    )]
    Limit { path: PathBuf, message: String },
    #[error("工作簿中没有名为“{sheet}”的工作表（现有工作表：{}）", .available.join("、"))]
    SheetNotFound {
        sheet: String,
        available: Vec<String>,
    },
    #[error("文件{}是空的：没有表头行", .path.display())]
    NoHeader { path: PathBuf },
    #[error("CSV文件第{row}行格式错误：{message}")]
    Csv { row: usize, message: String },
    /// A problem of one row (or one cell of it) that stops the whole file from being read.
    #[error("第{row}行{}：{message}", .column.map(|c| format!(" {}列", column_letter(c))).unwrap_or_default())]
    Content {
        /// 行号 as the spreadsheet shows it.
        row: usize,
        /// 列 by position (A = 0), when one cell is at fault.
        column: Option<usize>,
        message: String,
    },
    #[error("无法打开Excel文件{}：{message}（文件可能已损坏或设置了密码）", .path.display())]
    Workbook { path: PathBuf, message: String },
}

impl ReadError {
    /// Where in the file the error lies, when it concerns one row: (row, column).
    pub fn location(&self) -> Option<(usize, Option<usize>)> {
        match self {
            ReadError::Content { row, column, .. } => Some((*row, *column)),
            ReadError::Csv { row, .. } => Some((*row, None)),
            _ => None,
        }
    }

    /// The error as the one problem of a file's report: at its row and column when it
    /// concerns one, otherwise at row 1 (the file as a whole).
    pub fn to_problem(&self) -> Problem {
        match self {
            ReadError::Content {
                row,
                column,
                message,
            } => Problem {
                column_letter: column.map(column_letter),
                ..Problem::row(*row, message.clone())
            },
            _ => Problem::row(self.location().map_or(1, |(row, _)| row), self.to_string()),
        }
    }
}

/// The spreadsheet formats an import accepts, decided by the file extension and then
/// confirmed by the file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// .csv (also .txt saved by Excel as “Unicode 文本”, tab-separated)
    Csv,
    /// .xlsx (Office Open XML workbook)
    Xlsx,
}

impl Format {
    /// The format of `path` by its extension. Only formats with tests behind them are
    /// accepted: other spreadsheet formats (.xls, .xlsb, .ods, WPS's .et …) are refused
    /// with the advice to save the file as .xlsx or CSV.
    pub fn of(path: &Path) -> Result<Format, ReadError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let kind = match ext.as_str() {
            "csv" | "txt" => return Ok(Format::Csv),
            "xlsx" => return Ok(Format::Xlsx),
            "xls" => "旧版Excel工作簿（.xls）",
            "xlsm" => "启用宏的Excel工作簿（.xlsm）",
            "xlsb" => "Excel二进制工作簿（.xlsb）",
            "xlt" | "xltx" | "xltm" => "Excel模板",
            "ods" => "OpenDocument表格（.ods）",
            "et" | "ett" => "WPS表格（.et）",
            "numbers" => "Numbers表格（.numbers）",
            _ => {
                return Err(ReadError::UnsupportedFormat {
                    path: path.to_path_buf(),
                });
            }
        };
        Err(ReadError::FormatNotAccepted {
            path: path.to_path_buf(),
            kind,
        })
    }
}

/// Reads a CSV or XLSX file (chosen by extension) into memory. `sheet` names the
/// worksheet of a workbook; the first sheet is read when it is `None`. CSV files ignore
/// `sheet`. For very large files prefer [`RowStream`], which never holds every row.
pub fn read_table(path: &Path, sheet: Option<&str>) -> Result<Table, ReadError> {
    collect(RowStream::open(path, sheet)?)
}

/// Reads a file held in memory, as an upload named `name` (whose extension decides the
/// format), under `limits`: the entry point for fuzzing the whole reader.
pub fn read_bytes(
    name: &Path,
    bytes: Vec<u8>,
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<Table, ReadError> {
    collect(RowStream::from_bytes(name, bytes, sheet, limits)?)
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
/// cells. A workbook is checked first ([`crate::workbook`]) and its sheet then read as a
/// stream of cells on a thread of its own; neither holds more than a batch of rows.
pub struct RowStream {
    source_note: String,
    headers: Vec<String>,
    source: Source,
    limits: Limits,
    /// The row [`RowStream::next_row`] hands out.
    current: Row,
}

enum Source {
    Csv(Box<CsvSource>),
    Sheet(SheetRows),
}

impl RowStream {
    /// Opens a CSV or XLSX file (format by extension, confirmed by content) and reads its
    /// header row, under the standard [`Limits`].
    pub fn open(path: &Path, sheet: Option<&str>) -> Result<Self, ReadError> {
        Self::open_with(path, sheet, &Limits::STANDARD)
    }

    /// [`RowStream::open`] under other limits.
    pub fn open_with(path: &Path, sheet: Option<&str>, limits: &Limits) -> Result<Self, ReadError> {
        if !path.exists() {
            return Err(ReadError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let io = |source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let stream = match Format::of(path)? {
            Format::Csv => Self::csv(std::fs::read(path).map_err(io)?, path, limits)?,
            Format::Xlsx => {
                let file = std::fs::File::open(path).map_err(io)?;
                Self::xlsx(std::io::BufReader::new(file), path, sheet, limits)?
            }
        };
        stream.with_header(path)
    }

    /// A file held in memory, as an upload named `name` (its extension decides the
    /// format), read exactly as [`RowStream::open_with`] reads a file.
    pub fn from_bytes(
        name: &Path,
        bytes: Vec<u8>,
        sheet: Option<&str>,
        limits: &Limits,
    ) -> Result<Self, ReadError> {
        let stream = match Format::of(name)? {
            Format::Csv => Self::csv(bytes, name, limits)?,
            Format::Xlsx => Self::xlsx(std::io::Cursor::new(bytes), name, sheet, limits)?,
        };
        stream.with_header(name)
    }

    /// Refuses a file without a header row.
    fn with_header(self, path: &Path) -> Result<Self, ReadError> {
        if self.headers.iter().all(String::is_empty) {
            return Err(ReadError::NoHeader {
                path: path.to_path_buf(),
            });
        }
        Ok(self)
    }

    /// A workbook: its bytes must be a zip archive, which is checked, then its sheet read.
    fn xlsx<R: Read + Seek + Send + 'static>(
        mut reader: R,
        path: &Path,
        sheet: Option<&str>,
        limits: &Limits,
    ) -> Result<Self, ReadError> {
        let io = |source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut head = Vec::with_capacity(512);
        reader
            .by_ref()
            .take(512)
            .read_to_end(&mut head)
            .map_err(io)?;
        reader.seek(SeekFrom::Start(0)).map_err(io)?;
        let wrong = |message: &str| ReadError::WrongContent {
            path: path.to_path_buf(),
            message: message.to_owned(),
        };
        match Content::sniff(&head) {
            Content::Zip => {}
            Content::Empty => {
                return Err(ReadError::NoHeader {
                    path: path.to_path_buf(),
                });
            }
            Content::Ole => {
                return Err(wrong(
                    "内容是旧版Excel（.xls）文件，或是设置了打开密码的工作簿：请取消密码，另存为.xlsx后导入",
                ));
            }
            Content::Pdf => return Err(wrong("内容是PDF文件，不是Excel工作簿")),
            Content::Other if looks_like_text(&head) => {
                return Err(wrong(
                    "内容是文本，不是Excel工作簿：如果是CSV文件，请把扩展名改为.csv",
                ));
            }
            Content::Other => return Err(wrong("内容不是Excel工作簿（文件可能已损坏）")),
        }
        let opened = workbook::open(reader, path, sheet, limits)?;
        let source_note = format!("XLSX，工作表“{}”", opened.sheet);
        let mut rows = SheetRows::start(opened, path, limits)?;
        let headers = rows
            .next()?
            .map(|row| workbook::headers_of(&row))
            .unwrap_or_default();
        Ok(Self {
            source_note,
            headers,
            source: Source::Sheet(rows),
            limits: *limits,
            current: Row::default(),
        })
    }

    /// CSV held in memory: strips a UTF-8 BOM, reads UTF-8 when the bytes are valid UTF-8
    /// and GB18030 otherwise (UTF-16 with a BOM, as Excel's “Unicode 文本”, is also
    /// accepted, tab-separated or not). The source note says which encoding was read.
    ///
    /// The encoding is decided on the first mebibyte; every record is still checked as
    /// UTF-8 as it is read, so a file that changes encoding further down is refused with
    /// the line, never read as garbled text. Bytes that are neither UTF-8 nor GB18030 are
    /// refused with the row and column where they are.
    pub fn from_csv_bytes(bytes: Vec<u8>) -> Result<Self, ReadError> {
        Self::csv(bytes, Path::new(""), &Limits::STANDARD)
    }

    fn csv(bytes: Vec<u8>, path: &Path, limits: &Limits) -> Result<Self, ReadError> {
        let wrong = |message: &str| ReadError::WrongContent {
            path: path.to_path_buf(),
            message: message.to_owned(),
        };
        match Content::sniff(&bytes[..bytes.len().min(8)]) {
            Content::Zip => {
                return Err(wrong(
                    "内容是Excel工作簿（.xlsx）或其他压缩文件，不是CSV：如果是Excel工作簿，请把扩展名改为.xlsx",
                ));
            }
            Content::Ole => {
                return Err(wrong(
                    "内容是旧版Excel（.xls）文件，不是CSV：请在Excel中另存为“CSV UTF-8（逗号分隔）”后导入",
                ));
            }
            Content::Pdf => return Err(wrong("内容是PDF文件，不是CSV")),
            Content::Empty | Content::Other => {}
        }
        let (text, skip, encoding, garbled) = if bytes.starts_with(b"\xEF\xBB\xBF") {
            (bytes, 3, "UTF-8", None)
        } else if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            let (decoded, _, errors) = encoding_rs::UTF_16LE.decode(&bytes);
            let not = "文件不是有效的UTF-16编码";
            (
                decoded.into_owned().into_bytes(),
                0,
                "UTF-16",
                errors.then_some(not),
            )
        } else if looks_like_utf8(&bytes) {
            (bytes, 0, "UTF-8", None)
        } else {
            let (decoded, errors) = encoding_rs::GB18030.decode_without_bom_handling(&bytes);
            if errors && utf8_reaches_further(&bytes) {
                // Mostly UTF-8 with a few bad bytes: read as UTF-8, so that the first bad
                // byte is reported where it is (the csv reader checks every record).
                (bytes, 0, "UTF-8", None)
            } else {
                let not = "文件既不是有效的UTF-8编码，也不是有效的GB18030/GBK编码";
                (
                    decoded.into_owned().into_bytes(),
                    0,
                    "GB18030",
                    errors.then_some(not),
                )
            }
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
            limits: *limits,
            garbled,
        };
        let mut headers = Vec::new();
        if csv.next_record()? {
            headers = csv
                .record
                .iter()
                .take(limits.max_columns)
                .map(clean_header)
                .collect();
            trim_trailing_empty(&mut headers);
        }
        Ok(Self {
            source_note,
            headers,
            source: Source::Csv(Box::new(csv)),
            limits: *limits,
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
            Source::Sheet(rows) => rows.next()?.map(|r| self.current = r).is_some(),
        };
        Ok(filled.then_some(&self.current))
    }

    /// Replaces the contents of `batch` with up to `max` next rows (none at the end of the
    /// file), reusing the rows already in it: the way to hand rows to another thread. A
    /// batch also ends once it holds [`Limits::max_batch_bytes`] of text.
    pub fn next_batch(&mut self, batch: &mut Vec<Row>, max: usize) -> Result<(), ReadError> {
        let budget = self.limits.max_batch_bytes;
        let mut bytes = 0;
        match &mut self.source {
            Source::Csv(csv) => {
                let mut n = 0;
                while n < max && bytes < budget {
                    if n == batch.len() {
                        batch.push(Row::default());
                    }
                    if !csv.fill(&mut batch[n])? {
                        break;
                    }
                    bytes += workbook::row_bytes(&batch[n]);
                    n += 1;
                }
                batch.truncate(n);
            }
            Source::Sheet(rows) => {
                batch.clear();
                while batch.len() < max && bytes < budget {
                    let Some(row) = rows.next()? else { break };
                    bytes += workbook::row_bytes(&row);
                    batch.push(row);
                }
            }
        }
        Ok(())
    }
}

/// Whether the first bytes of a file look like text (no control bytes but blanks and
/// line breaks).
fn looks_like_text(head: &[u8]) -> bool {
    head.iter()
        .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r'))
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
    limits: Limits,
    /// When decoding met bytes of no character (each became U+FFFD): the encodings the
    /// bytes were not, for the message that points at the first such cell.
    garbled: Option<&'static str>,
}

impl CsvSource {
    /// Reads the next record into `self.record` and advances `self.number` to its row.
    ///
    /// The csv reader skips blank lines, which a spreadsheet shows as rows. A record's
    /// position is just after the first byte of the previous record's line break: after
    /// its `\n`, or between the `\r` and `\n` of a CRLF. The rest of that CRLF is skipped;
    /// each line break after it is a blank row.
    fn next_record(&mut self) -> Result<bool, ReadError> {
        let more = self
            .reader
            .read_record(&mut self.record)
            .map_err(|e| csv_error(e, self.number + 1))?;
        if !more {
            if let Some(not) = self.garbled {
                // Every undecodable byte became U+FFFD in some cell, and the first such
                // cell was refused; this is a safety net that should never be reached.
                return Err(ReadError::Content {
                    row: self.number.max(1),
                    column: None,
                    message: format!("含有无法识别的字节：{not}"),
                });
            }
            return Ok(false);
        }
        let start = self
            .record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(0);
        let text = self.reader.get_ref().get_ref();
        let at = self.skip + start;
        let breaks = if self.number == 0 {
            line_breaks_at(text.get(at..).unwrap_or_default())
        } else {
            let crlf_tail =
                at > 0 && text.get(at - 1) == Some(&b'\r') && text.get(at) == Some(&b'\n');
            line_breaks_at(text.get(at + usize::from(crlf_tail)..).unwrap_or_default())
        };
        self.number += breaks + 1;
        self.check_record()?;
        Ok(true)
    }

    /// The bounds of one record: its length, its columns, each cell's length, no NUL
    /// characters and no undecodable bytes. The common record passes on a few comparisons
    /// and one scan for NUL.
    fn check_record(&mut self) -> Result<(), ReadError> {
        let limits = &self.limits;
        let all = self.record.as_slice();
        let row = self.number;
        if all.len() > limits.max_row_bytes {
            return Err(ReadError::Content {
                row,
                column: None,
                message: format!(
                    "这一行的内容超过{}（文件可能已损坏，或缺少换行）",
                    bytes_text(limits.max_row_bytes as u64)
                ),
            });
        }
        let suspect = all.len() > limits.max_cell_chars
            || self.record.len() > limits.max_columns
            || memchr::memchr(0, all.as_bytes()).is_some()
            || (self.garbled.is_some() && all.contains('\u{FFFD}'));
        if !suspect {
            return Ok(());
        }
        for (i, field) in self.record.iter().enumerate() {
            let at = |message: String| ReadError::Content {
                row,
                column: Some(i),
                message,
            };
            if i >= limits.max_columns && !trim(field).is_empty() {
                return Err(at(format!(
                    "超出了允许的最多列数（{}列，到{}列为止）：请删除该单元格或多余的列",
                    grouped(limits.max_columns as u64),
                    column_letter(limits.max_columns - 1)
                )));
            }
            check_cell_text(field, limits).map_err(at)?;
            if let Some(not) = self.garbled
                && field.contains('\u{FFFD}')
            {
                self.garbled = None;
                return Err(at(format!(
                    "含有无法识别的字节：{not}（可能已损坏或不是文本文件）。\
                     请在Excel中另存为“CSV UTF-8（逗号分隔）”后重新导入"
                )));
            }
        }
        Ok(())
    }

    /// Reads the next non-blank record into `row`, reusing its cells' strings. False at
    /// the end of the file.
    fn fill(&mut self, row: &mut Row) -> Result<bool, ReadError> {
        while self.next_record()? {
            row.number = self.number;
            let cells = &mut row.cells;
            let mut any = false;
            let width = self.record.len().min(self.limits.max_columns);
            for (i, field) in self.record.iter().take(width).enumerate() {
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
            while cells.len() > width {
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
    match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => ReadError::Content {
            row,
            column: Some(err.field()),
            message: "含有不是UTF-8编码的字符（文件前部是UTF-8编码）：\
                 请将整个文件另存为“CSV UTF-8”或GBK编码的CSV后重新导入"
                .to_owned(),
        },
        csv::ErrorKind::Io(err) => ReadError::Csv {
            row,
            message: format!("读取失败：{err}"),
        },
        _ => ReadError::Csv {
            row,
            message: e.to_string(),
        },
    }
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

/// Whether the bytes read further as UTF-8 than as GB18030 before the first byte that is
/// not a character: then they are UTF-8 with a few bad bytes, not GB18030.
fn utf8_reaches_further(bytes: &[u8]) -> bool {
    let utf8 = std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), |s| s.len());
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(64 << 10);
    let mut read = 0;
    let gb18030 = loop {
        out.clear();
        let (result, n) =
            decoder.decode_to_string_without_replacement(&bytes[read..], &mut out, true);
        read += n;
        match result {
            encoding_rs::DecoderResult::InputEmpty => break bytes.len(),
            encoding_rs::DecoderResult::OutputFull => continue,
            encoding_rs::DecoderResult::Malformed(..) => break read,
        }
    };
    utf8 > gb18030
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
pub(crate) fn text_cell(s: &str) -> Cell {
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
    fn blank_lines_count_with_any_line_break() {
        for (text, want) in [
            ("h\nx\n\ny\n\n\nz", vec![2, 4, 7]),
            ("h\r\nx\r\n\r\ny\r\n\r\n\r\nz", vec![2, 4, 7]),
            ("h\rx\r\ry\r\r\rz", vec![2, 4, 7]),
            ("h\n\"a\nb\"\n\nz\n", vec![2, 4]),
        ] {
            let t = read_csv_bytes(text.as_bytes()).unwrap();
            let numbers: Vec<usize> = t.rows.iter().map(|r| r.number).collect();
            assert_eq!(numbers, want, "{text:?}");
        }
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
