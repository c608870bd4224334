//! 表头对应与逐行校验: rows read from a file become typed registry records ([`Household`],
//! [`Member`], [`IncomeRecord`]) or department-feed rows ([`FeedRow`]) plus every problem
//! found, by row and column — from a [`Table`] in memory or row by row while the file is read
//! ([`parse_file`], [`parse_feed_file`]).
//!
//! Headers match a template column by its Chinese 表头 or its English key (any case), in any
//! order. A missing required column is one problem at row 1; a duplicated column is a
//! problem; an unknown column is a warning and is ignored. Rows are then checked one by one
//! without stopping at the first problem, and across rows for duplicated keys. The column
//! specifications come from [`crate::spec`] only: whether a column is required, its bounds
//! and its header are never restated here.

use crate::convert;
use crate::problem::{Problem, Report, column_letter};
use crate::read::{Cell, ReadError, Row, RowStream, Table};
use crate::spec::{self, Column, Required, Template};
use crate::synonyms::{self, Mapped, Synonyms, Tally};
use chrono::NaiveDate;
use domain::feed::{
    AssistanceChange, AssistanceKind, DisabilityKind, DisasterKind, EmploymentEvent, EventDetail,
    Feed, FeedRow, HouseDamage, HousingGrade, SchoolingEvent, VisitType,
};
use domain::text::fold_width;
use domain::{
    DisabilityGrade, Education, FieldError, Household, HouseholdNo, HouseholdType, HousingSafety,
    IdNumber, IncomeRecord, Labor, Member, Money, PersonName, Relation, Schooling, Sex,
    WaterSafety,
};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::Path;
use std::sync::{Arc, mpsc};

/// The outcome of parsing one file against one template.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// Records of the rows without any problem, with their row numbers. The service imports
    /// them only when `problems` is empty: a file imports whole or not at all.
    pub records: Vec<(usize, T)>,
    /// 问题 — every one found, sorted by row, then column from left to right.
    pub problems: Vec<Problem>,
    /// 提示 — unknown columns ignored and the like; they do not block the import.
    pub warnings: Vec<String>,
    /// 同义词映射 — department words read as template values (feeds only).
    pub mapped: Vec<Mapped>,
}

impl<T> Parsed<T> {
    /// Whether the file can be imported: no problems at all.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problem report of this file, for the CLI and the web page.
    pub fn report(&self, source_note: impl Into<String>) -> Report {
        Report {
            source_note: source_note.into(),
            problems: self.problems.clone(),
            warnings: self.warnings.clone(),
            mapped: self.mapped.clone(),
        }
    }
}

/// A file's header row matched against a template.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    columns: &'static [Column],
    /// For each template column, in template order, its position in the file.
    positions: Vec<Option<usize>>,
    /// The file's headers, as written, by position.
    headers: Vec<String>,
    /// Missing required and duplicated columns, with the file column each sorts by.
    problems: Vec<(usize, Problem)>,
    warnings: Vec<String>,
}

impl HeaderMap {
    /// Matches `headers` (a file's header row, by position) against `template`.
    pub fn new(template: &Template, headers: &[String]) -> Self {
        let columns = template.columns;
        let mut positions: Vec<Option<usize>> = vec![None; columns.len()];
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        for (index, header) in headers.iter().enumerate() {
            let letter = column_letter(index);
            if header.is_empty() {
                warnings.push(format!("{letter}列没有表头，该列已忽略"));
                continue;
            }
            let Some(ci) = match_column(columns, header) else {
                warnings.push(format!("{letter}列「{header}」不是本模板的列，已忽略"));
                continue;
            };
            let column = &columns[ci];
            match positions[ci] {
                Some(first) => problems.push((
                    index,
                    Problem::cell(
                        1,
                        index,
                        header,
                        Some(column),
                        None,
                        format!(
                            "「{}」列重复：{}列和{letter}列是同一列，请删除其中一列",
                            column.header,
                            column_letter(first)
                        ),
                    ),
                )),
                None => positions[ci] = Some(index),
            }
        }
        for (column, position) in columns.iter().zip(&positions) {
            if position.is_none() && column.required == Required::Yes {
                let message = format!(
                    "缺少必填列「{}」（表头也可写作英文键名 {}）",
                    column.header, column.key
                );
                problems.push((
                    usize::MAX,
                    Problem {
                        column: Some(column.header.to_owned()),
                        ..Problem::row(1, message)
                    },
                ));
            }
        }
        Self {
            columns,
            positions,
            headers: headers.to_vec(),
            problems,
            warnings,
        }
    }

