//! Near misses (issue 15, item 5): when RankOffers finds fewer offers than asked, the offers
//! nearest to passing, each held back only by obstacles the candidate could act on: a
//! workplace a little beyond their radius, a level one year outside the offer's range, a first
//! day a little after the tolerance, a contract kind they did not list. They are found on the
//! index with a relaxed copy of the candidate ([`relaxed`]), then assessed, judged and worded
//! for the real candidate: the filters that fail are exactly what stands in the way
//! ([`obstacles`]). The scheme's rules on the candidate's situation, the contract or the company
//! are never near: nothing the candidate does changes them. Each relaxed ranking keeps its best
//! scored 100 offers, which are then ordered by how near they are.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

use chrono::Days;
use vte_domain::{ContractKind, OfferId};
use vte_rules::{Rule, RuleBook, Verdict};

use super::Matching;
use crate::domain::explain::km;
use crate::domain::{
    Assessment, Audience, CandidateModel, Explanation, FilterKind, FilterOutcome, OfferModel,
    Rules, assess, explain, verdict,
};
use crate::error::Error;
use crate::index::OfferFilter;

/// At most this many near misses in an answer.
pub const MAX_NEAR_MISSES: usize = 5;

/// How far beyond the radius a workplace may lie and still be near, km: a longer commute or a
/// move within the région, which the candidate may accept once they see the offer.
pub const EXTRA_KM: f32 = 150.0;

/// How many days after the tolerance a candidate's first day may fall and still be near: two
/// months, what an earlier end of studies or a notice cut short can gain.
pub const EXTRA_DAYS: i32 = 60;

/// How many offers each relaxed ranking keeps before the real candidate's are sorted.
const POOL: usize = 100;

/// One hard filter a near miss fails, worded for the candidate, with how far it misses.
#[derive(Debug, Clone, PartialEq)]
pub struct Obstacle {
    pub filter: FilterOutcome,
    /// Mobility: km beyond the radius.
    pub extra_km: Option<f32>,
    /// Availability: days after the tolerance.
    pub extra_days: Option<u32>,
}

impl Obstacle {
    /// How far it misses, in [0, 1]: the share of the bound for a distance or a delay, one
    /// half for a level or a contract kind. Orders near misses with as many obstacles.
    fn severity(&self) -> f32 {
        match (self.extra_km, self.extra_days) {
            (Some(extra), _) => extra / EXTRA_KM,
            (_, Some(days)) => days as f32 / EXTRA_DAYS as f32,
            _ => 0.5,
        }
    }
}

/// An offer just out of the candidate's reach, as the real candidate stands.
#[derive(Debug, Clone)]
pub struct NearMiss {
    pub offer: Arc<OfferModel>,
    pub assessment: Assessment,
    pub verdict: Verdict,
    pub explanation: Explanation,
    /// At least one, in the filters' order.
    pub obstacles: Vec<Obstacle>,
}

impl NearMiss {
    /// Fewer obstacles first, then smaller ones, then the better score; the offer's id breaks
    /// ties so the order is stable.
    fn nearer(&self, other: &Self) -> Ordering {
        let severity = |miss: &Self| miss.obstacles.iter().map(Obstacle::severity).sum::<f32>();
        self.obstacles
            .len()
            .cmp(&other.obstacles.len())
            .then_with(|| severity(self).total_cmp(&severity(other)))
            .then_with(|| other.assessment.score.total_cmp(&self.assessment.score))
            .then_with(|| self.offer.id.cmp(&other.offer.id))
    }
}

/// The candidate with every soft obstacle lifted as far as it may be near: the radius
/// [`EXTRA_KM`] wider, every contract kind, a first day [`EXTRA_DAYS`] earlier, at `level`
/// (their own or a neighbouring one). Their situation (status, diploma date) is theirs.
pub fn relaxed(candidate: &CandidateModel, level: u8) -> CandidateModel {
    let mut relaxed = candidate.clone();
    relaxed.radius_km = candidate.radius_km.saturating_add(EXTRA_KM as u32);
    relaxed.contract_kinds = ContractKind::ALL.to_vec();
    relaxed.available_from = candidate
        .available_from
        .checked_sub_days(Days::new(EXTRA_DAYS as u64))
        .unwrap_or(candidate.available_from);
    relaxed.level = level;
    relaxed
}

/// What a request measures obstacles against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    /// The request's radius replacing the candidate's mobility, as [`OfferFilter::radius_km`].
    pub radius_km: Option<f32>,
    /// Matching's availability tolerance.
    pub tolerance_days: u32,
}

