//! Impressions and outcomes against the running service (issue 15, item 8): a Figeac
//! technology offer and two Toulouse graduates; the rankings shown (RankCandidates, RankOffers,
//! suggestions) recorded with ids and numbers only, in rank order; an application, an
//! interview, a hire and a label of a ranked pair in the report's figures; erasure; retention.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Duration, Utc};
use common::fixtures::*;
use common::{Matching, PATIENCE};
use sqlx::PgPool;
use uuid::Uuid;
use vte_domain::{CandidateId, OfferId};
use vte_matching::impressions::report::{Rate, report};
use vte_matching::impressions::store::{self, Purged};
use vte_matching::impressions::{Audience, Impression, ImpressionItem, ImpressionSettings};
use vte_proto::vte::applications::v1::{
    ApplicationAccepted, ApplicationEvent, ApplicationStatus, ApplicationTransition,
    application_event,
};
use vte_proto::vte::candidates::v1::CandidateProfile;
use vte_proto::vte::common::v1::MissionType;
use vte_proto::vte::matching::v1::{
    RankCandidatesRequest, RankCandidatesResponse, RankOffersRequest, matching_event,
};
use vte_proto::vte::offers::v1::Offer;
use vte_proto::vte::placements::v1::{
    LabelDecision, LabelGranted, LabelOutcome, Placement, PlacementEvent, PlacementStarted,
    PlacementStatus, placement_event,
};
use vte_testbed::eventually;

const FIGEAC: &str = "46102";
const TOULOUSE: &str = "31555";

/// One impression's items as stored: rank, offer, candidate, score, components, weights.
type ItemRow = (i32, Uuid, Uuid, f32, Vec<f32>, Vec<f32>);

/// A Figeac offer and two Toulouse graduates (technology first, marketing second), both
/// ranked for it by its company.
async fn ranked_pair() -> (Matching, Offer, CandidateProfile, CandidateProfile) {
    let matching = Matching::start().await;
    let tech = graduate(TOULOUSE, 150, MissionType::Technologie);
    let marketing = graduate(TOULOUSE, 150, MissionType::Marketing);
    let offer = offer(FIGEAC, MissionType::Technologie);
    matching.deliver(&changed(&tech)).await;
    matching.deliver(&changed(&marketing)).await;
    matching.deliver(&published(&offer)).await;
    rank_until_both(&matching, &offer).await;
    (matching, offer, tech, marketing)
}

async fn rank(matching: &Matching, offer: &Offer) -> RankCandidatesResponse {
    let request = RankCandidatesRequest {
        offer_id: offer.id.clone(),
        limit: 0,
        filters: None,
    };
    matching
        .owner()
        .rank_candidates(request)
        .await
        .unwrap()
        .into_inner()
}

async fn rank_until_both(matching: &Matching, offer: &Offer) -> RankCandidatesResponse {
    eventually("both graduates ranked", PATIENCE, || async {
        let response = rank(matching, offer).await;
        (response.candidates.len() == 2).then_some(response)
    })
    .await
}

/// The items of the latest impression of `audience` about `subject` with `count` items, once
/// the writer has written it.
async fn latest_items(pool: &PgPool, audience: &str, subject: &str, count: i32) -> Vec<ItemRow> {
    let subject = Uuid::parse_str(subject).unwrap();
    eventually("the impression written", PATIENCE, || async {
        let rows: Vec<ItemRow> = sqlx::query_as(
            "SELECT it.rank, it.offer_id, it.candidate_id, it.score, it.components, it.weights
             FROM impression_items it WHERE it.impression_id = (
                 SELECT impression_id FROM impressions
                 WHERE audience = $1 AND subject_id = $2 AND item_count = $3
                 ORDER BY shown_at DESC LIMIT 1)
             ORDER BY it.rank",
        )
        .bind(audience)
        .bind(subject)
        .bind(count)
        .fetch_all(pool)
        .await
        .unwrap();
        (!rows.is_empty()).then_some(rows)
    })
    .await
}

