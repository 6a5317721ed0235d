//! `vte.candidates.v1.CandidatesService` over the use cases: each RPC takes the caller's
//! identity, decodes the request ([`crate::mapping`]), calls one use case of [`Candidates`]
//! and encodes its answer; refusals become statuses in [`status`]. The streamed push lives in
//! [`push`].

mod push;
mod status;

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};
use vte_domain::{CandidateId, FieldErrors};
use vte_proto::vte::candidates::v1::candidates_service_server::CandidatesService;
use vte_proto::vte::candidates::v1::*;
use vte_service::auth::{Caller, Identity};

use crate::access;
use crate::domain::{Erasure, Profile};
use crate::error::Error;
use crate::mapping::{self, request as decode, row};
use crate::usecases::Candidates;

/// The candidates API: the gRPC face of [`Candidates`].
#[derive(Debug, Clone)]
pub struct CandidatesApi {
    candidates: Candidates,
}

impl CandidatesApi {
    /// The API over `candidates`.
    pub fn new(candidates: Candidates) -> Self {
        Self { candidates }
    }

    fn profile_reply(&self, profile: &Profile) -> CandidateProfile {
        mapping::profile_to_proto(
            profile,
            self.candidates.reference(),
            self.candidates.programme_today(),
        )
    }
}

/// The caller's identity, which the auth interceptor attached.
fn identity<T>(request: &Request<T>) -> Result<Identity, Status> {
    vte_service::auth::identity(request).cloned()
}

/// A request that does not decode: `INVALID_ARGUMENT`, through the one mapping of errors.
fn invalid(errors: FieldErrors) -> Status {
    Error::Invalid(errors).into()
}

type PushStream = Pin<Box<dyn Stream<Item = Result<PushProfilesResponse, Status>> + Send>>;

#[tonic::async_trait]
impl CandidatesService for CandidatesApi {
    type PushProfilesStream = PushStream;

    async fn push_profiles(
        &self,
        request: Request<Streaming<PushProfilesRequest>>,
    ) -> Result<Response<PushStream>, Status> {
        let identity = identity(&request)?;
        Ok(Response::new(push::stream(
            self.candidates.clone(),
            identity,
            request.into_inner(),
        )))
    }

    async fn push_profiles_batch(
        &self,
        request: Request<PushProfilesBatchRequest>,
    ) -> Result<Response<PushProfilesBatchResponse>, Status> {
        let identity = identity(&request)?;
        let request = request.into_inner();
        let school = decode::optional_id(&request.school_id, "school_id").map_err(invalid)?;
        let rows = decode_rows(&self.candidates, request.rows);
        let summary = self
            .candidates
            .push_batch(&identity.caller, school, rows)
            .await?;
        Ok(Response::new(PushProfilesBatchResponse {
            summary: Some(mapping::request::push_summary_to_proto(summary)),
        }))
    }

    async fn get_profile(
        &self,
        request: Request<GetProfileRequest>,
    ) -> Result<Response<GetProfileResponse>, Status> {
        let identity = identity(&request)?;
        let key = decode::profile_key(request.into_inner()).map_err(invalid)?;
        let profile = self.candidates.get_profile(&identity.caller, key).await?;
        Ok(Response::new(GetProfileResponse {
            profile: Some(self.profile_reply(&profile)),
        }))
    }

    async fn list_profiles(
        &self,
        request: Request<ListProfilesRequest>,
    ) -> Result<Response<ListProfilesResponse>, Status> {
        let identity = identity(&request)?;
        let query = decode::profile_query(request.get_ref()).map_err(invalid)?;
        let filters = mapping::request::profile_filters(&query);
        let page = self
            .candidates
            .list_profiles(&identity.caller, query)
            .await?;
        Ok(Response::new(mapping::request::profile_page(
            &page,
            filters,
            self.candidates.reference(),
            self.candidates.programme_today(),
        )))
    }

    async fn update_preferences(
        &self,
        request: Request<UpdatePreferencesRequest>,
    ) -> Result<Response<UpdatePreferencesResponse>, Status> {
        let identity = identity(&request)?;
        let update = decode::preferences_update(request.get_ref(), self.candidates.reference())
            .map_err(invalid)?;
        let profile = self
            .candidates
            .update_preferences(&identity.caller, update)
            .await?;
        Ok(Response::new(UpdatePreferencesResponse {
            profile: Some(self.profile_reply(&profile)),
        }))
    }

