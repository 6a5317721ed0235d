//! `vte rank candidates` and `vte rank offers`: the matching service's rankings as readable
//! tables, each line followed, with `--explain`, by its score components.

use vte_proto::vte::matching::v1::matching_service_client::MatchingServiceClient;
use vte_proto::vte::matching::v1::{
    Explanation, RankCandidatesRequest, RankCandidatesResponse, RankOffersRequest,
    RankOffersResponse, ScoreComponentKind, Spread,
};

use super::refusal;

/// Ranks candidates for an offer.
pub async fn candidates(
    client: &mut MatchingServiceClient<super::Authed>,
    offer_id: &str,
    limit: u32,
) -> anyhow::Result<RankCandidatesResponse> {
    Ok(client
        .rank_candidates(RankCandidatesRequest {
            offer_id: offer_id.to_owned(),
            limit,
            filters: None,
        })
        .await
        .map_err(refusal)?
        .into_inner())
}

/// Ranks offers for a candidate.
pub async fn offers(
    client: &mut MatchingServiceClient<super::Authed>,
    candidate_id: &str,
    limit: u32,
) -> anyhow::Result<RankOffersResponse> {
    Ok(client
        .rank_offers(RankOffersRequest {
            candidate_id: candidate_id.to_owned(),
            limit,
            filters: None,
        })
        .await
        .map_err(refusal)?
        .into_inner())
}

fn distance(km: Option<f64>) -> String {
    km.map_or_else(|| String::from("?"), |km| format!("{km:.0} km"))
}

/// `text` cut to `width` characters, an ellipsis marking the cut.
pub(super) fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut clipped: String = text.chars().take(width.saturating_sub(1)).collect();
        clipped.push('…');
        clipped
    }
}

fn level(raw: i32) -> String {
    format!("bac+{raw}")
}

fn component_name(kind: i32) -> &'static str {
    match ScoreComponentKind::try_from(kind) {
        Ok(ScoreComponentKind::MissionFit) => "mission fit",
        Ok(ScoreComponentKind::Skills) => "skills",
        Ok(ScoreComponentKind::FieldOfStudy) => "field of study",
        Ok(ScoreComponentKind::Distance) => "distance",
        Ok(ScoreComponentKind::Territory) => "territory",
        Ok(ScoreComponentKind::Languages) => "languages",
        Ok(ScoreComponentKind::Availability) => "availability",
        Ok(ScoreComponentKind::Competence) => "competence",
        _ => "other",
    }
}

fn explain(explanation: Option<&Explanation>) {
    let Some(explanation) = explanation else {
        return;
    };
    for component in &explanation.components {
        println!(
            "      {:<15} {:>4.2} × {:>4.2}  {}",
            component_name(component.kind),
            component.weight,
            component.value,
            component.sentence
        );
    }
}

/// Under an item the exposure spread lowered: why it stands below a higher score.
fn spread(spread: Option<&Spread>) {
    if let Some(spread) = spread {
        println!("      (-{:.3}) {}", spread.penalty, spread.reason);
    }
}

/// Prints a candidates ranking.
pub fn print_candidates(ranking: &RankCandidatesResponse, with_explanations: bool) {
    println!(
        "{} eligible candidates; the best {}:",
        ranking.eligible_count,
        ranking.candidates.len()
    );
    println!(
        "{:>3}  {:<36}  {:>5}  {:<6}  {:<24}  {:>7}  why",
        "#", "candidate (pseudonymous)", "score", "level", "field of study", "from"
    );
    for (rank, candidate) in ranking.candidates.iter().enumerate() {
        let summary = candidate.summary.clone().unwrap_or_default();
        let why = candidate
            .explanation
            .as_ref()
            .map(|e| e.summary.clone())
            .unwrap_or_default();
        println!(
            "{:>3}  {:<36}  {:>5.3}  {:<6}  {:<24}  {:>7}  {}",
            rank + 1,
            candidate.candidate_id,
            candidate.score,
            level(summary.level),
            clip(&summary.field_of_study, 24),
            distance(summary.distance_km),
            why
        );
        spread(candidate.spread.as_ref());
        if with_explanations {
            explain(candidate.explanation.as_ref());
        }
    }
}

/// Prints an offers ranking.
pub fn print_offers(ranking: &RankOffersResponse, with_explanations: bool) {
    println!(
        "{} eligible offers; the best {}:",
        ranking.eligible_count,
        ranking.offers.len()
    );
    println!(
        "{:>3}  {:>5}  {:<34}  {:<22}  {:<18}  {:>7}  aid",
        "#", "score", "offer", "company", "commune", "from"
    );
    for (rank, ranked) in ranking.offers.iter().enumerate() {
        let offer = ranked.offer.clone().unwrap_or_default();
        let spec = offer.spec.unwrap_or_default();
        let commune = spec.location.map(|l| l.commune_name).unwrap_or_default();
        let aid: Vec<String> = ranked
            .aids
            .iter()
            .filter(|aid| aid.eligible)
            .map(|aid| {
                aid.amount
                    .as_ref()
                    .map(|m| format!("{} €", m.amount_cents / 100))
                    .unwrap_or_default()
            })
            .collect();
        println!(
            "{:>3}  {:>5.3}  {:<34}  {:<22}  {:<18}  {:>7}  {}",
            rank + 1,
            ranked.score,
            clip(&spec.title, 34),
            clip(&spec.company_name, 22),
            clip(&commune, 18),
            distance(ranked.distance_km),
            if aid.is_empty() {
                String::from("-")
            } else {
                aid.join(" + ")
            }
        );
        spread(ranked.spread.as_ref());
        if with_explanations {
            explain(ranked.explanation.as_ref());
        }
    }
    print_near_misses(ranking);
}

/// Prints the near misses of an offers ranking, each with what stands in the way.
fn print_near_misses(ranking: &RankOffersResponse) {
    if ranking.near_misses.is_empty() {
        return;
    }
    println!("Just out of reach:");
    for (rank, miss) in ranking.near_misses.iter().enumerate() {
        let spec = miss
            .offer
            .as_ref()
            .and_then(|offer| offer.spec.clone())
            .unwrap_or_default();
        let commune = spec.location.map(|l| l.commune_name).unwrap_or_default();
        println!(
            "{:>3}  {:>5.3}  {:<34}  {:<22}  {:<18}  {:>7}",
            rank + 1,
            miss.score,
            clip(&spec.title, 34),
            clip(&spec.company_name, 22),
            clip(&commune, 18),
            distance(miss.distance_km),
        );
        for obstacle in &miss.obstacles {
            if let Some(filter) = &obstacle.filter {
                println!("      {}", filter.reason);
            }
        }
    }
}
