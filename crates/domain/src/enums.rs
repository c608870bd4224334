//! The registry's enumerations, each with its Chinese label exactly as the national system
//! and the import templates spell it, and a stable small-integer code for storage.
//! The codes are part of the database format: never renumber, only append.

use crate::error::FieldError;
use crate::text::fold_width;

/// Declares an enumeration whose values are Chinese labels.
/// Generates `ALL`, `label`, `code`, `from_code`, `parse` (exact label or listed alias).
macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $var:ident = $code:literal : $label:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* $var ),+
        }

        impl $name {
            /// Every value, in the order of the template's drop-down list.
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            /// What the field is called in messages.
            pub const WHAT: &'static str = $what;

            /// The Chinese label, as written in templates and exports.
            pub fn label(self) -> &'static str {
                match self { $($name::$var => $label),+ }
            }

            /// Stable storage code.
            pub fn code(self) -> i16 {
                match self { $($name::$var => $code),+ }
            }

            pub fn from_code(code: i16) -> Option<Self> {
                match code { $($code => Some($name::$var),)+ _ => None }
            }

            /// All labels, for drop-down lists and messages.
            pub fn labels() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.label()).collect()
            }

            /// Accepts exactly a listed label (or a documented alias), after width folding.
            pub fn parse(s: &str) -> Result<Self, FieldError> {
                let t = fold_width(s);
                match t.as_str() {
                    $($label $(| $alias)* => Ok($name::$var),)+
                    _ => Err(FieldError::new(format!(
                        "{}“{}”不在可选值中，应为：{}",
                        $what, t, Self::labels().join("、")
                    ))),
                }
            }
        }

        impl $crate::enums::Labelled for $name {
            fn label(self) -> &'static str {
                $name::label(self)
            }
            fn parse(s: &str) -> Result<Self, FieldError> {
                $name::parse(s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

/// An enumeration written as its Chinese label in files and configuration.
pub trait Labelled: Sized + Copy {
    fn label(self) -> &'static str;
    fn parse(s: &str) -> Result<Self, FieldError>;
}

/// `#[serde(with = "domain::enums::by_label")]`: a labelled value as its Chinese label
/// (configuration files are read by people; storage uses the codes).
pub mod by_label {
    use super::Labelled;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<T: Labelled, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.label())
    }

    pub fn deserialize<'de, T: Labelled, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        let s = String::deserialize(d)?;
        T::parse(&s).map_err(serde::de::Error::custom)
    }
}

labelled_enum! {
    /// 性别
    Sex, "性别" {
        Male = 1: "男",
        Female = 2: "女",
    }
}

labelled_enum! {
    /// 户类型
    HouseholdType, "户类型" {
        /// 脱贫户 — formerly registered poor (建档立卡), lifted out by 2020.
        ExPoor = 1: "脱贫户",
        /// 一般农户 — never registered as poor.
        Ordinary = 2: "一般农户",
    }
}

labelled_enum! {
    /// 与户主关系
    Relation, "与户主关系" {
        Head = 1: "户主",
        Spouse = 2: "配偶",
        Son = 3: "之子",
        Daughter = 4: "之女",
        DaughterInLaw = 5: "之儿媳",
        SonInLaw = 6: "之女婿",
        Grandson = 7: "之孙子",
        Granddaughter = 8: "之孙女",
        DaughtersSon = 9: "之外孙子",
        DaughtersDaughter = 10: "之外孙女",
        Father = 11: "之父",
        Mother = 12: "之母",
        FatherInLawOfMan = 13: "之岳父",
        MotherInLawOfMan = 14: "之岳母",
        FatherInLawOfWoman = 15: "之公公",
        MotherInLawOfWoman = 16: "之婆婆",
        Grandfather = 17: "之祖父",
        Grandmother = 18: "之祖母",
        MaternalGrandfather = 19: "之外祖父",
        MaternalGrandmother = 20: "之外祖母",
        Sibling = 21: "之兄弟姐妹",
        GreatGrandson = 22: "之曾孙子",
        GreatGranddaughter = 23: "之曾孙女",
        Nephew = 24: "之侄儿",
        Niece = 25: "之侄女",
        SiblingInLaw = 26: "之兄弟媳妇",
        Uncle = 27: "之叔伯",
        Other = 99: "其他",
    }
}