    /// Problems of the header row: missing required columns, duplicated columns.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().map(|(_, p)| p)
    }

    /// 提示: unknown or unnamed columns, which are ignored.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The file position (A = 0) of the template column `key`, if the file has it.
    pub fn position(&self, key: &str) -> Option<usize> {
        let ci = self.columns.iter().position(|c| c.key == key)?;
        self.positions[ci]
    }

    /// The template column `key` with its position in the file.
    fn slot(&self, key: &str) -> Slot {
        let ci = self
            .columns
            .iter()
            .position(|c| c.key == key)
            .unwrap_or_else(|| panic!("template has no column {key}"));
        Slot {
            column: &self.columns[ci],
            index: self.positions[ci],
        }
    }
}

/// Which template column a header names: the Chinese header (spaces ignored) or the
/// English key (any case, full-width letters folded).
fn match_column(columns: &[Column], header: &str) -> Option<usize> {
    let folded: String = fold_width(header)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    columns
        .iter()
        .position(|c| c.header == folded || c.key.eq_ignore_ascii_case(&folded))
}

/// A template column and where the file has it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    column: &'static Column,
    index: Option<usize>,
}

/// What every parser keeps while rows go by: the header map, the problems found (each with
/// the file column it sorts by) and the number of rows seen.
///
/// At most [`Limits::max_listed_problems`](crate::Limits) problems are kept; the others
/// are counted. A file of a million bad cells would otherwise cost a gigabyte of problems
/// that no clerk reads beyond the first screens.
#[derive(Debug)]
struct Collector {
    map: HeaderMap,
    found: Vec<(usize, Problem)>,
    /// Problems found beyond the list's bound.
    omitted: usize,
    rows: usize,
    /// 行号 of the last row seen.
    last_row: usize,
}

impl Collector {
    fn new(template: &Template, headers: &[String]) -> Self {
        let map = HeaderMap::new(template, headers);
        Self {
            found: map.problems.clone(),
            map,
            omitted: 0,
            rows: 0,
            last_row: 1,
        }
    }

    /// Starts the checks of one row.
    fn row<'r>(&'r mut self, row: &'r Row) -> RowCheck<'r> {
        self.rows += 1;
        self.last_row = row.number;
        RowCheck {
            row,
            map: &self.map,
            found: &mut self.found,
            omitted: &mut self.omitted,
            ok: true,
        }
    }

    fn finish<T>(mut self, records: Vec<(usize, T)>) -> Parsed<T> {
        self.found.sort_by_key(|(column, p)| (p.row, *column));
        let mut warnings = self.map.warnings;
        if self.rows == 0 {
            warnings.push("文件只有表头，没有数据行".to_owned());
        }
        let mut problems: Vec<Problem> = self.found.into_iter().map(|(_, p)| p).collect();
        if self.omitted > 0 {
            problems.push(Problem::row(
                self.last_row,
                format!(
                    "另有{}个问题未逐条列出（只列出前{}个）：请先改正以上问题后重新导入",
                    self.omitted,
                    crate::Limits::STANDARD.max_listed_problems
                ),
            ));
        }
        Parsed {
            records,
            problems,
            warnings,
            mapped: Vec::new(),
        }
    }
}

/// The checks of one row: collects its problems and remembers whether it is clean.
struct RowCheck<'r> {
    row: &'r Row,
    map: &'r HeaderMap,
    found: &'r mut Vec<(usize, Problem)>,
    omitted: &'r mut usize,
    ok: bool,
}

impl RowCheck<'_> {
    /// Records a problem of this row in `slot`'s column, echoing the cell's value.
    fn problem(&mut self, slot: Slot, message: impl Into<String>) {
        self.ok = false;
        if self.found.len() >= crate::Limits::STANDARD.max_listed_problems {
            *self.omitted += 1;
            return;
        }
        let number = self.row.number;
        let problem = match slot.index {
            Some(i) => Problem::cell(
                number,
                i,
                self.map.headers.get(i).map_or("", String::as_str),
                Some(slot.column),
                Some(&self.row.cell(i).text()),
                message,
            ),
            None => Problem {
                column: Some(slot.column.header.to_owned()),
                ..Problem::row(number, message)
            },
        };
        self.found.push((slot.index.unwrap_or(usize::MAX), problem));
    }

    /// Whether `slot` is empty in this row (or absent from the file).
    fn is_blank(&self, slot: Slot) -> bool {
        slot.index.is_none_or(|i| self.row.cell(i).is_empty())
    }

    /// The value of `slot` in this row: `None` when empty (a problem if the column is
    /// required), when the file lacks the column (already reported at row 1) or when the
    /// value is invalid (a problem).
    fn value<T>(
        &mut self,
        slot: Slot,
        convert: impl FnOnce(&Cell, &Column) -> Result<T, FieldError>,
    ) -> Option<T> {
        let required = slot.column.required == Required::Yes;
        let Some(index) = slot.index else {
            self.ok &= !required;
            return None;
        };
        let cell = self.row.cell(index);
        if cell.is_empty() {
            if required {
                self.problem(slot, format!("{}不能为空", slot.column.header));
            }
            return None;
        }
        // A value an export quoted against formula injection ('=…) reads as it was.
        let unquoted = match cell {
            Cell::Text(s) => crate::write::unquote(s).map(|t| Cell::Text(t.to_owned())),
            _ => None,
        };
        match convert(unquoted.as_ref().unwrap_or(cell), slot.column) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(slot, e.message);
                None
            }
        }
    }
}

