//! Household composition (家庭结构): who lives together, their relation to the 户主, sex and
//! age. Relations fix the sex where they must (之子 male, 之儿媳 female, 配偶 the opposite of
//! the 户主), and ages are drawn parent first so that children are younger than their
//! parents and grandchildren younger still.

use crate::names::Names;
use crate::params::{self as p, Shape};
use crate::rng::Draw;
use domain::{Relation, Sex};
use rand::Rng;

/// A member being composed: relation, sex, age and family name.
pub(super) struct Proto {
    pub relation: Relation,
    pub sex: Sex,
    /// Age in whole years on the reference day.
    pub age: u32,
    pub surname: &'static str,
    /// Married into the family (配偶, 儿媳, 女婿, the head's mother): more often an ID
    /// issued elsewhere.
    pub married_in: bool,
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
pub(super) fn compose<R: Rng + ?Sized>(rng: &mut R, names: &Names, shape: Shape) -> Vec<Proto> {
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
                    let age = rng.random_range(16..child_age.clamp(17, 32));
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
