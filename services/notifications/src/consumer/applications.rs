//! `vte.applications.v1`: each step of an application tells the company (received, withdrawn),
//! the candidate (every step after the submission) and their school (every step), with the
//! offer's facts kept from `vte.offers.v1`. The application's state is kept for the reminder.

use sqlx::{Postgres, Transaction};
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_proto::vte::applications::v1::{Application, ApplicationEvent, application_event};
use vte_proto::vte::offers::v1::{OfferEvent, OfferStatus, offer_event};

use super::{
    EventsHandler, candidate_id, occurred_at, optional_school, permanent, store_error, uuid,
};
use crate::domain::compose::{self, ApplicationRef, ApplicationStep};
use crate::domain::{Draft, Kind, OfferFacts, Recipient, Subject};
use crate::mapping;
use crate::store::facts;

impl Handles<OfferEvent> for EventsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &OfferEvent,
        _meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        use offer_event::Event;
        let offer = match &event.event {
            Some(Event::Drafted(e)) => e.offer.as_ref(),
            Some(Event::Published(e)) => e.offer.as_ref(),
            Some(Event::Updated(e)) => e.offer.as_ref(),
            Some(Event::Filled(e)) => e.offer.as_ref(),
            Some(Event::Closed(e)) => e.offer.as_ref(),
            Some(Event::Expired(e)) => e.offer.as_ref(),
            None => return Err(permanent("the envelope carries no event")),
        }
        .ok_or_else(|| permanent("offer is missing"))?;
        let id = uuid(&offer.id, "offer.id")?;
        let siren = Siren::parse(&offer.company_siren)
            .map_err(|_| permanent("offer.company_siren is not a SIREN"))?;
        let spec = offer.spec.clone().unwrap_or_default();
        // The last day to apply: the deadline, else the start date (as the offers service
        // expires offers); a date that is not one is no reason to refuse the event.
        let expires_on = spec
            .application_deadline
            .as_ref()
            .or(spec.start_date.as_ref())
            .and_then(|date| vte_wire::date_from_proto(date).ok());
        let status = OfferStatus::try_from(offer.status)
            .map(|status| status.as_str_name())
            .unwrap_or_default();
        let standing = facts::OfferStanding {
            status: status.strip_prefix("OFFER_STATUS_").unwrap_or(status),
            expires_on,
        };
        let known = OfferFacts {
            title: spec.title,
            company_name: spec.company_name,
            commune: spec.location.map(|l| l.commune_name).unwrap_or_default(),
        };
        let revision = i64::try_from(offer.revision)
            .map_err(|_| permanent("offer.revision is out of range"))?;
        facts::upsert_offer(transaction, id, &siren, &known, standing, revision)
            .await
            .map_err(store_error)
    }
}

impl Handles<ApplicationEvent> for EventsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &ApplicationEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        use application_event::Event;
        let (application, step) = match &event.event {
            Some(Event::Submitted(e)) => (e.application.as_ref(), ApplicationStep::Submitted),
            Some(Event::ReviewStarted(e)) => (e.application.as_ref(), ApplicationStep::InReview),
            Some(Event::InterviewScheduled(e)) => {
                let at = e
                    .application
                    .as_ref()
                    .and_then(|a| mapping::from_timestamp(a.interview_at.as_ref()));
                (e.application.as_ref(), ApplicationStep::Interview { at })
            }
            Some(Event::Accepted(e)) => (e.application.as_ref(), ApplicationStep::Accepted),
            Some(Event::Refused(e)) => {
                let reason = e
                    .application
                    .as_ref()
                    .and_then(|a| a.transitions.last())
                    .map(|t| t.reason.clone())
                    .unwrap_or_default();
                (e.application.as_ref(), ApplicationStep::Refused { reason })
            }
            Some(Event::Withdrawn(e)) => (e.application.as_ref(), ApplicationStep::Withdrawn),
            Some(Event::MadeObsolete(e)) => (e.application.as_ref(), ApplicationStep::Obsolete),
            Some(Event::Expired(e)) => (e.application.as_ref(), ApplicationStep::Expired),
            None => return Err(permanent("the envelope carries no event")),
        };
        let application = application.ok_or_else(|| permanent("application is missing"))?;
        let parsed = ParsedApplication::parse(application)?;
        let known = facts::KnownApplication {
            id: parsed.ids.application_id,
            offer_id: parsed.ids.offer_id,
            company: parsed.company,
            status: status_name(application.status),
            submitted_at: mapping::from_timestamp(application.submitted_at.as_ref())
                .unwrap_or_else(|| occurred_at(event.occurred_at.as_ref())),
        };
        let revision = i64::try_from(application.revision)
            .map_err(|_| permanent("application.revision is out of range"))?;
        facts::upsert_application(transaction, &known, Some(parsed.candidate), revision)
            .await
            .map_err(store_error)?;
        let offer = facts::offer(&mut **transaction, parsed.ids.offer_id)
            .await
            .map_err(store_error)?;
        let at = occurred_at(event.occurred_at.as_ref());
        let subject = Some(Subject::application(application));
        let draft = |recipient, kind, text| Draft {
            recipient,
            kind,
            text,
            subject_id: Some(parsed.ids.application_id),
            occurred_at: at,
            subject: subject.clone(),
        };
        let mut drafts = Vec::new();
        match step {
            ApplicationStep::Submitted => drafts.push(draft(
                Recipient::Company(parsed.company),
                Kind::ApplicationReceived,
                compose::application_received(&offer, parsed.ids, self.remind_after_days),
            )),
            ApplicationStep::Withdrawn => drafts.push(draft(
                Recipient::Company(parsed.company),
                Kind::ApplicationStatusChanged,
                compose::application_withdrawn_for_company(&offer, parsed.ids),
            )),
            _ => {}
        }
        if step != ApplicationStep::Submitted {
            drafts.push(draft(
                Recipient::Candidate(parsed.candidate),
                Kind::ApplicationStatusChanged,
                compose::application_for_candidate(&step, &offer, parsed.ids),
            ));
        }
        if let Some(school) = parsed.school {
            drafts.push(draft(
                Recipient::School(school),
                Kind::ApplicationStatusChanged,
                compose::application_for_school(&step, &offer, parsed.ids),
            ));
        }
        self.fan_out(transaction, meta, &drafts).await
    }
}

/// The ids an application event names.
struct ParsedApplication {
    ids: ApplicationRef,
    company: Siren,
    candidate: CandidateId,
    school: Option<SchoolId>,
}

impl ParsedApplication {
    fn parse(application: &Application) -> Result<Self, HandlerError> {
        Ok(Self {
            ids: ApplicationRef {
                application_id: uuid(&application.id, "application.id")?,
                offer_id: uuid(&application.offer_id, "application.offer_id")?,
            },
            company: Siren::parse(&application.company_siren)
                .map_err(|_| permanent("application.company_siren is not a SIREN"))?,
            candidate: candidate_id(&application.candidate_id, "application.candidate_id")?,
            school: optional_school(&application.school_id, "application.school_id")?,
        })
    }
}

fn status_name(status: i32) -> String {
    vte_proto::vte::applications::v1::ApplicationStatus::try_from(status)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("APPLICATION_STATUS_")
                .to_owned()
        })
        .unwrap_or_else(|_| String::from("UNSPECIFIED"))
}
