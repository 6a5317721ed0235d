//! Applications: round trips with their logs, the revision guard, the one-open-application
//! rule, lists, the locked open applications and the 60-day sweep.

use chrono::Duration;
use vte_domain::{ApplicationId, CandidateId, SchoolId};
use vte_offers::domain::{Application, ApplicationStatus, ExpiryCause, ObsoleteCause};
use vte_offers::store::{self, ApplicationScope, PageRequest, StoreError, UniqueRule};

use crate::{
    Db, application_of, application_to, candidate, company, insert, later, now, published, submit,
};

async fn load(db: &Db, application: &Application) -> Option<Application> {
    store::load_application(&db.pool, application.id)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_application_and_its_whole_log_are_loaded_back_equal_to_themselves() {
    let db = Db::create().await;
    let offer = published(2);
    insert(&db, &offer).await;
    let submitted = application_to(&offer, Some(SchoolId::new()), now());
    submit(&db, &submitted).await;
    assert_eq!(load(&db, &submitted).await, Some(submitted.clone()));
    let reviewed = submitted.start_review(&company(), "", later(1)).unwrap();
    let invited = reviewed
        .schedule_interview(
            &company(),
            Some(later(60 * 24)),
            "Visio avec l'atelier",
            later(2),
        )
        .unwrap();
    let mut conn = db.conn().await;
    store::save_application(&mut conn, &reviewed, submitted.revision)
        .await
        .unwrap();
    store::save_application(&mut conn, &invited, reviewed.revision)
        .await
        .unwrap();
    let back = load(&db, &submitted).await.unwrap();
    assert_eq!(back.transitions.len(), 3);
    assert_eq!(back, invited);
    let locked = store::lock_application(&mut conn, submitted.id)
        .await
        .unwrap();
    assert_eq!(locked, Some(invited));
    let missing = store::load_application(&db.pool, ApplicationId::new())
        .await
        .unwrap();
    assert_eq!(missing, None);
}

#[tokio::test]
async fn a_save_with_a_stale_revision_is_refused_and_appends_nothing() {
    let db = Db::create().await;
    let offer = published(2);
    insert(&db, &offer).await;
    let submitted = application_to(&offer, None, now());
    submit(&db, &submitted).await;
    let withdrawn = submitted
        .withdraw(
            &candidate(submitted.candidate_id),
            "J'ai trouvé ailleurs",
            later(1),
        )
        .unwrap();
    let mut conn = db.conn().await;
    store::save_application(&mut conn, &withdrawn, submitted.revision)
        .await
        .unwrap();
    let refused_by_company = submitted
        .refuse(&company(), "Profil trop junior", later(2))
        .unwrap();
    let refused = store::save_application(&mut conn, &refused_by_company, submitted.revision).await;
    assert!(
        matches!(refused, Err(StoreError::ConcurrentChange)),
        "{refused:?}"
    );
    assert_eq!(load(&db, &submitted).await, Some(withdrawn));
}

#[tokio::test]
async fn a_second_open_application_to_the_same_offer_is_refused_until_the_first_is_closed() {
    let db = Db::create().await;
    let offer = published(2);
    insert(&db, &offer).await;
    let candidate_id = CandidateId::new();
    let first = application_of(candidate_id, &offer, None, now());
    submit(&db, &first).await;
    let second = application_of(candidate_id, &offer, None, later(1));
    let mut conn = db.conn().await;
    let refused = store::insert_application(&mut conn, &second).await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Duplicate {
                rule: UniqueRule::OneOpenApplicationPerOffer
            })
        ),
        "{refused:?}"
    );
    let withdrawn = first
        .withdraw(&candidate(candidate_id), "", later(2))
        .unwrap();
    store::save_application(&mut conn, &withdrawn, first.revision)
        .await
        .unwrap();
    store::insert_application(&mut conn, &second).await.unwrap();
    let same_id = store::insert_application(&mut conn, &second).await;
    assert!(
        matches!(
            same_id,
            Err(StoreError::Duplicate {
                rule: UniqueRule::SameId | UniqueRule::OneOpenApplicationPerOffer
            })
        ),
        "{same_id:?}"
    );
}

