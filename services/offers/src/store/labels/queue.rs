//! The rows the label's sweeps and Bpifrance's queue read: `label_cases` (where each requested
//! label stands, the window it was requested in, since when it waits for Bpifrance), the queue
//! by the last day of that window, and the reminders sent before a window closes (once per
//! threshold) with the placements the reminder sweep looks at.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;
use vte_domain::PlacementId;

use super::super::error::{StoreError, convert, corrupt};
use super::super::{Page, PageCursor, PageRequest};
use crate::domain::{LabelHistory, LabelStatus, LabelWindow};

/// Records where the placement's label stands after a step, with the window it was requested
/// in and since when it waits for Bpifrance (for the queue).
pub async fn save_label_case(
    conn: &mut PgConnection,
    placement: PlacementId,
    history: &LabelHistory,
    window: &LabelWindow,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO label_cases (placement_id, status, rule_set_id, window_months, closes_on,
             pending_since, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (placement_id) DO UPDATE SET status = EXCLUDED.status,
             rule_set_id = EXCLUDED.rule_set_id, window_months = EXCLUDED.window_months,
             closes_on = EXCLUDED.closes_on, pending_since = EXCLUDED.pending_since,
             updated_at = EXCLUDED.updated_at",
    )
    .bind(placement.as_uuid())
    .bind(history.status().as_str())
    .bind(window.rule_set_id.as_deref().unwrap_or_default())
    .bind(i32::from(window.months))
    .bind(window.closes_on)
    .bind(history.pending_since())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A page of the placements whose label awaits Bpifrance (REQUESTED or APPEALED), by the last
/// day of their window, then id. The cursor's instant is that day at midnight UTC.
pub async fn label_queue<'e>(
    executor: impl PgExecutor<'e>,
    page: PageRequest,
) -> Result<Page<PlacementId>, StoreError> {
    let after_day = page.after_at().map(|at| at.date_naive());
    let rows: Vec<(Uuid, NaiveDate)> = sqlx::query_as(
        "SELECT placement_id, closes_on FROM label_cases
         WHERE status IN ('REQUESTED', 'APPEALED')
           AND ($1::date IS NULL OR (closes_on, placement_id) > ($1, $2::uuid))
         ORDER BY closes_on, placement_id
         LIMIT $3",
    )
    .bind(after_day)
    .bind(page.after_id())
    .bind(page.fetch_limit())
    .fetch_all(executor)
    .await?;
    let found = page.page(rows, |(id, day)| PageCursor {
        at: day.and_time(NaiveTime::MIN).and_utc(),
        id: *id,
    });
    Ok(Page {
        items: found
            .items
            .into_iter()
            .map(|(id, _)| PlacementId::from_uuid(id))
            .collect(),
        next: found.next,
    })
}

/// Up to `limit` placements that started between `from` and `until` (inclusive), after the
/// `after` cursor (start date, id), have not ended early, have no label request, and whose
/// company has not had its last reminder (`last_days_before`): those the reminder sweep looks
/// at, by start date then id, with their start date (the next cursor).
pub async fn unrequested_started_between<'e>(
    executor: impl PgExecutor<'e>,
    from: NaiveDate,
    until: NaiveDate,
    last_days_before: u32,
    after: Option<(NaiveDate, PlacementId)>,
    limit: i64,
) -> Result<Vec<(NaiveDate, PlacementId)>, StoreError> {
    let rows: Vec<(NaiveDate, Uuid)> = sqlx::query_as(
        "SELECT p.start_date, p.id FROM placements p
         WHERE p.start_date BETWEEN $1 AND $2 AND p.status <> 'ENDED_EARLY'
           AND ($4::date IS NULL OR (p.start_date, p.id) > ($4, $5::uuid))
           AND NOT EXISTS (SELECT 1 FROM label_requests r WHERE r.placement_id = p.id)
           AND NOT EXISTS (SELECT 1 FROM label_request_reminders m
                           WHERE m.placement_id = p.id AND m.days_before = $3)
         ORDER BY p.start_date, p.id
         LIMIT $6",
    )
    .bind(from)
    .bind(until)
    .bind(convert::<i32, _>(last_days_before, "days_before")?)
    .bind(after.map(|(day, _)| day))
    .bind(after.map(|(_, id)| id.as_uuid()))
    .bind(limit)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(day, id)| (day, PlacementId::from_uuid(id)))
        .collect())
}

/// The reminder thresholds already sent for the placement.
pub async fn reminders_sent<'e>(
    executor: impl PgExecutor<'e>,
    placement: PlacementId,
) -> Result<Vec<u32>, StoreError> {
    let rows: Vec<(i32,)> =
        sqlx::query_as("SELECT days_before FROM label_request_reminders WHERE placement_id = $1")
            .bind(placement.as_uuid())
            .fetch_all(executor)
            .await?;
    rows.into_iter()
        .map(|(days,)| convert(days, "days_before"))
        .collect()
}

/// Records that the company was reminded at `days_before`; false when it already was (a
/// concurrent sweep): the caller then sends nothing.
pub async fn record_reminder(
    conn: &mut PgConnection,
    placement: PlacementId,
    days_before: u32,
    closes_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO label_request_reminders (placement_id, days_before, closes_on, reminded_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (placement_id, days_before) DO NOTHING",
    )
    .bind(placement.as_uuid())
    .bind(convert::<i32, _>(days_before, "days_before")?)
    .bind(closes_on)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Where a stored label case stands, for checks and tests.
pub async fn stored_label_status<'e>(
    executor: impl PgExecutor<'e>,
    placement: PlacementId,
) -> Result<Option<LabelStatus>, StoreError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT status FROM label_cases WHERE placement_id = $1")
            .bind(placement.as_uuid())
            .fetch_optional(executor)
            .await?;
    row.map(|(status,)| {
        LabelStatus::parse(&status).map_err(|e| corrupt(format!("label case {placement}"), e))
    })
    .transpose()
}
