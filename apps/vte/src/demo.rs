//! `vte up --demo`: a realistic demo data set loaded through the platform's own APIs, as its
//! users would: three schools push a hundred students each (homes in communes around the
//! school, real fields of study), the students consent, and six companies publish 36 offers,
//! two thirds of them in towns of the Territoires d'industrie. Deterministic: the same schools,
//! companies and data on every run, so the README's tour can name them. Loaded once per data
//! set: when the demo companies' offers are there already, nothing is published again.

use anyhow::Context;
use vte_domain::{SchoolId, Siren};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, Contact, GiveConsentRequest, ListProfilesRequest, MissionTypeWeight,
    Preferences, ProfileRow,
};
use vte_proto::vte::common::v1::{
    CefrLevel, ContractKind, LanguageSkill, MissionType, PageRequest,
};
use vte_proto::vte::notifications::v1::UpdatePreferencesRequest;
use vte_proto::vte::notifications::v1::notifications_service_client::NotificationsServiceClient;
use vte_proto::vte::offers::v1::ListOffersRequest;
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_reference::{GeoPoint, Programme, ReferenceData, haversine_km};
use vte_service::auth::Caller;

use crate::cli::offer::OfferFile;
use crate::connection::Connection;

/// The demo schools: id, name, home town (INSEE).
pub const SCHOOLS: [(&str, &str, &str); 3] = [
    (
        "0193a000-0000-7000-8000-000000000001",
        "École d'ingénieurs de Toulouse",
        "31555",
    ),
    (
        "0193a000-0000-7000-8000-000000000002",
        "IUT de Rennes",
        "35238",
    ),
    (
        "0193a000-0000-7000-8000-000000000003",
        "École de management de Lyon",
        "69123",
    ),
];

/// The demo companies: SIREN, name, size.
pub const COMPANIES: [(&str, &str, &str); 6] = [
    ("732829320", "Ateliers du Célé", "PME"),
    ("552100554", "Forges de l'Arve", "ETI"),
    ("356000000", "Plasturgie du Jura", "PME"),
    ("542065479", "Mécanique de Précision Bretonne", "PME"),
    ("775665011", "Textiles des Vosges", "TPE"),
    ("338357510", "Chaudronnerie du Rhône", "PME"),
];

/// Students each demo school pushes.
pub const STUDENTS_PER_SCHOOL: usize = 100;
/// Offers the demo companies publish, six each.
pub const OFFERS: usize = 36;
/// Offers of each demo company (offer `n` is company `n % 6`'s).
const OFFERS_PER_COMPANY: usize = OFFERS / COMPANIES.len();

/// What [`load`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demo {
    /// The data set was loaded (or completed, after a run stopped halfway through loading it).
    Loaded,
    /// Every demo company had its offers already: nothing was pushed or published.
    AlreadyLoaded {
        /// The demo companies' offers found.
        offers: usize,
    },
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FIRST_NAMES: [&str; 16] = [
    "Camille", "Léa", "Hugo", "Inès", "Lucas", "Chloé", "Nathan", "Manon", "Yanis", "Sarah",
    "Théo", "Jade", "Louis", "Emma", "Adam", "Zoé",
];
const LAST_NAMES: [&str; 16] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "Roux",
];
const STUDIES: [(&str, &str, &[&str]); 6] = [
    (
        "génie mécanique",
        "Diplôme d'ingénieur en génie mécanique",
        &["CAO", "SolidWorks", "usinage", "lean management"],
    ),
    (
        "génie industriel",
        "Master Management de la production",
        &[
            "lean management",
            "SAP",
            "amélioration continue",
            "gestion de projet",
        ],
    ),
    (
        "informatique industrielle",
        "BUT Génie électrique et informatique industrielle",
        &["automatisme", "Python", "supervision", "IoT"],
    ),
    (
        "finance d'entreprise",
        "Master Finance",
        &["contrôle de gestion", "Excel", "consolidation", "M&A"],
    ),
    (
        "commerce international",
        "Bachelor Commerce international",
        &["export", "négociation", "anglais des affaires", "CRM"],
    ),
    (
        "marketing",
        "Master Marketing digital",
        &[
            "marketing digital",
            "communication",
            "CRM",
            "réseaux sociaux",
        ],
    ),
];
const MISSIONS: [MissionType; 8] = [
    MissionType::BrasDroit,
    MissionType::Transformation,
    MissionType::Technologie,
    MissionType::Finance,
    MissionType::International,
    MissionType::Marketing,
    MissionType::RhRse,
    MissionType::Autre,
];

