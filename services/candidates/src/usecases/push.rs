//! A school's push of its students' profiles, in one batch or as a stream of messages. Each
//! message of rows is decided row by row ([`crate::domain::push`]) and applied in one
//! transaction with a handful of bulk statements: good rows land, bad rows are reported with
//! their position, field and rule, and a row equal to what is stored writes nothing and
//! publishes nothing. A message's counts are added to the push only once its transaction
//! committed, so what a school is told is counted is stored.

use vte_domain::{CandidateId, SchoolId};
use vte_service::auth::Caller;

use super::{Candidates, now};
use crate::access;
use crate::domain::push::{CheckedMessage, PushCounts, PushSummary, PushedRow};
use crate::domain::{Contact, Profile};
use crate::error::Error;
use crate::mapping;
use crate::store;

/// Rows in one message of a streamed push.
pub const MAX_ROWS_PER_MESSAGE: usize = 500;
/// Rows in one batch call.
pub const MAX_ROWS_PER_BATCH: usize = 1_000;
/// Rows in one stream.
pub const MAX_ROWS_PER_STREAM: u32 = 200_000;

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
    /// A push in one call: up to [`MAX_ROWS_PER_BATCH`] rows for `school` (a school may leave
    /// itself out; an operator names it).
    pub async fn push_batch(
        &self,
        caller: &Caller,
        school: Option<SchoolId>,
        rows: Vec<PushedRow>,
    ) -> Result<PushSummary, Error> {
        let school = access::school_scope(caller, school)?;
        check_count(rows.len(), MAX_ROWS_PER_BATCH, "per batch")?;
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
        check_count(rows.len(), MAX_ROWS_PER_MESSAGE, "per message")?;
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
        let erased = store::erased_refs(&mut tx, school, &refs).await?;
        let existing = store::lock_by_refs(&mut tx, school, &refs).await?;
        let plan = checked.plan(school, &erased, &existing, now);
        let (mut created, mut changed): (Vec<&Profile>, Vec<&Profile>) = (vec![], vec![]);
        for (profile, new) in &plan.revisions {
            if *new {
                created.push(profile);
            } else {
                changed.push(profile);
            }
        }
        let contacts: Vec<(CandidateId, &Contact)> = plan
            .contacts
            .iter()
            .map(|(id, contact)| (*id, contact))
            .collect();
        let events: Vec<_> = plan
            .revisions
            .iter()
            .map(|(profile, new)| mapping::profile_changed(profile, *new, &self.reference))
            .collect();
        store::insert_profiles(&mut tx, &created).await?;
        store::update_profiles(&mut tx, &changed).await?;
        store::upsert_contacts(&mut tx, &contacts, now).await?;
        vte_events::append_all(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(plan.summary)
    }
}

fn check_count(rows: usize, max: usize, unit: &str) -> Result<(), Error> {
    if rows == 0 || rows > max {
        return Err(Error::invalid(
            "rows",
            format!("1 to {max} rows {unit}, got {rows}"),
        ));
    }
    Ok(())
}
