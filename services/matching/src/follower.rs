//! Keeps the in-memory index equal to the read model: [`load`] builds it from the tables at
//! start-up; [`Follower::follow`] then applies every aggregate the journal (`index_changes`)
//! names, woken by the NOTIFY each handler's transaction sends when it commits, or at the latest
//! every [`POLL`]. A change is visible to ranking well within a second of its commit, on every
//! instance of the service, whichever instance consumed the event.
//!
//! Suggestions cannot wait for that second: an offer published just after a profile became
//! matchable must find it. The suggesting use cases call [`Follower::catch_up`] before they
//! rank, which applies everything committed so far, under a transaction-scoped advisory lock
//! that every suggesting handler of every instance takes first: of two handlers suggesting at
//! the same time (an offer on one instance, a profile on another), the second waits for the
//! first to commit, then sees its change.
//!
//! Journal numbers come from a sequence, so a number may appear after a higher one has been
//! read (two transactions committing out of order): numbers skipped are re-read for a minute
//! before being taken for rolled back. Applying a change reloads the aggregate's current rows,
//! so applying one twice or late is harmless.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use prost::Message as _;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use vte_proto::vte::offers::v1::Offer;
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

use crate::domain::{CandidateModel, OfferModel};
use crate::index::{Index, SharedIndex};
use crate::mapping;
use crate::store::{self, CHANGES_CHANNEL, Changed};
use vte_domain::{CandidateId, OfferId};

/// The longest wait between two looks at the journal.
pub const POLL: Duration = Duration::from_millis(250);
/// How long a skipped journal number is waited for.
const GAP_PATIENCE: Duration = Duration::from_secs(60);
/// How long journal entries are kept.
const JOURNAL_KEPT: Duration = Duration::from_secs(3600);
/// Profiles loaded per query at start-up.
const LOAD_BATCH: i64 = 20_000;
/// Entries before the start-up snapshot read again, for transactions that committed late.
const RELOAD_SLACK: i64 = 1_000;

/// Where the follower is in the journal.
#[derive(Debug, Clone, Default)]
pub struct Cursor {
    last: i64,
    gaps: Vec<(i64, Instant)>,
}

/// Builds the index from the read model, in one snapshot; returns it with the journal position
/// to follow from.
pub async fn load(
    pool: &PgPool,
    reference: &ReferenceData,
    rules: &RuleBook,
) -> Result<(Index, Cursor), sqlx::Error> {
    let mut index = Index::new(reference);
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let last = store::last_change(&mut tx).await?;
    for bytes in store::load_open_offers(&mut tx).await? {
        match Offer::decode(bytes.as_slice())
            .map_err(|e| e.to_string())
            .and_then(|o| mapping::offer_model(&o, reference, rules))
        {
            Ok(offer) => index.upsert_offer(offer),
            Err(reason) => tracing::error!(%reason, "an offer of the read model cannot be indexed"),
        }
    }
    let mut after = Uuid::nil();
    loop {
        let rows = store::load_profiles(&mut tx, after, LOAD_BATCH).await?;
        let Some(last_row) = rows.last() else {
            break;
        };
        after = last_row.candidate_id;
        for row in rows {
            match row.into_model(reference) {
                Ok(candidate) => index.upsert_candidate(candidate),
                Err(reason) => {
                    tracing::error!(%reason, "a profile of the read model cannot be indexed")
                }
            }
        }
    }
    tx.commit().await?;
    let (candidates, offers) = index.len();
    tracing::info!(candidates, offers, "matching index loaded");
    Ok((
        index,
        Cursor {
            last: (last - RELOAD_SLACK).max(0),
            gaps: Vec::new(),
        },
    ))
}

/// The index and where it is in the journal, shared by the follower's loop and the handlers.
#[derive(Debug)]
pub struct Follower {
    pool: PgPool,
    index: SharedIndex,
    reference: Arc<ReferenceData>,
    rules: Arc<RuleBook>,
    cursor: tokio::sync::Mutex<Cursor>,
}

impl Follower {
    /// A follower of the journal from `cursor` (as [`load`] returned it) into `index`.
    pub fn new(
        pool: PgPool,
        index: SharedIndex,
        reference: Arc<ReferenceData>,
        rules: Arc<RuleBook>,
        cursor: Cursor,
    ) -> Arc<Self> {
        Arc::new(Self {
            pool,
            index,
            reference,
            rules,
            cursor: tokio::sync::Mutex::new(cursor),
        })
    }

    /// The index this follower keeps.
    pub fn index(&self) -> &SharedIndex {
        &self.index
    }

    /// The scheme's rules offers are read against.
    pub fn rules(&self) -> &Arc<RuleBook> {
        &self.rules
    }