/// What keeps `offer` from `candidate`'s ranking, if only soft obstacles within their bounds
/// do: `Some` of at least one obstacle; `None` when the pair passes (nothing stands in the
/// way) or when anything else does.
pub fn obstacles(
    offer: &OfferModel,
    candidate: &CandidateModel,
    assessment: &Assessment,
    verdict: &Verdict,
    explanation: &Explanation,
    book: &RuleBook,
    reach: Reach,
) -> Option<Vec<Obstacle>> {
    // The scheme refuses only on rules the candidate can act on (the other failures are in
    // the filters too, this is a second look at the same verdict).
    if verdict.unmet().any(|check| {
        !matches!(
            check.rule,
            Rule::Level | Rule::ContractSought | Rule::Availability
        )
    }) {
        return None;
    }
    let f = &assessment.filters;
    let mut found = Vec::new();
    for outcome in explanation.filters.iter() {
        let obstacle = |extra_km, extra_days| Obstacle {
            filter: outcome.clone(),
            extra_km,
            extra_days,
        };
        match outcome.kind {
            // The request's radius replaces the candidate's mobility: checked below.
            FilterKind::Mobility if reach.radius_km.is_some() => {}
            _ if outcome.passed => {}
            FilterKind::Mobility => {
                let extra = f.distance_km - candidate.radius_km as f32;
                if extra.is_nan() || extra > EXTRA_KM {
                    return None;
                }
                found.push(obstacle(Some(extra), None));
            }
            FilterKind::EducationLevel => {
                if !level_near(offer, candidate.level, book, verdict) {
                    return None;
                }
                found.push(obstacle(None, None));
            }
            FilterKind::Availability => {
                let tolerance = i32::try_from(reach.tolerance_days).unwrap_or(i32::MAX);
                let extra = f.days_late.saturating_sub(tolerance);
                if !(1..=EXTRA_DAYS).contains(&extra) {
                    return None;
                }
                found.push(obstacle(None, u32::try_from(extra).ok()));
            }
            // Contract for status is checked by the verdict above: a kind not listed is near.
            FilterKind::ContractKind => found.push(obstacle(None, None)),
            _ => return None,
        }
    }
    if let Some(radius) = reach.radius_km {
        let distance = f.distance_km;
        if distance.is_nan() {
            return None;
        }
        if distance > radius {
            let extra = distance - radius;
            if extra > EXTRA_KM {
                return None;
            }
            let filter = FilterOutcome {
                kind: FilterKind::Mobility,
                passed: false,
                reason: format!(
                    "À {} de chez vous, {} au-delà du rayon de recherche de {} km.",
                    km(distance),
                    km(extra),
                    radius.round()
                ),
            };
            // Last, as in the filters' order: after contract, level and availability.
            found.push(Obstacle {
                filter,
                extra_km: Some(extra),
                extra_days: None,
            });
        }
    }
    (!found.is_empty()).then_some(found)
}

/// Whether the candidate's level is one year outside the offer's own range and within the
/// scheme's, for the rule set the pair is judged by.
fn level_near(offer: &OfferModel, level: u8, book: &RuleBook, verdict: &Verdict) -> bool {
    let Some(terms) = book
        .by_id(&verdict.rule_set_id)
        .and_then(|set| set.scheme.as_ref())
    else {
        return false;
    };
    let scheme = terms.level_floor.years()..=terms.level_ceiling.years();
    scheme.contains(&level)
        && (level.checked_add(1) == Some(offer.min_level)
            || offer.max_level.checked_add(1) == Some(level))
}

/// The near misses of `candidate` among the index's open offers, nearest first, at most
/// `cap`: found under `filter` relaxed ([`relaxed`], the request's radius [`EXTRA_KM`] wider),
/// kept when only [`obstacles`] stand in the way of the real candidate.
pub fn find(
    index: &crate::index::Index,
    candidate: &CandidateModel,
    rules: &Rules,
    book: &RuleBook,
    filter: &OfferFilter,
    cap: usize,
) -> Vec<NearMiss> {
    let tolerance = rules.availability_tolerance_days;
    let reach = Reach {
        radius_km: filter.radius_km,
        tolerance_days: tolerance,
    };
    let relaxed_filter = OfferFilter {
        radius_km: filter.radius_km.map(|radius| radius + EXTRA_KM),
        ..filter.clone()
    };
    let level = candidate.level;
    let levels = [Some(level), level.checked_add(1), level.checked_sub(1)];
    let mut seen = HashSet::<OfferId>::new();
    let mut misses = Vec::new();
    for level in levels.into_iter().flatten() {
        let wider = relaxed(candidate, level);
        let ranking = index.rank_offers(&wider, rules, &relaxed_filter, POOL);
        for (offer, _) in ranking.hits {
            if !seen.insert(offer.id) {
                continue;
            }
            let assessment = assess(&offer, candidate, rules);
            let verdict = verdict(book, &offer, candidate, tolerance);
            let mut explanation = explain(
                &offer,
                candidate,
                &assessment,
                &verdict,
                tolerance,
                Audience::Candidate,
            );
            let Some(obstacles) = obstacles(
                &offer,
                candidate,
                &assessment,
                &verdict,
                &explanation,
                book,
                reach,
            ) else {
                continue;
            };
            // The first obstacle, even where the request's radius replaces the candidate's
            // (whose own mobility the explanation words).
            explanation.summary = obstacles[0].filter.reason.clone();
            misses.push(NearMiss {
                offer,
                assessment,
                verdict,
                explanation,
                obstacles,
            });
        }
    }
    misses.sort_by(NearMiss::nearer);
    misses.truncate(cap);
    misses
}

impl Matching {
    /// The near misses of `candidate` under `filter`, leaving out the offers in `exclude`
    /// (those already ranked), nearest first, at most `cap`.
    pub async fn near_misses(
        &self,
        candidate: Arc<CandidateModel>,
        mut filter: OfferFilter,
        exclude: HashSet<OfferId>,
        cap: usize,
    ) -> Result<Vec<NearMiss>, Error> {
        if cap == 0 {
            return Ok(Vec::new());
        }
        let (rules, book) = (self.settings.rules, self.rules.clone());
        filter.exclude.extend(exclude);
        self.with_index(move |index| find(index, &candidate, &rules, &book, &filter, cap))
            .await
    }
}
