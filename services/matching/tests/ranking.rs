//! RankCandidates and ExplainMatch against the running service, with events published on its
//! topics and real communes: the Figeac technology offer and the Toulouse, Rennes graduates of
//! the issue, each hard filter with its reason, in-order and idempotent events, and visibility
//! within a second.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::fixtures::*;
use common::{Matching, PATIENCE, reference};
use tonic::Code;
use vte_domain::InseeCode;
use vte_proto::vte::candidates::v1::CandidateProfile;
use vte_proto::vte::common::v1::{ContractKind, MissionType};
use vte_proto::vte::matching::v1::{
    CandidateFilters, ExplainMatchRequest, ExplainMatchResponse, FilterKind, RankCandidatesRequest,
    RankCandidatesResponse, ScoreComponentKind,
};
use vte_proto::vte::offers::v1::Offer;
use vte_testbed::eventually;

const FIGEAC: &str = "46102";
const TOULOUSE: &str = "31555";
const RENNES: &str = "35238";

fn request(offer: &Offer) -> RankCandidatesRequest {
    RankCandidatesRequest {
        offer_id: offer.id.clone(),
        limit: 0,
        filters: None,
    }
}

async fn rank(matching: &Matching, offer: &Offer) -> RankCandidatesResponse {
    matching
        .owner()
        .rank_candidates(request(offer))
        .await
        .unwrap()
        .into_inner()
}

fn ids(response: &RankCandidatesResponse) -> Vec<String> {
    response
        .candidates
        .iter()
        .map(|c| c.candidate_id.clone())
        .collect()
}

/// Waits until the ranking for `offer` satisfies `done`.
async fn ranked_until(
    matching: &Matching,
    offer: &Offer,
    what: &str,
    done: impl Fn(&RankCandidatesResponse) -> bool,
) -> RankCandidatesResponse {
    eventually(what, PATIENCE, || async {
        let response = matching
            .owner()
            .rank_candidates(request(offer))
            .await
            .ok()?
            .into_inner();
        done(&response).then_some(response)
    })
    .await
}

