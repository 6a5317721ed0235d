//! Typed settings, layered: built-in defaults (each service brings its own ports and database),
//! then a TOML file named by `VTE_CONFIG`, then environment variables `VTE_<SECTION>__<KEY>`
//! (and `VTE_<SERVICE>__<SECTION>__<KEY>` for one service only, when several share a process
//! environment), then the conventional `DATABASE_URL`, `KAFKA_BROKERS` and
//! `OTEL_EXPORTER_OTLP_ENDPOINT`. Secrets are wrapped so they never reach a log.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::Deserialize;
pub use vte_events::KafkaSettings;
use vte_proto::vte::common::v1::PlatformService;

pub use vte_telemetry::{LogFormat, TelemetrySettings};

/// What distinguishes one service's defaults from another's.
#[derive(Debug, Clone, Copy)]
pub struct ServiceDefaults {
    /// The service's name: `offers`, `candidates`, `matching`, `notifications`.
    pub name: &'static str,
    /// Default gRPC port on loopback.
    pub grpc_port: u16,
    /// Default Prometheus port on loopback.
    pub metrics_port: u16,
}

/// Everything a service reads from its environment.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The service's name, used in telemetry, health and the consumer group.
    pub service_name: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub kafka: KafkaSettings,
    pub auth: AuthSettings,
    #[serde(default)]
    pub telemetry: TelemetrySettings,
    pub reference: ReferenceSettings,
    /// Where the scheme's rules are read from (`rules.dir`, default `rules`: the repository's
    /// `rules/` directory when run from its root).
    #[serde(default)]
    pub rules: RulesSettings,
    /// Where the other services listen, for the few calls one service makes to another.
    #[serde(default)]
    pub peers: PeersSettings,
}

/// Where the service listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// gRPC address; port 0 picks a free port.
    pub grpc_addr: SocketAddr,
    /// Prometheus `/metrics` address; port 0 picks a free port. Defaults to loopback: the
    /// metrics are never served on the gRPC port, and are reachable from elsewhere only when
    /// this names a routable address (the pod's, for Prometheus to scrape).
    pub metrics_addr: SocketAddr,
    /// How long in-flight calls may take to finish after a shutdown signal, in seconds.
    #[serde(default = "default_grace_secs")]
    pub shutdown_grace_secs: u64,
    /// How long a call may take to its reply (unary calls; the headers of server-streaming
    /// ones), in seconds; past it the call is answered `DEADLINE_EXCEEDED`. Calls that stream
    /// requests (`PushProfiles`, reflection) are bounded by their own idle timeouts instead.
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: u64,
    /// How many calls one HTTP/2 connection may run at once (`SETTINGS_MAX_CONCURRENT_STREAMS`).
    #[serde(default = "default_max_concurrent_streams")]
    pub max_concurrent_streams: u32,
    /// Whether accepted connections set `TCP_NODELAY`; left on except to measure what Nagle's
    /// algorithm costs (about 40 ms a call against a client that delays its ACKs).
    #[serde(default = "default_true")]
    pub tcp_nodelay: bool,
    /// Whether gRPC reflection is served on the gRPC port. Off by default (production);
    /// always on in development mode (`auth.development`: `vte up`, tests).
    #[serde(default)]
    pub reflection: bool,
    /// Serve gRPC over TLS with this certificate and key; plaintext without it.
    #[serde(default)]
    pub tls: Option<ServerTlsSettings>,
}

/// The certificate and key gRPC is served with over TLS (rustls), both PEM files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTlsSettings {
    /// The certificate chain, leaf first (PEM).
    pub cert_path: PathBuf,
    /// The private key of the leaf certificate (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_path: PathBuf,
}

