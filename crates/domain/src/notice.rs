//! 公示 / 公告 (public notices) of a village batch: the printable document posted in the
//! village when households are identified as monitored (识别纳入) or marked as having their
//! risk eliminated (风险消除), first as 村级公示 and, after the county's decision, as 公告
//! (docs/domain.md §6.2, §8.2).
//!
//! Redaction by construction (docs/domain.md §6.5, §11): publicity must never show 身份证件号码,
//! 手机号, 银行账号 or 健康状况. A [`NoticeEntry`] therefore has room only for the permitted
//! fields — the household head's name, the village group, the category, the household size
//! and the risk *types* as a [`RiskSet`] (a set of type codes, which cannot carry a member's
//! diagnosis or disability grade). There is no field an ID number, a phone, an account or a
//! health condition could be put in. The free-text fields that remain (village, group,
//! office, issuer) are screened by [`find_sensitive`] and refused when they contain anything
//! that looks like an ID, mobile or bank-card number.
//!
//! Pure: [`Notice::render_text`] and [`Notice::render_html`] return strings; the caller
//! prints, stores or serves them. The HTML page is self-contained (inline CSS, no scripts,
//! no external fonts or URLs) because county intranets have no internet.

#[cfg(test)]
mod tests;

use crate::error::FieldError;
use crate::household::PersonName;
use crate::monitoring::{Category, MAX_RISKS, RiskSet, RiskType};
use crate::text::fold_width;
use chrono::{Datelike, NaiveDate};
use std::fmt::Write as _;

labelled_enum! {
    /// 公示公告类型 (kind of public notice). 公示 runs in the village before the township and
    /// county decide (once, village only, docs/domain.md §6.5); 公告 announces the county's
    /// result in the village, issued in the township's name (§6.2).
    NoticeKind, "公示公告类型" {
        /// 识别公示 — 村级公示 of proposed monitored households (identification).
        IdentificationPublicity = 1: "识别公示",
        /// 风险消除公示 — 村级公示 of households proposed for risk elimination.
        EliminationPublicity = 2: "风险消除公示",
        /// 识别公告 — 公告 of the county's identification result (县级审定公告).
        IdentificationAnnouncement = 3: "识别公告",
        /// 风险消除公告 — 公告 of the county's risk-elimination result.
        EliminationAnnouncement = 4: "风险消除公告",
    }
}

impl NoticeKind {
    /// 公示 or 公告.
    pub fn document(self) -> &'static str {
        if self.is_publicity() {
            "公示"
        } else {
            "公告"
        }
    }

    /// A village publicity (公示) rather than an announcement (公告).
    pub fn is_publicity(self) -> bool {
        matches!(
            self,
            NoticeKind::IdentificationPublicity | NoticeKind::EliminationPublicity
        )
    }

    /// About risk elimination (风险消除) rather than identification (识别).
    pub fn is_elimination(self) -> bool {
        matches!(
            self,
            NoticeKind::EliminationPublicity | NoticeKind::EliminationAnnouncement
        )
    }

    /// "公示期" or "公告期".
    pub fn period_label(self) -> &'static str {
        if self.is_publicity() {
            "公示期"
        } else {
            "公告期"
        }
    }

    /// "关于红星村防止返贫监测对象识别的公示".
    pub fn title(self, village: &str) -> String {
        let subject = match self {
            NoticeKind::IdentificationPublicity => "识别",
            NoticeKind::EliminationPublicity => "风险消除",
            NoticeKind::IdentificationAnnouncement => "识别结果",
            NoticeKind::EliminationAnnouncement => "风险消除结果",
        };
        format!(
            "关于{village}防止返贫监测对象{subject}的{}",
            self.document()
        )
    }

    fn intro(self, households: usize, people: u32) -> String {
        match self {
            NoticeKind::IdentificationPublicity => format!(
                "根据防止返贫动态监测和帮扶工作要求，经农户申请或排查发现、入户核实、信息比对和\
                 民主评议，拟将以下{households}户{people}人识别为防止返贫监测对象，现予以公示。"
            ),
            NoticeKind::EliminationPublicity => format!(
                "根据防止返贫动态监测和帮扶工作要求，经入户核实和民主评议，以下{households}户\
                 {people}人返贫致贫风险已稳定消除，拟标注为风险消除，现予以公示。"
            ),
            NoticeKind::IdentificationAnnouncement => format!(
                "经村级公示、乡镇审核和县级审定，以下{households}户{people}人确定为防止返贫\
                 监测对象，现予以公告。"
            ),
            NoticeKind::EliminationAnnouncement => format!(
                "经村级公示、乡镇审核和县级审定，以下{households}户{people}人标注为风险消除，\
                 继续开展常态化监测，现予以公告。"
            ),
        }
    }

    fn risk_column(self) -> &'static str {
        if self.is_elimination() {
            "已消除风险类型"
        } else {
            "风险类型"
        }
    }
}

