//! The county-wide plan computed once before any chunk: how many households each village
//! gets (uneven sizes), the number of 村民小组, addresses, the ID issuing divisions, the
//! county's disaster events, and the dates everything refers to. Chunks only read it.

use crate::Config;
use crate::names::Names;
use crate::params as p;
use crate::registry::Calendar;
use crate::rng::{Cumulative, Draw, Purpose, stream};
use chrono::{Datelike, NaiveDate};
use rand::Rng;
use std::ops::{Range, RangeInclusive};

/// Households per chunk: the unit of parallel work and of seeding. Part of the output
/// format: changing it changes the files a seed gives.
pub(crate) const CHUNK_HOUSEHOLDS: usize = 2048;

/// One village as the generator uses it.
#[derive(Debug)]
pub(crate) struct VillagePlan {
    /// The 12-digit 村代码.
    pub code: String,
    /// "楚米镇高山村", to which "N组" is appended.
    pub address: String,
    /// Number of 村民小组.
    pub groups: usize,
    /// Global index of the village's first household.
    pub first: usize,
    /// Number of households.
    pub count: usize,
}

/// A disaster hitting some villages on one day.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Disaster {
    /// Index into [`DisasterKind::ALL`](domain::feed::DisasterKind::ALL), the 灾害类型 list
    /// of the template, in the order of [`p::DISASTER_KIND_WEIGHTS`].
    pub kind: usize,
    pub date: NaiveDate,
    /// Share of the village's households hit.
    pub hit_share: f64,
}

/// Months in which each kind of disaster happens (1–12), same order.
const DISASTER_SEASONS: [&[u32]; 9] = [
    &[5, 6, 7, 8],
    &[5, 6, 7, 8, 9],
    &[7, 8, 9],
    &[3, 4, 5, 6],
    &[1, 2, 12],
    &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    &[1, 2, 3, 4],
    &[4, 5, 6, 7, 8, 9],
    &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
];

/// Everything the chunks share.
pub(crate) struct Plan {
    pub seed: u64,
    pub households: usize,
    pub villages: Vec<VillagePlan>,
    /// 6-digit issuing divisions of ID numbers: the county first, then the others.
    pub divisions: Vec<u32>,
    /// Choice among `divisions[1..]`: counties of the same prefecture weigh more (people
    /// marry and move mostly nearby).
    pub elsewhere: Option<Cumulative>,
    pub calendar: Calendar,
    pub names: Names,
    pub period: (NaiveDate, NaiveDate),
    /// Days in the feed period (inclusive).
    pub period_days: i64,
    /// Length of the feed period in years, to scale yearly rates.
    pub period_years: f64,
    pub income_years: RangeInclusive<u16>,
    pub disasters: Vec<Disaster>,
    /// For each village, the disasters that hit it.
    pub village_disasters: Vec<Vec<u32>>,
}

/// "高山村村民委员会" → "高山村", "武胜社区居民委员会" → "武胜社区".
pub(crate) fn short_village_name(name: &str) -> String {
    let name = name.trim();
    for suffix in ["村民委员会", "村委会"] {
        if let Some(s) = name.strip_suffix(suffix) {
            return if s.ends_with('村') {
                s.to_string()
            } else {
                format!("{s}村")
            };
        }
    }
    for suffix in ["社区居民委员会", "居民委员会", "社区居委会", "居委会"] {
        if let Some(s) = name.strip_suffix(suffix) {
            return format!("{s}社区");
        }
    }
    name.to_string()
}

/// The address is written unquoted: keep CSV delimiters out of it.
fn csv_safe(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ',' => '，',
            '"' => '“',
            '\r' | '\n' => ' ',
            c => c,
        })
        .collect()
}

fn is_community(name: &str) -> bool {
    name.contains("居民委员会") || name.contains("居委会") || name.ends_with("社区")
}

