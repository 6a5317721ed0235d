//! The notifications service started for one test on the test bed's harness: a fresh database
//! and broker namespace, the SMTP sink as its relay (plain SMTP on loopback), fast retries, a
//! client per role carrying a signed bearer token, candidates' contact data from a directory the
//! test fills, and a way to publish the facts the other services would publish.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::PgPool;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_events::EventEnvelope;
use vte_notifications::channels::contacts::Contacts;
use vte_notifications::channels::email::Mailer;
use vte_notifications::channels::webhook::WebhookSender;
use vte_notifications::config::SmtpTls;
use vte_notifications::domain::Backoff;
use vte_notifications::worker::Deliverer;
use vte_notifications::{Application, NotificationsSettings};
use vte_proto::vte::notifications::v1::notifications_service_client::NotificationsServiceClient;
use vte_service::Settings;
use vte_service::auth::{BearerToken, Caller};
use vte_service::peers::Peers;
use vte_testbed::{MemoryContacts, TestService, Tokens};

use super::smtp::SmtpSink;

/// The test's namespace on the broker, which the services of a test share.
pub use vte_testbed::TestBroker as Bed;

/// The secret the services verify tokens with, and the tests sign them with.
pub const SECRET: &str = "notifications-tests-secret";
/// How long the tests wait for background work (consumer, worker).
pub const PATIENCE: Duration = vte_testbed::PATIENCE;

/// A client of the notifications service whose calls carry one caller's token.
pub type Client = NotificationsServiceClient<InterceptedService<Channel, BearerToken>>;

/// Signs a token for `caller`.
pub fn bearer(caller: &Caller) -> BearerToken {
    Tokens::new(SECRET).bearer(Some(caller))
}

/// Test settings for the service: the sink as relay, fast retries, a quick worker.
pub fn fast_settings(smtp_port: u16) -> NotificationsSettings {
    let mut own = NotificationsSettings::default();
    own.smtp.host = "127.0.0.1".to_owned();
    own.smtp.port = smtp_port;
    own.smtp.tls = SmtpTls::None;
    own.smtp.timeout_secs = 5;
    own.webhooks.allow_private_targets = true;
    own.webhooks.timeout_secs = 5;
    own.retry.first_delay_ms = 100;
    own.retry.max_delay_ms = 400;
    own.retry.max_attempts = 5;
    own.worker.poll_ms = 50;
    own.reminders.sweep_every_secs = 1;
    own
}

/// Where the service under test looks candidates' contact data up.
#[derive(Debug, Clone)]
pub enum Directory {
    /// A directory the test fills.
    Memory(MemoryContacts),
    /// The candidates service at `peers.candidates` (a test of both services).
    CandidatesService,
}

/// The notifications service, running on loopback for one test.
#[derive(Debug)]
pub struct Notifications {
    /// The settings the service runs with.
    pub settings: Settings,
    pub own: NotificationsSettings,
    pub pool: PgPool,
    pub smtp: SmtpSink,
    pub bed: Arc<Bed>,
    directory: Directory,
    service: TestService,
}

impl Notifications {
    /// Starts the service with the fast test settings; its contact lookups fail as they would
    /// with the candidates service away (tests that email candidates use
    /// [`super::platform::Platform`]).
    pub async fn start() -> Self {
        Self::start_with(|_, _| {}).await
    }

    /// Starts the service, letting the test adjust both settings first.
    pub async fn start_with(
        adjust: impl FnOnce(&mut Settings, &mut NotificationsSettings) + Send,
    ) -> Self {
        let away = MemoryContacts::new();
        away.set_available(false);
        let smtp = SmtpSink::start().await;
        Self::start_on(Bed::start().await, smtp, Directory::Memory(away), adjust).await
    }

