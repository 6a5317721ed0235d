//! Synthetic candidates and offers spread over the real communes of metropolitan France,
//! from a small deterministic generator: the same seed gives the same data, so a test or a
//! benchmark run can be repeated exactly.

#![allow(clippy::unwrap_used, dead_code)]

use chrono::{Duration, NaiveDate};
use vte_domain::{
    CandidateId, CompanySize, ContractKind, LanguageCode, MissionType, OfferId, SchoolId, Siren,
};
use vte_matching::domain::{
    Academic, CandidateModel, Language, OfferModel, Place, SchemeFit, Term,
};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

pub use vte_testbed::Rng;

pub const FIELDS: [&str; 12] = [
    "génie mécanique",
    "génie électrique",
    "mécanique des fluides",
    "informatique",
    "marketing digital",
    "finance d'entreprise",
    "commerce international",
    "ressources humaines",
    "chimie",
    "productique",
    "génie industriel",
    "logistique",
];

pub const SKILLS: [&str; 24] = [
    "SolidWorks",
    "CATIA",
    "Python",
    "Lean management",
    "Six Sigma",
    "SAP",
    "AutoCAD",
    "Excel",
    "Power BI",
    "Java",
    "Rust",
    "automatisme",
    "robotique",
    "Salesforce",
    "SEO",
    "comptabilité",
    "contrôle de gestion",
    "paie",
    "recrutement",
    "achats",
    "supply chain",
    "qualité",
    "HSE",
    "anglais technique",
];

const LANGUAGES: [&str; 5] = ["en", "de", "es", "it", "zh"];

/// The communes of metropolitan France that have a centre.
pub fn communes(reference: &ReferenceData) -> Vec<String> {
    reference
        .communes()
        .iter()
        .filter(|c| c.centre().is_some() && !c.insee().is_overseas())
        .map(|c| c.insee().as_str().to_owned())
        .collect()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
}

/// A random matchable candidate in one of `communes`.
pub fn candidate(rng: &mut Rng, reference: &ReferenceData, communes: &[String]) -> CandidateModel {
    let mut weights = [0u8; 8];
    for weight in &mut weights {
        *weight = (rng.below(11) * 10) as u8;
    }
    let student = rng.chance(40);
    let contract_kinds = if student {
        vec![ContractKind::WorkStudy]
    } else {
        let mut kinds = vec![ContractKind::ALL[1 + rng.below(2)]];
        if rng.chance(50) {
            kinds.push(if kinds[0] == ContractKind::Cdd {
                ContractKind::Cdi
            } else {
                ContractKind::Cdd
            });
        }
        kinds
    };
    let skills: Vec<Term> = (0..rng.below(6))
        .map(|_| Term::new(SKILLS[rng.below(SKILLS.len())]))
        .fold(Vec::new(), |mut acc, t| {
            if !acc.iter().any(|x: &Term| x.key == t.key) {
                acc.push(t);
            }
            acc
        });
    let mut languages = vec![Language {
        code: LanguageCode::parse("en").unwrap(),
        level: 1 + rng.below(6) as u8,
    }];
    if rng.chance(30) {
        languages.push(Language {
            code: LanguageCode::parse(LANGUAGES[1 + rng.below(4)]).unwrap(),
            level: 1 + rng.below(6) as u8,
        });
    }
    let regions = reference.regions();
    let preferred_regions = (0..rng.below(3))
        .map(|_| regions[rng.below(regions.len())].code().to_owned())
        .collect();
    let mut candidate = CandidateModel {
        id: CandidateId::from_uuid(uuid::Uuid::from_u64_pair(rng.next(), rng.next())),
        school: Some(SchoolId::from_uuid(uuid::Uuid::from_u64_pair(
            1,
            rng.below(500) as u64,
        ))),
        academic: if student {
            Academic::Student
        } else {
            Academic::Graduate
        },
        graduation_date: None,
        level: 2 + rng.below(4) as u8,
        field_of_study: Term::new(FIELDS[rng.below(FIELDS.len())]),
        skills,
        languages,
        home: Place::resolve(reference, &communes[rng.below(communes.len())]).unwrap(),
        mission_weights: weights,
        radius_km: [20, 30, 50, 50, 100, 150, 200, 300][rng.below(8)],
        open_to_relocation: rng.chance(20),
        preferred_regions,
        contract_kinds,
        available_from: today() + Duration::days(rng.below(150) as i64),
        labels_count: 0,
    };
    // Drawn from the id's bits rather than the generator, so the rest of the data is what it
    // was before the scheme's rules (benchmarks compare). Students graduate within two years;
    // graduates graduated up to three years ago, so about a third are past the two years.
    let bits = candidate.id.as_uuid().as_u64_pair().1;
    let days = i64::try_from(bits % 1_100).unwrap();
    candidate.graduation_date = Some(if student {
        today() + Duration::days(30 + days % 700)
    } else {
        today() - Duration::days(days)
    });
    candidate
}

/// A random open offer in one of `communes`, starting in 60 to 120 days, read against `rules`:
/// contracts of 6 to 36 months (a few too short for the scheme), companies of every size.
pub fn offer(
    rng: &mut Rng,
    reference: &ReferenceData,
    rules: &RuleBook,
    communes: &[String],
) -> OfferModel {
    let min = 2 + rng.below(3) as u8;
    let max = (min + rng.below(3) as u8).min(5);
    let skills: Vec<Term> = (0..1 + rng.below(4))
        .map(|_| Term::new(SKILLS[rng.below(SKILLS.len())]))
        .fold(Vec::new(), |mut acc, t| {
            if !acc.iter().any(|x: &Term| x.key == t.key) {
                acc.push(t);
            }
            acc
        });
    let primary = MissionType::ALL[rng.below(8)];
    let mut offer = OfferModel {
        id: OfferId::from_uuid(uuid::Uuid::from_u64_pair(rng.next(), rng.next())),
        siren: Siren::parse("732829320").unwrap(),
        title: "Offre".into(),
        company_name: "Entreprise".into(),
        open: true,
        primary,
        secondary: rng
            .chance(40)
            .then(|| MissionType::ALL[rng.below(8)])
            .filter(|s| *s != primary),
        contract: ContractKind::ALL[rng.below(3)],
        duration_months: None,
        min_level: min,
        max_level: max,
        company_size: CompanySize::Pme,
        ecological: false,
        fields: if rng.chance(30) {
            vec![]
        } else {
            vec![Term::new(FIELDS[rng.below(FIELDS.len())])]
        },
        skills,
        languages: if rng.chance(50) {
            vec![Language {
                code: LanguageCode::parse("en").unwrap(),
                level: 3 + rng.below(3) as u8,
            }]
        } else {
            vec![]
        },
        place: Place::resolve(reference, &communes[rng.below(communes.len())]).unwrap(),
        start_date: today() + Duration::days(60 + rng.below(60) as i64),
        scheme: SchemeFit::unread(),
    };
    // From the id's bits, as for candidates.
    let bits = offer.id.as_uuid().as_u64_pair().1;
    offer.duration_months =
        (offer.contract != ContractKind::Cdi).then(|| 6 + u16::try_from(bits % 31).unwrap());
    offer.company_size = CompanySize::ALL[usize::try_from((bits >> 8) % 3).unwrap()];
    offer.ecological = (bits >> 16).is_multiple_of(5);
    offer.scheme = SchemeFit::read(rules, &offer);
    offer
}
