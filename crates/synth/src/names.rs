//! Chinese personal names (姓名): a weighted list of common surnames and given-name
//! characters by sex and birth cohort, so that a grandmother is 秀英 and her granddaughter
//! 梓涵. A name is three static string slices: writing one never allocates.

use crate::rng::{Cumulative, Draw};
use domain::Sex;
use rand::Rng;

/// Common surnames with relative frequency (per 10,000). [S] shaped after the 2020 公安部
/// 户籍 surname ranking; [A] south-western surnames (杨, 罗, 龙, 韦, 令狐 of 桐梓) nudged up.
pub(crate) const SURNAMES: &[(&str, u32)] = &[
    ("王", 700),
    ("李", 700),
    ("张", 640),
    ("刘", 520),
    ("陈", 460),
    ("杨", 420),
    ("黄", 230),
    ("赵", 220),
    ("吴", 220),
    ("周", 190),
    ("罗", 170),
    ("徐", 140),
    ("孙", 120),
    ("马", 130),
    ("朱", 120),
    ("胡", 130),
    ("郭", 110),
    ("何", 120),
    ("高", 110),
    ("林", 90),
    ("郑", 90),
    ("梁", 80),
    ("谢", 80),
    ("宋", 80),
    ("唐", 90),
    ("许", 70),
    ("韩", 70),
    ("冯", 70),
    ("邓", 80),
    ("曹", 70),
    ("彭", 70),
    ("曾", 70),
    ("肖", 60),
    ("田", 70),
    ("董", 50),
    ("袁", 50),
    ("潘", 50),
    ("于", 40),
    ("蒋", 50),
    ("蔡", 50),
    ("余", 60),
    ("杜", 50),
    ("叶", 40),
    ("程", 40),
    ("苏", 40),
    ("魏", 40),
    ("吕", 40),
    ("丁", 40),
    ("任", 40),
    ("沈", 30),
    ("姚", 40),
    ("卢", 40),
    ("姜", 30),
    ("崔", 30),
    ("钟", 40),
    ("谭", 40),
    ("陆", 30),
    ("汪", 30),
    ("范", 30),
    ("金", 30),
    ("石", 40),
    ("廖", 40),
    ("贾", 30),
    ("夏", 30),
    ("韦", 40),
    ("付", 40),
    ("方", 30),
    ("白", 30),
    ("邹", 30),
    ("孟", 20),
    ("熊", 40),
    ("秦", 30),
    ("邱", 30),
    ("江", 20),
    ("尹", 20),
    ("薛", 20),
    ("闫", 20),
    ("段", 20),
    ("雷", 30),
    ("侯", 20),
    ("龙", 40),
    ("史", 20),
    ("陶", 20),
    ("黎", 20),
    ("贺", 20),
    ("顾", 10),
    ("毛", 30),
    ("郝", 10),
    ("龚", 20),
    ("邵", 20),
    ("万", 20),
    ("钱", 10),
    ("严", 20),
    ("覃", 10),
    ("武", 10),
    ("戴", 20),
    ("莫", 20),
    ("孔", 10),
    ("向", 20),
    ("汤", 20),
    ("令狐", 15),
    ("犹", 10),
    ("母", 10),
    ("娄", 10),
    ("穆", 10),
];

/// Given-name characters by cohort (born before 1965, 1965–1994, 1995 on) and sex. [A]
/// typical characters of each generation's naming fashion.
const OLD_MALE: &[&str] = &[
    "国", "华", "明", "成", "福", "德", "光", "永", "志", "文", "学", "清", "发", "贵", "全", "富",
    "林", "忠", "财", "宗", "祥", "金", "兴", "云", "平", "山", "正", "荣", "昌", "友", "才", "顺",
    "开", "元", "生", "中", "海", "洪", "万", "银", "树", "世", "安", "祖", "仁", "绍", "朝", "先",
];
const OLD_FEMALE: &[&str] = &[
    "秀", "英", "兰", "芳", "珍", "凤", "玉", "琴", "桂", "素", "淑", "翠", "菊", "莲", "梅", "花",
    "萍", "群", "敏", "芬", "霞", "娥", "香", "仙", "贞", "珠", "芝", "琼", "蓉", "惠", "碧", "会",
    "春", "先", "明", "光", "元", "银", "金", "美",
];
const MID_MALE: &[&str] = &[
    "海", "波", "勇", "斌", "刚", "超", "辉", "亮", "峰", "飞", "军", "杰", "涛", "伟", "强", "磊",
    "鹏", "林", "红", "兵", "建", "平", "华", "明", "东", "江", "龙", "俊", "武", "剑", "松", "锋",
    "文", "学", "春", "永", "祥", "军", "洪", "波", "毅", "川", "贵", "涌",
];
const MID_FEMALE: &[&str] = &[
    "丽", "艳", "娟", "燕", "玲", "霞", "芳", "梅", "静", "红", "敏", "琴", "莉", "婷", "倩", "雪",
    "英", "兰", "平", "春", "利", "群", "凤", "慧", "秀", "萍", "琳", "芬", "丹", "娅", "琼", "艳",
    "会", "菊", "蓉", "媛",
];
const YOUNG_MALE: &[&str] = &[
    "浩", "宇", "轩", "子", "睿", "泽", "博", "俊", "杰", "晨", "鑫", "涛", "鹏", "磊", "航", "锦",
    "铭", "昊", "一", "嘉", "思", "源", "奕", "梓", "恒", "豪", "天", "文", "明", "宏", "阳", "旭",
    "志", "成", "林", "瑞", "凯", "乐", "然", "辰", "毅", "诚", "哲", "宸", "彬", "翔",
];
const YOUNG_FEMALE: &[&str] = &[
    "欣", "怡", "雨", "梓", "涵", "萱", "佳", "诗", "婷", "雪", "琪", "悦", "静", "晓", "美", "瑶",
    "妍", "馨", "梦", "可", "紫", "语", "蕾", "露", "月", "思", "丹", "彤", "艺", "若", "依", "洁",
    "玉", "春", "娜", "茜", "甜", "雯", "媛", "琳",
];

