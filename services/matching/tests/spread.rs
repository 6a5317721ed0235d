//! The exposure spread against the running service (issue 15, item 4): a candidate already
//! shown for other offers comes below a close one in the next company's ranking, with the reason,
//! their score unchanged; a company looking again at its own offer lowers nobody; the exposure
//! survives a restart (read again from the impressions); an offer crowded with applications
//! comes below a close one in a candidate's ranking. Strong settings (penalties up to 0.2) keep
//! the effect clear of the scores' small differences; each test checks the gap it relies on.

#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::*;
use common::{Matching, PATIENCE};
use vte_matching::MatchingSettings;
use vte_matching::spread::SpreadSettings;
use vte_proto::vte::candidates::v1::CandidateProfile;
use vte_proto::vte::common::v1::MissionType;
use vte_proto::vte::matching::v1::{
    RankCandidatesRequest, RankCandidatesResponse, RankOffersRequest, RankOffersResponse,
};
use vte_proto::vte::offers::v1::Offer;
use vte_testbed::eventually;

const FIGEAC: &str = "46102";
const TOULOUSE: &str = "31555";

/// Penalties up to 0.2: half of it from half an other offer, or one application per position.
fn strong() -> MatchingSettings {
    MatchingSettings {
        spread: SpreadSettings {
            candidate_strength: 0.2,
            candidate_half: 0.5,
            offer_strength: 0.2,
            offer_half: 1.0,
            ..SpreadSettings::default()
        },
        ..MatchingSettings::default()
    }
}

async fn rank(matching: &Matching, offer: &Offer) -> RankCandidatesResponse {
    let request = RankCandidatesRequest {
        offer_id: offer.id.clone(),
        limit: 10,
        filters: None,
    };
    matching
        .owner()
        .rank_candidates(request)
        .await
        .unwrap()
        .into_inner()
}

fn ids(response: &RankCandidatesResponse) -> Vec<&str> {
    response
        .candidates
        .iter()
        .map(|c| c.candidate_id.as_str())
        .collect()
}

/// Two Toulouse mechanical engineers: `first` knows both skills the offers seek (SolidWorks,
/// lean management) and goes 200 km, `second` knows one and goes 50 km; a Toulouse offer both
/// reach (the target), ranked once by its company.
async fn two_engineers(matching: &Matching) -> (CandidateProfile, CandidateProfile, Offer) {
    let mut first = graduate(TOULOUSE, 200, MissionType::Technologie);
    first.skills.push("Lean management".into());
    let second = graduate(TOULOUSE, 50, MissionType::Technologie);
    matching.deliver(&changed(&first)).await;
    matching.deliver(&changed(&second)).await;
    let target = offer(TOULOUSE, MissionType::Technologie);
    matching.deliver(&published(&target)).await;
    let look = both_ranked(matching, &target).await;
    assert_eq!(ids(&look), [first.id.as_str(), second.id.as_str()]);
    (first, second, target)
}

async fn both_ranked(matching: &Matching, target: &Offer) -> RankCandidatesResponse {
    eventually("both engineers ranked", PATIENCE, || async {
        let response = rank(matching, target).await;
        (response.candidates.len() == 2).then_some(response)
    })
    .await
}

/// Three Figeac offers (150 km) only `first` reaches, each ranked once by its company: `first`
/// is shown for three other offers than the target.
async fn shown_for_three_other_offers(matching: &Matching, first: &CandidateProfile) {
    for _ in 0..3 {
        let other = offer(FIGEAC, MissionType::Technologie);
        matching.deliver(&published(&other)).await;
        let shown = eventually("the Figeac offer ranked", PATIENCE, || async {
            let response = rank(matching, &other).await;
            (!response.candidates.is_empty()).then_some(response)
        })
        .await;
        assert_eq!(ids(&shown), [first.id.as_str()]);
    }
}

#[tokio::test]
async fn a_candidate_shown_for_other_offers_comes_below_a_close_one_with_the_reason() {
    let matching = Matching::start_with(strong()).await;
    let (first, second, target) = two_engineers(&matching).await;
    // A company looking again at its own offer pushes nobody down, however often.
    let mut looks = Vec::new();
    for _ in 0..5 {
        looks.push(both_ranked(&matching, &target).await);
    }
    for look in &looks {
        assert_eq!(ids(look), [first.id.as_str(), second.id.as_str()]);
        assert!(look.candidates.iter().all(|c| c.spread.is_none()));
    }
    let gap = looks[0].candidates[0].score - looks[0].candidates[1].score;
    // Shown for three other offers, the first engineer is lowered by 0.2 × 3 / (3 + 0.5).
    let penalty = 0.2 * 3.0 / 3.5;
    assert!(
        gap > 0.0 && gap < penalty,
        "the gap {gap} is what the spread closes"
    );
    shown_for_three_other_offers(&matching, &first).await;
    let after = rank(&matching, &target).await;
    assert_eq!(ids(&after), [second.id.as_str(), first.id.as_str()]);
    let lowered = &after.candidates[1];
    assert!(
        lowered.score > after.candidates[0].score,
        "the score is unchanged"
    );
    let spread = lowered
        .spread
        .as_ref()
        .expect("the first engineer was lowered");
    assert!(
        (spread.penalty - penalty).abs() < 1e-6,
        "{}",
        spread.penalty
    );
    assert!(
        spread
            .reason
            .starts_with("Profil déjà présenté pour 3 autres offres ces 14 derniers jours"),
        "{}",
        spread.reason
    );
    assert!(
        after.candidates[0].spread.is_none(),
        "shown for no other offer"
    );
}

