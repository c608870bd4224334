//! Subcommands of leads (线索) and cases (监测案件): triage a lead, walk a case through the
//! procedure step by step, list what is pending. Each is a thin call into `service::cases`;
//! the domain decides whether the step is allowed.

use crate::screen_cmd::region;
use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use domain::Money;
use domain::case::{Action, Actor, Case, Deadlines, Level, Outcome};
use domain::monitoring::{Category, RiskSet};
use std::process::ExitCode;
use store::Store;
use store::screening::lead_status;

/// Who acts: 村级 / 乡镇 / 县级 and a name, recorded with every step.
#[derive(Args)]
pub(crate) struct Who {
    /// 村级 | 乡镇 | 县级
    #[arg(long, default_value = "村级")]
    level: String,
    /// 经办人 name, recorded with the step.
    #[arg(long)]
    name: String,
}

impl Who {
    fn actor(&self) -> Result<Actor> {
        Ok(Actor::new(Level::parse(&self.level)?, self.name.clone()))
    }
}

#[derive(Subcommand)]
pub(crate) enum LeadCmd {
    /// List leads (open ones by default), by 户编号.
    List {
        #[arg(long)]
        county: Option<String>,
        /// open | dismissed | converted | all
        #[arg(long, default_value = "open")]
        status: String,
    },
    /// 不予纳入: close a lead with a reason the household can be told.
    Dismiss {
        lead: i64,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        who: Who,
    },
}

