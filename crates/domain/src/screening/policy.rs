//! 监测政策 (screening policy) as configuration: monitoring lines by scope and year, the
//! province's rural per-capita disposable income, every rule's switch and thresholds.
//!
//! A policy is a TOML document (`docs/policy.toml` is the built-in default, commented line by
//! line). Amounts are yuan; percents are whole numbers. Unknown keys are errors, so that a
//! misspelt threshold is never silently replaced by its default. Values docs/domain.md marks as
//! uncertain are here, with their documented defaults, rather than constants in the rules.

use crate::feed::HouseDamage;
use crate::money::Money;
use crate::region::{RegionCode, RegionLevel};
use crate::{DisabilityGrade, FieldError};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The built-in default policy, with its comments: what `policy show` prints before any
/// policy has been loaded.
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../../../docs/policy.toml");

/// A policy document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// 名称 — what this version is, e.g. "2025年度监测政策".
    #[serde(default)]
    pub title: String,
    /// 生效日期: screenings as of this day or later use this policy (the latest one in effect).
    pub effective_from: NaiveDate,
    /// 预警时间窗（月）: department events and medical spending count when they fall in the
    /// months before the screening day.
    #[serde(default = "default_window")]
    pub window_months: u32,
    /// 监测范围 (monitoring lines), yuan per person and year.
    #[serde(default)]
    pub monitoring_lines: Vec<ScopedAmount>,
    /// 农村居民人均可支配收入 by scope and year (the medical rule uses the previous year's).
    #[serde(default)]
    pub rural_income: Vec<ScopedAmount>,
    #[serde(default)]
    pub rules: RuleSettings,
    #[serde(default)]
    pub quality: QualitySettings,
    /// 办理时限: the periods of the case procedure (docs/domain.md §6.3).
    #[serde(default)]
    pub procedure: crate::case::Deadlines,
}

fn default_window() -> u32 {
    12
}

/// Where a value applies: the whole country, or a province, city or county and everything
/// under it. Written "全国" or as the division's short code ("52", "5203", "520322").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    National,
    Region(RegionCode),
}

impl Scope {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let t = s.trim();
        if t == "全国" || t.eq_ignore_ascii_case("national") {
            return Ok(Scope::National);
        }
        let code = RegionCode::parse(t)?;
        if code.level() > RegionLevel::County {
            return Err(FieldError::new(format!(
                "适用范围“{t}”应为全国、省、市或县（2、4或6位代码）"
            )));
        }
        Ok(Scope::Region(code))
    }

    pub fn contains(self, village: RegionCode) -> bool {
        match self {
            Scope::National => true,
            Scope::Region(r) => r.contains(village),
        }
    }

    /// 0 for the country … 3 for a county: the most specific scope wins.
    pub fn specificity(self) -> u8 {
        match self {
            Scope::National => 0,
            Scope::Region(r) => match r.level() {
                RegionLevel::Province => 1,
                RegionLevel::City => 2,
                _ => 3,
            },
        }
    }

    pub fn label(self) -> String {
        match self {
            Scope::National => "全国".to_owned(),
            Scope::Region(r) => r.short(),
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Scope::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Yuan in a policy file: a number (8700, 8700.5) or a string ("8700.50"); kept in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Yuan(pub Money);

impl Serialize for Yuan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fen = self.0.fen();
        if fen % 100 == 0 {
            s.serialize_i64(fen / 100)
        } else {
            s.serialize_f64(self.0.as_yuan_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Yuan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Float(f64),
            Text(String),
        }
        let m = match Raw::deserialize(d)? {
            Raw::Int(v) => Ok(Money::from_yuan(v)),
            Raw::Float(v) => Money::from_f64_yuan(v),
            Raw::Text(t) => Money::parse_yuan(&t),
        }
        .map_err(serde::de::Error::custom)?;
        Ok(Yuan(m))
    }
}

/// A yearly amount for a scope: a monitoring line or a disposable income.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopedAmount {
    /// 适用范围
    pub scope: Scope,
    /// 年度
    pub year: u16,
    /// 金额（元）
    pub amount: Yuan,
    /// 依据 — document number or source, shown beside the figure.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub basis: String,
}

