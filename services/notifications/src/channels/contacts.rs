//! A candidate's address, asked of the candidates service (`LookupContact`, with this
//! service's `service` token) at the moment an email goes out, never copied from an event nor
//! stored: once a candidate is erased the lookup answers NOT_FOUND and nothing is sent.

use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::CandidateId;
use vte_proto::vte::candidates::v1::LookupContactRequest;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::common::v1::PlatformService;
use vte_service::peers::{Peers, ServiceAuth};

/// How to greet and reach a candidate. Held only while one email is composed and sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    pub first_name: String,
    pub email: String,
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Contact(..)")
    }
}

/// What the lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Contact),
    /// The candidates service knows no such candidate (erased, or never existed).
    Gone,
}

/// The lookup failed for now (the candidates service is away or refused the call); the
/// delivery is retried. Carries the gRPC code only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("contact lookup failed: {0:?}")]
pub struct LookupFailed(pub Code);

/// Client of the candidates service's contact lookup.
#[derive(Debug, Clone)]
pub struct Contacts {
    client: CandidatesServiceClient<InterceptedService<Channel, ServiceAuth>>,
}

impl Contacts {
    /// Looks contacts up through `peers`.
    pub fn new(peers: &Peers) -> Self {
        Self {
            client: CandidatesServiceClient::with_interceptor(
                peers.channel(PlatformService::Candidates),
                peers.auth(),
            ),
        }
    }

    /// The candidate's name and address, now.
    pub async fn lookup(&self, candidate: CandidateId) -> Result<Lookup, LookupFailed> {
        let request = LookupContactRequest {
            candidate_id: candidate.to_string(),
        };
        match self.client.clone().lookup_contact(request).await {
            Ok(response) => match response.into_inner().contact {
                Some(contact) if !contact.email.trim().is_empty() => Ok(Lookup::Found(Contact {
                    first_name: contact.first_name,
                    email: contact.email,
                })),
                _ => Ok(Lookup::Gone),
            },
            Err(status) if status.code() == Code::NotFound => Ok(Lookup::Gone),
            Err(status) => Err(LookupFailed(status.code())),
        }
    }
}
