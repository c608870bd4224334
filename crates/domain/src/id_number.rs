//! 公民身份号码 (resident ID number, GB 11643-1999): six digits of the registering division,
//! eight of the birth date, three of sequence (odd for men, even for women) and one check
//! character computed by ISO 7064 MOD 11-2 (`X` stands for 10).

use crate::enums::Sex;
use crate::error::FieldError;
use crate::text::fold_width;
use chrono::{Datelike, NaiveDate};
use std::fmt;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [u8; 11] = *b"10X98765432";

/// A valid 18-character ID number, normalised (half-width, upper-case `X`).
///
/// Personal information under PIPL: never log it, never print it whole in a list
/// (use [`IdNumber::masked`]), store it only encrypted.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber([u8; 18]);

impl IdNumber {
    /// Parses and checks an ID number: folds full-width characters and a lower-case `x`,
    /// checks length, digits, the birth date and the check character.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let folded = fold_width(s);
        let b = folded.as_bytes();
        if b.len() != 18 {
            return Err(FieldError::new(format!(
                "证件号码应为18位，实际为{}位",
                folded.chars().count()
            )));
        }
        let mut out = [0u8; 18];
        for (i, &c) in b.iter().enumerate() {
            out[i] = match c {
                b'0'..=b'9' => c,
                b'x' | b'X' if i == 17 => b'X',
                _ => {
                    return Err(FieldError::new(format!(
                        "证件号码第{}位“{}”不是数字{}",
                        i + 1,
                        crate::text::quoted(&char::from(c).to_string()),
                        if i == 17 { "或X" } else { "" }
                    )));
                }
            };
        }
        let expected = check_char(out[..17].try_into().expect("17 digits"));
        if out[17] != expected {
            return Err(FieldError::new(format!(
                "证件号码校验位错误：按前17位计算应为“{}”，请核对号码是否录入有误",
                expected as char
            )));
        }
        let id = Self(out);
        if id.birth_date_opt().is_none() {
            return Err(FieldError::new(
                "证件号码中的出生日期（第7–14位）不是有效日期",
            ));
        }
        Ok(id)
    }

    /// Builds a valid number from its parts (used by the synthetic data generator and
    /// tests). `seq` is taken modulo 1000; its parity is forced to match `sex`.
    pub fn from_parts(division6: u32, birth: NaiveDate, seq: u16, sex: Sex) -> Self {
        let mut seq = seq % 1000;
        let want_odd = sex == Sex::Male;
        if (seq % 2 == 1) != want_odd {
            seq = if seq == 999 { 998 } else { seq + 1 };
            if (seq % 2 == 1) != want_odd {
                seq -= 2;
            }
        }
        let body = format!(
            "{:06}{:04}{:02}{:02}{:03}",
            division6 % 1_000_000,
            birth.year(),
            birth.month(),
            birth.day(),
            seq
        );
        let mut out = [0u8; 18];
        out[..17].copy_from_slice(body.as_bytes());
        out[17] = check_char(out[..17].try_into().expect("17 digits"));
        Self(out)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ascii")
    }

    fn birth_date_opt(&self) -> Option<NaiveDate> {
        let s = self.as_str();
        let y: i32 = s[6..10].parse().ok()?;
        let m: u32 = s[10..12].parse().ok()?;
        let d: u32 = s[12..14].parse().ok()?;
        if !(1880..=2100).contains(&y) {
            return None;
        }
        NaiveDate::from_ymd_opt(y, m, d)
    }

    /// 出生日期 encoded in digits 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date_opt().expect("checked at parse")
    }

    /// 性别: the 17th digit is odd for men, even for women.
    pub fn sex(&self) -> Sex {
        if (self.0[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The six-digit division where the number was first issued.
    pub fn division(&self) -> &str {
        &self.as_str()[..6]
    }

    /// 520322********123X: division and last four kept, the birth date hidden.
    pub fn masked(&self) -> String {
        let s = self.as_str();
        format!("{}********{}", &s[..6], &s[14..])
    }

    /// Lossless 64-bit form: the 17 digits and the check value (X = 10) — for in-memory
    /// joins only; never persist it, it is the number itself.
    pub fn to_u64(&self) -> u64 {
        let mut v: u64 = 0;
        for &c in &self.0[..17] {
            v = v * 10 + u64::from(c - b'0');
        }
        let check = if self.0[17] == b'X' {
            10
        } else {
            u64::from(self.0[17] - b'0')
        };
        v * 11 + check
    }
}

fn check_char(first17: &[u8; 17]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| u32::from(c - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

impl fmt::Debug for IdNumber {
    // Debug output ends up in logs and panics: never the whole number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // A published specimen number (GB 11643 example): 11010519491231002X.
    #[test]
    fn specimen_parses() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.masked(), "110105********002X");
        assert!(!format!("{id:?}").contains("19491231"));
    }

    #[test]
    fn folds_lower_x_and_full_width() {
        let a = IdNumber::parse("11010519491231002x").unwrap();
        let b = IdNumber::parse("１１０１０５１９４９１２３１００２Ｘ").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "11010519491231002X");
    }

    #[test]
    fn reports_bad_check_character_in_chinese() {
        let e = IdNumber::parse("110105194912310021").unwrap_err();
        assert!(e.message.contains("校验位"), "{e}");
        assert!(e.message.contains("X"), "{e}");
        let e = IdNumber::parse("11010519491331002X").unwrap_err();
        assert!(
            e.message.contains("校验位") || e.message.contains("出生日期"),
            "{e}"
        );
        assert!(IdNumber::parse("1101051949123100").is_err());
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (1900i32..2030, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    proptest! {
        #[test]
        fn generated_numbers_round_trip(div in 110000u32..660000, birth in any_date(),
                                        seq in 0u16..1000, male in any::<bool>()) {
            let sex = if male { Sex::Male } else { Sex::Female };
            let id = IdNumber::from_parts(div, birth, seq, sex);
            let parsed = IdNumber::parse(id.as_str()).unwrap();
            prop_assert_eq!(&parsed, &id);
            prop_assert_eq!(parsed.birth_date(), birth);
            prop_assert_eq!(parsed.sex(), sex);
            let lower = id.as_str().to_lowercase();
            prop_assert_eq!(IdNumber::parse(&lower).unwrap(), id);
        }

        #[test]
        fn any_single_digit_change_is_caught(div in 110000u32..660000, birth in any_date(),
                                             seq in 0u16..1000, pos in 0usize..17, delta in 1u8..10) {
            let id = IdNumber::from_parts(div, birth, seq, Sex::Male);
            let mut b = id.as_str().as_bytes().to_vec();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(b).unwrap();
            prop_assert!(IdNumber::parse(&s).is_err());
        }

        #[test]
        fn u64_form_is_injective(a in any_date(), b in any_date(), s1 in 0u16..1000, s2 in 0u16..1000) {
            let x = IdNumber::from_parts(520322, a, s1, Sex::Female);
            let y = IdNumber::from_parts(520322, b, s2, Sex::Female);
            prop_assert_eq!(x == y, x.to_u64() == y.to_u64());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = IdNumber::parse(&s);
        }
    }
}
