//! 表头对应与逐行校验: rows read from a file become typed registry records ([`Household`],
//! [`Member`], [`IncomeRecord`]) plus every problem found, by row and column — from a
//! [`Table`] in memory or row by row while the file is read ([`parse_file`]).
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
use domain::text::fold_width;
use domain::{
    DisabilityGrade, Education, FieldError, Household, HouseholdNo, HouseholdType, HousingSafety,
    IncomeRecord, Labor, Member, Relation, Schooling, Sex, WaterSafety,
};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::Path;
use std::sync::mpsc;

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
#[derive(Debug)]
struct Collector {
    map: HeaderMap,
    found: Vec<(usize, Problem)>,
    rows: usize,
}

impl Collector {
    fn new(template: &Template, headers: &[String]) -> Self {
        let map = HeaderMap::new(template, headers);
        Self {
            found: map.problems.clone(),
            map,
            rows: 0,
        }
    }

    /// Starts the checks of one row.
    fn row<'r>(&'r mut self, row: &'r Row) -> RowCheck<'r> {
        self.rows += 1;
        RowCheck {
            row,
            map: &self.map,
            found: &mut self.found,
            ok: true,
        }
    }

    fn finish<T>(mut self, records: Vec<(usize, T)>) -> Parsed<T> {
        self.found.sort_by_key(|(column, p)| (p.row, *column));
        let mut warnings = self.map.warnings;
        if self.rows == 0 {
            warnings.push("文件只有表头，没有数据行".to_owned());
        }
        Parsed {
            records,
            problems: self.found.into_iter().map(|(_, p)| p).collect(),
            warnings,
        }
    }
}

/// The checks of one row: collects its problems and remembers whether it is clean.
struct RowCheck<'r> {
    row: &'r Row,
    map: &'r HeaderMap,
    found: &'r mut Vec<(usize, Problem)>,
    ok: bool,
}

impl RowCheck<'_> {
    /// Records a problem of this row in `slot`'s column, echoing the cell's value.
    fn problem(&mut self, slot: Slot, message: impl Into<String>) {
        self.ok = false;
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
        match convert(cell, slot.column) {
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

/// An integer column narrowed to the record's type; the spec's bounds make it fit.
fn int_as<T: TryFrom<i64>>(cell: &Cell, column: &Column) -> Result<T, FieldError> {
    let v = convert::int(cell, column)?;
    T::try_from(v).map_err(|_| FieldError::new(format!("{}“{v}”超出范围", column.header)))
}

/// Parses the rows of one template one at a time, so that a file can be checked while it
/// is read ([`parse_file`]) as well as from a [`Table`] in memory.
pub trait RecordParser: Sized {
    /// The record one row becomes.
    type Record;
    /// Starts parsing a file with this header row.
    fn new(headers: &[String]) -> Self;
    /// Checks one data row; keeps its record if it has no problem.
    fn push(&mut self, row: &Row);
    /// Every record and every problem, sorted.
    fn finish(self) -> Parsed<Self::Record>;
}

/// Parses every row of a table in memory.
pub fn parse_table<P: RecordParser>(table: &Table) -> Parsed<P::Record> {
    let mut parser = P::new(&table.headers);
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
    /// Rows handed over at a time: large enough to amortise the channel, small enough to
    /// stay in cache.
    const BATCH: usize = 1024;
    let mut stream = RowStream::open(path, sheet)?;
    let source_note = stream.source_note().to_owned();
    let headers = stream.headers().to_vec();
    let mut parser = P::new(&headers);
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
    type Record = Household;

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

    fn push(&mut self, row: &Row) {
        let s = self.slots;
        let mut rc = self.collector.row(row);
        let household_no = rc.value(s.no, |c, _| convert::household_no(c));
        let village = rc.value(s.village, |c, _| convert::region(c));
        let household_type = rc.value(s.kind, choice!(HouseholdType));
        let exit_year = rc.value(s.exit_year, int_as::<u16>);
        let phone = rc.value(s.phone, |c, _| convert::phone(c));
        let address = rc.value(s.address, |c, _| Ok(convert::text(c)));
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
    type Record = Member;

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
    type Record = IncomeRecord;

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
