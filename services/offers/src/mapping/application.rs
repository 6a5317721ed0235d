//! Applications on the wire: the application requests into the inputs of
//! [`Application`]'s steps and of [`accept`](crate::domain::accept), an [`Application`] into
//! `vte.applications.v1.Application` (every transition, who made it, and the candidate's message
//! only where it may go), the candidate's contact data disclosed with it, and the
//! `ApplicationEvent` envelope of its last step.

use super::lists::{ListScope, ScopedList, scoped_list_input, scoped_list_request};
use super::wire::{
    WireEnum, actor_to_proto, both, check_recent_date, optional_timestamp, parse_id,
    parse_optional_id, timestamp, timestamp_from_proto,
};
use crate::domain::{AcceptanceTerms, Application, ApplicationStatus, ApplicationTransition};
use chrono::{DateTime, Utc};
use vte_domain::{ApplicationId, CandidateId, FieldErrors, OfferId};
use vte_proto::vte::applications::v1 as applications;
use vte_proto::vte::applications::v1::application_event::Event;
use vte_proto::vte::candidates::v1 as candidates;
use vte_proto::vte::offers::v1 as offers;
use vte_service::contacts::Contact;

/// Apply, decoded: the arguments of [`Application::submit`] that come from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyInput {
    /// The offer applied to.
    pub offer_id: OfferId,
    /// The candidate a school names; `None` means the caller (a candidate).
    pub candidate_id: Option<CandidateId>,
    /// The message to the company, as sent; checked by the domain.
    pub message: String,
}

/// Decodes an Apply request.
pub fn apply_input(request: &offers::ApplyRequest) -> Result<ApplyInput, FieldErrors> {
    let (offer_id, candidate_id) = both(
        parse_id("offer_id", &request.offer_id),
        parse_optional_id("candidate_id", &request.candidate_id),
    )?;
    Ok(ApplyInput {
        offer_id,
        candidate_id,
        message: request.message.clone(),
    })
}

/// A step on an application that takes only free text: ReviewApplication (`note`),
/// RefuseApplication and WithdrawApplication (`reason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationStep {
    /// The application.
    pub application_id: ApplicationId,
    /// The note or the reason, as sent; checked by the domain under its own field name.
    pub text: String,
}

/// Decodes a ReviewApplication request, for [`Application::start_review`].
pub fn review_input(
    request: &offers::ReviewApplicationRequest,
) -> Result<ApplicationStep, FieldErrors> {
    step(&request.application_id, &request.note)
}

/// Decodes a RefuseApplication request, for [`Application::refuse`].
pub fn refuse_input(
    request: &offers::RefuseApplicationRequest,
) -> Result<ApplicationStep, FieldErrors> {
    step(&request.application_id, &request.reason)
}

/// Decodes a WithdrawApplication request, for [`Application::withdraw`].
pub fn withdraw_input(
    request: &offers::WithdrawApplicationRequest,
) -> Result<ApplicationStep, FieldErrors> {
    step(&request.application_id, &request.reason)
}

fn step(application_id: &str, text: &str) -> Result<ApplicationStep, FieldErrors> {
    Ok(ApplicationStep {
        application_id: parse_id("application_id", application_id)?,
        text: text.to_owned(),
    })
}

/// ScheduleInterview, decoded: the arguments of [`Application::schedule_interview`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleInterviewInput {
    /// The application.
    pub application_id: ApplicationId,
    /// The interview's time; `None` when not fixed yet. That it lies ahead is the domain's rule.
    pub interview_at: Option<DateTime<Utc>>,
    /// The note for the log, as sent.
    pub note: String,
}

/// Decodes a ScheduleInterview request; a malformed `interview_at` is rejected here.
pub fn schedule_interview_input(
    request: &offers::ScheduleInterviewRequest,
) -> Result<ScheduleInterviewInput, FieldErrors> {
    let interview_at = match &request.interview_at {
        None => Ok(None),
        Some(at) => timestamp_from_proto(at)
            .map(Some)
            .map_err(|invalid| invalid.at("interview_at").into()),
    };
    let (application_id, interview_at) = both(
        parse_id("application_id", &request.application_id),
        interview_at,
    )?;
    Ok(ScheduleInterviewInput {
        application_id,
        interview_at,
        note: request.note.clone(),
    })
}

/// AcceptApplication, decoded: the application and the terms for
/// [`accept`](crate::domain::accept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptInput {
    /// The application.
    pub application_id: ApplicationId,
    /// The contract's start date (a calendar date when given), duration and note.
    pub terms: AcceptanceTerms,
}

