//! The notifications service's own settings, beside the shared [`vte_service::Settings`]: the
//! SMTP relay (TLS mode and credentials), webhook delivery (timeout, whether private targets are
//! allowed), the retry schedule, the digest's hour and time zone, the reminder delays, the worker's pace
//! and the cap on offer alerts.
//! Read from the `notifications` section of the same layered sources (TOML file named by
//! `VTE_CONFIG`, then `VTE_NOTIFICATIONS__<SECTION>__<KEY>` variables); this is the only module
//! that reads them.

use std::time::Duration;

use chrono::{DateTime, Days, NaiveTime, TimeZone as _, Utc};

use secrecy::SecretString;
use serde::Deserialize;
use vte_service::settings::OwnSettings;

/// Everything the notifications service reads beyond the shared settings.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsSettings {
    pub smtp: SmtpSettings,
    pub webhooks: WebhookSettings,
    pub retry: RetrySettings,
    pub digest: DigestSettings,
    pub reminders: ReminderSettings,
    pub worker: WorkerSettings,
    /// The website's address, prefixed to the links in emails.
    pub site_url: SiteUrl,
    /// How many new offers one candidate is told of (matching's offer alerts).
    pub offer_alerts: OfferAlertSettings,
}

impl OwnSettings for NotificationsSettings {
    const SECTION: &'static str = "notifications";

    /// The digest's hour (its time zone was checked when read), the webhooks' timeout and
    /// ports, the worker's slots.
    fn check(&self) -> Result<(), String> {
        self.digest.check()?;
        self.webhooks.check()?;
        self.worker.check()?;
        self.offer_alerts.check()
    }
}

/// The frequency cap on offer alerts (an `OffersSuggested` of matching with the trigger
/// `OFFER_PUBLISHED`: a new offer told to the candidates it fits): a candidate told of this many
/// new offers in the last 24 hours, or in the last 7 days, is told of no more until the oldest
/// leaves the window; what is held back is counted
/// (`vte_notifications_offer_alerts_held_total`), not kept. 0 tells none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OfferAlertSettings {
    /// At most this many in 24 hours (default 3).
    pub per_day: u32,
    /// At most this many in 7 days (default 10).
    pub per_week: u32,
}

impl Default for OfferAlertSettings {
    fn default() -> Self {
        Self {
            per_day: 3,
            per_week: 10,
        }
    }
}

impl OfferAlertSettings {
    /// A day's cap beyond the week's could never be reached.
    pub fn check(&self) -> Result<(), String> {
        if self.per_day > self.per_week {
            return Err(format!(
                "notifications.offer_alerts.per_day must not exceed \
                 notifications.offer_alerts.per_week ({}), got {}",
                self.per_week, self.per_day
            ));
        }
        Ok(())
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
#[serde(default, deny_unknown_fields)]
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
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// An endpoint answering 2xx within this many seconds counts as delivered (the contract
    /// says 10).
    pub timeout_secs: u64,
    /// Accept `http://` URLs, any port, and endpoints on loopback or private networks.
    /// Development and tests only: in production a webhook must be HTTPS on a public address,
    /// on port 443 or one of `allowed_ports`.
    pub allow_private_targets: bool,
    /// Ports webhooks may use besides 443 (e.g. `[8443]`); empty by default.
    pub allowed_ports: Vec<u16>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            timeout_secs: 10,
            allow_private_targets: false,
            allowed_ports: Vec::new(),
        }
    }
}

impl WebhookSettings {
    /// The contract's 10 s is the longest an endpoint may hold a delivery slot; port 0 is no
    /// port.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=10).contains(&self.timeout_secs) {
            return Err(format!(
                "notifications.webhooks.timeout_secs must be 1 to 10, as the contract says \
                 (got {})",
                self.timeout_secs
            ));
        }
        if self.allowed_ports.contains(&0) {
            return Err("notifications.webhooks.allowed_ports must name ports 1 to 65535".into());
        }
        Ok(())
    }
}

