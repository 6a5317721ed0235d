//! The read model in PostgreSQL (`migrations/1000_read_model.sql`): offers with their last
//! state, candidates with what decides whether they are matchable and, for matchable ones, their
//! profile in columns; applications; pairs already suggested; and the journal of changes the
//! index follows. Writes take the handler's transaction; each guard on revision means an older
//! or repeated event never overwrites a newer one.

mod candidates;
mod offers;
mod pairs;

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;
use vte_domain::{CandidateId, OfferId};

pub use candidates::{
    CandidateState, ProfileRow, erase_candidate, insert_profiles, is_erased, load_candidate,
    load_profile, load_profiles, load_profiles_of, lock_candidate, write_candidate,
};
pub use offers::{OfferRow, Recorded, load_offer, load_offers, load_open_offers, record_offer};
pub use pairs::{
    applicants, application_counts, lock_suggestions, record_application, record_suggestions,
    suggested_candidates, suggested_offers,
};

/// The consumer runner's transaction, in which an event is applied.
pub type Tx = Transaction<'static, Postgres>;

/// A revision as stored (the contract's are below `i64::MAX`; larger ones are refused earlier).
fn revision(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The NOTIFY channel that wakes the index follower when a change commits.
pub const CHANGES_CHANNEL: &str = "vte_matching_index";

/// What the index follows: an aggregate whose rows changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Changed {
    Offer(OfferId),
    Candidate(CandidateId),
}

/// Journals a change for the index followers; they are woken when the transaction commits.
pub async fn record_change(tx: &mut Tx, changed: Changed) -> Result<(), sqlx::Error> {
    let (aggregate, id) = match changed {
        Changed::Offer(id) => ("offer", id.as_uuid()),
        Changed::Candidate(id) => ("candidate", id.as_uuid()),
    };
    sqlx::query(
        "WITH journal AS (INSERT INTO index_changes (aggregate, aggregate_id) VALUES ($1, $2))
         SELECT pg_notify($3, '')",
    )
    .bind(aggregate)
    .bind(id)
    .bind(CHANGES_CHANNEL)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Journal entries read at a time.
pub const CHANGES_PAGE: i64 = 10_000;

/// Up to [`CHANGES_PAGE`] journal entries after `cursor`, plus the entries at `gaps` (numbers
/// skipped earlier, which may belong to transactions that had not committed yet), in order.
pub async fn changes(
    pool: &PgPool,
    cursor: i64,
    gaps: &[i64],
) -> Result<Vec<(i64, Changed)>, sqlx::Error> {
    let rows: Vec<(i64, String, Uuid)> = sqlx::query_as(
        "SELECT seq, aggregate, aggregate_id FROM index_changes
         WHERE seq > $1 OR seq = ANY($2) ORDER BY seq LIMIT $3",
    )
    .bind(cursor)
    .bind(gaps)
    .bind(CHANGES_PAGE)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, aggregate, id)| {
            let changed = if aggregate == "offer" {
                Changed::Offer(OfferId::from_uuid(id))
            } else {
                Changed::Candidate(CandidateId::from_uuid(id))
            };
            (seq, changed)
        })
        .collect())
}

/// The last journal entry, 0 when empty.
pub async fn last_change(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM index_changes")
        .fetch_one(conn)
        .await
}

/// Forgets journal entries older than `age`.
pub async fn prune_changes(pool: &PgPool, age: std::time::Duration) -> Result<u64, sqlx::Error> {
    let seconds = age.as_secs_f64();
    Ok(sqlx::query(
        "DELETE FROM index_changes WHERE recorded_at < now() - make_interval(secs => $1)",
    )
    .bind(seconds)
    .execute(pool)
    .await?
    .rows_affected())
}
