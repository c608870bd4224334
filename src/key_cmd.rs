//! `fangpin keygen` and `fangpin key rotate` (密钥管理): thin calls into `service::keys`.

use anyhow::Result;
use clap::{Args, Subcommand};
use service::keys::KeySource;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use store::Suite;
use store::audit::Who;
use store::rotation::RotateOptions;

#[derive(Args)]
pub(crate) struct KeygenArgs {
    /// Algorithms of the key: chacha20 (ChaCha20-Poly1305 / HMAC-SHA256) or sm4 (SM4-GCM /
    /// HMAC-SM3, the national algorithms of a 密评 assessment).
    #[arg(long, default_value = "chacha20", value_parser = parse_suite)]
    suite: Suite,
}

#[derive(Subcommand)]
pub(crate) enum KeyCmd {
    /// 密钥轮换: re-encrypt every ID number and phone and recompute their keyed hashes under
    /// a new key (created if the file does not exist), in batches; run it again after an
    /// interruption to finish. Stop `fangpin serve` first.
    Rotate(RotateArgs),
}

#[derive(Args)]
pub(crate) struct RotateArgs {
    /// The new key file (the current one is --key-file or FANGPIN_KEY).
    #[arg(long)]
    new_key_file: PathBuf,
    /// Algorithms of a new key file: chacha20 or sm4 (default: those of the current key).
    #[arg(long, value_parser = parse_suite)]
    suite: Option<Suite>,
    /// Rows per transaction.
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    /// Stop after this many batches, as an interruption would (tests of resumption).
    #[arg(long, hide = true)]
    stop_after_batches: Option<u64>,
}

fn parse_suite(s: &str) -> Result<Suite, String> {
    Suite::parse(s).map_err(|e| e.to_string())
}

pub(crate) fn keygen(key_file: &Path, a: &KeygenArgs) -> Result<ExitCode> {
    let v = service::keys::generate(key_file, a.suite)?;
    outln!(
        "已生成密钥文件 {}（{}，编号 {}，指纹 {}）。请备份到安全位置：丢失后无法解密证件号码和电话。",
        key_file.display(),
        v.suite().describe(),
        v.key_id(),
        v.fingerprint()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn key(url: &str, key_file: &Path, who: Who, cmd: &KeyCmd) -> Result<ExitCode> {
    let KeyCmd::Rotate(a) = cmd;
    let opts = RotateOptions {
        batch: a.batch,
        stop_after_batches: a.stop_after_batches,
    };
    let old = KeySource {
        file: key_file.to_path_buf(),
    };
    // A line when a table begins and at every 100,000 rows of it: alive, not chatty.
    let mut shown = (String::new(), 0u64);
    let r = service::keys::rotate(url, &old, &a.new_key_file, a.suite, &opts, who, |t, n| {
        if shown.0 != t || n / 100_000 > shown.1 / 100_000 {
            errln!("  {t}：已处理 {n} 行");
            shown = (t.to_string(), n);
        }
    })
    .await?;
    let new = a.new_key_file.display();
    if r.created {
        outln!(
            "已生成新密钥文件 {new}（{}，编号 {}，指纹 {}）。请立即备份。",
            r.suite.describe(),
            r.key_id,
            r.new_fingerprint
        );
    }
    let rep = &r.report;
    if rep.already_done {
        outln!(
            "数据库已使用新密钥（指纹 {}），无需轮换。",
            r.new_fingerprint
        );
        return Ok(ExitCode::SUCCESS);
    }
    for (table, n) in &rep.rows {
        outln!("{table:<14} {n:>10} 行");
    }
    if rep.interrupted {
        outln!(
            "密钥轮换已中断（{} 批）。再次运行同样的命令即可从中断处继续。",
            rep.batches
        );
        return Ok(ExitCode::from(3));
    }
    outln!(
        "密钥轮换完成{}：共重新加密 {} 行，{} 批，用时 {:.1} 秒；数据库的密钥指纹已由 {} 改为 {}。",
        if rep.resumed {
            "（接续上次）"
        } else {
            ""
        },
        rep.total_rows(),
        rep.batches,
        rep.elapsed.as_secs_f64(),
        r.old_fingerprint,
        r.new_fingerprint
    );
    outln!(
        "今后请使用新密钥：--key-file {new}（或 FANGPIN_KEY_FILE），或把它移到默认位置 {}。",
        service::keys::default_key_file().display()
    );
    outln!("旧密钥仍是恢复轮换前的备份所必需的：请与那些备份一起保管，不要删除。");
    Ok(ExitCode::SUCCESS)
}
