//! Benchmark of the event backbone on this machine, against the test bed's PostgreSQL and
//! embedded broker, each figure beside a baseline measured in the same run:
//!
//! 1. relay throughput: events/s from committed outbox rows to broker acknowledgements, against
//!    the same producer sending the same records with no database (raw produce);
//! 2. end-to-end latency at a steady rate: from the commit of the appending transaction to the
//!    handler, through relay, broker and consumer runner, against raw produce -> consume at the
//!    same rate.
//!
//! `cargo bench -p vte-events --bench backbone` (options: `--events N` for the throughput run,
//! `--rate R --seconds S` for the latency run).

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus::Registry;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::FutureRecord;
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vte_events::consumer::{ConsumerOptions, HandlerError, Handles, RecordMeta};
use vte_events::relay::{Relay, RelayOptions};
use vte_events::{ConsumerRunner, EventEnvelope, KafkaSettings};
use vte_proto::vte::offers::v1::offer_event::Event;
use vte_proto::vte::offers::v1::{Offer, OfferEvent, OfferPublished};
use vte_testbed::bench::percentile;
use vte_testbed::{TestDatabase, TestKafka};

struct Options {
    events: usize,
    rate: u64,
    seconds: u64,
}

fn options() -> Options {
    let mut options = Options {
        events: 20_000,
        rate: 1_000,
        seconds: 10,
    };
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        match pair[0].as_str() {
            "--events" => options.events = pair[1].parse().unwrap(),
            "--rate" => options.rate = pair[1].parse().unwrap(),
            "--seconds" => options.seconds = pair[1].parse().unwrap(),
            _ => {}
        }
    }
    options
}

fn event(offer: usize) -> OfferEvent {
    OfferEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        offer_id: format!("offer-{}", offer % 500),
        event: Some(Event::Published(OfferPublished {
            offer: Some(Offer {
                id: format!("offer-{}", offer % 500),
                company_siren: "732829320".into(),
                revision: offer as u64,
                ..Offer::default()
            }),
        })),
    }
}

struct Bed {
    _database: Option<TestDatabase>,
    kafka: Arc<TestKafka>,
    pool: PgPool,
    settings: KafkaSettings,
}

impl Bed {
    /// The same servers, for a run with other settings.
    fn shallow(&self) -> Bed {
        Bed {
            _database: None,
            kafka: self.kafka.clone(),
            pool: self.pool.clone(),
            settings: self.settings.clone(),
        }
    }
}

async fn bed() -> Bed {
    let database = TestDatabase::create().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(20)
        .connect_with(database.connect_options())
        .await
        .unwrap();
    vte_events::migrations::BACKBONE.run(&pool).await.unwrap();
    let kafka = TestKafka::start();
    let mut settings = KafkaSettings::new(kafka.brokers());
    settings.namespace = format!("{}.", kafka.namespace());
    let topics = settings.topics();
    kafka
        .create_topic(&topics.topic(OfferEvent::TOPIC), 6)
        .await;
    kafka.create_topic(&topics.topic("raw.baseline"), 6).await;
    Bed {
        _database: Some(database),
        kafka: Arc::new(kafka),
        pool,
        settings,
    }
}

