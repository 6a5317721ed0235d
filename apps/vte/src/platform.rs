//! The whole platform in one process: the four services on fixed, documented ports, a private
//! PostgreSQL cluster made from the machine's PostgreSQL binaries (or `DATABASE_URL`), an
//! embedded Kafka-protocol broker (or `KAFKA_BROKERS`), the reference data, and a mail catcher
//! for the notifications service's email. [`Platform::start`] returns once every service
//! answers its health check; [`Platform::stop`] drains the outboxes and the consumers first
//! when the data is kept, because the embedded broker keeps nothing on disk. For the same reason,
//! with the embedded broker each outbox keeps what it published until every group reading the
//! topic has committed past it ([`vte_events::kept`]): after a kill -9 the fresh broker gets it
//! again, and nothing acknowledged to a caller is lost.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use vte_embedded::{EmbeddedBroker, PostgresCluster, PostgresOptions};
use vte_reference::ReferenceData;
use vte_service::settings::OwnSettings;
use vte_service::{Service, ServiceDefaults, Settings, Shared};

use crate::data_dir::{self, DataDirLock};

pub use crate::connection::DEV_SECRET;

/// Partitions of each topic `vte up` creates (on the embedded broker, or an external cluster).
pub const PARTITIONS: i32 = 3;

/// How long `vte up` waits at Ctrl-C for outboxes and consumers to drain when data is kept.
pub const DRAIN_PATIENCE: Duration = Duration::from_secs(30);

/// How often the outboxes' kept rows are trimmed as consumers commit (embedded broker).
const TRIM_EVERY: Duration = Duration::from_millis(250);

/// The four services: name and default ports, and the topics each one reads (as each service
/// declares them).
pub const SERVICES: [(ServiceDefaults, &[&str]); 4] = [
    declared::<vte_offers::Application>(),
    declared::<vte_candidates::Application>(),
    declared::<vte_matching::Application>(),
    declared::<vte_notifications::Application>(),
];

const fn declared<S: Service>() -> (ServiceDefaults, &'static [&'static str]) {
    (S::DEFAULTS, S::READS)
}

/// How to run the platform.
#[derive(Debug, Clone)]
pub struct PlatformOptions {
    /// Where the PostgreSQL cluster and the mailbox live between runs; `None`: a fresh
    /// temporary directory removed at exit.
    pub data_dir: Option<PathBuf>,
    /// An external PostgreSQL server (`postgres://user:password@host:port/any`): each service
    /// uses the database named after it there, created if missing.
    pub database_url: Option<String>,
    /// An external Kafka cluster.
    pub kafka_brokers: Option<String>,
    /// The HS256 secret of development tokens.
    pub secret: String,
    /// The reference data directory.
    pub reference_dir: PathBuf,
    /// The scheme's rule sets (`rules/*.toml`).
    pub rules_dir: PathBuf,
    /// Add this to every default port (several platforms on one machine, tests).
    pub port_offset: u16,
    /// Listen on any free port instead of the fixed ones (tests).
    pub any_port: bool,
    /// An external SMTP relay `host:port` (plain SMTP) instead of the built-in mailbox.
    pub smtp_relay: Option<(String, u16)>,
    /// Where OTLP traces go, if anywhere.
    pub otlp_endpoint: Option<String>,
}

impl PlatformOptions {
    /// The defaults of `vte up`: a temporary cluster, the embedded broker, fixed ports.
    pub fn new(reference_dir: PathBuf) -> Self {
        Self {
            data_dir: None,
            database_url: None,
            kafka_brokers: None,
            secret: DEV_SECRET.to_owned(),
            reference_dir,
            rules_dir: vte_rules::repository_rules_dir(),
            port_offset: 0,
            any_port: false,
            smtp_relay: None,
            otlp_endpoint: None,
        }
    }
}

/// Where one service listens.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: &'static str,
    pub grpc: SocketAddr,
    pub metrics: SocketAddr,
}

impl Endpoint {
    /// The gRPC URL clients connect to.
    pub fn url(&self) -> String {
        format!("http://{}", self.grpc)
    }
}

