//! 模拟数据: a realistic synthetic county for demos, tests and benchmarks, written as the
//! import templates (registry and department feeds) for the county's real villages.

use crate::ServiceError;
use domain::{RegionCode, RegionLevel};
use std::path::Path;
use tabular::divisions::{self, Filter, Source};

/// Generates `households` households of `county` into `out`, deterministically for `seed`.
/// The divisions of the county's whole province are read so that some ID numbers carry the
/// codes of neighbouring counties, as people marry and move.
pub async fn generate(
    divisions: &Source,
    county: RegionCode,
    households: usize,
    seed: u64,
    out: &Path,
) -> Result<synth::Summary, ServiceError> {
    if county.level() != RegionLevel::County {
        return Err(ServiceError::Invalid(format!(
            "“{}”不是县级区划代码（应为6位，如520322）",
            county.short()
        )));
    }
    std::fs::create_dir_all(out).map_err(|source| ServiceError::Io {
        path: out.display().to_string(),
        source,
    })?;
    let source = divisions.clone();
    let out = out.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let province = county.ancestor(RegionLevel::Province).short();
        let all = divisions::read(
            &source,
            &Filter {
                prefix: Some(province),
            },
        )?;
        let cfg = synth::Config::from_divisions(county, &all, households, seed)?;
        Ok(synth::generate(&cfg, &out)?)
    })
    .await
    .map_err(|e| ServiceError::Invalid(format!("生成模拟数据失败：{e}")))?
}