impl ServerSettings {
    /// The shutdown grace period.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

fn default_grace_secs() -> u64 {
    10
}

fn default_request_timeout_secs() -> u64 {
    30
}

fn default_max_concurrent_streams() -> u32 {
    100
}

fn default_true() -> bool {
    true
}

/// The service's own PostgreSQL database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://user:password@host:port/database`; may carry a password, so it is secret.
    pub url: SecretString,
    /// Pool size.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// How long to keep trying to reach the database at start-up, in seconds.
    #[serde(default = "default_connect_timeout_secs")]
    pub connect_timeout_secs: u64,
    /// How long a call waits for a free pooled connection before it is answered `UNAVAILABLE`,
    /// in seconds.
    #[serde(default = "default_acquire_timeout_secs")]
    pub acquire_timeout_secs: u64,
    /// PostgreSQL's `statement_timeout` on every pooled connection, in seconds (0: none).
    /// Migrations run without it.
    #[serde(default = "default_statement_timeout_secs")]
    pub statement_timeout_secs: u64,
    /// PostgreSQL's `idle_in_transaction_session_timeout` on every pooled connection, in
    /// seconds (0: none): a transaction left open that long loses its connection.
    #[serde(default = "default_idle_in_transaction_timeout_secs")]
    pub idle_in_transaction_timeout_secs: u64,
}

fn default_acquire_timeout_secs() -> u64 {
    10
}

fn default_statement_timeout_secs() -> u64 {
    30
}

fn default_idle_in_transaction_timeout_secs() -> u64 {
    60
}

fn default_max_connections() -> u32 {
    10
}

fn default_connect_timeout_secs() -> u64 {
    30
}

/// How tokens are verified. Outside development mode (`auth.development`, which tests, the
/// embedded platform and `vte up` set) a service refuses to start with an HS256 secret or
/// without `issuer` and `audience`; see `vte_service::auth`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Development mode (`VTE_AUTH__DEVELOPMENT=true`): HS256 tokens signed with
    /// `hs256_secret` are accepted, for any role, and `issuer` / `audience` may be left out.
    #[serde(default)]
    pub development: bool,
    /// HS256 shared secret, for development only (refused without `development`).
    #[serde(default)]
    pub hs256_secret: Option<SecretString>,
    /// Asymmetric public keys (production); several at once while keys rotate. Each signs
    /// only the roles (and subject) it is bound to.
    #[serde(default)]
    pub public_keys: Vec<PublicKeySettings>,
    /// Required `iss` claim; required setting outside development mode.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Required `aud` claim (a token's `aud` may be this string or an array holding it);
    /// required setting outside development mode.
    #[serde(default)]
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    #[serde(default = "default_leeway_secs")]
    pub leeway_secs: u64,
    /// The longest a person's or site's token may live (`exp - iat`), in seconds: 24 hours.
    #[serde(default = "default_max_token_lifetime_secs")]
    pub max_token_lifetime_secs: u64,
    /// The longest a `service` token may live, in seconds: one hour (services sign theirs for
    /// five minutes).
    #[serde(default = "default_max_service_token_lifetime_secs")]
    pub max_service_token_lifetime_secs: u64,
    /// The private key this service signs its `service` tokens with when it calls another
    /// service (production); without it, the development HS256 secret signs them.
    #[serde(default)]
    pub signing_key: Option<SigningKeySettings>,
}

impl Default for AuthSettings {
    /// No key, not in development mode, and the documented defaults of the limits.
    fn default() -> Self {
        Self {
            development: false,
            hs256_secret: None,
            public_keys: Vec::new(),
            issuer: None,
            audience: None,
            leeway_secs: default_leeway_secs(),
            max_token_lifetime_secs: default_max_token_lifetime_secs(),
            max_service_token_lifetime_secs: default_max_service_token_lifetime_secs(),
            signing_key: None,
        }
    }
}

fn default_leeway_secs() -> u64 {
    30
}

fn default_max_token_lifetime_secs() -> u64 {
    24 * 3600
}

fn default_max_service_token_lifetime_secs() -> u64 {
    3600
}

