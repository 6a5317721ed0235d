//! The offers service's domain: offers, applications, placements and label decisions as pure
//! logic (no gRPC, no SQL, no Kafka, no clock: callers pass `today` and `now`, and the ids of
//! what they create). The use cases ([`crate::usecases`]) load what these functions need, call
//! them and save what they return; [`DomainError::kind`] says how a refusal reaches a client.
//!
//! - Content: [`spec`] (an offer's input, draft and complete spec), [`validation`],
//!   [`location`], [`aid`].
//! - Lives: [`offer`] (the offer aggregate), [`application_state`] and [`application`],
//!   [`acceptance`], [`placement`], [`label`], [`invitation`] (to apply); [`actor`] says who
//!   acts, [`values`] holds checked text and dates.

pub mod acceptance;
pub mod actor;
pub mod aid;
pub mod application;
pub mod application_state;
pub mod eligibility;
pub mod error;
pub mod invitation;
pub mod label;
pub mod location;
pub mod offer;
pub mod placement;
pub mod spec;
pub mod validation;
pub mod values;

#[cfg(test)]
pub(crate) mod testing;

pub use acceptance::{Acceptance, AcceptanceTerms, accept};
pub use actor::{Actor, Party, Role};
pub use aid::incomplete_aids;
pub use application::{
    Application, ApplicationTransition, ExpiryCause, ObsoleteCause, UNANSWERED_EXPIRY,
    close_out_applications, is_due_for_expiry,
};
pub use application_state::{ApplicationAction, ApplicationStatus, IllegalTransition, transition};
pub use eligibility::{Frozen, FrozenTerritory};
pub use error::{DomainError, ErrorKind};
pub use invitation::{
    DeclineError, Invitation, InvitationId, InvitationRefusal, InvitationStatus, check_limits,
};
pub use label::{
    CharterAcknowledgement, LabelAction, LabelAppeal, LabelAppealId, LabelCase, LabelDecided,
    LabelDecision, LabelHistory, LabelOutcome, LabelRefusal, LabelRequest, LabelRequestId,
    LabelStatus, LabelWindow, NewLabelDecision, NewLabelRequest, acknowledge_charter, appeal_label,
    decide_label, label_window, longest_label_window_months, request_label,
};
pub use location::{Location, TerritoryRef};
pub use offer::{Offer, OfferAction, OfferChange, OfferContent, OfferStatus, same_company_name};
pub use placement::{
    EarlyEnd, EarlyEndReason, Placement, PlacementAction, PlacementStatus, planned_end_date,
};
pub use spec::{
    DraftSpec, LanguageRequirement, NewLanguage, NewMoney, NewOffer, NewSalaryRange, OfferSpec,
    Positions, RemotePolicy, SalaryRange,
};
pub use validation::{validate_draft, validate_offer};
pub use values::RawDate;
