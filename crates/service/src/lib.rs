//! Fangpin's use-cases, shared by the command line, the web pages and the JSON API: each
//! function here is one thing a user does (import a file, export the registry, load the
//! divisions, generate demo data, summarise a county, import a department's feed, screen the
//! county against the policy, load departments' words), written once.

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod cases;
pub mod channels;
mod documents;
pub mod error;
pub mod exports;
pub mod feeds;
pub mod imports;
pub mod keys;
pub mod notices;
mod parallel;
pub mod policy;
pub mod progress;
pub mod regions;
pub mod reports;
pub mod screening;
pub mod search;
pub mod stats;
pub mod synonyms;
pub mod synthetic;

pub use error::ServiceError;
