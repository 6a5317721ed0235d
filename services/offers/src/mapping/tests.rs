//! The mapping end to end: a request through the domain and back onto the wire, the errors of
//! a bad request, and the event each change produces.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::domain::testing::{rules, scheme};
use crate::domain::{
    AcceptanceTerms, Actor, Application, ApplicationStatus, ExpiryCause, NewLabelDecision,
    ObsoleteCause, Offer, OfferChange, Placement, RawDate, Role, accept, decide_label,
    validate_draft,
};
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use std::sync::OnceLock;
use vte_domain::{
    ApplicationId, CandidateId, LabelDecisionId, OfferId, PlacementId, SchoolId, Siren,
};
use vte_proto::vte::applications::v1::application_event::Event as ApplicationEventKind;
use vte_proto::vte::common::v1 as common;
use vte_proto::vte::offers::v1 as offers;
use vte_proto::vte::offers::v1::offer_event::Event as OfferEventKind;
use vte_proto::vte::placements::v1::placement_event::Event as PlacementEventKind;
use vte_reference::ReferenceData;

fn reference() -> &'static ReferenceData {
    static DATA: OnceLock<ReferenceData> = OnceLock::new();
    DATA.get_or_init(|| ReferenceData::load(&ReferenceData::default_dir()).unwrap())
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn siren() -> Siren {
    Siren::parse("732829320").unwrap()
}

fn company() -> Actor {
    Actor::new(Role::Company, "user-17", Some(siren().to_string()))
}

fn date(year: i32, month: i32, day: i32) -> common::Date {
    common::Date { year, month, day }
}

fn eur(amount_cents: i64) -> Option<common::Money> {
    Some(common::Money {
        amount_cents,
        currency: "EUR".to_owned(),
    })
}

/// Every field of an OfferSpec, as a client sends it: a CDI in Figeac.
fn figeac_spec() -> offers::OfferSpec {
    offers::OfferSpec {
        title: "Ingénieur méthodes industrialisation".to_owned(),
        description: "Industrialiser la nouvelle ligne d'usinage.".to_owned(),
        primary_mission_type: common::MissionType::Technologie.into(),
        secondary_mission_type: common::MissionType::Transformation.into(),
        ecological_transition: true,
        contract_kind: common::ContractKind::Cdi.into(),
        duration_months: None,
        min_level: common::EducationLevel::Bac3.into(),
        max_level: common::EducationLevel::Bac5.into(),
        fields_of_study: vec!["génie mécanique".to_owned()],
        skills: vec!["SolidWorks".to_owned(), "lean management".to_owned()],
        languages: vec![common::LanguageSkill {
            language: "en".to_owned(),
            level: common::CefrLevel::B2.into(),
        }],
        location: Some(common::Location {
            insee_code: "46102".to_owned(),
            // A client's value for a resolved field is ignored.
            commune_name: "Paris".to_owned(),
            ..Default::default()
        }),
        remote_policy: common::RemotePolicy::Hybrid.into(),
        salary: Some(common::SalaryRange {
            min: eur(3_200_000),
            max: eur(3_800_000),
        }),
        positions: 2,
        start_date: Some(date(2026, 9, 1)),
        application_deadline: Some(date(2026, 6, 30)),
        company_name: "Usinage du Célé SAS".to_owned(),
        company_size: common::CompanySize::Pme.into(),
    }
}

fn figeac_location() -> common::Location {
    common::Location {
        insee_code: "46102".to_owned(),
        commune_name: "Figeac".to_owned(),
        departement_code: "46".to_owned(),
        departement_name: "Lot".to_owned(),
        region_code: "76".to_owned(),
        region_name: "Occitanie".to_owned(),
        territory: Some(common::Territory {
            id: "ti-7603".to_owned(),
            name: "Aurillac – Figeac – Rodez".to_owned(),
            programme: common::Programme::Ti20232027.into(),
        }),
    }
}

fn draft_of(spec: &offers::OfferSpec) -> Offer {
    let input = new_offer(Some(spec)).unwrap();
    let draft = validate_draft(&input, reference()).unwrap();
    Offer::draft(OfferId::new(), siren(), draft, now())
}

fn published(spec: &offers::OfferSpec) -> Offer {
    draft_of(spec).publish(reference(), today(), now()).unwrap()
}

