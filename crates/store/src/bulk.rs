//! Bulk loading: many rows in one statement with one parameter.
//!
//! A multi-row `VALUES` list binds every field separately, and through sqlx's SQLite worker
//! that binding costs as much as SQLite's own work. Here a chunk of rows travels as one JSON
//! array of arrays, unpacked by the database itself — `json_each` in SQLite,
//! `jsonb_array_elements` in PostgreSQL — into the columns of an `INSERT … SELECT`. The
//! statement is still fully parameterised: the data never becomes SQL text.

use crate::Backend;
use std::fmt::Write as _;

/// The type of one JSON field, which decides how it is unpacked.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty {
    /// JSON number → BIGINT / INTEGER
    Int,
    /// JSON number → SMALLINT
    Small,
    /// JSON string → TEXT
    Text,
    /// JSON string of hex digits → BLOB / BYTEA
    Blob,
    /// JSON true/false → BOOLEAN
    Bool,
    /// JSON string YYYY-MM-DD → DATE (TEXT in SQLite)
    Date,
}

/// `SELECT <field 0> AS <name 0>, … FROM <the array in $1>` for `fields`.
pub(crate) fn select_json(backend: Backend, fields: &[(&str, Ty)]) -> String {
    let mut out = String::from("SELECT ");
    for (i, (name, ty)) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match backend {
            Backend::Sqlite => match ty {
                Ty::Blob => write!(out, "unhex(value ->> {i})"),
                _ => write!(out, "value ->> {i}"),
            },
            Backend::Postgres => match ty {
                Ty::Int => write!(out, "(e ->> {i})::bigint"),
                Ty::Small => write!(out, "(e ->> {i})::smallint"),
                Ty::Text => write!(out, "(e ->> {i})"),
                Ty::Blob => write!(out, "decode(e ->> {i}, 'hex')"),
                Ty::Bool => write!(out, "(e ->> {i})::boolean"),
                Ty::Date => write!(out, "(e ->> {i})::date"),
            },
        }
        .expect("writing to a String cannot fail");
        write!(out, " AS {name}").expect("writing to a String cannot fail");
    }
    // An `INSERT … SELECT … ON CONFLICT` needs a `WHERE` before the upsert clause, which
    // SQLite would otherwise parse as a join constraint: the caller adds `WHERE true`.
    match backend {
        // jsonb_each hands each row over as binary JSON, which `->>` reads without
        // re-parsing text.
        Backend::Sqlite => out.push_str(" FROM jsonb_each($1)"),
        Backend::Postgres => out.push_str(" FROM jsonb_array_elements($1::jsonb) AS e"),
    }
    out
}

/// Appends JSON values to a row being built.
pub(crate) struct RowWriter<'a> {
    buf: &'a mut String,
    first: bool,
}

impl<'a> RowWriter<'a> {
    pub(crate) fn begin(buf: &'a mut String) -> Self {
        if buf.is_empty() {
            buf.push('[');
        } else {
            buf.push(',');
        }
        buf.push('[');
        Self { buf, first: true }
    }

    fn sep(&mut self) {
        if !self.first {
            self.buf.push(',');
        }
        self.first = false;
    }

    pub(crate) fn int(&mut self, v: impl Into<i64>) -> &mut Self {
        self.sep();
        let mut b = itoa::Buffer::new();
        self.buf.push_str(b.format(v.into()));
        self
    }

    pub(crate) fn opt_int(&mut self, v: Option<impl Into<i64>>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    pub(crate) fn bool(&mut self, v: Option<bool>) -> &mut Self {
        self.sep();
        self.buf.push_str(match v {
            Some(true) => "true",
            Some(false) => "false",
            None => "null",
        });
        self
    }

    pub(crate) fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.push_str("null");
        self
    }

    /// A string, JSON-escaped.
    pub(crate) fn text(&mut self, v: &str) -> &mut Self {
        self.sep();
        self.buf.push('"');
        for c in v.chars() {
            match c {
                '"' => self.buf.push_str("\\\""),
                '\\' => self.buf.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    write!(self.buf, "\\u{:04x}", c as u32).expect("String write");
                }
                c => self.buf.push(c),
            }
        }
        self.buf.push('"');
        self
    }

    /// Bytes as a string of hex digits.
    pub(crate) fn blob(&mut self, v: &[u8]) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.sep();
        self.buf.push('"');
        for b in v {
            self.buf.push(HEX[usize::from(b >> 4)] as char);
            self.buf.push(HEX[usize::from(b & 15)] as char);
        }
        self.buf.push('"');
        self
    }

    pub(crate) fn end(&mut self) {
        self.buf.push(']');
    }
}

/// Closes the array begun by the first [`RowWriter::begin`].
pub(crate) fn finish(buf: &mut String) {
    if buf.is_empty() {
        buf.push('[');
    }
    buf.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_valid_json() {
        let mut buf = String::new();
        RowWriter::begin(&mut buf)
            .int(7)
            .text("张\"三\n")
            .blob(&[0, 255])
            .bool(None)
            .end();
        RowWriter::begin(&mut buf).int(-1).null().end();
        finish(&mut buf);
        let v: serde_json::Value = serde_json::from_str(&buf).unwrap();
        assert_eq!(v[0][1], "张\"三\n");
        assert_eq!(v[0][2], "00ff");
        assert_eq!(v[1][0], -1);
    }
}
