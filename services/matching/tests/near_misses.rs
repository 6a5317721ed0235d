//! Near misses in RankOffers (issue 15, item 5), against the running service with real
//! communes and dates: a Figeac graduate with a 20 km radius is shown the Toulouse offer and how
//! far beyond their radius it lies, a bac+2 the bac+3 to bac+5 offer and their level, a CDD or a
//! late first day what they would change; nothing the scheme refuses on the candidate's
//! situation (a 2019 graduate, a student and a CDI), nothing beyond the bounds, and none when
//! enough offers pass.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Duration, NaiveDate};
use common::fixtures::*;
use common::{Matching, PATIENCE, reference};
use vte_domain::InseeCode;
use vte_proto::vte::candidates::v1::CandidateProfile;
use vte_proto::vte::common::v1::{ContractKind, EducationLevel, MissionType};
use vte_proto::vte::matching::v1::{
    FilterKind, NearMiss, OfferFilters, RankOffersRequest, RankOffersResponse,
};
use vte_proto::vte::offers::v1::Offer;
use vte_testbed::eventually;

const FIGEAC: &str = "46102";
const TOULOUSE: &str = "31555";
const CAPDENAC: &str = "46055";
const RENNES: &str = "35238";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn distance(from: &str, to: &str) -> f64 {
    reference()
        .distance_km(
            &InseeCode::parse(from).unwrap(),
            &InseeCode::parse(to).unwrap(),
        )
        .unwrap()
}

