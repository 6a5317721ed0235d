//! The erasure piece: mounted, it adds its table and confirms each recorded erasure once the
//! candidates service accepts it, retrying while it refuses; not mounted, there is no table.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use vte_domain::CandidateId;
use vte_proto::vte::common::v1::PlatformService;
use vte_service::erasure::{
    ConfirmFuture, ConfirmationRefused, ErasureConfirmations, confirm_later, pending,
};
use vte_service::host::ErasurePiece;
use vte_service::{Pieces, ServiceDefaults, ServiceHost, Settings};
use vte_testbed::{TestDatabase, TestKafka, eventually};

const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "probe",
    grpc_port: 0,
    metrics_port: 0,
};

/// A candidates service that refuses the first `refusals` confirmations, then records them.
#[derive(Debug, Default)]
struct Recorder {
    refusals: Mutex<u32>,
    confirmed: Mutex<Vec<(CandidateId, PlatformService)>>,
}

impl ErasureConfirmations for Recorder {
    fn confirm(&self, candidate: CandidateId, service: PlatformService) -> ConfirmFuture<'_> {
        Box::pin(async move {
            let mut refusals = self.refusals.lock().unwrap();
            if *refusals > 0 {
                *refusals -= 1;
                return Err(ConfirmationRefused("Unavailable: away".into()));
            }
            self.confirmed.lock().unwrap().push((candidate, service));
            Ok(())
        })
    }
}

async fn host(database: &TestDatabase, kafka: &TestKafka, pieces: Pieces) -> ServiceHost {
    let mut settings = Settings::local(
        DEFAULTS,
        &database.url(),
        kafka.brokers(),
        "erasure-test-secret",
        &vte_testbed::reference_dir(),
    );
    settings.kafka.create_topics = !kafka.is_embedded();
    let migrations = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/migrations");
    let migrator = Migrator::new(std::path::Path::new(migrations))
        .await
        .unwrap();
    ServiceHost::build_with(settings, &migrator, pieces)
        .await
        .unwrap()
}

async fn has_table(database: &TestDatabase) -> bool {
    sqlx::query_scalar("SELECT to_regclass('erasure_confirmations') IS NOT NULL")
        .fetch_one(&database.pool().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mounted_piece_confirms_a_recorded_erasure_once_accepted() {
    let (database, kafka) = (TestDatabase::create().await, TestKafka::start());
    let recorder = Arc::new(Recorder {
        refusals: Mutex::new(1),
        ..Recorder::default()
    });
    let pieces = Pieces {
        confirm_erasures: Some(ErasurePiece {
            service: PlatformService::Offers,
            confirmations: Some(recorder.clone()),
        }),
    };
    let host = host(&database, &kafka, pieces).await;
    assert!(has_table(&database).await);
    let pool = database.pool().await;
    let candidate = CandidateId::new();
    let mut transaction = pool.begin().await.unwrap();
    confirm_later(&mut transaction, candidate, uuid::Uuid::new_v4())
        .await
        .unwrap();
    transaction.commit().await.unwrap();

    let shutdown = CancellationToken::new();
    let stopped = tokio::spawn(host.run(shutdown.clone()));
    // Refused once (retried after a second), then accepted and forgotten.
    eventually(
        "the erasure to be confirmed",
        Duration::from_secs(20),
        || {
            let (recorder, pool) = (recorder.clone(), pool.clone());
            async move {
                let sent = recorder.confirmed.lock().unwrap().clone();
                (!sent.is_empty() && pending(&pool).await.unwrap() == 0).then_some(sent)
            }
        },
    )
    .await;
    assert_eq!(
        *recorder.confirmed.lock().unwrap(),
        [(candidate, PlatformService::Offers)]
    );
    shutdown.cancel();
    stopped.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_without_the_piece_has_no_erasure_table() {
    let (database, kafka) = (TestDatabase::create().await, TestKafka::start());
    let _host = host(&database, &kafka, Pieces::default()).await;
    assert!(!has_table(&database).await);
}
