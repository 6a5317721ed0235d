//! RankOffers from the student's side, with the aid each pair opens, and the suggestions the
//! service publishes on `vte.matching.v1`: when an offer is published and when a profile
//! becomes matchable, above the threshold, each (offer, candidate) pair at most once; and the
//! alerts a publication sends its best candidates themselves.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use common::fixtures::*;
use common::{Matching, PATIENCE};
use tonic::Code;
use vte_matching::MatchingSettings;
use vte_proto::vte::candidates::v1::CandidateProfile;
use vte_proto::vte::common::v1::{
    AidKind, AidOutcome, ContractKind, EligibilityStanding, MissionType,
};
use vte_proto::vte::matching::v1::{
    OfferFilters, OffersSuggested, RankOffersRequest, RankOffersResponse, SuggestionTrigger,
    matching_event,
};
use vte_testbed::eventually;

const FIGEAC: &str = "46102";
const TOULOUSE: &str = "31555";
const LILLE: &str = "59350";

fn offer_ids(response: &RankOffersResponse) -> Vec<String> {
    response
        .offers
        .iter()
        .map(|o| o.offer.as_ref().unwrap().id.clone())
        .collect()
}

#[tokio::test]
async fn a_graduate_sees_offers_ranked_from_their_side_with_the_aid_each_opens() {
    let matching = Matching::start().await;
    let figeac = offer(FIGEAC, MissionType::Technologie);
    let toulouse = offer(TOULOUSE, MissionType::Marketing);
    let lille = offer(LILLE, MissionType::Technologie);
    let student = student(TOULOUSE, 150, MissionType::Technologie);
    let work_study = with_contract(
        offer(FIGEAC, MissionType::Technologie),
        ContractKind::WorkStudy,
    );
    for offer in [&figeac, &toulouse, &lille, &work_study] {
        matching.deliver(&published(offer)).await;
    }
    let me = graduate(TOULOUSE, 150, MissionType::Technologie);
    matching.deliver(&changed(&me)).await;
    matching.deliver(&changed(&student)).await;

    let request = RankOffersRequest {
        candidate_id: String::new(),
        limit: 10,
        filters: None,
    };
    let response = eventually("the offers ranked", PATIENCE, || async {
        let response = matching
            .candidate(candidate_id(&me))
            .rank_offers(request.clone())
            .await
            .ok()?
            .into_inner();
        (response.offers.len() == 2).then_some(response)
    })
    .await;
    // Lille is beyond the 150 km; the work-study offer is not a contract they seek.
    assert_eq!(
        offer_ids(&response),
        vec![figeac.id.clone(), toulouse.id.clone()]
    );
    assert_eq!(response.eligible_count, 2);
    let first = &response.offers[0];
    let company_aid = first
        .aids
        .iter()
        .find(|a| a.kind == AidKind::CompanyGraduateHire as i32)
        .unwrap();
    assert!(
        company_aid.eligible,
        "a graduate hired on a CDI in Figeac opens the company aid"
    );
    // Toulouse is in no Territoire d'industrie: the same graduate opens no aid there.
    let toulouse_aid = response.offers[1]
        .aids
        .iter()
        .find(|a| a.kind == AidKind::CompanyGraduateHire as i32)
        .unwrap();
    assert_eq!(toulouse_aid.outcome, AidOutcome::NotEligible as i32);
    assert!(
        toulouse_aid.reason.contains("Toulouse"),
        "{}",
        toulouse_aid.reason
    );
    let summary = &first.explanation.as_ref().unwrap().summary;
    // Competence first: the studies sought and what they prepare for lead the summary.
    assert!(
        summary.contains("Formation en génie mécanique"),
        "{summary}"
    );
    assert!(first.distance_km.unwrap() > 100.0);

    // Only in a Territoire d'industrie: Figeac, not Toulouse.
    let filtered = matching
        .candidate(candidate_id(&me))
        .rank_offers(RankOffersRequest {
            filters: Some(OfferFilters {
                only_in_territory: true,
                ..OfferFilters::default()
            }),
            ..request.clone()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(offer_ids(&filtered), vec![figeac.id.clone()]);
    // A search radius of 1,000 km reaches Lille; a mission filter keeps technology only.
    let wide = matching
        .school(school_id(&me))
        .rank_offers(RankOffersRequest {
            candidate_id: me.id.clone(),
            filters: Some(OfferFilters {
                radius_km: Some(1_000),
                mission_types: vec![MissionType::Technologie as i32],
                ..OfferFilters::default()
            }),
            ..request.clone()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(offer_ids(&wide), vec![figeac.id.clone(), lille.id.clone()]);

    // The student sees the work-study offer with the pair's aids, from the rule data: the
    // Territoires d'industrie aid is open to a work-study hire in Figeac (the 2020 operation),
    // Mobili-Jeune is only possible, under conditions the offer cannot tell.
    let theirs = matching
        .candidate(candidate_id(&student))
        .rank_offers(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(offer_ids(&theirs), vec![work_study.id.clone()]);
    let aid = |kind: AidKind| {
        theirs.offers[0]
            .aids
            .iter()
            .find(|a| a.kind == kind as i32)
            .unwrap()
            .clone()
    };
    let company = aid(AidKind::CompanyGraduateHire);
    assert_eq!(company.outcome, AidOutcome::EligibleSubjectToLabel as i32);
    assert!(company.eligible && company.paid_to_company);
    assert_eq!(company.amount.as_ref().unwrap().amount_cents, 400_000);
    let mobili = aid(AidKind::WorkStudyInstallation);
    assert_eq!(mobili.outcome, AidOutcome::PossibleUnderConditions as i32);
    assert!(!mobili.eligible && !mobili.paid_to_company);
    assert!(!mobili.conditions.is_empty(), "{mobili:?}");
    let eligibility = theirs.offers[0].eligibility.as_ref().unwrap();
    assert_eq!(eligibility.standing, EligibilityStanding::Eligible as i32);
    assert!(eligibility.label_ready);

    // Another candidate, a company, the website acting for no one: denied; another school: as
    // if the candidate did not exist.
    for (client, code) in [
        (
            matching.candidate(candidate_id(&student)),
            Code::PermissionDenied,
        ),
        (matching.owner(), Code::PermissionDenied),
        (matching.site(), Code::PermissionDenied),
        (matching.school(school_id(&student)), Code::NotFound),
    ] {
        let status = client
            .clone()
            .rank_offers(RankOffersRequest {
                candidate_id: me.id.clone(),
                ..request.clone()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), code, "{status:?}");
    }
    let status = matching
        .school(school_id(&me))
        .rank_offers(RankOffersRequest {
            filters: Some(OfferFilters {
                region_code: "7".into(),
                ..OfferFilters::default()
            }),
            candidate_id: me.id.clone(),
            limit: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("filters.region_code"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn suggestions_go_out_when_an_offer_is_published_or_a_profile_becomes_matchable_once_per_pair()
 {
    let mut settings = MatchingSettings::default();
    settings.suggestions.min_score = 0.3;
    // The alerts a publication sends the candidates themselves are the tests below'.
    settings.suggestions.offer_alerts.count = 0;
    let matching = Matching::start_with(settings).await;
    let tech = graduate(TOULOUSE, 150, MissionType::Technologie);
    let far = graduate(LILLE, 50, MissionType::Technologie);
    matching.deliver(&changed(&tech)).await;
    matching.deliver(&changed(&far)).await;
    // Published right after the profiles were handled: the publication finds them even if the
    // index's follower has not run since.
    let figeac = offer(FIGEAC, MissionType::Technologie);
    matching.deliver(&published(&figeac)).await;

    // The offer changes its skills (new terms), is published again as a duplicate, and a new
    // profile becomes matchable.
    let mut changed_offer = figeac.clone();
    changed_offer.revision = 3;
    changed_offer
        .spec
        .as_mut()
        .unwrap()
        .skills
        .push("Python".into());
    matching.deliver(&updated(&changed_offer)).await;
    matching.deliver(&published(&figeac)).await;
    let newcomer = graduate(TOULOUSE, 200, MissionType::Technologie);
    matching.deliver(&changed(&newcomer)).await;

    let events = eventually("two suggestion events", PATIENCE, || async {
        let events = matching.matching_events().await;
        (events.len() >= 2).then_some(events)
    })
    .await;
    let mut pairs = HashSet::new();
    let mut triggers = Vec::new();
    for event in &events {
        match event.event.as_ref().unwrap() {
            matching_event::Event::CandidatesSuggested(s) => {
                assert_eq!(event.subject_id, figeac.id);
                assert_eq!(s.company_siren, common::SIREN);
                triggers.push(s.trigger);
                for c in &s.candidates {
                    assert!(c.score >= 0.3);
                    assert!(!c.summary.is_empty());
                    assert!(
                        pairs.insert((s.offer_id.clone(), c.candidate_id.clone())),
                        "pair suggested twice"
                    );
                }
            }
            matching_event::Event::OffersSuggested(s) => {
                assert_eq!(event.subject_id, newcomer.id);
                assert_eq!(s.school_id, newcomer.school_id);
                triggers.push(s.trigger);
                for o in &s.offers {
                    assert!(
                        pairs.insert((o.offer_id.clone(), s.candidate_id.clone())),
                        "pair suggested twice"
                    );
                }
            }
        }
    }
    // Different keys, different partitions: the two events may be read in either order.
    triggers.sort();
    assert_eq!(
        triggers,
        vec![
            SuggestionTrigger::OfferPublished as i32,
            SuggestionTrigger::ProfileMatchable as i32
        ],
        "the update and the duplicate suggest nothing new"
    );
    let expected: HashSet<(String, String)> = [
        (figeac.id.clone(), tech.id.clone()),
        (figeac.id.clone(), newcomer.id.clone()),
    ]
    .into_iter()
    .collect();
    assert_eq!(pairs, expected, "the Lille graduate is beyond their 50 km");
}

const CAPDENAC: &str = "46055";

/// The `OffersSuggested` events published so far, by candidate id.
async fn alerts(matching: &Matching) -> Vec<(String, OffersSuggested)> {
    matching
        .matching_events()
        .await
        .into_iter()
        .filter_map(|event| match event.event {
            Some(matching_event::Event::OffersSuggested(s)) => Some((event.subject_id, s)),
            _ => None,
        })
        .collect()
}

/// A graduate of `field` with these skills, otherwise as [`graduate`].
fn graduate_in(
    insee: &str,
    radius_km: u32,
    mission: MissionType,
    field: &str,
    skills: &[&str],
) -> CandidateProfile {
    let mut profile = graduate(insee, radius_km, mission);
    profile.field_of_study = field.into();
    profile.skills = skills.iter().map(|s| (*s).into()).collect();
    profile
}

#[tokio::test]
async fn a_published_offer_is_told_to_its_best_ranked_candidates_not_to_a_low_scoring_one() {
    let mut settings = MatchingSettings::default();
    // Every eligible candidate is suggested to the company; the alerts have a threshold of
    // their own.
    settings.suggestions.min_score = 0.0;
    settings.suggestions.offer_alerts.count = 2;
    settings.suggestions.offer_alerts.min_score = 0.6;
    let matching = Matching::start_with(settings).await;
    // Matchable before the offer exists: their own suggestions found nothing to tell them.
    let best = graduate_in(
        CAPDENAC,
        50,
        MissionType::Technologie,
        "Génie mécanique",
        &["CAO SolidWorks", "Lean management"],
    );
    let second = graduate(TOULOUSE, 200, MissionType::Technologie);
    let third = graduate(TOULOUSE, 200, MissionType::Marketing);
    let low = graduate_in(
        TOULOUSE,
        200,
        MissionType::Marketing,
        "Commerce international",
        &["Négociation"],
    );
    for profile in [&best, &second, &third, &low] {
        matching.deliver(&changed(profile)).await;
    }
    assert!(
        alerts(&matching).await.is_empty(),
        "no offer yet, nothing told"
    );

    let figeac = offer(FIGEAC, MissionType::Technologie);
    matching.deliver(&published(&figeac)).await;

    let company = eventually("the company's suggestions", PATIENCE, || async {
        matching
            .matching_events()
            .await
            .into_iter()
            .find_map(|event| match event.event {
                Some(matching_event::Event::CandidatesSuggested(s)) => Some(s),
                _ => None,
            })
    })
    .await;
    let ranked: Vec<(String, f64)> = company
        .candidates
        .iter()
        .map(|c| (c.candidate_id.clone(), c.score))
        .collect();
    assert_eq!(ranked.len(), 4, "{ranked:?}");
    assert_eq!(ranked[0].0, best.id, "{ranked:?}");
    let score_of = |id: &str| ranked.iter().find(|(c, _)| c == id).unwrap().1;
    assert!(score_of(&low.id) < 0.6, "{ranked:?}");
    assert!(score_of(&second.id) >= 0.6, "{ranked:?}");

    let told = eventually("the alerts", PATIENCE, || async {
        let told = alerts(&matching).await;
        (told.len() >= 2).then_some(told)
    })
    .await;
    let mut who: Vec<&str> = told.iter().map(|(id, _)| id.as_str()).collect();
    who.sort_unstable();
    let mut expected = vec![ranked[0].0.as_str(), ranked[1].0.as_str()];
    expected.sort_unstable();
    assert_eq!(
        who, expected,
        "the two best, not the third nor the low-scoring one"
    );
    for (id, alert) in &told {
        assert_eq!(&alert.candidate_id, id);
        assert_eq!(alert.trigger, SuggestionTrigger::OfferPublished as i32);
        assert_eq!(alert.offers.len(), 1);
        let told = &alert.offers[0];
        assert_eq!(told.offer_id, figeac.id);
        assert_eq!(told.company_name, "Mécanique du Lot");
        assert!(told.score >= 0.6, "{told:?}");
        assert!(!told.summary.is_empty());
    }
    let (_, first) = told.iter().find(|(id, _)| id == &best.id).unwrap();
    assert_eq!(first.school_id, best.school_id);
    // Worded for the candidate: their own distance, "de chez vous", not the company's words.
    let summary = &first.offers[0].summary;
    assert!(!summary.contains("du candidat"), "{summary}");
    // Recorded as what the candidate was shown.
    let shown: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM impressions WHERE audience = 'SUGGESTION_CANDIDATE' AND subject_id = $1",
    )
    .bind(uuid::Uuid::parse_str(&best.id).unwrap())
    .fetch_one(&matching.pool)
    .await
    .unwrap();
    assert_eq!(shown, 1);

    // A change of terms, a duplicate publication and the best candidate's own update tell
    // nobody of the offer again.
    let mut changed_offer = figeac.clone();
    changed_offer.revision = 3;
    changed_offer
        .spec
        .as_mut()
        .unwrap()
        .skills
        .push("Python".into());
    matching.deliver(&updated(&changed_offer)).await;
    matching.deliver(&published(&figeac)).await;
    let mut moved = best.clone();
    moved.revision = 2;
    preferences(&mut moved).mobility_radius_km = 80;
    matching.deliver(&changed(&moved)).await;
    assert_eq!(alerts(&matching).await.len(), 2, "each pair is told once");
}

#[tokio::test]
async fn no_candidate_is_told_of_an_offer_when_the_alerts_are_off() {
    let mut settings = MatchingSettings::default();
    settings.suggestions.min_score = 0.3;
    settings.suggestions.offer_alerts.count = 0;
    let matching = Matching::start_with(settings).await;
    let best = graduate(CAPDENAC, 50, MissionType::Technologie);
    matching.deliver(&changed(&best)).await;
    let figeac = offer(FIGEAC, MissionType::Technologie);
    matching.deliver(&published(&figeac)).await;
    eventually("the company's suggestions", PATIENCE, || async {
        let events = matching.matching_events().await;
        (!events.is_empty()).then_some(())
    })
    .await;
    assert!(alerts(&matching).await.is_empty());
}
