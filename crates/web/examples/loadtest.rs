//! Load test of a running `fangpin serve`: many concurrent clients, each logged in, calling
//! the API for a fixed time; prints throughput and latency percentiles per scenario.
//!
//!     cargo run --release -p web --example loadtest -- \
//!         --base http://127.0.0.1:8080 --user load_county --password … \
//!         --clients 50 --seconds 30 --scenario search
//!
//! Scenarios:
//! - `search`: household search — by 户编号, by a member's name, by village, paged;
//! - `cases`: the case list, paged;
//! - `open-cases N`: setup, not a measurement — opens cases from the first N open leads.
//!
//! The search terms are read from the service itself first (a page of households), so the
//! queries hit real rows. `scripts/load-test.sh` runs the whole measurement.

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
                let url = &urls[i % urls.len()];
                i += 1;
                let t = Instant::now();
                match c.get(url).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed().as_micros() as u64);
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
    all.sort_unstable();
    println!(
        "requests {}  errors {errors}  throughput {:.0}/s  latency ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        all.len(),
        all.len() as f64 / a.seconds as f64,
        percentile(&all, 0.50),
        percentile(&all, 0.90),
        percentile(&all, 0.99),
        percentile(&all, 1.0),
    );
}

/// The URLs of a scenario, built from real rows.
async fn urls(a: &Args, c: &Client) -> Vec<String> {
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
    match a.scenario.as_str() {
        "search" => {
            let mut out = Vec::new();
            for page in [1, 20, 60] {
                let v = get(format!("/api/v1/households?per_page=100&page={page}")).await;
                for h in v["items"].as_array().into_iter().flatten() {
                    let no = h["household_no"].as_str().unwrap_or_default();
                    out.push(format!("{b}/api/v1/households?q={no}"));
                    if let Some(name) = h["head_name"].as_str() {
                        out.push(format!("{b}/api/v1/households?q={name}&per_page=20"));
                    }
                    if let Some(v) = h["village"].as_str().or(h["village"]["code"].as_str()) {
                        out.push(format!("{b}/api/v1/households?village={v}&per_page=20"));
                    }
                }
            }
            assert!(!out.is_empty(), "no households to search for");
            out
        }
        "cases" => {
            // The to-do list (/pending) is not part of it: it reads every open case of
            // the region (docs/operations.md#service).
            (1..=200)
                .map(|p| format!("{b}/api/v1/cases?per_page=20&page={p}"))
                .collect()
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// Opens cases from the first `count` open leads (setup of the `cases` scenario).
async fn open_cases(a: &Args, c: &Client, csrf: &str) {
    let have: Value = c
        .get(format!("{}/api/v1/cases?per_page=1", a.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut opened = have["total"].as_u64().unwrap_or(0) as usize;
    if opened >= a.count {
        println!("{opened} cases exist already");
        return;
    }
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