    /// The read model this follower reads.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies every change committed so far; returns how many aggregates it reloaded.
    pub async fn catch_up(&self) -> Result<usize, sqlx::Error> {
        let mut cursor = self.cursor.lock().await;
        let mut reloaded = 0;
        loop {
            let (applied, more) = refresh(
                &self.pool,
                &self.index,
                &self.reference,
                &self.rules,
                &mut cursor,
            )
            .await?;
            reloaded += applied;
            if !more {
                return Ok(reloaded);
            }
        }
    }

    /// Follows the journal until `stop`.
    pub async fn follow(self: Arc<Self>, stop: CancellationToken) {
        let mut listener = match PgListener::connect_with(&self.pool).await {
            Ok(mut listener) => match listener.listen(CHANGES_CHANNEL).await {
                Ok(()) => Some(listener),
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for index changes; polling only");
                    None
                }
            },
            Err(error) => {
                tracing::warn!(%error, "cannot listen for index changes; polling only");
                None
            }
        };
        let mut pruned = Instant::now();
        loop {
            if let Err(error) = self.catch_up().await {
                tracing::warn!(%error, "index refresh failed; retrying");
            }
            if pruned.elapsed() > Duration::from_secs(600) {
                pruned = Instant::now();
                if let Err(error) = store::prune_changes(&self.pool, JOURNAL_KEPT).await {
                    tracing::warn!(%error, "cannot prune the index journal");
                }
            }
            let woken = async {
                match listener.as_mut() {
                    Some(listener) => {
                        if listener.recv().await.is_err() {
                            tokio::time::sleep(POLL).await;
                        }
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = woken => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

/// Applies a page of journal entries after the cursor (and any skipped number that appeared);
/// returns how many aggregates it reloaded and whether more entries may follow.
async fn refresh(
    pool: &PgPool,
    index: &SharedIndex,
    reference: &ReferenceData,
    rules: &RuleBook,
    cursor: &mut Cursor,
) -> Result<(usize, bool), sqlx::Error> {
    let gaps: Vec<i64> = cursor.gaps.iter().map(|(seq, _)| *seq).collect();
    let entries = store::changes(pool, cursor.last, &gaps).await?;
    let more = entries.len() as i64 >= store::CHANGES_PAGE;
    let mut seen = HashSet::new();
    let mut changed = Vec::new();
    let mut expected = cursor.last + 1;
    for (seq, aggregate) in &entries {
        if *seq > cursor.last {
            // Numbers between the previous and this one may still commit.
            for missing in expected..*seq {
                if cursor.gaps.len() < 10_000 {
                    cursor.gaps.push((missing, Instant::now()));
                }
            }
            expected = seq + 1;
        }
        cursor.gaps.retain(|(gap, _)| gap != seq);
        if seen.insert(*aggregate) {
            changed.push(*aggregate);
        }
    }
    cursor.last = cursor.last.max(expected - 1);
    cursor
        .gaps
        .retain(|(_, since)| since.elapsed() < GAP_PATIENCE);
    apply(pool, index, reference, rules, &changed).await?;
    Ok((changed.len(), more))
}

/// Reloads these aggregates' rows into the index, in one query per kind: what has a readable
/// row is put in, the rest taken out.
async fn apply(
    pool: &PgPool,
    index: &SharedIndex,
    reference: &ReferenceData,
    rules: &RuleBook,
    changed: &[Changed],
) -> Result<(), sqlx::Error> {
    let (mut offer_ids, mut candidate_ids) = (Vec::new(), Vec::new());
    for aggregate in changed {
        match aggregate {
            Changed::Offer(id) => offer_ids.push(*id),
            Changed::Candidate(id) => candidate_ids.push(*id),
        }
    }
    let mut offers: HashMap<OfferId, OfferModel> = HashMap::new();
    if !offer_ids.is_empty() {
        for (id, bytes) in store::load_offers(pool, &offer_ids).await? {
            let model = Offer::decode(bytes.as_slice())
                .ok()
                .and_then(|offer| mapping::offer_model(&offer, reference, rules).ok());
            if let Some(model) = model {
                offers.insert(id, model);
            }
        }
    }
    let mut candidates: HashMap<CandidateId, CandidateModel> = HashMap::new();
    if !candidate_ids.is_empty() {
        for row in store::load_profiles_of(pool, &candidate_ids).await? {
            let id = CandidateId::from_uuid(row.candidate_id);
            if let Ok(model) = row.into_model(reference) {
                candidates.insert(id, model);
            }
        }
    }
    let mut index = index
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for id in offer_ids {
        match offers.remove(&id) {
            Some(model) => index.upsert_offer(model),
            None => index.remove_offer(&id),
        }
    }
    for id in candidate_ids {
        match candidates.remove(&id) {
            Some(model) => index.upsert_candidate(model),
            None => index.remove_candidate(&id),
        }
    }
    Ok(())
}
