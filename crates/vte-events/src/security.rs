//! How the services reach Kafka: TLS, SASL authentication, or both, as librdkafka settings for
//! every producer, consumer and admin client. A configuration that could not work or would leak
//! is refused before any client is made, naming the setting: SASL without its mechanism or
//! credentials, credentials or certificates the protocol would ignore, and a PLAIN password over
//! a connection without TLS (anyone on the path would read it). librdkafka checks the rest at
//! client creation (an unknown mechanism, TLS in a build without it) and its error is passed on.

use rdkafka::ClientConfig;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

/// `security.protocol`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityProtocol {
    /// No TLS, no authentication: development and tests only.
    #[default]
    Plaintext,
    /// TLS, the broker's certificate checked against `ssl_ca_location` (or the system's CAs).
    Ssl,
    /// SASL without TLS: the events cross the network readable.
    SaslPlaintext,
    /// SASL over TLS: what production uses.
    SaslSsl,
}

impl SecurityProtocol {
    fn name(self) -> &'static str {
        match self {
            Self::Plaintext => "plaintext",
            Self::Ssl => "ssl",
            Self::SaslPlaintext => "sasl_plaintext",
            Self::SaslSsl => "sasl_ssl",
        }
    }

    fn uses_sasl(self) -> bool {
        matches!(self, Self::SaslPlaintext | Self::SaslSsl)
    }

    fn uses_tls(self) -> bool {
        matches!(self, Self::Ssl | Self::SaslSsl)
    }
}

/// `sasl.mechanisms`: the mechanisms a Kafka cluster authenticates services with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SaslMechanism {
    #[serde(rename = "PLAIN")]
    Plain,
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256,
    #[serde(rename = "SCRAM-SHA-512")]
    ScramSha512,
}

impl SaslMechanism {
    fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// A Kafka security configuration that is refused, naming the setting and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kafka.{setting}: {rule}")]
pub struct SecurityError {
    /// The setting at fault, without the `kafka.` prefix.
    pub setting: &'static str,
    /// What it breaks.
    pub rule: String,
}

/// The security part of [`crate::KafkaSettings`], borrowed.
pub(crate) struct Security<'a> {
    pub(crate) protocol: SecurityProtocol,
    pub(crate) sasl_mechanism: Option<SaslMechanism>,
    pub(crate) sasl_username: Option<&'a str>,
    pub(crate) sasl_password: Option<&'a SecretString>,
    pub(crate) ssl_ca_location: Option<&'a str>,
    pub(crate) ssl_certificate_location: Option<&'a str>,
    pub(crate) ssl_key_location: Option<&'a str>,
    pub(crate) ssl_key_password: Option<&'a SecretString>,
}

fn refuse(setting: &'static str, rule: impl Into<String>) -> SecurityError {
    SecurityError {
        setting,
        rule: rule.into(),
    }
}

impl Security<'_> {
    /// Refuses a configuration that could not work or would send a password in clear.
    pub(crate) fn check(&self) -> Result<(), SecurityError> {
        let protocol = self.protocol;
        if protocol.uses_sasl() {
            let Some(mechanism) = self.sasl_mechanism else {
                return Err(refuse(
                    "sasl_mechanism",
                    format!(
                        "required with security_protocol {}: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
                        protocol.name()
                    ),
                ));
            };
            if self.sasl_username.is_none_or(|name| name.trim().is_empty()) {
                return Err(refuse("sasl_username", "required with SASL"));
            }
            if self
                .sasl_password
                .is_none_or(|password| password.expose_secret().is_empty())
            {
                return Err(refuse("sasl_password", "required with SASL"));
            }
            if mechanism == SaslMechanism::Plain && !protocol.uses_tls() {
                return Err(refuse(
                    "sasl_mechanism",
                    "PLAIN sends the password in clear: use security_protocol sasl_ssl \
                     (or a SCRAM mechanism)",
                ));
            }
        } else {
            for (setting, set) in [
                ("sasl_mechanism", self.sasl_mechanism.is_some()),
                ("sasl_username", self.sasl_username.is_some()),
                ("sasl_password", self.sasl_password.is_some()),
            ] {
                if set {
                    return Err(refuse(
                        setting,
                        format!(
                            "set, but security_protocol {} does not use SASL: it would be ignored",
                            protocol.name()
                        ),
                    ));
                }
            }
        }
        if !protocol.uses_tls() {
            for (setting, set) in [
                ("ssl_ca_location", self.ssl_ca_location.is_some()),
                (
                    "ssl_certificate_location",
                    self.ssl_certificate_location.is_some(),
                ),
                ("ssl_key_location", self.ssl_key_location.is_some()),
                ("ssl_key_password", self.ssl_key_password.is_some()),
            ] {
                if set {
                    return Err(refuse(
                        setting,
                        format!(
                            "set, but security_protocol {} does not use TLS: it would be ignored",
                            protocol.name()
                        ),
                    ));
                }
            }
        }
        if self.ssl_certificate_location.is_some() != self.ssl_key_location.is_some() {
            return Err(refuse(
                "ssl_key_location",
                "a client certificate (ssl_certificate_location) and its key go together",
            ));
        }
        Ok(())
    }

    /// Sets the librdkafka properties of this configuration on `config`.
    pub(crate) fn apply(&self, config: &mut ClientConfig) {
        config.set("security.protocol", self.protocol.name());
        if let Some(mechanism) = self.sasl_mechanism {
            config.set("sasl.mechanisms", mechanism.name());
        }
        if let Some(username) = self.sasl_username {
            config.set("sasl.username", username);
        }
        // rdkafka keeps these out of its `Debug` output.
        if let Some(password) = self.sasl_password {
            config.set("sasl.password", password.expose_secret());
        }
        if let Some(location) = self.ssl_ca_location {
            config.set("ssl.ca.location", location);
        }
        if let Some(location) = self.ssl_certificate_location {
            config.set("ssl.certificate.location", location);
        }
        if let Some(location) = self.ssl_key_location {
            config.set("ssl.key.location", location);
        }
        if let Some(password) = self.ssl_key_password {
            config.set("ssl.key.password", password.expose_secret());
        }
    }
}
