//! `vte dlq list / replay`: the records a consumer gave up on, which `vte-events` writes to
//! `<topic>.dlq` with the failure in `vte-dlq-*` headers (reason, source topic, partition and
//! offset, consumer group). `list` shows each one by its key, event type and id, size, time and
//! those headers, never its payload (events carry people's data); `replay` publishes them again
//! to their original topic with the same key and payload and without the dead-letter headers,
//! so their consumers handle them anew (they deduplicate on the event id), and `--dry-run`
//! shows what it would publish.

use std::time::Duration;

use anyhow::{Context, bail};
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use rdkafka::{Offset, TopicPartitionList};
use vte_events::KafkaSettings;

/// The prefix of every header the dead-letter path adds.
const DLQ_HEADER_PREFIX: &str = "vte-dlq-";
/// How long one metadata, watermark or delivery request may take.
const BROKER_TIMEOUT: Duration = Duration::from_secs(10);

/// Which cluster, and the deployment's namespace: the services' own `kafka` settings (the file
/// named by `VTE_CONFIG`, `VTE_KAFKA__*`, `KAFKA_BROKERS`: brokers, namespace, TLS, SASL), the
/// options below taking precedence.
#[derive(Debug, Clone, clap::Args)]
pub struct BrokerArgs {
    /// The Kafka cluster (`vte up` prints the embedded broker's address as
    /// `VTE_KAFKA__BROKERS`).
    #[arg(long, value_name = "HOST:PORT,...")]
    pub kafka_brokers: Option<String>,
    /// The deployment's prefix of every topic (`kafka.namespace`, e.g. `staging.`).
    #[arg(long)]
    pub namespace: Option<String>,
}

impl BrokerArgs {
    /// The Kafka settings the services would read here, with these options applied.
    fn settings(&self) -> anyhow::Result<KafkaSettings> {
        // The services' layered sources, under a name of its own (`VTE_DLQ__...`).
        let defaults = vte_service::ServiceDefaults {
            name: "dlq",
            grpc_port: 0,
            metrics_port: 0,
        };
        let mut kafka: KafkaSettings = vte_service::Settings::figment(defaults)
            .extract_inner("kafka")
            .map_err(|error| anyhow::anyhow!("kafka settings: {error}"))?;
        if let Some(brokers) = &self.kafka_brokers {
            kafka.brokers = brokers.clone();
        }
        if let Some(namespace) = &self.namespace {
            kafka.namespace = namespace.clone();
        }
        Ok(kafka)
    }
}

/// `vte dlq ...`.
#[derive(Debug, clap::Subcommand)]
pub enum DlqCommand {
    /// Lists the dead letters of a topic: key, event type and id, size, time, the original
    /// topic, partition and offset, the consumer group and the reason (never the payload).
    List {
        /// The topic, as in the contract (`vte.offers.v1`) or its dead-letter topic
        /// (`vte.offers.v1.dlq`).
        topic: String,
        #[command(flatten)]
        broker: BrokerArgs,
    },
    /// Publishes a topic's dead letters again to the topic they came from, with the same key
    /// and payload, without the dead-letter headers.
    Replay {
        /// The topic, as for `list`.
        topic: String,
        /// Only the dead letters from this offset of the dead-letter topic on (see `list`).
        #[arg(long, value_name = "OFFSET")]
        from: Option<i64>,
        /// Show what would be published, publish nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        broker: BrokerArgs,
    },
}