#[tokio::test]
async fn lists_read_an_offer_a_candidate_or_a_school_most_recently_updated_first() {
    let db = Db::create().await;
    let (offer, other_offer) = (published(5), published(5));
    insert(&db, &offer).await;
    insert(&db, &other_offer).await;
    let school = SchoolId::new();
    let candidate_id = CandidateId::new();
    let mine = application_of(candidate_id, &offer, Some(school), now());
    let mine_elsewhere = application_of(candidate_id, &other_offer, Some(school), later(1));
    let classmate = application_to(&offer, Some(school), later(2));
    let stranger = application_to(&offer, None, later(3));
    for application in [&mine, &mine_elsewhere, &classmate, &stranger] {
        submit(&db, application).await;
    }
    let reviewed = mine.start_review(&company(), "", later(4)).unwrap();
    store::save_application(&mut *db.conn().await, &reviewed, mine.revision)
        .await
        .unwrap();
    let list = |scope, statuses: &'static [ApplicationStatus]| {
        let pool = db.pool.clone();
        async move {
            let page = store::list_applications(&pool, scope, statuses, PageRequest::first(10))
                .await
                .unwrap();
            page.items.into_iter().map(|a| a.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(ApplicationScope::Offer(offer.id), &[]).await,
        [mine.id, stranger.id, classmate.id]
    );
    assert_eq!(
        list(ApplicationScope::Candidate(candidate_id), &[]).await,
        [mine.id, mine_elsewhere.id]
    );
    assert_eq!(
        list(ApplicationScope::School(school), &[]).await,
        [mine.id, classmate.id, mine_elsewhere.id]
    );
    assert_eq!(
        list(
            ApplicationScope::Offer(offer.id),
            &[ApplicationStatus::Submitted]
        )
        .await,
        [stranger.id, classmate.id]
    );
}

#[tokio::test]
async fn a_list_walks_every_application_once_page_by_page() {
    let db = Db::create().await;
    let offer = published(5);
    insert(&db, &offer).await;
    let mut submitted = Vec::new();
    for minutes in 0..5 {
        let application = application_to(&offer, None, later(minutes));
        submit(&db, &application).await;
        submitted.push(application.id);
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let found =
            store::list_applications(&db.pool, ApplicationScope::Offer(offer.id), &[], page)
                .await
                .unwrap();
        assert!(found.items.len() <= 2);
        seen.extend(found.items.into_iter().map(|a| a.id));
        let Some(next) = found.next else { break };
        page.after = Some(next);
    }
    submitted.reverse();
    assert_eq!(seen, submitted);
}

#[tokio::test]
async fn open_applications_are_found_by_candidate_and_by_offer_and_final_ones_are_left_out() {
    let db = Db::create().await;
    let (offer, other_offer) = (published(5), published(5));
    insert(&db, &offer).await;
    insert(&db, &other_offer).await;
    let candidate_id = CandidateId::new();
    let here = application_of(candidate_id, &offer, None, now());
    let there = application_of(candidate_id, &other_offer, None, later(1));
    let someone_else = application_to(&offer, None, later(2));
    let withdrawn_one = application_to(&offer, None, later(3));
    for application in [&here, &there, &someone_else, &withdrawn_one] {
        submit(&db, application).await;
    }
    let withdrawn = withdrawn_one
        .withdraw(&candidate(withdrawn_one.candidate_id), "", later(4))
        .unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    store::save_application(&mut tx, &withdrawn, withdrawn_one.revision)
        .await
        .unwrap();
    let mut of_candidate = store::open_applications_of_candidate(&mut tx, candidate_id)
        .await
        .unwrap();
    of_candidate.sort_by_key(|a| a.submitted_at);
    assert_eq!(of_candidate, [here.clone(), there]);
    let mut of_offer = store::open_applications_of_offer(&mut tx, offer.id)
        .await
        .unwrap();
    of_offer.sort_by_key(|a| a.submitted_at);
    assert_eq!(of_offer, [here, someone_else]);
}

#[tokio::test]
async fn the_sweep_finds_submitted_applications_unanswered_for_sixty_days_only() {
    let db = Db::create().await;
    let offer = published(5);
    insert(&db, &offer).await;
    let sweep_at = now() + Duration::days(90);
    let old = application_to(&offer, None, sweep_at - Duration::days(61));
    let recent = application_to(&offer, None, sweep_at - Duration::days(59));
    let reviewed_old = application_to(&offer, None, sweep_at - Duration::days(61));
    for application in [&old, &recent, &reviewed_old] {
        submit(&db, application).await;
    }
    let reviewed = reviewed_old
        .start_review(&company(), "", sweep_at - Duration::days(50))
        .unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    store::save_application(&mut tx, &reviewed, reviewed_old.revision)
        .await
        .unwrap();
    let due = store::applications_due_for_expiry(&mut tx, sweep_at, 10)
        .await
        .unwrap();
    assert_eq!(due, std::slice::from_ref(&old));
    assert!(due[0].is_due_for_expiry(sweep_at));
    let expired = old.expire(ExpiryCause::Unanswered, sweep_at).unwrap();
    store::save_application(&mut tx, &expired, old.revision)
        .await
        .unwrap();
    let again = store::applications_due_for_expiry(&mut tx, sweep_at, 10)
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:?}");
}