/// 风险类型公示口径 (how risk types are worded in public). Even the type 因病 can reveal
/// a member's health; docs/domain.md §6.5 suggests a generic wording where the province allows.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum RiskWording {
    /// The national option labels (因病、因学 …): type only, never the diagnosis.
    #[default]
    TypeLabels,
    /// As [`RiskWording::TypeLabels`], but 因病 and 因残 are shown as
    /// [`HEALTH_GENERIC_WORDING`] ("因突发困难").
    MaskHealth,
}

/// The generic wording that replaces 因病 / 因残 under [`RiskWording::MaskHealth`].
pub const HEALTH_GENERIC_WORDING: &str = "因突发困难";

impl RiskWording {
    /// The public wording of a household's risks, e.g. "因病、因学".
    pub fn words(self, risks: RiskSet) -> String {
        let mut out: Vec<&'static str> = Vec::new();
        for r in risks.iter() {
            let w = match (self, r) {
                (RiskWording::MaskHealth, RiskType::Illness | RiskType::Disability) => {
                    HEALTH_GENERIC_WORDING
                }
                _ => r.label(),
            };
            if !out.contains(&w) {
                out.push(w);
            }
        }
        out.join("、")
    }
}

/// 公示规则 (configurable rules of a notice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NoticeRules {
    /// 公示期最少天数 — at least this many calendar days, both ends included
    /// (不少于5天 [N]; some provinces ask for more).
    pub min_days: u32,
    /// 风险类型公示口径.
    pub risk_wording: RiskWording,
}

impl Default for NoticeRules {
    fn default() -> Self {
        Self {
            min_days: 5,
            risk_wording: RiskWording::TypeLabels,
        }
    }
}

/// What kind of personal number [`find_sensitive`] recognised in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SensitiveKind {
    /// 身份证件号码 (18 characters, or the old 15 digits).
    IdNumber,
    /// 手机号码 (11 digits starting with 1).
    Mobile,
    /// 银行卡号 / 银行账号 (16–19 digits).
    BankCard,
    /// 长串数字 — more than 19 digits: may hide any of the above.
    LongNumber,
}

impl SensitiveKind {
    /// Chinese name, for messages.
    pub fn label(self) -> &'static str {
        match self {
            SensitiveKind::IdNumber => "身份证件号码",
            SensitiveKind::Mobile => "手机号码",
            SensitiveKind::BankCard => "银行卡号",
            SensitiveKind::LongNumber => "长串数字（可能含证件号码或账号）",
        }
    }
}

/// Characters that may sit between digits of one number as written by hand
/// ("138 1234 5678", "6222-0212-…"); they are skipped when numbers are screened.
fn is_digit_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '_' | '.' | '—' | '–' | '·' | '/')
}

