//! Result files of a screening (预警名单) and of the data-quality checks (数据质量问题清单):
//! `.csv` or `.xlsx` for clerks, `.json` for other systems. No ID number, phone or health
//! detail is written: a household is named by its 户编号, a member by its position in the
//! warning text only.

use crate::ServiceError;
use crate::screening::{Flagged, QualityFinding, QualityReport, ScreenReport};
use std::path::Path;
use tabular::spec;
use tabular::write::{Export, RecordWriter, Value};

/// One row of the screening result: one flagged household.
struct ScreenRow<'a> {
    flagged: &'a Flagged,
    village_name: &'a str,
    town_name: &'a str,
}

fn join<T>(items: impl Iterator<Item = T>, f: impl Fn(T) -> String, sep: &str) -> String {
    items.map(f).collect::<Vec<_>>().join(sep)
}

impl Export for ScreenRow<'_> {
    fn template() -> &'static spec::Template {
        &spec::SCREENING
    }

    fn values(&self) -> Vec<Value<'_>> {
        let f = self.flagged;
        let a = &f.assessment;
        let mut rules: Vec<_> = f.warnings.iter().map(|w| w.rule).collect();
        rules.dedup();
        vec![
            Value::Text(&f.household_no),
            Value::Owned(f.village.to_string()),
            Value::Text(self.town_name),
            Value::Text(self.village_name),
            Value::Owned(join(rules.iter(), |r| r.id().to_owned(), ",")),
            Value::Owned(join(rules.iter(), |r| r.label().to_owned(), "、")),
            Value::Owned(a.risks.label()),
            a.category
                .map_or(Value::Text("待研判"), |c| Value::Text(c.label())),
            Value::Text(a.channel.label()),
            a.income.map_or(Value::Empty, |(_, pc)| Value::Money(pc)),
            a.line.map_or(Value::Empty, |l| Value::Money(l.amount)),
            Value::Owned(join(f.warnings.iter(), |w| w.describe(), "；")),
            Value::Text(f.outcome.label()),
        ]
    }
}

/// Division names by code, for the result files.
pub type Names = rustc_hash::FxHashMap<domain::RegionCode, String>;

/// Writes the flagged households of a screening to `.csv`, `.xlsx` or `.json`.
pub fn write_screening(
    report: &ScreenReport,
    names: &Names,
    out: &Path,
) -> Result<u64, ServiceError> {
    let name = |c: domain::RegionCode| names.get(&c).map_or("", String::as_str);
    let town = |c: domain::RegionCode| c.ancestor(domain::RegionLevel::Township);
    if is_json(out) {
        let rows: Vec<serde_json::Value> = report
            .flagged
            .iter()
            .map(|f| {
                let a = &f.assessment;
                serde_json::json!({
                    "household_no": f.household_no,
                    "village_code": f.village.to_string(),
                    "village": name(f.village),
                    "township": name(town(f.village)),
                    "category": a.category.map(|c| c.label()),
                    "risks": a.risks.iter().map(|r| r.label()).collect::<Vec<_>>(),
                    "channel": a.channel.label(),
                    "per_capita_income": a.income.map(|(y, pc)| serde_json::json!({"year": y, "yuan": pc.to_string()})),
                    "line": a.line.map(|l| l.amount.to_string()),
                    "outcome": f.outcome.label(),
                    "warnings": f.warnings.iter().map(|w| serde_json::json!({
                        "rule": w.rule.id(),
                        "name": w.rule.label(),
                        "risk": w.risk.label(),
                        "figure": w.figure,
                        "threshold": w.threshold,
                        "period": [w.period.0.to_string(), w.period.1.to_string()],
                        "sources": w.sources,
                        "first": w.first.map(|d| d.to_string()),
                        "last": w.last.map(|d| d.to_string()),
                        "text": w.describe(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let doc = serde_json::json!({
            "as_of": report.as_of.to_string(),
            "policy_version": report.policy_version,
            "run_id": report.run_id,
            "households": report.households,
            "flagged": rows,
            "by_rule": report.by_rule.iter().map(|(r, n)| (r.id().to_owned(), serde_json::Value::from(*n))).collect::<serde_json::Map<_, _>>(),
            "by_township": report.by_township.iter().map(|(c, (n, k))| serde_json::json!({"code": c.short(), "name": n, "flagged": k})).collect::<Vec<_>>(),
        });
        write_json(out, &doc)?;
        return Ok(report.flagged.len() as u64);
    }
    let mut w = RecordWriter::create(out)?;
    for f in &report.flagged {
        w.push(&ScreenRow {
            flagged: f,
            village_name: name(f.village),
            town_name: name(town(f.village)),
        })?;
    }
    Ok(w.finish()? as u64)
}

/// One row of the data-quality list.
struct QualityRow<'a> {
    f: &'a QualityFinding,
    village_name: &'a str,
}

impl Export for QualityRow<'_> {
    fn template() -> &'static spec::Template {
        &spec::QUALITY
    }

    fn values(&self) -> Vec<Value<'_>> {
        let f = self.f;
        vec![
            Value::Owned(f.village.to_string()),
            Value::Text(self.village_name),
            Value::Text(&f.household_no),
            Value::Owned(f.finding.code.tag()),
            Value::Text(f.finding.code.label()),
            f.member.as_deref().map_or(Value::Empty, Value::Text),
        ]
    }
}

/// Writes the data-quality findings, by village.
pub fn write_quality(
    report: &QualityReport,
    names: &Names,
    out: &Path,
) -> Result<u64, ServiceError> {
    let name = |c: domain::RegionCode| names.get(&c).map_or("", String::as_str);
    if is_json(out) {
        let rows: Vec<serde_json::Value> = report
            .findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "village_code": f.village.to_string(),
                    "village": name(f.village),
                    "household_no": f.household_no,
                    "code": f.finding.code.tag(),
                    "problem": f.finding.code.label(),
                    "member": f.member,
                })
            })
            .collect();
        write_json(
            out,
            &serde_json::json!({"households": report.households, "findings": rows}),
        )?;
        return Ok(report.findings.len() as u64);
    }
    let mut w = RecordWriter::create(out)?;
    for f in &report.findings {
        w.push(&QualityRow {
            f,
            village_name: name(f.village),
        })?;
    }
    Ok(w.finish()? as u64)
}

fn is_json(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

fn write_json(out: &Path, doc: &serde_json::Value) -> Result<(), ServiceError> {
    use std::io::Write as _;
    let text = serde_json::to_string_pretty(doc).expect("JSON values serialise");
    // Readable by the owner only, like every export (tabular::write::create_private).
    tabular::write::create_private(out)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| ServiceError::Io {
            path: out.display().to_string(),
            source,
        })
}
