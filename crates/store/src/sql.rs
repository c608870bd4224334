//! Statements built from the conditions a query actually has: a search, a filtered list,
//! an audit query. A condition not asked for is not in the SQL at all, so that each
//! statement is one that an index answers and that PostgreSQL's cached plan for it fits;
//! `($1 = 0 OR col = $1)` would leave both to a plan made for every case at once.
//!
//! Only fixed condition texts and parameter numbers are spliced into the SQL; every value
//! is bound.

use crate::{Backend, Store};
use chrono::{DateTime, Utc};

/// A bound parameter, of whichever type its condition needs.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(i64),
    Bool(bool),
    Text(String),
    Blob(Vec<u8>),
    Time(DateTime<Utc>),
}

/// SQL text with its parameters, `$1…` in order of [`Sql::bind`].
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    /// The placeholder of a new parameter.
    pub fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }

    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
}

/// The conditions of a WHERE being built, with their parameters.
#[derive(Debug, Default)]
pub(crate) struct Where {
    conditions: Vec<String>,
    pub params: Vec<Param>,
}

impl Where {
    /// Adds a condition whose `$n` (every occurrence) is the parameter `p`.
    pub fn add(&mut self, condition: &str, p: Param) {
        let n = self.bind(p);
        self.conditions.push(condition.replace("$n", &n));
    }

    /// The placeholder of a new parameter, for a condition written elsewhere.
    pub fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }

    /// The conditions joined by AND (`TRUE` when there are none).
    pub fn conditions(&self) -> String {
        if self.conditions.is_empty() {
            "TRUE".to_owned()
        } else {
            self.conditions.join(" AND ")
        }
    }
}

/// Binds `params` in order to a query.
macro_rules! bind_all {
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                $crate::sql::Param::Int(v) => q.bind(*v),
                $crate::sql::Param::Bool(v) => q.bind(*v),
                $crate::sql::Param::Text(v) => q.bind(v.clone()),
                $crate::sql::Param::Blob(v) => q.bind(v.clone()),
                $crate::sql::Param::Time(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(crate) use bind_all;

impl Store {
    /// `COLLATE "C"` where a text range must compare bytes (PostgreSQL), nothing on SQLite,
    /// whose default collation already does.
    pub(crate) fn byte_order(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " COLLATE \"C\"",
        }
    }

    /// A column that must not be looked up through an index here, because the caller
    /// knows better than the planner's estimate which index is the short way (SQLite's
    /// unary `+`; on PostgreSQL, an expression no index is built on).
    pub(crate) fn not_indexed(&self, column: &str) -> String {
        match (self.backend(), column.ends_with("household_no")) {
            (Backend::Sqlite, _) => format!("+{column}"),
            (Backend::Postgres, true) => format!("({column} || '')"),
            (Backend::Postgres, false) => format!("({column} + 0)"),
        }
    }
}