/// Communes with a centre within `radius` km of `town`, at least `min_population` people.
fn communes_around(
    reference: &ReferenceData,
    town: &str,
    radius: f64,
    min_population: u32,
) -> anyhow::Result<Vec<String>> {
    let centre = reference
        .resolve(town)
        .ok()
        .and_then(|commune| commune.centre())
        .with_context(|| format!("{town} has no centre in the reference data"))?;
    let near = |point: GeoPoint| haversine_km(centre, point) <= radius;
    Ok(reference
        .communes()
        .iter()
        .filter(|c| c.population().unwrap_or(0) >= min_population)
        .filter(|c| c.centre().is_some_and(near))
        .map(|c| c.insee().to_string())
        .collect())
}

fn student(
    rng: &mut Rng,
    school: usize,
    n: usize,
    homes: &[String],
    today: chrono::NaiveDate,
) -> ProfileRow {
    let (field, diploma, skills) = *rng.pick(&STUDIES);
    let graduate = rng.below(3) > 0;
    let level = 2 + rng.below(4) as i32;
    let first = *rng.pick(&FIRST_NAMES);
    let last = *rng.pick(&LAST_NAMES);
    let graduation = if graduate {
        today - chrono::Duration::days(30 + rng.below(300) as i64)
    } else {
        today + chrono::Duration::days(60 + rng.below(500) as i64)
    };
    let favourite = *rng.pick(&MISSIONS);
    let second = *rng.pick(&MISSIONS);
    let mut weights = vec![MissionTypeWeight {
        mission_type: favourite as i32,
        weight: 80 + rng.below(21) as u32,
    }];
    if second != favourite {
        weights.push(MissionTypeWeight {
            mission_type: second as i32,
            weight: 30 + rng.below(40) as u32,
        });
    }
    let contracts = if graduate {
        vec![ContractKind::Cdi as i32, ContractKind::Cdd as i32]
    } else {
        vec![ContractKind::WorkStudy as i32]
    };
    ProfileRow {
        school_student_ref: format!("DEMO-{}-{n:04}", school + 1),
        status: if graduate {
            AcademicStatus::Graduate as i32
        } else {
            AcademicStatus::Student as i32
        },
        graduation_date: Some(vte_wire::date_to_proto(graduation)),
        level,
        field_of_study: field.to_owned(),
        diploma: diploma.to_owned(),
        skills: skills
            .iter()
            .filter(|_| rng.below(3) > 0)
            .map(|s| (*s).to_owned())
            .collect(),
        languages: vec![LanguageSkill {
            language: String::from("en"),
            level: [CefrLevel::B1, CefrLevel::B2, CefrLevel::C1][rng.below(3)] as i32,
        }],
        home_insee_code: rng.pick(homes).clone(),
        preferences: Some(Preferences {
            mission_type_weights: weights,
            mobility_radius_km: [30, 50, 100, 150, 250][rng.below(5)],
            open_to_relocation: rng.below(4) == 0,
            preferred_region_codes: Vec::new(),
            contract_kinds_sought: contracts,
            available_from: Some(vte_wire::date_to_proto(if graduate {
                today
            } else {
                today + chrono::Duration::days(rng.below(90) as i64)
            })),
            paused: false,
            set_by_candidate: false,
        }),
        contact: Some(Contact {
            candidate_id: String::new(),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            email: format!(
                "{}.{}.{}{n}@etudiant.example",
                ascii(first),
                ascii(last),
                school + 1
            ),
            phone: String::new(),
        }),
    }
}

/// The address a demo company receives email at.
pub fn company_email(name: &str) -> String {
    format!("recrutement@{}.example", ascii(name))
}

