//! Load test of a running `fangpin serve`: many concurrent clients, each logged in, calling
//! the API for a fixed time; prints throughput and latency percentiles per scenario.
//!
//!     cargo run --release -p web --example loadtest -- \
//!         --base http://127.0.0.1:8080 --user load_county --password … \
//!         --clients 50 --seconds 30 --scenario search
//!
//! Scenarios:
//! - `search`: household search — by 户编号, by a member's name, by village, paged;
//! - `cases`: the case list of the county, paged, and of single villages; the lead list;
//! - `open-cases N`: setup, not a measurement — opens cases from the first N open leads.
//!
//! The search terms are read from the service itself first (a page of households), so the
//! queries hit real rows. Figures are printed for the whole scenario, then for each kind of
//! request in it. `scripts/load-test.sh` runs the whole measurement.

use reqwest::Client;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    base: String,
    user: String,
    password: String,
    clients: usize,
    seconds: u64,
    scenario: String,
    count: usize,
}

fn args() -> Args {
    let mut a = Args {
        base: "http://127.0.0.1:8080".into(),
        user: String::new(),
        password: String::new(),
        clients: 50,
        seconds: 30,
        scenario: "search".into(),
        count: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--base" => a.base = v(),
            "--user" => a.user = v(),
            "--password" => a.password = v(),
            "--clients" => a.clients = v().parse().expect("--clients N"),
            "--seconds" => a.seconds = v().parse().expect("--seconds N"),
            "--scenario" => a.scenario = v(),
            "--count" => a.count = v().parse().expect("--count N"),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// A logged-in client and its CSRF token.
async fn login(a: &Args) -> (Client, String) {
    let c = Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(4)
        .build()
        .unwrap();
    let r = c
        .post(format!("{}/api/v1/auth/login", a.base))
        .json(&serde_json::json!({"username": a.user, "password": a.password}))
        .send()
        .await
        .expect("server reachable");
    assert!(r.status().is_success(), "login failed: {}", r.status());
    let body: Value = r.json().await.unwrap();
    (c, body["csrf_token"].as_str().unwrap().to_owned())
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let a = Arc::new(args());
    let (probe, csrf) = login(&a).await;
    if a.scenario == "open-cases" {
        open_cases(&a, &probe, &csrf).await;
        return;
    }
    let urls = Arc::new(urls(&a, &probe).await);
    println!(
        "scenario {}: {} clients for {} s over {} distinct URLs",
        a.scenario,
        a.clients,
        a.seconds,
        urls.len()
    );
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for n in 0..a.clients {
        let a = a.clone();
        let urls = urls.clone();
        tasks.push(tokio::spawn(async move {
            let (c, _) = login(&a).await;
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut i = n * 7919;
            while Instant::now() < deadline {
                let (kind, url) = &urls[i % urls.len()];
                i += 1;
                let t = Instant::now();
                match c.get(url).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push((*kind, t.elapsed().as_micros() as u64));
                    }
                    Ok(r) => {
                        errors += 1;
                        eprintln!("{} {url}", r.status());
                    }
                    Err(e) => {
                        errors += 1;
                        eprintln!("{e} {url}");
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.unwrap();
        all.extend(lat);
        errors += e;
    }
    let line = |name: &str, mut lat: Vec<u64>| {
        lat.sort_unstable();
        println!(
            "{name:<10} requests {:>7}  throughput {:>5.0}/s  latency ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
            lat.len(),
            lat.len() as f64 / a.seconds as f64,
            percentile(&lat, 0.50),
            percentile(&lat, 0.90),
            percentile(&lat, 0.99),
            percentile(&lat, 1.0),
        );
    };
    println!("errors {errors}");
    line("all", all.iter().map(|(_, l)| *l).collect());
    let mut kinds: Vec<&str> = all.iter().map(|(k, _)| *k).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        line(
            kind,
            all.iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, l)| *l)
                .collect(),
        );
    }
}

/// The URLs of a scenario, each with its kind, built from real rows.
async fn urls(a: &Args, c: &Client) -> Vec<(&'static str, String)> {
    let get = |path: String| {
        let c = c.clone();
        let url = format!("{}{path}", a.base);
        async move {
            let r = c.get(&url).send().await.unwrap();
            assert!(r.status().is_success(), "{url}: {}", r.status());
            r.json::<Value>().await.unwrap()
        }
    };
    let b = &a.base;
    let mut out = Vec::new();
    match a.scenario.as_str() {
        "search" => {
            for page in [1, 20, 60] {
                let v = get(format!("/api/v1/households?per_page=100&page={page}")).await;
                for h in v["items"].as_array().into_iter().flatten() {
                    let no = h["household_no"].as_str().unwrap_or_default();
                    out.push(("户编号", format!("{b}/api/v1/households?q={no}")));
                    if let Some(name) = h["head_name"].as_str() {
                        out.push((
                            "姓名",
                            format!("{b}/api/v1/households?q={name}&per_page=20"),
                        ));
                    }
                    if let Some(v) = h["village"].as_str().or(h["village"]["code"].as_str()) {
                        out.push((
                            "村",
                            format!("{b}/api/v1/households?village={v}&per_page=20"),
                        ));
                    }
                }
            }
            assert!(!out.is_empty(), "no households to search for");
        }
        "cases" => {
            // The county's list, paged deep; the lists of the villages the cases are in;
            // the county's open leads. The to-do list (/pending) is not part of it: it
            // reads every open case of the region (docs/operations.md#service).
            for p in 1..=200 {
                out.push(("案件(县)", format!("{b}/api/v1/cases?per_page=20&page={p}")));
            }
            let v = get("/api/v1/cases?per_page=100".to_owned()).await;
            for case in v["items"].as_array().into_iter().flatten() {
                if let Some(village) = case["village"].as_str() {
                    out.push((
                        "案件(村)",
                        format!("{b}/api/v1/cases?region={village}&per_page=20"),
                    ));
                }
            }
            for p in 1..=50 {
                out.push(("线索(县)", format!("{b}/api/v1/leads?per_page=20&page={p}")));
            }
        }
        other => panic!("unknown scenario {other}"),
    }
    out
}

/// Opens cases from the first `count` open leads (setup of the `cases` scenario).
async fn open_cases(a: &Args, c: &Client, csrf: &str) {
    // List totals stop at 1,000: whether the `count`-th case exists says whether enough do.
    let last: Value = c
        .get(format!(
            "{}/api/v1/cases?per_page=1&page={}",
            a.base, a.count
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    if last["items"].as_array().is_some_and(|i| !i.is_empty()) {
        println!("{} cases exist already", a.count);
        return;
    }
    let mut opened = 0;
    let started = Instant::now();
    while opened < a.count {
        let r = c
            .get(format!("{}/api/v1/leads?per_page=100", a.base))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        let ids: Vec<i64> = v["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["id"].as_i64())
            .collect();
        if ids.is_empty() {
            break;
        }
        for id in ids {
            if opened >= a.count {
                break;
            }
            let r = c
                .post(format!("{}/api/v1/leads/{id}/case", a.base))
                .header("X-CSRF-Token", csrf)
                .send()
                .await
                .unwrap();
            assert!(
                r.status().is_success(),
                "open case from lead {id}: {}",
                r.status()
            );
            opened += 1;
        }
    }
    println!(
        "opened {opened} cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
