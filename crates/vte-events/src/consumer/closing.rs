//! Closing the consumer without ever waiting on a broker that has gone away: the final commit
//! and close run on a thread of their own, abandoned after a deadline; and a runner dropped while
//! it runs (its task aborted, its runtime shut down) hands the consumer to such a thread instead
//! of closing it on the dropping thread, as mini-redis's drop guard stops background work.

use std::ops::Deref;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer};
use tokio::sync::oneshot;

use super::lanes::RunnerConsumer;

/// Owns the consumer while the runner runs: dropped before [`CloseGuard::close`] (the run
/// future was dropped), it commits what was stored and closes on a detached thread.
pub(super) struct CloseGuard {
    consumer: Option<RunnerConsumer>,
}

impl CloseGuard {
    pub(super) fn new(consumer: RunnerConsumer) -> Self {
        Self {
            consumer: Some(consumer),
        }
    }

    /// Commits the stored offsets (if `commit`) and closes, waiting at most `deadline`.
    pub(super) async fn close(mut self, commit: bool, deadline: Duration) {
        let Some(consumer) = self.consumer.take() else {
            return;
        };
        let Some(closed) = close_in_background(consumer, commit) else {
            return;
        };
        if tokio::time::timeout(deadline, closed).await.is_err() {
            tracing::warn!(
                ?deadline,
                "consumer did not close within its deadline; abandoned"
            );
        }
    }
}

impl Deref for CloseGuard {
    type Target = RunnerConsumer;

    fn deref(&self) -> &RunnerConsumer {
        self.consumer
            .as_ref()
            .expect("the consumer is there until the guard closes it")
    }
}

impl Drop for CloseGuard {
    fn drop(&mut self) {
        if let Some(consumer) = self.consumer.take() {
            tracing::info!("consumer runner dropped while running; closing in the background");
            // Nobody waits: the thread ends when librdkafka is done, or with the process.
            let _ = close_in_background(consumer, true);
        }
    }
}

/// Commits (if `commit`) and closes `consumer` on a thread of its own; the receiver hears when
/// it is done. Not tokio's blocking pool: a runtime waits for its blocking tasks when it is
/// dropped, so an abandoned close would hold the process (or a test) until the broker came back.
fn close_in_background(consumer: RunnerConsumer, commit: bool) -> Option<oneshot::Receiver<()>> {
    let (closed, done) = oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name(String::from("vte-consumer-close"))
        .spawn(move || {
            if commit {
                match consumer.commit_consumer_state(CommitMode::Sync) {
                    Ok(()) => {}
                    // Nothing stored since the last commit.
                    Err(rdkafka::error::KafkaError::ConsumerCommit(
                        rdkafka::types::RDKafkaErrorCode::NoOffset,
                    )) => {}
                    Err(error) => tracing::warn!(%error, "final offset commit failed"),
                }
            }
            drop(consumer);
            let _ = closed.send(());
        });
    match spawned {
        Ok(_) => Some(done),
        Err(error) => {
            tracing::warn!(%error, "cannot start a thread to close the consumer; abandoned");
            None
        }
    }
}
