//! Keys and their rotation, on SQLite and (when configured) PostgreSQL: ciphertexts bound to
//! their row, a database of version-less (legacy) ciphertexts that still opens and that a
//! rotation to SM4 upgrades, and a rotation interrupted halfway that finishes when resumed.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chrono::NaiveDate;
use domain::*;
use store::rotation::{RotateOptions, rotated_columns};
use store::testing::{TestStore, stores, test_vault};
use store::{Field, Store, StoreError, Suite, Vault};

const VILLAGE: &str = "520322101001";

fn regions() -> Vec<Region> {
    ["52", "5203", "520322", "520322101", VILLAGE]
        .iter()
        .zip(["贵州省", "遵义市", "桐梓县", "楚米镇", "楚米村"])
        .map(|(c, n)| Region {
            code: RegionCode::parse(c).unwrap(),
            name: n.to_string(),
        })
        .collect()
}

fn phone(n: usize) -> String {
    format!("138{:08}", n)
}

fn household(n: usize) -> Household {
    Household {
        household_no: HouseholdNo::parse(&format!("H{n}")).unwrap(),
        village: RegionCode::parse(VILLAGE).unwrap(),
        household_type: HouseholdType::ExPoor,
        exit_year: Some(2018),
        phone: Some(Phone::parse(&phone(n)).unwrap()),
        address: None,
        housing: None,
        water: None,
    }
}