async fn explain_as_owner(
    matching: &Matching,
    offer: &Offer,
    profile: &CandidateProfile,
) -> ExplainMatchResponse {
    matching
        .owner()
        .explain_match(ExplainMatchRequest {
            offer_id: offer.id.clone(),
            candidate_id: profile.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
}

fn filter(response: &ExplainMatchResponse, kind: FilterKind) -> (bool, String) {
    let found = response
        .filters
        .iter()
        .find(|f| f.kind == kind as i32)
        .unwrap();
    (found.passed, found.reason.clone())
}

fn distance(from: &str, to: &str) -> f64 {
    reference()
        .distance_km(
            &InseeCode::parse(from).unwrap(),
            &InseeCode::parse(to).unwrap(),
        )
        .unwrap()
}

#[tokio::test]
async fn in_figeac_a_toulouse_graduate_preferring_technology_ranks_above_one_preferring_marketing()
{
    let matching = Matching::start().await;
    let tech = graduate(TOULOUSE, 150, MissionType::Technologie);
    let marketing = graduate(TOULOUSE, 150, MissionType::Marketing);
    let offer = offer(FIGEAC, MissionType::Technologie);
    matching.deliver(&changed(&tech)).await;
    matching.deliver(&changed(&marketing)).await;
    matching.deliver(&published(&offer)).await;

    let response = ranked_until(&matching, &offer, "both Toulouse graduates ranked", |r| {
        r.candidates.len() == 2
    })
    .await;
    assert_eq!(ids(&response), vec![tech.id.clone(), marketing.id.clone()]);
    assert_eq!(response.eligible_count, 2);
    let (first, second) = (&response.candidates[0], &response.candidates[1]);
    assert!(
        first.score > second.score,
        "{} vs {}",
        first.score,
        second.score
    );
    assert!((0.0..=1.0).contains(&first.score) && (0.0..=1.0).contains(&second.score));

    // Every component is there, with weights summing to 1 and the score their weighted sum.
    let explanation = first.explanation.as_ref().unwrap();
    assert_eq!(explanation.components.len(), 8);
    let weights: f64 = explanation.components.iter().map(|c| c.weight).sum();
    assert!((weights - 1.0).abs() < 1e-3, "{weights}");
    let sum: f64 = explanation
        .components
        .iter()
        .map(|c| c.weight * c.value)
        .sum();
    assert!((sum - first.score).abs() < 1e-3, "{sum} vs {}", first.score);
    let mission = |r: &vte_proto::vte::matching::v1::RankedCandidate| {
        r.explanation
            .as_ref()
            .unwrap()
            .components
            .iter()
            .find(|c| c.kind == ScoreComponentKind::MissionFit as i32)
            .unwrap()
            .value
    };
    assert_eq!((mission(first), mission(second)), (1.0, 0.0));
    let territory = explanation
        .components
        .iter()
        .find(|c| c.kind == ScoreComponentKind::Territory as i32)
        .unwrap();
    assert!(
        territory
            .sentence
            .contains("Territoire d'industrie Aurillac – Figeac – Rodez"),
        "{}",
        territory.sentence
    );

    // Pseudonymous: an id and what the company may know.
    let summary = first.summary.as_ref().unwrap();
    assert_eq!(summary.field_of_study, "génie mécanique");
    assert_eq!(summary.matching_skills, vec!["Solidworks".to_owned()]);
    let km = summary.distance_km.unwrap();
    assert!((km - distance(TOULOUSE, FIGEAC)).abs() < 0.2, "{km}");

    let explained = explain_as_owner(&matching, &offer, &tech).await;
    assert!(explained.eligible);
    let (passed, reason) = filter(&explained, FilterKind::Mobility);
    assert!(passed);
    assert_eq!(
        reason,
        format!(
            "À {} km du domicile du candidat, dans son rayon de 150 km.",
            km.round()
        )
    );
    assert!((explained.score - first.score).abs() < 1e-6);
}

#[tokio::test]
async fn a_rennes_graduate_within_50_km_is_excluded_with_the_distance_then_ranked_once_open_to_relocation()
 {
    let matching = Matching::start().await;
    let offer = offer(FIGEAC, MissionType::Technologie);
    let mut rennes = graduate(RENNES, 50, MissionType::Technologie);
    let control = graduate(TOULOUSE, 150, MissionType::Technologie);
    matching.deliver(&published(&offer)).await;
    matching.deliver(&changed(&rennes)).await;
    matching.deliver(&changed(&control)).await;

    let response = ranked_until(&matching, &offer, "the Toulouse control ranked", |r| {
        !r.candidates.is_empty()
    })
    .await;
    assert_eq!(ids(&response), vec![control.id.clone()]);
    let explained = explain_as_owner(&matching, &offer, &rennes).await;
    assert!(!explained.eligible);
    let (passed, reason) = filter(&explained, FilterKind::Mobility);
    assert!(!passed);
    let km = explained.distance_km.unwrap();
    assert!((km - distance(RENNES, FIGEAC)).abs() < 0.2, "{km}");
    assert_eq!(
        reason,
        format!(
            "À {} km du domicile du candidat, au-delà de son rayon de 50 km, et il n'est pas prêt à déménager.",
            km.round()
        )
    );
    assert_eq!(explained.explanation.as_ref().unwrap().summary, reason);
    // Scored all the same, as the contract asks.
    assert!(explained.score > 0.0);

    // The same person, now open to relocation: ranked, further down for the distance.
    rennes.revision = 2;
    preferences(&mut rennes).open_to_relocation = true;
    matching.deliver(&changed(&rennes)).await;
    let response = ranked_until(&matching, &offer, "the Rennes graduate ranked", |r| {
        r.candidates.len() == 2
    })
    .await;
    assert_eq!(ids(&response), vec![control.id.clone(), rennes.id.clone()]);
    let explained = explain_as_owner(&matching, &offer, &rennes).await;
    assert!(explained.eligible);
    let (passed, reason) = filter(&explained, FilterKind::Mobility);
    assert!(passed);
    assert!(
        reason.ends_with("au-delà de son rayon de 50 km, mais il est prêt à déménager."),
        "{reason}"
    );
}

#[tokio::test]
async fn a_bac_plus_one_or_a_work_study_only_profile_is_excluded_for_the_offers_level_or_contract()
{
    let matching = Matching::start().await;
    let offer = offer(FIGEAC, MissionType::Technologie);
    let mut bac1 = graduate(TOULOUSE, 150, MissionType::Technologie);
    bac1.level = 1;
    let mut work_study = graduate(TOULOUSE, 150, MissionType::Technologie);
    preferences(&mut work_study).contract_kinds_sought = vec![ContractKind::WorkStudy as i32];
    let control = graduate(TOULOUSE, 150, MissionType::Technologie);
    for profile in [&bac1, &work_study, &control] {
        matching.deliver(&changed(profile)).await;
    }
    matching.deliver(&published(&offer)).await;

    let response = ranked_until(&matching, &offer, "the control ranked", |r| {
        !r.candidates.is_empty()
    })
    .await;
    assert_eq!(ids(&response), vec![control.id.clone()]);
    assert_eq!(response.eligible_count, 1);

    let explained = explain_as_owner(&matching, &offer, &bac1).await;
    assert!(!explained.eligible);
    assert_eq!(
        filter(&explained, FilterKind::EducationLevel),
        (
            false,
            "L'offre demande bac+3 à bac+5, le profil est bac+1.".to_owned()
        )
    );
    let explained = explain_as_owner(&matching, &offer, &work_study).await;
    assert!(!explained.eligible);
    let (passed, reason) = filter(&explained, FilterKind::ContractKind);
    assert!(!passed);
    assert_eq!(
        reason,
        "L'offre propose un CDI, ce que le candidat ne cherche pas : alternance seulement."
    );
    assert!(filter(&explained, FilterKind::EducationLevel).0);

    // Narrowing to bac+4 leaves the bac+5 control out.
    let narrowed = matching
        .owner()
        .rank_candidates(RankCandidatesRequest {
            filters: Some(CandidateFilters {
                levels: vec![4],
                ..CandidateFilters::default()
            }),
            ..request(&offer)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(narrowed.eligible_count, 0);
}

#[tokio::test]
async fn an_unconsented_or_erased_profile_is_never_returned() {
    let matching = Matching::start().await;
    let offer = offer(FIGEAC, MissionType::Technologie);
    let mut unconsented = graduate(TOULOUSE, 150, MissionType::Technologie);
    unconsented.consent.as_mut().unwrap().given = false;
    unconsented.matchable = false;
    let mut erased_one = graduate(TOULOUSE, 150, MissionType::Technologie);
    let control = graduate(TOULOUSE, 150, MissionType::Marketing);
    for profile in [&unconsented, &erased_one, &control] {
        matching.deliver(&changed(profile)).await;
    }
    matching.deliver(&published(&offer)).await;
    let response = ranked_until(&matching, &offer, "two ranked", |r| r.candidates.len() == 2).await;
    assert_eq!(
        ids(&response),
        vec![erased_one.id.clone(), control.id.clone()]
    );

    // The unconsented profile: unknown to the company, explained to the candidate themself.
    let status = matching
        .owner()
        .explain_match(ExplainMatchRequest {
            offer_id: offer.id.clone(),
            candidate_id: unconsented.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let own = matching
        .candidate(candidate_id(&unconsented))
        .explain_match(ExplainMatchRequest {
            offer_id: offer.id.clone(),
            candidate_id: unconsented.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!own.eligible);
    assert!(!filter(&own, FilterKind::Consent).0);
    let kept: Option<i64> =
        sqlx::query_scalar("SELECT count(*) FROM candidate_profiles WHERE candidate_id = $1")
            .bind(candidate_id(&unconsented).as_uuid())
            .fetch_optional(&matching.pool)
            .await
            .unwrap();
    assert_eq!(
        kept,
        Some(0),
        "no profile is kept of an unconsented candidate"
    );

    // Erased: gone from rankings, explanations and tables, and confirmed later.
    let erasure = uuid::Uuid::now_v7();
    matching.deliver(&erased(&erased_one, erasure)).await;
    let response = ranked_until(&matching, &offer, "the erased one gone", |r| {
        r.candidates.len() == 1
    })
    .await;
    assert_eq!(ids(&response), vec![control.id.clone()]);
    let status = matching
        .owner()
        .explain_match(ExplainMatchRequest {
            offer_id: offer.id.clone(),
            candidate_id: erased_one.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let confirmations: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM erasure_confirmations WHERE candidate_id = $1 AND erasure_id = $2",
    )
    .bind(candidate_id(&erased_one).as_uuid())
    .bind(erasure)
    .fetch_one(&matching.pool)
    .await
    .unwrap();
    assert_eq!(confirmations, 1);

    // A late profile event does not bring them back.
    erased_one.revision = 5;
    matching.deliver(&changed(&erased_one)).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        ids(&rank(&matching, &offer).await),
        vec![control.id.clone()]
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM candidates WHERE candidate_id = $1")
        .bind(candidate_id(&erased_one).as_uuid())
        .fetch_one(&matching.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn events_apply_in_revision_order_and_once_and_show_in_rankings_within_a_second() {
    let matching = Matching::start().await;
    let offer = offer(FIGEAC, MissionType::Technologie);
    matching.deliver(&published(&offer)).await;
    let mut profile = graduate(TOULOUSE, 150, MissionType::Technologie);

    let event = changed(&profile);
    matching.deliver(&event).await;
    let committed = Instant::now();
    ranked_until(&matching, &offer, "the profile ranked", |r| {
        r.candidates.len() == 1
    })
    .await;
    assert!(
        committed.elapsed() < Duration::from_secs(1),
        "visible after {:?}",
        committed.elapsed()
    );

    // Revision 3 narrows the radius below the distance: excluded.
    profile.revision = 3;
    preferences(&mut profile).mobility_radius_km = 50;
    let third = changed(&profile);
    matching.deliver(&third).await;
    ranked_until(&matching, &offer, "revision 3 applied", |r| {
        r.candidates.is_empty()
    })
    .await;

    // Revision 2 arrives late: ignored. Revision 3 again, a duplicate: ignored.
    profile.revision = 2;
    preferences(&mut profile).mobility_radius_km = 150;
    matching.deliver(&changed(&profile)).await;
    matching.publish(&third).await;
    let again = changed(&{
        let mut p = profile.clone();
        p.revision = 3;
        preferences(&mut p).mobility_radius_km = 50;
        p
    });
    matching.deliver(&again).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(rank(&matching, &offer).await.candidates.is_empty());
    let held: (i64, i32) = sqlx::query_as(
        "SELECT c.revision, p.mobility_radius_km FROM candidates c JOIN candidate_profiles p USING (candidate_id) WHERE candidate_id = $1",
    )
    .bind(candidate_id(&profile).as_uuid())
    .fetch_one(&matching.pool)
    .await
    .unwrap();
    assert_eq!(held, (3, 50));

    // An offer closed meanwhile (revision 3) then published late (revision 2): stays closed.
    let mut closed = offer.clone();
    closed.revision = 3;
    closed.status = vte_proto::vte::offers::v1::OfferStatus::Closed as i32;
    matching.deliver(&updated(&closed)).await;
    matching.deliver(&published(&offer)).await;
    let status = eventually("the offer to be closed", PATIENCE, || async {
        matching
            .owner()
            .rank_candidates(request(&offer))
            .await
            .err()
    })
    .await;
    assert_eq!(status.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn another_company_cannot_rank_or_explain_an_offer_it_does_not_own() {
    let matching = Matching::start().await;
    let offer = offer(FIGEAC, MissionType::Technologie);
    let profile = graduate(TOULOUSE, 150, MissionType::Technologie);
    matching.deliver(&published(&offer)).await;
    matching.deliver(&changed(&profile)).await;
    ranked_until(&matching, &offer, "ranked", |r| r.candidates.len() == 1).await;

    let status = matching
        .company(common::OTHER_SIREN)
        .rank_candidates(request(&offer))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(status.message(), "this offer belongs to another company");
    let pair = ExplainMatchRequest {
        offer_id: offer.id.clone(),
        candidate_id: profile.id.clone(),
    };
    let status = matching
        .company(common::OTHER_SIREN)
        .explain_match(pair.clone())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // A candidate or a school cannot rank a company's candidates.
    let status = matching
        .candidate(candidate_id(&profile))
        .rank_candidates(request(&offer))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = matching
        .school(school_id(&profile))
        .rank_candidates(request(&offer))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // The owner, an operator, the candidate and their school may explain the pair.
    assert!(matching.owner().explain_match(pair.clone()).await.is_ok());
    assert!(
        matching
            .admin()
            .rank_candidates(request(&offer))
            .await
            .is_ok()
    );
    let own = matching
        .candidate(candidate_id(&profile))
        .explain_match(pair.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(
        filter(&own, FilterKind::Mobility)
            .1
            .contains("de chez vous, dans votre rayon de 150 km")
    );
    assert!(
        matching
            .school(school_id(&profile))
            .explain_match(pair.clone())
            .await
            .is_ok()
    );
    // Another school's student reads as absent to a school.
    let status = matching
        .school(vte_domain::SchoolId::new())
        .explain_match(pair)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn invalid_requests_name_the_field_and_the_rule() {
    let matching = Matching::start().await;
    let status = matching
        .owner()
        .rank_candidates(RankCandidatesRequest {
            offer_id: "not-a-uuid".into(),
            limit: 101,
            filters: Some(CandidateFilters {
                levels: vec![7],
                max_distance_km: Some(0),
                ..CandidateFilters::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    for field in [
        "offer_id:",
        "limit: must be 1..=100",
        "filters.levels[0]: must be an education level",
        "filters.max_distance_km: must be 1..=1,000 km",
    ] {
        assert!(
            status.message().contains(field),
            "{field} in {}",
            status.message()
        );
    }
    let status = matching
        .owner()
        .explain_match(ExplainMatchRequest {
            offer_id: String::new(),
            candidate_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("offer_id: is required")
            && status.message().contains("candidate_id: is required")
    );
    let status = matching
        .owner()
        .rank_candidates(RankCandidatesRequest {
            offer_id: vte_domain::OfferId::new().to_string(),
            ..RankCandidatesRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn applicants_can_be_left_out_of_the_ranking() {
    let matching = Matching::start().await;
    let offer = offer(FIGEAC, MissionType::Technologie);
    let applicant = graduate(TOULOUSE, 150, MissionType::Technologie);
    let other = graduate(TOULOUSE, 150, MissionType::Marketing);
    matching.deliver(&published(&offer)).await;
    matching.deliver(&changed(&applicant)).await;
    matching.deliver(&changed(&other)).await;
    matching.deliver(&applied(&offer, &applicant)).await;
    ranked_until(&matching, &offer, "both ranked", |r| {
        r.candidates.len() == 2
    })
    .await;
    let without = matching
        .owner()
        .rank_candidates(RankCandidatesRequest {
            filters: Some(CandidateFilters {
                exclude_applicants: true,
                ..CandidateFilters::default()
            }),
            ..request(&offer)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&without), vec![other.id.clone()]);
}

#[tokio::test]
async fn a_restarted_service_ranks_from_its_tables_at_once() {
    let mut matching = Matching::start().await;
    let offer = offer(FIGEAC, MissionType::Technologie);
    let tech = graduate(TOULOUSE, 150, MissionType::Technologie);
    let marketing = graduate(TOULOUSE, 150, MissionType::Marketing);
    matching.deliver(&published(&offer)).await;
    matching.deliver(&changed(&tech)).await;
    matching.deliver(&changed(&marketing)).await;
    let before = ranked_until(&matching, &offer, "both ranked", |r| {
        r.candidates.len() == 2
    })
    .await;

    matching.restart().await;
    let after = rank(&matching, &offer).await;
    assert_eq!(ids(&after), ids(&before));
    let scores =
        |r: &RankCandidatesResponse| r.candidates.iter().map(|c| c.score).collect::<Vec<_>>();
    assert_eq!(scores(&after), scores(&before));
}
