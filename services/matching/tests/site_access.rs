//! Who reaches a candidate's side of matching: the website only with a token acting for that
//! candidate (`on_behalf_of`), refused otherwise whether or not the candidate exists; and what a
//! caller may not know of (another school's student, a profile a company may not see, another
//! company's draft) answers exactly as an absent one does, so neither existence nor consent
//! leaks through the error.

#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::*;
use common::{Client, Matching, PATIENCE};
use tonic::{Code, Status};
use vte_domain::{CandidateId, OfferId, SchoolId};
use vte_proto::vte::candidates::v1::CandidateProfile;
use vte_proto::vte::common::v1::MissionType;
use vte_proto::vte::matching::v1::{
    ExplainMatchRequest, RankCandidatesRequest, RankOffersRequest, RankOffersResponse,
};
use vte_proto::vte::offers::v1::{Offer, OfferStatus};
use vte_testbed::eventually;

const FIGEAC: &str = "46102";
const TOULOUSE: &str = "31555";

fn for_candidate(candidate: &str) -> RankOffersRequest {
    RankOffersRequest {
        candidate_id: candidate.to_owned(),
        limit: 10,
        filters: None,
    }
}

fn pair(offer: &str, candidate: &str) -> ExplainMatchRequest {
    ExplainMatchRequest {
        offer_id: offer.to_owned(),
        candidate_id: candidate.to_owned(),
    }
}

async fn rank_offers(client: &Client, candidate: &str) -> Result<RankOffersResponse, Status> {
    Ok(client
        .clone()
        .rank_offers(for_candidate(candidate))
        .await?
        .into_inner())
}

async fn explain(client: &Client, offer: &str, candidate: &str) -> Status {
    client
        .clone()
        .explain_match(pair(offer, candidate))
        .await
        .unwrap_err()
}

/// A published offer in Figeac and a matchable graduate from Toulouse, both ranked.
async fn ranked_pair(matching: &Matching) -> (Offer, CandidateProfile) {
    let offer = offer(FIGEAC, MissionType::Technologie);
    let profile = graduate(TOULOUSE, 150, MissionType::Technologie);
    matching.deliver(&published(&offer)).await;
    matching.deliver(&changed(&profile)).await;
    let own = matching.candidate(candidate_id(&profile));
    eventually("the candidate's offers ranked", PATIENCE, || async {
        let ranked = rank_offers(&own, &profile.id).await.ok()?;
        (ranked.offers.len() == 1).then_some(())
    })
    .await;
    (offer, profile)
}

#[tokio::test]
async fn the_site_reaches_a_candidate_only_with_a_token_on_their_behalf() {
    let matching = Matching::start().await;
    let (offer, profile) = ranked_pair(&matching).await;
    let absent = CandidateId::new().to_string();

    let bare = matching.site();
    let for_another = matching.site_for(CandidateId::new());
    for (site, candidate) in [
        (&bare, &profile.id),
        (&bare, &absent),
        (&for_another, &profile.id),
    ] {
        let status = rank_offers(site, candidate).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert!(status.message().contains("on_behalf_of"), "{status:?}");
        let status = explain(site, &offer.id, candidate).await;
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    }
    // Refused the same whether the candidate exists or not.
    assert_eq!(
        rank_offers(&bare, &absent).await.unwrap_err().message(),
        rank_offers(&bare, &profile.id).await.unwrap_err().message()
    );

    let on_behalf = matching.site_for(candidate_id(&profile));
    let ranked = rank_offers(&on_behalf, &profile.id).await.unwrap();
    assert_eq!(ranked.offers.len(), 1);
    let unnamed = rank_offers(&on_behalf, "").await.unwrap();
    assert_eq!(unnamed.offers.len(), 1, "the candidate the token acts for");
    let explained = on_behalf
        .clone()
        .explain_match(pair(&offer.id, &profile.id))
        .await
        .unwrap()
        .into_inner();
    assert!(explained.eligible);
}