fn application_to(offer: &Offer, message: &str) -> Application {
    let candidate_id = CandidateId::new();
    let candidate = Actor::new(Role::Candidate, "user-42", Some(candidate_id.to_string()));
    Application::submit(
        ApplicationId::new(),
        offer,
        candidate_id,
        Some(SchoolId::new()),
        &candidate,
        message,
        today(),
        now(),
    )
    .unwrap()
}

fn active_placement() -> Placement {
    let offer = published(&figeac_spec());
    let application = application_to(&offer, "");
    let terms = AcceptanceTerms::default();
    accept(
        &application,
        &offer,
        &[],
        &company(),
        &terms,
        scheme(),
        PlacementId::new(),
        now(),
    )
    .unwrap()
    .placement
}

fn fields(errors: &vte_domain::FieldErrors) -> Vec<&str> {
    errors.iter().map(|error| error.field()).collect()
}

#[test]
fn an_offer_comes_back_on_the_wire_with_every_field_it_was_sent_with() {
    let sent = figeac_spec();
    let offer = published(&sent);
    let wire = offer_to_proto(&offer, rules());
    let expected_spec = offers::OfferSpec {
        location: Some(figeac_location()),
        ..sent
    };
    assert_eq!(wire.spec, Some(expected_spec));
    assert_eq!(wire.id, offer.id.to_string());
    assert_eq!(wire.company_siren, "732829320");
    assert_eq!(wire.status, i32::from(offers::OfferStatus::Published));
    assert_eq!(wire.positions_remaining, 2);
    assert_eq!(wire.revision, 2);
    assert_eq!(wire.created_at, Some(wire::timestamp(now())));
    assert_eq!(wire.updated_at, Some(wire::timestamp(now())));
    assert_eq!(wire.published_at, Some(wire::timestamp(now())));
    assert_eq!(wire.ended_at, None);
    assert_eq!(wire.close_reason, "");
    assert_eq!(wire.aids.len(), 3);
}

#[test]
fn a_closed_offer_carries_its_end_and_its_reason() {
    let later = now() + TimeDelta::days(3);
    let closed = published(&figeac_spec())
        .close("  Poste pourvu en interne  ", later)
        .unwrap();
    let wire = offer_to_proto(&closed, rules());
    assert_eq!(wire.status, i32::from(offers::OfferStatus::Closed));
    assert_eq!(wire.close_reason, "Poste pourvu en interne");
    assert_eq!(wire.ended_at, Some(wire::timestamp(later)));
}

#[test]
fn a_draft_goes_on_the_wire_with_only_what_it_has() {
    let sparse = offers::OfferSpec {
        title: "Bras droit".to_owned(),
        ..Default::default()
    };
    let wire = offer_to_proto(&draft_of(&sparse), rules());
    assert_eq!(wire.spec, Some(sparse));
    assert_eq!(wire.status, i32::from(offers::OfferStatus::Draft));
    assert_eq!(wire.positions_remaining, 0);
    assert_eq!(wire.published_at, None);
}

#[test]
fn figeacs_company_aid_is_open_on_the_wire() {
    let wire = offer_to_proto(&published(&figeac_spec()), rules());
    let company_aid = wire
        .aids
        .iter()
        .find(|aid| aid.kind == i32::from(common::AidKind::CompanyGraduateHire))
        .unwrap();
    assert!(company_aid.eligible);
    assert_eq!(
        company_aid.outcome,
        i32::from(common::AidOutcome::EligibleSubjectToLabel)
    );
    assert_eq!(company_aid.amount, eur(400_000));
    assert!(!company_aid.amount_is_maximum && company_aid.paid_to_company);
    assert_eq!(company_aid.rule_set_id, "aide-ti-2020");
    assert!(company_aid.reason.contains("Aurillac – Figeac – Rodez"));
    assert!(!company_aid.conditions.is_empty());
    // A CDI opens no Mobili-Jeune (work-study only), and says so.
    let mobili = wire
        .aids
        .iter()
        .find(|aid| aid.kind == i32::from(common::AidKind::WorkStudyInstallation))
        .unwrap();
    assert!(!mobili.eligible);
    assert_eq!(mobili.outcome, i32::from(common::AidOutcome::NotEligible));
    assert_eq!(mobili.amount, eur(120_000));
    assert!(mobili.amount_is_maximum && !mobili.paid_to_company);
}

