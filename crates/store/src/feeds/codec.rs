//! The segment format of feed records: a batch's records, sorted by household, packed into
//! blobs of up to [`SEGMENT_ROWS`] records.
//!
//! Each record is: household id as a delta from the previous record (varint), member id
//! (varint), date as days from the segment's first date (zig-zag varint), then the
//! feed's fields — amounts in fen as varints (absent = 0, present = fen + 1), enumerations as
//! one byte of their storage code (0 = absent). A medical record takes about 12 bytes
//! instead of the ≈ 80 of a table row with its index entry, and decoding is a sequential
//! walk with no parsing of text: that is what makes a full screening a memory-speed pass.
//!
//! The format is part of the database: `FORMAT` is written in every blob's first byte, and a
//! change of layout must add a version, not alter this one.

use crate::StoreError;
use chrono::NaiveDate;
use domain::feed::{
    AssistanceChange, AssistanceKind, DisabilityKind, DisasterKind, EmploymentEvent, EventDetail,
    Feed, FeedEvent, HouseDamage, HousingGrade, SchoolingEvent, VisitType,
};
use domain::{DisabilityGrade, Money, Schooling};

/// Records per segment: large enough that per-row database overhead vanishes, small enough
/// that a lookup of one household reads little.
pub const SEGMENT_ROWS: usize = 16_384;

const FORMAT: u8 = 1;

/// A record with its household, as segments hold them.
pub type Record = (i64, FeedEvent);

use crate::varint::{Reader, put as put_varint, put_signed};

fn put_amount(out: &mut Vec<u8>, m: Option<Money>) {
    // Amounts are never negative (the parser refuses them); 0 encodes "absent".
    put_varint(out, m.map_or(0, |m| m.fen() as u64 + 1));
}

fn code_byte(code: Option<i16>) -> u8 {
    code.map_or(0, |c| c as u8)
}

/// Encodes records of one feed, already sorted by household, into one segment blob.
/// The caller keeps the segment's bounds: first and last household, first and last date.
pub fn encode(feed: Feed, records: &[Record]) -> Vec<u8> {
    let base = records
        .iter()
        .map(|(_, e)| e.date)
        .min()
        .unwrap_or(NaiveDate::MIN);
    let mut out = Vec::with_capacity(16 + records.len() * 12);
    out.push(FORMAT);
    out.push(feed.code() as u8);
    put_varint(&mut out, records.len() as u64);
    put_signed(&mut out, i64::from(days(base)));
    let mut prev = 0i64;
    for (household, e) in records {
        debug_assert!(*household >= prev, "records must be sorted by household");
        put_varint(&mut out, (*household - prev) as u64);
        prev = *household;
        put_varint(&mut out, u64::from(e.member));
        put_signed(&mut out, i64::from(days(e.date) - days(base)));
        match e.detail {
            EventDetail::Medical {
                total,
                out_of_pocket,
                visit,
            } => {
                put_amount(&mut out, Some(total));
                put_amount(&mut out, Some(out_of_pocket));
                out.push(code_byte(visit.map(VisitType::code)));
            }
            EventDetail::Disability { kind, grade } => {
                out.push(kind.code() as u8);
                out.push(grade.code() as u8);
            }
            EventDetail::Disaster { kind, loss, damage } => {
                out.push(kind.code() as u8);
                put_amount(&mut out, loss);
                // HouseDamage::None has code 0: shift by one so that 0 stays "absent".
                out.push(damage.map_or(0, |d| d.code() as u8 + 1));
            }
            EventDetail::Assistance {
                kind,
                change,
                amount,
            } => {
                out.push(kind.code() as u8);
                out.push(change.code() as u8);
                put_amount(&mut out, amount);
            }
            EventDetail::Employment(ev) => out.push(ev.code() as u8),
            EventDetail::Schooling { event, stage } => {
                out.push(event.code() as u8);
                out.push(code_byte(stage.map(Schooling::code)));
            }
            EventDetail::Housing(g) => out.push(g.code() as u8),
            EventDetail::Death => {}
        }
    }
    out
}