impl Plan {
    pub(crate) fn new(cfg: &Config) -> Self {
        let mut rng = stream(cfg.seed, Purpose::County, 0);

        // Uneven village sizes: log-normal weights, apportioned by largest remainder.
        let weights: Vec<f64> = cfg
            .villages
            .iter()
            .map(|v| {
                let w = rng.lognormal(1.0, p::VILLAGE_SIZE_SIGMA);
                if is_community(&v.name) {
                    w * p::COMMUNITY_WEIGHT
                } else {
                    w
                }
            })
            .collect();
        let total: f64 = weights.iter().sum();
        let n = cfg.households;
        let exact: Vec<f64> = weights.iter().map(|w| w / total * n as f64).collect();
        let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
        let mut rest = n - counts.iter().sum::<usize>();
        let mut order: Vec<usize> = (0..counts.len()).collect();
        order.sort_by(|&a, &b| {
            let fa = exact[a] - exact[a].floor();
            let fb = exact[b] - exact[b].floor();
            fb.total_cmp(&fa).then(a.cmp(&b))
        });
        for &i in order.iter().cycle() {
            if rest == 0 {
                break;
            }
            counts[i] += 1;
            rest -= 1;
        }

        let mut first = 0;
        let villages = cfg
            .villages
            .iter()
            .zip(&counts)
            .map(|(v, &count)| {
                let (lo, hi) = p::GROUPS_PER_VILLAGE;
                let plan = VillagePlan {
                    code: v.code.to_string(),
                    address: csv_safe(&format!(
                        "{}{}",
                        v.township_name,
                        short_village_name(&v.name)
                    )),
                    groups: (count / p::HOUSEHOLDS_PER_GROUP).clamp(lo, hi),
                    first,
                    count,
                };
                first += count;
                plan
            })
            .collect();

        let mut divisions = vec![county6(cfg.county.as_u64())];
        for c in &cfg.other_counties {
            let d = county6(c.as_u64());
            if !divisions.contains(&d) {
                divisions.push(d);
            }
        }

        let city = divisions[0] / 100;
        let elsewhere = (divisions.len() > 1).then(|| {
            Cumulative::new(divisions[1..].iter().map(|&d| {
                if d / 100 == city {
                    p::SAME_PREFECTURE_WEIGHT
                } else {
                    1
                }
            }))
        });

        let (start, end) = cfg.feed_period;
        let period_days = (end - start).num_days() + 1;
        let period_years = period_days as f64 / 365.25;

        let n_events = rng.poisson(p::DISASTER_EVENTS_PER_YEAR * period_years);
        let mut disasters = Vec::new();
        let mut village_disasters = vec![Vec::new(); cfg.villages.len()];
        if !cfg.villages.is_empty() {
            for _ in 0..n_events {
                let kind = rng.weighted_index(&p::DISASTER_KIND_WEIGHTS);
                let date = seasonal_day(&mut rng, start, period_days, DISASTER_SEASONS[kind]);
                let (lo, hi) = p::DISASTER_HIT_SHARE;
                let id = disasters.len() as u32;
                disasters.push(Disaster {
                    kind,
                    date,
                    hit_share: rng.uniform(lo, hi),
                });
                // Neighbouring villages of one township are hit together.
                let centre = rng.random_range(0..cfg.villages.len());
                let township = cfg.villages[centre].township;
                let (vlo, vhi) = p::DISASTER_VILLAGES;
                let mut left = rng.random_range(vlo..=vhi);
                for (i, v) in cfg.villages.iter().enumerate().skip(centre) {
                    if left == 0 || v.township != township {
                        break;
                    }
                    village_disasters[i].push(id);
                    left -= 1;
                }
            }
        }

        Self {
            seed: cfg.seed,
            households: n,
            villages,
            divisions,
            elsewhere,
            calendar: Calendar::new(start),
            names: Names::new(),
            period: cfg.feed_period,
            period_days,
            period_years,
            income_years: cfg.income_years.clone(),
            disasters,
            village_disasters,
        }
    }

    pub(crate) fn chunks(&self) -> usize {
        self.households.div_ceil(CHUNK_HOUSEHOLDS)
    }

    /// Global household indexes of a chunk.
    pub(crate) fn chunk_range(&self, index: usize) -> Range<usize> {
        let lo = index * CHUNK_HOUSEHOLDS;
        lo..(lo + CHUNK_HOUSEHOLDS).min(self.households)
    }

    /// The village of global household `h` and its sequence number there (from 1).
    pub(crate) fn village_of(&self, h: usize) -> (usize, u32) {
        let i = self.villages.partition_point(|v| v.first + v.count <= h);
        (i, (h - self.villages[i].first + 1) as u32)
    }

    /// A uniformly random day of the feed period.
    pub(crate) fn period_day<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> NaiveDate {
        self.period.0 + chrono::Days::new(rng.random_range(0..self.period_days) as u64)
    }

    /// A random day of the period on or before `last` (None if `last` precedes the period).
    pub(crate) fn day_until<R: rand::Rng + ?Sized>(
        &self,
        rng: &mut R,
        last: Option<NaiveDate>,
    ) -> Option<NaiveDate> {
        let end = last.map_or(self.period.1, |d| d.min(self.period.1));
        let days = (end - self.period.0).num_days() + 1;
        (days > 0).then(|| self.period.0 + chrono::Days::new(rng.random_range(0..days) as u64))
    }
}

/// The six significant digits of a county-level code.
fn county6(code: u64) -> u32 {
    (code / 1_000_000) as u32
}

fn seasonal_day<R: rand::Rng + ?Sized>(
    rng: &mut R,
    start: NaiveDate,
    days: i64,
    months: &[u32],
) -> NaiveDate {
    let mut d = start;
    for _ in 0..64 {
        d = start + chrono::Days::new(rng.random_range(0..days) as u64);
        if months.contains(&d.month()) {
            break;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn village_names_shorten() {
        assert_eq!(short_village_name("杉坪村村民委员会"), "杉坪村");
        assert_eq!(short_village_name("武胜社区居民委员会"), "武胜社区");
        assert_eq!(short_village_name("多福巷社区居委会"), "多福巷社区");
        assert_eq!(short_village_name("高山村委会"), "高山村");
        assert_eq!(short_village_name("新寨"), "新寨");
    }
}
