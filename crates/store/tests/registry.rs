//! The registry's storage story, run on SQLite and (when configured) PostgreSQL.

use chrono::NaiveDate;
use domain::*;
use store::testing::{stores, test_vault};
use store::{Field, Store, StoreError, Vault};

fn village() -> RegionCode {
    RegionCode::parse("520322101001").unwrap()
}

fn regions() -> Vec<Region> {
    [
        "52",
        "5203",
        "520322",
        "520322101",
        "520322101001",
        "520322101002",
    ]
    .iter()
    .zip(["贵州省", "遵义市", "桐梓县", "楚米镇", "楚米村", "元田村"])
    .map(|(c, n)| Region {
        code: RegionCode::parse(c).unwrap(),
        name: n.to_string(),
    })
    .collect()
}

fn household(no: &str) -> Household {
    Household {
        household_no: HouseholdNo::parse(no).unwrap(),
        village: village(),
        household_type: HouseholdType::ExPoor,
        exit_year: Some(2018),
        phone: Some(Phone::parse("13812345678").unwrap()),
        address: Some("楚米镇楚米村一组".into()),
        housing: Some(HousingSafety::GradeB),
        water: Some(WaterSafety::Safe),
    }
}

fn member(no: &str, seq: u16, rel: Relation) -> Member {
    let birth = NaiveDate::from_ymd_opt(1970, 3, 9).unwrap();
    let id = IdNumber::from_parts(520322, birth, seq, Sex::Male);
    Member {
        household_no: HouseholdNo::parse(no).unwrap(),
        name: PersonName::parse("张三").unwrap(),
        sex: id.sex(),
        birth_date: id.birth_date(),
        id_number: id,
        relation: rel,
        labor: Labor::Ordinary,
        health: Some(Health::parse("长期慢性病").unwrap()),
        disability_grade: None,
        schooling: None,
        education: Some(Education::Junior),
        work_months: Some(7),
        medical_insured: Some(true),
        dibao: Some(false),
        tekun: None,
    }
}

#[tokio::test]
async fn registry_story_on_every_database() {
    for t in stores().await {
        let s = &t.store;
        let name = t.name;
        // Regions: idempotent upsert.
        assert_eq!(s.upsert_regions(&regions()).await.unwrap(), 6, "{name}");
        assert_eq!(s.upsert_regions(&regions()).await.unwrap(), 0, "{name}");
        let villages = s
            .regions_under(RegionCode::parse("520322").unwrap(), RegionLevel::Village)
            .await
            .unwrap();
        assert_eq!(villages.len(), 2, "{name}");
        assert_eq!(villages[0].name, "楚米村");

        // Households: insert, re-insert unchanged, update.
        let hs = vec![household("H1"), household("H2")];
        let mut tx = s.begin().await.unwrap();
        let c = tx.upsert_households(s.vault(), &hs).await.unwrap();
        assert_eq!((c.inserted, c.updated, c.unchanged), (2, 0, 0), "{name}");
        tx.commit().await.unwrap();
        let mut tx = s.begin().await.unwrap();
        let c = tx.upsert_households(s.vault(), &hs).await.unwrap();
        assert_eq!(
            (c.inserted, c.updated, c.unchanged),
            (0, 0, 2),
            "{name}: re-import changes nothing"
        );
        let mut changed = hs.clone();
        changed[1].phone = Some(Phone::parse("13900001111").unwrap());
        let c = tx.upsert_households(s.vault(), &changed).await.unwrap();
        assert_eq!((c.inserted, c.updated, c.unchanged), (0, 1, 1), "{name}");
        let keys = tx.households_by_no(&["H1", "H2", "H9"]).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(keys.len(), 2);

        // Members keyed by the ID's keyed hash.
        let ms = [
            member("H1", 11, Relation::Head),
            member("H1", 13, Relation::Son),
        ];
        let rows: Vec<_> = ms
            .iter()
            .map(|m| {
                (
                    keys["H1"].id,
                    s.vault().digest(Field::IdNumber, m.id_number.as_str()),
                    m,
                )
            })
            .collect();
        let mut tx = s.begin().await.unwrap();
        let c = tx.upsert_members(s.vault(), &rows, &[]).await.unwrap();
        assert_eq!(c.inserted, 2, "{name}");
        let c = tx.upsert_members(s.vault(), &[], &rows).await.unwrap();
        assert_eq!((c.inserted, c.updated, c.unchanged), (0, 0, 2), "{name}");
        let found = tx.members_by_hash(&[rows[0].1]).await.unwrap();
        assert_eq!(found[&rows[0].1].relation, Relation::Head);
        let roles = tx.members_of_households(&[keys["H1"].id]).await.unwrap();
        assert_eq!(roles.len(), 2);

        // Incomes.
        let inc = IncomeRecord {
            household_no: HouseholdNo::parse("H1").unwrap(),
            year: 2024,
            wage: Money::from_yuan(14_000),
            business_income: Money::from_yuan(6_000),
            business_cost: Money::from_yuan(2_500),
            property: Money::from_yuan(800),
            transfer: Money::from_yuan(3_700),
            medical_out_of_pocket: Some(Money::from_fen(123_456)),
            education_cost: None,
            other_rigid_cost: None,
        };
        let c = tx
            .upsert_incomes(&[(keys["H1"].id, &inc)], 0)
            .await
            .unwrap();
        assert_eq!(c.inserted, 1);
        assert_eq!(
            tx.existing_incomes(&[keys["H1"].id]).await.unwrap().len(),
            1
        );
        tx.commit().await.unwrap();

        // Read back, decrypted, equal to what went in.
        let mut back = Vec::new();
        s.for_each_household(None, |h| {
            back.push(h);
            Ok::<_, store::StoreError>(())
        })
        .await
        .unwrap();
        assert_eq!(back, changed, "{name}");
        let mut mback = Vec::new();
        s.for_each_member(Some(RegionCode::parse("520322").unwrap()), |m| {
            mback.push(m);
            Ok::<_, store::StoreError>(())
        })
        .await
        .unwrap();
        assert_eq!(mback, ms.to_vec(), "{name}");
        let mut iback = Vec::new();
        s.for_each_income(None, |i| {
            iback.push(i);
            Ok::<_, store::StoreError>(())
        })
        .await
        .unwrap();
        assert_eq!(iback, vec![inc.clone()], "{name}");
        let facts = s.household_facts(None).await.unwrap();
        let h1 = facts.iter().find(|f| f.size == 2).unwrap();
        assert_eq!(h1.latest_net, Some((2024, Money::from_yuan(22_000))));
        // Another county's scope sees nothing.
        let none = s
            .for_each_member(Some(RegionCode::parse("520323").unwrap()), |_| {
                Ok::<_, store::StoreError>(())
            })
            .await
            .unwrap();
        assert_eq!(none, 0);
        let counts = s.registry_counts().await.unwrap();
        assert_eq!(
            (counts.households, counts.members, counts.incomes),
            (2, 2, 1)
        );

        // A rolled-back transaction leaves nothing behind.
        let mut tx = s.begin().await.unwrap();
        tx.upsert_households(s.vault(), &[household("H3")])
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(s.registry_counts().await.unwrap().households, 2, "{name}");
    }
}