labelled_enum! {
    /// 劳动技能 (labour capacity)
    Labor, "劳动技能" {
        Ordinary = 1: "普通劳动力",
        Skilled = 2: "技能劳动力",
        Weak = 3: "弱劳动力或半劳动力",
        Lost = 4: "丧失劳动力",
        NoLabor = 5: "无劳动力",
    }
}

impl Labor {
    /// 有劳动能力: ordinary, skilled, or weak/half labour (docs/domain.md §7.3).
    pub fn has_capacity(self) -> bool {
        matches!(self, Labor::Ordinary | Labor::Skilled | Labor::Weak)
    }
}

labelled_enum! {
    /// One 健康状况 condition; a member may have several (see [`Health`]).
    HealthCondition, "健康状况" {
        Healthy = 1: "健康",
        Chronic = 2: "长期慢性病",
        Serious = 4: "患有大病",
        Disabled = 8: "残疾",
    }
}

/// 健康状况 — a set of conditions, stored as a bit mask. Sensitive personal information:
/// never shown in public notices.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Health(u8);

impl Health {
    pub const HEALTHY: Health = Health(1);

    pub fn from_bits(bits: u8) -> Option<Self> {
        (bits & !0x0F == 0).then_some(Self(bits))
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn has(self, c: HealthCondition) -> bool {
        self.0 & (c.code() as u8) != 0
    }

    pub fn with(self, c: HealthCondition) -> Self {
        Self(self.0 | c.code() as u8)
    }

    /// Several conditions joined by 、 , ， ; or a space. 健康 excludes the others.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let t = fold_width(s);
        let mut h = Health(0);
        for part in t
            .split(['、', ',', '，', ';', '；', ' ', '/'])
            .filter(|p| !p.is_empty())
        {
            h = h.with(HealthCondition::parse(part)?);
        }
        if h.has(HealthCondition::Healthy) && h.0 != HealthCondition::Healthy.code() as u8 {
            return Err(FieldError::new(format!(
                "健康状况“{t}”自相矛盾：填写“健康”时不能同时填写其他状况"
            )));
        }
        Ok(h)
    }

    /// Labels joined by 、 in a fixed order.
    pub fn label(self) -> String {
        HealthCondition::ALL
            .iter()
            .filter(|c| self.has(**c))
            .map(|c| c.label())
            .collect::<Vec<_>>()
            .join("、")
    }
}

labelled_enum! {
    /// 残疾等级
    DisabilityGrade, "残疾等级" {
        One = 1: "一级" | "1级" | "1",
        Two = 2: "二级" | "2级" | "2",
        Three = 3: "三级" | "3级" | "3",
        Four = 4: "四级" | "4级" | "4",
    }
}

impl DisabilityGrade {
    /// 一级 and 二级 are 重度残疾 (severe disability).
    pub fn is_severe(self) -> bool {
        matches!(self, DisabilityGrade::One | DisabilityGrade::Two)
    }
}

labelled_enum! {
    /// 在校生状况 (national list)
    Schooling, "在校生状况" {
        Preschooler = 1: "学龄前儿童",
        Preschool = 2: "学前教育",
        Primary = 3: "小学" | "小学一年级" | "小学二年级" | "小学三年级" | "小学四年级"
            | "小学五年级" | "小学六年级",
        Grade7 = 7: "七年级",
        Grade8 = 8: "八年级",
        Grade9 = 9: "九年级",
        HighSchool1 = 11: "普通高中一年级",
        HighSchool2 = 12: "普通高中二年级",
        HighSchool3 = 13: "普通高中三年级",
        Vocational1 = 21: "中职一年级",
        Vocational2 = 22: "中职二年级",
        Vocational3 = 23: "中职三年级",
        College1 = 31: "高职高专一年级",
        College2 = 32: "高职高专二年级",
        College3 = 33: "高职高专三年级",
        Technician1 = 41: "技师学院一年级",
        Technician2 = 42: "技师学院二年级",
        Technician3 = 43: "技师学院三年级",
        Technician4 = 44: "技师学院四年级",
        Bachelor1 = 51: "本科一年级",
        Bachelor2 = 52: "本科二年级",
        Bachelor3 = 53: "本科三年级",
        Bachelor4 = 54: "本科四年级",
        Bachelor5 = 55: "本科五年级",
        Graduate = 61: "硕士研究生及以上",
    }
}