/// An enumerated column of domain type `$t`: exact labels fast, the rest through `parse`.
macro_rules! choice {
    ($t:ty) => {
        convert::label(<$t>::ALL, <$t>::label, <$t>::parse)
    };
}

/// An enumerated feed column: a template value, else a word of the synonym table in effect
/// (read as the value it maps onto, and counted), else refused with the values listed.
/// Template values are found first and without allocating, as [`convert::label`] does; a
/// word is looked up before the domain's `parse`, whose refusal costs a message.
fn feed_choice<T: Copy + 'static>(
    tally: &mut Tally,
    feed: Feed,
    all: &'static [T],
    label: fn(T) -> &'static str,
    parse: fn(&str) -> Result<T, FieldError>,
) -> impl FnOnce(&Cell, &Column) -> Result<T, FieldError> {
    move |cell, column| {
        if let Cell::Text(s) = cell
            && let Some(v) = all.iter().copied().find(|v| label(*v) == s)
        {
            return Ok(v);
        }
        let text = cell.text();
        let Some(ci) = synonyms::column_index(feed, column.key) else {
            return parse(&text);
        };
        if let Some(to) = tally.read(ci, &text) {
            // A table maps only onto labels (checked when it is read).
            return all
                .iter()
                .copied()
                .find(|v| label(*v) == to)
                .map_or_else(|| parse(to), Ok);
        }
        parse(&text).map_err(|e| FieldError::new(format!("{}；同义词表中也没有这个词", e.message)))
    }
}

/// [`feed_choice`] for domain type `$t`.
macro_rules! word {
    ($tally:expr, $feed:expr, $t:ty) => {
        feed_choice($tally, $feed, <$t>::ALL, <$t>::label, <$t>::parse)
    };
}

/// An integer column narrowed to the record's type; the spec's bounds make it fit.
fn int_as<T: TryFrom<i64>>(cell: &Cell, column: &Column) -> Result<T, FieldError> {
    let v = convert::int(cell, column)?;
    T::try_from(v).map_err(|_| FieldError::new(format!("{}“{v}”超出范围", column.header)))
}

/// 逐行校验 — checks the rows of one file one at a time, so that a file can be checked while
/// it is read ([`parse_file`], [`parse_feed_file`]) as well as from a [`Table`] in memory.
pub trait RowParser: Sized {
    /// The record one row becomes.
    type Record;
    /// Checks one data row; keeps its record if it has no problem.
    fn push(&mut self, row: &Row);
    /// Every record and every problem, sorted.
    fn finish(self) -> Parsed<Self::Record>;
}

/// A [`RowParser`] that needs nothing but the file's header row: the registry templates.
/// (A feed parser also needs its feed and the latest acceptable date: [`FeedParser::new`].)
pub trait RecordParser: RowParser {
    /// Starts parsing a file with this header row.
    fn new(headers: &[String]) -> Self;
}

/// Parses every row of a table in memory.
pub fn parse_table<P: RecordParser>(table: &Table) -> Parsed<P::Record> {
    parse_rows(P::new(&table.headers), table)
}

/// Feeds every row of `table` to a parser already built for its headers.
fn parse_rows<P: RowParser>(mut parser: P, table: &Table) -> Parsed<P::Record> {
    for row in &table.rows {
        parser.push(row);
    }
    parser.finish()
}

/// A file parsed as it was read (see [`parse_file`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFile<T> {
    /// 来源说明, as [`Table::source_note`].
    pub source_note: String,
    /// 表头 as read, as [`Table::headers`].
    pub headers: Vec<String>,
    pub parsed: Parsed<T>,
}

/// Reads and parses a file in one pass, row by row ([`RowStream`]): the fast path for very
/// large CSV files, which are never held in memory as cells, with reading and checking on
/// two threads. Same result as [`read_table`](crate::read_table) followed by
/// [`parse_table`].
///
/// ```no_run
/// use tabular::parse::{MemberParser, parse_file};
/// let file = parse_file::<MemberParser>(std::path::Path::new("人口信息.csv"), None)?;
/// println!("{}：{}条，{}个问题", file.source_note, file.parsed.records.len(), file.parsed.problems.len());
/// # Ok::<(), tabular::ReadError>(())
/// ```
pub fn parse_file<P: RecordParser>(
    path: &Path,
    sheet: Option<&str>,
) -> Result<ParsedFile<P::Record>, ReadError> {
    parse_stream(path, sheet, P::new)
}

