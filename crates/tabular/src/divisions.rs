//! Reads the statistics bureau's division files (`shared/data/divisions`): provinces.csv,
//! cities.csv, areas.csv, streets.csv and the gzipped villages.csv.gz, read directly.

use domain::{RegionCode, RegionLevel};
use flate2::read::GzDecoder;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One division of the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    /// None for a province.
    pub parent: Option<RegionCode>,
}

#[derive(Debug, thiserror::Error)]
pub enum DivisionsError {
    #[error("无法读取区划文件 {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("区划文件 {path} 第{line}行格式错误: {message}")]
    Format {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

/// Which part of the country to load: a code prefix (province "52", county "520322"…).
/// The ancestors of the selected divisions are always included so that the tree is whole.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub prefix: Option<String>,
}

impl Filter {
    fn keep(&self, code: &str) -> bool {
        match &self.prefix {
            None => true,
            // Keep descendants of the prefix, and ancestors of it.
            Some(p) => code.starts_with(p.as_str()) || p.starts_with(code),
        }
    }
}

const FILES: [(&str, RegionLevel); 5] = [
    ("provinces.csv", RegionLevel::Province),
    ("cities.csv", RegionLevel::City),
    ("areas.csv", RegionLevel::County),
    ("streets.csv", RegionLevel::Township),
    ("villages.csv.gz", RegionLevel::Village),
];

/// Reads every level below `dir`, parents before children.
pub fn read(dir: &Path, filter: &Filter) -> Result<Vec<Division>, DivisionsError> {
    let mut out = Vec::new();
    for (file, level) in FILES {
        let path = dir.join(file);
        let f = File::open(&path).map_err(|source| DivisionsError::Io {
            path: path.clone(),
            source,
        })?;
        let reader: Box<dyn Read> = if file.ends_with(".gz") {
            Box::new(GzDecoder::new(f))
        } else {
            Box::new(f)
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(reader);
        for rec in rdr.records() {
            let rec = rec.map_err(|e| DivisionsError::Format {
                path: path.clone(),
                line: e.position().map_or(0, |p| p.line()),
                message: e.to_string(),
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            let code = rec.get(0).unwrap_or_default();
            if !filter.keep(code) {
                continue;
            }
            let fmt_err = |message: String| DivisionsError::Format {
                path: path.clone(),
                line,
                message,
            };
            if code.len() != level.digits() {
                return Err(fmt_err(format!("代码“{code}”位数不对")));
            }
            let parsed = RegionCode::parse(code).map_err(|e| fmt_err(e.message))?;
            let name = rec.get(1).unwrap_or_default().trim().to_string();
            out.push(Division {
                code: parsed,
                name,
                level,
                parent: parsed.parent(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/divisions")
    }

    #[test]
    fn reads_tongzi_county_with_ancestors() {
        let dir = shared();
        if !dir.exists() {
            panic!("shared division data not found at {}", dir.display());
        }
        let filter = Filter {
            prefix: Some("520322".into()),
        };
        let all = read(&dir, &filter).unwrap();
        let county = all.iter().find(|d| d.code.short() == "520322").unwrap();
        assert_eq!(county.name, "桐梓县");
        assert!(
            all.iter()
                .any(|d| d.level == RegionLevel::Province && d.name == "贵州省")
        );
        let villages = all
            .iter()
            .filter(|d| d.level == RegionLevel::Village)
            .count();
        assert_eq!(villages, 232);
        assert!(all.iter().any(|d| d.name == "楚米镇"));
    }
}
