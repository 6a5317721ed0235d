//! A service under test, started the way its binary starts it: from its
//! [`vte_service::Service`] impl (or a build closure, for a service built with extra parts) on a
//! fresh [`TestDatabase`] and a [`TestBroker`] namespace, on loopback ports the system picks.
//! [`ServiceBuilder::start`] returns once the service's gRPC health says SERVING. Dropping a
//! [`TestService`] stops it: on a multi-thread runtime it waits (bounded) for the service to
//! stop; on a current-thread runtime it can only cancel. [`TestService::stop`] stops and waits
//! on any runtime.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use vte_events::{EventEnvelope, Topics};
use vte_service::auth::{BearerToken, Caller};
use vte_service::{RunError, Service, Settings, StartError};

use crate::{PATIENCE, TestBroker, TestDatabase, Tokens, TopicReader, eventually};

/// How long a stopping service may take: its gRPC grace, the consumer's final commit and close.
const STOP_WITHIN: Duration = Duration::from_secs(15);
/// How long one health check may take before it is asked again.
const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// A settings adjustment, applied before the service is built.
type Adjust<'a> = Box<dyn FnOnce(&mut Settings) + Send + 'a>;

/// How to start a service under test; see [`TestService::builder`].
pub struct ServiceBuilder<'a> {
    tokens: Tokens,
    broker: Option<Arc<TestBroker>>,
    adjustments: Vec<Adjust<'a>>,
}

impl std::fmt::Debug for ServiceBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceBuilder")
            .field("broker", &self.broker)
            .field("adjustments", &self.adjustments.len())
            .finish_non_exhaustive()
    }
}

impl<'a> ServiceBuilder<'a> {
    /// Starts the service on `broker`, which another service of the test may share, rather
    /// than on a namespace of its own.
    pub fn on(mut self, broker: Arc<TestBroker>) -> Self {
        self.broker = Some(broker);
        self
    }

    /// Adjusts the service's settings before it is built (a peer's address, a setting a test
    /// is about).
    pub fn settings(mut self, adjust: impl FnOnce(&mut Settings) + Send + 'a) -> Self {
        self.adjustments.push(Box::new(adjust));
        self
    }

    /// Starts `S` with its own [`Service::build`].
    pub async fn start<S: Service + 'static>(self) -> TestService {
        self.start_with(S::build).await
    }

    /// Starts `S` with `build` (for example `|settings| Application::build_with(settings, own)`)
    /// and returns once it is serving.
    ///
    /// # Panics
    /// If the service does not build, or stops or is not serving within [`PATIENCE`].
    pub async fn start_with<S, F, Fut>(self, build: F) -> TestService
    where
        S: Service + 'static,
        F: FnOnce(Settings) -> Fut,
        Fut: Future<Output = Result<S, StartError>>,
    {
        crate::init_tracing();
        let broker = match self.broker {
            Some(broker) => broker,
            None => TestBroker::start().await,
        };
        let database = TestDatabase::create().await;
        let mut settings = broker.settings(S::DEFAULTS, &database, self.tokens.secret());
        for adjust in self.adjustments {
            adjust(&mut settings);
        }
        let (running, channel) = Running::start(&settings, build).await;
        let pool = database.pool().await;
        TestService {
            settings,
            broker,
            tokens: self.tokens,
            channel,
            pool,
            running: Some(running),
            database,
        }
    }
}

/// A service running on loopback for one test, with its database and broker namespace.
#[derive(Debug)]
pub struct TestService {
    settings: Settings,
    broker: Arc<TestBroker>,
    tokens: Tokens,
    channel: Channel,
    pool: PgPool,
    running: Option<Running>,
    // Dropped last, once the service has been stopped.
    database: TestDatabase,
}

impl TestService {
    /// A builder for a service verifying tokens signed with `secret`.
    pub fn builder<'a>(secret: &str) -> ServiceBuilder<'a> {
        ServiceBuilder {
            tokens: Tokens::new(secret),
            broker: None,
            adjustments: Vec::new(),
        }
    }

