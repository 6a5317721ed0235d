//! The impressions report's figures, pure functions over what the report command reads: the
//! top-10 pairs shown (each at its first showing), the pairs' outcomes, and how many matchable
//! candidates were never shown. A pair counts once per audience however often it was shown, so
//! a company refreshing its ranking does not dilute the rates.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::Audience;

/// The places counted as "the top 10".
pub const TOP: u32 = 10;

/// A pair shown in a top 10 to an audience, at its first showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownPair {
    pub audience: Audience,
    pub offer: Uuid,
    pub candidate: Uuid,
    pub first_shown: DateTime<Utc>,
}

/// What became of a pair, each at its first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PairOutcome {
    pub offer: Uuid,
    pub candidate: Uuid,
    pub applied: Option<DateTime<Utc>>,
    pub interviewed: Option<DateTime<Utc>>,
    pub hired: Option<DateTime<Utc>>,
    pub labelled: Option<DateTime<Utc>>,
}

/// Impressions recorded for one audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudienceCount {
    pub audience: Audience,
    pub impressions: u64,
    pub items: u64,
}

/// `hits` of `of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rate {
    pub hits: u64,
    pub of: u64,
}

impl Rate {
    /// The share, `None` of nothing.
    pub fn share(self) -> Option<f64> {
        (self.of > 0).then(|| self.hits as f64 / self.of as f64)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.share() {
            Some(share) => write!(f, "{share:.3} ({} of {})", self.hits, self.of),
            None => write!(f, "n/a (0 of 0)"),
        }
    }
}

/// Each pair's first showing among `shown` to one of `audiences`.
fn first_shown(
    shown: &[ShownPair],
    audiences: &[Audience],
) -> HashMap<(Uuid, Uuid), DateTime<Utc>> {
    let mut first: HashMap<(Uuid, Uuid), DateTime<Utc>> = HashMap::new();
    for pair in shown.iter().filter(|p| audiences.contains(&p.audience)) {
        first
            .entry((pair.offer, pair.candidate))
            .and_modify(|at| *at = (*at).min(pair.first_shown))
            .or_insert(pair.first_shown);
    }
    first
}

fn by_pair(outcomes: &[PairOutcome]) -> HashMap<(Uuid, Uuid), &PairOutcome> {
    outcomes
        .iter()
        .map(|o| ((o.offer, o.candidate), o))
        .collect()
}

/// Apply-rate@10: of the pairs shown in a top 10 to one of `audiences`, those whose candidate
/// applied to the offer after the pair's first showing and within `window` of it.
pub fn apply_rate(
    shown: &[ShownPair],
    outcomes: &[PairOutcome],
    audiences: &[Audience],
    window: Duration,
) -> Rate {
    let outcomes = by_pair(outcomes);
    let first = first_shown(shown, audiences);
    let hits = first
        .iter()
        .filter(|(pair, at)| {
            outcomes
                .get(pair)
                .and_then(|o| o.applied)
                .is_some_and(|applied| applied >= **at && applied - **at <= window)
        })
        .count();
    Rate {
        hits: hits as u64,
        of: first.len() as u64,
    }
}

/// Of the pairs for which `outcome` happened at or after `since`, those shown in a top 10 (to
/// any audience) before it happened: e.g. the share of hires that were in a top 10.
pub fn found_in_top(
    shown: &[ShownPair],
    outcomes: &[PairOutcome],
    outcome: impl Fn(&PairOutcome) -> Option<DateTime<Utc>>,
    since: DateTime<Utc>,
) -> Rate {
    let first = first_shown(shown, &Audience::ALL);
    let mut rate = Rate::default();
    for (o, at) in outcomes.iter().filter_map(|o| outcome(o).map(|at| (o, at))) {
        if at < since {
            continue;
        }
        rate.of += 1;
        if first
            .get(&(o.offer, o.candidate))
            .is_some_and(|shown| *shown <= at)
        {
            rate.hits += 1;
        }
    }
    rate
}

/// The median time from a pair's first showing in a top 10 (any audience) to the candidate's
/// first application to the offer, over the pairs applied to after being shown.
pub fn median_time_to_application(
    shown: &[ShownPair],
    outcomes: &[PairOutcome],
) -> Option<Duration> {
    let first = first_shown(shown, &Audience::ALL);
    let mut delays: Vec<Duration> = outcomes
        .iter()
        .filter_map(|o| {
            let shown = first.get(&(o.offer, o.candidate))?;
            let applied = o.applied?;
            (applied >= *shown).then(|| applied - *shown)
        })
        .collect();
    if delays.is_empty() {
        return None;
    }
    delays.sort();
    let middle = delays.len() / 2;
    Some(if delays.len() % 2 == 1 {
        delays[middle]
    } else {
        (delays[middle - 1] + delays[middle]) / 2
    })
}

/// Top-10 places per candidate: in how many offers' company-facing top 10 each candidate shown
/// there was (each offer counted once), most exposed first.
pub fn exposure(shown: &[ShownPair]) -> Vec<u64> {
    let first = first_shown(shown, &[Audience::Company, Audience::SuggestionCompany]);
    let mut places: HashMap<Uuid, u64> = HashMap::new();
    for (_, candidate) in first.keys() {
        *places.entry(*candidate).or_default() += 1;
    }
    let mut places: Vec<u64> = places.into_values().collect();
    places.sort_unstable_by(|a, b| b.cmp(a));
    places
}

