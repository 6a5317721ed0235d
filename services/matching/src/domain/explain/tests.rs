//! The words of each side, on pairs in real communes.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::domain::{
    Academic, Language, Place, Rules, SchemeFit, Term, assess, mission_weights, verdict,
};
use chrono::{Duration, NaiveDate};
use vte_domain::{
    CandidateId, CompanySize, ContractKind, LanguageCode, MissionType, OfferId, Siren,
};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

fn reference() -> ReferenceData {
    ReferenceData::load(&ReferenceData::default_dir()).unwrap()
}

fn book() -> RuleBook {
    RuleBook::load(&vte_rules::repository_rules_dir()).unwrap()
}

/// The pair explained for `audience`, judged by the repository's rules.
fn explained(offer: &OfferModel, candidate: &CandidateModel, audience: Audience) -> Explanation {
    let assessment = assess(offer, candidate, &Rules::default());
    let verdict = verdict(&book(), offer, candidate, 30);
    explain(offer, candidate, &assessment, &verdict, 30, audience)
}

fn pair(reference: &ReferenceData) -> (OfferModel, CandidateModel) {
    let start = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let mut offer = OfferModel {
        id: OfferId::new(),
        siren: Siren::parse("732829320").unwrap(),
        title: "Chargé d'affaires export".into(),
        company_name: "Vallée SA".into(),
        open: true,
        primary: MissionType::International,
        secondary: None,
        contract: ContractKind::WorkStudy,
        duration_months: Some(24),
        min_level: 3,
        max_level: 5,
        company_size: CompanySize::Pme,
        ecological: false,
        fields: vec![Term::new("Commerce international")],
        skills: vec![],
        languages: vec![Language {
            code: LanguageCode::parse("de").unwrap(),
            level: 5,
        }],
        place: Place::resolve(reference, "46102").unwrap(),
        start_date: start,
        scheme: SchemeFit::unread(),
    };
    offer.scheme = SchemeFit::read(&book(), &offer);
    let candidate = CandidateModel {
        id: CandidateId::new(),
        school: None,
        academic: Academic::Student,
        graduation_date: NaiveDate::from_ymd_opt(2028, 6, 30),
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
    let student = explained(&offer, &candidate, Audience::Candidate);
    let company = explained(&offer, &candidate, Audience::Company);
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
        "Dans le Territoire d'industrie Aurillac – Figeac – Rodez (programme 2023-2027), en Occitanie, une de vos régions préférées."
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
    let explained = explained(&offer, &candidate, Audience::Company);
    assert_eq!(
        explained.summary,
        "L'offre demande bac+3 à bac+5, le profil est bac+2."
    );
}

#[test]
fn a_graduate_of_2023_is_out_of_a_figeac_work_study_of_september_2027_saying_why_to_both_sides() {
    let reference = reference();
    let (mut offer, mut candidate) = pair(&reference);
    offer.start_date = NaiveDate::from_ymd_opt(2027, 9, 1).unwrap();
    offer.contract = ContractKind::Cdi;
    offer.duration_months = None;
    offer.scheme = SchemeFit::read(&book(), &offer);
    candidate.academic = Academic::Graduate;
    candidate.graduation_date = NaiveDate::from_ymd_opt(2023, 7, 1);
    candidate.contract_kinds = vec![ContractKind::Cdi];
    candidate.available_from = offer.start_date;
    let assessment = assess(&offer, &candidate, &Rules::default());
    assert!(!assessment.filters.graduate_recency && !assessment.eligible());
    for audience in [Audience::Company, Audience::Candidate] {
        let explained = explained(&offer, &candidate, audience);
        let recency = explained
            .filters
            .iter()
            .find(|f| f.kind == FilterKind::GraduateRecency)
            .unwrap();
        assert!(!recency.passed);
        assert!(
            recency.reason.contains("juillet 2023")
                && !recency.reason.contains("1er juillet 2023")
                && recency.reason.contains("1er septembre 2027"),
            "{}",
            recency.reason
        );
        assert_eq!(explained.summary, recency.reason);
        // The other rules of the scheme are met and say so.
        for kind in [
            FilterKind::ContractForStatus,
            FilterKind::ContractDuration,
            FilterKind::CompanySize,
        ] {
            assert!(explained.filters.iter().any(|f| f.kind == kind && f.passed));
        }
    }
}

#[test]
fn a_student_graduating_after_the_start_takes_work_study_but_not_a_cdi() {
    let reference = reference();
    let (mut offer, mut candidate) = pair(&reference);
    candidate.contract_kinds = vec![ContractKind::WorkStudy, ContractKind::Cdi];
    assert!(assess(&offer, &candidate, &Rules::default()).eligible());
    offer.contract = ContractKind::Cdi;
    offer.duration_months = None;
    offer.scheme = SchemeFit::read(&book(), &offer);
    let assessment = assess(&offer, &candidate, &Rules::default());
    assert!(!assessment.filters.contract_for_status && assessment.filters.graduate_recency);
    let explained = explained(&offer, &candidate, Audience::Candidate);
    assert!(
        explained
            .summary
            .contains("le VTE d'un étudiant se fait en alternance"),
        "{}",
        explained.summary
    );
}

#[test]
fn the_skills_sentence_counts_the_offers_skills_met_not_the_candidates_skills() {
    let reference = reference();
    let (mut offer, mut candidate) = pair(&reference);
    offer.skills = vec![
        Term::new("Automatisme"),
        Term::new("Python"),
        Term::new("Catia"),
    ];
    candidate.skills = vec![
        Term::new("automates Siemens"),
        Term::new("TIA Portal"),
        Term::new("Python"),
        Term::new("SolidWorks"),
    ];
    let explained = explained(&offer, &candidate, Audience::Company);
    let skills = explained
        .components
        .iter()
        .find(|c| c.kind == ComponentKind::Skills)
        .unwrap();
    assert_eq!(
        skills.sentence,
        "2 des 3 compétences demandées : automates Siemens, TIA Portal, Python. 1 autre approchée \
         par un outil de la même famille."
    );
}

#[test]
fn skills_raise_the_competence_studies_give_and_say_so() {
    let reference = reference();
    let (mut offer, mut candidate) = pair(&reference);
    offer.primary = MissionType::Technologie;
    offer.fields = vec![];
    // International trade studies do not prepare for a technology mission (0)...
    candidate.skills = vec![Term::new("Anglais courant")];
    let studies_alone = assess(&offer, &candidate, &Rules::default()).values[7];
    // ...SolidWorks (CAO, 1.0 for technology) closes half the gap: 0 + 1 × 0.5 × 1.0.
    candidate.skills = vec![Term::new("SolidWorks"), Term::new("Excel")];
    let with_skills = assess(&offer, &candidate, &Rules::default()).values[7];
    assert_eq!(studies_alone, 0.0);
    assert!((with_skills - 0.5).abs() < 1e-6, "{with_skills}");
    let explained = explained(&offer, &candidate, Audience::Company);
    let competence = explained
        .components
        .iter()
        .find(|c| c.kind == ComponentKind::Competence)
        .unwrap();
    assert_eq!(
        competence.sentence,
        format!(
            "Une formation en Commerce international, affaires internationales ne prépare pas à \
             la mission « {} ». Compétences qui y préparent aussi : CAO, DAO, conception \
             assistée.",
            MissionType::Technologie.label()
        )
    );
}
