//! The report's figures on small hand-made histories whose answers are counted by hand.

use chrono::TimeZone;

use super::*;

fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0)
        .single()
        .expect("a real time")
        + Duration::days(n)
}

fn shown(audience: Audience, offer: Uuid, candidate: Uuid, on: i64) -> ShownPair {
    ShownPair {
        audience,
        offer,
        candidate,
        first_shown: day(on),
    }
}

fn applied(offer: Uuid, candidate: Uuid, on: i64) -> PairOutcome {
    PairOutcome {
        offer,
        candidate,
        applied: Some(day(on)),
        ..PairOutcome::default()
    }
}

#[test]
fn the_gini_of_an_even_spread_is_zero() {
    assert_eq!(gini(&[3; 100]), 0.0);
    assert_eq!(gini(&[]), 0.0);
    assert_eq!(gini(&[0, 0, 0]), 0.0);
}

#[test]
fn the_gini_of_one_candidate_in_every_list_is_near_one() {
    // 36 offers, the same candidate first in each, 299 matchable candidates never shown.
    let mut places = vec![36];
    places.extend([0; 299]);
    let gini = gini(&places);
    assert!((gini - 299.0 / 300.0).abs() < 1e-12, "{gini}");
}

#[test]
fn the_gini_of_one_to_four_is_a_quarter() {
    // Σ|xi - xj| over ordered pairs = 20, 2 n² mean = 80.
    assert!((gini(&[4, 1, 3, 2]) - 0.25).abs() < 1e-12);
}

#[test]
fn an_application_counts_once_per_pair_after_the_showing_and_within_the_window() {
    let offer = Uuid::now_v7();
    let [a, b, c, d] = [(); 4].map(|()| Uuid::now_v7());
    let shown = [
        // a is shown twice to the company: one pair.
        shown(Audience::Company, offer, a, 0),
        shown(Audience::Company, offer, a, 2),
        shown(Audience::SuggestionCompany, offer, b, 0),
        shown(Audience::Company, offer, c, 0),
        shown(Audience::Candidate, offer, d, 1),
    ];
    let outcomes = [
        applied(offer, a, 3),  // 3 days after: counts
        applied(offer, b, 45), // after the 30 days' window
        applied(offer, c, -1), // before being shown
        applied(offer, d, 1),  // shown to the candidate the same day
    ];
    let window = Duration::days(30);
    let company = apply_rate(
        &shown,
        &outcomes,
        &[Audience::Company, Audience::SuggestionCompany],
        window,
    );
    assert_eq!(company, Rate { hits: 1, of: 3 });
    let candidate = apply_rate(&shown, &outcomes, &[Audience::Candidate], window);
    assert_eq!(candidate, Rate { hits: 1, of: 1 });
    assert_eq!(
        apply_rate(&shown, &outcomes, &Audience::ALL, window).share(),
        Some(0.5)
    );
}

#[test]
fn a_hire_counts_as_found_only_when_shown_in_a_top_ten_before_it() {
    let offer = Uuid::now_v7();
    let [a, b, c] = [(); 3].map(|()| Uuid::now_v7());
    let shown = [
        shown(Audience::Company, offer, a, 0),
        shown(Audience::Company, offer, b, 20),
    ];
    let hired = |candidate, on| PairOutcome {
        offer,
        candidate,
        hired: Some(day(on)),
        ..PairOutcome::default()
    };
    // a hired after being shown; b hired before; c never shown; an old hire before `since`.
    let outcomes = [
        hired(a, 10),
        hired(b, 15),
        hired(c, 12),
        hired(Uuid::now_v7(), -100),
    ];
    let rate = found_in_top(&shown, &outcomes, |o| o.hired, day(-30));
    assert_eq!(rate, Rate { hits: 1, of: 3 });
}

#[test]
fn the_median_time_to_application_is_the_middle_delay() {
    let offer = Uuid::now_v7();
    let [a, b, c, d] = [(); 4].map(|()| Uuid::now_v7());
    let shown = [
        shown(Audience::Company, offer, a, 0),
        shown(Audience::Candidate, offer, b, 0),
        shown(Audience::Company, offer, c, 0),
        shown(Audience::Company, offer, d, 5),
    ];
    let odd = [
        applied(offer, a, 1),
        applied(offer, b, 3),
        applied(offer, c, 10),
        applied(offer, d, 4),
    ];
    // d applied before being shown: left out.
    assert_eq!(
        median_time_to_application(&shown, &odd),
        Some(Duration::days(3))
    );
    let even = [applied(offer, a, 1), applied(offer, b, 3)];
    assert_eq!(
        median_time_to_application(&shown, &even),
        Some(Duration::days(2))
    );
    assert_eq!(median_time_to_application(&shown, &[]), None);
}

#[test]
fn exposure_counts_each_offer_once_per_candidate_and_pads_the_never_shown() {
    let [o1, o2, o3] = [(); 3].map(|()| Uuid::now_v7());
    let [a, b] = [(); 2].map(|()| Uuid::now_v7());
    let shown = [
        shown(Audience::Company, o1, a, 0),
        shown(Audience::Company, o1, a, 1),
        shown(Audience::SuggestionCompany, o2, a, 0),
        shown(Audience::Company, o3, b, 0),
        // Candidate-facing showings are not a company's top 10.
        shown(Audience::Candidate, o3, a, 0),
    ];
    assert_eq!(exposure(&shown), vec![2, 1]);
    let report = report(&Inputs {
        since: day(-1),
        window: Duration::days(30),
        counts: vec![],
        shown: shown.to_vec(),
        outcomes: vec![],
        never_shown: 2,
    });
    // [2, 1, 0, 0]: Σ|xi - xj| = 2·(1 + 2 + 2 + 1 + 1 + 0) = 14, 2 n² mean = 24.
    assert!((report.gini - 14.0 / 24.0).abs() < 1e-12, "{}", report.gini);
    let text = report.to_string();
    assert!(text.ends_with("exposure_gini 0.583"), "{text}");
}
