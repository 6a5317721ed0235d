//! `vte.matching.v1.MatchingService` over the [`Matching`] use cases: take the caller from the
//! request, decode it ([`mapping::requests`]), call the use case, encode the answer
//! ([`mapping::answers`]). Errors become a `tonic::Status` in [`status`], once.

mod status;

use std::sync::Arc;

use tonic::{Request, Response, Status};
use vte_proto::vte::matching::v1::matching_service_server::MatchingService;
use vte_proto::vte::matching::v1::*;
use vte_reference::ReferenceData;
use vte_service::auth::Identity;

use crate::error::Error;
use crate::mapping;
use crate::usecases::Matching;

/// The matching API: the gRPC face of [`Matching`].
#[derive(Debug, Clone)]
pub struct MatchingApi {
    matching: Matching,
    /// For the région codes of RankOffers' filters.
    reference: Arc<ReferenceData>,
}

impl MatchingApi {
    pub fn new(matching: Matching, reference: Arc<ReferenceData>) -> Self {
        Self {
            matching,
            reference,
        }
    }
}

type Answer<T> = Result<Response<T>, Status>;

/// Who calls, as the auth interceptor found them (with the candidate a website token acts for).
fn identity<T>(request: &Request<T>) -> Result<Identity, Status> {
    Ok(vte_service::auth::identity(request)?.clone())
}

#[tonic::async_trait]
impl MatchingService for MatchingApi {
    async fn rank_candidates(
        &self,
        request: Request<RankCandidatesRequest>,
    ) -> Answer<RankCandidatesResponse> {
        let who = identity(&request)?;
        let query = mapping::candidate_query(request.into_inner()).map_err(Error::Invalid)?;
        let ranked = self.matching.rank_candidates(&who, query).await?;
        Ok(Response::new(mapping::rank_candidates_response(&ranked)))
    }

    async fn rank_offers(&self, request: Request<RankOffersRequest>) -> Answer<RankOffersResponse> {
        let who = identity(&request)?;
        let mut request = request.into_inner();
        // The website acting for a candidate ranks for them unless it names someone (whom the
        // use case then refuses unless it is the same candidate).
        if let Some(candidate) = who.on_behalf_of.filter(|_| request.candidate_id.is_empty()) {
            request.candidate_id = candidate.to_string();
        }
        let query =
            mapping::offer_query(request, &who.caller, &self.reference).map_err(Error::Invalid)?;
        let ranked = self.matching.rank_offers(&who, query).await?;
        Ok(Response::new(mapping::rank_offers_response(ranked)))
    }

    async fn explain_match(
        &self,
        request: Request<ExplainMatchRequest>,
    ) -> Answer<ExplainMatchResponse> {
        let who = identity(&request)?;
        let (offer_id, candidate_id) = mapping::pair(request.get_ref()).map_err(Error::Invalid)?;
        let pair = self
            .matching
            .explain_match(&who, offer_id, candidate_id)
            .await?;
        Ok(Response::new(mapping::explain_match_response(pair)))
    }
}