impl Schooling {
    /// 义务教育阶段: primary school and grades 7–9.
    pub fn is_compulsory(self) -> bool {
        matches!(
            self,
            Schooling::Primary | Schooling::Grade7 | Schooling::Grade8 | Schooling::Grade9
        )
    }

    /// At school now (not a pre-school-age child at home).
    pub fn is_student(self) -> bool {
        self != Schooling::Preschooler
    }
}

labelled_enum! {
    /// 文化程度 (for members not at school)
    Education, "文化程度" {
        Illiterate = 1: "文盲或半文盲",
        Primary = 2: "小学",
        Junior = 3: "初中",
        Senior = 4: "高中",
        College = 5: "大专",
        Bachelor = 6: "本科及以上",
    }
}

labelled_enum! {
    /// 住房安全: a plain judgement or the appraisal grade of 《农村危险房屋鉴定技术导则》.
    HousingSafety, "住房安全" {
        Safe = 1: "安全",
        Unsafe = 2: "不安全",
        GradeA = 11: "A" | "A级",
        GradeB = 12: "B" | "B级",
        GradeC = 13: "C" | "C级",
        GradeD = 14: "D" | "D级",
    }
}

impl HousingSafety {
    /// C (local danger) and D (whole building dangerous) are unsafe.
    pub fn is_safe(self) -> bool {
        matches!(
            self,
            HousingSafety::Safe | HousingSafety::GradeA | HousingSafety::GradeB
        )
    }
}

labelled_enum! {
    /// 饮水安全
    WaterSafety, "饮水安全" {
        Safe = 1: "安全",
        Unsafe = 2: "不安全",
    }
}

/// Parses a yes/no flag: 是/否, Y/N, 1/0, true/false (any case).
pub fn parse_flag(s: &str, what: &str) -> Result<bool, FieldError> {
    let t = fold_width(s);
    match t.to_ascii_lowercase().as_str() {
        "是" | "y" | "yes" | "1" | "true" => Ok(true),
        "否" | "n" | "no" | "0" | "false" => Ok(false),
        _ => Err(FieldError::new(format!(
            "{what}“{t}”无效：应填“是”或“否”（也可用Y/N、1/0）"
        ))),
    }
}

/// The label a flag is written back with.
pub fn flag_label(v: bool) -> &'static str {
    if v { "是" } else { "否" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            code: fn(T) -> i16,
            back: fn(i16) -> Option<T>,
        ) {
            let mut seen = std::collections::HashSet::new();
            for &v in all {
                assert!(seen.insert(code(v)), "duplicate code {v:?}");
                assert_eq!(back(code(v)), Some(v));
            }
        }
        check(Relation::ALL, Relation::code, Relation::from_code);
        check(Schooling::ALL, Schooling::code, Schooling::from_code);
        check(Labor::ALL, Labor::code, Labor::from_code);
        check(
            HousingSafety::ALL,
            HousingSafety::code,
            HousingSafety::from_code,
        );
        assert_eq!(Relation::ALL.len(), 28);
    }

    #[test]
    fn parse_exact_labels_with_chinese_error() {
        assert_eq!(Relation::parse("之子").unwrap(), Relation::Son);
        let e = Relation::parse("儿子").unwrap_err();
        assert!(e.message.starts_with("与户主关系“儿子”不在可选值中"));
        assert!(e.message.contains("之子"));
        assert_eq!(HousingSafety::parse("C").unwrap(), HousingSafety::GradeC);
        assert!(!HousingSafety::GradeD.is_safe());
        assert_eq!(Schooling::parse("小学三年级").unwrap(), Schooling::Primary);
    }

    #[test]
    fn health_sets() {
        let h = Health::parse("长期慢性病、残疾").unwrap();
        assert!(h.has(HealthCondition::Chronic) && h.has(HealthCondition::Disabled));
        assert_eq!(h.label(), "长期慢性病、残疾");
        assert_eq!(Health::parse(&h.label()).unwrap(), h);
        assert!(Health::parse("健康,残疾").is_err());
        assert!(Health::parse("感冒").is_err());
    }

    #[test]
    fn flags() {
        for y in ["是", "Y", "1", "TRUE", "true"] {
            assert!(parse_flag(y, "享受低保").unwrap());
        }
        for n in ["否", "n", "0", "false"] {
            assert!(!parse_flag(n, "享受低保").unwrap());
        }
        assert!(parse_flag("有", "享受低保").is_err());
    }
}
