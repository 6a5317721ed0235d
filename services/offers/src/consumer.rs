//! What the offers service takes from `vte.candidates.v1`: each candidate's school, consent and
//! the facts the scheme's rules read at apply and hire (from their profile's changes, in revision
//! order) and their erasure. [`CandidatesHandler`]
//! decodes each event and calls the use case of [`usecases::candidates`] in the consumer runner's
//! transaction, which also records the event id, so each event is applied once. Reasons given for a
//! refused event go into dead-letter headers: they name fields, never values.

use sqlx::{Postgres, Transaction};
use vte_domain::ContractKind;
use vte_domain::{CandidateId, SchoolId};
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_events::outbox::OutboxError;
use vte_proto::vte::candidates::v1::candidate_event::Event;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, CandidateErased, CandidateEvent, CandidateProfile, CandidateProfileChanged,
};
use vte_rules::{CandidateFacts, Status};
use vte_wire::WireEnum;

use crate::error::Error;
use crate::store::StoreError;
use crate::usecases::{self, candidates::ERASURE_REVISION};

/// The handler of `vte.candidates.v1` events; mount it with
/// `ConsumerRunner::on::<CandidateEvent, _>(CandidatesHandler)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CandidatesHandler;

impl Handles<CandidateEvent> for CandidatesHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &CandidateEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let candidate = parse_candidate_id(&event.candidate_id, "candidate_id")?;
        match &event.event {
            Some(Event::ProfileChanged(changed)) => {
                profile_changed(transaction, candidate, changed).await
            }
            Some(Event::Erased(erased)) => erase(transaction, candidate, erased, meta).await,
            None => Err(HandlerError::Permanent(
                "the envelope carries no event".to_owned(),
            )),
        }
    }
}

/// Records the candidate's school and consent at the profile's revision (the store ignores a
/// revision it already has or has overtaken). Whether the profile is matchable is the matching
/// service's concern: applications depend on consent only (no consent block reads as none).
async fn profile_changed(
    transaction: &mut Transaction<'static, Postgres>,
    candidate: CandidateId,
    changed: &CandidateProfileChanged,
) -> Result<(), HandlerError> {
    let profile = changed
        .profile
        .as_ref()
        .ok_or_else(|| permanent("profile_changed.profile is missing"))?;
    if !profile.id.is_empty() && parse_candidate_id(&profile.id, "profile.id")? != candidate {
        return Err(permanent("profile.id is not the envelope's candidate_id"));
    }
    let school = if profile.school_id.trim().is_empty() {
        None
    } else {
        Some(
            SchoolId::parse(&profile.school_id)
                .map_err(|_| permanent("profile.school_id is not a UUID"))?,
        )
    };
    if profile.revision == 0 || profile.revision >= ERASURE_REVISION {
        return Err(permanent("profile.revision is out of range"));
    }
    let consent_given = profile
        .consent
        .as_ref()
        .is_some_and(|consent| consent.given);
    let facts = candidate_facts(profile);
    usecases::candidates::record_profile(
        transaction,
        candidate,
        school,
        consent_given,
        facts.as_ref(),
        profile.revision,
    )
    .await
    .map_err(handler_error)
}

/// What the scheme's rules read of a profile (status, level, graduation date, contract kinds
/// sought, first day available; never contact data); `None` when the profile states no level,
/// as an older producer's may not: the candidate then cannot apply until a complete profile
/// arrives.
fn candidate_facts(profile: &CandidateProfile) -> Option<CandidateFacts> {
    let level = u8::try_from(profile.level)
        .ok()
        .filter(|level| *level > 0)?;
    let status = match AcademicStatus::try_from(profile.status) {
        Ok(AcademicStatus::Student) => Status::Student,
        Ok(AcademicStatus::Graduate) => Status::Graduate,
        _ => Status::Unknown,
    };
    let date = |date: Option<&vte_proto::vte::common::v1::Date>| {
        date.and_then(|date| vte_wire::date_from_proto(date).ok())
    };
    let preferences = profile.preferences.as_ref();
    let mut contract_kinds: Vec<ContractKind> = Vec::new();
    for number in preferences.map_or(&[][..], |p| &p.contract_kinds_sought[..]) {
        if let Ok(Some(kind)) = ContractKind::from_wire(*number)
            && !contract_kinds.contains(&kind)
        {
            contract_kinds.push(kind);
        }
    }
    Some(CandidateFacts {
        status,
        level,
        graduation_date: date(profile.graduation_date.as_ref()),
        contract_kinds,
        available_from: date(preferences.and_then(|p| p.available_from.as_ref())),
    })
}

/// Erases the candidate ([`usecases::candidates::erase_candidate`]).
async fn erase(
    transaction: &mut Transaction<'static, Postgres>,
    candidate: CandidateId,
    erased: &CandidateErased,
    meta: &RecordMeta,
) -> Result<(), HandlerError> {
    if !erased.candidate_id.is_empty()
        && parse_candidate_id(&erased.candidate_id, "erased.candidate_id")? != candidate
    {
        return Err(permanent(
            "erased.candidate_id is not the envelope's candidate_id",
        ));
    }
    // An erasure id that is missing or unreadable still gets confirmed, by candidate.
    let erasure_id =
        uuid::Uuid::try_parse(&erased.erasure_id).unwrap_or_else(|_| uuid::Uuid::nil());
    let anonymised = usecases::candidates::erase_candidate(transaction, candidate, erasure_id)
        .await
        .map_err(handler_error)?;
    tracing::info!(
        event_id = %meta.event_id,
        applications = anonymised.applications,
        transitions = anonymised.transitions,
        placements = anonymised.placements,
        label_decisions = anonymised.label_decisions,
        "anonymised an erased candidate"
    );
    Ok(())
}

/// A candidate id sent in `field`; the reason names the field, never the value.
fn parse_candidate_id(raw: &str, field: &str) -> Result<CandidateId, HandlerError> {
    CandidateId::parse(raw).map_err(|_| permanent(&format!("{field} is not a UUID")))
}

fn permanent(reason: &str) -> HandlerError {
    HandlerError::Permanent(reason.to_owned())
}

/// How a use case's failure reaches the runner, decided here once: an outage or a lost race
/// is worth retrying (the partition waits); whatever the rules or the stored data refuse will
/// be refused again (dead-lettered with a reason that names no value).
fn handler_error(error: Error) -> HandlerError {
    match error {
        // The database judges: a value or constraint it refuses is dead-lettered, the rest is
        // retried (a bounded number of times).
        Error::Store(StoreError::Database(error)) | Error::Outbox(OutboxError::Database(error)) => {
            vte_events::consumer::classify(&error)
        }
        Error::ConcurrentChange | Error::Outbox(_) | Error::ContactsUnavailable(_) => {
            HandlerError::Transient(error.to_string())
        }
        Error::Store(_) | Error::Duplicate(_) => {
            permanent("the store refused the candidate's event")
        }
        Error::Invalid(_)
        | Error::TargetNotNamed { .. }
        | Error::NotFound(_)
        | Error::Denied(_)
        | Error::CandidateErased
        | Error::ConsentRequired
        | Error::ProfileNotKnown
        | Error::Refused(_)
        | Error::Invitation(_) => permanent("the service's rules refuse the candidate's event"),
    }
}
