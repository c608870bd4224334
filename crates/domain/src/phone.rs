//! 联系电话: an 11-digit mainland mobile number. Personal information: stored encrypted,
//! shown masked (138****5678).

use crate::error::FieldError;
use crate::text::fold_width;
use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts spaces and dashes and a +86 / 0086 prefix; requires 1[3-9] and 11 digits.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let folded = fold_width(s);
        let digits: String = folded
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("0086"))
            .unwrap_or(&digits);
        let b = digits.as_bytes();
        if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) || b[0] != b'1' || b[1] < b'3' {
            return Err(FieldError::new(format!(
                "联系电话“{}”无效：应为11位手机号码",
                mask_any(&folded)
            )));
        }
        Ok(Self(digits.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 138****5678
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// Masks the middle of any string that looks like it could be a phone number, so that a
/// rejected value can be echoed in an error report without disclosing it.
fn mask_any(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 6 {
        return s.to_string();
    }
    let keep = 3.min(chars.len() / 3);
    let mut out: String = chars[..keep].iter().collect();
    out.push_str("****");
    out.extend(&chars[chars.len() - keep..]);
    out
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_masks() {
        let p = Phone::parse("+86 138-1234-5678").unwrap();
        assert_eq!(p.as_str(), "13812345678");
        assert_eq!(p.masked(), "138****5678");
        assert!(!format!("{p:?}").contains("1234"));
        assert!(Phone::parse("12812345678").is_err());
        assert!(Phone::parse("0851-1234567").is_err());
        let e = Phone::parse("1381234567").unwrap_err();
        assert!(!e.message.contains("1381234567"));
    }
}
