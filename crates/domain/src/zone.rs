//! 时区 (the deployment's time zone): which calendar day an instant falls on. Deadlines,
//! "已逾期" flags, the day a lead was found, the default screening day — every day the
//! system reckons — are days of the county's calendar, Beijing days by default, whatever
//! zone the server's operating system runs in (containers and many servers run in UTC,
//! where 00:00–08:00 Beijing time is still the day before). Instants are stored in UTC;
//! this turns them into days and local times.
//!
//! China has kept one offset, UTC+8, without daylight saving since 1991, so a zone is a
//! fixed offset: no time-zone database is needed, and none is shipped.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::fmt;

/// A deployment's zone: a name and its fixed offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    name: &'static str,
    offset_secs: i32,
}

/// Names accepted besides `UTC±HH:MM` / `±HH:MM`: the IANA names that mean Beijing time,
/// and UTC.
const NAMED: &[(&str, i32)] = &[
    ("Asia/Shanghai", 8 * 3600),
    ("Asia/Chongqing", 8 * 3600),
    ("Asia/Chungking", 8 * 3600),
    ("Asia/Harbin", 8 * 3600),
    ("PRC", 8 * 3600),
    ("UTC", 0),
    ("Etc/UTC", 0),
];

impl Default for Zone {
    fn default() -> Self {
        Zone::BEIJING
    }
}

impl Zone {
    /// 北京时间 (Asia/Shanghai, UTC+8): the default.
    pub const BEIJING: Zone = Zone {
        name: "Asia/Shanghai",
        offset_secs: 8 * 3600,
    };

    /// Reads `Asia/Shanghai` (and its aliases), `UTC`, or an offset `+08:00` /
    /// `UTC+08:00`. The message says what is accepted.
    pub fn parse(text: &str) -> Result<Zone, String> {
        let t = text.trim();
        if let Some((name, secs)) = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(t)) {
            return Ok(Zone {
                name,
                offset_secs: *secs,
            });
        }
        let o = t.strip_prefix("UTC").unwrap_or(t);
        let parsed = (|| {
            let (sign, rest) = match o.as_bytes().first()? {
                b'+' => (1, &o[1..]),
                b'-' => (-1, &o[1..]),
                _ => return None,
            };
            let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
            let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
            ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 3600 + m * 60))
        })();
        match parsed {
            Some(secs) => Ok(Zone {
                name: "UTC offset",
                offset_secs: secs,
            }),
            None => Err(format!(
                "时区“{t}”无法识别：应为 Asia/Shanghai（北京时间，默认）、UTC，或 +08:00 形式的时差"
            )),
        }
    }

    fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.offset_secs).expect("offsets are parsed within ±14 hours")
    }

    /// The calendar day `at` falls on in this zone.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.offset()).date_naive()
    }

    /// `at` as local time of this zone (for display).
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        at.with_timezone(&self.offset())
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Deadlines, is_overdue};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_beijing_day_begins_at_16_utc() {
        let z = Zone::BEIJING;
        // 07:59 in Beijing on 12-04 is 23:59 UTC on 12-03.
        assert_eq!(
            z.day_of(utc("2026-12-03T23:59:00Z")),
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
        );
        // 00:00 in Beijing on 12-04 is 16:00 UTC on 12-03; one second before is 12-03.
        assert_eq!(
            z.day_of(utc("2026-12-03T16:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
        );
        assert_eq!(
            z.day_of(utc("2026-12-03T15:59:59Z")),
            NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
        );
    }

    #[test]
    fn names_and_offsets_parse_and_nonsense_is_refused() {
        assert_eq!(Zone::parse("Asia/Shanghai").unwrap(), Zone::BEIJING);
        assert_eq!(Zone::parse("prc").unwrap().offset_secs, 8 * 3600);
        assert_eq!(Zone::parse("UTC").unwrap().offset_secs, 0);
        assert_eq!(Zone::parse("+08:00").unwrap().offset_secs, 8 * 3600);
        assert_eq!(
            Zone::parse("UTC-05:30").unwrap().offset_secs,
            -(5 * 3600 + 1800)
        );
        for bad in ["Europe/Paris", "+25:00", "8", ""] {
            let e = Zone::parse(bad).unwrap_err();
            assert!(e.contains("Asia/Shanghai"), "{bad}: {e}");
        }
    }

    // The defect this zone exists for: a case whose limit ends on a Beijing day is not
    // overdue at 07:59 of that day — still the day before in UTC, and the day itself in
    // Beijing — and is at 00:00 of the next Beijing day, which is 16:00 UTC.
    #[test]
    fn a_case_due_today_is_overdue_from_the_next_beijing_midnight() {
        let cfg = Deadlines::default();
        let clue = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let actor = crate::case::Actor::new(crate::case::Level::Village, "村干部");
        let case =
            crate::case::Case::open(crate::HouseholdType::Ordinary, clue, &actor, clue).unwrap();
        let due = crate::case::due_date(&case, &cfg).expect("an identifying case has a limit");
        let z = Zone::BEIJING;
        let at = |d: NaiveDate, hms: &str| utc(&format!("{d}T{hms}Z"));
        // 07:59 Beijing on the due day = 23:59 UTC on the day before.
        let morning = z.day_of(at(due.pred_opt().unwrap(), "23:59:00"));
        assert_eq!(morning, due);
        assert!(!is_overdue(&case, morning, &cfg));
        // 00:00 Beijing on the next day = 16:00 UTC on the due day, still the due day in
        // UTC: a server reckoning in its own UTC would not flag it until 8 hours later.
        let midnight = at(due, "16:00:00");
        assert!(is_overdue(&case, z.day_of(midnight), &cfg));
        assert!(!is_overdue(&case, midnight.date_naive(), &cfg));
    }
}
