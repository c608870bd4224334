//! 收支信息: a household's income and rigid spending for one year, and the arithmetic of
//! 家庭人均纯收入 (per-capita net income) that every rule of the mechanism starts from:
//!
//! net = 工资性 + 生产经营性 − 生产经营性支出 + 财产性 + 转移性;  per capita = net ÷ 家庭人口数.

use crate::household::HouseholdNo;
use crate::money::Money;

/// Years a registry income can be recorded for.
pub const INCOME_YEARS: std::ops::RangeInclusive<u16> = 2014..=2100;

/// 收支信息 — one household, one year. Amounts in fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomeRecord {
    pub household_no: HouseholdNo,
    /// 年度
    pub year: u16,
    /// 工资性收入
    pub wage: Money,
    /// 生产经营性收入
    pub business_income: Money,
    /// 生产经营性支出
    pub business_cost: Money,
    /// 财产性收入
    pub property: Money,
    /// 转移性收入
    pub transfer: Money,
    /// 合规自付医疗支出
    pub medical_out_of_pocket: Option<Money>,
    /// 教育支出
    pub education_cost: Option<Money>,
    /// 其他刚性支出
    pub other_rigid_cost: Option<Money>,
}

impl IncomeRecord {
    /// 家庭纯收入 (household net income). Negative when production costs exceed everything.
    pub fn net(&self) -> Money {
        crate::screening::YearIncome::from(self).net()
    }

    /// 家庭人均纯收入, rounded to the fen; `None` for a household of no members.
    pub fn per_capita_net(&self, household_size: u32) -> Option<Money> {
        self.net().per_capita(household_size)
    }

    /// 刚性支出 of the year: compliant medical out-of-pocket + education + other rigid.
    pub fn rigid_spending(&self) -> Money {
        self.medical_out_of_pocket.unwrap_or_default()
            + self.education_cost.unwrap_or_default()
            + self.other_rigid_cost.unwrap_or_default()
    }

    /// Per-capita income after rigid spending: (net − rigid) ÷ size (docs/domain.md §4.4).
    pub fn adjusted_per_capita(&self, household_size: u32) -> Option<Money> {
        (self.net() - self.rigid_spending()).per_capita(household_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rec(wage: i64, bi: i64, bc: i64, prop: i64, tr: i64) -> IncomeRecord {
        IncomeRecord {
            household_no: HouseholdNo::parse("H1").unwrap(),
            year: 2024,
            wage: Money::from_yuan(wage),
            business_income: Money::from_yuan(bi),
            business_cost: Money::from_yuan(bc),
            property: Money::from_yuan(prop),
            transfer: Money::from_yuan(tr),
            medical_out_of_pocket: None,
            education_cost: None,
            other_rigid_cost: None,
        }
    }

    /// docs/domain.md §4.4a: wages 14,000; farming 6,000 with costs 2,500; rent 800;
    /// pension 2,400 + subsidies 1,300 → net 22,000, 5,500 per person for 4.
    #[test]
    fn worked_example() {
        let r = rec(14_000, 6_000, 2_500, 800, 2_400 + 1_300);
        assert_eq!(r.net(), Money::from_yuan(22_000));
        assert_eq!(r.per_capita_net(4), Some(Money::from_yuan(5_500)));
        assert_eq!(r.per_capita_net(0), None);
    }

    /// The variant: 48,000 net, 38,000 out of pocket → adjusted 2,500 per person.
    #[test]
    fn worked_example_adjusted() {
        let mut r = rec(48_000, 0, 0, 0, 0);
        r.medical_out_of_pocket = Some(Money::from_yuan(38_000));
        assert_eq!(r.per_capita_net(4), Some(Money::from_yuan(12_000)));
        assert_eq!(r.adjusted_per_capita(4), Some(Money::from_yuan(2_500)));
    }

    proptest! {
        #[test]
        fn net_is_the_signed_sum(w in 0i64..10_000_000, bi in 0i64..10_000_000,
                                 bc in 0i64..10_000_000, p in 0i64..10_000_000,
                                 t in 0i64..10_000_000, n in 1u32..15) {
            let mut r = rec(0, 0, 0, 0, 0);
            r.wage = Money::from_fen(w);
            r.business_income = Money::from_fen(bi);
            r.business_cost = Money::from_fen(bc);
            r.property = Money::from_fen(p);
            r.transfer = Money::from_fen(t);
            let net = w + bi - bc + p + t;
            prop_assert_eq!(r.net().fen(), net);
            let pc = r.per_capita_net(n).unwrap().fen();
            // per capita × size is within half a fen per person of the net
            prop_assert!((pc * i64::from(n) - net).abs() * 2 <= i64::from(n));
            // more business cost never raises per-capita income
            r.business_cost = Money::from_fen(bc + 1);
            prop_assert!(r.per_capita_net(n).unwrap().fen() <= pc);
        }
    }
}
