//! librdkafka's built-in cluster (`MockCluster`) as an embedded broker: real Kafka protocol on
//! loopback TCP, records kept in memory for the life of the process. librdkafka's handle is not
//! `Send`, so one thread owns it and serves the commands of an [`EmbeddedBroker`] handle, which
//! can then be shared freely. The cluster does not implement CreateTopics: topics are made
//! through [`EmbeddedBroker::create_topic`] (or auto-created by a producer).

use std::sync::mpsc;
use std::thread;

use rdkafka::ClientConfig;
use rdkafka::client::{Client, ClientContext};
use rdkafka::producer::{BaseProducer, Producer as _};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

/// Why the embedded broker failed.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// librdkafka refused to create the cluster or to run a command.
    #[error("embedded broker: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// The thread owning the cluster is gone.
    #[error("embedded broker: the broker thread has stopped")]
    Stopped,
}

enum Command {
    CreateTopic {
        name: String,
        partitions: i32,
        reply: mpsc::Sender<Result<(), BrokerError>>,
    },
    SetBrokerUp {
        broker_id: i32,
        up: bool,
        reply: mpsc::Sender<Result<(), BrokerError>>,
    },
    RefuseProduces {
        count: usize,
        reply: mpsc::Sender<Result<(), BrokerError>>,
    },
}

/// A handle on a running embedded broker; the cluster stops when the handle is dropped.
#[derive(Debug)]
pub struct EmbeddedBroker {
    bootstrap_servers: String,
    broker_count: i32,
    commands: Option<mpsc::Sender<Command>>,
    owner: Option<thread::JoinHandle<()>>,
}

impl EmbeddedBroker {
    /// Starts a cluster of `broker_count` brokers, each on its own loopback port.
    pub fn start(broker_count: i32) -> Result<Self, BrokerError> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (commands, inbox) = mpsc::channel::<Command>();
        let owner = thread::Builder::new()
            .name("vte-embedded-broker".into())
            .spawn(move || {
                // The cluster belongs to this client (`test.mock.num.brokers`), which the thread
                // keeps for as long as it serves.
                let owner: BaseProducer = match ClientConfig::new()
                    .set("test.mock.num.brokers", broker_count.to_string())
                    .create()
                {
                    Ok(owner) => owner,
                    Err(error) => {
                        let _ = ready_tx.send(Err(BrokerError::Kafka(error)));
                        return;
                    }
                };
                let Some(cluster) = owner.client().mock_cluster() else {
                    let _ = ready_tx.send(Err(BrokerError::Stopped));
                    return;
                };
                shorten_group_formation(owner.client());
                let _ = ready_tx.send(Ok(cluster.bootstrap_servers()));
                // Serves commands until every handle is dropped, then destroys the cluster.
                for command in inbox {
                    match command {
                        Command::CreateTopic {
                            name,
                            partitions,
                            reply,
                        } => {
                            let replication = broker_count.min(3);
                            let _ = reply.send(
                                cluster
                                    .create_topic(&name, partitions, replication)
                                    .map_err(BrokerError::from),
                            );
                        }
                        Command::SetBrokerUp {
                            broker_id,
                            up,
                            reply,
                        } => {
                            let result = if up {
                                cluster.broker_up(broker_id)
                            } else {
                                cluster.broker_down(broker_id)
                            };
                            let _ = reply.send(result.map_err(BrokerError::from));
                        }
                        Command::RefuseProduces { count, reply } => {
                            // INVALID_RECORD is not retriable: the producer fails the batch.
                            cluster.request_errors(
                                RDKafkaApiKey::Produce,
                                &vec![RDKafkaRespErr::RD_KAFKA_RESP_ERR_INVALID_RECORD; count],
                            );
                            let _ = reply.send(Ok(()));
                        }
                    }
                }
            })
            .map_err(|_| BrokerError::Stopped)?;
        let bootstrap_servers = ready_rx.recv().map_err(|_| BrokerError::Stopped)??;
        Ok(Self {
            bootstrap_servers,
            broker_count,
            commands: Some(commands),
            owner: Some(owner),
        })
    }

    /// The `bootstrap.servers` list clients connect to.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap_servers
    }

    /// Creates `name` with `partitions` partitions; creating an existing topic is an error.
    pub fn create_topic(&self, name: &str, partitions: i32) -> Result<(), BrokerError> {
        self.call(|reply| Command::CreateTopic {
            name: name.to_owned(),
            partitions,
            reply,
        })
    }

    /// Makes every broker unreachable (`up == false`) or reachable again, to test what happens
    /// when Kafka goes away.
    pub fn set_reachable(&self, up: bool) -> Result<(), BrokerError> {
        for broker_id in 1..=self.broker_count {
            self.call(|reply| Command::SetBrokerUp {
                broker_id,
                up,
                reply,
            })?;
        }
        Ok(())
    }

    /// Makes the next `count` produce requests, from any client, fail with a non-retriable
    /// error (`INVALID_RECORD`), to test what a producer's caller does with a failed delivery.
    pub fn refuse_next_produces(&self, count: usize) -> Result<(), BrokerError> {
        self.call(|reply| Command::RefuseProduces { count, reply })
    }

    fn call(
        &self,
        command: impl FnOnce(mpsc::Sender<Result<(), BrokerError>>) -> Command,
    ) -> Result<(), BrokerError> {
        let (reply, answer) = mpsc::channel();
        self.commands
            .as_ref()
            .ok_or(BrokerError::Stopped)?
            .send(command(reply))
            .map_err(|_| BrokerError::Stopped)?;
        answer.recv().map_err(|_| BrokerError::Stopped)?
    }
}

/// How long a new consumer group waits for more members before it forms: a real broker's
/// `group.initial.rebalance.delay.ms` is 3 s (and so is librdkafka's mock by default), which
/// every consumer of a one-machine broker would pay at start. Not 0: the mock then completes a
/// rebalance before the remaining members rejoin and leaves their partitions unassigned.
const GROUP_FORMATION_DELAY_MS: i32 = 250;

fn shorten_group_formation<C: ClientContext>(client: &Client<C>) {
    // SAFETY: `client` was created with `test.mock.num.brokers`, so it owns a mock cluster that
    // lives as long as the client, which outlives this call; the setter only stores an integer
    // in that cluster (librdkafka's rdkafka_mock.h). A null handle (no cluster) is not passed.
    #[allow(unsafe_code)]
    unsafe {
        let cluster = rdkafka::bindings::rd_kafka_handle_mock_cluster(client.native_ptr());
        if !cluster.is_null() {
            rdkafka::bindings::rd_kafka_mock_group_initial_rebalance_delay_ms(
                cluster,
                GROUP_FORMATION_DELAY_MS,
            );
        }
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        // Closing the channel ends the owner's loop, which destroys the cluster.
        self.commands.take();
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
