//! 单元格取值: one [`Cell`] to one typed value, by the column's [`Kind`]. Text goes through the
//! domain's own parsers (which fold full-width characters); what is specific to spreadsheets
//! lives here — numbers that are really codes, Excel serial dates, amounts typed as numbers,
//! the several ways clerks write a date. Every error is a [`FieldError`] in Chinese; the
//! caller adds row and column.

use crate::read::Cell;
use crate::spec::{Column, Kind};
use chrono::{Datelike, NaiveDate};
use domain::text::fold_width;
use domain::{
    FieldError, Health, HealthCondition, HouseholdNo, IdNumber, Money, PersonName, Phone,
    RegionCode,
};

/// Years a date in a registry file may fall in; anything else is a typing error.
const DATE_YEARS: std::ops::RangeInclusive<i32> = 1850..=2100;

/// 文本: the cell's text as written (numbers without a trailing ".0").
pub fn text(cell: &Cell) -> String {
    cell.text().into_owned()
}

/// 住址: one line of bounded text without control characters ([`domain::household::ADDRESS`]).
pub fn address(cell: &Cell) -> Result<String, FieldError> {
    domain::household::ADDRESS.parse(&cell.text())
}

/// 户编号 — a number cell (户编号 typed without text format) is read as its digits.
pub fn household_no(cell: &Cell) -> Result<HouseholdNo, FieldError> {
    HouseholdNo::parse(&cell.text())
}

/// 区划代码 (村代码) — accepts a number cell such as 520322101001.
pub fn region(cell: &Cell) -> Result<RegionCode, FieldError> {
    RegionCode::parse(&cell.text())
}

/// 证件号码. A number cell means Excel has already rounded the number to 15 significant
/// digits: the clerk is told why and how to avoid it.
pub fn id_number(cell: &Cell) -> Result<IdNumber, FieldError> {
    match cell {
        Cell::Number(v) if v.abs() >= 1e15 => Err(FieldError::new(
            "证件号码被Excel存成了数字，后几位已丢失：请把该列设置为“文本”格式后重新录入",
        )),
        _ => IdNumber::parse(&cell.text()),
    }
}

/// 联系电话.
pub fn phone(cell: &Cell) -> Result<Phone, FieldError> {
    Phone::parse(&cell.text())
}

/// 姓名.
pub fn person_name(cell: &Cell) -> Result<PersonName, FieldError> {
    PersonName::parse(&cell.text())
}

/// An enumerated column read with the domain type's `parse`. The exact label — what the
/// drop-down list writes, so nearly every cell — is found without allocating; anything else
/// (full-width characters, documented aliases, mistakes) goes through `parse`.
pub fn label<T: Copy + 'static>(
    all: &'static [T],
    label: fn(T) -> &'static str,
    parse: fn(&str) -> Result<T, FieldError>,
) -> impl Fn(&Cell, &Column) -> Result<T, FieldError> {
    move |cell, _| {
        if let Cell::Text(s) = cell
            && let Some(v) = all.iter().copied().find(|v| label(*v) == s)
        {
            return Ok(v);
        }
        parse(&cell.text())
    }
}

/// 健康状况: one or several conditions (see [`Health::parse`]).
pub fn health(cell: &Cell) -> Result<Health, FieldError> {
    if let Cell::Text(s) = cell
        && let Some(c) = HealthCondition::ALL.iter().find(|c| c.label() == s)
    {
        return Ok(Health::default().with(*c));
    }
    Health::parse(&cell.text())
}

/// 金额 in yuan: text through [`Money::parse_yuan`] ("1,234.50", "１２３４元"), a number cell
/// through [`Money::from_f64_yuan`]; more than two decimals is an error, never a rounding.
pub fn money(cell: &Cell) -> Result<Money, FieldError> {
    match cell {
        Cell::Number(v) => Money::from_f64_yuan(*v),
        Cell::Text(s) => plain_yuan(s).map_or_else(|| Money::parse_yuan(s), Ok),
        _ => Money::parse_yuan(&cell.text()),
    }
}

