//! A fresh database per test. The cluster behind it is started once per test process from the
//! machine's PostgreSQL binaries (see `vte-embedded`) and stopped and removed when the process
//! exits; `VTE_TEST_DATABASE_URL` (a URL whose user may create databases) replaces it with an
//! existing server.

use std::sync::OnceLock;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};
use vte_embedded::{PostgresCluster, PostgresOptions};

/// The administrative URL of the server tests run against.
fn server_url() -> &'static str {
    static SERVER: OnceLock<Result<(String, Option<PostgresCluster>), String>> = OnceLock::new();
    let server = SERVER.get_or_init(|| match std::env::var("VTE_TEST_DATABASE_URL") {
        Ok(url) => Ok((url, None)),
        Err(_) => PostgresCluster::start(&PostgresOptions::for_tests())
            .map(|cluster| (cluster.url("postgres"), Some(cluster)))
            .map_err(|error| error.to_string()),
    });
    match server {
        Ok((url, _)) => url,
        Err(error) => panic!("the test bed could not start PostgreSQL: {error}"),
    }
}

/// A database of its own for one test, dropped when the value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    options: PgConnectOptions,
    admin: PgConnectOptions,
}

impl TestDatabase {
    /// Creates an empty database with a unique name.
    pub async fn create() -> Self {
        let admin: PgConnectOptions = server_url()
            .parse()
            .expect("the test database URL is not a PostgreSQL URL");
        let admin = admin.disable_statement_logging();
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut connection = PgConnection::connect_with(&admin)
            .await
            .expect("cannot connect to the test PostgreSQL server");
        // The name is ours (`test_` and hex digits): safe to splice.
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut connection)
            .await
            .expect("cannot create the test database");
        let _ = connection.close().await;
        let options = admin.clone().database(&name);
        Self {
            name,
            options,
            admin,
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A URL for the database, as a service's settings would name it.
    pub fn url(&self) -> String {
        self.options.to_url_lossy().to_string()
    }

    /// Connection options for the database.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.options.clone()
    }

    /// A small pool on the database.
    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(5)
            .connect_with(self.options.clone())
            .await
            .expect("cannot connect to the test database")
    }

    /// Whether a database of this name exists on the server.
    pub async fn exists(name: &str) -> bool {
        let admin: PgConnectOptions = server_url().parse().expect("a PostgreSQL URL");
        let mut connection = PgConnection::connect_with(&admin)
            .await
            .expect("cannot connect to the test PostgreSQL server");
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
        )
        .bind(name)
        .fetch_one(&mut connection)
        .await
        .expect("cannot query pg_database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: drop the database from
        // a thread of its own. FORCE ends the connections the test's pools still hold.
        let admin = self.admin.clone();
        let name = std::mem::take(&mut self.name);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async move {
                let mut connection = PgConnection::connect_with(&admin).await.ok()?;
                sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut connection)
                .await
                .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            tracing::warn!("a test database could not be dropped");
        }
    }
}
