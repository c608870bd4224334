//! Exchange formats (formats.md): the column specifications of every import template,
//! reading CSV (UTF-8 or GB18030) and XLSX into typed domain records with a report of every
//! problem by row and column, writing templates and exports, and reading the statistics
//! bureau's division files. Knows nothing of databases.

pub mod divisions;
pub mod spec;
