//! The aids an offer or a pair opens, each read from its own rule set for the contract's start
//! date: whether it is open (and how it may be announced), its amount, why, and the conditions
//! still to prove. An offer alone never makes a conditional aid (Mobili-Jeune) "eligible", and
//! a date no confirmed set covers says "à confirmer auprès de Bpifrance", never a yes.

use super::facts::{CandidateFacts, OfferFacts, Status};
use super::words::{date, euros, level, months};
use super::{Standing, Terms};
use crate::book::{AidStanding, RuleBook, TO_CONFIRM};
use crate::model::{AidCode, AidTerms, Amount, Promise, RuleSet};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use vte_domain::{ContractKind, EuroCents, Programme};

/// Where an aid stands for an offer or a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AidOutcome {
    /// Every condition known here is met: "peut être éligible, sous réserve de labellisation
    /// par Bpifrance".
    Eligible,
    /// Depends on the young person's situation: "possible, sous conditions"; never a yes.
    Possible,
    /// A condition is not met.
    NotEligible,
    /// No confirmed rule covers the date, or the sources disagree: "à confirmer auprès de
    /// Bpifrance".
    ToConfirm,
}

/// One aid for an offer or a pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AidVerdict {
    /// Which aid.
    pub code: AidCode,
    /// Where it stands.
    pub outcome: AidOutcome,
    /// The aid's rule set read (the last known one when not confirmed).
    pub rule_set_id: Option<String>,
    /// The most it can be, also when not open.
    pub amount: Option<EuroCents>,
    /// Whether `amount` is exact (else an upper bound).
    pub fixed: bool,
    /// Paid to the company (else to the young person).
    pub to_company: bool,
    /// Why, in French.
    pub reason: String,
    /// What is still to prove, in French (empty when not open).
    pub conditions: Vec<String>,
}

impl AidVerdict {
    /// Whether the aid may be announced as open ("sous réserve de labellisation").
    pub fn eligible(&self) -> bool {
        self.outcome == AidOutcome::Eligible
    }
}

/// The aids an offer opens before anyone applies, in [`AidCode::ALL`] order.
pub fn offer_aids(book: &RuleBook, offer: &OfferFacts) -> Vec<AidVerdict> {
    let terms = Terms::for_start(book, offer.start);
    AidCode::ALL
        .iter()
        .map(|code| aid_verdict(book, &terms, *code, offer, None, None))
        .collect()
}

/// The aids a pair opens, given the pair's standing.
pub(super) fn pair_aids(
    book: &RuleBook,
    terms: &Terms<'_>,
    offer: &OfferFacts,
    candidate: &CandidateFacts,
    standing: Standing,
) -> Vec<AidVerdict> {
    AidCode::ALL
        .iter()
        .map(|code| aid_verdict(book, terms, *code, offer, Some(candidate), Some(standing)))
        .collect()
}

/// The most the company may receive from the aids open to it, the lowest stacking cap of
/// those aids applied (VTE Vert and the Territoires d'industrie aid together: 12,000 EUR).
pub fn company_total(book: &RuleBook, aids: &[AidVerdict]) -> EuroCents {
    let open: Vec<&AidVerdict> = aids
        .iter()
        .filter(|aid| aid.eligible() && aid.to_company)
        .collect();
    let sum = open
        .iter()
        .filter_map(|aid| aid.amount)
        .fold(EuroCents::ZERO, |sum, amount| {
            sum.checked_add(amount).unwrap_or(sum)
        });
    let cap = open
        .iter()
        .filter(|_| open.len() > 1)
        .filter_map(|aid| aid.rule_set_id.as_deref().and_then(|id| book.by_id(id)))
        .filter_map(|set| set.aid.as_ref()?.stacking.as_ref()?.total_cap())
        .min();
    cap.map_or(sum, |cap| sum.min(cap))
}

/// The name of an aid, in a sentence: `l'aide VTE Vert`.
pub fn aid_name(code: AidCode) -> &'static str {
    match code {
        AidCode::TerritoiresIndustrie => "l'aide VTE Territoires d'industrie",
        AidCode::MobiliJeune => "l'aide Mobili-Jeune d'Action Logement",
        AidCode::VteVert => "l'aide VTE Vert",
    }
}

