//! The registry (一户一档) of one chunk of households: household shapes, members with
//! coherent relations, ages, sexes and names, then health, labour, schooling and benefits
//! that follow from age. ID numbers are not drawn here: they are handed out afterwards, in
//! chunk order, by [`IdAllocator`], which is what keeps them unique across parallel chunks.

use crate::names::{Name, Names};
use crate::params::{self as p, Shape};
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
/// numbers once [`IdAllocator::assign_chunk`] has run.
#[derive(Debug)]
pub(crate) struct Chunk {
    pub index: usize,
    pub households: Vec<Household>,
    pub members: Vec<Member>,
    pub outsiders: Vec<Outsider>,
    pub member_ids: Vec<IdNumber>,
    pub outsider_ids: Vec<IdNumber>,
}

/// A member being composed: relation, sex, age and family name.
struct Proto {
    relation: Relation,
    sex: Sex,
    age: u32,
    surname: &'static str,
    married_in: bool,
}

/// Triangular-ish age between `lo` and `hi` (mean of two uniforms).
fn tri<R: Rng + ?Sized>(rng: &mut R, lo: u32, hi: u32) -> u32 {
    let u = (rng.random::<f64>() + rng.random::<f64>()) / 2.0;
    lo + (f64::from(hi - lo) * u).round() as u32
}

fn spouse_age<R: Rng + ?Sized>(rng: &mut R, head_age: u32, head_sex: Sex) -> u32 {
    // Husbands are on average ~2.5 years older than wives.
    let gap = 2.5 + 2.5 * rng.normal();
    let age = match head_sex {
        Sex::Male => f64::from(head_age) - gap,
        Sex::Female => f64::from(head_age) + gap,
    };
    age.round().clamp(18.0, 99.0) as u32
}

fn opposite(s: Sex) -> Sex {
    match s {
        Sex::Male => Sex::Female,
        Sex::Female => Sex::Male,
    }
}

/// Kind of descendants being added.
#[derive(Clone, Copy)]
enum Line {
    Children,
    Grandchildren,
    DaughtersChildren,
}

fn child_relation(line: Line, sex: Sex) -> Relation {
    match (line, sex) {
        (Line::Children, Sex::Male) => Relation::Son,
        (Line::Children, Sex::Female) => Relation::Daughter,
        (Line::Grandchildren, Sex::Male) => Relation::Grandson,
        (Line::Grandchildren, Sex::Female) => Relation::Granddaughter,
        (Line::DaughtersChildren, Sex::Male) => Relation::DaughtersSon,
        (Line::DaughtersChildren, Sex::Female) => Relation::DaughtersDaughter,
    }
}

/// Adds up to `n` descendants of a mother aged `mother_age` (children younger than parents
/// by construction: first birth at 19–29, then 1–6 years apart; the unborn are dropped).
fn add_children<R: Rng + ?Sized>(
    rng: &mut R,
    out: &mut Vec<Proto>,
    mother_age: u32,
    n: usize,
    line: Line,
    surname: &'static str,
) {
    let (lo, hi) = p::FIRST_BIRTH_AGE;
    let mut age = i64::from(mother_age) - i64::from(rng.random_range(lo..=hi));
    for _ in 0..n {
        if age < 0 {
            break;
        }
        let sex = if rng.chance(p::BOY_SHARE) {
            Sex::Male
        } else {
            Sex::Female
        };
        out.push(Proto {
            relation: child_relation(line, sex),
            sex,
            age: age as u32,
            surname,
            married_in: false,
        });
        age -= i64::from(rng.random_range(1..=6u32));
    }
}

fn children_count<R: Rng + ?Sized>(rng: &mut R) -> usize {
    rng.weighted_index(&p::CHILDREN_WEIGHTS) + 1
}

