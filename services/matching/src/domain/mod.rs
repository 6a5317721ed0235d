//! The matching rules, pure: no tonic, no sqlx.
//!
//! - [`model`]: offers and candidates as matching sees them; [`text`] and [`geo`]: how free
//!   text and places compare;
//! - [`eligibility`]: the scheme's rules through [`vte_rules::judge`], and their columns' gate;
//! - [`score`]: the hard filters and score components as numbers, [`assess`] for one pair;
//! - [`explain`]: the same in words, for the company or for the student.

pub mod eligibility;
pub mod explain;
pub mod geo;
pub mod model;
pub mod score;
pub mod taxonomy;
pub mod text;

pub use eligibility::{Gate, SchemeFit, verdict};
pub use explain::{Audience, Component, Explanation, FilterKind, FilterOutcome, explain};
pub use geo::{Unit, distance_km, one_decimal};
pub use model::{
    Academic, CandidateModel, Language, OfferModel, Place, Term, contract_index, mission_index,
    mission_weights,
};
pub use score::{Assessment, ComponentKind, Rules, Weights, assess};
pub use text::{NO_FIELD_SOUGHT, field_fit, held_keys, normalize, skill_credit};
