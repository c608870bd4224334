//! CSV rows written straight into a byte buffer: no per-field allocation, integers through
//! `itoa`, dates and amounts formatted by hand (amounts exactly as [`Money`]'s `Display`).
//! Fields are quoted only when they contain a comma, a quote or a line break, as the `csv`
//! crate does, so every reader of the templates reads these files.

use chrono::{Datelike, NaiveDate};
use domain::Money;

/// One output file's bytes for one chunk, with its row count.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub buf: Vec<u8>,
    pub rows: u64,
}

impl Sink {
    /// Starts a row.
    pub(crate) fn row(&mut self) -> Row<'_> {
        Row {
            sink: self,
            first: true,
        }
    }
}

/// A row being written; fields are appended in template column order.
pub(crate) struct Row<'a> {
    sink: &'a mut Sink,
    first: bool,
}

impl Row<'_> {
    fn sep(&mut self) -> &mut Vec<u8> {
        if !self.first {
            self.sink.buf.push(b',');
        }
        self.first = false;
        &mut self.sink.buf
    }

    /// A text field, quoted if needed.
    pub(crate) fn text(mut self, s: &str) -> Self {
        let buf = self.sep();
        write_text(buf, s);
        self
    }

    /// Raw bytes known not to need quoting (ASCII codes, pre-formatted names).
    pub(crate) fn raw(mut self, f: impl FnOnce(&mut Vec<u8>)) -> Self {
        let buf = self.sep();
        f(buf);
        self
    }

    /// An empty field.
    pub(crate) fn empty(mut self) -> Self {
        self.sep();
        self
    }

    pub(crate) fn int(mut self, v: impl itoa::Integer) -> Self {
        let buf = self.sep();
        buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        self
    }

    pub(crate) fn date(mut self, d: NaiveDate) -> Self {
        let buf = self.sep();
        write_date(buf, d);
        self
    }

    pub(crate) fn money(mut self, m: Money) -> Self {
        let buf = self.sep();
        write_money(buf, m);
        self
    }

    /// An amount, or an empty cell when zero (optional columns).
    pub(crate) fn money_or_empty(self, m: Money) -> Self {
        if m == Money::ZERO {
            self.empty()
        } else {
            self.money(m)
        }
    }

    /// Ends the row.
    pub(crate) fn end(self) {
        self.sink.buf.push(b'\n');
        self.sink.rows += 1;
    }
}

/// Writes a header line.
pub(crate) fn header(buf: &mut Vec<u8>, headers: &[&str]) {
    for (i, h) in headers.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_text(buf, h);
    }
    buf.push(b'\n');
}

fn write_text(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        buf.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

/// `YYYY-MM-DD`.
pub(crate) fn write_date(buf: &mut Vec<u8>, d: NaiveDate) {
    let y = d.year() as u32;
    let m = d.month();
    let day = d.day();
    buf.extend_from_slice(&[
        b'0' + (y / 1000 % 10) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'-',
        b'0' + (day / 10) as u8,
        b'0' + (day % 10) as u8,
    ]);
}

/// Yuan as [`Money`]'s `Display` writes it: "1234", "1234.50", "-3.05".
pub(crate) fn write_money(buf: &mut Vec<u8>, m: Money) {
    let fen = m.fen();
    if fen < 0 {
        buf.push(b'-');
    }
    let a = fen.unsigned_abs();
    buf.extend_from_slice(itoa::Buffer::new().format(a / 100).as_bytes());
    let cents = a % 100;
    if cents != 0 {
        buf.extend_from_slice(&[b'.', b'0' + (cents / 10) as u8, b'0' + (cents % 10) as u8]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_matches_display() {
        for fen in [
            0,
            1,
            5,
            10,
            99,
            100,
            105,
            123_450,
            123_456,
            -1,
            -305,
            -30_000,
            i64::from(i32::MAX),
        ] {
            let m = Money::from_fen(fen);
            let mut buf = Vec::new();
            write_money(&mut buf, m);
            assert_eq!(String::from_utf8(buf).unwrap(), m.to_string(), "{fen}");
        }
    }

    #[test]
    fn dates_and_quoting() {
        let mut s = Sink::default();
        s.row()
            .date(NaiveDate::from_ymd_opt(2025, 3, 9).unwrap())
            .text("a,b")
            .text("说\"明\"")
            .int(42u8)
            .empty()
            .end();
        assert_eq!(
            String::from_utf8(s.buf).unwrap(),
            "2025-03-09,\"a,b\",\"说\"\"明\"\"\",42,\n"
        );
        assert_eq!(s.rows, 1);
    }
}
