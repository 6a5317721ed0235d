//! The notifications service's own settings, beside the shared [`vte_service::Settings`]: the
//! SMTP relay (TLS mode and credentials), webhook delivery (timeout, whether private targets are
//! allowed), the retry schedule, the digest hour, the reminder delays and the worker's pace.
//! Read from the `notifications` section of the same layered sources (TOML file named by
//! `VTE_CONFIG`, then `VTE_NOTIFICATIONS__<SECTION>__<KEY>` variables); this is the only module
//! that reads them.

use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use vte_service::{ServiceDefaults, Settings};

/// Everything the notifications service reads beyond the shared settings.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct NotificationsSettings {
    pub smtp: SmtpSettings,
    pub webhooks: WebhookSettings,
    pub retry: RetrySettings,
    pub digest: DigestSettings,
    pub reminders: ReminderSettings,
    pub worker: WorkerSettings,
    /// The website's address, prefixed to the links in emails.
    pub site_url: SiteUrl,
}

impl NotificationsSettings {
    /// Reads the `notifications` section of the service's layered sources; absent keys take
    /// their documented defaults.
    pub fn load(defaults: ServiceDefaults) -> Result<Self, Box<figment::Error>> {
        let figment = Settings::figment(defaults);
        if figment.find_value("notifications").is_err() {
            return Ok(Self::default());
        }
        figment.extract_inner("notifications").map_err(Box::new)
    }
}

/// The website's base URL (no trailing slash).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct SiteUrl(pub String);

impl Default for SiteUrl {
    fn default() -> Self {
        Self(String::from("https://vte-france.fr"))
    }
}

impl SiteUrl {
    /// The absolute address of a path on the website (`/offres/...`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0.trim_end_matches('/'))
    }
}

/// How the connection to the SMTP relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP: only for a relay on loopback or in tests.
    None,
    /// STARTTLS required (submission, port 587).
    Starttls,
    /// Implicit TLS from the first byte (submissions, port 465).
    Tls,
}

/// The SMTP relay emails are handed to.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// Login, when the relay requires authentication.
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The `From:` header, e.g. `VTE France <notifications@vte-france.fr>`.
    pub from: String,
    /// How long one SMTP exchange may take, in seconds.
    pub timeout_secs: u64,
    /// Connections kept open to the relay.
    pub pool_size: u32,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: String::from("localhost"),
            port: 587,
            tls: SmtpTls::Starttls,
            username: None,
            password: None,
            from: String::from("VTE France <notifications@vte-france.fr>"),
            timeout_secs: 30,
            pool_size: 8,
        }
    }
}

impl SmtpSettings {
    /// The exchange timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// How webhooks are called.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WebhookSettings {
    /// An endpoint answering 2xx within this many seconds counts as delivered (the contract
    /// says 10).
    pub timeout_secs: u64,
    /// Accept `http://` URLs and endpoints on loopback or private networks. Development and
    /// tests only: in production a webhook must be HTTPS on a public address.
    pub allow_private_targets: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            timeout_secs: 10,
            allow_private_targets: false,
        }
    }
}

/// The exponential backoff of failed deliveries, then the dead letter.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RetrySettings {
    /// Wait before the second attempt, in milliseconds; doubled after each failure.
    pub first_delay_ms: u64,
    /// Longest wait between two attempts, in milliseconds.
    pub max_delay_ms: u64,
    /// Attempts before a delivery is given up (dead-lettered).
    pub max_attempts: u32,
}

impl Default for RetrySettings {
    /// 30 s doubling up to an hour, 14 attempts: about eight and a half hours of trying.
    fn default() -> Self {
        Self {
            first_delay_ms: 30_000,
            max_delay_ms: 3_600_000,
            max_attempts: 14,
        }
    }
}

/// When daily digests go out.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DigestSettings {
    /// The hour (UTC, 0..=23) at which the previous day's digest emails are sent.
    pub hour_utc: u32,
}

impl Default for DigestSettings {
    fn default() -> Self {
        Self { hour_utc: 6 }
    }
}

/// The reminders' delays.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ReminderSettings {
    /// An application still SUBMITTED this many days after it was sent reminds the company,
    /// once.
    pub unanswered_after_days: u32,
    /// How often the reminder sweep runs, in seconds.
    pub sweep_every_secs: u64,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            unanswered_after_days: 15,
            sweep_every_secs: 600,
        }
    }
}

/// The delivery worker's pace.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WorkerSettings {
    /// Longest pause between two looks at the deliveries table, in milliseconds (a new
    /// delivery wakes the worker at once; this bounds the wait for retries).
    pub poll_ms: u64,
    /// Deliveries claimed at a time.
    pub batch: u32,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How long a claimed delivery is reserved for its worker, in seconds; after that (the
    /// worker died mid-send) another worker takes it up again.
    pub lease_secs: u64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            poll_ms: 1_000,
            batch: 64,
            concurrency: 16,
            lease_secs: 120,
        }
    }
}

#[cfg(test)]
mod tests {
    use figment::Figment;
    use figment::providers::{Format, Toml};
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn the_notifications_section_reads_from_toml_with_defaults_for_the_rest() {
        let toml = r#"
            [notifications.smtp]
            host = "smtp.example.fr"
            port = 465
            tls = "tls"
            username = "vte"
            password = "s3cret"
            [notifications.reminders]
            unanswered_after_days = 10
        "#;
        let own: NotificationsSettings = Figment::from(Toml::string(toml))
            .extract_inner("notifications")
            .unwrap();
        assert_eq!(own.smtp.host, "smtp.example.fr");
        assert_eq!(own.smtp.tls, SmtpTls::Tls);
        assert_eq!(own.smtp.password.unwrap().expose_secret(), "s3cret");
        assert_eq!(own.reminders.unanswered_after_days, 10);
        assert_eq!(own.retry.max_attempts, 14, "a default");
        assert!(
            !own.webhooks.allow_private_targets,
            "private targets are off by default"
        );
        assert_eq!(own.site_url.join("/x"), "https://vte-france.fr/x");
    }

    #[test]
    fn an_unknown_tls_mode_is_refused() {
        let toml = "[notifications.smtp]\ntls = \"maybe\"";
        let read: Result<NotificationsSettings, _> =
            Figment::from(Toml::string(toml)).extract_inner("notifications");
        assert!(read.is_err());
    }
}