/// Screens a free text for anything that looks like an ID, mobile or bank-card number,
/// even inside longer text and with spaces or dashes between the digits. Full-width digits
/// are folded first.
///
/// A run of digits (separators between digits skipped) is sensitive when it is 11 digits
/// starting with 1 (mobile), 15 digits (old ID), 17 digits followed by X (ID), 16–19 digits
/// (18: ID; otherwise bank card), or longer than 19. Runs of up to 14 digits that are not a
/// mobile — office lines with area code, dates, region codes — are allowed.
pub fn find_sensitive(text: &str) -> Option<SensitiveKind> {
    let chars: Vec<char> = fold_width(text).chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut digits = String::new();
        let mut j = i;
        loop {
            if chars[j].is_ascii_digit() {
                digits.push(chars[j]);
                j += 1;
            } else if is_digit_separator(chars[j])
                && j + 1 < chars.len()
                && chars[j + 1].is_ascii_digit()
            {
                j += 1;
            } else {
                break;
            }
            if j >= chars.len() {
                break;
            }
        }
        let x_after = j < chars.len() && matches!(chars[j], 'X' | 'x');
        let n = digits.len();
        let kind = match n {
            11 if digits.starts_with('1') => Some(SensitiveKind::Mobile),
            15 | 18 => Some(SensitiveKind::IdNumber),
            17 if x_after => Some(SensitiveKind::IdNumber),
            16..=19 => Some(SensitiveKind::BankCard),
            20.. => Some(SensitiveKind::LongNumber),
            _ => None,
        };
        if kind.is_some() {
            return kind;
        }
        i = j.max(i + 1);
    }
    None
}

/// Checks one free-text field: trimmed, width-folded, 1..=`max` characters, no control
/// characters, nothing sensitive. The error never echoes the value (it may be an ID).
fn screened_text(what: &str, s: &str, max: usize) -> Result<String, FieldError> {
    let t = fold_width(s);
    let n = t.chars().count();
    if n == 0 {
        return Err(FieldError::new(format!("{what}不能为空")));
    }
    // Sensitive first: the clerk must learn why, not only that the text is too long.
    if let Some(kind) = find_sensitive(&t) {
        return Err(sensitive_error(what, kind));
    }
    if n > max {
        return Err(FieldError::new(format!("{what}过长：最多{max}个字")));
    }
    if t.chars().any(char::is_control) {
        return Err(FieldError::new(format!("{what}含有控制字符")));
    }
    Ok(t)
}

fn sensitive_error(what: &str, kind: SensitiveKind) -> FieldError {
    FieldError::new(format!(
        "{what}中疑似含有{}：公示公告不得公开身份证件号码、手机号、银行账号和健康状况，请删除后重试",
        kind.label()
    ))
}

/// 村民小组 (village group), free text such as "三组" or "红岩组", screened so that no
/// ID, phone or account number can be published through it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VillageGroup(String);

impl VillageGroup {
    /// 1–20 characters, nothing that looks like a personal number.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        screened_text("村民小组", s, 20).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 公示名单中的一户 (one household of a notice). Only the fields publicity may show
/// (docs/domain.md §6.5): there is deliberately no field for an ID number, a phone, a bank
/// account or a health condition, so none can be passed. Built by [`NoticeEntry::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeEntry {
    head: PersonName,
    group: VillageGroup,
    category: Category,
    household_size: u32,
    risks: RiskSet,
}

/// Largest household size accepted on a notice (a typo guard, not a policy rule).
const MAX_HOUSEHOLD_SIZE: u32 = 99;

impl NoticeEntry {
    /// `head` 户主姓名, `group` 村民小组, `category` 监测对象类别, `household_size`
    /// 家庭人口数 (1–99), `risks` 风险类型 (one to five, shown only by type).
    pub fn new(
        head: PersonName,
        group: VillageGroup,
        category: Category,
        household_size: u32,
        risks: RiskSet,
    ) -> Result<Self, FieldError> {
        if !(1..=MAX_HOUSEHOLD_SIZE).contains(&household_size) {
            return Err(FieldError::new(format!(
                "{head}户家庭人口数“{household_size}”无效：应为1至{MAX_HOUSEHOLD_SIZE}人"
            )));
        }
        if risks.is_empty() || risks.len() > MAX_RISKS {
            return Err(FieldError::new(format!(
                "{head}户风险类型应为1至{MAX_RISKS}项，实际为{}项",
                risks.len()
            )));
        }
        Ok(Self {
            head,
            group,
            category,
            household_size,
            risks,
        })
    }

    /// 户主姓名
    pub fn head(&self) -> &PersonName {
        &self.head
    }

