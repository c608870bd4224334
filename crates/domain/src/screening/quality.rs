//! 数据质量 (data quality): checks of the registry that screening runs beside the rules, each
//! with a stable code (DQ01 …), so that a village can clean its records before they mislead
//! a decision.
//!
//! Invalid or duplicated ID numbers never reach the registry: the imports reject them with
//! their row and column (docs/formats.md). The checks here find what is valid field by
//! field but wrong taken together.

use super::HouseholdView;
use super::policy::QualitySettings;
use crate::FieldError;
use crate::enums::{HealthCondition, HouseholdType, Labor, Relation};
use crate::feed::EventDetail;
use crate::household::age_on;
use crate::text::fold_width;
use chrono::{Datelike, NaiveDate};

labelled_enum! {
    /// 数据质量问题 — by stable code.
    QualityCode, "数据质量问题" {
        NoMembers = 1: "户内无成员" | "DQ01",
        NoHead = 2: "无户主" | "DQ02",
        DeceasedMember = 3: "已故人员仍在册" | "DQ03",
        LaborTooYoung = 4: "未达劳动年龄登记为劳动力" | "DQ04",
        LaborTooOld = 5: "高龄人员登记为普通或技能劳动力" | "DQ05",
        LaborHealth = 6: "重病或重度残疾登记为普通或技能劳动力" | "DQ06",
        WageWithoutWork = 7: "有工资性收入但无人务工" | "DQ07",
        ExPoorWithoutExitYear = 8: "脱贫户缺少脱贫年度" | "DQ08",
        DisabilityMismatch = 9: "残疾等级与健康状况不符" | "DQ09",
        SchoolAgeWithoutSchooling = 10: "义务教育年龄段无在校信息" | "DQ10",
        NoRecentIncome = 11: "缺少上年度收支信息" | "DQ11",
        DibaoWithoutTransfer = 12: "享受低保但无转移性收入" | "DQ12",
    }
}

impl QualityCode {
    /// "DQ01" …
    pub fn tag(self) -> String {
        format!("DQ{:02}", self.code())
    }
}

/// One finding: a code, and the member concerned when it is about a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    pub code: QualityCode,
    pub member: Option<u32>,
}

/// Checks one household as of `as_of`, appending its findings to `out`.
pub fn check(
    view: &HouseholdView<'_>,
    settings: &QualitySettings,
    as_of: NaiveDate,
    out: &mut Vec<Finding>,
) {
    let mut add = |code, member| out.push(Finding { code, member });
    let hh = view.household;
    if hh.household_type == HouseholdType::ExPoor && hh.exit_year.is_none() {
        add(QualityCode::ExPoorWithoutExitYear, None);
    }
    if view.members.is_empty() {
        add(QualityCode::NoMembers, None);
        return;
    }
    if !view.members.iter().any(|m| m.relation == Relation::Head) {
        add(QualityCode::NoHead, None);
    }
    for e in view.events {
        if matches!(e.detail, EventDetail::Death)
            && e.date <= as_of
            && view.members.iter().any(|m| m.id == e.member)
        {
            add(QualityCode::DeceasedMember, Some(e.member));
        }
    }
    let mut anyone_works = false;
    for m in view.members {
        let age = age_on(m.birth_date, as_of);
        let able = matches!(m.labor, Labor::Ordinary | Labor::Skilled);
        if m.labor.has_capacity() && age < settings.min_working_age {
            add(QualityCode::LaborTooYoung, Some(m.id));
        }
        if able && age > settings.max_working_age {
            add(QualityCode::LaborTooOld, Some(m.id));
        }
        let severe = m.health.has(HealthCondition::Serious)
            || m.disability_grade.is_some_and(|g| g.is_severe());
        if able && severe {
            add(QualityCode::LaborHealth, Some(m.id));
        }
        let disabled = m.health.has(HealthCondition::Disabled);
        if disabled != m.disability_grade.is_some() {
            add(QualityCode::DisabilityMismatch, Some(m.id));
        }
        if (7..=15).contains(&age) && m.schooling.is_none_or(|s| !s.is_student()) {
            add(QualityCode::SchoolAgeWithoutSchooling, Some(m.id));
        }
        anyone_works |= m.work_months.is_some_and(|w| w > 0);
    }
    let last_year = (as_of.year() - 1) as u16;
    match view.incomes.iter().find(|i| i.year == last_year) {
        None => add(QualityCode::NoRecentIncome, None),
        Some(i) => {
            if i.wage.fen() > 0 && !anyone_works {
                add(QualityCode::WageWithoutWork, None);
            }
            if i.transfer.fen() == 0 && view.members.iter().any(|m| m.dibao == Some(true)) {
                add(QualityCode::DibaoWithoutTransfer, None);
            }
        }
    }
}
