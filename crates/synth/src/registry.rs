//! The registry (一户一档) of one chunk of households: household shapes and members with
//! coherent relations, ages, sexes and names ([`family`]), then health, labour, schooling and
//! benefits that follow from age ([`person`]), and the household's own fields. ID numbers
//! are not drawn here: they are handed out afterwards, in chunk order, by
//! [`crate::ids::IdAllocator`], which is what keeps them unique across parallel chunks.

mod family;
mod person;

use crate::names::Name;
use crate::params as p;
use crate::plan::Plan;
use crate::rng::{Draw, Purpose, stream};
use chrono::{Datelike, Months, NaiveDate};
use domain::household::age_on;
use domain::{
    DisabilityGrade, Education, Health, HealthCondition, HouseholdType, HousingSafety, IdNumber,
    Labor, Relation, Schooling, Sex, WaterSafety,
};
use rand::Rng;

/// One member (人口) before and after its ID number is assigned.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub name: Name,
    pub relation: Relation,
    pub sex: Sex,
    pub birth: NaiveDate,
    /// Index into [`Plan::divisions`] of the ID's issuing division.
    pub division: u16,
    pub labor: Labor,
    pub health: Health,
    pub grade: Option<DisabilityGrade>,
    pub schooling: Option<Schooling>,
    pub education: Option<Education>,
    /// 务工月数; `None` for children and students (left empty in the file).
    pub work_months: Option<u8>,
    /// Works away from home (外出务工) rather than locally.
    pub migrant: bool,
    pub insured: bool,
    pub dibao: bool,
    pub tekun: bool,
}

impl Member {
    pub(crate) fn has(&self, c: HealthCondition) -> bool {
        self.health.has(c)
    }

    pub(crate) fn severely_disabled(&self) -> bool {
        self.grade.is_some_and(DisabilityGrade::is_severe)
    }
}

/// One household (户).
#[derive(Debug, Clone)]
pub(crate) struct Household {
    /// Index into [`Plan::villages`].
    pub village: u32,
    /// Sequence number within the village, from 1.
    pub seq: u32,
    /// 村民小组 number.
    pub group: u32,
    pub kind: HouseholdType,
    pub exit_year: Option<u16>,
    pub phone: Option<u64>,
    pub housing: HousingSafety,
    pub water: WaterSafety,
    /// Members are `members[first..first + size]` of the chunk.
    pub first: usize,
    pub size: usize,
    pub dibao: bool,
}

/// A person outside the registry, the subject of a few feed rows.
#[derive(Debug, Clone)]
pub(crate) struct Outsider {
    pub name: Name,
    pub sex: Sex,
    pub birth: NaiveDate,
    pub division: u16,
}

/// A chunk of the registry: households, their members and the outsider pool, with ID
/// numbers once [`crate::ids::IdAllocator::assign_chunk`] has run.
#[derive(Debug)]
pub(crate) struct Chunk {
    pub index: usize,
    pub households: Vec<Household>,
    pub members: Vec<Member>,
    pub outsiders: Vec<Outsider>,
    pub member_ids: Vec<IdNumber>,
    pub outsider_ids: Vec<IdNumber>,
}

/// A birth date such that the person is exactly `age` on `on`.
pub(crate) fn birth_for_age<R: Rng + ?Sized>(rng: &mut R, on: NaiveDate, age: u32) -> NaiveDate {
    // Born in (on − (age+1) years, on − age years].
    let latest = on
        .checked_sub_months(Months::new(12 * age))
        .expect("date in range");
    let earliest = on
        .checked_sub_months(Months::new(12 * (age + 1)))
        .expect("date in range");
    let span = (latest - earliest).num_days();
    latest - chrono::Days::new(rng.random_range(0..span) as u64)
}

/// Dates fixed by the registry snapshot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Calendar {
    /// The registry snapshot day (start of the feed period): ages are taken on this day.
    pub reference: NaiveDate,
    /// 31 August before the current school year: the school-age cut-off.
    pub school_cutoff: NaiveDate,
}

