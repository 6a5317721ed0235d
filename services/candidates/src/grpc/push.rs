//! `PushProfiles`, the streamed push: each message of rows goes to
//! [`Candidates::push_message`]; its counts so far go back as progress once the message's
//! transaction committed, and the summary once the client closes its side. A refused message
//! is answered with its status and ends the stream.

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
use crate::usecases::push::StreamedPush;

/// Answers a streamed push from a task of its own.
pub(super) fn stream(
    candidates: Candidates,
    identity: Identity,
    mut inbound: Streaming<PushProfilesRequest>,
) -> PushStream {
    let (sender, receiver) = mpsc::channel(4);
    let span = tracing::info_span!("push profiles");
    tokio::spawn(
        async move {
            let mut push = StreamedPush::default();
            loop {
                let message = match inbound.message().await {
                    Ok(Some(message)) => message,
                    Ok(None) => break,
                    Err(status) => {
                        tracing::info!(code = ?status.code(), "push stream ended by the client");
                        return;
                    }
                };
                let reply = next_message(&candidates, &identity, &mut push, message).await;
                let failed = reply.is_err();
                if sender.send(reply).await.is_err() || failed {
                    return;
                }
            }
            let summary = PushProfilesResponse {
                kind: Some(push_profiles_response::Kind::Summary(
                    push_summary_to_proto(push.finish()),
                )),
            };
            let _ = sender.send(Ok(summary)).await;
        }
        .instrument(span),
    );
    Box::pin(ReceiverStream::new(receiver))
}

/// One message of the stream, answered with the push's progress.
async fn next_message(
    candidates: &Candidates,
    identity: &Identity,
    push: &mut StreamedPush,
    message: PushProfilesRequest,
) -> Result<PushProfilesResponse, Status> {
    let school = optional_id(&message.school_id, "school_id").map_err(invalid)?;
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
