//! Phase 3 of a chunk: once IDs are known, writes the chunk's rows of every file — the
//! registry itself, each household's incomes for every year, and the department feeds over
//! the feed period (医保, 残联, 应急管理, 民政, 人社, 教育, 住建, 公安/民政), with a small share
//! of rows about people outside the registry. Events are drawn per person from the member's
//! age and health, so that feeds and incomes tell the same story: the ill have many
//! settlements and high self-paid costs, a death ends all later events, a household's shock
//! year shows in its income and in its migrants' 返乡 records.

mod income;
mod medical;

use crate::csvout::{Row, Sink};
use crate::names::Name;
use crate::params as p;
use crate::plan::Plan;
use crate::registry::{Chunk, Household, Member};
use crate::rng::{Draw, Purpose, stream};
use chrono::{Datelike, NaiveDate};
use domain::household::age_on;
use domain::{
    DisabilityGrade, HealthCondition, HouseholdType, IdNumber, Labor, Money, Schooling, Sex,
    flag_label,
};
use medical::{Bill, Care, Tier, Visit, write_bill};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The output files, in template order (`tabular::spec::ALL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum File {
    Households = 0,
    Members = 1,
    Incomes = 2,
    Medical = 3,
    Disability = 4,
    Disaster = 5,
    Assistance = 6,
    Employment = 7,
    Schooling = 8,
    Housing = 9,
    Death = 10,
}

/// Number of output files.
pub(crate) const FILES: usize = 11;

// 残疾类别, 灾害类型 and 房屋受损 labels are the domain's (which the templates list), in the
// order of `p::DISABILITY_KIND_WEIGHTS`, `p::DISASTER_KIND_WEIGHTS` and
// `p::HOUSE_DAMAGE_WEIGHTS`.
use domain::feed::{DisabilityKind, DisasterKind, HouseDamage};
// A label list and its weights must have the same length, or a draw would index past the
// list (or never reach its end).
const _: () = assert!(
    DisabilityKind::ALL.len() == p::DISABILITY_KIND_WEIGHTS.len()
        && DisasterKind::ALL.len() == p::DISASTER_KIND_WEIGHTS.len()
        && HouseDamage::ALL.len() == p::HOUSE_DAMAGE_WEIGHTS.len()
);
const GRADES: [&str; 4] = ["A", "B", "C", "D"];

/// 健康状况 label of a condition set without allocating.
fn health_label(bits: u8) -> &'static str {
    match bits {
        2 => "长期慢性病",
        4 => "患有大病",
        6 => "长期慢性病、患有大病",
        8 => "残疾",
        10 => "长期慢性病、残疾",
        12 => "患有大病、残疾",
        14 => "长期慢性病、患有大病、残疾",
        _ => "健康",
    }
}

fn yuan(v: f64) -> Money {
    Money::from_yuan(v.round().max(0.0) as i64)
}

fn fen(v: f64) -> i64 {
    (v * 100.0).round().max(0.0) as i64
}

/// Years of the period `[a, b]` that fall in calendar year `y`, as a fraction of a year.
fn overlap_years(a: NaiveDate, b: NaiveDate, y: i32) -> f64 {
    let ys = NaiveDate::from_ymd_opt(y, 1, 1).expect("valid date");
    let ye = NaiveDate::from_ymd_opt(y, 12, 31).expect("valid date");
    let lo = a.max(ys);
    let hi = b.min(ye);
    if hi < lo {
        0.0
    } else {
        ((hi - lo).num_days() + 1) as f64 / ((ye - ys).num_days() + 1) as f64
    }
}

/// Writes one chunk's rows of every file.
pub(crate) fn render_chunk(plan: &Plan, chunk: &Chunk) -> [Sink; FILES] {
    let mut r = Render {
        plan,
        chunk,
        rng: stream(plan.seed, Purpose::Events, chunk.index as u64),
        out: Default::default(),
        bills: Vec::new(),
        years: Years {
            base: i32::from(*plan.income_years.start()).min(plan.period.0.year()),
        },
    };
    let size_hint = chunk.households.len();
    r.out[File::Households as usize]
        .buf
        .reserve(size_hint * 110);
    r.out[File::Members as usize]
        .buf
        .reserve(chunk.members.len() * 150);
    r.out[File::Medical as usize]
        .buf
        .reserve(chunk.members.len() * 190);
    for hh in &chunk.households {
        r.household(hh);
    }
    r.out
}

/// Who a feed row is about.
#[derive(Clone, Copy)]
struct Who<'a> {
    id: &'a IdNumber,
    name: &'a Name,
}

/// The writer of one chunk.
struct Render<'a> {
    plan: &'a Plan,
    chunk: &'a Chunk,
    rng: ChaCha8Rng,
    out: [Sink; FILES],
    /// Scratch space for one person's settlements.
    bills: Vec<Bill>,
    years: Years,
}

/// A household being rendered: its records, ID numbers and per-member facts.
struct Home<'h> {
    hh: &'h Household,
    members: &'h [Member],
    ids: &'h [IdNumber],
    facts: Vec<Facts>,
    /// Shock years as bits of [`Years`].
    shocks: u64,
}

impl<'h> Home<'h> {
    fn who(&self, i: usize) -> Who<'h> {
        Who {
            id: &self.ids[i],
            name: &self.members[i].name,
        }
    }
}

/// An amount per calendar year, indexed by [`Years::idx`].
type PerYear = [i64; 64];

/// Per-member facts computed once for a household.
struct Facts {
    age: u32,
    care: Care,
    death: Option<NaiveDate>,
    /// Monthly wage level at [`p::PRICE_YEAR`] prices (for those who work).
    wage: f64,
}

/// Calendar years as offsets from the first year of interest; at most 64 years are covered
/// (checked by `Config::validate`).
struct Years {
    base: i32,
}

impl Years {
    fn bit(&self, y: i32) -> u64 {
        1u64 << (y - self.base)
    }
    fn idx(&self, y: i32) -> usize {
        (y - self.base) as usize
    }
}

impl Render<'_> {
    fn sink(&mut self, f: File) -> &mut Sink {
        &mut self.out[f as usize]
    }

    fn household(&mut self, hh: &Household) {
        self.write_registry(hh);
        let chunk = self.chunk;
        let members = &chunk.members[hh.first..hh.first + hh.size];
        let ids = &chunk.member_ids[hh.first..hh.first + hh.size];
        let plan = self.plan;
        let (start, end) = plan.period;
        let ex_poor = hh.kind == HouseholdType::ExPoor;

        // Shock years (收入骤减): job loss, illness, failed harvest.
        let mut shocks = 0u64;
        for y in self.years.base..=i32::from(*plan.income_years.end()).max(end.year()) {
            if self.rng.chance(p::SHOCK_RATE) {
                shocks |= self.years.bit(y);
            }
        }
        let shock_in_period = (start.year()..=end.year()).any(|y| shocks & self.years.bit(y) != 0);

        let facts = members.iter().map(|m| self.facts(m, ex_poor)).collect();
        let home = Home {
            hh,
            members,
            ids,
            facts,
            shocks,
        };

        // Per-person feeds.
        let mut oop: PerYear = [0; 64];
        for (i, m) in members.iter().enumerate() {
            let who = home.who(i);
            let f = &home.facts[i];
            self.medical(who, f, &mut oop);
            self.disability(who, m, f);
            self.employment(who, m, f, shock_in_period);
            self.schooling(who, m, f);
            if let Some(d) = f.death {
                Self::row_for(self.sink(File::Death), who).date(d).end();
                self.after(File::Death);
            }
        }

        // Household feeds, addressed to the head (or the person concerned).
        let hit = self.disaster(home.who(0), hh);
        self.housing(home.who(0), hh, hit);
        let hardship = !members
            .iter()
            .any(|m| m.labor.has_capacity() && m.work_months.is_some())
            || members.iter().any(|m| m.has(HealthCondition::Serious))
            || shock_in_period
            || hit;
        let mut dibao_paid: PerYear = [0; 64];
        let dibao_monthly = self.assistance(&home, hardship, &mut dibao_paid);

        self.incomes(&home, &oop, &dibao_paid, dibao_monthly);
    }

    /// A member's care profile, death in the period (if any) and wage level.
    fn facts(&mut self, m: &Member, ex_poor: bool) -> Facts {
        let plan = self.plan;
        let age = plan.calendar.age(m.birth);
        let band = p::band(age);
        let chronic = m.has(HealthCondition::Chronic);
        let serious = m.has(HealthCondition::Serious);
        let tier = if m.tekun {
            Tier::Tekun
        } else if m.dibao {
            Tier::Dibao
        } else if ex_poor {
            Tier::ExPoor
        } else {
            Tier::Ordinary
        };
        let mut q = p::DEATH_BY_AGE[band] * plan.period_years;
        if serious {
            q *= p::DEATH_SERIOUS_FACTOR;
        }
        if chronic {
            q *= p::DEATH_CHRONIC_FACTOR;
        }
        let death = self.rng.chance(q).then(|| plan.period_day(&mut self.rng));
        let median = if m.migrant {
            p::MIGRANT_WAGE_MONTHLY
        } else {
            p::LOCAL_WAGE_MONTHLY
        };
        let (skilled, weak, female) = p::WAGE_FACTORS;
        let wage = self.rng.lognormal(median, p::WAGE_SIGMA)
            * match m.labor {
                Labor::Skilled => skilled,
                Labor::Weak => weak,
                _ => 1.0,
            }
            * if m.sex == Sex::Female { female } else { 1.0 };
        Facts {
            age,
            care: Care {
                band,
                chronic,
                serious,
                disabled: m.has(HealthCondition::Disabled),
                use_factor: self.rng.mean_one(p::CARE_USE_SIGMA),
                tier,
            },
            death,
            wage,
        }
    }

    /// households.csv and members.csv rows.
    fn write_registry(&mut self, hh: &Household) {
        let plan = self.plan;
        let v = &plan.villages[hh.village as usize];
        let no = household_no(plan, hh);
        let mut row = self.out[File::Households as usize]
            .row()
            .raw(&no)
            .raw(|b| b.extend_from_slice(v.code.as_bytes()))
            .text(hh.kind.label());
        row = match hh.exit_year {
            Some(y) => row.int(y),
            None => row.empty(),
        };
        row = match hh.phone {
            Some(ph) => row.int(ph),
            None => row.empty(),
        };
        row.raw(|b| {
            b.extend_from_slice(v.address.as_bytes());
            b.extend_from_slice(itoa::Buffer::new().format(hh.group).as_bytes());
            b.extend_from_slice("组".as_bytes());
        })
        .text(hh.housing.label())
        .text(hh.water.label())
        .end();

        let chunk = self.chunk;
        for (m, id) in chunk.members[hh.first..hh.first + hh.size]
            .iter()
            .zip(&chunk.member_ids[hh.first..])
        {
            let mut row = self.out[File::Members as usize]
                .row()
                .raw(&no)
                .raw(|b| m.name.write_to(b))
                .raw(|b| b.extend_from_slice(id.as_str().as_bytes()))
                .text(m.relation.label())
                .text(m.sex.label())
                .date(m.birth)
                .text(m.labor.label())
                .text(health_label(m.health.bits()));
            row = match m.grade {
                Some(g) => row.text(g.label()),
                None => row.empty(),
            };
            row = match m.schooling {
                Some(s) => row.text(s.label()),
                None => row.empty(),
            };
            row = match m.education {
                Some(e) => row.text(e.label()),
                None => row.empty(),
            };
            row = match m.work_months {
                Some(w) => row.int(w),
                None => row.empty(),
            };
            row.text(flag_label(m.insured))
                .text(flag_label(m.dibao))
                .text(flag_label(m.tekun))
                .end();
        }
    }

    /// After a registry row of a feed: now and then a row about someone outside the registry.
    fn after(&mut self, f: File) {
        if self.rng.chance(p::OUTSIDER_SHARE) {
            self.outsider_row(f);
        }
    }

    fn row_for<'s>(out: &'s mut Sink, who: Who<'_>) -> Row<'s> {
        out.row()
            .raw(|b| b.extend_from_slice(who.id.as_str().as_bytes()))
            .raw(|b| who.name.write_to(b))
    }

    /// 医保结算 rows of one member over the period; adds the compliant self-pay per year.
    fn medical(&mut self, who: Who<'_>, f: &Facts, oop: &mut PerYear) {
        let plan = self.plan;
        let (start, end) = plan.period;
        let (g, c, i) = f.care.counts(&mut self.rng, plan.period_years);
        self.bills.clear();
        for (n, visit) in [
            (g, Visit::General),
            (c, Visit::Chronic),
            (i, Visit::Inpatient),
        ] {
            for _ in 0..n {
                let date = plan.period_day(&mut self.rng);
                if f.death.is_some_and(|d| date > d) {
                    continue;
                }
                let bill = f.care.bill(&mut self.rng, visit, date);
                self.bills.push(bill);
            }
        }
        self.bills.sort_by_key(|b| b.date);
        let bills = std::mem::take(&mut self.bills);
        for b in &bills {
            oop[self.years.idx(b.date.year())] += b.compliant_oop;
            write_bill(self.sink(File::Medical), who, b);
            self.after(File::Medical);
        }
        self.bills = bills;
        // Income years not (fully) covered by the period: simulate the rest of the year.
        for y in plan.income_years.clone() {
            let y = i32::from(y);
            let rest = 1.0 - overlap_years(start, end, y);
            if rest > 0.0 {
                let day = NaiveDate::from_ymd_opt(y, 6, 30).expect("valid date");
                oop[self.years.idx(y)] += f.care.simulated_oop(&mut self.rng, rest, day);
            }
        }
    }

    /// 残疾人证: renewals for the registered disabled, new certificates for others.
    fn disability(&mut self, who: Who<'_>, m: &Member, f: &Facts) {
        let years = self.plan.period_years;
        let grade = if let Some(g) = m.grade {
            if !self.rng.chance(p::DISABILITY_RENEWAL * years) {
                return;
            }
            // A review sometimes changes the grade by one step.
            let i = DisabilityGrade::ALL
                .iter()
                .position(|x| *x == g)
                .unwrap_or(3);
            let j = match self.rng.random_range(0..10) {
                0 => i.saturating_sub(1),
                1 => (i + 1).min(3),
                _ => i,
            };
            DisabilityGrade::ALL[j]
        } else {
            if !self
                .rng
                .chance(p::NEW_DISABILITY_BY_AGE[f.care.band] * years)
            {
                return;
            }
            DisabilityGrade::ALL[self.rng.weighted_index(&p::NEW_DISABILITY_GRADE_WEIGHTS)]
        };
        let Some(date) = self.plan.day_until(&mut self.rng, f.death) else {
            return;
        };
        let kind =
            DisabilityKind::ALL[self.rng.weighted_index(&p::DISABILITY_KIND_WEIGHTS)].label();
        Self::row_for(self.sink(File::Disability), who)
            .text(kind)
            .text(grade.label())
            .date(date)
            .end();
        self.after(File::Disability);
    }

    /// 人社 events for migrant workers; more of them in a shock year.
    fn employment(&mut self, who: Who<'_>, m: &Member, f: &Facts, shock: bool) {
        if !m.migrant || f.age > 64 {
            return;
        }
        let factor = self.plan.period_years
            * if shock {
                p::SHOCK_EMPLOYMENT_FACTOR
            } else {
                1.0
            };
        let (back, unemployed, lapsed) = p::EMPLOYMENT_RATES;
        for (rate, event) in [(back, "返乡"), (unemployed, "失业登记"), (lapsed, "断缴")] {
            if self.rng.chance(rate * factor)
                && let Some(date) = self.plan.day_until(&mut self.rng, f.death)
            {
                Self::row_for(self.sink(File::Employment), who)
                    .text(event)
                    .date(date)
                    .end();
                self.after(File::Employment);
            }
        }
    }

    /// 学籍 events: enrolments in September, rare dropouts.
    fn schooling(&mut self, who: Who<'_>, m: &Member, f: &Facts) {
        let plan = self.plan;
        let (start, end) = plan.period;
        if f.age > 25 {
            return;
        }
        // 入学 at each 1 September inside the period.
        for y in start.year()..=end.year() {
            let Some(sept) = NaiveDate::from_ymd_opt(y, 9, 1) else {
                continue;
            };
            if sept < start || sept > end || f.death.is_some_and(|d| d < sept) {
                continue;
            }
            let cutoff = NaiveDate::from_ymd_opt(y, 8, 31).expect("valid date");
            if m.birth > cutoff {
                continue;
            }
            let sage = age_on(m.birth, cutoff);
            let stage = match sage {
                3 => self.rng.chance(0.6).then_some(Schooling::Preschool),
                6 => Some(Schooling::Primary),
                12 => Some(Schooling::Grade7),
                15 => self.rng.chance(p::CONTINUE_UPPER).then(|| {
                    if self.rng.chance(0.6) {
                        Schooling::HighSchool1
                    } else {
                        Schooling::Vocational1
                    }
                }),
                18 => self.rng.chance(p::CONTINUE_TERTIARY).then(|| {
                    if self.rng.chance(0.55) {
                        Schooling::College1
                    } else {
                        Schooling::Bachelor1
                    }
                }),
                _ => None,
            };
            if let Some(stage) = stage {
                let date = (sept + chrono::Days::new(self.rng.random_range(0..6))).min(end);
                Self::row_for(self.sink(File::Schooling), who)
                    .text("入学")
                    .text(stage.label())
                    .date(date)
                    .end();
                self.after(File::Schooling);
            }
        }
        // 辍学 / 失学.
        let Some(stage) = m.schooling.filter(|s| s.is_student()) else {
            return;
        };
        let (compulsory, upper, out_of_school) = p::DROPOUT_RATES;
        let upper_stage = matches!(
            stage,
            Schooling::HighSchool1
                | Schooling::HighSchool2
                | Schooling::HighSchool3
                | Schooling::Vocational1
                | Schooling::Vocational2
                | Schooling::Vocational3
        );
        let events: [(f64, &str); 2] = if stage.is_compulsory() {
            [(compulsory, "辍学"), (out_of_school, "失学")]
        } else if upper_stage {
            [(upper, "辍学"), (0.0, "失学")]
        } else {
            return;
        };
        for (rate, event) in events {
            if self.rng.chance(rate * plan.period_years)
                && let Some(date) = plan.day_until(&mut self.rng, f.death)
            {
                Self::row_for(self.sink(File::Schooling), who)
                    .text(event)
                    .text(stage.label())
                    .date(date)
                    .end();
                self.after(File::Schooling);
            }
        }
    }

    /// 受灾人员 rows for the county's disasters that hit this household. Returns whether
    /// the house was seriously damaged or collapsed.
    fn disaster(&mut self, head: Who<'_>, hh: &Household) -> bool {
        let plan = self.plan;
        let mut severe = false;
        for &e in &plan.village_disasters[hh.village as usize] {
            let d = plan.disasters[e as usize];
            if !self.rng.chance(d.hit_share) {
                continue;
            }
            let damage = self.rng.weighted_index(&p::HOUSE_DAMAGE_WEIGHTS);
            severe |= damage >= 2;
            let (median, sigma) = p::DISASTER_LOSS;
            let loss = self.rng.lognormal(median, sigma) * (1.0 + 2.0 * damage as f64);
            Self::row_for(self.sink(File::Disaster), head)
                .text(DisasterKind::ALL[d.kind].label())
                .date(d.date)
                .money(yuan(loss))
                .text(HouseDamage::ALL[damage].label())
                .end();
            self.after(File::Disaster);
        }
        severe
    }

    /// 住房鉴定: routine appraisals, follow-ups of unsafe houses and after disasters.
    fn housing(&mut self, head: Who<'_>, hh: &Household, damaged: bool) {
        let plan = self.plan;
        let (routine, follow_up) = p::HOUSING_APPRAISAL;
        let unsafe_now = !hh.housing.is_safe();
        let rate = if damaged {
            0.7
        } else if unsafe_now {
            follow_up
        } else {
            routine * plan.period_years
        };
        if !self.rng.chance(rate) {
            return;
        }
        let grade = if damaged || unsafe_now {
            self.rng.weighted_index(&p::REAPPRAISAL_GRADE_WEIGHTS)
        } else {
            self.rng.weighted_index(&p::APPRAISAL_GRADE_WEIGHTS)
        };
        let date = plan.period_day(&mut self.rng);
        Self::row_for(self.sink(File::Housing), head)
            .text(GRADES[grade])
            .date(date)
            .end();
        self.after(File::Housing);
    }

    /// 社会救助 rows: monthly 低保 and 特困 payments, changes, and 临时救助. Returns the
    /// household's 低保 monthly amount at [`p::PRICE_YEAR`] prices (fen), 0 when none; fills
    /// the 低保 paid per calendar year of the period.
    fn assistance(&mut self, home: &Home<'_>, hardship: bool, paid: &mut PerYear) -> i64 {
        let (hh, members, facts) = (home.hh, home.members, &home.facts);
        let plan = self.plan;
        let (start, end) = plan.period;
        let head = home.who(0);
        let head_death = facts[0].death;
        let covered = members.len() as f64;
        let (median, sigma) = p::DIBAO_MONTHLY;
        let monthly = fen((self.rng.lognormal(median, sigma) * covered).round());
        let index = |y: i32| (1.0 + p::ASSISTANCE_GROWTH).powi(y - p::PRICE_YEAR);

        // 低保: current recipients (with a possible 停发), or a 新增 during the period.
        let (from, until, new) = if hh.dibao {
            let stop = if self.rng.chance(p::DIBAO_STOP * plan.period_years) {
                plan.period_day(&mut self.rng).into()
            } else {
                None
            };
            let stop = match (stop, head_death) {
                (Some(s), Some(d)) => Some(s.min(d + chrono::Days::new(20))),
                (s, d) => s.or(d.map(|d| d + chrono::Days::new(20))),
            }
            .map(|d| d.min(end));
            (Some(start), stop, false)
        } else {
            let (base, hard) = p::DIBAO_NEW;
            let rate = if hardship { hard } else { base };
            if self.rng.chance(rate * plan.period_years) {
                let d = plan.period_day(&mut self.rng);
                let live = head_death.is_none_or(|x| x > d);
                (live.then_some(d), None, live)
            } else {
                (None, None, false)
            }
        };
        if let Some(from) = from {
            if new {
                let amount = (monthly as f64 * index(from.year())) as i64;
                self.assistance_row(head, "低保", "新增", from, Some(amount));
            }
            self.monthly_payments(head, "低保", from, until, monthly, paid);
            if let Some(stop) = until {
                self.assistance_row(head, "低保", "停发", stop, None);
            }
        }

        // 特困供养: the person concerned.
        for (i, m) in members.iter().enumerate() {
            let who = home.who(i);
            let death = facts[i].death;
            let tekun_monthly = fen(p::TEKUN_MONTHLY);
            if m.tekun {
                let stop = death.map(|d| (d + chrono::Days::new(15)).min(end));
                self.monthly_payments(who, "特困供养", start, stop, tekun_monthly, &mut [0; 64]);
                if let Some(s) = stop {
                    self.assistance_row(who, "特困供养", "停发", s, None);
                }
            } else if members.len() == 1
                && !hh.dibao
                && facts[i].age >= 60
                && !m.labor.has_capacity()
                && self.rng.chance(p::TEKUN_NEW * plan.period_years)
                && let Some(d) = plan.day_until(&mut self.rng, death)
            {
                let amount = (tekun_monthly as f64 * index(d.year())) as i64;
                self.assistance_row(who, "特困供养", "新增", d, Some(amount));
                let stop = death.map(|x| (x + chrono::Days::new(15)).min(end));
                self.monthly_payments(who, "特困供养", d, stop, tekun_monthly, &mut [0; 64]);
            }
        }

        // 临时救助.
        let (base, hard) = p::TEMP_AID;
        let rate = if hardship { hard } else { base };
        if self.rng.chance(rate * plan.period_years)
            && let Some(d) = plan.day_until(&mut self.rng, head_death)
        {
            let (median, sigma) = p::TEMP_AID_AMOUNT;
            let amount = fen(self
                .rng
                .lognormal(median, sigma)
                .round()
                .clamp(200.0, 50_000.0));
            self.assistance_row(head, "临时救助", "发放", d, Some(amount));
        }

        if hh.dibao { monthly } else { 0 }
    }

    fn assistance_row(
        &mut self,
        who: Who<'_>,
        kind: &str,
        change: &str,
        date: NaiveDate,
        amount: Option<i64>,
    ) {
        let row = Self::row_for(self.sink(File::Assistance), who)
            .text(kind)
            .text(change)
            .date(date);
        match amount {
            Some(a) => row.money(Money::from_fen(a)),
            None => row.empty(),
        }
        .end();
        self.after(File::Assistance);
    }

    /// 发放 on the 10th of each month from `from` until `until` (exclusive).
    fn monthly_payments(
        &mut self,
        who: Who<'_>,
        kind: &str,
        from: NaiveDate,
        until: Option<NaiveDate>,
        monthly: i64,
        paid: &mut PerYear,
    ) {
        let (_, end) = self.plan.period;
        let last = until.unwrap_or(end).min(end);
        let mut d = NaiveDate::from_ymd_opt(from.year(), from.month(), 10).expect("valid date");
        if d < from {
            d = d
                .checked_add_months(chrono::Months::new(1))
                .expect("in range");
        }
        while d <= last && (until.is_none() || d < last) {
            let amount = (monthly as f64
                * (1.0 + p::ASSISTANCE_GROWTH).powi(d.year() - p::PRICE_YEAR))
                as i64;
            paid[self.years.idx(d.year())] += amount;
            self.assistance_row(who, kind, "发放", d, Some(amount));
            d = d
                .checked_add_months(chrono::Months::new(1))
                .expect("in range");
        }
    }

    /// A feed row about someone outside the registry.
    fn outsider_row(&mut self, f: File) {
        let chunk = self.chunk;
        let plan = self.plan;
        let i = self.rng.random_range(0..chunk.outsiders.len());
        let o = &chunk.outsiders[i];
        let who = Who {
            id: &chunk.outsider_ids[i],
            name: &o.name,
        };
        let age = plan.calendar.age(o.birth);
        let date = plan.period_day(&mut self.rng);
        let rng = &mut self.rng;
        let out = &mut self.out[f as usize];
        match f {
            File::Medical => {
                let care = Care {
                    band: p::band(age),
                    chronic: false,
                    serious: rng.chance(0.03),
                    disabled: false,
                    use_factor: 1.0,
                    tier: Tier::Ordinary,
                };
                let visit = if rng.chance(0.15) {
                    Visit::Inpatient
                } else {
                    Visit::General
                };
                write_bill(out, who, &care.bill(rng, visit, date));
            }
            File::Disability => {
                Self::row_for(out, who)
                    .text(
                        DisabilityKind::ALL[rng.weighted_index(&p::DISABILITY_KIND_WEIGHTS)]
                            .label(),
                    )
                    .text(
                        DisabilityGrade::ALL[rng.weighted_index(&p::NEW_DISABILITY_GRADE_WEIGHTS)]
                            .label(),
                    )
                    .date(date)
                    .end();
            }
            File::Disaster => {
                let damage = rng.weighted_index(&p::HOUSE_DAMAGE_WEIGHTS);
                Self::row_for(out, who)
                    .text(DisasterKind::ALL[rng.weighted_index(&p::DISASTER_KIND_WEIGHTS)].label())
                    .date(date)
                    .money(yuan(rng.lognormal(p::DISASTER_LOSS.0, p::DISASTER_LOSS.1)))
                    .text(HouseDamage::ALL[damage].label())
                    .end();
            }
            File::Assistance => {
                let (kind, change, amount) = if rng.chance(0.6) {
                    ("临时救助", "发放", rng.lognormal(p::TEMP_AID_AMOUNT.0, 0.8))
                } else {
                    ("低保", "新增", rng.lognormal(p::DIBAO_MONTHLY.0, 0.3))
                };
                Self::row_for(out, who)
                    .text(kind)
                    .text(change)
                    .date(date)
                    .money(yuan(amount))
                    .end();
            }
            File::Employment => {
                Self::row_for(out, who)
                    .text(["返乡", "失业登记", "断缴"][rng.weighted_index(&[4, 1, 3])])
                    .date(date)
                    .end();
            }
            File::Schooling => {
                let stage = match age {
                    ..=11 => Schooling::Primary,
                    12 => Schooling::Grade7,
                    13 => Schooling::Grade8,
                    14 => Schooling::Grade9,
                    _ => Schooling::HighSchool1,
                };
                let event = if rng.chance(0.7) { "入学" } else { "辍学" };
                Self::row_for(out, who)
                    .text(event)
                    .text(stage.label())
                    .date(date)
                    .end();
            }
            File::Housing => {
                Self::row_for(out, who)
                    .text(GRADES[rng.weighted_index(&p::APPRAISAL_GRADE_WEIGHTS)])
                    .date(date)
                    .end();
            }
            File::Death => {
                Self::row_for(out, who).date(date).end();
            }
            File::Households | File::Members | File::Incomes => {}
        }
    }
}

/// Writes the 户编号: village code and a sequence number of at least four digits (wider
/// when a village has more than 9,999 households, still unique as the code has fixed width).
fn household_no<'p>(plan: &'p Plan, hh: &Household) -> impl Fn(&mut Vec<u8>) + use<'p> {
    let code = plan.villages[hh.village as usize].code.as_bytes();
    let seq = hh.seq;
    move |b: &mut Vec<u8>| {
        b.extend_from_slice(code);
        let mut ib = itoa::Buffer::new();
        let s = ib.format(seq);
        for _ in s.len()..4 {
            b.push(b'0');
        }
        b.extend_from_slice(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Health;

    #[test]
    fn health_labels_match_the_domain() {
        for bits in 1..16u8 {
            let h = Health::from_bits(bits).unwrap();
            if h.has(domain::HealthCondition::Healthy) && bits != 1 {
                continue; // 健康 never combines with a condition
            }
            assert_eq!(health_label(bits), h.label(), "{bits}");
            assert_eq!(Health::parse(health_label(bits)).unwrap(), h);
        }
    }

    #[test]
    fn overlap_of_the_period_with_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(overlap_years(d(2025, 1, 1), d(2025, 12, 31), 2025), 1.0);
        assert_eq!(overlap_years(d(2025, 1, 1), d(2025, 12, 31), 2024), 0.0);
        let half = overlap_years(d(2024, 7, 1), d(2025, 6, 30), 2025);
        assert!((half - 181.0 / 365.0).abs() < 1e-9);
    }
}
