//! The words of matching: every filter and component of an [`Assessment`] said in French to
//! the side that asked, the company ("le candidat", "son rayon") or the student ("vous",
//! "votre rayon"), e.g. "À 43 km de chez vous, dans votre rayon de 100 km". Sentences name no
//! person: a company reads distances, levels and fields, never who the candidate is. The
//! scheme's rules are said in the words of their verdict ([`vte_rules::judge`]), the same for
//! both sides.

use vte_rules::Verdict;

use super::geo::one_decimal;
use super::model::{CandidateModel, OfferModel, mission_index};
use super::score::{Assessment, ComponentKind, RegionPreference, level_in};
use super::taxonomy;
use super::text::{held_keys, skill_credit};

/// Who reads the explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The company (or an operator): the candidate in the third person.
    Company,
    /// The candidate (or their school, the website): addressed as "vous".
    Candidate,
}

/// The hard filters, in the contract's order (`FilterKind` 1..=11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    OfferOpen,
    ContractKind,
    EducationLevel,
    Availability,
    Consent,
    Visibility,
    Mobility,
    /// The scheme's rules that matching did not check before issue 14, named as in the verdict.
    ContractForStatus,
    ContractDuration,
    GraduateRecency,
    CompanySize,
}

/// One filter's outcome, worded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterOutcome {
    pub kind: FilterKind,
    pub passed: bool,
    pub reason: String,
}

/// One component, worded.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub kind: ComponentKind,
    pub weight: f32,
    pub value: f32,
    pub sentence: String,
}

/// A pair explained: every filter, every component (strongest first) and a summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub filters: Vec<FilterOutcome>,
    pub components: Vec<Component>,
    pub summary: String,
}

/// Words `assessment` of (`offer`, `candidate`) for `audience`, the scheme's rules in the
/// words of the pair's `verdict`. The candidate is matchable (consent given, search not
/// paused): the consent and visibility filters pass.
pub fn explain(
    offer: &OfferModel,
    candidate: &CandidateModel,
    assessment: &Assessment,
    verdict: &Verdict,
    tolerance_days: u32,
    audience: Audience,
) -> Explanation {
    let you = Words::for_audience(audience);
    let filters = filters::outcomes(offer, candidate, assessment, verdict, tolerance_days, &you);
    let mut components: Vec<Component> = ComponentKind::ALL
        .iter()
        .enumerate()
        .map(|(i, kind)| Component {
            kind: *kind,
            weight: assessment.weights[i],
            value: assessment.values[i],
            sentence: sentence(*kind, offer, candidate, assessment, &you),
        })
        .collect();
    // Strongest first; the contract's order breaks ties, so the order is stable.
    components.sort_by(|a, b| (b.weight * b.value).total_cmp(&(a.weight * a.value)));
    let summary = summarise(&filters, &components);
    Explanation {
        filters,
        components,
        summary,
    }
}

