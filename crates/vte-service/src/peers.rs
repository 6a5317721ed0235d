//! Calls from one service to another. DESIGN.md keeps them to what must not travel in an event
//! (a candidate's contact data) and to confirmations (erasure). A service reaches its peers at
//! the addresses of [`PeersSettings`] and proves who it is with a short-lived `service` token
//! it signs itself: with `auth.signing_key` in production (the identity provider's public half
//! is among every service's `auth.public_keys`), or with the development HS256 secret. A peer
//! served over TLS (`server.tls`) is named by an `https://` URL and its certificate checked
//! against the CAs of `peers.ca_path`.
//!
//! ```ignore
//! let client = CandidatesServiceClient::with_interceptor(
//!     peers.channel(PlatformService::Candidates),
//!     peers.auth(),
//! );
//! ```

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Request, Status};
use vte_proto::vte::common::v1::PlatformService;

use crate::auth::{Caller, Claims};
use crate::settings::{AuthSettings, KeyAlgorithm};
pub use crate::settings::{PeersSettings, SigningKeySettings};

/// The platform service a service name stands for (`offers` → `PLATFORM_SERVICE_OFFERS`).
pub fn platform_service(name: &str) -> Option<PlatformService> {
    match name {
        "offers" => Some(PlatformService::Offers),
        "candidates" => Some(PlatformService::Candidates),
        "matching" => Some(PlatformService::Matching),
        "notifications" => Some(PlatformService::Notifications),
        _ => None,
    }
}

/// The token subject a service signs as, and which the callee checks (its service name).
pub fn service_subject(service: PlatformService) -> Option<&'static str> {
    match service {
        PlatformService::Offers => Some("offers"),
        PlatformService::Candidates => Some("candidates"),
        PlatformService::Matching => Some("matching"),
        PlatformService::Notifications => Some("notifications"),
        PlatformService::Unspecified => None,
    }
}

/// A peer URL or the signing key in the settings is unusable.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct PeersError {
    pub setting: &'static str,
    pub message: String,
}

/// The TLS of calls to `https://` peers: their certificates checked against `peers.ca_path`.
fn peers_tls(peers: &PeersSettings) -> Result<Option<ClientTlsConfig>, PeersError> {
    let Some(path) = &peers.ca_path else {
        return Ok(None);
    };
    let pem = std::fs::read(path).map_err(|error| PeersError {
        setting: "peers.ca_path",
        message: format!("cannot read {}: {error}", path.display()),
    })?;
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err(PeersError {
            setting: "peers.ca_path",
            message: format!("{} holds no PEM certificate", path.display()),
        });
    }
    Ok(Some(
        ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)),
    ))
}

/// Channels to the other services and the token to call them with. Cheap to clone.
#[derive(Clone)]
pub struct Peers {
    offers: Channel,
    candidates: Channel,
    matching: Channel,
    notifications: Channel,
    auth: ServiceAuth,
}

impl std::fmt::Debug for Peers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peers")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Peers {
    /// Lazily connected channels to every peer, and tokens for `service_name`.
    pub fn new(
        service_name: &str,
        peers: &PeersSettings,
        auth: &AuthSettings,
    ) -> Result<Self, PeersError> {
        let tls = peers_tls(peers)?;
        let channel = |setting: &'static str, url: &str| {
            let error = |message: String| PeersError { setting, message };
            let mut endpoint = Endpoint::from_shared(url.to_owned())
                .map_err(|e| error(format!("not a usable URL: {e}")))?;
            if url.starts_with("https://") {
                let tls = tls.clone().ok_or_else(|| PeersError {
                    setting: "peers.ca_path",
                    message: format!(
                        "{setting} is an https URL: name the CA certificates that sign the \
                         peers' certificates"
                    ),
                })?;
                endpoint = endpoint
                    .tls_config(tls)
                    .map_err(|e| error(format!("TLS: {e}")))?;
            }
            Ok(endpoint
                .connect_timeout(std::time::Duration::from_secs(5))
                .timeout(std::time::Duration::from_secs(30))
                .connect_lazy())
        };
        Ok(Self {
            offers: channel("peers.offers", &peers.offers)?,
            candidates: channel("peers.candidates", &peers.candidates)?,
            matching: channel("peers.matching", &peers.matching)?,
            notifications: channel("peers.notifications", &peers.notifications)?,
            auth: ServiceAuth::new(service_name, auth)?,
        })
    }

    /// The channel to `service` (connects on first use, reconnects as needed).
    ///
    /// # Panics
    /// On `PlatformService::Unspecified`, which names no service: a programming error.
    pub fn channel(&self, service: PlatformService) -> Channel {
        match service {
            PlatformService::Offers => self.offers.clone(),
            PlatformService::Candidates => self.candidates.clone(),
            PlatformService::Matching => self.matching.clone(),
            PlatformService::Notifications => self.notifications.clone(),
            PlatformService::Unspecified => {
                panic!("PlatformService::Unspecified names no peer")
            }
        }
    }

    /// The interceptor that adds this service's token and the current trace context.
    pub fn auth(&self) -> ServiceAuth {
        self.auth.clone()
    }
}

