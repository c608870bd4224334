//! The two migration trees describe one schema: after every migration, SQLite and
//! PostgreSQL have the same tables, the same columns in the same order with the same
//! nullability, the same primary keys, and the same indexes (columns, uniqueness, partial
//! or not, and the name of each index created by name). A migration written for one
//! dialect and forgotten — or written differently — in the other fails here.
//!
//! Needs `FANGPIN_TEST_PG_URL`; without it there is nothing to compare with.

use store::testing::{postgres, shape, sqlite};

#[tokio::test]
async fn the_sqlite_and_postgres_schemas_are_the_same() {
    let Some(pg) = postgres().await else {
        eprintln!("FANGPIN_TEST_PG_URL is not set: no PostgreSQL schema to compare with");
        return;
    };
    let lite = sqlite().await;
    let (a, b) = (shape(&lite.store).await, shape(&pg.store).await);
    assert!(
        a.columns.len() > 20,
        "tables were read: {:?}",
        a.columns.keys()
    );

    let tables = |s: &store::testing::Shape| s.columns.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        tables(&a),
        tables(&b),
        "tables (SQLite left, PostgreSQL right)"
    );
    for (table, cols) in &a.columns {
        assert_eq!(
            cols, &b.columns[table],
            "columns of {table} and whether each may be NULL (SQLite left, PostgreSQL right)"
        );
    }
    assert_eq!(a.primary_keys, b.primary_keys, "primary keys");
    let only_sqlite: Vec<_> = a.indexes.difference(&b.indexes).collect();
    let only_pg: Vec<_> = b.indexes.difference(&a.indexes).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "indexes (table, columns, unique, partial, name) only in SQLite: {only_sqlite:#?}\n\
         only in PostgreSQL: {only_pg:#?}"
    );
}
