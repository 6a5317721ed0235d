//! [`ServiceHost`]: what every service is before it has any behaviour of its own. It verifies
//! the auth settings, connects to and migrates the database (the event backbone's tables first,
//! then those of the [`Pieces`] it mounts, then its own), creates the topics, binds the gRPC and
//! metrics ports, mounts health, reflection (when the settings allow it) and the identity
//! service, runs the outbox relay, then runs until shutdown. A service adds its own gRPC
//! services, consumers and background tasks through [`ServiceHost::grpc`],
//! [`ServiceHost::consumer`] and [`ServiceHost::spawn`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::{Migration, Migrator};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use vte_proto::vte::common::v1::PlatformService;
use vte_proto::vte::identity::v1::identity_service_server::IdentityServiceServer;

use rdkafka::producer::FutureProducer;
use vte_events::ConsumerRunner;
use vte_events::consumer::ConsumerOptions;
use vte_events::relay::{Relay, RelayOptions};

use crate::auth::{Authenticator, KeyError};
use crate::erasure::{ErasureConfirmations, ErasureConfirmer, GrpcErasureConfirmations};
use crate::identity::IdentityApi;
use crate::metrics::Metrics;
use crate::peers::{Peers, PeersError};
use crate::server::{GrpcServer, TlsError};
use crate::settings::{ServerSettings, Settings};