/// A rule's switch alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Switch {
    pub enabled: bool,
}

impl Default for Switch {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// income_drop: 收入大幅缩减.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IncomeDrop {
    pub enabled: bool,
    /// 降幅（%）: per-capita net income down by at least this share on the year before.
    /// No national figure exists (docs/domain.md §4.4); 30 is the documented default.
    pub min_drop_percent: u32,
}

impl Default for IncomeDrop {
    fn default() -> Self {
        Self {
            enabled: true,
            min_drop_percent: 30,
        }
    }
}

/// rigid_spending: 刚性支出较大.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RigidSpending {
    pub enabled: bool,
    /// 刚性支出超过上年家庭纯收入的比例（%）: 100 reads "明显超过上年度收入" literally.
    pub share_of_net_percent: u32,
}

impl Default for RigidSpending {
    fn default() -> Self {
        Self {
            enabled: true,
            share_of_net_percent: 100,
        }
    }
}

/// medical_burden: 医疗负担较重 (医保 warning, docs/domain.md §9.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MedicalBurden {
    pub enabled: bool,
    /// 脱贫户和监测户: share (%) of the previous year's rural per-capita disposable income.
    pub ex_poor_percent: u32,
    /// 其他农户.
    pub other_percent: u32,
}

impl Default for MedicalBurden {
    fn default() -> Self {
        Self {
            enabled: true,
            ex_poor_percent: 50,
            other_percent: 100,
        }
    }
}

/// severe_disability: 新增重度残疾.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SevereDisability {
    pub enabled: bool,
    /// 最低等级: certificates of this grade or more severe (一级 is the most severe).
    #[serde(with = "crate::enums::by_label")]
    pub grades_up_to: DisabilityGrade,
}

impl Default for SevereDisability {
    fn default() -> Self {
        Self {
            enabled: true,
            grades_up_to: DisabilityGrade::Two,
        }
    }
}

/// disaster: 受灾严重.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisasterRule {
    pub enabled: bool,
    /// 直接经济损失不低于（元）.
    pub min_loss: Yuan,
    /// 房屋受损不轻于.
    #[serde(with = "crate::enums::by_label")]
    pub min_damage: HouseDamage,
}

impl Default for DisasterRule {
    fn default() -> Self {
        Self {
            enabled: true,
            min_loss: Yuan(Money::from_yuan(10_000)),
            min_damage: HouseDamage::Severe,
        }
    }
}

/// assistance: 新纳入低保、特困供养或大额临时救助.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssistanceRule {
    pub enabled: bool,
    /// 临时救助金额不低于（元）.
    pub temporary_min_amount: Yuan,
}

impl Default for AssistanceRule {
    fn default() -> Self {
        Self {
            enabled: true,
            temporary_min_amount: Yuan(Money::from_yuan(3_000)),
        }
    }
}

/// job_loss: 失业登记或返乡, in a household living mainly on wages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobLoss {
    pub enabled: bool,
    /// 工资性收入占家庭总收入不低于（%）.
    pub min_wage_share_percent: u32,
}

impl Default for JobLoss {
    fn default() -> Self {
        Self {
            enabled: true,
            min_wage_share_percent: 50,
        }
    }
}

/// dropout: 义务教育阶段辍学.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dropout {
    pub enabled: bool,
    /// 义务教育年龄（周岁）, used when the record gives no 学段.
    pub compulsory_age_from: u32,
    pub compulsory_age_to: u32,
}

impl Default for Dropout {
    fn default() -> Self {
        Self {
            enabled: true,
            compulsory_age_from: 6,
            compulsory_age_to: 15,
        }
    }
}

/// A registry gap (未参保, 住房或饮水不安全): a 三保障 problem that qualifies a household whose
/// income is within or near the monitoring range (docs/domain.md §4.6: "income ≤ line and at
/// least one of …"); a household well above it can be expected to solve it itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistryGap {
    pub enabled: bool,
    /// 人均纯收入不高于监测范围的比例（%）: 100 is the line itself.
    pub max_income_percent_of_line: u32,
}

impl Default for RegistryGap {
    fn default() -> Self {
        Self {
            enabled: true,
            max_income_percent_of_line: 150,
        }
    }
}