async fn count(pool: &PgPool, sql: &'static str, id: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(Uuid::parse_str(id).unwrap())
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_company_ranking_is_recorded_in_rank_order_with_ids_and_numbers_only() {
    let (matching, offer, tech, marketing) = ranked_pair().await;
    let response = rank(&matching, &offer).await;

    let items = latest_items(&matching.pool, "COMPANY", &offer.id, 2).await;
    let ranks: Vec<i32> = items.iter().map(|item| item.0).collect();
    assert_eq!(ranks, vec![1, 2]);
    let shown: Vec<String> = items.iter().map(|item| item.2.to_string()).collect();
    assert_eq!(shown, vec![tech.id.clone(), marketing.id.clone()]);
    for ((_, offer_id, _, score, components, weights), ranked) in
        items.iter().zip(&response.candidates)
    {
        assert_eq!(offer_id.to_string(), offer.id);
        // The reply rounds scores to 4 decimals.
        assert!(
            (f64::from(*score) - ranked.score).abs() < 1e-4,
            "{score} vs {}",
            ranked.score
        );
        // Every component the company reads, and the score their weighted sum.
        let explained = ranked.explanation.as_ref().unwrap().components.len();
        assert_eq!((components.len(), weights.len()), (explained, explained));
        let sum: f32 = components.iter().zip(weights).map(|(v, w)| v * w).sum();
        assert!((sum - score).abs() < 1e-3, "{sum} vs {score}");
    }
    let version: String = sqlx::query_scalar(
        "SELECT rules_version FROM impressions WHERE audience = 'COMPANY' LIMIT 1",
    )
    .fetch_one(&matching.pool)
    .await
    .unwrap();
    assert!(version.starts_with("scoring-2/"), "{version}");
    assert!(
        version.contains("/vte-"),
        "names the scheme's rule set: {version}"
    );

    // The suggestion the publication made is recorded too, with the pairs the event carries.
    let suggested = eventually("the suggestion event", PATIENCE, || async {
        matching
            .matching_events()
            .await
            .into_iter()
            .find_map(|event| match event.event {
                Some(matching_event::Event::CandidatesSuggested(s)) => Some(s),
                _ => None,
            })
    })
    .await;
    let count = i32::try_from(suggested.candidates.len()).unwrap();
    let items = latest_items(&matching.pool, "SUGGESTION_COMPANY", &offer.id, count).await;
    let recorded: Vec<String> = items.iter().map(|item| item.2.to_string()).collect();
    let sent: Vec<String> = suggested
        .candidates
        .iter()
        .map(|c| c.candidate_id.clone())
        .collect();
    assert_eq!(recorded, sent);

    // Ids, times and numbers only: the columns are these, and nothing the profiles say
    // (field of study, skills, school reference, commune, school) is in any row.
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT table_name || '.' || column_name FROM information_schema.columns
         WHERE table_name IN ('impressions', 'impression_items', 'outcomes')
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&matching.pool)
    .await
    .unwrap();
    assert_eq!(
        columns,
        [
            "impression_items.impression_id",
            "impression_items.rank",
            "impression_items.offer_id",
            "impression_items.candidate_id",
            "impression_items.score",
            "impression_items.components",
            "impression_items.weights",
            "impressions.impression_id",
            "impressions.shown_at",
            "impressions.audience",
            "impressions.subject_id",
            "impressions.rules_version",
            "impressions.item_count",
            "outcomes.offer_id",
            "outcomes.candidate_id",
            "outcomes.applied_at",
            "outcomes.interviewed_at",
            "outcomes.hired_at",
            "outcomes.labelled_at",
        ]
    );
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT row_to_json(i)::text FROM impressions i
         UNION ALL SELECT row_to_json(it)::text FROM impression_items it",
    )
    .fetch_all(&matching.pool)
    .await
    .unwrap();
    for row in &rows {
        for personal in ["génie", "Solidworks", "etu-", TOULOUSE, &tech.school_id] {
            assert!(!row.contains(personal), "{personal} in {row}");
        }
    }
}

