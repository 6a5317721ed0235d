//! The words of each side, on pairs in real communes.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::domain::{Academic, Language, Place, Rules, Term, assess, mission_weights};
use chrono::Duration;
use vte_domain::{CandidateId, LanguageCode, MissionType, OfferId, Siren};
use vte_reference::ReferenceData;

fn reference() -> ReferenceData {
    ReferenceData::load(&ReferenceData::default_dir()).unwrap()
}

fn pair(reference: &ReferenceData) -> (OfferModel, CandidateModel) {
    let start = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let offer = OfferModel {
        id: OfferId::new(),
        siren: Siren::parse("732829320").unwrap(),
        title: "Chargé d'affaires export".into(),
        company_name: "Vallée SA".into(),
        open: true,
        primary: MissionType::International,
        secondary: None,
        contract: ContractKind::WorkStudy,
        min_level: 3,
        max_level: 5,
        fields: vec![Term::new("Commerce international")],
        skills: vec![],
        languages: vec![Language {
            code: LanguageCode::parse("de").unwrap(),
            level: 5,
        }],
        place: Place::resolve(reference, "46102").unwrap(),
        start_date: start,
    };
    let candidate = CandidateModel {
        id: CandidateId::new(),
        school: None,
        academic: Academic::Student,
        level: 4,
        field_of_study: Term::new("commerce international"),
        skills: vec![Term::new("SAP")],
        languages: vec![Language {
            code: LanguageCode::parse("de").unwrap(),
            level: 4,
        }],
        home: Place::resolve(reference, "12052").unwrap(),
        mission_weights: mission_weights([(MissionType::International, 80)]),
        radius_km: 100,
        open_to_relocation: false,
        preferred_regions: vec!["76".into()],
        contract_kinds: vec![ContractKind::WorkStudy],
        available_from: start + Duration::days(10),
        labels_count: 0,
    };
    (offer, candidate)
}

#[test]
fn each_side_reads_the_pair_in_its_own_words() {
    let reference = reference();
    let (offer, candidate) = pair(&reference);
    let rules = Rules::default();
    let assessment = assess(&offer, &candidate, &rules);
    assert!(assessment.eligible());
    let student = explain(&offer, &candidate, &assessment, 30, Audience::Candidate);
    let company = explain(&offer, &candidate, &assessment, 30, Audience::Company);
    let reason = |e: &Explanation, kind| {
        e.filters
            .iter()
            .find(|f| f.kind == kind)
            .unwrap()
            .reason
            .clone()
    };
    assert!(
        reason(&student, FilterKind::Mobility).contains("de chez vous, dans votre rayon de 100 km")
    );
    assert!(
        reason(&company, FilterKind::Mobility)
            .contains("du domicile du candidat, dans son rayon de 100 km")
    );
    assert_eq!(
        reason(&student, FilterKind::ContractKind),
        "L'offre propose une alternance ; vous cherchez : alternance."
    );
    assert!(
        reason(&company, FilterKind::Availability)
            .contains("10 jours après le début prévu le 01/09/2026 (tolérance : 30 jours)")
    );
    let sentence = |e: &Explanation, kind| {
        e.components
            .iter()
            .find(|c| c.kind == kind)
            .unwrap()
            .sentence
            .clone()
    };
    assert_eq!(
        sentence(&student, ComponentKind::Territory),
        "Dans le Territoire d'industrie Aurillac – Figeac – Rodez, en Occitanie, une de vos régions préférées."
    );
    assert_eq!(
        sentence(&company, ComponentKind::Languages),
        "Langues : de C1 demandé, le candidat a B2."
    );
    assert_eq!(
        sentence(&student, ComponentKind::Skills),
        "L'offre ne liste pas de compétences."
    );
    // Strongest first, and the weights of an international mission favour languages.
    let products: Vec<f32> = student
        .components
        .iter()
        .map(|c| c.weight * c.value)
        .collect();
    assert!(products.windows(2).all(|w| w[0] >= w[1]));
    let languages = student
        .components
        .iter()
        .find(|c| c.kind == ComponentKind::Languages)
        .unwrap();
    let distance = student
        .components
        .iter()
        .find(|c| c.kind == ComponentKind::Distance)
        .unwrap();
    assert!(languages.weight > distance.weight);
    assert_eq!(
        student
            .components
            .iter()
            .find(|c| c.kind == ComponentKind::Skills)
            .unwrap()
            .weight,
        0.0
    );
}

#[test]
fn a_failed_filter_is_the_summary() {
    let reference = reference();
    let (offer, mut candidate) = pair(&reference);
    candidate.level = 2;
    let assessment = assess(&offer, &candidate, &Rules::default());
    assert!(!assessment.eligible());
    let explained = explain(&offer, &candidate, &assessment, 30, Audience::Company);
    assert_eq!(
        explained.summary,
        "L'offre demande bac+3 à bac+5, le profil est bac+2."
    );
}