#[tokio::test]
async fn another_schools_student_reads_exactly_as_an_absent_one() {
    let matching = Matching::start().await;
    let (offer, profile) = ranked_pair(&matching).await;
    let absent = CandidateId::new().to_string();
    let other_school = matching.school(SchoolId::new());

    let theirs = rank_offers(&other_school, &profile.id).await.unwrap_err();
    let nobody = rank_offers(&other_school, &absent).await.unwrap_err();
    assert_eq!(theirs.code(), Code::NotFound);
    assert_eq!(
        (theirs.code(), theirs.message()),
        (nobody.code(), nobody.message())
    );
    let theirs = explain(&other_school, &offer.id, &profile.id).await;
    let nobody = explain(&other_school, &offer.id, &absent).await;
    assert_eq!(theirs.code(), Code::NotFound);
    assert_eq!(
        (theirs.code(), theirs.message()),
        (nobody.code(), nobody.message())
    );
    // Their own school still reads them.
    let own_school = matching.school(school_id(&profile));
    assert_eq!(
        rank_offers(&own_school, &profile.id)
            .await
            .unwrap()
            .offers
            .len(),
        1
    );
}

#[tokio::test]
async fn a_profile_a_company_may_not_see_reads_exactly_as_an_absent_one() {
    let matching = Matching::start().await;
    let (offer, _) = ranked_pair(&matching).await;
    let mut unconsented = graduate(TOULOUSE, 150, MissionType::Technologie);
    unconsented.consent.as_mut().unwrap().given = false;
    unconsented.matchable = false;
    matching.deliver(&changed(&unconsented)).await;

    let hidden = explain(&matching.owner(), &offer.id, &unconsented.id).await;
    let nobody = explain(
        &matching.owner(),
        &offer.id,
        &CandidateId::new().to_string(),
    )
    .await;
    assert_eq!(hidden.code(), Code::NotFound);
    assert_eq!(
        (hidden.code(), hidden.message()),
        (nobody.code(), nobody.message())
    );
}

#[tokio::test]
async fn another_companys_draft_reads_exactly_as_an_absent_offer() {
    let matching = Matching::start().await;
    let (_, profile) = ranked_pair(&matching).await;
    let mut draft = offer(FIGEAC, MissionType::Technologie);
    draft.status = OfferStatus::Draft as i32;
    draft.revision = 1;
    matching.deliver(&updated(&draft)).await;
    let absent = OfferId::new().to_string();

    let other_company = matching.company(common::OTHER_SIREN);
    let rank = |offer_id: &str| {
        let mut client = other_company.clone();
        let request = RankCandidatesRequest {
            offer_id: offer_id.to_owned(),
            limit: 0,
            filters: None,
        };
        async move { client.rank_candidates(request).await.unwrap_err() }
    };
    let (of_draft, of_nothing) = (rank(&draft.id).await, rank(&absent).await);
    assert_eq!(of_draft.code(), Code::NotFound);
    assert_eq!(of_draft.message(), of_nothing.message());
    let of_draft = explain(&other_company, &draft.id, &profile.id).await;
    let of_nothing = explain(&other_company, &absent, &profile.id).await;
    assert_eq!(of_draft.code(), Code::NotFound);
    assert_eq!(of_draft.message(), of_nothing.message());

    // The candidate's side learns nothing of a draft either.
    let own = matching.candidate(candidate_id(&profile));
    let of_draft = explain(&own, &draft.id, &profile.id).await;
    let of_nothing = explain(&own, &absent, &profile.id).await;
    assert_eq!(of_draft.code(), Code::NotFound);
    assert_eq!(of_draft.message(), of_nothing.message());

    // Its owner is told it is not open.
    let status = matching
        .owner()
        .rank_candidates(RankCandidatesRequest {
            offer_id: draft.id.clone(),
            limit: 0,
            filters: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
}