fn days(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce()
}

const WHAT: &str = "部门数据分段";

fn corrupt() -> StoreError {
    StoreError::Corrupt(format!("{WHAT}格式损坏"))
}

/// Amounts: 0 is "absent", otherwise fen + 1.
fn amount(r: &mut Reader<'_>) -> Result<Option<Money>, StoreError> {
    Ok(match r.varint()? {
        0 => None,
        v => Some(Money::from_fen(v as i64 - 1)),
    })
}

/// The feed and record count of a segment, from its header.
pub fn header(data: &[u8]) -> Result<(Feed, usize), StoreError> {
    let mut r = Reader::new(data, WHAT);
    if r.byte()? != FORMAT {
        return Err(corrupt());
    }
    let feed = r.code(Feed::from_code)?;
    Ok((feed, r.varint()? as usize))
}

/// Decodes a segment, calling `f` with each record.
pub fn decode(data: &[u8], mut f: impl FnMut(i64, FeedEvent)) -> Result<Feed, StoreError> {
    let mut r = Reader::new(data, WHAT);
    if r.byte()? != FORMAT {
        return Err(corrupt());
    }
    let feed = r.code(Feed::from_code)?;
    let n = r.varint()?;
    let base = r.signed()?;
    // A batch covers a month or a year: its dates come from a small table.
    let days = i32::try_from(base)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .map(|first| crate::days::Days::new(first, first + chrono::Days::new(400)));
    let mut household = 0i64;
    for _ in 0..n {
        household += r.varint()? as i64;
        let member = u32::try_from(r.varint()?).map_err(|_| corrupt())?;
        let day = base + r.signed()?;
        let date = days.as_ref().and_then(|t| t.get(day)).ok_or_else(corrupt)?;
        let detail = match feed {
            Feed::Medical => EventDetail::Medical {
                total: amount(&mut r)?.ok_or_else(corrupt)?,
                out_of_pocket: amount(&mut r)?.ok_or_else(corrupt)?,
                visit: r.opt_code(VisitType::from_code)?,
            },
            Feed::Disability => EventDetail::Disability {
                kind: r.code(DisabilityKind::from_code)?,
                grade: r.code(DisabilityGrade::from_code)?,
            },
            Feed::Disaster => EventDetail::Disaster {
                kind: r.code(DisasterKind::from_code)?,
                loss: amount(&mut r)?,
                damage: match r.byte()? {
                    0 => None,
                    b => Some(HouseDamage::from_code(i16::from(b) - 1).ok_or_else(corrupt)?),
                },
            },
            Feed::Assistance => EventDetail::Assistance {
                kind: r.code(AssistanceKind::from_code)?,
                change: r.code(AssistanceChange::from_code)?,
                amount: amount(&mut r)?,
            },
            Feed::Employment => EventDetail::Employment(r.code(EmploymentEvent::from_code)?),
            Feed::Schooling => EventDetail::Schooling {
                event: r.code(SchoolingEvent::from_code)?,
                stage: r.opt_code(Schooling::from_code)?,
            },
            Feed::Housing => EventDetail::Housing(r.code(HousingGrade::from_code)?),
            Feed::Death => EventDetail::Death,
        };
        f(
            household,
            FeedEvent {
                member,
                date,
                detail,
            },
        );
    }
    if !r.finished() {
        return Err(corrupt());
    }
    Ok(feed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn round_trip(feed: Feed, records: Vec<Record>) {
        let blob = encode(feed, &records);
        assert_eq!(header(&blob).unwrap(), (feed, records.len()));
        let mut back = Vec::new();
        assert_eq!(decode(&blob, |h, e| back.push((h, e))).unwrap(), feed);
        assert_eq!(back, records);
        // A truncated blob is an error, never a panic or a short read.
        for cut in [1, blob.len() / 2, blob.len() - 1] {
            assert!(decode(&blob[..cut], |_, _| {}).is_err() || records.is_empty());
        }
    }

    #[test]
    fn every_feed_round_trips() {
        let ev = |member, date, detail| FeedEvent {
            member,
            date,
            detail,
        };
        round_trip(
            Feed::Medical,
            vec![
                (
                    3,
                    ev(
                        7,
                        d(2025, 1, 2),
                        EventDetail::Medical {
                            total: Money::from_fen(123_456),
                            out_of_pocket: Money::ZERO,
                            visit: None,
                        },
                    ),
                ),
                (
                    3,
                    ev(
                        8,
                        d(2024, 12, 31),
                        EventDetail::Medical {
                            total: Money::from_fen(1),
                            out_of_pocket: Money::from_fen(1),
                            visit: Some(VisitType::Inpatient),
                        },
                    ),
                ),
                (
                    900_000,
                    ev(
                        u32::MAX,
                        d(2025, 12, 31),
                        EventDetail::Medical {
                            total: Money::from_yuan(1_000_000),
                            out_of_pocket: Money::from_yuan(999_999),
                            visit: Some(VisitType::Outpatient),
                        },
                    ),
                ),
            ],
        );
        round_trip(
            Feed::Disaster,
            vec![
                (
                    1,
                    ev(
                        1,
                        d(1999, 5, 5),
                        EventDetail::Disaster {
                            kind: DisasterKind::Other,
                            loss: None,
                            damage: Some(HouseDamage::None),
                        },
                    ),
                ),
                (
                    2,
                    ev(
                        2,
                        d(2030, 5, 5),
                        EventDetail::Disaster {
                            kind: DisasterKind::Flood,
                            loss: Some(Money::ZERO),
                            damage: None,
                        },
                    ),
                ),
            ],
        );
        round_trip(
            Feed::Assistance,
            vec![(
                5,
                ev(
                    1,
                    d(2025, 2, 2),
                    EventDetail::Assistance {
                        kind: AssistanceKind::Temporary,
                        change: AssistanceChange::Paid,
                        amount: Some(Money::from_yuan(3000)),
                    },
                ),
            )],
        );
        round_trip(
            Feed::Disability,
            vec![(
                5,
                ev(
                    1,
                    d(2025, 2, 2),
                    EventDetail::Disability {
                        kind: DisabilityKind::Multiple,
                        grade: DisabilityGrade::Four,
                    },
                ),
            )],
        );
        round_trip(
            Feed::Employment,
            vec![(
                5,
                ev(
                    1,
                    d(2025, 2, 2),
                    EventDetail::Employment(EmploymentEvent::Lapsed),
                ),
            )],
        );
        round_trip(
            Feed::Schooling,
            vec![
                (
                    5,
                    ev(
                        1,
                        d(2025, 2, 2),
                        EventDetail::Schooling {
                            event: SchoolingEvent::Dropout,
                            stage: Some(Schooling::Graduate),
                        },
                    ),
                ),
                (
                    6,
                    ev(
                        1,
                        d(2025, 2, 2),
                        EventDetail::Schooling {
                            event: SchoolingEvent::Enrolled,
                            stage: None,
                        },
                    ),
                ),
            ],
        );
        round_trip(
            Feed::Housing,
            vec![(
                5,
                ev(1, d(2025, 2, 2), EventDetail::Housing(HousingGrade::D)),
            )],
        );
        round_trip(
            Feed::Death,
            vec![(5, ev(1, d(2025, 2, 2), EventDetail::Death))],
        );
        round_trip(Feed::Death, vec![]);
    }

    #[test]
    fn a_foreign_format_is_refused() {
        let mut blob = encode(Feed::Death, &[]);
        blob[0] = 9;
        assert!(matches!(
            decode(&blob, |_, _| {}),
            Err(StoreError::Corrupt(_))
        ));
    }
}