/// A service could not start; each variant names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("auth settings: {0}")]
    Auth(#[from] KeyError),
    #[error("database.url: cannot connect: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migrations failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("kafka: cannot create the producer: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// A service's own setting is unusable (for example reference data it cannot load).
    #[error("{setting}: {message}")]
    Setting {
        setting: &'static str,
        message: String,
    },
    #[error(transparent)]
    Peers(#[from] PeersError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("{setting}: cannot listen on {addr}: {source}")]
    Bind {
        setting: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A service stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("gRPC server: {0}")]
    Grpc(#[from] tonic::transport::Error),
    #[error("metrics endpoint: {0}")]
    Metrics(#[from] std::io::Error),
    #[error("background task {name}: {message}")]
    Task { name: &'static str, message: String },
}

/// The optional pieces a service mounts on its host.
#[derive(Debug, Default)]
pub struct Pieces {
    /// Confirm to the candidates service the erasures this service applies (every service
    /// that holds candidate data): adds the `erasure_confirmations` table and its confirmer.
    pub confirm_erasures: Option<ErasurePiece>,
}

/// The erasure confirmations piece: who confirms, and through what.
#[derive(Debug)]
pub struct ErasurePiece {
    /// The service named in the confirmations.
    pub service: PlatformService,
    /// Where they go; `None`: the candidates service over gRPC (from the peers settings).
    pub confirmations: Option<Arc<dyn ErasureConfirmations>>,
}

impl Pieces {
    /// Confirms erasures as `service` to the candidates service over gRPC.
    pub fn confirming_erasures(service: PlatformService) -> Self {
        Self {
            confirm_erasures: Some(ErasurePiece {
                service,
                confirmations: None,
            }),
        }
    }
}

/// The parts every service shares, assembled and ready to run.
pub struct ServiceHost {
    pub settings: Settings,
    pub pool: PgPool,
    pub auth: Authenticator,
    pub metrics: Metrics,
    /// The idempotent producer shared by the relay and dead letters.
    pub producer: FutureProducer,
    /// Channels and tokens to call the other services.
    pub peers: Peers,
    grpc: GrpcServer,
    metrics_listener: TcpListener,
    grpc_addr: SocketAddr,
    metrics_addr: SocketAddr,
    tasks: Vec<(&'static str, BackgroundTask)>,
}

impl std::fmt::Debug for ServiceHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceHost")
            .field("service", &self.settings.service_name)
            .field("grpc_addr", &self.grpc_addr)
            .field("metrics_addr", &self.metrics_addr)
            .field(
                "tasks",
                &self.tasks.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

type BackgroundTask = Box<
    dyn FnOnce(
            CancellationToken,
        ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
        + Send,
>;

impl ServiceHost {
    /// Builds the host: auth keys, database and migrations (the backbone's, then `migrator`'s),
    /// topics, listeners, and the outbox relay; no optional piece.
    pub async fn build(settings: Settings, migrator: &Migrator) -> Result<Self, StartError> {
        Self::build_with(settings, migrator, Pieces::default()).await
    }

    /// Builds the host with the `pieces` the service mounts.
    pub async fn build_with(
        settings: Settings,
        migrator: &Migrator,
        pieces: Pieces,
    ) -> Result<Self, StartError> {
        let auth = Authenticator::from_settings(&settings.auth)?;
        let peers = Peers::new(&settings.service_name, &settings.peers, &settings.auth)?;
        let pool = crate::database::connect(&settings.database).await?;
        crate::database::migrate(&pool, &migrations(migrator, &pieces)).await?;
        let metrics = Metrics::new(&settings.service_name);
        let producer = settings.kafka.producer()?;
        vte_events::kafka::bootstrap_topics(&settings.kafka, &vte_proto::TOPICS).await?;
        let grpc_listener = bind("server.grpc_addr", settings.server.grpc_addr).await?;
        let metrics_listener = bind("server.metrics_addr", settings.server.metrics_addr).await?;
        let grpc_addr = local_addr("server.grpc_addr", &grpc_listener)?;
        let metrics_addr = local_addr("server.metrics_addr", &metrics_listener)?;
        let server = ServerSettings {
            reflection: settings.server.reflection || settings.auth.development,
            ..settings.server.clone()
        };
        let mut grpc = GrpcServer::with_settings(grpc_listener, metrics.clone(), &server)?;
        grpc.add_service(IdentityServiceServer::with_interceptor(
            IdentityApi,
            auth.interceptor(),
        ));
        let relay = Relay::new(
            pool.clone(),
            producer.clone(),
            settings.kafka.topics(),
            RelayOptions::default(),
            metrics.registry(),
        );
        let mut host = Self {
            settings,
            pool,
            auth,
            metrics,
            producer,
            peers,
            grpc,
            metrics_listener,
            grpc_addr,
            metrics_addr,
            tasks: Vec::new(),
        };
        host.spawn("outbox relay", move |stop| async move {
            relay.run(stop).await;
            Ok(())
        });
        let (pool, window) = (host.pool.clone(), host.settings.kafka.dedupe_window());
        host.spawn("processed-events retention", move |stop| async move {
            vte_events::retention::run(pool, window, Duration::from_secs(3600), stop).await;
            Ok(())
        });
        if let Some(piece) = pieces.confirm_erasures {
            let confirmations = piece
                .confirmations
                .unwrap_or_else(|| Arc::new(GrpcErasureConfirmations::new(&host.peers)));
            let confirmer = ErasureConfirmer::new(host.pool.clone(), confirmations, piece.service);
            host.spawn("erasure confirmations", move |stop| async move {
                confirmer.run(stop).await;
                Ok(())
            });
        }
        Ok(host)
    }

    /// A consumer runner in this service's consumer group, on its database, producer and
    /// metrics; add handlers with [`ConsumerRunner::on`] and hand it to [`ServiceHost::consume`].
    pub fn consumer(&self) -> ConsumerRunner {
        ConsumerRunner::new(
            &self.settings.kafka,
            &self.settings.service_name,
            self.pool.clone(),
            self.producer.clone(),
            ConsumerOptions::default(),
            self.metrics.registry(),
        )
    }

    /// Runs `runner` beside the server until shutdown; the service's health reports
    /// NOT_SERVING while it is stalled (`kafka.stall_after_seconds`).
    pub fn consume(&mut self, runner: ConsumerRunner) {
        self.grpc.follow_consumer(runner.stall_watch());
        self.spawn("event consumer", move |stop| async move {
            runner.run(stop).await.map_err(|error| error.to_string())
        });
    }

    /// The gRPC server, to mount the service's own APIs.
    pub fn grpc(&mut self) -> &mut GrpcServer {
        &mut self.grpc
    }

    /// Where gRPC listens (the real port when the settings asked for port 0).
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// Where `/metrics` is served.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_addr
    }

    /// Adds a background task (a consumer, a relay, a sweep) that runs beside the server and
    /// must return once its token is cancelled.
    pub fn spawn<F, Fut>(&mut self, name: &'static str, task: F)
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.tasks
            .push((name, Box::new(move |token| Box::pin(task(token)))));
    }

    /// Runs the server, the metrics endpoint and the background tasks until `shutdown` is
    /// cancelled or one of them fails (which stops the others).
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), RunError> {
        let stop = shutdown.child_token();
        let grace = self.settings.server.shutdown_grace();
        let mut set: JoinSet<Result<(), RunError>> = JoinSet::new();
        let grpc = self.grpc.serve(stop.clone(), grace);
        set.spawn(async move { grpc.await.map_err(RunError::from) });
        let metrics = self.metrics.serve(self.metrics_listener, stop.clone());
        set.spawn(async move { metrics.await.map_err(RunError::from) });
        for (name, task) in self.tasks {
            let future = task(stop.clone());
            set.spawn(async move {
                future
                    .await
                    .map_err(|message| RunError::Task { name, message })
            });
        }
        tracing::info!(
            service = %self.settings.service_name,
            grpc = %self.grpc_addr,
            metrics = %self.metrics_addr,
            "service started"
        );
        let mut outcome = Ok(());
        while let Some(joined) = set.join_next().await {
            // Whatever ends first (a failure, or everything after the signal), stop the rest.
            stop.cancel();
            let result = joined.unwrap_or_else(|error| {
                Err(RunError::Task {
                    name: "join",
                    message: error.to_string(),
                })
            });
            if let (Ok(()), Err(error)) = (&outcome, result) {
                tracing::error!(%error, "service part failed");
                outcome = Err(error);
            }
        }
        tracing::info!(service = %self.settings.service_name, "service stopped");
        outcome
    }
}

/// Every migration a service's database gets: the event backbone's, those of the `pieces` it
/// mounts, then the service's own, in version order. A piece a service no longer mounts leaves
/// its applied migrations behind, which is not an error.
///
/// # Panics
/// When two of them share a version (a programming error every service's start-up test
/// catches), or a service numbers its own below the backbone's range.
pub fn migrations(service: &Migrator, pieces: &Pieces) -> Migrator {
    let mut migrations: Vec<Migration> = vte_events::migrations::with_service(service)
        .iter()
        .cloned()
        .collect();
    if pieces.confirm_erasures.is_some() {
        migrations.extend(crate::erasure::MIGRATIONS.iter().cloned());
    }
    migrations.sort_by_key(|migration| migration.version);
    // Two pieces numbering a migration alike would leave one of them unapplied on databases
    // that ran the other (sqlx records a version once): a programming error every service's
    // start-up test catches.
    for pair in migrations.windows(2) {
        assert!(
            pair[0].version != pair[1].version,
            "migrations {} ({}) and {} ({}) share a version: renumber one",
            pair[0].version,
            pair[0].description,
            pair[1].version,
            pair[1].description
        );
    }
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.set_ignore_missing(true);
    migrator
}

async fn bind(setting: &'static str, addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind {
            setting,
            addr,
            source,
        })
}

fn local_addr(setting: &'static str, listener: &TcpListener) -> Result<SocketAddr, StartError> {
    listener.local_addr().map_err(|source| StartError::Bind {
        setting,
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vte_proto::vte::common::v1::PlatformService;

    #[test]
    fn the_backbone_and_the_erasure_piece_number_their_migrations_apart() {
        let service = Migrator::with_migrations(Vec::new());
        let merged = migrations(
            &service,
            &Pieces::confirming_erasures(PlatformService::Offers),
        );
        let versions: Vec<i64> = merged.iter().map(|migration| migration.version).collect();
        let mut unique = versions.clone();
        unique.dedup();
        assert_eq!(versions, unique);
        assert!(
            versions.len() > vte_events::migrations::BACKBONE.iter().count(),
            "the erasure piece adds its own"
        );
    }

    #[test]
    #[should_panic(expected = "share a version")]
    fn two_migrations_of_one_version_are_refused() {
        let clash: Vec<Migration> = crate::erasure::MIGRATIONS
            .iter()
            .map(|migration| {
                let mut moved = migration.clone();
                moved.version += vte_events::migrations::FIRST_SERVICE_VERSION;
                moved
            })
            .collect();
        let doubled: Vec<Migration> = clash.iter().chain(clash.iter()).cloned().collect();
        migrations(&Migrator::with_migrations(doubled), &Pieces::default());
    }
}