    async fn give_consent(
        &self,
        request: Request<GiveConsentRequest>,
    ) -> Result<Response<GiveConsentResponse>, Status> {
        let identity = identity(&request)?;
        let request = request.into_inner();
        let candidate =
            decode::optional_id(&request.candidate_id, "candidate_id").map_err(invalid)?;
        let profile = self
            .candidates
            .give_consent(&identity.caller, candidate, &request.terms_version)
            .await?;
        Ok(Response::new(GiveConsentResponse {
            profile: Some(self.profile_reply(&profile)),
        }))
    }

    async fn withdraw_consent(
        &self,
        request: Request<WithdrawConsentRequest>,
    ) -> Result<Response<WithdrawConsentResponse>, Status> {
        let identity = identity(&request)?;
        let candidate = decode::optional_id(&request.get_ref().candidate_id, "candidate_id")
            .map_err(invalid)?;
        let profile = self
            .candidates
            .withdraw_consent(&identity.caller, candidate)
            .await?;
        Ok(Response::new(WithdrawConsentResponse {
            profile: Some(self.profile_reply(&profile)),
        }))
    }

    async fn request_erasure(
        &self,
        request: Request<RequestErasureRequest>,
    ) -> Result<Response<RequestErasureResponse>, Status> {
        let identity = identity(&request)?;
        let candidate = decode::optional_id(&request.get_ref().candidate_id, "candidate_id")
            .map_err(invalid)?;
        let erasure = self
            .candidates
            .request_erasure(&identity, candidate)
            .await?;
        Ok(Response::new(RequestErasureResponse {
            status: Some(erasure_reply(&erasure, &identity)),
        }))
    }

    async fn get_erasure_status(
        &self,
        request: Request<GetErasureStatusRequest>,
    ) -> Result<Response<GetErasureStatusResponse>, Status> {
        let identity = identity(&request)?;
        let key = decode::erasure_key(request.get_ref()).map_err(invalid)?;
        let erasure = self
            .candidates
            .erasure_status(&identity.caller, key)
            .await?;
        Ok(Response::new(GetErasureStatusResponse {
            status: Some(erasure_reply(&erasure, &identity)),
        }))
    }

    async fn confirm_erasure(
        &self,
        request: Request<ConfirmErasureRequest>,
    ) -> Result<Response<ConfirmErasureResponse>, Status> {
        let identity = identity(&request)?;
        let request = request.into_inner();
        let service = decode::platform_service(request.service).map_err(invalid)?;
        let candidate = decode::required_id::<CandidateId>(&request.candidate_id, "candidate_id")
            .map_err(invalid)?;
        let erasure = self
            .candidates
            .confirm_erasure(&identity, service, candidate)
            .await?;
        Ok(Response::new(ConfirmErasureResponse {
            status: Some(erasure_reply(&erasure, &identity)),
        }))
    }

    async fn lookup_contact(
        &self,
        request: Request<LookupContactRequest>,
    ) -> Result<Response<LookupContactResponse>, Status> {
        let identity = identity(&request)?;
        let candidate = decode::optional_id(&request.get_ref().candidate_id, "candidate_id")
            .map_err(invalid)?;
        let (candidate, contact) = self
            .candidates
            .lookup_contact(&identity.caller, candidate)
            .await?;
        Ok(Response::new(LookupContactResponse {
            contact: Some(mapping::contact_to_proto(candidate, &contact)),
        }))
    }
}

/// Rows of a push decoded, each on its own, with today's date.
fn decode_rows(
    candidates: &Candidates,
    rows: Vec<ProfileRow>,
) -> Vec<crate::domain::push::PushedRow> {
    row::decode_rows(
        rows,
        candidates.reference(),
        chrono::Utc::now().date_naive(),
    )
}

/// An erasure as `reader` may see it: who asked for it shows their account subject only to
/// that very account and to the platform's operators and services; everyone else reads the
/// role and the tenant.
fn erasure_reply(erasure: &Erasure, reader: &Identity) -> ErasureStatus {
    let mut status = mapping::erasure_to_proto(erasure);
    let sees_all = matches!(reader.caller, Caller::Admin | Caller::Service);
    if !sees_all
        && access::requester(reader) != erasure.requested_by
        && let Some(actor) = status.requested_by.as_mut()
    {
        actor.subject.clear();
    }
    status
}
