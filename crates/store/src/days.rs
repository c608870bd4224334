//! Days from the Common Era to dates, by table: building a `NaiveDate` from a day number
//! divides by the 400-year cycle, and the screening decodes millions of them from a narrow
//! range (birth dates, a year of events).

use chrono::{Datelike, NaiveDate};

/// A table of consecutive days.
pub(crate) struct Days {
    first: i32,
    table: Vec<NaiveDate>,
}

impl Days {
    /// Days from `from` to `to`, both included.
    pub(crate) fn new(from: NaiveDate, to: NaiveDate) -> Self {
        let table = from.iter_days().take_while(|d| *d <= to).collect();
        Self {
            first: from.num_days_from_ce(),
            table,
        }
    }

    /// The registry's range: births since 1900 and events until 2100.
    pub(crate) fn registry() -> Self {
        Self::new(
            NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date"),
            NaiveDate::from_ymd_opt(2100, 12, 31).expect("valid date"),
        )
    }

    #[inline]
    pub(crate) fn get(&self, days_from_ce: i64) -> Option<NaiveDate> {
        match usize::try_from(days_from_ce - i64::from(self.first))
            .ok()
            .and_then(|i| self.table.get(i))
        {
            Some(d) => Some(*d),
            None => i32::try_from(days_from_ce)
                .ok()
                .and_then(NaiveDate::from_num_days_from_ce_opt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_computation_agree() {
        let days = Days::new(
            NaiveDate::from_ymd_opt(2024, 2, 27).unwrap(),
            NaiveDate::from_ymd_opt(2024, 3, 2).unwrap(),
        );
        for d in NaiveDate::from_ymd_opt(2024, 2, 20)
            .unwrap()
            .iter_days()
            .take(20)
        {
            assert_eq!(days.get(i64::from(d.num_days_from_ce())), Some(d));
        }
        assert_eq!(days.get(i64::MAX), None);
    }
}
