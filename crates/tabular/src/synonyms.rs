//! 同义词表 (synonyms of department feeds): the words a department's own export uses for a
//! value of an enumerated feed column ("初中" for 学段, "冰雹" for 灾害类型), each mapped onto
//! one value of the template's drop-down list.
//!
//! The template values stay the only values stored. A cell is first read as one of them
//! (see [`crate::convert::label`]). Only a cell that is not one is looked up here, and a
//! word found is read as the value it maps onto and counted, so that the import report can
//! say what was read how ([`Mapped`]). A word found nowhere is refused as before.
//!
//! A table is a TOML document, `[FEED.COLUMN]` sections of `"word" = "value"` entries.
//! `docs/synonyms.toml` is the built-in table ([`BUILTIN_TOML`]). A county's document is
//! laid over it ([`Synonyms::with_county`]): its entries add words or override built-in ones,
//! and `"word" = false` withdraws a built-in word. Every document is checked whole before
//! use, every problem named by its entry: a word must map onto a value of its column, must
//! not be a value of that column itself, and must appear once.

use crate::spec::{self, Column};
use domain::feed::{
    AssistanceChange, AssistanceKind, DisabilityKind, DisasterKind, EmploymentEvent, Feed,
    HouseDamage, HousingGrade, SchoolingEvent, VisitType,
};
use domain::text::fold_width;
use domain::{DisabilityGrade, Schooling};
use std::collections::HashMap;
use std::collections::hash_map::Entry as MapEntry;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// The built-in table, with its comments.
pub const BUILTIN_TOML: &str = include_str!("../../../docs/synonyms.toml");

/// Largest document accepted: the built-in one is about 10 KB; a county's additions are a
/// few dozen lines. The bounds keep a mistaken file (a whole export loaded by error) from
/// becoming a table of millions of words held by every import.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// Most entries in one document.
pub const MAX_ENTRIES: usize = 5_000;
/// Longest word, in characters: the longest real one is about a dozen.
pub const MAX_WORD_CHARS: usize = 40;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 100;

/// An enumerated feed column that takes synonyms, with its domain type's reading of a value.
#[derive(Debug, Clone, Copy)]
pub struct SynonymColumn {
    pub feed: Feed,
    /// The template column's English key (`stage`).
    pub key: &'static str,
    /// The label a value of the domain type is read as (its label, a documented alias, a
    /// full-width form), or `None`.
    canonical: fn(&str) -> Option<&'static str>,
    /// The drop-down list, in template order.
    labels: fn() -> Vec<&'static str>,
}

impl SynonymColumn {
    /// The template column.
    pub fn column(&self) -> &'static Column {
        spec::feed_template(self.feed)
            .column(self.key)
            .expect("every synonym column is a template column (tested)")
    }

    /// `学籍 · 学段`, for messages.
    pub fn title(&self) -> String {
        format!("{} · {}", self.feed.label(), self.column().header)
    }

    /// The template's values of this column.
    pub fn labels(&self) -> Vec<&'static str> {
        (self.labels)()
    }

    /// The template value `s` is read as, whatever its width or alias, if any.
    pub fn canonical(&self, s: &str) -> Option<&'static str> {
        (self.canonical)(s)
    }
}

macro_rules! synonym_column {
    ($feed:ident, $key:literal, $t:ty) => {
        SynonymColumn {
            feed: Feed::$feed,
            key: $key,
            canonical: |s| <$t>::parse(s).ok().map(<$t>::label),
            labels: <$t>::labels,
        }
    };
}

/// Every enumerated column of every feed, in the order of the feeds and of their columns.
pub static COLUMNS: [SynonymColumn; 11] = [
    synonym_column!(Medical, "visit_type", VisitType),
    synonym_column!(Disability, "category", DisabilityKind),
    synonym_column!(Disability, "grade", DisabilityGrade),
    synonym_column!(Disaster, "disaster_type", DisasterKind),
    synonym_column!(Disaster, "house_damage", HouseDamage),
    synonym_column!(Assistance, "assistance_type", AssistanceKind),
    synonym_column!(Assistance, "change", AssistanceChange),
    synonym_column!(Employment, "event", EmploymentEvent),
    synonym_column!(Schooling, "event", SchoolingEvent),
    synonym_column!(Schooling, "stage", Schooling),
    synonym_column!(Housing, "grade", HousingGrade),
];

/// The index in [`COLUMNS`] of a feed's column, by English key.
pub fn column_index(feed: Feed, key: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| c.feed == feed && c.key == key)
}

