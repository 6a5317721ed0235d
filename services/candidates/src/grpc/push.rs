//! `PushProfiles`, the streamed push: each message of rows goes to
//! [`Candidates::push_message`]; its counts so far go back as progress once the message's
//! transaction committed, and the summary once the client closes its side. A refused message
//! is answered with its status and ends the stream. What a stream holds stays bounded: a
//! message's rows are counted before any is decoded, the summary lists a bounded number of
//! rejections, and a stream that sends nothing (or reads nothing) for the configured idle time
//! is closed with `DEADLINE_EXCEEDED`.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};
use tracing::Instrument;
use vte_proto::vte::candidates::v1::{
    PushProfilesRequest, PushProfilesResponse, push_profiles_response,
};
use vte_service::auth::Identity;

use super::{PushStream, decode_rows, invalid};
use crate::mapping::request::{optional_id, push_counts_to_proto, push_summary_to_proto};
use crate::usecases::Candidates;
use crate::usecases::push::{MAX_ROWS_PER_MESSAGE, StreamedPush, check_rows};

/// Answers a streamed push from a task of its own.
pub(super) fn stream(
    candidates: Candidates,
    identity: Identity,
    mut inbound: Streaming<PushProfilesRequest>,
) -> PushStream {
    let (sender, receiver) = mpsc::channel(4);
    let span = tracing::info_span!("push profiles");
    let idle = candidates.push_limits().idle_timeout;
    tokio::spawn(
        async move {
            let mut push = StreamedPush::default();
            loop {
                let message = match tokio::time::timeout(idle, inbound.message()).await {
                    Ok(Ok(Some(message))) => message,
                    Ok(Ok(None)) => break,
                    Ok(Err(status)) => {
                        // A message refused before decoding (too many rows or entries: the
                        // wire check) or one that does not decode ends the stream with that
                        // status; a client that went away will not read it, which is harmless.
                        tracing::info!(code = ?status.code(), "push stream ended by its input");
                        let _ = sender.try_send(Err(status));
                        return;
                    }
                    Err(_) => {
                        tracing::info!(idle_secs = idle.as_secs(), "idle push stream closed");
                        // The client may not be reading either: do not wait on it for ever.
                        let _ = sender.try_send(Err(idle_status(idle)));
                        return;
                    }
                };
                let reply = next_message(&candidates, &identity, &mut push, message).await;
                let failed = reply.is_err();
                match tokio::time::timeout(idle, sender.send(reply)).await {
                    Ok(Ok(())) if !failed => {}
                    Ok(_) => return,
                    Err(_) => {
                        tracing::info!(idle_secs = idle.as_secs(), "push stream not read: closed");
                        return;
                    }
                }
            }
            let summary = PushProfilesResponse {
                kind: Some(push_profiles_response::Kind::Summary(
                    push_summary_to_proto(push.finish()),
                )),
            };
            let _ = tokio::time::timeout(idle, sender.send(Ok(summary))).await;
        }
        .instrument(span),
    );
    Box::pin(ReceiverStream::new(receiver))
}

/// The status closing a stream that stayed silent for `idle`.
fn idle_status(idle: Duration) -> Status {
    Status::deadline_exceeded(format!(
        "the push stream sent no message for {} s (candidates.push_idle_timeout_secs) and was \
         closed; the messages already answered with progress are stored: push the rest in a new \
         stream",
        idle.as_secs()
    ))
}

/// One message of the stream, answered with the push's progress.
async fn next_message(
    candidates: &Candidates,
    identity: &Identity,
    push: &mut StreamedPush,
    message: PushProfilesRequest,
) -> Result<PushProfilesResponse, Status> {
    let school = optional_id(&message.school_id, "school_id").map_err(invalid)?;
    check_rows(message.rows.len(), MAX_ROWS_PER_MESSAGE, "per message")?;
    let rows = decode_rows(candidates, message.rows);
    let counts = candidates
        .push_message(&identity.caller, push, school, rows)
        .await?;
    Ok(PushProfilesResponse {
        kind: Some(push_profiles_response::Kind::Progress(
            push_counts_to_proto(counts),
        )),
    })
}
