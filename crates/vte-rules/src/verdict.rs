//! The one eligibility verdict of a pair (offer, candidate), and the aids an offer or a pair
//! opens, computed from the rule set that applies to the contract's start date (issue 14,
//! items 2 and 4). Matching filters and explains with it, the offers service enforces it at
//! apply and at hire and freezes it in the placement: every service asks [`judge`] or
//! [`offer_aids`], so they can never disagree.
//!
//! A date no confirmed set covers is judged on the last known terms: a pair that fails them is
//! not eligible, one that meets them is "à confirmer auprès de Bpifrance", never a yes.

mod aids;
mod facts;
mod words;

#[cfg(test)]
mod tests;

pub use aids::{AidOutcome, AidVerdict, aid_name, company_total, offer_aids};
pub use facts::{CandidateFacts, OfferFacts, PlaceFacts, Status};

use crate::book::{Applicable, RuleBook, TO_CONFIRM};
use crate::model::{RuleSet, SchemeTerms};
use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use vte_domain::{ContractKind, EuroCents, Programme};
use words::level;

/// How many days after the start date a candidate may still arrive, by default: the scheme
/// says nothing, recruiters allow about a month.
pub const DEFAULT_AVAILABILITY_TOLERANCE_DAYS: u32 = 30;

/// A rule of the verdict, named by a stable code in reasons and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The candidate's level lies in the offer's range and the scheme's (bac+2 to bac+5).
    Level,
    /// The candidate seeks the kind of contract the offer proposes.
    ContractSought,
    /// The contract suits the candidate's situation at the start (a student: work-study).
    ContractForStatus,
    /// The contract is one the scheme admits, for long enough.
    ContractDuration,
    /// A graduate's diploma is less than the recency window old at the start.
    GraduateRecency,
    /// The candidate can start within the tolerance after the start date.
    Availability,
    /// The company's size is one the scheme admits.
    CompanySize,
}

impl Rule {
    /// Every rule, in the order they are checked and shown.
    pub const ALL: [Rule; 7] = [
        Self::Level,
        Self::ContractSought,
        Self::ContractForStatus,
        Self::ContractDuration,
        Self::GraduateRecency,
        Self::Availability,
        Self::CompanySize,
    ];

    /// The stable code, e.g. `"graduate_recency"`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Level => "level",
            Self::ContractSought => "contract_sought",
            Self::ContractForStatus => "contract_for_status",
            Self::ContractDuration => "contract_duration",
            Self::GraduateRecency => "graduate_recency",
            Self::Availability => "availability",
            Self::CompanySize => "company_size",
        }
    }
}

/// One rule checked, with why it is met or not, in French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Which rule.
    pub rule: Rule,
    /// Whether the pair meets it.
    pub met: bool,
    /// Why, in words a company or a student understands.
    pub reason: String,
}

/// Where a pair stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Standing {
    /// Every rule of the confirmed set is met.
    Eligible,
    /// At least one rule is not met.
    NotEligible,
    /// Every rule of the last known terms is met, but no confirmed set covers the start date.
    ToConfirm,
}

/// The verdict on a pair (offer, candidate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The scheme's set judged by (the last known one when [`Standing::ToConfirm`]).
    pub rule_set_id: String,
    /// Whether that set covers the start date.
    pub confirmed: bool,
    /// The Territoires d'industrie programme the set names.
    pub programme: Programme,
    /// The workplace's territory under that programme.
    pub territory: Option<String>,
    /// The contract start date judged.
    pub start: NaiveDate,
    /// Where the pair stands.
    pub standing: Standing,
    /// Every rule checked, met or not, in [`Rule::ALL`] order (empty once the young person is
    /// erased: the checks quote their facts).
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Eligible and in a Territoire d'industrie: Bpifrance can label the VTE.
    pub label_ready: bool,
    /// Why the pair is or is not label-ready.
    pub label_reason: String,
    /// Each aid for this pair, in [`crate::AidCode::ALL`] order.
    pub aids: Vec<AidVerdict>,
    /// The most the company may receive from the aids open to it, stacking caps applied.
    pub company_total: EuroCents,
}

