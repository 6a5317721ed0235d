//! Signed tokens for the callers of a service under test: HS256 with the secret the service was
//! started with, a subject per role unless the test names one, valid for half an hour.

use vte_domain::CandidateId;
use vte_service::auth::{BearerToken, Caller, Claims};

/// How long a test token stays valid.
const TTL_MINUTES: i64 = 30;

/// Signs tokens the way the identity provider would, with a test's HS256 secret.
#[derive(Clone)]
pub struct Tokens {
    secret: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(..)")
    }
}

impl Tokens {
    /// Tokens signed with `secret`.
    pub fn new(secret: impl Into<String>) -> Self {
        Self {
            secret: secret.into(),
        }
    }

    /// The secret, as the service's `auth.hs256_secret`.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// A token for `caller` with the subject `account-of-<role>`, or none for `None`.
    pub fn bearer(&self, caller: Option<&Caller>) -> BearerToken {
        caller.map_or_else(BearerToken::anonymous, |caller| {
            let subject = format!("account-of-{}", caller.role().as_str());
            self.bearer_as(caller, &subject)
        })
    }

    /// A token for `caller` with `subject` (a service's name, for a `service` caller).
    pub fn bearer_as(&self, caller: &Caller, subject: &str) -> BearerToken {
        let claims = Claims::new(caller, subject, chrono::Duration::minutes(TTL_MINUTES));
        BearerToken::hs256(&self.secret, &claims).expect("cannot sign a test token")
    }

    /// A `site` token acting for `candidate` (its `on_behalf_of` claim).
    pub fn site_on_behalf_of(&self, candidate: CandidateId) -> BearerToken {
        let claims = Claims::new(
            &Caller::Site,
            "account-of-site",
            chrono::Duration::minutes(TTL_MINUTES),
        )
        .on_behalf_of(candidate);
        BearerToken::hs256(&self.secret, &claims).expect("cannot sign a test token")
    }
}
