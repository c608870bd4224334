//! 干部排查 and 农户自主申报 as use-cases: a visit that finds a risk, and a declaration by a
//! registered household, open a lead — or join the household's open lead, so that a
//! household never has two. A declaration is answered with a receipt code (回执码).

use crate::ServiceError;
use chrono::NaiveDate;
use domain::declaration::{Declaration, Visit};
use domain::monitoring::RiskSet;
use domain::screening::Channel;
use rand::Rng;
use serde_json::json;
use store::Store;
use store::audit::Change;
use store::screening::lead_status;

/// What a visit led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitOutcome {
    pub visit: i64,
    /// The lead the visit opened or joined, and whether it is new.
    pub lead: Option<(i64, bool)>,
    /// The open case the visit was a follow-up visit (帮扶走访) of.
    pub case: Option<i64>,
}

/// Records a cadre's visit to a household (户编号).
/// - A household with an open case: a follow-up visit (帮扶走访) of that case. Risks found
///   are recorded with it, and count as new risks in the elimination check; no lead is
///   opened, as screening attaches its warnings to open cases too.
/// - Any other household: a screening visit (干部排查); a risk found opens or joins a lead.
pub async fn record_visit(
    store: &Store,
    household_no: &str,
    visit: &Visit,
    today: NaiveDate,
) -> Result<VisitOutcome, ServiceError> {
    let problems = visit.check(today);
    if !problems.is_empty() {
        return Err(ServiceError::problems(&problems));
    }
    let mut tx = store.begin().await?;
    let household = tx
        .households_by_no(&[household_no])
        .await?
        .remove(household_no)
        .ok_or_else(|| ServiceError::Invalid(format!("户编号“{household_no}”尚未登记")))?;
    if let Some(case) = tx.open_case_of(household.id).await? {
        let id = tx
            .insert_visit(household.id, visit, None, Some(case))
            .await?;
        tx.audit(
            store.who(),
            &visit_change(id, household_no, visit, json!({ "case_id": case })),
        )
        .await?;
        tx.commit().await?;
        return Ok(VisitOutcome {
            visit: id,
            lead: None,
            case: Some(case),
        });
    }
    if visit.income.is_some() {
        return Err(ServiceError::Invalid(
            "该户没有在办的监测案件：收入核实随帮扶走访登记，排查走访请在入户核实中填写收入"
                .to_owned(),
        ));
    }
    let lead = if visit.found_risk() {
        Some(
            tx.open_or_join_lead(household.id, Channel::CadreVisit, visit.risks)
                .await?,
        )
    } else {
        None
    };
    let id = tx
        .insert_visit(household.id, visit, lead.map(|l| l.0), None)
        .await?;
    let joined = json!({
        "lead_id": lead.map(|l| l.0),
        "lead_new": lead.map(|l| l.1),
    });
    tx.audit(store.who(), &visit_change(id, household_no, visit, joined))
        .await?;
    tx.commit().await?;
    Ok(VisitOutcome {
        visit: id,
        lead,
        case: None,
    })
}

/// The audit row of a visit: the household, day, visitor, risks and income, and the lead or
/// case it went to (`link`). The findings are left out: free text that may describe a
/// member's health.
fn visit_change<'a>(
    id: i64,
    household_no: &str,
    visit: &Visit,
    link: serde_json::Value,
) -> Change<'a> {
    Change {
        action: "visit.record",
        entity: "visit",
        entity_id: Some(id.to_string()),
        before: None,
        after: Some(json!({
            "household_no": household_no,
            "visited_on": visit.visited_on,
            "visitor": visit.visitor.trim(),
            "risks": visit.risks.label(),
            "income_fen": visit.income.map(domain::Money::fen),
            "link": link,
        })),
    }
}

/// What a declaration led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// 回执码: with it the household can later ask what became of its declaration.
    pub code: String,
    /// Whether the declarant was found in the registry (a lead was then opened or joined).
    pub registered: bool,
}

/// 农户自主申报: stores the declaration and, when the declarant is a registered member,
/// opens or joins the household's lead. Someone outside the registry gets a receipt too;
/// the village then registers the household before the procedure can start.
pub async fn declare(store: &Store, d: &Declaration) -> Result<Receipt, ServiceError> {
    let digest = store
        .vault()
        .digest(store::Field::IdNumber, d.id_number.as_str());
    let mut tx = store.begin().await?;
    let member = tx.members_by_hash(&[digest]).await?.remove(&digest);
    let lead = match &member {
        Some(m) => Some(
            tx.open_or_join_lead(
                m.household_id,
                Channel::SelfDeclaration,
                RiskSet::EMPTY.with(d.risk),
            )
            .await?
            .0,
        ),
        None => None,
    };
    let code = receipt_code();
    let id = tx
        .insert_declaration(
            store.vault(),
            &code,
            d,
            member.as_ref().map(|m| m.household_id),
            lead,
        )
        .await?;
    // Never the ID number or the phone (kept encrypted with the declaration), nor the
    // receipt code, which answers status questions to whoever holds it.
    tx.audit(
        store.who(),
        &Change {
            action: "declaration.submit",
            entity: "declaration",
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(json!({
                "village": d.village.to_string(),
                "risk": d.risk.label(),
                "registered": member.is_some(),
                "household_id": member.as_ref().map(|m| m.household_id),
                "lead_id": lead,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Receipt {
        code,
        registered: member.is_some(),
    })
}

/// What a household is told when it asks with its receipt code.
pub async fn declaration_status(store: &Store, receipt: &str) -> Result<String, ServiceError> {
    let s = store
        .declaration_status(receipt.trim())
        .await?
        .ok_or_else(|| ServiceError::Invalid("回执码不存在，请核对后再查询".to_owned()))?;
    let when = s.submitted_at.format("%Y-%m-%d");
    let text = if !s.registered {
        format!("{when}已收到申报。尚未在户籍档案中找到申报人，村里将核实登记后办理。")
    } else {
        match (s.lead_status, s.case_state) {
            (_, Some(state)) => {
                let stage = i16::try_from(state)
                    .ok()
                    .and_then(domain::case::CaseState::from_code)
                    .map_or("办理中", |s| s.label());
                format!("{when}已收到申报，已启动识别程序，当前环节：{stage}。")
            }
            (Some(lead_status::DISMISSED), None) => {
                format!("{when}已收到申报。经村里研判暂不纳入，可向村委会了解原因。")
            }
            _ => format!("{when}已收到申报，村里正在研判。"),
        }
    };
    Ok(text)
}

/// Ten characters a household can read out on the phone: no 0/O or 1/I/L.
fn receipt_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