impl Verdict {
    /// Whether the pair may become a VTE under confirmed rules.
    pub fn eligible(&self) -> bool {
        self.standing == Standing::Eligible
    }

    /// Whether the pair passes as a hard filter: eligible, or to confirm (never refused on
    /// rules nobody has published yet).
    pub fn admissible(&self) -> bool {
        self.standing != Standing::NotEligible
    }

    /// The rules not met, in order.
    pub fn unmet(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|check| !check.met)
    }

    /// One sentence: why the pair is or is not eligible.
    pub fn summary(&self) -> String {
        match self.standing {
            Standing::Eligible => format!(
                "Éligible au VTE selon les règles {} : {}",
                self.rule_set_id, self.label_reason
            ),
            Standing::NotEligible => {
                let unmet: Vec<&str> = self.unmet().map(|check| check.reason.as_str()).collect();
                format!("Non éligible au VTE : {}", unmet.join(" "))
            }
            Standing::ToConfirm => format!(
                "Éligibilité {TO_CONFIRM} : aucune règle confirmée pour un contrat commençant le \
                 {}.",
                words::date(self.start)
            ),
        }
    }
}

/// How [`judge`] reads availability (the one setting matching may tune).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// A candidate available up to this many days after the start date passes.
    pub availability_tolerance_days: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            availability_tolerance_days: DEFAULT_AVAILABILITY_TOLERANCE_DAYS,
        }
    }
}

/// The terms a start date is judged by: the confirmed set covering it, or the last known one.
pub(crate) struct Terms<'a> {
    pub set: &'a RuleSet,
    pub terms: &'a SchemeTerms,
    pub confirmed: bool,
}

impl<'a> Terms<'a> {
    /// The terms for a contract starting on `start`.
    pub(crate) fn for_start(book: &'a RuleBook, start: NaiveDate) -> Self {
        if let Applicable::Confirmed(applying) = book.for_contract_start(start) {
            return Self {
                set: applying.scheme,
                terms: applying.terms,
                confirmed: true,
            };
        }
        let schemes = || book.sets().iter().filter(|set| set.scheme.is_some());
        let set = schemes()
            .rfind(|set| set.window.from <= start)
            .or_else(|| schemes().next())
            .expect("the rule book holds at least one scheme set (checked at load)");
        let terms = set.scheme.as_ref().expect("filtered on scheme sets");
        Self {
            set,
            terms,
            confirmed: false,
        }
    }
}

impl RuleBook {
    /// The Territoires d'industrie programme a contract starting on `start` is judged on: the
    /// one its rule set names (the last known set's when none is confirmed).
    pub fn programme_for(&self, start: NaiveDate) -> Programme {
        Terms::for_start(self, start).terms.ti_programme
    }

    /// The scheme's set a contract starting on `start` is judged by, and whether it is
    /// confirmed for that date (else it is the last known one).
    pub fn scheme_for(&self, start: NaiveDate) -> (&RuleSet, bool) {
        let terms = Terms::for_start(self, start);
        (terms.set, terms.confirmed)
    }
}

/// The verdict on a pair, by the rules for the offer's start date.
pub fn judge(
    book: &RuleBook,
    offer: &OfferFacts,
    candidate: &CandidateFacts,
    options: Options,
) -> Verdict {
    let terms = Terms::for_start(book, offer.start);
    let checks = Rule::ALL
        .iter()
        .map(|rule| check(*rule, terms.terms, offer, candidate, options))
        .collect::<Vec<_>>();
    let all_met = checks.iter().all(|check| check.met);
    let standing = match (all_met, terms.confirmed) {
        (false, _) => Standing::NotEligible,
        (true, true) => Standing::Eligible,
        (true, false) => Standing::ToConfirm,
    };
    let programme = terms.terms.ti_programme;
    let territory = offer.place.territory(programme).map(str::to_owned);
    let (label_ready, label_reason) = label_readiness(standing, programme, offer);
    let aids = aids::pair_aids(book, &terms, offer, candidate, standing);
    let company_total = aids::company_total(book, &aids);
    Verdict {
        rule_set_id: terms.set.id.clone(),
        confirmed: terms.confirmed,
        programme,
        territory,
        start: offer.start,
        standing,
        checks,
        label_ready,
        label_reason,
        aids,
        company_total,
    }
}