/// A tonic interceptor adding `authorization: Bearer <service token>` (renewed before it
/// expires) and the W3C trace context of the current span.
#[derive(Clone)]
pub struct ServiceAuth {
    inner: Arc<TokenSource>,
}

impl std::fmt::Debug for ServiceAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAuth")
            .field("subject", &self.inner.subject)
            .field("can_sign", &self.inner.key.is_some())
            .finish()
    }
}

struct TokenSource {
    subject: String,
    /// The `iss` and `aud` the services require of every token (`auth.issuer`,
    /// `auth.audience`), so that a peer accepts this service's tokens too.
    issuer: Option<String>,
    audience: Option<String>,
    key: Option<(Header, EncodingKey)>,
    cached: Mutex<Option<(String, DateTime<Utc>)>>,
}

/// How long a service token lives, and how long before its end a new one is signed.
const TOKEN_TTL_SECS: i64 = 300;
const RENEW_BEFORE_SECS: i64 = 60;

impl ServiceAuth {
    fn new(service_name: &str, auth: &AuthSettings) -> Result<Self, PeersError> {
        let key = match (&auth.signing_key, &auth.hs256_secret) {
            (Some(signing), _) => {
                let pem = signing.pem.expose_secret().as_bytes();
                let (algorithm, key) = match signing.algorithm {
                    KeyAlgorithm::Rs256 => (Algorithm::RS256, EncodingKey::from_rsa_pem(pem)),
                    KeyAlgorithm::Es256 => (Algorithm::ES256, EncodingKey::from_ec_pem(pem)),
                };
                let key = key.map_err(|error| PeersError {
                    setting: "auth.signing_key.pem",
                    message: error.to_string(),
                })?;
                let mut header = Header::new(algorithm);
                header.kid = Some(signing.kid.clone());
                Some((header, key))
            }
            (None, Some(secret)) => Some((
                Header::new(Algorithm::HS256),
                EncodingKey::from_secret(secret.expose_secret().as_bytes()),
            )),
            (None, None) => None,
        };
        Ok(Self {
            inner: Arc::new(TokenSource {
                subject: service_name.to_owned(),
                issuer: auth.issuer.clone(),
                audience: auth.audience.clone(),
                key,
                cached: Mutex::new(None),
            }),
        })
    }

    /// A valid token, signed anew when the cached one is close to its end.
    fn token(&self) -> Result<String, Status> {
        let source = &self.inner;
        let (header, key) = source.key.as_ref().ok_or_else(|| {
            Status::unauthenticated(
                "this service cannot sign service tokens: set auth.signing_key (or \
                 auth.hs256_secret in development)",
            )
        })?;
        let now = Utc::now();
        let mut cached = source
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((token, expires_at)) = cached.as_ref()
            && (*expires_at - now).num_seconds() > RENEW_BEFORE_SECS
        {
            return Ok(token.clone());
        }
        let mut claims = Claims::new(
            &Caller::Service,
            source.subject.clone(),
            chrono::Duration::seconds(TOKEN_TTL_SECS),
        );
        claims.iss.clone_from(&source.issuer);
        claims.aud.clone_from(&source.audience);
        let token = jsonwebtoken::encode(header, &claims, key)
            .map_err(|error| Status::internal(format!("cannot sign a service token: {error}")))?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
        *cached = Some((token.clone(), expires_at));
        Ok(token)
    }
}