impl Calendar {
    pub(crate) fn new(reference: NaiveDate) -> Self {
        let start_year = if reference.month() >= 9 {
            reference.year()
        } else {
            reference.year() - 1
        };
        Self {
            reference,
            school_cutoff: NaiveDate::from_ymd_opt(start_year, 8, 31).expect("valid date"),
        }
    }

    pub(crate) fn age(&self, birth: NaiveDate) -> u32 {
        age_on(birth, self.reference)
    }

    /// Age on the school cut-off (entering primary school at 6).
    pub(crate) fn school_age(&self, birth: NaiveDate) -> i32 {
        if birth > self.school_cutoff {
            -1
        } else {
            age_on(birth, self.school_cutoff) as i32
        }
    }
}

/// A household with a labour-capable adult under 60 has some wage income: if the draws left
/// everyone without work, the first such adult gets local or migrant work. [A] registry
/// households with labour almost always record 务工.
fn ensure_a_worker<R: Rng + ?Sized>(rng: &mut R, members: &mut [Member], cal: &Calendar) {
    let capable = |m: &Member| {
        m.labor.has_capacity() && m.work_months.is_some() && (18..60).contains(&cal.age(m.birth))
    };
    if members
        .iter()
        .any(|m| capable(m) && m.work_months.is_some_and(|w| w > 0))
    {
        return;
    }
    if let Some(m) = members.iter_mut().find(|m| capable(m)) {
        if rng.chance(0.5) {
            m.work_months = Some(rng.weighted(&p::MIGRANT_MONTHS_WEIGHTS));
            m.migrant = true;
        } else {
            m.work_months = Some(rng.random_range(4..=10));
        }
    }
}

/// Index of the ID's issuing division: the county, or for some people another county.
fn division_for<R: Rng + ?Sized>(rng: &mut R, plan: &Plan, married_in: bool) -> u16 {
    let p = if married_in {
        p::MARRIED_IN_ELSEWHERE
    } else {
        p::OTHER_ELSEWHERE
    };
    match &plan.elsewhere {
        Some(table) if rng.chance(p) => 1 + table.sample(rng) as u16,
        _ => 0,
    }
}

fn phone<R: Rng + ?Sized>(rng: &mut R) -> u64 {
    let prefix = u64::from(*rng.pick(&p::PHONE_PREFIXES));
    prefix * 100_000_000 + rng.random_range(0..100_000_000u64)
}