/// 干部排查: a cadre's visit; a risk found opens (or joins) the household's lead.
#[derive(Args)]
pub(crate) struct VisitArgs {
    /// 户编号
    household_no: String,
    /// 走访日期 (default today).
    #[arg(long)]
    on: Option<NaiveDate>,
    /// 走访人.
    #[arg(long)]
    visitor: String,
    /// 走访情况.
    #[arg(long)]
    findings: String,
    /// Risks found, joined by 、 (none: no lead).
    #[arg(long, default_value = "")]
    risks: String,
    /// 收入核实 at a follow-up visit of a monitored household: per-capita net income
    /// (yuan per year) as re-assessed.
    #[arg(long)]
    income: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum DeclareCmd {
    /// 农户自主申报: record a declaration and print its receipt code.
    New {
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        id_number: String,
        /// 村代码 (12 digits).
        #[arg(long)]
        village: String,
        /// 困难情况.
        #[arg(long)]
        difficulty: String,
        /// 风险类型, e.g. 因病.
        #[arg(long)]
        risk: String,
    },
    /// What became of a declaration, by its receipt code.
    Status { receipt: String },
}

pub(crate) async fn visit(store: &Store, a: &VisitArgs) -> Result<ExitCode> {
    let visit = domain::declaration::Visit {
        visited_on: a.on.unwrap_or_else(|| today(store)),
        visitor: a.visitor.clone(),
        findings: a.findings.clone(),
        risks: RiskSet::parse(&a.risks)?,
        income: yuan(&a.income, "--income")?,
    };
    let out = service::channels::record_visit(store, &a.household_no, &visit, today(store)).await?;
    if let Some(case) = out.case {
        outln!("已记录帮扶走访 {}（监测案件 {case}）", out.visit);
        if !visit.risks.is_empty() {
            outln!(
                "发现的风险（{}）已记入该案件，风险消除核查时计为新风险",
                visit.risks.label()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    match out.lead {
        None => outln!("已记录走访 {}：未发现风险", out.visit),
        Some((lead, true)) => outln!("已记录走访 {}，发现风险，已生成线索 {lead}", out.visit),
        Some((lead, false)) => outln!("已记录走访 {}，风险已并入该户线索 {lead}", out.visit),
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn declare(store: &Store, cmd: &DeclareCmd) -> Result<ExitCode> {
    match cmd {
        DeclareCmd::New {
            name,
            phone,
            id_number,
            village,
            difficulty,
            risk,
        } => {
            let d = domain::declaration::Declaration::parse(
                name, phone, id_number, village, difficulty, risk,
            )
            .map_err(|problems| {
                anyhow::anyhow!(
                    "{}",
                    problems
                        .iter()
                        .map(|p| p.message.as_str())
                        .collect::<Vec<_>>()
                        .join("；")
                )
            })?;
            let r = service::channels::declare(store, &d).await?;
            outln!(
                "申报已受理，回执码：{}（请妥善保存，凭此查询办理进度）",
                r.code
            );
            Ok(ExitCode::SUCCESS)
        }
        DeclareCmd::Status { receipt } => {
            outln!(
                "{}",
                service::channels::declaration_status(store, receipt).await?
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// 公示 / 公告 for a village batch of cases, as printable HTML or text.
#[derive(Args)]
pub(crate) struct NoticeArgs {
    /// 识别公示 | 风险消除公示 | 识别公告 | 风险消除公告
    kind: String,
    /// Cases of one village, joined by commas.
    #[arg(long)]
    cases: String,
    /// First and last day posted.
    #[arg(long)]
    from: NaiveDate,
    #[arg(long)]
    to: NaiveDate,
    /// 异议受理单位 and its office phone (a landline or a hotline, never a mobile).
    #[arg(long)]
    office: String,
    #[arg(long)]
    office_phone: String,
    /// 发布单位.
    #[arg(long)]
    issuer: String,
    /// Output: .html (printable) or .txt.
    #[arg(long)]
    out: std::path::PathBuf,
}

pub(crate) async fn notice(store: &Store, a: &NoticeArgs) -> Result<ExitCode> {
    use domain::notice::{NoticeKind, NoticeRules, OfficeContact};
    let kind = NoticeKind::parse(&a.kind)?;
    let ids = case_ids(&a.cases)?;
    let notice = service::notices::build(
        store,
        kind,
        &ids,
        service::notices::Publication {
            start: a.from,
            end: a.to,
            contact: OfficeContact {
                office: a.office.clone(),
                phone: a.office_phone.clone(),
            },
            issuer: a.issuer.clone(),
            issued_on: a.from,
        },
        &NoticeRules::default(),
    )
    .await?;
    let html = a
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    let text = if html {
        notice.render_html()
    } else {
        notice.render_text()
    };
    tabular::write::create_private(&a.out)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .with_context(|| format!("写出 {}", a.out.display()))?;
    outln!(
        "{}（{}户）已写入 {}",
        notice.title(),
        notice.entries().len(),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// 帮扶措施 of a case.
#[derive(Subcommand)]
pub(crate) enum MeasureCmd {
    /// Record a measure (once monitored, or on the fast track).
    Add {
        case: i64,
        /// 措施类型 (the catalogue's Chinese name, see docs/cases.md).
        #[arg(long = "type")]
        ty: String,
        /// 针对风险, joined by 、.
        #[arg(long)]
        risks: String,
        /// 责任部门.
        #[arg(long)]
        provider: String,
        #[arg(long)]
        start: NaiveDate,
        #[arg(long)]
        end: Option<NaiveDate>,
        /// 金额 (yuan).
        #[arg(long)]
        amount: Option<String>,
        /// 计划 | 实施中 | 已结束
        #[arg(long, default_value = "实施中")]
        status: String,
        /// Runs to its end after the risk is eliminated.
        #[arg(long)]
        continues: bool,
        #[command(flatten)]
        who: Who,
    },
    /// The measures of a case.
    List { case: i64 },
    /// What the measures cover, and what is still required or suggested (docs/domain.md §7.3).
    Plan { case: i64 },
}

pub(crate) async fn measure(store: &Store, cmd: &MeasureCmd) -> Result<ExitCode> {
    use domain::assistance::{Measure, MeasureStatus, MeasureType};
    match cmd {
        MeasureCmd::Add {
            case,
            ty,
            risks,
            provider,
            start,
            end,
            amount,
            status,
            continues,
            who,
        } => {
            let m = Measure {
                ty: MeasureType::parse(ty)?,
                target_risks: RiskSet::parse(risks)?,
                provider: provider.clone(),
                start: *start,
                end: *end,
                amount: yuan(amount, "--amount")?,
                status: MeasureStatus::parse(status)?,
                continues_after_elimination: *continues,
            };
            let cfg = service::cases::deadlines(store, today(store)).await?;
            let id =
                service::cases::add_measure(store, *case, &m, &who.actor()?, today(store), &cfg)
                    .await?;
            outln!("已登记措施 {id}：{}", m.ty.label());
            Ok(ExitCode::SUCCESS)
        }
        MeasureCmd::List { case } => {
            for (id, m) in store.measures_of(*case).await? {
                outln!(
                    "措施 {id}  {}  {}  {}  {} 起{}",
                    m.ty.label(),
                    m.target_risks.label(),
                    m.status.label(),
                    m.start,
                    m.end.map_or_else(String::new, |e| format!(" 至 {e}"))
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        MeasureCmd::Plan { case } => {
            let p = service::cases::plan(store, *case, today(store)).await?;
            if p.uncovered.is_empty() {
                outln!("每项风险均有措施覆盖");
            } else {
                outln!("尚无措施覆盖的风险：{}", p.uncovered.label());
            }
            for r in &p.required {
                outln!("需要：{r}");
            }
            for f in &p.flags {
                outln!("提示：{f}");
            }
            if !p.suggestions.is_empty() {
                let names: Vec<&str> = p.suggestions.iter().map(|t| t.label()).collect();
                outln!("可选措施：{}", names.join("、"));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum CaseCmd {
    /// 启动识别: open an identification case from a lead.
    Open {
        lead: i64,
        #[command(flatten)]
        who: Who,
    },
    /// Show a case: stage, steps done, history.
    Show { case: i64 },
    /// Every case of a household (户编号), oldest first.
    History { household_no: String },
    /// 待办 and 逾期: steps awaited and follow-up visits due, the most urgent first.
    Pending {
        /// A region's subtree (county, township or village code).
        #[arg(long)]
        county: Option<String>,
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Only what this level may do: 村级 | 乡镇 | 县级.
        #[arg(long)]
        level: Option<String>,
        /// Only the households this 帮扶责任人 is responsible for.
        #[arg(long)]
        helper: Option<String>,
        /// List follow-up visits falling due within this many days.
        #[arg(long, default_value_t = 7)]
        within: u32,
    },
    /// 帮扶责任人: make a cadre responsible for the case's household (the previous one
    /// hands over that day).
    Helper {
        case: i64,
        #[arg(long)]
        name: String,
        /// 工作单位及职务.
        #[arg(long)]
        unit: String,
        #[arg(long)]
        phone: String,
        /// 结对日期 (default today).
        #[arg(long)]
        since: Option<NaiveDate>,
    },
    /// One step of the procedure on a case.
    Act(Box<ActArgs>),
    /// 风险消除条件: which conditions of elimination hold today, and which do not.
    Check { case: i64 },
}

#[derive(Args)]
pub(crate) struct ActArgs {
    /// A case, or several cases of one village joined by commas (one meeting or one notice
    /// for the batch): all or nothing.
    cases: String,
    /// verify | consent | compare | review | publicity | objection | close-publicity |
    /// township | approve | approve-elimination | send-back | refuse | fast-track |
    /// assist | propose-elimination | rollback
    step: String,
    /// The day the step took place (default today).
    #[arg(long)]
    on: Option<NaiveDate>,
    #[command(flatten)]
    who: Who,
    /// Note, minutes, findings, objection text or reason, as the step needs.
    #[arg(long, default_value = "")]
    note: String,
    /// review/township: 同意 or 不同意 (then --note is the reason).
    #[arg(long, default_value = "同意")]
    outcome: String,
    /// consent: who signed; review: participants.
    #[arg(long, default_value = "")]
    people: String,
    /// approve: 监测对象类别.
    #[arg(long)]
    category: Option<String>,
    /// approve: risk types joined by 、 (one to five).
    #[arg(long)]
    risks: Option<String>,
    /// approve: per-capita net income used (yuan).
    #[arg(long)]
    per_capita: Option<String>,
    /// approve: monitoring line used (yuan).
    #[arg(long)]
    line: Option<String>,
    /// approve: a sudden shock (刚性支出较大或收入大幅缩减).
    #[arg(long)]
    shock: bool,
    /// objection: the facts are disputed, verify again.
    #[arg(long)]
    reverify: bool,
    /// verify (入户核实表): members actually living together.
    #[arg(long)]
    members: Option<u32>,
    /// verify: household net income of the last 12 months (yuan).
    #[arg(long)]
    income: Option<String>,
    /// verify: rigid spending of the last 12 months (yuan).
    #[arg(long, default_value = "0")]
    rigid: String,
    /// verify: 住房安全 (安全, A级, B级, C级, D级 …).
    #[arg(long)]
    housing: Option<String>,
    /// verify: 饮水安全 (安全 / 不安全).
    #[arg(long)]
    water: Option<String>,
    /// verify: a member is not in the basic medical insurance.
    #[arg(long)]
    uninsured: bool,
    /// verify: a child of compulsory-schooling age is out of school.
    #[arg(long)]
    dropout: bool,
    /// verify: members able to work.
    #[arg(long)]
    labour: Option<u32>,
    /// consent: what the household authorised the county to query.
    #[arg(long)]
    queries: Option<String>,
    /// consent: the scanned, signed 承诺授权书 (kept with the case).
    #[arg(long)]
    scan: Option<std::path::PathBuf>,
    /// propose-elimination: nobody in the household can work (整户无劳).
    #[arg(long)]
    no_labour: bool,
}

/// Today on the deployment's calendar (`--time-zone`), not the machine's.
fn today(store: &Store) -> NaiveDate {
    store.today()
}

/// Case ids joined by commas ("12,13,17").
fn case_ids(list: &str) -> Result<Vec<i64>> {
    list.split(',')
        .map(|s| s.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("案件编号“{list}”无效"))
}

pub(crate) async fn lead(store: &Store, cmd: &LeadCmd) -> Result<ExitCode> {
    match cmd {
        LeadCmd::List { county, status } => {
            let status = match status.as_str() {
                "open" => Some(lead_status::OPEN),
                "dismissed" => Some(lead_status::DISMISSED),
                "converted" => Some(lead_status::CONVERTED),
                "all" => None,
                other => bail!("--status 应为 open、dismissed、converted 或 all，不是“{other}”"),
            };
            let leads = store.leads(region(county)?, status).await?;
            for l in &leads {
                let category = l
                    .category
                    .and_then(Category::from_code)
                    .map_or("待研判", Category::label);
                let risks = RiskSet::from_bits(l.risks).unwrap_or_default().label();
                outln!(
                    "线索 {:>7}  {}  {}  {category}  {risks}  预警{}条  {}",
                    l.id,
                    l.household_no,
                    l.village,
                    l.warnings,
                    store.zone().local(l.created_at).format("%Y-%m-%d")
                );
            }
            outln!("共 {} 条", leads.len());
            Ok(ExitCode::SUCCESS)
        }
        LeadCmd::Dismiss { lead, reason, who } => {
            service::cases::dismiss_lead(store, *lead, reason, &who.actor()?).await?;
            outln!("线索 {lead} 已不予纳入：{reason}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) async fn case(store: &Store, cmd: &CaseCmd) -> Result<ExitCode> {
    let cfg = service::cases::deadlines(store, today(store)).await?;
    match cmd {
        CaseCmd::Open { lead, who } => {
            let id = service::cases::open_case(store, *lead, &who.actor()?, today(store)).await?;
            outln!("已立案：监测案件 {id}（线索 {lead}），下一步：入户核实");
            Ok(ExitCode::SUCCESS)
        }
        CaseCmd::Show { case } => {
            let row = store.case(*case).await?;
            outln!(
                "监测案件 {}  户 {}  村 {}",
                row.id,
                row.household_no,
                row.village
            );
            print_case(&row.case, &cfg);
            print_follow_up(store, &row, &cfg).await?;
            Ok(ExitCode::SUCCESS)
        }
        CaseCmd::History { household_no } => {
            let rows = store.cases_of_household(household_no).await?;
            if rows.is_empty() {
                outln!("户 {household_no} 没有监测案件");
            }
            if let Some(first) = rows.first() {
                for v in store.visits_of(first.household_id).await? {
                    print_visit(&v);
                }
            }
            for row in rows {
                outln!(
                    "\n监测案件 {}（{} 立案）",
                    row.id,
                    store.zone().local(row.created_at).format("%Y-%m-%d")
                );
                print_case(&row.case, &cfg);
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCmd::Pending {
            county,
            as_of,
            level,
            helper,
            within,
        } => {
            let day = as_of.unwrap_or_else(|| today(store));
            let q = service::cases::PendingQuery {
                scope: region(county)?,
                level: level.as_deref().map(Level::parse).transpose()?,
                helper: helper.as_deref(),
                visits_within_days: *within,
            };
            let list = service::cases::pending(store, &q, day, &cfg).await?;
            for p in &list {
                let levels: Vec<&str> = p.levels.iter().map(|l| l.label()).collect();
                outln!(
                    "案件 {:>6}  {}  {}  {}（{}）  期限 {}{}{}",
                    p.case_id,
                    p.household_no,
                    p.state.label(),
                    p.task,
                    levels.join("/"),
                    p.due.map_or_else(|| "—".to_owned(), |d| d.to_string()),
                    p.helper
                        .as_deref()
                        .map_or_else(String::new, |h| format!("  帮扶责任人 {h}")),
                    if p.overdue { "  已逾期" } else { "" }
                );
            }
            outln!(
                "待办 {} 件，其中逾期 {} 件",
                list.len(),
                list.iter().filter(|p| p.overdue).count()
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseCmd::Helper {
            case,
            name,
            unit,
            phone,
            since,
        } => {
            let helper = domain::assistance::Helper {
                name: name.clone(),
                unit: unit.clone(),
                phone: domain::Phone::parse(phone)?,
                since: since.unwrap_or_else(|| today(store)),
            };
            service::cases::assign_helper(store, *case, &helper, today(store)).await?;
            outln!(
                "监测案件 {case} 的帮扶责任人：{} {}（{}）",
                helper.name,
                helper.unit,
                helper.phone.masked()
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseCmd::Check { case } => {
            let results = service::cases::elimination_check(store, *case, today(store)).await?;
            for r in &results {
                let mark = if r.met { "满足" } else { "不满足" };
                outln!("[{mark}] {}：{}", r.code.label(), r.explanation);
            }
            if results.iter().all(|r| r.met) {
                outln!("可以提出风险消除");
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCmd::Act(a) => {
            let action = action(a, today(store))?;
            let ids = case_ids(&a.cases)?;
            if let Some(path) = &a.scan {
                let [id] = ids[..] else {
                    bail!("扫描件只能随一个案件上传");
                };
                let data =
                    std::fs::read(path).with_context(|| format!("读取 {}", path.display()))?;
                let name = path
                    .file_name()
                    .map_or_else(|| "扫描件".to_owned(), |n| n.to_string_lossy().into_owned());
                let row = service::cases::act_with_scan(
                    store,
                    id,
                    action,
                    (&name, &data),
                    &a.who.actor()?,
                    today(store),
                    &cfg,
                )
                .await?;
                outln!(
                    "已办理，附件“{name}”已随案保存。监测案件 {id} 现在：{}",
                    row.case.state.label()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let rows = service::cases::act_batch(
                store,
                &ids,
                &action,
                &a.who.actor()?,
                today(store),
                &cfg,
            )
            .await?;
            for row in rows {
                outln!(
                    "已办理。监测案件 {} 现在：{}",
                    row.id,
                    row.case.state.label()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn outcome(a: &ActArgs) -> Result<Outcome> {
    Ok(match a.outcome.as_str() {
        "同意" => Outcome::Agreed,
        "不同意" => Outcome::NotAgreed {
            reason: a.note.clone(),
        },
        other => bail!("--outcome 应为 同意 或 不同意，不是“{other}”"),
    })
}

fn yuan(v: &Option<String>, what: &str) -> Result<Option<Money>> {
    v.as_deref()
        .map(|s| Money::parse_yuan(s).with_context(|| what.to_owned()))
        .transpose()
}

fn action(a: &ActArgs, today: NaiveDate) -> Result<Action> {
    let on = a.on.unwrap_or(today);
    let note = a.note.clone();
    Ok(match a.step.as_str() {
        "verify" => Action::Verify {
            on,
            form: domain::case::Verification {
                members: a
                    .members
                    .context("入户核实须给出 --members（共同生活人数）")?,
                net_income_12m: yuan(&a.income, "--income")?
                    .context("入户核实须给出 --income（近12个月家庭纯收入）")?,
                rigid_spending_12m: Money::parse_yuan(&a.rigid).context("--rigid")?,
                housing: domain::HousingSafety::parse(
                    a.housing
                        .as_deref()
                        .context("入户核实须给出 --housing（住房安全）")?,
                )?,
                water: domain::WaterSafety::parse(
                    a.water
                        .as_deref()
                        .context("入户核实须给出 --water（饮水安全）")?,
                )?,
                all_insured: !a.uninsured,
                schooling_secured: !a.dropout,
                labour_members: a
                    .labour
                    .context("入户核实须给出 --labour（有劳动能力人数）")?,
                note,
            },
        },
        "consent" => Action::Consent {
            on,
            consent: domain::case::Consent {
                signed_by: a.people.clone(),
                queries: a.queries.clone().unwrap_or_default(),
                attachment: None,
            },
        },
        "compare" => Action::Compare { on, findings: note },
        "review" => Action::Review {
            on,
            participants: a.people.clone(),
            minutes: note,
            outcome: outcome(a)?,
        },
        "publicity" => Action::StartPublicity { on },
        "objection" => Action::Objection {
            on,
            text: note,
            reverify: a.reverify,
        },
        "close-publicity" => Action::ClosePublicity { on },
        "township" => Action::TownshipReview {
            on,
            note,
            outcome: outcome(a)?,
        },
        "approve" => Action::ApproveIdentification {
            on,
            category: Category::parse(a.category.as_deref().context("审定纳入须给出 --category")?)?,
            risks: RiskSet::parse(a.risks.as_deref().context("审定纳入须给出 --risks")?)?,
            per_capita: yuan(&a.per_capita, "--per-capita")?,
            line: yuan(&a.line, "--line")?.context("审定纳入须给出 --line（监测范围）")?,
            sudden_shock: a.shock,
        },
        "approve-elimination" => Action::ApproveElimination { on, note },
        "send-back" => Action::SendBack { on, reason: note },
        "refuse" => Action::Refuse { on, reason: note },
        "fast-track" => Action::FastTrack { on, reason: note },
        "assist" => Action::StartAssistance { on },
        "propose-elimination" => Action::ProposeElimination {
            on,
            note,
            whole_household_no_labour: a.no_labour,
        },
        "rollback" => Action::Rollback { on, reason: note },
        other => bail!("没有名为“{other}”的办理事项"),
    })
}

fn print_case(case: &Case, cfg: &Deadlines) {
    outln!("当前环节：{}", case.state.label());
    if let Some(due) = domain::case::due_date(case, cfg) {
        outln!("办理期限：{due}");
    }
    if let Some(i) = &case.identification {
        outln!(
            "纳入：{}  {}  {}",
            i.approved_on,
            i.category.label(),
            i.risks.label()
        );
    }
    for e in &case.history {
        outln!(
            "  {}  {:<10} {} → {}  {}:{}  {}",
            e.on,
            e.kind.label(),
            e.from.map_or("—", |s| s.label()),
            e.to.label(),
            e.actor.level.label(),
            e.actor.name,
            e.note
        );
    }
}

fn print_visit(v: &store::channels::VisitRow) {
    let kind = if v.case.is_some() {
        "帮扶走访"
    } else {
        "排查走访"
    };
    let income = v
        .income
        .map_or_else(String::new, |m| format!("  核实人均纯收入{m}元"));
    let lead = v.lead.map_or_else(String::new, |l| format!("（线索 {l}）"));
    outln!(
        "{kind} {}  {}  {}  {}{income}{lead}",
        v.on,
        v.visitor,
        v.findings,
        v.risks.label()
    );
}

/// 帮扶责任人 (current and earlier) and the case's follow-up visits with the next one due.
async fn print_follow_up(
    store: &Store,
    row: &store::cases::CaseRow,
    cfg: &Deadlines,
) -> Result<()> {
    for h in store.helpers_of(row.id).await? {
        let period = match h.ended_on {
            None => format!("自{}起", h.since),
            Some(end) => format!("{}至{end}", h.since),
        };
        outln!(
            "帮扶责任人：{} {} {}  {period}",
            h.name,
            h.unit,
            h.phone_masked
        );
    }
    let visits: Vec<_> = store
        .visits_of(row.household_id)
        .await?
        .into_iter()
        .filter(|v| v.case == Some(row.id))
        .collect();
    for v in &visits {
        print_visit(v);
    }
    if let Some(due) = domain::case::follow_up_due(&row.case, visits.first().map(|v| v.on), cfg) {
        outln!("下次帮扶走访：{due} 前");
    }
    Ok(())
}
