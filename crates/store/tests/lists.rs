//! Region lists of leads and cases (线索列表, 案件列表), run on SQLite and (when configured)
//! PostgreSQL: a region with more rows than the count cap is read another way than a
//! small one (store::cases), and both ways must give the same pages; a household that
//! moves to another village takes its leads and cases along.

use chrono::NaiveDate;
use domain::case::{Actor, Case, Level};
use domain::monitoring::{RiskSet, RiskType};
use domain::screening::Channel;
use domain::*;
use store::cases::CaseFilter;
use store::screening::lead_status;
use store::search::COUNT_CAP;
use store::testing::stores;

const COUNTY: &str = "520322";
const VILLAGE_A: &str = "520322101001";
const VILLAGE_B: &str = "520322101002";
/// More leads than the count cap in the county, fewer in each village.
const IN_A: usize = 700;
const IN_B: usize = 600;

fn code(c: &str) -> RegionCode {
    RegionCode::parse(c).unwrap()
}

fn household(no: &str, village: &str) -> Household {
    Household {
        household_no: HouseholdNo::parse(no).unwrap(),
        village: code(village),
        household_type: HouseholdType::Ordinary,
        exit_year: None,
        phone: None,
        address: None,
        housing: None,
        water: None,
    }
}

fn households() -> Vec<Household> {
    (0..IN_A + IN_B)
        .map(|i| {
            let v = if i < IN_A { VILLAGE_A } else { VILLAGE_B };
            household(&format!("{v}{i:06}"), v)
        })
        .collect()
}

#[tokio::test]
async fn region_lists_page_alike_both_ways_and_follow_a_moving_household() {
    for t in stores().await {
        let s = &t.store;
        let db = t.name;
        let regions: Vec<Region> = ["52", "5203", COUNTY, "520322101", VILLAGE_A, VILLAGE_B]
            .iter()
            .map(|c| Region {
                code: code(c),
                name: format!("区划{c}"),
            })
            .collect();
        s.upsert_regions(&regions).await.unwrap();
        let hs = households();
        let mut tx = s.begin().await.unwrap();
        tx.upsert_households(s.vault(), &hs).await.unwrap();
        let numbers: Vec<&str> = hs.iter().map(|h| h.household_no.as_str()).collect();
        let keys = tx.households_by_no(&numbers).await.unwrap();
        // One lead per household, in household order: lead ids rise with the number.
        let mut leads = Vec::new();
        for no in &numbers {
            let (lead, new) = tx
                .open_or_join_lead(
                    keys[*no].id,
                    Channel::CadreVisit,
                    RiskSet::EMPTY.with(RiskType::Illness),
                )
                .await
                .unwrap();
            assert!(new);
            leads.push(lead);
        }
        // Every tenth lead of village A is dismissed.
        for lead in leads[..IN_A].iter().step_by(10) {
            tx.close_lead(*lead, lead_status::DISMISSED, "村级:测试", "经核实不符合")
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let newest_first = |range: std::ops::Range<usize>, keep: &dyn Fn(usize) -> bool| {
            let mut ids: Vec<i64> = range.filter(|i| keep(*i)).map(|i| leads[i]).collect();
            ids.reverse();
            ids
        };
        let page_ids = |p: &store::cases::Page<store::screening::LeadRow>| {
            p.rows.iter().map(|l| l.id).collect::<Vec<_>>()
        };

        // The county: more than the cap, read newest first along the ids.
        let all = newest_first(0..IN_A + IN_B, &|_| true);
        for (offset, limit) in [(0, 20), (20, 20), (990, 20), (1_290, 20), (1_300, 20)] {
            let p = s
                .lead_list(Some(code(COUNTY)), None, offset as i64, limit)
                .await
                .unwrap();
            assert_eq!((p.total, p.capped), (COUNT_CAP as i64, true), "{db}");
            let want: Vec<i64> = all
                .iter()
                .skip(offset)
                .take(limit as usize)
                .copied()
                .collect();
            assert_eq!(page_ids(&p), want, "{db}: county page at {offset}");
        }
        // A village: fewer than the cap, counted exactly, read along the region.
        let open_a = newest_first(0..IN_A, &|i| i % 10 != 0);
        let p = s
            .lead_list(Some(code(VILLAGE_A)), Some(lead_status::OPEN), 600, 50)
            .await
            .unwrap();
        assert_eq!((p.total, p.capped), (open_a.len() as i64, false), "{db}");
        assert_eq!(page_ids(&p), open_a[600..].to_vec(), "{db}");
        assert!(p.rows.iter().all(|l| l.village == code(VILLAGE_A)), "{db}");
        // The county's open leads: over the cap still, and the same order with the
        // dismissed ones left out.
        let open_all = newest_first(0..IN_A + IN_B, &|i| i >= IN_A || i % 10 != 0);
        let p = s
            .lead_list(Some(code(COUNTY)), Some(lead_status::OPEN), 1_200, 20)
            .await
            .unwrap();
        assert!(p.capped, "{db}");
        assert_eq!(page_ids(&p), open_all[1_200..1_220].to_vec(), "{db}");
        let p = s
            .lead_list(Some(code(VILLAGE_A)), Some(lead_status::DISMISSED), 0, 100)
            .await
            .unwrap();
        assert_eq!((p.total, p.capped), (70, false), "{db}");

        // A case for the newest household of village A.
        let mover = numbers[IN_A - 1];
        let actor = Actor::new(Level::Village, "测试");
        let on = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let case = Case::open(HouseholdType::Ordinary, on, &actor, on).unwrap();
        let mut tx = s.begin().await.unwrap();
        let case_id = tx
            .insert_case(keys[mover].id, Some(leads[IN_A - 1]), &case)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let cases_in = |village: &'static str| async move {
            let f = CaseFilter {
                scope: Some(code(village)),
                ..CaseFilter::default()
            };
            let p = s.case_list(&f, 0, 20).await.unwrap();
            p.rows.iter().map(|r| r.row.id).collect::<Vec<_>>()
        };
        assert_eq!(cases_in(VILLAGE_A).await, vec![case_id], "{db}");
        assert!(cases_in(VILLAGE_B).await.is_empty(), "{db}");

        // The household moves to village B in a registry import: its lead and its case
        // are listed there, and no longer in A.
        let mut tx = s.begin().await.unwrap();
        tx.upsert_households(s.vault(), &[household(mover, VILLAGE_B)])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(cases_in(VILLAGE_B).await, vec![case_id], "{db}");
        assert!(cases_in(VILLAGE_A).await.is_empty(), "{db}");
        let b = s
            .lead_list(Some(code(VILLAGE_B)), None, 0, 1_000)
            .await
            .unwrap();
        assert_eq!(b.total, IN_B as i64 + 1, "{db}");
        assert_eq!(
            b.rows.last().map(|l| l.id),
            Some(leads[IN_A - 1]),
            "{db}: the mover's"
        );
        assert!(b.rows.iter().all(|l| l.village == code(VILLAGE_B)), "{db}");
        let a = s
            .lead_list(Some(code(VILLAGE_A)), None, 0, 1_000)
            .await
            .unwrap();
        assert_eq!(a.total, IN_A as i64 - 1, "{db}");
        let case_row = s.case(case_id).await.unwrap();
        assert_eq!(case_row.village, code(VILLAGE_B), "{db}");
    }
}