/// Share of single-character given names by cohort. [A] popular in the 1980s–90s.
const SINGLE_CHAR_SHARE: [f64; 3] = [0.15, 0.32, 0.14];

/// A person's name: surname and one or two given-name characters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Name {
    pub surname: &'static str,
    pub given1: &'static str,
    /// Empty for a one-character given name.
    pub given2: &'static str,
}

impl Name {
    /// Writes the name as UTF-8.
    pub(crate) fn write_to(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(self.surname.as_bytes());
        buf.extend_from_slice(self.given1.as_bytes());
        buf.extend_from_slice(self.given2.as_bytes());
    }
}

/// The name tables with their sampling structure.
pub(crate) struct Names {
    surnames: Cumulative,
}

fn cohort(birth_year: i32) -> usize {
    match birth_year {
        ..1965 => 0,
        1965..1995 => 1,
        _ => 2,
    }
}

fn chars(cohort: usize, sex: Sex) -> &'static [&'static str] {
    match (cohort, sex) {
        (0, Sex::Male) => OLD_MALE,
        (0, Sex::Female) => OLD_FEMALE,
        (1, Sex::Male) => MID_MALE,
        (1, Sex::Female) => MID_FEMALE,
        (_, Sex::Male) => YOUNG_MALE,
        (_, Sex::Female) => YOUNG_FEMALE,
    }
}

impl Names {
    pub(crate) fn new() -> Self {
        Self {
            surnames: Cumulative::new(SURNAMES.iter().map(|s| s.1)),
        }
    }

    /// A surname drawn by frequency.
    pub(crate) fn surname<R: Rng + ?Sized>(&self, rng: &mut R) -> &'static str {
        SURNAMES[self.surnames.sample(rng)].0
    }

    /// A given name fitting the sex and the birth cohort. `generation` (字辈) is used as the
    /// first character of a two-character name when given.
    pub(crate) fn given<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        sex: Sex,
        birth_year: i32,
        generation: Option<&'static str>,
    ) -> (&'static str, &'static str) {
        let c = cohort(birth_year);
        let table = chars(c, sex);
        if let Some(g) = generation {
            let mut second = *rng.pick(table);
            if second == g {
                second = *rng.pick(table);
            }
            return (g, second);
        }
        let first = *rng.pick(table);
        if rng.chance(SINGLE_CHAR_SHARE[c]) {
            return (first, "");
        }
        let mut second = *rng.pick(table);
        // Doubled characters (婷婷, 欢欢) exist but are rare; draw again once.
        if second == first {
            second = *rng.pick(table);
        }
        (first, second)
    }

    /// A character suitable as a generation name (字辈) for sons born in `birth_year`.
    pub(crate) fn generation_char<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        birth_year: i32,
    ) -> &'static str {
        let table = chars(cohort(birth_year), Sex::Male);
        table[rng.random_range(0..table.len())]
    }

    /// A full name.
    pub(crate) fn full<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        surname: &'static str,
        sex: Sex,
        birth_year: i32,
    ) -> Name {
        let (given1, given2) = self.given(rng, sex, birth_year, None);
        Name {
            surname,
            given1,
            given2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    #[test]
    fn names_are_two_to_four_characters_without_digits() {
        let names = Names::new();
        let mut rng = stream(3, Purpose::Registry, 0);
        for i in 0..2000 {
            let sex = if i % 2 == 0 { Sex::Male } else { Sex::Female };
            let s = names.surname(&mut rng);
            let n = names.full(&mut rng, s, sex, 1930 + i % 95);
            let mut buf = Vec::new();
            n.write_to(&mut buf);
            let text = String::from_utf8(buf).unwrap();
            let len = text.chars().count();
            assert!((2..=4).contains(&len), "{text}");
            assert!(domain::PersonName::parse(&text).is_ok());
        }
    }
}
