//! The retention tests' fixtures: the service with its own sweep off and its use cases over the
//! same database, graduates of a given year living in Figeac, profiles aged by writing their
//! last change, and the events of a VTE.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use vte_candidates::Candidates;
use vte_candidates::config::CandidatesSettings;
use vte_domain::CandidateId;
use vte_proto::vte::candidates::v1::ProfileRow;
use vte_proto::vte::placements::v1::{
    Placement, PlacementCompleted, PlacementEvent, PlacementStarted, PlacementStatus,
    placement_event,
};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

use super::{Api, date, graduate, rules_dir};

/// The sweep's instant in these tests: early on 6 December 2026.
pub fn sweep_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 3, 0, 0).unwrap()
}

/// Ten in the morning (UTC) of a day.
pub fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 10, 0, 0).unwrap()
}

/// The service with its own sweep off (the tests sweep with their own clock), and its use
/// cases over the same database.
pub async fn service() -> (Api, Candidates, RuleBook) {
    let api = Api::start_with(CandidatesSettings {
        retention_sweep: false,
        ..CandidatesSettings::default()
    })
    .await;
    let reference = Arc::new(ReferenceData::load(&ReferenceData::default_dir()).unwrap());
    let candidates = Candidates::new(api.pool.clone(), reference, "2025-01");
    let rules = RuleBook::load(&rules_dir()).unwrap();
    (api, candidates, rules)
}

/// A graduate of `graduated` (year, month, day) living in Figeac.
pub fn graduate_of(school_ref: &str, graduated: (i32, i32, i32)) -> ProfileRow {
    ProfileRow {
        graduation_date: Some(date(graduated.0, graduated.1, graduated.2)),
        home_insee_code: "46102".to_owned(),
        ..graduate(school_ref)
    }
}

/// Writes when the profile and its contact data last changed.
pub async fn last_changed(
    api: &Api,
    candidate: CandidateId,
    profile: DateTime<Utc>,
    contact: DateTime<Utc>,
) {
    sqlx::query(
        "UPDATE profiles SET updated_at = $2, created_at = least(created_at, $2) WHERE id = $1",
    )
    .bind(candidate.as_uuid())
    .bind(profile)
    .execute(&api.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE contacts SET updated_at = $2 WHERE candidate_id = $1")
        .bind(candidate.as_uuid())
        .bind(contact)
        .execute(&api.pool)
        .await
        .unwrap();
}

pub async fn exists(api: &Api, candidate: CandidateId) -> bool {
    let profiles: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM profiles WHERE id = $1) \
              + (SELECT count(*) FROM contacts WHERE candidate_id = $1)",
    )
    .bind(candidate.as_uuid())
    .fetch_one(&api.pool)
    .await
    .unwrap();
    profiles > 0
}

/// An event of `candidate`'s VTE `placement`: started when `status` is ACTIVE, completed
/// otherwise, at `at`.
pub fn placement_event(
    placement: uuid::Uuid,
    candidate: CandidateId,
    status: PlacementStatus,
    at: DateTime<Utc>,
) -> PlacementEvent {
    let state = Some(Placement {
        id: placement.to_string(),
        candidate_id: candidate.to_string(),
        company_name: "Ratier-Figeac".to_owned(),
        status: status as i32,
        ..Placement::default()
    });
    let event = match status {
        PlacementStatus::Active => {
            placement_event::Event::Started(PlacementStarted { placement: state })
        }
        _ => placement_event::Event::Completed(PlacementCompleted { placement: state }),
    };
    PlacementEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: at.timestamp(),
            nanos: 0,
        }),
        placement_id: placement.to_string(),
        event: Some(event),
    }
}
