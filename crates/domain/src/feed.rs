//! 部门数据 (department feeds): the eight kinds of records departments send, one person and
//! one event per row (docs/formats.md). A row names its person by 证件号码; the import resolves
//! it to a registry member once, and from then on an event carries the member's identity
//! only ([`FeedEvent`]), never the ID number.

use crate::enums::{DisabilityGrade, Schooling};
use crate::money::Money;
use crate::text::fold_width;
use crate::{FieldError, IdNumber};
use chrono::{Datelike, NaiveDate};

labelled_enum! {
    /// 部门数据种类 — which feed a record comes from. The code is part of the storage format.
    Feed, "数据种类" {
        /// 医保结算 (医保)
        Medical = 1: "医保结算" | "medical",
        /// 残疾人证 (残联)
        Disability = 2: "残疾人证" | "disability",
        /// 受灾人员 (应急管理)
        Disaster = 3: "受灾人员" | "disaster",
        /// 社会救助 (民政)
        Assistance = 4: "社会救助" | "assistance",
        /// 就业 (人社)
        Employment = 5: "就业" | "employment",
        /// 学籍 (教育)
        Schooling = 6: "学籍" | "schooling",
        /// 住房鉴定 (住建)
        Housing = 7: "住房鉴定" | "housing",
        /// 死亡 (公安/民政)
        Death = 8: "死亡" | "death",
    }
}

impl Feed {
    /// The English name used on the command line and in template names (`medical`, …).
    pub fn name(self) -> &'static str {
        match self {
            Feed::Medical => "medical",
            Feed::Disability => "disability",
            Feed::Disaster => "disaster",
            Feed::Assistance => "assistance",
            Feed::Employment => "employment",
            Feed::Schooling => "schooling",
            Feed::Housing => "housing",
            Feed::Death => "death",
        }
    }

    /// The department that sends it.
    pub fn department(self) -> &'static str {
        match self {
            Feed::Medical => "医保",
            Feed::Disability => "残联",
            Feed::Disaster => "应急管理",
            Feed::Assistance => "民政",
            Feed::Employment => "人社",
            Feed::Schooling => "教育",
            Feed::Housing => "住建",
            Feed::Death => "公安/民政",
        }
    }
}

labelled_enum! {
    /// 就诊类型
    VisitType, "就诊类型" {
        Outpatient = 1: "门诊",
        Inpatient = 2: "住院",
    }
}

labelled_enum! {
    /// 残疾类别 (the seven categories of the 残疾人证)
    DisabilityKind, "残疾类别" {
        Visual = 1: "视力残疾",
        Hearing = 2: "听力残疾",
        Speech = 3: "言语残疾",
        Physical = 4: "肢体残疾",
        Intellectual = 5: "智力残疾",
        Mental = 6: "精神残疾",
        Multiple = 7: "多重残疾",
    }
}

labelled_enum! {
    /// 灾害类型
    DisasterKind, "灾害类型" {
        Flood = 1: "洪涝",
        Geological = 2: "地质灾害",
        Drought = 3: "旱灾",
        WindHail = 4: "风雹",
        Frost = 5: "低温冷冻",
        Earthquake = 6: "地震",
        ForestFire = 7: "森林火灾",
        Biological = 8: "生物灾害",
        Other = 99: "其他",
    }
}

labelled_enum! {
    /// 房屋受损, from none to collapse.
    HouseDamage, "房屋受损" {
        None = 0: "无",
        Minor = 1: "一般损坏",
        Severe = 2: "严重损坏",
        Collapsed = 3: "倒塌",
    }
}

labelled_enum! {
    /// 救助类型
    AssistanceKind, "救助类型" {
        /// 最低生活保障
        Dibao = 1: "低保",
        /// 特困人员救助供养
        Tekun = 2: "特困供养",
        /// 临时救助
        Temporary = 3: "临时救助",
    }
}