#[tokio::test]
async fn two_sweeps_at_once_never_take_the_same_application() {
    let db = Db::create().await;
    let offer = published(5);
    insert(&db, &offer).await;
    let sweep_at = now() + Duration::days(90);
    for days in [70, 65] {
        submit(
            &db,
            &application_to(&offer, None, sweep_at - Duration::days(days)),
        )
        .await;
    }
    let mut first = db.pool.begin().await.unwrap();
    let mut second = db.pool.begin().await.unwrap();
    let mut third = db.pool.begin().await.unwrap();
    let a = store::applications_due_for_expiry(&mut first, sweep_at, 1)
        .await
        .unwrap();
    let b = store::applications_due_for_expiry(&mut second, sweep_at, 1)
        .await
        .unwrap();
    let c = store::applications_due_for_expiry(&mut third, sweep_at, 10)
        .await
        .unwrap();
    assert_eq!((a.len(), b.len(), c.len()), (1, 1, 0));
    assert_ne!(a[0].id, b[0].id);
}

#[tokio::test]
async fn an_acceptance_saves_the_application_the_offer_the_placement_and_the_obsolete_ones() {
    let db = Db::create().await;
    let (offer, other_offer) = (published(1), published(1));
    insert(&db, &offer).await;
    insert(&db, &other_offer).await;
    let candidate_id = CandidateId::new();
    let hired = application_of(candidate_id, &offer, None, now());
    let elsewhere = application_of(candidate_id, &other_offer, None, now());
    let rival = application_to(&offer, None, now());
    for application in [&hired, &elsewhere, &rival] {
        submit(&db, application).await;
    }
    let mut tx = db.pool.begin().await.unwrap();
    let mut others = store::open_applications_of_candidate(&mut tx, candidate_id)
        .await
        .unwrap();
    others.extend(
        store::open_applications_of_offer(&mut tx, offer.id)
            .await
            .unwrap(),
    );
    let acceptance = vte_offers::domain::accept(
        &hired,
        &offer,
        &others,
        &company(),
        &Default::default(),
        crate::common::scheme(),
        vte_domain::PlacementId::new(),
        later(1),
    )
    .unwrap();
    store::save_application(&mut tx, &acceptance.application, hired.revision)
        .await
        .unwrap();
    for obsolete in &acceptance.obsolete {
        store::save_application(&mut tx, obsolete, obsolete.revision - 1)
            .await
            .unwrap();
    }
    store::save_offer(
        &mut tx,
        &acceptance.offer,
        offer.revision,
        &crate::common::reference(),
        &crate::common::rules(),
    )
    .await
    .unwrap();
    store::insert_placement(&mut tx, &acceptance.placement)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(load(&db, &hired).await, Some(acceptance.application));
    let rival_back = load(&db, &rival).await.unwrap();
    assert_eq!(rival_back.status, ApplicationStatus::Obsolete);
    let reason = rival_back
        .transitions
        .last()
        .unwrap()
        .reason
        .clone()
        .unwrap();
    assert_eq!(reason.as_str(), ObsoleteCause::OfferFilled.sentence());
    let elsewhere_back = load(&db, &elsewhere).await.unwrap();
    assert_eq!(elsewhere_back.status, ApplicationStatus::Obsolete);
}
