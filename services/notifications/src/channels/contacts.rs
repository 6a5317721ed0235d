//! A candidate's address, asked at the moment an email goes out of a
//! [`ContactDirectory`] (in production the candidates service's `LookupContact`, called with
//! this service's token), never copied from an event nor stored: once a candidate is erased the
//! directory answers [`Lookup::Gone`] and nothing is sent.

use std::sync::Arc;

use vte_domain::CandidateId;
pub use vte_service::contacts::{
    Contact, ContactDirectory, GrpcContactDirectory, Lookup, LookupFailed,
};
use vte_service::peers::Peers;

/// The directory the delivery worker asks, shared.
#[derive(Debug, Clone)]
pub struct Contacts(Arc<dyn ContactDirectory>);

impl Contacts {
    /// The candidates service's directory, reached through `peers`.
    pub fn new(peers: &Peers) -> Self {
        Self(Arc::new(GrpcContactDirectory::new(peers)))
    }

    /// The candidate's contact data, now.
    pub async fn lookup(&self, candidate: CandidateId) -> Result<Lookup, LookupFailed> {
        self.0.lookup(candidate).await
    }
}

impl From<Arc<dyn ContactDirectory>> for Contacts {
    fn from(directory: Arc<dyn ContactDirectory>) -> Self {
        Self(directory)
    }
}
