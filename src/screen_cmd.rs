//! Subcommands of department feeds, the policy, screening and data quality: thin calls into
//! `service`, printing what a clerk needs to read.

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use domain::feed::parse_feed;
use domain::{Money, RegionCode};
use service::feeds::FeedOutcome;
use service::screening::{ScreenOptions, ScreenReport};
use std::path::PathBuf;
use std::process::ExitCode;
use store::Store;

#[derive(Args)]
pub(crate) struct FeedFileArgs {
    /// medical | disability | disaster | assistance | employment | schooling | housing | death
    /// (or the Chinese name: 医保结算 …)
    pub kind: String,
    /// A .csv (UTF-8 or GB18030) or .xlsx file.
    pub file: PathBuf,
    /// Sheet name for .xlsx (default: the first sheet).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Also write every problem of a rejected file to this CSV.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Subcommand)]
pub(crate) enum FeedCmd {
    /// List imported batches, newest first.
    List {
        /// Only this feed.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 30)]
        limit: i64,
    },
    /// Withdraw a batch (撤回): its records stop counting; the batch stays listed.
    Withdraw { batch: i64 },
}

#[derive(Subcommand)]
pub(crate) enum PolicyCmd {
    /// Check a policy file (TOML) and store it as a new version.
    Load { file: PathBuf },
    /// Print the policy in effect (the built-in default until one is loaded).
    Show {
        /// The policy in effect on this day (default today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
    },
    /// List every stored version.
    History,
}

#[derive(Args)]
pub(crate) struct ScreenArgs {
    /// Only this county (or any division code).
    #[arg(long)]
    pub county: Option<String>,
    /// Screening day (YYYY-MM-DD); default the latest date of the department data.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Compute and report without writing leads.
    #[arg(long)]
    pub dry_run: bool,
    /// Only households with department records imported since the last screening.
    #[arg(long)]
    pub incremental: bool,
    /// What if the monitoring line were this amount (yuan)? Reports households entering and
    /// leaving; writes nothing.
    #[arg(long)]
    pub line: Option<String>,
    /// What if a policy value were different, e.g. --set rules.income_drop.min_drop_percent=25
    /// (repeatable); writes nothing.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Write the flagged households to .csv, .xlsx or .json.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct QualityArgs {
    /// Only this county (or any division code).
    #[arg(long)]
    pub county: Option<String>,
    /// Ages are computed on this day (default today).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Write every finding to .csv, .xlsx or .json.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub(crate) async fn import_feed(
    store: &Store,
    args: &FeedFileArgs,
    actor: &str,
) -> Result<ExitCode> {
    let feed = parse_feed(&args.kind)?;
    let today = store.today();
    let outcome = service::feeds::import_feed(
        store,
        feed,
        &args.file,
        args.sheet.as_deref(),
        actor,
        today,
        None,
    )
    .await?;
    match outcome {
        FeedOutcome::Imported {
            batch_id,
            counts,
            period,
            report,
        } => {
            outln!(
                "导入成功（批次 {batch_id}，{}，{}）：共 {} 行，新增 {} 条，重复 {} 条，户籍外 {} 条；涉及 {} 户；数据期间 {} 至 {}",
                feed.label(),
                report.source_note,
                counts.rows,
                counts.stored,
                counts.duplicates,
                counts.unmatched,
                counts.households,
                period.0,
                period.1
            );
            for w in &report.warnings {
                outln!("提示：{w}");
            }
            print_mapped(&report);
            Ok(ExitCode::SUCCESS)
        }
        FeedOutcome::NothingNew { counts, report } => {
            outln!(
                "没有新记录（{}）：共 {} 行，重复 {} 条，户籍外 {} 条。数据库没有改动。",
                report.source_note,
                counts.rows,
                counts.duplicates,
                counts.unmatched
            );
            print_mapped(&report);
            Ok(ExitCode::SUCCESS)
        }
        FeedOutcome::Rejected { report } => {
            outln!("{}", report.render_text(200));
            outln!("文件未导入，数据库没有任何改动。请修改后重新导入。");
            if let Some(p) = &args.report {
                report
                    .write_csv(p)
                    .with_context(|| format!("写出问题报告 {}", p.display()))?;
                outln!("完整问题清单已写入 {}", p.display());
            }
            Ok(ExitCode::from(2))
        }
    }
}

/// The department words read as template values (同义词表), one line per word.
fn print_mapped(report: &tabular::Report) {
    for m in &report.mapped {
        outln!("按同义词读取：{m}");
    }
}

pub(crate) async fn feed(store: &Store, cmd: &FeedCmd, actor: &str) -> Result<ExitCode> {
    match cmd {
        FeedCmd::List { kind, limit } => {
            let feed = kind.as_deref().map(parse_feed).transpose()?;
            let batches = store.feed_batches(feed, *limit).await?;
            if batches.is_empty() {
                outln!("尚未导入部门数据");
            }
            for b in batches {
                let state = match (&b.withdrawn_at, &b.withdrawn_by) {
                    (Some(at), by) => format!(
                        "已撤回（{} {}）",
                        store.zone().local(*at).format("%Y-%m-%d %H:%M"),
                        by.as_deref().unwrap_or("")
                    ),
                    _ => "有效".to_owned(),
                };
                outln!(
                    "批次 {:>5}  {}  {}  {} 至 {}  共{}行 新增{} 重复{} 户籍外{} 涉及{}户  {}  {} {}",
                    b.id,
                    b.feed.0.label(),
                    b.file_name,
                    b.period_from,
                    b.period_to,
                    b.rows,
                    b.stored,
                    b.duplicates,
                    b.unmatched,
                    b.households,
                    state,
                    b.actor,
                    store.zone().local(b.imported_at).format("%Y-%m-%d %H:%M")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        FeedCmd::Withdraw { batch } => {
            let b = service::feeds::withdraw_batch(store, *batch, actor).await?;
            outln!(
                "已撤回批次 {}（{}，{}，{} 条记录）。已生成的预警和线索保留，下次筛查不再计入这些记录。",
                b.id,
                b.feed.0.label(),
                b.file_name,
                b.stored
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) async fn policy(store: &Store, cmd: &PolicyCmd, actor: &str) -> Result<ExitCode> {
    match cmd {
        PolicyCmd::Load { file } => {
            let (version, p, stored) = service::policy::load_policy(store, file, actor).await?;
            if stored {
                outln!(
                    "已加载监测政策第 {version} 版「{}」，自 {} 起生效",
                    p.title,
                    p.effective_from
                );
            } else {
                outln!("该政策与第 {version} 版相同，未重复保存");
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCmd::Show { as_of } => {
            let day = as_of.unwrap_or_else(|| store.today());
            let (stored, text) = service::policy::policy_for_day(store, day).await?;
            match stored {
                Some(p) => outln!(
                    "# 第 {} 版，{} 由 {} 加载，自 {} 起生效\n",
                    p.version,
                    store.zone().local(p.loaded_at).format("%Y-%m-%d %H:%M"),
                    p.loaded_by,
                    p.effective_from
                ),
                None => outln!("# 尚未加载监测政策：以下为内置默认政策\n"),
            }
            out!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        PolicyCmd::History => {
            let all = service::policy::history(store).await?;
            if all.is_empty() {
                outln!("尚未加载监测政策（筛查时使用内置默认政策）");
            }
            for p in all {
                outln!(
                    "第 {:>3} 版  自 {} 起生效  {}  {} {}",
                    p.version,
                    p.effective_from,
                    p.title,
                    p.loaded_by,
                    store.zone().local(p.loaded_at).format("%Y-%m-%d %H:%M")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A `--county` option as a division code.
pub(crate) fn region(code: &Option<String>) -> Result<Option<RegionCode>> {
    Ok(code.as_deref().map(RegionCode::parse).transpose()?)
}

pub(crate) async fn screen(store: &Store, args: &ScreenArgs, actor: &str) -> Result<ExitCode> {
    let mut overrides = Vec::new();
    for s in &args.set {
        let Some((k, v)) = s.split_once('=') else {
            bail!("--set 应写作 参数=值，例如 --set rules.income_drop.min_drop_percent=25");
        };
        overrides.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let opts = ScreenOptions {
        scope: region(&args.county)?,
        as_of: args.as_of,
        dry_run: args.dry_run,
        incremental: args.incremental,
        line: args.line.as_deref().map(Money::parse_yuan).transpose()?,
        overrides,
        actor: actor.to_owned(),
    };
    let report = service::screening::run_screening(store, &opts).await?;
    print_report(&report);
    if let Some(out) = &args.out {
        let names = names(store, &report).await?;
        let n = service::reports::write_screening(&report, &names, out)?;
        outln!("预警名单 {n} 户已写入 {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

async fn names(store: &Store, report: &ScreenReport) -> Result<service::reports::Names> {
    let mut names = service::reports::Names::default();
    for (code, (name, _)) in &report.by_township {
        names.insert(*code, name.clone());
    }
    let villages: std::collections::BTreeSet<RegionCode> =
        report.flagged.iter().map(|f| f.village).collect();
    for v in villages {
        if let Some(r) = store.region(v).await? {
            names.insert(v, r.name);
        }
    }
    Ok(names)
}

fn print_report(r: &ScreenReport) {
    let mode = if r.incremental {
        "增量筛查"
    } else {
        "全量筛查"
    };
    if r.policy_version == 0 {
        outln!(
            "{mode}：截至 {}，内置默认政策（尚未加载政策，试算不保存）",
            r.as_of
        );
    } else {
        outln!(
            "{mode}：截至 {}，监测政策第 {} 版「{}」",
            r.as_of,
            r.policy_version,
            r.policy_title
        );
    }
    for n in &r.notes {
        outln!("提示：{n}");
    }
    outln!(
        "筛查 {} 户（部门数据 {} 条），预警 {} 户",
        r.households,
        r.events,
        r.flagged.len()
    );
    if let Some(w) = &r.what_if {
        outln!(
            "试算：现行政策预警 {} 户，调整后 {} 户；新进入 {} 户，退出 {} 户（未写入数据库）",
            w.base,
            w.changed,
            w.enter,
            w.leave
        );
    }
    match r.run_id {
        Some(id) => outln!(
            "已记录筛查批次 {id}：新线索 {} 条，并入已有线索 {} 户，新增预警 {} 条",
            r.leads_new,
            r.leads_attached,
            r.warnings_new
        ),
        None if r.what_if.is_none() => outln!("试运行：未写入数据库"),
        None => {}
    }
    if !r.by_rule.is_empty() {
        outln!("\n按规则（户）：");
        for (rule, n) in &r.by_rule {
            outln!("  {:<20} {:<24} {n:>8}", rule.id(), rule.label());
        }
    }
    if !r.by_township.is_empty() {
        outln!("\n按乡镇（户）：");
        for (code, (name, n)) in &r.by_township {
            outln!("  {} {:<12} {n:>8}", code.short(), name);
        }
    }
    outln!(
        "\n用时：读取 {:.2} 秒，研判 {:.3} 秒，写入 {:.2} 秒",
        r.timings.load.as_secs_f64(),
        r.timings.evaluate.as_secs_f64(),
        r.timings.write.as_secs_f64()
    );
}

pub(crate) async fn quality(store: &Store, args: &QualityArgs) -> Result<ExitCode> {
    let report = service::screening::run_quality(store, region(&args.county)?, args.as_of).await?;
    outln!(
        "数据质量检查：{} 户，发现问题 {} 条",
        report.households,
        report.findings.len()
    );
    let mut by_code: std::collections::BTreeMap<String, (String, u64)> = Default::default();
    let mut by_village: std::collections::BTreeMap<RegionCode, u64> = Default::default();
    for f in &report.findings {
        by_code
            .entry(f.finding.code.tag())
            .or_insert_with(|| (f.finding.code.label().to_owned(), 0))
            .1 += 1;
        *by_village.entry(f.village).or_default() += 1;
    }
    for (tag, (label, n)) in &by_code {
        outln!("  {tag} {label:<28} {n:>8}");
    }
    let mut names = service::reports::Names::default();
    if !by_village.is_empty() {
        outln!("\n问题最多的村：");
        let mut top: Vec<_> = by_village.iter().collect();
        top.sort_by_key(|(_, n)| std::cmp::Reverse(**n));
        for (v, n) in top.iter().take(10) {
            let name = store
                .region(**v)
                .await?
                .map_or_else(|| v.to_string(), |r| r.name);
            outln!("  {v} {name:<16} {n:>6}");
        }
    }
    if let Some(out) = &args.out {
        for v in by_village.keys() {
            if let Some(r) = store.region(*v).await? {
                names.insert(*v, r.name);
            }
        }
        let n = service::reports::write_quality(&report, &names, out)?;
        outln!("问题清单 {n} 条已写入 {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
