#![allow(clippy::unwrap_used)]

use super::*;
use crate::domain::actor::Role;
use crate::domain::application_state::IllegalTransition;
use crate::domain::error::ErrorKind;
use crate::domain::testing::{
    application_to, candidate, company, date, draft_offer, now, published_offer, school, today,
};

fn later() -> DateTime<Utc> {
    now() + TimeDelta::hours(2)
}

fn submitted() -> Application {
    application_to(&published_offer(2))
}

fn apply(
    offer: &Offer,
    actor: &Actor,
    message: &str,
    on: NaiveDate,
) -> Result<Application, DomainError> {
    Application::submit(
        ApplicationId::new(),
        offer,
        CandidateId::new(),
        None,
        actor,
        message,
        on,
        now(),
    )
}

#[test]
fn a_candidate_applies_to_a_published_offer_and_the_log_records_it() {
    let offer = published_offer(2);
    let candidate_id = CandidateId::new();
    let application = Application::submit(
        ApplicationId::new(),
        &offer,
        candidate_id,
        None,
        &candidate(candidate_id),
        " Bonjour, je suis très motivé. ",
        today(),
        now(),
    )
    .unwrap();
    assert_eq!(application.status, ApplicationStatus::Submitted);
    assert_eq!(application.company_siren, offer.company_siren);
    assert_eq!(application.revision, 1);
    assert_eq!(
        application.message.unwrap().as_str(),
        "Bonjour, je suis très motivé."
    );
    let [entry] = application.transitions.as_slice() else {
        panic!("one entry expected");
    };
    assert_eq!((entry.from, entry.to), (None, ApplicationStatus::Submitted));
    assert_eq!(entry.actor.role, Role::Candidate);
    assert_eq!(entry.at, now());
}

#[test]
fn a_school_applies_on_behalf_of_its_student() {
    let application = apply(&published_offer(1), &school(), "", today()).unwrap();
    assert_eq!(application.transitions[0].actor.role, Role::School);
    assert_eq!(application.message, None);
}

#[test]
fn a_company_does_not_apply() {
    let error = apply(&published_offer(1), &company(), "", today()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PermissionDenied);
}

#[test]
fn nobody_applies_to_a_draft_nor_after_the_deadline() {
    let actor = school();
    assert_eq!(
        apply(&draft_offer(), &actor, "", today()),
        Err(DomainError::OfferNotOpen {
            status: OfferStatus::Draft
        })
    );
    assert_eq!(
        apply(&published_offer(1), &actor, "", date(2026, 7, 1)),
        Err(DomainError::ApplicationsClosed {
            last_day: date(2026, 6, 30)
        })
    );
}

#[test]
fn a_message_to_the_company_has_at_most_4000_characters() {
    let error = apply(&published_offer(1), &school(), &"x".repeat(4001), today()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid request: message: must be at most 4000 characters, got 4001"
    );
}

#[test]
fn the_company_starts_reviewing_and_the_log_keeps_its_note() {
    let application = submitted();
    let reviewed = application
        .start_review(&company(), "CV reçu", later())
        .unwrap();
    assert_eq!(reviewed.status, ApplicationStatus::InReview);
    assert_eq!(reviewed.revision, 2);
    assert_eq!(reviewed.updated_at, later());
    let entry = reviewed.transitions.last().unwrap();
    assert_eq!(entry.from, Some(ApplicationStatus::Submitted));
    assert_eq!(entry.to, ApplicationStatus::InReview);
    assert_eq!(entry.actor, company());
    assert_eq!(entry.reason.as_ref().unwrap().as_str(), "CV reçu");
    assert_eq!(reviewed.transitions.len(), 2);
}

#[test]
fn the_candidate_cannot_review_their_own_application_and_the_site_takes_no_part() {
    let application = submitted();
    let actor = candidate(application.candidate_id);
    assert_eq!(
        application
            .start_review(&actor, "", later())
            .unwrap_err()
            .kind(),
        ErrorKind::PermissionDenied
    );
    let site = Actor::new(Role::Site, "website", None);
    assert_eq!(
        application.start_review(&site, "", later()),
        Err(DomainError::NoPartInApplications { role: Role::Site })
    );
}

#[test]
fn an_interview_is_scheduled_in_the_future_and_can_be_rescheduled() {
    let first = later() + TimeDelta::days(7);
    let invited = submitted()
        .schedule_interview(&company(), Some(first), "Visio", later())
        .unwrap();
    assert_eq!(invited.status, ApplicationStatus::Interview);
    assert_eq!(invited.interview_at, Some(first));
    let second = first + TimeDelta::days(1);
    let moved = invited
        .schedule_interview(&company(), Some(second), "", later())
        .unwrap();
    assert_eq!(moved.status, ApplicationStatus::Interview);
    assert_eq!(moved.interview_at, Some(second));
    assert_eq!(moved.revision, 3);
}

