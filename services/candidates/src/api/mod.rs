//! `vte.candidates.v1.CandidatesService`: decode, check who may do it, change the store and
//! append the events in one transaction, commit, answer. Pushes live in [`push`]; the rest of
//! the RPCs (reads, self-service, erasure, contact) are here.

mod push;

use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};
use vte_domain::{CandidateId, FieldErrors, InvalidValue, SchoolId};
use vte_proto::vte::candidates::v1::candidates_service_server::CandidatesService;
use vte_proto::vte::candidates::v1::*;
use vte_proto::vte::common::v1::{PageResponse, PlatformService};
use vte_reference::ReferenceData;
use vte_service::auth::Identity;

use crate::access;
use crate::domain::{Erasure, Profile};
use crate::mapping::{self, row};
use crate::store::{self, ErasureKey, StoreError};

/// The version of the terms candidates consent to, unless configured otherwise.
pub const DEFAULT_TERMS_VERSION: &str = "2025-01";

/// The candidates API over the service's database and the reference data.
#[derive(Debug, Clone)]
pub struct CandidatesApi {
    pool: PgPool,
    reference: Arc<ReferenceData>,
    terms_version: Arc<str>,
}

impl CandidatesApi {
    /// The API on `pool`; candidates consent to `terms_version`.
    pub fn new(pool: PgPool, reference: Arc<ReferenceData>, terms_version: &str) -> Self {
        Self {
            pool,
            reference,
            terms_version: Arc::from(terms_version),
        }
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>, Status> {
        self.pool.begin().await.map_err(internal)
    }

    fn profile_reply(&self, profile: &Profile) -> CandidateProfile {
        mapping::profile_to_proto(profile, &self.reference)
    }

    /// A self-service change: checks the caller, locks their profile, applies `change` (which
    /// may refuse, or change nothing), saves the new revision with its event, commits, and
    /// answers with the profile.
    async fn change_own(
        &self,
        identity: &Identity,
        raw_id: &str,
        change: impl FnOnce(&Profile, DateTime<Utc>) -> Result<Option<Profile>, Status>,
    ) -> Result<CandidateProfile, Status> {
        let named = optional_id(raw_id, "candidate_id")?;
        let candidate = access::self_service(&identity.caller, named)?;
        let mut tx = self.begin().await?;
        let profile =
            stored(store::profile(&mut tx, candidate, true).await)?.ok_or_else(no_profile)?;
        let Some(next) = change(&profile, now())? else {
            tx.rollback().await.map_err(internal)?;
            return Ok(self.profile_reply(&profile));
        };
        stored(store::save(&mut tx, &next).await)?;
        let event = mapping::profile_changed(&next, false, &self.reference);
        vte_events::append(&mut tx, &event)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(self.profile_reply(&next))
    }
}

type PushStream = Pin<Box<dyn Stream<Item = Result<PushProfilesResponse, Status>> + Send>>;

#[tonic::async_trait]
impl CandidatesService for CandidatesApi {
    type PushProfilesStream = PushStream;

    async fn push_profiles(
        &self,
        request: Request<Streaming<PushProfilesRequest>>,
    ) -> Result<Response<PushStream>, Status> {
        let identity = vte_service::auth::identity(&request)?.clone();
        Ok(Response::new(push::stream(
            self.clone(),
            identity,
            request.into_inner(),
        )))
    }

    async fn push_profiles_batch(
        &self,
        request: Request<PushProfilesBatchRequest>,
    ) -> Result<Response<PushProfilesBatchResponse>, Status> {
        let identity = vte_service::auth::identity(&request)?.clone();
        let request = request.into_inner();
        let summary = push::batch(self, &identity, &request).await?;
        Ok(Response::new(PushProfilesBatchResponse {
            summary: Some(summary),
        }))
    }

    async fn get_profile(
        &self,
        request: Request<GetProfileRequest>,
    ) -> Result<Response<GetProfileResponse>, Status> {
        let identity = vte_service::auth::identity(&request)?.clone();
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let profile = match request.into_inner().key {
            Some(get_profile_request::Key::CandidateId(raw)) => {
                let id = required_id::<CandidateId>(&raw, "candidate_id")?;
                stored(store::profile(&mut conn, id, false).await)?
            }
            Some(get_profile_request::Key::SchoolRef(key)) => {
                let school = required_id::<SchoolId>(&key.school_id, "school_ref.school_id")?;
                if key.school_student_ref.trim().is_empty() {
                    return Err(invalid("school_ref.school_student_ref", "is required"));
                }
                // A school may only look up its own references (no probing of others').
                access::school_scope(&identity.caller, Some(school)).or_else(|denial| {
                    match identity.caller {
                        vte_service::auth::Caller::Service => Ok(school),
                        _ => Err(denial),
                    }
                })?;
                stored(
                    store::profile_by_ref(&mut conn, school, key.school_student_ref.trim()).await,
                )?
            }
            None => {
                return Err(invalid(
                    "key",
                    "exactly one of candidate_id or school_ref is required",
                ));
            }
        };
        let profile = profile.ok_or_else(no_profile)?;
        access::read_profile(&identity.caller, profile.id, profile.school)?;
        Ok(Response::new(GetProfileResponse {
            profile: Some(self.profile_reply(&profile)),
        }))
    }