    /// Starts the service on `bed` (which another service of the test may share) and `smtp`,
    /// looking contact data up in `directory`.
    pub async fn start_on(
        bed: Arc<Bed>,
        smtp: SmtpSink,
        directory: Directory,
        adjust: impl FnOnce(&mut Settings, &mut NotificationsSettings) + Send,
    ) -> Self {
        // Adjusted together with the shared settings, read by the build after.
        let own = Mutex::new(fast_settings(smtp.port()));
        let adjusted = || own.lock().unwrap().clone();
        let builder = TestService::builder(SECRET)
            .on(bed.clone())
            .settings(|settings| adjust(settings, &mut own.lock().unwrap()));
        let service = match &directory {
            Directory::Memory(contacts) => {
                let contacts = contacts.directory();
                builder
                    .start_with(|settings| {
                        Application::build_with_contacts(settings, adjusted(), contacts)
                    })
                    .await
            }
            Directory::CandidatesService => {
                builder
                    .start_with(|settings| Application::build_with(settings, adjusted()))
                    .await
            }
        };
        let own = adjusted();
        Self {
            settings: service.settings().clone(),
            own,
            pool: service.pool().clone(),
            smtp,
            bed,
            directory,
            service,
        }
    }

    /// A second delivery worker on the service's database, with the service's settings: what
    /// tests use to run a round at a time of their choosing (tomorrow's digest hour).
    pub fn worker(&self) -> Deliverer {
        let contacts = match &self.directory {
            Directory::Memory(contacts) => Contacts::from(contacts.directory()),
            Directory::CandidatesService => {
                let peers =
                    Peers::new("notifications", &self.settings.peers, &self.settings.auth).unwrap();
                Contacts::new(&peers)
            }
        };
        Deliverer::new(
            self.pool.clone(),
            Mailer::new(&self.own.smtp).unwrap(),
            WebhookSender::new(
                Duration::from_secs(5),
                self.own.webhooks.allow_private_targets,
            )
            .unwrap(),
            contacts,
            Backoff {
                first_delay: Duration::from_millis(self.own.retry.first_delay_ms),
                max_delay: Duration::from_millis(self.own.retry.max_delay_ms),
                max_attempts: self.own.retry.max_attempts,
            },
            self.own.site_url.clone(),
            self.own.worker.clone(),
        )
    }

    /// A client calling as `caller`.
    pub fn client(&self, caller: &Caller) -> Client {
        let token = self.service.bearer(Some(caller));
        NotificationsServiceClient::with_interceptor(self.service.channel(), token)
    }

    pub fn company(&self, siren: Siren) -> Client {
        self.client(&Caller::Company { siren })
    }

    pub fn school(&self, school_id: SchoolId) -> Client {
        self.client(&Caller::School { school_id })
    }

    pub fn candidate(&self, candidate_id: CandidateId) -> Client {
        self.client(&Caller::Candidate { candidate_id })
    }

    pub fn bpifrance(&self) -> Client {
        self.client(&Caller::Bpifrance)
    }

    pub fn admin(&self) -> Client {
        self.client(&Caller::Admin)
    }

    /// Publishes `event` on its topic, keyed by its aggregate, as its producer would.
    pub async fn publish<E: EventEnvelope>(&self, event: &E) {
        self.bed.publish(event).await;
    }

    /// How many deliveries of each (channel, status) the service holds.
    pub async fn deliveries(&self) -> Vec<(String, String, i32, String)> {
        sqlx::query_as(
            "SELECT channel, status, attempts, last_error FROM deliveries ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// How many notifications of `kind` (e.g. `OFFERS_SUGGESTED`) exist.
    pub async fn notifications_of(&self, kind: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE kind = $1")
            .bind(kind)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Whether the service handled the event with this id.
    pub async fn handled(&self, event_id: &str) -> bool {
        self.service.has_handled(event_id).await
    }

    /// Waits until the service handled the event with this id.
    pub async fn wait_handled(&self, event_id: &str) {
        self.service.wait_handled(event_id).await;
    }
}

/// Publishes `event` on `bed`'s broker.
pub async fn publish<E: EventEnvelope>(bed: &Bed, event: &E) {
    bed.publish(event).await;
}
