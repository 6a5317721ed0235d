//! The scheme's rules in rankings and explanations (issue 14), against the running service with
//! real communes and dates: a graduate of 2023 is not ranked for a Figeac offer starting in
//! September 2027 and ExplainMatch says why, a 2026 graduate is ranked eligible with the
//! 4,000 EUR aid subject to the label, a work-study student's pair shows Mobili-Jeune as only
//! possible, and a contract starting in 2021 in Saint-Malo is judged on the 2018-2022
//! Territoires d'industrie.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use common::fixtures::*;
use common::{Matching, PATIENCE};
use vte_proto::vte::candidates::v1::CandidateProfile;
use vte_proto::vte::common::v1::{
    Aid, AidKind, AidOutcome, ContractKind, Eligibility, EligibilityStanding, MissionType,
};
use vte_proto::vte::matching::v1::{
    ExplainMatchRequest, ExplainMatchResponse, FilterKind, OfferFilters, RankCandidatesRequest,
    RankCandidatesResponse, RankOffersRequest, RankOffersResponse, ScoreComponentKind,
};
use vte_proto::vte::offers::v1::Offer;
use vte_testbed::eventually;

const FIGEAC: &str = "46102";
const TOULOUSE: &str = "31555";
const SAINT_MALO: &str = "35288";
const RENNES: &str = "35238";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The ranking of `offer` for its company once it holds `count` candidates.
async fn ranked(matching: &Matching, offer: &Offer, count: usize) -> RankCandidatesResponse {
    eventually("the candidates ranked", PATIENCE, || async {
        let response = matching
            .owner()
            .rank_candidates(RankCandidatesRequest {
                offer_id: offer.id.clone(),
                limit: 0,
                filters: None,
            })
            .await
            .ok()?
            .into_inner();
        (response.candidates.len() == count).then_some(response)
    })
    .await
}

