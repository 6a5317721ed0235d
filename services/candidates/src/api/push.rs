//! A school's push of its students' profiles, streamed or in one batch. Each message of rows is
//! checked row by row, then applied in one transaction with a handful of bulk statements:
//! good rows land, bad rows are reported with their position, field and rule, and a row equal
//! to what is stored writes nothing and publishes nothing. Progress is sent only after the
//! message's transaction committed, so what a school has been told is counted is stored.

use std::collections::HashMap;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};
use tracing::Instrument;
use vte_domain::SchoolId;
use vte_proto::vte::candidates::v1::{
    CandidateEvent, ProfileRow, PushCounts, PushProfilesBatchRequest, PushProfilesRequest,
    PushProfilesResponse, PushSummary, RowRejection, push_profiles_response,
};
use vte_service::auth::Identity;

use super::{CandidatesApi, PushStream, internal, invalid, now, optional_id, stored};
use crate::access;
use crate::domain::{Contact, Profile};
use crate::mapping::{self, row};
use crate::store;

/// Rows in one message of a streamed push.
pub const MAX_ROWS_PER_MESSAGE: usize = 500;
/// Rows in one batch call.
pub const MAX_ROWS_PER_BATCH: usize = 1_000;
/// Rows in one stream.
pub const MAX_ROWS_PER_STREAM: u32 = 200_000;

/// The running totals of one push.
#[derive(Debug, Default)]
struct Push {
    counts: PushCounts,
    rejections: Vec<RowRejection>,
}

impl Push {
    fn reject(&mut self, position: u32, row: &ProfileRow, field: &str, rule: &str) {
        self.rejections.push(RowRejection {
            position,
            school_student_ref: row.school_student_ref.clone(),
            field: field.to_owned(),
            rule: rule.to_owned(),
        });
    }

    fn summary(self) -> PushSummary {
        PushSummary {
            counts: Some(self.counts),
            rejections: self.rejections,
        }
    }
}

/// The streamed push: one progress message per message of rows, then the summary.
pub(super) fn stream(
    api: CandidatesApi,
    identity: Identity,
    mut inbound: Streaming<PushProfilesRequest>,
) -> PushStream {
    let (sender, receiver) = mpsc::channel(4);
    let span = tracing::info_span!("push profiles");
    tokio::spawn(
        async move {
            let mut push = Push::default();
            let mut school: Option<SchoolId> = None;
            loop {
                let message = match inbound.message().await {
                    Ok(Some(message)) => message,
                    Ok(None) => break,
                    Err(status) => {
                        tracing::info!(code = ?status.code(), "push stream ended by the client");
                        return;
                    }
                };
                let outcome = async {
                    let scope = scope_of(&identity, &message.school_id)?;
                    match school {
                        None => school = Some(scope),
                        Some(first) if first != scope => {
                            return Err(invalid(
                                "school_id",
                                "must be the same in every message of a stream",
                            ));
                        }
                        Some(_) => {}
                    }
                    check_count(message.rows.len(), MAX_ROWS_PER_MESSAGE, "per message")?;
                    let total = push.counts.received as usize + message.rows.len();
                    if total > MAX_ROWS_PER_STREAM as usize {
                        return Err(invalid(
                            "rows",
                            &format!(
                                "at most {MAX_ROWS_PER_STREAM} rows per stream: open another \
                                 stream for the rest"
                            ),
                        ));
                    }
                    apply(&api, scope, &message.rows, &mut push).await
                }
                .await;
                let reply = outcome.map(|()| PushProfilesResponse {
                    kind: Some(push_profiles_response::Kind::Progress(push.counts)),
                });
                let failed = reply.is_err();
                if sender.send(reply).await.is_err() || failed {
                    return;
                }
            }
            let counts = push.counts;
            tracing::info!(
                received = counts.received,
                created = counts.created,
                updated = counts.updated,
                unchanged = counts.unchanged,
                rejected = counts.rejected,
                "push done"
            );
            let summary = PushProfilesResponse {
                kind: Some(push_profiles_response::Kind::Summary(push.summary())),
            };
            let _ = sender.send(Ok(summary)).await;
        }
        .instrument(span),
    );
    Box::pin(ReceiverStream::new(receiver))
}

/// The batch push: all rows in one call.
pub(super) async fn batch(
    api: &CandidatesApi,
    identity: &Identity,
    request: &PushProfilesBatchRequest,
) -> Result<PushSummary, Status> {
    let school = scope_of(identity, &request.school_id)?;
    check_count(request.rows.len(), MAX_ROWS_PER_BATCH, "per batch")?;
    let mut push = Push::default();
    apply(api, school, &request.rows, &mut push).await?;
    Ok(push.summary())
}

