//! A member's attributes that follow from age, sex and health: 在校生状况 or 文化程度,
//! 健康状况 and 残疾等级, 劳动技能, and 务工月数.

use crate::params as p;
use crate::rng::Draw;
use domain::{DisabilityGrade, Education, Health, HealthCondition, Labor, Schooling, Sex};
use rand::Rng;

/// 在校生状况 for a school age, or None when not at school.
pub(super) fn schooling_for<R: Rng + ?Sized>(rng: &mut R, sage: i32) -> Option<Schooling> {
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
pub(super) fn education_for<R: Rng + ?Sized>(
    rng: &mut R,
    birth_year: i32,
    age: u32,
) -> Option<Education> {
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
pub(super) fn health_for<R: Rng + ?Sized>(
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
pub(super) fn labor_for<R: Rng + ?Sized>(
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
pub(super) fn work_for<R: Rng + ?Sized>(
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
        (Some(rng.random_range(2..=11)), false)
    } else {
        (Some(0), false)
    }
}

fn pick_sex(pair: (f64, f64), sex: Sex) -> f64 {
    match sex {
        Sex::Male => pair.0,
        Sex::Female => pair.1,
    }
}