/// The common case without allocating — a feed file has millions of amounts: plain ASCII
/// digits with at most two decimals ("1234", "1234.5", "1234.56"), read exactly as
/// [`Money::parse_yuan`] reads them. Anything else (signs, separators, 元, full-width
/// digits, mistakes) is `None` and goes through `parse_yuan`.
fn plain_yuan(s: &str) -> Option<Money> {
    // One pass over the bytes: whole yuan, then at most two digits after a point.
    let mut bytes = s.bytes();
    let (mut yuan, mut int_digits) = (0i64, 0usize);
    let mut point = false;
    for b in bytes.by_ref() {
        match b {
            // A 13th digit is left to parse_yuan before it is added: twenty digits
            // would overflow the i64 (a panic in a debug build).
            b'0'..=b'9' if int_digits == 12 => return None,
            b'0'..=b'9' => {
                yuan = yuan * 10 + i64::from(b - b'0');
                int_digits += 1;
            }
            b'.' => {
                point = true;
                break;
            }
            _ => return None,
        }
    }
    // The same 12-digit bound as parse_yuan, so that "too large" keeps its message.
    if int_digits == 0 || int_digits > 12 {
        return None;
    }
    let mut fen = 0i64;
    if point {
        let mut scale = 10;
        for b in bytes {
            if !b.is_ascii_digit() || scale == 0 {
                return None;
            }
            fen += i64::from(b - b'0') * scale;
            scale /= 10;
        }
    }
    Some(Money::from_fen(yuan * 100 + fen))
}

/// A registry amount (收支信息): [`money`], then not negative and at most 1亿元.
pub fn registry_money(cell: &Cell, column: &Column) -> Result<Money, FieldError> {
    money(cell)?.check_sane(column.header)
}

/// 整数 within the bounds of the column's [`Kind::Int`]: "2019", "2019.0", 2019.0 and
/// "２０１９" are all 2019.
pub fn int(cell: &Cell, column: &Column) -> Result<i64, FieldError> {
    let what = column.header;
    let raw = cell.text();
    let bad = || FieldError::new(format!("{what}“{raw}”应为整数"));
    let value = match cell {
        Cell::Number(v) if v.fract() == 0.0 && v.abs() < 1e15 => *v as i64,
        Cell::Number(_) => return Err(bad()),
        _ => match raw.parse::<i64>() {
            Ok(v) => v,
            Err(_) => {
                let t = fold_width(&raw);
                let digits = t.strip_suffix(".0").unwrap_or(&t);
                let digits = digits.strip_suffix(".00").unwrap_or(digits);
                digits.parse::<i64>().map_err(|_| bad())?
            }
        },
    };
    if let Kind::Int { min, max } = column.kind
        && !(min..=max).contains(&value)
    {
        return Err(FieldError::new(format!(
            "{what}“{value}”超出范围：应在{min}至{max}之间"
        )));
    }
    Ok(value)
}

/// 日期: a date cell, a number cell (an Excel serial date, or 20240305 typed as a number),
/// or text in one of the forms [`parse_date`] accepts.
pub fn date(cell: &Cell, column: &Column) -> Result<NaiveDate, FieldError> {
    let what = column.header;
    match cell {
        Cell::Date(d) => Ok(*d),
        Cell::Number(v) => number_date(*v).ok_or_else(|| {
            FieldError::new(format!(
                "{what}“{}”不是有效日期：日期应写作YYYY-MM-DD（如2024-03-05）",
                cell.text()
            ))
        }),
        _ => parse_date(&cell.text(), what),
    }
}

/// 是/否: a TRUE/FALSE cell, or text through [`domain::parse_flag`].
pub fn flag(cell: &Cell, column: &Column) -> Result<bool, FieldError> {
    match cell {
        Cell::Bool(b) => Ok(*b),
        Cell::Text(s) if s == "是" => Ok(true),
        Cell::Text(s) if s == "否" => Ok(false),
        _ => domain::parse_flag(&cell.text(), column.header),
    }
}

