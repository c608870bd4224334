//! 筛查底册 (the screening image): per village, the facts screening needs of its households,
//! members and incomes, packed in one blob. Reading the registry's millions of rows through
//! the driver takes seconds; reading a few hundred blobs and decoding them takes a fraction
//! of one.
//!
//! The image is derived data. Every import that writes households, members or incomes adds
//! one to `registry_generation` in its own transaction. An image built from an older
//! generation is ignored and rebuilt from the tables, so it can never answer with data
//! older than the registry it stands for.
//!
//! Blob layout (all integers varints, signed ones zig-zag): a format byte, the number of
//! households, of members and of yearly incomes, then per household its id (delta), type, exit year (0 = none), housing and
//! water (0 = none); its members (count; per member: id delta, relation, birth day from CE,
//! labour, health bits, disability grade, schooling, work months (255 = none) and one byte
//! of three two-bit flags); its incomes (count; per year: the year and eight amounts in fen);
//! its 户编号 (length and bytes).

use crate::screening::RegistryFacts;
use crate::{Store, StoreError, on_db, on_tx};
use chrono::Datelike;
use domain::screening::{HouseholdFacts, MemberFacts, YearIncome};
use domain::{
    DisabilityGrade, Health, HouseholdType, HousingSafety, Labor, Money, RegionCode, Relation,
    Schooling, WaterSafety,
};

const FORMAT: u8 = 3;

/// Whether a blob is of this version's format.
pub fn is_current_format(data: &[u8]) -> bool {
    data.first() == Some(&FORMAT)
}

use crate::varint::{Reader, put, put_signed};

fn flag_bits(v: Option<bool>) -> u8 {
    match v {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    }
}

fn bits_flag(b: u8) -> Option<bool> {
    match b & 3 {
        1 => Some(false),
        2 => Some(true),
        _ => None,
    }
}

/// Encodes the households at `indices` of `facts` (one village's).
pub fn encode(facts: &RegistryFacts, indices: &[usize]) -> Vec<u8> {
    let mut out = Vec::with_capacity(indices.len() * 64);
    out.push(FORMAT);
    put(&mut out, indices.len() as u64);
    // Totals first, so that a reader reserves its vectors once.
    let count = |start: &[u32]| -> u64 {
        indices
            .iter()
            .map(|&i| u64::from(start[i + 1] - start[i]))
            .sum()
    };
    put(&mut out, count(&facts.member_start));
    put(&mut out, count(&facts.income_start));
    let mut prev_household = 0i64;
    let mut prev_member = 0i64;
    for &i in indices {
        let h = &facts.households[i];
        put_signed(&mut out, h.id - prev_household);
        prev_household = h.id;
        out.push(h.household_type.code() as u8);
        put(&mut out, u64::from(h.exit_year.unwrap_or(0)));
        out.push(h.housing.map_or(0, |x| x.code() as u8));
        out.push(h.water.map_or(0, |x| x.code() as u8));
        let members =
            &facts.members[facts.member_start[i] as usize..facts.member_start[i + 1] as usize];
        put(&mut out, members.len() as u64);
        for m in members {
            put_signed(&mut out, i64::from(m.id) - prev_member);
            prev_member = i64::from(m.id);
            out.push(m.relation.code() as u8);
            put(&mut out, m.birth_date.num_days_from_ce() as u64);
            out.push(m.labor.code() as u8);
            out.push(m.health.bits());
            out.push(m.disability_grade.map_or(0, |g| g.code() as u8));
            out.push(m.schooling.map_or(0, |s| s.code() as u8));
            out.push(m.work_months.unwrap_or(255));
            out.push(
                flag_bits(m.medical_insured) | flag_bits(m.dibao) << 2 | flag_bits(m.tekun) << 4,
            );
        }
        let incomes =
            &facts.incomes[facts.income_start[i] as usize..facts.income_start[i + 1] as usize];
        put(&mut out, incomes.len() as u64);
        for y in incomes {
            put(&mut out, u64::from(y.year));
            for m in [
                y.wage,
                y.business_income,
                y.business_cost,
                y.property,
                y.transfer,
                y.medical_out_of_pocket,
                y.education_cost,
                y.other_rigid_cost,
            ] {
                put_signed(&mut out, m.fen());
            }
        }
        let no = facts.number(i).as_bytes();
        put(&mut out, no.len() as u64);
        out.extend_from_slice(no);
    }
    out
}

fn corrupt() -> StoreError {
    StoreError::Corrupt("筛查底册格式损坏".to_owned())
}