/// One or two sentences: the first filter that excludes the pair, or the two strongest
/// components.
fn summarise(filters: &[FilterOutcome], components: &[Component]) -> String {
    if let Some(failed) = filters.iter().find(|filter| !filter.passed) {
        return failed.reason.clone();
    }
    components
        .iter()
        .filter(|c| c.weight * c.value > 0.0)
        .take(2)
        .map(|c| c.sentence.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The pronouns and set phrases of one audience.
struct Words {
    from_home: &'static str,
    radius: &'static str,
    seeks: &'static str,
    consent: &'static str,
    visible: &'static str,
    interest: &'static str,
    moves: &'static str,
    stays: &'static str,
    preferred: &'static str,
    not_preferred: &'static str,
    declared: &'static str,
}

impl Words {
    fn for_audience(audience: Audience) -> Self {
        match audience {
            Audience::Candidate => Self {
                from_home: "de chez vous",
                radius: "votre rayon",
                seeks: "vous cherchez",
                consent: "Vous avez donné votre consentement au matching.",
                visible: "Votre recherche est active.",
                interest: "Votre intérêt",
                moves: "mais vous êtes prêt à déménager",
                stays: "et vous n'êtes pas prêt à déménager",
                preferred: "une de vos régions préférées",
                not_preferred: "hors de vos régions préférées",
                declared: "vous avez",
            },
            Audience::Company => Self {
                from_home: "du domicile du candidat",
                radius: "son rayon",
                seeks: "le candidat cherche",
                consent: "Le candidat a donné son consentement au matching.",
                visible: "Le candidat recherche activement.",
                interest: "L'intérêt du candidat",
                moves: "mais il est prêt à déménager",
                stays: "et il n'est pas prêt à déménager",
                preferred: "une des régions préférées du candidat",
                not_preferred: "hors des régions préférées du candidat",
                declared: "le candidat a",
            },
        }
    }
}

/// A distance as people read it: one decimal under 10 km, whole km above, rounded from the
/// one-decimal distance the answers report so both always agree.
pub fn km(distance: f32) -> String {
    let shown = one_decimal(distance);
    if shown < 10.0 {
        format!("{shown:.1} km").replace('.', ",")
    } else {
        format!("{} km", shown.round())
    }
}

fn sentence(
    kind: ComponentKind,
    offer: &OfferModel,
    candidate: &CandidateModel,
    a: &Assessment,
    you: &Words,
) -> String {
    match kind {
        ComponentKind::MissionFit => {
            let primary = candidate.weight_of(offer.primary);
            let mut text = format!(
                "{} pour la mission « {} » : {primary}/100.",
                you.interest,
                offer.primary.label()
            );
            if let Some(secondary) = offer.secondary {
                text.push_str(&format!(
                    " Mission secondaire « {} » : {}/100.",
                    secondary.label(),
                    candidate.weight_of(secondary)
                ));
            }
            text
        }
        ComponentKind::Skills => {
            if offer.skills.is_empty() {
                return "L'offre ne liste pas de compétences.".to_owned();
            }
            // Counted on the offer's side: several of the candidate's skills may meet one.
            let held = held_keys(&candidate.skills);
            let credits: Vec<f32> = offer
                .skills
                .iter()
                .map(|sought| skill_credit(&sought.skill, &held))
                .collect();
            let met = credits.iter().filter(|credit| **credit >= 1.0).count();
            let near = credits
                .iter()
                .filter(|credit| **credit > 0.0 && **credit < 1.0)
                .count();
            let names: Vec<&str> = a
                .matched_skills
                .iter()
                .map(|i| candidate.skills[*i].text.as_str())
                .collect();
            let sought = offer.skills.len();
            let mut text = if met == 0 {
                format!("Aucune des {sought} compétences demandées.")
            } else {
                format!(
                    "{met} des {sought} compétences demandées : {}.",
                    names.join(", ")
                )
            };
            if near > 0 {
                text.push_str(&format!(
                    " {near} autre{} approchée{} par un outil de la même famille.",
                    if near > 1 { "s" } else { "" },
                    if near > 1 { "s" } else { "" }
                ));
            }
            text
        }
        ComponentKind::FieldOfStudy => {
            let field = &candidate.field_of_study.text;
            let sought: Vec<&str> = offer.fields.iter().map(|f| f.text.as_str()).collect();
            let value = a.values[2];
            if sought.is_empty() {
                format!("Formation en {field} : l'offre ne précise pas de formation.")
            } else if value >= 1.0 {
                format!("Formation en {field}, recherchée par l'offre.")
            } else if value >= 0.7 {
                format!(
                    "Formation en {field}, de la même famille que celles recherchées ({}).",
                    sought.join(", ")
                )
            } else if value > 0.0 {
                format!(
                    "Formation en {field}, voisine de celles recherchées ({}).",
                    sought.join(", ")
                )
            } else {
                format!(
                    "Formation en {field}, hors de celles recherchées ({}).",
                    sought.join(", ")
                )
            }
        }
        ComponentKind::Distance => {
            let distance = a.filters.distance_km;
            if distance.is_nan() {
                "Distance inconnue.".to_owned()
            } else {
                format!("À {} {}.", km(distance), you.from_home)
            }
        }
        ComponentKind::Territory => {
            let place = &offer.place;
            let territory = match offer.territory() {
                Some(name) => format!(
                    "Dans le Territoire d'industrie {name} (programme {})",
                    offer.scheme.programme.as_str()
                ),
                None => format!(
                    "{} n'est pas dans un Territoire d'industrie (programme {})",
                    place.commune_name,
                    offer.scheme.programme.as_str()
                ),
            };
            let region = match a.region {
                RegionPreference::Preferred => {
                    format!(", en {}, {}", place.region_name, you.preferred)
                }
                RegionPreference::NotPreferred => {
                    format!(", en {}, {}", place.region_name, you.not_preferred)
                }
                RegionPreference::NoPreference => String::new(),
            };
            format!("{territory}{region}.")
        }
        ComponentKind::Languages => {
            if offer.languages.is_empty() {
                return "Aucune langue exigée.".to_owned();
            }
            let parts: Vec<String> = offer
                .languages
                .iter()
                .map(|need| {
                    let have = level_in(&candidate.languages, need);
                    let have = if have == 0 {
                        "non déclaré".to_owned()
                    } else {
                        cefr(have).to_owned()
                    };
                    format!(
                        "{} {} demandé, {} {have}",
                        need.code,
                        cefr(need.level),
                        you.declared
                    )
                })
                .collect();
            format!("Langues : {}.", parts.join(" ; "))
        }
        ComponentKind::Availability => {
            let late = a.filters.days_late;
            if late <= 0 {
                "Disponible dès le début du contrat.".to_owned()
            } else {
                format!("Disponible {late} jours après le début du contrat.")
            }
        }
        ComponentKind::Competence => competence_sentence(offer, candidate),
    }
}

/// What the candidate's studies say of the offer's mission type, by their family in the
/// taxonomy, and which of their skills' families prepare for it too.
fn competence_sentence(offer: &OfferModel, candidate: &CandidateModel) -> String {
    let field = &candidate.field_of_study;
    let primary = mission_index(offer.primary);
    let mission = offer.primary.label();
    let studies = match field.disciplines.first() {
        None => format!(
            "La formation « {} » n'est pas reconnue : sa préparation à la mission « {mission} » \
             n'est pas évaluée.",
            field.text
        ),
        Some(first) => {
            let value = taxonomy::fields()
                .competence(&field.disciplines, primary)
                .unwrap_or(0.0);
            let family = taxonomy::fields().family_name(*first);
            let degree = if value >= 0.8 {
                "prépare directement"
            } else if value >= 0.5 {
                "prépare en partie"
            } else if value > 0.0 {
                "prépare peu"
            } else {
                "ne prépare pas"
            };
            format!("Une formation en {family} {degree} à la mission « {mission} ».")
        }
    };
    let skills = taxonomy::skills().preparing(candidate.skills.iter().map(|t| &t.skill), primary);
    if skills.is_empty() {
        studies
    } else {
        format!(
            "{studies} Compétences qui y préparent aussi : {}.",
            skills.join(", ")
        )
    }
}

/// The CEFR name of a level number (1 = A1 ... 6 = C2).
pub fn cefr(level: u8) -> &'static str {
    match level {
        1 => "A1",
        2 => "A2",
        3 => "B1",
        4 => "B2",
        5 => "C1",
        6 => "C2",
        _ => "?",
    }
}

mod filters;
#[cfg(test)]
mod tests;