/// The application `applied` carries, accepted after an interview: submitted now, interviewed
/// a second later, accepted two seconds later.
fn accepted(applied: &ApplicationEvent) -> (ApplicationEvent, Placement) {
    let Some(application_event::Event::Submitted(submitted)) = &applied.event else {
        panic!("a submission")
    };
    let mut application = submitted.application.clone().unwrap();
    let now = Utc::now();
    let at = |seconds_later: i64| {
        let t = now + Duration::seconds(seconds_later);
        Some(prost_types::Timestamp {
            seconds: t.timestamp(),
            nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap(),
        })
    };
    let step =
        |from: ApplicationStatus, to: ApplicationStatus, seconds_later| ApplicationTransition {
            from: from as i32,
            to: to as i32,
            at: at(seconds_later),
            ..ApplicationTransition::default()
        };
    use ApplicationStatus::*;
    application.status = Accepted as i32;
    application.revision = 3;
    application.submitted_at = at(0);
    application.transitions = vec![
        step(Unspecified, Submitted, 0),
        step(Submitted, Interview, 1),
        step(Interview, Accepted, 2),
    ];
    let placement = Placement {
        id: Uuid::now_v7().to_string(),
        application_id: application.id.clone(),
        offer_id: application.offer_id.clone(),
        candidate_id: application.candidate_id.clone(),
        status: PlacementStatus::Active as i32,
        created_at: at(2),
        revision: 1,
        ..Placement::default()
    };
    let event = ApplicationEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: at(2),
        application_id: application.id.clone(),
        event: Some(application_event::Event::Accepted(ApplicationAccepted {
            application: Some(application),
        })),
    };
    (event, placement)
}

fn placement_event(placement: &Placement, event: placement_event::Event) -> PlacementEvent {
    PlacementEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        placement_id: placement.id.clone(),
        event: Some(event),
    }
}

#[tokio::test]
async fn an_application_interview_hire_and_label_of_a_ranked_candidate_show_in_the_report() {
    let (matching, offer, tech, _marketing) = ranked_pair().await;
    latest_items(&matching.pool, "COMPANY", &offer.id, 2).await;

    // The technology graduate applies, is interviewed and hired; Bpifrance labels the VTE.
    let applied = applied(&offer, &tech);
    matching.deliver(&applied).await;
    let (accepted, placement) = accepted(&applied);
    matching.deliver(&accepted).await;
    let started = placement_event::Event::Started(PlacementStarted {
        placement: Some(placement.clone()),
    });
    matching
        .deliver(&placement_event(&placement, started))
        .await;
    let granted = placement_event::Event::LabelGranted(LabelGranted {
        placement: Some(placement.clone()),
        decision: Some(LabelDecision {
            id: Uuid::now_v7().to_string(),
            placement_id: placement.id.clone(),
            candidate_id: tech.id.clone(),
            outcome: LabelOutcome::Granted as i32,
            decided_at: Some(vte_events::now_timestamp()),
            ..LabelDecision::default()
        }),
    });
    matching
        .deliver(&placement_event(&placement, granted))
        .await;

    let since = Utc::now() - Duration::days(1);
    let inputs = store::report_inputs(&matching.pool, since, Duration::days(30))
        .await
        .unwrap();
    let figures = report(&inputs);
    // Both pairs were shown to the company (ranked and suggested); one was applied to.
    assert_eq!(figures.apply_rate_company, Rate { hits: 1, of: 2 });
    // Whoever else saw them (the graduates may be told of the new offer), two pairs in all.
    assert_eq!(figures.apply_rate_all, Rate { hits: 1, of: 2 });
    assert_eq!(figures.interviews_in_top, Rate { hits: 1, of: 1 });
    assert_eq!(figures.hires_in_top, Rate { hits: 1, of: 1 });
    assert_eq!(figures.labels_in_top, Rate { hits: 1, of: 1 });
    // First shown at the publication, seconds before the application.
    let delay = figures.median_to_application.unwrap();
    assert!(
        delay >= Duration::zero() && delay < Duration::minutes(5),
        "{delay}"
    );
    // Each graduate in the one offer's top 10: an even spread.
    assert_eq!(figures.exposure, vec![1, 1]);
    assert_eq!((figures.never_shown, figures.gini), (0, 0.0));
    let text = figures.to_string();
    assert!(text.contains("hires      1.000 (1 of 1)"), "{text}");
}