/// One public key tokens are verified with: the identity provider's, or the public half of a
/// service's signing key. A key signs only what it is bound to: `roles` (by default every
/// role but `service`) and, when set, the one `subject`. A service's key says
/// `roles = ["service"]` and `subject = "<that service's name>"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeySettings {
    /// The `kid` tokens name this key by.
    pub kid: String,
    pub algorithm: KeyAlgorithm,
    /// The PEM-encoded public key.
    pub pem: String,
    /// The roles this key may sign, as named in tokens (`site`, `school`...); absent: every
    /// role but `service`. A key that signs `service` signs nothing else.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// The only `sub` this key may sign; required (a service's name) when it signs `service`.
    #[serde(default)]
    pub subject: Option<String>,
}

/// Asymmetric algorithms accepted in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum KeyAlgorithm {
    #[serde(rename = "RS256")]
    Rs256,
    #[serde(rename = "ES256")]
    Es256,
}

/// Where the reference data (communes, Territoires d'industrie) is read from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSettings {
    pub dir: PathBuf,
}

/// Where the scheme's rule sets are (`rules/*.toml`, see `vte_rules`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSettings {
    /// The directory of the rule files; every service reads the same files.
    pub dir: PathBuf,
}

impl Default for RulesSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("rules"),
        }
    }
}

/// A service's own section of the settings (`[candidates]`, `[matching]`...), read from the
/// same layered sources as [`Settings`] (defaults, the `VTE_CONFIG` file, `VTE_<SECTION>__<KEY>`
/// variables) and checked before the service starts. Every service loads its own the same way,
/// through [`OwnSettings::load`]; unknown keys are refused (`deny_unknown_fields`).
pub trait OwnSettings:
    serde::de::DeserializeOwned + Default + std::fmt::Debug + Send + Sync + 'static
{
    /// The section's name: the service's name.
    const SECTION: &'static str;

    /// Checks beyond the types; the message names the setting (`matching.suggestions.count:
    /// must lie in 1..=100`).
    fn check(&self) -> Result<(), String> {
        Ok(())
    }

    /// Reads the section from the sources of `defaults`' service (its defaults when absent) and
    /// checks it.
    fn load(defaults: ServiceDefaults) -> Result<Self, String> {
        let figment = Settings::figment(defaults);
        let settings = if figment.contains(Self::SECTION) {
            figment
                .extract_inner::<Self>(Self::SECTION)
                .map_err(|error| format!("{}: {error}", Self::SECTION))?
        } else {
            Self::default()
        };
        settings.check()?;
        Ok(settings)
    }
}

/// Settings could not be read; the message names the key at fault.
#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(#[from] Box<figment::Error>);

impl Settings {
    /// Loads the settings of a service from its defaults, the `VTE_CONFIG` file and the
    /// environment.
    pub fn load(defaults: ServiceDefaults) -> Result<Self, SettingsError> {
        Self::figment(defaults)
            .extract()
            .map_err(|e| SettingsError(Box::new(e)))
    }

    /// The layered sources, for callers that add their own (the embedded run sets ports and
    /// databases for four services in one process).
    pub fn figment(defaults: ServiceDefaults) -> Figment {
        let mut figment = Figment::new()
            .merge(Serialized::default("service_name", defaults.name))
            .merge(Serialized::default(
                "server.grpc_addr",
                format!("127.0.0.1:{}", defaults.grpc_port),
            ))
            .merge(Serialized::default(
                "server.metrics_addr",
                format!("127.0.0.1:{}", defaults.metrics_port),
            ))
            .merge(Serialized::default(
                "database.url",
                format!("postgres://postgres@127.0.0.1:5432/{}", defaults.name),
            ))
            .merge(Serialized::default("kafka.brokers", "127.0.0.1:9092"))
            .merge(Serialized::default("reference.dir", "../shared/reference"));
        if let Ok(path) = std::env::var("VTE_CONFIG") {
            figment = figment.merge(Toml::file_exact(path));
        }
        let service_prefix = format!("VTE_{}__", defaults.name.to_ascii_uppercase());
        figment
            .merge(Env::prefixed("VTE_").split("__").filter(|key| {
                // Keys of one service's own prefix and the test bed's are not general settings.
                let key = key.as_str().to_ascii_uppercase();
                !key.starts_with("TEST_") && key != "CONFIG"
            }))
            .merge(Env::prefixed(&service_prefix).split("__"))
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database.url".into()),
            )
            .merge(
                Env::raw()
                    .only(&["KAFKA_BROKERS"])
                    .map(|_| "kafka.brokers".into()),
            )
            .merge(
                Env::raw()
                    .only(&["OTEL_EXPORTER_OTLP_ENDPOINT"])
                    .map(|_| "telemetry.otlp_endpoint".into()),
            )
    }
}