fn label_readiness(standing: Standing, programme: Programme, offer: &OfferFacts) -> (bool, String) {
    let place = &offer.place;
    match (standing, place.territory(programme)) {
        (Standing::Eligible, Some(territory)) => (
            true,
            format!(
                "{} est dans le Territoire d'industrie {territory} (programme {}) : le VTE peut \
                 être labellisé par Bpifrance.",
                place.commune,
                programme.as_str()
            ),
        ),
        (_, None) => (
            false,
            format!(
                "{} n'est dans aucun Territoire d'industrie du programme {} : Bpifrance ne peut \
                 pas labelliser ce VTE.",
                place.commune,
                programme.as_str()
            ),
        ),
        (Standing::ToConfirm, Some(_)) => (
            false,
            format!("Le label est {TO_CONFIRM} pour un contrat commençant à cette date."),
        ),
        (Standing::NotEligible, Some(_)) => (
            false,
            "Le binôme ne remplit pas les conditions du VTE : il ne peut pas être labellisé."
                .to_owned(),
        ),
    }
}

fn check(
    rule: Rule,
    terms: &SchemeTerms,
    offer: &OfferFacts,
    candidate: &CandidateFacts,
    options: Options,
) -> Check {
    let (met, reason) = match rule {
        Rule::Level => level_check(terms, offer, candidate),
        Rule::ContractSought => {
            let met = candidate.contract_kinds.contains(&offer.contract);
            let reason = if met {
                format!("Recherche un contrat en {}.", offer.contract.label())
            } else {
                format!(
                    "Ne recherche pas de contrat en {} (type de contrat de l'offre).",
                    offer.contract.label()
                )
            };
            (met, reason)
        }
        Rule::ContractForStatus => status_check(offer, candidate),
        Rule::ContractDuration => duration_check(terms, offer),
        Rule::GraduateRecency => recency_check(terms, offer, candidate),
        Rule::Availability => availability_check(offer, candidate, options),
        Rule::CompanySize => {
            let met = terms.company_sizes.contains(&offer.company_size);
            let reason = if met {
                format!("Entreprise de taille {}.", offer.company_size.label())
            } else {
                format!(
                    "Le VTE est réservé aux TPE, PME et ETI ; l'entreprise est de taille {}.",
                    offer.company_size.label()
                )
            };
            (met, reason)
        }
    };
    Check { rule, met, reason }
}

fn level_check(
    terms: &SchemeTerms,
    offer: &OfferFacts,
    candidate: &CandidateFacts,
) -> (bool, String) {
    let (floor, ceiling) = (terms.level_floor.years(), terms.level_ceiling.years());
    let level_text = level(candidate.level);
    if !(floor..=ceiling).contains(&candidate.level) {
        return (
            false,
            format!(
                "Le VTE s'adresse aux niveaux {} à {} ; le profil est de niveau {level_text}.",
                level(floor),
                level(ceiling)
            ),
        );
    }
    if !(offer.min_level..=offer.max_level).contains(&candidate.level) {
        return (
            false,
            format!(
                "L'offre demande un niveau {} à {} ; le profil est de niveau {level_text}.",
                level(offer.min_level),
                level(offer.max_level)
            ),
        );
    }
    (
        true,
        format!("Niveau {level_text}, dans la fourchette de l'offre."),
    )
}

