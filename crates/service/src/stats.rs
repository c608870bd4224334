//! 汇总: figures by township for a county — households, persons, share of 脱贫户 and the
//! median per-capita net income of the latest recorded year.

use crate::ServiceError;
use domain::{HouseholdType, Money, RegionCode, RegionLevel};
use std::collections::BTreeMap;
use store::Store;

/// One line of the summary (a township, or the county total).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryLine {
    pub code: RegionCode,
    pub name: String,
    /// 户数
    pub households: u64,
    /// 人数
    pub persons: u64,
    /// 脱贫户占比, 0–1.
    pub ex_poor_share: f64,
    /// 家庭人均纯收入中位数 over households with an income record and at least one member.
    pub median_per_capita_net: Option<Money>,
}

/// The county's townships, then the county total as the last line.
pub async fn county_summary(
    store: &Store,
    county: RegionCode,
) -> Result<Vec<SummaryLine>, ServiceError> {
    let townships = store.regions_under(county, RegionLevel::Township).await?;
    let facts = store.household_facts(Some(county)).await?;
    #[derive(Default)]
    struct Acc {
        households: u64,
        persons: u64,
        ex_poor: u64,
        incomes: Vec<Money>,
    }
    let mut acc: BTreeMap<RegionCode, Acc> = BTreeMap::new();
    let mut total = Acc::default();
    for f in &facts {
        let pc = f.latest_net.and_then(|(_, net)| net.per_capita(f.size));
        for a in [
            acc.entry(f.village.ancestor(RegionLevel::Township))
                .or_default(),
            &mut total,
        ] {
            a.households += 1;
            a.persons += u64::from(f.size);
            a.ex_poor += u64::from(f.household_type == HouseholdType::ExPoor);
            if let Some(pc) = pc {
                a.incomes.push(pc);
            }
        }
    }
    let line = |code: RegionCode, name: String, a: &mut Acc| SummaryLine {
        code,
        name,
        households: a.households,
        persons: a.persons,
        ex_poor_share: if a.households == 0 {
            0.0
        } else {
            a.ex_poor as f64 / a.households as f64
        },
        median_per_capita_net: median(&mut a.incomes),
    };
    let mut out = Vec::new();
    for t in townships {
        let mut a = acc.remove(&t.code).unwrap_or_default();
        out.push(line(t.code, t.name, &mut a));
    }
    let county_name = store
        .region(county)
        .await?
        .map_or_else(|| county.short(), |r| r.name);
    out.push(line(county, format!("{county_name}合计"), &mut total));
    Ok(out)
}

/// The median (lower middle for an even count), or None for no values.
fn median(v: &mut [Money]) -> Option<Money> {
    if v.is_empty() {
        return None;
    }
    let mid = (v.len() - 1) / 2;
    let (_, m, _) = v.select_nth_unstable(mid);
    Some(*m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        let mut v: Vec<Money> = [5, 1, 3].into_iter().map(Money::from_yuan).collect();
        assert_eq!(median(&mut v), Some(Money::from_yuan(3)));
        let mut v: Vec<Money> = [4, 1, 3, 2].into_iter().map(Money::from_yuan).collect();
        assert_eq!(median(&mut v), Some(Money::from_yuan(2)));
        assert_eq!(median(&mut []), None);
    }
}