#[tokio::test]
async fn personal_fields_are_not_stored_in_clear() {
    let t = store::testing::sqlite().await;
    let s = &t.store;
    s.upsert_regions(&regions()).await.unwrap();
    let mut tx = s.begin().await.unwrap();
    tx.upsert_households(s.vault(), &[household("H1")])
        .await
        .unwrap();
    let keys = tx.households_by_no(&["H1"]).await.unwrap();
    let m = member("H1", 11, Relation::Head);
    let h = s.vault().digest(Field::IdNumber, m.id_number.as_str());
    tx.upsert_members(s.vault(), &[(keys["H1"].id, h, &m)], &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    s.close().await;
    let bytes = std::fs::read(t.dir.path().join("test.db")).unwrap();
    let wal = std::fs::read(t.dir.path().join("test.db-wal")).unwrap_or_default();
    for hay in [&bytes, &wal] {
        let text = String::from_utf8_lossy(hay);
        assert!(!text.contains(m.id_number.as_str()), "ID number in clear");
        assert!(!text.contains("13812345678"), "phone in clear");
    }
}

#[tokio::test]
async fn a_database_refuses_another_key() {
    let t = store::testing::sqlite().await;
    t.store.close().await;
    let other = Vault::from_text(&Vault::generate_text(store::Suite::ChaCha20, 1)).unwrap();
    let err = Store::open(&t.url, other).await.unwrap_err();
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
    assert!(err.to_string().contains("密钥与数据库不匹配"));
    assert!(Store::open(&t.url, test_vault()).await.is_ok());
}

/// A bulk load large enough to rebuild the hash index still ends with uniqueness enforced.
#[tokio::test]
async fn bulk_member_load_rebuilds_the_unique_index() {
    for t in stores().await {
        let s = &t.store;
        let name = t.name;
        s.upsert_regions(&regions()).await.unwrap();
        let mut tx = s.begin().await.unwrap();
        tx.upsert_households(s.vault(), &[household("H1")])
            .await
            .unwrap();
        let hh = tx.households_by_no(&["H1"]).await.unwrap()["H1"].id;
        // 50,000 distinct people: (day, sequence) pairs across ten years.
        let start = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap();
        let members: Vec<Member> = (0..50_000u32)
            .map(|i| {
                let birth = start + chrono::Days::new(u64::from(i / 10));
                let id = IdNumber::from_parts(520322, birth, (i % 10 * 2 + 1) as u16, Sex::Male);
                let mut m = member("H1", 11, Relation::Son);
                m.birth_date = id.birth_date();
                m.id_number = id;
                m
            })
            .collect();
        let rows: Vec<_> = members
            .iter()
            .map(|m| {
                (
                    hh,
                    s.vault().digest(Field::IdNumber, m.id_number.as_str()),
                    m,
                )
            })
            .collect();
        let c = tx.upsert_members(s.vault(), &rows, &[]).await.unwrap();
        assert_eq!(c.inserted, 50_000, "{name}");
        tx.commit().await.unwrap();
        // The rebuilt index rejects a second copy of a stored ID number.
        let mut tx = s.begin().await.unwrap();
        let err = tx.upsert_members(s.vault(), &rows[..1], &[]).await;
        assert!(err.is_err(), "{name}: duplicate accepted after the rebuild");
        tx.rollback().await.unwrap();
        assert_eq!(s.registry_counts().await.unwrap().members, 50_000, "{name}");
    }
}