    /// 村民小组
    pub fn group(&self) -> &VillageGroup {
        &self.group
    }

    /// 监测对象类别
    pub fn category(&self) -> Category {
        self.category
    }

    /// 家庭人口数
    pub fn household_size(&self) -> u32 {
        self.household_size
    }

    /// 风险类型 (types only)
    pub fn risks(&self) -> RiskSet {
        self.risks
    }
}

/// 异议受理联系方式 (where to raise an objection): an office and its public office line.
///
/// Allowed on a notice, unlike a household's phone, because it is the number of a public
/// office (村委会, 乡镇人民政府, 县乡村振兴局 …) that publishes it so that villagers can
/// object (§6.2: an objection sends the case back): it identifies no listed household and
/// is already public. A mobile number is refused even here — it is a person's, usually a
/// cadre's, private number; give the office's landline or a hotline such as 12317.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeContact {
    /// 受理单位 — e.g. "红星村村民委员会".
    pub office: String,
    /// 办公电话 — a landline ("0851-2612345") or a public service number ("12317").
    pub phone: String,
}

/// Checks an office line: digits with optional dashes, spaces or brackets; 5–12 digits;
/// a landline (area code from 0, or a 7–8 digit local number) or a 5-digit service number
/// from 1 (12317, 12345). Anything else — above all a mobile — is refused.
fn office_phone(s: &str) -> Result<String, FieldError> {
    let t = fold_width(s);
    if t.is_empty() {
        return Err(FieldError::new("异议受理电话不能为空"));
    }
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '(' | ')'))
    {
        return Err(FieldError::new(
            "异议受理电话只能含数字和“-”：请填写办公固定电话或服务热线",
        ));
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let ok = matches!(
        (digits.as_bytes().first(), digits.len()),
        (Some(b'0'), 10..=12) | (Some(b'2'..=b'9'), 7..=8) | (Some(b'1'), 5)
    );
    if digits.len() == 11 && digits.starts_with('1') {
        return Err(sensitive_error("异议受理电话", SensitiveKind::Mobile));
    }
    if !ok {
        return Err(FieldError::new(
            "异议受理电话无效：应为办公固定电话（如0851-2612345）或5位服务热线（如12317）",
        ));
    }
    Ok(t)
}

/// What a notice is built from; checked by [`Notice::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDraft {
    pub kind: NoticeKind,
    /// 村名 — e.g. "红星村" (the name, not the code).
    pub village: String,
    /// 公示名单 — the batch's households.
    pub entries: Vec<NoticeEntry>,
    /// 公示开始日期 (first day posted).
    pub start: NaiveDate,
    /// 公示结束日期 (last day posted, included).
    pub end: NaiveDate,
    /// 异议受理联系方式.
    pub contact: OfficeContact,
    /// 发布单位 — e.g. "红星村村民委员会"; for a 公告, the township (§6.2).
    pub issuer: String,
    /// 落款日期 — no later than the start date.
    pub issued_on: NaiveDate,
}

/// Why a notice was refused; the message is Chinese and never repeats a refused value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("公示名单为空：至少应有一户")]
    NoEntries,
    #[error("{what}结束日期{end}早于开始日期{start}")]
    PeriodReversed {
        what: &'static str,
        start: NaiveDate,
        end: NaiveDate,
    },
    #[error("{what}自{start}至{end}共{days}天，少于规定的{min_days}天")]
    PeriodTooShort {
        what: &'static str,
        start: NaiveDate,
        end: NaiveDate,
        days: i64,
        min_days: u32,
    },
    #[error("落款日期{issued_on}晚于开始日期{start}")]
    IssuedAfterStart {
        issued_on: NaiveDate,
        start: NaiveDate,
    },
    /// A field refused on its own (empty, too long, or with a sensitive number).
    #[error("{0}")]
    Field(FieldError),
}

/// 公示 / 公告 (a public notice of one village batch), checked and ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    kind: NoticeKind,
    village: String,
    entries: Vec<NoticeEntry>,
    start: NaiveDate,
    end: NaiveDate,
    contact: OfficeContact,
    issuer: String,
    issued_on: NaiveDate,
    risk_wording: RiskWording,
}

