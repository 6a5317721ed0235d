//! The platform as separate processes for one fault test: the four services' real binaries
//! ([`Process`]) on the suite's Apache Kafka ([`Broker`], a namespace of this test's), each on a
//! fresh database of the test bed's PostgreSQL (or of a cluster the test passes, one it can
//! stop), the notifications service emailing through an SMTP sink on loopback and asking the
//! candidates service for addresses, as in production. Clients per role reach them over gRPC.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_service::auth::{BearerToken, Caller};
use vte_testbed::{TestDatabase, Tokens};

use super::broker::{Broker, repository};
use super::process::{Process, SERVICES, free_addr};
use super::smtp::SmtpSink;

/// The secret the services verify tokens with (development mode), and the test signs them with.
pub const SECRET: &str = "faults-suite-secret";
/// How long a service may take to serve after it is started (migrations, topic bootstrap,
/// the matching index rebuilt from its read model).
pub const START_WITHIN: Duration = Duration::from_secs(120);

/// A client of the candidates service as one caller.
pub type Candidates = CandidatesServiceClient<InterceptedService<Channel, BearerToken>>;
/// A client of the offers service as one caller.
pub type Offers = OffersServiceClient<InterceptedService<Channel, BearerToken>>;

/// The four services running as processes, and what the test counts at the edges.
#[derive(Debug)]
pub struct Platform {
    pub smtp: SmtpSink,
    /// One process per service, in [`SERVICES`] order; a test may add instances.
    processes: Vec<Process>,
    /// Each service's database URL and a pool on it, in [`SERVICES`] order.
    databases: Vec<(String, PgPool)>,
    /// The test bed's databases, dropped with the platform (none on a cluster of the test's).
    _test_bed: Vec<TestDatabase>,
    namespace: String,
    logs: PathBuf,
    tokens: Tokens,
    // Dropped last: the processes die first.
    pub broker: Broker,
}

impl Platform {
    /// Starts a broker, four databases of the test bed and the four services, and waits until
    /// all serve.
    pub async fn start() -> Self {
        let mut test_bed = Vec::new();
        let mut databases = Vec::new();
        for _ in SERVICES {
            let database = TestDatabase::create().await;
            databases.push((database.url(), database.pool().await));
            test_bed.push(database);
        }
        Self::start_with(databases, test_bed).await
    }

    /// Starts the platform on `cluster` (a PostgreSQL of the test's own, which it may stop),
    /// one new database per service.
    pub async fn start_on(cluster: &vte_embedded::PostgresCluster) -> Self {
        let admin = PgPool::connect(&cluster.url("postgres")).await.unwrap();
        let mut databases = Vec::new();
        for service in SERVICES {
            // Our own name (a service's): safe to splice.
            let create = format!("CREATE DATABASE {service}");
            sqlx::query(sqlx::AssertSqlSafe(create))
                .execute(&admin)
                .await
                .unwrap();
            let url = cluster.url(service);
            // Room for the test's own reads, whatever the services hold.
            let pool = PgPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .unwrap();
            databases.push((url, pool));
        }
        admin.close().await;
        Self::start_with(databases, Vec::new()).await
    }

