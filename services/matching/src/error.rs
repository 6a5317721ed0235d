//! Why a use case of the matching service did not do what it was asked: one enum naming each
//! situation, whoever called (the gRPC adapter or the consumer). `grpc::status` maps it once to
//! a `tonic::Status`; the consumer maps it once to a `HandlerError`.

use vte_domain::{FieldErrors, OfferId};
use vte_events::outbox::OutboxError;

/// A use case that did not complete. Whatever its transaction wrote is rolled back.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields of the request break rules; every one is listed (`INVALID_ARGUMENT`).
    #[error("invalid request: {0}")]
    Invalid(FieldErrors),
    /// An event breaks the contract; the reason names the field, never its value, as it goes
    /// into a dead-letter header.
    #[error("{0}")]
    InvalidEvent(String),
    /// No such offer or candidate, or none this caller may know of (`NOT_FOUND`).
    #[error("no {0} with this id")]
    NotFound(Missing),
    /// The caller may not ask this; says which rule, never whose data (`PERMISSION_DENIED`).
    #[error("{0}")]
    Denied(&'static str),
    /// The offer is a draft, ended or full: it has no candidates to rank
    /// (`FAILED_PRECONDITION`).
    #[error("the offer is not published, or has no position left: it has no candidates to rank")]
    OfferNotOpen,
    /// The candidate may not be ranked; the reason is told to them or their school
    /// (`FAILED_PRECONDITION`).
    #[error("{}", .0.reason())]
    CandidateNotMatchable(Unmatchable),
    /// The read model failed (`INTERNAL`).
    #[error("the read model: {0}")]
    Store(#[from] sqlx::Error),
    /// A stored offer no longer reads as an offer (`INTERNAL`).
    #[error("the stored offer {offer} cannot be read: {reason}")]
    UnreadableOffer {
        /// The offer.
        offer: OfferId,
        /// What is wrong with it.
        reason: String,
    },
    /// The index could not be brought up to date before suggesting (`INTERNAL`).
    #[error("cannot bring the index up to date: {0}")]
    CatchUp(#[source] sqlx::Error),
    /// A ranking on the index stopped before its end (`INTERNAL`).
    #[error("the ranking stopped: {0}")]
    Ranking(#[source] tokio::task::JoinError),
    /// A suggestion could not be appended to the outbox (`INTERNAL`).
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

/// What was not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Offer,
    /// An offer that is published (or was): a draft is never explained.
    PublishedOffer,
    Candidate,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Offer => "offer",
            Self::PublishedOffer => "published offer",
            Self::Candidate => "candidate",
        })
    }
}

impl From<FieldErrors> for Error {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vte_domain::InvalidValue;

    #[test]
    fn messages_name_the_situation_as_clients_read_it() {
        let mut errors = FieldErrors::new();
        errors.push(InvalidValue::new("is required").at("offer_id"));
        assert_eq!(
            Error::from(errors).to_string(),
            "invalid request: offer_id: is required"
        );
        assert_eq!(
            Error::NotFound(Missing::PublishedOffer).to_string(),
            "no published offer with this id"
        );
        assert_eq!(
            Error::CandidateNotMatchable(Unmatchable::Paused).to_string(),
            Unmatchable::Paused.reason()
        );
    }
}

/// Why a candidate may not be ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmatchable {
    /// They have not consented to matching.
    NoConsent,
    /// They paused their search.
    Paused,
    /// Their profile lacks what ranking needs.
    Incomplete,
}

impl Unmatchable {
    /// The reason, told to the candidate (or their school).
    pub fn reason(self) -> &'static str {
        match self {
            Self::NoConsent => {
                "Le consentement au matching n'est pas donné : le profil n'est proposé à aucune entreprise."
            }
            Self::Paused => {
                "La recherche est en pause : le profil n'est proposé à aucune entreprise."
            }
            Self::Incomplete => {
                "Le profil est incomplet : il n'est pas encore proposé aux entreprises."
            }
        }
    }
}