/// The form a word is compared in: full-width characters folded, every space removed,
/// Latin letters in upper case ("ｃ 类" and "C类" are one word).
pub fn normalise(s: &str) -> String {
    fold_width(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Where an entry of the table in effect comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// 内置 — the built-in table.
    Builtin,
    /// 县级 — the county's document.
    County,
}

/// One word of a column and the template value it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The word, normalised ([`normalise`]).
    pub word: String,
    /// The template value (a label of the column's drop-down list).
    pub label: &'static str,
    pub origin: Origin,
}

/// The words of one column.
#[derive(Debug, Clone, Default)]
struct Words {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
    /// Built-in words the county withdrew.
    withdrawn: Vec<String>,
}

impl Words {
    fn set(&mut self, word: String, label: &'static str, origin: Origin) {
        match self.index.entry(word.clone()) {
            MapEntry::Occupied(o) => {
                let e = &mut self.entries[*o.get()];
                e.label = label;
                e.origin = origin;
            }
            MapEntry::Vacant(v) => {
                v.insert(self.entries.len());
                self.entries.push(Entry {
                    word,
                    label,
                    origin,
                });
            }
        }
    }

    /// Removes `word`; whether it was there.
    fn remove(&mut self, word: &str) -> bool {
        let Some(i) = self.index.remove(word) else {
            return false;
        };
        self.entries.remove(i);
        for v in self.index.values_mut() {
            if *v > i {
                *v -= 1;
            }
        }
        true
    }
}

/// A synonym table in effect: the built-in words, with a county's document laid over them.
#[derive(Debug, Clone)]
pub struct Synonyms {
    /// 名称 of the document in effect.
    pub title: String,
    /// By index of [`COLUMNS`].
    columns: Vec<Words>,
}

/// A synonym document that cannot be used, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynonymError {
    /// Not a TOML document, or too large.
    #[error("同义词表格式有误：{0}")]
    Syntax(String),
    /// Entries that break the rules, each named.
    #[error("同义词表有误：{}", .0.join("；"))]
    Invalid(Vec<String>),
}