/// Runs a `vte dlq` command.
pub async fn run(command: DlqCommand) -> anyhow::Result<()> {
    match command {
        DlqCommand::List { topic, broker } => {
            let source = Source::new(&topic, &broker)?;
            let letters = tokio::task::spawn_blocking(move || source.read(None)).await??;
            println!(
                "{}: {} dead letter(s)",
                letters.dead_letter_topic,
                letters.records.len()
            );
            for letter in &letters.records {
                print!("{}", letter.describe());
            }
            Ok(())
        }
        DlqCommand::Replay {
            topic,
            from,
            dry_run,
            broker,
        } => {
            let source = Source::new(&topic, &broker)?;
            let kafka = source.kafka.clone();
            let letters = tokio::task::spawn_blocking(move || source.read(from)).await??;
            // Back where each came from: a record dead-lettered from another name (another
            // namespace's topic) is not ours to put here.
            if let Some(stray) = letters.records.iter().find(|letter| {
                let came_from = letter.header("source-topic");
                came_from != "?" && came_from != letters.topic
            }) {
                bail!(
                    "dead letter {} came from {}, not {}: is the namespace right? Nothing replayed",
                    stray.offset,
                    stray.header("source-topic"),
                    letters.topic
                );
            }
            let verb = if dry_run { "would replay" } else { "replaying" };
            println!(
                "{}: {verb} {} dead letter(s) to {}",
                letters.dead_letter_topic,
                letters.records.len(),
                letters.topic
            );
            for letter in &letters.records {
                println!("  {}", letter.one_line(&letters.topic));
            }
            if dry_run || letters.records.is_empty() {
                return Ok(());
            }
            let producer = kafka.producer().context("creating a Kafka producer")?;
            for letter in &letters.records {
                let mut headers = OwnedHeaders::new();
                for (key, value) in &letter.kept_headers {
                    headers = headers.insert(Header {
                        key: key.as_str(),
                        value: value.as_deref(),
                    });
                }
                let mut record = FutureRecord::to(&letters.topic).headers(headers);
                if let Some(key) = &letter.key {
                    record = record.key(key.as_slice());
                }
                if let Some(payload) = &letter.payload {
                    record = record.payload(payload.as_slice());
                }
                producer
                    .send(record, BROKER_TIMEOUT)
                    .await
                    .map_err(|(error, _)| error)
                    .with_context(|| {
                        format!(
                            "publishing dead letter {} to {}",
                            letter.offset, letters.topic
                        )
                    })?;
            }
            println!(
                "replayed {} dead letter(s); the next ones start at --from {}",
                letters.records.len(),
                letters.records.last().map_or(0, |letter| letter.offset + 1)
            );
            Ok(())
        }
    }
}

/// A topic of the contract and where its dead letters are.
struct Source {
    kafka: KafkaSettings,
    logical: &'static str,
}

/// The dead letters read, with the topics' deployed names.
struct Letters {
    topic: String,
    dead_letter_topic: String,
    records: Vec<DeadLetter>,
}

/// One dead letter, as read.
struct DeadLetter {
    partition: i32,
    offset: i64,
    timestamp_ms: Option<i64>,
    key: Option<Vec<u8>>,
    payload: Option<Vec<u8>>,
    /// The `vte-dlq-*` headers, without their prefix.
    failure: Vec<(String, String)>,
    /// Every other header, kept on replay (trace context, say).
    kept_headers: Vec<(String, Option<Vec<u8>>)>,
    /// The event type and id read from the payload, or why they could not be.
    event: Result<(String, String), String>,
}

impl Source {
    fn new(topic: &str, broker: &BrokerArgs) -> anyhow::Result<Self> {
        let wanted = topic.strip_suffix(".dlq").unwrap_or(topic);
        let Some(logical) = vte_proto::TOPICS.iter().find(|t| **t == wanted) else {
            bail!(
                "topic: {:?} is not a topic of the platform; one of {}",
                topic.chars().take(64).collect::<String>(),
                vte_proto::TOPICS.join(", ")
            );
        };
        Ok(Self {
            kafka: broker.settings()?,
            logical,
        })
    }

