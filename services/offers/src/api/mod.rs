//! `vte.offers.v1.OffersService`: decode the request, check who may do it, run the domain in
//! one transaction with the store, append exactly one event per aggregate changed, commit,
//! encode. The RPCs live by area in [`offers`], [`applications`] and [`placements`]; this
//! module holds the trait implementation (one line per RPC) and what they share.

mod applications;
mod offers;
mod placements;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use tonic::{Request, Response, Status};
use vte_domain::FieldErrors;
use vte_proto::EventEnvelope;
use vte_proto::vte::common::v1::PageResponse;
use vte_proto::vte::offers::v1::offers_service_server::OffersService;
use vte_proto::vte::offers::v1::*;
use vte_reference::ReferenceData;
use vte_service::auth::Identity;
use vte_service::peers::Peers;

use crate::domain::{Actor, DomainError};
use crate::mapping::{self, PageInput};
use crate::store::{PageCursor, PageRequest, StoreError, UniqueRule};

/// The offers API over the service's database and the reference data.
#[derive(Debug, Clone)]
pub struct OffersApi {
    pool: PgPool,
    reference: Arc<ReferenceData>,
    peers: Peers,
}

impl OffersApi {
    /// The API on `pool`, resolving places with `reference` and asking the candidates service
    /// (through `peers`) for contact data it may disclose.
    pub fn new(pool: PgPool, reference: Arc<ReferenceData>, peers: Peers) -> Self {
        Self {
            pool,
            reference,
            peers,
        }
    }