/// RankOffers for the candidate themselves.
async fn rank(
    matching: &Matching,
    profile: &CandidateProfile,
    limit: u32,
    radius_km: Option<u32>,
) -> RankOffersResponse {
    matching
        .candidate(candidate_id(profile))
        .rank_offers(RankOffersRequest {
            candidate_id: String::new(),
            limit,
            filters: Some(OfferFilters {
                radius_km,
                ..OfferFilters::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
}

/// RankOffers once `shown` offers are ranked or near misses (the index has followed them).
async fn ranked_until(
    matching: &Matching,
    profile: &CandidateProfile,
    limit: u32,
    shown: usize,
) -> RankOffersResponse {
    eventually("the offers followed into the index", PATIENCE, || async {
        let response = rank(matching, profile, limit, None).await;
        (response.offers.len() + response.near_misses.len() == shown).then_some(response)
    })
    .await
}

/// The offer with the level range `min..=max`.
fn for_levels(mut offer: Offer, min: EducationLevel, max: EducationLevel) -> Offer {
    let spec = offer.spec.as_mut().unwrap();
    spec.min_level = min as i32;
    spec.max_level = max as i32;
    offer
}

/// The kinds of the obstacles of a near miss, in order.
fn kinds(miss: &NearMiss) -> Vec<i32> {
    miss.obstacles
        .iter()
        .map(|o| o.filter.as_ref().unwrap().kind)
        .collect()
}

fn reason(miss: &NearMiss, at: usize) -> String {
    let filter = miss.obstacles[at].filter.as_ref().unwrap();
    assert!(!filter.passed);
    filter.reason.clone()
}

fn offer_id_of(miss: &NearMiss) -> String {
    miss.offer.as_ref().unwrap().id.clone()
}

#[tokio::test]
async fn a_figeac_graduate_with_a_20_km_radius_is_shown_the_toulouse_offer_and_how_far_beyond_it_lies()
 {
    let matching = Matching::start().await;
    let profile = graduate(FIGEAC, 20, MissionType::Technologie);
    let offer = offer(TOULOUSE, MissionType::Technologie);
    matching.deliver(&changed(&profile)).await;
    matching.deliver(&published(&offer)).await;

    let response = ranked_until(&matching, &profile, 10, 1).await;
    assert!(response.offers.is_empty());
    assert_eq!(response.eligible_count, 0);
    assert_eq!(response.near_misses.len(), 1);
    let miss = &response.near_misses[0];
    assert_eq!(offer_id_of(miss), offer.id);
    assert_eq!(kinds(miss), [FilterKind::Mobility as i32]);
    let far = distance(FIGEAC, TOULOUSE);
    assert!((110.0..150.0).contains(&far), "{far}");
    let extra = miss.obstacles[0].extra_km.unwrap();
    assert!((extra - (far - 20.0)).abs() < 0.1, "{extra} vs {far}");
    assert_eq!(miss.distance_km.map(f64::round), Some(far.round()));
    let why = reason(miss, 0);
    assert!(
        why.contains(&format!("À {} km de chez vous", far.round()))
            && why.contains("au-delà de votre rayon de 20 km")
            && why.contains("vous n'êtes pas prêt à déménager"),
        "{why}"
    );
    assert_eq!(miss.explanation.as_ref().unwrap().summary, why);
    assert!((0.0..=1.0).contains(&miss.score) && miss.score > 0.0);
    assert_eq!(miss.offer.as_ref().unwrap().spec, offer.spec);

    // Searching within 50 km, the offer is as far beyond the search radius.
    let within_50 = rank(&matching, &profile, 10, Some(50)).await;
    let miss = &within_50.near_misses[0];
    let extra = miss.obstacles[0].extra_km.unwrap();
    assert!((extra - (far - 50.0)).abs() < 0.1, "{extra} vs {far}");
    assert!(
        reason(miss, 0).contains("au-delà du rayon de recherche de 50 km"),
        "{}",
        reason(miss, 0)
    );
    // The summary names that obstacle, not the candidate's own 20 km.
    assert_eq!(miss.explanation.as_ref().unwrap().summary, reason(miss, 0));
}

#[tokio::test]
async fn a_bac_2_is_shown_a_bac_3_to_5_offer_for_their_level_and_not_a_bac_4_to_5_one() {
    let matching = Matching::start().await;
    let mut profile = graduate(TOULOUSE, 50, MissionType::Technologie);
    profile.level = EducationLevel::Bac2 as i32;
    let one_below = offer(TOULOUSE, MissionType::Technologie);
    let two_below = for_levels(
        offer(TOULOUSE, MissionType::Technologie),
        EducationLevel::Bac4,
        EducationLevel::Bac5,
    );
    matching.deliver(&changed(&profile)).await;
    matching.deliver(&published(&two_below)).await;
    matching.deliver(&published(&one_below)).await;
    // Followed once a bac+4 sees both.
    let mut bac_4 = graduate(TOULOUSE, 50, MissionType::Technologie);
    bac_4.level = EducationLevel::Bac4 as i32;
    matching.deliver(&changed(&bac_4)).await;
    ranked_until(&matching, &bac_4, 10, 2).await;

    let response = rank(&matching, &profile, 10, None).await;
    assert!(response.offers.is_empty());
    assert_eq!(response.near_misses.len(), 1, "{:?}", response.near_misses);
    let miss = &response.near_misses[0];
    assert_eq!(offer_id_of(miss), one_below.id);
    assert_eq!(kinds(miss), [FilterKind::EducationLevel as i32]);
    assert_eq!(
        reason(miss, 0),
        "L'offre demande bac+3 à bac+5, le profil est bac+2."
    );
    assert_eq!(miss.obstacles[0].extra_km, None);
}

#[tokio::test]
async fn a_graduate_of_2019_is_shown_no_near_miss_for_an_offer_starting_in_2027_and_one_of_2026_is()
{
    let matching = Matching::start().await;
    let offer = starting(offer(TOULOUSE, MissionType::Technologie), day(2027, 9, 1));
    let of_2019 = graduating(
        graduate(FIGEAC, 20, MissionType::Technologie),
        day(2019, 6, 30),
        day(2027, 8, 1),
    );
    let of_2026 = graduating(
        graduate(FIGEAC, 20, MissionType::Technologie),
        day(2026, 6, 30),
        day(2027, 8, 1),
    );
    matching.deliver(&published(&offer)).await;
    matching.deliver(&changed(&of_2019)).await;
    matching.deliver(&changed(&of_2026)).await;

    // The same offer, as far, is near for the 2026 graduate...
    let theirs = ranked_until(&matching, &of_2026, 10, 1).await;
    assert_eq!(kinds(&theirs.near_misses[0]), [FilterKind::Mobility as i32]);
    // ...and not for the 2019 one: the scheme refuses them whatever they move.
    let none = rank(&matching, &of_2019, 10, None).await;
    assert!(
        none.offers.is_empty() && none.near_misses.is_empty(),
        "{none:?}"
    );
    assert_eq!(none.eligible_count, 0);
}

#[tokio::test]
async fn a_student_is_not_shown_a_cdi_and_a_graduate_is_shown_a_cdd_for_the_contract_kind() {
    let matching = Matching::start().await;
    let cdd = with_contract(offer(FIGEAC, MissionType::Technologie), ContractKind::Cdd);
    let student = student(FIGEAC, 20, MissionType::Technologie);
    let graduate = graduate(FIGEAC, 20, MissionType::Technologie);
    matching.deliver(&published(&cdd)).await;
    matching.deliver(&changed(&student)).await;
    matching.deliver(&changed(&graduate)).await;

    let theirs = ranked_until(&matching, &graduate, 10, 1).await;
    let miss = &theirs.near_misses[0];
    assert_eq!(kinds(miss), [FilterKind::ContractKind as i32]);
    assert!(
        reason(miss, 0).contains("ne cherchez pas : CDI seulement"),
        "{}",
        reason(miss, 0)
    );
    // A student takes only work-study under the scheme: listing a CDD would change nothing.
    let none = rank(&matching, &student, 10, None).await;
    assert!(none.near_misses.is_empty(), "{none:?}");
}

#[tokio::test]
async fn a_first_day_20_days_after_the_tolerance_is_near_and_100_days_after_is_not() {
    let matching = Matching::start().await;
    let start = today() + Duration::days(60);
    let offer = starting(offer(FIGEAC, MissionType::Technologie), start);
    // The default tolerance is 30 days.
    let late = graduating(
        graduate(FIGEAC, 20, MissionType::Technologie),
        today() - Duration::days(90),
        start + Duration::days(50),
    );
    let too_late = graduating(
        graduate(FIGEAC, 20, MissionType::Technologie),
        today() - Duration::days(90),
        start + Duration::days(130),
    );
    matching.deliver(&published(&offer)).await;
    matching.deliver(&changed(&late)).await;
    matching.deliver(&changed(&too_late)).await;

    let theirs = ranked_until(&matching, &late, 10, 1).await;
    let miss = &theirs.near_misses[0];
    assert_eq!(kinds(miss), [FilterKind::Availability as i32]);
    assert_eq!(miss.obstacles[0].extra_days, Some(20));
    assert!(
        reason(miss, 0).contains("50 jours après le début prévu"),
        "{}",
        reason(miss, 0)
    );
    let none = rank(&matching, &too_late, 10, None).await;
    assert!(none.near_misses.is_empty(), "{none:?}");
}

#[tokio::test]
async fn near_misses_come_nearest_first_and_only_when_fewer_offers_than_asked_pass() {
    let matching = Matching::start().await;
    let profile = graduate(FIGEAC, 20, MissionType::Technologie);
    let here = offer(FIGEAC, MissionType::Technologie);
    let next_door = offer(CAPDENAC, MissionType::Technologie);
    let cdd_here = with_contract(offer(FIGEAC, MissionType::Technologie), ContractKind::Cdd);
    let toulouse = offer(TOULOUSE, MissionType::Technologie);
    let cdd_in_toulouse =
        with_contract(offer(TOULOUSE, MissionType::Technologie), ContractKind::Cdd);
    // Rennes is more than 150 km beyond the radius: never near.
    let rennes = offer(RENNES, MissionType::Technologie);
    matching.deliver(&changed(&profile)).await;
    for offer in [
        &here,
        &next_door,
        &cdd_here,
        &toulouse,
        &cdd_in_toulouse,
        &rennes,
    ] {
        matching.deliver(&published(offer)).await;
    }

    let response = ranked_until(&matching, &profile, 10, 5).await;
    assert_eq!(response.eligible_count, 2);
    let order: Vec<String> = response.near_misses.iter().map(offer_id_of).collect();
    // One obstacle before two; a kind not listed (half the bound) before ~110 km beyond.
    assert_eq!(
        order,
        [
            cdd_here.id.clone(),
            toulouse.id.clone(),
            cdd_in_toulouse.id.clone()
        ]
    );
    assert_eq!(
        kinds(&response.near_misses[2]),
        [FilterKind::ContractKind as i32, FilterKind::Mobility as i32]
    );

    // Two offers asked, two pass: nothing added.
    let enough = rank(&matching, &profile, 2, None).await;
    assert_eq!(enough.offers.len(), 2);
    assert!(enough.near_misses.is_empty(), "{enough:?}");
    // Three asked: at most one near miss, the nearest.
    let three = rank(&matching, &profile, 3, None).await;
    assert_eq!(three.offers.len(), 2);
    assert_eq!(three.near_misses.len(), 1);
    assert_eq!(offer_id_of(&three.near_misses[0]), cdd_here.id);
}