fn report(name: &str, mut latencies: Vec<Duration>) -> (Duration, Duration) {
    latencies.sort();
    let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
    println!(
        "{name:<40} n={:<6} p50={:>8.2} ms  p99={:>8.2} ms  max={:>8.2} ms",
        latencies.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
    (p50, p99)
}

/// Raw produce of `count` records with the relay's producer settings: the throughput baseline.
async fn raw_produce(bed: &Bed, count: usize) -> f64 {
    let producer = bed.settings.producer().unwrap();
    let topic = bed.settings.topics().topic("raw.baseline");
    let payloads: Vec<(String, Vec<u8>)> = (0..count)
        .map(|i| {
            let event = event(i);
            (
                event.offer_id.clone(),
                prost::Message::encode_to_vec(&event),
            )
        })
        .collect();
    let started = Instant::now();
    let mut deliveries = Vec::with_capacity(count);
    for (key, payload) in &payloads {
        let record = FutureRecord::to(&topic).key(key).payload(payload);
        deliveries.push(producer.send_result(record).map_err(|(e, _)| e).unwrap());
    }
    for delivery in deliveries {
        delivery.await.unwrap().unwrap();
    }
    count as f64 / started.elapsed().as_secs_f64()
}

/// Fills the outbox with `count` committed events, then drains it with the relay.
async fn relay_throughput(bed: &Bed, count: usize) -> f64 {
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let mut transaction = bed.pool.begin().await.unwrap();
        for &i in chunk {
            vte_events::append(&mut transaction, &event(i))
                .await
                .unwrap();
        }
        transaction.commit().await.unwrap();
    }
    let relay = Relay::new(
        bed.pool.clone(),
        bed.settings.producer().unwrap(),
        bed.settings.topics(),
        RelayOptions::default(),
        &Registry::new(),
    );
    let started = Instant::now();
    let mut published = 0;
    while published < count {
        published += relay.publish_batch().await.unwrap();
    }
    count as f64 / started.elapsed().as_secs_f64()
}

/// The handler of the latency run: reports when each event reached it.
struct Stopwatch(mpsc::UnboundedSender<(uuid::Uuid, Instant)>);

impl Handles<OfferEvent> for Stopwatch {
    async fn handle(
        &self,
        _transaction: &mut Transaction<'static, Postgres>,
        _event: &OfferEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let _ = self.0.send((meta.event_id, Instant::now()));
        Ok(())
    }
}

/// Commits one event per tick at `rate` for `seconds`, relayed and consumed as in a service.
async fn backbone_latency(bed: &Bed, rate: u64, seconds: u64) -> Vec<Duration> {
    // A namespace of its own: the throughput run left 20,000 events on the offers topic.
    let mut settings = bed.settings.clone();
    settings.namespace = format!("{}latency.", bed.settings.namespace);
    bed.kafka
        .create_topic(&settings.topics().topic(OfferEvent::TOPIC), 6)
        .await;
    let bed = &Bed {
        settings,
        ..bed.shallow()
    };
    let stop = CancellationToken::new();
    let relay = Relay::new(
        bed.pool.clone(),
        bed.settings.producer().unwrap(),
        bed.settings.topics(),
        RelayOptions::default(),
        &Registry::new(),
    );
    tokio::spawn(relay.run(stop.clone()));
    let (arrived, mut arrivals) = mpsc::unbounded_channel();
    let runner = ConsumerRunner::new(
        &bed.settings,
        "bench",
        bed.pool.clone(),
        bed.settings.producer().unwrap(),
        ConsumerOptions::default(),
        &Registry::new(),
    )
    .on::<OfferEvent, _>(Stopwatch(arrived));
    tokio::spawn(runner.run(stop.clone()));
    // Let the consumer join its group before the clock starts.
    warm_up(bed, &mut arrivals).await;

    let committed: Arc<Mutex<HashMap<uuid::Uuid, Instant>>> = Arc::default();
    let total = (rate * seconds) as usize;
    let writer = {
        let pool = bed.pool.clone();
        let committed = committed.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut writes = tokio::task::JoinSet::new();
            for i in 0..total {
                tick.tick().await;
                let pool = pool.clone();
                let committed = committed.clone();
                writes.spawn(async move {
                    let event = event(i);
                    let id = uuid::Uuid::parse_str(&event.event_id).unwrap();
                    let mut transaction = pool.begin().await.unwrap();
                    vte_events::append(&mut transaction, &event).await.unwrap();
                    transaction.commit().await.unwrap();
                    committed.lock().unwrap().insert(id, Instant::now());
                });
            }
            while writes.join_next().await.is_some() {}
        })
    };
    let mut latencies = Vec::with_capacity(total);
    let mut handled: HashMap<uuid::Uuid, Instant> = HashMap::with_capacity(total);
    while handled.len() < total {
        let (id, at) = tokio::time::timeout(Duration::from_secs(60), arrivals.recv())
            .await
            .expect("the backbone stalled")
            .unwrap();
        handled.insert(id, at);
    }
    writer.await.unwrap();
    stop.cancel();
    let committed = committed.lock().unwrap();
    for (id, at) in handled {
        // The commit stamp is taken just after COMMIT returns, so a very fast delivery can
        // arrive first: count it as zero.
        latencies.push(at.saturating_duration_since(committed[&id]));
    }
    latencies
}

