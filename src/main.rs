//! `fangpin` — the one binary: every subcommand is a thin call into `service`.
// Everything printed goes through `out` (sanitised, quiet on a closed pipe).
#![warn(clippy::print_stdout, clippy::print_stderr)]

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use domain::RegionCode;
use service::imports::{ImportOutcome, RegistryKind};
use service::keys::KeySource;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use store::Store;

#[macro_use]
mod out;
mod audit_cmd;
mod backup_cmd;
mod case_cmd;
mod demo;
mod key_cmd;
mod screen_cmd;
mod serve_cmd;
mod synonyms_cmd;

/// 防贫 — 防止返贫动态监测和帮扶: registry, screening and case management for counties.
#[derive(Parser)]
#[command(name = "fangpin", version, about, long_about = None)]
struct Cli {
    /// Database URL: sqlite://FILE (embedded, default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "FANGPIN_DATABASE_URL",
        default_value = "sqlite://fangpin.db"
    )]
    database_url: String,

    /// Key file protecting ID numbers and phones (FANGPIN_KEY, the key text, wins over it);
    /// by default /etc/fangpin/fangpin.key for root, else ~/.config/fangpin/fangpin.key.
    #[arg(
        long,
        global = true,
        env = "FANGPIN_KEY_FILE",
        default_value_os_t = service::keys::default_key_file(),
        hide_default_value = true
    )]
    key_file: PathBuf,

    /// Who is acting, recorded with every import.
    #[arg(long, global = true, env = "FANGPIN_ACTOR")]
    actor: Option<String>,

    /// The county's time zone, for every day the system reckons (deadlines, overdue
    /// flags, today's date): Asia/Shanghai (Beijing time), UTC, or an offset like +08:00.
    /// Not the server's own zone, which is often UTC.
    #[arg(long, global = true, env = "FANGPIN_TIME_ZONE", default_value = "Asia/Shanghai",
          value_parser = parse_zone)]
    time_zone: domain::Zone,

    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build a demo county on SQLite (桐梓县 520322, 20,000 households) and summarise it.
    Demo(demo::DemoArgs),
    /// Create a new key file for a new deployment (keep a backup: without it personal
    /// fields cannot be decrypted).
    Keygen(key_cmd::KeygenArgs),
    /// 密钥管理: rotate to a new key or suite (see docs/operations.md).
    #[command(subcommand)]
    Key(key_cmd::KeyCmd),
    /// Import divisions, households, members or incomes.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Write an empty import template (.xlsx) with drop-down lists and an explanation sheet.
    Template {
        /// households | members | incomes | medical | disability | disaster | assistance |
        /// employment | schooling | housing | death
        kind: String,
        out: PathBuf,
    },
    /// Export households, members or incomes to .xlsx or .csv (re-importable as is).
    Export {
        /// households | members | incomes
        kind: String,
        out: PathBuf,
        /// Only this division's subtree (e.g. 520322 or 520322101).
        #[arg(long)]
        region: Option<String>,
    },
    /// Generate a realistic synthetic county as import files (registry and feeds).
    Generate(GenerateArgs),
    /// Summarise a county by township.
    Summary {
        #[arg(long)]
        county: String,
    },
    /// Department data batches: list or withdraw.
    #[command(subcommand)]
    Feed(screen_cmd::FeedCmd),
    /// The screening policy (监测政策): load a version, show the one in effect.
    #[command(subcommand)]
    Policy(screen_cmd::PolicyCmd),
    /// Departments' own words (同义词表) for feed values: load a county's table, show the
    /// one in effect, list its versions.
    #[command(subcommand)]
    Synonyms(synonyms_cmd::SynonymsCmd),
    /// Screen every household against the policy (筛查预警) and open leads.
    Screen(screen_cmd::ScreenArgs),
    /// Data-quality checks of the registry (数据质量), listed by village.
    Quality(screen_cmd::QualityArgs),
    /// Leads (线索): list, dismiss.
    #[command(subcommand)]
    Lead(case_cmd::LeadCmd),
    /// Monitoring cases (监测案件): open from a lead, act step by step, show, pending.
    #[command(subcommand)]
    Case(case_cmd::CaseCmd),
    /// 干部排查: record a cadre's visit to a household.
    Visit(case_cmd::VisitArgs),
    /// 农户自主申报: a household's declaration, and its status by receipt code.
    #[command(subcommand)]
    Declare(case_cmd::DeclareCmd),
    /// 公示 / 公告 for a village batch of cases (printable; no personal data beyond the
    /// permitted fields).
    Notice(case_cmd::NoticeArgs),
    /// 帮扶措施: record, list, and check a case's plan.
    #[command(subcommand)]
    Measure(case_cmd::MeasureCmd),
    /// Bring the database's schema up to date (every other command does so too). Run it
    /// with the owner role on PostgreSQL when the service runs as a role that may not
    /// change the schema (docs/security.md).
    Migrate,
    /// 审计日志: verify the hash chain, list who did what.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCmd),
    /// Run the HTTP service: the JSON API under /api/v1 (see docs/api.md).
    Serve(serve_cmd::ServeArgs),
    /// Accounts (账号): add, list, disable, enable, reset-password.
    #[command(subcommand)]
    User(serve_cmd::UserCmd),
    /// Bearer tokens of department systems: create, revoke, list.
    #[command(subcommand)]
    Token(serve_cmd::TokenCmd),
    /// 备份: a consistent copy of the whole database in a new file, made while the service
    /// runs (SQLite: VACUUM INTO; PostgreSQL: pg_dump). The key is not in it: back the key
    /// file up separately.
    Backup(backup_cmd::BackupArgs),
    /// 恢复: put a backup in place of the database (stop the service first). A database that
    /// holds data is replaced only with --force.
    Restore(backup_cmd::RestoreArgs),
    /// Panics on purpose: what a user sees when the program meets a defect (for tests, and
    /// for checking the scripts that run fangpin).
    #[command(hide = true)]
    InternalErrorTest,
}

