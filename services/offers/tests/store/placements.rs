//! Placements: round trips through their life, the revision guard, one placement per
//! application, and the lists (by company, candidate, school, all, Bpifrance's queue).

use vte_domain::{PlacementId, SchoolId};
use vte_offers::domain::{Placement, PlacementStatus, RawDate};
use vte_offers::store::{self, PageRequest, PlacementFilter, StoreError, UniqueRule};

use crate::common::reference;
use crate::{Db, application_to, date, hire, insert, later, now, published, submit};

async fn load(db: &Db, placement: &Placement) -> Option<Placement> {
    store::load_placement(&db.pool, placement.id, &reference())
        .await
        .unwrap()
}

/// A saved placement of a new candidate from `school` on a new offer.
async fn placement(db: &Db, school: Option<SchoolId>) -> Placement {
    let offer = published(1);
    insert(db, &offer).await;
    let application = application_to(&offer, school, now());
    submit(db, &application).await;
    hire(db, &offer, &application).await
}

#[tokio::test]
async fn a_placement_is_loaded_back_equal_to_itself_through_its_life() {
    let db = Db::create().await;
    let active = placement(&db, Some(SchoolId::new())).await;
    assert_eq!(load(&db, &active).await, Some(active.clone()));
    let completed = active
        .complete(Some(RawDate::new(2027, 8, 31)), date(2027, 9, 10), later(2))
        .unwrap();
    let mut conn = db.conn().await;
    store::save_placement(&mut conn, &completed, active.revision)
        .await
        .unwrap();
    assert_eq!(load(&db, &active).await, Some(completed));
    let locked = store::lock_placement(&mut conn, PlacementId::new(), &reference())
        .await
        .unwrap();
    assert_eq!(locked, None);
}

#[tokio::test]
async fn a_placement_ended_early_keeps_its_reason_and_note() {
    let db = Db::create().await;
    let active = placement(&db, None).await;
    let ended = active
        .end_early(
            Some(RawDate::new(2026, 11, 15)),
            "OTHER",
            "Déménagement de l'entreprise",
            date(2026, 12, 1),
            later(2),
        )
        .unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    let locked = store::lock_placement(&mut tx, active.id, &reference())
        .await
        .unwrap();
    assert_eq!(locked.as_ref(), Some(&active));
    store::save_placement(&mut tx, &ended, active.revision)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(load(&db, &active).await, Some(ended));
}

#[tokio::test]
async fn a_placement_save_with_a_stale_revision_is_refused_and_changes_nothing() {
    let db = Db::create().await;
    let active = placement(&db, None).await;
    let completed = active
        .complete(Some(RawDate::new(2027, 8, 31)), date(2027, 9, 10), later(2))
        .unwrap();
    let ended = active
        .end_early(
            Some(RawDate::new(2026, 11, 15)),
            "RESIGNATION",
            "",
            date(2026, 12, 1),
            later(3),
        )
        .unwrap();
    let mut conn = db.conn().await;
    store::save_placement(&mut conn, &completed, active.revision)
        .await
        .unwrap();
    let refused = store::save_placement(&mut conn, &ended, active.revision).await;
    assert!(
        matches!(refused, Err(StoreError::ConcurrentChange)),
        "{refused:?}"
    );
    assert_eq!(load(&db, &active).await, Some(completed));
}

#[tokio::test]
async fn an_application_starts_at_most_one_placement() {
    let db = Db::create().await;
    let active = placement(&db, None).await;
    let again = Placement {
        id: PlacementId::new(),
        ..active
    };
    let refused = store::insert_placement(&mut *db.conn().await, &again).await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Duplicate {
                rule: UniqueRule::OnePlacementPerApplication
            })
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn placements_list_by_company_candidate_school_or_all_most_recently_updated_first() {
    let db = Db::create().await;
    let school = SchoolId::new();
    let first = placement(&db, Some(school)).await;
    let second = placement(&db, None).await;
    let third = placement(&db, Some(school)).await;
    // The first one completes last, so it is the most recently updated.
    let completed = first
        .complete(
            Some(RawDate::new(2027, 8, 31)),
            date(2027, 9, 10),
            later(10),
        )
        .unwrap();
    store::save_placement(&mut *db.conn().await, &completed, first.revision)
        .await
        .unwrap();
    let ids = |filter: PlacementFilter| {
        let pool = db.pool.clone();
        async move {
            let page = store::list_placements(&pool, &filter, PageRequest::first(10), &reference())
                .await
                .unwrap();
            page.items.into_iter().map(|p| p.id).collect::<Vec<_>>()
        }
    };
    // The other two were hired at the same instant: the greater id comes first.
    let mut hired_together = vec![second.id, third.id];
    hired_together.sort_by(|a, b| b.cmp(a));
    let all = [vec![first.id], hired_together.clone()].concat();
    assert_eq!(ids(PlacementFilter::default()).await, all);
    let by_company = PlacementFilter {
        company: Some(crate::siren()),
        ..PlacementFilter::default()
    };
    assert_eq!(ids(by_company).await, all);
    let by_candidate = PlacementFilter {
        candidate: Some(second.candidate_id),
        ..PlacementFilter::default()
    };
    assert_eq!(ids(by_candidate).await, [second.id]);
    let by_school = PlacementFilter {
        school: Some(school),
        ..PlacementFilter::default()
    };
    assert_eq!(ids(by_school).await, [first.id, third.id]);
    let active_only = PlacementFilter {
        statuses: vec![PlacementStatus::Active],
        ..PlacementFilter::default()
    };
    assert_eq!(ids(active_only).await, hired_together);
    let queue = PlacementFilter {
        awaiting_label_only: true,
        ..PlacementFilter::default()
    };
    assert_eq!(ids(queue).await, [first.id]);
    let other_company = PlacementFilter {
        company: Some(crate::other_siren()),
        ..PlacementFilter::default()
    };
    assert!(ids(other_company).await.is_empty());
}

#[tokio::test]
async fn a_placement_list_walks_every_placement_once_page_by_page() {
    let db = Db::create().await;
    let mut hired = Vec::new();
    for _ in 0..3 {
        hired.push(placement(&db, None).await.id);
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let found =
            store::list_placements(&db.pool, &PlacementFilter::default(), page, &reference())
                .await
                .unwrap();
        seen.extend(found.items.into_iter().map(|p| p.id));
        let Some(next) = found.next else { break };
        page.after = Some(next);
    }
    // Hired at the same instant: the greater id comes first.
    hired.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, hired);
}
