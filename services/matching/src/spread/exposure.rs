//! Which offers each candidate was shown for, and when last: the exposure the spread lowers
//! ([`super`]). Kept in memory, fed at once by the rankings this instance shows and, every
//! `matching.spread.refresh_seconds`, from the impressions every instance recorded (the first
//! `top` items of company-facing rankings, RankCandidates and suggestions, within the window),
//! so that a company's ranking a moment ago counts on the next. Pseudonymous ids and times
//! only; pairs older than the window are forgotten on each refresh.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use vte_domain::{CandidateId, OfferId};

use super::SpreadSettings;

/// Offers remembered per candidate at most: beyond, the penalty is saturated anyway, and the
/// oldest is forgotten.
const PER_CANDIDATE: usize = 64;

/// Pairs read from the impressions in one refresh at most.
const LOAD_LIMIT: i64 = 2_000_000;

/// The offers each candidate was shown for (in a company's first page), with when last.
#[derive(Debug, Default, Clone)]
pub struct Exposure {
    shown: HashMap<CandidateId, Vec<(OfferId, DateTime<Utc>)>>,
}

/// The exposure of one service instance, shared by its RPCs and its refresh task.
pub type SharedExposure = Arc<RwLock<Exposure>>;

impl Exposure {
    /// Notes that `candidates` were shown for `offer` at `at`.
    pub fn note(
        &mut self,
        offer: OfferId,
        candidates: impl IntoIterator<Item = CandidateId>,
        at: DateTime<Utc>,
    ) {
        for candidate in candidates {
            let offers = self.shown.entry(candidate).or_default();
            match offers.iter_mut().find(|(o, _)| *o == offer) {
                Some((_, last)) => *last = (*last).max(at),
                None => {
                    if offers.len() == PER_CANDIDATE
                        && let Some(oldest) = (0..offers.len()).min_by_key(|&n| offers[n].1)
                    {
                        offers.swap_remove(oldest);
                    }
                    offers.push((offer, at));
                }
            }
        }
    }

    /// How many offers other than `offer` `candidate` was shown for since `since`.
    pub fn others(&self, candidate: &CandidateId, offer: OfferId, since: DateTime<Utc>) -> u32 {
        self.shown.get(candidate).map_or(0, |offers| {
            let count = offers
                .iter()
                .filter(|(o, at)| *o != offer && *at >= since)
                .count();
            u32::try_from(count).unwrap_or(u32::MAX)
        })
    }

    /// Forgets what was shown before `since`.
    pub fn forget_before(&mut self, since: DateTime<Utc>) {
        self.shown.retain(|_, offers| {
            offers.retain(|(_, at)| *at >= since);
            !offers.is_empty()
        });
    }

    /// Candidates with something remembered.
    pub fn candidates(&self) -> usize {
        self.shown.len()
    }
}

/// The (offer, candidate, last shown) pairs of company-facing impressions since `since`, in
/// their first `top`.
pub async fn load(
    pool: &PgPool,
    since: DateTime<Utc>,
    top: u32,
) -> Result<Vec<(OfferId, CandidateId, DateTime<Utc>)>, sqlx::Error> {
    let rows: Vec<(Uuid, Uuid, DateTime<Utc>)> = sqlx::query_as(
        "SELECT it.offer_id, it.candidate_id, max(i.shown_at)
         FROM impressions i JOIN impression_items it USING (impression_id)
         WHERE i.audience IN ('COMPANY', 'SUGGESTION_COMPANY')
           AND i.shown_at >= $1 AND it.rank <= $2
         GROUP BY it.offer_id, it.candidate_id
         LIMIT $3",
    )
    .bind(since)
    .bind(i32::try_from(top).unwrap_or(i32::MAX))
    .bind(LOAD_LIMIT)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(offer, candidate, at)| {
            (
                OfferId::from_uuid(offer),
                CandidateId::from_uuid(candidate),
                at,
            )
        })
        .collect())
}

/// Refreshes `exposure` from the impressions at start, then every `refresh_seconds`, until
/// `stop`: adds what every instance showed, forgets what left the window. With impressions
/// not recorded, it only forgets. A failed round is logged; the next retries.
pub async fn refresh(
    pool: PgPool,
    exposure: SharedExposure,
    settings: SpreadSettings,
    from_impressions: bool,
    stop: CancellationToken,
) {
    let every = Duration::from_secs(u64::from(settings.refresh_seconds));
    loop {
        let since = Utc::now() - chrono::Duration::days(i64::from(settings.window_days));
        let loaded = if from_impressions {
            load(&pool, since, settings.top).await
        } else {
            Ok(Vec::new())
        };
        match loaded {
            Ok(pairs) => {
                let mut exposure = exposure.write().unwrap_or_else(PoisonError::into_inner);
                for (offer, candidate, at) in pairs {
                    exposure.note(offer, [candidate], at);
                }
                exposure.forget_before(since);
            }
            Err(error) => tracing::warn!(%error, "could not read exposure from impressions"),
        }
        if !vte_service::shutdown::pause(every, &stop).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(n: u128) -> CandidateId {
        CandidateId::from_uuid(Uuid::from_u128(n))
    }

    fn offer(n: u128) -> OfferId {
        OfferId::from_uuid(Uuid::from_u128(1_000 + n))
    }

    #[test]
    fn a_candidate_counts_the_other_offers_shown_for_within_the_window_once_each() {
        let now = Utc::now();
        let mut exposure = Exposure::default();
        exposure.note(offer(1), [candidate(1), candidate(2)], now);
        exposure.note(offer(2), [candidate(1)], now);
        exposure.note(offer(2), [candidate(1)], now); // the same company looking again
        exposure.note(offer(3), [candidate(1)], now - chrono::Duration::days(20));
        let since = now - chrono::Duration::days(14);
        assert_eq!(exposure.others(&candidate(1), offer(9), since), 2);
        // Its own offer never counts: a company looking again pushes nobody down.
        assert_eq!(exposure.others(&candidate(1), offer(1), since), 1);
        assert_eq!(exposure.others(&candidate(2), offer(1), since), 0);
        assert_eq!(exposure.others(&candidate(3), offer(1), since), 0);
        exposure.forget_before(since);
        assert_eq!(
            exposure.others(&candidate(1), offer(9), now - chrono::Duration::days(90)),
            2
        );
        assert_eq!(exposure.candidates(), 2);
    }

    #[test]
    fn a_candidate_keeps_a_bounded_number_of_offers_forgetting_the_oldest() {
        let now = Utc::now();
        let mut exposure = Exposure::default();
        for n in 0..100u32 {
            let at = now + chrono::Duration::seconds(i64::from(n));
            exposure.note(offer(u128::from(n)), [candidate(1)], at);
        }
        let all = now - chrono::Duration::days(1);
        assert_eq!(exposure.others(&candidate(1), offer(999), all), 64);
        // The newest are kept: offer 99 counts, offer 0 was forgotten.
        assert_eq!(exposure.others(&candidate(1), offer(99), all), 63);
        assert_eq!(exposure.others(&candidate(1), offer(0), all), 64);
    }
}