/// Opens `path`, builds the parser from its header row with `start`, and checks every row
/// as it is read.
fn parse_stream<P: RowParser>(
    path: &Path,
    sheet: Option<&str>,
    start: impl FnOnce(&[String]) -> P,
) -> Result<ParsedFile<P::Record>, ReadError> {
    /// Rows handed over at a time: large enough to amortise the channel, small enough to
    /// stay in cache.
    const BATCH: usize = 1024;
    let mut stream = RowStream::open(path, sheet)?;
    let source_note = stream.source_note().to_owned();
    let headers = stream.headers().to_vec();
    let mut parser = start(&headers);
    // Reading (CSV syntax, UTF-8, trimming) runs on its own thread and checking on this
    // one; the two halves cost about the same. Batches go back to the reader for reuse, so
    // no row is allocated twice.
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<Row>>(4);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<Row>>();
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> Result<(), ReadError> {
            loop {
                let mut batch = empty_rx.try_recv().unwrap_or_default();
                stream.next_batch(&mut batch, BATCH)?;
                if batch.is_empty() || full_tx.send(batch).is_err() {
                    return Ok(());
                }
            }
        });
        for batch in full_rx {
            for row in &batch {
                parser.push(row);
            }
            // The reader may have finished; then the batch is simply dropped.
            let _ = empty_tx.send(batch);
        }
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;
    Ok(ParsedFile {
        source_note,
        headers,
        parsed: parser.finish(),
    })
}

/// 户信息: parses the households template. Besides each cell, checks the rules between
/// fields ([`Household::check`]) and that no 户编号 appears twice in the file.
pub fn parse_households(table: &Table) -> Parsed<Household> {
    parse_table::<HouseholdParser>(table)
}

/// 人口信息: parses the members template. 性别 and 出生日期, when filled, must agree with
/// the 证件号码 (which is the source of both); an 证件号码 may appear only once in a file.
pub fn parse_members(table: &Table) -> Parsed<Member> {
    parse_table::<MemberParser>(table)
}

/// 收支信息: parses the incomes template. Amounts are yuan with at most two decimals, not
/// negative and at most 1亿元; a (户编号, 年度) pair may appear only once in a file.
pub fn parse_incomes(table: &Table) -> Parsed<IncomeRecord> {
    parse_table::<IncomeParser>(table)
}

/// The columns of the households template, resolved against a file.
#[derive(Debug, Clone, Copy)]
struct HouseholdSlots {
    no: Slot,
    village: Slot,
    kind: Slot,
    exit_year: Slot,
    phone: Slot,
    address: Slot,
    housing: Slot,
    water: Slot,
}

/// 户信息 parser: see [`parse_households`].
#[derive(Debug)]
pub struct HouseholdParser {
    collector: Collector,
    slots: HouseholdSlots,
    records: Vec<(usize, Household)>,
    seen: HashMap<HouseholdNo, usize>,
}

impl RecordParser for HouseholdParser {
    fn new(headers: &[String]) -> Self {
        let collector = Collector::new(&spec::HOUSEHOLDS, headers);
        let map = &collector.map;
        let slots = HouseholdSlots {
            no: map.slot("household_no"),
            village: map.slot("village_code"),
            kind: map.slot("household_type"),
            exit_year: map.slot("exit_year"),
            phone: map.slot("phone"),
            address: map.slot("address"),
            housing: map.slot("housing_safety"),
            water: map.slot("water_safety"),
        };
        Self {
            collector,
            slots,
            records: Vec::new(),
            seen: HashMap::new(),
        }
    }
}

impl RowParser for HouseholdParser {
    type Record = Household;

    fn push(&mut self, row: &Row) {
        let s = self.slots;
        let mut rc = self.collector.row(row);
        let household_no = rc.value(s.no, |c, _| convert::household_no(c));
        let village = rc.value(s.village, |c, _| convert::region(c));
        let household_type = rc.value(s.kind, choice!(HouseholdType));
        let exit_year = rc.value(s.exit_year, int_as::<u16>);
        let phone = rc.value(s.phone, |c, _| convert::phone(c));
        let address = rc.value(s.address, |c, _| convert::address(c));
        let housing = rc.value(s.housing, choice!(HousingSafety));
        let water = rc.value(s.water, choice!(WaterSafety));
        if let Some(n) = &household_no {
            match self.seen.entry(n.clone()) {
                Entry::Occupied(first) => rc.problem(
                    s.no,
                    format!("户编号与第{}行重复：同一户只能出现一次", first.get()),
                ),
                Entry::Vacant(v) => {
                    v.insert(row.number);
                }
            }
        }
        let (Some(household_no), Some(village), Some(household_type)) =
            (household_no, village, household_type)
        else {
            return;
        };
        let household = Household {
            household_no,
            village,
            household_type,
            exit_year,
            phone,
            address,
            housing,
            water,
        };
        for (key, e) in household.check() {
            rc.problem(rc.map.slot(key), e.message);
        }
        if rc.ok {
            self.records.push((row.number, household));
        }
    }

