//! The notifications service started for one test: a fresh database and broker, the SMTP sink
//! as its relay (plain SMTP on loopback), fast retries, a client per role carrying a signed
//! bearer token, and a way to publish the facts the other services would publish.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_events::{EventEnvelope, Topics};
use vte_notifications::channels::contacts::Contacts;
use vte_notifications::channels::email::Mailer;
use vte_notifications::channels::webhook::WebhookSender;
use vte_notifications::config::SmtpTls;
use vte_notifications::domain::Backoff;
use vte_notifications::worker::Deliverer;
use vte_notifications::{Application, NotificationsSettings};
use vte_proto::vte::notifications::v1::notifications_service_client::NotificationsServiceClient;
use vte_service::auth::{BearerToken, Caller, Claims};
use vte_service::peers::Peers;
use vte_service::{Service, Settings};
use vte_testbed::{TestDatabase, TestKafka};

use super::smtp::SmtpSink;

/// The secret the services verify tokens with, and the tests sign them with.
pub const SECRET: &str = "notifications-tests-secret";
/// How long the tests wait for background work (consumer, worker).
pub const PATIENCE: Duration = Duration::from_secs(30);
/// Partitions of the topics the tests create.
const PARTITIONS: i32 = 3;

/// A client of the notifications service whose calls carry one caller's token.
pub type Client = NotificationsServiceClient<InterceptedService<Channel, BearerToken>>;

/// Signs a token for `caller`.
pub fn bearer(caller: &Caller) -> BearerToken {
    let claims = Claims::new(
        caller,
        format!("account-of-{}", caller.role().as_str()),
        chrono::Duration::minutes(30),
    );
    BearerToken::hs256(SECRET, &claims).unwrap()
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

/// The shared broker and database cluster's settings for a service of this test.
pub struct Bed {
    pub kafka: TestKafka,
    pub topics: Topics,
}

impl Bed {
    /// A broker with every platform topic created, namespaced for the test.
    pub async fn start() -> Self {
        let kafka = TestKafka::start();
        let namespace = format!("{}.", kafka.namespace());
        let mut topics_settings = vte_events::KafkaSettings::new(kafka.brokers());
        topics_settings.namespace = namespace;
        let topics = topics_settings.topics();
        kafka.create_topics(topics.platform(PARTITIONS)).await;
        Self { kafka, topics }
    }

    /// Settings for service `defaults` on `database` and this broker.
    pub fn settings(
        &self,
        defaults: vte_service::ServiceDefaults,
        database: &TestDatabase,
    ) -> Settings {
        let mut settings = Settings::local(
            defaults,
            &database.url(),
            self.kafka.brokers(),
            SECRET,
            &vte_testbed::reference_dir(),
        );
        settings.kafka.create_topics = !self.kafka.is_embedded();
        settings.kafka.namespace = format!("{}.", self.kafka.namespace());
        settings
    }
}

/// The notifications service, running on loopback for one test.
pub struct Notifications {
    channel: Channel,
    /// The settings the service runs with.
    pub settings: Settings,
    pub own: NotificationsSettings,
    pub pool: PgPool,
    pub smtp: SmtpSink,
    pub bed: Bed,
    shutdown: CancellationToken,
    _database: TestDatabase,
}

impl Drop for Notifications {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Notifications {
    /// Starts the service with the fast test settings; its contact lookups go to a port where
    /// nothing listens (tests that email candidates use [`Notifications::start_with`]).
    pub async fn start() -> Self {
        Self::start_with(|_, _| {}).await
    }

    /// Starts the service, letting the test adjust both settings first.
    pub async fn start_with(
        adjust: impl FnOnce(&mut Settings, &mut NotificationsSettings),
    ) -> Self {
        vte_testbed::init_tracing();
        let smtp = SmtpSink::start().await;
        let bed = Bed::start().await;
        Self::start_on(bed, smtp, adjust).await
    }

    /// Starts the service on an existing broker and SMTP sink.
    pub async fn start_on(
        bed: Bed,
        smtp: SmtpSink,
        adjust: impl FnOnce(&mut Settings, &mut NotificationsSettings),
    ) -> Self {
        let database = TestDatabase::create().await;
        let mut settings = bed.settings(Application::DEFAULTS, &database);
        settings.peers.candidates = "http://127.0.0.1:9".to_owned();
        let mut own = fast_settings(smtp.port());
        adjust(&mut settings, &mut own);
        let service = Application::build_with(settings.clone(), own.clone())
            .await
            .expect("the notifications service did not build");
        let addr = service.grpc_addr();
        let shutdown = CancellationToken::new();
        tokio::spawn(service.run_until_stopped(shutdown.clone()));
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("cannot connect to the notifications service");
        let pool = database.pool().await;
        Self {
            channel,
            settings,
            own,
            pool,
            smtp,
            bed,
            shutdown,
            _database: database,
        }
    }

    /// A second delivery worker on the service's database, with the service's settings: what
    /// tests use to run a round at a time of their choosing (tomorrow's digest hour).
    pub fn worker(&self) -> Deliverer {
        let peers = Peers::new("notifications", &self.settings.peers, &self.settings.auth).unwrap();
        Deliverer::new(
            self.pool.clone(),
            Mailer::new(&self.own.smtp).unwrap(),
            WebhookSender::new(
                Duration::from_secs(5),
                self.own.webhooks.allow_private_targets,
            )
            .unwrap(),
            Contacts::new(&peers),
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
        NotificationsServiceClient::with_interceptor(self.channel.clone(), bearer(caller))
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
        publish(&self.bed, event).await;
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
        let id = uuid::Uuid::parse_str(event_id).unwrap();
        vte_events::consumer::processed(&self.pool, id)
            .await
            .unwrap()
    }

    /// Waits until the service handled the event with this id.
    pub async fn wait_handled(&self, event_id: &str) {
        let what = format!("the service to handle event {event_id}");
        vte_testbed::eventually(&what, PATIENCE, || async {
            self.handled(event_id).await.then_some(())
        })
        .await;
    }
}

/// Publishes `event` on `bed`'s broker.
pub async fn publish<E: EventEnvelope>(bed: &Bed, event: &E) {
    bed.kafka
        .publish(
            &bed.topics.topic(E::TOPIC),
            event.key(),
            &event.encode_to_vec(),
        )
        .await;
}
