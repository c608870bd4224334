//! 医保结算: how many settlements a person has (by age, chronic and serious illness, and a
//! personal care-use factor), what each costs (long-tailed, 住院 far above 门诊), and how the
//! three layers of 基本医保, 大病保险 and 医疗救助 pay it, with tilted rates for 脱贫户, 低保 and
//! 特困. 个人自付 is what is left, so the row always adds up.

use super::{Who, fen};
use crate::csvout::Sink;
use crate::params as p;
use crate::rng::Draw;
use chrono::NaiveDate;
use domain::Money;
use rand::Rng;

/// Benefit level (待遇) for medical payments: the poor get tilted rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tier {
    Ordinary,
    ExPoor,
    Dibao,
    Tekun,
}

/// What drives a person's medical settlements.
#[derive(Debug, Clone, Copy)]
pub(super) struct Care {
    pub band: usize,
    pub chronic: bool,
    pub serious: bool,
    pub disabled: bool,
    /// Personal multiplier of care use (mean 1).
    pub use_factor: f64,
    pub tier: Tier,
}

/// Kind of settlement: 门诊 (general or 门诊慢特病) or 住院.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Visit {
    General,
    Chronic,
    Inpatient,
}

/// One 医保 settlement, amounts in fen.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bill {
    pub date: NaiveDate,
    pub visit: Visit,
    /// 医疗总费用
    pub total: i64,
    /// 基本医保支付
    pub basic: i64,
    /// 大病保险支付
    pub critical: i64,
    /// 医疗救助支付
    pub assist: i64,
    /// The compliant (合规) part left to the patient.
    pub compliant_oop: i64,
}

impl Care {
    /// Settlement counts (general outpatient, chronic outpatient, inpatient) for `years`.
    pub(super) fn counts<R: Rng + ?Sized>(&self, rng: &mut R, years: f64) -> (u32, u32, u32) {
        let f = self.use_factor * years;
        let (xc, xs, xd) = p::OUTPATIENT_EXTRA;
        let general = p::OUTPATIENT_RATE[self.band] + if self.disabled { xd } else { 0.0 };
        let chronic = if self.chronic { xc } else { 0.0 } + if self.serious { xs } else { 0.0 };
        let (ic, is) = p::INPATIENT_EXTRA;
        let inpatient = p::INPATIENT_RATE[self.band]
            + if self.chronic { ic } else { 0.0 }
            + if self.serious { is } else { 0.0 };
        (
            rng.poisson(general * f),
            rng.poisson(chronic * f),
            // Stays vary less between people than visits: the square root damps it.
            rng.poisson(inpatient * self.use_factor.sqrt() * years),
        )
    }

    /// One bill and the payments of the three insurance layers.
    pub(super) fn bill<R: Rng + ?Sized>(&self, rng: &mut R, visit: Visit, date: NaiveDate) -> Bill {
        let (median, sigma) = match visit {
            Visit::General => p::OUTPATIENT_COST,
            Visit::Chronic => p::CHRONIC_OUTPATIENT_COST,
            Visit::Inpatient if self.serious => p::SERIOUS_INPATIENT_COST,
            Visit::Inpatient => p::INPATIENT_COST,
        };
        let total = fen(rng.lognormal(median, sigma).clamp(5.0, p::MAX_BILL));
        let (clo, chi) = p::COMPLIANT_SHARE;
        let compliant = (total as f64 * rng.uniform(clo, chi)) as i64;
        let poor = self.tier != Tier::Ordinary;
        let (gen_rate, chronic_rate, cap) = p::OUTPATIENT_REIMBURSE;
        let (basic, critical) = match visit {
            Visit::General => ((fen(compliant as f64 / 100.0 * gen_rate)).min(fen(cap)), 0),
            Visit::Chronic => (fen(compliant as f64 / 100.0 * chronic_rate), 0),
            Visit::Inpatient => {
                let (dlo, dhi) = p::INPATIENT_DEDUCTIBLE;
                let deductible = fen(rng.uniform(dlo, dhi));
                let (rlo, rhi) = p::INPATIENT_REIMBURSE;
                let rate = rng.uniform(rlo, rhi) + if poor { p::INPATIENT_TILT } else { 0.0 };
                let basic = ((compliant - deductible).max(0) as f64 * rate) as i64;
                let left = compliant - basic;
                let (t_all, t_poor) = p::CRITICAL_THRESHOLD;
                let (r_all, r_poor) = p::CRITICAL_RATE;
                let (threshold, rate) = if poor {
                    (fen(t_poor), r_poor)
                } else {
                    (fen(t_all), r_all)
                };
                (basic, ((left - threshold).max(0) as f64 * rate) as i64)
            }
        };
        let left = (compliant - basic - critical).max(0);
        let (a_tekun, a_dibao, a_expoor) = p::ASSISTANCE_RATE;
        let assist_rate = match (self.tier, visit) {
            (Tier::Tekun, _) => a_tekun,
            (Tier::Dibao, Visit::Inpatient | Visit::Chronic) => a_dibao,
            (Tier::ExPoor, Visit::Inpatient) => a_expoor,
            _ => 0.0,
        };
        let assist = (left as f64 * assist_rate) as i64;
        Bill {
            date,
            visit,
            total,
            basic,
            critical,
            assist,
            compliant_oop: left - assist,
        }
    }

    /// The compliant self-paid medical cost of `years` of care, without writing rows.
    pub(super) fn simulated_oop<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        years: f64,
        date: NaiveDate,
    ) -> i64 {
        let (g, c, i) = self.counts(rng, years);
        let mut sum = 0;
        for (n, visit) in [
            (g, Visit::General),
            (c, Visit::Chronic),
            (i, Visit::Inpatient),
        ] {
            for _ in 0..n {
                sum += self.bill(rng, visit, date).compliant_oop;
            }
        }
        sum
    }
}

/// One 医保结算 row; 个人自付 = total − the three payments.
pub(super) fn write_bill(out: &mut Sink, who: Who<'_>, b: &Bill) {
    let oop = b.total - b.basic - b.critical - b.assist;
    super::Render::row_for(out, who)
        .date(b.date)
        .money(Money::from_fen(b.total))
        .money(Money::from_fen(b.basic))
        .money(Money::from_fen(b.critical))
        .money(Money::from_fen(b.assist))
        .money(Money::from_fen(oop))
        .text(if b.visit == Visit::Inpatient {
            "住院"
        } else {
            "门诊"
        })
        .end();
}
