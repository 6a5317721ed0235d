//! Who is calling: bearer JWTs verified on every call, turned into an [`Identity`] (role and
//! tenant) that handlers read from the request. HS256 with a shared secret is for development
//! mode only; production verifies RS256/ES256 signatures against a configured key set, chosen
//! by `kid` so keys can rotate, each key bound to the roles and subject it may sign
//! ([`keys`]). Tokens that are missing, expired, not yet valid, too long-lived, wrongly signed,
//! signed with an algorithm we did not configure (`none` included), signed by a key not bound
//! to their role or subject, or missing their tenant get `UNAUTHENTICATED` ([`claims`]).

mod claims;
mod keys;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header, Validation};
use tonic::{Request, Status};
use vte_domain::{CandidateId, SchoolId, Siren};

use crate::settings::AuthSettings;
use claims::ClaimRules;
use keys::VerificationKey;

pub use claims::Claims;
pub use keys::KeyError;
pub use vte_domain::Role;

/// The caller's role together with the tenant it acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The vte-france website, reading public data.
    Site,
    /// A school's information system, acting for its own students only.
    School { school_id: SchoolId },
    /// A company, acting on its own offers only.
    Company { siren: Siren },
    /// A student or young graduate, acting for themself.
    Candidate { candidate_id: CandidateId },
    /// Bpifrance's operators, who decide labels.
    Bpifrance,
    /// The platform's operators.
    Admin,
    /// Another service of the platform.
    Service,
}

impl Caller {
    /// The caller's role.
    pub fn role(&self) -> Role {
        match self {
            Caller::Site => Role::Site,
            Caller::School { .. } => Role::School,
            Caller::Company { .. } => Role::Company,
            Caller::Candidate { .. } => Role::Candidate,
            Caller::Bpifrance => Role::Bpifrance,
            Caller::Admin => Role::Admin,
            Caller::Service => Role::Service,
        }
    }
}

/// The development HS256 secret, published in this repository: `vte up`, Compose and tests sign
/// with it. A service outside development mode (`auth.development`) refuses to start with it.
pub const DEVELOPMENT_SECRET: &str = "vte-development-secret-do-not-use-in-production";

/// A verified token: who calls, as whom, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub caller: Caller,
    /// The token's subject (an opaque account id, never a name or an email). For a `service`
    /// caller, the service's name; in production its key is bound to that name, so a service
    /// cannot speak as another.
    pub subject: String,
    pub expires_at: DateTime<Utc>,
    /// The candidate a `site` token acts for (its `on_behalf_of` claim), set only on `site`
    /// tokens: the website reaches one candidate's matching data only with it.
    pub on_behalf_of: Option<CandidateId>,
}

/// Why a token was refused. Messages never repeat the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token: send `authorization: Bearer <jwt>`")]
    Missing,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm is not accepted here")]
    AlgorithmNotAccepted,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (its nbf is in the future)")]
    NotYetValid,
    /// The signature is genuine but its key is not bound to the token's role or subject: the
    /// signer may not vouch for that identity, so no identity is established and the call is
    /// `UNAUTHENTICATED` (not `PERMISSION_DENIED`, which answers a known caller's forbidden
    /// action).
    #[error("{0}")]
    KeyMayNotSign(String),
    #[error("the token's claims are invalid: {0}")]
    InvalidClaims(String),
}

impl From<AuthError> for Status {
    fn from(error: AuthError) -> Self {
        Status::unauthenticated(error.to_string())
    }
}

/// Verifies tokens against the configured keys.
#[derive(Clone)]
pub struct Authenticator {
    keys: Arc<Vec<VerificationKey>>,
    rules: ClaimRules,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("keys", &self.keys.len())
            .field("issuer", &self.rules.issuer)
            .field("audience", &self.rules.audience)
            .finish()
    }
}