#[test]
fn bad_enum_numbers_and_dates_are_reported_together_under_their_paths() {
    let mut spec = figeac_spec();
    spec.primary_mission_type = 42;
    spec.contract_kind = -1;
    spec.max_level = 7;
    spec.languages.push(common::LanguageSkill {
        language: "de".to_owned(),
        level: 17,
    });
    spec.start_date = Some(date(2027, 2, 29));
    spec.application_deadline = Some(date(2026, 13, 1));
    let request = offers::UpdateOfferRequest {
        offer_id: "not-a-uuid".to_owned(),
        spec: Some(spec),
        expected_revision: 0,
    };
    let errors = update_offer_input(&request).unwrap_err();
    assert_eq!(
        fields(&errors),
        [
            "offer_id",
            "spec.primary_mission_type",
            "spec.contract_kind",
            "spec.max_level",
            "spec.languages[1].level",
            "spec.start_date",
            "spec.application_deadline",
        ]
    );
    let rules: Vec<_> = errors.iter().map(|error| error.rule()).collect();
    assert_eq!(rules[1], "42 is not a value of vte.common.v1.MissionType");
    assert_eq!(rules[5], "2027-02-29 is not a date of the calendar");
}

#[test]
fn unspecified_values_are_left_for_the_domain_to_require() {
    let input = new_offer(Some(&offers::OfferSpec::default())).unwrap();
    assert_eq!(input, crate::domain::NewOffer::default());
    let errors = crate::domain::validate_offer(&input, reference(), today()).unwrap_err();
    assert!(fields(&errors).contains(&"spec.location.insee_code"));
    assert!(fields(&errors).contains(&"spec.primary_mission_type"));
}

#[test]
fn a_request_without_its_spec_says_so() {
    let errors = create_offer_input(&offers::CreateOfferRequest::default()).unwrap_err();
    assert_eq!(errors.to_string(), "spec: is required");
}

#[test]
fn an_operator_names_the_company_and_a_company_may_leave_it_empty() {
    let mut request = offers::CreateOfferRequest {
        company_siren: String::new(),
        spec: Some(figeac_spec()),
    };
    assert_eq!(create_offer_input(&request).unwrap().company_siren, None);
    request.company_siren = "732829320".to_owned();
    assert_eq!(
        create_offer_input(&request).unwrap().company_siren,
        Some(siren())
    );
    request.company_siren = "732829321".to_owned();
    assert_eq!(
        fields(&create_offer_input(&request).unwrap_err()),
        ["company_siren"]
    );
}

#[test]
fn each_offer_change_is_its_own_event_keyed_by_the_offer() {
    let offer = published(&figeac_spec());
    let changes = [
        OfferChange::Drafted,
        OfferChange::Published,
        OfferChange::Updated,
        OfferChange::Filled,
        OfferChange::Closed,
        OfferChange::Expired,
    ];
    for change in changes {
        let event = offer_event(&offer, change, rules());
        let state = match (change, event.event.unwrap()) {
            (OfferChange::Drafted, OfferEventKind::Drafted(e)) => e.offer,
            (OfferChange::Published, OfferEventKind::Published(e)) => e.offer,
            (OfferChange::Updated, OfferEventKind::Updated(e)) => e.offer,
            (OfferChange::Filled, OfferEventKind::Filled(e)) => e.offer,
            (OfferChange::Closed, OfferEventKind::Closed(e)) => e.offer,
            (OfferChange::Expired, OfferEventKind::Expired(e)) => e.offer,
            (change, other) => panic!("{change:?} became {other:?}"),
        };
        assert_eq!(state, Some(offer_to_proto(&offer, rules())));
        assert_eq!(event.offer_id, offer.id.to_string());
        assert_eq!(event.occurred_at, Some(wire::timestamp(offer.updated_at)));
        let event_id = uuid::Uuid::parse_str(&event.event_id).unwrap();
        assert_eq!(event_id.get_version_num(), 7);
    }
}

#[test]
fn an_application_shows_its_message_to_the_api_but_never_to_an_event() {
    let offer = published(&figeac_spec());
    let application = application_to(&offer, "Joignable au 06 12 34 56 78");
    let api = application_to_proto(&application, Message::Include);
    assert_eq!(api.message, "Joignable au 06 12 34 56 78");
    let event = application_event(&application);
    let Some(ApplicationEventKind::Submitted(submitted)) = event.event else {
        panic!("a submission is not a Submitted event");
    };
    let state = submitted.application.unwrap();
    assert_eq!(state.message, "");
    assert_eq!(state, applications_without_message(api));
    assert_eq!(event.application_id, application.id.to_string());
}

