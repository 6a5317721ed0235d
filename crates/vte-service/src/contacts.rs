//! A candidate's contact data, which only the candidates service keeps. Services that must reach
//! or show a candidate (an email going out, a company reading an application) ask for it at that
//! moment through a [`ContactDirectory`], never copy it from an event nor store it: once the
//! candidate is erased, the directory answers [`Lookup::Gone`]. [`GrpcContactDirectory`] is the
//! production implementation (`CandidatesService.LookupContact` with the service's own token);
//! a service's tests may give it any other.

use std::future::Future;
use std::pin::Pin;

use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::CandidateId;
use vte_proto::vte::candidates::v1::LookupContactRequest;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::common::v1::PlatformService;

use crate::peers::{Peers, ServiceAuth};

/// How to greet and reach a candidate. Held only while it is used; its `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// E.164, empty when unknown.
    pub phone: String,
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Contact(..)")
    }
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Contact),
    /// No such candidate (erased, or never known).
    Gone,
}

/// The directory cannot answer now (the candidates service is away or refused the call): retry
/// later. Carries the gRPC code only, never data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("contact lookup failed: {0:?}")]
pub struct LookupFailed(pub Code);

/// The future a [`ContactDirectory`] returns.
pub type LookupFuture<'a> = Pin<Box<dyn Future<Output = Result<Lookup, LookupFailed>> + Send + 'a>>;

/// Where a service looks a candidate's contact data up.
pub trait ContactDirectory: Send + Sync + std::fmt::Debug + 'static {
    /// The candidate's contact data, now.
    fn lookup(&self, candidate: CandidateId) -> LookupFuture<'_>;
}

/// The candidates service's `LookupContact`, called with this service's token.
#[derive(Debug, Clone)]
pub struct GrpcContactDirectory {
    client: CandidatesServiceClient<InterceptedService<Channel, ServiceAuth>>,
}

impl GrpcContactDirectory {
    /// Looks contacts up through `peers`.
    pub fn new(peers: &Peers) -> Self {
        Self {
            client: CandidatesServiceClient::with_interceptor(
                peers.channel(PlatformService::Candidates),
                peers.auth(),
            ),
        }
    }
}

impl ContactDirectory for GrpcContactDirectory {
    fn lookup(&self, candidate: CandidateId) -> LookupFuture<'_> {
        let mut client = self.client.clone();
        Box::pin(async move {
            let request = LookupContactRequest {
                candidate_id: candidate.to_string(),
            };
            match client.lookup_contact(request).await {
                Ok(response) => Ok(match response.into_inner().contact {
                    Some(contact) if !contact.email.trim().is_empty() => Lookup::Found(Contact {
                        first_name: contact.first_name,
                        last_name: contact.last_name,
                        email: contact.email,
                        phone: contact.phone,
                    }),
                    _ => Lookup::Gone,
                }),
                Err(status) if status.code() == Code::NotFound => Ok(Lookup::Gone),
                Err(status) => Err(LookupFailed(status.code())),
            }
        })
    }
}
