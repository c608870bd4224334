//! 导入区划: loads the statistics bureau's division hierarchy into the database.

use crate::ServiceError;
use domain::{Region, RegionLevel};
use store::Store;
use tabular::divisions::{self, Filter, Source};

/// How many divisions of each level were read, and how many were new or renamed.
#[derive(Debug, Clone, Default)]
pub struct RegionsLoaded {
    pub by_level: Vec<(RegionLevel, usize)>,
    pub changed: u64,
}

/// Loads the divisions of `source` (the embedded copy, or a newer release in a folder),
/// limited to a province or county code prefix.
pub async fn import_regions(
    store: &Store,
    source: &Source,
    prefix: Option<&str>,
) -> Result<RegionsLoaded, ServiceError> {
    if let Some(p) = prefix
        && (p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 12)
    {
        return Err(ServiceError::Invalid(format!(
            "区划代码前缀“{p}”无效：应为数字"
        )));
    }
    let filter = Filter {
        prefix: prefix.map(str::to_owned),
    };
    let source = source.clone();
    // Reading and un-gzipping 620,000 villages is blocking work.
    let all = tokio::task::spawn_blocking(move || divisions::read(&source, &filter))
        .await
        .map_err(|e| ServiceError::Invalid(format!("读取区划文件失败：{e}")))??;
    if all.is_empty() {
        return Err(ServiceError::Invalid(format!(
            "区划文件中没有代码以“{}”开头的区划",
            prefix.unwrap_or_default()
        )));
    }
    let mut by_level = Vec::new();
    for level in [
        RegionLevel::Province,
        RegionLevel::City,
        RegionLevel::County,
        RegionLevel::Township,
        RegionLevel::Village,
    ] {
        by_level.push((level, all.iter().filter(|d| d.level == level).count()));
    }
    let regions: Vec<Region> = all
        .into_iter()
        .map(|d| Region {
            code: d.code,
            name: d.name,
        })
        .collect();
    let changed = store.upsert_regions(&regions).await?;
    Ok(RegionsLoaded { by_level, changed })
}
