//! TLS and SASL towards Kafka: the settings load from a service's configuration (old ones
//! unchanged), reach every client librdkafka makes, keep the password out of debug output, and a
//! configuration that cannot work or would send a password in clear is refused before any client
//! is made, naming the setting. librdkafka's embedded cluster speaks neither TLS nor SASL (its
//! `rdkafka_mock*.c` handles no SaslHandshake request), so nothing here logs into a broker: a
//! SASL client of it is shown to fail where a plaintext one succeeds. This workspace's librdkafka
//! is built with OpenSSL (the rdkafka crate's `ssl-vendored` feature), so TLS and SCRAM are
//! available.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use figment::providers::Format as _;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer as _;
use secrecy::SecretString;
use vte_events::KafkaSettings;
use vte_events::security::{SaslMechanism, SecurityProtocol};

fn load(toml: &str) -> Result<KafkaSettings, String> {
    figment::Figment::new()
        .merge(figment::providers::Toml::string(toml))
        .extract()
        .map_err(|error| error.to_string())
}

fn sasl(protocol: SecurityProtocol, mechanism: SaslMechanism) -> KafkaSettings {
    let mut settings = KafkaSettings::new("127.0.0.1:9");
    settings.security_protocol = protocol;
    settings.sasl_mechanism = Some(mechanism);
    settings.sasl_username = Some("vte-offers".into());
    settings.sasl_password = Some(SecretString::from("s3cret-do-not-print".to_owned()));
    settings
}

fn refusal(settings: &KafkaSettings) -> String {
    match settings.producer() {
        Err(KafkaError::ClientCreation(reason)) => reason,
        Err(other) => panic!("expected a refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, got a producer"),
    }
}

