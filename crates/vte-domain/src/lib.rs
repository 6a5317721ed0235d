//! Value types shared by the four VTE services, each parsed once at the edge with a rule named
//! in plain words when the input is rejected.
//!
//! - [`error`]: [`InvalidValue`], [`FieldError`] (with the field path) and [`FieldErrors`].
//! - [`ids`]: one UUIDv7 newtype per aggregate ([`OfferId`], [`CandidateId`], ...).
//! - Places and companies: [`Siren`], [`InseeCode`], [`PostalCode`], [`CompanySize`].
//! - The offer's terms: [`MissionType`], [`EducationLevel`] / [`LevelRange`], [`Contract`],
//!   [`CefrLevel`] / [`LanguageCode`], [`EuroCents`].
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod ascii;
mod serde_str;

pub mod company;
pub mod contract;
pub mod date;
pub mod education;
pub mod email;
pub mod error;
pub mod ids;
pub mod insee;
pub mod language;
pub mod mission;
pub mod money;
pub mod postal;
pub mod programme;
pub mod role;
pub mod siren;

pub use company::CompanySize;
pub use contract::{Contract, ContractKind};
pub use date::RawDate;
pub use education::{EducationLevel, LevelRange};
pub use email::EmailAddress;
pub use error::{AtField, FieldError, FieldErrors, InvalidValue, MAX_FIELD_ERRORS, echo};
pub use ids::{
    ApplicationId, CandidateId, EventId, LabelDecisionId, OfferId, PlacementId, SchoolId,
};
pub use insee::InseeCode;
pub use language::{CefrLevel, LanguageCode};
pub use mission::MissionType;
pub use money::EuroCents;
pub use postal::PostalCode;
pub use programme::Programme;
pub use role::Role;
pub use siren::Siren;
