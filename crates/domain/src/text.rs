//! Text normalisation shared by every parser: spreadsheets typed on Chinese input methods
//! carry full-width digits and letters, ideographic spaces and stray whitespace.

/// Folds full-width ASCII (Ｕ+FF01..FF5E) to half-width, the ideographic space to a space,
/// and trims. Chinese characters are left alone.
pub fn fold_width(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        out.push(c);
    }
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_digits_and_letters() {
        assert_eq!(fold_width("　５２０３２２Ｘ "), "520322X");
        assert_eq!(fold_width("桐梓县"), "桐梓县");
    }
}
