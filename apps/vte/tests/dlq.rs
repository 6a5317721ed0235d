//! `vte dlq list / replay`, the binary against the test bed's broker: two profile events of a
//! student of Rodez that matching gave up on lie in `vte.candidates.v1.dlq` with the headers the
//! consumer runner writes. `list` names each by key, event type and id, size and failure, and
//! prints nothing of the profile; `replay --dry-run` publishes nothing; `replay` puts both back
//! on `vte.candidates.v1` with their keys and payloads, the trace context kept and the
//! dead-letter headers gone; `--from` replays only the later ones.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use prost::Message as _;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message as _, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use vte_events::Topics;
use vte_proto::vte::candidates::v1::{
    CandidateEvent, CandidateProfile, CandidateProfileChanged, candidate_event,
};
use vte_testbed::TestKafka;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A profile event of a GEII graduate of Rodez: what must never be printed.
fn profile_changed(candidate: &str, event_id: &str) -> Vec<u8> {
    CandidateEvent {
        event_id: event_id.to_owned(),
        occurred_at: None,
        candidate_id: candidate.to_owned(),
        event: Some(candidate_event::Event::ProfileChanged(
            CandidateProfileChanged {
                profile: Some(CandidateProfile {
                    id: candidate.to_owned(),
                    school_student_ref: "IUT-RDZ-017".to_owned(),
                    field_of_study: "génie électrique et informatique industrielle".to_owned(),
                    skills: vec!["automatismes".to_owned(), "soudure TIG".to_owned()],
                    ..CandidateProfile::default()
                }),
                matchable: true,
                created: true,
            },
        )),
    }
    .encode_to_vec()
}

/// Writes a dead letter as the consumer runner does (`vte-events`' handling.rs), after the
/// record's own trace header.
async fn dead_letter(
    kafka: &TestKafka,
    topics: &Topics,
    source: &str,
    key: &str,
    payload: &[u8],
    offset: i64,
) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", kafka.brokers())
        .create()
        .unwrap();
    let offset = offset.to_string();
    let group = topics.group("matching");
    let headers = OwnedHeaders::new()
        .insert(header("traceparent", TRACEPARENT))
        .insert(header(
            "vte-dlq-reason",
            "still failing after 20 tries with the database up (the last error is in the \
             consumer's log)",
        ))
        .insert(header("vte-dlq-source-topic", source))
        .insert(header("vte-dlq-source-partition", "2"))
        .insert(header("vte-dlq-source-offset", &offset))
        .insert(header("vte-dlq-consumer-group", &group));
    producer
        .send(
            FutureRecord::to(&topics.dead_letters("vte.candidates.v1"))
                .key(key)
                .payload(payload)
                .headers(headers),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(error, _)| error)
        .unwrap();
}

fn header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a [u8]> {
    Header {
        key,
        value: Some(value.as_bytes()),
    }
}

/// What `topic` holds from its beginning: (key, payload, header names and values).
type Read = (String, Vec<u8>, Vec<(String, String)>);

