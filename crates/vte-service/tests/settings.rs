//! Settings: defaults per service, a TOML file, environment overrides, secrets kept out of logs.

#![allow(clippy::unwrap_used, clippy::result_large_err)] // figment::Jail's closures return its large error

use secrecy::ExposeSecret;
use vte_service::settings::LogFormat;
use vte_service::settings::OwnSettings;
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

#[test]
fn an_unknown_key_in_a_section_is_refused_naming_it() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("VTE_SERVER__GRPC_ADRESS", "0.0.0.0:6000");
        let error = Settings::load(OFFERS).unwrap_err().to_string();
        assert!(error.contains("grpc_adress"), "{error}");
        Ok(())
    });
}

/// A service's own section, as a service would declare it.
#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct OffersOwn {
    sweep_period_secs: u64,
}

impl Default for OffersOwn {
    fn default() -> Self {
        Self {
            sweep_period_secs: 60,
        }
    }
}

impl OwnSettings for OffersOwn {
    const SECTION: &'static str = "offers";

    fn check(&self) -> Result<(), String> {
        if self.sweep_period_secs == 0 {
            return Err("offers.sweep_period_secs: must be at least 1".into());
        }
        Ok(())
    }
}

#[test]
fn a_services_own_section_is_loaded_from_the_same_sources_and_checked() {
    figment::Jail::expect_with(|jail| {
        assert_eq!(OffersOwn::load(OFFERS).unwrap(), OffersOwn::default());
        jail.create_file("offers.toml", "[offers]\nsweep_period_secs = 5\n")?;
        jail.set_env("VTE_CONFIG", "offers.toml");
        assert_eq!(OffersOwn::load(OFFERS).unwrap().sweep_period_secs, 5);
        jail.set_env("VTE_OFFERS__SWEEP_PERIOD_SECS", "0");
        let refused = OffersOwn::load(OFFERS).unwrap_err();
        assert!(refused.contains("offers.sweep_period_secs"), "{refused}");
        jail.set_env("VTE_OFFERS__SWEEP_PERIOD", "7");
        let unknown = OffersOwn::load(OFFERS).unwrap_err();
        assert!(unknown.contains("sweep_period"), "{unknown}");
        Ok(())
    });
}

#[test]
fn a_misspelt_kafka_or_telemetry_key_is_refused_too() {
    for (variable, key) in [
        ("VTE_KAFKA__BROKER", "broker"),
        ("VTE_TELEMETRY__OTLP_ENDPOIN", "otlp_endpoin"),
    ] {
        figment::Jail::expect_with(|jail| {
            jail.set_env(variable, "somewhere");
            let error = Settings::load(OFFERS).unwrap_err().to_string();
            assert!(error.contains(key), "{error}");
            Ok(())
        });
    }
}
