//! `fangpin audit`: check the audit log's hash chain (审计日志校验) and list its rows. Thin
//! calls into `service::audit`.

use anyhow::Result;
use clap::Subcommand;
use std::process::ExitCode;
use store::Store;
use store::audit::{AuditFilter, AuditRow};

#[derive(Subcommand)]
pub(crate) enum AuditCmd {
    /// Recompute the keyed hash chain: every row unchanged, none deleted (exit status 2 if
    /// not); with --anchors, also check every anchored head, so that cutting the newest
    /// rows is caught.
    Verify {
        /// An anchor file written by `fangpin audit anchor`.
        #[arg(long)]
        anchors: Option<std::path::PathBuf>,
    },
    /// Write the chain's head (last row id and hash) outside the database: appended to
    /// --file, or printed. Run it regularly (cron, systemd timer) onto storage the
    /// database's administrators cannot change (another server, write-once media, syslog).
    Anchor {
        /// Append the anchor line to this file (created 0600 if missing).
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// List audit rows, newest first.
    List {
        /// Only this kind of record: case, lead, measure, helper, visit, declaration,
        /// feed_batch, policy, screening_run, import, export.
        #[arg(long)]
        entity: Option<String>,
        /// Only this record (its id, with --entity).
        #[arg(long)]
        id: Option<String>,
        /// Only this user (操作人).
        #[arg(long)]
        actor: Option<String>,
        /// Only this action, or the actions under it (case.act lists case.act:入户核实 …).
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Rows older than this row id (the next page).
        #[arg(long)]
        before: Option<i64>,
    },
}

pub(crate) async fn audit(store: &Store, cmd: &AuditCmd) -> Result<ExitCode> {
    match cmd {
        AuditCmd::Anchor { file } => {
            let anchor = service::audit::anchor(store, file.as_deref()).await?;
            match file {
                Some(f) => outln!("已将链头（第 {} 条）写入 {}", anchor.id, f.display()),
                None => outln!("{}", anchor.line()),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCmd::Verify { anchors } => {
            let check = service::audit::verify(store).await?;
            match &check.first_bad {
                None => {
                    outln!("审计日志完整：已校验 {} 条记录，未发现篡改。", check.rows);
                    let (id, hash) = &check.head;
                    outln!("链头：第 {id} 条，哈希 {hash}（可用 fangpin audit anchor 另行记录）");
                    if let Some(f) = anchors {
                        let found = service::audit::check_anchors(store, f).await?;
                        if let Some(why) = found.broken.first() {
                            outln!("与链头记录不符：{why}");
                            return Ok(ExitCode::from(2));
                        }
                        outln!("与 {} 条链头记录核对无误。", found.checked);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Some((id, why)) => {
                    outln!("审计日志被篡改：第 {id} 条记录有问题。{why}");
                    outln!("此前的 {} 条记录校验无误。", check.rows);
                    Ok(ExitCode::from(2))
                }
            }
        }
        AuditCmd::List {
            entity,
            id,
            actor,
            action,
            limit,
            before,
        } => {
            let rows = service::audit::query(
                store,
                &AuditFilter {
                    entity: entity.clone(),
                    entity_id: id.clone(),
                    actor: actor.clone(),
                    action: action.clone(),
                    limit: *limit,
                    before_id: *before,
                    ..AuditFilter::default()
                },
            )
            .await?;
            if rows.is_empty() {
                outln!("没有符合条件的审计记录");
            }
            for r in &rows {
                print_row(r);
            }
            if rows.len() as u32 == *limit
                && let Some(last) = rows.last()
            {
                outln!("（更早的记录：加 --before {}）", last.id);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_row(r: &AuditRow) {
    let at =
        r.at.with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S");
    let region = r.region.map(|c| format!(" {c}")).unwrap_or_default();
    let target = match &r.entity_id {
        Some(id) => format!("{} {id}", r.entity),
        None => r.entity.clone(),
    };
    let client = r
        .client
        .as_deref()
        .map(|c| format!("  来自 {c}"))
        .unwrap_or_default();
    outln!(
        "#{:<6} {at}  {}（{}{region}）  {}  {target}{client}",
        r.id,
        r.actor,
        r.role,
        r.action
    );
    if let Some(b) = &r.before {
        outln!("        前：{b}");
    }
    if let Some(a) = &r.after {
        outln!("        后：{a}");
    }
}