/// `L'aide VTE Vert`.
fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn aid_verdict(
    book: &RuleBook,
    terms: &Terms<'_>,
    code: AidCode,
    offer: &OfferFacts,
    candidate: Option<&CandidateFacts>,
    standing: Option<Standing>,
) -> AidVerdict {
    let name = capitalised(aid_name(code));
    let (set, confirmed, ended) = match book.aid_standing(code, offer.start) {
        AidStanding::InForce(set) => (Some(set), terms.confirmed, None),
        AidStanding::ToConfirm(_) => (book.last_known_aid(code, offer.start), false, None),
        AidStanding::Ended { last } => (Some(last), false, last.window.until),
    };
    let Some((set, aid)) = set.and_then(|set| set.aid.as_ref().map(|aid| (set, aid))) else {
        return AidVerdict {
            code,
            outcome: AidOutcome::ToConfirm,
            rule_set_id: None,
            amount: None,
            fixed: false,
            to_company: code != AidCode::MobiliJeune,
            reason: format!("{name} : {TO_CONFIRM} (aucune règle sourcée)."),
            conditions: Vec::new(),
        };
    };
    let mut verdict = AidVerdict {
        code,
        outcome: AidOutcome::NotEligible,
        rule_set_id: Some(set.id.clone()),
        amount: aid.amount.ceiling(),
        fixed: aid.amount.fixed_eur.is_some(),
        to_company: code != AidCode::MobiliJeune,
        reason: String::new(),
        conditions: Vec::new(),
    };
    if let Some(until) = ended {
        verdict.reason = format!(
            "{name} a pris fin : elle concernait les contrats commençant au plus tard le {}.",
            date(until)
        );
        return verdict;
    }
    let programme = terms.terms.ti_programme;
    let mut reading = Reading::default();
    reading.offer(aid, programme, offer);
    if let Some(candidate) = candidate {
        reading.candidate(aid, offer, candidate);
    }
    if standing == Some(Standing::NotEligible) {
        reading
            .unmet
            .push("le binôme ne remplit pas les conditions du VTE.".to_owned());
    }
    let amount = amount_words(&aid.amount);
    if !reading.unmet.is_empty() {
        verdict.reason = format!(
            "{name} ({amount}) n'est pas ouverte : {}",
            reading.unmet.join(" ; ")
        );
        return verdict;
    }
    let mut conditions = reading.to_prove;
    conditions.extend(aid.conditions.iter().cloned());
    verdict.conditions = conditions;
    if !confirmed {
        verdict.outcome = AidOutcome::ToConfirm;
        verdict.reason = format!(
            "{name} ({amount}) : {TO_CONFIRM} ; {}",
            unconfirmed_why(set, offer.start)
        );
        return verdict;
    }
    if !reading.disputed.is_empty() {
        verdict.outcome = AidOutcome::ToConfirm;
        verdict.reason = format!(
            "{name} ({amount}) : {TO_CONFIRM}, les sources divergent : {}",
            reading.disputed.join(" ; ")
        );
        return verdict;
    }
    let place = reading.place.map(|p| format!("{p} : ")).unwrap_or_default();
    let lower = aid_name(code);
    match aid.promise {
        Promise::SubjectToLabel => {
            verdict.outcome = AidOutcome::Eligible;
            verdict.reason = format!(
                "{place}l'entreprise {}, à {lower} : {amount}, versée par {}.",
                Promise::SubjectToLabel.wording(),
                aid.paid_by
            );
        }
        Promise::Conditional => {
            verdict.outcome = AidOutcome::Possible;
            verdict.reason = format!(
                "{name} ({amount}, versée par {}) : {} ; elle dépend de la situation du jeune, \
                 jamais de l'offre seule.",
                aid.paid_by,
                Promise::Conditional.wording()
            );
        }
    }
    verdict
}

fn unconfirmed_why(set: &RuleSet, start: NaiveDate) -> String {
    match set.window.until {
        Some(until) if until < start => format!(
            "les sources ne la confirment que pour les contrats commençant au plus tard le {}.",
            date(until)
        ),
        _ => format!(
            "aucune règle confirmée pour un contrat commençant le {}.",
            date(start)
        ),
    }
}

/// `4 000 €`, `jusqu'à 8 000 € (au plus 50 % des coûts de la mission)`,
/// `10 à 100 € par mois pendant 12 mois au plus`.
fn amount_words(amount: &Amount) -> String {
    if let Some(fixed) = amount.fixed() {
        return euros(fixed);
    }
    if let Some((min, max)) = amount.monthly_range() {
        let over = amount
            .max_months
            .map(|n| format!(" pendant {} au plus", months(u32::from(n))))
            .unwrap_or_default();
        return format!("{} à {} par mois{over}", euros(min), euros(max));
    }
    let cap = amount
        .cap_percent_of_mission_costs
        .map(|percent| format!(" (au plus {percent} % des coûts de la mission)"))
        .unwrap_or_default();
    match amount.ceiling() {
        Some(ceiling) => format!("jusqu'à {}{cap}", euros(ceiling)),
        None => "montant non précisé".to_owned(),
    }
}