    /// Every record of the dead-letter topic (from `from` on), up to its end when asked.
    fn read(self, from: Option<i64>) -> anyhow::Result<Letters> {
        let topics = self.kafka.topics();
        let (topic, dead_letter_topic) = (
            topics.topic(self.logical),
            topics.dead_letters(self.logical),
        );
        let consumer: BaseConsumer = self
            .kafka
            .client_config()?
            .set("group.id", topics.group("dlq-cli"))
            .set("enable.auto.commit", "false")
            .set("fetch.wait.max.ms", "10")
            .create()
            .context("creating a Kafka consumer")?;
        let metadata = consumer
            .fetch_metadata(Some(&dead_letter_topic), BROKER_TIMEOUT)
            .with_context(|| format!("reaching Kafka at {}", self.kafka.brokers))?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == dead_letter_topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if partitions.is_empty() {
            bail!(
                "no topic {dead_letter_topic} on {} (is the namespace right?)",
                self.kafka.brokers
            );
        }
        let mut assignment = TopicPartitionList::new();
        let mut ends = Vec::new();
        for partition in partitions {
            let (low, high) =
                consumer.fetch_watermarks(&dead_letter_topic, partition, BROKER_TIMEOUT)?;
            let start = low.max(from.unwrap_or(low));
            if start < high {
                assignment.add_partition_offset(
                    &dead_letter_topic,
                    partition,
                    Offset::Offset(start),
                )?;
                ends.push((partition, high));
            }
        }
        let envelope = envelope_of(self.logical)?;
        let mut records = Vec::new();
        if !ends.is_empty() {
            consumer.assign(&assignment)?;
            let deadline = std::time::Instant::now() + BROKER_TIMEOUT * 3;
            while !ends.is_empty() {
                if std::time::Instant::now() > deadline {
                    bail!("{dead_letter_topic}: the broker stopped sending records");
                }
                let Some(message) = consumer.poll(Duration::from_millis(100)) else {
                    continue;
                };
                let message = message.context("reading the dead letters")?;
                let (partition, offset) = (message.partition(), message.offset());
                records.push(DeadLetter::read(&message, &envelope));
                ends.retain(|(p, high)| !(*p == partition && offset + 1 >= *high));
            }
        }
        records.sort_by_key(|letter| (letter.partition, letter.offset));
        Ok(Letters {
            topic,
            dead_letter_topic,
            records,
        })
    }
}

/// The envelope message of a topic of the contract (`vte.offers.v1` → `vte.offers.v1.OfferEvent`):
/// the message of its package with an `event_id` and a `oneof event`.
fn envelope_of(logical: &str) -> anyhow::Result<MessageDescriptor> {
    let pool = DescriptorPool::decode(vte_proto::FILE_DESCRIPTOR_SET)
        .context("reading the contract's descriptors")?;
    pool.all_messages()
        .find(|message| {
            message.package_name() == logical
                && message.get_field_by_name("event_id").is_some()
                && message.oneofs().any(|oneof| oneof.name() == "event")
        })
        .with_context(|| format!("no envelope for {logical} in the contract"))
}

impl DeadLetter {
    fn read(message: &BorrowedMessage<'_>, envelope: &MessageDescriptor) -> Self {
        let mut failure = Vec::new();
        let mut kept_headers = Vec::new();
        if let Some(headers) = message.headers() {
            for header in headers.iter() {
                match header.key.strip_prefix(DLQ_HEADER_PREFIX) {
                    Some(name) => failure.push((
                        name.to_owned(),
                        String::from_utf8_lossy(header.value.unwrap_or_default()).into_owned(),
                    )),
                    None => {
                        kept_headers.push((header.key.to_owned(), header.value.map(<[u8]>::to_vec)))
                    }
                }
            }
        }
        let event = match message.payload() {
            None => Err(String::from("a tombstone (no payload)")),
            Some(payload) => event_of(envelope, payload),
        };
        Self {
            partition: message.partition(),
            offset: message.offset(),
            timestamp_ms: message.timestamp().to_millis(),
            key: message.key().map(<[u8]>::to_vec),
            payload: message.payload().map(<[u8]>::to_vec),
            failure,
            kept_headers,
            event,
        }
    }

    fn header(&self, name: &str) -> &str {
        self.failure
            .iter()
            .find(|(key, _)| key == name)
            .map_or("?", |(_, value)| value.as_str())
    }

    fn key(&self) -> String {
        self.key.as_deref().map_or_else(
            || String::from("(none)"),
            |key| String::from_utf8_lossy(key).chars().take(64).collect(),
        )
    }

