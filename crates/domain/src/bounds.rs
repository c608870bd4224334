//! 输入界限: how long a free-text field and how large a number of a form, a request or a
//! file may be — one table, so that every parser applies the same limits and
//! docs/security.md ("Bounds") can state them. Text is checked by
//! [`TextField`](crate::text::TextField) with the lengths below; numbers, amounts and
//! dates by [`within`].
//!
//! The limits are generous for what a clerk types and tight against what a script sends:
//! a 600,000-character note would be stored, copied into the case history, into its audit
//! row and onto every page that shows the case.

use crate::FieldError;
use crate::money::Money;
use chrono::NaiveDate;
use std::fmt::Display;
use std::ops::RangeInclusive;

/// 姓名 of a person of the registry, a declaration or a helper (帮扶责任人).
pub const NAME_CHARS: usize = 30;
/// Short single-line texts: an account's display name (recorded as 经办人 and 走访人, and
/// often with its office: "乡村振兴办 李四"), a department, an office, an issuer, a
/// division's name.
pub const SHORT_CHARS: usize = 50;
/// Single lines of some length: an address, a work unit, who signed, what is authorised,
/// who attended, a file name.
pub const LINE_CHARS: usize = 200;
/// Reasons a household is told (不予纳入, 退回, 回退, 绿色通道 …).
pub const REASON_CHARS: usize = 500;
/// Notes and findings (核实情况, 走访情况, 比对结果, 审核意见, 异议内容 …): a few pages.
pub const NOTE_CHARS: usize = 2_000;
/// 评议纪要 (minutes of a democratic review, the longest text the procedure records).
pub const MINUTES_CHARS: usize = 5_000;

/// 共同生活人数 on the 入户核实表: a household of one to thirty.
pub const HOUSEHOLD_MEMBERS: RangeInclusive<u32> = 1..=30;
/// Cases in one batch (one village's 民主评议 or notice) and list items of one request.
pub const BATCH_CASES: usize = 500;

/// A household's net income of twelve months: a loss of up to 100万元 (a failed business),
/// a gain of up to 1亿元 ([`crate::money::SANE_LIMIT`]); beyond either it is a typing error.
pub const HOUSEHOLD_INCOME: RangeInclusive<Money> =
    Money::from_yuan(-1_000_000)..=crate::money::SANE_LIMIT;
/// 家庭人均纯收入 as the county decides on it: the same loss bound per person.
pub const PER_CAPITA_INCOME: RangeInclusive<Money> =
    Money::from_yuan(-1_000_000)..=crate::money::SANE_LIMIT;
/// 监测范围 (the monitoring line, about 7,000 元 a year per person in 2025).
pub const MONITORING_LINE: RangeInclusive<Money> = Money::from_yuan(1)..=Money::from_yuan(100_000);
/// 帮扶金额 of one measure (subsidies, loans, dividends): up to 100万元.
pub const MEASURE_AMOUNT: RangeInclusive<Money> = Money::ZERO..=Money::from_yuan(1_000_000);

/// Years a date of the procedure (a step, a visit, a measure, a pairing, a notice, a
/// screening) may fall in: from the first registers of 精准扶贫 to the end of the century.
pub const EVENT_YEARS: RangeInclusive<i32> = 2014..=2099;
/// Days ahead a to-do list looks for follow-up visits falling due.
pub const LOOKAHEAD_DAYS: RangeInclusive<u32> = 0..=366;

/// The first and last day of [`EVENT_YEARS`].
pub fn event_dates() -> RangeInclusive<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(*EVENT_YEARS.start(), 1, 1).expect("valid date");
    let last = NaiveDate::from_ymd_opt(*EVENT_YEARS.end(), 12, 31).expect("valid date");
    first..=last
}

/// Checks that `value` of the field `label` lies in `range`; the message names the field,
/// the value and the range, with `unit` after each figure ("元", "人", "天" or "").
pub fn within<T: PartialOrd + Display>(
    label: &str,
    value: T,
    range: &RangeInclusive<T>,
    unit: &str,
) -> Result<T, FieldError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(format!(
            "{label}{value}{unit}超出范围：应在{}{unit}至{}{unit}之间",
            range.start(),
            range.end()
        )))
    }
}

/// A date of the procedure, within [`EVENT_YEARS`].
pub fn event_date(label: &str, d: NaiveDate) -> Result<NaiveDate, FieldError> {
    within(label, d, &event_dates(), "")
}

/// Checks that a list of a request holds at most `max` items.
pub fn list_len(label: &str, n: usize, max: usize) -> Result<(), FieldError> {
    if n > max {
        return Err(FieldError::new(format!("{label}最多{max}项，现为{n}项")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_name_the_field_and_the_bounds() {
        assert_eq!(within("共同生活人数", 3, &HOUSEHOLD_MEMBERS, "人"), Ok(3));
        let e = within("共同生活人数", 65_535, &HOUSEHOLD_MEMBERS, "人").unwrap_err();
        assert_eq!(e.message, "共同生活人数65535人超出范围：应在1人至30人之间");
        let e = within(
            "近12个月家庭纯收入",
            Money::from_yuan(-99_999_999),
            &HOUSEHOLD_INCOME,
            "元",
        )
        .unwrap_err();
        assert!(e.message.contains("应在-1000000元至100000000元之间"), "{e}");
        let far = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        let e = event_date("开始日期", far).unwrap_err();
        assert!(e.message.contains("2014-01-01至2099-12-31"), "{e}");
        assert!(list_len("风险类型", 6, 5).is_err());
        assert!(list_len("风险类型", 5, 5).is_ok());
    }
}
