//! The event handlers driven directly in a transaction, as the consumer runner calls them,
//! against the test bed's PostgreSQL: refusals name the field and never a value (they go into
//! dead-letter headers), and a repeated or older event changes nothing, journals nothing and
//! suggests nothing.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, RwLock};

use common::fixtures::*;
use common::reference;
use sqlx::PgPool;
use vte_events::EventEnvelope;
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_matching::MatchingSettings;
use vte_matching::consumer::Handlers;
use vte_matching::follower::{Cursor, Follower};
use vte_matching::index::Index;
use vte_proto::vte::common::v1::MissionType;
use vte_testbed::TestDatabase;

struct Bed {
    _database: TestDatabase,
    pool: PgPool,
    handlers: Handlers,
}

impl Bed {
    async fn new() -> Self {
        let database = TestDatabase::create().await;
        let pool = database.pool().await;
        vte_matching::migrations().run(&pool).await.unwrap();
        let mut settings = MatchingSettings::default();
        settings.suggestions.min_score = 0.0;
        let handlers = instance(&pool, settings);
        Self {
            _database: database,
            pool,
            handlers,
        }
    }

    async fn handle<E: EventEnvelope>(&self, event: &E) -> Result<(), HandlerError>
    where
        Handlers: Handles<E>,
    {
        let mut tx = self.pool.begin().await.unwrap();
        self.handlers.handle(&mut tx, event, &meta(event)).await?;
        tx.commit().await.unwrap();
        Ok(())
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// The handlers of one instance of the service, with an index of its own. No follower's loop
/// runs here: the index holds only what the handlers catch up with.
fn instance(pool: &PgPool, settings: MatchingSettings) -> Handlers {
    let index = Arc::new(RwLock::new(Index::new(&reference())));
    Handlers {
        follower: Follower::new(
            pool.clone(),
            index,
            reference(),
            Arc::new(vte_rules::RuleBook::load(&vte_rules::repository_rules_dir()).unwrap()),
            Cursor::default(),
        ),
        reference: reference(),
        settings,
    }
}

fn meta<E: EventEnvelope>(event: &E) -> RecordMeta {
    RecordMeta {
        topic: E::TOPIC,
        partition: 0,
        offset: 0,
        event_id: uuid::Uuid::parse_str(event.event_id()).unwrap(),
    }
}

fn reason(result: Result<(), HandlerError>) -> String {
    match result {
        Err(HandlerError::Permanent(reason)) => reason,
        other => panic!("expected a permanent refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn refusals_name_the_field_never_the_value() {
    let bed = Bed::new().await;
    let mut profile = graduate("31555", 150, MissionType::Technologie);
    profile.home.as_mut().unwrap().insee_code = "31999".into();
    let refused = reason(bed.handle(&changed(&profile)).await);
    assert_eq!(
        refused,
        "profile.home.insee_code names no commune of the reference data"
    );
    assert!(!refused.contains("31999"));

    let offer = offer("46102", MissionType::Technologie);
    let mut event = published(&offer);
    event.offer_id = vte_domain::OfferId::new().to_string();
    assert_eq!(
        reason(bed.handle(&event).await),
        "offer.id is not the envelope's offer_id"
    );
    let mut zero = offer.clone();
    zero.revision = 0;
    assert_eq!(
        reason(bed.handle(&published(&zero)).await),
        "offer.revision is out of range"
    );
    assert_eq!(bed.count("SELECT count(*) FROM index_changes").await, 0);
}

#[tokio::test]
async fn a_repeated_or_older_event_changes_journals_and_suggests_nothing() {
    let bed = Bed::new().await;
    let profile = graduate("31555", 150, MissionType::Technologie);
    bed.handle(&changed(&profile)).await.unwrap();
    // The publication's handler brings the index up to date with the profile committed before
    // it, so the profile is suggested.
    let offer = offer("46102", MissionType::Technologie);
    bed.handle(&published(&offer)).await.unwrap();
    assert_eq!(bed.count("SELECT count(*) FROM suggestions").await, 1);
    // The company's suggestion and the candidate's alert of the new offer.
    assert_eq!(
        bed.count("SELECT count(*) FROM outbox WHERE topic = 'vte.matching.v1'")
            .await,
        2
    );
    let journal = bed.count("SELECT count(*) FROM index_changes").await;
    assert_eq!(journal, 2);

    // The same revisions again (new event ids: a producer's retry), then an older one.
    bed.handle(&published(&offer)).await.unwrap();
    bed.handle(&changed(&profile)).await.unwrap();
    let mut older = offer.clone();
    older.revision = 1;
    older.spec.as_mut().unwrap().title = "Ancien titre".into();
    bed.handle(&published(&older)).await.unwrap();
    assert_eq!(
        bed.count("SELECT count(*) FROM index_changes").await,
        journal
    );
    assert_eq!(
        bed.count("SELECT count(*) FROM outbox WHERE topic = 'vte.matching.v1'")
            .await,
        2
    );
    assert_eq!(bed.count("SELECT max(revision) FROM offers").await, 2);

    // A newer revision with the same terms is recorded but suggests nothing again.
    let mut newer = offer.clone();
    newer.revision = 3;
    newer.spec.as_mut().unwrap().title = "Ingénieure méthodes".into();
    bed.handle(&updated(&newer)).await.unwrap();
    assert_eq!(
        bed.count("SELECT count(*) FROM index_changes").await,
        journal + 1
    );
    assert_eq!(
        bed.count("SELECT count(*) FROM outbox WHERE topic = 'vte.matching.v1'")
            .await,
        2
    );
}

#[tokio::test]
async fn two_instances_handling_a_profile_and_an_offer_at_once_still_suggest_the_pair() {
    let bed = Bed::new().await;
    let mut settings = MatchingSettings::default();
    settings.suggestions.min_score = 0.0;
    let other = instance(&bed.pool, settings);
    let profile = graduate("31555", 150, MissionType::Technologie);
    let offer = offer("46102", MissionType::Technologie);

    // One instance handles the profile and has not committed yet...
    let mut first = bed.pool.begin().await.unwrap();
    let changed = changed(&profile);
    bed.handlers
        .handle(&mut first, &changed, &meta(&changed))
        .await
        .unwrap();
    // ...when the other handles the publication: it waits for the first to commit.
    let pool = bed.pool.clone();
    let publication = tokio::spawn(async move {
        let published = published(&offer);
        let mut second = pool.begin().await.unwrap();
        other
            .handle(&mut second, &published, &meta(&published))
            .await
            .unwrap();
        second.commit().await.unwrap();
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !publication.is_finished(),
        "the publication waits for the profile's handler"
    );
    first.commit().await.unwrap();
    publication.await.unwrap();

    // The profile found no offer; the publication then found the profile (suggested to the
    // company, and told of the offer).
    assert_eq!(bed.count("SELECT count(*) FROM suggestions").await, 1);
    assert_eq!(
        bed.count("SELECT count(*) FROM outbox WHERE topic = 'vte.matching.v1'")
            .await,
        2
    );
}
