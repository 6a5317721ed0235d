//! Servers the platform can start for itself, with nothing installed by hand but the
//! PostgreSQL server package: a private PostgreSQL cluster built with the machine's `initdb`
//! and `postgres` ([`PostgresCluster`]), and librdkafka's in-process Kafka-protocol broker
//! ([`EmbeddedBroker`]). The one-command run and the test bed both start them from here.

mod broker;
mod postgres;

pub use broker::{BrokerError, EmbeddedBroker};
pub use postgres::{PostgresCluster, PostgresError, PostgresOptions, find_postgres_binaries};
