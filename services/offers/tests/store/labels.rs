//! Label decisions: the history round trip and the placement's latest decision, the unique
//! rules that stop two reviewers from both deciding, and the lists.

use vte_domain::{LabelDecisionId, SchoolId};
use vte_offers::domain::{
    LabelDecided, LabelDecision, NewLabelDecision, Placement, RawDate, decide_label,
};
use vte_offers::store::{self, LabelScope, PageRequest, StoreError, UniqueRule};

use crate::common::reference;
use crate::{Db, application_to, bpifrance, date, hire, insert, later, now, published, submit};

/// A saved placement, completed.
async fn completed(db: &Db) -> Placement {
    let offer = published(1);
    insert(db, &offer).await;
    let application = application_to(&offer, Some(SchoolId::new()), now());
    submit(db, &application).await;
    let active = hire(db, &offer, &application).await;
    let completed = active
        .complete(Some(RawDate::new(2027, 8, 31)), date(2027, 9, 10), later(2))
        .unwrap();
    store::save_placement(&mut *db.conn().await, &completed, active.revision)
        .await
        .unwrap();
    completed
}

/// Bpifrance's decision on `placement` given `history`, at `minutes` after now.
fn decide(
    placement: &Placement,
    history: &[LabelDecision],
    outcome: &str,
    reason: &str,
    reconsiders: Option<LabelDecisionId>,
    minutes: i64,
) -> LabelDecided {
    let request = NewLabelDecision {
        outcome: outcome.to_owned(),
        reason: reason.to_owned(),
        reconsiders_decision_id: reconsiders.map(|id| id.to_string()).unwrap_or_default(),
    };
    decide_label(
        placement,
        history,
        &request,
        LabelDecisionId::new(),
        &bpifrance(),
        later(minutes),
    )
    .unwrap()
}

/// Saves a decision and the placement carrying it, as the service does.
async fn record(db: &Db, before: &Placement, decided: &LabelDecided) {
    let mut tx = db.pool.begin().await.unwrap();
    store::insert_label_decision(&mut tx, &decided.decision)
        .await
        .unwrap();
    store::save_placement(&mut tx, &decided.placement, before.revision)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn decisions_are_kept_oldest_first_and_the_placement_carries_the_latest() {
    let db = Db::create().await;
    let placement = completed(&db).await;
    let first = decide(&placement, &[], "REFUSED", "Dossier incomplet", None, 10);
    record(&db, &placement, &first).await;
    let history = store::label_history(&db.pool, placement.id).await.unwrap();
    assert_eq!(history, std::slice::from_ref(&first.decision));
    let appeal = decide(
        &first.placement,
        &history,
        "GRANTED",
        "Pièces reçues en appel",
        Some(first.decision.id),
        20,
    );
    record(&db, &first.placement, &appeal).await;
    let history = store::label_history(&db.pool, placement.id).await.unwrap();
    assert_eq!(history, [first.decision, appeal.decision]);
    let back = store::load_placement(&db.pool, placement.id, &reference())
        .await
        .unwrap();
    assert_eq!(back, Some(appeal.placement));
}

#[tokio::test]
async fn a_second_first_decision_on_a_placement_is_refused() {
    let db = Db::create().await;
    let placement = completed(&db).await;
    // Two reviewers decide at once, each seeing no decision yet.
    let granted = decide(&placement, &[], "GRANTED", "", None, 10);
    let refused = decide(&placement, &[], "REFUSED", "Durée insuffisante", None, 11);
    let mut conn = db.conn().await;
    store::insert_label_decision(&mut conn, &granted.decision)
        .await
        .unwrap();
    let second = store::insert_label_decision(&mut conn, &refused.decision).await;
    assert!(
        matches!(
            second,
            Err(StoreError::Duplicate {
                rule: UniqueRule::OneFirstLabelDecision
            })
        ),
        "{second:?}"
    );
    let history = store::label_history(&db.pool, placement.id).await.unwrap();
    assert_eq!(history, [granted.decision]);
}

#[tokio::test]
async fn a_decision_is_reconsidered_at_most_once() {
    let db = Db::create().await;
    let placement = completed(&db).await;
    let first = decide(&placement, &[], "REFUSED", "Dossier incomplet", None, 10);
    let mut conn = db.conn().await;
    store::insert_label_decision(&mut conn, &first.decision)
        .await
        .unwrap();
    let history = [first.decision.clone()];
    let appeal = decide(
        &first.placement,
        &history,
        "GRANTED",
        "Appel",
        Some(first.decision.id),
        20,
    );
    let review = decide(
        &first.placement,
        &history,
        "REFUSED",
        "Revue",
        Some(first.decision.id),
        21,
    );
    store::insert_label_decision(&mut conn, &appeal.decision)
        .await
        .unwrap();
    let second = store::insert_label_decision(&mut conn, &review.decision).await;
    assert!(
        matches!(
            second,
            Err(StoreError::Duplicate {
                rule: UniqueRule::OneReconsiderationPerDecision
            })
        ),
        "{second:?}"
    );
}

#[tokio::test]
async fn decisions_list_by_placement_or_by_candidate_oldest_first_page_by_page() {
    let db = Db::create().await;
    let placement = completed(&db).await;
    let other = completed(&db).await;
    let first = decide(&placement, &[], "REFUSED", "Dossier incomplet", None, 10);
    record(&db, &placement, &first).await;
    let history = [first.decision.clone()];
    let appeal = decide(
        &first.placement,
        &history,
        "GRANTED",
        "Appel",
        Some(first.decision.id),
        20,
    );
    record(&db, &first.placement, &appeal).await;
    let elsewhere = decide(&other, &[], "GRANTED", "", None, 15);
    record(&db, &other, &elsewhere).await;
    let mut seen = Vec::new();
    let mut page = PageRequest::first(1);
    loop {
        let found =
            store::list_label_decisions(&db.pool, LabelScope::Placement(placement.id), page)
                .await
                .unwrap();
        seen.extend(found.items);
        let Some(next) = found.next else { break };
        page.after = Some(next);
    }
    assert_eq!(seen, [first.decision.clone(), appeal.decision.clone()]);
    let of_candidate = store::list_label_decisions(
        &db.pool,
        LabelScope::Candidate(placement.candidate_id),
        PageRequest::first(10),
    )
    .await
    .unwrap();
    assert_eq!(of_candidate.items, [first.decision, appeal.decision]);
    assert_eq!(of_candidate.next, None);
}