fn secs(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Authenticator {
    /// Builds the verifier from settings; fails on an unreadable or wrongly bound key, when no
    /// key at all is configured (a service that accepts no token is a misconfiguration, not a
    /// locked door), and outside development mode on an HS256 secret or a missing
    /// `auth.issuer` / `auth.audience`.
    pub fn from_settings(settings: &AuthSettings) -> Result<Self, KeyError> {
        Ok(Self {
            keys: Arc::new(keys::verification_keys(settings)?),
            rules: ClaimRules {
                issuer: settings.issuer.clone(),
                audience: settings.audience.clone(),
                leeway_secs: secs(settings.leeway_secs),
                max_lifetime_secs: secs(settings.max_token_lifetime_secs),
                max_service_lifetime_secs: secs(settings.max_service_token_lifetime_secs),
            },
        })
    }

    /// Verifies a raw JWT: its signature by the key its header names, its claims
    /// ([`claims`]), then that the key may sign the role and subject they claim.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|error| {
            use jsonwebtoken::errors::ErrorKind;
            match error.kind() {
                // `alg: none` and other algorithms jsonwebtoken does not know land here.
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    AuthError::AlgorithmNotAccepted
                }
                _ => AuthError::Malformed,
            }
        })?;
        // The key must be of the token's algorithm: an RS256 public key is never used as an
        // HS256 secret (algorithm confusion), and a kid, when given, must match.
        let key = self
            .keys
            .iter()
            .filter(|key| key.algorithm == header.alg)
            .find(|key| match (&header.kid, &key.kid) {
                (Some(wanted), Some(kid)) => wanted == kid,
                (Some(_), None) => false,
                (None, _) => true,
            })
            .ok_or(AuthError::AlgorithmNotAccepted)?;
        // The library checks the signature only; every claim rule is ours ([`claims`]), so
        // that each refusal names its claim.
        let mut validation = Validation::new(key.algorithm);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &key.key, &validation)
            .map_err(|error| {
                use jsonwebtoken::errors::ErrorKind;
                match error.kind() {
                    ErrorKind::InvalidSignature => AuthError::BadSignature,
                    ErrorKind::InvalidAlgorithm => AuthError::AlgorithmNotAccepted,
                    ErrorKind::Json(_) => AuthError::InvalidClaims("unreadable claims".into()),
                    _ => AuthError::Malformed,
                }
            })?;
        let identity = claims::identity(&data.claims, &self.rules, Utc::now().timestamp())?;
        if let Some(what) = key.binding.refusal(&identity) {
            let kid = key.kid.as_deref().unwrap_or("-");
            return Err(AuthError::KeyMayNotSign(format!(
                "the key `{kid}` may not sign {what}"
            )));
        }
        Ok(identity)
    }

    /// Verifies the `authorization` header of a gRPC request.
    pub fn verify_request<T>(&self, request: &Request<T>) -> Result<Identity, AuthError> {
        let header = request
            .metadata()
            .get("authorization")
            .ok_or(AuthError::Missing)?
            .to_str()
            .map_err(|_| AuthError::Malformed)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(AuthError::Missing)?;
        self.verify(token.trim())
    }

    /// A tonic interceptor that refuses unauthenticated calls and hands the [`Identity`] on.
    pub fn interceptor(&self) -> AuthInterceptor {
        AuthInterceptor {
            authenticator: self.clone(),
        }
    }
}

/// Puts the caller's [`Identity`] into the request's extensions, or refuses the call.
#[derive(Debug, Clone)]
pub struct AuthInterceptor {
    authenticator: Authenticator,
}

impl tonic::service::Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let identity = self.authenticator.verify_request(&request)?;
        request.extensions_mut().insert(identity);
        Ok(request)
    }
}

/// The identity the auth interceptor attached to a request.
pub fn identity<T>(request: &Request<T>) -> Result<&Identity, Status> {
    request
        .extensions()
        .get::<Identity>()
        .ok_or_else(|| Status::unauthenticated(AuthError::Missing.to_string()))
}

/// Signs a development token with the HS256 secret (tests and `vte token`; production tokens
/// come from the identity provider).
pub fn sign_hs256(secret: &str, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
}

/// The client side: adds `authorization: Bearer <token>` to every call, or nothing for an
/// anonymous caller. What the command-line client, tests and benchmarks call the services with.
#[derive(Debug, Clone, Default)]
pub struct BearerToken(Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>);

impl BearerToken {
    /// No token at all.
    pub fn anonymous() -> Self {
        Self(None)
    }

    /// `token`, a JWT as the identity provider issued it.
    pub fn new(token: &str) -> Result<Self, tonic::metadata::errors::InvalidMetadataValue> {
        Ok(Self(Some(format!("Bearer {token}").parse()?)))
    }

    /// A development token of `claims`, signed with the HS256 `secret`.
    pub fn hs256(secret: &str, claims: &Claims) -> Result<Self, jsonwebtoken::errors::Error> {
        let jwt = sign_hs256(secret, claims)?;
        // A JWT is base64url and dots: always a valid header value.
        Self::new(&jwt).map_err(|_| jsonwebtoken::errors::ErrorKind::InvalidToken.into())
    }
}

impl tonic::service::Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(token) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", token.clone());
        }
        Ok(request)
    }
}
