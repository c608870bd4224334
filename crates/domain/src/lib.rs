//! The pure domain of Fangpin (防贫): the registry's value types and records, parsed at the
//! edge so that invalid data never reaches storage, and the income arithmetic of the
//! monitoring mechanism. No I/O, no database, no async: everything here is a function of its
//! arguments, which is what lets the other crates test against it cheaply.

#[macro_use]
pub mod enums;
pub mod access;
pub mod assistance;
pub mod bounds;
pub mod case;
pub mod declaration;
pub mod elimination;
pub mod error;
pub mod feed;
pub mod household;
pub mod id_number;
pub mod income;
pub mod money;
pub mod monitoring;
pub mod notice;
pub mod phone;
pub mod region;
pub mod screening;
pub mod text;
pub mod zone;

pub use enums::*;
pub use error::FieldError;
pub use household::{Household, HouseholdNo, Member, PersonName, check_composition};
pub use id_number::IdNumber;
pub use income::IncomeRecord;
pub use money::Money;
pub use phone::Phone;
pub use region::{Region, RegionCode, RegionLevel};
pub use zone::Zone;