/// Every rule's settings. A rule left out of the file keeps its defaults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleSettings {
    pub income_low: Switch,
    pub income_drop: IncomeDrop,
    pub rigid_spending: RigidSpending,
    pub medical_burden: MedicalBurden,
    pub severe_disability: SevereDisability,
    pub disaster: DisasterRule,
    pub assistance: AssistanceRule,
    pub job_loss: JobLoss,
    pub dropout: Dropout,
    pub dangerous_house: Switch,
    pub death_lack_labor: Switch,
    pub uninsured: RegistryGap,
    pub unsafe_housing: RegistryGap,
    pub unsafe_water: RegistryGap,
}

/// 数据质量 thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QualitySettings {
    /// 劳动年龄下限: a member younger than this is not 普通/技能劳动力.
    pub min_working_age: u32,
    /// Above this age 普通/技能劳动力 is doubtful.
    pub max_working_age: u32,
}

impl Default for QualitySettings {
    fn default() -> Self {
        Self {
            min_working_age: 16,
            max_working_age: 75,
        }
    }
}

/// A resolved yearly amount and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub amount: Money,
    /// The year of the entry used; earlier than asked when the asked year has none.
    pub year: u16,
    pub scope: Scope,
}

impl Policy {
    /// Parses and checks a policy document. Errors are in Chinese and name the key.
    pub fn from_toml(text: &str) -> Result<Self, FieldError> {
        let policy: Policy = toml::from_str(text)
            .map_err(|e| FieldError::new(format!("政策文件格式有误：{}", e.message().trim())))?;
        let problems = policy.check();
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(FieldError::new(format!(
                "政策文件有误：{}",
                problems.join("；")
            )))
        }
    }

    /// The built-in default.
    pub fn builtin() -> Self {
        Self::from_toml(DEFAULT_POLICY_TOML).expect("the built-in policy is valid")
    }

    /// Applies `key=value` overrides (TOML paths such as `rules.income_drop.min_drop_percent`
    /// and TOML values) to a policy document, for "what if" screenings.
    pub fn with_overrides(text: &str, overrides: &[(String, String)]) -> Result<Self, FieldError> {
        let mut doc: toml::Table = toml::from_str(text)
            .map_err(|e| FieldError::new(format!("政策文件格式有误：{}", e.message().trim())))?;
        for (path, raw) in overrides {
            let value: toml::Value = match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
                Ok(mut t) => t.remove("v").expect("the key was just written"),
                // A bare word is a string: `min_damage=倒塌`.
                Err(_) => toml::Value::String(raw.clone()),
            };
            let mut table = &mut doc;
            let parts: Vec<&str> = path.split('.').collect();
            let (last, parents) = parts.split_last().expect("split yields at least one part");
            for p in parents {
                table = table
                    .entry(p.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                    .as_table_mut()
                    .ok_or_else(|| FieldError::new(format!("“{path}”不是可调整的参数")))?;
            }
            table.insert(last.to_string(), value);
        }
        let text = toml::to_string(&doc).expect("a TOML table serialises");
        Self::from_toml(&text)
    }

    /// The same policy with every monitoring line replaced by `amount` ("what if the line
    /// were …").
    pub fn with_line(mut self, amount: Money) -> Self {
        for l in &mut self.monitoring_lines {
            l.amount = Yuan(amount);
        }
        self
    }

    /// Every problem of the document, in Chinese.
    pub fn check(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !(1..=36).contains(&self.window_months) {
            out.push(format!(
                "预警时间窗 window_months = {} 应在1至36个月之间",
                self.window_months
            ));
        }
        if self.monitoring_lines.is_empty() {
            out.push("至少要配置一条监测范围 [[monitoring_lines]]".to_owned());
        }
        for (what, list) in [
            ("监测范围", &self.monitoring_lines),
            ("农村居民人均可支配收入", &self.rural_income),
        ] {
            for (i, a) in list.iter().enumerate() {
                if a.amount.0 <= Money::ZERO {
                    out.push(format!(
                        "{what}（{} {}年）金额应大于0",
                        a.scope.label(),
                        a.year
                    ));
                }
                if !(2014..=2100).contains(&a.year) {
                    out.push(format!("{what}年度 {} 不在2014至2100之间", a.year));
                }
                if list[..i]
                    .iter()
                    .any(|b| b.scope == a.scope && b.year == a.year)
                {
                    out.push(format!(
                        "{what}（{} {}年）重复配置",
                        a.scope.label(),
                        a.year
                    ));
                }
            }
        }
        let r = &self.rules;
        let percents = [
            (
                "rules.income_drop.min_drop_percent",
                r.income_drop.min_drop_percent,
                1,
                100,
            ),
            (
                "rules.rigid_spending.share_of_net_percent",
                r.rigid_spending.share_of_net_percent,
                1,
                1000,
            ),
            (
                "rules.medical_burden.ex_poor_percent",
                r.medical_burden.ex_poor_percent,
                1,
                1000,
            ),
            (
                "rules.medical_burden.other_percent",
                r.medical_burden.other_percent,
                1,
                1000,
            ),
            (
                "rules.job_loss.min_wage_share_percent",
                r.job_loss.min_wage_share_percent,
                0,
                100,
            ),
        ];
        for (key, v, lo, hi) in percents {
            if !(lo..=hi).contains(&v) {
                out.push(format!("{key} = {v} 应在{lo}至{hi}之间"));
            }
        }
        if r.medical_burden.enabled && self.rural_income.is_empty() {
            out.push(
                "医疗负担规则需要农村居民人均可支配收入 [[rural_income]]，或将其关闭".to_owned(),
            );
        }
        for (key, gap) in [
            ("uninsured", &r.uninsured),
            ("unsafe_housing", &r.unsafe_housing),
            ("unsafe_water", &r.unsafe_water),
        ] {
            if !(1..=1000).contains(&gap.max_income_percent_of_line) {
                out.push(format!(
                    "rules.{key}.max_income_percent_of_line = {} 应在1至1000之间",
                    gap.max_income_percent_of_line
                ));
            }
        }
        if r.dropout.compulsory_age_from > r.dropout.compulsory_age_to {
            out.push("义务教育年龄下限大于上限".to_owned());
        }
        if self.quality.min_working_age >= self.quality.max_working_age {
            out.push("劳动年龄下限应小于上限".to_owned());
        }
        out
    }

    /// The monitoring line for a village and year: the asked year if any entry has it,
    /// else the latest earlier year; within a year, the most specific scope.
    pub fn line(&self, village: RegionCode, year: u16) -> Option<Resolved> {
        resolve(&self.monitoring_lines, village, year)
    }

    /// The rural per-capita disposable income of `year` for a village (same resolution).
    pub fn rural_income(&self, village: RegionCode, year: u16) -> Option<Resolved> {
        resolve(&self.rural_income, village, year)
    }

    /// The first day of the event window of a screening as of `as_of` (exclusive).
    pub fn window_start(&self, as_of: NaiveDate) -> NaiveDate {
        as_of
            .checked_sub_months(chrono::Months::new(self.window_months))
            .unwrap_or(NaiveDate::MIN)
    }

    /// The values screening needs for one village, resolved once.
    pub fn local(&self, village: RegionCode, as_of: NaiveDate) -> LocalPolicy {
        let years = 2014..=as_of.year().clamp(2014, 2100) as u16;
        LocalPolicy {
            lines: years
                .clone()
                .filter_map(|y| self.line(village, y).map(|r| (y, r)))
                .collect(),
            rural_income_prev_year: self.rural_income(village, as_of.year() as u16 - 1),
        }
    }
}

