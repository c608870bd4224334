//! Generates a county's synthetic data and reports rows and time.
//!
//! ```text
//! cargo run -p synth --release --example gen -- \
//!     [--households 1000000] [--seed 42] [--county 520322] [--out /tmp/synth] \
//!     [--divisions DIR]
//! ```
//!
//! The divisions are the copy built into the program unless `--divisions` names a folder.
//! The province of the county is loaded so that IDs of married-in members can carry the
//! codes of other counties.

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut households = 1_000_000usize;
    let mut seed = 42u64;
    let mut county = "520322".to_string();
    let mut out = PathBuf::from("/tmp/synth");
    let mut divisions = tabular::divisions::Source::Embedded;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--households" => households = value()?.replace('_', "").parse()?,
            "--seed" => seed = value()?.parse()?,
            "--county" => county = value()?,
            "--out" => out = value()?.into(),
            "--divisions" => divisions = tabular::divisions::Source::Dir(value()?.into()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }

    let t0 = Instant::now();
    let code = domain::RegionCode::parse(&county)?;
    let filter = tabular::divisions::Filter {
        prefix: Some(county[..2].to_string()),
    };
    let all = tabular::divisions::read(&divisions, &filter)?;
    let cfg = synth::Config::from_divisions(code, &all, households, seed)?;
    println!(
        "{}: {} villages, {} other counties of the province; divisions read in {:.2} s",
        cfg.county_name,
        cfg.villages.len(),
        cfg.other_counties.len(),
        t0.elapsed().as_secs_f64()
    );
    let summary = synth::generate(&cfg, &out)?;
    println!("{summary}");
    println!("written to {}", out.display());
    Ok(())
}