fn applications_without_message(
    mut application: vte_proto::vte::applications::v1::Application,
) -> vte_proto::vte::applications::v1::Application {
    application.message = String::new();
    application
}

#[test]
fn an_application_on_the_wire_carries_every_step_and_who_took_it() {
    let offer = published(&figeac_spec());
    let reviewed = application_to(&offer, "")
        .start_review(&company(), "vu", now())
        .unwrap();
    let wire = application_to_proto(&reviewed, Message::Omit);
    assert_eq!(wire.transitions.len(), 2);
    let first = &wire.transitions[0];
    assert_eq!(first.from, 0);
    assert_eq!(first.to, ApplicationStatus::Submitted.to_wire());
    assert_eq!(
        first.actor.as_ref().unwrap().role,
        i32::from(common::Role::Candidate)
    );
    let second = &wire.transitions[1];
    assert_eq!(second.from, ApplicationStatus::Submitted.to_wire());
    assert_eq!(second.to, ApplicationStatus::InReview.to_wire());
    assert_eq!(second.reason, "vu");
    let actor = second.actor.as_ref().unwrap();
    assert_eq!(
        (actor.role, actor.subject.as_str(), actor.tenant_id.as_str()),
        (i32::from(common::Role::Company), "user-17", "732829320")
    );
    assert_eq!(wire.status, ApplicationStatus::InReview.to_wire());
    assert_eq!(wire.revision, 2);
    assert_eq!(wire.placement_id, "");
}

#[test]
fn each_application_step_is_the_event_of_its_new_status_without_the_message() {
    let offer = published(&figeac_spec());
    let submitted = application_to(&offer, "Mon CV est en ligne");
    let later = now() + TimeDelta::hours(1);
    let company = company();
    let reviewed = submitted.start_review(&company, "", later).unwrap();
    let interview = reviewed
        .schedule_interview(&company, Some(later + TimeDelta::days(2)), "", later)
        .unwrap();
    let refused = interview
        .refuse(&company, "Profil trop junior", later)
        .unwrap();
    let candidate = submitted.transitions[0].actor.clone();
    let withdrawn = submitted.withdraw(&candidate, "", later).unwrap();
    let obsolete = submitted
        .make_obsolete(ObsoleteCause::OfferClosed, later)
        .unwrap();
    let expired = submitted.expire(ExpiryCause::OfferExpired, later).unwrap();
    let accepted = accept(
        &interview,
        &offer,
        &[],
        &company,
        &AcceptanceTerms::default(),
        scheme(),
        PlacementId::new(),
        later,
    )
    .unwrap()
    .application;
    let cases = [
        (&submitted, "submitted"),
        (&reviewed, "review_started"),
        (&interview, "interview_scheduled"),
        (&refused, "refused"),
        (&withdrawn, "withdrawn"),
        (&obsolete, "made_obsolete"),
        (&expired, "expired"),
        (&accepted, "accepted"),
    ];
    for (application, expected) in cases {
        let event = application_event(application);
        let (variant, state) = match event.event.unwrap() {
            ApplicationEventKind::Submitted(e) => ("submitted", e.application),
            ApplicationEventKind::ReviewStarted(e) => ("review_started", e.application),
            ApplicationEventKind::InterviewScheduled(e) => ("interview_scheduled", e.application),
            ApplicationEventKind::Accepted(e) => ("accepted", e.application),
            ApplicationEventKind::Refused(e) => ("refused", e.application),
            ApplicationEventKind::Withdrawn(e) => ("withdrawn", e.application),
            ApplicationEventKind::MadeObsolete(e) => ("made_obsolete", e.application),
            ApplicationEventKind::Expired(e) => ("expired", e.application),
        };
        assert_eq!(variant, expected);
        let state = state.unwrap();
        assert_eq!(state.message, "", "{expected} carries the message");
        assert_eq!(state.status, application.status.to_wire());
        assert_eq!(
            event.occurred_at,
            Some(wire::timestamp(application.updated_at))
        );
    }
    let accepted_state = application_to_proto(&accepted, Message::Omit);
    assert_eq!(
        accepted_state.placement_id,
        accepted.placement_id.unwrap().to_string()
    );
    let interview_state = application_to_proto(&interview, Message::Omit);
    assert_eq!(
        interview_state.interview_at,
        Some(wire::timestamp(later + TimeDelta::days(2)))
    );
}

