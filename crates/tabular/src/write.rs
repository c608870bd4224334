//! 模板与导出: writing the empty import templates and exports of registry records, in
//! XLSX (rust_xlsxwriter) or CSV (UTF-8 with BOM, so that Excel opens it). An export reads
//! back through [`crate::read_table`] and [`crate::parse`] into equal records: it is itself a
//! filled-in template. Exports stream: a [`RecordWriter`] takes one record at a time, so
//! 3.2 million members never need to be in memory at once.
//!
//! Values are written as the templates ask for them: optional fields empty when absent,
//! flags 是/否, 健康状况 as its labels joined by 、, amounts in yuan ("1234.50" — two
//! decimals only when there are fen), dates YYYY-MM-DD. In XLSX, codes, ID numbers and
//! phones are text cells (every digit kept), while amounts are number cells formatted 0.00
//! and dates real date cells formatted yyyy-mm-dd, so that a clerk can sum and filter them;
//! both read back to the same values.
//!
//! Exports carry full 证件号码 and 联系电话: exporting is an audited operation at the service
//! layer, and the file is what the county hands on. Every file is created readable by its
//! owner only, and no text cell can start a formula ([`safe`]).

mod layout;
mod safe;
mod template;

pub use safe::{create_private, quote_csv, starts_formula, unquote};
pub use template::write_template;

use crate::spec::{self, Template};
use chrono::{Datelike, NaiveDate};
use domain::{Household, IncomeRecord, Member, Money, flag_label};
use rust_xlsxwriter::XlsxError;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

/// Why a template or an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("不支持的文件格式：{}（请使用 .xlsx 或 .csv）", .path.display())]
    UnsupportedFormat { path: PathBuf },
    #[error("无法写入文件{}：{source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("无法生成Excel文件{}：{message}", .path.display())]
    Xlsx { path: PathBuf, message: String },
    #[error("记录数超过Excel单个工作表的上限（{max}行），请导出为CSV文件", max = layout::MAX_DATA_ROWS)]
    TooManyRows,
}

impl WriteError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
        move |source| WriteError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn xlsx(path: &Path) -> impl FnOnce(XlsxError) -> WriteError + '_ {
        move |e| match e {
            XlsxError::IoError(source) => WriteError::Io {
                path: path.to_path_buf(),
                source,
            },
            other => WriteError::Xlsx {
                path: path.to_path_buf(),
                message: other.to_string(),
            },
        }
    }
}

/// The output formats, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutFormat {
    Csv,
    Xlsx,
}

impl OutFormat {
    fn of(path: &Path) -> Result<Self, WriteError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(OutFormat::Csv),
            Some("xlsx") => Ok(OutFormat::Xlsx),
            _ => Err(WriteError::UnsupportedFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// One value of an exported record, typed so that an XLSX cell keeps its kind (a number
/// stays a number, a date a date) while CSV writes its text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// 空 — an optional field without a value.
    Empty,
    /// 文本 — codes, names, labels; always a text cell, so IDs keep every digit.
    Text(&'a str),
    /// 文本 built for the export (a 健康状况 label set).
    Owned(String),
    /// 整数 (年度, 务工月数).
    Int(i64),
    /// 金额: yuan with two decimals when there are fen ("1234.50").
    Money(Money),
    /// 日期: YYYY-MM-DD.
    Date(NaiveDate),
}

impl Value<'_> {
    /// Writes the CSV text of the value into `buf` (cleared first): text that a
    /// spreadsheet would run as a formula behind an apostrophe ([`quote_csv`]); numbers
    /// and dates, which the program formats itself, as they are.
    fn write_text(&self, buf: &mut String) {
        buf.clear();
        let _ = match self {
            Value::Empty => Ok(()),
            Value::Text(s) => buf.write_str(&quote_csv(s)),
            Value::Owned(s) => buf.write_str(&quote_csv(s)),
            Value::Int(v) => write!(buf, "{v}"),
            Value::Money(m) => write!(buf, "{m}"),
            Value::Date(d) => write!(buf, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        };
    }
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Value<'static>) -> Value<'static> {
    v.map_or(Value::Empty, f)
}

fn flag(v: Option<bool>) -> Value<'static> {
    opt(v, |b| Value::Text(flag_label(b)))
}

/// A record that can be exported as a row of its template.
pub trait Export {
    /// The template whose columns [`Export::values`] follows.
    fn template() -> &'static Template;
    /// The record's values, one per template column, in template order.
    fn values(&self) -> Vec<Value<'_>>;
}

impl Export for Household {
    fn template() -> &'static Template {
        &spec::HOUSEHOLDS
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            Value::Text(self.household_no.as_str()),
            Value::Owned(self.village.to_string()),
            Value::Text(self.household_type.label()),
            opt(self.exit_year, |y| Value::Int(i64::from(y))),
            self.phone
                .as_ref()
                .map_or(Value::Empty, |p| Value::Text(p.as_str())),
            self.address.as_deref().map_or(Value::Empty, Value::Text),
            opt(self.housing, |h| Value::Text(h.label())),
            opt(self.water, |w| Value::Text(w.label())),
        ]
    }
}

