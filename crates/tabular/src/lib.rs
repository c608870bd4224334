//! Exchange formats (docs/formats.md): the column specifications of every import template,
//! reading CSV (UTF-8 or GB18030) and XLSX into typed domain records with a report of every
//! problem by row and column, writing templates and exports, and reading the statistics
//! bureau's division files. Knows nothing of databases.
//!
//! - [`spec`] — the templates' columns, the one source of truth;
//! - [`read`] — a file to a [`Table`] (or a [`RowStream`] for files too big to hold);
//! - [`limits`] — the bounds every file is read within (cells, rows, workbook parts);
//! - [`convert`] — one cell to one typed value;
//! - [`parse`] — headers to columns, rows to records, every [`Problem`] collected;
//! - [`problem`] — problems, masking of sensitive values, the [`Report`];
//! - [`write`](mod@write) — empty templates and exports (XLSX or CSV), streamed;
//! - [`divisions`] — the statistics bureau's division files;
//! - [`synonyms`] — departments' own words for the values of feed columns.
//!
//! An import is [`read_table`] then [`parse_members`] (and friends), or in one streaming
//! pass [`parse_file`]`::<`[`MemberParser`]`>` — same result, no table in memory, reading
//! and checking on two threads. A department feed (部门数据) is read the same way with
//! [`parse_feed_table`] or [`parse_feed_file`].

pub mod convert;
pub mod divisions;
pub mod limits;
pub mod parse;
pub mod problem;
pub mod read;
pub mod spec;
pub mod synonyms;
mod workbook;
pub mod write;
mod xml_scan;

pub use limits::Limits;
pub use parse::{
    FeedParser, HeaderMap, HouseholdParser, IncomeParser, MemberParser, Parsed, ParsedFile,
    RecordParser, RowParser, parse_feed_file, parse_feed_file_with, parse_feed_table, parse_file,
    parse_households, parse_incomes, parse_members, parse_table,
};
pub use problem::{Problem, Report};
pub use read::{Cell, ReadError, Row, RowStream, Table, read_bytes, read_csv_bytes, read_table};
pub use write::{
    Export, RecordWriter, Value, WriteError, write_households, write_incomes, write_members,
    write_records, write_template,
};