/// Parses a date written as YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (month and day may have one
/// digit), YYYYMMDD or YYYY年M月D日, full-width characters folded; a time after the date
/// ("2024-03-05 00:00:00") is ignored. `what` names the field in messages.
pub fn parse_date(s: &str, what: &str) -> Result<NaiveDate, FieldError> {
    if let Some(d) = iso_date(s) {
        return Ok(d);
    }
    let t = fold_width(s);
    let bad = || {
        FieldError::new(format!(
            "{what}“{t}”无效：日期应写作YYYY-MM-DD（如2024-03-05），\
             也可写作YYYY/MM/DD、YYYYMMDD或YYYY年M月D日"
        ))
    };
    let date_part = match t.split_once([' ', 'T']) {
        Some((d, time))
            if time
                .trim()
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b':' || b == b'.') =>
        {
            d
        }
        Some(_) => return Err(bad()),
        None => t.as_str(),
    };
    let (y, m, d) = split_date(date_part).ok_or_else(bad)?;
    NaiveDate::from_ymd_opt(y, m, d)
        .filter(|d| DATE_YEARS.contains(&d.year()))
        .ok_or_else(|| FieldError::new(format!("{what}“{t}”不是有效日期")))
}

/// The common case without allocating: exactly "YYYY-MM-DD", a valid date in range.
fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return None;
    }
    let y: i32 = s[..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let d: u32 = s[8..].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d).filter(|d| DATE_YEARS.contains(&d.year()))
}

/// Year, month and day of a date string, before calendar validation.
fn split_date(s: &str) -> Option<(i32, u32, u32)> {
    let num = |p: &str, max_len: usize| -> Option<u32> {
        (!p.is_empty() && p.len() <= max_len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some((
            i32::try_from(num(&s[..4], 4)?).ok()?,
            num(&s[4..6], 2)?,
            num(&s[6..], 2)?,
        ));
    }
    let (y, m, d) = if let Some(rest) = s.strip_suffix('日') {
        let (y, rest) = rest.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        (y, m, d)
    } else {
        let sep = s.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
        let mut parts = s.split(sep);
        let parts = (parts.next()?, parts.next()?, parts.next()?, parts.next());
        if parts.3.is_some() {
            return None;
        }
        (parts.0, parts.1, parts.2)
    };
    if y.len() != 4 {
        return None;
    }
    Some((i32::try_from(num(y, 4)?).ok()?, num(m, 2)?, num(d, 2)?))
}

/// A number in a date column: 20240305 typed as a number, or an Excel serial date
/// (days since 1899-12-30, with Excel's fictitious 1900-02-29 at serial 60).
pub fn number_date(v: f64) -> Option<NaiveDate> {
    if !v.is_finite() || v < 1.0 {
        return None;
    }
    let whole = v.floor();
    let date = if (18_500_101.0..=21_001_231.0).contains(&whole) && v.fract() == 0.0 {
        split_date(&format!("{whole:.0}")).and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))?
    } else {
        excel_serial_date(whole)?
    };
    DATE_YEARS.contains(&date.year()).then_some(date)
}

