//! What the service hears and whom it tells. [`EventsHandler`] handles the five topics inside
//! the consumer runner's transaction (which also records the event id): it keeps the facts the
//! texts need (offers, applications), turns each fact into [`Draft`]s for the right recipients
//! and fans them out into notifications and deliveries, which the worker sends later. A
//! candidate's erasure deletes what the service holds about them and is confirmed. Reasons
//! given for a refused event name fields, never values. One module per topic:
//! `suggestions` (`vte.matching.v1`), `applications` (`vte.applications.v1` and the offers'
//! facts from `vte.offers.v1`), `placements` (`vte.placements.v1`), `candidates`
//! (`vte.candidates.v1`: consent requests and erasure) and `invitations`
//! (`vte.invitations.v1`: a company invites a candidate to apply).
//!
//! Every topic but `vte.matching.v1` is handled in batches ([`HandlesBatch`]): the records
//! waiting in a partition go through one transaction, each as if alone. `vte.matching.v1` is
//! not, because its offer-alert counters count outside the transaction and would count again
//! the records of a batch rolled back for one bad record.

mod applications;
mod candidates;
mod invitations;
mod placements;
mod suggestions;

pub use suggestions::OfferAlerts;

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;
use vte_domain::{CandidateId, SchoolId};
use vte_events::consumer::{HandlerError, HandlesBatch, RecordMeta};
use vte_events::outbox::OutboxError;

use crate::Error;
use crate::config::DigestSettings;
use crate::domain::Draft;
use crate::mapping;
use crate::store::StoreError;
use crate::store::notifications::FanOut;
use crate::usecases::inbox::notify;

impl HandlesBatch<vte_proto::vte::applications::v1::ApplicationEvent> for EventsHandler {}
impl HandlesBatch<vte_proto::vte::offers::v1::OfferEvent> for EventsHandler {}
impl HandlesBatch<vte_proto::vte::placements::v1::PlacementEvent> for EventsHandler {}
impl HandlesBatch<vte_proto::vte::candidates::v1::CandidateEvent> for EventsHandler {}
impl HandlesBatch<vte_proto::vte::invitations::v1::InvitationEvent> for EventsHandler {}

/// The rules the handler applies, from configuration.
#[derive(Debug, Clone)]
pub struct EventsHandler {
    /// Days after which an unanswered application reminds its company (said in the texts).
    pub remind_after_days: u32,
    /// When daily digests go out.
    pub digest: DigestSettings,
    /// The cap on offer alerts (new offers told to candidates).
    pub offer_alerts: OfferAlerts,
}

impl EventsHandler {
    /// Tells `drafts`, made of the event `meta` names, to their recipients.
    pub(crate) async fn fan_out(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        meta: &RecordMeta,
        drafts: &[Draft],
    ) -> Result<(), HandlerError> {
        let now = Utc::now().trunc_subsecs(6);
        let clock = FanOut {
            now,
            digest_due: self.digest.due(now),
        };
        notify(transaction, meta.event_id, drafts, clock).await?;
        Ok(())
    }
}

pub(crate) fn occurred_at(at: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    mapping::from_timestamp(at)
        .unwrap_or_else(Utc::now)
        .trunc_subsecs(6)
}

pub(crate) fn uuid(raw: &str, field: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(raw.trim())
        .ok()
        .filter(|id| !id.is_nil())
        .ok_or_else(|| permanent(&format!("{field} is not a UUID")))
}

pub(crate) fn candidate_id(raw: &str, field: &str) -> Result<CandidateId, HandlerError> {
    CandidateId::parse(raw).map_err(|_| permanent(&format!("{field} is not a UUID")))
}

pub(crate) fn optional_school(raw: &str, field: &str) -> Result<Option<SchoolId>, HandlerError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    SchoolId::parse(raw)
        .map(Some)
        .map_err(|_| permanent(&format!("{field} is not a UUID")))
}

pub(crate) fn permanent(reason: &str) -> HandlerError {
    HandlerError::Permanent(reason.to_owned())
}

pub(crate) fn store_error(error: StoreError) -> HandlerError {
    Error::Store(error).into()
}

/// What the consumer runner does with a record whose handling failed: try again later when the
/// service itself failed (its database, its outbox), dead-letter it when it breaks a rule or
/// the database refuses its values.
impl From<Error> for HandlerError {
    fn from(error: Error) -> Self {
        match error {
            Error::Store(StoreError::Corrupt { .. }) => permanent("stored data refused the event"),
            // The database judges: a value or constraint it refuses is dead-lettered, the rest
            // is retried (a bounded number of times).
            Error::Store(StoreError::Database(error))
            | Error::Outbox(OutboxError::Database(error)) => vte_events::consumer::classify(&error),
            error if error.is_internal() => HandlerError::Transient(error.to_string()),
            error => HandlerError::Permanent(error.to_string()),
        }
    }
}