/// The running platform.
pub struct Platform {
    pub endpoints: Vec<Endpoint>,
    /// The mail catcher, unless an external relay was given.
    pub mailbox: Option<crate::mailbox::Mailbox>,
    /// The database URL of each service (for draining and for operators).
    database_urls: Vec<(String, String)>,
    kafka: vte_service::settings::KafkaSettings,
    shutdown: CancellationToken,
    services: JoinSet<(&'static str, Result<(), vte_service::RunError>)>,
    postgres: Option<PostgresCluster>,
    broker: Option<EmbeddedBroker>,
    /// Trims the outboxes' kept rows (embedded broker only), stopped before PostgreSQL.
    keeper: Option<(Arc<vte_events::kept::Keeper>, tokio::task::JoinHandle<()>)>,
    keep: bool,
    secret: String,
    /// The data directory's lock, released last, once PostgreSQL has stopped.
    _lock: Option<DataDirLock>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("endpoints", &self.endpoints)
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

impl Platform {
    /// Starts everything and returns once every service reports SERVING.
    pub async fn start(mut options: PlatformOptions) -> anyhow::Result<Self> {
        // PostgreSQL's tools run from `/`: a relative `--data-dir .vte` must be made absolute.
        if let Some(dir) = &options.data_dir {
            options.data_dir = Some(
                std::path::absolute(dir)
                    .with_context(|| format!("--data-dir {}", dir.display()))?,
            );
        }
        let keep = options.data_dir.is_some();
        // One platform per data directory; a server a killed run left behind is stopped first.
        let lock = match &options.data_dir {
            Some(dir) => {
                let lock = DataDirLock::acquire(dir)?;
                if options.database_url.is_none() {
                    let postgres = dir.join("postgres");
                    tokio::task::spawn_blocking(move || data_dir::clear_orphans(&postgres))
                        .await??;
                }
                Some(lock)
            }
            None => None,
        };
        let (postgres, base_url) = match &options.database_url {
            Some(url) => (None, url.clone()),
            None => {
                let data_dir = options.data_dir.as_ref().map(|dir| dir.join("postgres"));
                let cluster = tokio::task::spawn_blocking(move || {
                    PostgresCluster::start(&PostgresOptions {
                        data_dir,
                        ..PostgresOptions::default()
                    })
                })
                .await?
                .map_err(|error| match error {
                    vte_embedded::PostgresError::BinariesMissing => anyhow::anyhow!(
                        "PostgreSQL server binaries (initdb, postgres) were not found. Install \
                         them, e.g. `sudo apt-get install postgresql` on Debian or Ubuntu (no \
                         need to start its service), or set VTE_PG_BIN_DIR to the directory \
                         holding initdb and postgres; or set DATABASE_URL to use a running \
                         server"
                    ),
                    // As root, the server runs as `postgres`, which a private parent directory
                    // (mode 700, as `mktemp -d` makes) keeps out.
                    other if other.to_string().contains("Permission denied") => {
                        anyhow::Error::new(other).context(
                            "starting PostgreSQL (when vte runs as root, the server runs as the \
                             `postgres` user, which must be able to enter the data directory \
                             and every directory above it: `chmod o+x` them, or choose another \
                             --data-dir)",
                        )
                    }
                    other => anyhow::Error::new(other).context("starting PostgreSQL"),
                })?;
                let url = cluster.url("postgres");
                (Some(cluster), url)
            }
        };
        // The embedded broker keeps nothing across a crash: the outboxes keep what consumers
        // have not committed past (before the services connect, which read it once per session).
        let durable_broker = options.kafka_brokers.is_some();
        let mut database_urls = Vec::new();
        for (service, _) in SERVICES {
            let url = database_url(&base_url, service.name)?;
            create_database(&base_url, service.name, !durable_broker).await?;
            database_urls.push((service.name.to_owned(), url));
        }

        let broker = match &options.kafka_brokers {
            Some(_) => None,
            None => Some(EmbeddedBroker::start(1).context("starting the embedded Kafka broker")?),
        };
        let brokers = match (&options.kafka_brokers, &broker) {
            (Some(brokers), _) => brokers.clone(),
            (None, Some(broker)) => broker.bootstrap_servers().to_owned(),
            (None, None) => bail!("no Kafka broker"),
        };
        let mut kafka = vte_service::settings::KafkaSettings::new(brokers);
        kafka.partitions = PARTITIONS;
        kafka.create_topics = broker.is_none();
        if let Some(broker) = &broker {
            for (topic, partitions) in kafka.topics().platform(PARTITIONS) {
                broker.create_topic(&topic, partitions)?;
            }
        }

        let shutdown = CancellationToken::new();
        let mailbox = match &options.smtp_relay {
            Some(_) => None,
            None => {
                let dir = match &options.data_dir {
                    Some(dir) => dir.join("mail"),
                    None => std::env::temp_dir().join(format!("vte-mail-{}", std::process::id())),
                };
                let addr = SocketAddr::from(([127, 0, 0, 1], 0));
                Some(crate::mailbox::Mailbox::start(addr, &dir, shutdown.clone()).await?)
            }
        };
        let smtp = match (&options.smtp_relay, &mailbox) {
            (Some(relay), _) => relay.clone(),
            (None, Some(mailbox)) => (mailbox.addr().ip().to_string(), mailbox.addr().port()),
            (None, None) => bail!("no SMTP relay"),
        };

        let reference = ReferenceData::load(&options.reference_dir)
            .with_context(|| format!("reading {}", options.reference_dir.display()))?;
        let rules = vte_rules::RuleBook::load(&options.rules_dir)
            .with_context(|| format!("reading {}", options.rules_dir.display()))?;
        let mut launch = Launch {
            options: &options,
            kafka: &kafka,
            database_urls: &database_urls,
            shared: Shared::new(Arc::new(reference), Arc::new(rules)),
            peers: vte_service::peers::PeersSettings::default(),
            shutdown: &shutdown,
            services: JoinSet::new(),
            endpoints: Vec::new(),
        };
        // In dependency order: the candidates service first (the others call it).
        launch.peers.candidates = launch.start::<vte_candidates::Application>(|_| {}).await?;
        launch.peers.offers = launch.start::<vte_offers::Application>(|_| {}).await?;
        launch.peers.matching = launch.start::<vte_matching::Application>(|_| {}).await?;
        launch
            .start::<vte_notifications::Application>(|own| {
                // On one developer's machine, schools' test endpoints live on loopback too.
                own.webhooks.allow_private_targets = true;
                (own.smtp.host, own.smtp.port) = smtp;
                own.smtp.tls = vte_notifications::config::SmtpTls::None;
            })
            .await?;
        let Launch {
            services,
            endpoints,
            ..
        } = launch;
        let keeper = match &broker {
            Some(_) => Some(start_keeper(&kafka, &database_urls, &shutdown).await?),
            None => None,
        };

        let platform = Self {
            endpoints,
            mailbox,
            database_urls,
            kafka,
            shutdown,
            services,
            postgres,
            broker,
            keeper,
            keep,
            secret: options.secret.clone(),
            _lock: lock,
        };
        platform.wait_healthy(Duration::from_secs(60)).await?;
        Ok(platform)
    }

    /// Waits until every service answers SERVING to `grpc.health.v1.Health/Check`.
    pub async fn wait_healthy(&self, patience: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + patience;
        for endpoint in &self.endpoints {
            loop {
                if serving(endpoint).await {
                    break;
                }
                if Instant::now() > deadline {
                    bail!(
                        "the {} service is not healthy after {patience:?}",
                        endpoint.name
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }

    /// The database URL of service `name` (benchmarks and operators read its tables).
    pub fn database_url(&self, name: &str) -> Option<&str> {
        self.database_urls
            .iter()
            .find(|(service, _)| service == name)
            .map(|(_, url)| url.as_str())
    }

    /// The Kafka bootstrap servers the services use.
    pub fn kafka_brokers(&self) -> &str {
        &self.kafka.brokers
    }

    /// Creates a topic on the embedded broker (benchmarks); an external cluster is left alone.
    pub fn create_topic(&self, name: &str, partitions: i32) -> anyhow::Result<()> {
        if let Some(broker) = &self.broker {
            broker.create_topic(name, partitions)?;
        }
        Ok(())
    }

    /// How the command-line client reaches this platform: its four URLs and its development
    /// secret, no fixed token.
    pub fn connection(&self) -> crate::connection::Connection {
        let url = |name: &str| self.endpoint(name).map(Endpoint::url).unwrap_or_default();
        crate::connection::Connection {
            offers: url("offers"),
            candidates: url("candidates"),
            matching: url("matching"),
            notifications: url("notifications"),
            token: None,
            secret: self.secret.clone(),
        }
    }

    /// The endpoint of `name`.
    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|endpoint| endpoint.name == name)
    }

    /// A token that fires when a service stops on its own (a failure).
    pub async fn failed(&mut self) -> anyhow::Result<()> {
        match self.services.join_next().await {
            Some(Ok((name, Ok(())))) => bail!("the {name} service stopped"),
            Some(Ok((name, Err(error)))) => Err(anyhow::Error::new(error).context(name)),
            Some(Err(error)) => Err(error.into()),
            None => bail!("no service is running"),
        }
    }

    /// Stops the platform. With kept data, first waits (up to `drain_patience`) until every
    /// outbox is empty and every consumer group has read everything, so a restart loses
    /// nothing though the embedded broker forgets its topics.
    pub async fn stop(mut self, drain_patience: Duration) -> anyhow::Result<()> {
        if self.keep && self.broker.is_some() {
            match self.drain(drain_patience).await {
                Ok(()) => tracing::info!("outboxes and consumers drained"),
                Err(error) => tracing::warn!(%error, "stopping before everything was drained"),
            }
        }
        if let Some((keeper, _)) = &self.keeper {
            // What the drain let consumers commit leaves the outboxes now, not at the next start.
            if let Err(error) = keeper.trim().await {
                tracing::warn!(%error, "could not trim the outboxes' kept events");
            }
        }
        self.shutdown.cancel();
        if let Some((_, task)) = self.keeper.take() {
            let _ = task.await;
        }
        while let Some(joined) = self.services.join_next().await {
            if let Ok((name, Err(error))) = joined {
                tracing::warn!(service = name, %error, "service stopped with an error");
            }
        }
        drop(self.broker.take());
        if let Some(postgres) = self.postgres.take() {
            tokio::task::spawn_blocking(move || postgres.stop()).await?;
        }
        Ok(())
    }

    /// Waits until nothing is in flight: outboxes empty and every group at the end of every
    /// topic it reads.
    pub async fn drain(&self, patience: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + patience;
        loop {
            let mut backlog = 0i64;
            for (_, url) in &self.database_urls {
                let mut connection = sqlx::PgConnection::connect(url).await?;
                backlog += vte_events::outbox::waiting(&mut connection, None).await?;
            }
            let kafka = self.kafka.clone();
            let lag = tokio::task::spawn_blocking(move || consumer_lag(&kafka)).await??;
            if backlog == 0 && lag == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{backlog} events still in outboxes and {lag} not yet consumed");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// What starting the services one after another needs and gathers.
struct Launch<'a> {
    options: &'a PlatformOptions,
    kafka: &'a vte_service::settings::KafkaSettings,
    database_urls: &'a [(String, String)],
    /// The reference data, loaded once for the four services.
    shared: Shared,
    /// The URLs of the services started so far.
    peers: vte_service::peers::PeersSettings,
    shutdown: &'a CancellationToken,
    services: JoinSet<(&'static str, Result<(), vte_service::RunError>)>,
    endpoints: Vec<Endpoint>,
}

impl Launch<'_> {
    /// Builds `S` on the platform's database, broker and ports, with its own settings read as
    /// its binary reads them and then adjusted by `adjust`, runs it until shutdown, and returns
    /// the URL its peers call it at.
    async fn start<S: Service + 'static>(
        &mut self,
        adjust: impl FnOnce(&mut S::Own),
    ) -> anyhow::Result<String> {
        let defaults = S::DEFAULTS;
        let mut own = S::Own::load(defaults).map_err(|message| anyhow::anyhow!("{message}"))?;
        adjust(&mut own);
        let port = |port: u16| {
            if self.options.any_port {
                0
            } else {
                port + self.options.port_offset
            }
        };
        let database_url = self
            .database_urls
            .iter()
            .find(|(service, _)| service == defaults.name)
            .map(|(_, url)| url.clone())
            .unwrap_or_default();
        let mut settings = Settings::local(
            defaults,
            &database_url,
            &self.kafka.brokers,
            &self.options.secret,
            &self.options.reference_dir,
        );
        settings.rules.dir = self.options.rules_dir.clone();
        // `vte up` is the development platform: development tokens (the HS256 secret), no
        // issuer or audience. A deployment runs the services' own binaries without this mode.
        settings.auth.development = true;
        settings.server.grpc_addr = SocketAddr::from(([127, 0, 0, 1], port(defaults.grpc_port)));
        settings.server.metrics_addr =
            SocketAddr::from(([127, 0, 0, 1], port(defaults.metrics_port)));
        settings.kafka = self.kafka.clone();
        settings.telemetry.otlp_endpoint = self.options.otlp_endpoint.clone();
        settings.peers = self.peers.clone();
        let metrics = settings.server.metrics_addr;
        let service = S::build_from(settings, own, self.shared.clone())
            .await
            .with_context(|| format!("{} service", defaults.name))?;
        let endpoint = Endpoint {
            name: defaults.name,
            grpc: service.grpc_addr(),
            metrics,
        };
        let url = endpoint.url();
        self.endpoints.push(endpoint);
        let stop = self.shutdown.clone();
        self.services
            .spawn(async move { (defaults.name, service.run_until_stopped(stop).await) });
        Ok(url)
    }
}

async fn serving(endpoint: &Endpoint) -> bool {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let Ok(channel) = tonic::transport::Endpoint::from_shared(endpoint.url())
        .map(|e| e.connect_timeout(Duration::from_millis(500)))
    else {
        return false;
    };
    let Ok(channel) = channel.connect().await else {
        return false;
    };
    let mut client = HealthClient::new(channel);
    match client
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
    {
        Ok(response) => response.into_inner().status == ServingStatus::Serving as i32,
        Err(_) => false,
    }
}

/// The URL of `database` on the server `base` names (its database replaced, its query kept).
fn database_url(base: &str, database: &str) -> anyhow::Result<String> {
    let (scheme, rest) = base
        .split_once("://")
        .context("DATABASE_URL: expected postgres://user:password@host:port/database")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let query = path.split_once('?').map(|(_, query)| query);
    Ok(match query {
        Some(query) => format!("{scheme}://{authority}/{database}?{query}"),
        None => format!("{scheme}://{authority}/{database}"),
    })
}

/// Starts trimming the outboxes' kept rows as the services' groups commit.
async fn start_keeper(
    kafka: &vte_service::settings::KafkaSettings,
    database_urls: &[(String, String)],
    shutdown: &CancellationToken,
) -> anyhow::Result<(Arc<vte_events::kept::Keeper>, tokio::task::JoinHandle<()>)> {
    let mut outboxes = Vec::new();
    for (_, url) in database_urls {
        let options: PgConnectOptions = url.parse().context("database URL")?;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options.disable_statement_logging())
            .await?;
        outboxes.push(pool);
    }
    let readers: Vec<(&str, &[&str])> = SERVICES
        .iter()
        .map(|(service, reads)| (service.name, *reads))
        .collect();
    let keeper = Arc::new(vte_events::kept::Keeper::new(
        kafka.clone(),
        &readers,
        outboxes,
        TRIM_EVERY,
    ));
    let running = Arc::clone(&keeper);
    let stop = shutdown.clone();
    let task = tokio::spawn(async move { running.run(stop).await });
    Ok((keeper, task))
}

/// Creates `database` on the server unless it exists, and marks whether its outbox keeps what
/// it published until consumed (`keep`: the broker is not durable).
async fn create_database(base: &str, database: &str, keep: bool) -> anyhow::Result<()> {
    let options: PgConnectOptions = base.parse().context("DATABASE_URL")?;
    let mut connection = options
        .clone()
        .connect()
        .await
        .with_context(|| format!("connecting to PostgreSQL at {}", options.get_host()))?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(database)
            .fetch_one(&mut connection)
            .await?;
    if !exists {
        // The name is one of the four service names, never input.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE \"{database}\""
        )))
        .execute(&mut connection)
        .await
        .with_context(|| format!("creating database {database}"))?;
    }
    let marked = vte_events::kept::keep_until_consumed(&mut connection, database, keep).await;
    match marked {
        Ok(()) => {}
        Err(error) if keep => {
            return Err(anyhow::Error::new(error).context(format!(
                "setting {} on database {database} (the embedded broker keeps nothing across a \
                 crash, so the outbox must)",
                vte_events::kept::SETTING
            )));
        }
        // A durable broker needs no mark: a database the user may not alter keeps none.
        Err(error) => tracing::debug!(%error, database, "could not reset the outbox mark"),
    }
    Ok(())
}

/// Messages the services' consumer groups have not read yet, over every topic.
fn consumer_lag(kafka: &vte_service::settings::KafkaSettings) -> anyhow::Result<i64> {
    let topics = kafka.topics();
    let mut lag = 0;
    for (service, reads) in SERVICES {
        let group = topics.group(service.name);
        let consumer: BaseConsumer = kafka.consumer_config(&group).create()?;
        let metadata = consumer.fetch_metadata(None, Duration::from_secs(5))?;
        // Only the topics the group consumes: a group that never read another topic has
        // nothing to read there.
        let mut assignment = TopicPartitionList::new();
        for logical in vte_proto::TOPICS {
            if !reads.contains(&logical) {
                continue;
            }
            let topic = topics.topic(logical);
            if let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) {
                for partition in found.partitions() {
                    assignment.add_partition(&topic, partition.id());
                }
            }
        }
        let committed = consumer.committed_offsets(assignment, Duration::from_secs(5))?;
        for element in committed.elements() {
            let (low, high) = consumer.fetch_watermarks(
                element.topic(),
                element.partition(),
                Duration::from_secs(5),
            )?;
            let position = match element.offset() {
                Offset::Offset(offset) => offset,
                // Never committed: the group would read from the beginning (earliest).
                _ => low,
            };
            lag += (high - position).max(0);
        }
    }
    Ok(lag)
}
