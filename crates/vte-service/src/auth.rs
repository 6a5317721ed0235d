//! Who is calling: bearer JWTs verified on every call, turned into an [`Identity`] (role and
//! tenant) that handlers read from the request. HS256 with a shared secret is for development;
//! production verifies RS256/ES256 signatures against a configured key set, chosen by `kid` so
//! keys can rotate. Tokens that are missing, expired, wrongly signed, signed with an algorithm we
//! did not configure (`none` included) or missing their tenant get `UNAUTHENTICATED`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tonic::{Request, Status};
use vte_domain::{CandidateId, SchoolId, Siren};

use crate::settings::{AuthSettings, KeyAlgorithm};

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

/// A verified token: who calls, as whom, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub caller: Caller,
    /// The token's subject (an opaque account id, never a name or an email).
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
    #[error("the token's claims are invalid: {0}")]
    InvalidClaims(String),
}

impl From<AuthError> for Status {
    fn from(error: AuthError) -> Self {
        Status::unauthenticated(error.to_string())
    }
}

/// The claims of a platform token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siren: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_id: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The candidate a `site` token acts for; refused on every other role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

impl Claims {
    /// Claims for `caller`, valid for `ttl` from now.
    pub fn new(caller: &Caller, subject: impl Into<String>, ttl: chrono::Duration) -> Self {
        let now = Utc::now();
        let (school_id, siren, candidate_id) = match caller {
            Caller::School { school_id } => (Some(school_id.to_string()), None, None),
            Caller::Company { siren } => (None, Some(siren.to_string()), None),
            Caller::Candidate { candidate_id } => (None, None, Some(candidate_id.to_string())),
            _ => (None, None, None),
        };
        Self {
            sub: subject.into(),
            role: caller.role().as_str().to_owned(),
            school_id,
            siren,
            candidate_id,
            exp: (now + ttl).timestamp(),
            iat: now.timestamp(),
            iss: None,
            aud: None,
            on_behalf_of: None,
        }
    }

    /// The same claims acting for `candidate` (only a `site` token may carry it).
    pub fn on_behalf_of(mut self, candidate: CandidateId) -> Self {
        self.on_behalf_of = Some(candidate.to_string());
        self
    }

    fn into_identity(self) -> Result<Identity, AuthError> {
        let invalid = |rule: &str| AuthError::InvalidClaims(rule.to_owned());
        let role = Role::parse(&self.role).map_err(|_| invalid("unknown role"))?;
        let caller = match role {
            Role::Site => Caller::Site,
            Role::Bpifrance => Caller::Bpifrance,
            Role::Admin => Caller::Admin,
            Role::Service => Caller::Service,
            Role::School => Caller::School {
                school_id: self
                    .school_id
                    .as_deref()
                    .and_then(|id| SchoolId::parse(id).ok())
                    .ok_or_else(|| invalid("a school token needs a valid school_id"))?,
            },
            Role::Company => Caller::Company {
                siren: self
                    .siren
                    .as_deref()
                    .and_then(|siren| Siren::parse(siren).ok())
                    .ok_or_else(|| invalid("a company token needs a valid siren"))?,
            },
            Role::Candidate => Caller::Candidate {
                candidate_id: self
                    .candidate_id
                    .as_deref()
                    .and_then(|id| CandidateId::parse(id).ok())
                    .ok_or_else(|| invalid("a candidate token needs a valid candidate_id"))?,
            },
        };
        let on_behalf_of = match (&caller, self.on_behalf_of.as_deref()) {
            (_, None) => None,
            (Caller::Site, Some(id)) => Some(
                CandidateId::parse(id)
                    .map_err(|_| invalid("on_behalf_of must be a valid candidate id"))?,
            ),
            (_, Some(_)) => return Err(invalid("only a site token may carry on_behalf_of")),
        };
        let expires_at =
            DateTime::from_timestamp(self.exp, 0).ok_or_else(|| invalid("exp is out of range"))?;
        Ok(Identity {
            caller,
            subject: self.sub,
            expires_at,
            on_behalf_of,
        })
    }
}

struct VerificationKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Verifies tokens against the configured keys.
#[derive(Clone)]
pub struct Authenticator {
    keys: Arc<Vec<VerificationKey>>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway_secs: u64,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("keys", &self.keys.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

/// A key in the settings could not be read.
#[derive(Debug, thiserror::Error)]
#[error("auth.public_keys[{index}] ({kid}): {reason}")]
pub struct KeyError {
    index: usize,
    kid: String,
    reason: String,
}

impl Authenticator {
    /// Builds the verifier from settings; fails on an unreadable key, or when no key at all is
    /// configured (a service that accepts no token is a misconfiguration, not a locked door).
    pub fn from_settings(settings: &AuthSettings) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        if let Some(secret) = &settings.hs256_secret {
            keys.push(VerificationKey {
                kid: None,
                algorithm: Algorithm::HS256,
                key: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
            });
        }
        for (index, public) in settings.public_keys.iter().enumerate() {
            let error = |reason: String| KeyError {
                index,
                kid: public.kid.clone(),
                reason,
            };
            let pem = public.pem.as_bytes();
            let (algorithm, key) = match public.algorithm {
                KeyAlgorithm::Rs256 => (Algorithm::RS256, DecodingKey::from_rsa_pem(pem)),
                KeyAlgorithm::Es256 => (Algorithm::ES256, DecodingKey::from_ec_pem(pem)),
            };
            keys.push(VerificationKey {
                kid: Some(public.kid.clone()),
                algorithm,
                key: key.map_err(|e| error(e.to_string()))?,
            });
        }
        if keys.is_empty() {
            return Err(KeyError {
                index: 0,
                kid: String::from("-"),
                reason: String::from(
                    "no verification key: set auth.hs256_secret (development) or auth.public_keys",
                ),
            });
        }
        Ok(Self {
            keys: Arc::new(keys),
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            leeway_secs: settings.leeway_secs,
        })
    }

    /// Verifies a raw JWT.
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
        let mut validation = Validation::new(key.algorithm);
        validation.leeway = self.leeway_secs;
        validation.set_required_spec_claims(&["exp", "sub"]);
        match &self.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
        }
        let data =
            jsonwebtoken::decode::<Claims>(token, &key.key, &validation).map_err(|error| {
                use jsonwebtoken::errors::ErrorKind;
                match error.kind() {
                    ErrorKind::ExpiredSignature => AuthError::Expired,
                    ErrorKind::InvalidSignature => AuthError::BadSignature,
                    ErrorKind::InvalidAlgorithm => AuthError::AlgorithmNotAccepted,
                    ErrorKind::InvalidIssuer => AuthError::InvalidClaims("wrong issuer".into()),
                    ErrorKind::InvalidAudience => AuthError::InvalidClaims("wrong audience".into()),
                    ErrorKind::MissingRequiredClaim(claim) => {
                        AuthError::InvalidClaims(format!("missing {claim}"))
                    }
                    ErrorKind::Json(_) => AuthError::InvalidClaims("unreadable claims".into()),
                    _ => AuthError::Malformed,
                }
            })?;
        data.claims.into_identity()
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
