//! Synthetic data for one county (合成数据): a deterministic generator of a realistic rural
//! registry — 户信息, 人口信息 and 收支信息 for several years — and of the eight department
//! feeds (医保结算, 残疾人证, 受灾人员, 社会救助, 就业, 学籍, 住房鉴定, 死亡) over a feed period,
//! written as CSV files with the Chinese headers of the import templates
//! ([`tabular::spec`]). It is the input of demos and benchmarks.
//!
//! The same [`Config`] always gives byte-identical files. Households are generated in
//! fixed-size chunks, each from its own random stream derived from `(seed, chunk index)`,
//! in parallel (rayon); the one sequential step hands out ID sequence numbers in chunk
//! order so that every ID number is unique. Rows are written in chunk order by a writer
//! thread while the next chunks are generated.
//!
//! Every figure the generator draws from is a documented constant in [`params`]. Inside:
//! `plan` spreads households over the villages and fixes the county's disasters, `registry`
//! drafts households and members, `ids` hands out the ID numbers, `events` writes incomes
//! and feeds, `csvout` formats rows without per-field allocation.
//!
//! ```no_run
//! # use std::path::Path;
//! let all = tabular::divisions::read(&tabular::divisions::Source::Embedded,
//!     &tabular::divisions::Filter { prefix: Some("52".into()) })?;
//! let county = domain::RegionCode::parse("520322")?;
//! let cfg = synth::Config::from_divisions(county, &all, 10_000, 42)?;
//! let summary = synth::generate(&cfg, Path::new("/tmp/tongzi"))?;
//! println!("{summary}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod csvout;
mod events;
mod ids;
mod names;
pub mod params;
mod plan;
mod registry;
mod rng;

use chrono::{Datelike, NaiveDate};
use domain::{RegionCode, RegionLevel};
use events::{FILES, render_chunk};
use ids::IdAllocator;
use plan::Plan;
use rayon::prelude::*;
use registry::{Chunk, draft_chunk};
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tabular::divisions::Division;
use tabular::spec::{self, Template};

/// One real village (村/社区) of the county, as loaded from the division files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Village {
    /// 村代码, 12 digits.
    pub code: RegionCode,
    /// 村名, e.g. "高山村村民委员会" (shortened to "高山村" in addresses).
    pub name: String,
    /// The 乡镇/街道 the village belongs to.
    pub township: RegionCode,
    /// 乡镇名, e.g. "楚米镇".
    pub township_name: String,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    /// The county (县) code.
    pub county: RegionCode,
    /// 县名, e.g. "桐梓县".
    pub county_name: String,
    /// The county's real villages; households are spread over them unevenly.
    pub villages: Vec<Village>,
    /// Number of households (户) to generate.
    pub households: usize,
    /// Random seed: the same configuration gives byte-identical files.
    pub seed: u64,
    /// Years of 收支信息 written for every household (default 2022–2025).
    pub income_years: RangeInclusive<u16>,
    /// First and last day covered by the department feeds (default the year 2025). The
    /// registry is a snapshot taken on the first day: ages refer to it.
    pub feed_period: (NaiveDate, NaiveDate),
    /// Other counties of the province: the issuing divisions of the ID numbers of members
    /// who married or moved in (most IDs carry the county's own code). Empty: every ID is
    /// issued by the county.
    pub other_counties: Vec<RegionCode>,
}

impl Config {
    /// A configuration with the default income years (2022–2025), feed period (2025) and no
    /// other issuing divisions.
    pub fn new(
        county: RegionCode,
        county_name: impl Into<String>,
        villages: Vec<Village>,
        households: usize,
        seed: u64,
    ) -> Self {
        Self {
            county,
            county_name: county_name.into(),
            villages,
            households,
            seed,
            income_years: 2022..=2025,
            feed_period: (
                NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid date"),
                NaiveDate::from_ymd_opt(2025, 12, 31).expect("valid date"),
            ),
            other_counties: Vec::new(),
        }
    }