async fn offers_for(
    matching: &Matching,
    profile: &CandidateProfile,
    only_in_territory: bool,
) -> RankOffersResponse {
    matching
        .candidate(candidate_id(profile))
        .rank_offers(RankOffersRequest {
            candidate_id: String::new(),
            limit: 10,
            filters: Some(OfferFilters {
                only_in_territory,
                ..OfferFilters::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
}

async fn explain(
    client: common::Client,
    offer: &Offer,
    profile: &CandidateProfile,
) -> ExplainMatchResponse {
    let mut client = client;
    client
        .explain_match(ExplainMatchRequest {
            offer_id: offer.id.clone(),
            candidate_id: profile.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
}

fn aid(aids: &[Aid], kind: AidKind) -> Aid {
    aids.iter().find(|a| a.kind == kind as i32).unwrap().clone()
}

fn check(eligibility: &Eligibility, rule: &str) -> (bool, String) {
    let check = eligibility.checks.iter().find(|c| c.rule == rule).unwrap();
    (check.met, check.reason.clone())
}

#[tokio::test]
async fn a_graduate_of_2023_is_not_ranked_for_a_figeac_cdi_starting_in_september_2027_and_one_of_2026_is()
 {
    let matching = Matching::start().await;
    let start = day(2027, 9, 1);
    let offer = starting(offer(FIGEAC, MissionType::Technologie), start);
    let of_2023 = graduating(
        graduate(TOULOUSE, 150, MissionType::Technologie),
        day(2023, 6, 30),
        day(2027, 8, 1),
    );
    let of_2026 = graduating(
        graduate(TOULOUSE, 150, MissionType::Marketing),
        day(2026, 6, 30),
        day(2027, 8, 1),
    );
    matching.deliver(&published(&offer)).await;
    matching.deliver(&changed(&of_2023)).await;
    matching.deliver(&changed(&of_2026)).await;

    // Only the 2026 graduate, though the 2023 one prefers the offer's mission.
    let response = ranked(&matching, &offer, 1).await;
    assert_eq!(response.candidates[0].candidate_id, of_2026.id);
    assert_eq!(response.eligible_count, 1);
    let hit = &response.candidates[0];
    let eligibility = hit.eligibility.as_ref().unwrap();
    assert_eq!(eligibility.standing, EligibilityStanding::Eligible as i32);
    assert_eq!(eligibility.rule_set_id, "vte-2023-ti-2023-2027");
    assert!(eligibility.rules_confirmed && eligibility.label_ready);
    assert_eq!(eligibility.programme, "2023-2027");
    assert_eq!(eligibility.territory, "Aurillac – Figeac – Rodez");
    assert!(check(eligibility, "graduate_recency").0);
    // The company sees the pair's aids: 4,000 EUR, subject to the label.
    let company = aid(&hit.aids, AidKind::CompanyGraduateHire);
    assert_eq!(company.outcome, AidOutcome::EligibleSubjectToLabel as i32);
    assert!(company.eligible && company.paid_to_company && !company.amount_is_maximum);
    assert_eq!(company.amount.as_ref().unwrap().amount_cents, 400_000);
    assert_eq!(
        eligibility.company_aid_total.as_ref().unwrap().amount_cents,
        400_000
    );

    // ExplainMatch tells both sides why the 2023 graduate is out, with the dates.
    for client in [matching.owner(), matching.candidate(candidate_id(&of_2023))] {
        let explained = explain(client, &offer, &of_2023).await;
        assert!(!explained.eligible);
        let recency = explained
            .filters
            .iter()
            .find(|f| f.kind == FilterKind::GraduateRecency as i32)
            .unwrap();
        assert!(!recency.passed);
        assert!(
            recency.reason.contains("juin 2023")
                && !recency.reason.contains("30 juin 2023")
                && recency.reason.contains("1er septembre 2027"),
            "{}",
            recency.reason
        );
        assert_eq!(explained.explanation.unwrap().summary, recency.reason);
        let eligibility = explained.eligibility.unwrap();
        assert_eq!(
            eligibility.standing,
            EligibilityStanding::NotEligible as i32
        );
        assert_eq!(
            check(&eligibility, "graduate_recency"),
            (false, recency.reason.clone())
        );
        assert!(!eligibility.label_ready);
        // No aid is promised for a pair that cannot be a VTE.
        let company = aid(&explained.aids, AidKind::CompanyGraduateHire);
        assert!(!company.eligible, "{company:?}");
        // Matching's own filters pass: the scheme's rule alone excludes the pair.
        assert!(
            explained
                .filters
                .iter()
                .filter(|f| f.kind != FilterKind::GraduateRecency as i32)
                .all(|f| f.passed)
        );
    }

    // From the candidates' side: the offer for one, nothing for the other.
    let theirs = offers_for(&matching, &of_2026, false).await;
    assert_eq!(theirs.offers.len(), 1);
    let ranked_offer = &theirs.offers[0];
    assert_eq!(
        ranked_offer.eligibility.as_ref().unwrap().standing,
        EligibilityStanding::Eligible as i32
    );
    assert_eq!(
        aid(&ranked_offer.aids, AidKind::CompanyGraduateHire).outcome,
        AidOutcome::EligibleSubjectToLabel as i32
    );
    let none = offers_for(&matching, &of_2023, false).await;
    assert!(none.offers.is_empty());
    assert_eq!(none.eligible_count, 0);
}

#[tokio::test]
async fn a_work_study_student_in_figeac_opens_the_company_aid_and_mobili_jeune_only_under_conditions()
 {
    let matching = Matching::start().await;
    let work_study = with_contract(
        offer(FIGEAC, MissionType::Technologie),
        ContractKind::WorkStudy,
    );
    let cdi = offer(FIGEAC, MissionType::Technologie);
    let apprentice = student(TOULOUSE, 150, MissionType::Technologie);
    // Seeks a CDI too, but is still a student when it would start.
    let mut both = student(TOULOUSE, 150, MissionType::Technologie);
    preferences(&mut both).contract_kinds_sought =
        vec![ContractKind::WorkStudy as i32, ContractKind::Cdi as i32];
    for offer in [&work_study, &cdi] {
        matching.deliver(&published(offer)).await;
    }
    matching.deliver(&changed(&apprentice)).await;
    matching.deliver(&changed(&both)).await;

    let response = ranked(&matching, &work_study, 2).await;
    for hit in &response.candidates {
        let eligibility = hit.eligibility.as_ref().unwrap();
        assert_eq!(eligibility.standing, EligibilityStanding::Eligible as i32);
        assert!(check(eligibility, "contract_for_status").0);
        let company = aid(&hit.aids, AidKind::CompanyGraduateHire);
        assert_eq!(company.outcome, AidOutcome::EligibleSubjectToLabel as i32);
        let mobili = aid(&hit.aids, AidKind::WorkStudyInstallation);
        assert_eq!(mobili.outcome, AidOutcome::PossibleUnderConditions as i32);
        assert!(!mobili.eligible && !mobili.paid_to_company);
        assert!(!mobili.conditions.is_empty(), "{mobili:?}");
    }

    // The CDI: nobody, and the explanation says a student's VTE is work-study.
    let none = matching
        .owner()
        .rank_candidates(RankCandidatesRequest {
            offer_id: cdi.id.clone(),
            limit: 0,
            filters: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(none.candidates.is_empty());
    let explained = explain(matching.candidate(candidate_id(&both)), &cdi, &both).await;
    assert!(!explained.eligible);
    let status = explained
        .filters
        .iter()
        .find(|f| f.kind == FilterKind::ContractForStatus as i32)
        .unwrap();
    assert!(!status.passed);
    assert!(
        status
            .reason
            .contains("le VTE d'un étudiant se fait en alternance"),
        "{}",
        status.reason
    );
}

#[tokio::test]
async fn a_contract_starting_in_2021_in_saint_malo_is_judged_on_the_2018_2022_territories() {
    let matching = Matching::start().await;
    let in_2021 = starting(offer(SAINT_MALO, MissionType::Technologie), day(2021, 9, 1));
    let in_2027 = starting(offer(SAINT_MALO, MissionType::Technologie), day(2027, 9, 1));
    let of_2020 = graduating(
        graduate(RENNES, 150, MissionType::Technologie),
        day(2020, 7, 1),
        day(2021, 8, 15),
    );
    let of_2026 = graduating(
        graduate(RENNES, 150, MissionType::Technologie),
        day(2026, 7, 1),
        day(2027, 8, 15),
    );
    for offer in [&in_2021, &in_2027] {
        matching.deliver(&published(offer)).await;
    }
    matching.deliver(&changed(&of_2020)).await;
    matching.deliver(&changed(&of_2026)).await;

    let territory = |response: &RankCandidatesResponse| {
        let component = response.candidates[0]
            .explanation
            .as_ref()
            .unwrap()
            .components
            .iter()
            .find(|c| c.kind == ScoreComponentKind::Territory as i32)
            .unwrap()
            .clone();
        (component.value, component.sentence)
    };
    // 2021: Saint-Malo is in the Territoire d'industrie Dinan - Saint-Malo (2018-2022).
    let response = ranked(&matching, &in_2021, 1).await;
    assert_eq!(response.candidates[0].candidate_id, of_2020.id);
    let (value, sentence) = territory(&response);
    assert!((value - 0.8).abs() < 1e-6, "{value}");
    assert!(
        sentence.contains("Territoire d'industrie Dinan - Saint-Malo (programme 2018-2022)"),
        "{sentence}"
    );
    let eligibility = response.candidates[0].eligibility.as_ref().unwrap();
    assert_eq!(eligibility.rule_set_id, "vte-2019-ti-2018-2022");
    assert_eq!(
        (
            eligibility.programme.as_str(),
            eligibility.territory.as_str()
        ),
        ("2018-2022", "Dinan - Saint-Malo")
    );
    assert!(eligibility.label_ready);

    // 2027: the same commune is in none of the 2023-2027 territories.
    let response = ranked(&matching, &in_2027, 1).await;
    assert_eq!(response.candidates[0].candidate_id, of_2026.id);
    let (value, sentence) = territory(&response);
    assert!((value - 0.2).abs() < 1e-6, "{value}");
    assert!(
        sentence
            .contains("Saint-Malo n'est pas dans un Territoire d'industrie (programme 2023-2027)"),
        "{sentence}"
    );
    let eligibility = response.candidates[0].eligibility.as_ref().unwrap();
    assert_eq!(eligibility.programme, "2023-2027");
    assert!(eligibility.territory.is_empty() && !eligibility.label_ready);
    let company = aid(&response.candidates[0].aids, AidKind::CompanyGraduateHire);
    assert_eq!(company.outcome, AidOutcome::NotEligible as i32);

    // Only in a Territoire d'industrie: by the programme of each offer's start.
    let theirs = offers_for(&matching, &of_2020, true).await;
    assert_eq!(theirs.offers.len(), 1);
    assert_eq!(theirs.offers[0].offer.as_ref().unwrap().id, in_2021.id);
    assert_eq!(offers_for(&matching, &of_2026, false).await.offers.len(), 1);
    assert!(
        offers_for(&matching, &of_2026, true)
            .await
            .offers
            .is_empty()
    );
}

#[tokio::test]
async fn a_contract_starting_in_2028_is_ranked_as_to_confirm_never_as_eligible() {
    let matching = Matching::start().await;
    let offer = starting(offer(FIGEAC, MissionType::Technologie), day(2028, 9, 1));
    let of_2027 = graduating(
        graduate(TOULOUSE, 150, MissionType::Technologie),
        day(2027, 6, 30),
        day(2028, 8, 1),
    );
    // Judged on the last known terms: two years past already, so out.
    let of_2025 = graduating(
        graduate(TOULOUSE, 150, MissionType::Technologie),
        day(2025, 6, 30),
        day(2028, 8, 1),
    );
    matching.deliver(&published(&offer)).await;
    matching.deliver(&changed(&of_2027)).await;
    matching.deliver(&changed(&of_2025)).await;

    let response = ranked(&matching, &offer, 1).await;
    let hit = &response.candidates[0];
    assert_eq!(hit.candidate_id, of_2027.id);
    let eligibility = hit.eligibility.as_ref().unwrap();
    assert_eq!(eligibility.standing, EligibilityStanding::ToConfirm as i32);
    assert!(!eligibility.rules_confirmed && !eligibility.label_ready);
    assert_eq!(eligibility.rule_set_id, "vte-2023-ti-2023-2027");
    assert!(
        eligibility
            .summary
            .contains("à confirmer auprès de Bpifrance"),
        "{}",
        eligibility.summary
    );
    let company = aid(&hit.aids, AidKind::CompanyGraduateHire);
    assert_eq!(company.outcome, AidOutcome::ToConfirm as i32);
    assert!(!company.eligible);
    assert_eq!(
        eligibility.company_aid_total.as_ref().unwrap().amount_cents,
        0
    );
    let explained = explain(matching.owner(), &offer, &of_2025).await;
    assert!(!explained.eligible);
    assert_eq!(
        explained.eligibility.unwrap().standing,
        EligibilityStanding::NotEligible as i32
    );
}