    async fn start_with(databases: Vec<(String, PgPool)>, test_bed: Vec<TestDatabase>) -> Self {
        let broker = tokio::task::spawn_blocking(Broker::start).await.unwrap();
        let namespace = format!("f{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let logs = std::env::temp_dir().join(format!("vte-faults-{namespace}"));
        std::fs::create_dir_all(&logs).unwrap();
        let mut platform = Self {
            smtp: SmtpSink::start().await,
            processes: Vec::new(),
            databases,
            _test_bed: test_bed,
            namespace,
            logs,
            tokens: Tokens::new(SECRET),
            broker,
        };
        let addrs: Vec<SocketAddr> = SERVICES.iter().map(|_| free_addr()).collect();
        for (index, name) in SERVICES.into_iter().enumerate() {
            let env = platform.env(name, &addrs);
            let log = platform.logs.join(format!("{name}.log"));
            platform
                .processes
                .push(Process::new(name, addrs[index], env, log));
        }
        for process in &mut platform.processes {
            process.spawn();
        }
        for process in &mut platform.processes {
            process.wait_serving(START_WITHIN).await;
        }
        platform
    }

    /// The `VTE_*` settings of service `name` among the services listening at `addrs`.
    fn env(&self, name: &str, addrs: &[SocketAddr]) -> Vec<(String, String)> {
        let index = SERVICES.iter().position(|s| *s == name).unwrap();
        let mut env: Vec<(String, String)> = [
            ("VTE_SERVER__GRPC_ADDR", addrs[index].to_string()),
            ("VTE_SERVER__METRICS_ADDR", "127.0.0.1:0".to_owned()),
            ("VTE_SERVER__SHUTDOWN_GRACE_SECS", "2".to_owned()),
            ("VTE_DATABASE__URL", self.databases[index].0.clone()),
            ("VTE_KAFKA__BROKERS", self.broker.brokers().to_owned()),
            ("VTE_KAFKA__NAMESPACE", format!("{}.", self.namespace)),
            ("VTE_KAFKA__CREATE_TOPICS", "true".to_owned()),
            ("VTE_KAFKA__PARTITIONS", "3".to_owned()),
            ("VTE_KAFKA__REPLICATION", "1".to_owned()),
            ("VTE_AUTH__DEVELOPMENT", "true".to_owned()),
            ("VTE_AUTH__HS256_SECRET", SECRET.to_owned()),
            (
                "VTE_REFERENCE__DIR",
                vte_testbed::reference_dir().display().to_string(),
            ),
            (
                "VTE_RULES__DIR",
                repository().join("rules").display().to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (peer, addr) in SERVICES.iter().zip(addrs) {
            let key = format!("VTE_PEERS__{}", peer.to_ascii_uppercase());
            env.push((key, format!("http://{addr}")));
        }
        let own: &[(&str, String)] = match name {
            "candidates" => &[
                ("NEW_PROFILES_PER_SCHOOL_PER_HOUR", "1000000".to_owned()),
                ("NEW_PROFILES_PER_SCHOOL_PER_DAY", "1000000".to_owned()),
            ],
            "notifications" => &[
                ("SMTP__HOST", "127.0.0.1".to_owned()),
                ("SMTP__PORT", self.smtp.port().to_string()),
                ("SMTP__TLS", "none".to_owned()),
                ("SMTP__TIMEOUT_SECS", "5".to_owned()),
                ("WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true".to_owned()),
                // Contact look-ups fail while the candidates service is down: retry long
                // enough to outlast any fault of the suite.
                ("RETRY__FIRST_DELAY_MS", "200".to_owned()),
                ("RETRY__MAX_DELAY_MS", "2000".to_owned()),
                ("RETRY__MAX_ATTEMPTS", "60".to_owned()),
                ("WORKER__POLL_MS", "50".to_owned()),
            ],
            _ => &[],
        };
        let section = format!("VTE_{}__", name.to_ascii_uppercase());
        env.extend(
            own.iter()
                .map(|(k, v)| (format!("{section}{k}"), v.clone())),
        );
        env
    }

    /// The process of service `name` (its first instance).
    pub fn process(&mut self, name: &str) -> &mut Process {
        self.processes
            .iter_mut()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no service {name}"))
    }

    /// Starts another instance of service `name`, on another gRPC port, in the same consumer
    /// group and on the same database, and waits until it serves.
    pub async fn add_instance(&mut self, name: &'static str) {
        let mut addrs: Vec<SocketAddr> = self.processes[..4].iter().map(|p| p.grpc).collect();
        let index = SERVICES.iter().position(|s| *s == name).unwrap();
        addrs[index] = free_addr();
        let env = self.env(name, &addrs);
        let log = self
            .logs
            .join(format!("{name}-{}.log", self.processes.len()));
        let mut process = Process::new(name, addrs[index], env, log);
        process.spawn();
        process.wait_serving(START_WITHIN).await;
        self.processes.push(process);
    }

    /// A pool on service `name`'s database.
    pub fn pool(&self, name: &str) -> &PgPool {
        let index = SERVICES.iter().position(|s| *s == name).unwrap();
        &self.databases[index].1
    }

    /// Checks that every process is still running, showing a dead one's log.
    pub fn assert_all_alive(&mut self) {
        for process in &mut self.processes {
            process.assert_alive();
        }
    }

    fn channel(&mut self, name: &str) -> Channel {
        let grpc = self.process(name).grpc;
        Endpoint::from_shared(format!("http://{grpc}"))
            .unwrap()
            .connect_timeout(Duration::from_secs(1))
            .timeout(Duration::from_secs(10))
            .connect_lazy()
    }

    /// A client of the candidates service as `caller`.
    pub fn candidates(&mut self, caller: &Caller) -> Candidates {
        let token = self.tokens.bearer(Some(caller));
        CandidatesServiceClient::with_interceptor(self.channel("candidates"), token)
    }

    /// A client of the offers service as `caller`.
    pub fn offers(&mut self, caller: &Caller) -> Offers {
        let token = self.tokens.bearer(Some(caller));
        OffersServiceClient::with_interceptor(self.channel("offers"), token)
    }

    /// The deployed name of a logical topic (`vte.offers.v1`) in this test's namespace.
    pub fn topic(&self, logical: &str) -> String {
        format!("{}.{logical}", self.namespace)
    }

    /// Where the services' logs are.
    pub fn logs(&self) -> &std::path::Path {
        &self.logs
    }
}

impl Drop for Platform {
    /// Removes the services' logs, unless the test failed (its message names where they are).
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.logs);
        }
    }
}
