//! `fangpin demo`: a fresh SQLite database with a realistic county, built in one command.

use anyhow::{Context, Result, bail};
use clap::Args;
use domain::RegionCode;
use domain::feed::Feed;
use service::feeds::FeedOutcome;
use service::imports::{ImportOutcome, RegistryKind};
use service::keys::KeySource;
use service::screening::ScreenOptions;
use service::stats::SummaryLine;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use store::Store;

/// The demo county: 桐梓县, 遵义市, 贵州省.
pub const DEMO_COUNTY: &str = "520322";
/// Marks a database as made by the demo, so that it may be replaced by the next demo.
const CREATED_BY: &str = "created_by";
const DEMO_MARK: &str = "fangpin demo";

#[derive(Args)]
pub struct DemoArgs {
    /// The SQLite file to create. An existing file is replaced only if a demo created it.
    #[arg(long, default_value = "demo.db")]
    db: PathBuf,
    /// Number of households to generate.
    #[arg(long, default_value_t = 20_000)]
    households: usize,
    /// Random seed of the synthetic data.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// County code.
    #[arg(long, default_value = DEMO_COUNTY)]
    county: String,
    /// A newer release of the division files; without it, the copy built into this program.
    #[arg(long, env = "FANGPIN_DIVISIONS")]
    divisions: Option<PathBuf>,
    /// Address of the demo server.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Build the database and stop, without starting the server.
    #[arg(long)]
    no_serve: bool,
}

/// The password of every demo account (a demo database only; never a real deployment).
pub const DEMO_PASSWORD: &str = "fangpin-demo-2026";

