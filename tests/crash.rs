//! Crash safety (意外中断): real `fangpin` processes are killed with SIGKILL during a
//! registry import, a department feed import, a screening run and a case step, at every
//! transaction boundary and at several moments inside each transaction. After each kill the
//! database is opened again by a new process: `audit verify` must pass, and every table
//! must be exactly as before the operation, or the operation must be there whole (each
//! table it writes changed by exactly its rows, every other table untouched).
//!
//! The kill points are found through the store's debug log of transactions
//! (`FANGPIN_LOG=store::db=debug`): the test waits for the n-th "transaction begun" or
//! "transaction committed" line, waits a little more, and kills. The screening image
//! (`screening_facts`) is a cache tagged with the registry's generation; it is left out of
//! the comparison.

mod common;

use common::{Content, Db, county, text};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How a table may differ after the operation, when it is there whole.
#[derive(Debug, Clone, Copy)]
enum Change {
    /// Exactly this many rows more.
    Rows(u64),
    /// At least one row more.
    SomeRows,
    /// As many rows, some changed.
    Rewritten,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Begun,
    Committed,
}

/// What one run of the operation came to.
enum Attempt {
    /// Killed after these transaction markers had been logged.
    Killed(Vec<Marker>),
    /// Ran to its end before the kill point was reached.
    Finished,
}

/// Runs `cmd`, kills it `delay` after its `point`-th transaction marker (counting from 0).
fn run_and_kill(mut cmd: Command, point: usize, delay: Duration) -> Attempt {
    let mut child = cmd
        .env("FANGPIN_LOG", "warn,store::db=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fangpin");
    let stderr = child.stderr.take().expect("stderr");
    let (send, recv) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap_or_default();
            let marker = if line.contains("transaction begun") {
                Some(Marker::Begun)
            } else if line.contains("transaction committed") {
                Some(Marker::Committed)
            } else {
                None
            };
            if let Some(m) = marker {
                let _ = send.send(m);
            }
            log.push_str(&line);
            log.push('\n');
        }
        log
    });
    let mut seen = 0;
    let reached = loop {
        match recv.recv_timeout(Duration::from_secs(60)) {
            Ok(_) if seen == point => break true,
            Ok(_) => seen += 1,
            // The process ended (its stderr closed) before the point.
            Err(mpsc::RecvTimeoutError::Disconnected) => break false,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("no progress in 60 s"),
        }
    };
    if reached {
        std::thread::sleep(delay);
        let _ = child.kill();
    }
    let status = child.wait().expect("wait");
    let log = reader.join().expect("reader");
    let markers: Vec<Marker> = log
        .lines()
        .filter_map(|l| {
            if l.contains("transaction begun") {
                Some(Marker::Begun)
            } else if l.contains("transaction committed") {
                Some(Marker::Committed)
            } else {
                None
            }
        })
        .collect();
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(9) => Attempt::Killed(markers),
        _ => {
            assert!(status.success(), "the operation failed: {status:?}\n{log}");
            Attempt::Finished
        }
    }
}

/// The database as the comparison sees it: the screening image is a cache.
async fn state(db: &Db) -> Content {
    let mut c = db.content().await;
    c.remove("screening_facts");
    c
}

/// Checks that `after` is `before` with the operation applied whole.
fn whole(before: &Content, after: &Content, changes: &[(&str, Change)], what: &str) {
    for (table, (rows, digest)) in after {
        let (rows0, digest0) = before
            .get(table)
            .unwrap_or_else(|| panic!("{what}: new table {table}"));
        match changes.iter().find(|(t, _)| t == table).map(|c| c.1) {
            None => assert_eq!(
                (rows, digest),
                (rows0, digest0),
                "{what}: {table} changed, though the operation does not write it"
            ),
            Some(change) => {
                assert_ne!(
                    digest, digest0,
                    "{what}: {table} unchanged: the operation is there only in part"
                );
                let ok = match change {
                    Change::Rows(n) => *rows == rows0 + n,
                    Change::SomeRows => rows > rows0,
                    Change::Rewritten => rows == rows0,
                };
                assert!(
                    ok,
                    "{what}: {table} has {rows} rows, had {rows0}: {change:?}"
                );
            }
        }
    }
}

