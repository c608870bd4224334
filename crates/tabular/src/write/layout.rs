//! The data sheet as templates and XLSX exports lay it out: one bold header row (orange for
//! required columns), frozen; widths and cell formats by column kind (text for codes, ID
//! numbers and phones so that Excel keeps every digit); drop-down lists for enumerations
//! and flags, taken from a hidden sheet 选项 when a list is too long to be written inline.

use super::{Value, WriteError};
use crate::spec::{Column, Kind, Required, Template};
use chrono::Datelike;
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, ExcelDateTime, Format,
    FormatAlign, FormatBorder, Formula, Workbook, Worksheet, XlsxError,
};
use std::path::{Path, PathBuf};

/// Data rows of one worksheet: Excel's 1,048,576 rows less the header.
pub(super) const MAX_DATA_ROWS: u32 = 1_048_575;
/// Last (0-based) row a template's validations cover: Excel rows 2 to 10000.
pub(super) const TEMPLATE_LAST_ROW: u32 = 9_999;
/// The hidden sheet holding drop-down lists.
pub(super) const OPTIONS_SHEET: &str = "选项";
/// Excel's limit on an inline validation list: 255 characters with the commas. Counted here
/// in UTF-8 bytes, because some Excel versions count Chinese characters as several; longer
/// lists (与户主关系, 在校生状况) go to the 选项 sheet instead.
const INLINE_LIST_LIMIT: usize = 255;

/// The cell formats of a data sheet.
pub(super) struct Styles {
    header_required: Format,
    header_optional: Format,
    text: Format,
    /// Text that would start a formula: kept text by Excel's quote prefix.
    quoted: Format,
    date: Format,
    money: Format,
}

