//! 收支信息: each household's income components and rigid spending for every income year,
//! driven by its members' work months and wages, its farm and business, pensions for the
//! elderly, 低保 and 特困 payments (the same amounts the 民政 feed shows), and the medical
//! self-pay summed from the 医保 settlements. Shock years bring the sharp drops that
//! 收入骤减 warnings look for.

use super::{File, Home, PerYear, Render, household_no, overlap_years, yuan};
use crate::params as p;
use crate::rng::Draw;
use chrono::NaiveDate;
use domain::household::age_on;
use domain::{HouseholdType, Labor, Money, Schooling};
use rand::Rng;

impl Render<'_> {
    /// 收支信息 rows for every income year.
    pub(super) fn incomes(
        &mut self,
        home: &Home<'_>,
        oop: &PerYear,
        dibao_paid: &PerYear,
        dibao_monthly: i64,
    ) {
        let (hh, members, facts, shocks) = (home.hh, home.members, &home.facts, home.shocks);
        let years = &self.years;
        let plan = self.plan;
        let rng = &mut self.rng;
        let ex_poor = hh.kind == HouseholdType::ExPoor;
        let (start, end) = plan.period;
        let last_year = i32::from(*plan.income_years.end());
        let level = rng.lognormal(1.0, p::HOUSEHOLD_LEVEL_SIGMA)
            * if ex_poor {
                p::EX_POOR_EARNING_FACTOR
            } else {
                1.0
            };

        // Persistent household traits.
        let farmers = members
            .iter()
            .zip(facts)
            .filter(|(m, f)| {
                m.labor.has_capacity()
                    && (16..=75).contains(&f.age)
                    && m.work_months.is_some_and(|w| !m.migrant || w < 10)
            })
            .count();
        let (fm, fs) = p::FARM_GROSS;
        let farm_gross = if farmers > 0 {
            fm * (1.0 + 0.6 * (farmers as f64 - 1.0)) * rng.lognormal(1.0, fs)
        } else if rng.chance(0.5) {
            rng.uniform(300.0, 1_500.0)
        } else {
            0.0
        };
        let farm_cost_ratio = rng.uniform(p::FARM_COST_RATIO.0, p::FARM_COST_RATIO.1);
        let (b_share, b_median, b_sigma) = p::BUSINESS;
        let business = (farmers > 0 && rng.chance(b_share)).then(|| {
            (
                rng.lognormal(b_median, b_sigma),
                rng.uniform(p::BUSINESS_COST_RATIO.0, p::BUSINESS_COST_RATIO.1),
            )
        });
        let land_rent = rng
            .chance(p::LAND_RENT.0)
            .then(|| rng.lognormal(p::LAND_RENT.1, 0.6));
        let dividend = (ex_poor && rng.chance(p::DIVIDEND.0))
            .then(|| rng.uniform(p::DIVIDEND.1, p::DIVIDEND.2));
        let eco = rng
            .chance(p::ECO_COMPENSATION.0)
            .then(|| rng.lognormal(p::ECO_COMPENSATION.1, 0.5));
        // Without a working-age member, children living elsewhere send money: 赡养费 for
        // each elder, 抚养 for each grandchild left with the grandparents (留守儿童).
        let no_working_age = facts.iter().all(|f| !(18..60).contains(&f.age));
        let elders = facts.iter().filter(|f| f.age >= 60).count() as f64;
        let minors = facts.iter().filter(|f| f.age < 18).count() as f64;
        let support = (no_working_age && rng.chance(p::ELDER_SUPPORT.0)).then(|| {
            elders * rng.lognormal(p::ELDER_SUPPORT.1, 0.4)
                + minors * rng.lognormal(p::CHILD_SUPPORT, 0.4)
        });
        let farm_subsidy = if farm_gross > 0.0 {
            rng.uniform(p::FARM_SUBSIDY.0, p::FARM_SUBSIDY.1)
        } else {
            0.0
        };
        let public_job = ex_poor
            && members.iter().any(|m| m.labor == Labor::Weak)
            && rng.chance(p::PUBLIC_JOB.1);
        let at_risk = rng.chance(p::AT_RISK_SHARE);
        let floor_level = rng.lognormal(p::RECORDED_FLOOR.0, p::RECORDED_FLOOR.1);
        let pension_personal: Vec<f64> = members
            .iter()
            .map(|_| rng.uniform(p::PENSION_PERSONAL.0, p::PENSION_PERSONAL.1))
            .collect();

        for y in plan.income_years.clone() {
            let yi = i32::from(y);
            let k = yi - p::PRICE_YEAR;
            let wage_index = (1.0 + p::WAGE_GROWTH).powi(k);
            let farm_index = (1.0 + p::FARM_GROWTH).powi(k);
            let assist_index = (1.0 + p::ASSISTANCE_GROWTH).powi(k);
            let shocked = shocks & years.bit(yi) != 0;
            let shock = if shocked {
                rng.uniform(p::SHOCK_FACTOR.0, p::SHOCK_FACTOR.1)
            } else {
                1.0
            };
            let mid_year = NaiveDate::from_ymd_opt(yi, 7, 1).expect("valid date");

            // 工资性收入.
            let mut wage = 0.0;
            for (m, f) in members.iter().zip(facts) {
                let Some(months) = m.work_months else {
                    continue;
                };
                if months == 0 || m.birth > mid_year || age_on(m.birth, mid_year) < 16 {
                    continue;
                }
                let months = if yi == last_year {
                    i32::from(months)
                } else {
                    (i32::from(months) + rng.random_range(-2..=2)).clamp(0, 12)
                };
                wage += f64::from(months)
                    * f.wage
                    * wage_index
                    * rng.lognormal(1.0, p::YEAR_NOISE_SIGMA);
            }
            wage *= level * shock;
            if public_job {
                wage += 12.0 * p::PUBLIC_JOB.0 * wage_index;
            }

            // 生产经营性收入 and 支出.
            let farm = farm_gross * farm_index * rng.lognormal(1.0, p::YEAR_NOISE_SIGMA) * shock;
            let mut gross = farm;
            let mut cost = farm * farm_cost_ratio;
            if let Some((turnover, ratio)) = business {
                let t = turnover * farm_index * rng.lognormal(1.0, 0.15) * shock;
                let ratio = if rng.chance(p::BUSINESS_LOSS_SHARE) {
                    rng.uniform(1.0, 1.3)
                } else {
                    ratio
                };
                gross += t;
                cost += t * ratio;
            }

            // 财产性收入.
            let property = land_rent.unwrap_or(0.0) * farm_index + dividend.unwrap_or(0.0);

            // 转移性收入.
            let mut transfer = 0.0;
            for (m, pp) in members.iter().zip(&pension_personal) {
                if m.birth <= mid_year && age_on(m.birth, mid_year) >= 60 {
                    transfer += 12.0 * (p::basic_pension_monthly(y) + pp);
                }
                if m.severely_disabled() {
                    transfer += 12.0 * p::DISABILITY_ALLOWANCE_MONTHLY;
                }
                if m.grade.is_some() && m.dibao {
                    transfer += 12.0 * p::DISABILITY_ALLOWANCE_MONTHLY;
                }
                if m.tekun {
                    transfer += 12.0 * p::TEKUN_MONTHLY * assist_index;
                }
                if ex_poor
                    && matches!(
                        m.schooling,
                        Some(
                            Schooling::Vocational1
                                | Schooling::Vocational2
                                | Schooling::Vocational3
                                | Schooling::College1
                                | Schooling::College2
                                | Schooling::College3
                        )
                    )
                {
                    transfer += p::YULU_GRANT;
                }
            }
            let covered = overlap_years(start, end, yi);
            if covered >= 0.999 {
                transfer += dibao_paid[years.idx(yi)] as f64 / 100.0;
            } else if dibao_monthly > 0 {
                transfer += 12.0 * dibao_monthly as f64 / 100.0 * assist_index;
            }
            transfer += farm_subsidy + eco.unwrap_or(0.0) + support.unwrap_or(0.0) * farm_index;
            if ex_poor && rng.chance(p::INDUSTRY_GRANT.0) {
                transfer += rng.uniform(p::INDUSTRY_GRANT.1, p::INDUSTRY_GRANT.2);
            }

            // Recorded (核实) income: outside a shock year the registry also counts 应计赡养费,
            // help from relatives and small subsidies, so that only households at real risk
            // are recorded far below the line.
            if !at_risk && !shocked {
                let floor = floor_level * wage_index * rng.lognormal(1.0, 0.08);
                let net = wage + gross - cost + property + transfer;
                let need = floor * members.len() as f64 - net;
                if need > 0.0 {
                    transfer += need;
                }
            }

            // Rigid spending.
            let medical = Money::from_fen(oop[years.idx(yi)]);
            let mut education = 0.0;
            for (m, f) in members.iter().zip(facts) {
                if m.birth > mid_year {
                    continue;
                }
                let a = age_on(m.birth, mid_year);
                let stage = match (a, m.schooling) {
                    (3..=5, _) => Some(0),
                    (6..=14, _) => Some(1),
                    (15..=17, Some(s)) if s.is_student() => Some(
                        if matches!(
                            s,
                            Schooling::Vocational1
                                | Schooling::Vocational2
                                | Schooling::Vocational3
                        ) {
                            3
                        } else {
                            2
                        },
                    ),
                    (15..=17, _) if f.age < 15 => Some(2),
                    (18..=24, Some(s)) if s.is_student() && f.age >= 18 => Some(4),
                    _ => None,
                };
                if let Some(s) = stage {
                    education += rng.lognormal(p::EDUCATION_COST[s], 0.3);
                }
            }
            let other = if rng.chance(p::OTHER_RIGID.0) {
                rng.lognormal(p::OTHER_RIGID.1, 0.8)
            } else {
                0.0
            };

            let no = household_no(plan, hh);
            self.out[File::Incomes as usize]
                .row()
                .raw(no)
                .int(y)
                .money(yuan(wage))
                .money(yuan(gross))
                .money(yuan(cost))
                .money(yuan(property))
                .money(yuan(transfer))
                .money_or_empty(medical)
                .money_or_empty(yuan(education))
                .money_or_empty(yuan(other))
                .end();
        }
    }
}