/// Kills `args` at every transaction boundary, and inside every transaction after growing
/// delays, until a run reaches the end; after each kill the database is as before, or the
/// operation is there whole. `extra` checks a whole result further. Returns the number of
/// kills that landed inside a transaction.
async fn crash(
    db: &Db,
    args: &[&str],
    changes: &[(&str, Change)],
    extra: impl AsyncFn(&Content, &Content),
) -> usize {
    const DELAYS_MS: [u64; 6] = [0, 1, 5, 25, 100, 400];
    let what = format!("{} {}", db.name, args.join(" "));
    let before = state(db).await;
    let (mut point, mut delay) = (0usize, 0usize);
    let mut inside = 0;
    let started = Instant::now();
    loop {
        let attempt = run_and_kill(db.cmd(args), point, Duration::from_millis(DELAYS_MS[delay]));
        let markers = match attempt {
            Attempt::Finished => {
                let after = state(db).await;
                whole(&before, &after, changes, &what);
                extra(&before, &after).await;
                break;
            }
            Attempt::Killed(m) => m,
        };
        // Restart: a new process opens the database and checks the audit chain.
        let verify = db.run(&["audit", "verify"]);
        assert!(
            verify.status.success(),
            "{what}: audit verify after a kill at {point}+{}ms: {}{}",
            DELAYS_MS[delay],
            text(&verify.stdout),
            text(&verify.stderr)
        );
        let now = state(db).await;
        if now != before {
            // Killed after the last commit: the operation must be there whole.
            whole(&before, &now, changes, &what);
            extra(&before, &now).await;
            break;
        }
        let killed_inside = markers.last() == Some(&Marker::Begun);
        if killed_inside {
            inside += 1;
        }
        // Inside a transaction, try later moments of it; at a commit or once past the
        // transaction, go on to the next boundary.
        if killed_inside && markers.len() == point + 1 && delay + 1 < DELAYS_MS.len() {
            delay += 1;
        } else {
            point += 1;
            delay = 0;
        }
    }
    eprintln!(
        "{what}: {inside} kills inside a transaction, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    inside
}

async fn every_operation(db: &Db) {
    county(db, 2000, &["households"]);

    // A registry import: the members file.
    let members = std::fs::read_to_string(db.path("gen/members.csv")).unwrap();
    let rows = members.lines().count() as u64 - 1;
    let inside = crash(
        db,
        &["import", "members", "gen/members.csv"],
        &[
            ("members", Change::Rows(rows)),
            ("import_batches", Change::Rows(1)),
            ("audit_log", Change::Rows(1)),
            ("audit_head", Change::Rewritten),
            ("registry_generation", Change::Rewritten),
        ],
        async |_: &Content, _: &Content| {},
    )
    .await;
    assert!(
        inside >= 3,
        "{}: only {inside} kills inside the import",
        db.name
    );
    db.ok(&["import", "incomes", "gen/incomes.csv"]);

    // A department feed.
    let inside = crash(
        db,
        &["import", "feed", "medical", "gen/medical.csv"],
        &[
            ("feed_batches", Change::Rows(1)),
            ("feed_segments", Change::SomeRows),
            ("audit_log", Change::Rows(1)),
            ("audit_head", Change::Rewritten),
        ],
        async |_: &Content, _: &Content| {},
    )
    .await;
    assert!(inside >= 1, "{}: no kill inside the feed import", db.name);
    db.ok(&["import", "feed", "assistance", "gen/assistance.csv"]);

    // The first screening: it also records the built-in policy as version 1.
    let s = db.store().await;
    let inside = crash(
        db,
        &["screen", "--as-of", "2025-12-31"],
        &[
            ("policies", Change::Rows(1)),
            ("screening_runs", Change::Rows(1)),
            ("leads", Change::SomeRows),
            ("warnings", Change::SomeRows),
            ("audit_log", Change::Rows(2)),
            ("audit_head", Change::Rewritten),
        ],
        async |before: &Content, after: &Content| {
            // Whole: the run's counts are the rows written with it.
            let run = s.last_run().await.unwrap().expect("a run");
            let grew = |t: &str| after[t].0 - before[t].0;
            assert_eq!(run.leads_new as u64, grew("leads"), "{run:?}");
            assert_eq!(run.warnings_new as u64, grew("warnings"), "{run:?}");
            assert!(run.households > 0 && run.flagged > 0, "{run:?}");
            assert_ne!(run.summary, "{}", "{run:?}");
        },
    )
    .await;
    assert!(inside >= 1, "{}: no kill inside the screening", db.name);

    // A case step with its scanned form, kept with the case in the same transaction.
    let leads = db.ok(&["lead", "list"]);
    let lead = leads
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("an open lead")
        .to_owned();
    db.ok(&["case", "open", &lead, "--name", "张三"]);
    db.ok(&[
        "case",
        "act",
        "1",
        "verify",
        "--name",
        "张三",
        "--members",
        "4",
        "--income",
        "21000",
        "--housing",
        "安全",
        "--water",
        "安全",
        "--labour",
        "2",
    ]);
    let scan: Vec<u8> = (0..4u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(db.path("承诺授权书.pdf"), scan).unwrap();
    let inside = crash(
        db,
        &[
            "case",
            "act",
            "1",
            "consent",
            "--name",
            "张三",
            "--people",
            "户主",
            "--queries",
            "收入",
            "--scan",
            "承诺授权书.pdf",
        ],
        &[
            ("cases", Change::Rewritten),
            ("case_events", Change::Rows(1)),
            ("case_files", Change::Rows(1)),
            ("audit_log", Change::Rows(1)),
            ("audit_head", Change::Rewritten),
        ],
        async |_: &Content, _: &Content| {},
    )
    .await;
    assert!(inside >= 1, "{}: no kill inside the case step", db.name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_operation_is_absent_or_whole_on_sqlite() {
    every_operation(&Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_operation_is_absent_or_whole_on_postgres() {
    let Some(db) = Db::postgres().await else {
        eprintln!("FANGPIN_TEST_PG_URL is not set: PostgreSQL not tested");
        return;
    };
    every_operation(&db).await;
}