impl Styles {
    pub(super) fn new() -> Self {
        let header = Format::new()
            .set_bold()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap();
        Self {
            header_required: header.clone().set_background_color(Color::RGB(0xF8CBAD)),
            header_optional: header.set_background_color(Color::RGB(0xDDEBF7)),
            text: Format::new().set_num_format("@"),
            quoted: Format::new().set_num_format("@").set_quote_prefix(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            money: Format::new().set_num_format("0.00"),
        }
    }

    /// The format of a column's cells, if it has one.
    fn of(&self, kind: Kind) -> Option<&Format> {
        match kind {
            Kind::HouseholdNo | Kind::Region | Kind::IdNumber | Kind::Phone => Some(&self.text),
            Kind::Date => Some(&self.date),
            Kind::Money => Some(&self.money),
            _ => None,
        }
    }
}

/// Width of text in Excel's character units: a Chinese character counts two.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// A sensible width for a column: wide enough for its header and its typical values.
fn column_width(column: &Column) -> f64 {
    let by_kind = match column.kind {
        Kind::IdNumber => 22,
        Kind::HouseholdNo => 20,
        Kind::Region => 15,
        Kind::Phone => 14,
        Kind::Date | Kind::Money => 12,
        Kind::Text => 30,
        Kind::Name => 10,
        Kind::Int { .. } | Kind::Flag => 8,
        Kind::Enum(labels) | Kind::MultiEnum(labels) => {
            labels().iter().map(|l| display_width(l)).max().unwrap_or(8)
        }
    };
    let width = by_kind.max(display_width(column.header)).max(6) + 2;
    width.min(40) as f64
}

/// Where a column's drop-down list comes from.
enum ListSource {
    Inline(Vec<&'static str>),
    /// A range of the 选项 sheet, as a formula.
    Range(String),
}

/// The drop-down list of each column (template order), if it has choices.
fn list_sources(template: &Template) -> Vec<Option<ListSource>> {
    let mut options_col = 0u16;
    template
        .columns
        .iter()
        .map(|c| {
            let choices = c.choices()?;
            let col = options_col;
            options_col += 1;
            let joined: usize = choices
                .iter()
                .map(|l| l.len() + 1)
                .sum::<usize>()
                .saturating_sub(1);
            Some(if joined <= INLINE_LIST_LIMIT {
                ListSource::Inline(choices)
            } else {
                ListSource::Range(format!(
                    "='{OPTIONS_SHEET}'!${letter}$2:${letter}${last}",
                    letter = crate::problem::column_letter(usize::from(col)),
                    last = choices.len() + 1
                ))
            })
        })
        .collect()
}

/// The 选项 sheet (hidden): one column per enumerated column of the template, its header
/// in row 1 and its choices below. Written when the template has any choice lists, so that
/// long lists can be referenced and every list can be looked up.
pub(super) fn write_options_sheet(
    workbook: &mut Workbook,
    template: &Template,
) -> Result<(), XlsxError> {
    let with_choices: Vec<(&Column, Vec<&str>)> = template
        .columns
        .iter()
        .filter_map(|c| Some((c, c.choices()?)))
        .collect();
    if with_choices.is_empty() {
        return Ok(());
    }
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name(OPTIONS_SHEET)?;
    for (col, (column, choices)) in (0u16..).zip(&with_choices) {
        sheet.write_string_with_format(0, col, column.header, &bold)?;
        for (row, label) in (1u32..).zip(choices) {
            sheet.write_string(row, col, *label)?;
        }
        sheet.set_column_width(col, column_width(column))?;
    }
    sheet.set_hidden(true);
    Ok(())
}

/// Lays out the data sheet: name, header row, widths, formats, frozen header and the
/// validations of rows 2..=`last_row + 1`.
pub(super) fn setup_data_sheet(
    sheet: &mut Worksheet,
    template: &Template,
    styles: &Styles,
    last_row: u32,
) -> Result<(), XlsxError> {
    sheet.set_name(template.title)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_row_height(0, 30)?;
    let lists = list_sources(template);
    for ((col, column), list) in (0u16..).zip(template.columns).zip(lists) {
        sheet.set_column_width(col, column_width(column))?;
        if let Some(format) = styles.of(column.kind) {
            sheet.set_column_format(col, format)?;
        }
        let header_format = if column.required == Required::Yes {
            &styles.header_required
        } else {
            &styles.header_optional
        };
        sheet.write_string_with_format(0, col, column.header, header_format)?;
        if let Some(validation) = validation(column, list)? {
            sheet.add_data_validation(1, col, last_row, col, &validation)?;
        }
    }
    Ok(())
}

/// The data validation of a column: a drop-down list for enumerations and flags, a range
/// for whole numbers, non-negative amounts; and the column's note as input help.
fn validation(
    column: &Column,
    list: Option<ListSource>,
) -> Result<Option<DataValidation>, XlsxError> {
    let header = column.header;
    let mut v = match (column.kind, list) {
        (Kind::MultiEnum(_), Some(source)) => with_list(source)?
            .set_error_style(DataValidationErrorStyle::Information)
            .set_error_title("请核对")?
            .set_error_message(format!(
                "{header}可多选，用“、”分隔；单选时请从下拉列表中选择"
            ))?,
        (_, Some(source)) => with_list(source)?
            .set_error_title("输入值无效")?
            .set_error_message(format!("请从下拉列表中选择{header}"))?,
        (Kind::Int { min, max }, None) => {
            let (Ok(lo), Ok(hi)) = (i32::try_from(min), i32::try_from(max)) else {
                return Ok(None);
            };
            DataValidation::new()
                .allow_whole_number(DataValidationRule::Between(lo, hi))
                .set_error_title("输入值无效")?
                .set_error_message(format!("{header}应为{min}至{max}之间的整数"))?
        }
        (Kind::Money, None) => DataValidation::new()
            .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
            .set_error_title("输入值无效")?
            .set_error_message(format!("{header}应为以元为单位的非负数，最多两位小数"))?,
        _ if !column.note.is_empty() => DataValidation::new().allow_any_value(),
        _ => return Ok(None),
    };
    if !column.note.is_empty() {
        v = v.set_input_title(header)?.set_input_message(column.note)?;
    }
    Ok(Some(v))
}

fn with_list(source: ListSource) -> Result<DataValidation, XlsxError> {
    match source {
        ListSource::Inline(labels) => DataValidation::new().allow_list_strings(&labels),
        ListSource::Range(formula) => {
            Ok(DataValidation::new().allow_list_formula(Formula::new(formula)))
        }
    }
}

/// An XLSX export in progress: the data sheet in constant-memory mode, rows written in
/// order and flushed to a temporary file as they go.
pub(super) struct XlsxExport {
    workbook: Workbook,
    path: PathBuf,
    next_row: u32,
    styles: Styles,
}

impl XlsxExport {
    pub(super) fn new(template: &Template, path: &Path) -> Result<Self, WriteError> {
        let err = WriteError::xlsx(path);
        let mut workbook = Workbook::new();
        let styles = Styles::new();
        let laid_out = workbook
            .add_worksheet_with_constant_memory()
            .and_then(|sheet| setup_data_sheet(sheet, template, &styles, MAX_DATA_ROWS));
        match laid_out {
            Ok(()) => write_options_sheet(&mut workbook, template).map_err(err)?,
            Err(e) => return Err(err(e)),
        }
        Ok(Self {
            workbook,
            path: path.to_path_buf(),
            next_row: 1,
            styles,
        })
    }