impl Interceptor for ServiceAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let token = self.token()?;
        let value = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| Status::internal("a service token is not a valid header value"))?;
        request.metadata_mut().insert("authorization", value);
        vte_telemetry::propagation::inject(
            &tracing::Span::current(),
            &mut vte_telemetry::propagation::MetadataInjector(request.metadata_mut()),
        );
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AuthError, Authenticator, Caller};

    fn dev_auth() -> AuthSettings {
        AuthSettings {
            development: true,
            hs256_secret: Some(secrecy::SecretString::from("peer-test-secret".to_owned())),
            leeway_secs: 0,
            ..AuthSettings::default()
        }
    }

    #[test]
    fn a_service_token_verifies_as_the_service_role_with_the_service_as_subject() {
        let auth = ServiceAuth::new("offers", &dev_auth()).expect("auth");
        let token = auth.token().expect("token");
        let identity = Authenticator::from_settings(&dev_auth())
            .expect("authenticator")
            .verify(&token)
            .expect("verifies");
        assert_eq!(identity.caller, Caller::Service);
        assert_eq!(identity.subject, "offers");
        assert_eq!(auth.token().expect("cached"), token, "reused while fresh");
    }

    #[test]
    fn a_service_token_carries_the_issuer_and_audience_the_services_require() {
        let settings = AuthSettings {
            issuer: Some("https://auth.vte-france.fr".to_owned()),
            audience: Some("vte-platform".to_owned()),
            ..dev_auth()
        };
        let token = ServiceAuth::new("matching", &settings)
            .expect("auth")
            .token()
            .expect("token");
        let identity = Authenticator::from_settings(&settings)
            .expect("authenticator")
            .verify(&token)
            .expect("verifies where issuer and audience are required");
        assert_eq!(identity.subject, "matching");
        let other = AuthSettings {
            audience: Some("another-platform".to_owned()),
            ..settings
        };
        assert!(
            Authenticator::from_settings(&other)
                .expect("authenticator")
                .verify(&token)
                .is_err(),
            "another audience refuses it"
        );
    }

    fn test_key(name: &str) -> String {
        let package = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it");
        std::fs::read_to_string(format!("{package}/tests/keys/{name}")).expect("test key")
    }

    /// Production: offers signs with its own key, which every service knows bound to offers.
    fn production_auth(bound_to: &str) -> AuthSettings {
        AuthSettings {
            public_keys: vec![crate::settings::PublicKeySettings {
                kid: "offers-2026".to_owned(),
                algorithm: KeyAlgorithm::Es256,
                pem: test_key("es256-public.pem"),
                roles: Some(vec!["service".to_owned()]),
                subject: Some(bound_to.to_owned()),
            }],
            signing_key: Some(SigningKeySettings {
                kid: "offers-2026".to_owned(),
                algorithm: KeyAlgorithm::Es256,
                pem: secrecy::SecretString::from(test_key("es256-private.pem")),
            }),
            issuer: Some("https://auth.vte-france.fr".to_owned()),
            audience: Some("vte-platform".to_owned()),
            leeway_secs: 0,
            ..AuthSettings::default()
        }
    }

    #[test]
    fn a_service_token_signed_with_its_own_key_verifies_only_where_that_key_is_bound_to_it() {
        let token = ServiceAuth::new("offers", &production_auth("offers"))
            .expect("auth")
            .token()
            .expect("token");
        let verify = |bound_to: &str| {
            Authenticator::from_settings(&production_auth(bound_to))
                .expect("authenticator")
                .verify(&token)
        };
        assert_eq!(verify("offers").expect("verifies").subject, "offers");
        assert!(
            matches!(verify("matching"), Err(AuthError::KeyMayNotSign(_))),
            "a key bound to matching does not vouch for offers"
        );
    }

    #[test]
    fn without_a_key_the_call_is_refused_with_the_setting_to_fix() {
        let auth = ServiceAuth::new("offers", &AuthSettings::default()).expect("auth");
        let error = auth.token().expect_err("no key");
        assert!(error.message().contains("auth.signing_key"), "{error:?}");
    }

    #[tokio::test]
    async fn a_peer_url_that_is_not_a_url_names_its_setting() {
        let settings = PeersSettings {
            candidates: String::from("not a url"),
            ..PeersSettings::default()
        };
        let error = Peers::new("offers", &settings, &dev_auth()).expect_err("bad url");
        assert_eq!(error.setting, "peers.candidates");
    }

    #[test]
    fn service_names_and_subjects_round_trip() {
        for service in [
            PlatformService::Offers,
            PlatformService::Candidates,
            PlatformService::Matching,
            PlatformService::Notifications,
        ] {
            let subject = service_subject(service).expect("named");
            assert_eq!(platform_service(subject), Some(service));
        }
        assert_eq!(platform_service("billing"), None);
    }
}
