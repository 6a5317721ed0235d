//! What the runner's loop does with its client's errors. Most are told (without flooding the
//! log) and passed over: librdkafka retries by itself. The consumer runs with
//! `auto.offset.reset=error`, so librdkafka never moves a partition's position by itself: it
//! stops the partition instead, and here a partition the group has never committed on is started
//! from its earliest record, while one whose committed offset is out of range (its records
//! deleted or expired unread) is left stopped with an alarm instead of skipping to the earliest.

use std::time::Duration;

use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};
use tokio::time::Instant;

use super::lanes::{Lanes, Partition, RunnerConsumer, one};
use super::progress::Fetching;

impl Lanes {
    /// Looks at the partitions of the assignment that librdkafka stopped (`auto.offset.reset=
    /// error`), in statistics taken after `since`: one without a committed offset starts from its
    /// earliest record; one whose committed offset is out of range stays stopped, with an alarm.
    pub(super) fn resolve_stopped(&mut self, consumer: &RunnerConsumer, since: Instant) {
        let assignment = match consumer.assignment() {
            Ok(assignment) => assignment,
            Err(error) => {
                tracing::warn!(%error, "cannot read the assignment");
                return;
            }
        };
        for element in assignment.elements() {
            let partition = (element.topic().to_owned(), element.partition());
            match self.progress.fetching_after(since, &partition) {
                Some(Fetching {
                    stopped: true,
                    committed: None,
                }) => self.start_from_earliest(consumer, &partition),
                Some(Fetching {
                    stopped: true,
                    committed: Some(committed),
                }) => self.alarm_out_of_range(&partition, committed),
                _ => {}
            }
        }
    }

    /// Starts `partition`, which the group has never committed on, from its earliest record.
    fn start_from_earliest(&self, consumer: &RunnerConsumer, partition: &Partition) {
        let mut earliest = TopicPartitionList::new();
        let restarted = earliest
            .add_partition_offset(&partition.0, partition.1, Offset::Beginning)
            .and_then(|()| consumer.incremental_unassign(&one(partition)))
            .and_then(|()| consumer.incremental_assign(&earliest));
        match restarted {
            Ok(()) => tracing::debug!(
                topic = self.handling.logical(&partition.0),
                partition = partition.1,
                "no committed offset: reading from the earliest record"
            ),
            Err(error) => {
                tracing::warn!(%error, "cannot start a partition from its earliest record")
            }
        }
    }

    /// Raises the alarm for `partition`, stopped because the group's committed offset is out of
    /// range: its records were deleted or expired before this group read them.
    fn alarm_out_of_range(&self, partition: &Partition, committed: i64) {
        if !self.progress.stopped_out_of_range(partition) {
            return;
        }
        let topic = self.handling.logical(&partition.0);
        self.handling
            .metrics
            .out_of_range
            .with_label_values(&[topic])
            .inc();
        tracing::error!(
            topic,
            partition = partition.1,
            committed_offset = committed,
            "committed offset out of range: the partition is stopped, nothing was skipped; \
             move the group's offset deliberately (kafka-consumer-groups --reset-offsets), \
             then restart the service"
        );
    }
}

/// Tells consumer errors without flooding the log: an error is told when it differs from the
/// last one told or [`ErrorLog::QUIET`] has passed, with the count of those passed over.
#[derive(Default)]
pub(super) struct ErrorLog {
    last: Option<(String, Instant)>,
    passed_over: u64,
}

impl ErrorLog {
    const QUIET: Duration = Duration::from_secs(30);

    pub(super) fn tell(&mut self, error: &KafkaError) {
        let text = error.to_string();
        let now = Instant::now();
        if let Some((last, at)) = &self.last
            && *last == text
            && now.duration_since(*at) < Self::QUIET
        {
            self.passed_over += 1;
            return;
        }
        tracing::warn!(
            %error,
            passed_over = self.passed_over,
            "consumer error; librdkafka retries by itself"
        );
        self.passed_over = 0;
        self.last = Some((text, now));
    }
}
