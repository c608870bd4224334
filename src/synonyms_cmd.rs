//! `fangpin synonyms`: the table of departments' own words (同义词表) — load a county's
//! document as a new version, show the table in effect, list the versions. Thin calls into
//! `service::synonyms`.

use anyhow::Result;
use clap::Subcommand;
use domain::feed::parse_feed;
use std::path::PathBuf;
use std::process::ExitCode;
use store::Store;

#[derive(Subcommand)]
pub(crate) enum SynonymsCmd {
    /// Check a county's document (TOML, laid over the built-in table) and store it as a new
    /// version; every later feed import reads with it.
    Load { file: PathBuf },
    /// Print the table in effect (the built-in one until a county document is loaded), as
    /// a document that loads back unchanged.
    Show {
        /// Only this feed (medical … or 医保结算 …).
        #[arg(long)]
        feed: Option<String>,
    },
    /// List every stored version, newest first.
    History,
}

pub(crate) async fn synonyms(store: &Store, cmd: &SynonymsCmd, actor: &str) -> Result<ExitCode> {
    match cmd {
        SynonymsCmd::Load { file } => {
            let (version, table, stored) =
                service::synonyms::load_synonyms(store, file, actor).await?;
            if stored {
                outln!(
                    "已加载同义词表第 {version} 版「{}」：共 {} 个词，其中本县新增或改写 {} 个；此后导入部门数据即按此表读取",
                    table.title,
                    table.len(),
                    service::synonyms::county_words(&table)
                );
            } else {
                outln!("该同义词表与第 {version} 版相同，未重复保存");
            }
        }
        SynonymsCmd::Show { feed } => {
            let feed = feed.as_deref().map(parse_feed).transpose()?;
            let effect = service::synonyms::synonyms_in_effect(store).await?;
            match &effect.stored {
                Some(s) => outln!(
                    "# 第 {} 版，{} 由 {} 加载；标“县级”的词为本县新增或改写，其余为内置\n",
                    s.version,
                    store.zone().local(s.loaded_at).format("%Y-%m-%d %H:%M"),
                    s.loaded_by
                ),
                None => outln!("# 尚未加载本县同义词表：以下为内置同义词表\n"),
            }
            out!("{}", effect.table.to_toml(feed));
        }
        SynonymsCmd::History => {
            let all = service::synonyms::history(store).await?;
            if all.is_empty() {
                outln!("尚未加载同义词表（导入部门数据时使用内置同义词表）");
            }
            for v in all {
                outln!(
                    "第 {:>3} 版  {}  {} {}  SHA-256 {}",
                    v.version,
                    v.title,
                    v.loaded_by,
                    store.zone().local(v.loaded_at).format("%Y-%m-%d %H:%M"),
                    &v.checksum[..12.min(v.checksum.len())]
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