/// Builds the members of a household of the given shape (户主 first).
fn compose<R: Rng + ?Sized>(rng: &mut R, names: &Names, shape: Shape) -> Vec<Proto> {
    let surname = names.surname(rng);
    let mut out: Vec<Proto> = Vec::with_capacity(8);
    let head = |out: &mut Vec<Proto>, sex: Sex, age: u32| {
        out.push(Proto {
            relation: Relation::Head,
            sex,
            age,
            surname,
            married_in: false,
        });
    };
    let couple_head_sex = |rng: &mut R| {
        if rng.chance(p::HEAD_MALE_IF_COUPLE) {
            Sex::Male
        } else {
            Sex::Female
        }
    };
    // Adds a spouse and returns the age children are counted from: the mother's, or the
    // father's less two years if that is lower (no father younger than 21 at a birth).
    let add_spouse = |rng: &mut R, out: &mut Vec<Proto>, head_sex: Sex, head_age: u32| {
        let age = spouse_age(rng, head_age, head_sex);
        out.push(Proto {
            relation: Relation::Spouse,
            sex: opposite(head_sex),
            age,
            surname: names.surname(rng),
            married_in: true,
        });
        let (wife, husband) = match head_sex {
            Sex::Male => (age, head_age),
            Sex::Female => (head_age, age),
        };
        wife.min(husband.saturating_sub(2))
    };
    match shape {
        Shape::SingleElder => {
            let age = match rng.weighted_index(&[40, 38, 22]) {
                0 => rng.random_range(60..70),
                1 => rng.random_range(70..80),
                _ => rng.random_range(80..=96),
            };
            let sex = if rng.chance(0.45) {
                Sex::Male
            } else {
                Sex::Female
            };
            head(&mut out, sex, age);
        }
        Shape::SingleAdult => {
            let sex = if rng.chance(0.85) {
                Sex::Male
            } else {
                Sex::Female
            };
            head(&mut out, sex, tri(rng, 22, 59));
        }
        Shape::ElderCouple => {
            let sex = couple_head_sex(rng);
            let age = tri(rng, 60, 88);
            head(&mut out, sex, age);
            add_spouse(rng, &mut out, sex, age);
        }
        Shape::Couple => {
            let sex = couple_head_sex(rng);
            let age = if rng.chance(0.25) {
                rng.random_range(21..=30)
            } else {
                tri(rng, 40, 62)
            };
            head(&mut out, sex, age);
            add_spouse(rng, &mut out, sex, age);
        }
        Shape::SingleParent => {
            let sex = if rng.chance(0.55) {
                Sex::Female
            } else {
                Sex::Male
            };
            let age = tri(rng, 28, 56);
            head(&mut out, sex, age);
            let mother_age = if sex == Sex::Female { age } else { age - 2 };
            let n = rng.random_range(1..=2);
            add_children(rng, &mut out, mother_age, n, Line::Children, surname);
        }
        Shape::Nuclear | Shape::NuclearWithParents => {
            let sex = couple_head_sex(rng);
            let age = if shape == Shape::Nuclear {
                tri(rng, 24, 56)
            } else {
                tri(rng, 24, 50)
            };
            head(&mut out, sex, age);
            let mother_age = add_spouse(rng, &mut out, sex, age);
            let n = children_count(rng);
            add_children(rng, &mut out, mother_age, n, Line::Children, surname);
            if shape == Shape::NuclearWithParents {
                let father_age = age + rng.random_range(22..=34);
                let mother = (f64::from(father_age) - 2.0 - 2.5 * rng.normal()).round() as u32;
                let which = rng.weighted_index(&[50, 35, 15]);
                if which != 1 && father_age <= 98 {
                    out.push(Proto {
                        relation: Relation::Father,
                        sex: Sex::Male,
                        age: father_age,
                        surname,
                        married_in: false,
                    });
                }
                if which != 2 && mother <= 98 && mother >= age + 18 {
                    out.push(Proto {
                        relation: Relation::Mother,
                        sex: Sex::Female,
                        age: mother,
                        surname: names.surname(rng),
                        married_in: true,
                    });
                }
            }
        }
        Shape::ThreeGeneration | Shape::Uxorilocal => {
            let sex = if rng.chance(0.9) {
                Sex::Male
            } else {
                Sex::Female
            };
            let age = tri(rng, 52, 80);
            head(&mut out, sex, age);
            let wife_age = if sex == Sex::Male && rng.chance(0.8) {
                add_spouse(rng, &mut out, sex, age)
            } else if sex == Sex::Male {
                age.saturating_sub(2)
            } else {
                age
            };
            let (lo, hi) = p::FIRST_BIRTH_AGE;
            let child_age = (wife_age.saturating_sub(rng.random_range(lo..=hi + 3))).max(20);
            let partner_gap = 2.0 + 2.0 * rng.normal();
            if shape == Shape::ThreeGeneration {
                out.push(Proto {
                    relation: Relation::Son,
                    sex: Sex::Male,
                    age: child_age,
                    surname,
                    married_in: false,
                });
                let dil = (f64::from(child_age) - partner_gap).round().max(18.0) as u32;
                let mother_age = if rng.chance(0.85) {
                    out.push(Proto {
                        relation: Relation::DaughterInLaw,
                        sex: Sex::Female,
                        age: dil,
                        surname: names.surname(rng),
                        married_in: true,
                    });
                    dil.min(child_age.saturating_sub(2))
                } else {
                    child_age.saturating_sub(2)
                };
                let n = rng.weighted_index(&[45, 42, 13]) + 1;
                add_children(rng, &mut out, mother_age, n, Line::Grandchildren, surname);
                if rng.chance(0.2) && child_age > 18 {
                    let sex = if rng.chance(0.5) {
                        Sex::Male
                    } else {
                        Sex::Female
                    };
                    let age = rng.random_range(16..child_age.min(32).max(17));
                    out.push(Proto {
                        relation: child_relation(Line::Children, sex),
                        sex,
                        age,
                        surname,
                        married_in: false,
                    });
                }
            } else {
                out.push(Proto {
                    relation: Relation::Daughter,
                    sex: Sex::Female,
                    age: child_age,
                    surname,
                    married_in: false,
                });
                let sil = (f64::from(child_age) + partner_gap).round().max(20.0) as u32;
                let sil_surname = names.surname(rng);
                out.push(Proto {
                    relation: Relation::SonInLaw,
                    sex: Sex::Male,
                    age: sil,
                    surname: sil_surname,
                    married_in: true,
                });
                // 上门女婿: the children often take the mother's family name.
                let kids = if rng.chance(0.5) {
                    surname
                } else {
                    sil_surname
                };
                let n = rng.weighted_index(&[45, 42, 13]) + 1;
                let mother_age = child_age.min(sil.saturating_sub(2));
                add_children(rng, &mut out, mother_age, n, Line::DaughtersChildren, kids);
            }
        }
        Shape::SkippedGeneration => {
            let sex = if rng.chance(0.85) {
                Sex::Male
            } else {
                Sex::Female
            };
            let age = tri(rng, 55, 80);
            head(&mut out, sex, age);
            if rng.chance(0.75) {
                add_spouse(rng, &mut out, sex, age);
            }
            let n = rng.weighted_index(&[50, 38, 12]) + 1;
            let mut kid_age = rng.random_range(2..=16u32);
            for _ in 0..n {
                let s = if rng.chance(p::BOY_SHARE) {
                    Sex::Male
                } else {
                    Sex::Female
                };
                out.push(Proto {
                    relation: child_relation(Line::Grandchildren, s),
                    sex: s,
                    age: kid_age,
                    surname,
                    married_in: false,
                });
                let gap = rng.random_range(1..=5);
                if kid_age < gap {
                    break;
                }
                kid_age -= gap;
            }
        }
        Shape::WithSibling => {
            let sex = if rng.chance(0.8) {
                Sex::Male
            } else {
                Sex::Female
            };
            let age = tri(rng, 30, 65);
            head(&mut out, sex, age);
            let mother_age = age + rng.random_range(20..=32);
            if rng.chance(0.4) && mother_age <= 96 {
                out.push(Proto {
                    relation: Relation::Mother,
                    sex: Sex::Female,
                    age: mother_age,
                    surname: names.surname(rng),
                    married_in: true,
                });
            } else {
                let s = if rng.chance(0.6) {
                    Sex::Male
                } else {
                    Sex::Female
                };
                let a = (i64::from(age) + rng.random_range(-10..=10)).clamp(18, 90) as u32;
                out.push(Proto {
                    relation: Relation::Sibling,
                    sex: s,
                    age: a,
                    surname,
                    married_in: false,
                });
            }
        }
    }
    out.truncate(p::MAX_HOUSEHOLD_SIZE);
    out
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

/// 在校生状况 for a school age, or None when not at school.
fn schooling_for<R: Rng + ?Sized>(rng: &mut R, sage: i32) -> Option<Schooling> {
    use Schooling as S;
    const HIGH: [S; 3] = [S::HighSchool1, S::HighSchool2, S::HighSchool3];
    const VOC: [S; 3] = [S::Vocational1, S::Vocational2, S::Vocational3];
    const COLLEGE: [S; 3] = [S::College1, S::College2, S::College3];
    const BACHELOR: [S; 4] = [S::Bachelor1, S::Bachelor2, S::Bachelor3, S::Bachelor4];
    const TECH: [S; 4] = [
        S::Technician1,
        S::Technician2,
        S::Technician3,
        S::Technician4,
    ];
    match sage {
        ..=2 => Some(S::Preschooler),
        3..=5 => Some(if rng.chance(p::PRESCHOOL_SHARE) {
            S::Preschool
        } else {
            S::Preschooler
        }),
        6..=15 => {
            let mut grade = sage - 5;
            if rng.chance(p::GRADE_LAG_SHARE) || grade == 10 {
                grade -= 1;
            }
            match grade {
                ..=6 => Some(S::Primary),
                7 => Some(S::Grade7),
                8 => Some(S::Grade8),
                9 => Some(S::Grade9),
                _ => upper_secondary(rng, 1, &HIGH, &VOC),
            }
        }
        16..=17 => upper_secondary(rng, (sage - 14) as usize, &HIGH, &VOC),
        18..=21 => {
            let year = (sage - 17) as usize;
            let (college, bachelor, tech) = p::TERTIARY;
            let u = rng.random::<f64>();
            if u < college {
                COLLEGE.get(year - 1).copied()
            } else if u < college + bachelor {
                BACHELOR.get(year - 1).copied()
            } else if u < college + bachelor + tech {
                TECH.get(year - 1).copied()
            } else {
                None
            }
        }
        22 => {
            let u = rng.random::<f64>();
            if u < 0.03 {
                Some(S::Bachelor5)
            } else if u < 0.05 {
                Some(S::Graduate)
            } else {
                None
            }
        }
        23..=25 => rng.chance(0.015).then_some(S::Graduate),
        _ => None,
    }
}

fn upper_secondary<R: Rng + ?Sized>(
    rng: &mut R,
    year: usize,
    high: &[Schooling; 3],
    voc: &[Schooling; 3],
) -> Option<Schooling> {
    let (h, v) = p::UPPER_SECONDARY;
    let u = rng.random::<f64>();
    if u < h {
        high.get(year - 1).copied()
    } else if u < h + v {
        voc.get(year - 1).copied()
    } else {
        None
    }
}

/// 文化程度 of someone not at school.
fn education_for<R: Rng + ?Sized>(rng: &mut R, birth_year: i32, age: u32) -> Option<Education> {
    use Education as E;
    const ALL: [E; 6] = [
        E::Illiterate,
        E::Primary,
        E::Junior,
        E::Senior,
        E::College,
        E::Bachelor,
    ];
    if age < 7 {
        return None;
    }
    let weights: [u32; 6] = match age {
        7..=14 => [10, 90, 0, 0, 0, 0],
        15..=17 => [2, 18, 80, 0, 0, 0],
        18..=21 => [1, 6, 55, 38, 0, 0],
        _ => {
            p::EDUCATION_BY_COHORT
                .iter()
                .find(|(last, _)| birth_year <= *last)
                .expect("last cohort is open")
                .1
        }
    };
    Some(ALL[rng.weighted_index(&weights)])
}

/// Health conditions drawn by age.
fn health_for<R: Rng + ?Sized>(
    rng: &mut R,
    age: u32,
    ex_poor: bool,
) -> (Health, Option<DisabilityGrade>) {
    let b = p::band(age);
    let f = if ex_poor {
        p::EX_POOR_HEALTH_FACTOR
    } else {
        1.0
    };
    let mut h = Health::default();
    if rng.chance(p::CHRONIC_BY_AGE[b] * f) {
        h = h.with(HealthCondition::Chronic);
    }
    if rng.chance(p::SERIOUS_BY_AGE[b] * f) {
        h = h.with(HealthCondition::Serious);
    }
    let mut grade = None;
    if rng.chance(p::DISABLED_BY_AGE[b] * f) {
        h = h.with(HealthCondition::Disabled);
        grade = Some(DisabilityGrade::ALL[rng.weighted_index(&p::DISABILITY_GRADE_WEIGHTS)]);
    }
    if h.is_empty() {
        h = Health::HEALTHY;
    }
    (h, grade)
}

/// 劳动技能 by age and health.
fn labor_for<R: Rng + ?Sized>(
    rng: &mut R,
    age: u32,
    student: bool,
    h: Health,
    grade: Option<DisabilityGrade>,
) -> Labor {
    use Labor as L;
    let severe = grade.is_some_and(DisabilityGrade::is_severe);
    let serious = h.has(HealthCondition::Serious);
    let chronic = h.has(HealthCondition::Chronic);
    let mild = grade.is_some() && !severe;
    if age < 16 || student {
        return L::NoLabor;
    }
    if age >= 80 {
        return if rng.chance(0.6) { L::NoLabor } else { L::Lost };
    }
    if severe {
        return if rng.chance(0.8) { L::Lost } else { L::Weak };
    }
    match age {
        16..=59 => {
            if serious {
                if rng.chance(0.5) { L::Lost } else { L::Weak }
            } else if chronic || mild {
                if rng.chance(0.55) {
                    L::Weak
                } else {
                    L::Ordinary
                }
            } else if rng.chance(0.03) {
                L::Weak
            } else if rng.chance(if age <= 45 {
                p::SKILLED_SHARE * 1.2
            } else {
                p::SKILLED_SHARE * 0.6
            }) {
                L::Skilled
            } else {
                L::Ordinary
            }
        }
        60..=69 => {
            if serious || chronic {
                if rng.chance(0.5) { L::Lost } else { L::Weak }
            } else {
                [L::Ordinary, L::Weak, L::Lost][rng.weighted_index(&[35, 55, 10])]
            }
        }
        70..=79 => {
            if serious || chronic {
                [L::Weak, L::Lost, L::NoLabor][rng.weighted_index(&[25, 55, 20])]
            } else {
                [L::Weak, L::Lost, L::NoLabor][rng.weighted_index(&[50, 32, 18])]
            }
        }
        _ => unreachable!("80+ handled above"),
    }
}

/// 务工月数 and whether the work is away from home.
fn work_for<R: Rng + ?Sized>(
    rng: &mut R,
    age: u32,
    sex: Sex,
    labor: Labor,
    student: bool,
) -> (Option<u8>, bool) {
    if age < 16 || student {
        return (None, false);
    }
    if !labor.has_capacity() {
        return (Some(0), false);
    }
    let weak = if labor == Labor::Weak { 0.4 } else { 1.0 };
    let migrant_p = match age {
        16..=17 => 0.5 * p::MIGRANT_SHARE[0].0,
        18..=29 => pick_sex(p::MIGRANT_SHARE[0], sex),
        30..=44 => pick_sex(p::MIGRANT_SHARE[1], sex),
        45..=59 => pick_sex(p::MIGRANT_SHARE[2], sex),
        60..=64 => 0.06,
        _ => 0.0,
    } * weak;
    if rng.chance(migrant_p) {
        return (Some(rng.weighted(&p::MIGRANT_MONTHS_WEIGHTS)), true);
    }
    let local_p = match age {
        ..=59 => pick_sex(p::LOCAL_WORK_SHARE, sex),
        60..=69 => 0.2,
        _ => 0.0,
    };
    if rng.chance(local_p) {
        (Some(rng.random_range(4..=11)), false)
    } else {
        (Some(0), false)
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

fn pick_sex(pair: (f64, f64), sex: Sex) -> f64 {
    match sex {
        Sex::Male => pair.0,
        Sex::Female => pair.1,
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
        let protos = compose(&mut rng, names, shape);
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
            let schooling = schooling_for(&mut rng, sage);
            let student = schooling.is_some_and(Schooling::is_student);
            let age = pr.age;
            let education = if schooling.is_some() {
                None
            } else {
                education_for(&mut rng, birth.year(), age)
            };
            let (health, grade) = health_for(&mut rng, age, ex_poor);
            let labor = labor_for(&mut rng, age, student, health, grade);
            let (work_months, migrant) = work_for(&mut rng, age, pr.sex, labor, student);
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

/// Hands out ID sequence numbers (顺序码) so that every ID number is unique: for each
/// (issuing division, birth date, sex) a counter of the numbers used, 500 per sex. Runs
/// sequentially over chunks in index order, which makes the result independent of how
/// the chunks were drafted in parallel. If a day is full the birth date moves back a day.
pub(crate) struct IdAllocator {
    divisions: Vec<u32>,
    epoch: NaiveDate,
    days: usize,
    /// Per division: counters for (day, sex), allocated on first use.
    used: Vec<Option<Box<[u16]>>>,
}

/// Odd sequence numbers for men, even for women: 500 each.
const PER_SEX: u16 = 500;

impl IdAllocator {
    pub(crate) fn new(divisions: Vec<u32>, last_day: NaiveDate) -> Self {
        let epoch = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
        let days = (last_day - epoch).num_days() as usize + 1;
        let used = divisions.iter().map(|_| None).collect();
        Self {
            divisions,
            epoch,
            days,
            used,
        }
    }

    fn next(&mut self, division: u16, birth: &mut NaiveDate, sex: Sex) -> IdNumber {
        let table = self.used[usize::from(division)]
            .get_or_insert_with(|| vec![0u16; self.days * 2].into_boxed_slice());
        loop {
            let day = (*birth - self.epoch).num_days() as usize;
            let slot = day * 2 + usize::from(sex == Sex::Male);
            let k = table[slot];
            if k < PER_SEX {
                table[slot] = k + 1;
                // Real sequence numbers start with a 派出所 code: spread the numbers of each
                // key over 000–999 from a key-dependent start instead of counting from 000.
                let start =
                    crate::rng::mix(slot as u64 ^ (u64::from(division) << 40)) % u64::from(PER_SEX);
                let v = ((start + u64::from(k) * 337) % u64::from(PER_SEX)) as u16;
                let seq = 2 * v + u16::from(sex == Sex::Male);
                return IdNumber::from_parts(
                    self.divisions[usize::from(division)],
                    *birth,
                    seq,
                    sex,
                );
            }
            *birth = birth.pred_opt().expect("date in range");
        }
    }

    /// Assigns the IDs of a chunk's members, then of its outsiders.
    pub(crate) fn assign_chunk(&mut self, chunk: &mut Chunk) {
        chunk.member_ids = chunk
            .members
            .iter_mut()
            .map(|m| self.next(m.division, &mut m.birth, m.sex))
            .collect();
        chunk.outsider_ids = chunk
            .outsiders
            .iter_mut()
            .map(|o| self.next(o.division, &mut o.birth, o.sex))
            .collect();
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

    #[test]
    fn allocator_never_repeats_even_when_a_day_is_full() {
        let on = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let mut a = IdAllocator::new(vec![520322], on);
        let mut seen = std::collections::HashSet::new();
        let day = NaiveDate::from_ymd_opt(1980, 5, 5).unwrap();
        for i in 0..1200 {
            let mut b = day;
            let sex = if i % 3 == 0 { Sex::Female } else { Sex::Male };
            let id = a.next(0, &mut b, sex);
            assert_eq!(id.birth_date(), b);
            assert_eq!(id.sex(), sex);
            assert!(seen.insert(id.as_str().to_string()));
        }
    }
}
