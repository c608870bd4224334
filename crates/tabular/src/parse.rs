//! 表头对应与逐行校验: a [`Table`] read from a file becomes typed registry records
//! ([`Household`], [`Member`], [`IncomeRecord`]) plus every problem found, by row and column.
//!
//! Headers match a template column by its Chinese 表头 or its English key (any case), in any
//! order. A missing required column is one problem at row 1; a duplicated column is a
//! problem; an unknown column is a warning and is ignored. Rows are then checked one by one
//! without stopping at the first problem, and across rows for duplicated keys. The column
//! specifications come from [`crate::spec`] only: whether a column is required, its bounds
//! and its header are never restated here.

use crate::convert;
use crate::problem::{Problem, Report, column_letter};
use crate::read::{Cell, Row, Table};
use crate::spec::{self, Column, Required, Template};
use domain::text::fold_width;
use domain::{
    DisabilityGrade, Education, FieldError, Health, Household, HouseholdNo, HouseholdType,
    HousingSafety, IncomeRecord, Labor, Member, Relation, Schooling, Sex, WaterSafety,
};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

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

/// Problems of a file being parsed, each with the file column it sorts by.
struct Problems<'a> {
    headers: &'a [String],
    found: Vec<(usize, Problem)>,
}

impl<'a> Problems<'a> {
    fn new(map: &'a HeaderMap) -> Self {
        Self {
            headers: &map.headers,
            found: map.problems.clone(),
        }
    }

