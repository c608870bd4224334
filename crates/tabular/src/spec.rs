//! The column specifications of the import templates (docs/formats.md), one source of truth for
//! readers, template writers, exports and the synthetic data generator.

use domain::feed::{
    AssistanceChange, AssistanceKind, DisabilityKind, DisasterKind, EmploymentEvent, Feed,
    HouseDamage, HousingGrade, SchoolingEvent, VisitType,
};
use domain::{
    DisabilityGrade, Education, HealthCondition, HouseholdType, HousingSafety, Labor, Relation,
    Schooling, Sex, WaterSafety,
};

/// What a column holds, which decides how a cell is parsed and validated.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Free text.
    Text,
    /// 户编号.
    HouseholdNo,
    /// 12-digit division code.
    Region,
    /// 18-character resident ID number (sensitive).
    IdNumber,
    /// 11-digit mobile number (sensitive).
    Phone,
    /// Person name.
    Name,
    /// Yuan with up to two decimals.
    Money,
    /// Whole number within bounds.
    Int { min: i64, max: i64 },
    /// Date: YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or an Excel date cell.
    Date,
    /// 是/否, Y/N, 1/0, true/false.
    Flag,
    /// One of a fixed list of Chinese labels.
    Enum(fn() -> Vec<&'static str>),
    /// Several of a fixed list, joined by 、 or a comma.
    MultiEnum(fn() -> Vec<&'static str>),
}

/// Whether a column must be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    Yes,
    No,
    /// Required in some cases, explained in the text.
    When(&'static str),
}

/// One column of a template.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// English key, accepted as an alias of the header.
    pub key: &'static str,
    /// 表头 — the Chinese header.
    pub header: &'static str,
    pub required: Required,
    pub kind: Kind,
    /// 说明 for the explanation sheet.
    pub note: &'static str,
}

impl Column {
    /// Sensitive personal information (PIPL): masked wherever a value is echoed.
    pub fn is_sensitive(&self) -> bool {
        matches!(self.kind, Kind::IdNumber | Kind::Phone)
    }

    /// The allowed labels of an enumerated column.
    pub fn choices(&self) -> Option<Vec<&'static str>> {
        match self.kind {
            Kind::Enum(f) | Kind::MultiEnum(f) => Some(f()),
            Kind::Flag => Some(vec!["是", "否"]),
            _ => None,
        }
    }
}

/// Which template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateKind {
    Households,
    Members,
    Incomes,
    Medical,
    Disability,
    Disaster,
    Assistance,
    Employment,
    Schooling,
    Housing,
    Death,
    /// 预警名单 — written by a screening, not imported.
    Screening,
    /// 数据质量问题清单 — written by the checks, not imported.
    Quality,
}

/// A template: its names and columns.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub kind: TemplateKind,
    /// English name, used on the command line and as the file stem.
    pub name: &'static str,
    /// 中文名称, used as the sheet name.
    pub title: &'static str,
    /// Providing department for feeds (部门); None for registry templates.
    pub department: Option<&'static str>,
    /// The natural key, in words, for the explanation sheet.
    pub key_note: &'static str,
    pub columns: &'static [Column],
}

impl Template {
    pub fn column(&self, key: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.key == key)
    }

    pub fn headers(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.header).collect()
    }
}

const fn col(
    key: &'static str,
    header: &'static str,
    required: Required,
    kind: Kind,
    note: &'static str,
) -> Column {
    Column {
        key,
        header,
        required,
        kind,
        note,
    }
}

use Kind as K;
use Required::{No, Yes};

pub static HOUSEHOLDS: Template = Template {
    kind: TemplateKind::Households,
    name: "households",
    title: "户信息",
    department: None,
    key_note: "户编号（全系统唯一）",
    columns: &[
        col(
            "household_no",
            "户编号",
            Yes,
            K::HouseholdNo,
            "全系统唯一的户编号",
        ),
        col(
            "village_code",
            "村代码",
            Yes,
            K::Region,
            "12位统计用区划代码（村级）",
        ),
        col(
            "household_type",
            "户类型",
            Yes,
            K::Enum(HouseholdType::labels),
            "脱贫户 或 一般农户",
        ),
        col(
            "exit_year",
            "脱贫年度",
            Required::When("脱贫户必填"),
            K::Int {
                min: 2014,
                max: 2020,
            },
            "2014–2020；一般农户不填",
        ),
        col(
            "phone",
            "联系电话",
            No,
            K::Phone,
            "11位手机号码；系统加密保存",
        ),
        col("address", "住址", No, K::Text, ""),
        col(
            "housing_safety",
            "住房安全",
            No,
            K::Enum(HousingSafety::labels),
            "安全/不安全，或鉴定等级A/B/C/D（C、D级为不安全）",
        ),
        col(
            "water_safety",
            "饮水安全",
            No,
            K::Enum(WaterSafety::labels),
            "安全/不安全",
        ),
    ],
};

