//! Exchange formats (formats.md): the column specifications of every import template,
//! reading CSV (UTF-8 or GB18030) and XLSX into typed domain records with a report of every
//! problem by row and column, writing templates and exports, and reading the statistics
//! bureau's division files. Knows nothing of databases.

pub mod convert;
pub mod divisions;
pub mod parse;
pub mod problem;
pub mod read;
pub mod spec;
pub mod write;

pub use parse::{HeaderMap, Parsed, parse_households, parse_incomes, parse_members};
pub use problem::{Problem, Report};
pub use read::{Cell, ReadError, Row, Table, read_csv_bytes, read_table};
pub use write::{
    Export, RecordWriter, Value, WriteError, write_households, write_incomes, write_members,
    write_records, write_template,
};