fn resolve(list: &[ScopedAmount], village: RegionCode, year: u16) -> Option<Resolved> {
    list.iter()
        .filter(|a| a.year <= year && a.scope.contains(village))
        .max_by_key(|a| (a.year, a.scope.specificity()))
        .map(|a| Resolved {
            amount: a.amount.0,
            year: a.year,
            scope: a.scope,
        })
}

/// A policy resolved for one village: lines by year and the medical rule's reference income.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalPolicy {
    lines: Vec<(u16, Resolved)>,
    pub rural_income_prev_year: Option<Resolved>,
}

impl LocalPolicy {
    pub fn line(&self, year: u16) -> Option<Resolved> {
        self.lines
            .iter()
            .find(|(y, _)| *y == year)
            .or_else(|| self.lines.last().filter(|(y, _)| *y < year))
            .map(|(_, r)| *r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn village() -> RegionCode {
        RegionCode::parse("520322100201").unwrap()
    }

    #[test]
    fn builtin_policy_is_valid_and_documented() {
        let p = Policy::builtin();
        assert_eq!(p.window_months, 12);
        assert_eq!(p.rules.income_drop.min_drop_percent, 30);
        // The documented procedure periods are the national defaults.
        assert_eq!(p.procedure, crate::case::Deadlines::default());
        assert!(p.line(village(), 2025).is_some());
    }

    #[test]
    fn most_specific_scope_of_the_year_wins() {
        let text = r#"
            effective_from = "2025-01-01"
            [[monitoring_lines]]
            scope = "全国"
            year = 2024
            amount = 7000
            [[monitoring_lines]]
            scope = "52"
            year = 2024
            amount = 8000
            [[monitoring_lines]]
            scope = "520322"
            year = 2024
            amount = "8500.50"
            [[monitoring_lines]]
            scope = "53"
            year = 2025
            amount = 9000
            [[monitoring_lines]]
            scope = "全国"
            year = 2025
            amount = 7500
            [rules.medical_burden]
            enabled = false
        "#;
        let p = Policy::from_toml(text).unwrap();
        let l = p.line(village(), 2024).unwrap();
        assert_eq!(l.amount, Money::from_fen(850_050));
        assert_eq!(l.scope.label(), "520322");
        // 2025: the county has no line of that year; the country's 2025 line beats the
        // county's 2024 one, and Yunnan's does not apply in Guizhou.
        assert_eq!(
            p.line(village(), 2025).unwrap().amount,
            Money::from_yuan(7500)
        );
        // A later year without entries falls back to the latest earlier one.
        let l = p.line(village(), 2026).unwrap();
        assert_eq!((l.year, l.amount), (2025, Money::from_yuan(7500)));
        assert_eq!(p.line(village(), 2023), None);
        let local = p.local(village(), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(local.line(2024).unwrap().amount, Money::from_fen(850_050));
        assert_eq!(local.line(2026).unwrap().year, 2025);
    }

    #[test]
    fn mistakes_are_reported_in_chinese() {
        let e = Policy::from_toml("effective_from = \"2025-01-01\"\nwindow_month = 3").unwrap_err();
        assert!(e.message.contains("window_month"), "{e}");
        let e = Policy::from_toml(
            "effective_from = \"2025-01-01\"\n[[monitoring_lines]]\nscope = \"520322100\"\nyear = 2024\namount = 1",
        )
        .unwrap_err();
        assert!(e.message.contains("适用范围"), "{e}");
        let e = Policy::from_toml(
            "effective_from = \"2025-01-01\"\nwindow_months = 40\n[[monitoring_lines]]\nscope = \"全国\"\nyear = 2024\namount = 0\n[rules.medical_burden]\nenabled = false",
        )
        .unwrap_err();
        assert!(e.message.contains("window_months = 40"), "{e}");
        assert!(e.message.contains("金额应大于0"), "{e}");
    }

    #[test]
    fn overrides_change_one_value() {
        let p = Policy::with_overrides(
            DEFAULT_POLICY_TOML,
            &[
                ("rules.income_drop.min_drop_percent".into(), "25".into()),
                ("rules.disaster.min_damage".into(), "倒塌".into()),
            ],
        )
        .unwrap();
        assert_eq!(p.rules.income_drop.min_drop_percent, 25);
        assert_eq!(p.rules.disaster.min_damage, HouseDamage::Collapsed);
        assert_eq!(
            p.rules.medical_burden,
            Policy::builtin().rules.medical_burden
        );
        let e = Policy::with_overrides(
            DEFAULT_POLICY_TOML,
            &[("rules.income_drop.min_drop".into(), "25".into())],
        )
        .unwrap_err();
        assert!(e.message.contains("min_drop"), "{e}");
        let p = Policy::builtin().with_line(Money::from_yuan(9_999));
        assert_eq!(
            p.line(village(), 2025).unwrap().amount,
            Money::from_yuan(9_999)
        );
    }
}
