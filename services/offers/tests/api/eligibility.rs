//! The scheme's eligibility verdict at apply and at hire, the aids an offer states from the rule
//! data of its start date, and a placement's rules and aids frozen at the hire: through the API,
//! with candidates made known as the candidates service would (their profile events).

use chrono::{Datelike, NaiveDate};
use tonic::Code;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::{AcademicStatus, CandidateProfile, Preferences};
use vte_proto::vte::common::v1::{AidOutcome, ContractKind, EligibilityStanding, Programme};
use vte_proto::vte::offers::v1::{
    AcceptApplicationRequest, ApplyRequest, OfferSpec, SearchOffersRequest,
};
use vte_service::auth::{Caller, Identity};

use crate::fixtures::{
    Answer, accept, application, apply, date, figeac_cdi, months_from_today, offer, published,
};
use crate::harness::Api;

fn reference() -> std::sync::Arc<vte_reference::ReferenceData> {
    std::sync::Arc::new(vte_reference::ReferenceData::load(&vte_testbed::reference_dir()).unwrap())
}

/// The offer's start date, as published.
fn start_of(spec: &OfferSpec) -> NaiveDate {
    let start = spec.start_date.as_ref().unwrap();
    NaiveDate::from_ymd_opt(start.year, start.month as u32, start.day as u32).unwrap()
}

/// A graduate whose diploma will be `years` years old at `start` (30 June of that year).
fn graduated_before(start: NaiveDate, years: u32) -> impl FnOnce(&mut CandidateProfile) {
    let graduated = NaiveDate::from_ymd_opt(start.year() - years as i32, 6, 30).unwrap();
    move |profile| profile.graduation_date = Some(date(graduated))
}

fn work_study_figeac() -> OfferSpec {
    OfferSpec {
        contract_kind: ContractKind::WorkStudy as i32,
        duration_months: Some(24),
        min_level: vte_proto::vte::common::v1::EducationLevel::Bac3 as i32,
        ..figeac_cdi()
    }
}

#[tokio::test]
async fn a_graduate_of_more_than_two_years_cannot_apply_and_is_told_which_rule_and_why() {
    let api = Api::start().await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let start = start_of(offer.spec.as_ref().unwrap());
    let school = SchoolId::new();
    let candidate = api.enrol_as(school, graduated_before(start, 3)).await;

    let status = api
        .candidate(candidate)
        .apply(ApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: candidate.to_string(),
            message: String::new(),
        })
        .await
        .refusal();

    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let message = status.message();
    assert!(message.contains("rule graduate_recency"), "{message}");
    assert!(message.contains("vte-2023-ti-2023-2027"), "{message}");
    assert!(message.contains("Diplômé en juin"), "{message}");
    assert!(message.contains("moins de 2 ans"), "{message}");
    // Nothing was recorded: the candidate has no application, the offer none either.
    let applications: i64 = sqlx::query_scalar("SELECT count(*) FROM applications")
        .fetch_one(api.pool())
        .await
        .unwrap();
    assert_eq!(applications, 0);
}

#[tokio::test]
async fn a_student_cannot_apply_to_a_cdi_but_to_a_work_study_offer_in_figeac() {
    let api = Api::start().await;
    let cdi = published(&api.owner(), figeac_cdi()).await;
    let work_study = published(&api.owner(), work_study_figeac()).await;
    let school = SchoolId::new();
    let expected = months_from_today(30);
    let student = api
        .enrol_as(school, |profile| {
            profile.status = AcademicStatus::Student as i32;
            profile.graduation_date = Some(date(expected));
            profile.preferences = Some(Preferences {
                contract_kinds_sought: vec![ContractKind::WorkStudy as i32],
                ..Preferences::default()
            });
        })
        .await;

    let status = api
        .school(school)
        .apply(ApplyRequest {
            offer_id: cdi.id.clone(),
            candidate_id: student.to_string(),
            message: String::new(),
        })
        .await
        .refusal();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("rule contract_sought"),
        "{}",
        status.message()
    );
    let applied = apply(&api.school(school), &work_study.id, student).await;
    assert_eq!(applied.offer_id, work_study.id);
}

#[tokio::test]
async fn a_candidate_whose_profile_has_not_arrived_cannot_apply_yet() {
    let api = Api::start().await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let stranger = CandidateId::new();
    let status = api
        .candidate(stranger)
        .apply(ApplyRequest {
            offer_id: offer.id,
            candidate_id: stranger.to_string(),
            message: String::new(),
        })
        .await
        .refusal();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status
            .message()
            .contains("has not reached the offers service yet")
    );
}

#[tokio::test]
async fn a_pair_that_became_ineligible_after_applying_cannot_be_hired_and_nothing_changes() {
    let api = Api::start().await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let start = start_of(offer.spec.as_ref().unwrap());
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let applied = apply(&api.candidate(candidate), &offer.id, candidate).await;
    // The school corrects the graduation date: three years before the start.
    api.change_profile(candidate, school, 2, graduated_before(start, 3))
        .await;

    let status = api
        .owner()
        .accept_application(AcceptApplicationRequest {
            application_id: applied.id.clone(),
            ..AcceptApplicationRequest::default()
        })
        .await
        .refusal();

    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("rule graduate_recency"));
    let unchanged = application(&api.owner(), &applied.id).await;
    assert_eq!(unchanged.status, applied.status);
    assert_eq!(offer_now(&api, &offer.id).await.positions_remaining, 1);
}

async fn offer_now(api: &Api, id: &str) -> vte_proto::vte::offers::v1::Offer {
    offer(&api.owner(), id).await
}