#[test]
fn an_interview_in_the_past_and_a_long_note_are_both_reported() {
    let error = submitted()
        .schedule_interview(&company(), Some(now()), &"x".repeat(1001), later())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid request: interview_at: must be in the future; \
         note: must be at most 1000 characters, got 1001"
    );
}

#[test]
fn a_refusal_needs_its_reason() {
    let application = submitted();
    assert_eq!(
        application
            .refuse(&company(), "  ", later())
            .unwrap_err()
            .to_string(),
        "invalid request: reason: must not be empty"
    );
    let refused = application
        .refuse(&company(), "Profil trop éloigné du poste", later())
        .unwrap();
    assert_eq!(refused.status, ApplicationStatus::Refused);
    let reason = refused.transitions.last().unwrap().reason.clone().unwrap();
    assert_eq!(reason.as_str(), "Profil trop éloigné du poste");
}

#[test]
fn a_refused_application_cannot_be_refused_again_nor_withdrawn() {
    let refused = submitted().refuse(&company(), "Non", later()).unwrap();
    assert_eq!(
        refused.refuse(&company(), "Non", later()),
        Err(DomainError::IllegalTransition(IllegalTransition {
            from: ApplicationStatus::Refused,
            action: ApplicationAction::Refuse
        }))
    );
    assert_eq!(
        refused.withdraw(&school(), "", later()).unwrap_err().kind(),
        ErrorKind::FailedPrecondition
    );
}

#[test]
fn the_school_withdraws_for_its_student_but_the_company_cannot() {
    let application = submitted().start_review(&company(), "", later()).unwrap();
    let withdrawn = application
        .withdraw(&school(), "A trouvé ailleurs", later())
        .unwrap();
    assert_eq!(withdrawn.status, ApplicationStatus::Withdrawn);
    assert_eq!(
        application
            .withdraw(&company(), "", later())
            .unwrap_err()
            .kind(),
        ErrorKind::PermissionDenied
    );
}

#[test]
fn the_platform_makes_an_application_obsolete_and_says_why() {
    let obsolete = submitted()
        .make_obsolete(ObsoleteCause::HiredElsewhere, later())
        .unwrap();
    assert_eq!(obsolete.status, ApplicationStatus::Obsolete);
    let entry = obsolete.transitions.last().unwrap();
    assert_eq!(entry.actor, Actor::offers_service());
    assert_eq!(
        entry.reason.as_ref().unwrap().as_str(),
        "Le candidat a été recruté sur une autre offre."
    );
}

#[test]
fn an_application_unanswered_for_sixty_days_is_due_for_expiry() {
    let application = submitted();
    let due_at = now() + TimeDelta::days(60);
    assert_eq!(application.expiry_due_at(), Some(due_at));
    assert!(!is_due_for_expiry(
        &application,
        due_at - TimeDelta::seconds(1)
    ));
    assert!(is_due_for_expiry(&application, due_at));
    assert_eq!(
        application.expire(ExpiryCause::Unanswered, due_at - TimeDelta::seconds(1)),
        Err(DomainError::NotDueForExpiry { due_at })
    );
    let expired = application.expire(ExpiryCause::Unanswered, due_at).unwrap();
    assert_eq!(expired.status, ApplicationStatus::Expired);
    assert_eq!(
        expired.transitions.last().unwrap().actor.role,
        Role::Service
    );
}

#[test]
fn an_application_the_company_answered_never_expires_unanswered() {
    let reviewed = submitted().start_review(&company(), "", later()).unwrap();
    assert_eq!(reviewed.expiry_due_at(), None);
    assert!(!reviewed.is_due_for_expiry(now() + TimeDelta::days(365)));
}

#[test]
fn closing_an_offer_makes_its_open_applications_obsolete() {
    let offer = published_offer(2);
    let open = application_to(&offer);
    let reviewed = application_to(&offer)
        .start_review(&company(), "", later())
        .unwrap();
    let refused = application_to(&offer)
        .refuse(&company(), "Non", later())
        .unwrap();
    let elsewhere = submitted();
    let closed = offer.close("Poste supprimé", later()).unwrap();
    let changed = close_out_applications(&closed, &[open, reviewed, refused, elsewhere], later());
    assert_eq!(changed.len(), 2);
    assert!(
        changed
            .iter()
            .all(|a| a.status == ApplicationStatus::Obsolete)
    );
    assert_eq!(
        changed[0]
            .transitions
            .last()
            .unwrap()
            .reason
            .as_ref()
            .unwrap()
            .as_str(),
        "L'offre a été fermée par l'entreprise. Motif : Poste supprimé"
    );
}

#[test]
fn an_expired_offer_expires_its_open_applications_and_a_published_one_touches_none() {
    let offer = published_offer(1);
    let open = application_to(&offer);
    assert!(close_out_applications(&offer, std::slice::from_ref(&open), later()).is_empty());
    let expired = offer.expire(date(2026, 7, 1), later()).unwrap();
    let changed = close_out_applications(&expired, &[open], later());
    assert_eq!(changed[0].status, ApplicationStatus::Expired);
}