fn member(n: usize) -> Member {
    let birth = NaiveDate::from_ymd_opt(1970, 3, 9).unwrap();
    let id = IdNumber::from_parts(520322, birth, 100 + 2 * n as u16, Sex::Male);
    Member {
        household_no: HouseholdNo::parse(&format!("H{n}")).unwrap(),
        name: PersonName::parse("张三").unwrap(),
        sex: id.sex(),
        birth_date: id.birth_date(),
        id_number: id,
        relation: Relation::Head,
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

/// `n` households of one member each, a declaration and a case with a 帮扶责任人: every
/// table that holds an encrypted field.
async fn registry(s: &Store, n: usize) {
    s.upsert_regions(&regions()).await.unwrap();
    let hs: Vec<Household> = (1..=n).map(household).collect();
    let ms: Vec<Member> = (1..=n).map(member).collect();
    let mut tx = s.begin().await.unwrap();
    tx.upsert_households(s.vault(), &hs).await.unwrap();
    let nos: Vec<String> = (1..=n).map(|i| format!("H{i}")).collect();
    let nos: Vec<&str> = nos.iter().map(String::as_str).collect();
    let keys = tx.households_by_no(&nos).await.unwrap();
    let rows: Vec<_> = ms
        .iter()
        .map(|m| {
            (
                keys[m.household_no.as_str()].id,
                s.vault().digest(Field::IdNumber, m.id_number.as_str()),
                m,
            )
        })
        .collect();
    tx.upsert_members(s.vault(), &rows, &[]).await.unwrap();
    let d = domain::declaration::Declaration::parse(
        "李四",
        "13900001111",
        member(n + 1).id_number.as_str(),
        VILLAGE,
        "看病花了很多钱",
        "因病",
    )
    .unwrap();
    tx.insert_declaration(s.vault(), "R0001", &d, None, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// A case for household H1 written past the store (its procedure is not the subject here),
/// and its helper written through it.
async fn helper(t: &TestStore) {
    let s = &t.store;
    t.execute_raw(
        "INSERT INTO cases (id, household_id, village_code, state, open, first_clue_on, version, \
         data, created_at, updated_at) SELECT 1, id, village_code, 0, (1 = 1), '2026-01-01', 1, '{}', \
         '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM households WHERE household_no = 'H1'",
    )
    .await;
    let mut tx = s.begin().await.unwrap();
    let h = domain::assistance::Helper {
        name: "王帮扶".into(),
        unit: "县人社局 干部".into(),
        phone: Phone::parse("13700001234").unwrap(),
        since: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
    };
    tx.assign_helper(s.vault(), 1, &h).await.unwrap();
    tx.commit().await.unwrap();
}

/// Everything personal the store shows, decrypted: what must survive a rotation unchanged.
async fn personal(s: &Store, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 1..=n {
        let r = s.household_record(&format!("H{i}")).await.unwrap().unwrap();
        out.push(format!("{:?}", r.household.phone));
        for m in r.members {
            out.push(m.member.id_number.as_str().to_string());
        }
    }
    for h in s.helpers_of(1).await.unwrap() {
        out.push(h.phone_masked);
    }
    out
}

/// How many values of `table.column` do not begin with `header`.
async fn not_under(t: &TestStore, table: &str, column: &str, header: [u8; 2]) -> i64 {
    t.count_raw(&format!(
        "SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL AND substr({column}, 1, 2) <> {}",
        t.blob_literal(&header)
    ))
    .await
}

#[tokio::test]
async fn a_ciphertext_moved_to_another_member_does_not_open() {
    for t in stores().await {
        let s = &t.store;
        registry(s, 2).await;
        let before = s.household_record("H1").await.unwrap().unwrap();
        assert_eq!(
            before.members[0].member.id_number.as_str(),
            member(1).id_number.as_str()
        );
        // An intruder with write access swaps the two members' encrypted ID numbers.
        let n = t
            .execute_raw(
                "UPDATE members SET id_enc = CASE id \
                 WHEN (SELECT MIN(id) FROM members) THEN (SELECT id_enc FROM members WHERE id = (SELECT MAX(id) FROM members)) \
                 ELSE (SELECT id_enc FROM members WHERE id = (SELECT MIN(id) FROM members)) END",
            )
            .await;
        assert_eq!(n, 2, "{}", t.name);
        let err = s.household_record("H1").await.unwrap_err();
        assert!(matches!(err, StoreError::Key(_)), "{}: {err}", t.name);
        let msg = err.to_string();
        assert!(
            msg.contains("证件号码的密文无法解密") && msg.contains("members"),
            "{msg}"
        );
        assert!(
            !msg.contains(member(2).id_number.as_str()),
            "the other person's number is not shown"
        );
        // A household's phone moved to another household likewise.
        t.execute_raw(
            "UPDATE households SET phone_enc = (SELECT phone_enc FROM households WHERE household_no = 'H1') \
             WHERE household_no = 'H2'",
        )
        .await;
        let err = s.household_phone("H2").await.unwrap_err().to_string();
        assert!(err.contains("联系电话的密文无法解密"), "{err}");
    }
}

/// What the first version of Fangpin wrote: nonce ‖ ChaCha20-Poly1305(ct ‖ tag), the field's
/// name as associated data, under the key HKDF-SHA256 derived from the master key. Written
/// out here independently of `store::crypto`.
fn legacy_seal(master: &[u8; 32], label: &[u8], plaintext: &str, nonce: [u8; 12]) -> Vec<u8> {
    let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"fangpin"), master);
    let mut enc = [0u8; 32];
    hk.expand(b"fangpin/aead/v1", &mut enc).unwrap();
    let c = chacha20poly1305::ChaCha20Poly1305::new(&enc.into());
    let ct = c
        .encrypt(
            (&nonce).into(),
            Payload {
                msg: plaintext.as_bytes(),
                aad: label,
            },
        )
        .unwrap();
    [&nonce[..], &ct].concat()
}

#[tokio::test]
async fn a_legacy_database_opens_and_an_interrupted_rotation_to_sm4_finishes() {
    const N: usize = 25;
    for t in stores().await {
        let name = t.name;
        let s = &t.store;
        registry(s, N).await;
        helper(&t).await;
        let expected = personal(s, N).await;
        assert_eq!(expected.len(), 2 * N + 1);

        // Turn every value into the legacy form, as a database of the first version holds
        // it. Some nonces begin with the header of the v1 key itself ([1][0]).
        for i in 1..=N {
            let m = member(i);
            let id = legacy_seal(
                &[7; 32],
                b"id_number",
                m.id_number.as_str(),
                [i as u8 % 3, 0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5],
            );
            let ph = legacy_seal(
                &[7; 32],
                b"phone",
                &phone(i),
                [1, 0, i as u8, 0, 0, 0, 0, 0, 0, 0, 0, 9],
            );
            t.execute_raw(&format!(
                "UPDATE members SET id_enc = {} WHERE id_hash = {}",
                t.blob_literal(&id),
                t.blob_literal(&s.vault().digest(Field::IdNumber, m.id_number.as_str()))
            ))
            .await;
            t.execute_raw(&format!(
                "UPDATE households SET phone_enc = {} WHERE household_no = 'H{i}'",
                t.blob_literal(&ph)
            ))
            .await;
        }
        let hp = legacy_seal(&[7; 32], b"phone", "13700001234", [3; 12]);
        t.execute_raw(&format!(
            "UPDATE helpers SET phone_enc = {}",
            t.blob_literal(&hp)
        ))
        .await;
        assert_eq!(
            not_under(&t, "members", "id_enc", [1, 0]).await,
            (N as i64 * 2) / 3,
            "{name}"
        );

        // The old database opens with its key and reads as before.
        let s = t.reopen_with(test_vault()).await.unwrap();
        assert_eq!(
            personal(&s, N).await,
            expected,
            "{name}: legacy values open"
        );
        s.close().await;

        // Rotate to a new SM4 key, stopped after two batches of 10.
        let dir = tempfile::tempdir().unwrap();
        let new = Vault::create_file(&dir.path().join("new.key"), Suite::Sm4, 1).unwrap();
        let both = Vault::rotating(&test_vault(), &new).unwrap();
        let opts = RotateOptions {
            batch: 10,
            stop_after_batches: Some(2),
        };
        let s = t.reopen_with(both.clone()).await.unwrap();
        let r = s.rotate_keys(&opts, |_, _| {}).await.unwrap();
        assert!(r.interrupted && !r.resumed, "{name}: {r:?}");
        assert_eq!(r.batches, 2);
        assert_eq!(r.total_rows(), 20, "{name}: households 1–20");
        s.close().await;

        // Half rotated: neither key alone may open it.
        for v in [test_vault(), new.clone()] {
            let e = t.reopen_with(v).await.unwrap_err();
            assert!(
                matches!(e, StoreError::RotationPending { .. }),
                "{name}: {e}"
            );
            assert!(e.to_string().contains("fangpin key rotate"), "{e}");
        }

        // The rerun finishes from where it stopped.
        let s = t.reopen_with(both.clone()).await.unwrap();
        let mut seen = Vec::new();
        let r = s
            .rotate_keys(
                &RotateOptions {
                    batch: 10,
                    stop_after_batches: None,
                },
                |t, n| seen.push((t.to_string(), n)),
            )
            .await
            .unwrap();
        assert!(r.resumed && !r.interrupted, "{name}: {r:?}");
        let rows: std::collections::BTreeMap<_, _> = r.rows.iter().cloned().collect();
        assert_eq!(rows["households"], (N - 20) as u64, "{name}: only the rest");
        assert_eq!(rows["members"], N as u64);
        assert_eq!(rows["declarations"], 1);
        assert_eq!(rows["helpers"], 1);
        assert!(!seen.is_empty());
        s.close().await;

        // Now the new key alone opens it, every value is under it, nothing changed.
        assert!(matches!(
            t.reopen_with(test_vault()).await.unwrap_err(),
            StoreError::WrongKey { .. }
        ));
        let s = t.reopen_with(new.clone()).await.unwrap();
        assert_eq!(personal(&s, N).await, expected, "{name}: same values");
        // The audit chain was sealed again under the new key's audit key.
        assert!(s.verify_audit().await.unwrap().is_ok(), "{name}");
        for (table, column) in rotated_columns() {
            assert_eq!(
                not_under(&t, table, column, [2, 1]).await,
                0,
                "{name}: {table}.{column}"
            );
        }
        // The keyed hashes are the new key's: lookups find members by them.
        let mut tx = s.begin().await.unwrap();
        let h_new = new.digest(Field::IdNumber, member(3).id_number.as_str());
        let h_old = test_vault().digest(Field::IdNumber, member(3).id_number.as_str());
        assert_eq!(
            tx.members_by_hash(&[h_new]).await.unwrap().len(),
            1,
            "{name}"
        );
        assert!(tx.members_by_hash(&[h_old]).await.unwrap().is_empty());
        tx.rollback().await.unwrap();
        assert_eq!(
            t.count_raw("SELECT COUNT(*) FROM declarations WHERE phone_hash IS NOT NULL")
                .await,
            1
        );
        // Rows are still bound: swapping two members' values still fails.
        t.execute_raw(
            "UPDATE members SET id_enc = (SELECT id_enc FROM members WHERE id = (SELECT MAX(id) FROM members)) \
             WHERE id = (SELECT MIN(id) FROM members)",
        )
        .await;
        assert!(s.household_record("H1").await.is_err());
        // The rotation is audited, without a personal value.
        let log = s
            .audit_log(&store::audit::AuditFilter {
                action: Some("key.rotate".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(log.len(), 1, "{name}");
        let after = log[0].after.clone().unwrap();
        assert!(
            after.contains("\"suite\":\"sm4\"") && after.contains(new.fingerprint()),
            "{after}"
        );
        s.close().await;

        // Running it again with the same keys does nothing.
        let s = t.reopen_with(both).await.unwrap();
        let r = s
            .rotate_keys(&RotateOptions::default(), |_, _| {})
            .await
            .unwrap();
        assert!(r.already_done, "{name}");
        s.close().await;
    }
}

/// Every encrypted column of the schema is one the rotation rewrites: a table added later
/// with personal fields fails here until `store::rotation` knows it.
#[tokio::test]
async fn rotation_covers_every_encrypted_column() {
    let t = store::testing::sqlite().await;
    let in_schema = t
        .count_raw(
            "SELECT COUNT(*) FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.name LIKE '%\\_enc' ESCAPE '\\'",
        )
        .await;
    assert_eq!(in_schema as usize, rotated_columns().len());
    for (table, column) in rotated_columns() {
        let n = t
            .count_raw(&format!(
                "SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'"
            ))
            .await;
        assert_eq!(n, 1, "{table}.{column}");
    }
}