impl Export for Member {
    fn template() -> &'static Template {
        &spec::MEMBERS
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            Value::Text(self.household_no.as_str()),
            Value::Text(self.name.as_str()),
            Value::Text(self.id_number.as_str()),
            Value::Text(self.relation.label()),
            Value::Text(self.sex.label()),
            Value::Date(self.birth_date),
            Value::Text(self.labor.label()),
            opt(self.health, |h| Value::Owned(h.label())),
            opt(self.disability_grade, |g| Value::Text(g.label())),
            opt(self.schooling, |s| Value::Text(s.label())),
            opt(self.education, |e| Value::Text(e.label())),
            opt(self.work_months, |m| Value::Int(i64::from(m))),
            flag(self.medical_insured),
            flag(self.dibao),
            flag(self.tekun),
        ]
    }
}

impl Export for IncomeRecord {
    fn template() -> &'static Template {
        &spec::INCOMES
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            Value::Text(self.household_no.as_str()),
            Value::Int(i64::from(self.year)),
            Value::Money(self.wage),
            Value::Money(self.business_income),
            Value::Money(self.business_cost),
            Value::Money(self.property),
            Value::Money(self.transfer),
            opt(self.medical_out_of_pocket, Value::Money),
            opt(self.education_cost, Value::Money),
            opt(self.other_rigid_cost, Value::Money),
        ]
    }
}

/// 导出: writes records of one template to a `.csv` or `.xlsx` file, one at a time.
/// Call [`RecordWriter::finish`] at the end: an XLSX file is only saved then.
pub struct RecordWriter<T> {
    sink: Sink,
    rows: usize,
    _record: PhantomData<fn(&T)>,
}

enum Sink {
    Csv(Box<CsvExport>),
    Xlsx(Box<layout::XlsxExport>),
}

impl<T: Export> RecordWriter<T> {
    /// Creates the file (format by extension) and writes the header row: every column of
    /// the template, in template order.
    pub fn create(path: &Path) -> Result<Self, WriteError> {
        let template = T::template();
        let sink = match OutFormat::of(path)? {
            OutFormat::Csv => Sink::Csv(Box::new(CsvExport::new(template, path)?)),
            OutFormat::Xlsx => Sink::Xlsx(Box::new(layout::XlsxExport::new(template, path)?)),
        };
        Ok(Self {
            sink,
            rows: 0,
            _record: PhantomData,
        })
    }

    /// Appends one record.
    pub fn push(&mut self, record: &T) -> Result<(), WriteError> {
        let values = record.values();
        debug_assert_eq!(values.len(), T::template().columns.len());
        match &mut self.sink {
            Sink::Csv(c) => c.push(&values)?,
            Sink::Xlsx(x) => x.push(&values)?,
        }
        self.rows += 1;
        Ok(())
    }

    /// Flushes (CSV) or saves (XLSX) the file; returns the number of records written.
    pub fn finish(self) -> Result<usize, WriteError> {
        match self.sink {
            Sink::Csv(c) => c.finish()?,
            Sink::Xlsx(x) => x.save()?,
        }
        Ok(self.rows)
    }
}

/// A CSV export in progress: UTF-8 with BOM (so that Excel reads it as UTF-8), buffered.
struct CsvExport {
    writer: csv::Writer<BufWriter<File>>,
    path: PathBuf,
    /// Reused for each value's text.
    buf: String,
}

impl CsvExport {
    fn new(template: &Template, path: &Path) -> Result<Self, WriteError> {
        let mut file =
            BufWriter::with_capacity(1 << 16, create_private(path).map_err(WriteError::io(path))?);
        file.write_all(b"\xEF\xBB\xBF")
            .map_err(WriteError::io(path))?;
        let mut writer = csv::Writer::from_writer(file);
        writer
            .write_record(template.headers())
            .map_err(|e| csv_error(path, e))?;
        Ok(Self {
            writer,
            path: path.to_path_buf(),
            buf: String::new(),
        })
    }

    fn push(&mut self, values: &[Value<'_>]) -> Result<(), WriteError> {
        for v in values {
            v.write_text(&mut self.buf);
            self.writer
                .write_field(self.buf.as_bytes())
                .map_err(|e| csv_error(&self.path, e))?;
        }
        self.writer
            .write_record(None::<&[u8]>)
            .map_err(|e| csv_error(&self.path, e))
    }

    fn finish(mut self) -> Result<(), WriteError> {
        self.writer.flush().map_err(WriteError::io(&self.path))
    }
}

fn csv_error(path: &Path, e: csv::Error) -> WriteError {
    WriteError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    }
}

/// Writes every record of `rows` through a [`RecordWriter`]. Too many rows for one
/// worksheet are refused before anything is written.
pub fn write_records<T: Export>(path: &Path, rows: &[T]) -> Result<usize, WriteError> {
    if OutFormat::of(path)? == OutFormat::Xlsx
        && u32::try_from(rows.len()).map_or(true, |n| n > layout::MAX_DATA_ROWS)
    {
        return Err(WriteError::TooManyRows);
    }
    let mut w = RecordWriter::<T>::create(path)?;
    for r in rows {
        w.push(r)?;
    }
    w.finish()
}

/// 户信息导出 to `.xlsx` or `.csv`.
pub fn write_households(path: &Path, rows: &[Household]) -> Result<(), WriteError> {
    write_records(path, rows).map(drop)
}

/// 人口信息导出 to `.xlsx` or `.csv`, with full 证件号码.
pub fn write_members(path: &Path, rows: &[Member]) -> Result<(), WriteError> {
    write_records(path, rows).map(drop)
}

/// 收支信息导出 to `.xlsx` or `.csv`.
pub fn write_incomes(path: &Path, rows: &[IncomeRecord]) -> Result<(), WriteError> {
    write_records(path, rows).map(drop)
}
