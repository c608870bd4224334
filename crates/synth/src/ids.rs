//! 公民身份号码 for every generated person, unique across the whole county.

use crate::registry::Chunk;
use chrono::NaiveDate;
use domain::{IdNumber, Sex};

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
