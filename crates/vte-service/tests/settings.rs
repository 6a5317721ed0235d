//! Settings: defaults per service, a TOML file, environment overrides, secrets kept out of logs.

#![allow(clippy::unwrap_used, clippy::result_large_err)] // figment::Jail's closures return its large error

use secrecy::ExposeSecret;
use vte_service::settings::LogFormat;
use vte_service::{ServiceDefaults, Settings};

const OFFERS: ServiceDefaults = ServiceDefaults {
    name: "offers",
    grpc_port: 50051,
    metrics_port: 9451,
};

#[test]
fn a_file_and_the_environment_override_the_defaults_in_that_order() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "offers.toml",
            r#"
            [server]
            grpc_addr = "0.0.0.0:6000"
            [telemetry]
            log_format = "json"
            [kafka]
            brokers = "kafka-1:9092"
            "#,
        )?;
        jail.set_env("VTE_CONFIG", "offers.toml");
        jail.set_env("VTE_KAFKA__BROKERS", "kafka-2:9092");
        jail.set_env("VTE_OFFERS__AUTH__HS256_SECRET", "from-the-environment");
        jail.set_env("VTE_MATCHING__AUTH__HS256_SECRET", "not-for-offers");
        jail.set_env("DATABASE_URL", "postgres://offers:pw@db:5432/offers");

        let settings = Settings::load(OFFERS).unwrap();
        assert_eq!(settings.service_name, "offers");
        assert_eq!(settings.server.grpc_addr.to_string(), "0.0.0.0:6000");
        assert_eq!(settings.server.metrics_addr.to_string(), "127.0.0.1:9451");
        assert_eq!(settings.kafka.brokers, "kafka-2:9092");
        assert_eq!(settings.telemetry.log_format, LogFormat::Json);
        assert_eq!(
            settings.auth.hs256_secret.as_ref().unwrap().expose_secret(),
            "from-the-environment"
        );
        assert_eq!(
            settings.database.url.expose_secret(),
            "postgres://offers:pw@db:5432/offers"
        );
        Ok(())
    });
}

#[test]
fn secrets_never_appear_in_debug_output() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("VTE_AUTH__HS256_SECRET", "s3cr3t-value");
        jail.set_env("DATABASE_URL", "postgres://offers:hunter2@db/offers");
        let printed = format!("{:?}", Settings::load(OFFERS).unwrap());
        assert!(!printed.contains("s3cr3t-value"), "{printed}");
        assert!(!printed.contains("hunter2"), "{printed}");
        Ok(())
    });
}

#[test]
fn a_bad_value_is_reported_with_its_key() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("VTE_SERVER__GRPC_ADDR", "not-an-address");
        let error = Settings::load(OFFERS)
            .unwrap_err()
            .to_string()
            .to_lowercase();
        assert!(error.contains("grpc_addr"), "{error}");
        Ok(())
    });
}
