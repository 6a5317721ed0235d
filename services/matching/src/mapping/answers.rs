//! Ranked candidates and offers, explanations, summaries, verdicts and aids as
//! `vte.matching.v1` messages: the answers of the three RPCs.

use chrono::{Datelike as _, NaiveDate};
use vte_proto::vte::common::v1 as common;
use vte_proto::vte::matching::v1 as wire;
use vte_wire::eligibility::{aids, eligibility};

use crate::domain::{
    Assessment, CandidateModel, ComponentKind, Explanation, FilterKind, one_decimal,
};
use crate::spread::Lowered;
use crate::usecases::{OffersForCandidate, PairExplanation, PublishedNearMiss, RankedCandidates};

/// A calendar date for the wire.
pub fn date_to_proto(day: NaiveDate) -> common::Date {
    common::Date {
        year: day.year(),
        month: i32::try_from(day.month()).unwrap_or(1),
        day: i32::try_from(day.day()).unwrap_or(1),
    }
}

fn filter_number(kind: FilterKind) -> i32 {
    use wire::FilterKind as W;
    (match kind {
        FilterKind::OfferOpen => W::OfferOpen,
        FilterKind::ContractKind => W::ContractKind,
        FilterKind::EducationLevel => W::EducationLevel,
        FilterKind::Availability => W::Availability,
        FilterKind::Consent => W::Consent,
        FilterKind::Visibility => W::Visibility,
        FilterKind::Mobility => W::Mobility,
        FilterKind::ContractForStatus => W::ContractForStatus,
        FilterKind::ContractDuration => W::ContractDuration,
        FilterKind::GraduateRecency => W::GraduateRecency,
        FilterKind::CompanySize => W::CompanySize,
    }) as i32
}

fn component_number(kind: ComponentKind) -> i32 {
    use wire::ScoreComponentKind as W;
    (match kind {
        ComponentKind::MissionFit => W::MissionFit,
        ComponentKind::Skills => W::Skills,
        ComponentKind::FieldOfStudy => W::FieldOfStudy,
        ComponentKind::Distance => W::Distance,
        ComponentKind::Territory => W::Territory,
        ComponentKind::Languages => W::Languages,
        ComponentKind::Availability => W::Availability,
        ComponentKind::Competence => W::Competence,
    }) as i32
}

/// A score for the wire: the f32 the index computed, rounded to 4 decimals.
pub fn score(value: f32) -> f64 {
    (f64::from(value) * 10_000.0).round() / 10_000.0
}

/// The explanation message (summary and components, strongest first).
pub fn explanation_to_proto(explanation: &Explanation) -> wire::Explanation {
    wire::Explanation {
        summary: explanation.summary.clone(),
        components: explanation
            .components
            .iter()
            .map(|c| wire::ScoreComponent {
                kind: component_number(c.kind),
                weight: score(c.weight),
                value: score(c.value),
                sentence: c.sentence.clone(),
            })
            .collect(),
    }
}

/// Every filter's outcome for the wire.
pub fn filters_to_proto(explanation: &Explanation) -> Vec<wire::FilterResult> {
    explanation
        .filters
        .iter()
        .map(|f| wire::FilterResult {
            kind: filter_number(f.kind),
            passed: f.passed,
            reason: f.reason.clone(),
        })
        .collect()
}

/// The distance for the wire: one decimal, absent when unknown.
pub fn distance(km: f32) -> Option<f64> {
    (!km.is_nan()).then(|| one_decimal(km))
}

/// What a company may know of a ranked candidate.
pub fn candidate_summary(
    candidate: &CandidateModel,
    assessment: &Assessment,
) -> wire::CandidateSummary {
    wire::CandidateSummary {
        status: candidate.academic.number(),
        level: i32::from(candidate.level),
        field_of_study: candidate.field_of_study.text.clone(),
        distance_km: distance(assessment.filters.distance_km),
        available_from: Some(date_to_proto(candidate.available_from)),
        matching_skills: assessment
            .matched_skills
            .iter()
            .map(|i| candidate.skills[*i].text.clone())
            .collect(),
        labels_count: candidate.labels_count,
    }
}

/// RankCandidates' answer.
pub fn rank_candidates_response(ranked: &RankedCandidates) -> wire::RankCandidatesResponse {
    wire::RankCandidatesResponse {
        candidates: ranked
            .hits
            .iter()
            .map(|hit| wire::RankedCandidate {
                candidate_id: hit.candidate.id.to_string(),
                summary: Some(candidate_summary(&hit.candidate, &hit.assessment)),
                score: score(hit.score),
                explanation: Some(explanation_to_proto(&hit.explanation)),
                eligibility: Some(eligibility(&hit.verdict)),
                aids: aids(&hit.verdict.aids),
                spread: hit.spread.as_ref().map(spread),
            })
            .collect(),
        eligible_count: ranked.eligible,
    }
}

/// How the exposure spread moved an item down its list.
fn spread(lowered: &Lowered) -> wire::Spread {
    wire::Spread {
        penalty: f64::from(lowered.penalty),
        reason: lowered.reason.clone(),
    }
}

/// RankOffers' answer.
pub fn rank_offers_response(ranked: OffersForCandidate) -> wire::RankOffersResponse {
    wire::RankOffersResponse {
        offers: ranked
            .offers
            .into_iter()
            .map(|hit| {
                let assessment = &hit.ranked.assessment;
                wire::RankedOffer {
                    distance_km: distance(assessment.filters.distance_km),
                    score: score(assessment.score),
                    explanation: Some(explanation_to_proto(&hit.ranked.explanation)),
                    aids: hit.aids,
                    offer: Some(hit.published),
                    eligibility: Some(eligibility(&hit.ranked.verdict)),
                    spread: hit.ranked.spread.as_ref().map(spread),
                }
            })
            .collect(),
        eligible_count: ranked.eligible,
        near_misses: ranked.near_misses.into_iter().map(near_miss).collect(),
    }
}

/// A near miss of RankOffers: the offer, its score as it stands, and what stands in the way.
fn near_miss(miss: PublishedNearMiss) -> wire::NearMiss {
    let near = miss.near;
    wire::NearMiss {
        offer: Some(miss.published),
        distance_km: distance(near.assessment.filters.distance_km),
        score: score(near.assessment.score),
        obstacles: near
            .obstacles
            .iter()
            .map(|obstacle| wire::Obstacle {
                filter: Some(wire::FilterResult {
                    kind: filter_number(obstacle.filter.kind),
                    passed: obstacle.filter.passed,
                    reason: obstacle.filter.reason.clone(),
                }),
                extra_km: obstacle.extra_km.map(one_decimal),
                extra_days: obstacle.extra_days,
            })
            .collect(),
        explanation: Some(explanation_to_proto(&near.explanation)),
    }
}

/// ExplainMatch's answer: for a candidate who may not be ranked, not eligible, nothing scored
/// nor judged.
pub fn explain_match_response(pair: PairExplanation) -> wire::ExplainMatchResponse {
    let assessment = pair.assessment.as_ref();
    let admissible = pair.verdict.as_ref().is_some_and(|v| v.admissible());
    wire::ExplainMatchResponse {
        eligible: admissible && assessment.is_some_and(Assessment::eligible),
        eligibility: pair.verdict.as_ref().map(eligibility),
        filters: filters_to_proto(&pair.explanation),
        score: assessment.map_or(0.0, |a| score(a.score)),
        explanation: Some(explanation_to_proto(&pair.explanation)),
        distance_km: assessment.and_then(|a| distance(a.filters.distance_km)),
        aids: pair.aids,
    }
}