#[test]
fn a_placement_goes_on_the_wire_with_its_contract_place_and_aids() {
    let placement = active_placement();
    let wire = placement_to_proto(&placement);
    assert_eq!(wire.contract_kind, i32::from(common::ContractKind::Cdi));
    assert_eq!(wire.duration_months, None);
    assert_eq!(wire.start_date, Some(date(2026, 9, 1)));
    assert_eq!(wire.planned_end_date, Some(date(2027, 9, 1)));
    assert_eq!(wire.location, Some(figeac_location()));
    assert_eq!(
        wire.mission_type,
        i32::from(common::MissionType::Technologie)
    );
    assert_eq!(wire.company_name, "Usinage du Célé SAS");
    assert_eq!(wire.offer_title, "Ingénieur méthodes industrialisation");
    assert!(wire.aids.iter().any(|aid| aid.eligible));
    assert_eq!(wire.ended_on, None);
    assert_eq!(wire.early_end_reason, 0);
    assert_eq!(wire.latest_label_decision, None);
}

#[test]
fn each_placement_change_is_the_event_of_what_happened() {
    let active = active_placement();
    let after_term = NaiveDate::from_ymd_opt(2027, 9, 10).unwrap();
    let later = now() + TimeDelta::days(600);
    let completed = active
        .complete(Some(RawDate::new(2027, 8, 31)), after_term, later)
        .unwrap();
    let ended = active
        .end_early(
            Some(RawDate::new(2026, 10, 15)),
            "TRIAL_PERIOD",
            "",
            after_term,
            later,
        )
        .unwrap();
    let bpifrance = Actor::new(Role::Bpifrance, "agent-9", None);
    let grant = NewLabelDecision {
        outcome: "GRANTED".to_owned(),
        ..Default::default()
    };
    let mut history = crate::domain::label::testing::pending_request(&completed, later);
    let granted = decide_label(
        &completed,
        &history,
        &grant,
        LabelDecisionId::new(),
        &bpifrance,
        later,
    )
    .unwrap();
    let appeal = NewLabelDecision {
        outcome: "REFUSED".to_owned(),
        reason: "Contrat interrompu plus de trois mois".to_owned(),
        reconsiders_decision_id: granted.decision.id.to_string(),
    };
    history.decisions.push(granted.decision.clone());
    let refused = decide_label(
        &granted.placement,
        &history,
        &appeal,
        LabelDecisionId::new(),
        &bpifrance,
        later + TimeDelta::days(1),
    )
    .unwrap();

    let kind = |event: PlacementEventKind| match event {
        PlacementEventKind::Started(_) => "started",
        PlacementEventKind::Completed(_) => "completed",
        PlacementEventKind::EndedEarly(_) => "ended_early",
        PlacementEventKind::LabelGranted(_) => "label_granted",
        PlacementEventKind::LabelRefused(_) => "label_refused",
        PlacementEventKind::LabelReworkRequested(_) => "label_rework_requested",
        PlacementEventKind::LabelRequested(_) => "label_requested",
        PlacementEventKind::LabelAppealed(_) => "label_appealed",
        PlacementEventKind::LabelRequestDue(_) => "label_request_due",
    };
    let event = |placement, decision| placement_event(placement, decision).event.unwrap();
    assert_eq!(kind(event(&active, None)), "started");
    assert_eq!(kind(event(&completed, None)), "completed");
    assert_eq!(kind(event(&ended, None)), "ended_early");
    assert_eq!(
        kind(event(&granted.placement, Some(&granted.decision))),
        "label_granted"
    );
    let PlacementEventKind::LabelRefused(label) =
        event(&refused.placement, Some(&refused.decision))
    else {
        panic!("a refusal on appeal is not a LabelRefused event");
    };
    let decision = label.decision.unwrap();
    assert_eq!(decision.reason, "Contrat interrompu plus de trois mois");
    assert_eq!(
        decision.reconsiders_decision_id,
        granted.decision.id.to_string()
    );
    assert_eq!(
        decision.decided_by.unwrap().role,
        i32::from(common::Role::Bpifrance)
    );
    let state = label.placement.unwrap();
    assert_eq!(state.latest_label_decision.unwrap().id, decision.id);
    let ended_state = placement_to_proto(&ended);
    assert_eq!(
        ended_state.early_end_reason,
        i32::from(vte_proto::vte::placements::v1::EarlyEndReason::TrialPeriod)
    );
    assert_eq!(ended_state.ended_on, Some(date(2026, 10, 15)));
}