    fn finish(self) -> Parsed<Household> {
        self.collector.finish(self.records)
    }
}

/// The columns of the members template, resolved against a file.
#[derive(Debug, Clone, Copy)]
struct MemberSlots {
    no: Slot,
    name: Slot,
    id_number: Slot,
    relation: Slot,
    sex: Slot,
    birth_date: Slot,
    labor: Slot,
    health: Slot,
    disability: Slot,
    schooling: Slot,
    education: Slot,
    work_months: Slot,
    insured: Slot,
    dibao: Slot,
    tekun: Slot,
}

/// 人口信息 parser: see [`parse_members`].
#[derive(Debug)]
pub struct MemberParser {
    collector: Collector,
    slots: MemberSlots,
    records: Vec<(usize, Member)>,
    /// Rows by ID number, in its lossless integer form: an in-memory join, never stored.
    seen: HashMap<u64, usize>,
}

impl RecordParser for MemberParser {
    fn new(headers: &[String]) -> Self {
        let collector = Collector::new(&spec::MEMBERS, headers);
        let map = &collector.map;
        let slots = MemberSlots {
            no: map.slot("household_no"),
            name: map.slot("name"),
            id_number: map.slot("id_number"),
            relation: map.slot("relation"),
            sex: map.slot("sex"),
            birth_date: map.slot("birth_date"),
            labor: map.slot("labor"),
            health: map.slot("health"),
            disability: map.slot("disability_grade"),
            schooling: map.slot("schooling"),
            education: map.slot("education"),
            work_months: map.slot("work_months"),
            insured: map.slot("medical_insured"),
            dibao: map.slot("dibao"),
            tekun: map.slot("tekun"),
        };
        Self {
            collector,
            slots,
            records: Vec::new(),
            seen: HashMap::new(),
        }
    }
}

impl RowParser for MemberParser {
    type Record = Member;

    fn push(&mut self, row: &Row) {
        let s = self.slots;
        let mut rc = self.collector.row(row);
        let household_no = rc.value(s.no, |c, _| convert::household_no(c));
        let name = rc.value(s.name, |c, _| convert::person_name(c));
        let id = rc.value(s.id_number, |c, _| convert::id_number(c));
        let relation = rc.value(s.relation, choice!(Relation));
        let sex = rc.value(s.sex, choice!(Sex));
        let born = rc.value(s.birth_date, convert::date);
        let labor = rc.value(s.labor, choice!(Labor));
        let health = rc.value(s.health, |c, _| convert::health(c));
        let disability_grade = rc.value(s.disability, choice!(DisabilityGrade));
        let schooling = rc.value(s.schooling, choice!(Schooling));
        let education = rc.value(s.education, choice!(Education));
        let work_months = rc.value(s.work_months, int_as::<u8>);
        let medical_insured = rc.value(s.insured, convert::flag);
        let dibao = rc.value(s.dibao, convert::flag);
        let tekun = rc.value(s.tekun, convert::flag);
        if let Some(id) = &id {
            if let Some(sx) = sex
                && sx != id.sex()
            {
                rc.problem(
                    s.sex,
                    format!(
                        "性别“{}”与证件号码不符（证件号码显示为{}）",
                        sx.label(),
                        id.sex().label()
                    ),
                );
            }
            // The ID's birth date is what masking hides: say that they differ, not what
            // the ID says.
            if let Some(b) = born
                && b != id.birth_date()
            {
                rc.problem(
                    s.birth_date,
                    format!(
                        "出生日期“{}”与证件号码中的出生日期不符",
                        b.format("%Y-%m-%d")
                    ),
                );
            }
            match self.seen.entry(id.to_u64()) {
                Entry::Occupied(first) => rc.problem(
                    s.id_number,
                    format!("证件号码与第{}行重复：同一人只能登记一次", first.get()),
                ),
                Entry::Vacant(v) => {
                    v.insert(row.number);
                }
            }
        }
        let (Some(household_no), Some(name), Some(id_number), Some(relation), Some(labor), true) =
            (household_no, name, id, relation, labor, rc.ok)
        else {
            return;
        };
        self.records.push((
            row.number,
            Member {
                household_no,
                name,
                sex: id_number.sex(),
                birth_date: id_number.birth_date(),
                id_number,
                relation,
                labor,
                health,
                disability_grade,
                schooling,
                education,
                work_months,
                medical_insured,
                dibao,
                tekun,
            },
        ));
    }

    fn finish(self) -> Parsed<Member> {
        self.collector.finish(self.records)
    }
}

/// The amount columns of the incomes template, in template (and record) order.
const INCOME_AMOUNTS: [&str; 8] = [
    "wage_income",
    "business_income",
    "business_cost",
    "property_income",
    "transfer_income",
    "medical_out_of_pocket",
    "education_cost",
    "other_rigid_cost",
];

