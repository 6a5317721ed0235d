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

/// Whether a service with these settings would start: its verifier is the first thing it
/// builds, and fails on the auth rules before anything is connected.
fn starts(settings: &Settings) -> Result<(), String> {
    vte_service::auth::Authenticator::from_settings(&settings.auth)
        .map(drop)
        .map_err(|error| error.to_string())
}

const PUBLIC_KEY_FILE: &str = r#"
[auth]
issuer = "https://id.vte-france.fr"
audience = "vte-platform"
[[auth.public_keys]]
kid = "offers-2026"
algorithm = "ES256"
roles = ["service"]
subject = "offers"
pem = """
-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEO5xfeXnecdZaS+YJ/OAWBmAXhBJt
/cvs4GHZzgAlyIJgJaA8QJjUrO7s+wHeS2vU+8J3jeNwdoFNdU0cX70eFA==
-----END PUBLIC KEY-----
"""
"#;

#[test]
fn a_service_outside_development_mode_refuses_the_published_development_secret() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "VTE_AUTH__HS256_SECRET",
            vte_service::auth::DEVELOPMENT_SECRET,
        );
        let refused = starts(&Settings::load(OFFERS).unwrap()).unwrap_err();
        assert!(
            refused.starts_with("auth.hs256_secret: the published development secret")
                && refused.contains("VTE_AUTH__DEVELOPMENT"),
            "{refused}"
        );
        jail.set_env("VTE_AUTH__DEVELOPMENT", "true");
        let development = Settings::load(OFFERS).unwrap();
        assert!(development.auth.development);
        starts(&development).unwrap();
        Ok(())
    });
}

#[test]
fn an_hs256_secret_next_to_public_keys_is_refused_outside_development_mode() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("offers.toml", PUBLIC_KEY_FILE)?;
        jail.set_env("VTE_CONFIG", "offers.toml");
        let production = Settings::load(OFFERS).unwrap();
        let key = &production.auth.public_keys[0];
        assert_eq!(key.roles.as_deref(), Some(&["service".to_owned()][..]));
        assert_eq!(key.subject.as_deref(), Some("offers"));
        starts(&production).unwrap();

        jail.set_env("VTE_AUTH__HS256_SECRET", "a-secret-of-our-own");
        let refused = starts(&Settings::load(OFFERS).unwrap()).unwrap_err();
        assert!(
            refused.starts_with("auth.hs256_secret: an HS256 secret next to auth.public_keys"),
            "{refused}"
        );
        Ok(())
    });
}

#[test]
fn issuer_and_audience_are_required_outside_development_mode() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("offers.toml", PUBLIC_KEY_FILE)?;
        jail.set_env("VTE_CONFIG", "offers.toml");
        jail.set_env("VTE_AUTH__AUDIENCE", "");
        let refused = starts(&Settings::load(OFFERS).unwrap()).unwrap_err();
        assert!(refused.starts_with("auth.audience: required"), "{refused}");
        jail.set_env("VTE_AUTH__DEVELOPMENT", "true");
        starts(&Settings::load(OFFERS).unwrap()).unwrap();
        Ok(())
    });
}

#[test]
fn local_settings_of_tests_and_the_embedded_platform_are_in_development_mode() {
    let settings = Settings::local(
        OFFERS,
        "postgres://postgres@127.0.0.1:5432/offers",
        "127.0.0.1:9092",
        vte_service::auth::DEVELOPMENT_SECRET,
        std::path::Path::new("../shared/reference"),
    );
    assert!(settings.auth.development);
    starts(&settings).unwrap();
    let production = Settings {
        auth: vte_service::settings::AuthSettings {
            development: false,
            ..settings.auth.clone()
        },
        ..settings
    };
    assert!(starts(&production).is_err());
}

#[tokio::test]
async fn a_service_host_outside_development_mode_does_not_start_with_the_development_secret() {
    let mut settings = Settings::local(
        OFFERS,
        // Never reached: the auth settings are refused first.
        "postgres://postgres@127.0.0.1:1/offers",
        "127.0.0.1:1",
        vte_service::auth::DEVELOPMENT_SECRET,
        std::path::Path::new("../shared/reference"),
    );
    settings.auth.development = false;
    settings.auth.issuer = Some("https://id.vte-france.fr".into());
    settings.auth.audience = Some("vte-platform".into());
    let migrations = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/migrations");
    let migrator = sqlx::migrate::Migrator::new(std::path::Path::new(migrations))
        .await
        .unwrap();
    let Err(refused) = vte_service::ServiceHost::build(settings, &migrator).await else {
        panic!("a service started with the published development secret");
    };
    let refused = refused.to_string();
    assert!(
        refused.contains("auth.hs256_secret: the published development secret"),
        "{refused}"
    );
}