impl Notice {
    /// Checks a draft against the rules and returns every problem found: an empty list,
    /// a period shorter than `rules.min_days` (both ends included) or reversed, an issue
    /// date after the start, and free text (village, office, office phone, issuer) that is
    /// empty, too long or looks like an ID, mobile or bank-card number.
    pub fn new(draft: NoticeDraft, rules: &NoticeRules) -> Result<Self, Vec<NoticeError>> {
        let mut problems = Vec::new();
        let kind = draft.kind;
        let what = kind.period_label();
        if draft.entries.is_empty() {
            problems.push(NoticeError::NoEntries);
        }
        let days = (draft.end - draft.start).num_days() + 1;
        if draft.end < draft.start {
            problems.push(NoticeError::PeriodReversed {
                what,
                start: draft.start,
                end: draft.end,
            });
        } else if days < i64::from(rules.min_days) {
            problems.push(NoticeError::PeriodTooShort {
                what,
                start: draft.start,
                end: draft.end,
                days,
                min_days: rules.min_days,
            });
        }
        if draft.issued_on > draft.start {
            problems.push(NoticeError::IssuedAfterStart {
                issued_on: draft.issued_on,
                start: draft.start,
            });
        }
        let mut field = |r: Result<String, FieldError>| match r {
            Ok(v) => v,
            Err(e) => {
                problems.push(NoticeError::Field(e));
                String::new()
            }
        };
        let village = field(screened_text("村名", &draft.village, 30));
        let office = field(screened_text("异议受理单位", &draft.contact.office, 50));
        let phone = field(office_phone(&draft.contact.phone));
        let issuer = field(screened_text("发布单位", &draft.issuer, 50));
        // Names and groups were checked when parsed; names cannot hold digits at all.
        for e in &draft.entries {
            if let Some(kind) = find_sensitive(e.head.as_str()) {
                problems.push(NoticeError::Field(sensitive_error("户主姓名", kind)));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            kind,
            village,
            entries: draft.entries,
            start: draft.start,
            end: draft.end,
            contact: OfficeContact { office, phone },
            issuer,
            issued_on: draft.issued_on,
            risk_wording: rules.risk_wording,
        })
    }

    pub fn kind(&self) -> NoticeKind {
        self.kind
    }

    pub fn entries(&self) -> &[NoticeEntry] {
        &self.entries
    }

    /// 公示开始日期
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// 公示结束日期 (included)
    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// 公示天数, both ends included.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// 标题, e.g. "关于红星村防止返贫监测对象识别的公示".
    pub fn title(&self) -> String {
        self.kind.title(&self.village)
    }

    fn people(&self) -> u32 {
        self.entries.iter().map(|e| e.household_size).sum()
    }

    fn header(&self) -> [&'static str; 6] {
        [
            "序号",
            "户主姓名",
            "村民小组",
            "家庭人口",
            "监测对象类别",
            self.kind.risk_column(),
        ]
    }

