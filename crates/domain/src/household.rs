//! 一户一档: the household (户) and its members (人口), as the registry keeps them.
//! A record here has already been parsed: every field is valid on its own. Rules that span
//! records (one 户主 per household, an ID number in one household only, the village exists)
//! are checked by [`check_composition`] and, against stored data, by the service.

use crate::enums::*;
use crate::error::FieldError;
use crate::id_number::IdNumber;
use crate::phone::Phone;
use crate::region::{RegionCode, RegionLevel};
use crate::text::{TextField, fold_width, is_forbidden, quoted};
use chrono::{Datelike, NaiveDate};
use std::fmt;

/// 户编号 — the household's number, unique in a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HouseholdNo(String);

impl HouseholdNo {
    /// 1–32 characters of digits, Latin letters and '-'.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let t = fold_width(s);
        if t.is_empty() {
            return Err(FieldError::new("户编号不能为空"));
        }
        if t.len() > 32 || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(FieldError::new(format!(
                "户编号“{}”无效：只能由数字、字母和“-”组成，最长32位",
                quoted(&t)
            )));
        }
        Ok(Self(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HouseholdNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 姓名 — 1 to 30 characters, no digits, no control characters nor bidirectional
/// overrides ([`crate::text::is_forbidden`]): a name is shown on pages and notices, printed
/// by the command line and written to exports, where a terminal escape would do harm.
/// Middle dots of minority names (·, •, ．) are normalised to "·". Other symbols are left
/// to the writers, which escape them (HTML) or quote them (a leading "=" in a spreadsheet):
/// names stored before this rule must still read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        if s.len() > crate::bounds::NAME_CHARS * 4 + 64 {
            return Err(FieldError::new(format!(
                "姓名过长：最多{}个字",
                crate::bounds::NAME_CHARS
            )));
        }
        let t: String = s
            .trim()
            .chars()
            .map(|c| match c {
                '•' | '．' | '・' | '‧' | '∙' => '·',
                '\u{3000}' => ' ',
                _ => c,
            })
            .collect();
        let t = t.trim().to_string();
        let n = t.chars().count();
        if n == 0 {
            return Err(FieldError::new("姓名不能为空"));
        }
        if n > crate::bounds::NAME_CHARS {
            return Err(FieldError::new(format!(
                "姓名“{}”过长：最多{}个字",
                quoted(&t),
                crate::bounds::NAME_CHARS
            )));
        }
        let bad = |c: &char| c.is_ascii_digit() || is_forbidden(*c);
        if let Some((i, c)) = t.chars().enumerate().find(|(_, c)| bad(c)) {
            return Err(FieldError::new(if c.is_ascii_digit() {
                format!("姓名“{}”无效：不能含数字", quoted(&t))
            } else {
                format!(
                    "姓名“{}”第{}个字是控制字符，请删除后重试",
                    quoted(&t),
                    i + 1
                )
            }));
        }
        Ok(Self(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 住址 of a household (registry files): line breaks allowed, as Excel's Alt+Enter types
/// them into an address cell; other control characters are not.
pub const ADDRESS: TextField = TextField::lines("住址", crate::bounds::LINE_CHARS);

/// 脱贫年度: the years of 精准扶贫 exits.
pub const EXIT_YEARS: std::ops::RangeInclusive<u16> = 2014..=2020;

/// 户信息 — one household of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    pub household_no: HouseholdNo,
    /// 村代码 — always a village-level code.
    pub village: RegionCode,
    pub household_type: HouseholdType,
    /// 脱贫年度, required for 脱贫户 and absent otherwise.
    pub exit_year: Option<u16>,
    pub phone: Option<Phone>,
    pub address: Option<String>,
    pub housing: Option<HousingSafety>,
    pub water: Option<WaterSafety>,
}

/// Where a problem of a record lies: the template key of the field.
pub type FieldProblem = (&'static str, FieldError);

impl Household {
    /// Checks the rules between fields of one household record.
    pub fn check(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        if self.village.level() != RegionLevel::Village {
            out.push((
                "village_code",
                FieldError::new(format!(
                    "村代码“{}”不是村级代码（应为12位且末三位不全为0）",
                    self.village
                )),
            ));
        }
        match (self.household_type, self.exit_year) {
            (HouseholdType::ExPoor, None) => out.push((
                "exit_year",
                FieldError::new("脱贫户必须填写脱贫年度（2014–2020）"),
            )),
            (HouseholdType::ExPoor, Some(y)) if !EXIT_YEARS.contains(&y) => out.push((
                "exit_year",
                FieldError::new(format!("脱贫年度“{y}”无效：应在2014至2020之间")),
            )),
            (HouseholdType::Ordinary, Some(_)) => out.push((
                "exit_year",
                FieldError::new("一般农户不应填写脱贫年度；如该户为脱贫户，请将户类型改为“脱贫户”"),
            )),
            _ => {}
        }
        out
    }
}

/// 人口信息 — one member of a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub household_no: HouseholdNo,
    pub name: PersonName,
    /// 证件号码 — the member's natural key.
    pub id_number: IdNumber,
    pub relation: Relation,
    /// Derived from the ID number; a different value in the file is an error.
    pub sex: Sex,
    /// Derived from the ID number; a different value in the file is an error.
    pub birth_date: NaiveDate,
    pub labor: Labor,
    pub health: Option<Health>,
    pub disability_grade: Option<DisabilityGrade>,
    pub schooling: Option<Schooling>,
    pub education: Option<Education>,
    /// 务工月数, 0–12.
    pub work_months: Option<u8>,
    /// 参加城乡居民医保
    pub medical_insured: Option<bool>,
    /// 享受低保
    pub dibao: Option<bool>,
    /// 特困供养
    pub tekun: Option<bool>,
}

impl Member {
    /// Age in whole years on `on`.
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        age_on(self.birth_date, on)
    }
}

/// Whole years between a birth date and a day.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

/// A problem that spans members of one household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositionProblem {
    pub household_no: HouseholdNo,
    /// Indexes (into the slice given to [`check_composition`]) of the members concerned.
    pub members: Vec<usize>,
    pub message: String,
}

