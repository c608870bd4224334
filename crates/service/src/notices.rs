//! 公示 / 公告 for a village batch of cases: the notice is built from what the domain allows
//! on it (`domain::notice`) — the head's name, the village group, category, household size
//! and generic risk wording — so that no ID number, phone, bank account or health detail
//! can reach a wall.

use crate::ServiceError;
use chrono::NaiveDate;
use domain::PersonName;
use domain::monitoring::{Category, RiskSet};
use domain::notice::{
    Notice, NoticeDraft, NoticeEntry, NoticeKind, NoticeRules, OfficeContact, VillageGroup,
};
use store::Store;

/// Where and by whom a notice is published.
#[derive(Debug, Clone)]
pub struct Publication {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub contact: OfficeContact,
    pub issuer: String,
    pub issued_on: NaiveDate,
}

/// Builds the notice of `kind` for these cases, which must be of one village.
pub async fn build(
    store: &Store,
    kind: NoticeKind,
    case_ids: &[i64],
    publication: Publication,
    rules: &NoticeRules,
) -> Result<Notice, ServiceError> {
    let facts = store.notice_facts(case_ids).await?;
    if facts.len() != case_ids.len() {
        return Err(ServiceError::Invalid(
            "部分案件不存在，请核对案件编号".to_owned(),
        ));
    }
    let village = facts
        .first()
        .map(|f| f.village)
        .ok_or_else(|| ServiceError::Invalid("公示名单为空：至少应有一户".to_owned()))?;
    if let Some(f) = facts.iter().find(|f| f.village != village) {
        return Err(ServiceError::Invalid(format!(
            "案件 {}（户 {}）不属于同一个村：公示按村张贴",
            f.case_id, f.household_no
        )));
    }
    let village_name = store
        .region(village)
        .await?
        .map_or_else(|| village.to_string(), |r| short_village_name(&r.name));
    let policy = crate::policy::policy_on(store, publication.start).await?;
    let year = u16::try_from(chrono::Datelike::year(&publication.start)).unwrap_or(0);
    let mut entries = Vec::with_capacity(facts.len());
    for f in &facts {
        let bad = |what: &str| {
            ServiceError::Invalid(format!(
                "案件 {}（户 {}）：{what}",
                f.case_id, f.household_no
            ))
        };
        let head = f
            .head_name
            .as_deref()
            .ok_or_else(|| bad("户内没有登记户主"))
            .and_then(|n| PersonName::parse(n).map_err(|e| bad(&e.message)))?;
        let (category, risks) = if kind.is_elimination() {
            let case = store.case(f.case_id).await?.case;
            let id = case
                .identification
                .ok_or_else(|| bad("尚未纳入监测，不能列入风险消除公示"))?;
            (id.category, id.risks)
        } else if let Some(id) = store.case(f.case_id).await?.case.identification {
            // 识别公告 after the county's decision: what was decided.
            (id.category, id.risks)
        } else {
            // 识别公示: the proposal — the lead's suggested category, or for a lead from a
            // visit or a declaration (which suggests none) the category the verification
            // form's income fits under this year's line.
            let case = store.case(f.case_id).await?.case;
            let from_form = || {
                let form = case.ident.verification.as_ref()?;
                let line = policy.line(f.village, year)?;
                domain::monitoring::fitting_category(
                    case.household_type,
                    form.per_capita(),
                    line.amount,
                    false,
                )
            };
            let category = f
                .lead_category
                .and_then(|c| i16::try_from(c).ok())
                .and_then(Category::from_code)
                .or_else(from_form)
                .ok_or_else(|| {
                    bad("没有拟纳入类别：线索未给出，入户核实表的收入也不在监测范围内")
                })?;
            let risks = f
                .lead_risks
                .and_then(|r| u16::try_from(r).ok())
                .and_then(RiskSet::from_bits)
                .filter(|r| !r.is_empty())
                .ok_or_else(|| bad("线索没有风险类型"))?;
            (category, risks)
        };
        let group =
            VillageGroup::parse(&group_of(f.address.as_deref())).map_err(|e| bad(&e.message))?;
        let size = u32::try_from(f.size).unwrap_or(0);
        entries.push(
            NoticeEntry::new(head, group, category, size, risks)
                .map_err(|e| bad(&e.to_string()))?,
        );
    }
    Notice::new(
        NoticeDraft {
            kind,
            village: village_name,
            entries,
            start: publication.start,
            end: publication.end,
            contact: publication.contact,
            issuer: publication.issuer,
            issued_on: publication.issued_on,
        },
        rules,
    )
    .map_err(|problems| ServiceError::problems(&problems))
}

/// "高山村村民委员会" → "高山村".
fn short_village_name(name: &str) -> String {
    name.trim_end_matches("村民委员会")
        .trim_end_matches("居民委员会")
        .to_owned()
}

/// The 村民小组 in an address ("楚米镇高山村三组" → "三组"); "—" when it names none.
fn group_of(address: Option<&str>) -> String {
    let Some(a) = address else {
        return "—".to_owned();
    };
    let Some(end) = a.rfind('组') else {
        return "—".to_owned();
    };
    let before: Vec<char> = a[..end].chars().collect();
    let start = before
        .iter()
        .rposition(|c| matches!(c, '村' | '镇' | '乡' | '社' | '区' | ' '))
        .map_or(0, |i| i + 1);
    let group: String = before[start..].iter().collect();
    if group.is_empty() || group.chars().count() > 8 {
        "—".to_owned()
    } else {
        format!("{group}组")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn village_groups_and_names_are_read() {
        assert_eq!(group_of(Some("楚米镇高山村三组")), "三组");
        assert_eq!(group_of(Some("高山村12组")), "12组");
        assert_eq!(group_of(Some("高山村")), "—");
        assert_eq!(group_of(None), "—");
        assert_eq!(short_village_name("高山村村民委员会"), "高山村");
        assert_eq!(short_village_name("城关社区居民委员会"), "城关社区");
    }
}