/// What an aid's conditions say of an offer and a candidate.
#[derive(Default)]
struct Reading {
    /// Conditions not met.
    unmet: Vec<String>,
    /// Conditions the sources read differently, with the readings.
    disputed: Vec<String>,
    /// Conditions that depend on whom the company hires (offer alone).
    to_prove: Vec<String>,
    /// Where the job is, when the aid depends on it.
    place: Option<String>,
}

impl Reading {
    fn offer(&mut self, aid: &AidTerms, programme: Programme, offer: &OfferFacts) {
        let rules = &aid.eligibility;
        let kind = offer.contract;
        match rules.contracts.iter().find(|rule| rule.kind == kind) {
            None => self.unmet.push(format!(
                "elle ne concerne pas les contrats en {}",
                kind.label()
            )),
            Some(rule) => {
                if let (Some(min), Some(months)) = (rule.min_months, offer.duration_months)
                    && months < min
                {
                    self.unmet.push(format!(
                        "un contrat en {} d'au moins {min} mois est demandé, l'offre en propose {months}",
                        kind.label()
                    ));
                }
            }
        }
        if !rules.company_sizes.is_empty() && !rules.company_sizes.contains(&offer.company_size) {
            let sizes: Vec<&str> = rules
                .company_sizes
                .iter()
                .map(|size| size.label())
                .collect();
            self.unmet.push(format!(
                "elle est réservée aux entreprises de taille {} ; l'entreprise est de taille {}",
                sizes.join(", "),
                offer.company_size.label()
            ));
        }
        if rules.territoire_industrie {
            match offer.place.territory(programme) {
                Some(territory) => {
                    self.place = Some(format!(
                        "{} est dans le Territoire d'industrie {territory} (programme {})",
                        offer.place.commune,
                        programme.as_str()
                    ));
                }
                None => self.unmet.push(format!(
                    "{} n'est dans aucun Territoire d'industrie du programme {}",
                    offer.place.commune,
                    programme.as_str()
                )),
            }
        }
        if rules.ecological_mission && !offer.ecological_mission {
            self.unmet
                .push("la mission n'est pas une mission de transition écologique".to_owned());
        }
        if kind == ContractKind::WorkStudy && !rules.work_study_students {
            self.unmet
                .push("elle ne concerne pas les étudiants en alternance".to_owned());
        }
        let floors: Vec<u8> = rules.level_floor.iter().map(|r| r.level.years()).collect();
        if let (Some(lowest), Some(highest)) = (floors.iter().min(), floors.iter().max()) {
            if offer.max_level < *lowest {
                self.unmet.push(format!(
                    "elle demande au moins un niveau {} ; l'offre s'arrête à {}",
                    level(*lowest),
                    level(offer.max_level)
                ));
            } else if offer.min_level < *highest {
                self.to_prove.push(format!(
                    "recruter un profil de niveau {} au moins",
                    level(*highest)
                ));
            }
        }
        if kind != ContractKind::WorkStudy
            && let Some(recency) = rules.graduate_recency_months
        {
            self.to_prove.push(format!(
                "recruter un jeune diplômé depuis moins de {}",
                months(u32::from(recency))
            ));
        }
    }

    fn candidate(&mut self, aid: &AidTerms, offer: &OfferFacts, candidate: &CandidateFacts) {
        let rules = &aid.eligibility;
        // The pair is judged: what depended on whom the company hires is now known.
        self.to_prove.clear();
        let readings: Vec<_> = rules
            .level_floor
            .iter()
            .map(|reading| (reading, candidate.level >= reading.level.years()))
            .collect();
        let met = readings.iter().filter(|(_, ok)| *ok).count();
        if !readings.is_empty() && met == 0 {
            self.unmet.push(format!(
                "elle demande au moins un niveau {} ; le profil est de niveau {}",
                readings
                    .iter()
                    .map(|(r, _)| r.level.years())
                    .min()
                    .map_or_else(String::new, level),
                level(candidate.level)
            ));
        } else if met < readings.len() {
            let words: Vec<String> = readings
                .iter()
                .map(|(reading, _)| format!("{} selon {}", reading.level.as_str(), reading.source))
                .collect();
            self.disputed.push(format!(
                "niveau minimum {} pour un profil de niveau {}",
                words.join(", "),
                level(candidate.level)
            ));
        }
        if offer.contract != ContractKind::WorkStudy
            && let Some(recency) = rules.graduate_recency_months
        {
            let recent = candidate.status_at(offer.start) == Status::Graduate
                && candidate.graduation_date.is_some_and(|graduation| {
                    graduation
                        .checked_add_months(Months::new(u32::from(recency)))
                        .is_some_and(|limit| offer.start < limit)
                });
            if !recent {
                self.unmet.push(format!(
                    "en {} elle est réservée aux jeunes diplômés depuis moins de {}",
                    offer.contract.label(),
                    months(u32::from(recency))
                ));
            }
        }
    }
}