    fn event(&self) -> String {
        match &self.event {
            Ok((kind, id)) => format!("{kind} {id}"),
            Err(why) => format!("({why})"),
        }
    }

    /// A few lines about the record: everything but its payload.
    fn describe(&self) -> String {
        let at = self
            .timestamp_ms
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map_or_else(
                || String::from("no time"),
                |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            );
        let size = self.payload.as_ref().map_or(0, Vec::len);
        let mut text = format!(
            "offset {} (partition {})  {at}  key {}  {size} bytes\n",
            self.offset,
            self.partition,
            self.key()
        );
        text.push_str(&format!("    event   {}\n", self.event()));
        text.push_str(&format!(
            "    from    {} partition {} offset {}, consumer group {}\n",
            self.header("source-topic"),
            self.header("source-partition"),
            self.header("source-offset"),
            self.header("consumer-group")
        ));
        text.push_str(&format!("    reason  {}\n", self.header("reason")));
        for (name, value) in &self.failure {
            if ![
                "source-topic",
                "source-partition",
                "source-offset",
                "consumer-group",
                "reason",
            ]
            .contains(&name.as_str())
            {
                text.push_str(&format!("    {name}  {value}\n"));
            }
        }
        text
    }

    /// One line for a replay: which record goes where.
    fn one_line(&self, topic: &str) -> String {
        format!(
            "offset {} → {topic}: key {}, {}",
            self.offset,
            self.key(),
            self.event()
        )
    }
}

/// The event type (`OfferPublished`) and id of an envelope, or why it cannot be read.
fn event_of(envelope: &MessageDescriptor, payload: &[u8]) -> Result<(String, String), String> {
    let message = DynamicMessage::decode(envelope.clone(), payload)
        .map_err(|_| format!("not a {} envelope", envelope.name()))?;
    let id = message
        .get_field_by_name("event_id")
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    let kind = envelope
        .oneofs()
        .find(|oneof| oneof.name() == "event")
        .and_then(|oneof| oneof.fields().find(|field| message.has_field(field)))
        .map(|field| match field.kind().as_message() {
            Some(event) => event.name().to_owned(),
            None => field.name().to_owned(),
        })
        .unwrap_or_else(|| String::from("an event unknown to this build"));
    Ok((kind, id))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use prost::Message as _;
    use vte_proto::vte::offers::v1::{OfferEvent, OfferPublished, offer_event};

    #[test]
    fn an_envelope_is_named_by_its_event_type_and_id_only() {
        let envelope = envelope_of("vte.offers.v1").unwrap();
        assert_eq!(envelope.full_name(), "vte.offers.v1.OfferEvent");
        let event = OfferEvent {
            event_id: "0193b000-0000-7000-8000-0000000000e1".into(),
            offer_id: "0193b000-0000-7000-8000-0000000000f1".into(),
            event: Some(offer_event::Event::Published(OfferPublished::default())),
            ..OfferEvent::default()
        };
        assert_eq!(
            event_of(&envelope, &event.encode_to_vec()).unwrap(),
            (
                "OfferPublished".to_owned(),
                "0193b000-0000-7000-8000-0000000000e1".to_owned()
            )
        );
        assert!(event_of(&envelope, b"\xff\xff\xff").is_err());
        assert!(Source::new("vte.nothing.v1", &args()).is_err());
        assert_eq!(
            Source::new("vte.offers.v1.dlq", &args()).unwrap().logical,
            "vte.offers.v1"
        );
    }

    #[test]
    fn the_options_override_the_services_kafka_settings() {
        let staging = BrokerArgs {
            kafka_brokers: Some("kafka-0.staging:9093".into()),
            namespace: Some("staging.".into()),
        }
        .settings()
        .unwrap();
        assert_eq!(staging.brokers, "kafka-0.staging:9093");
        assert_eq!(
            staging.topics().dead_letters("vte.offers.v1"),
            "staging.vte.offers.v1.dlq"
        );
    }

    fn args() -> BrokerArgs {
        BrokerArgs {
            kafka_brokers: Some("127.0.0.1:9092".into()),
            namespace: Some(String::new()),
        }
    }
}
