//! 农户自主申报 (self-declaration) and 干部排查 (cadre visits): the two discovery channels
//! besides screening (docs/domain.md §6.1, §12.2). A declaration asks only the minimal fields —
//! name, phone, ID number, village, the difficulty in the household's words, a risk type —
//! and is answered with a receipt code with which the household later sees its status.

use crate::monitoring::{RiskSet, RiskType};
use crate::{FieldError, IdNumber, PersonName, Phone, RegionCode, RegionLevel};
use chrono::NaiveDate;

/// Longest 困难情况 text accepted (a few sentences, as on a phone form).
pub const MAX_DIFFICULTY_CHARS: usize = 300;

/// A self-declaration as submitted, parsed at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub name: PersonName,
    pub phone: Phone,
    pub id_number: IdNumber,
    /// 村代码 (12 digits, village level).
    pub village: RegionCode,
    /// 困难情况, in the household's own words.
    pub difficulty: String,
    pub risk: RiskType,
}

impl Declaration {
    /// Parses the form's fields; every problem is returned, each in Chinese.
    pub fn parse(
        name: &str,
        phone: &str,
        id_number: &str,
        village: &str,
        difficulty: &str,
        risk: &str,
    ) -> Result<Self, Vec<FieldError>> {
        fn take<T>(problems: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
            r.map_err(|e| problems.push(e)).ok()
        }
        let mut problems = Vec::new();
        let p = &mut problems;
        let name = take(p, PersonName::parse(name));
        let phone = take(p, Phone::parse(phone));
        let id_number = take(p, IdNumber::parse(id_number));
        let village = take(
            p,
            RegionCode::parse(village).and_then(|v| {
                if v.level() == RegionLevel::Village {
                    Ok(v)
                } else {
                    Err(FieldError::new("请选择所在的村（12位村代码）"))
                }
            }),
        );
        let risk = take(p, RiskType::parse(risk));
        let text = difficulty.trim();
        let difficulty = if text.is_empty() {
            problems.push(FieldError::new("请简要说明家里遇到的困难"));
            None
        } else if text.chars().count() > MAX_DIFFICULTY_CHARS {
            problems.push(FieldError::new(format!(
                "困难情况请控制在{MAX_DIFFICULTY_CHARS}字以内"
            )));
            None
        } else {
            Some(text.to_owned())
        };
        match (name, phone, id_number, village, difficulty, risk) {
            (
                Some(name),
                Some(phone),
                Some(id_number),
                Some(village),
                Some(difficulty),
                Some(risk),
            ) if problems.is_empty() => Ok(Self {
                name,
                phone,
                id_number,
                village,
                difficulty,
                risk,
            }),
            _ => Err(problems),
        }
    }
}

/// A cadre's visit (入户走访) as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub visited_on: NaiveDate,
    /// 走访人.
    pub visitor: String,
    /// 走访情况.
    pub findings: String,
    /// Risks found; empty when the visit found none (no lead then).
    pub risks: RiskSet,
    /// 收入核实: the household's per-capita net income (annual) as re-assessed at a
    /// follow-up visit (帮扶走访) of a monitored household; what shows, month by month,
    /// whether the income is stably above the line (docs/domain.md §8.1).
    pub income: Option<crate::money::Money>,
}

impl Visit {
    /// Checks a visit record: a visitor, findings, not in the future.
    pub fn check(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut out = Vec::new();
        if self.visitor.trim().is_empty() {
            out.push(FieldError::new("请填写走访人"));
        }
        if self.findings.trim().is_empty() {
            out.push(FieldError::new("请填写走访情况"));
        }
        if self.visited_on > today {
            out.push(FieldError::new(format!(
                "走访日期{}晚于今天",
                self.visited_on
            )));
        }
        if self.risks.len() > crate::monitoring::MAX_RISKS {
            out.push(FieldError::new("风险类型最多5项"));
        }
        if let Some(income) = self.income
            && let Err(e) = income.check_sane("人均纯收入")
        {
            out.push(e);
        }
        out
    }

    /// Whether the visit found a risk, which opens a lead.
    pub fn found_risk(&self) -> bool {
        !self.risks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sex;

    fn id() -> String {
        IdNumber::from_parts(
            520322,
            NaiveDate::from_ymd_opt(1980, 1, 2).unwrap(),
            11,
            Sex::Male,
        )
        .as_str()
        .to_owned()
    }

    #[test]
    fn a_declaration_needs_its_minimal_fields() {
        let d = Declaration::parse(
            "王建国",
            "13812345678",
            &id(),
            "520322101001",
            "孩子住院，花费很大",
            "因病",
        )
        .unwrap();
        assert_eq!(d.risk, RiskType::Illness);
        let e = Declaration::parse("", "123", "5203221980", "520322", "", "因穷").unwrap_err();
        assert_eq!(e.len(), 6, "{e:?}");
        assert!(e.iter().any(|p| p.message.contains("村")), "{e:?}");
        let long = "难".repeat(MAX_DIFFICULTY_CHARS + 1);
        let e = Declaration::parse(
            "王建国",
            "13812345678",
            &id(),
            "520322101001",
            &long,
            "因病",
        )
        .unwrap_err();
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn a_visit_is_checked() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        let v = Visit {
            visited_on: today,
            visitor: "张三".into(),
            findings: "户主务工受伤".into(),
            risks: RiskSet::EMPTY.with(RiskType::Accident),
            income: Some(crate::money::Money::from_yuan(6_500)),
        };
        assert!(v.check(today).is_empty());
        assert!(v.found_risk());
        let bad = Visit {
            visited_on: today.succ_opt().unwrap(),
            visitor: " ".into(),
            findings: String::new(),
            risks: RiskSet::EMPTY,
            income: Some(crate::money::Money::from_yuan(-1)),
        };
        assert_eq!(bad.check(today).len(), 4);
        assert!(!bad.found_risk());
    }
}