    pub(super) fn push(&mut self, values: &[Value<'_>]) -> Result<(), WriteError> {
        if self.next_row > MAX_DATA_ROWS {
            return Err(WriteError::TooManyRows);
        }
        let row = self.next_row;
        let styles = &self.styles;
        let written = self
            .workbook
            .worksheet_from_index(0)
            .and_then(|sheet| write_row(sheet, row, values, styles));
        written.map_err(WriteError::xlsx(&self.path))?;
        self.next_row += 1;
        Ok(())
    }

    pub(super) fn save(mut self) -> Result<(), WriteError> {
        save_private(&mut self.workbook, &self.path)
    }
}

/// Saves a workbook into a file readable by its owner only ([`super::safe`]).
pub(super) fn save_private(workbook: &mut Workbook, path: &Path) -> Result<(), WriteError> {
    let file = super::safe::create_private(path).map_err(WriteError::io(path))?;
    workbook
        .save_to_writer(file)
        .map_err(WriteError::xlsx(path))
}

/// A text cell, with the quote prefix when a spreadsheet would take it for a formula.
fn write_text(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let (value, quoted) = super::safe::quote_xlsx(text);
    let format = if quoted { &styles.quoted } else { &styles.text };
    sheet.write_string_with_format(row, col, value, format)?;
    Ok(())
}

fn write_row(
    sheet: &mut Worksheet,
    row: u32,
    values: &[Value<'_>],
    styles: &Styles,
) -> Result<(), XlsxError> {
    for (col, value) in (0u16..).zip(values) {
        match value {
            Value::Empty => {}
            Value::Text(s) => write_text(sheet, row, col, s, styles)?,
            Value::Owned(s) => write_text(sheet, row, col, s, styles)?,
            Value::Int(v) => {
                sheet.write_number(row, col, *v as f64)?;
            }
            Value::Money(m) => {
                sheet.write_number_with_format(row, col, m.as_yuan_f64(), &styles.money)?;
            }
            Value::Date(d) => {
                let excel = u16::try_from(d.year()).ok().and_then(|y| {
                    let month = u8::try_from(d.month()).ok()?;
                    let day = u8::try_from(d.day()).ok()?;
                    ExcelDateTime::from_ymd(y, month, day).ok()
                });
                match excel {
                    Some(dt) => sheet.write_datetime_with_format(row, col, &dt, &styles.date)?,
                    // Outside Excel's calendar (before 1900): keep the text.
                    None => sheet.write_string(row, col, d.format("%Y-%m-%d").to_string())?,
                };
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::MEMBERS;

    #[test]
    fn long_lists_are_referenced_from_the_options_sheet() {
        let sources = list_sources(&MEMBERS);
        let by_key = |key: &str| {
            let i = MEMBERS.columns.iter().position(|c| c.key == key).unwrap();
            &sources[i]
        };
        assert!(matches!(by_key("sex"), Some(ListSource::Inline(v)) if v == &["男", "女"]));
        assert!(by_key("name").is_none());
        // 与户主关系 is the first enumerated column (A of 选项), 在校生状况 the sixth (F).
        match by_key("relation") {
            Some(ListSource::Range(f)) => assert_eq!(f, "='选项'!$A$2:$A$29"),
            _ => panic!("relation should use a range"),
        }
        match by_key("schooling") {
            Some(ListSource::Range(f)) => assert_eq!(f, "='选项'!$F$2:$F$26"),
            _ => panic!("schooling should use a range"),
        }
    }
}