/// 收支信息 parser: see [`parse_incomes`].
#[derive(Debug)]
pub struct IncomeParser {
    collector: Collector,
    no: Slot,
    year: Slot,
    amounts: [Slot; 8],
    records: Vec<(usize, IncomeRecord)>,
    seen: HashMap<(HouseholdNo, u16), usize>,
}

impl RecordParser for IncomeParser {
    fn new(headers: &[String]) -> Self {
        let collector = Collector::new(&spec::INCOMES, headers);
        let map = &collector.map;
        Self {
            no: map.slot("household_no"),
            year: map.slot("year"),
            amounts: INCOME_AMOUNTS.map(|k| map.slot(k)),
            collector,
            records: Vec::new(),
            seen: HashMap::new(),
        }
    }
}

impl RowParser for IncomeParser {
    type Record = IncomeRecord;

    fn push(&mut self, row: &Row) {
        let (no, year, amounts) = (self.no, self.year, self.amounts);
        let mut rc = self.collector.row(row);
        let household_no = rc.value(no, |c, _| convert::household_no(c));
        let y = rc.value(year, int_as::<u16>);
        let [wage, bi, bc, prop, tr, med, edu, other] =
            amounts.map(|slot| rc.value(slot, convert::registry_money));
        if let (Some(n), Some(y)) = (&household_no, y) {
            match self.seen.entry((n.clone(), y)) {
                Entry::Occupied(first) => rc.problem(
                    no,
                    format!(
                        "户编号“{n}”的{y}年度收支与第{}行重复：每户每年只能有一行",
                        first.get()
                    ),
                ),
                Entry::Vacant(v) => {
                    v.insert(row.number);
                }
            }
        }
        let (
            Some(household_no),
            Some(year),
            Some(wage),
            Some(business_income),
            Some(business_cost),
            Some(property),
            Some(transfer),
            true,
        ) = (household_no, y, wage, bi, bc, prop, tr, rc.ok)
        else {
            return;
        };
        self.records.push((
            row.number,
            IncomeRecord {
                household_no,
                year,
                wage,
                business_income,
                business_cost,
                property,
                transfer,
                medical_out_of_pocket: med,
                education_cost: edu,
                other_rigid_cost: other,
            },
        ));
    }

    fn finish(self) -> Parsed<IncomeRecord> {
        self.collector.finish(self.records)
    }
}

/// 部门数据: parses a department feed's file in one pass (see [`parse_file`]) with a
/// [`FeedParser`]. `latest` is the last day an event may fall on — normally the day of the
/// import: a department cannot report a settlement that has not happened yet.
///
/// ```no_run
/// use tabular::parse::parse_feed_file;
/// use domain::feed::Feed;
/// let today = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
/// let file = parse_feed_file(Feed::Medical, std::path::Path::new("医保结算.csv"), None, today)?;
/// println!("{}条，{}个问题", file.parsed.records.len(), file.parsed.problems.len());
/// # Ok::<(), tabular::ReadError>(())
/// ```
pub fn parse_feed_file(
    feed: Feed,
    path: &Path,
    sheet: Option<&str>,
    latest: NaiveDate,
) -> Result<ParsedFile<FeedRow>, ReadError> {
    parse_feed_file_with(feed, path, sheet, latest, Synonyms::builtin())
}

/// [`parse_feed_file`] with the synonym table in effect (see [`FeedParser::with_synonyms`]).
pub fn parse_feed_file_with(
    feed: Feed,
    path: &Path,
    sheet: Option<&str>,
    latest: NaiveDate,
    synonyms: Arc<Synonyms>,
) -> Result<ParsedFile<FeedRow>, ReadError> {
    parse_stream(path, sheet, |headers| {
        FeedParser::with_synonyms(feed, headers, latest, synonyms)
    })
}

/// 部门数据: parses a department feed's table in memory with a [`FeedParser`]; same result
/// as [`parse_feed_file`].
pub fn parse_feed_table(feed: Feed, table: &Table, latest: NaiveDate) -> Parsed<FeedRow> {
    parse_rows(FeedParser::new(feed, &table.headers, latest), table)
}

/// The feed-specific columns of a feed template, resolved against a file (证件号码, 姓名
/// and the date are common to all and kept apart).
#[derive(Debug, Clone, Copy)]
enum DetailSlots {
    Medical {
        total: Slot,
        basic: Slot,
        critical: Slot,
        assistance: Slot,
        out_of_pocket: Slot,
        visit: Slot,
    },
    Disability {
        kind: Slot,
        grade: Slot,
    },
    Disaster {
        kind: Slot,
        loss: Slot,
        damage: Slot,
    },
    Assistance {
        kind: Slot,
        change: Slot,
        amount: Slot,
    },
    Employment {
        event: Slot,
    },
    Schooling {
        event: Slot,
        stage: Slot,
    },
    Housing {
        grade: Slot,
    },
    Death,
}

