//! How long Kafka keeps what, as data: the configuration every platform topic is created with
//! (start-up's topic bootstrap here, the deployment's topic resources, checked against this).
//! Events are kept 14 days, below the consumers' dedupe window, and dead letters 30 days to be
//! inspected and replayed. The candidates' topic, keyed by candidate, is also compacted: the
//! tombstone an erasure leaves (`outbox::append_tombstone`) makes Kafka drop the person's
//! earlier events within [`ERASED_WITHIN_MS`] instead of at the end of their retention.

use vte_proto::EventEnvelope as _;
use vte_proto::vte::candidates::v1::CandidateEvent;

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;

/// Retention of the platform's events on every topic.
pub const EVENTS_RETENTION_MS: u64 = 14 * DAY_MS;
/// Retention of dead letters.
pub const DEAD_LETTERS_RETENTION_MS: u64 = 30 * DAY_MS;
/// On a compacted topic, how long a record is safe from compaction: every consumer must have
/// read a `CandidateErased` within this time, or the tombstone behind it hides it from them.
pub const MIN_COMPACTION_LAG_MS: u64 = 2 * DAY_MS;
/// On a compacted topic, the longest a record superseded by a tombstone may stay (Kafka's
/// `max.compaction.lag.ms`): an erased person's events are gone this long after the tombstone,
/// plus the log cleaner's next pass.
pub const ERASED_WITHIN_MS: u64 = 3 * DAY_MS;
/// On a compacted topic, how long the tombstone itself (the key alone) stays once compacted.
pub const TOMBSTONE_RETENTION_MS: u64 = DAY_MS;
/// On a compacted topic, the longest a segment stays open (only closed segments are compacted).
pub const SEGMENT_MS: u64 = DAY_MS;

/// Logical topics keyed by candidate that an erasure tombstones, hence compacted.
pub const COMPACTED: [&str; 1] = [CandidateEvent::TOPIC];

/// The topic-level configuration of a platform topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfig {
    /// `cleanup.policy`: `delete`, or `compact,delete` for a topic keyed by candidate.
    pub cleanup_policy: &'static str,
    /// `retention.ms`.
    pub retention_ms: u64,
    /// The compaction settings, on a compacted topic only.
    pub compaction: Option<Compaction>,
}

/// The settings that bound how long a compacted topic keeps a superseded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compaction {
    /// `min.compaction.lag.ms`.
    pub min_lag_ms: u64,
    /// `max.compaction.lag.ms`.
    pub max_lag_ms: u64,
    /// `delete.retention.ms`: how long a tombstone stays.
    pub delete_retention_ms: u64,
    /// `segment.ms`.
    pub segment_ms: u64,
}

impl TopicConfig {
    /// The configuration of a logical topic (`vte.candidates.v1`) or of its dead-letter topic
    /// (`vte.candidates.v1.dlq`).
    pub fn of(logical: &str) -> Self {
        if logical.ends_with(".dlq") {
            return Self {
                cleanup_policy: "delete",
                retention_ms: DEAD_LETTERS_RETENTION_MS,
                compaction: None,
            };
        }
        if COMPACTED.contains(&logical) {
            return Self {
                cleanup_policy: "compact,delete",
                retention_ms: EVENTS_RETENTION_MS,
                compaction: Some(Compaction {
                    min_lag_ms: MIN_COMPACTION_LAG_MS,
                    max_lag_ms: ERASED_WITHIN_MS,
                    delete_retention_ms: TOMBSTONE_RETENTION_MS,
                    segment_ms: SEGMENT_MS,
                }),
            };
        }
        Self {
            cleanup_policy: "delete",
            retention_ms: EVENTS_RETENTION_MS,
            compaction: None,
        }
    }

    /// As Kafka topic configuration entries (`cleanup.policy`, `retention.ms`, ...).
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        let mut entries = vec![
            ("cleanup.policy", self.cleanup_policy.to_owned()),
            ("retention.ms", self.retention_ms.to_string()),
        ];
        if let Some(compaction) = &self.compaction {
            entries.extend([
                ("min.compaction.lag.ms", compaction.min_lag_ms.to_string()),
                ("max.compaction.lag.ms", compaction.max_lag_ms.to_string()),
                (
                    "delete.retention.ms",
                    compaction.delete_retention_ms.to_string(),
                ),
                ("segment.ms", compaction.segment_ms.to_string()),
            ]);
        }
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_candidates_topic_is_compacted_and_it_still_expires() {
        let candidates = TopicConfig::of("vte.candidates.v1");
        assert_eq!(candidates.cleanup_policy, "compact,delete");
        assert_eq!(candidates.retention_ms, EVENTS_RETENTION_MS);
        let Some(compaction) = candidates.compaction else {
            panic!("the candidates' topic is compacted");
        };
        assert!(compaction.min_lag_ms < compaction.max_lag_ms);
        assert!(compaction.max_lag_ms < EVENTS_RETENTION_MS);
        for topic in vte_proto::TOPICS
            .iter()
            .filter(|t| **t != "vte.candidates.v1")
        {
            assert_eq!(TopicConfig::of(topic).cleanup_policy, "delete", "{topic}");
        }
        let dead = TopicConfig::of("vte.candidates.v1.dlq");
        assert_eq!(dead.retention_ms, DEAD_LETTERS_RETENTION_MS);
        assert_eq!(dead.entries().len(), 2);
    }
}
