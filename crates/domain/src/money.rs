//! Money in integer 分 (fen). Spreadsheets give yuan with up to two decimals; floats never
//! touch an amount, so sums and per-capita figures are exact and reproducible.

use crate::error::FieldError;
use crate::text::{fold_width, quoted};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};

/// An amount in fen (1 元 = 100 分). May be negative (a business loss).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Money(i64);

/// Largest amount a registry field accepts: 1 亿元. Anything larger is a typing error.
pub const SANE_LIMIT: Money = Money(100_000_000 * 100);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Self {
        Self(fen)
    }

    pub const fn from_yuan(yuan: i64) -> Self {
        Self(yuan * 100)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Parses yuan: "1234", "1234.5", "1,234.56", "-300", "１２３４．５０" (full-width folded),
    /// with an optional trailing 元. More than two decimals is an error, not a rounding.
    pub fn parse_yuan(s: &str) -> Result<Self, FieldError> {
        // Twelve digits of yuan with separators and decimals fit in far less: a longer
        // text is no amount, and is not folded and copied for nothing.
        if s.len() > 64 {
            return Err(FieldError::new(format!("金额“{}”过长", quoted(s))));
        }
        let folded = fold_width(s).replace([',', '，', ' '], "");
        let t = folded
            .strip_suffix('元')
            .unwrap_or(&folded)
            .replace('。', ".");
        let bad = || {
            FieldError::new(format!(
                "金额“{}”无效：应为以元为单位的数字，最多两位小数",
                quoted(s)
            ))
        };
        let (neg, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(&t)),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 2 {
            return Err(FieldError::new(format!(
                "金额“{}”最多保留两位小数（到分）",
                quoted(s)
            )));
        }
        if int.len() > 12 {
            return Err(FieldError::new(format!("金额“{}”过大", quoted(s))));
        }
        let yuan: i64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| bad())?
        };
        let mut fen_part: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        if frac.len() == 1 {
            fen_part *= 10;
        }
        let v = yuan * 100 + fen_part;
        Ok(Self(if neg { -v } else { v }))
    }

    /// From a spreadsheet number cell (already a float in the file). Rounded to the fen;
    /// rejected if it carries more than two decimals beyond float noise.
    pub fn from_f64_yuan(v: f64) -> Result<Self, FieldError> {
        if !v.is_finite() || v.abs() > 1e12 {
            return Err(FieldError::new(format!("金额“{v}”无效")));
        }
        let fen = (v * 100.0).round();
        if ((v * 100.0) - fen).abs() > 1e-6 * v.abs().max(1.0) {
            return Err(FieldError::new(format!(
                "金额“{v}”最多保留两位小数（到分）"
            )));
        }
        Ok(Self(fen as i64))
    }

    /// Checks that a registry amount is not negative and below [`SANE_LIMIT`].
    pub fn check_sane(self, what: &str) -> Result<Self, FieldError> {
        if self.0 < 0 {
            return Err(FieldError::new(format!("{what}不能为负数")));
        }
        if self > SANE_LIMIT {
            return Err(FieldError::new(format!(
                "{what}{self}元超过1亿元，请核对单位是否为元"
            )));
        }
        Ok(self)
    }

    /// This amount divided among `n` people, rounded half away from zero to the fen.
    pub fn per_capita(self, n: u32) -> Option<Money> {
        if n == 0 {
            return None;
        }
        let n = i64::from(n);
        let q = self.0 / n;
        let r = self.0 % n;
        let adj = if 2 * r.abs() >= n { self.0.signum() } else { 0 };
        Some(Money(q + adj))
    }

    /// Yuan as a float, for display and charts only.
    pub fn as_yuan_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Money {
    /// Yuan with two decimals only when there are fen: "1234", "1234.50", "-3.05".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        if a.is_multiple_of(100) {
            write!(f, "{sign}{}", a / 100)
        } else {
            write!(f, "{sign}{}.{:02}", a / 100, a % 100)
        }
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0 + o.0)
    }
}
impl Sub for Money {
    type Output = Money;
    fn sub(self, o: Money) -> Money {
        Money(self.0 - o.0)
    }
}
impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}
impl AddAssign for Money {
    fn add_assign(&mut self, o: Money) {
        self.0 += o.0;
    }
}
impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_yuan_forms() {
        assert_eq!(Money::parse_yuan("1234").unwrap().fen(), 123_400);
        assert_eq!(Money::parse_yuan("1,234.5").unwrap().fen(), 123_450);
        assert_eq!(Money::parse_yuan("０.０５元").unwrap().fen(), 5);
        assert_eq!(Money::parse_yuan("-300").unwrap().fen(), -30_000);
        assert_eq!(Money::parse_yuan("12.300").unwrap().fen(), 1_230);
        assert!(Money::parse_yuan("12.345").is_err());
        assert!(Money::parse_yuan("abc").is_err());
        assert!(Money::parse_yuan("").is_err());
        assert!(Money::parse_yuan(".").is_err());
    }

    #[test]
    fn float_cells() {
        assert_eq!(Money::from_f64_yuan(1234.56).unwrap().fen(), 123_456);
        assert_eq!(Money::from_f64_yuan(0.1 + 0.2).unwrap().fen(), 30);
        assert!(Money::from_f64_yuan(1.234).is_err());
    }

    #[test]
    fn sanity_bounds() {
        assert!(Money::from_yuan(-1).check_sane("工资性收入").is_err());
        let e = Money::from_yuan(200_000_000)
            .check_sane("工资性收入")
            .unwrap_err();
        assert!(e.message.contains("1亿元"));
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(fen in -10_000_000_000i64..10_000_000_000) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_yuan(&m.to_string()).unwrap(), m);
        }

        #[test]
        fn per_capita_is_nearest_fen(fen in -10_000_000_000i64..10_000_000_000, n in 1u32..20) {
            let pc = Money::from_fen(fen).per_capita(n).unwrap().fen();
            let exact = fen as f64 / f64::from(n);
            prop_assert!((pc as f64 - exact).abs() <= 0.5 + 1e-9);
        }
    }
}