#[derive(Subcommand)]
enum ImportCmd {
    /// Load the statistics bureau's division codes (provinces … villages).
    Regions {
        /// A newer release of the division files (provinces.csv … villages.csv[.gz]);
        /// without it, the copy built into this program.
        #[arg(long, env = "FANGPIN_DIVISIONS")]
        divisions: Option<PathBuf>,
        /// Only this province (2 digits), with its cities, counties, townships and villages.
        #[arg(long)]
        province: Option<String>,
        /// Only this county (6 digits) and its ancestors.
        #[arg(long, conflicts_with = "province")]
        county: Option<String>,
    },
    /// 户信息
    Households(FileArgs),
    /// 人口信息
    Members(FileArgs),
    /// 收支信息
    Incomes(FileArgs),
    /// 部门数据: a department's feed (医保结算, 残疾人证, 受灾人员, 社会救助, 就业, 学籍,
    /// 住房鉴定, 死亡).
    Feed(screen_cmd::FeedFileArgs),
}

#[derive(Args)]
struct FileArgs {
    /// A .csv (UTF-8 or GB18030) or .xlsx file.
    file: PathBuf,
    /// Sheet name for .xlsx (default: the first sheet).
    #[arg(long)]
    sheet: Option<String>,
    /// Also write every problem of a rejected file to this CSV.
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct GenerateArgs {
    /// County code (6 digits), e.g. 520322.
    #[arg(long)]
    county: String,
    /// Number of households.
    #[arg(long, default_value_t = 20_000)]
    households: usize,
    /// Random seed; the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// A newer release of the division files; without it, the copy built into this program.
    #[arg(long, env = "FANGPIN_DIVISIONS")]
    divisions: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs one JSON object per line (for the log collector), at info by default
    // so that every request leaves a line; commands log plain text, warnings only.
    let serving = matches!(cli.command, Command::Serve(_));
    let level = match (cli.verbose, serving) {
        (0, false) => "warn",
        (0, true) | (1, _) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FANGPIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    if serving {
        tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    out::on_panic(cli.verbose, serving);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            errln!("错误：无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(run(cli))));
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            errln!("错误：{e:#}");
            ExitCode::FAILURE
        }
        Err(_) => {
            // The hook has told the user; threads still working are not waited for.
            rt.shutdown_background();
            ExitCode::from(out::EXIT_INTERNAL)
        }
    }
}

fn actor(cli: &Cli) -> String {
    cli.actor.clone().unwrap_or_else(|| {
        format!(
            "cli:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".into())
        )
    })
}

async fn open(cli: &Cli) -> Result<Store> {
    let vault = KeySource {
        file: cli.key_file.clone(),
    }
    .load()?;
    let store = Store::open(&cli.database_url, vault)
        .await
        .with_context(|| format!("打开数据库 {}", store::redact_url(&cli.database_url)))?;
    // The audit log names the operator of the command line (--actor, else the OS user).
    Ok(store
        .with_zone(cli.time_zone)
        .acting_as(store::audit::Who::system(actor(cli))))
}

fn parse_zone(text: &str) -> Result<domain::Zone, String> {
    domain::Zone::parse(text)
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Keygen(args) => key_cmd::keygen(&cli.key_file, args),
        Command::Key(cmd) => {
            let who = store::audit::Who::system(actor(&cli));
            key_cmd::key(&cli.database_url, &cli.key_file, who, cmd).await
        }
        Command::Import(ImportCmd::Regions {
            divisions,
            province,
            county,
        }) => {
            let store = open(&cli).await?;
            let prefix = county.as_deref().or(province.as_deref());
            let source = tabular::divisions::Source::from_option(divisions.as_deref());
            let loaded = service::regions::import_regions(&store, &source, prefix).await?;
            for (level, n) in &loaded.by_level {
                outln!("{:<4} {n:>7}", level.label());
            }
            outln!("新增或更名 {} 个区划", loaded.changed);
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(ImportCmd::Feed(args)) => {
            let store = open(&cli).await?;
            screen_cmd::import_feed(&store, args, &actor(&cli)).await
        }
        Command::Import(cmd) => {
            let (kind, args) = match cmd {
                ImportCmd::Households(a) => (RegistryKind::Households, a),
                ImportCmd::Members(a) => (RegistryKind::Members, a),
                ImportCmd::Incomes(a) => (RegistryKind::Incomes, a),
                ImportCmd::Regions { .. } | ImportCmd::Feed(_) => unreachable!("handled above"),
            };
            let store = open(&cli).await?;
            let outcome = service::imports::import_registry(
                &store,
                kind,
                &args.file,
                args.sheet.as_deref(),
                &actor(&cli),
                None,
            )
            .await?;
            Ok(print_outcome(&outcome, args.report.as_deref())?)
        }
        Command::Template { kind, out } => {
            let t =
                tabular::spec::by_name(kind).with_context(|| format!("没有名为“{kind}”的模板"))?;
            tabular::write::write_template(t, out)?;
            outln!("已写出{}模板 {}", t.title, out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { kind, out, region } => {
            let kind = RegistryKind::parse(kind).with_context(|| {
                format!("只能导出 households、members 或 incomes，不能导出“{kind}”")
            })?;
            let scope = region.as_deref().map(RegionCode::parse).transpose()?;
            let store = open(&cli).await?;
            let n = service::exports::export_registry(&store, kind, out, scope).await?;
            outln!("已导出{} {n} 行到 {}", kind.template().title, out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate(args) => {
            let county = RegionCode::parse(&args.county)?;
            let summary = service::synthetic::generate(
                &tabular::divisions::Source::from_option(args.divisions.as_deref()),
                county,
                args.households,
                args.seed,
                &args.out,
            )
            .await?;
            outln!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Summary { county } => {
            let county = RegionCode::parse(county)?;
            let store = open(&cli).await?;
            let lines = service::stats::county_summary(&store, county).await?;
            out!("{}", demo::render_summary(&lines));
            Ok(ExitCode::SUCCESS)
        }
        Command::Feed(cmd) => {
            let store = open(&cli).await?;
            screen_cmd::feed(&store, cmd, &actor(&cli)).await
        }
        Command::Policy(cmd) => {
            let store = open(&cli).await?;
            screen_cmd::policy(&store, cmd, &actor(&cli)).await
        }
        Command::Synonyms(cmd) => {
            let store = open(&cli).await?;
            synonyms_cmd::synonyms(&store, cmd, &actor(&cli)).await
        }
        Command::Screen(args) => {
            let store = open(&cli).await?;
            screen_cmd::screen(&store, args, &actor(&cli)).await
        }
        Command::Quality(args) => {
            let store = open(&cli).await?;
            screen_cmd::quality(&store, args).await
        }
        Command::Lead(cmd) => {
            let store = open(&cli).await?;
            case_cmd::lead(&store, cmd).await
        }
        Command::Case(cmd) => {
            let store = open(&cli).await?;
            case_cmd::case(&store, cmd).await
        }
        Command::Visit(args) => {
            let store = open(&cli).await?;
            case_cmd::visit(&store, args).await
        }
        Command::Declare(cmd) => {
            let store = open(&cli).await?;
            case_cmd::declare(&store, cmd).await
        }
        Command::Notice(args) => {
            let store = open(&cli).await?;
            case_cmd::notice(&store, args).await
        }
        Command::Measure(cmd) => {
            let store = open(&cli).await?;
            case_cmd::measure(&store, cmd).await
        }
        Command::Migrate => {
            open(&cli).await?;
            outln!("数据库结构已是最新");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(cmd) => {
            let store = open(&cli).await?;
            audit_cmd::audit(&store, cmd).await
        }
        Command::Serve(args) => serve_cmd::serve(open(&cli).await?, args).await,
        Command::User(cmd) => serve_cmd::user(&open(&cli).await?, cmd).await,
        Command::Token(cmd) => serve_cmd::token(&open(&cli).await?, cmd).await,
        Command::Backup(args) => {
            let store = open(&cli).await?;
            backup_cmd::backup(&store, &cli.database_url, &cli.key_file, args).await
        }
        Command::Restore(args) => {
            let who = store::audit::Who::system(actor(&cli));
            backup_cmd::restore(&cli.database_url, &cli.key_file, who, args).await
        }
        Command::InternalErrorTest => panic!("deliberate panic of internal-error-test"),
    }
}

/// Prints an import's outcome; a rejected file exits with status 2.
fn print_outcome(outcome: &ImportOutcome, report_csv: Option<&Path>) -> Result<ExitCode> {
    match outcome {
        ImportOutcome::Imported {
            batch_id,
            rows,
            counts,
            report,
        } => {
            outln!(
                "导入成功（批次 {batch_id}，{}）：共 {rows} 行，新增 {}，更新 {}，未变 {}",
                report.source_note,
                counts.inserted,
                counts.updated,
                counts.unchanged
            );
            for w in &report.warnings {
                outln!("提示：{w}");
            }
            Ok(ExitCode::SUCCESS)
        }
        ImportOutcome::Rejected { report } => {
            outln!("{}", report.render_text(200));
            outln!("文件未导入，数据库没有任何改动。请修改后重新导入。");
            if let Some(p) = report_csv {
                report
                    .write_csv(p)
                    .with_context(|| format!("写出问题报告 {}", p.display()))?;
                outln!("完整问题清单已写入 {}", p.display());
            }
            Ok(ExitCode::from(2))
        }
    }
}