async fn warm_up(bed: &Bed, arrivals: &mut mpsc::UnboundedReceiver<(uuid::Uuid, Instant)>) {
    let mut transaction = bed.pool.begin().await.unwrap();
    vte_events::append(&mut transaction, &event(0))
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(60), arrivals.recv())
        .await
        .expect("the warm-up event never arrived");
}

/// Raw produce -> consume at the same rate, no database: the latency baseline.
async fn raw_latency(bed: &Bed, rate: u64, seconds: u64) -> Vec<Duration> {
    let topic = bed.settings.topics().topic("raw.baseline");
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", bed.kafka.brokers())
        .set("group.id", bed.kafka.name("raw-latency"))
        .set("auto.offset.reset", "latest")
        .set("fetch.wait.max.ms", "50")
        .create()
        .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    let producer = bed.settings.producer().unwrap();
    // Wait for the assignment: a probe record must come back.
    loop {
        producer
            .send(
                FutureRecord::to(&topic).key("probe").payload("probe"),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(2), consumer.recv()).await {
            break;
        }
    }
    let total = (rate * seconds) as usize;
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let writer = {
        let sent = sent.clone();
        let topic = topic.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            for i in 0..total {
                tick.tick().await;
                let id = i.to_string();
                sent.lock().unwrap().insert(id.clone(), Instant::now());
                let record = FutureRecord::to(&topic).key(&id).payload(&id);
                let _ = producer.send_result(record);
            }
            producer
        })
    };
    let mut latencies = Vec::with_capacity(total);
    let mut received = HashMap::with_capacity(total);
    while received.len() < total {
        let message = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .expect("raw consumption stalled")
            .unwrap();
        let id = String::from_utf8(message.payload().unwrap().to_vec()).unwrap();
        if id != "probe" {
            received.insert(id, Instant::now());
        }
    }
    let _producer = writer.await.unwrap();
    let sent = sent.lock().unwrap();
    for (id, at) in received {
        latencies.push(at.saturating_duration_since(sent[&id]));
    }
    latencies
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let options = options();
    let bed = bed().await;
    println!("event backbone benchmark (PostgreSQL + embedded broker on loopback, 2 cores)\n");

    let raw = raw_produce(&bed, options.events).await;
    let relayed = relay_throughput(&bed, options.events).await;
    println!(
        "{:<40} {:>10.0} events/s",
        "baseline: raw produce, acks=all", raw
    );
    println!(
        "{:<40} {:>10.0} events/s",
        "relay: outbox rows -> broker acks", relayed
    );
    println!("{:<40} {:>10.2}\n", "relay / baseline", relayed / raw);

    let raw = report(
        &format!("baseline: raw produce->consume @{}/s", options.rate),
        raw_latency(&bed, options.rate, options.seconds).await,
    );
    let backbone = report(
        &format!("backbone: commit->handler @{}/s", options.rate),
        backbone_latency(&bed, options.rate, options.seconds).await,
    );
    println!(
        "{:<40} p50 x{:.2}  p99 x{:.2}",
        "backbone / baseline",
        backbone.0.as_secs_f64() / raw.0.as_secs_f64(),
        backbone.1.as_secs_f64() / raw.1.as_secs_f64(),
    );
}