/// What a document says, checked entry by entry but not yet laid over anything.
struct Document {
    title: Option<String>,
    /// (column, word as written, normalised word, value or `None` to withdraw it).
    entries: Vec<(usize, String, String, Option<&'static str>)>,
}

impl Synonyms {
    /// The built-in table (`docs/synonyms.toml`), read once per process.
    pub fn builtin() -> Arc<Synonyms> {
        static BUILTIN: OnceLock<Arc<Synonyms>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let doc = read_document(BUILTIN_TOML).expect("the built-in table is valid");
                let mut table = Synonyms {
                    title: doc.title.clone().unwrap_or_default(),
                    columns: vec![Words::default(); COLUMNS.len()],
                };
                for (col, _, word, label) in doc.entries {
                    let label = label.expect("the built-in table withdraws nothing");
                    table.columns[col].set(word, label, Origin::Builtin);
                }
                Arc::new(table)
            })
            .clone()
    }

    /// The built-in table with a county's document laid over it. Every entry is checked;
    /// any problem refuses the whole document, each one named.
    pub fn with_county(text: &str) -> Result<Synonyms, SynonymError> {
        let doc = read_document(text)?;
        let mut table = (*Self::builtin()).clone();
        table.title = doc.title.unwrap_or_else(|| "县级同义词表".to_owned());
        let mut problems = Vec::new();
        for (col, written, word, label) in doc.entries {
            let words = &mut table.columns[col];
            match label {
                // A built-in word restated as it is stays built-in: a county that starts
                // its document from `synonyms show` changes only what it edits.
                Some(label)
                    if words.index.get(&word).map(|i| words.entries[*i].label) == Some(label) => {}
                Some(label) => words.set(word, label, Origin::County),
                None => {
                    if words.remove(&word) {
                        words.withdrawn.push(word);
                    } else {
                        problems.push(format!(
                            "[{}] “{written}” = false：内置同义词表中没有这个词，无需停用",
                            COLUMNS[col].title()
                        ));
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(table)
        } else {
            Err(SynonymError::Invalid(problems))
        }
    }

    /// The word a cell's text is, in column `column` of [`COLUMNS`]: the entry's index and
    /// the template value. The text as written is tried first (one lookup, nothing
    /// allocated: most files write the word as the table does), then normalised.
    pub fn find(&self, column: usize, text: &str) -> Option<(usize, &'static str)> {
        let words = &self.columns[column];
        if words.entries.is_empty() {
            return None;
        }
        let i = match words.index.get(text) {
            Some(i) => *i,
            None => *words.index.get(&normalise(text))?,
        };
        Some((i, words.entries[i].label))
    }

    /// Entry `entry` of column `column`, as returned by [`Synonyms::find`].
    pub fn entry(&self, column: usize, entry: usize) -> &Entry {
        &self.columns[column].entries[entry]
    }

    /// The words of column `column` of [`COLUMNS`], in the order of the values they map
    /// onto, then of the words.
    pub fn entries(&self, column: usize) -> Vec<&Entry> {
        let col = &COLUMNS[column];
        let order = col.labels();
        let mut v: Vec<&Entry> = self.columns[column].entries.iter().collect();
        v.sort_by_key(|e| (order.iter().position(|l| *l == e.label), e.word.clone()));
        v
    }

    /// Number of words, over every column.
    pub fn len(&self) -> usize {
        self.columns.iter().map(|w| w.entries.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The table as a TOML document (every feed, or only `only`): what `fangpin synonyms
    /// show` prints. It loads back as a county document unchanged in effect, so that a
    /// county can start its own from it.
    pub fn to_toml(&self, only: Option<Feed>) -> String {
        let mut out = format!("title = {}\n", quote(&self.title));
        for (i, col) in COLUMNS.iter().enumerate() {
            if only.is_some_and(|f| f != col.feed) {
                continue;
            }
            out.push_str(&format!(
                "\n# {}（可选值：{}）\n[{}.{}]\n",
                col.title(),
                col.labels().join("、"),
                col.feed.name(),
                col.key
            ));
            for e in self.entries(i) {
                out.push_str(&format!("{} = {}", quote(&e.word), quote(e.label)));
                if e.origin == Origin::County {
                    out.push_str("  # 县级");
                }
                out.push('\n');
            }
            for w in &self.columns[i].withdrawn {
                out.push_str(&format!("{} = false  # 县级：停用内置词\n", quote(w)));
            }
        }
        out
    }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Reads and checks one document on its own: its sections name enumerated feed columns,
/// its words are not values of their column and appear once, its values are.
fn read_document(text: &str) -> Result<Document, SynonymError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(SynonymError::Syntax(format!(
            "文件有{}字节，超过上限{}字节（同义词表只列词语，通常只有几十行）",
            text.len(),
            MAX_DOCUMENT_BYTES
        )));
    }
    let root: toml::Table =
        toml::from_str(text).map_err(|e| SynonymError::Syntax(e.message().trim().to_owned()))?;
    let mut problems = Vec::new();
    let mut doc = Document {
        title: None,
        entries: Vec::new(),
    };
    // Per column: normalised word → the word as first written.
    let mut seen: Vec<HashMap<String, String>> = vec![HashMap::new(); COLUMNS.len()];
    for (feed_name, value) in &root {
        if feed_name == "title" {
            match value.as_str() {
                Some(t) if t.chars().count() > MAX_TITLE_CHARS => {
                    problems.push(format!("title 超过{MAX_TITLE_CHARS}个字"))
                }
                Some(t) if t.chars().any(char::is_control) => {
                    problems.push("title 含有控制字符".to_owned())
                }
                Some(t) => doc.title = Some(t.to_owned()),
                None => problems.push("title 应为文字".to_owned()),
            }
            continue;
        }
        let Ok(feed) = Feed::parse(feed_name) else {
            problems.push(format!(
                "[{feed_name}]：没有这种部门数据，应为：{}",
                Feed::ALL
                    .iter()
                    .filter(|f| COLUMNS.iter().any(|c| c.feed == **f))
                    .map(|f| format!("{}（{}）", f.name(), f.label()))
                    .collect::<Vec<_>>()
                    .join("、")
            ));
            continue;
        };
        let Some(columns) = value.as_table() else {
            problems.push(format!(
                "“{feed_name}”应为分节 [{}.列名]，例如 [{}.{}]",
                feed.name(),
                feed.name(),
                COLUMNS
                    .iter()
                    .find(|c| c.feed == feed)
                    .map_or("…", |c| c.key)
            ));
            continue;
        };
        for (column_name, words) in columns {
            let Some(ci) = find_column(feed, column_name) else {
                let takes: Vec<&str> = COLUMNS
                    .iter()
                    .filter(|c| c.feed == feed)
                    .map(|c| c.column().header)
                    .collect();
                let why = if spec::feed_template(feed)
                    .columns
                    .iter()
                    .any(|c| c.header == &**column_name || c.key == &**column_name)
                {
                    "不是可选值列，不能设同义词"
                } else {
                    "不是该数据的列"
                };
                problems.push(format!(
                    "[{}.{column_name}]：“{column_name}”{why}（{}中可设同义词的列：{}）",
                    feed.name(),
                    feed.label(),
                    if takes.is_empty() {
                        "无".to_owned()
                    } else {
                        takes.join("、")
                    }
                ));
                continue;
            };
            let col = &COLUMNS[ci];
            let Some(words) = words.as_table() else {
                problems.push(format!("[{}] 应为一节 “词” = “可选值” 的条目", col.title()));
                continue;
            };
            for (written, target) in words {
                if doc.entries.len() >= MAX_ENTRIES {
                    problems.push(format!("条目超过{MAX_ENTRIES}条"));
                    return Err(SynonymError::Invalid(problems));
                }
                match check_entry(col, written, target) {
                    Ok((word, label)) => match seen[ci].entry(word.clone()) {
                        MapEntry::Occupied(first) => problems.push(format!(
                            "[{}] “{written}”与“{}”是同一个词（不计全角、空格和大小写），只能写一次",
                            col.title(),
                            first.get()
                        )),
                        MapEntry::Vacant(v) => {
                            v.insert(written.to_string());
                            doc.entries.push((ci, written.to_string(), word, label));
                        }
                    },
                    Err(p) => problems.push(format!("[{}] {p}", col.title())),
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(doc)
    } else {
        Err(SynonymError::Invalid(problems))
    }
}

/// The column of `feed` a section names, by English key (any case) or Chinese header, if it
/// takes synonyms.
fn find_column(feed: Feed, name: &str) -> Option<usize> {
    let name = name.trim();
    COLUMNS.iter().position(|c| {
        c.feed == feed && (c.key.eq_ignore_ascii_case(name) || c.column().header == name)
    })
}

/// One entry: the normalised word and the value it maps onto (`None`: withdrawn).
fn check_entry(
    col: &SynonymColumn,
    written: &str,
    target: &toml::Value,
) -> Result<(String, Option<&'static str>), String> {
    let word = normalise(written);
    if word.is_empty() {
        return Err("有一个空白的词".to_owned());
    }
    if word.chars().count() > MAX_WORD_CHARS {
        return Err(format!("“{written}”超过{MAX_WORD_CHARS}个字"));
    }
    if word.chars().any(char::is_control) {
        return Err("有一个词含有控制字符".to_owned());
    }
    let what = col.column().header;
    let label = match target {
        toml::Value::String(s) => match col.canonical(s) {
            Some(l) => Some(l),
            None => {
                return Err(format!(
                    "“{written}” = “{s}”：“{s}”不是{what}的可选值，同义词只能对应可选值：{}",
                    col.labels().join("、")
                ));
            }
        },
        toml::Value::Boolean(false) => None,
        _ => {
            return Err(format!(
                "“{written}”应对应{what}的一个可选值（文字），或写 false 停用内置词"
            ));
        }
    };
    if let Some(own) = col.canonical(written).or_else(|| col.canonical(&word)) {
        return Err(match label {
            Some(l) if l == own => {
                format!("“{written}”本身就是{what}的可选值，不需要同义词")
            }
            Some(l) => format!("“{written}”本身是{what}的可选值“{own}”，不能作为“{l}”的同义词"),
            None => format!("“{written}”是{what}的可选值，不能停用"),
        });
    }
    Ok((word, label))
}

/// 同义词映射: how many rows of a file had a word read as a template value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// 表头 of the column (学段).
    pub column: String,
    /// The word, normalised (初中).
    pub from: String,
    /// The template value it was read as (七年级).
    pub to: String,
    /// Rows.
    pub rows: u64,
}

impl fmt::Display for Mapped {
    /// `学段：初中 → 七年级（312行）`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}：{} → {}（{}行）",
            self.column, self.from, self.to, self.rows
        )
    }
}

/// Counts of the words read while a file is parsed, per column and entry.
#[derive(Debug, Clone)]
pub(crate) struct Tally {
    synonyms: Arc<Synonyms>,
    counts: Vec<Vec<u64>>,
}

impl Tally {
    pub(crate) fn new(synonyms: Arc<Synonyms>) -> Self {
        Self {
            synonyms,
            counts: vec![Vec::new(); COLUMNS.len()],
        }
    }

    /// The template value `text` stands for in `column` (a [`COLUMNS`] index), counted.
    pub(crate) fn read(&mut self, column: usize, text: &str) -> Option<&'static str> {
        let (entry, label) = self.synonyms.find(column, text)?;
        let counts = &mut self.counts[column];
        if counts.len() <= entry {
            counts.resize(entry + 1, 0);
        }
        counts[entry] += 1;
        Some(label)
    }

    /// Every word read, column by column in [`COLUMNS`] order, most rows first.
    pub(crate) fn finish(self) -> Vec<Mapped> {
        let mut out = Vec::new();
        for (ci, counts) in self.counts.iter().enumerate() {
            let header = COLUMNS[ci].column().header;
            let mut col: Vec<Mapped> = counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| {
                    let e = self.synonyms.entry(ci, i);
                    Mapped {
                        column: header.to_owned(),
                        from: e.word.clone(),
                        to: e.label.to_owned(),
                        rows: *n,
                    }
                })
                .collect();
            // Most rows first; among equals, in the order of the drop-down list.
            let order = COLUMNS[ci].labels();
            let at = |m: &Mapped| order.iter().position(|l| *l == m.to);
            col.sort_by(|a, b| (b.rows, at(a), &a.from).cmp(&(a.rows, at(b), &b.from)));
            out.extend(col);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Kind;

    fn col(feed: Feed, key: &str) -> usize {
        column_index(feed, key).unwrap()
    }

    #[test]
    fn every_enumerated_feed_column_takes_synonyms() {
        for feed in Feed::ALL {
            for c in spec::feed_template(*feed).columns {
                let listed = column_index(*feed, c.key).is_some();
                assert_eq!(
                    listed,
                    matches!(c.kind, Kind::Enum(_)),
                    "{}.{}",
                    feed.name(),
                    c.key
                );
                if listed {
                    let sc = &COLUMNS[column_index(*feed, c.key).unwrap()];
                    // The domain type's labels are the template's drop-down list.
                    assert_eq!(Some(sc.labels()), c.choices(), "{}.{}", feed.name(), c.key);
                }
            }
        }
    }

    #[test]
    fn the_builtin_table_maps_departments_words() {
        let t = Synonyms::builtin();
        let find = |feed, key, w: &str| t.find(col(feed, key), w).map(|(_, l)| l);
        assert_eq!(find(Feed::Schooling, "stage", "初中"), Some("七年级"));
        assert_eq!(find(Feed::Schooling, "stage", "初三"), Some("九年级"));
        assert_eq!(find(Feed::Disaster, "disaster_type", "冰雹"), Some("风雹"));
        assert_eq!(
            find(Feed::Disaster, "disaster_type", "泥石流"),
            Some("地质灾害")
        );
        assert_eq!(find(Feed::Medical, "visit_type", "门特"), Some("门诊"));
        assert_eq!(
            find(Feed::Assistance, "assistance_type", "农村低保"),
            Some("低保")
        );
        assert_eq!(find(Feed::Disability, "grade", "壹级"), Some("一级"));
        assert_eq!(
            find(Feed::Employment, "event", "登记失业"),
            Some("失业登记")
        );
        // Width, spaces and the case of Latin letters do not matter.
        assert_eq!(find(Feed::Housing, "grade", "ｃ 类"), Some("C"));
        assert_eq!(find(Feed::Housing, "grade", " D类危房"), Some("D"));
        // The word is the whole cell, and only in its own column.
        assert_eq!(find(Feed::Schooling, "stage", "初中生"), None);
        assert_eq!(find(Feed::Schooling, "event", "初中"), None);
        // Every built-in word maps onto a value of its column and is not one itself.
        for (i, c) in COLUMNS.iter().enumerate() {
            for e in t.entries(i) {
                assert_eq!(c.canonical(e.label), Some(e.label), "{}", e.word);
                assert_eq!(c.canonical(&e.word), None, "{}", e.word);
                assert_eq!(e.origin, Origin::Builtin);
            }
        }
        assert!(t.len() > 200, "{}", t.len());
    }

    #[test]
    fn a_county_document_adds_overrides_and_withdraws() {
        let t = Synonyms::with_county(
            r#"
            title = "某县同义词表"
            [disaster.disaster_type]
            "台风" = "其他"
            "凌冻" = "低温冷冻"
            ["学籍"."学段"]
            "初中" = false
            "七年级" = "七年级"
            "#,
        );
        // A value of the column is not a synonym of itself.
        let e = t.unwrap_err().to_string();
        assert!(e.contains("“七年级”本身就是学段的可选值"), "{e}");
        let t = Synonyms::with_county(
            r#"
            title = "某县同义词表"
            [disaster.disaster_type]
            "台风" = "其他"
            "凌冻" = "低温冷冻"
            ["学籍"."学段"]
            "初中" = false
            "#,
        )
        .unwrap();
        assert_eq!(t.title, "某县同义词表");
        let dt = col(Feed::Disaster, "disaster_type");
        assert_eq!(t.find(dt, "台风").map(|x| x.1), Some("其他"));
        assert_eq!(t.find(dt, "凌冻").map(|x| x.1), Some("低温冷冻"));
        assert_eq!(t.find(dt, "冰雹").map(|x| x.1), Some("风雹"));
        assert_eq!(t.find(col(Feed::Schooling, "stage"), "初中"), None);
        assert_eq!(t.len(), Synonyms::builtin().len());
        // The built-in table is untouched.
        assert_eq!(
            Synonyms::builtin().find(dt, "台风").map(|x| x.1),
            Some("风雹")
        );
        // Shown, the table loads back as a county document with the same effect.
        let shown = t.to_toml(None);
        assert!(shown.contains("\"台风\" = \"其他\"  # 县级"), "{shown}");
        assert!(shown.contains("\"初中\" = false"), "{shown}");
        let again = Synonyms::with_county(&shown).unwrap();
        assert_eq!(again.to_toml(None), shown);
        // Only one feed.
        let med = t.to_toml(Some(Feed::Medical));
        assert!(med.contains("[medical.visit_type]") && !med.contains("[disaster"));
    }

    #[test]
    fn refusals_name_the_entry() {
        let err = |text: &str| Synonyms::with_county(text).unwrap_err().to_string();
        // Onto a value that is not one of the column.
        let e = err("[schooling.stage]\n\"初中\" = \"十年级\"\n");
        assert!(
            e.contains("[学籍 · 学段] “初中” = “十年级”：“十年级”不是学段的可选值"),
            "{e}"
        );
        // A value of the column elsewhere.
        let e = err("[housing.grade]\n\"A\" = \"C\"\n");
        assert!(
            e.contains("“A”本身是鉴定等级的可选值“A”，不能作为“C”的同义词"),
            "{e}"
        );
        let e = err("[housing.grade]\n\"a级\" = \"D\"\n");
        assert!(e.contains("“a级”本身是鉴定等级的可选值“A”"), "{e}");
        // The same word twice, but for width and case.
        let e = err("[housing.grade]\n\"e类\" = \"C\"\n\"Ｅ类\" = \"D\"\n");
        assert!(e.contains("是同一个词"), "{e}");
        // Unknown feed, non-enumerated column, unknown column.
        assert!(err("[tax.kind]\n\"x\" = \"y\"\n").contains("[tax]：没有这种部门数据"));
        let e = err("[schooling.date]\n\"x\" = \"y\"\n");
        assert!(
            e.contains("不是可选值列") && e.contains("事件、学段"),
            "{e}"
        );
        assert!(err("[schooling.grade]\n\"x\" = \"y\"\n").contains("不是该数据的列"));
        // Withdrawing a word the built-in table lacks; a value of the wrong type.
        assert!(err("[schooling.stage]\n\"幼小\" = false\n").contains("无需停用"));
        assert!(err("[schooling.stage]\n\"初中\" = 7\n").contains("应对应学段的一个可选值"));
        // Not TOML; too large; every problem at once.
        assert!(matches!(
            Synonyms::with_county("[schooling"),
            Err(SynonymError::Syntax(_))
        ));
        let big = format!("title = \"{}\"", "x".repeat(MAX_DOCUMENT_BYTES));
        assert!(err(&big).contains("超过上限"));
        let e = Synonyms::with_county(
            "[schooling.stage]\n\"初中\" = \"十年级\"\n[housing.grade]\n\"A\" = \"C\"\n",
        )
        .unwrap_err();
        assert!(
            matches!(&e, SynonymError::Invalid(p) if p.len() == 2),
            "{e}"
        );
    }

    #[test]
    fn a_tally_counts_rows_per_word() {
        let mut t = Tally::new(Synonyms::builtin());
        let stage = col(Feed::Schooling, "stage");
        for w in ["初中", "初中", "初 中", "高中", "七年级"] {
            t.read(stage, w);
        }
        let m = t.finish();
        assert_eq!(
            m.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "学段：初中 → 七年级（3行）",
                "学段：高中 → 普通高中一年级（1行）"
            ]
        );
    }
}