pub static MEMBERS: Template = Template {
    kind: TemplateKind::Members,
    name: "members",
    title: "人口信息",
    department: None,
    key_note: "证件号码（一人只能在一户）",
    columns: &[
        col(
            "household_no",
            "户编号",
            Yes,
            K::HouseholdNo,
            "须为已导入户信息的户",
        ),
        col("name", "姓名", Yes, K::Name, ""),
        col(
            "id_number",
            "证件号码",
            Yes,
            K::IdNumber,
            "18位居民身份证号码，末位校验码须正确；系统加密保存",
        ),
        col(
            "relation",
            "与户主关系",
            Yes,
            K::Enum(Relation::labels),
            "每户有且只有一名户主，最多一名配偶",
        ),
        col(
            "sex",
            "性别",
            No,
            K::Enum(Sex::labels),
            "可不填；填写时须与证件号码一致",
        ),
        col(
            "birth_date",
            "出生日期",
            No,
            K::Date,
            "可不填；填写时须与证件号码一致",
        ),
        col("labor", "劳动技能", Yes, K::Enum(Labor::labels), ""),
        col(
            "health",
            "健康状况",
            No,
            K::MultiEnum(HealthCondition::labels),
            "可多选，用“、”分隔；“健康”不能与其他状况同选",
        ),
        col(
            "disability_grade",
            "残疾等级",
            No,
            K::Enum(DisabilityGrade::labels),
            "一级至四级",
        ),
        col(
            "schooling",
            "在校生状况",
            No,
            K::Enum(Schooling::labels),
            "在校生填写；非在校生填文化程度",
        ),
        col("education", "文化程度", No, K::Enum(Education::labels), ""),
        col(
            "work_months",
            "务工月数",
            No,
            K::Int { min: 0, max: 12 },
            "0–12",
        ),
        col("medical_insured", "参加城乡居民医保", No, K::Flag, "是/否"),
        col("dibao", "享受低保", No, K::Flag, "是/否"),
        col("tekun", "特困供养", No, K::Flag, "是/否"),
    ],
};

pub static INCOMES: Template = Template {
    kind: TemplateKind::Incomes,
    name: "incomes",
    title: "收支信息",
    department: None,
    key_note: "户编号 + 年度",
    columns: &[
        col("household_no", "户编号", Yes, K::HouseholdNo, ""),
        col(
            "year",
            "年度",
            Yes,
            K::Int {
                min: 2014,
                max: 2100,
            },
            "四位年份",
        ),
        col(
            "wage_income",
            "工资性收入",
            Yes,
            K::Money,
            "元，最多两位小数",
        ),
        col("business_income", "生产经营性收入", Yes, K::Money, "元"),
        col("business_cost", "生产经营性支出", Yes, K::Money, "元"),
        col("property_income", "财产性收入", Yes, K::Money, "元"),
        col("transfer_income", "转移性收入", Yes, K::Money, "元"),
        col(
            "medical_out_of_pocket",
            "合规自付医疗支出",
            No,
            K::Money,
            "元",
        ),
        col("education_cost", "教育支出", No, K::Money, "元"),
        col("other_rigid_cost", "其他刚性支出", No, K::Money, "元"),
    ],
};

pub static MEDICAL: Template = Template {
    kind: TemplateKind::Medical,
    name: "medical",
    title: "医保结算",
    department: Some("医保"),
    key_note: "证件号码 + 结算日期 + 医疗总费用 + 就诊类型",
    columns: &[
        col("id_number", "证件号码", Yes, K::IdNumber, ""),
        col("name", "姓名", No, K::Name, ""),
        col("settled_on", "结算日期", Yes, K::Date, ""),
        col("total_cost", "医疗总费用", Yes, K::Money, "元"),
        col("basic_insurance", "基本医保支付", No, K::Money, "元"),
        col("critical_insurance", "大病保险支付", No, K::Money, "元"),
        col("medical_assistance", "医疗救助支付", No, K::Money, "元"),
        col(
            "out_of_pocket",
            "个人自付",
            No,
            K::Money,
            "元；不填时按总费用减去三项支付计算",
        ),
        col(
            "visit_type",
            "就诊类型",
            No,
            K::Enum(VisitType::labels),
            "门诊/住院",
        ),
    ],
};