/// Decodes one village's blob, appending to `out` in CSR form. Of the incomes, only the two
/// latest years not after `max_year` are kept: the rules read no others.
pub(crate) fn decode(
    data: &[u8],
    village: RegionCode,
    max_year: u16,
    days: &crate::days::Days,
    out: &mut RegistryFacts,
) -> Result<(), StoreError> {
    let mut r = Reader::new(data, "筛查底册");
    if r.byte()? != FORMAT {
        return Err(corrupt());
    }
    let n = r.varint()? as usize;
    let members_total = r.varint()? as usize;
    let incomes_total = r.varint()? as usize;
    out.households.reserve(n);
    out.members.reserve(members_total);
    out.incomes.reserve(incomes_total.min(2 * n));
    out.member_start.reserve(n + 1);
    out.income_start.reserve(n + 1);
    out.number_end_reserve(n);
    if out.member_start.is_empty() {
        out.member_start.push(0);
        out.income_start.push(0);
    }
    let mut prev_household = 0i64;
    let mut prev_member = 0i64;
    for _ in 0..n {
        let id = prev_household + r.signed()?;
        prev_household = id;
        let household_type = r.code(HouseholdType::from_code)?;
        let exit = r.varint()?;
        let housing = r.opt_code(HousingSafety::from_code)?;
        let water = r.opt_code(WaterSafety::from_code)?;
        out.households.push(HouseholdFacts {
            id,
            village,
            household_type,
            exit_year: (exit != 0).then_some(exit as u16),
            housing,
            water,
            monitored: false,
        });
        let members = r.varint()?;
        for _ in 0..members {
            let member = prev_member + r.signed()?;
            prev_member = member;
            let relation = r.code(Relation::from_code)?;
            let birth = i64::try_from(r.varint()?)
                .ok()
                .and_then(|d| days.get(d))
                .ok_or_else(corrupt)?;
            let labor = r.code(Labor::from_code)?;
            let health = Health::from_bits(r.byte()?).ok_or_else(corrupt)?;
            let disability_grade = r.opt_code(DisabilityGrade::from_code)?;
            let schooling = r.opt_code(Schooling::from_code)?;
            let months = r.byte()?;
            let flags = r.byte()?;
            out.members.push(MemberFacts {
                id: u32::try_from(member).map_err(|_| corrupt())?,
                relation,
                birth_date: birth,
                labor,
                health,
                disability_grade,
                schooling,
                work_months: (months != 255).then_some(months),
                medical_insured: bits_flag(flags),
                dibao: bits_flag(flags >> 2),
                tekun: bits_flag(flags >> 4),
            });
        }
        out.member_start.push(out.members.len() as u32);
        let years = r.varint()?;
        let first = out.incomes.len();
        for _ in 0..years {
            let year = u16::try_from(r.varint()?).map_err(|_| corrupt())?;
            let mut a = [0i64; 8];
            for x in &mut a {
                *x = r.signed()?;
            }
            if year > max_year {
                continue;
            }
            out.incomes.push(YearIncome {
                year,
                wage: Money::from_fen(a[0]),
                business_income: Money::from_fen(a[1]),
                business_cost: Money::from_fen(a[2]),
                property: Money::from_fen(a[3]),
                transfer: Money::from_fen(a[4]),
                medical_out_of_pocket: Money::from_fen(a[5]),
                education_cost: Money::from_fen(a[6]),
                other_rigid_cost: Money::from_fen(a[7]),
            });
        }
        // Ascending years: keep the last two.
        let kept = out.incomes.len() - first;
        if kept > 2 {
            out.incomes.drain(first..first + kept - 2);
        }
        out.income_start.push(out.incomes.len() as u32);
        let len = r.varint()? as usize;
        let no = std::str::from_utf8(r.bytes(len)?).map_err(|_| corrupt())?;
        out.push_number(no);
    }
    if !r.finished() {
        return Err(corrupt());
    }
    Ok(())
}

/// A stored image of one village.
pub struct VillageImage {
    pub village: RegionCode,
    pub data: Vec<u8>,
}

impl Store {
    /// The registry's current generation.
    pub async fn registry_generation(&self) -> Result<i64, StoreError> {
        let (g,): (i64,) = on_db!(&self.db, p => {
            sqlx::query_as("SELECT generation FROM registry_generation WHERE id = 1")
                .fetch_one(p)
                .await?
        });
        Ok(g)
    }

