//! The conversions between the wire contract and the domain:
//!
//! - [`models`]: offers and profiles (from events and the read model) as matching sees them;
//! - [`requests`]: the RPCs' requests into the use cases' queries, every invalid field named;
//! - [`answers`]: rankings, explanations and summaries into `vte.matching.v1` messages;
//! - [`suggestions`]: the events matching publishes.

pub mod answers;
pub mod models;
pub mod requests;
pub mod suggestions;

pub use answers::{
    candidate_summary, date_to_proto, distance, explain_match_response, explanation_to_proto,
    filters_to_proto, rank_candidates_response, rank_offers_response, score,
};
pub use models::{candidate_model, contract, date, mission, offer_model, stored_offer};
pub use requests::{candidate_query, id, km_bound, limit, offer_query, pair};
pub use suggestions::{candidates_suggested, offers_suggested};