pub static DISABILITY: Template = Template {
    kind: TemplateKind::Disability,
    name: "disability",
    title: "残疾人证",
    department: Some("残联"),
    key_note: "证件号码 + 发证日期",
    columns: &[
        col("id_number", "证件号码", Yes, K::IdNumber, ""),
        col("name", "姓名", No, K::Name, ""),
        col(
            "category",
            "残疾类别",
            Yes,
            K::Enum(DisabilityKind::labels),
            "",
        ),
        col(
            "grade",
            "残疾等级",
            Yes,
            K::Enum(DisabilityGrade::labels),
            "一级至四级",
        ),
        col("issued_on", "发证日期", Yes, K::Date, ""),
    ],
};

pub static DISASTER: Template = Template {
    kind: TemplateKind::Disaster,
    name: "disaster",
    title: "受灾人员",
    department: Some("应急管理"),
    key_note: "证件号码 + 灾害类型 + 受灾日期",
    columns: &[
        col("id_number", "证件号码", Yes, K::IdNumber, ""),
        col("name", "姓名", No, K::Name, ""),
        col(
            "disaster_type",
            "灾害类型",
            Yes,
            K::Enum(DisasterKind::labels),
            "",
        ),
        col("occurred_on", "受灾日期", Yes, K::Date, ""),
        col("direct_loss", "直接经济损失", No, K::Money, "元"),
        col(
            "house_damage",
            "房屋受损",
            No,
            K::Enum(HouseDamage::labels),
            "无/一般损坏/严重损坏/倒塌",
        ),
    ],
};

pub static ASSISTANCE: Template = Template {
    kind: TemplateKind::Assistance,
    name: "assistance",
    title: "社会救助",
    department: Some("民政"),
    key_note: "证件号码 + 救助类型 + 变动类型 + 日期",
    columns: &[
        col("id_number", "证件号码", Yes, K::IdNumber, ""),
        col("name", "姓名", No, K::Name, ""),
        col(
            "assistance_type",
            "救助类型",
            Yes,
            K::Enum(AssistanceKind::labels),
            "低保/特困供养/临时救助",
        ),
        col(
            "change",
            "变动类型",
            Yes,
            K::Enum(AssistanceChange::labels),
            "新增/停发/发放",
        ),
        col("date", "日期", Yes, K::Date, ""),
        col("amount", "金额", No, K::Money, "元"),
    ],
};

pub static EMPLOYMENT: Template = Template {
    kind: TemplateKind::Employment,
    name: "employment",
    title: "就业",
    department: Some("人社"),
    key_note: "证件号码 + 事件 + 日期",
    columns: &[
        col("id_number", "证件号码", Yes, K::IdNumber, ""),
        col("name", "姓名", No, K::Name, ""),
        col(
            "event",
            "事件",
            Yes,
            K::Enum(EmploymentEvent::labels),
            "失业登记/返乡/断缴",
        ),
        col("date", "日期", Yes, K::Date, ""),
    ],
};

pub static SCHOOLING: Template = Template {
    kind: TemplateKind::Schooling,
    name: "schooling",
    title: "学籍",
    department: Some("教育"),
    key_note: "证件号码 + 事件 + 日期",
    columns: &[
        col("id_number", "证件号码", Yes, K::IdNumber, ""),
        col("name", "姓名", No, K::Name, ""),
        col(
            "event",
            "事件",
            Yes,
            K::Enum(SchoolingEvent::labels),
            "辍学/失学/入学",
        ),
        col("stage", "学段", No, K::Enum(Schooling::labels), ""),
        col("date", "日期", Yes, K::Date, ""),
    ],
};

pub static HOUSING: Template = Template {
    kind: TemplateKind::Housing,
    name: "housing",
    title: "住房鉴定",
    department: Some("住建"),
    key_note: "证件号码 + 鉴定日期",
    columns: &[
        col("id_number", "证件号码", Yes, K::IdNumber, ""),
        col("name", "姓名", No, K::Name, ""),
        col(
            "grade",
            "鉴定等级",
            Yes,
            K::Enum(HousingGrade::labels),
            "A/B/C/D",
        ),
        col("appraised_on", "鉴定日期", Yes, K::Date, ""),
    ],
};

pub static DEATH: Template = Template {
    kind: TemplateKind::Death,
    name: "death",
    title: "死亡",
    department: Some("公安/民政"),
    key_note: "证件号码",
    columns: &[
        col("id_number", "证件号码", Yes, K::IdNumber, ""),
        col("name", "姓名", No, K::Name, ""),
        col("died_on", "死亡日期", Yes, K::Date, ""),
    ],
};

