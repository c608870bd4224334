//! Reads and sign-ins while an import runs: the latencies a clerk sees when a county's
//! members file is being imported through the service (as a job). Prints p50/p90/p99/max
//! and the answers other than success, for reads and for sign-ins, first for a quiet
//! period (the baseline) and then for the length of the import job.
//!
//!     cargo run --release -p web --example during_import -- \
//!         --base http://127.0.0.1:8080 --user bench_county --password … \
//!         --file members.csv --kind members [--readers 8] [--baseline 10]
//!
//! Readers loop over household searches by 户编号 and by village, a household's page and the
//! case list, each logged in once; two sign-in clients log in every 250 ms (a sign-in is
//! 50 ms of argon2 and writes its session). `scripts/bench-during-import.sh` runs the
//! whole measurement on SQLite and PostgreSQL.

use reqwest::Client;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

struct Args {
    base: String,
    user: String,
    password: String,
    file: String,
    kind: String,
    readers: usize,
    baseline: u64,
}

fn args() -> Args {
    let mut a = Args {
        base: "http://127.0.0.1:8080".into(),
        user: String::new(),
        password: String::new(),
        file: String::new(),
        kind: "members".into(),
        readers: 8,
        baseline: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--base" => a.base = v(),
            "--user" => a.user = v(),
            "--password" => a.password = v(),
            "--file" => a.file = v(),
            "--kind" => a.kind = v(),
            "--readers" => a.readers = v().parse().expect("--readers N"),
            "--baseline" => a.baseline = v().parse().expect("--baseline SECONDS"),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// Logs `c` in; the latency, and the status (0: no answer).
async fn login(a: &Args, c: &Client) -> (u64, u16, Option<String>) {
    let t = Instant::now();
    let r = c
        .post(format!("{}/api/v1/auth/login", a.base))
        .json(&serde_json::json!({"username": a.user, "password": a.password}))
        .send()
        .await;
    let us = t.elapsed().as_micros() as u64;
    match r {
        Ok(r) => {
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (us, status, body["csrf_token"].as_str().map(str::to_owned))
        }
        Err(_) => (us, 0, None),
    }
}

/// Latencies (µs) and the statuses other than success.
#[derive(Default)]
struct Sample {
    ok: Vec<u64>,
    all: Vec<u64>,
    failed: Vec<u16>,
}

impl Sample {
    fn add(&mut self, us: u64, status: u16) {
        self.all.push(us);
        if (200..300).contains(&status) {
            self.ok.push(us);
        } else {
            self.failed.push(status);
        }
    }

    fn merge(&mut self, o: Sample) {
        self.ok.extend(o.ok);
        self.all.extend(o.all);
        self.failed.extend(o.failed);
    }

    fn print(mut self, name: &str, seconds: f64) {
        self.all.sort_unstable();
        let p = |q: f64| {
            if self.all.is_empty() {
                return 0.0;
            }
            let i = ((self.all.len() as f64 - 1.0) * q).round() as usize;
            self.all[i] as f64 / 1000.0
        };
        let mut failed = self.failed.clone();
        failed.sort_unstable();
        let mut counts: Vec<(u16, usize)> = Vec::new();
        for s in failed {
            match counts.last_mut() {
                Some((last, n)) if *last == s => *n += 1,
                _ => counts.push((s, 1)),
            }
        }
        println!(
            "{name:<22} {:>6} requests ({:>5.1}/s)  ms: p50 {:>7.1}  p90 {:>7.1}  p99 {:>7.1}  max {:>7.1}  not 2xx: {}",
            self.all.len(),
            self.all.len() as f64 / seconds,
            p(0.50),
            p(0.90),
            p(0.99),
            p(1.0),
            if counts.is_empty() {
                "none".to_owned()
            } else {
                counts
                    .iter()
                    .map(|(s, n)| format!("{n}×{s}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
}

/// Runs the readers and the sign-in clients until `stop`; their samples.
async fn measure(a: Arc<Args>, urls: Arc<Vec<String>>, stop: Arc<AtomicBool>) -> (Sample, Sample) {
    let mut readers = Vec::new();
    for n in 0..a.readers {
        let (a, urls, stop) = (a.clone(), urls.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let c = client();
            let (_, status, _) = login(&a, &c).await;
            assert_eq!(status, 200, "reader login");
            let mut s = Sample::default();
            let mut i = n * 7919;
            while !stop.load(Ordering::Relaxed) {
                let url = &urls[i % urls.len()];
                i += 1;
                let t = Instant::now();
                let status = match c.get(url).send().await {
                    Ok(r) => {
                        let st = r.status().as_u16();
                        let _ = r.bytes().await;
                        st
                    }
                    Err(_) => 0,
                };
                s.add(t.elapsed().as_micros() as u64, status);
            }
            s
        }));
    }
    let mut signins = Vec::new();
    for _ in 0..2 {
        let (a, stop) = (a.clone(), stop.clone());
        signins.push(tokio::spawn(async move {
            let mut s = Sample::default();
            while !stop.load(Ordering::Relaxed) {
                let (us, status, _) = login(&a, &client()).await;
                s.add(us, status);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            s
        }));
    }
    let (mut r, mut l) = (Sample::default(), Sample::default());
    for t in readers {
        r.merge(t.await.unwrap());
    }
    for t in signins {
        l.merge(t.await.unwrap());
    }
    (r, l)
}

#[tokio::main]
async fn main() {
    let a = Arc::new(args());
    let probe = client();
    let (_, status, csrf) = login(&a, &probe).await;
    assert_eq!(status, 200, "login");
    let csrf = csrf.unwrap();
    let b = &a.base;
    // Real rows to read: the first households of the county.
    let page: Value = probe
        .get(format!("{b}/api/v1/households?per_page=100"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut urls = Vec::new();
    for h in page["items"].as_array().into_iter().flatten() {
        let no = h["household_no"].as_str().unwrap_or_default();
        urls.push(format!("{b}/api/v1/households?q={no}"));
        urls.push(format!("{b}/api/v1/households/{no}"));
        if let Some(v) = h["village"].as_str().or(h["village"]["code"].as_str()) {
            urls.push(format!("{b}/api/v1/households?village={v}&per_page=20"));
        }
    }
    urls.push(format!("{b}/api/v1/cases?per_page=20"));
    assert!(urls.len() > 10, "no households to read");
    let urls = Arc::new(urls);

    // Baseline: the same load with no import.
    let stop = Arc::new(AtomicBool::new(false));
    let run = tokio::spawn(measure(a.clone(), urls.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(a.baseline)).await;
    stop.store(true, Ordering::Relaxed);
    let (reads, signins) = run.await.unwrap();
    println!("-- without an import ({} s)", a.baseline);
    reads.print("reads", a.baseline as f64);
    signins.print("sign-ins", a.baseline as f64);

    // The import, as a job, with the same load beside it.
    let bytes = tokio::fs::read(&a.file).await.expect("the file to import");
    let size = bytes.len();
    let stop = Arc::new(AtomicBool::new(false));
    let run = tokio::spawn(measure(a.clone(), urls.clone(), stop.clone()));
    let started = Instant::now();
    let part = reqwest::multipart::Part::bytes(bytes).file_name(format!("{}.csv", a.kind));
    let r = probe
        .post(format!("{b}/api/v1/imports/{}", a.kind))
        .header("X-CSRF-Token", &csrf)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        202,
        "upload: {}",
        r.text().await.unwrap()
    );
    let uploaded = started.elapsed();
    let job: Value = r.json().await.unwrap();
    let location = format!("{b}{}", job["location"].as_str().unwrap());
    let mut stages = Vec::new();
    let result = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let v: Value = probe
            .get(&location)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let stage = v["stage"].as_str().unwrap_or_default().to_owned();
        if stages.last().map(|(s, _)| s) != Some(&stage) {
            stages.push((stage, started.elapsed()));
        }
        if matches!(v["state"].as_str(), Some("done" | "failed")) {
            break v;
        }
    };
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (reads, signins) = run.await.unwrap();
    println!(
        "-- during the import of {} ({} MB, uploaded in {:.1} s, job {} after {:.1} s: {})",
        a.file,
        size / 1_000_000,
        uploaded.as_secs_f64(),
        result["state"],
        took.as_secs_f64(),
        result["result"]
            .as_object()
            .map(|o| {
                ["rows", "inserted", "updated", "unchanged", "detail"]
                    .iter()
                    .filter_map(|k| o.get(*k).map(|v| format!("{k} {v}")))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    );
    println!(
        "   stages: {}",
        stages
            .iter()
            .map(|(s, t)| format!("{s} at {:.1} s", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    reads.print("reads", took.as_secs_f64());
    signins.print("sign-ins", took.as_secs_f64());
}