    fn rows(&self) -> Vec<[String; 6]> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                [
                    (i + 1).to_string(),
                    e.head.as_str().to_string(),
                    e.group.as_str().to_string(),
                    e.household_size.to_string(),
                    e.category.label().to_string(),
                    self.risk_wording.words(e.risks),
                ]
            })
            .collect()
    }

    fn period_sentence(&self) -> String {
        format!(
            "{}：{}至{}（共{}天）。",
            self.kind.period_label(),
            cn_date(self.start),
            cn_date(self.end),
            self.days()
        )
    }

    fn objection_sentence(&self) -> String {
        format!(
            "{}期间，如有异议，请以书面、电话或当面方式向{}反映（电话：{}）。\
             反映问题应实事求是，以真实姓名反映的，对反映人信息予以保密。",
            self.kind.document(),
            self.contact.office,
            self.contact.phone
        )
    }

    fn redaction_sentence(&self) -> &'static str {
        "依照有关规定，本名单不公开身份证件号码、手机号码、银行账号和健康状况等个人信息。"
    }

    /// Plain text for printing or pasting into a village notice board system.
    pub fn render_text(&self) -> String {
        let header = self.header();
        let rows = self.rows();
        let mut widths = header.map(display_width);
        for r in &rows {
            for (w, cell) in widths.iter_mut().zip(r) {
                *w = (*w).max(display_width(cell));
            }
        }
        let line = |cells: &[&str]| -> String {
            let mut s = String::new();
            for (k, (cell, w)) in cells.iter().zip(widths).enumerate() {
                s.push_str(cell);
                if k + 1 < cells.len() {
                    s.push_str(&" ".repeat(w - display_width(cell) + 2));
                }
            }
            s.push('\n');
            s
        };
        let mut out = String::new();
        out.push_str(&self.title());
        out.push_str("\n\n");
        out.push_str(&self.kind.intro(self.entries.len(), self.people()));
        out.push_str("\n\n");
        out.push_str(&line(&header));
        for r in &rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            out.push_str(&line(&cells));
        }
        out.push('\n');
        out.push_str(&self.period_sentence());
        out.push('\n');
        out.push_str(&self.objection_sentence());
        out.push('\n');
        out.push_str(self.redaction_sentence());
        out.push_str("\n\n");
        out.push_str(&self.issuer);
        out.push('\n');
        out.push_str(&cn_date(self.issued_on));
        out.push('\n');
        out
    }

    /// A self-contained printable HTML page (A4): inline CSS only, no scripts, no external
    /// fonts, images or links; every value HTML-escaped.
    pub fn render_html(&self) -> String {
        let mut h = String::new();
        let title = esc(&self.title());
        h.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
        let _ = writeln!(h, "<title>{title}</title>");
        h.push_str(STYLE);
        h.push_str("</head>\n<body>\n<main class=\"notice\">\n");
        let _ = writeln!(h, "<h1>{title}</h1>");
        let _ = writeln!(
            h,
            "<p class=\"intro\">{}</p>",
            esc(&self.kind.intro(self.entries.len(), self.people()))
        );
        h.push_str("<table>\n<thead>\n<tr>");
        for c in self.header() {
            let _ = write!(h, "<th>{}</th>", esc(c));
        }
        h.push_str("</tr>\n</thead>\n<tbody>\n");
        for r in self.rows() {
            h.push_str("<tr>");
            for c in &r {
                let _ = write!(h, "<td>{}</td>", esc(c));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table>\n");
        let _ = writeln!(
            h,
            "<p class=\"period\">{}</p>",
            esc(&self.period_sentence())
        );
        let _ = writeln!(
            h,
            "<p class=\"objection\">{}</p>",
            esc(&self.objection_sentence())
        );
        let _ = writeln!(
            h,
            "<p class=\"note\">{}</p>",
            esc(self.redaction_sentence())
        );
        let _ = writeln!(
            h,
            "<div class=\"sign\"><p>{}</p><p>{}</p></div>",
            esc(&self.issuer),
            esc(&cn_date(self.issued_on))
        );
        h.push_str("</main>\n</body>\n</html>\n");
        h
    }
}

/// Inline print styles: A4, system CJK serif fonts by local name only (nothing fetched).
const STYLE: &str = "<style>
@page { size: A4 portrait; margin: 20mm 18mm; }
html, body { margin: 0; padding: 0; background: #fff; color: #000; }
body { font-family: \"SimSun\", \"Songti SC\", \"Noto Serif CJK SC\", serif; font-size: 12pt; line-height: 1.6; }
main.notice { max-width: 174mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 18pt; text-align: center; margin: 0 0 6mm; font-weight: bold; }
p { margin: 0 0 3mm; text-indent: 2em; }
table { width: 100%; border-collapse: collapse; margin: 4mm 0 5mm; }
th, td { border: 1px solid #000; padding: 1.5mm 2mm; text-align: center; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
p.note { font-size: 10.5pt; }
.sign { margin-top: 10mm; text-align: right; }
.sign p { text-indent: 0; margin: 0 0 2mm; }
@media print { main.notice { padding: 0; } }
</style>
";

/// "2024年3月4日".
fn cn_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// Columns a string takes in a monospaced CJK font: wide characters count two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

/// HTML-escapes text for element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
