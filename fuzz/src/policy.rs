//! 监测政策: the policy TOML a county loads (`fangpin policy load`, `POST /api/v1/policy`)
//! and the `key=value` overrides of a "what if" screening. A document the checks accept
//! must then be usable: resolving lines and windows and screening a household with it
//! must not fail, whatever thresholds it sets.
//!
//! The county's synonym document for department feeds (`fangpin synonyms load`), TOML too,
//! is fuzzed here as well: an accepted document must map every word it holds onto a value
//! of its column, and find each word again as written and as normalised.
//!
//! Selector byte, modulo 3: 0 — the rest is a whole policy document; 1 — the rest is
//! overrides, one `path=value` per line, applied to the built-in policy; 2 — the rest is a
//! county's synonym document.

use chrono::NaiveDate;
use domain::screening::policy::DEFAULT_POLICY_TOML;
use domain::screening::{
    HouseholdFacts, HouseholdView, MemberFacts, Policy, YearIncome, assess, screen,
};
use domain::{Health, HouseholdType, Labor, Money, RegionCode, Relation};
use tabular::synonyms::{COLUMNS, Synonyms, normalise};

/// One input: selector byte, then a document or overrides.
pub fn check(data: &[u8]) {
    let (which, rest) = crate::pick(data);
    let text = crate::text(rest);
    let policy = if which % 3 == 0 {
        Policy::from_toml(&text)
    } else if which % 3 == 2 {
        return synonyms(&text);
    } else {
        let overrides: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Policy::with_overrides(DEFAULT_POLICY_TOML, &overrides)
    };
    if let Ok(policy) = policy {
        use_policy(&policy);
    }
}

/// A county's synonym document laid over the built-in table.
fn synonyms(text: &str) {
    let Ok(table) = Synonyms::with_county(text) else {
        return;
    };
    for (column, spec) in COLUMNS.iter().enumerate() {
        let labels = spec.labels();
        for entry in table.entries(column) {
            assert!(
                labels.contains(&entry.label),
                "{entry:?} in {}",
                spec.title()
            );
            for word in [entry.word.clone(), normalise(&entry.word)] {
                let (i, label) = table.find(column, &word).expect("a word of the table");
                assert_eq!(label, entry.label, "{word:?} in {}", spec.title());
                assert_eq!(table.entry(column, i).label, label);
            }
        }
    }
}

/// Everything screening asks of a policy, on a household poor enough to meet most rules.
fn use_policy(policy: &Policy) {
    let village = RegionCode::parse("520322101001").expect("a village");
    for as_of in [day(2025, 12, 31), day(2014, 1, 1), day(2100, 12, 31)] {
        let _ = policy.window_start(as_of);
        let _ = (
            policy.line(village, 2025),
            policy.rural_income(village, 2024),
        );
        let local = policy.local(village, as_of);
        let household = HouseholdFacts {
            id: 1,
            village,
            household_type: HouseholdType::parse("脱贫户").expect("a label"),
            exit_year: Some(2019),
            housing: None,
            water: None,
            monitored: true,
        };
        let members = [
            member(1, Relation::parse("户主"), 1960, Labor::parse("普通劳动力")),
            member(2, Relation::parse("配偶"), 1962, Labor::parse("丧失劳动力")),
        ];
        let incomes = [year(2024, 3_000_000), year(2025, 400_000)];
        let view = HouseholdView {
            household: &household,
            members: &members,
            incomes: &incomes,
            events: &[],
        };
        let mut warnings = Vec::new();
        screen(&view, policy, &local, as_of, &mut warnings);
        let _ = assess(&view, &local, as_of, &warnings);
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn member(
    id: u32,
    relation: Result<Relation, domain::FieldError>,
    born: i32,
    labor: Result<Labor, domain::FieldError>,
) -> MemberFacts {
    MemberFacts {
        id,
        relation: relation.expect("a label"),
        birth_date: day(born, 6, 1),
        labor: labor.expect("a label"),
        health: Health::parse("患有大病").expect("a label"),
        disability_grade: None,
        schooling: None,
        work_months: Some(0),
        medical_insured: Some(false),
        dibao: None,
        tekun: None,
    }
}

/// A year of incomes in fen, with heavy medical and schooling costs.
fn year(year: u16, wage_fen: i64) -> YearIncome {
    YearIncome {
        year,
        wage: Money::from_fen(wage_fen),
        medical_out_of_pocket: Money::from_fen(2_000_000),
        education_cost: Money::from_fen(500_000),
        ..YearIncome::default()
    }
}