#[tokio::test]
async fn erasing_a_candidate_deletes_their_places_in_rankings_and_their_outcomes() {
    let (matching, offer, tech, marketing) = ranked_pair().await;
    latest_items(&matching.pool, "COMPANY", &offer.id, 2).await;
    // The graduate ranks offers themself, and applies.
    let request = RankOffersRequest {
        candidate_id: String::new(),
        limit: 10,
        filters: None,
    };
    let own = matching
        .candidate(candidate_id(&tech))
        .rank_offers(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.offers.len(), 1);
    let items = latest_items(&matching.pool, "CANDIDATE", &tech.id, 1).await;
    assert_eq!(items[0].1.to_string(), offer.id);
    matching.deliver(&applied(&offer, &tech)).await;
    let outcomes = "SELECT count(*) FROM outcomes WHERE candidate_id = $1";
    assert_eq!(count(&matching.pool, outcomes, &tech.id).await, 1);

    matching.deliver(&erased(&tech, Uuid::now_v7())).await;
    let places = "SELECT count(*) FROM impression_items WHERE candidate_id = $1";
    let shown_to = "SELECT count(*) FROM impressions WHERE subject_id = $1";
    assert_eq!(count(&matching.pool, places, &tech.id).await, 0);
    assert_eq!(count(&matching.pool, shown_to, &tech.id).await, 0);
    assert_eq!(count(&matching.pool, outcomes, &tech.id).await, 0);
    // The other graduate's places stay, and a late application of the erased one is not kept.
    assert!(count(&matching.pool, places, &marketing.id).await >= 1);
    matching.deliver(&applied(&offer, &tech)).await;
    assert_eq!(count(&matching.pool, outcomes, &tech.id).await, 0);
}

fn shown(days_ago: i64, candidate: CandidateId) -> Impression {
    Impression {
        id: Uuid::now_v7(),
        shown_at: Utc::now() - Duration::days(days_ago),
        audience: Audience::Company,
        subject: Uuid::now_v7(),
        rules_version: "scoring-1/test".into(),
        items: vec![ImpressionItem {
            rank: 1,
            offer: OfferId::new(),
            candidate,
            score: 0.8,
            components: vec![1.0; 8],
            weights: vec![0.125; 8],
        }],
    }
}

#[tokio::test]
async fn the_retention_sweep_purges_impressions_past_400_days_and_rows_of_erased_candidates() {
    let matching = Matching::start().await;
    let pool = &matching.pool;
    // The default retention, 400 days: one impression a day older, one a day younger.
    let retention = i64::from(ImpressionSettings::default().retention_days);
    assert_eq!(retention, 400);
    let old = shown(retention + 1, CandidateId::new());
    let recent = shown(retention - 1, CandidateId::new());
    // A candidate erased while a batch naming them was on its way: the batch leaves them out.
    let erased = CandidateId::new();
    sqlx::query("INSERT INTO erased_candidates (candidate_id, erased_at) VALUES ($1, now())")
        .bind(erased.as_uuid())
        .execute(pool)
        .await
        .unwrap();
    let late = shown(1, erased);
    let mut conn = pool.acquire().await.unwrap();
    store::insert(&mut conn, &[old.clone(), recent.clone(), late.clone()])
        .await
        .unwrap();
    let places = "SELECT count(*) FROM impression_items WHERE candidate_id = $1";
    assert_eq!(count(pool, places, &erased.to_string()).await, 0);
    // ... and a row written by a batch that raced with the erasure goes at the next sweep.
    sqlx::query(
        "INSERT INTO impression_items (impression_id, rank, offer_id, candidate_id, score,
             components, weights) VALUES ($1, 2, $2, $3, 0.5, '{}', '{}')",
    )
    .bind(late.id)
    .bind(Uuid::now_v7())
    .bind(erased.as_uuid())
    .execute(pool)
    .await
    .unwrap();
    for (days_ago, candidate) in [(retention + 1, Uuid::now_v7()), (10, Uuid::now_v7())] {
        sqlx::query(
            "INSERT INTO outcomes (offer_id, candidate_id, applied_at)
             VALUES ($1, $2, now() - make_interval(days => $3::int4))",
        )
        .bind(Uuid::now_v7())
        .bind(candidate)
        .bind(days_ago)
        .execute(pool)
        .await
        .unwrap();
    }

    let purged = store::purge(pool, Utc::now() - Duration::days(retention), 10_000)
        .await
        .unwrap();
    assert_eq!(
        purged,
        Purged {
            impressions: 1,
            outcomes: 1,
            erased_rows: 1
        }
    );
    let left: Vec<Uuid> =
        sqlx::query_scalar("SELECT impression_id FROM impressions ORDER BY shown_at")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(left, vec![recent.id, late.id]);
    assert_eq!(count(pool, places, &erased.to_string()).await, 0);
    let outcomes: i64 = sqlx::query_scalar("SELECT count(*) FROM outcomes")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(outcomes, 1);
}
