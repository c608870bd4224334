//! PostgreSQL right after a bulk load: an import large enough to matter leaves the planner's
//! statistics of the table it filled current, instead of waiting for autovacuum (which had
//! left household search at 3 requests/s after a fresh million-household import).

mod common;

use common::*;

/// Whether `table` of the test's schema has been analysed by an explicit ANALYZE. The
/// statistics views are written when the analysing transaction ends; a short wait covers
/// their flush.
async fn analysed(t: &store::testing::TestStore, table: &str) -> bool {
    let sql = format!(
        "SELECT 1 FROM pg_stat_user_tables WHERE schemaname = current_schema() \
         AND relname = '{table}' AND last_analyze IS NOT NULL"
    );
    for _ in 0..20 {
        if t.execute_raw(&sql).await == 1 {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_bulk_import_leaves_the_planner_statistics_current() {
    let Some(db) = Db::postgres().await else {
        return;
    };
    // About 3.2 members a household: the members file passes service::imports::BULK_ROWS,
    // the households file does not.
    county(&db, 3_400, &["households", "members"]);
    let t = db.pg.as_ref().unwrap();
    assert!(
        analysed(t, "members").await,
        "members analysed after the import"
    );
    assert!(
        !analysed(t, "households").await,
        "a smaller import is left to autovacuum"
    );
}