/// 预警名单: the households a screening flagged, one row each (output only). No ID number,
/// phone or health detail: the 户编号 names the household.
pub static SCREENING: Template = Template {
    kind: TemplateKind::Screening,
    name: "screening",
    title: "预警名单",
    department: None,
    key_note: "户编号",
    columns: &[
        col("household_no", "户编号", Yes, K::HouseholdNo, ""),
        col("village_code", "村代码", Yes, K::Region, ""),
        col("township", "乡镇", No, K::Text, ""),
        col("village", "村", No, K::Text, ""),
        col(
            "rule_ids",
            "规则编号",
            Yes,
            K::Text,
            "触发的预警规则，见 docs/screening.md",
        ),
        col("rules", "预警规则", Yes, K::Text, ""),
        col("risks", "风险类型", Yes, K::Text, "最多5项"),
        col(
            "category",
            "建议类别",
            Yes,
            K::Text,
            "按户类型、收入和突发情况建议；待研判表示暂无相符类别",
        ),
        col("channel", "预警渠道", Yes, K::Text, "收入监测/部门预警"),
        col(
            "per_capita_income",
            "家庭人均纯收入",
            No,
            K::Money,
            "最近年度，元",
        ),
        col("line", "监测范围", No, K::Money, "该年度适用标准，元"),
        col(
            "reasons",
            "预警说明",
            Yes,
            K::Text,
            "每条预警一句：数值、阈值、期间和来源记录",
        ),
        col(
            "outcome",
            "线索处理",
            Yes,
            K::Text,
            "新线索/并入已有线索/已预警",
        ),
    ],
};

/// 数据质量问题清单: one finding per row, by village (output only).
pub static QUALITY: Template = Template {
    kind: TemplateKind::Quality,
    name: "quality",
    title: "数据质量问题清单",
    department: None,
    key_note: "户编号 + 问题代码",
    columns: &[
        col("village_code", "村代码", Yes, K::Region, ""),
        col("village", "村", No, K::Text, ""),
        col("household_no", "户编号", Yes, K::HouseholdNo, ""),
        col(
            "code",
            "问题代码",
            Yes,
            K::Text,
            "DQ01…，见 docs/screening.md",
        ),
        col("problem", "问题", Yes, K::Text, ""),
        col("member", "涉及成员", No, K::Text, "与户主关系和出生年份"),
    ],
};

/// Every template, registry first.
pub static ALL: [&Template; 11] = [
    &HOUSEHOLDS,
    &MEMBERS,
    &INCOMES,
    &MEDICAL,
    &DISABILITY,
    &DISASTER,
    &ASSISTANCE,
    &EMPLOYMENT,
    &SCHOOLING,
    &HOUSING,
    &DEATH,
];

/// Looks a template up by its English name (`households`, `medical`, …).
pub fn by_name(name: &str) -> Option<&'static Template> {
    ALL.iter().copied().find(|t| t.name == name)
}

/// The template of a department feed (部门数据): [`MEDICAL`] for [`Feed::Medical`], ….
pub fn feed_template(feed: Feed) -> &'static Template {
    match feed {
        Feed::Medical => &MEDICAL,
        Feed::Disability => &DISABILITY,
        Feed::Disaster => &DISASTER,
        Feed::Assistance => &ASSISTANCE,
        Feed::Employment => &EMPLOYMENT,
        Feed::Schooling => &SCHOOLING,
        Feed::Housing => &HOUSING,
        Feed::Death => &DEATH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_templates_agree_with_the_domain_feeds() {
        assert_eq!(ALL.len(), 3 + Feed::ALL.len());
        for (feed, t) in Feed::ALL.iter().zip(&ALL[3..]) {
            let ft = feed_template(*feed);
            assert!(std::ptr::eq(ft, *t), "{}", feed.name());
            assert_eq!(ft.name, feed.name());
            assert_eq!(ft.title, feed.label());
            assert_eq!(ft.department, Some(feed.department()));
            // Every feed names its person the same way, and has exactly one date.
            assert_eq!(ft.columns[0].key, "id_number");
            assert_eq!(ft.columns[1].key, "name");
            let dates = ft.columns.iter().filter(|c| matches!(c.kind, Kind::Date));
            assert_eq!(dates.count(), 1, "{}", feed.name());
        }
        // The drop-down lists are the domain's labels, in the domain's order.
        assert_eq!(
            DISASTER.column("house_damage").unwrap().choices().unwrap(),
            ["无", "一般损坏", "严重损坏", "倒塌"]
        );
        assert_eq!(
            HOUSING.column("grade").unwrap().choices().unwrap(),
            ["A", "B", "C", "D"]
        );
    }

    #[test]
    fn keys_and_headers_are_unique_per_template() {
        for t in ALL {
            let mut keys = std::collections::HashSet::new();
            let mut headers = std::collections::HashSet::new();
            for c in t.columns {
                assert!(keys.insert(c.key), "{} {}", t.name, c.key);
                assert!(headers.insert(c.header), "{} {}", t.name, c.header);
            }
        }
        assert_eq!(by_name("members").unwrap().title, "人口信息");
    }
}