impl DetailSlots {
    /// The feed's own columns, and the key of its date column.
    fn new(feed: Feed, map: &HeaderMap) -> (Self, &'static str) {
        let s = |key| map.slot(key);
        match feed {
            Feed::Medical => (
                DetailSlots::Medical {
                    total: s("total_cost"),
                    basic: s("basic_insurance"),
                    critical: s("critical_insurance"),
                    assistance: s("medical_assistance"),
                    out_of_pocket: s("out_of_pocket"),
                    visit: s("visit_type"),
                },
                "settled_on",
            ),
            Feed::Disability => (
                DetailSlots::Disability {
                    kind: s("category"),
                    grade: s("grade"),
                },
                "issued_on",
            ),
            Feed::Disaster => (
                DetailSlots::Disaster {
                    kind: s("disaster_type"),
                    loss: s("direct_loss"),
                    damage: s("house_damage"),
                },
                "occurred_on",
            ),
            Feed::Assistance => (
                DetailSlots::Assistance {
                    kind: s("assistance_type"),
                    change: s("change"),
                    amount: s("amount"),
                },
                "date",
            ),
            Feed::Employment => (DetailSlots::Employment { event: s("event") }, "date"),
            Feed::Schooling => (
                DetailSlots::Schooling {
                    event: s("event"),
                    stage: s("stage"),
                },
                "date",
            ),
            Feed::Housing => (DetailSlots::Housing { grade: s("grade") }, "appraised_on"),
            Feed::Death => (DetailSlots::Death, "died_on"),
        }
    }

    /// Checks the feed's own columns of one row: `None` when a required one is empty or
    /// invalid (the problem is recorded).
    fn check(self, rc: &mut RowCheck<'_>, tally: &mut Tally, feed: Feed) -> Option<EventDetail> {
        match self {
            DetailSlots::Medical {
                total,
                basic,
                critical,
                assistance,
                out_of_pocket,
                visit,
            } => {
                let total_v = rc.value(total, convert::registry_money);
                let paid = [basic, critical, assistance]
                    .map(|slot| rc.value(slot, convert::registry_money).unwrap_or_default());
                let own = rc.value(out_of_pocket, convert::registry_money);
                let visit = rc.value(visit, word!(tally, feed, VisitType));
                let total_v = total_v?;
                let paid: Money = paid.into_iter().sum();
                if paid > total_v {
                    rc.problem(
                        total,
                        format!(
                            "三项支付合计超过医疗总费用：基本医保、大病保险、医疗救助共支付\
                             {paid}元，医疗总费用为{total_v}元"
                        ),
                    );
                }
                if let Some(own) = own
                    && own > total_v
                {
                    rc.problem(
                        out_of_pocket,
                        format!("个人自付{own}元超过医疗总费用{total_v}元"),
                    );
                }
                Some(EventDetail::Medical {
                    total: total_v,
                    // 个人自付 left blank is what the funds did not pay.
                    out_of_pocket: own.unwrap_or(total_v - paid),
                    visit,
                })
            }
            DetailSlots::Disability { kind, grade } => {
                let kind = rc.value(kind, word!(tally, feed, DisabilityKind));
                let grade = rc.value(grade, word!(tally, feed, DisabilityGrade));
                Some(EventDetail::Disability {
                    kind: kind?,
                    grade: grade?,
                })
            }
            DetailSlots::Disaster { kind, loss, damage } => {
                let kind = rc.value(kind, word!(tally, feed, DisasterKind));
                let loss = rc.value(loss, convert::registry_money);
                let damage = rc.value(damage, word!(tally, feed, HouseDamage));
                Some(EventDetail::Disaster {
                    kind: kind?,
                    loss,
                    damage,
                })
            }
            DetailSlots::Assistance {
                kind,
                change,
                amount,
            } => {
                let kind = rc.value(kind, word!(tally, feed, AssistanceKind));
                let change = rc.value(change, word!(tally, feed, AssistanceChange));
                let amount_v = rc.value(amount, convert::registry_money);
                let (kind, change) = (kind?, change?);
                // A blank, not an invalid, amount: an invalid one is already reported.
                if kind == AssistanceKind::Temporary
                    && change == AssistanceChange::Paid
                    && rc.is_blank(amount)
                {
                    rc.problem(amount, "临时救助发放须填写金额");
                }
                Some(EventDetail::Assistance {
                    kind,
                    change,
                    amount: amount_v,
                })
            }
            DetailSlots::Employment { event } => rc
                .value(event, word!(tally, feed, EmploymentEvent))
                .map(EventDetail::Employment),
            DetailSlots::Schooling { event, stage } => {
                let event = rc.value(event, word!(tally, feed, SchoolingEvent));
                let stage = rc.value(stage, word!(tally, feed, Schooling));
                Some(EventDetail::Schooling {
                    event: event?,
                    stage,
                })
            }
            DetailSlots::Housing { grade } => rc
                .value(grade, word!(tally, feed, HousingGrade))
                .map(EventDetail::Housing),
            DetailSlots::Death => Some(EventDetail::Death),
        }
    }
}