    /// Builds a configuration for `county` from division records (as read by
    /// [`tabular::divisions::read`]): its name, its villages with their townships, and the
    /// other counties of the province found in `divisions` (load the province, e.g. prefix
    /// "52", to have them; with only the county loaded there are none).
    pub fn from_divisions(
        county: RegionCode,
        divisions: &[Division],
        households: usize,
        seed: u64,
    ) -> Result<Self, SynthError> {
        if county.level() != RegionLevel::County {
            return Err(SynthError::Config(format!("“{county}”不是县级区划代码")));
        }
        let county_name = divisions
            .iter()
            .find(|d| d.code == county)
            .map(|d| d.name.clone())
            .ok_or_else(|| SynthError::Config(format!("区划数据中没有县“{}”", county.short())))?;
        let township_name = |code: RegionCode| {
            divisions
                .iter()
                .find(|d| d.code == code)
                .map_or_else(String::new, |d| d.name.clone())
        };
        let mut villages: Vec<Village> = divisions
            .iter()
            .filter(|d| d.level == RegionLevel::Village && county.contains(d.code))
            .map(|d| {
                let township = d.code.ancestor(RegionLevel::Township);
                Village {
                    code: d.code,
                    name: d.name.clone(),
                    township,
                    township_name: township_name(township),
                }
            })
            .collect();
        villages.sort_by_key(|v| v.code);
        let province = county.ancestor(RegionLevel::Province);
        let mut other_counties: Vec<RegionCode> = divisions
            .iter()
            .filter(|d| {
                d.level == RegionLevel::County
                    && d.code != county
                    && province.contains(d.code)
                    && d.name != "市辖区"
            })
            .map(|d| d.code)
            .collect();
        other_counties.sort();
        let mut cfg = Self::new(county, county_name, villages, households, seed);
        cfg.other_counties = other_counties;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks that the configuration can be generated.
    pub fn validate(&self) -> Result<(), SynthError> {
        let bad = |m: String| Err(SynthError::Config(m));
        if self.county.level() != RegionLevel::County {
            return bad(format!("“{}”不是县级区划代码", self.county));
        }
        if self.households > 0 && self.villages.is_empty() {
            return bad("没有村：至少需要一个村才能生成农户".into());
        }
        for v in &self.villages {
            if v.code.level() != RegionLevel::Village || !self.county.contains(v.code) {
                return bad(format!(
                    "“{}”不是{}的村级区划代码",
                    v.code, self.county_name
                ));
            }
        }
        let (start, end) = self.feed_period;
        if end < start {
            return bad(format!("部门数据期间无效：{start} 晚于 {end}"));
        }
        if !(2001..=2099).contains(&start.year()) || !(2001..=2099).contains(&end.year()) {
            return bad("部门数据期间应在2001至2099年之间".into());
        }
        let (y0, y1) = (*self.income_years.start(), *self.income_years.end());
        if y1 < y0 || y0 < 2014 || y1 > 2099 {
            return bad(format!("收入年度{y0}–{y1}无效：应在2014至2099年之间"));
        }
        let lo = i32::from(y0).min(start.year());
        let hi = i32::from(y1).max(end.year());
        if hi - lo >= 64 {
            return bad("收入年度与部门数据期间合计跨度不能超过64年".into());
        }
        Ok(())
    }
}

/// Rows written to one file.
#[derive(Debug, Clone)]
pub struct FileSummary {
    /// The template whose headers the file has.
    pub template: &'static Template,
    /// File name, e.g. `members.csv`.
    pub file_name: String,
    /// Data rows (the header not counted).
    pub rows: u64,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone)]
pub struct Summary {
    /// One entry per file, in template order.
    pub files: Vec<FileSummary>,
    /// Wall-clock time of the generation.
    pub elapsed: Duration,
}

impl Summary {
    /// Rows of the file of template `name` (`"medical"`, `"members"` …).
    pub fn rows(&self, name: &str) -> Option<u64> {
        self.files
            .iter()
            .find(|f| f.template.name == name)
            .map(|f| f.rows)
    }

    /// Rows of all files.
    pub fn total_rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.files {
            writeln!(
                f,
                "{:<16} {:>12} 行  {}",
                file.file_name, file.rows, file.template.title
            )?;
        }
        write!(
            f,
            "合计 {} 行，用时 {:.2} 秒",
            self.total_rows(),
            self.elapsed.as_secs_f64()
        )
    }
}

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("生成配置无效：{0}")]
    Config(String),
    #[error("无法写入 {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// The file name a template is written to (`households.csv`, …).
pub fn file_name(template: &Template) -> String {
    format!("{}.csv", template.name)
}

