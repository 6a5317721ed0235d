//! The conversions between the wire contract (`vte.offers.v1`, `vte.applications.v1`,
//! `vte.placements.v1`, `vte.common.v1`) and the domain, written once for the gRPC layer and the
//! event layer. Each request decodes into the typed input its use case takes
//! ([`CreateOfferInput`], [`ApplyInput`]...). Decoders never panic: every malformed id, date,
//! timestamp or enum number becomes a field error named by its proto path, all of a request's
//! gathered in one [`FieldErrors`](vte_domain::FieldErrors).
//!
//! - [`wire`]: shared values (ids, dates, timestamps, enums, actors, places, aids, pages).
//! - One module per aggregate: [`offer`] (and [`search`]), [`application`], [`placement`] (and
//!   label decisions), [`label`] (a placement's label requests, appeals and case), [`invitation`]
//!   (invitations to apply, `vte.invitations.v1`), each with its request decoders, its encoder
//!   and its event builder; [`lists`] decodes the lists scoped to an offer or a candidate
//!   (applications, invitations) once for both.
//!
//! Statuses are the gRPC adapter's (`grpc::status`); [`bad_request_of`] reads the field errors
//! back out of one, for clients and tests.

pub mod application;
pub mod invitation;
pub mod label;
pub mod lists;
pub mod offer;
pub mod placement;
pub mod search;
pub mod wire;

#[cfg(test)]
mod tests;

pub use application::{
    AcceptInput, ApplicationStep, ApplicationsScope, ApplyInput, ListApplicationsInput, Message,
    ScheduleInterviewInput, accept_input, application_event, application_to_proto, apply_input,
    contact_to_proto, list_applications_input, refuse_input, review_input,
    schedule_interview_input, withdraw_input,
};
pub use invitation::{
    DeclineInput, FreeText, InvitationsScope, InviteInput, ListInvitationsInput, decline_input,
    invitation_event, invitation_sent_event, invitation_to_proto, invite_input,
    list_invitations_input,
};
pub use label::{
    AppealLabelInput, ListLabelQueueInput, RequestLabelInput, appeal_label_input,
    label_appeal_to_proto, label_appealed_event, label_case_to_proto, label_request_due_event,
    label_request_to_proto, label_requested_event, list_label_queue_input, request_label_input,
};
pub use lists::{ListScope, ScopedList, ScopedListRequest, scoped_list_input};
pub use offer::{
    CloseOfferInput, CreateOfferInput, ListOffersInput, PublishOfferInput, UpdateOfferInput,
    close_offer_input, create_offer_input, list_offers_input, new_offer, offer_event,
    offer_to_proto, publish_offer_input, update_offer_input,
};
pub use placement::{
    CompletePlacementInput, DecideLabelInput, EndPlacementEarlyInput, LabelDecisionsScope,
    ListLabelDecisionsInput, ListPlacementsInput, complete_placement_input, decide_label_input,
    end_placement_early_input, label_decision_to_proto, list_label_decisions_input,
    list_placements_input, placement_event, placement_to_proto,
};
pub use search::{Near, SearchRequestInput, TerritoryScope, search_request_input};
pub use vte_wire::status::{BadRequest, FieldViolation, bad_request_of};
pub use wire::{FilteredList, PageInput, WireEnum, page_input, parse_id, parse_optional_id};