fn read_all(kafka: &TestKafka, topic: &str, expected: usize) -> Vec<Read> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.brokers())
        .set("group.id", format!("{topic}.reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    for partition in metadata.topics()[0].partitions() {
        assignment
            .add_partition_offset(topic, partition.id(), Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut read = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while read.len() < expected && std::time::Instant::now() < deadline {
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = message.unwrap();
        let headers = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|h| {
                        (
                            h.key.to_owned(),
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        read.push((
            String::from_utf8_lossy(message.key().unwrap()).into_owned(),
            message.payload().unwrap().to_vec(),
            headers,
        ));
    }
    // Nothing more arrives.
    let settle = std::time::Instant::now() + Duration::from_millis(500);
    while std::time::Instant::now() < settle {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            panic!("an unexpected record on {topic} at {}", message.offset());
        }
    }
    read
}

fn high_watermarks(kafka: &TestKafka, topic: &str) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.brokers())
        .create()
        .unwrap();
    (0..3)
        .map(|partition| {
            consumer
                .fetch_watermarks(topic, partition, Duration::from_secs(10))
                .unwrap()
                .1
        })
        .sum()
}

async fn vte(kafka: &TestKafka, namespace: &str, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_vte"))
        .args(args)
        .env("VTE_KAFKA__BROKERS", kafka.brokers())
        .env("VTE_KAFKA__NAMESPACE", namespace)
        .output()
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_without_their_data_and_replayed_to_their_topic_without_dlq_headers()
 {
    let kafka = TestKafka::start();
    let namespace = format!("{}.", kafka.namespace());
    let topics = Topics::new(namespace.clone());
    let (source, dlq) = (
        topics.topic("vte.candidates.v1"),
        topics.dead_letters("vte.candidates.v1"),
    );
    kafka
        .create_topics([(source.clone(), 3), (dlq.clone(), 1)])
        .await;
    let letters = [
        (
            "0193b000-0000-7000-8000-00000000c0a1",
            "0193b000-0000-7000-8000-00000000e0a1",
        ),
        (
            "0193b000-0000-7000-8000-00000000c0a2",
            "0193b000-0000-7000-8000-00000000e0a2",
        ),
    ];
    let payloads: Vec<Vec<u8>> = letters
        .iter()
        .map(|(candidate, event)| profile_changed(candidate, event))
        .collect();
    for (n, ((candidate, _), payload)) in letters.iter().zip(&payloads).enumerate() {
        dead_letter(&kafka, &topics, &source, candidate, payload, 40 + n as i64).await;
    }

    // list: every dead letter by its key, event, size and failure; nothing of the profile.
    let (ok, listed, said) = vte(&kafka, &namespace, &["dlq", "list", "vte.candidates.v1"]).await;
    assert!(ok, "{said}");
    assert!(
        listed.starts_with(&format!("{dlq}: 2 dead letter(s)\n")),
        "{listed}"
    );
    for (n, (candidate, event)) in letters.iter().enumerate() {
        assert!(
            listed.contains(&format!("offset {n} (partition 0)")),
            "{listed}"
        );
        assert!(listed.contains(&format!("key {candidate}")), "{listed}");
        assert!(
            listed.contains(&format!("{} bytes", payloads[n].len())),
            "{listed}"
        );
        assert!(
            listed.contains(&format!("event   CandidateProfileChanged {event}")),
            "{listed}"
        );
        assert!(
            listed.contains(&format!(
                "from    {source} partition 2 offset {}, consumer group {}",
                40 + n,
                topics.group("matching")
            )),
            "{listed}"
        );
    }
    assert!(
        listed.contains("reason  still failing after 20 tries"),
        "{listed}"
    );
    for private in ["IUT-RDZ-017", "soudure", "automatismes", "génie"] {
        assert!(!listed.contains(private), "{private} printed:\n{listed}");
    }

    // replay --dry-run: says what it would do, publishes nothing.
    let (ok, dry, said) = vte(
        &kafka,
        &namespace,
        &["dlq", "replay", "vte.candidates.v1.dlq", "--dry-run"],
    )
    .await;
    assert!(ok, "{said}");
    assert!(
        dry.starts_with(&format!(
            "{dlq}: would replay 2 dead letter(s) to {source}\n"
        )),
        "{dry}"
    );
    assert!(
        dry.contains(&format!(
            "offset 1 → {source}: key {}, CandidateProfileChanged {}",
            letters[1].0, letters[1].1
        )),
        "{dry}"
    );
    assert_eq!(
        high_watermarks(&kafka, &source),
        0,
        "a dry run publishes nothing"
    );

    // replay: both back on their topic, keys and payloads kept, dead-letter headers dropped.
    let (ok, replayed, said) =
        vte(&kafka, &namespace, &["dlq", "replay", "vte.candidates.v1"]).await;
    assert!(ok, "{said}");
    assert!(
        replayed.contains("replayed 2 dead letter(s); the next ones start at --from 2"),
        "{replayed}"
    );
    let mut back = read_all(&kafka, &source, 2);
    back.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(back.len(), 2);
    for ((key, payload, headers), ((candidate, _), sent)) in
        back.iter().zip(letters.iter().zip(&payloads))
    {
        assert_eq!(key, candidate);
        assert_eq!(payload, sent);
        assert_eq!(
            headers,
            &vec![("traceparent".to_owned(), TRACEPARENT.to_owned())],
            "only the record's own headers"
        );
    }

    // --from 1: only the second one again.
    let (ok, again, said) = vte(
        &kafka,
        &namespace,
        &["dlq", "replay", "vte.candidates.v1", "--from", "1"],
    )
    .await;
    assert!(ok, "{said}");
    assert!(again.contains("replaying 1 dead letter(s)"), "{again}");
    let back = read_all(&kafka, &source, 3);
    assert_eq!(
        back.iter().filter(|(key, ..)| key == letters[1].0).count(),
        2
    );

    // A topic that is not the platform's is refused, naming the topics that are.
    let (ok, _, said) = vte(&kafka, &namespace, &["dlq", "list", "vte.payments.v1"]).await;
    assert!(!ok);
    assert!(
        said.contains("is not a topic of the platform; one of vte.offers.v1"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_from_another_namespaces_topic_is_not_replayed_here() {
    let kafka = TestKafka::start();
    let namespace = format!("{}.", kafka.namespace());
    let topics = Topics::new(namespace.clone());
    let source = topics.topic("vte.candidates.v1");
    kafka
        .create_topics([
            (source.clone(), 3),
            (topics.dead_letters("vte.candidates.v1"), 1),
        ])
        .await;
    let candidate = "0193b000-0000-7000-8000-00000000c0b1";
    let payload = profile_changed(candidate, "0193b000-0000-7000-8000-00000000e0b1");
    let elsewhere = format!("staging.{source}");
    dead_letter(&kafka, &topics, &elsewhere, candidate, &payload, 7).await;

    let (ok, _, said) = vte(&kafka, &namespace, &["dlq", "replay", "vte.candidates.v1"]).await;
    assert!(!ok);
    assert!(
        said.contains(&format!(
            "dead letter 0 came from {elsewhere}, not {source}: is the namespace right? \
             Nothing replayed"
        )),
        "{said}"
    );
    assert_eq!(high_watermarks(&kafka, &source), 0);
}