#[test]
fn placement_requests_become_the_domains_arguments() {
    let placement_id = PlacementId::new();
    let end = offers::EndPlacementEarlyRequest {
        placement_id: placement_id.to_string(),
        ended_on: Some(date(2026, 10, 15)),
        reason: vte_proto::vte::placements::v1::EarlyEndReason::Other.into(),
        note: "Déménagement".to_owned(),
    };
    let input = end_placement_early_input(&end).unwrap();
    assert_eq!(input.placement_id, placement_id);
    assert_eq!(input.ended_on, Some(RawDate::new(2026, 10, 15)));
    assert_eq!(input.reason, "OTHER");
    let decide = offers::DecideLabelRequest {
        placement_id: placement_id.to_string(),
        outcome: vte_proto::vte::placements::v1::LabelOutcome::Refused.into(),
        reason: "Durée insuffisante".to_owned(),
        reconsiders_decision_id: String::new(),
    };
    let input = decide_label_input(&decide).unwrap();
    assert_eq!(input.decision.outcome, "REFUSED");
    assert_eq!(input.decision.reason, "Durée insuffisante");
}

#[test]
fn bad_placement_requests_name_every_field() {
    let end = offers::EndPlacementEarlyRequest {
        placement_id: String::new(),
        ended_on: Some(date(2026, 2, 30)),
        reason: 99,
        note: String::new(),
    };
    let errors = end_placement_early_input(&end).unwrap_err();
    assert_eq!(fields(&errors), ["placement_id", "ended_on", "reason"]);
    let complete = offers::CompletePlacementRequest {
        placement_id: "x".to_owned(),
        completed_on: Some(date(1800, 1, 1)),
    };
    let errors = complete_placement_input(&complete).unwrap_err();
    assert_eq!(fields(&errors), ["placement_id", "completed_on"]);
}

#[test]
fn application_requests_become_the_domains_arguments() {
    let offer_id = OfferId::new();
    let apply = offers::ApplyRequest {
        offer_id: offer_id.to_string(),
        candidate_id: String::new(),
        message: "Bonjour".to_owned(),
    };
    let input = apply_input(&apply).unwrap();
    assert_eq!((input.offer_id, input.candidate_id), (offer_id, None));
    assert_eq!(input.message, "Bonjour");

    let application_id = ApplicationId::new();
    let refuse = offers::RefuseApplicationRequest {
        application_id: application_id.to_string(),
        reason: "Poste pourvu".to_owned(),
    };
    assert_eq!(
        refuse_input(&refuse).unwrap(),
        ApplicationStep {
            application_id,
            text: "Poste pourvu".to_owned()
        }
    );

    let accept = offers::AcceptApplicationRequest {
        application_id: application_id.to_string(),
        contract_start_date: Some(date(2026, 9, 1)),
        duration_months: Some(18),
        note: String::new(),
    };
    let terms = accept_input(&accept).unwrap().terms;
    assert_eq!(terms.contract_start_date, Some(RawDate::new(2026, 9, 1)));
    assert_eq!(terms.duration_months, Some(18));

    let schedule = offers::ScheduleInterviewRequest {
        application_id: "nope".to_owned(),
        interview_at: Some(prost_types::Timestamp {
            seconds: 0,
            nanos: 2_000_000_000,
        }),
        note: String::new(),
    };
    let errors = schedule_interview_input(&schedule).unwrap_err();
    assert_eq!(fields(&errors), ["application_id", "interview_at"]);
}

#[test]
fn a_list_without_its_scope_says_which_to_give() {
    let errors = list_applications_input(&offers::ListApplicationsRequest::default()).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "scope: one of offer_id or candidate_id is required"
    );
    let request = offers::ListApplicationsRequest {
        scope: Some(offers::list_applications_request::Scope::CandidateId(
            CandidateId::new().to_string(),
        )),
        statuses: vec![ApplicationStatus::Submitted.to_wire(), 12],
        page: None,
    };
    let errors = list_applications_input(&request).unwrap_err();
    assert_eq!(fields(&errors), ["statuses[1]"]);
}