/// The exponential backoff of failed deliveries, then the dead letter.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
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

/// When daily digests go out: a day's items, the day as the recipients live it, in one email
/// the next morning.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DigestSettings {
    /// The hour of the day (0..=23, in `time_zone`) at which the previous day's digests go out.
    pub hour: u32,
    /// The IANA time zone the hour and the day are in.
    pub time_zone: chrono_tz::Tz,
}

impl Default for DigestSettings {
    fn default() -> Self {
        Self {
            hour: 7,
            time_zone: chrono_tz::Europe::Paris,
        }
    }
}

impl DigestSettings {
    /// Checks the hour; the time zone was checked when read.
    pub fn check(&self) -> Result<(), String> {
        if self.hour > 23 {
            return Err(format!(
                "notifications.digest.hour must be an hour of the day, 0 to 23 (got {})",
                self.hour
            ));
        }
        Ok(())
    }

    /// When a digest item arriving at `now` goes out: the next day (in the time zone) at the
    /// hour, or just after it on the rare day the hour does not exist (a change to summer time).
    pub fn due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let local = now.with_timezone(&self.time_zone).date_naive();
        let day = local.checked_add_days(Days::new(1)).unwrap_or(local);
        let mut at =
            day.and_time(NaiveTime::from_hms_opt(self.hour.min(23), 0, 0).unwrap_or_default());
        for _ in 0..3 {
            if let Some(due) = self.time_zone.from_local_datetime(&at).earliest() {
                return due.with_timezone(&Utc);
            }
            at += chrono::Duration::hours(1);
        }
        at.and_utc()
    }
}

/// The reminders' delays.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReminderSettings {
    /// An application still SUBMITTED this many days after it was sent reminds the company,
    /// once.
    pub unanswered_after_days: u32,
    /// A published offer whose last day to apply is this many days away or fewer reminds its
    /// company, once per last day (a deadline pushed back is reminded again).
    pub offer_expiring_days_before: u32,
    /// Label requests and appeals waiting this many days for Bpifrance's decision are recalled
    /// to Bpifrance, each once, several in one reminder.
    pub label_pending_after_days: u32,
    /// How often the reminder sweep runs, in seconds.
    pub sweep_every_secs: u64,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            unanswered_after_days: 15,
            offer_expiring_days_before: 7,
            label_pending_after_days: 30,
            sweep_every_secs: 600,
        }
    }
}

/// The delivery worker's pace.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Longest pause between two looks at the deliveries table, in milliseconds (a new
    /// delivery wakes the worker at once; this bounds the wait for retries).
    pub poll_ms: u64,
    /// Deliveries claimed at a time.
    pub batch: u32,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Deliveries in flight at once to one webhook endpoint: a slow or hanging endpoint holds
    /// at most this many of the `concurrency` slots, the others serve everyone else.
    pub per_endpoint: usize,
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
            per_endpoint: 2,
            lease_secs: 120,
        }
    }
}