/// Drafts chunk `index` (households `plan.chunk_range(index)`): everything but the IDs.
pub(crate) fn draft_chunk(plan: &Plan, index: usize) -> Chunk {
    let mut rng = stream(plan.seed, Purpose::Registry, index as u64);
    let range = plan.chunk_range(index);
    let cal = plan.calendar;
    let names = &plan.names;
    let mut households = Vec::with_capacity(range.len());
    let mut members: Vec<Member> = Vec::with_capacity(range.len() * 4);
    let shape_ordinary: Vec<u32> = p::SHAPE_WEIGHTS.iter().map(|s| s.1).collect();
    let shape_ex_poor: Vec<u32> = p::SHAPE_WEIGHTS.iter().map(|s| s.2).collect();

    for h in range.clone() {
        let (village, seq) = plan.village_of(h);
        let v = &plan.villages[village];
        let group = 1 + ((seq as usize - 1) * v.groups / v.count.max(1)) as u32;
        let ex_poor = rng.chance(p::EX_POOR_SHARE);
        let kind = if ex_poor {
            HouseholdType::ExPoor
        } else {
            HouseholdType::Ordinary
        };
        let shape = p::SHAPE_WEIGHTS[rng.weighted_index(if ex_poor {
            &shape_ex_poor
        } else {
            &shape_ordinary
        })]
        .0;
        let protos = family::compose(&mut rng, names, shape);
        let first = members.len();
        // 字辈: brothers (and male cousins) of one generation may share a character.
        let mut generation: [Option<&'static str>; 2] = [None, None];
        for pr in &protos {
            let birth = birth_for_age(&mut rng, cal.reference, pr.age);
            let level = match pr.relation {
                Relation::Son => Some(0),
                Relation::Grandson => Some(1),
                _ => None,
            };
            let gen_char = level.and_then(|l| {
                if generation[l].is_none() && rng.chance(p::GENERATION_NAME_SHARE) {
                    generation[l] = Some(names.generation_char(&mut rng, birth.year()));
                }
                generation[l]
            });
            let (given1, given2) = names.given(&mut rng, pr.sex, birth.year(), gen_char);
            let name = Name {
                surname: pr.surname,
                given1,
                given2,
            };
            let sage = cal.school_age(birth);
            let schooling = person::schooling_for(&mut rng, sage);
            let student = schooling.is_some_and(Schooling::is_student);
            let age = pr.age;
            let education = if schooling.is_some() {
                None
            } else {
                person::education_for(&mut rng, birth.year(), age)
            };
            let (health, grade) = person::health_for(&mut rng, age, ex_poor);
            let labor = person::labor_for(&mut rng, age, student, health, grade);
            let (work_months, migrant) = person::work_for(&mut rng, age, pr.sex, labor, student);
            members.push(Member {
                name,
                relation: pr.relation,
                sex: pr.sex,
                birth,
                division: division_for(&mut rng, plan, pr.married_in),
                labor,
                health,
                grade,
                schooling,
                education,
                work_months,
                migrant,
                insured: rng.chance(p::MEDICAL_INSURED_SHARE),
                dibao: false,
                tekun: false,
            });
        }
        let size = members.len() - first;
        let hm = &mut members[first..];
        ensure_a_worker(&mut rng, hm, &cal);

        // 低保 and 特困 from the household's hardship.
        let working = hm
            .iter()
            .any(|m| m.labor.has_capacity() && cal.age(m.birth) < 65 && m.work_months.is_some());
        let lone_elder = size == 1 && cal.age(hm[0].birth) >= 60;
        let score = 2 * usize::from(!working)
            + usize::from(hm.iter().any(|m| m.has(HealthCondition::Serious)))
            + usize::from(hm.iter().any(Member::severely_disabled))
            + usize::from(ex_poor)
            + usize::from(lone_elder);
        let lone_without_support =
            size == 1 && !hm[0].labor.has_capacity() && (lone_elder || hm[0].severely_disabled());
        let tekun = lone_without_support && rng.chance(p::TEKUN_LONE_ELDER);
        let dibao = !tekun && rng.chance(p::DIBAO_BY_SCORE[score.min(5)]);
        for m in hm.iter_mut() {
            m.dibao = dibao;
            m.tekun = tekun;
        }

        let phone_p = if lone_elder { 0.7 } else { p::PHONE_SHARE };
        households.push(Household {
            village: village as u32,
            seq,
            group,
            kind,
            exit_year: ex_poor.then(|| rng.weighted(&p::EXIT_YEAR_WEIGHTS)),
            phone: rng.chance(phone_p).then(|| phone(&mut rng)),
            housing: rng.weighted(&p::HOUSING_WEIGHTS),
            water: if rng.chance(p::WATER_UNSAFE_SHARE) {
                WaterSafety::Unsafe
            } else {
                WaterSafety::Safe
            },
            first,
            size,
            dibao,
        });
    }

    // The pool of people outside the registry that some feed rows are about.
    let pool = (range.len() / 16).max(4);
    let outsiders = (0..pool)
        .map(|_| {
            let sex = if rng.chance(0.5) {
                Sex::Male
            } else {
                Sex::Female
            };
            let age = rng.random_range(0..=90);
            let birth = birth_for_age(&mut rng, cal.reference, age);
            let surname = names.surname(&mut rng);
            let moved_in = rng.chance(0.3);
            Outsider {
                name: names.full(&mut rng, surname, sex, birth.year()),
                sex,
                birth,
                division: division_for(&mut rng, plan, moved_in),
            }
        })
        .collect();

    Chunk {
        index,
        households,
        members,
        outsiders,
        member_ids: Vec::new(),
        outsider_ids: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_dates_give_the_exact_age() {
        let mut rng = stream(1, Purpose::Registry, 0);
        let on = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        for age in 0..100 {
            for _ in 0..20 {
                let b = birth_for_age(&mut rng, on, age);
                assert_eq!(age_on(b, on), age);
            }
        }
    }
}