impl Settings {
    /// Settings for a service on loopback with free ports, the given database and broker and a
    /// development HS256 secret, in development mode (`auth.development`), read from nowhere
    /// else: how tests (and the embedded platform, which then sets its fixed ports) start
    /// services.
    pub fn local(
        defaults: ServiceDefaults,
        database_url: &str,
        kafka_brokers: &str,
        hs256_secret: &str,
        reference_dir: &std::path::Path,
    ) -> Self {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            service_name: defaults.name.to_owned(),
            server: ServerSettings {
                grpc_addr: loopback,
                metrics_addr: loopback,
                shutdown_grace_secs: default_grace_secs(),
                request_timeout_secs: default_request_timeout_secs(),
                max_concurrent_streams: default_max_concurrent_streams(),
                tcp_nodelay: true,
                // Development mode serves reflection anyway.
                reflection: false,
                tls: None,
            },
            database: DatabaseSettings {
                url: SecretString::from(database_url.to_owned()),
                max_connections: default_max_connections(),
                connect_timeout_secs: default_connect_timeout_secs(),
                acquire_timeout_secs: default_acquire_timeout_secs(),
                statement_timeout_secs: default_statement_timeout_secs(),
                idle_in_transaction_timeout_secs: default_idle_in_transaction_timeout_secs(),
            },
            kafka: KafkaSettings::new(kafka_brokers),
            auth: AuthSettings {
                development: true,
                hs256_secret: Some(SecretString::from(hs256_secret.to_owned())),
                ..AuthSettings::default()
            },
            telemetry: TelemetrySettings::default(),
            reference: ReferenceSettings {
                dir: reference_dir.to_owned(),
            },
            rules: RulesSettings {
                dir: vte_rules::repository_rules_dir(),
            },
            peers: PeersSettings::default(),
        }
    }
}

/// Where the other services listen (gRPC URLs).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PeersSettings {
    pub offers: String,
    pub candidates: String,
    pub matching: String,
    pub notifications: String,
    /// The CA certificates (PEM) that sign the peers' certificates, for peers reached over TLS
    /// (`https://` URLs, served with `server.tls`); required as soon as one URL is `https`.
    pub ca_path: Option<PathBuf>,
}

impl Default for PeersSettings {
    fn default() -> Self {
        Self {
            offers: String::from("http://127.0.0.1:50051"),
            candidates: String::from("http://127.0.0.1:50052"),
            matching: String::from("http://127.0.0.1:50053"),
            notifications: String::from("http://127.0.0.1:50054"),
            ca_path: None,
        }
    }
}

impl PeersSettings {
    /// The URL of `service`.
    pub fn url(&self, service: PlatformService) -> Option<&str> {
        match service {
            PlatformService::Offers => Some(&self.offers),
            PlatformService::Candidates => Some(&self.candidates),
            PlatformService::Matching => Some(&self.matching),
            PlatformService::Notifications => Some(&self.notifications),
            PlatformService::Unspecified => None,
        }
    }
}

/// The private key a service signs its own `service` tokens with (production).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKeySettings {
    /// The `kid` put in the tokens' header; its public half is configured under that kid.
    pub kid: String,
    pub algorithm: KeyAlgorithm,
    /// The PEM-encoded private key.
    pub pem: SecretString,
}