labelled_enum! {
    /// 变动类型 of a social-assistance record.
    AssistanceChange, "变动类型" {
        /// 新增 — newly granted.
        Granted = 1: "新增",
        /// 停发 — stopped.
        Stopped = 2: "停发",
        /// 发放 — a payment.
        Paid = 3: "发放",
    }
}

labelled_enum! {
    /// 就业事件 (人社)
    EmploymentEvent, "事件" {
        /// 失业登记
        Unemployed = 1: "失业登记",
        /// 返乡 — a migrant worker came back home.
        Returned = 2: "返乡",
        /// 断缴 — social-insurance contributions stopped.
        Lapsed = 3: "断缴",
    }
}

labelled_enum! {
    /// 学籍事件 (教育)
    SchoolingEvent, "事件" {
        /// 辍学
        Dropout = 1: "辍学",
        /// 失学
        OutOfSchool = 2: "失学",
        /// 入学
        Enrolled = 3: "入学",
    }
}

labelled_enum! {
    /// 鉴定等级 of a house (《农村危险房屋鉴定技术导则》): C and D are dangerous.
    HousingGrade, "鉴定等级" {
        A = 1: "A" | "A级",
        B = 2: "B" | "B级",
        C = 3: "C" | "C级",
        D = 4: "D" | "D级",
    }
}

impl HousingGrade {
    /// C (局部危险) or D (整栋危房).
    pub fn is_dangerous(self) -> bool {
        matches!(self, HousingGrade::C | HousingGrade::D)
    }
}

/// What a feed record says, by feed. Amounts in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventDetail {
    /// 医保结算: 医疗总费用 and 个人自付 (the 合规自付 part the household bears).
    Medical {
        total: Money,
        out_of_pocket: Money,
        visit: Option<VisitType>,
    },
    /// 残疾人证 issued (发证).
    Disability {
        kind: DisabilityKind,
        grade: DisabilityGrade,
    },
    /// 受灾: 直接经济损失 and 房屋受损.
    Disaster {
        kind: DisasterKind,
        loss: Option<Money>,
        damage: Option<HouseDamage>,
    },
    /// 社会救助 change or payment.
    Assistance {
        kind: AssistanceKind,
        change: AssistanceChange,
        amount: Option<Money>,
    },
    /// 人社 event.
    Employment(EmploymentEvent),
    /// 教育 event, with the 学段 when given.
    Schooling {
        event: SchoolingEvent,
        stage: Option<Schooling>,
    },
    /// 住建 appraisal.
    Housing(HousingGrade),
    /// 死亡.
    Death,
}

impl EventDetail {
    /// The feed this detail belongs to.
    pub fn feed(&self) -> Feed {
        match self {
            EventDetail::Medical { .. } => Feed::Medical,
            EventDetail::Disability { .. } => Feed::Disability,
            EventDetail::Disaster { .. } => Feed::Disaster,
            EventDetail::Assistance { .. } => Feed::Assistance,
            EventDetail::Employment(_) => Feed::Employment,
            EventDetail::Schooling { .. } => Feed::Schooling,
            EventDetail::Housing(_) => Feed::Housing,
            EventDetail::Death => Feed::Death,
        }
    }
}

/// One row of a feed file as parsed: who (by ID number), when, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    /// 证件号码 — sensitive; used to find the member, then dropped. (姓名, when given, is
    /// checked as a name but not kept: the ID number identifies the person, and a feed of
    /// millions of rows should not carry millions of strings.)
    pub id_number: IdNumber,
    /// 结算日期, 发证日期, 受灾日期, 日期, 鉴定日期 or 死亡日期.
    pub date: NaiveDate,
    pub detail: EventDetail,
}

/// A feed record resolved to a registry member: what screening reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedEvent {
    /// The member's registry id.
    pub member: u32,
    pub date: NaiveDate,
    pub detail: EventDetail,
}