/// The last value parsed from a text cell, to skip parsing the same text again: departments
/// list one person's events together, so 证件号码 and 姓名 come in runs (a settlement file has
/// several rows per patient). One entry, not a map: memory stays flat whatever the file.
#[derive(Debug)]
struct Memo<T> {
    text: String,
    value: Option<T>,
}

impl<T: Clone> Memo<T> {
    fn new() -> Self {
        Self {
            text: String::new(),
            value: None,
        }
    }

    /// `parse(cell)`, or the value of the previous call when the cell has the same text.
    fn get(
        &mut self,
        cell: &Cell,
        parse: impl FnOnce(&Cell) -> Result<T, FieldError>,
    ) -> Result<T, FieldError> {
        let Cell::Text(text) = cell else {
            return parse(cell);
        };
        if let Some(v) = &self.value
            && *text == self.text
        {
            return Ok(v.clone());
        }
        let v = parse(cell)?;
        self.text.clear();
        self.text.push_str(text);
        self.value = Some(v.clone());
        Ok(v)
    }
}

/// 部门数据 parser: one feed's rows to [`FeedRow`]s (see [`parse_feed_file`]).
///
/// Each row is checked on its own: 证件号码 required and valid (GB 11643), 姓名 optional,
/// the feed's date required and not after `latest`, then the feed's own columns (for
/// 医保结算: the three payments not above 医疗总费用, 个人自付 derived when blank; for 社会救助:
/// a 临时救助 发放 has an amount). Nothing is kept across rows but the records: the same
/// record twice is for the service to resolve, and a feed file may have millions of rows.
#[derive(Debug)]
pub struct FeedParser {
    feed: Feed,
    latest: NaiveDate,
    collector: Collector,
    id_number: Slot,
    name: Slot,
    date: Slot,
    detail: DetailSlots,
    records: Vec<(usize, FeedRow)>,
    last_id: Memo<IdNumber>,
    last_name: Memo<PersonName>,
    /// Department words read through the synonym table, counted for the report.
    tally: Tally,
}

impl FeedParser {
    /// Starts parsing a file of `feed` with this header row, reading department words
    /// through the built-in synonym table; event dates after `latest` are problems.
    pub fn new(feed: Feed, headers: &[String], latest: NaiveDate) -> Self {
        Self::with_synonyms(feed, headers, latest, Synonyms::builtin())
    }

    /// [`FeedParser::new`] with the synonym table in effect (a county's words laid over the
    /// built-in ones).
    pub fn with_synonyms(
        feed: Feed,
        headers: &[String],
        latest: NaiveDate,
        synonyms: Arc<Synonyms>,
    ) -> Self {
        let collector = Collector::new(spec::feed_template(feed), headers);
        let map = &collector.map;
        let (detail, date_key) = DetailSlots::new(feed, map);
        Self {
            feed,
            tally: Tally::new(synonyms),
            latest,
            id_number: map.slot("id_number"),
            name: map.slot("name"),
            date: map.slot(date_key),
            detail,
            collector,
            records: Vec::new(),
            last_id: Memo::new(),
            last_name: Memo::new(),
        }
    }
}

impl RowParser for FeedParser {
    type Record = FeedRow;

    fn push(&mut self, row: &Row) {
        let (latest, date_slot) = (self.latest, self.date);
        let mut rc = self.collector.row(row);
        let id_number = rc.value(self.id_number, |c, _| {
            self.last_id.get(c, convert::id_number)
        });
        // Checked, not kept: see `FeedRow`.
        let _name = rc.value(self.name, |c, _| {
            self.last_name.get(c, convert::person_name)
        });
        let date = rc.value(date_slot, convert::date);
        if let Some(d) = date
            && d > latest
        {
            rc.problem(
                date_slot,
                format!(
                    "{}“{}”晚于今天（{}）：不能报送尚未发生的事件，请核对日期",
                    date_slot.column.header,
                    d.format("%Y-%m-%d"),
                    latest.format("%Y-%m-%d")
                ),
            );
        }
        let detail = self.detail.check(&mut rc, &mut self.tally, self.feed);
        let (Some(id_number), Some(date), Some(detail), true) = (id_number, date, detail, rc.ok)
        else {
            return;
        };
        self.records.push((
            row.number,
            FeedRow {
                id_number,
                date,
                detail,
            },
        ));
    }

    fn finish(self) -> Parsed<FeedRow> {
        let mut parsed = self.collector.finish(self.records);
        parsed.mapped = self.tally.finish();
        parsed
    }
}