    async fn list_profiles(
        &self,
        request: Request<ListProfilesRequest>,
    ) -> Result<Response<ListProfilesResponse>, Status> {
        let identity = vte_service::auth::identity(&request)?.clone();
        let request = request.into_inner();
        let named = optional_id::<SchoolId>(&request.school_id, "school_id")?;
        let school = access::school_scope(&identity.caller, named)?;
        let status = row::status_filter(request.status).map_err(invalid_fields)?;
        let page = vte_wire::page_input(request.page.as_ref()).map_err(invalid_fields)?;
        let after = match &page.token {
            Some(token) => Some(decode_cursor(token)?),
            None => None,
        };
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let mut profiles = stored(
            store::list(
                &mut conn,
                school,
                status,
                request.matchable_only,
                after.as_deref(),
                page.size + 1,
            )
            .await,
        )?;
        let more = profiles.len() > page.size as usize;
        profiles.truncate(page.size as usize);
        let next_page_token = match (more, profiles.last()) {
            (true, Some(last)) => encode_cursor(&last.school_ref),
            _ => String::new(),
        };
        Ok(Response::new(ListProfilesResponse {
            profiles: profiles.iter().map(|p| self.profile_reply(p)).collect(),
            page: Some(PageResponse { next_page_token }),
        }))
    }

    async fn update_preferences(
        &self,
        request: Request<UpdatePreferencesRequest>,
    ) -> Result<Response<UpdatePreferencesResponse>, Status> {
        let identity = vte_service::auth::identity(&request)?.clone();
        let request = request.into_inner();
        let profile = self
            .change_own(&identity, &request.candidate_id, |profile, now| {
                let expected = request.expected_revision;
                if expected != 0 && expected != profile.revision {
                    return Err(Status::failed_precondition(format!(
                        "expected_revision: the profile is at revision {}, not {expected}",
                        profile.revision
                    )));
                }
                let preferences = row::decode_preferences(
                    request.preferences.as_ref(),
                    profile.schooling.status,
                    &self.reference,
                )
                .map_err(invalid_fields)?;
                Ok(profile.with_preferences(preferences, now))
            })
            .await?;
        Ok(Response::new(UpdatePreferencesResponse {
            profile: Some(profile),
        }))
    }

    async fn give_consent(
        &self,
        request: Request<GiveConsentRequest>,
    ) -> Result<Response<GiveConsentResponse>, Status> {
        let identity = vte_service::auth::identity(&request)?.clone();
        let request = request.into_inner();
        let version = request.terms_version.trim();
        if version != &*self.terms_version {
            return Err(invalid(
                "terms_version",
                &format!(
                    "must be the current version of the terms, {}",
                    self.terms_version
                ),
            ));
        }
        let profile = self
            .change_own(&identity, &request.candidate_id, |profile, now| {
                Ok(profile.consented(version, now))
            })
            .await?;
        Ok(Response::new(GiveConsentResponse {
            profile: Some(profile),
        }))
    }

    async fn withdraw_consent(
        &self,
        request: Request<WithdrawConsentRequest>,
    ) -> Result<Response<WithdrawConsentResponse>, Status> {
        let identity = vte_service::auth::identity(&request)?.clone();
        let request = request.into_inner();
        let profile = self
            .change_own(&identity, &request.candidate_id, |profile, now| {
                Ok(profile.consent_withdrawn(now))
            })
            .await?;
        Ok(Response::new(WithdrawConsentResponse {
            profile: Some(profile),
        }))
    }

    async fn request_erasure(
        &self,
        request: Request<RequestErasureRequest>,
    ) -> Result<Response<RequestErasureResponse>, Status> {
        let identity = vte_service::auth::identity(&request)?.clone();
        let request = request.into_inner();
        let named = optional_id::<CandidateId>(&request.candidate_id, "candidate_id")?;
        let candidate = access::target(&identity.caller, named)?;
        let mut tx = self.begin().await?;
        let Some(profile) = stored(store::profile(&mut tx, candidate, true).await)? else {
            // Already erased: the first request's status (to those who may read it).
            let erasure =
                stored(store::erasure(&mut tx, ErasureKey::Candidate(candidate), false).await)?
                    .ok_or_else(no_profile)?;
            access::read_erasure(&identity.caller, &erasure)?;
            return Ok(Response::new(RequestErasureResponse {
                status: Some(mapping::erasure_to_proto(&erasure)),
            }));
        };
        access::request_erasure(&identity.caller, profile.id, profile.school)?;
        let now = now();
        let erasure = Erasure {
            id: uuid::Uuid::now_v7(),
            candidate: profile.id,
            school: profile.school,
            requested_by: access::requester(&identity),
            requested_at: now,
            confirmations: store::initial_confirmations(now),
            completed_at: None,
        };
        stored(store::erase(&mut tx, &erasure, &profile.school_ref).await)?;
        vte_events::append(&mut tx, &mapping::erased(&erasure))
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        tracing::info!(erasure_id = %erasure.id, "candidate erased; waiting for the other services");
        Ok(Response::new(RequestErasureResponse {
            status: Some(mapping::erasure_to_proto(&erasure)),
        }))
    }

