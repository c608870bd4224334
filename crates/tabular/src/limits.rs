//! 导入限制 (import limits): the bounds a file must stay within before it costs memory or
//! time, for CSV and workbooks alike. A file beyond any of them is refused with a Chinese
//! message naming the bound, never read in part. The figures are stated, with their
//! reasons and the measured memory they lead to, in docs/formats.md (“Limits”).
//!
//! The bounds of a workbook exist because an .xlsx is a zip of XML parts: a few kilobytes
//! can declare a cell at XFD1048576, a shared-strings table of 10¹¹ entries or a part that
//! inflates a thousandfold. Each bound below closes one such way of turning a small upload
//! into a large allocation; together they bound what reading any accepted file can hold.

/// The bounds applied while reading a file. [`Limits::STANDARD`] is what every import
/// uses; other values exist for tests and for fuzzing with small inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// 最多列数: the last column a non-empty cell may sit in. Templates have at most a few
    /// dozen columns; a department's own export rarely a hundred.
    pub max_columns: usize,
    /// 工作表最多行数: the last row a non-empty cell of a workbook may sit in — Excel's own
    /// maximum (1,048,576), so no workbook Excel wrote is refused, while a crafted one
    /// cannot carry more rows than its compressed size would otherwise allow (an import
    /// holds its rows until the file is checked whole). CSV files are not bounded by rows:
    /// a province's files are CSV, and an upload is bounded by its size.
    pub max_rows: usize,
    /// 单元格最多字符数: Excel's own limit for one cell (32,767).
    pub max_cell_chars: usize,
    /// 一行最多字节: the text of one row, all cells together (UTF-8 bytes).
    pub max_row_bytes: usize,
    /// Rows handed on at a time are also cut at this many bytes of text, so that a batch of
    /// long rows never holds more.
    pub max_batch_bytes: usize,
    /// Entries of the workbook's zip archive.
    pub max_zip_entries: usize,
    /// Uncompressed size of a worksheet part (read as a stream, never held whole).
    pub max_sheet_bytes: u64,
    /// Uncompressed size of the shared-strings part (held whole while the sheet is read).
    pub max_shared_strings_bytes: u64,
    /// Number of shared strings, counted and as declared (`count`, `uniqueCount`).
    pub max_shared_strings: u64,
    /// Uncompressed size of every other part that is read whole (relationships, workbook,
    /// styles, theme); also the bound of a part that is never read.
    pub max_part_bytes: u64,
    /// Elements of a part read whole other than the shared strings (each becomes a value
    /// in memory, so a part of tiny elements is bounded by count, not by bytes).
    pub max_part_elements: u64,
    /// Cell formats (`<xf>`) of the styles part; Excel itself allows 64,000.
    pub max_cell_formats: u64,
    /// Estimated memory of the cell formats: calamine copies a font name and a number
    /// format into each, so a few long names times many formats is the cost to bound.
    pub max_styles_bytes: u64,
    /// Compression ratio (uncompressed ÷ compressed) of a part…
    pub max_ratio: u64,
    /// …once it inflates beyond this many bytes (small parts compress well and harm none).
    pub ratio_grace_bytes: u64,
    /// One XML tag, attributes included.
    pub max_tag_bytes: usize,
    /// One run of XML text (or a comment or CDATA section) between two tags.
    pub max_text_bytes: usize,
    /// One cell of a worksheet (`<c>…</c>`) or one shared string (`<si>…</si>`), as XML.
    pub max_cell_xml_bytes: u64,
    /// 问题 listed one by one in the report of a rejected file; further ones are counted.
    pub max_listed_problems: usize,
}

impl Limits {
    /// The limits of every import (docs/formats.md, “Limits”).
    pub const STANDARD: Limits = Limits {
        max_columns: 1_024,
        max_rows: 1_048_576,
        max_cell_chars: 32_767,
        max_row_bytes: 1 << 20,
        max_batch_bytes: 8 << 20,
        max_zip_entries: 10_000,
        max_sheet_bytes: 1 << 30,
        max_shared_strings_bytes: 128 << 20,
        max_shared_strings: 1 << 21,
        max_part_bytes: 16 << 20,
        max_part_elements: 500_000,
        max_cell_formats: 65_536,
        max_styles_bytes: 64 << 20,
        max_ratio: 100,
        ratio_grace_bytes: 1 << 20,
        max_tag_bytes: 64 << 10,
        max_text_bytes: 1 << 20,
        max_cell_xml_bytes: 1 << 20,
        max_listed_problems: 100_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::STANDARD
    }
}

/// A size for a message: “128 MiB”, “64 KiB”, “1,000 字节”.
pub(crate) fn bytes_text(n: u64) -> String {
    if n >= 1 << 30 && n.is_multiple_of(1 << 30) {
        format!("{} GiB", n >> 30)
    } else if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{}字节", grouped(n))
    }
}

/// A count with thousands separators: 2,097,152.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_counts_read_as_a_clerk_would() {
        assert_eq!(bytes_text(128 << 20), "128 MiB");
        assert_eq!(bytes_text(1 << 30), "1 GiB");
        assert_eq!(bytes_text(64 << 10), "64 KiB");
        assert_eq!(bytes_text(1_000), "1,000字节");
        assert_eq!(grouped(2_097_152), "2,097,152");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
    }
}