    /// The images of generation `generation` in a region's subtree.
    pub async fn facts_images(
        &self,
        scope: Option<RegionCode>,
        generation: i64,
    ) -> Result<Vec<VillageImage>, StoreError> {
        let (lo, hi) = crate::registry::scope_range(scope);
        let rows: Vec<(i64, Vec<u8>)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT village_code, data FROM screening_facts \
                 WHERE village_code >= $1 AND village_code < $2 AND generation = $3 \
                 ORDER BY village_code",
            )
            .bind(lo)
            .bind(hi)
            .bind(generation)
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|(v, data)| {
                Ok(VillageImage {
                    village: crate::decode::region(v)?,
                    data,
                })
            })
            .collect()
    }

    /// Villages of a region's subtree (all the division files list, households or not).
    pub async fn villages_in(
        &self,
        scope: Option<RegionCode>,
    ) -> Result<Vec<RegionCode>, StoreError> {
        let (lo, hi) = crate::registry::scope_range(scope);
        let rows: Vec<(i64,)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT code FROM regions WHERE level = 5 AND code >= $1 AND code < $2 ORDER BY code",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|(v,)| crate::decode::region(v))
            .collect()
    }

    /// Stores images built from `generation`. Images of a generation that is no longer
    /// current are stored too, harmlessly: they are never read.
    pub async fn store_facts_images(
        &self,
        generation: i64,
        images: &[(RegionCode, u64, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for (village, households, data) in images {
            on_tx!(&mut tx, c => {
                sqlx::query(
                    "INSERT INTO screening_facts (village_code, generation, households, data) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (village_code) DO UPDATE SET \
                     generation = excluded.generation, households = excluded.households, \
                     data = excluded.data",
                )
                .bind(village.as_i64())
                .bind(generation)
                .bind(*households as i64)
                .bind(data.as_slice())
                .execute(c)
                .await
                .map(|_| ())?
            });
        }
        tx.commit().await?;
        if let crate::Db::Sqlite(crate::db::SqlitePools { read: pool, .. }) = &self.db {
            // Move the new images from the write-ahead log into the database file, where
            // the next screening reads them through the memory map. Best effort: a busy
            // reader only delays it to SQLite's next automatic checkpoint.
            let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(pool)
                .await;
        }
        Ok(())
    }
}

impl crate::Tx {
    /// Marks the registry changed: every screening image is out of date. Called by each
    /// write of households, members or incomes, in its transaction.
    pub(crate) async fn bump_registry_generation(&mut self) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query("UPDATE registry_generation SET generation = generation + 1 WHERE id = 1")
                .execute(c)
                .await
                .map(|_| ())?
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn a_village_round_trips_with_its_two_latest_years() {
        let village = RegionCode::parse("520322100201").unwrap();
        let member = |id, relation, labor| MemberFacts {
            id,
            relation,
            birth_date: NaiveDate::from_ymd_opt(1970, 1, 31).unwrap(),
            labor,
            health: Health::HEALTHY,
            disability_grade: Some(DisabilityGrade::Two),
            schooling: None,
            work_months: Some(0),
            medical_insured: Some(false),
            dibao: Some(true),
            tekun: None,
        };
        let year = |y, wage| YearIncome {
            year: y,
            wage: Money::from_fen(wage),
            business_cost: Money::from_fen(-5),
            ..YearIncome::default()
        };
        let facts = RegistryFacts {
            households: vec![
                HouseholdFacts {
                    id: 7,
                    village,
                    household_type: HouseholdType::ExPoor,
                    exit_year: Some(2016),
                    housing: Some(HousingSafety::GradeC),
                    water: None,
                    monitored: false,
                },
                HouseholdFacts {
                    id: 3,
                    village,
                    household_type: HouseholdType::Ordinary,
                    exit_year: None,
                    housing: None,
                    water: Some(WaterSafety::Unsafe),
                    monitored: false,
                },
            ],
            member_start: vec![0, 2, 3],
            members: vec![
                member(100, Relation::Head, Labor::Ordinary),
                member(90, Relation::Spouse, Labor::Lost),
                MemberFacts {
                    work_months: None,
                    health: Health::default(),
                    disability_grade: None,
                    schooling: Some(Schooling::Grade7),
                    medical_insured: None,
                    ..member(u32::MAX, Relation::Head, Labor::NoLabor)
                },
            ],
            income_start: vec![0, 3, 3],
            incomes: vec![year(2023, 1), year(2024, 2), year(2025, 3)],
            ..RegistryFacts::default()
        };
        let mut facts = facts;
        facts.push_number("5203220001");
        facts.push_number("H-2");
        let blob = encode(&facts, &[0, 1]);
        let days = crate::days::Days::registry();
        let mut back = RegistryFacts::default();
        decode(&blob, village, 2100, &days, &mut back).unwrap();
        assert_eq!(back.households, facts.households);
        assert_eq!(back.members, facts.members);
        assert_eq!(back.member_start, facts.member_start);
        assert_eq!((back.number(0), back.number(1)), ("5203220001", "H-2"));
        assert_eq!(back.incomes, facts.incomes[1..]);
        // As of 2024: 2023 and 2024.
        let mut back = RegistryFacts::default();
        decode(&blob, village, 2024, &days, &mut back).unwrap();
        assert_eq!(back.incomes, facts.incomes[..2]);
        assert!(
            decode(
                &blob[..blob.len() - 1],
                village,
                2100,
                &days,
                &mut RegistryFacts::default()
            )
            .is_err()
        );
    }
}
