//! A placement's label in the store: the dossier versions, the young person's acknowledgement,
//! the decisions and the appeals round trip as one history; the unique rules stop two reviewers
//! from both deciding one version and a refusal from being appealed twice; the queue reads the
//! pending cases by the last day of their window; the reminders are recorded once per threshold.

use vte_domain::{LabelDecisionId, PlacementId, SchoolId};
use vte_offers::domain::{
    LabelAppealId, LabelDecided, LabelHistory, LabelRequestId, LabelStatus, LabelWindow,
    NewLabelDecision, NewLabelRequest, Placement, acknowledge_charter, appeal_label, decide_label,
    label_window, request_label,
};
use vte_offers::store::{self, LabelScope, PageRequest, labels};

use crate::common::{reference, rules};
use crate::{
    Db, application_to, bpifrance, candidate, company, date, hire, insert, later, published, submit,
};

/// A saved placement, running (a CDI in Figeac from 2026-09-01: its window closes 2027-03-01).
async fn running(db: &Db) -> Placement {
    let offer = published(1);
    insert(db, &offer).await;
    let application = application_to(&offer, Some(SchoolId::new()), later(0));
    submit(db, &application).await;
    hire(db, &offer, &application).await
}

/// The young person's acknowledgement and a first dossier on `placement`, built by the domain
/// and saved as the service saves them.
pub async fn requested(db: &Db, placement: &Placement) -> LabelHistory {
    let mut conn = db.conn().await;
    let mut history = LabelHistory::default();
    let young_person = candidate(placement.candidate_id);
    let given = acknowledge_charter(placement, &history, &young_person, later(5))
        .unwrap()
        .unwrap();
    labels::insert_charter_acknowledgement(&mut conn, &given)
        .await
        .unwrap();
    history.acknowledgement = Some(given);
    submit_dossier(db, placement, &mut history, 6).await;
    history
}

/// The company submits a dossier (the next version) at `minutes` after now.
async fn submit_dossier(db: &Db, placement: &Placement, history: &mut LabelHistory, minutes: i64) {
    let window = label_window(placement, &rules());
    let dossier = NewLabelRequest {
        responsibilities: "Industrialiser la ligne d'usinage.".to_owned(),
        management_link: "Rattaché au directeur général.".to_owned(),
        charter_acknowledged: true,
    };
    let request = request_label(
        placement,
        history,
        &window,
        &dossier,
        LabelRequestId::new(),
        &company(),
        date(2026, 9, 15),
        later(minutes),
    )
    .unwrap();
    let mut conn = db.conn().await;
    labels::insert_label_request(&mut conn, &request)
        .await
        .unwrap();
    history.requests.push(request);
    labels::save_label_case(&mut conn, placement.id, history, &window, later(minutes))
        .await
        .unwrap();
}