    /// The candidate's contact data from the candidates service, which owns it; `None` once
    /// the candidate is erased.
    async fn candidate_contact(
        &self,
        candidate: vte_domain::CandidateId,
    ) -> Result<Option<vte_proto::vte::candidates::v1::Contact>, Status> {
        use vte_proto::vte::candidates::v1::LookupContactRequest;
        use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
        use vte_proto::vte::common::v1::PlatformService;
        let mut client = CandidatesServiceClient::with_interceptor(
            self.peers.channel(PlatformService::Candidates),
            self.peers.auth(),
        );
        let request = LookupContactRequest {
            candidate_id: candidate.to_string(),
        };
        match client.lookup_contact(request).await {
            Ok(response) => Ok(response.into_inner().contact),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => {
                tracing::warn!(code = ?status.code(), "contact lookup failed");
                Err(Status::unavailable(
                    "the candidate's contact data cannot be read right now: retry shortly",
                ))
            }
        }
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>, Status> {
        self.pool.begin().await.map_err(internal)
    }
}

/// The caller's verified identity and the actor recorded for what they do.
fn caller<T>(request: &Request<T>) -> Result<(Identity, Actor), Status> {
    let identity = vte_service::auth::identity(request)?.clone();
    let actor = crate::access::actor(&identity);
    Ok((identity, actor))
}

/// Now, at the precision the database keeps.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Today's date for the VTE rules (start dates, deadlines).
fn today(now: DateTime<Utc>) -> NaiveDate {
    now.date_naive()
}

fn decoded<T>(result: Result<T, FieldErrors>) -> Result<T, Status> {
    result.map_err(mapping::invalid)
}

fn ruled<T>(result: Result<T, DomainError>) -> Result<T, Status> {
    result.map_err(|error| mapping::status_of(&error))
}

/// `INVALID_ARGUMENT` for one field.
fn invalid_field(field: &str, rule: vte_domain::InvalidValue) -> Status {
    let mut errors = FieldErrors::new();
    errors.push(rule.at(field));
    mapping::invalid(errors)
}

fn not_found(what: &str) -> Status {
    Status::not_found(format!("no {what} with this id"))
}

/// A database failure is logged once and answered opaquely; the rest say what happened.
fn stored<T>(result: Result<T, StoreError>) -> Result<T, Status> {
    result.map_err(|error| match error {
        StoreError::ConcurrentChange => {
            Status::aborted("changed by someone else meanwhile: read it again and retry")
        }
        StoreError::Duplicate {
            rule: UniqueRule::OneOpenApplicationPerOffer,
        } => Status::already_exists("this candidate already has an open application to this offer"),
        StoreError::Duplicate { rule } => Status::already_exists(format!("{rule:?}")),
        other => internal(other),
    })
}

fn internal(error: impl std::fmt::Display) -> Status {
    tracing::error!(%error, "offers service failure");
    Status::internal("internal error")
}

async fn append<E: EventEnvelope>(
    transaction: &mut Transaction<'static, Postgres>,
    event: &E,
) -> Result<(), Status> {
    vte_events::append(transaction, event)
        .await
        .map_err(internal)
}

async fn commit(transaction: Transaction<'static, Postgres>) -> Result<(), Status> {
    transaction.commit().await.map_err(internal)
}

/// A page request for the store, the token decoded.
fn page_request(input: PageInput) -> Result<PageRequest, Status> {
    let after = match input.token {
        Some(token) => Some(
            PageCursor::decode(&token).map_err(|rule| invalid_field("page.page_token", rule))?,
        ),
        None => None,
    };
    Ok(PageRequest {
        size: input.size,
        after,
    })
}

fn page_response(next: Option<PageCursor>) -> Option<PageResponse> {
    Some(PageResponse {
        next_page_token: next.map(|cursor| cursor.encode()).unwrap_or_default(),
    })
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl OffersService for OffersApi {
    async fn create_offer(&self, r: Request<CreateOfferRequest>) -> Answer<CreateOfferResponse> {
        self.create(r).await
    }
    async fn update_offer(&self, r: Request<UpdateOfferRequest>) -> Answer<UpdateOfferResponse> {
        self.update(r).await
    }
    async fn publish_offer(&self, r: Request<PublishOfferRequest>) -> Answer<PublishOfferResponse> {
        self.publish(r).await
    }
    async fn close_offer(&self, r: Request<CloseOfferRequest>) -> Answer<CloseOfferResponse> {
        self.close(r).await
    }
    async fn get_offer(&self, r: Request<GetOfferRequest>) -> Answer<GetOfferResponse> {
        self.get(r).await
    }
    async fn list_offers(&self, r: Request<ListOffersRequest>) -> Answer<ListOffersResponse> {
        self.list(r).await
    }
    async fn search_offers(&self, r: Request<SearchOffersRequest>) -> Answer<SearchOffersResponse> {
        self.search(r).await
    }
    async fn apply(&self, r: Request<ApplyRequest>) -> Answer<ApplyResponse> {
        self.submit(r).await
    }
    async fn get_application(
        &self,
        r: Request<GetApplicationRequest>,
    ) -> Answer<GetApplicationResponse> {
        self.application(r).await
    }
    async fn list_applications(
        &self,
        r: Request<ListApplicationsRequest>,
    ) -> Answer<ListApplicationsResponse> {
        self.applications(r).await
    }
    async fn review_application(
        &self,
        r: Request<ReviewApplicationRequest>,
    ) -> Answer<ReviewApplicationResponse> {
        self.review(r).await
    }
    async fn schedule_interview(
        &self,
        r: Request<ScheduleInterviewRequest>,
    ) -> Answer<ScheduleInterviewResponse> {
        self.interview(r).await
    }
    async fn accept_application(
        &self,
        r: Request<AcceptApplicationRequest>,
    ) -> Answer<AcceptApplicationResponse> {
        self.accept(r).await
    }
    async fn refuse_application(
        &self,
        r: Request<RefuseApplicationRequest>,
    ) -> Answer<RefuseApplicationResponse> {
        self.refuse(r).await
    }
    async fn withdraw_application(
        &self,
        r: Request<WithdrawApplicationRequest>,
    ) -> Answer<WithdrawApplicationResponse> {
        self.withdraw(r).await
    }
    async fn get_placement(&self, r: Request<GetPlacementRequest>) -> Answer<GetPlacementResponse> {
        self.placement(r).await
    }
    async fn list_placements(
        &self,
        r: Request<ListPlacementsRequest>,
    ) -> Answer<ListPlacementsResponse> {
        self.placements(r).await
    }
    async fn complete_placement(
        &self,
        r: Request<CompletePlacementRequest>,
    ) -> Answer<CompletePlacementResponse> {
        self.complete(r).await
    }
    async fn end_placement_early(
        &self,
        r: Request<EndPlacementEarlyRequest>,
    ) -> Answer<EndPlacementEarlyResponse> {
        self.end_early(r).await
    }
    async fn decide_label(&self, r: Request<DecideLabelRequest>) -> Answer<DecideLabelResponse> {
        self.decide(r).await
    }
    async fn list_label_decisions(
        &self,
        r: Request<ListLabelDecisionsRequest>,
    ) -> Answer<ListLabelDecisionsResponse> {
        self.decisions(r).await
    }
}
