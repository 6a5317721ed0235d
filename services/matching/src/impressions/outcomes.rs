//! What became of a pair, from the events matching consumes: an application's submission
//! (applied), its first move to an interview (interviewed) and its acceptance (hired), from its
//! transitions on `vte.applications.v1`; a placement's start (hired) and a granted label
//! (labelled) on `vte.placements.v1`. Each is kept at its first time, whatever the order or
//! repetition of the events; nothing of an erased candidate.

use chrono::{DateTime, Utc};
use vte_domain::{CandidateId, OfferId};
use vte_proto::vte::applications::v1::{ApplicationEvent, ApplicationStatus, application_event};
use vte_proto::vte::placements::v1::{PlacementEvent, placement_event};

use crate::store::Tx;

/// The outcomes one event tells of a pair, each with its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub offer: OfferId,
    pub candidate: CandidateId,
    pub applied: Option<DateTime<Utc>>,
    pub interviewed: Option<DateTime<Utc>>,
    pub hired: Option<DateTime<Utc>>,
    pub labelled: Option<DateTime<Utc>>,
}

impl Outcome {
    fn of(offer: &str, candidate: &str, entity: &str) -> Result<Self, String> {
        Ok(Self {
            offer: OfferId::parse(offer).map_err(|_| format!("{entity}.offer_id is not a UUID"))?,
            candidate: CandidateId::parse(candidate)
                .map_err(|_| format!("{entity}.candidate_id is not a UUID"))?,
            applied: None,
            interviewed: None,
            hired: None,
            labelled: None,
        })
    }

    /// Whether the event told anything.
    pub fn is_empty(&self) -> bool {
        self.applied.is_none()
            && self.interviewed.is_none()
            && self.hired.is_none()
            && self.labelled.is_none()
    }
}

fn time(timestamp: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    timestamp.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?))
}

/// The outcomes an application's full state tells (the refusal names the field, never a value).
pub fn of_application(event: &ApplicationEvent) -> Result<Outcome, String> {
    use application_event::Event;
    let application = match &event.event {
        Some(Event::Submitted(e)) => e.application.as_ref(),
        Some(Event::ReviewStarted(e)) => e.application.as_ref(),
        Some(Event::InterviewScheduled(e)) => e.application.as_ref(),
        Some(Event::Accepted(e)) => e.application.as_ref(),
        Some(Event::Refused(e)) => e.application.as_ref(),
        Some(Event::Withdrawn(e)) => e.application.as_ref(),
        Some(Event::MadeObsolete(e)) => e.application.as_ref(),
        Some(Event::Expired(e)) => e.application.as_ref(),
        None => return Err("the envelope carries no event".into()),
    }
    .ok_or("the event's application is missing")?;
    let occurred = time(event.occurred_at.as_ref()).unwrap_or_else(Utc::now);
    let mut outcome = Outcome::of(
        &application.offer_id,
        &application.candidate_id,
        "application",
    )?;
    let first_to = |status: ApplicationStatus| {
        application
            .transitions
            .iter()
            .filter(|t| t.to == status as i32)
            .filter_map(|t| time(t.at.as_ref()))
            .min()
    };
    outcome.applied = time(application.submitted_at.as_ref())
        .or_else(|| first_to(ApplicationStatus::Submitted))
        .or(Some(occurred));
    let status = application.status;
    outcome.interviewed = first_to(ApplicationStatus::Interview)
        .or((status == ApplicationStatus::Interview as i32).then_some(occurred));
    outcome.hired = first_to(ApplicationStatus::Accepted)
        .or((status == ApplicationStatus::Accepted as i32).then_some(occurred));
    Ok(outcome)
}