impl WorkerSettings {
    /// One endpoint may not take every slot: `per_endpoint` is below `concurrency`.
    pub fn check(&self) -> Result<(), String> {
        if self.per_endpoint == 0 || self.per_endpoint >= self.concurrency.max(1) {
            return Err(format!(
                "notifications.worker.per_endpoint must be 1 to notifications.worker.concurrency \
                 - 1 ({}), so that one endpoint cannot take every slot (got {})",
                self.concurrency.saturating_sub(1),
                self.per_endpoint
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use figment::Figment;
    use figment::providers::{Format, Toml};
    use secrecy::ExposeSecret;

    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

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
    fn a_webhook_timeout_beyond_the_contract_or_an_endpoint_taking_every_slot_is_refused() {
        let read = |toml: &str| {
            Figment::from(Toml::string(toml))
                .extract_inner::<NotificationsSettings>("notifications")
                .unwrap()
                .check()
        };
        assert!(read("[notifications.webhooks]\ntimeout_secs = 10").is_ok());
        let slow = read("[notifications.webhooks]\ntimeout_secs = 60").unwrap_err();
        assert!(
            slow.starts_with("notifications.webhooks.timeout_secs"),
            "{slow}"
        );
        let zero = read("[notifications.webhooks]\nallowed_ports = [8443, 0]").unwrap_err();
        assert!(
            zero.starts_with("notifications.webhooks.allowed_ports"),
            "{zero}"
        );
        let greedy = read("[notifications.worker]\nconcurrency = 4\nper_endpoint = 4").unwrap_err();
        assert!(
            greedy.starts_with("notifications.worker.per_endpoint"),
            "{greedy}"
        );
        assert!(read("[notifications.worker]\nconcurrency = 4\nper_endpoint = 3").is_ok());
        let alerts = read("[notifications.offer_alerts]\nper_day = 12").unwrap_err();
        assert!(
            alerts.starts_with("notifications.offer_alerts.per_day"),
            "{alerts}"
        );
        assert!(read("[notifications.offer_alerts]\nper_day = 0\nper_week = 0").is_ok());
    }

    #[test]
    fn an_unknown_tls_mode_is_refused() {
        let toml = "[notifications.smtp]\ntls = \"maybe\"";
        let read: Result<NotificationsSettings, _> =
            Figment::from(Toml::string(toml)).extract_inner("notifications");
        assert!(read.is_err());
    }

    #[test]
    fn a_digest_goes_out_the_next_paris_morning_in_winter_and_in_summer() {
        let digest = DigestSettings::default();
        // 22:30 UTC on 2 March is 23:30 in Paris: the next Paris day is 3 March, 07:00 CET.
        assert_eq!(digest.due(utc(2026, 3, 2, 22, 30)), utc(2026, 3, 3, 6, 0));
        // 23:30 UTC on 2 March is already 3 March in Paris: its digest is on the 4th.
        assert_eq!(digest.due(utc(2026, 3, 2, 23, 30)), utc(2026, 3, 4, 6, 0));
        // In July, 07:00 CEST is 05:00 UTC.
        assert_eq!(digest.due(utc(2026, 7, 14, 12, 0)), utc(2026, 7, 15, 5, 0));
    }

    #[test]
    fn an_hour_skipped_by_summer_time_sends_just_after_it() {
        let digest = DigestSettings {
            hour: 2,
            ..DigestSettings::default()
        };
        // 29 March 2026: Paris goes from 02:00 to 03:00 CEST, i.e. 01:00 UTC.
        assert_eq!(digest.due(utc(2026, 3, 28, 12, 0)), utc(2026, 3, 29, 1, 0));
    }

    #[test]
    fn the_hour_and_the_time_zone_are_checked() {
        let late = DigestSettings {
            hour: 24,
            ..DigestSettings::default()
        };
        let error = late.check().unwrap_err();
        assert!(error.contains("notifications.digest.hour"), "{error}");
        assert!(DigestSettings::default().check().is_ok());
        let read = |toml: &str| {
            Figment::from(Toml::string(toml))
                .extract_inner::<NotificationsSettings>("notifications")
                .ok()
        };
        let misspelt = read("[notifications.digest]\nhour = 8\ntime_zone = \"Europe/Pariss\"");
        assert!(misspelt.is_none(), "an unknown time zone is refused");
        let cayenne = read("[notifications.digest]\ntime_zone = \"America/Cayenne\"").unwrap();
        assert_eq!(cayenne.digest.time_zone, chrono_tz::America::Cayenne);
        assert_eq!(cayenne.digest.hour, 7, "the default hour");
        assert!(
            read("[notifications.digest]\nhour_utc = 6").is_none(),
            "the former key in UTC is refused rather than ignored"
        );
    }
}