fn scope_of(identity: &Identity, raw_school: &str) -> Result<SchoolId, Status> {
    let named = optional_id::<SchoolId>(raw_school, "school_id")?;
    access::school_scope(&identity.caller, named)
}

fn check_count(rows: usize, max: usize, unit: &str) -> Result<(), Status> {
    if rows == 0 || rows > max {
        return Err(invalid(
            "rows",
            &format!("1 to {max} rows {unit}, got {rows}"),
        ));
    }
    Ok(())
}

/// Checks and applies one message of rows in one transaction, counting into `push`.
async fn apply(
    api: &CandidatesApi,
    school: SchoolId,
    rows: &[ProfileRow],
    push: &mut Push,
) -> Result<(), Status> {
    let now = now();
    let first_position = push.counts.received + 1;
    let mut tally = Push::default();
    let mut valid = Vec::with_capacity(rows.len());
    let mut first_seen: HashMap<String, u32> = HashMap::with_capacity(rows.len());
    for (offset, raw) in rows.iter().enumerate() {
        let position = first_position + u32::try_from(offset).unwrap_or(u32::MAX);
        match row::decode_row(raw, &api.reference, now.date_naive()) {
            Ok(decoded) => match first_seen.get(&decoded.school_ref) {
                Some(first) => {
                    let rule = format!("repeats row {first} of this message");
                    tally.reject(position, raw, "school_student_ref", &rule);
                    tally.counts.rejected += 1;
                }
                None => {
                    first_seen.insert(decoded.school_ref.clone(), position);
                    valid.push((position, raw, decoded));
                }
            },
            Err(errors) => {
                for error in errors.iter() {
                    tally.reject(position, raw, error.field(), error.rule());
                }
                tally.counts.rejected += 1;
            }
        }
    }
    let refs: Vec<String> = valid
        .iter()
        .map(|(_, _, row)| row.school_ref.clone())
        .collect();
    let mut tx = api.begin().await?;
    let erased = stored(store::erased_refs(&mut tx, school, &refs).await)?;
    let existing = stored(store::lock_by_refs(&mut tx, school, &refs).await)?;
    let mut created: Vec<Profile> = Vec::new();
    let mut changed: Vec<Profile> = Vec::new();
    let mut contacts: Vec<(vte_domain::CandidateId, Contact)> = Vec::new();
    let mut events: Vec<CandidateEvent> = Vec::new();
    for (position, raw, decoded) in valid {
        if erased.contains(&decoded.school_ref) {
            tally.reject(
                position,
                raw,
                "school_student_ref",
                "this student's data was erased at their request: the reference is not pushed \
                 again",
            );
            tally.counts.rejected += 1;
            continue;
        }
        match existing.get(&decoded.school_ref) {
            None => {
                let Some(contact) = decoded.contact else {
                    tally.reject(
                        position,
                        raw,
                        "contact",
                        "is required when the profile is created",
                    );
                    tally.counts.rejected += 1;
                    continue;
                };
                let profile = Profile::create(
                    school,
                    decoded.school_ref,
                    decoded.schooling,
                    decoded.preferences,
                    now,
                );
                events.push(mapping::profile_changed(&profile, true, &api.reference));
                contacts.push((profile.id, contact));
                created.push(profile);
                tally.counts.created += 1;
            }
            Some((stored_profile, stored_contact)) => {
                let next = stored_profile.pushed(decoded.schooling, decoded.preferences, now);
                let new_contact = decoded
                    .contact
                    .filter(|contact| Some(contact) != stored_contact.as_ref());
                if next.is_none() && new_contact.is_none() {
                    tally.counts.unchanged += 1;
                    continue;
                }
                if let Some(next) = next {
                    events.push(mapping::profile_changed(&next, false, &api.reference));
                    changed.push(next);
                }
                if let Some(contact) = new_contact {
                    contacts.push((stored_profile.id, contact));
                }
                tally.counts.updated += 1;
            }
        }
    }
    let created_refs: Vec<&Profile> = created.iter().collect();
    let changed_refs: Vec<&Profile> = changed.iter().collect();
    let contact_refs: Vec<(vte_domain::CandidateId, &Contact)> = contacts
        .iter()
        .map(|(id, contact)| (*id, contact))
        .collect();
    stored(store::insert_profiles(&mut tx, &created_refs).await)?;
    stored(store::update_profiles(&mut tx, &changed_refs).await)?;
    stored(store::upsert_contacts(&mut tx, &contact_refs, now).await)?;
    vte_events::append_all(&mut tx, &events)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    let counts = &mut push.counts;
    counts.received += u32::try_from(rows.len()).unwrap_or(u32::MAX);
    counts.created += tally.counts.created;
    counts.updated += tally.counts.updated;
    counts.unchanged += tally.counts.unchanged;
    counts.rejected += tally.counts.rejected;
    push.rejections.extend(tally.rejections);
    Ok(())
}