/// The Gini coefficient of `values`: 0 when all are equal, towards 1 when one holds everything
/// (`(n - 1) / n` exactly). 0 for no values or all zeros.
pub fn gini(values: &[u64]) -> f64 {
    let n = values.len() as f64;
    let total: f64 = values.iter().map(|v| *v as f64).sum();
    if values.is_empty() || total == 0.0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    // Σ (2i - n - 1) x_i over the values in ascending order, i from 1.
    let weighted: f64 = sorted
        .iter()
        .zip(1..)
        .map(|(x, i)| (2.0 * f64::from(i) - n - 1.0) * *x as f64)
        .sum();
    weighted / (n * total)
}

/// What the report command reads.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub since: DateTime<Utc>,
    /// How long after a showing an application still counts for apply-rate@10.
    pub window: Duration,
    pub counts: Vec<AudienceCount>,
    pub shown: Vec<ShownPair>,
    pub outcomes: Vec<PairOutcome>,
    /// Matchable candidates never in a company-facing top 10 (zeros of the exposure Gini).
    pub never_shown: u64,
}

/// The report's figures.
#[derive(Debug, Clone)]
pub struct Report {
    pub since: DateTime<Utc>,
    pub window: Duration,
    pub counts: Vec<AudienceCount>,
    pub apply_rate_company: Rate,
    pub apply_rate_candidate: Rate,
    pub apply_rate_all: Rate,
    pub hires_in_top: Rate,
    pub labels_in_top: Rate,
    pub interviews_in_top: Rate,
    pub median_to_application: Option<Duration>,
    /// Top-10 places of the candidates shown to companies, most exposed first.
    pub exposure: Vec<u64>,
    pub never_shown: u64,
    pub gini: f64,
}

/// Computes every figure.
pub fn report(inputs: &Inputs) -> Report {
    let (shown, outcomes) = (&inputs.shown, &inputs.outcomes);
    let rate = |audiences: &[Audience]| apply_rate(shown, outcomes, audiences, inputs.window);
    let exposure = exposure(shown);
    let mut places = exposure.clone();
    places.extend(std::iter::repeat_n(0, inputs.never_shown as usize));
    Report {
        since: inputs.since,
        window: inputs.window,
        counts: inputs.counts.clone(),
        apply_rate_company: rate(&[Audience::Company, Audience::SuggestionCompany]),
        apply_rate_candidate: rate(&[Audience::Candidate, Audience::SuggestionCandidate]),
        apply_rate_all: rate(&Audience::ALL),
        hires_in_top: found_in_top(shown, outcomes, |o| o.hired, inputs.since),
        labels_in_top: found_in_top(shown, outcomes, |o| o.labelled, inputs.since),
        interviews_in_top: found_in_top(shown, outcomes, |o| o.interviewed, inputs.since),
        median_to_application: median_time_to_application(shown, outcomes),
        gini: gini(&places),
        exposure,
        never_shown: inputs.never_shown,
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "impressions since {}", self.since.format("%Y-%m-%d"))?;
        for count in &self.counts {
            writeln!(
                f,
                "  {:<21} {:>8} impressions {:>9} items",
                count.audience.as_str(),
                count.impressions,
                count.items
            )?;
        }
        let days = self.window.num_days();
        writeln!(
            f,
            "apply-rate@{TOP} within {days} days of the first showing (pairs):"
        )?;
        writeln!(f, "  company-facing   {}", self.apply_rate_company)?;
        writeln!(f, "  candidate-facing {}", self.apply_rate_candidate)?;
        writeln!(f, "  any audience     {}", self.apply_rate_all)?;
        writeln!(f, "shown in a top {TOP} before it happened:")?;
        writeln!(f, "  interviews {}", self.interviews_in_top)?;
        writeln!(f, "  hires      {}", self.hires_in_top)?;
        writeln!(f, "  labels     {}", self.labels_in_top)?;
        match self.median_to_application {
            Some(delay) => writeln!(
                f,
                "median time from first showing to application: {:.1} days ({:.0} minutes)",
                delay.num_seconds() as f64 / 86_400.0,
                delay.num_seconds() as f64 / 60.0
            )?,
            None => writeln!(f, "median time from first showing to application: n/a")?,
        }
        let places: u64 = self.exposure.iter().sum();
        writeln!(
            f,
            "exposure: {places} top-{TOP} places (company-facing, one per offer) among {} \
             candidates shown, {} matchable never shown, most exposed in {} lists",
            self.exposure.len(),
            self.never_shown,
            self.exposure.first().copied().unwrap_or(0)
        )?;
        write!(
            f,
            "apply_rate@10 {} hires_in_top10 {} median_days_to_apply {} exposure_gini {:.3}",
            share(self.apply_rate_all),
            share(self.hires_in_top),
            self.median_to_application
                .map_or("n/a".to_owned(), |d| format!(
                    "{:.1}",
                    d.num_seconds() as f64 / 86_400.0
                )),
            self.gini
        )
    }
}

fn share(rate: Rate) -> String {
    rate.share()
        .map_or("n/a".to_owned(), |share| format!("{share:.3}"))
}

#[cfg(test)]
mod tests;