#[tokio::test]
async fn a_placements_rules_and_aids_are_frozen_at_the_hire_and_unchanged_after_the_rule_data_changes()
 {
    let api = Api::start().await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let applied = apply(&api.candidate(candidate), &offer.id, candidate).await;
    let (_, hired) = accept(&api.owner(), &applied.id, None).await;

    let eligibility = hired.eligibility.as_ref().unwrap();
    assert_eq!(eligibility.standing, EligibilityStanding::Eligible as i32);
    assert_eq!(eligibility.rule_set_id, "vte-2023-ti-2023-2027");
    assert_eq!(hired.rule_set_id, "vte-2023-ti-2023-2027");
    assert!(eligibility.label_ready);
    let territory = hired.location.as_ref().unwrap().territory.as_ref().unwrap();
    assert_eq!(territory.id, "ti-7603");
    let ti = &hired.aids[0];
    assert_eq!(ti.outcome, AidOutcome::EligibleSubjectToLabel as i32);
    assert_eq!(ti.amount.as_ref().unwrap().amount_cents, 400_000);

    // The rule data changes: the Territoires d'industrie aid becomes 5,000 EUR.
    let changed = changed_rules();
    let offers = vte_offers::usecases::Offers::new(
        api.pool().clone(),
        reference(),
        changed.clone(),
        api.contacts().directory(),
    );
    let company = Identity {
        caller: Caller::Company {
            siren: offer.company_siren.parse().unwrap(),
        },
        subject: "company-account".to_owned(),
        expires_at: chrono::Utc::now() + chrono::Duration::minutes(5),
        on_behalf_of: None,
    };
    let read = offers
        .get_placement(&company, hired.id.parse().unwrap())
        .await
        .unwrap();
    let wire = vte_offers::mapping::placement_to_proto(&read);
    assert_eq!(
        wire.aids, hired.aids,
        "a placement's aids are never recomputed"
    );
    assert_eq!(wire.eligibility, hired.eligibility);
    assert_eq!(wire.location, hired.location);
    // ... while the offer, read with the new rules, states the new amount.
    let stored = vte_offers::store::load_offer(api.pool(), offer.id.parse().unwrap(), &reference())
        .await
        .unwrap()
        .unwrap();
    let now = vte_offers::mapping::offer_to_proto(&stored, &changed);
    assert_eq!(now.aids[0].amount.as_ref().unwrap().amount_cents, 500_000);
}

/// The repository's rules with the Territoires d'industrie aid at 5,000 EUR.
fn changed_rules() -> std::sync::Arc<vte_rules::RuleBook> {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(vte_rules::repository_rules_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let text = text.replace("fixed_eur = 4000", "fixed_eur = 5000");
            std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
        }
    }
    std::sync::Arc::new(vte_rules::RuleBook::load(dir.path()).unwrap())
}

#[tokio::test]
async fn a_hire_on_an_agreed_start_no_confirmed_rules_cover_is_to_confirm_never_a_yes() {
    let api = Api::start().await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let applied = apply(&api.candidate(candidate), &offer.id, candidate).await;
    // The rule data confirms the scheme's terms until the end of 2027.
    let beyond = NaiveDate::from_ymd_opt(2028, 3, 1).unwrap();
    let (_, hired) = accept(&api.owner(), &applied.id, Some(beyond)).await;
    let eligibility = hired.eligibility.unwrap();
    assert_eq!(eligibility.standing, EligibilityStanding::ToConfirm as i32);
    assert!(
        eligibility
            .summary
            .contains("à confirmer auprès de Bpifrance")
    );
    assert!(hired.aids.iter().all(|aid| !aid.eligible));
}

#[tokio::test]
async fn a_search_reads_territories_in_the_programme_of_each_offers_start_or_the_one_it_names() {
    let api = Api::start().await;
    let figeac = published(&api.owner(), figeac_cdi()).await;
    // Saint-Malo was in the Territoire d'industrie "Dinan - Saint-Malo" of 2018-2022 only: an
    // offer starting now is judged on 2023-2027, where it lies in none.
    let saint_malo = published(
        &api.owner(),
        crate::fixtures::in_commune(figeac_cdi(), "35288"),
    )
    .await;
    let found = |request: SearchOffersRequest| {
        let site = api.site();
        async move {
            let results = site.clone().search_offers(request).await.answer().results;
            results
                .into_iter()
                .map(|result| result.offer.unwrap().id)
                .collect::<Vec<_>>()
        }
    };

    let in_any = found(SearchOffersRequest {
        only_in_territory: true,
        ..SearchOffersRequest::default()
    })
    .await;
    assert_eq!(in_any, std::slice::from_ref(&figeac.id));
    assert!(!in_any.contains(&saint_malo.id));
    let location = saint_malo.spec.unwrap().location.unwrap();
    assert_eq!(location.territory, None, "judged on 2023-2027");
    // Figeac's 2023-2027 territory by its id; the same id read in 2018-2022 finds nothing,
    // since no offer starting now is judged on that programme.
    let ti_7603 = |programme: Programme| SearchOffersRequest {
        territory_id: "ti-7603".to_owned(),
        programme: programme as i32,
        ..SearchOffersRequest::default()
    };
    assert_eq!(
        found(ti_7603(Programme::Unspecified)).await,
        std::slice::from_ref(&figeac.id)
    );
    assert_eq!(found(ti_7603(Programme::Ti20232027)).await, [figeac.id]);
    assert!(found(ti_7603(Programme::Ti20182022)).await.is_empty());
    // A programme the contract does not know is refused, naming the field.
    let refusal = api
        .site()
        .search_offers(SearchOffersRequest {
            programme: 9,
            ..SearchOffersRequest::default()
        })
        .await
        .refusal();
    crate::fixtures::assert_invalid(&refusal, &["programme"]);
}
