//! The deployment's calendar (`--time-zone`, Beijing by default) against the server's own
//! zone, through the binary.

mod common;

use common::*;

// The defect: days came from the server's own zone. Here the binary runs in a zone whose
// date differs from Beijing's at this moment (behind it by 20 hours, or ahead by 6, as the
// hour requires), and every day it reckons must still be Beijing's.
#[test]
fn days_are_beijing_days_whatever_zone_the_server_runs_in() {
    use chrono::Timelike;
    let db = Db::sqlite();
    county(&db, 20, &["households", "members"]);
    let now = chrono::Utc::now();
    let beijing = domain::Zone::BEIJING.local(now);
    let today = beijing.date_naive();
    // POSIX TZ strings count hours west of UTC: "FPT+12" is UTC−12, "FPT-14" is UTC+14.
    let behind = beijing.hour() < 20;
    let (tz, offset_h) = if behind {
        ("FPT+12", -12)
    } else {
        ("FPT-14", 14)
    };
    let server_day = (now + chrono::Duration::hours(offset_h)).date_naive();
    assert_ne!(
        server_day, today,
        "the chosen zone's date differs from Beijing's now"
    );
    let files = std::fs::read_to_string(db.path("gen/households.csv")).unwrap();
    let household = files
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned();
    let visit = |on: chrono::NaiveDate| {
        db.cmd(&[
            "visit",
            &household,
            "--on",
            &on.to_string(),
            "--visitor",
            "村干部",
            "--findings",
            "户主务工受伤",
            "--risks",
            "因病",
        ])
        .env("TZ", tz)
        .output()
        .unwrap()
    };
    if behind {
        // Beijing's today is the server's tomorrow: not a day in the future.
        let o = visit(today);
        assert!(o.status.success(), "{}", text(&o.stderr));
    } else {
        // The server's today is Beijing's tomorrow: still in the future.
        let o = visit(today.succ_opt().unwrap());
        assert!(!o.status.success(), "{}", text(&o.stdout));
        assert!(visit(today).status.success());
    }
    let out = String::from_utf8(
        db.cmd(&["lead", "list"])
            .env("TZ", tz)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(out.contains(&today.to_string()), "{out}");
}
