//! The rules themselves: one pass over a household's feed events gathers what every event
//! rule needs, then each enabled rule decides from the gathered figures.

use super::policy::{LocalPolicy, Policy};
use super::{Assessment, Channel, HouseholdView, RuleId, Unit, Warning};
use crate::enums::{HouseholdType, WaterSafety};
use crate::feed::{AssistanceChange, AssistanceKind, EmploymentEvent, EventDetail, SchoolingEvent};
use crate::household::age_on;
use crate::money::Money;
use crate::monitoring::{MAX_RISKS, RiskSet, RiskType, fitting_category};
use chrono::{Datelike, NaiveDate};

/// Source records of one rule: how many, first and latest date, a running figure.
#[derive(Debug, Clone, Copy, Default)]
struct Hits {
    count: u32,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
    figure: i64,
    member: Option<u32>,
}

impl Hits {
    fn add(&mut self, date: NaiveDate, member: u32) {
        self.count += 1;
        self.first = Some(self.first.map_or(date, |d| d.min(date)));
        if self.last.is_none_or(|d| date >= d) {
            self.last = Some(date);
            self.member = Some(member);
        }
    }

    fn key(&self) -> i64 {
        self.last.map_or(0, |d| i64::from(d.num_days_from_ce()))
    }
}

/// Screens one household as of `as_of`, appending its warnings to `out`; returns how many
/// were added. `local` is the policy resolved for the household's village.
pub fn screen(
    view: &HouseholdView<'_>,
    policy: &Policy,
    local: &LocalPolicy,
    as_of: NaiveDate,
    out: &mut Vec<Warning>,
) -> usize {
    let before = out.len();
    let rules = &policy.rules;
    let window_start = policy.window_start(as_of);
    let in_window = |d: NaiveDate| d > window_start && d <= as_of;
    let period = (window_start.succ_opt().unwrap_or(window_start), as_of);
    let hh = view.household;
    let size = view.members.len() as u32;

    // ---- one pass over the events ----
    let mut medical = Hits::default();
    let mut disaster_loss = Money::ZERO;
    let mut disability = Hits::default();
    let mut disaster = Hits::default();
    let mut assistance = Hits::default();
    let mut job = Hits::default();
    let mut dropout = Hits::default();
    let mut house = Hits::default();
    let mut deaths_in_window = Hits::default();
    // Members known dead on the screening day (any date), and those who died within the
    // window: at most a handful per household, kept without allocating.
    let mut dead: [u32; 8] = [0; 8];
    let mut n_dead = 0usize;
    let mut dead_recently: [u32; 8] = [0; 8];
    let mut n_recent = 0usize;
    for e in view.events {
        if e.date > as_of {
            continue;
        }
        if let EventDetail::Death = e.detail {
            if n_dead < dead.len() {
                dead[n_dead] = e.member;
                n_dead += 1;
            }
            if in_window(e.date) {
                deaths_in_window.add(e.date, e.member);
                if n_recent < dead_recently.len() {
                    dead_recently[n_recent] = e.member;
                    n_recent += 1;
                }
            }
            continue;
        }
        if !in_window(e.date) {
            continue;
        }
        match e.detail {
            EventDetail::Medical { out_of_pocket, .. } => {
                medical.add(e.date, e.member);
                medical.figure += out_of_pocket.fen();
            }
            EventDetail::Disability { grade, .. } => {
                if grade <= rules.severe_disability.grades_up_to {
                    disability.add(e.date, e.member);
                    let g = i64::from(grade.code());
                    disability.figure = if disability.count == 1 {
                        g
                    } else {
                        disability.figure.min(g)
                    };
                }
            }
            EventDetail::Disaster { loss, damage, .. } => {
                let loss = loss.unwrap_or_default();
                disaster_loss += loss;
                let severe = damage.is_some_and(|d| d >= rules.disaster.min_damage);
                if loss >= rules.disaster.min_loss.0 || severe {
                    disaster.add(e.date, e.member);
                }
            }
            EventDetail::Assistance {
                kind,
                change,
                amount,
            } => {
                let qualifies = match (kind, change) {
                    (AssistanceKind::Dibao | AssistanceKind::Tekun, AssistanceChange::Granted) => {
                        true
                    }
                    (
                        AssistanceKind::Temporary,
                        AssistanceChange::Granted | AssistanceChange::Paid,
                    ) => amount.is_some_and(|a| a >= rules.assistance.temporary_min_amount.0),
                    _ => false,
                };
                if qualifies {
                    assistance.add(e.date, e.member);
                }
            }
            EventDetail::Employment(ev) => {
                if matches!(ev, EmploymentEvent::Unemployed | EmploymentEvent::Returned) {
                    job.add(e.date, e.member);
                }
            }
            EventDetail::Schooling { event, stage } => {
                if matches!(event, SchoolingEvent::Dropout | SchoolingEvent::OutOfSchool) {
                    let compulsory = match stage {
                        Some(s) => s.is_compulsory(),
                        None => view
                            .members
                            .iter()
                            .find(|m| m.id == e.member)
                            .is_some_and(|m| {
                                let age = age_on(m.birth_date, e.date);
                                (rules.dropout.compulsory_age_from
                                    ..=rules.dropout.compulsory_age_to)
                                    .contains(&age)
                            }),
                    };
                    if compulsory {
                        dropout.add(e.date, e.member);
                    }
                }
            }
            EventDetail::Housing(grade) => {
                if grade.is_dangerous() {
                    house.add(e.date, e.member);
                }
            }
            EventDetail::Death => unreachable!("deaths are handled above"),
        }
    }
    let dead = &dead[..n_dead];
    let dead_recently = &dead_recently[..n_recent];
    let alive = || view.members.iter().filter(|m| !dead.contains(&m.id));

    // ---- income ----
    let year_now = as_of.year();
    let latest = view
        .incomes
        .iter()
        .rev()
        .find(|i| i32::from(i.year) <= year_now);
    let line_of = |year: u16| local.line(year).map(|r| r.amount);
    let mut push = |rule: RuleId,
                    risk: RiskType,
                    key: i64,
                    figure: i64,
                    threshold: i64,
                    unit: Unit,
                    period: (NaiveDate, NaiveDate),
                    hits: Hits| {
        out.push(Warning {
            rule,
            risk,
            key,
            figure,
            threshold,
            unit,
            period,
            sources: hits.count,
            first: hits.first,
            last: hits.last,
            member: hits.member,
        });
    };
    let year_period = |y: u16| {
        (
            NaiveDate::from_ymd_opt(i32::from(y), 1, 1).expect("valid date"),
            NaiveDate::from_ymd_opt(i32::from(y), 12, 31).expect("valid date"),
        )
    };
    let one = Hits {
        count: 1,
        ..Hits::default()
    };

    if let Some(cur) = latest
        && size > 0
    {
        let pc = cur.net().per_capita(size).expect("size > 0");
        if rules.income_low.enabled
            && let Some(line) = line_of(cur.year)
            && pc <= line
        {
            push(
                RuleId::IncomeLow,
                RiskType::Other,
                i64::from(cur.year),
                pc.fen(),
                line.fen(),
                Unit::Fen,
                year_period(cur.year),
                one,
            );
        }
        if rules.income_drop.enabled
            && let Some(prev) = view.incomes.iter().rev().find(|i| i.year + 1 == cur.year)
        {
            let (a, b) = (prev.net().fen(), cur.net().fen());
            // Down by at least p %: (a − b) × 100 ≥ p × a, in integers (no rounding at the
            // boundary). Household size is the same both years, so nets compare as
            // per-capita incomes do.
            let p = i64::from(rules.income_drop.min_drop_percent);
            if a > 0 && (a - b) * 100 >= p * a {
                let drop = ((a - b) * 100) / a;
                // What fell most tells the likely risk: wages → 务工就业不稳, farming or
                // business → 产业项目失败.
                let wage_fall = (prev.wage - cur.wage).fen();
                let business_fall = ((prev.business_income - prev.business_cost)
                    - (cur.business_income - cur.business_cost))
                    .fen();
                let risk = if wage_fall >= business_fall && wage_fall > 0 {
                    RiskType::UnstableJob
                } else if business_fall > 0 {
                    RiskType::IndustryFail
                } else {
                    RiskType::Other
                };
                push(
                    RuleId::IncomeDrop,
                    risk,
                    i64::from(cur.year),
                    drop,
                    p,
                    Unit::Percent,
                    (year_period(prev.year).0, year_period(cur.year).1),
                    Hits {
                        count: 2,
                        ..Hits::default()
                    },
                );
            }
        }
        if rules.rigid_spending.enabled
            && let Some(line) = line_of(cur.year)
        {
            let medical_oop = Money::from_fen(medical.figure);
            let rigid = medical_oop + disaster_loss + cur.education_cost + cur.other_rigid_cost;
            let net = cur.net();
            let share = i64::from(rules.rigid_spending.share_of_net_percent);
            let threshold = Money::from_fen(net.fen().max(0) * share / 100);
            let adjusted = (net - rigid).per_capita(size).expect("size > 0");
            if rigid > Money::ZERO && rigid > threshold && adjusted <= line {
                // The largest component names the risk.
                let parts = [
                    (medical_oop, RiskType::Illness),
                    (disaster_loss, RiskType::Disaster),
                    (cur.education_cost, RiskType::Education),
                    (cur.other_rigid_cost, RiskType::Accident),
                ];
                let risk = parts
                    .iter()
                    .max_by_key(|(m, _)| *m)
                    .map_or(RiskType::Other, |(_, r)| *r);
                push(
                    RuleId::RigidSpending,
                    risk,
                    i64::from(cur.year),
                    rigid.fen(),
                    threshold.fen(),
                    Unit::Fen,
                    period,
                    Hits {
                        count: medical.count + 1,
                        first: medical.first,
                        last: medical.last,
                        ..Hits::default()
                    },
                );
            }
        }
    }

    if rules.medical_burden.enabled
        && medical.count > 0
        && let Some(reference) = local.rural_income_prev_year
    {
        let pct = if hh.household_type == HouseholdType::ExPoor || hh.monitored {
            rules.medical_burden.ex_poor_percent
        } else {
            rules.medical_burden.other_percent
        };
        let threshold = reference.amount.fen() * i64::from(pct) / 100;
        if medical.figure > threshold {
            push(
                RuleId::MedicalBurden,
                RiskType::Illness,
                medical.key(),
                medical.figure,
                threshold,
                Unit::Fen,
                period,
                medical,
            );
        }
    }
    let mut event_rule = |enabled: bool, rule, risk, hits: Hits, figure, threshold, unit| {
        if enabled && hits.count > 0 {
            push(
                rule,
                risk,
                hits.key(),
                figure,
                threshold,
                unit,
                period,
                hits,
            );
        }
    };
    event_rule(
        rules.severe_disability.enabled,
        RuleId::SevereDisability,
        RiskType::Disability,
        disability,
        disability.figure,
        i64::from(rules.severe_disability.grades_up_to.code()),
        Unit::None,
    );
    event_rule(
        rules.disaster.enabled,
        RuleId::Disaster,
        RiskType::Disaster,
        disaster,
        disaster_loss.fen(),
        rules.disaster.min_loss.0.fen(),
        Unit::Fen,
    );
    event_rule(
        rules.assistance.enabled,
        RuleId::Assistance,
        RiskType::Other,
        assistance,
        0,
        0,
        Unit::None,
    );
    if rules.job_loss.enabled
        && job.count > 0
        && let Some(cur) = latest
    {
        let gross = cur.gross().fen();
        let wage = cur.wage.fen();
        let min = i64::from(rules.job_loss.min_wage_share_percent);
        if gross > 0 && wage * 100 >= min * gross {
            event_rule(
                true,
                RuleId::JobLoss,
                RiskType::UnstableJob,
                job,
                wage * 100 / gross,
                min,
                Unit::Percent,
            );
        }
    }
    event_rule(
        rules.dropout.enabled,
        RuleId::Dropout,
        RiskType::Dropout,
        dropout,
        0,
        0,
        Unit::None,
    );
    event_rule(
        rules.dangerous_house.enabled,
        RuleId::DangerousHouse,
        RiskType::Housing,
        house,
        0,
        0,
        Unit::None,
    );
    if rules.death_lack_labor.enabled && deaths_in_window.count > 0 {
        // The member who died within the window could work, and nobody alive can.
        let lost_worker = view
            .members
            .iter()
            .any(|m| dead_recently.contains(&m.id) && m.labor.has_capacity());
        let someone_works = alive().any(|m| m.labor.has_capacity());
        if lost_worker && !someone_works {
            event_rule(
                true,
                RuleId::DeathLackLabor,
                RiskType::LackLabor,
                deaths_in_window,
                0,
                0,
                Unit::None,
            );
        }
    }
    // Registry gaps count for households within or near the monitoring range.
    let near_line = |pct: u32| {
        latest
            .zip(latest.and_then(|c| line_of(c.year)))
            .is_some_and(|(cur, line)| {
                size > 0
                    && cur.net().per_capita(size).expect("size > 0").fen() * 100
                        <= line.fen() * i64::from(pct)
            })
    };
    if rules.uninsured.enabled && near_line(rules.uninsured.max_income_percent_of_line) {
        let n = alive().filter(|m| m.medical_insured == Some(false)).count() as u32;
        if n > 0 {
            event_rule(
                true,
                RuleId::Uninsured,
                RiskType::Other,
                Hits {
                    count: n,
                    ..Hits::default()
                },
                i64::from(n),
                0,
                Unit::None,
            );
        }
    }
    if rules.unsafe_housing.enabled
        && hh.housing.is_some_and(|h| !h.is_safe())
        && near_line(rules.unsafe_housing.max_income_percent_of_line)
    {
        event_rule(
            true,
            RuleId::UnsafeHousing,
            RiskType::Housing,
            one,
            0,
            0,
            Unit::None,
        );
    }
    if rules.unsafe_water.enabled
        && hh.water == Some(WaterSafety::Unsafe)
        && near_line(rules.unsafe_water.max_income_percent_of_line)
    {
        event_rule(
            true,
            RuleId::UnsafeWater,
            RiskType::Water,
            one,
            0,
            0,
            Unit::None,
        );
    }
    out.len() - before
}