/// Bpifrance's decision on `placement` given `history`, at `minutes` after now.
fn decide(
    placement: &Placement,
    history: &LabelHistory,
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
async fn record(db: &Db, before: &Placement, decided: &LabelDecided, history: &mut LabelHistory) {
    let mut tx = db.pool.begin().await.unwrap();
    store::insert_label_decision(&mut tx, &decided.decision)
        .await
        .unwrap();
    store::save_placement(&mut tx, &decided.placement, before.revision)
        .await
        .unwrap();
    history.decisions.push(decided.decision.clone());
    let window = label_window(before, &rules());
    labels::save_label_case(
        &mut tx,
        before.id,
        history,
        &window,
        decided.decision.decided_at,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn stored(db: &Db, placement: PlacementId) -> LabelHistory {
    labels::load_label_history(&mut *db.conn().await, placement)
        .await
        .unwrap()
}

#[tokio::test]
async fn versions_decisions_and_the_acknowledgement_round_trip_and_the_placement_carries_the_latest()
 {
    let db = Db::create().await;
    let placement = running(&db).await;
    let mut history = requested(&db, &placement).await;
    let rework = decide(
        &placement,
        &history,
        "REWORK_REQUESTED",
        "Préciser le poste",
        None,
        10,
    );
    record(&db, &placement, &rework, &mut history).await;
    assert_eq!(
        labels::stored_label_status(&db.pool, placement.id)
            .await
            .unwrap(),
        Some(LabelStatus::ReworkRequested)
    );
    submit_dossier(&db, &rework.placement, &mut history, 20).await;
    let grant = decide(&rework.placement, &history, "GRANTED", "", None, 30);
    record(&db, &rework.placement, &grant, &mut history).await;

    let back = stored(&db, placement.id).await;
    assert_eq!(back, history);
    assert_eq!(back.requests[1].answers, Some(rework.decision.id));
    assert_eq!(back.status(), LabelStatus::Granted);
    let placement_back = store::load_placement(&db.pool, placement.id, &reference())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(placement_back.latest_label_decision, Some(grant.decision));
    assert_eq!(
        labels::stored_label_status(&db.pool, placement.id)
            .await
            .unwrap(),
        Some(LabelStatus::Granted)
    );
}

#[tokio::test]
async fn one_dossier_version_gets_one_decision_even_when_two_reviewers_decide_at_once() {
    let db = Db::create().await;
    let placement = running(&db).await;
    let history = requested(&db, &placement).await;
    let granted = decide(&placement, &history, "GRANTED", "", None, 10);
    let refused = decide(&placement, &history, "REFUSED", "Hors VTE", None, 11);
    let mut conn = db.conn().await;
    store::insert_label_decision(&mut conn, &granted.decision)
        .await
        .unwrap();
    let second = store::insert_label_decision(&mut conn, &refused.decision).await;
    assert!(second.is_err(), "{second:?}");
    assert_eq!(
        stored(&db, placement.id).await.decisions,
        [granted.decision]
    );
}

#[tokio::test]
async fn a_refusal_is_appealed_once_and_the_appeal_is_decided_once() {
    let db = Db::create().await;
    let placement = running(&db).await;
    let mut history = requested(&db, &placement).await;
    let refusal = decide(
        &placement,
        &history,
        "REFUSED",
        "Dossier incomplet",
        None,
        10,
    );
    record(&db, &placement, &refusal, &mut history).await;
    let appeal = |minutes| {
        appeal_label(
            &refusal.placement,
            &history,
            "Organigramme joint",
            LabelAppealId::new(),
            &company(),
            later(minutes),
        )
        .unwrap()
    };
    let (first, second) = (appeal(20), appeal(21));
    let mut conn = db.conn().await;
    labels::insert_label_appeal(&mut conn, &first)
        .await
        .unwrap();
    assert!(
        labels::insert_label_appeal(&mut conn, &second)
            .await
            .is_err()
    );
    drop(conn);
    history.appeals.push(first.clone());
    assert_eq!(
        stored(&db, placement.id).await.status(),
        LabelStatus::Appealed
    );

    let on_appeal = decide(&refusal.placement, &history, "GRANTED", "", None, 30);
    let again = decide(&refusal.placement, &history, "REFUSED", "Non", None, 31);
    record(&db, &refusal.placement, &on_appeal, &mut history).await;
    let twice = store::insert_label_decision(&mut *db.conn().await, &again.decision).await;
    assert!(twice.is_err(), "{twice:?}");
    let back = stored(&db, placement.id).await;
    assert_eq!(back.appeals, std::slice::from_ref(&first));
    assert_eq!(back.decisions[1].appeal, Some(first.id));
    assert_eq!(back.decisions[1].reconsiders, Some(refusal.decision.id));
}

#[tokio::test]
async fn the_queue_reads_pending_cases_by_the_last_day_of_their_window_page_by_page() {
    let db = Db::create().await;
    let mut expected = Vec::new();
    // Three pending cases whose windows close in this order once their starts are set.
    for closes in [date(2027, 1, 10), date(2026, 12, 1), date(2027, 2, 1)] {
        let placement = running(&db).await;
        let history = requested(&db, &placement).await;
        let window = LabelWindow {
            rule_set_id: Some("vte-2023-ti-2023-2027".to_owned()),
            months: 6,
            closes_on: closes,
        };
        labels::save_label_case(
            &mut *db.conn().await,
            placement.id,
            &history,
            &window,
            later(7),
        )
        .await
        .unwrap();
        expected.push((closes, placement.id));
    }
    // A decided one is not in the queue.
    let decided = running(&db).await;
    let mut history = requested(&db, &decided).await;
    let grant = decide(&decided, &history, "GRANTED", "", None, 10);
    record(&db, &decided, &grant, &mut history).await;
    expected.sort();

    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let found = labels::label_queue(&db.pool, page).await.unwrap();
        seen.extend(found.items);
        let Some(next) = found.next else { break };
        page.after = Some(next);
    }
    let order: Vec<PlacementId> = expected.into_iter().map(|(_, id)| id).collect();
    assert_eq!(seen, order);
}

#[tokio::test]
async fn a_reminder_is_recorded_once_per_threshold_and_only_unrequested_placements_are_swept() {
    let db = Db::create().await;
    let silent = running(&db).await;
    let diligent = running(&db).await;
    requested(&db, &diligent).await;
    let closes = date(2027, 3, 1);
    let mut conn = db.conn().await;
    assert!(
        labels::record_reminder(&mut conn, silent.id, 30, closes, later(1))
            .await
            .unwrap()
    );
    assert!(
        !labels::record_reminder(&mut conn, silent.id, 30, closes, later(2))
            .await
            .unwrap()
    );
    assert_eq!(
        labels::reminders_sent(&mut *conn, silent.id).await.unwrap(),
        [30]
    );

    let swept = labels::unrequested_started_between(
        &mut *conn,
        date(2026, 8, 1),
        date(2026, 9, 30),
        7,
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(swept, [(date(2026, 9, 1), silent.id)]);
    assert!(
        labels::record_reminder(&mut conn, silent.id, 7, closes, later(3))
            .await
            .unwrap()
    );
    let after_last = labels::unrequested_started_between(
        &mut *conn,
        date(2026, 8, 1),
        date(2026, 9, 30),
        7,
        None,
        10,
    )
    .await
    .unwrap();
    assert!(after_last.is_empty(), "the last reminder was sent");
}

#[tokio::test]
async fn decisions_list_by_placement_or_by_candidate_oldest_first_page_by_page() {
    let db = Db::create().await;
    let placement = running(&db).await;
    let other = running(&db).await;
    let mut history = requested(&db, &placement).await;
    let first = decide(
        &placement,
        &history,
        "REFUSED",
        "Dossier incomplet",
        None,
        10,
    );
    record(&db, &placement, &first, &mut history).await;
    let review = decide(
        &first.placement,
        &history,
        "GRANTED",
        "Réexamen",
        Some(first.decision.id),
        20,
    );
    record(&db, &first.placement, &review, &mut history).await;
    let mut other_history = requested(&db, &other).await;
    let elsewhere = decide(&other, &other_history, "GRANTED", "", None, 15);
    record(&db, &other, &elsewhere, &mut other_history).await;
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
    assert_eq!(seen, [first.decision.clone(), review.decision.clone()]);
    let of_candidate = store::list_label_decisions(
        &db.pool,
        LabelScope::Candidate(placement.candidate_id),
        PageRequest::first(10),
    )
    .await
    .unwrap();
    assert_eq!(of_candidate.items, [first.decision, review.decision]);
    assert_eq!(of_candidate.next, None);
}

#[tokio::test]
async fn erasing_the_young_person_blanks_the_appeals_reasons_and_their_own_account_ids() {
    let db = Db::create().await;
    let placement = running(&db).await;
    let other = running(&db).await;
    let mut history = requested(&db, &placement).await;
    let mut other_history = requested(&db, &other).await;
    for (placement, history) in [(&placement, &mut history), (&other, &mut other_history)] {
        let refusal = decide(placement, history, "REFUSED", "Dossier incomplet", None, 10);
        record(&db, placement, &refusal, history).await;
        let appeal = appeal_label(
            &refusal.placement,
            history,
            "Je suis rattachée au dirigeant depuis mon arrivée.",
            LabelAppealId::new(),
            &candidate(placement.candidate_id),
            later(20),
        )
        .unwrap();
        labels::insert_label_appeal(&mut *db.conn().await, &appeal)
            .await
            .unwrap();
    }

    let mut conn = db.conn().await;
    let changed = labels::anonymise_candidate_labels(&mut conn, placement.candidate_id)
        .await
        .unwrap();
    let again = labels::anonymise_candidate_labels(&mut conn, placement.candidate_id)
        .await
        .unwrap();
    drop(conn);

    assert_eq!((changed, again), (2, 0), "one appeal, one acknowledgement");
    let back = stored(&db, placement.id).await;
    assert_eq!(back.appeals[0].reason, None);
    assert_eq!(back.appeals[0].appealed_by.subject, "");
    assert_eq!(
        back.acknowledgement
            .as_ref()
            .unwrap()
            .acknowledged_by
            .subject,
        ""
    );
    assert_eq!(
        back.status(),
        LabelStatus::Appealed,
        "the history still reads"
    );
    assert_eq!(
        back.requests, history.requests,
        "the company's dossier stays"
    );
    let untouched = stored(&db, other.id).await;
    assert!(untouched.appeals[0].reason.is_some());
    assert_eq!(untouched.appeals[0].appealed_by.subject, "user-42");
}