/// Decodes an AcceptApplication request.
pub fn accept_input(
    request: &offers::AcceptApplicationRequest,
) -> Result<AcceptInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let contract_start_date = check_recent_date(
        &mut errors,
        "contract_start_date",
        request.contract_start_date.as_ref(),
    );
    let (application_id, ()) = both(
        parse_id("application_id", &request.application_id),
        errors.into_result(),
    )?;
    Ok(AcceptInput {
        application_id,
        terms: AcceptanceTerms {
            contract_start_date,
            duration_months: request.duration_months,
            note: request.note.clone(),
        },
    })
}

/// Whose applications a list asks for.
pub type ApplicationsScope = ListScope;

/// ListApplications, decoded.
pub type ListApplicationsInput = ScopedList<ApplicationStatus>;

scoped_list_request!(
    offers::ListApplicationsRequest,
    list_applications_request,
    ApplicationStatus
);

/// Decodes a ListApplications request; the scope is required.
pub fn list_applications_input(
    request: &offers::ListApplicationsRequest,
) -> Result<ListApplicationsInput, FieldErrors> {
    scoped_list_input(request)
}

/// Whether an encoded application carries the candidate's free-text message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// For API responses to the company, the candidate and their school.
    Include,
    /// For events and any other reader: the message may hold contact details.
    Omit,
}

/// The whole application on the wire: ids, status, every transition with its actor, times,
/// revision, placement, and the message when `message` says so.
pub fn application_to_proto(
    application: &Application,
    message: Message,
) -> applications::Application {
    applications::Application {
        id: application.id.to_string(),
        offer_id: application.offer_id.to_string(),
        company_siren: application.company_siren.to_string(),
        candidate_id: application.candidate_id.to_string(),
        school_id: application
            .school_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        status: application.status.to_wire(),
        transitions: application
            .transitions
            .iter()
            .map(transition_to_proto)
            .collect(),
        interview_at: optional_timestamp(application.interview_at),
        revision: application.revision,
        submitted_at: Some(timestamp(application.submitted_at)),
        updated_at: Some(timestamp(application.updated_at)),
        placement_id: application
            .placement_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        message: match (message, &application.message) {
            (Message::Include, Some(text)) => text.to_string(),
            (Message::Include, None) | (Message::Omit, _) => String::new(),
        },
    }
}

fn transition_to_proto(transition: &ApplicationTransition) -> applications::ApplicationTransition {
    applications::ApplicationTransition {
        from: transition.from.map_or(0, WireEnum::to_wire),
        to: transition.to.to_wire(),
        actor: Some(actor_to_proto(&transition.actor)),
        at: Some(timestamp(transition.at)),
        reason: transition
            .reason
            .as_ref()
            .map(|reason| reason.to_string())
            .unwrap_or_default(),
    }
}

/// The contact data of `candidate` on the wire (`vte.candidates.v1.Contact`), as the candidates
/// service gave it.
pub fn contact_to_proto(candidate: CandidateId, contact: Contact) -> candidates::Contact {
    candidates::Contact {
        candidate_id: candidate.to_string(),
        first_name: contact.first_name,
        last_name: contact.last_name,
        email: contact.email,
        phone: contact.phone,
    }
}

/// The `vte.applications.v1` envelope of the application's last step (its status now): a fresh
/// UUIDv7 event id, the application's update time, its id as the key, and never the message.
pub fn application_event(application: &Application) -> applications::ApplicationEvent {
    let state = Some(application_to_proto(application, Message::Omit));
    // The status is always the last transition's `to`; the log is the source the contract names.
    let last_step = application
        .transitions
        .last()
        .map_or(application.status, |transition| transition.to);
    let event = match last_step {
        ApplicationStatus::Submitted => {
            Event::Submitted(applications::ApplicationSubmitted { application: state })
        }
        ApplicationStatus::InReview => {
            Event::ReviewStarted(applications::ApplicationReviewStarted { application: state })
        }
        ApplicationStatus::Interview => {
            Event::InterviewScheduled(applications::ApplicationInterviewScheduled {
                application: state,
            })
        }
        ApplicationStatus::Accepted => {
            Event::Accepted(applications::ApplicationAccepted { application: state })
        }
        ApplicationStatus::Refused => {
            Event::Refused(applications::ApplicationRefused { application: state })
        }
        ApplicationStatus::Withdrawn => {
            Event::Withdrawn(applications::ApplicationWithdrawn { application: state })
        }
        ApplicationStatus::Obsolete => {
            Event::MadeObsolete(applications::ApplicationMadeObsolete { application: state })
        }
        ApplicationStatus::Expired => {
            Event::Expired(applications::ApplicationExpired { application: state })
        }
    };
    applications::ApplicationEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(timestamp(application.updated_at)),
        application_id: application.id.to_string(),
        event: Some(event),
    }
}
