//! Several records of one partition in one transaction, for handlers that allow it
//! ([`super::HandlesBatch`]): their event ids are recorded in one statement, those handled
//! before are left out, the others go to the handler together, and one commit covers them all.
//! A batch that cannot be handled at once (a tombstone or an undecodable record among them, a
//! handler error of any kind, a database error) is rolled back and its records are handled one
//! by one as usual (`handling`), so a poison record is retried or dead-lettered alone and its
//! neighbours are handled.

use std::any::Any;
use std::collections::HashSet;

use rdkafka::message::{Message, OwnedMessage};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::dispatch::{Decoded, Dispatch};
use super::handling::{Handling, Outcome};
use super::{ConsumerError, FailPoint, RecordMeta};

impl Handling {
    /// How many records of `topic` (deployed name) may be handled in one transaction.
    pub(super) fn batch_limit(&self, topic: &str) -> usize {
        match self.handlers.get(topic) {
            Some(dispatch) if dispatch.batches() => self.options.max_batch.max(1),
            _ => 1,
        }
    }

    /// Handles `messages`, records of one partition in order: in one transaction when there are
    /// several and they can be, else one by one. Returns the outcome of each record in order, up
    /// to and including the first that did not end [`Outcome::Done`].
    pub(super) async fn process_batch(
        &self,
        messages: &[OwnedMessage],
        stop: &CancellationToken,
    ) -> Vec<Result<Outcome, ConsumerError>> {
        if messages.len() > 1 {
            match self.handle_together(messages).await {
                Ok(()) => {
                    if self.options.fail_point == Some(FailPoint::AfterCommitBeforeOffsetStored) {
                        return vec![Err(ConsumerError::FailPoint(
                            FailPoint::AfterCommitBeforeOffsetStored,
                        ))];
                    }
                    return messages.iter().map(|_| Ok(Outcome::Done)).collect();
                }
                Err(reason) => {
                    tracing::debug!(
                        records = messages.len(),
                        %reason,
                        "batch rolled back; its records are handled one by one"
                    );
                    self.metrics
                        .batch_fallbacks
                        .with_label_values(&[self.logical(messages[0].topic())])
                        .inc();
                }
            }
        }
        let mut outcomes = Vec::with_capacity(messages.len());
        for message in messages {
            let outcome = self.process(message, stop).await;
            let done = matches!(outcome, Ok(Outcome::Done));
            outcomes.push(outcome);
            if !done {
                break;
            }
        }
        outcomes
    }

    /// One attempt at `messages` in one transaction; `Err` says why they must go one by one.
    async fn handle_together(&self, messages: &[OwnedMessage]) -> Result<(), String> {
        let Some(dispatch) = self.handlers.get(messages[0].topic()) else {
            return Err("no handler for this topic".into());
        };
        let mut decoded: Vec<(Decoded, RecordMeta)> = Vec::with_capacity(messages.len());
        for message in messages {
            let payload = message.payload().ok_or("a tombstone in the batch")?;
            let record = dispatch.decode(payload)?;
            let meta = RecordMeta {
                topic: dispatch.topic(),
                partition: message.partition(),
                offset: message.offset(),
                event_id: record.event_id,
            };
            decoded.push((record, meta));
        }
        let span = tracing::info_span!(
            "event.handle_batch",
            otel.kind = "consumer",
            messaging.consumer.group = %self.group,
            messaging.destination = dispatch.topic(),
            messaging.kafka.partition = messages[0].partition(),
            messaging.kafka.offset = messages[0].offset(),
            messaging.batch.message_count = messages.len(),
        );
        self.commit_together(dispatch.as_ref(), &decoded)
            .instrument(span)
            .await
    }

    /// Records the event ids, runs the handler over the records not handled before, commits.
    async fn commit_together(
        &self,
        dispatch: &dyn Dispatch,
        decoded: &[(Decoded, RecordMeta)],
    ) -> Result<(), String> {
        let topic = dispatch.topic();
        let Ok(_permit) = self.transactions.acquire().await else {
            return Err("the runner is closing".into());
        };
        let mut transaction = self.pool.begin().await.map_err(|e| e.to_string())?;
        let ids: Vec<uuid::Uuid> = decoded.iter().map(|(record, _)| record.event_id).collect();
        let first_time: HashSet<uuid::Uuid> = sqlx::query_scalar(
            "INSERT INTO processed_events (event_id, topic)
             SELECT id, $2 FROM UNNEST($1::uuid[]) AS id
             ON CONFLICT (event_id) DO NOTHING
             RETURNING event_id",
        )
        .bind(&ids)
        .bind(topic)
        .fetch_all(&mut *transaction)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
        // An event twice in the batch is handled at its first record only.
        let mut taken = HashSet::new();
        let fresh: Vec<(&(dyn Any + Send + Sync), &RecordMeta)> = decoded
            .iter()
            .filter(|(record, _)| {
                first_time.contains(&record.event_id) && taken.insert(record.event_id)
            })
            .map(|(record, meta)| (record.envelope.as_ref(), meta))
            .collect();
        if !fresh.is_empty() {
            dispatch
                .handle_batch(&mut transaction, &fresh)
                .await
                .map_err(|e| e.to_string())?;
        }
        transaction.commit().await.map_err(|e| e.to_string())?;
        let handled = u64::try_from(fresh.len()).unwrap_or(u64::MAX);
        let skipped = u64::try_from(decoded.len() - fresh.len()).unwrap_or(u64::MAX);
        self.metrics
            .handled
            .with_label_values(&[topic])
            .inc_by(handled);
        if skipped > 0 {
            tracing::debug!(skipped, "events already handled; skipped");
            self.metrics
                .duplicates
                .with_label_values(&[topic])
                .inc_by(skipped);
        }
        self.metrics.batches.with_label_values(&[topic]).inc();
        Ok(())
    }
}