/// The suggested category, risk types and channel of a household with `warnings`.
pub fn assess(
    view: &HouseholdView<'_>,
    local: &LocalPolicy,
    as_of: NaiveDate,
    warnings: &[Warning],
) -> Assessment {
    let size = view.members.len() as u32;
    let latest = view
        .incomes
        .iter()
        .rev()
        .find(|i| i32::from(i.year) <= as_of.year());
    let income = latest.and_then(|i| i.net().per_capita(size).map(|pc| (i.year, pc)));
    let line = local.line(latest.map_or(as_of.year() as u16, |i| i.year));
    let shock = warnings.iter().any(|w| w.rule.is_shock());
    let category = line.and_then(|l| {
        fitting_category(
            view.household.household_type,
            income.map(|(_, pc)| pc),
            l.amount,
            shock,
        )
    });
    // Risk types by how many warnings name them, then list order; at most five.
    let mut counts = [0u8; 16];
    for w in warnings {
        let i = RiskType::ALL
            .iter()
            .position(|r| *r == w.risk)
            .expect("listed");
        counts[i] = counts[i].saturating_add(1);
    }
    let mut order: Vec<usize> = (0..RiskType::ALL.len())
        .filter(|i| counts[*i] > 0)
        .collect();
    order.sort_by_key(|i| std::cmp::Reverse(counts[*i]));
    let mut risks = RiskSet::EMPTY;
    for i in order.into_iter().take(MAX_RISKS) {
        risks = risks.with(RiskType::ALL[i]);
    }
    let channel = if warnings
        .iter()
        .any(|w| w.rule.channel() == Channel::DepartmentWarning)
    {
        Channel::DepartmentWarning
    } else {
        Channel::IncomeMonitoring
    };
    Assessment {
        income,
        line,
        category,
        risks,
        channel,
    }
}
