//! The aids an offer states, from the scheme's rule data for its start date, its commune's
//! Territoire d'industrie and its contract: the 4,000 EUR Territoires d'industrie aid (a recent
//! graduate or a work-study student, subject to the label), Mobili-Jeune (never more than
//! "possible, sous conditions") and VTE Vert, each with whether it is open and why.

use vte_proto::vte::common::v1::{Aid, AidKind, AidOutcome, ContractKind};
use vte_proto::vte::offers::v1::Offer;

use crate::fixtures::{
    Answer, FIGEAC, TOULOUSE, accept, apply, draft, figeac_cdi, in_commune, published,
};
use crate::harness::Api;

fn aid(offer: &Offer, kind: AidKind) -> &Aid {
    offer
        .aids
        .iter()
        .find(|aid| aid.kind == kind as i32)
        .unwrap_or_else(|| panic!("the offer states no {kind:?} aid: {:?}", offer.aids))
}

#[tokio::test]
async fn a_cdi_in_figeac_opens_the_4000_euro_company_aid_in_its_territoire_d_industrie() {
    let api = Api::start().await;

    let offer = published(&api.owner(), figeac_cdi()).await;

    let location = offer.spec.as_ref().unwrap().location.as_ref().unwrap();
    assert_eq!(location.insee_code, FIGEAC);
    assert_eq!(location.commune_name, "Figeac");
    assert_eq!(location.departement_code, "46");
    let territory = location
        .territory
        .as_ref()
        .expect("Figeac lies in a Territoire d'industrie");
    assert!(territory.name.contains("Figeac"), "{territory:?}");
    let company = aid(&offer, AidKind::CompanyGraduateHire);
    assert!(company.eligible, "{company:?}");
    assert_eq!(company.amount.as_ref().unwrap().amount_cents, 400_000);
    assert!(company.reason.contains("Figeac"), "{}", company.reason);
    assert!(
        company.reason.contains("Territoire d'industrie"),
        "{}",
        company.reason
    );
    let installation = aid(&offer, AidKind::WorkStudyInstallation);
    assert!(!installation.eligible, "a CDI is not work-study");
    assert!(!installation.reason.is_empty());
}

#[tokio::test]
async fn a_cdi_in_toulouse_does_not_open_the_company_aid_and_says_why() {
    let api = Api::start().await;

    let offer = published(&api.owner(), in_commune(figeac_cdi(), TOULOUSE)).await;

    let location = offer.spec.as_ref().unwrap().location.as_ref().unwrap();
    assert_eq!(location.commune_name, "Toulouse");
    assert_eq!(location.territory, None);
    let company = aid(&offer, AidKind::CompanyGraduateHire);
    assert!(!company.eligible, "{company:?}");
    assert_eq!(
        company.amount.as_ref().unwrap().amount_cents,
        400_000,
        "the amount is stated even when not eligible"
    );
    assert!(
        company
            .reason
            .contains("Toulouse n'est dans aucun Territoire d'industrie du programme 2023-2027"),
        "{}",
        company.reason
    );
}

#[tokio::test]
async fn a_draft_states_its_aids_already() {
    let api = Api::start().await;

    let offer = draft(&api.owner(), figeac_cdi()).await;

    assert!(aid(&offer, AidKind::CompanyGraduateHire).eligible);
}

/// The operation "1 000 VTE" (2020) opens the 4,000 EUR aid to work-study students too; the
/// 1,200 EUR for them is Action Logement's Mobili-Jeune, which depends on the young person (age,
/// salary, a real move) and is never "eligible" from an offer alone.
#[tokio::test]
async fn work_study_in_figeac_opens_the_4000_eur_aid_subject_to_the_label_and_mobili_jeune_only_possibly()
 {
    let api = Api::start().await;
    let spec = vte_proto::vte::offers::v1::OfferSpec {
        contract_kind: ContractKind::WorkStudy as i32,
        duration_months: Some(24),
        ..figeac_cdi()
    };

    let offer = published(&api.owner(), spec).await;

    let company = aid(&offer, AidKind::CompanyGraduateHire);
    assert!(company.eligible, "{company:?}");
    assert_eq!(company.outcome, AidOutcome::EligibleSubjectToLabel as i32);
    assert_eq!(company.amount.as_ref().unwrap().amount_cents, 400_000);
    assert!(
        company
            .reason
            .contains("sous réserve de labellisation par Bpifrance"),
        "{}",
        company.reason
    );
    assert!(company.conditions.iter().any(|c| c.contains("charte VTE")));
    let mobili = aid(&offer, AidKind::WorkStudyInstallation);
    assert!(!mobili.eligible, "{mobili:?}");
    assert_eq!(mobili.outcome, AidOutcome::PossibleUnderConditions as i32);
    assert_eq!(mobili.amount.as_ref().unwrap().amount_cents, 120_000);
    assert!(mobili.amount_is_maximum && !mobili.paid_to_company);
    assert!(
        mobili
            .conditions
            .iter()
            .any(|c| c.contains("moins de 30 ans"))
    );
    let vert = aid(&offer, AidKind::VteVert);
    assert_eq!(vert.outcome, AidOutcome::NotEligible as i32);
    assert!(
        vert.reason.contains("transition écologique"),
        "{}",
        vert.reason
    );
}

#[tokio::test]
async fn a_placement_in_figeac_carries_the_company_aid_computed_at_acceptance() {
    let api = Api::start().await;
    let school = vte_domain::SchoolId::new();
    let candidate = api.enrol(school).await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let application = apply(&api.candidate(candidate), &offer.id, candidate).await;

    let (_, placement) = accept(&api.owner(), &application.id, None).await;

    let company = placement
        .aids
        .iter()
        .find(|aid| aid.kind == AidKind::CompanyGraduateHire as i32)
        .expect("the placement states the company aid");
    assert!(company.eligible, "{company:?}");
    let read = api
        .owner()
        .get_placement(vte_proto::vte::offers::v1::GetPlacementRequest {
            placement_id: placement.id.clone(),
        })
        .await
        .answer()
        .placement
        .unwrap();
    assert_eq!(read.aids, placement.aids);
}
