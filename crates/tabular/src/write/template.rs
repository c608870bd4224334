//! 空白模板: the file a county clerk fills in — the data sheet laid out as in
//! [`super::layout`] with drop-downs on rows 2 to 10000, a 填写说明 sheet explaining the
//! general rules and every column, and the hidden 选项 sheet of choice lists.

use super::layout::{self, Styles};
use super::{OutFormat, WriteError};
use crate::spec::{Column, Kind, Required, Template};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use std::io::Write as _;
use std::path::Path;

/// Writes the empty template `t` to `path`: an `.xlsx` workbook with the data sheet (named
/// after `t.title`), the 填写说明 sheet and the hidden 选项 sheet; or, for `.csv`, just the
/// header row (UTF-8 with BOM).
pub fn write_template(t: &Template, path: &Path) -> Result<(), WriteError> {
    match OutFormat::of(path)? {
        OutFormat::Csv => {
            let mut out = Vec::from(&b"\xEF\xBB\xBF"[..]);
            {
                let mut w = csv::Writer::from_writer(&mut out);
                w.write_record(t.headers())
                    .and_then(|()| w.flush().map_err(csv::Error::from))
                    .map_err(|e| WriteError::Io {
                        path: path.to_path_buf(),
                        source: e.into(),
                    })?;
            }
            super::create_private(path)
                .and_then(|mut f| f.write_all(&out))
                .map_err(WriteError::io(path))
        }
        OutFormat::Xlsx => {
            let mut workbook = Workbook::new();
            build(&mut workbook, t).map_err(WriteError::xlsx(path))?;
            layout::save_private(&mut workbook, path)
        }
    }
}

fn build(workbook: &mut Workbook, t: &Template) -> Result<(), XlsxError> {
    let styles = Styles::new();
    let data = workbook.add_worksheet();
    layout::setup_data_sheet(data, t, &styles, layout::TEMPLATE_LAST_ROW)?;
    data.set_active(true);
    write_explanation(workbook.add_worksheet(), t)?;
    layout::write_options_sheet(workbook, t)
}

/// The general rules every template shares, then the key of this one.
fn general_notes(t: &Template) -> Vec<String> {
    let mut notes = vec![
        "整个文件要么全部导入，要么全部不导入：只要有一处问题，系统就会列出全部问题\
         （行号、列、值和原因），整个文件都不导入；请逐条修改后重新导入。"
            .to_owned(),
        format!(
            "同一文件可以放心重复导入：系统按关键字段（{}）更新已有记录，不会重复登记。",
            t.key_note
        ),
        "金额以元为单位，最多保留两位小数（到分），如 1234.50；不要填写“万元”。".to_owned(),
        "日期写作 YYYY-MM-DD（如 2024-03-05），也可写作 YYYY/MM/DD、YYYYMMDD、\
         YYYY年M月D日，或使用 Excel 日期格式。"
            .to_owned(),
        "“是/否”类的列填写“是”或“否”（也可用 Y/N、1/0）。".to_owned(),
        "有下拉列表的列请从列表中选择：只接受列表中的值。".to_owned(),
        "表头底色为橙色的列为必填列。表头可写中文表头或英文键名，列的顺序不限；\
         本模板以外的列会被提示并忽略。"
            .to_owned(),
        "户编号、村代码、证件号码、联系电话等列已设为文本格式，请勿改为数值格式，\
         否则 Excel 会改变号码（如身份证号码后三位变成 0）。"
            .to_owned(),
        "可保存为 XLSX，或另存为 CSV（UTF-8 或 GBK 编码均可）。".to_owned(),
    ];
    if t.columns.iter().any(Column::is_sensitive) {
        notes.push(
            "证件号码、联系电话属于个人敏感信息：系统加密保存，问题报告中只显示部分号码。"
                .to_owned(),
        );
    }
    notes
}

/// 是否必填 as the explanation sheet words it.
fn required_label(r: Required) -> &'static str {
    match r {
        Required::Yes => "必填",
        Required::No => "选填",
        Required::When(when) => when,
    }
}

/// 可选值 / 格式 of a column for the explanation sheet.
fn allowed_values(column: &Column) -> String {
    if let Some(choices) = column.choices() {
        return choices.join("、");
    }
    match column.kind {
        Kind::Int { min, max } => format!("{min}–{max} 的整数"),
        Kind::Date => "YYYY-MM-DD".to_owned(),
        Kind::Money => "以元为单位，最多两位小数".to_owned(),
        Kind::IdNumber => "18位居民身份证号码".to_owned(),
        Kind::Phone => "11位手机号码".to_owned(),
        Kind::Region => "12位数字".to_owned(),
        Kind::HouseholdNo => "数字、字母和“-”，最长32位".to_owned(),
        Kind::Name => "不含数字，最长30个字".to_owned(),
        _ => String::new(),
    }
}

/// The 填写说明 sheet: title, general notes, then one row per column with
/// 表头, 英文键名, 是否必填, 说明, 可选值.
fn write_explanation(sheet: &mut Worksheet, t: &Template) -> Result<(), XlsxError> {
    sheet.set_name("填写说明")?;
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    for (col, width) in (0u16..).zip([20.0, 24.0, 14.0, 50.0, 60.0]) {
        sheet.set_column_width(col, width)?;
    }

    let mut row = 0u32;
    sheet.write_string_with_format(row, 0, format!("{}导入模板填写说明", t.title), &title)?;
    row += 1;
    if let Some(department) = t.department {
        sheet.write_string(row, 0, format!("数据提供部门：{department}"))?;
        row += 1;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, "一、基本规则", &bold)?;
    row += 1;
    for (i, note) in general_notes(t).iter().enumerate() {
        sheet.write_string(row, 0, format!("{}. {note}", i + 1))?;
        row += 1;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, "二、各列说明", &bold)?;
    row += 1;
    for (col, h) in (0u16..).zip(["表头", "英文键名", "是否必填", "说明", "可选值"])
    {
        sheet.write_string_with_format(row, col, h, &head)?;
    }
    row += 1;
    for column in t.columns {
        let values = [
            column.header.to_owned(),
            column.key.to_owned(),
            required_label(column.required).to_owned(),
            column.note.to_owned(),
            allowed_values(column),
        ];
        for (col, v) in (0u16..).zip(values) {
            sheet.write_string_with_format(row, col, v, &cell)?;
        }
        row += 1;
    }
    Ok(())
}
