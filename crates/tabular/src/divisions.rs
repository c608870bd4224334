//! Reads the statistics bureau's division files: provinces.csv, cities.csv, areas.csv,
//! streets.csv and villages.csv, each plain or gzipped. The project's own copy
//! (`data/divisions`, with its licence) is embedded in the binary, so that a deployment
//! with no files beside it can load the divisions; a newer release can be read from a
//! folder instead ([`Source::Dir`]).

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

/// Where the division files come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Source {
    /// The copy built into the binary (`data/divisions` of the repository).
    #[default]
    Embedded,
    /// A folder holding a release of the same five files, each `X.csv` or `X.csv.gz`.
    Dir(PathBuf),
}

impl Source {
    /// A folder if one is given, else the embedded copy.
    pub fn from_option(dir: Option<&Path>) -> Self {
        dir.map_or(Source::Embedded, |d| Source::Dir(d.to_path_buf()))
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Embedded => f.write_str("内置区划数据"),
            Source::Dir(d) => write!(f, "{}", d.display()),
        }
    }
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

const LEVELS: [(&str, RegionLevel); 5] = [
    ("provinces", RegionLevel::Province),
    ("cities", RegionLevel::City),
    ("areas", RegionLevel::County),
    ("streets", RegionLevel::Township),
    ("villages", RegionLevel::Village),
];

/// The embedded copy, as stored in the repository: the two large files gzipped (5 MiB in
/// all instead of 30 MiB).
const EMBEDDED: [(&str, &[u8]); 5] = [
    (
        "provinces.csv",
        include_bytes!("../../../data/divisions/provinces.csv"),
    ),
    (
        "cities.csv",
        include_bytes!("../../../data/divisions/cities.csv"),
    ),
    (
        "areas.csv",
        include_bytes!("../../../data/divisions/areas.csv"),
    ),
    (
        "streets.csv.gz",
        include_bytes!("../../../data/divisions/streets.csv.gz"),
    ),
    (
        "villages.csv.gz",
        include_bytes!("../../../data/divisions/villages.csv.gz"),
    ),
];

/// Reads every level of `source`, parents before children.
pub fn read(source: &Source, filter: &Filter) -> Result<Vec<Division>, DivisionsError> {
    let mut out = Vec::new();
    for (i, (stem, level)) in LEVELS.into_iter().enumerate() {
        let (path, raw): (PathBuf, Box<dyn Read>) = match source {
            Source::Embedded => {
                let (name, bytes) = EMBEDDED[i];
                (PathBuf::from(name), Box::new(bytes))
            }
            Source::Dir(dir) => open_in(dir, stem)?,
        };
        let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(GzDecoder::new(raw))
        } else {
            raw
        };
        read_level(&path, reader, level, filter, &mut out)?;
    }
    Ok(out)
}

/// `DIR/stem.csv`, or `DIR/stem.csv.gz` when the plain file is absent.
fn open_in(dir: &Path, stem: &str) -> Result<(PathBuf, Box<dyn Read>), DivisionsError> {
    let plain = dir.join(format!("{stem}.csv"));
    let gz = dir.join(format!("{stem}.csv.gz"));
    let path = if plain.exists() || !gz.exists() {
        plain
    } else {
        gz
    };
    let f = File::open(&path).map_err(|source| DivisionsError::Io {
        path: path.clone(),
        source,
    })?;
    Ok((path, Box::new(std::io::BufReader::new(f))))
}

/// 区划名称: one line, as long as the longest real names allow.
const DIVISION_NAME: domain::text::TextField =
    domain::text::TextField::line("区划名称", domain::bounds::SHORT_CHARS);

fn read_level(
    path: &Path,
    reader: Box<dyn Read>,
    level: RegionLevel,
    filter: &Filter,
    out: &mut Vec<Division>,
) -> Result<(), DivisionsError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    for rec in rdr.records() {
        let rec = rec.map_err(|e| DivisionsError::Format {
            path: path.to_path_buf(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let code = rec.get(0).unwrap_or_default();
        if !filter.keep(code) {
            continue;
        }
        let fmt_err = |message: String| DivisionsError::Format {
            path: path.to_path_buf(),
            line,
            message,
        };
        if code.len() != level.digits() {
            return Err(fmt_err(format!("代码“{code}”位数不对")));
        }
        let parsed = RegionCode::parse(code).map_err(|e| fmt_err(e.message))?;
        // A newer release read with --divisions DIR is outside input like any file: its
        // names are shown on every page, notice and list.
        let name = DIVISION_NAME
            .parse(rec.get(1).unwrap_or_default())
            .map_err(|e| fmt_err(e.message))?;
        out.push(Division {
            code: parsed,
            name,
            level,
            parent: parsed.parent(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tongzi() -> Filter {
        Filter {
            prefix: Some("520322".into()),
        }
    }

    #[test]
    fn reads_tongzi_county_with_ancestors() {
        let all = read(&Source::Embedded, &tongzi()).unwrap();
        let county = all.iter().find(|d| d.code.short() == "520322").unwrap();
        assert_eq!(county.name, "桐梓县");
        assert!(
            all.iter()
                .any(|d| d.level == RegionLevel::Province && d.name == "贵州省")
        );
        let count = |level| all.iter().filter(|d| d.level == level).count();
        assert_eq!(count(RegionLevel::Township), 25);
        assert_eq!(count(RegionLevel::Village), 232);
        assert!(all.iter().any(|d| d.name == "楚米镇"));
    }

    #[test]
    fn embedded_copy_is_whole() {
        let all = read(&Source::Embedded, &Filter::default()).unwrap();
        let count = |level| all.iter().filter(|d| d.level == level).count();
        assert_eq!(count(RegionLevel::Province), 31);
        assert_eq!(count(RegionLevel::City), 342);
        assert_eq!(count(RegionLevel::County), 2_978);
        assert_eq!(count(RegionLevel::Township), 41_352);
        assert_eq!(count(RegionLevel::Village), 620_573);
    }

    /// A release in a folder, with plain and gzipped files mixed, reads like the embedded
    /// copy; a folder missing a file names it.
    #[test]
    fn reads_a_folder_of_plain_or_gzipped_files() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in EMBEDDED {
            // Store every file the other way round from the embedded copy.
            let (target, data) = match name.strip_suffix(".gz") {
                Some(plain) => {
                    let mut raw = Vec::new();
                    GzDecoder::new(bytes).read_to_end(&mut raw).unwrap();
                    (plain.to_owned(), raw)
                }
                None => {
                    let mut gz =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    gz.write_all(bytes).unwrap();
                    (format!("{name}.gz"), gz.finish().unwrap())
                }
            };
            std::fs::write(dir.path().join(target), data).unwrap();
        }
        let source = Source::Dir(dir.path().to_path_buf());
        assert_eq!(
            read(&source, &tongzi()).unwrap(),
            read(&Source::Embedded, &tongzi()).unwrap()
        );
        std::fs::remove_file(dir.path().join("cities.csv.gz")).unwrap();
        let err = read(&source, &tongzi()).unwrap_err();
        assert!(err.to_string().contains("cities.csv"), "{err}");
    }
}
