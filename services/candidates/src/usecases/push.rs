//! A school's push of its students' profiles, in one batch or as a stream of messages. Each
//! message of rows is decided row by row ([`crate::domain::push`]) and applied in one
//! transaction with a handful of bulk statements: good rows land, bad rows are reported with
//! their position, field and rule, and a row equal to what is stored writes nothing and
//! publishes nothing. A message's counts are added to the push only once its transaction
//! committed, so what a school is told is counted is stored. The profiles a message creates
//! are counted against the school's quota in the same transaction ([`crate::domain::quota`]):
//! a message that would pass it is refused whole.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use vte_domain::{CandidateId, SchoolId};
use vte_service::auth::Caller;

use super::{Candidates, now};
use crate::access;
pub use crate::domain::limits::{MAX_ROWS_PER_BATCH, MAX_ROWS_PER_MESSAGE, MAX_ROWS_PER_STREAM};
use crate::domain::push::{CheckedMessage, PushCounts, PushSummary, PushedRow};
use crate::domain::quota::{NewProfileQuota, QuotaExceeded, QuotaPeriod};
use crate::domain::{Contact, Profile};
use crate::error::Error;
use crate::mapping;
use crate::store;

/// What bounds a school's pushes, from the `candidates` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushLimits {
    /// How long a push stream may go without a message (or without reading a reply).
    pub idle_timeout: Duration,
    /// The profiles a school may create per hour and per day.
    pub quota: NewProfileQuota,
}

impl Default for PushLimits {
    fn default() -> Self {
        crate::config::CandidatesSettings::default().push_limits()
    }
}

/// A streamed push under way: the school its first message named and what it did so far.
#[derive(Debug, Default)]
pub struct StreamedPush {
    school: Option<SchoolId>,
    summary: PushSummary,
}

impl StreamedPush {
    /// What the push did so far.
    pub fn counts(&self) -> PushCounts {
        self.summary.counts
    }

    /// The push is over: what it did.
    pub fn finish(self) -> PushSummary {
        let counts = self.summary.counts;
        tracing::info!(
            received = counts.received,
            created = counts.created,
            updated = counts.updated,
            unchanged = counts.unchanged,
            rejected = counts.rejected,
            "push done"
        );
        self.summary
    }
}

impl Candidates {
    /// These use cases with `limits` on pushes instead of the default ones.
    pub fn with_push_limits(mut self, limits: PushLimits) -> Self {
        self.push_limits = limits;
        self
    }

    /// The limits on pushes.
    pub fn push_limits(&self) -> PushLimits {
        self.push_limits
    }

    /// A push in one call: up to [`MAX_ROWS_PER_BATCH`] rows for `school` (a school may leave
    /// itself out; an operator names it).
    pub async fn push_batch(
        &self,
        caller: &Caller,
        school: Option<SchoolId>,
        rows: Vec<PushedRow>,
    ) -> Result<PushSummary, Error> {
        let school = access::school_scope(caller, school)?;
        check_rows(rows.len(), MAX_ROWS_PER_BATCH, "per batch")?;
        self.apply(school, rows, 1).await
    }

    /// The next message of a streamed push: up to [`MAX_ROWS_PER_MESSAGE`] rows, for the same
    /// school as the first message, [`MAX_ROWS_PER_STREAM`] in all. Returns the push's counts
    /// so far; a refused message ends the push.
    pub async fn push_message(
        &self,
        caller: &Caller,
        push: &mut StreamedPush,
        school: Option<SchoolId>,
        rows: Vec<PushedRow>,
    ) -> Result<PushCounts, Error> {
        let school = access::school_scope(caller, school)?;
        match push.school {
            None => push.school = Some(school),
            Some(first) if first != school => {
                return Err(Error::invalid(
                    "school_id",
                    "must be the same in every message of a stream",
                ));
            }
            Some(_) => {}
        }
        check_rows(rows.len(), MAX_ROWS_PER_MESSAGE, "per message")?;
        let received = push.summary.counts.received;
        if received as usize + rows.len() > MAX_ROWS_PER_STREAM as usize {
            return Err(Error::invalid(
                "rows",
                format!(
                    "at most {MAX_ROWS_PER_STREAM} rows per stream: open another stream for the \
                     rest"
                ),
            ));
        }
        let message = self.apply(school, rows, received + 1).await?;
        push.summary.add(message);
        Ok(push.summary.counts)
    }

    /// Decides and applies one message of rows in one transaction; positions count from
    /// `first_position`.
    async fn apply(
        &self,
        school: SchoolId,
        rows: Vec<PushedRow>,
        first_position: u32,
    ) -> Result<PushSummary, Error> {
        let now = now();
        let checked = CheckedMessage::check(rows, first_position);
        let refs = checked.refs();
        let mut tx = self.begin().await?;
        let existing = store::lock_by_refs(&mut tx, school, &refs).await?;
        // Read after the locks: an erasure (a request or the retention sweep) that held one of
        // these profiles has committed by now, so its reference is seen as erased instead of
        // being created anew.
        let erased = store::erased_refs_keyed(&mut tx, &self.ref_digest_key, school, &refs).await?;
        let plan = checked.plan(school, &erased, &existing, now);
        let (mut created, mut changed): (Vec<&Profile>, Vec<&Profile>) = (vec![], vec![]);
        for (profile, new) in &plan.revisions {
            if *new {
                created.push(profile);
            } else {
                changed.push(profile);
            }
        }
        self.count_new_profiles(&mut tx, school, created.len(), now)
            .await?;
        let contacts: Vec<(CandidateId, &Contact)> = plan
            .contacts
            .iter()
            .map(|(id, contact)| (*id, contact))
            .collect();
        let events: Vec<_> = plan
            .revisions
            .iter()
            .map(|(profile, new)| {
                mapping::profile_changed(profile, *new, &self.reference, self.programme_today())
            })
            .collect();
        store::insert_profiles(&mut tx, &created).await?;
        store::update_profiles(&mut tx, &changed).await?;
        store::upsert_contacts(&mut tx, &contacts, now).await?;
        vte_events::append_all(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(plan.summary)
    }
}

impl Candidates {
    /// Counts `created` new profiles against `school`'s quota of each period, in
    /// transaction `tx`; refuses them all if either period's limit would be passed.
    async fn count_new_profiles(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        school: SchoolId,
        created: usize,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if created == 0 {
            return Ok(());
        }
        let requested = u32::try_from(created).unwrap_or(u32::MAX);
        store::quota::forget_old_counters(tx, school, now).await?;
        for period in QuotaPeriod::ALL {
            let limit = self.push_limits.quota.limit(period);
            let start = period.start(now);
            let counted =
                store::quota::count_new_profiles(tx, school, period, start, requested, limit)
                    .await?;
            if counted.is_none() {
                let used = store::quota::new_profiles(tx, school, period, start).await?;
                tracing::info!(%school, period = period.as_str(), limit, used, requested, "school quota reached");
                return Err(Error::QuotaExceeded(QuotaExceeded {
                    period,
                    limit,
                    used,
                    requested,
                    resets_at: period.resets_at(now),
                }));
            }
        }
        Ok(())
    }
}

/// Refuses a message of `rows` rows unless it has 1 to `max`; checked before any row is
/// decoded.
pub fn check_rows(rows: usize, max: usize, unit: &str) -> Result<(), Error> {
    if rows == 0 || rows > max {
        return Err(Error::invalid(
            "rows",
            format!("1 to {max} rows {unit}, got {rows}"),
        ));
    }
    Ok(())
}
