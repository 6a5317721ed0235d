//! The lists an offer's company and a candidate's side both read (applications, invitations):
//! whose records a list asks for ([`ListScope`]), and the one runner of a list page's query, so
//! each aggregate's store writes only its SQL and its row conversion.

use sqlx::PgExecutor;
use sqlx::postgres::PgRow;
use uuid::Uuid;
use vte_domain::{CandidateId, OfferId};

use super::error::StoreError;
use super::{Page, PageCursor, PageRequest};

/// Whose records a list asks for: the decoded scope of ListApplications and ListInvitations,
/// which the use cases check and the store reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    /// The records of this offer (for its company).
    Offer(OfferId),
    /// This candidate's records (for them and their school).
    Candidate(CandidateId),
}

impl ListScope {
    /// The query that reads this scope, `by_offer` or `by_candidate` (each binds the id as `$1`),
    /// with the id to bind.
    pub(super) fn query(
        self,
        by_offer: &'static str,
        by_candidate: &'static str,
    ) -> (&'static str, Uuid) {
        match self {
            Self::Offer(id) => (by_offer, id.as_uuid()),
            Self::Candidate(id) => (by_candidate, id.as_uuid()),
        }
    }
}

/// One page of a list query, most recently changed first. `sql` binds `$1` the scope's id
/// (`key`), `$2` the statuses wanted (empty: all), `$3`/`$4` the page's cursor and `$5` its
/// fetch limit; each row becomes its record through `into`, whose place in the order `cursor`
/// gives.
pub(super) async fn fetch_page<'e, R, T>(
    executor: impl PgExecutor<'e>,
    (sql, key): (&'static str, Uuid),
    statuses: Vec<&str>,
    page: PageRequest,
    into: fn(R) -> Result<T, StoreError>,
    cursor: fn(&T) -> PageCursor,
) -> Result<Page<T>, StoreError>
where
    R: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    let rows: Vec<R> = sqlx::query_as(sql)
        .bind(key)
        .bind(statuses)
        .bind(page.after_at())
        .bind(page.after_id())
        .bind(page.fetch_limit())
        .fetch_all(executor)
        .await?;
    let items = rows.into_iter().map(into).collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(items, cursor))
}