    fn row<'r>(&'r mut self, row: &'r Row) -> RowCheck<'r, 'a> {
        RowCheck {
            row,
            problems: self,
            ok: true,
        }
    }

    fn finish<T>(mut self, map: &HeaderMap, table: &Table, records: Vec<(usize, T)>) -> Parsed<T> {
        self.found.sort_by_key(|(column, p)| (p.row, *column));
        let mut warnings = map.warnings.clone();
        if table.rows.is_empty() {
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
struct RowCheck<'r, 'a> {
    row: &'r Row,
    problems: &'r mut Problems<'a>,
    ok: bool,
}

impl RowCheck<'_, '_> {
    /// Records a problem of this row in `slot`'s column, echoing the cell's value.
    fn problem(&mut self, slot: Slot, message: impl Into<String>) {
        self.ok = false;
        let number = self.row.number;
        let problem = match slot.index {
            Some(i) => Problem::cell(
                number,
                i,
                self.problems.headers.get(i).map_or("", String::as_str),
                Some(slot.column),
                Some(&self.row.cell(i).text()),
                message,
            ),
            None => Problem {
                column: Some(slot.column.header.to_owned()),
                ..Problem::row(number, message)
            },
        };
        self.problems
            .found
            .push((slot.index.unwrap_or(usize::MAX), problem));
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

/// An integer column narrowed to the record's type; the spec's bounds make it fit.
fn int_as<T: TryFrom<i64>>(cell: &Cell, column: &Column) -> Result<T, FieldError> {
    let v = convert::int(cell, column)?;
    T::try_from(v).map_err(|_| FieldError::new(format!("{}“{v}”超出范围", column.header)))
}

/// A text column parsed by a domain type's own `parse`.
fn by<T>(
    parse: fn(&str) -> Result<T, FieldError>,
) -> impl Fn(&Cell, &Column) -> Result<T, FieldError> {
    move |cell, _| parse(&cell.text())
}

/// 户信息: parses the households template. Besides each cell, checks the rules between
/// fields ([`Household::check`]) and that no 户编号 appears twice in the file.
pub fn parse_households(table: &Table) -> Parsed<Household> {
    let map = HeaderMap::new(&spec::HOUSEHOLDS, &table.headers);
    let no = map.slot("household_no");
    let village = map.slot("village_code");
    let kind = map.slot("household_type");
    let exit_year = map.slot("exit_year");
    let phone = map.slot("phone");
    let address = map.slot("address");
    let housing = map.slot("housing_safety");
    let water = map.slot("water_safety");

    let mut problems = Problems::new(&map);
    let mut records = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<HouseholdNo, usize> = HashMap::with_capacity(table.rows.len());
    for row in &table.rows {
        let mut rc = problems.row(row);
        let household_no = rc.value(no, |c, _| convert::household_no(c));
        let household = (
            household_no,
            rc.value(village, |c, _| convert::region(c)),
            rc.value(kind, by(HouseholdType::parse)),
            rc.value(exit_year, int_as::<u16>),
            rc.value(phone, |c, _| convert::phone(c)),
            rc.value(address, |c, _| Ok(convert::text(c))),
            rc.value(housing, by(HousingSafety::parse)),
            rc.value(water, by(WaterSafety::parse)),
        );
        if let Some(n) = &household.0 {
            match seen.entry(n.clone()) {
                Entry::Occupied(first) => rc.problem(
                    no,
                    format!("户编号与第{}行重复：同一户只能出现一次", first.get()),
                ),
                Entry::Vacant(v) => {
                    v.insert(row.number);
                }
            }
        }
        let (Some(household_no), Some(village), Some(household_type), exit_year, ph, ad, hs, ws) =
            household
        else {
            continue;
        };
        let household = Household {
            household_no,
            village,
            household_type,
            exit_year,
            phone: ph,
            address: ad,
            housing: hs,
            water: ws,
        };
        for (key, e) in household.check() {
            rc.problem(map.slot(key), e.message);
        }
        if rc.ok {
            records.push((row.number, household));
        }
    }
    problems.finish(&map, table, records)
}

/// 人口信息: parses the members template. 性别 and 出生日期, when filled, must agree with
/// the 证件号码 (which is the source of both); an 证件号码 may appear only once in a file.
pub fn parse_members(table: &Table) -> Parsed<Member> {
    let map = HeaderMap::new(&spec::MEMBERS, &table.headers);
    let no = map.slot("household_no");
    let name = map.slot("name");
    let id_number = map.slot("id_number");
    let relation = map.slot("relation");
    let sex = map.slot("sex");
    let birth_date = map.slot("birth_date");
    let labor = map.slot("labor");
    let health = map.slot("health");
    let disability = map.slot("disability_grade");
    let schooling = map.slot("schooling");
    let education = map.slot("education");
    let work_months = map.slot("work_months");
    let insured = map.slot("medical_insured");
    let dibao = map.slot("dibao");
    let tekun = map.slot("tekun");

    let mut problems = Problems::new(&map);
    let mut records = Vec::with_capacity(table.rows.len());
    // The number itself is the key: an in-memory join, never stored.
    let mut seen: HashMap<u64, usize> = HashMap::with_capacity(table.rows.len());
    for row in &table.rows {
        let mut rc = problems.row(row);
        let household_no = rc.value(no, |c, _| convert::household_no(c));
        let person = rc.value(name, |c, _| convert::person_name(c));
        let id = rc.value(id_number, |c, _| convert::id_number(c));
        let rel = rc.value(relation, by(Relation::parse));
        let sx = rc.value(sex, by(Sex::parse));
        let born = rc.value(birth_date, convert::date);
        let lab = rc.value(labor, by(Labor::parse));
        let rest = (
            rc.value(health, by(Health::parse)),
            rc.value(disability, by(DisabilityGrade::parse)),
            rc.value(schooling, by(Schooling::parse)),
            rc.value(education, by(Education::parse)),
            rc.value(work_months, int_as::<u8>),
            rc.value(insured, convert::flag),
            rc.value(dibao, convert::flag),
            rc.value(tekun, convert::flag),
        );
        if let Some(id) = &id {
            if let Some(s) = sx
                && s != id.sex()
            {
                rc.problem(
                    sex,
                    format!(
                        "性别“{}”与证件号码不符（证件号码显示为{}）",
                        s.label(),
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
                    birth_date,
                    format!(
                        "出生日期“{}”与证件号码中的出生日期不符",
                        b.format("%Y-%m-%d")
                    ),
                );
            }
            match seen.entry(id.to_u64()) {
                Entry::Occupied(first) => rc.problem(
                    id_number,
                    format!("证件号码与第{}行重复：同一人只能登记一次", first.get()),
                ),
                Entry::Vacant(v) => {
                    v.insert(row.number);
                }
            }
        }
        let ok = rc.ok;
        let (Some(household_no), Some(name), Some(id_number), Some(relation), Some(labor), true) =
            (household_no, person, id, rel, lab, ok)
        else {
            continue;
        };
        let (health, disability_grade, schooling, education, work_months, mi, db, tk) = rest;
        records.push((
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
                medical_insured: mi,
                dibao: db,
                tekun: tk,
            },
        ));
    }
    problems.finish(&map, table, records)
}

/// 收支信息: parses the incomes template. Amounts are yuan with at most two decimals, not
/// negative and at most 1亿元; a (户编号, 年度) pair may appear only once in a file.
pub fn parse_incomes(table: &Table) -> Parsed<IncomeRecord> {
    let map = HeaderMap::new(&spec::INCOMES, &table.headers);
    let no = map.slot("household_no");
    let year = map.slot("year");
    let amounts = [
        "wage_income",
        "business_income",
        "business_cost",
        "property_income",
        "transfer_income",
        "medical_out_of_pocket",
        "education_cost",
        "other_rigid_cost",
    ]
    .map(|k| map.slot(k));

    let mut problems = Problems::new(&map);
    let mut records = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<(HouseholdNo, u16), usize> = HashMap::with_capacity(table.rows.len());
    for row in &table.rows {
        let mut rc = problems.row(row);
        let household_no = rc.value(no, |c, _| convert::household_no(c));
        let y = rc.value(year, int_as::<u16>);
        let [wage, bi, bc, prop, tr, med, edu, other] =
            amounts.map(|slot| rc.value(slot, convert::registry_money));
        if let (Some(n), Some(y)) = (&household_no, y) {
            match seen.entry((n.clone(), y)) {
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
        let ok = rc.ok;
        let (
            Some(household_no),
            Some(year),
            Some(wage),
            Some(business_income),
            Some(business_cost),
            Some(property),
            Some(transfer),
            true,
        ) = (household_no, y, wage, bi, bc, prop, tr, ok)
        else {
            continue;
        };
        records.push((
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
    problems.finish(&map, table, records)
}