#[tokio::test]
async fn exposure_is_read_again_from_the_impressions_after_a_restart() {
    let mut matching = Matching::start_with(strong()).await;
    let (first, second, target) = two_engineers(&matching).await;
    shown_for_three_other_offers(&matching, &first).await;
    assert_eq!(
        ids(&rank(&matching, &target).await),
        [second.id.as_str(), first.id.as_str()]
    );
    matching.restart().await;
    // The new instance's memory starts empty: what the impressions recorded puts the first
    // engineer below again.
    let after = eventually(
        "the exposure read from the impressions",
        PATIENCE,
        || async {
            let response = rank(&matching, &target).await;
            (response.candidates.len() == 2 && response.candidates[1].spread.is_some())
                .then_some(response)
        },
    )
    .await;
    assert_eq!(ids(&after), [second.id.as_str(), first.id.as_str()]);
}

#[tokio::test]
async fn without_the_spread_the_ranking_follows_the_score_alone() {
    let mut settings = strong();
    settings.spread.enabled = false;
    let matching = Matching::start_with(settings).await;
    let (first, second, target) = two_engineers(&matching).await;
    shown_for_three_other_offers(&matching, &first).await;
    let after = rank(&matching, &target).await;
    assert_eq!(ids(&after), [first.id.as_str(), second.id.as_str()]);
    assert!(after.candidates.iter().all(|c| c.spread.is_none()));
}

async fn offers_for(matching: &Matching, candidate: &CandidateProfile) -> RankOffersResponse {
    let request = RankOffersRequest {
        candidate_id: candidate.id.clone(),
        limit: 10,
        filters: None,
    };
    matching
        .candidate(candidate_id(candidate))
        .rank_offers(request)
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn an_offer_crowded_with_applications_comes_below_a_close_one_with_the_reason() {
    let matching = Matching::start_with(strong()).await;
    let engineer = graduate(TOULOUSE, 200, MissionType::Technologie);
    matching.deliver(&changed(&engineer)).await;
    // The same offer in Figeac (a Territoire d'industrie, 150 km away) and in Toulouse (no
    // distance, no Territoire): Figeac's is better.
    let (crowded, quiet) = (
        offer(FIGEAC, MissionType::Technologie),
        offer(TOULOUSE, MissionType::Technologie),
    );
    matching.deliver(&published(&crowded)).await;
    matching.deliver(&published(&quiet)).await;
    let before = eventually("both offers ranked", PATIENCE, || async {
        let response = offers_for(&matching, &engineer).await;
        (response.offers.len() == 2).then_some(response)
    })
    .await;
    let first = |r: &RankOffersResponse| r.offers[0].offer.as_ref().unwrap().id.clone();
    assert_eq!(first(&before), crowded.id);
    assert!(before.offers.iter().all(|o| o.spread.is_none()));
    let gap = before.offers[0].score - before.offers[1].score;
    // Four applications for its two positions: 2 a position, lowered by 0.2 × 2 / 3 ≈ 0.133.
    assert!(
        gap > 0.0 && gap < 0.13,
        "the gap {gap} is what the spread closes"
    );
    for _ in 0..4 {
        let other = graduate(TOULOUSE, 200, MissionType::Technologie);
        matching.deliver(&applied(&crowded, &other)).await;
    }
    let after = offers_for(&matching, &engineer).await;
    assert_eq!(first(&after), quiet.id);
    let lowered = &after.offers[1];
    assert!(
        lowered.score > after.offers[0].score,
        "the score is unchanged"
    );
    let spread = lowered
        .spread
        .as_ref()
        .expect("the crowded offer was lowered");
    assert!(
        spread
            .reason
            .starts_with("Offre très demandée : 4 candidatures pour 2 postes à pourvoir"),
        "{}",
        spread.reason
    );
    assert!(after.offers[0].spread.is_none());
}
