//! 监测对象 (monitored households): the three categories (docs/domain.md §3) and the risk types
//! (§5) that screening suggests and the case procedure decides.

use crate::FieldError;
use crate::enums::HouseholdType;
use crate::money::Money;
use crate::text::fold_width;

labelled_enum! {
    /// 监测对象类别 (docs/domain.md §3).
    Category, "监测对象类别" {
        /// 脱贫不稳定户: a 脱贫户 with income within the monitoring range and a relapse risk.
        UnstableExPoor = 1: "脱贫不稳定户",
        /// 边缘易致贫户: an 一般农户 with income within the range and a risk of falling in.
        Marginal = 2: "边缘易致贫户",
        /// 突发严重困难户: income above the line, but an illness, disaster, accident or the
        /// like makes basic living seriously hard.
        SuddenHardship = 3: "突发严重困难户",
    }
}

labelled_enum! {
    /// 返贫/致贫风险类型 (docs/domain.md §5.1). A household carries one to five.
    RiskType, "风险类型" {
        /// 因病
        Illness = 1: "因病",
        /// 因残
        Disability = 2: "因残",
        /// 因学
        Education = 3: "因学",
        /// 因自然灾害
        Disaster = 4: "因自然灾害" | "因灾",
        /// 因意外事故
        Accident = 5: "因意外事故",
        /// 因产业项目失败
        IndustryFail = 6: "因产业项目失败",
        /// 因务工就业不稳
        UnstableJob = 7: "因务工就业不稳",
        /// 缺劳动力
        LackLabor = 8: "缺劳动力",
        /// 住房出现安全问题
        Housing = 9: "住房出现安全问题",
        /// 饮水安全问题
        Water = 10: "饮水安全问题",
        /// 义务教育阶段失学辍学
        Dropout = 11: "义务教育阶段失学辍学",
        /// 其他
        Other = 99: "其他",
    }
}

/// Most risk types a household can carry (the national system's 风险1..5).
pub const MAX_RISKS: usize = 5;

/// A set of risk types, kept in the order of [`RiskType::ALL`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RiskSet(u16);

impl RiskSet {
    pub const EMPTY: RiskSet = RiskSet(0);

    fn bit(r: RiskType) -> u16 {
        let i = RiskType::ALL
            .iter()
            .position(|x| *x == r)
            .expect("every risk type is listed in ALL");
        1 << i
    }

    pub fn with(self, r: RiskType) -> Self {
        Self(self.0 | Self::bit(r))
    }

    pub fn contains(self, r: RiskType) -> bool {
        self.0 & Self::bit(r) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn union(self, other: RiskSet) -> Self {
        Self(self.0 | other.0)
    }

    /// The risk types, in list order.
    pub fn iter(self) -> impl Iterator<Item = RiskType> {
        RiskType::ALL
            .iter()
            .copied()
            .filter(move |r| self.contains(*r))
    }

    /// Storage form: the bits in list order.
    pub fn bits(self) -> u16 {
        self.0
    }

    pub fn from_bits(bits: u16) -> Option<Self> {
        (bits >> RiskType::ALL.len() == 0).then_some(Self(bits))
    }

    /// "因病、因残" — the labels joined as the national system writes them.
    pub fn label(self) -> String {
        self.iter()
            .map(RiskType::label)
            .collect::<Vec<_>>()
            .join("、")
    }

    /// These risks with `new` ones added in list order, up to five in all: what a lead or
    /// case already carries stays first.
    pub fn merged(self, new: RiskSet) -> RiskSet {
        let mut set = self;
        for r in new.iter() {
            if set.len() >= MAX_RISKS {
                break;
            }
            set = set.with(r);
        }
        set
    }

    /// Parses labels joined by 、 or a comma.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let mut set = RiskSet::EMPTY;
        for part in fold_width(s)
            .split(['、', ',', '，', ';', '；', ' '])
            .filter(|p| !p.is_empty())
        {
            set = set.with(RiskType::parse(part)?);
        }
        Ok(set)
    }
}

/// The category that fits a household's type and income (docs/domain.md §3, [I]):
/// at or below the line a 脱贫户 is 脱贫不稳定户 and an 一般农户 is 边缘易致贫户; above the
/// line only a sudden shock (large rigid spending or a sharp income fall) qualifies, as
/// 突发严重困难户. `None` when the income is above the line and there is no shock: the
/// warning still deserves a visit, but no category fits yet (待研判).
pub fn fitting_category(
    household_type: HouseholdType,
    per_capita: Option<Money>,
    line: Money,
    sudden_shock: bool,
) -> Option<Category> {
    match per_capita {
        Some(pc) if pc <= line => Some(match household_type {
            HouseholdType::ExPoor => Category::UnstableExPoor,
            HouseholdType::Ordinary => Category::Marginal,
        }),
        _ if sudden_shock => Some(Category::SuddenHardship),
        _ => None,
    }
}

/// Stored and exchanged as its bits (the codes of [`RiskType::ALL`] order).
impl serde::Serialize for RiskSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for RiskSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bits = <u16 as serde::Deserialize>::deserialize(d)?;
        RiskSet::from_bits(bits).ok_or_else(|| serde::de::Error::custom("风险类型编码无效"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_follows_type_income_and_shock() {
        let line = Money::from_yuan(8_700);
        let at = Some(line);
        let above = Some(Money::from_fen(870_001));
        use HouseholdType::*;
        assert_eq!(
            fitting_category(ExPoor, at, line, false),
            Some(Category::UnstableExPoor)
        );
        assert_eq!(
            fitting_category(Ordinary, at, line, true),
            Some(Category::Marginal)
        );
        assert_eq!(fitting_category(Ordinary, above, line, false), None);
        assert_eq!(
            fitting_category(ExPoor, above, line, true),
            Some(Category::SuddenHardship)
        );
        // No income recorded: only a shock gives a category.
        assert_eq!(fitting_category(ExPoor, None, line, false), None);
        assert_eq!(
            fitting_category(ExPoor, None, line, true),
            Some(Category::SuddenHardship)
        );
    }

    #[test]
    fn risk_sets_round_trip() {
        let s = RiskSet::parse("因病、因自然灾害,其他").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.label(), "因病、因自然灾害、其他");
        assert_eq!(RiskSet::from_bits(s.bits()), Some(s));
        assert!(RiskSet::parse("因穷").is_err());
        assert_eq!(RiskSet::from_bits(1 << 12), None);
    }
}