    async fn get_erasure_status(
        &self,
        request: Request<GetErasureStatusRequest>,
    ) -> Result<Response<GetErasureStatusResponse>, Status> {
        let identity = vte_service::auth::identity(&request)?.clone();
        let request = request.into_inner();
        let key = match (
            optional_id::<CandidateId>(&request.candidate_id, "candidate_id")?,
            optional_uuid(&request.erasure_id, "erasure_id")?,
        ) {
            (Some(candidate), None) => ErasureKey::Candidate(candidate),
            (None, Some(id)) => ErasureKey::Id(id),
            _ => {
                return Err(invalid(
                    "candidate_id",
                    "exactly one of candidate_id or erasure_id is required",
                ));
            }
        };
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let erasure = stored(store::erasure(&mut conn, key, false).await)?
            .ok_or_else(|| Status::not_found("no erasure for this candidate or id"))?;
        access::read_erasure(&identity.caller, &erasure)?;
        Ok(Response::new(GetErasureStatusResponse {
            status: Some(mapping::erasure_to_proto(&erasure)),
        }))
    }

    async fn confirm_erasure(
        &self,
        request: Request<ConfirmErasureRequest>,
    ) -> Result<Response<ConfirmErasureResponse>, Status> {
        let identity = vte_service::auth::identity(&request)?.clone();
        let request = request.into_inner();
        let service = PlatformService::try_from(request.service)
            .map_err(|_| invalid("service", "is not a value of vte.common.v1.PlatformService"))?;
        access::confirm_erasure(&identity, service)?;
        let candidate = required_id::<CandidateId>(&request.candidate_id, "candidate_id")?;
        let mut tx = self.begin().await?;
        let erasure =
            stored(store::erasure(&mut tx, ErasureKey::Candidate(candidate), true).await)?
                .ok_or_else(|| Status::not_found("no erasure for this candidate"))?;
        stored(store::confirm(&mut tx, erasure.id, service, now()).await)?;
        let erasure = stored(store::erasure(&mut tx, ErasureKey::Id(erasure.id), false).await)?
            .ok_or_else(|| internal("the erasure vanished"))?;
        tx.commit().await.map_err(internal)?;
        Ok(Response::new(ConfirmErasureResponse {
            status: Some(mapping::erasure_to_proto(&erasure)),
        }))
    }

    async fn lookup_contact(
        &self,
        request: Request<LookupContactRequest>,
    ) -> Result<Response<LookupContactResponse>, Status> {
        let identity = vte_service::auth::identity(&request)?.clone();
        let request = request.into_inner();
        let named = optional_id::<CandidateId>(&request.candidate_id, "candidate_id")?;
        let candidate = access::target(&identity.caller, named)?;
        access::read_contact(&identity.caller, candidate)?;
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let contact = stored(store::contact(&mut conn, candidate).await)?.ok_or_else(|| {
            Status::not_found("no contact data for this candidate (unknown or erased)")
        })?;
        Ok(Response::new(LookupContactResponse {
            contact: Some(mapping::contact_to_proto(candidate, &contact)),
        }))
    }
}

/// Now, at the precision the database keeps.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn invalid(field: &str, rule: &str) -> Status {
    invalid_fields(InvalidValue::new(rule.to_owned()).at(field).into())
}

/// `INVALID_ARGUMENT` listing every field and rule (also as `BadRequest` details).
fn invalid_fields(errors: FieldErrors) -> Status {
    vte_wire::status::invalid(errors)
}

fn required_id<T: std::str::FromStr<Err = InvalidValue>>(
    raw: &str,
    field: &str,
) -> Result<T, Status> {
    vte_wire::parse_id(field, raw).map_err(invalid_fields)
}

fn optional_id<T: std::str::FromStr<Err = InvalidValue>>(
    raw: &str,
    field: &str,
) -> Result<Option<T>, Status> {
    vte_wire::parse_optional_id(field, raw).map_err(invalid_fields)
}

fn optional_uuid(raw: &str, field: &str) -> Result<Option<uuid::Uuid>, Status> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    uuid::Uuid::try_parse(raw.trim())
        .map(Some)
        .map_err(|_| invalid(field, "must be a UUID"))
}

fn no_profile() -> Status {
    Status::not_found("no profile with this id (unknown or erased)")
}

/// A page cursor: the last reference of the page, opaque to clients.
fn encode_cursor(school_ref: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(school_ref)
}

fn decode_cursor(token: &str) -> Result<String, Status> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| invalid("page.page_token", "is not a token this service issued"))
}

/// A database failure is logged once and answered opaquely.
fn stored<T>(result: Result<T, StoreError>) -> Result<T, Status> {
    result.map_err(|error| match error {
        StoreError::ConcurrentChange => {
            Status::aborted("changed by someone else meanwhile: read it again and retry")
        }
        other => internal(other),
    })
}

fn internal(error: impl std::fmt::Display) -> Status {
    tracing::error!(%error, "candidates service failure");
    Status::internal("internal error")
}