    /// Starts `S` with its own [`Service::build`] on a database and broker namespace of its
    /// own, verifying tokens signed with `secret`.
    pub async fn start<S: Service + 'static>(secret: &str) -> Self {
        Self::builder(secret).start::<S>().await
    }

    /// A channel to the service's gRPC server.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// A token for `caller` (none for `None`), signed with the service's secret.
    pub fn bearer(&self, caller: Option<&Caller>) -> BearerToken {
        self.tokens.bearer(caller)
    }

    /// The tokens the service accepts.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// A pool on the service's database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The service's database.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    /// The settings the service runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Where its gRPC server listens.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.running
            .as_ref()
            .expect("the service is running")
            .grpc_addr
    }

    /// The broker namespace it runs on, for another service of the test to share.
    pub fn broker(&self) -> &Arc<TestBroker> {
        &self.broker
    }

    /// The deployed topic and group names.
    pub fn topics(&self) -> &Topics {
        &self.broker.topics
    }

    /// Publishes `event` as its producing service would.
    pub async fn publish<E: EventEnvelope>(&self, event: &E) {
        self.broker.publish(event).await;
    }

    /// Whether the service has handled the event with this id.
    pub async fn has_handled(&self, event_id: &str) -> bool {
        let id = uuid::Uuid::parse_str(event_id).expect("an event id is a UUID");
        vte_events::consumer::processed(&self.pool, id)
            .await
            .expect("cannot read the processed events")
    }

    /// Waits until the service has handled the event with this id.
    pub async fn wait_handled(&self, event_id: &str) {
        let what = format!("the service to handle event {event_id}");
        eventually(&what, PATIENCE, || async {
            self.has_handled(event_id).await.then_some(())
        })
        .await;
    }

    /// A reader of what the service published on the logical `topics`, from their beginning.
    pub fn reader(&self, topics: &[&str]) -> TopicReader {
        self.broker.reader(&self.pool, topics)
    }

    /// Stops the service and starts it again with `build` on the same settings, database and
    /// broker namespace, as a restart or a new instance would.
    pub async fn restart<S, F, Fut>(&mut self, build: F)
    where
        S: Service + 'static,
        F: FnOnce(Settings) -> Fut,
        Fut: Future<Output = Result<S, StartError>>,
    {
        if let Some(running) = self.running.take()
            && let Err(error) = running.stop().await
        {
            panic!("the service stopped with an error before its restart: {error}");
        }
        let (running, channel) = Running::start(&self.settings, build).await;
        self.running = Some(running);
        self.channel = channel;
    }

    /// Stops the service and waits until it has stopped; returns how it ended.
    ///
    /// # Panics
    /// If it does not stop within 15 s.
    pub async fn stop(mut self) -> Result<(), RunError> {
        match self.running.take() {
            Some(running) => running.stop().await,
            None => Ok(()),
        }
    }
}

impl Drop for TestService {
    fn drop(&mut self) {
        let Some(running) = self.running.take() else {
            return;
        };
        running.shutdown.cancel();
        // A current-thread runtime runs the service on the thread that is dropping it: waiting
        // here would wait forever. The runtime drops the cancelled service when the test ends.
        let Ok(runtime) = Handle::try_current() else {
            return;
        };
        if runtime.runtime_flavor() != RuntimeFlavor::MultiThread {
            return;
        }
        let stopped = tokio::task::block_in_place(|| {
            runtime.block_on(tokio::time::timeout(STOP_WITHIN, running.task))
        });
        match stopped {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => {
                tracing::warn!(%error, "the service under test stopped with an error")
            }
            Ok(Err(error)) => tracing::warn!(%error, "the service under test panicked"),
            Err(_) => tracing::warn!("the service under test did not stop within {STOP_WITHIN:?}"),
        }
    }
}

/// A service's run task and the token that stops it.
#[derive(Debug)]
struct Running {
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RunError>>,
    grpc_addr: SocketAddr,
}

impl Running {
    /// Builds the service with `build`, runs it, and waits until its health says SERVING.
    async fn start<S, F, Fut>(settings: &Settings, build: F) -> (Self, Channel)
    where
        S: Service + 'static,
        F: FnOnce(Settings) -> Fut,
        Fut: Future<Output = Result<S, StartError>>,
    {
        let name = S::DEFAULTS.name;
        let service = build(settings.clone())
            .await
            .unwrap_or_else(|error| panic!("the {name} service did not build: {error}"));
        let grpc_addr = service.grpc_addr();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(service.run_until_stopped(shutdown.clone()));
        let mut running = Self {
            shutdown,
            task,
            grpc_addr,
        };
        let channel = Endpoint::from_shared(format!("http://{grpc_addr}"))
            .expect("a loopback URL")
            .connect_lazy();
        running.wait_serving(name, channel.clone()).await;
        (running, channel)
    }

    /// Asks the service's gRPC health until it says SERVING.
    async fn wait_serving(&mut self, name: &str, channel: Channel) {
        let mut health = HealthClient::new(channel);
        let until = Instant::now() + PATIENCE;
        loop {
            if self.task.is_finished() {
                let ended = (&mut self.task).await;
                panic!("the {name} service stopped before serving: {ended:?}");
            }
            let check = health.check(HealthCheckRequest {
                service: String::new(),
            });
            if let Ok(Ok(answer)) = tokio::time::timeout(HEALTH_CHECK_TIMEOUT, check).await
                && answer.into_inner().status == ServingStatus::Serving as i32
            {
                return;
            }
            assert!(
                Instant::now() < until,
                "the {name} service was not serving after {PATIENCE:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Cancels the service and waits until it has stopped.
    async fn stop(self) -> Result<(), RunError> {
        self.shutdown.cancel();
        match tokio::time::timeout(STOP_WITHIN, self.task).await {
            Ok(Ok(ended)) => ended,
            Ok(Err(error)) => panic!("the service under test panicked: {error}"),
            Err(_) => panic!("the service under test did not stop within {STOP_WITHIN:?}"),
        }
    }
}