#[test]
fn a_configuration_without_security_settings_still_loads_as_plaintext() {
    let settings = load(r#"brokers = "kafka:9092""#).unwrap();
    assert_eq!(settings.security_protocol, SecurityProtocol::Plaintext);
    assert!(settings.sasl_password.is_none());
    let _producer = settings.producer().unwrap();
}

#[test]
fn sasl_settings_load_and_reach_the_client_configuration_without_showing_the_password() {
    let settings = load(
        r#"
        brokers = "kafka:9093"
        security_protocol = "sasl_ssl"
        sasl_mechanism = "SCRAM-SHA-512"
        sasl_username = "vte-offers"
        sasl_password = "s3cret-do-not-print"
        ssl_ca_location = "/etc/vte/kafka-ca.pem"
        "#,
    )
    .unwrap();
    assert!(!format!("{settings:?}").contains("s3cret"));
    let config = settings.client_config().unwrap();
    assert_eq!(config.get("security.protocol"), Some("sasl_ssl"));
    assert_eq!(config.get("sasl.mechanisms"), Some("SCRAM-SHA-512"));
    assert_eq!(config.get("sasl.username"), Some("vte-offers"));
    assert_eq!(config.get("sasl.password"), Some("s3cret-do-not-print"));
    assert_eq!(config.get("ssl.ca.location"), Some("/etc/vte/kafka-ca.pem"));
    assert!(!format!("{config:?}").contains("s3cret"));
    let consumer = settings.consumer_config("vte.offers");
    assert_eq!(consumer.get("sasl.mechanisms"), Some("SCRAM-SHA-512"));
    assert_eq!(consumer.get("security.protocol"), Some("sasl_ssl"));
}

#[test]
fn an_unknown_mechanism_or_protocol_is_refused_when_the_settings_load() {
    let refused = load(
        r#"
        brokers = "kafka:9093"
        security_protocol = "sasl_ssl"
        sasl_mechanism = "GSSAPI"
        "#,
    )
    .unwrap_err();
    assert!(refused.contains("GSSAPI"), "{refused}");
    assert!(refused.contains("SCRAM-SHA-512"), "{refused}");
    let refused = load(
        r#"
        brokers = "kafka:9093"
        security_protocol = "tls"
        "#,
    )
    .unwrap_err();
    assert!(refused.contains("sasl_ssl"), "{refused}");
}

#[test]
fn a_plain_password_without_tls_is_refused_naming_the_setting() {
    let reason = refusal(&sasl(SecurityProtocol::SaslPlaintext, SaslMechanism::Plain));
    assert!(reason.contains("kafka.sasl_mechanism"), "{reason}");
    assert!(reason.contains("in clear"), "{reason}");
    assert!(!reason.contains("s3cret"), "{reason}");
}

#[test]
fn sasl_without_its_mechanism_or_password_is_refused_naming_the_setting() {
    let mut settings = sasl(SecurityProtocol::SaslSsl, SaslMechanism::ScramSha256);
    settings.sasl_mechanism = None;
    assert!(refusal(&settings).contains("kafka.sasl_mechanism: required"));
    let mut settings = sasl(SecurityProtocol::SaslSsl, SaslMechanism::ScramSha256);
    settings.sasl_password = None;
    assert!(refusal(&settings).contains("kafka.sasl_password: required"));
}

#[test]
fn credentials_or_certificates_the_protocol_would_ignore_are_refused() {
    let settings = sasl(SecurityProtocol::Plaintext, SaslMechanism::ScramSha256);
    let reason = refusal(&settings);
    assert!(reason.contains("does not use SASL"), "{reason}");
    let mut settings = KafkaSettings::new("127.0.0.1:9");
    settings.ssl_ca_location = Some("/etc/vte/kafka-ca.pem".into());
    let reason = refusal(&settings);
    assert!(reason.contains("kafka.ssl_ca_location"), "{reason}");
    assert!(reason.contains("does not use TLS"), "{reason}");
}

#[tokio::test]
async fn a_consumer_runner_with_an_unsafe_configuration_refuses_to_start() {
    let settings = sasl(SecurityProtocol::SaslPlaintext, SaslMechanism::Plain);
    let database = vte_testbed::TestDatabase::create().await;
    // The dead-letter producer is made from other, valid settings: the runner checks its own.
    let producer = KafkaSettings::new("127.0.0.1:9").producer().unwrap();
    let runner = vte_events::ConsumerRunner::new(
        &settings,
        "security-tests",
        database.pool().await,
        producer,
        vte_events::consumer::ConsumerOptions::default(),
        &prometheus::Registry::new(),
    );
    let stopped = runner
        .run(tokio_util::sync::CancellationToken::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(stopped.contains("kafka.sasl_mechanism"), "{stopped}");
}

#[test]
fn a_scram_client_is_made_with_this_builds_openssl_and_the_embedded_broker_cannot_follow() {
    let broker = vte_embedded::EmbeddedBroker::start(1).unwrap();
    let mut settings = sasl(SecurityProtocol::SaslPlaintext, SaslMechanism::ScramSha256);
    settings.brokers = broker.bootstrap_servers().to_owned();
    // librdkafka is built with OpenSSL (rdkafka's `ssl-vendored` feature): SCRAM and TLS are available,
    // so the client is made; the embedded broker speaks no SASL, so it cannot authenticate.
    let producer = settings
        .producer()
        .expect("librdkafka with OpenSSL makes a SCRAM client");
    let metadata = producer
        .client()
        .fetch_metadata(None, Duration::from_secs(3));
    assert!(metadata.is_err(), "the embedded broker speaks no SASL");
}

#[test]
fn the_sasl_settings_are_spoken_on_the_wire_where_the_embedded_broker_cannot_follow() {
    let broker = vte_embedded::EmbeddedBroker::start(1).unwrap();
    let mut plain = KafkaSettings::new(broker.bootstrap_servers());
    let reaches: BaseConsumer = plain.consumer_config("security-tests").create().unwrap();
    reaches
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("a plaintext client reads the embedded broker's metadata");
    // PLAIN without TLS, which the services refuse, only to see the client try SASL: the
    // consumer's configuration is made unchecked, the runner checks it before use.
    plain.security_protocol = SecurityProtocol::SaslPlaintext;
    plain.sasl_mechanism = Some(SaslMechanism::Plain);
    plain.sasl_username = Some("vte-offers".into());
    plain.sasl_password = Some(SecretString::from("s3cret-do-not-print".to_owned()));
    let refused: BaseConsumer = plain.consumer_config("security-tests").create().unwrap();
    assert!(
        refused
            .fetch_metadata(None, Duration::from_secs(3))
            .is_err(),
        "the client asked for a SASL handshake the embedded broker does not answer"
    );
}
