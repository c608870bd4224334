//! Sample registry records for the tests: valid ID numbers are made with
//! `IdNumber::from_parts` (division 520322), never copied from real people.

#![allow(dead_code)]

use chrono::NaiveDate;
use domain::*;
use std::path::{Path, PathBuf};

pub fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn id(birth: NaiveDate, seq: u16, sex: Sex) -> IdNumber {
    IdNumber::from_parts(520322, birth, seq, sex)
}

pub fn hh(s: &str) -> HouseholdNo {
    HouseholdNo::parse(s).unwrap()
}

pub fn households() -> Vec<Household> {
    vec![
        Household {
            household_no: hh("5203221010010001"),
            village: RegionCode::parse("520322101001").unwrap(),
            household_type: HouseholdType::ExPoor,
            exit_year: Some(2019),
            phone: Some(Phone::parse("13812345678").unwrap()),
            address: Some("桐梓县楚米镇新华村一组, \"老屋\"".into()),
            housing: Some(HousingSafety::GradeC),
            water: Some(WaterSafety::Safe),
        },
        Household {
            household_no: hh("5203221010010002"),
            village: RegionCode::parse("520322101002").unwrap(),
            household_type: HouseholdType::Ordinary,
            exit_year: None,
            phone: None,
            address: None,
            housing: None,
            water: None,
        },
        Household {
            household_no: hh("TZ-0003"),
            village: RegionCode::parse("520322101001").unwrap(),
            household_type: HouseholdType::Ordinary,
            exit_year: None,
            phone: None,
            address: Some("多行\n地址".into()),
            housing: Some(HousingSafety::Unsafe),
            water: Some(WaterSafety::Unsafe),
        },
    ]
}

pub fn member(no: &str, name: &str, id: IdNumber, relation: Relation) -> Member {
    Member {
        household_no: hh(no),
        name: PersonName::parse(name).unwrap(),
        sex: id.sex(),
        birth_date: id.birth_date(),
        id_number: id,
        relation,
        labor: Labor::Ordinary,
        health: None,
        disability_grade: None,
        schooling: None,
        education: None,
        work_months: None,
        medical_insured: None,
        dibao: None,
        tekun: None,
    }
}

pub fn members() -> Vec<Member> {
    let head = id(ymd(1968, 4, 12), 101, Sex::Male);
    let spouse = id(ymd(1970, 11, 3), 202, Sex::Female);
    let son = id(ymd(2009, 1, 30), 35, Sex::Male);
    let minority = id(ymd(1945, 2, 28), 998, Sex::Female);
    let mut m = vec![
        member("5203221010010001", "张国强", head, Relation::Head),
        member("5203221010010001", "李秀英", spouse, Relation::Spouse),
        member("5203221010010001", "张小明", son, Relation::Son),
        member("5203221010010002", "买买提·艾力", minority, Relation::Head),
    ];
    m[0].labor = Labor::Skilled;
    m[0].work_months = Some(10);
    m[0].medical_insured = Some(true);
    m[0].dibao = Some(false);
    m[0].tekun = Some(false);
    m[0].education = Some(Education::Junior);
    m[1].health = Some(Health::parse("长期慢性病、残疾").unwrap());
    m[1].disability_grade = Some(DisabilityGrade::Two);
    m[1].labor = Labor::Weak;
    m[2].schooling = Some(Schooling::Grade9);
    m[2].labor = Labor::NoLabor;
    m[2].health = Some(Health::HEALTHY);
    m[3].labor = Labor::Lost;
    m[3].work_months = Some(0);
    m[3].dibao = Some(true);
    m
}

pub fn incomes() -> Vec<IncomeRecord> {
    vec![
        IncomeRecord {
            household_no: hh("5203221010010001"),
            year: 2024,
            wage: Money::from_fen(1_400_000),
            business_income: Money::from_fen(600_050),
            business_cost: Money::from_fen(250_001),
            property: Money::ZERO,
            transfer: Money::from_fen(370_000),
            medical_out_of_pocket: Some(Money::from_fen(12_345)),
            education_cost: None,
            other_rigid_cost: Some(Money::ZERO),
        },
        IncomeRecord {
            household_no: hh("5203221010010001"),
            year: 2025,
            wage: Money::from_fen(10_000_000_000),
            business_income: Money::ZERO,
            business_cost: Money::ZERO,
            property: Money::from_fen(1),
            transfer: Money::from_fen(99),
            medical_out_of_pocket: None,
            education_cost: None,
            other_rigid_cost: None,
        },
    ]
}

/// A file in a fresh temporary directory (kept alive by the returned guard).
pub fn temp_file(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

pub fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}
