//! Offers: round trips of drafts and published offers, the search copies, the revision guard,
//! a company's list, loading a search page and the expiry sweep.

use crate::common::reference;
use crate::{Db, date, draft_of, figeac_cdi, insert, later, now, other_siren, published, today};
use vte_domain::{OfferId, Siren};
use vte_offers::domain::{NewOffer, Offer, OfferContent, OfferStatus, RawDate};
use vte_offers::store::search::{OfferSearch, TerritoryFilter, search};
use vte_offers::store::{self, PageRequest, StoreError};

async fn load(db: &Db, offer: &Offer) -> Option<Offer> {
    store::load_offer(&db.pool, offer.id, &reference())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_draft_is_loaded_back_equal_to_itself() {
    let db = Db::create().await;
    let complete = draft_of(&figeac_cdi(), now());
    let sketch = draft_of(
        &NewOffer {
            title: "Technicien".to_owned(),
            contract_kind: "CDD".to_owned(), // a CDD without its duration yet
            min_level: 2,
            insee_code: "31555".to_owned(),
            start_date: Some(RawDate::new(2020, 1, 6)), // in the past: fine for a draft
            ..NewOffer::default()
        },
        now(),
    );
    let empty = draft_of(&NewOffer::default(), now());
    for draft in [complete, sketch, empty] {
        insert(&db, &draft).await;
        assert_eq!(load(&db, &draft).await, Some(draft));
    }
}

#[tokio::test]
async fn a_published_offer_is_loaded_back_equal_to_itself_and_found_by_browsing() {
    let db = Db::create().await;
    let offer = published(2);
    insert(&db, &offer).await;
    assert_eq!(load(&db, &offer).await, Some(offer.clone()));
    let search_page = search(
        &db.pool,
        &OfferSearch {
            territory: TerritoryFilter::Territoire("ti-7603".to_owned()),
            departement: Some("46".to_owned()),
            page_size: 10,
            ..OfferSearch::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(search_page.offer_ids(), [offer.id.as_uuid()]);
    let loaded = store::load_offers(&db.pool, &[offer.id], &reference())
        .await
        .unwrap();
    assert_eq!(loaded, [offer]);
}

#[tokio::test]
async fn every_search_copy_is_set_from_the_domain() {
    let db = Db::create().await;
    let offer = published(2);
    insert(&db, &offer).await;
    let copies: SearchCopies = sqlx::query_as(
        "SELECT status, primary_mission, secondary_mission, contract_kind, min_level, max_level,
             insee, departement, region, territory_id, position[0] AS lon, position[1] AS lat,
             start_date, application_deadline, positions, positions_remaining, published_at
         FROM offers WHERE id = $1",
    )
    .bind(offer.id.as_uuid())
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let figeac = reference()
        .commune(&"46102".parse().unwrap())
        .unwrap()
        .centre()
        .unwrap();
    assert_eq!(
        copies,
        SearchCopies {
            status: "PUBLISHED".to_owned(),
            primary_mission: Some("TECHNOLOGIE".to_owned()),
            secondary_mission: Some("TRANSFORMATION".to_owned()),
            contract_kind: Some("CDI".to_owned()),
            min_level: Some(3),
            max_level: Some(5),
            insee: Some("46102".to_owned()),
            departement: Some("46".to_owned()),
            region: Some("76".to_owned()),
            territory_id: Some("ti-7603".to_owned()),
            lon: Some(figeac.lon),
            lat: Some(figeac.lat),
            start_date: Some(date(2026, 9, 1)),
            application_deadline: Some(date(2026, 6, 30)),
            positions: 2,
            positions_remaining: 2,
            published_at: Some(now()),
        }
    );
}

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct SearchCopies {
    status: String,
    primary_mission: Option<String>,
    secondary_mission: Option<String>,
    contract_kind: Option<String>,
    min_level: Option<i16>,
    max_level: Option<i16>,
    insee: Option<String>,
    departement: Option<String>,
    region: Option<String>,
    territory_id: Option<String>,
    lon: Option<f64>,
    lat: Option<f64>,
    start_date: Option<chrono::NaiveDate>,
    application_deadline: Option<chrono::NaiveDate>,
    positions: i32,
    positions_remaining: i32,
    published_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[tokio::test]
async fn a_save_moves_the_search_copies_with_the_offer() {
    let db = Db::create().await;
    let offer = published(2);
    insert(&db, &offer).await;
    let in_toulouse = NewOffer {
        insee_code: "31555".to_owned(),
        ..figeac_cdi()
    };
    let moved = offer
        .update(&in_toulouse, &reference(), today(), later(1))
        .unwrap();
    let filled_one = moved.fill_position(later(2)).unwrap();
    let mut conn = db.conn().await;
    store::save_offer(
        &mut conn,
        &moved,
        offer.revision,
        &reference(),
        &crate::common::rules(),
    )
    .await
    .unwrap();
    store::save_offer(
        &mut conn,
        &filled_one,
        moved.revision,
        &reference(),
        &crate::common::rules(),
    )
    .await
    .unwrap();
    let (territory, departement, remaining): (Option<String>, Option<String>, i32) =
        sqlx::query_as(
            "SELECT territory_id, departement, positions_remaining FROM offers WHERE id = $1",
        )
        .bind(offer.id.as_uuid())
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        (territory, departement, remaining),
        (None, Some("31".into()), 1)
    );
    assert_eq!(load(&db, &offer).await, Some(filled_one));
}

#[tokio::test]
async fn a_save_with_a_stale_revision_is_refused_and_changes_nothing() {
    let db = Db::create().await;
    let offer = published(2);
    insert(&db, &offer).await;
    let closed = offer.close("Poste supprimé", later(1)).unwrap();
    let mut conn = db.conn().await;
    store::save_offer(
        &mut conn,
        &closed,
        offer.revision,
        &reference(),
        &crate::common::rules(),
    )
    .await
    .unwrap();
    // A second writer read the offer before the close and saves its own change.
    let filled_one = offer.fill_position(later(2)).unwrap();
    let refused = store::save_offer(
        &mut conn,
        &filled_one,
        offer.revision,
        &reference(),
        &crate::common::rules(),
    )
    .await;
    assert!(
        matches!(refused, Err(StoreError::ConcurrentChange)),
        "{refused:?}"
    );
    assert_eq!(load(&db, &offer).await, Some(closed));
}

#[tokio::test]
async fn a_closed_offer_keeps_the_content_it_had_when_closed() {
    let db = Db::create().await;
    let draft = draft_of(&figeac_cdi(), now());
    let closed_draft = draft.close("", later(1)).unwrap();
    let offer = published(1);
    let closed_offer = offer.close("Budget gelé", later(1)).unwrap();
    insert(&db, &closed_draft).await;
    insert(&db, &closed_offer).await;
    let draft_back = load(&db, &closed_draft).await.unwrap();
    assert!(matches!(draft_back.content, OfferContent::Draft(_)));
    assert_eq!(draft_back, closed_draft);
    let offer_back = load(&db, &closed_offer).await.unwrap();
    assert!(matches!(offer_back.content, OfferContent::Complete(_)));
    assert_eq!(offer_back, closed_offer);
}

#[tokio::test]
async fn locking_an_offer_reads_it_and_a_missing_offer_is_none() {
    let db = Db::create().await;
    let offer = published(1);
    insert(&db, &offer).await;
    let mut tx = db.pool.begin().await.unwrap();
    let locked = store::lock_offer(&mut tx, offer.id, &reference())
        .await
        .unwrap();
    assert_eq!(locked, Some(offer));
    let missing = store::lock_offer(&mut tx, OfferId::new(), &reference())
        .await
        .unwrap();
    assert_eq!(missing, None);
}

#[tokio::test]
async fn a_company_lists_its_own_offers_most_recently_updated_first_page_by_page() {
    let db = Db::create().await;
    let mut mine = Vec::new();
    for minutes in 0..5 {
        let offer = draft_of(&figeac_cdi(), later(minutes));
        insert(&db, &offer).await;
        mine.push(offer);
    }
    let theirs = Offer {
        company_siren: other_siren(),
        ..draft_of(&figeac_cdi(), later(10))
    };
    insert(&db, &theirs).await;
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let found = store::list_company_offers(&db.pool, &crate::siren(), &[], page, &reference())
            .await
            .unwrap();
        seen.extend(found.items.into_iter().map(|offer| offer.id));
        let Some(next) = found.next else { break };
        page.after = Some(store::PageCursor::decode(&next.encode()).unwrap());
    }
    let newest_first: Vec<OfferId> = mine.iter().rev().map(|offer| offer.id).collect();
    assert_eq!(seen, newest_first);
}

#[tokio::test]
async fn a_company_list_keeps_only_the_statuses_asked_for() {
    let db = Db::create().await;
    let draft = draft_of(&figeac_cdi(), now());
    let offer = published(1);
    insert(&db, &draft).await;
    insert(&db, &offer).await;
    let published_only = store::list_company_offers(
        &db.pool,
        &crate::siren(),
        &[OfferStatus::Published, OfferStatus::Filled],
        PageRequest::first(10),
        &reference(),
    )
    .await
    .unwrap();
    assert_eq!(published_only.items, [offer]);
    assert_eq!(published_only.next, None);
    let nobody = Siren::parse("356000000").unwrap();
    let none =
        store::list_company_offers(&db.pool, &nobody, &[], PageRequest::first(10), &reference())
            .await
            .unwrap();
    assert!(none.items.is_empty());
}

#[tokio::test]
async fn offers_of_a_search_page_load_in_the_order_of_the_page() {
    let db = Db::create().await;
    let offers = [published(1), published(2), published(3)];
    for offer in &offers {
        insert(&db, offer).await;
    }
    let order = [offers[2].id, OfferId::new(), offers[0].id, offers[1].id];
    let loaded = store::load_offers(&db.pool, &order, &reference())
        .await
        .unwrap();
    let ids: Vec<OfferId> = loaded.iter().map(|offer| offer.id).collect();
    assert_eq!(ids, [offers[2].id, offers[0].id, offers[1].id]);
}

#[tokio::test]
async fn the_expiry_sweep_takes_published_offers_past_their_last_day_and_skips_locked_ones() {
    let db = Db::create().await;
    let past_deadline = published(1); // deadline 2026-06-30
    let without_deadline = draft_of(
        &NewOffer {
            application_deadline: None,
            ..figeac_cdi()
        },
        now(),
    )
    .publish(&reference(), today(), now())
    .unwrap(); // last day: the start date, 2026-09-01
    let draft = draft_of(&figeac_cdi(), now());
    for offer in [&past_deadline, &without_deadline, &draft] {
        insert(&db, offer).await;
    }
    let sweep_day = date(2026, 7, 1);
    let mut first = db.pool.begin().await.unwrap();
    let due = store::offers_due_for_expiry(&mut first, sweep_day, 10, &reference())
        .await
        .unwrap();
    assert_eq!(due, std::slice::from_ref(&past_deadline));
    assert!(due[0].is_due_for_expiry(sweep_day));
    // Another instance sweeping meanwhile does not get the offer the first one holds.
    let mut second = db.pool.begin().await.unwrap();
    let meanwhile = store::offers_due_for_expiry(&mut second, sweep_day, 10, &reference())
        .await
        .unwrap();
    assert!(meanwhile.is_empty(), "{meanwhile:?}");
    let expired = due[0].expire(sweep_day, later(1)).unwrap();
    store::save_offer(
        &mut first,
        &expired,
        past_deadline.revision,
        &reference(),
        &crate::common::rules(),
    )
    .await
    .unwrap();
    first.commit().await.unwrap();
    let later_sweep = store::offers_due_for_expiry(&mut second, date(2026, 9, 2), 10, &reference())
        .await
        .unwrap();
    assert_eq!(later_sweep, [without_deadline]);
}