/// Generates the county's data into `out_dir` (created if missing): one CSV file per
/// template of [`tabular::spec::ALL`], UTF-8, header row first.
pub fn generate(cfg: &Config, out_dir: &Path) -> Result<Summary, SynthError> {
    let t0 = Instant::now();
    cfg.validate()?;
    std::fs::create_dir_all(out_dir).map_err(|source| SynthError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let paths: Vec<PathBuf> = spec::ALL
        .iter()
        .map(|t| out_dir.join(file_name(t)))
        .collect();
    let mut sinks = Vec::with_capacity(FILES);
    for path in &paths {
        let f = File::create(path).map_err(|source| SynthError::Io {
            path: path.clone(),
            source,
        })?;
        sinks.push(BufWriter::with_capacity(1 << 20, f));
    }
    let (_, rows) = run(cfg, sinks).map_err(|(i, source)| SynthError::Io {
        path: paths[i].clone(),
        source,
    })?;
    Ok(summary(rows, t0.elapsed()))
}

/// Generated files held in memory (for tests and small demos).
#[derive(Debug)]
pub struct Generated {
    /// `(file name, CSV bytes)` in template order.
    pub files: Vec<(String, Vec<u8>)>,
    pub summary: Summary,
}

impl Generated {
    /// The bytes of the file of template `name` (`"members"` …).
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        let want = format!("{name}.csv");
        self.files
            .iter()
            .find(|(n, _)| *n == want)
            .map(|(_, b)| b.as_slice())
    }
}

/// Generates the county's data into memory: the same bytes [`generate`] writes.
pub fn generate_in_memory(cfg: &Config) -> Result<Generated, SynthError> {
    let t0 = Instant::now();
    cfg.validate()?;
    let (bufs, rows) =
        run(cfg, vec![Vec::<u8>::new(); FILES]).map_err(|(i, source)| SynthError::Io {
            path: PathBuf::from(file_name(spec::ALL[i])),
            source,
        })?;
    Ok(Generated {
        files: spec::ALL.iter().map(|t| file_name(t)).zip(bufs).collect(),
        summary: summary(rows, t0.elapsed()),
    })
}

fn summary(rows: [u64; FILES], elapsed: Duration) -> Summary {
    Summary {
        files: spec::ALL
            .iter()
            .zip(rows)
            .map(|(t, rows)| FileSummary {
                template: t,
                file_name: file_name(t),
                rows,
            })
            .collect(),
        elapsed,
    }
}

/// Chunks generated in parallel between two hand-overs to the writer.
const BATCH_CHUNKS: usize = 8;

/// The pipeline: per batch of chunks, draft in parallel, assign IDs in order, render in
/// parallel, and hand the bytes to a writer thread. An I/O error carries the file index.
fn run<W: Write + Send>(
    cfg: &Config,
    mut sinks: Vec<W>,
) -> Result<(Vec<W>, [u64; FILES]), (usize, io::Error)> {
    let plan = Plan::new(cfg);
    for (i, t) in spec::ALL.iter().enumerate() {
        let mut b = Vec::new();
        csvout::header(&mut b, &t.headers());
        sinks[i].write_all(&b).map_err(|e| (i, e))?;
    }
    let mut ids = IdAllocator::new(plan.divisions.clone(), plan.calendar.reference);
    let chunks = plan.chunks();
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<[csvout::Sink; FILES]>>(2);
        let writer = s.spawn(move || {
            let mut rows = [0u64; FILES];
            for batch in rx {
                for outs in batch {
                    for (i, o) in outs.iter().enumerate() {
                        sinks[i].write_all(&o.buf).map_err(|e| (i, e))?;
                        rows[i] += o.rows;
                    }
                }
            }
            for (i, s) in sinks.iter_mut().enumerate() {
                s.flush().map_err(|e| (i, e))?;
            }
            Ok((sinks, rows))
        });
        for first in (0..chunks).step_by(BATCH_CHUNKS) {
            let batch: Vec<usize> = (first..(first + BATCH_CHUNKS).min(chunks)).collect();
            let mut drafts: Vec<Chunk> = batch.par_iter().map(|&i| draft_chunk(&plan, i)).collect();
            for d in &mut drafts {
                ids.assign_chunk(d);
            }
            let outs: Vec<_> = drafts.par_iter().map(|c| render_chunk(&plan, c)).collect();
            if tx.send(outs).is_err() {
                break; // the writer failed; its error is returned below
            }
        }
        drop(tx);
        writer.join().expect("writer thread panicked")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_order_matches_templates() {
        use events::File as F;
        let order = [
            (F::Households, "households"),
            (F::Members, "members"),
            (F::Incomes, "incomes"),
            (F::Medical, "medical"),
            (F::Disability, "disability"),
            (F::Disaster, "disaster"),
            (F::Assistance, "assistance"),
            (F::Employment, "employment"),
            (F::Schooling, "schooling"),
            (F::Housing, "housing"),
            (F::Death, "death"),
        ];
        assert_eq!(spec::ALL.len(), FILES);
        for (f, name) in order {
            assert_eq!(spec::ALL[f as usize].name, name);
        }
    }
}
