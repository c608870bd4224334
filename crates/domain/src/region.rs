//! 行政区划代码 (statistical division code): twelve digits, five levels —
//! province (2) · prefecture (4) · county (6) · township (9) · village (12).
//! Shorter codes are padded with zeros on the right, as the statistics bureau does.

use crate::error::FieldError;
use crate::text::fold_width;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The level of a division (区划级别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RegionLevel {
    /// 省
    Province = 1,
    /// 市 (地级)
    City = 2,
    /// 县 / 区
    County = 3,
    /// 乡镇 / 街道
    Township = 4,
    /// 村 / 社区
    Village = 5,
}

impl RegionLevel {
    /// Number of significant digits of a code at this level.
    pub fn digits(self) -> usize {
        match self {
            Self::Province => 2,
            Self::City => 4,
            Self::County => 6,
            Self::Township => 9,
            Self::Village => 12,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Province => "省",
            Self::City => "市",
            Self::County => "县",
            Self::Township => "乡镇",
            Self::Village => "村",
        }
    }

    pub fn from_i16(v: i16) -> Option<Self> {
        Some(match v {
            1 => Self::Province,
            2 => Self::City,
            3 => Self::County,
            4 => Self::Township,
            5 => Self::Village,
            _ => return None,
        })
    }
}

/// A division of the hierarchy with its name (桐梓县, 楚米镇 …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
}

/// A 12-digit division code kept as an integer: compact, and a subtree is a half-open
/// integer range that every database indexes (`code >= lo AND code < hi`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(u64);

const MAX: u64 = 999_999_999_999;

impl RegionCode {
    /// Parses a code of 2, 4, 6, 9 or 12 digits (full-width digits folded).
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = fold_width(s);
        let bad = || {
            FieldError::new(format!(
                "区划代码“{}”无效：应为2、4、6、9或12位数字",
                crate::text::quoted(&s)
            ))
        };
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let pad = match s.len() {
            2 => 10,
            4 => 8,
            6 => 6,
            9 => 3,
            12 => 0,
            _ => return Err(bad()),
        };
        let v: u64 = s.parse().map_err(|_| bad())?;
        let code = v * 10u64.pow(pad);
        if code == 0 || s.starts_with('0') {
            return Err(bad());
        }
        Ok(Self(code))
    }

    /// From the stored integer form.
    pub fn from_u64(v: u64) -> Option<Self> {
        (v > 0 && (100_000_000_000..=MAX).contains(&v)).then_some(Self(v))
    }

    pub fn as_u64(self) -> u64 {
        self.0
    }

    pub fn as_i64(self) -> i64 {
        self.0 as i64
    }

    /// The level implied by the trailing zeros (a village code never ends in 000).
    pub fn level(self) -> RegionLevel {
        let v = self.0;
        if v.is_multiple_of(10_000_000_000) {
            RegionLevel::Province
        } else if v.is_multiple_of(100_000_000) {
            RegionLevel::City
        } else if v.is_multiple_of(1_000_000) {
            RegionLevel::County
        } else if v.is_multiple_of(1_000) {
            RegionLevel::Township
        } else {
            RegionLevel::Village
        }
    }

    /// The significant digits only ("520322" for a county).
    pub fn short(self) -> String {
        let s = format!("{:012}", self.0);
        s[..self.level().digits()].to_string()
    }

    /// The code of the enclosing division at `level` (itself if already at or above it).
    pub fn ancestor(self, level: RegionLevel) -> Self {
        let pad = 10u64.pow((12 - level.digits()) as u32);
        Self(self.0 / pad * pad)
    }

    pub fn parent(self) -> Option<Self> {
        let up = match self.level() {
            RegionLevel::Province => return None,
            RegionLevel::City => RegionLevel::Province,
            RegionLevel::County => RegionLevel::City,
            RegionLevel::Township => RegionLevel::County,
            RegionLevel::Village => RegionLevel::Township,
        };
        Some(self.ancestor(up))
    }

    /// The half-open range `[lo, hi)` of codes in this division's subtree, itself included.
    pub fn subtree(self) -> (u64, u64) {
        let span = 10u64.pow((12 - self.level().digits()) as u32);
        (self.0, self.0 + span)
    }

    pub fn contains(self, other: RegionCode) -> bool {
        let (lo, hi) = self.subtree();
        other.0 >= lo && other.0 < hi
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:012}", self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_padding() {
        let county = RegionCode::parse("520322").unwrap();
        assert_eq!(county.to_string(), "520322000000");
        assert_eq!(county.level(), RegionLevel::County);
        let village = RegionCode::parse("520322101001").unwrap();
        assert_eq!(village.level(), RegionLevel::Village);
        assert_eq!(village.parent().unwrap().short(), "520322101");
        assert_eq!(village.ancestor(RegionLevel::Province).short(), "52");
        assert!(county.contains(village));
        assert!(!RegionCode::parse("520323").unwrap().contains(village));
        assert_eq!(county.subtree(), (520322000000, 520323000000));
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "52032", "52032210100a", "0520322", "1234567", "000000"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            RegionCode::parse("5203").unwrap().level(),
            RegionLevel::City
        );
    }
}