/// An Excel (1900 system) serial day number as a date.
pub fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial as i64;
    let (epoch, days) = match days {
        60 => return None,
        ..60 => (NaiveDate::from_ymd_opt(1899, 12, 31)?, days),
        _ => (NaiveDate::from_ymd_opt(1899, 12, 30)?, days),
    };
    epoch.checked_add_signed(chrono::TimeDelta::try_days(days)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{INCOMES, MEMBERS};

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn date_forms() {
        for s in [
            "2024-03-05",
            "2024/3/5",
            "20240305",
            "2024.03.05",
            "2024年3月5日",
            "２０２４－０３－０５",
            "2024-03-05 00:00:00",
        ] {
            assert_eq!(parse_date(s, "出生日期").unwrap(), ymd(2024, 3, 5), "{s}");
        }
        for s in [
            "2024-13-01",
            "2024-02-30",
            "24-3-5",
            "2024-03",
            "abc",
            "2024-03-05 上午",
        ] {
            let e = parse_date(s, "出生日期").unwrap_err();
            assert!(e.message.starts_with("出生日期“"), "{s}: {e}");
        }
    }

    #[test]
    fn number_dates() {
        assert_eq!(excel_serial_date(45356.0), Some(ymd(2024, 3, 5)));
        assert_eq!(excel_serial_date(1.0), Some(ymd(1900, 1, 1)));
        assert_eq!(excel_serial_date(61.0), Some(ymd(1900, 3, 1)));
        assert_eq!(number_date(20240305.0), Some(ymd(2024, 3, 5)));
        assert_eq!(number_date(45356.75), Some(ymd(2024, 3, 5)));
        assert_eq!(number_date(20241305.0), None);
        let col = MEMBERS.column("birth_date").unwrap();
        assert_eq!(date(&Cell::Number(45356.0), col).unwrap(), ymd(2024, 3, 5));
    }

    #[test]
    fn ints_and_money() {
        let year = INCOMES.column("year").unwrap();
        assert_eq!(int(&Cell::Text("2019".into()), year).unwrap(), 2019);
        assert_eq!(int(&Cell::Text("2019.0".into()), year).unwrap(), 2019);
        assert_eq!(int(&Cell::Number(2019.0), year).unwrap(), 2019);
        let e = int(&Cell::Text("1999".into()), year).unwrap_err();
        assert_eq!(e.message, "年度“1999”超出范围：应在2014至2100之间");
        assert!(int(&Cell::Number(2019.5), year).is_err());
        let wage = INCOMES.column("wage_income").unwrap();
        let m = registry_money(&Cell::Number(1234.5), wage).unwrap();
        assert_eq!(m.fen(), 123_450);
        assert_eq!(
            registry_money(&Cell::Text("1,234.56元".into()), wage)
                .unwrap()
                .fen(),
            123_456
        );
        assert!(registry_money(&Cell::Text("-5".into()), wage).is_err());
        let e = registry_money(&Cell::Text("12.345".into()), wage).unwrap_err();
        assert!(e.message.contains("两位小数"), "{e}");
    }

    proptest::proptest! {
        /// The allocation-free path reads every amount exactly as `Money::parse_yuan`.
        #[test]
        fn plain_yuan_agrees_with_parse_yuan(s in "[0-9]{0,14}(\\.[0-9]{0,4})?") {
            if let Some(m) = plain_yuan(&s) {
                proptest::prop_assert_eq!(Ok(m), Money::parse_yuan(&s).map_err(|e| e.message));
            }
        }
    }

    #[test]
    fn plain_yuan_takes_the_common_forms_only() {
        assert_eq!(plain_yuan("1234"), Some(Money::from_fen(123_400)));
        assert_eq!(plain_yuan("1234.5"), Some(Money::from_fen(123_450)));
        assert_eq!(plain_yuan("0.05"), Some(Money::from_fen(5)));
        assert_eq!(plain_yuan("5."), Some(Money::from_yuan(5)));
        for s in [
            "",
            ".5",
            "-3",
            "+3",
            "1,234",
            "12元",
            "１２",
            "1.234",
            "1234567890123",
        ] {
            assert_eq!(plain_yuan(s), None, "{s}");
        }
        let text = |s: &str| money(&Cell::Text(s.into()));
        assert_eq!(text("1,234.5元").unwrap().fen(), 123_450);
        assert_eq!(text("-3").unwrap().fen(), -300);
        assert!(text("1234567890123").unwrap_err().message.contains("过大"));
    }

    #[test]
    fn id_number_stored_as_number_is_explained() {
        let e = id_number(&Cell::Number(520322199001011000.0)).unwrap_err();
        assert!(e.message.contains("文本"), "{e}");
    }
}
