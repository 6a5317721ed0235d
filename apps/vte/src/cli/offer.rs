//! `vte publish-offer`: an offer described in a TOML file (a *fiche de poste*), created as a
//! draft and published for a company. The service checks every rule and names each broken one.
//!
//! ```toml
//! title = "Ingénieur industrialisation"
//! description = "Industrialiser une nouvelle gamme de pièces usinées…"
//! mission = "TECHNOLOGIE"            # BRAS_DROIT, TRANSFORMATION, TECHNOLOGIE, FINANCE,
//! # secondary_mission = "TRANSFORMATION"   INTERNATIONAL, MARKETING, RH_RSE, AUTRE
//! ecological_transition = false
//! contract = "CDI"                   # WORK_STUDY, CDD (with duration_months) or CDI
//! # duration_months = 12
//! min_level = 3                      # bac+3
//! max_level = 5
//! fields_of_study = ["génie mécanique"]
//! skills = ["SolidWorks", "lean management"]
//! languages = ["en:B2"]
//! commune = "46102"                  # INSEE code of the workplace (Figeac)
//! remote = "HYBRID"                  # ON_SITE, HYBRID, MOSTLY_REMOTE
//! salary_min_eur = 36000
//! salary_max_eur = 42000
//! positions = 1
//! start_date = "2027-01-04"
//! company_name = "Ateliers du Célé"
//! company_size = "PME"               # TPE, PME, ETI
//! ```

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;
use vte_proto::vte::common::v1::{
    CefrLevel, CompanySize, ContractKind, LanguageSkill, Location, MissionType, Money,
    RemotePolicy, SalaryRange,
};
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_proto::vte::offers::v1::{CreateOfferRequest, Offer, OfferSpec, PublishOfferRequest};

use super::refusal;

/// An offer file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferFile {
    pub title: String,
    pub description: String,
    pub mission: String,
    #[serde(default)]
    pub secondary_mission: Option<String>,
    #[serde(default)]
    pub ecological_transition: bool,
    pub contract: String,
    #[serde(default)]
    pub duration_months: Option<u32>,
    pub min_level: i32,
    pub max_level: i32,
    #[serde(default)]
    pub fields_of_study: Vec<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    pub commune: String,
    #[serde(default = "on_site")]
    pub remote: String,
    #[serde(default)]
    pub salary_min_eur: Option<i64>,
    #[serde(default)]
    pub salary_max_eur: Option<i64>,
    #[serde(default = "one")]
    pub positions: u32,
    pub start_date: chrono::NaiveDate,
    #[serde(default)]
    pub application_deadline: Option<chrono::NaiveDate>,
    pub company_name: String,
    pub company_size: String,
}

fn on_site() -> String {
    String::from("ON_SITE")
}

fn one() -> u32 {
    1
}

fn named<T>(
    prefix: &str,
    raw: &str,
    parse: fn(&str) -> Option<T>,
    what: &str,
) -> anyhow::Result<T> {
    parse(&format!("{prefix}{}", raw.trim().to_ascii_uppercase()))
        .with_context(|| format!("{what}: {raw:?} is not a known value"))
}

impl OfferFile {
    /// Reads a TOML offer file.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("{} is not a valid offer file", path.display()))
    }

    /// The offer's content as the contract carries it.
    pub fn spec(&self) -> anyhow::Result<OfferSpec> {
        let money = |euros: i64| Money {
            amount_cents: euros * 100,
            currency: String::from("EUR"),
        };
        let languages = self
            .languages
            .iter()
            .map(|entry| {
                let (language, level) = entry
                    .split_once(':')
                    .with_context(|| format!("languages: {entry:?} should look like en:B2"))?;
                Ok(LanguageSkill {
                    language: language.trim().to_ascii_lowercase(),
                    level: named("CEFR_LEVEL_", level, CefrLevel::from_str_name, "languages")?
                        as i32,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(OfferSpec {
            title: self.title.clone(),
            description: self.description.clone(),
            primary_mission_type: named(
                "MISSION_TYPE_",
                &self.mission,
                MissionType::from_str_name,
                "mission",
            )? as i32,
            secondary_mission_type: match &self.secondary_mission {
                Some(mission) => named(
                    "MISSION_TYPE_",
                    mission,
                    MissionType::from_str_name,
                    "secondary_mission",
                )? as i32,
                None => 0,
            },
            ecological_transition: self.ecological_transition,
            contract_kind: named(
                "CONTRACT_KIND_",
                &self.contract,
                ContractKind::from_str_name,
                "contract",
            )? as i32,
            duration_months: self.duration_months,
            min_level: self.min_level,
            max_level: self.max_level,
            fields_of_study: self.fields_of_study.clone(),
            skills: self.skills.clone(),
            languages,
            location: Some(Location {
                insee_code: self.commune.clone(),
                ..Location::default()
            }),
            remote_policy: named(
                "REMOTE_POLICY_",
                &self.remote,
                RemotePolicy::from_str_name,
                "remote",
            )? as i32,
            salary: (self.salary_min_eur.is_some() || self.salary_max_eur.is_some()).then(|| {
                SalaryRange {
                    min: self.salary_min_eur.map(money),
                    max: self.salary_max_eur.map(money),
                }
            }),
            positions: self.positions,
            start_date: Some(vte_wire::date_to_proto(self.start_date)),
            application_deadline: self.application_deadline.map(vte_wire::date_to_proto),
            company_name: self.company_name.clone(),
            company_size: named(
                "COMPANY_SIZE_",
                &self.company_size,
                CompanySize::from_str_name,
                "company_size",
            )? as i32,
        })
    }
}

/// Creates and publishes `spec` for the company the client's token names.
pub async fn publish(
    client: &mut OffersServiceClient<super::Authed>,
    spec: OfferSpec,
) -> anyhow::Result<Offer> {
    let draft = client
        .create_offer(CreateOfferRequest {
            company_siren: String::new(),
            spec: Some(spec),
        })
        .await
        .map_err(refusal)?
        .into_inner()
        .offer
        .context("no offer in the answer")?;
    let published = client
        .publish_offer(PublishOfferRequest {
            offer_id: draft.id,
            expected_revision: draft.revision,
        })
        .await
        .map_err(refusal)?
        .into_inner()
        .offer
        .context("no offer in the answer")?;
    Ok(published)
}

/// Prints an offer's id, place, territory and aids.
pub fn describe(offer: &Offer) {
    let spec = offer.spec.clone().unwrap_or_default();
    let location = spec.location.unwrap_or_default();
    println!("offer {} published", offer.id);
    println!("  {} ({})", spec.title, spec.company_name);
    println!(
        "  in {} ({}), {}",
        location.commune_name,
        location.insee_code,
        location
            .territory
            .map(|t| format!("Territoire d'industrie {}", t.name))
            .unwrap_or_else(|| String::from("not in a Territoire d'industrie"))
    );
    for aid in &offer.aids {
        println!(
            "  aid {}: {}",
            if aid.eligible { "open" } else { "not open" },
            aid.reason
        );
    }
}