/// Checks every household's membership: exactly one 户主, at most one 配偶.
/// `members` are the household's complete membership after the change under test.
pub fn check_composition<'a>(
    members: impl IntoIterator<Item = (usize, &'a HouseholdNo, Relation)>,
) -> Vec<CompositionProblem> {
    // Hashing (FxHash), not ordering: a registry-wide import passes millions of members.
    let mut by_hh: rustc_hash::FxHashMap<&HouseholdNo, (Vec<usize>, Vec<usize>, usize)> =
        rustc_hash::FxHashMap::default();
    for (i, hh, rel) in members {
        let e = by_hh.entry(hh).or_default();
        e.2 += 1;
        match rel {
            Relation::Head => e.0.push(i),
            Relation::Spouse => e.1.push(i),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut by_hh: Vec<_> = by_hh
        .into_iter()
        .filter(|(_, (heads, spouses, _))| heads.len() != 1 || spouses.len() > 1)
        .collect();
    by_hh.sort_by(|a, b| a.0.cmp(b.0));
    for (hh, (heads, spouses, n)) in by_hh {
        if heads.is_empty() {
            out.push(CompositionProblem {
                household_no: hh.clone(),
                members: Vec::new(),
                message: format!("户“{hh}”共{n}人，但没有户主：每户必须有且只有一名户主"),
            });
        } else if heads.len() > 1 {
            out.push(CompositionProblem {
                household_no: hh.clone(),
                message: format!("户“{hh}”有{}名户主：每户只能有一名户主", heads.len()),
                members: heads,
            });
        }
        if spouses.len() > 1 {
            out.push(CompositionProblem {
                household_no: hh.clone(),
                message: format!("户“{hh}”有{}名配偶：每户最多一名配偶", spouses.len()),
                members: spouses,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hh(s: &str) -> HouseholdNo {
        HouseholdNo::parse(s).unwrap()
    }

    #[test]
    fn composition_rules() {
        let a = hh("A1");
        let b = hh("B1");
        let c = hh("C1");
        let rows = vec![
            (0, &a, Relation::Head),
            (1, &a, Relation::Spouse),
            (2, &a, Relation::Son),
            (3, &b, Relation::Head),
            (4, &b, Relation::Head),
            (5, &c, Relation::Son),
            (6, &c, Relation::Spouse),
            (7, &c, Relation::Spouse),
        ];
        let p = check_composition(rows);
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].message.contains("2名户主") && p[0].members == vec![3, 4]);
        assert!(p[1].message.contains("没有户主"));
        assert!(p[2].message.contains("2名配偶"));
    }

    #[test]
    fn exit_year_rules() {
        let mut h = Household {
            household_no: hh("5203221010010001"),
            village: RegionCode::parse("520322101001").unwrap(),
            household_type: HouseholdType::ExPoor,
            exit_year: None,
            phone: None,
            address: None,
            housing: None,
            water: None,
        };
        assert_eq!(h.check()[0].0, "exit_year");
        h.exit_year = Some(2019);
        assert!(h.check().is_empty());
        h.household_type = HouseholdType::Ordinary;
        assert_eq!(h.check().len(), 1);
        h.exit_year = None;
        h.village = RegionCode::parse("520322101").unwrap();
        assert_eq!(h.check()[0].0, "village_code");
    }

    #[test]
    fn names_and_numbers() {
        assert_eq!(
            PersonName::parse(" 买买提•艾力 ").unwrap().as_str(),
            "买买提·艾力"
        );
        assert!(PersonName::parse("张3").is_err());
        for ok in ["阿依古丽·买买提", "欧阳 娜娜", "王〇", "Zoë", "\u{E000}明"] {
            assert!(PersonName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "\u{1b}[2J王五",
            "王\u{7}五",
            "王\u{9b}五",
            "王\u{202E}五",
            "王\n五",
        ] {
            let e = PersonName::parse(bad).unwrap_err();
            assert!(!e.message.contains('\u{1b}'), "{e}");
        }
        let e = PersonName::parse(&"王".repeat(100_000)).unwrap_err();
        assert!(e.message.len() < 100, "{e}");
        assert!(HouseholdNo::parse("52 03").is_err());
        assert_eq!(
            age_on(
                NaiveDate::from_ymd_opt(1960, 6, 2).unwrap(),
                NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
            ),
            65
        );
    }
}
