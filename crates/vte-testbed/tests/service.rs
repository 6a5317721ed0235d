//! The service harness on a bare service (the shared host and nothing of its own): it is serving
//! once started, accepts the tokens the harness signs, reads back what the service published
//! and nothing twice, and is stopped, and waited for, when stopped or dropped. And the in-memory
//! contact directory answers as the candidates service would.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use vte_domain::{CandidateId, SchoolId};
use vte_events::EventEnvelope as _;
use vte_proto::vte::identity::v1::WhoAmIRequest;
use vte_proto::vte::identity::v1::identity_service_client::IdentityServiceClient;
use vte_proto::vte::placements::v1::{PlacementEvent, PlacementStarted, placement_event};
use vte_service::auth::Caller;
use vte_service::contacts::{Contact, Lookup, LookupFailed};
use vte_service::settings::OwnSettings;
use vte_service::{RunError, Service, ServiceDefaults, ServiceHost, Settings, Shared, StartError};
use vte_testbed::{MemoryContacts, TestService};

const SECRET: &str = "testbed-service-secret";

/// The host every service is built on, with no API, consumer or table of its own.
#[derive(Debug)]
struct Bare {
    host: ServiceHost,
}

/// No settings of its own.
#[derive(Debug, Default, serde::Deserialize)]
struct BareSettings {}

impl OwnSettings for BareSettings {
    const SECTION: &'static str = "bare";
}

impl Service for Bare {
    const DEFAULTS: ServiceDefaults = ServiceDefaults {
        name: "bare",
        grpc_port: 0,
        metrics_port: 0,
    };
    const READS: &'static [&'static str] = &[];
    type Own = BareSettings;

    async fn assemble(
        settings: Settings,
        _own: BareSettings,
        _shared: Shared,
    ) -> Result<Self, StartError> {
        let nothing_of_its_own = Migrator::with_migrations(Vec::new());
        let host = ServiceHost::build(settings, &nothing_of_its_own).await?;
        Ok(Self { host })
    }

    fn grpc_addr(&self) -> SocketAddr {
        self.host.grpc_addr()
    }

    async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), RunError> {
        self.host.run(shutdown).await
    }
}

/// Whether something accepts connections at `addr`.
async fn listening(addr: SocketAddr) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_ok()
}

fn started(placement_id: &str) -> PlacementEvent {
    PlacementEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        placement_id: placement_id.to_owned(),
        event: Some(placement_event::Event::Started(PlacementStarted::default())),
    }
}

/// Appends `event` to the service's outbox, as a use case committing a change would.
async fn append(service: &TestService, event: &PlacementEvent) {
    let mut transaction = service.pool().begin().await.unwrap();
    vte_events::outbox::append(&mut transaction, event)
        .await
        .unwrap();
    transaction.commit().await.unwrap();
}

#[tokio::test]
async fn a_started_service_serves_the_callers_whose_tokens_the_harness_signs() {
    let service = TestService::start::<Bare>(SECRET).await;
    let school = SchoolId::new();
    let caller = Caller::School { school_id: school };
    let mut client =
        IdentityServiceClient::with_interceptor(service.channel(), service.bearer(Some(&caller)));
    let me = client
        .who_am_i(WhoAmIRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.subject, "account-of-school");

    let mut anonymous =
        IdentityServiceClient::with_interceptor(service.channel(), service.bearer(None));
    let refused = anonymous.who_am_i(WhoAmIRequest {}).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn the_reader_returns_each_published_record_once() {
    let service = TestService::start::<Bare>(SECRET).await;
    let mut reader = service.reader(&[PlacementEvent::TOPIC]);
    assert!(reader.new_records().await.is_empty());

    let first = started("placement-1");
    append(&service, &first).await;
    let records = reader.new_records().await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].topic, PlacementEvent::TOPIC);
    assert_eq!(records[0].key, "placement-1");
    assert_eq!(records[0].decode::<PlacementEvent>(), first);

    let second = started("placement-2");
    append(&service, &second).await;
    let keys: Vec<String> = reader
        .new_records()
        .await
        .into_iter()
        .map(|record| record.key)
        .collect();
    assert_eq!(keys, ["placement-2"]);
}

#[tokio::test]
async fn a_stopped_service_has_ended_when_stop_returns() {
    let service = TestService::start::<Bare>(SECRET).await;
    let addr = service.grpc_addr();
    assert!(listening(addr).await);
    service.stop().await.unwrap();
    assert!(!listening(addr).await, "still listening after stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_dropped_on_a_multi_thread_runtime_has_ended_when_the_drop_returns() {
    let service = TestService::start::<Bare>(SECRET).await;
    let addr = service.grpc_addr();
    let dropping = Instant::now();
    drop(service);
    assert!(
        dropping.elapsed() < Duration::from_secs(5),
        "the stop took {:?}",
        dropping.elapsed()
    );
    assert!(!listening(addr).await, "still listening after the drop");
}

#[tokio::test]
async fn a_restarted_service_serves_again_on_the_same_database() {
    let mut service = TestService::start::<Bare>(SECRET).await;
    let database = service.database().name().to_owned();
    service.restart(Bare::build).await;
    assert_eq!(service.database().name(), database);
    let mut client = IdentityServiceClient::with_interceptor(
        service.channel(),
        service.bearer(Some(&Caller::Admin)),
    );
    client.who_am_i(WhoAmIRequest {}).await.unwrap();
}

#[tokio::test]
async fn the_memory_directory_knows_whom_it_was_given_until_they_are_erased() {
    let contacts = MemoryContacts::new();
    let directory = contacts.directory();
    let (known, stranger) = (CandidateId::new(), CandidateId::new());
    let contact = Contact {
        first_name: "Jeanne".to_owned(),
        last_name: "Martin".to_owned(),
        email: "jeanne.martin@example.fr".to_owned(),
        phone: String::new(),
    };
    contacts.insert(known, contact.clone());
    assert_eq!(directory.lookup(known).await, Ok(Lookup::Found(contact)));
    assert_eq!(directory.lookup(stranger).await, Ok(Lookup::Gone));

    contacts.set_available(false);
    assert_eq!(
        directory.lookup(known).await,
        Err(LookupFailed(Code::Unavailable))
    );
    contacts.set_available(true);

    contacts.erase(known);
    assert_eq!(directory.lookup(known).await, Ok(Lookup::Gone));
}