/// The outcomes a placement event tells: a start is a hire, a granted label a label; the rest
/// tells nothing (`None`).
pub fn of_placement(event: &PlacementEvent) -> Result<Option<Outcome>, String> {
    use placement_event::Event;
    let occurred = time(event.occurred_at.as_ref()).unwrap_or_else(Utc::now);
    let (placement, started, granted) = match &event.event {
        Some(Event::Started(e)) => (e.placement.as_ref(), true, None),
        Some(Event::LabelGranted(e)) => (
            e.placement.as_ref(),
            false,
            Some(
                e.decision
                    .as_ref()
                    .and_then(|d| time(d.decided_at.as_ref())),
            ),
        ),
        Some(_) => return Ok(None),
        None => return Err("the envelope carries no event".into()),
    };
    let placement = placement.ok_or("the event's placement is missing")?;
    let mut outcome = Outcome::of(&placement.offer_id, &placement.candidate_id, "placement")?;
    if started {
        outcome.hired = Some(time(placement.created_at.as_ref()).unwrap_or(occurred));
    }
    if let Some(decided) = granted {
        outcome.labelled = Some(decided.unwrap_or(occurred));
    }
    Ok(Some(outcome))
}

/// Keeps each outcome at its earliest time, unless the candidate was erased.
pub async fn record(tx: &mut Tx, outcome: &Outcome) -> Result<(), sqlx::Error> {
    if outcome.is_empty() {
        return Ok(());
    }
    // LEAST ignores NULLs: a time already known stays unless an earlier one arrives.
    sqlx::query(
        "INSERT INTO outcomes (offer_id, candidate_id, applied_at, interviewed_at, hired_at,
             labelled_at)
         SELECT $1, $2, $3, $4, $5, $6
         WHERE NOT EXISTS (SELECT 1 FROM erased_candidates WHERE candidate_id = $2)
         ON CONFLICT (offer_id, candidate_id) DO UPDATE SET
             applied_at = LEAST(outcomes.applied_at, EXCLUDED.applied_at),
             interviewed_at = LEAST(outcomes.interviewed_at, EXCLUDED.interviewed_at),
             hired_at = LEAST(outcomes.hired_at, EXCLUDED.hired_at),
             labelled_at = LEAST(outcomes.labelled_at, EXCLUDED.labelled_at)",
    )
    .bind(outcome.offer.as_uuid())
    .bind(outcome.candidate.as_uuid())
    .bind(outcome.applied)
    .bind(outcome.interviewed)
    .bind(outcome.hired)
    .bind(outcome.labelled)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vte_proto::vte::applications::v1::{
        Application, ApplicationAccepted, ApplicationTransition,
    };

    fn at(seconds: i64) -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp { seconds, nanos: 0 })
    }

    fn transition(
        from: ApplicationStatus,
        to: ApplicationStatus,
        seconds: i64,
    ) -> ApplicationTransition {
        ApplicationTransition {
            from: from as i32,
            to: to as i32,
            at: at(seconds),
            ..ApplicationTransition::default()
        }
    }

    #[test]
    fn an_accepted_application_tells_when_it_was_sent_interviewed_and_accepted() {
        use ApplicationStatus::*;
        let application = Application {
            offer_id: OfferId::new().to_string(),
            candidate_id: CandidateId::new().to_string(),
            status: Accepted as i32,
            submitted_at: at(1_760_000_000),
            transitions: vec![
                transition(Unspecified, Submitted, 1_760_000_000),
                transition(Submitted, Interview, 1_760_100_000),
                transition(Interview, InReview, 1_760_150_000),
                transition(InReview, Interview, 1_760_200_000),
                transition(Interview, Accepted, 1_760_300_000),
            ],
            ..Application::default()
        };
        let event = ApplicationEvent {
            occurred_at: at(1_760_300_001),
            event: Some(application_event::Event::Accepted(ApplicationAccepted {
                application: Some(application),
            })),
            ..ApplicationEvent::default()
        };
        let outcome = of_application(&event).expect("a valid event");
        let seconds = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp());
        assert_eq!(seconds(outcome.applied), Some(1_760_000_000));
        assert_eq!(seconds(outcome.interviewed), Some(1_760_100_000));
        assert_eq!(seconds(outcome.hired), Some(1_760_300_000));
        assert_eq!(outcome.labelled, None);
    }

    #[test]
    fn an_application_without_offer_id_is_refused_by_field() {
        let event = ApplicationEvent {
            event: Some(application_event::Event::Accepted(ApplicationAccepted {
                application: Some(Application::default()),
            })),
            ..ApplicationEvent::default()
        };
        assert_eq!(
            of_application(&event),
            Err("application.offer_id is not a UUID".to_owned())
        );
    }
}