pub async fn run(args: &DemoArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let county = RegionCode::parse(&args.county)?;
    let divisions = tabular::divisions::Source::from_option(args.divisions.as_deref());
    let key_file = args.db.with_extension("key");
    prepare_file(&args.db).await?;
    let (vault, created) = KeySource {
        file: key_file.clone(),
    }
    .load_or_create()?;
    if created {
        outln!("已生成演示密钥 {}", key_file.display());
    }
    let url = format!("sqlite://{}", args.db.display());
    let store = Store::open(&url, vault).await?;
    store.meta_set(CREATED_BY, DEMO_MARK).await?;

    let loaded =
        service::regions::import_regions(&store, &divisions, Some(&county.short())).await?;
    let villages = loaded
        .by_level
        .iter()
        .find(|(l, _)| *l == domain::RegionLevel::Village)
        .map_or(0, |(_, n)| *n);
    outln!("已导入区划：{} 个村", villages);

    let data = args.db.with_extension("data");
    let summary =
        service::synthetic::generate(&divisions, county, args.households, args.seed, &data).await?;
    outln!(
        "已生成 {} 户模拟数据（{} 人）到 {}",
        args.households,
        summary.rows("members").unwrap_or(0),
        data.display()
    );
    for kind in [
        RegistryKind::Households,
        RegistryKind::Members,
        RegistryKind::Incomes,
    ] {
        let file = data.join(format!("{}.csv", kind.template().name));
        let t = Instant::now();
        match service::imports::import_registry(&store, kind, &file, None, "demo", None).await? {
            ImportOutcome::Imported { rows, .. } => outln!(
                "已导入{}：{rows} 行，用时 {:.1} 秒",
                kind.template().title,
                t.elapsed().as_secs_f64()
            ),
            ImportOutcome::Rejected { report } => {
                bail!("演示数据导入失败：\n{}", report.render_text(20))
            }
        }
    }
    let today = chrono::Local::now().date_naive();
    let mut feed_rows = 0;
    for feed in Feed::ALL {
        let file = data.join(format!("{}.csv", feed.name()));
        match service::feeds::import_feed(&store, *feed, &file, None, "demo", today, None).await? {
            FeedOutcome::Imported { counts, .. } | FeedOutcome::NothingNew { counts, .. } => {
                feed_rows += counts.stored;
            }
            FeedOutcome::Rejected { report } => {
                bail!("演示部门数据导入失败：\n{}", report.render_text(20))
            }
        }
    }
    outln!("已导入部门数据：8类 {feed_rows} 条");
    let lines = service::stats::county_summary(&store, county).await?;
    outln!();
    out!("{}", render_summary(&lines));
    let screened = service::screening::run_screening(
        &store,
        &ScreenOptions {
            actor: "demo".into(),
            ..ScreenOptions::default()
        },
    )
    .await?;
    outln!(
        "\n筛查预警（截至 {}）：{} 户中预警 {} 户，生成线索 {} 条",
        screened.as_of,
        screened.households,
        screened.flagged.len(),
        screened.leads_new
    );
    for (rule, n) in &screened.by_rule {
        outln!("  {:<24} {n:>6} 户", rule.label());
    }
    let prefix = format!(
        "fangpin --database-url sqlite://{} --key-file {}",
        args.db.display(),
        key_file.display()
    );
    outln!();
    outln!(
        "演示数据库 {} 已就绪（用时 {:.1} 秒）。查看：\n  {prefix} summary --county {}\n  {prefix} screen --dry-run --out 预警名单.xlsx\n  {prefix} quality",
        args.db.display(),
        started.elapsed().as_secs_f64(),
        county.short()
    );
    // The village account sits where the work is: a village with flagged households.
    let village = match screened.flagged.first() {
        Some(f) => f.village,
        None => store
            .regions_under(county, domain::RegionLevel::Village)
            .await?
            .first()
            .map(|r| r.code)
            .context("演示县没有村")?,
    };
    let accounts = demo_accounts(&store, county, village).await?;
    if args.no_serve {
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let config = web::ServerConfig {
        listen: args.listen,
        ..web::ServerConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("监听 {}（可用 --listen 换一个端口）", config.listen))?;
    outln!(
        "\n演示服务已启动：http://{}/api/v1（接口文档 /api/openapi.json），按 Ctrl-C 停止。",
        listener.local_addr()?
    );
    outln!("演示账号（密码均为 {DEMO_PASSWORD}）：");
    for (user, role, region) in &accounts {
        outln!("  {user:<18} {:<8} {region}", role.label());
    }
    outln!(
        "例如：curl -c c.txt -H 'Content-Type: application/json' -d '{{\"username\":\"demo_village\",\"password\":\"{DEMO_PASSWORD}\"}}' http://{}/api/v1/auth/login",
        listener.local_addr()?
    );
    web::serve(
        listener,
        web::AppState::new(store.clone(), config),
        web::shutdown_signal(),
    )
    .await?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// One account per role, bound inside the demo county (province and city viewers and the
/// system administrator above it): (user name, role, region).
async fn demo_accounts(
    store: &Store,
    county: RegionCode,
    village: RegionCode,
) -> Result<Vec<(String, domain::access::Role, RegionCode)>> {
    use domain::RegionLevel as L;
    use domain::access::Role;
    let mut out = Vec::new();
    for &role in Role::ALL {
        let region = match role.region_level() {
            Some(L::Village) => village,
            Some(L::Township) => village.ancestor(L::Township),
            Some(L::County) => county,
            Some(L::City) => county.ancestor(L::City),
            Some(L::Province) | None => county.ancestor(L::Province),
        };
        let user = format!(
            "demo_{}",
            match role {
                Role::Village => "village",
                Role::Township => "township",
                Role::CountyOperator => "operator",
                Role::CountyApprover => "approver",
                Role::CountyAdmin => "admin",
                Role::Department => "medical",
                Role::CityViewer => "city",
                Role::ProvinceViewer => "province",
                Role::SystemAdmin => "sysadmin",
            }
        );
        service::accounts::add_user(
            store,
            &service::accounts::NewAccount {
                username: user.clone(),
                display_name: format!("演示{}", role.label()),
                role,
                region,
                department: (role == Role::Department).then_some(Feed::Medical),
                password: DEMO_PASSWORD.to_owned(),
                must_change_password: false,
            },
            service::accounts::Creator::System,
        )
        .await?;
        out.push((user, role, region));
    }
    Ok(out)
}

/// Removes a previous demo database; refuses to touch any other file.
async fn prepare_file(db: &Path) -> Result<()> {
    if !db.exists() {
        return Ok(());
    }
    let mark = store::meta::peek_sqlite_meta(db, CREATED_BY).await;
    if mark.as_deref() != Some(DEMO_MARK) {
        bail!(
            "{} 已存在，且不是演示程序创建的数据库，不会覆盖。请换一个 --db 路径",
            db.display()
        );
    }
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("删除 {}", p.display()))?;
        }
    }
    Ok(())
}

/// The summary as an aligned table (CJK characters take two terminal columns).
pub fn render_summary(lines: &[SummaryLine]) -> String {
    let mut out = String::new();
    let row = |out: &mut String, cells: [&str; 5]| {
        out.push_str(&pad_right(cells[0], 16));
        for (cell, width) in cells[1..].iter().zip([8, 9, 12, 22]) {
            out.push_str(&pad_left(cell, width));
        }
        out.push('\n');
    };
    row(
        &mut out,
        ["乡镇", "户数", "人数", "脱贫户占比", "人均纯收入中位数(元)"],
    );
    for l in lines {
        let median = l
            .median_per_capita_net
            .map_or_else(|| "—".to_string(), |m| format!("{:.0}", m.as_yuan_f64()));
        row(
            &mut out,
            [
                &l.name,
                &l.households.to_string(),
                &l.persons.to_string(),
                &format!("{:.1}%", l.ex_poor_share * 100.0),
                &median,
            ],
        );
    }
    out
}

/// Display width, counting a CJK character as two columns.
fn width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn pad_right(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

fn pad_left(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}
