//! The records the village fills in during the procedure: the 入户核实表 (home-verification
//! form) and the 承诺授权书 (consent to data queries), docs/domain.md §6.2. They travel inside
//! the [`Action`](super::Action) that records the step and stay on the case's
//! [`Steps`](super::Steps), so what the review and the county decided on can be read later.

use crate::FieldError;
use crate::enums::{HousingSafety, WaterSafety};
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// 入户核实表: what the cadres found at the household (identification and elimination).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// 实际共同生活的家庭成员人数 (members actually living together).
    pub members: u32,
    /// 近12个月家庭纯收入 (net income of the last 12 months, re-assessed).
    pub net_income_12m: Money,
    /// 近12个月刚性支出 (medical, schooling and other rigid spending of the same months).
    pub rigid_spending_12m: Money,
    /// 住房安全.
    #[serde(with = "crate::enums::by_label")]
    pub housing: HousingSafety,
    /// 饮水安全.
    #[serde(with = "crate::enums::by_label")]
    pub water: WaterSafety,
    /// 全部成员参加基本医疗保险.
    pub all_insured: bool,
    /// 义务教育阶段无失学辍学.
    pub schooling_secured: bool,
    /// 有劳动能力的成员人数 (labour capacity).
    pub labour_members: u32,
    /// 核实情况 (what else was found).
    pub note: String,
}

impl Verification {
    /// 家庭人均纯收入 of the form's 12 months.
    pub fn per_capita(&self) -> Option<Money> {
        self.net_income_12m.per_capita(self.members)
    }

    /// Checks the form: at least one member, labour not above the members, sane amounts.
    pub fn check(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if self.members == 0 {
            out.push(FieldError::new("共同生活人数至少为1人"));
        }
        if self.labour_members > self.members {
            out.push(FieldError::new(format!(
                "有劳动能力人数{}超过共同生活人数{}",
                self.labour_members, self.members
            )));
        }
        if let Err(e) = self.rigid_spending_12m.check_sane("刚性支出") {
            out.push(e);
        }
        if self.net_income_12m > crate::money::SANE_LIMIT {
            out.push(FieldError::new("家庭纯收入超过1亿元，请核对单位是否为元"));
        }
        out
    }

    /// One line for the case history.
    pub fn summary(&self) -> String {
        let per_capita = self
            .per_capita()
            .map_or_else(|| "—".to_owned(), |m| format!("{m}元"));
        format!(
            "共同生活{}人，近12个月家庭纯收入{}元（人均{per_capita}），刚性支出{}元；住房{}，饮水{}，{}，{}；有劳动能力{}人{}",
            self.members,
            self.net_income_12m,
            self.rigid_spending_12m,
            self.housing.label(),
            self.water.label(),
            if self.all_insured {
                "全员参保"
            } else {
                "有成员未参保"
            },
            if self.schooling_secured {
                "无失学辍学"
            } else {
                "有失学辍学"
            },
            self.labour_members,
            if self.note.trim().is_empty() {
                String::new()
            } else {
                format!("。{}", self.note.trim())
            }
        )
    }
}

/// A scanned document kept with the case (the signed 承诺授权书): its name and the SHA-256
/// of its bytes, which the store keeps beside the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

/// 农户承诺授权: who signed, what they authorised the county to query, and the scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// 签字人 (the household head, or every adult member as the province requires).
    pub signed_by: String,
    /// 授权查询事项, e.g. "收入、存款、房产、车辆、工商登记、财政供养".
    pub queries: String,
    /// The scanned signed form, when uploaded.
    pub attachment: Option<Attachment>,
}
