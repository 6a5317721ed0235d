//! What a placement was told at its hire, frozen (issue 14, item 5): the scheme's rule set, the
//! programme and territory, the facts of the offer and of the young person the verdict read, the
//! verdict with every check, and every aid with its reason. Stored as written and never
//! recomputed on read, so a later change of the rule data cannot rewrite what a company was told.

use super::location::{Location, TerritoryRef};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vte_domain::Programme;
use vte_rules::{AidVerdict, CandidateFacts, OfferFacts, RuleBook, Verdict, offer_aids};

/// A placement's rules and aids as of its hire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frozen {
    /// The scheme's rule set judged by, e.g. `vte-2023-ti-2023-2027`.
    pub rule_set_id: String,
    /// The Territoires d'industrie programme it names.
    pub programme: Programme,
    /// The workplace's territory in that programme: id and name.
    pub territory: Option<FrozenTerritory>,
    /// The offer's facts used, with the contract and start date agreed at the hire.
    pub offer: OfferFacts,
    /// The young person's facts used; `None` for a placement frozen after the fact, whose
    /// candidate's facts were not kept.
    pub candidate: Option<CandidateFacts>,
    /// The verdict on the pair; `None` when `candidate` is.
    pub verdict: Option<Verdict>,
    /// Every aid with its reason (the pair's when judged, else the offer's).
    pub aids: Vec<AidVerdict>,
    /// When it was frozen.
    pub frozen_at: DateTime<Utc>,
}

/// A territory as frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenTerritory {
    /// Its id in its programme, e.g. `ti-7603`.
    pub id: String,
    /// Its name.
    pub name: String,
}

impl Frozen {
    /// The rules and aids of a hire judged on `verdict`.
    pub fn at_hire(
        location: &Location,
        offer: OfferFacts,
        candidate: CandidateFacts,
        verdict: Verdict,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            rule_set_id: verdict.rule_set_id.clone(),
            programme: verdict.programme,
            territory: territory(location, verdict.programme),
            offer,
            candidate: Some(candidate),
            aids: verdict.aids.clone(),
            verdict: Some(verdict),
            frozen_at: now,
        }
    }

    /// The rules and aids of a placement made before they were frozen at the hire: the rules
    /// of its start date and its offer's aids, frozen now, once.
    pub fn after_the_fact(
        rules: &RuleBook,
        location: &Location,
        offer: OfferFacts,
        now: DateTime<Utc>,
    ) -> Self {
        let programme = rules.programme_for(offer.start);
        Self {
            rule_set_id: rules.scheme_for(offer.start).0.id.clone(),
            programme,
            territory: territory(location, programme),
            aids: offer_aids(rules, &offer),
            offer,
            candidate: None,
            verdict: None,
            frozen_at: now,
        }
    }
}

fn territory(location: &Location, programme: Programme) -> Option<FrozenTerritory> {
    location
        .territory_in(programme)
        .map(|TerritoryRef { id, name, .. }| FrozenTerritory {
            id: id.clone(),
            name: name.clone(),
        })
}