fn status_check(offer: &OfferFacts, candidate: &CandidateFacts) -> (bool, String) {
    match (candidate.status_at(offer.start), offer.contract) {
        (Status::Unknown, _) => (
            false,
            "La situation du profil (étudiant ou diplômé) n'est pas renseignée.".to_owned(),
        ),
        (Status::Student, ContractKind::WorkStudy) => {
            (true, "Étudiant : le VTE se fait en alternance.".to_owned())
        }
        (Status::Student, other) => (
            false,
            format!(
                "Étudiant au début du contrat (diplôme attendu après le {}) : un {} n'est pas \
                 possible, le VTE d'un étudiant se fait en alternance.",
                words::date(offer.start),
                other.label()
            ),
        ),
        (Status::Graduate, kind) => (true, format!("Diplômé : un {} est possible.", kind.label())),
    }
}

fn duration_check(terms: &SchemeTerms, offer: &OfferFacts) -> (bool, String) {
    let Some(rule) = terms
        .contracts
        .iter()
        .find(|rule| rule.kind == offer.contract)
    else {
        return (
            false,
            format!(
                "Le VTE n'admet pas de contrat en {}.",
                offer.contract.label()
            ),
        );
    };
    match (rule.min_months, offer.duration_months) {
        (Some(min), Some(months)) if months < min => (
            false,
            format!(
                "Un contrat en {} doit durer au moins {min} mois pour un VTE ; l'offre en propose \
                 {months}.",
                offer.contract.label()
            ),
        ),
        (Some(min), None) => (
            false,
            format!(
                "La durée du contrat en {} n'est pas renseignée (au moins {min} mois).",
                offer.contract.label()
            ),
        ),
        _ => (
            true,
            format!("Contrat en {} admis pour un VTE.", offer.contract.label()),
        ),
    }
}

fn recency_check(
    terms: &SchemeTerms,
    offer: &OfferFacts,
    candidate: &CandidateFacts,
) -> (bool, String) {
    let months = u32::from(terms.graduate_recency_months);
    if candidate.status_at(offer.start) != Status::Graduate {
        return (
            true,
            "En cours d'études au début du contrat : la règle des jeunes diplômés ne s'applique pas."
                .to_owned(),
        );
    }
    let Some(graduation) = candidate.graduation_date else {
        return (
            false,
            "La date de diplôme n'est pas renseignée : l'ancienneté du diplôme ne peut pas être \
             vérifiée."
                .to_owned(),
        );
    };
    let limit = graduation
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX);
    // The month, not the day: companies read these reasons, and the exact date says more about
    // a person than the rule needs.
    let graduated = words::month(graduation);
    let (start, window) = (words::date(offer.start), words::months(months));
    if offer.start < limit {
        (
            true,
            format!("Diplômé en {graduated} : moins de {window} au début du contrat, le {start}."),
        )
    } else {
        (
            false,
            format!(
                "Diplômé en {graduated} : le diplôme aura {window} ou plus au début du contrat, le \
                 {start} (le VTE s'adresse aux diplômés depuis moins de {window})."
            ),
        )
    }
}

fn availability_check(
    offer: &OfferFacts,
    candidate: &CandidateFacts,
    options: Options,
) -> (bool, String) {
    let Some(available) = candidate.available_from else {
        return (true, "Disponible dès maintenant.".to_owned());
    };
    let tolerance = options.availability_tolerance_days;
    let latest = offer
        .start
        .checked_add_days(Days::new(u64::from(tolerance)))
        .unwrap_or(NaiveDate::MAX);
    if available <= offer.start {
        (
            true,
            format!(
                "Disponible le {}, avant le début du contrat.",
                words::date(available)
            ),
        )
    } else if available <= latest {
        (
            true,
            format!(
                "Disponible le {}, moins de {tolerance} jours après le début prévu.",
                words::date(available)
            ),
        )
    } else {
        (
            false,
            format!(
                "Disponible le {} seulement : plus de {tolerance} jours après le début prévu, le {}.",
                words::date(available),
                words::date(offer.start)
            ),
        )
    }
}
