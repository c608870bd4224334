//! 办理时限 (deadlines, docs/domain.md §6.3): the 15-day limit from the first clue to the county
//! decision [N], the ≥ 5-day publicity [N], optional per-stage limits [P], counted in
//! calendar days or in working days (Saturdays, Sundays and listed holidays skipped, listed
//! make-up working days 调休上班 counted) as the province prescribes.

use super::{Case, CaseState};
use crate::FieldError;
use crate::text::fold_width;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

labelled_enum! {
    /// 计日方式 (how days are counted).
    DayCount, "计日方式" {
        /// 自然日 (calendar days) — the default [I].
        Calendar = 1: "自然日",
        /// 工作日 (working days), e.g. "5 working days" of publicity in some provinces [P].
        Working = 2: "工作日",
    }
}

/// A period: so many days, counted in a given way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub days: u32,
    /// Written "自然日" or "工作日" in configuration files.
    #[serde(with = "crate::enums::by_label")]
    pub count: DayCount,
}

impl Span {
    pub const fn calendar(days: u32) -> Self {
        Self {
            days,
            count: DayCount::Calendar,
        }
    }

    pub const fn working(days: u32) -> Self {
        Self {
            days,
            count: DayCount::Working,
        }
    }
}

/// 工作日历: public holidays and make-up working days, published yearly by the State Council.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkCalendar {
    /// 法定节假日 (weekdays off).
    pub holidays: Vec<NaiveDate>,
    /// 调休上班日 (weekend days worked).
    pub extra_workdays: Vec<NaiveDate>,
}

impl WorkCalendar {
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.extra_workdays.contains(&d) {
            return true;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d)
    }

    /// The date `span` after `from`: calendar days simply added; working days stepped one
    /// at a time, so the result is always a working day.
    pub fn add(&self, from: NaiveDate, span: Span) -> NaiveDate {
        match span.count {
            DayCount::Calendar => from
                .checked_add_days(Days::new(span.days.into()))
                .unwrap_or(NaiveDate::MAX),
            DayCount::Working => {
                let mut d = from;
                let mut left = span.days;
                while left > 0 {
                    match d.succ_opt() {
                        Some(n) => d = n,
                        None => return NaiveDate::MAX,
                    }
                    if self.is_working_day(d) {
                        left -= 1;
                    }
                }
                d
            }
        }
    }
}

/// 时限配置 (the configurable periods of the procedure). National defaults [N]; provinces
/// and counties override them through versioned configuration (docs/domain.md §0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Deadlines {
    /// From the first clue to the county decision: 一般不超过15天 [N].
    pub identification: Span,
    /// Village publicity: 不少于5天 [N] (5 working days in some provinces [P]).
    pub publicity: Span,
    /// Optional limit on each stage from the day it was entered, e.g. 入户核实 within 2
    /// working days [P:安徽]. The earlier of stage and overall limit is the due date.
    pub stages: BTreeMap<CaseState, Span>,
    /// Optional limit on the whole elimination procedure from the proposal (no national
    /// figure; counties set one) [I].
    pub elimination: Option<Span>,
    /// 帮扶走访 (follow-up visit) interval for a household under assistance: monthly home
    /// checks are the common local rule [P], weekly visit days exist too [P:孟津] (§6.6).
    /// `None` (or 0 days in a policy file): no visit schedule.
    pub follow_up: Option<Span>,
    /// Months between identification and an elimination proposal: 6 [P:安徽 + V].
    pub min_months_before_elimination: u32,
    pub calendar: WorkCalendar,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            identification: Span::calendar(15),
            publicity: Span::calendar(5),
            stages: BTreeMap::new(),
            elimination: None,
            follow_up: Some(Span::calendar(30)),
            min_months_before_elimination: 6,
            calendar: WorkCalendar::default(),
        }
    }
}

impl Deadlines {
    /// First day on which a notice posted on `from` may be closed: posted on day 1, it
    /// must have been up for the whole term (calendar: `from` + 5).
    pub fn publicity_end(&self, from: NaiveDate) -> NaiveDate {
        self.calendar.add(from, self.publicity)
    }
}

/// First day a running publicity may be closed, if a notice is up.
pub fn publicity_ends(case: &Case, cfg: &Deadlines) -> Option<NaiveDate> {
    let steps = if case.state.is_eliminating() {
        case.elim.as_ref()?
    } else {
        &case.ident
    };
    match case.state {
        CaseState::Publicity | CaseState::ElimPublicity => {
            steps.publicity_from.map(|f| cfg.publicity_end(f))
        }
        _ => None,
    }
}

/// 到期日: the due date of the current stage — the overall limit of the procedure, or a
/// stricter per-stage limit where configured. `None` where no clock runs (monitored,
/// eliminated, closed; elimination without a configured limit).
pub fn due_date(case: &Case, cfg: &Deadlines) -> Option<NaiveDate> {
    let overall = if case.state.is_identifying() {
        Some(cfg.calendar.add(case.first_clue_on, cfg.identification))
    } else if case.state.is_eliminating() {
        cfg.elimination
            .zip(case.elim_proposed_on)
            .map(|(span, from)| cfg.calendar.add(from, span))
    } else {
        None
    };
    let stage = if case.state.is_identifying() || case.state.is_eliminating() {
        cfg.stages
            .get(&case.state)
            .map(|span| cfg.calendar.add(case.stage_since, *span))
    } else {
        None
    };
    match (overall, stage) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// 下次帮扶走访: for a case under assistance (monitored, in the elimination procedure, or on
/// the fast track), the follow-up interval after the latest visit, or after the start of
/// assistance (county approval or fast track) when there was none since.
pub fn follow_up_due(
    case: &Case,
    last_visit: Option<NaiveDate>,
    cfg: &Deadlines,
) -> Option<NaiveDate> {
    let span = cfg.follow_up.filter(|s| s.days > 0)?;
    if !case.may_assist() || case.state == CaseState::Eliminated {
        return None;
    }
    let since = [
        case.identification.as_ref().map(|i| i.approved_on),
        case.fast_track.as_ref().map(|f| f.on),
        case.assistance_started_on,
        last_visit,
    ]
    .into_iter()
    .flatten()
    .max()?;
    Some(cfg.calendar.add(since, span))
}

/// 超期: the current stage is past its due date (a step on the due date itself is on time).
pub fn is_overdue(case: &Case, today: NaiveDate, cfg: &Deadlines) -> bool {
    due_date(case, cfg).is_some_and(|d| today > d)
}