fn ascii(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            'ï' | 'î' => 'i',
            'ç' => 'c',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

fn offer(rng: &mut Rng, n: usize, commune: &str, today: chrono::NaiveDate) -> (usize, OfferFile) {
    let company = n % COMPANIES.len();
    let (_, name, size) = COMPANIES[company];
    let (field, _, skills) = *rng.pick(&STUDIES);
    let mission = match field {
        "finance d'entreprise" => MissionType::Finance,
        "commerce international" => MissionType::International,
        "marketing" => MissionType::Marketing,
        "génie industriel" => MissionType::Transformation,
        _ => MissionType::Technologie,
    };
    let (title, contract, min, max) = match rng.below(4) {
        0 => ("Alternant", "WORK_STUDY", 2, 4),
        1 => ("Chargé de projet", "CDD", 3, 5),
        _ => ("Ingénieur", "CDI", 3, 5),
    };
    let mission_name = mission.as_str_name().trim_start_matches("MISSION_TYPE_");
    let file = OfferFile {
        title: format!("{title} {field}"),
        description: format!(
            "{name} recrute pour une mission {} : rejoindre l'équipe, porter un projet \
             structurant et le mener à bien avec la direction.",
            mission_name.to_lowercase().replace('_', " / ")
        ),
        mission: mission_name.to_owned(),
        secondary_mission: None,
        ecological_transition: rng.below(4) == 0,
        contract: contract.to_owned(),
        duration_months: (contract != "CDI").then_some(12 + 6 * rng.below(3) as u32),
        min_level: min,
        max_level: max,
        fields_of_study: vec![field.to_owned()],
        skills: skills.iter().take(2).map(|s| (*s).to_owned()).collect(),
        languages: vec![String::from("en:B1")],
        commune: commune.to_owned(),
        remote: String::from("ON_SITE"),
        salary_min_eur: Some(28_000 + 1000 * rng.below(6) as i64),
        salary_max_eur: Some(38_000 + 1000 * rng.below(6) as i64),
        positions: 1 + rng.below(2) as u32,
        start_date: today + chrono::Duration::days(45 + rng.below(120) as i64),
        application_deadline: None,
        company_name: name.to_owned(),
        company_size: size.to_owned(),
    };
    (company, file)
}

/// Loads the demo data through the running platform's APIs.
pub async fn load(connection: &Connection, reference: &ReferenceData) -> anyhow::Result<Demo> {
    // Once per data set: the demo companies' offers say whether it was loaded. A run stopped
    // halfway through publishes only each company's missing offers (students are pushed again,
    // which changes nothing for those already there).
    let existing = offers_of_demo_companies(connection).await?;
    if existing.iter().all(|&count| count >= OFFERS_PER_COMPANY) {
        return Ok(Demo::AlreadyLoaded {
            offers: existing.iter().sum(),
        });
    }
    let mut rng = Rng(0x5eed_0000_0000_0001);
    let today = chrono::Utc::now().date_naive();
    let mut consented = Vec::new();
    for (index, (id, name, town)) in SCHOOLS.iter().enumerate() {
        let school_id = SchoolId::parse(id).map_err(|e| anyhow::anyhow!("{e}"))?;
        let caller = Caller::School { school_id };
        let mut client = CandidatesServiceClient::new(
            connection.channel(&connection.candidates, &caller).await?,
        );
        let homes = communes_around(reference, town, 60.0, 500)?;
        let rows: Vec<ProfileRow> = (0..STUDENTS_PER_SCHOOL)
            .map(|n| student(&mut rng, index, n, &homes, today))
            .collect();
        let summary = crate::cli::students::push(&mut client, id, rows, |_| {}).await?;
        let counts = summary.counts.unwrap_or_default();
        println!(
            "  school {name} ({id}): {} students pushed ({} new, {} refused)",
            counts.received, counts.created, counts.rejected
        );
        // Every demo student consents, as they would on the website.
        let mut page_token = String::new();
        loop {
            let page = client
                .list_profiles(ListProfilesRequest {
                    school_id: id.to_string(),
                    status: 0,
                    matchable_only: false,
                    page: Some(PageRequest {
                        page_size: 100,
                        page_token: page_token.clone(),
                    }),
                })
                .await
                .map_err(crate::cli::refusal)?
                .into_inner();
            for profile in page.profiles.iter().filter(|p| !p.matchable) {
                let candidate_id = vte_domain::CandidateId::parse(&profile.id)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let caller = Caller::Candidate { candidate_id };
                let mut own = CandidatesServiceClient::new(
                    connection.channel(&connection.candidates, &caller).await?,
                );
                own.give_consent(GiveConsentRequest {
                    candidate_id: String::new(),
                    terms_version: vte_candidates::DEFAULT_TERMS_VERSION.to_owned(),
                })
                .await
                .map_err(crate::cli::refusal)?;
                consented.push(candidate_id);
            }
            page_token = page.page.map(|p| p.next_page_token).unwrap_or_default();
            if page_token.is_empty() {
                break;
            }
        }
    }
    // Matching knows every student before the first offer, so each publication suggests its
    // best candidates to the company.
    crate::cli::until_matchable(
        &connection.matching,
        &connection.secret,
        &consented,
        std::time::Duration::from_secs(60),
    )
    .await?;
    // Offers: two thirds in towns of Territoires d'industrie, the rest anywhere.
    let mut in_territory: Vec<String> = reference
        .communes()
        .iter()
        .filter(|c| c.population().unwrap_or(0) >= 3000 && c.centre().is_some())
        .filter(|c| {
            reference
                .territory_of(&c.insee(), Programme::Ti2023_2027)
                .is_some()
        })
        .map(|c| c.insee().to_string())
        .collect();
    in_territory.sort();
    let elsewhere = ["31555", "35238", "69123", "33063", "44109", "67482"];
    // Each company gives the address it receives email at (read by the notifications service
    // when it sends, e.g. the candidates suggested for a new offer).
    for (siren, name, _) in COMPANIES {
        let siren = Siren::parse(siren).map_err(|e| anyhow::anyhow!("{e}"))?;
        let caller = Caller::Company { siren };
        NotificationsServiceClient::new(
            connection
                .channel(&connection.notifications, &caller)
                .await?,
        )
        .update_preferences(UpdatePreferencesRequest {
            recipient: None,
            preferences: vec![],
            email_address: Some(company_email(name)),
        })
        .await
        .map_err(crate::cli::refusal)?;
    }
    let mut published = 0;
    for n in 0..OFFERS {
        let commune = if n % 3 == 2 {
            (*rng.pick(&elsewhere)).to_owned()
        } else {
            rng.pick(&in_territory).clone()
        };
        let (company, file) = offer(&mut rng, n, &commune, today);
        // Offer n is the (n / 6)th of its company: published by an earlier run if the company
        // has more offers than that.
        if existing[company] > n / COMPANIES.len() {
            continue;
        }
        let siren = Siren::parse(COMPANIES[company].0).map_err(|e| anyhow::anyhow!("{e}"))?;
        let caller = Caller::Company { siren };
        let mut client =
            OffersServiceClient::new(connection.channel(&connection.offers, &caller).await?);
        crate::cli::offer::publish(&mut client, file.spec()?).await?;
        published += 1;
    }
    println!(
        "  {published} offers published by {} companies:",
        COMPANIES.len()
    );
    for (siren, name, _) in COMPANIES {
        println!("    {name} (SIREN {siren}), email {}", company_email(name));
    }
    Ok(Demo::Loaded)
}

/// How many offers, in any status, each demo company has (in [`COMPANIES`] order).
async fn offers_of_demo_companies(
    connection: &Connection,
) -> anyhow::Result<[usize; COMPANIES.len()]> {
    let mut counts = [0; COMPANIES.len()];
    for (count, (siren, _, _)) in counts.iter_mut().zip(COMPANIES) {
        let siren = Siren::parse(siren).map_err(|e| anyhow::anyhow!("{e}"))?;
        let caller = Caller::Company { siren };
        let mut client =
            OffersServiceClient::new(connection.channel(&connection.offers, &caller).await?);
        let mut page_token = String::new();
        loop {
            let page = client
                .list_offers(ListOffersRequest {
                    company_siren: String::new(),
                    statuses: vec![],
                    page: Some(PageRequest {
                        page_size: 100,
                        page_token,
                    }),
                })
                .await
                .map_err(crate::cli::refusal)?
                .into_inner();
            *count += page.offers.len();
            page_token = page.page.map(|p| p.next_page_token).unwrap_or_default();
            if page_token.is_empty() {
                break;
            }
        }
    }
    Ok(counts)
}