impl FeedEvent {
    pub fn feed(&self) -> Feed {
        self.detail.feed()
    }

    /// The natural key of the record within its feed (docs/formats.md, 记录键): two rows with
    /// the same key are the same record, whichever batch brought them. 64-bit FNV-1a over
    /// the key fields: stable across versions and platforms, because stored batches are
    /// compared with it.
    pub fn key(&self) -> u64 {
        let mut h = Fnv::new();
        h.u64(u64::from(self.member));
        h.u64(self.feed().code() as u64);
        h.u64(self.date.num_days_from_ce() as u64);
        match self.detail {
            EventDetail::Medical {
                total,
                out_of_pocket,
                visit,
            } => {
                // 个人自付 is derived data, not part of the key: a corrected split of the
                // same settlement is the same settlement.
                let _ = out_of_pocket;
                h.u64(total.fen() as u64);
                h.u64(visit.map_or(0, |v| v.code()) as u64);
            }
            EventDetail::Disability { .. } | EventDetail::Housing(_) | EventDetail::Death => {}
            EventDetail::Disaster { kind, .. } => h.u64(kind.code() as u64),
            EventDetail::Assistance { kind, change, .. } => {
                h.u64(kind.code() as u64);
                h.u64(change.code() as u64);
            }
            EventDetail::Employment(e) => h.u64(e.code() as u64),
            EventDetail::Schooling { event, .. } => h.u64(event.code() as u64),
        }
        h.0
    }
}

/// FNV-1a, 64 bit: tiny, deterministic, and good enough to tell records apart within one
/// county's feeds (collision odds ≈ 10⁻⁶ at 10⁷ records).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
    fn u64(&mut self, v: u64) {
        for b in v.to_le_bytes() {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Parses a feed's name as given on the command line (`medical` or `医保结算`).
pub fn parse_feed(s: &str) -> Result<Feed, FieldError> {
    Feed::parse(s).map_err(|_| {
        FieldError::new(format!(
            "数据种类“{s}”不存在，应为：{}",
            Feed::ALL
                .iter()
                .map(|f| format!("{}（{}）", f.name(), f.label()))
                .collect::<Vec<_>>()
                .join("、")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn med(member: u32, day: u32, oop: i64) -> FeedEvent {
        FeedEvent {
            member,
            date: NaiveDate::from_ymd_opt(2025, 3, day).unwrap(),
            detail: EventDetail::Medical {
                total: Money::from_yuan(1000),
                out_of_pocket: Money::from_yuan(oop),
                visit: Some(VisitType::Outpatient),
            },
        }
    }

    /// The key of `med(1, 2, 300)` as first stored.
    const KEY_PROBE: u64 = 13_389_948_575_152_537_541;

    #[test]
    fn key_depends_on_key_fields_only() {
        assert_eq!(med(1, 2, 300).key(), med(1, 2, 300).key());
        assert_ne!(med(1, 2, 300).key(), med(2, 2, 300).key());
        assert_ne!(med(1, 2, 300).key(), med(1, 3, 300).key());
        // The disability key is person + date: another grade on the same day is the same
        // certificate, corrected.
        let d = |grade| FeedEvent {
            member: 7,
            date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            detail: EventDetail::Disability {
                kind: DisabilityKind::Physical,
                grade,
            },
        };
        assert_eq!(d(DisabilityGrade::One).key(), d(DisabilityGrade::Two).key());
        // A fixed value: stored keys must not change between versions.
        assert_eq!(med(1, 2, 300).key(), KEY_PROBE);
    }

    #[test]
    fn feed_names_parse() {
        for f in Feed::ALL {
            assert_eq!(parse_feed(f.name()).unwrap(), *f);
            assert_eq!(parse_feed(f.label()).unwrap(), *f);
        }
        assert!(
            parse_feed("tax")
                .unwrap_err()
                .message
                .contains("medical（医保结算）")
        );
    }
}
