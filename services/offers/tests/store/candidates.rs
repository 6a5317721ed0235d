//! What this service knows of candidates: upserts in revision order, and the anonymisation of
//! an erased candidate's applications, placements and label decisions.

use vte_domain::{CandidateId, LabelDecisionId, SchoolId};
use vte_offers::domain::{Application, NewLabelDecision, RawDate, Role, decide_label};
use vte_offers::store::{self, Anonymised, KnownCandidate};

use crate::common::reference;
use crate::{
    Db, application_of, bpifrance, candidate, company, date, hire, insert, later, now, published,
    submit,
};

#[tokio::test]
async fn a_candidate_upsert_applies_only_a_higher_revision() {
    let db = Db::create().await;
    let id = CandidateId::new();
    let (school, new_school) = (SchoolId::new(), SchoolId::new());
    let mut conn = db.conn().await;
    assert_eq!(store::load_candidate(&db.pool, id).await.unwrap(), None);
    assert!(
        store::upsert_candidate(&mut conn, id, Some(school), false, 2)
            .await
            .unwrap()
    );
    // A replay, then an older event arriving late: both ignored.
    assert!(
        !store::upsert_candidate(&mut conn, id, Some(school), false, 2)
            .await
            .unwrap()
    );
    assert!(
        !store::upsert_candidate(&mut conn, id, None, false, 1)
            .await
            .unwrap()
    );
    let known = |school_id, erased, revision| KnownCandidate {
        id,
        school_id,
        erased,
        revision,
    };
    let stored = store::load_candidate(&db.pool, id).await.unwrap();
    assert_eq!(stored, Some(known(Some(school), false, 2)));
    assert!(
        store::upsert_candidate(&mut conn, id, Some(new_school), false, 3)
            .await
            .unwrap()
    );
    assert!(
        store::upsert_candidate(&mut conn, id, None, true, 5)
            .await
            .unwrap()
    );
    assert!(
        !store::upsert_candidate(&mut conn, id, Some(new_school), false, 4)
            .await
            .unwrap()
    );
    let stored = store::load_candidate(&db.pool, id).await.unwrap();
    assert_eq!(stored, Some(known(None, true, 5)));
}

#[tokio::test]
async fn erasing_a_candidate_blanks_what_people_wrote_and_keeps_the_history() {
    let db = Db::create().await;
    let (offer, other_offer) = (published(1), published(1));
    insert(&db, &offer).await;
    insert(&db, &other_offer).await;
    let erased = CandidateId::new();
    let withdrawn_one = application_of(erased, &other_offer, None, now());
    let hired_one = application_of(erased, &offer, None, now());
    let someone_else = application_of(CandidateId::new(), &other_offer, None, now());
    for application in [&withdrawn_one, &hired_one, &someone_else] {
        submit(&db, application).await;
    }
    let reviewed = hired_one
        .start_review(&company(), "Bon profil, à rencontrer", later(1))
        .unwrap();
    let withdrawn = withdrawn_one
        .withdraw(&candidate(erased), "Raisons de santé", later(1))
        .unwrap();
    let mut conn = db.conn().await;
    store::save_application(&mut conn, &reviewed, hired_one.revision)
        .await
        .unwrap();
    store::save_application(&mut conn, &withdrawn, withdrawn_one.revision)
        .await
        .unwrap();
    let active = hire(&db, &offer, &reviewed).await;
    let ended = active
        .end_early(
            Some(RawDate::new(2026, 10, 1)),
            "OTHER",
            "Problèmes familiaux",
            date(2026, 10, 2),
            later(3),
        )
        .unwrap();
    store::save_placement(&mut conn, &ended, active.revision)
        .await
        .unwrap();

    let done = store::anonymise_candidate_applications(&mut conn, erased)
        .await
        .unwrap();
    assert_eq!(
        done,
        Anonymised {
            applications: 2,
            // Both submissions (the candidate's subject), the review note and the withdrawal.
            transitions: 4,
            placements: 1,
            label_decisions: 0,
        }
    );
    let again = store::anonymise_candidate_applications(&mut conn, erased)
        .await
        .unwrap();
    assert_eq!(again, Anonymised::default());

    let load = |application: &Application| {
        let pool = db.pool.clone();
        let id = application.id;
        async move { store::load_application(&pool, id).await.unwrap().unwrap() }
    };
    for application in [load(&withdrawn_one).await, load(&hired_one).await] {
        assert_eq!(application.message, None);
        for entry in &application.transitions {
            assert_eq!(entry.reason, None, "{entry:?}");
            if entry.actor.role == Role::Candidate {
                assert_eq!(entry.actor.subject, "");
            }
        }
    }
    let hired_back = load(&hired_one).await;
    let steps: Vec<_> = hired_back.transitions.iter().map(|t| t.to).collect();
    let expected: Vec<_> = [&hired_one, &reviewed]
        .iter()
        .map(|a| a.status)
        .chain([hired_back.status])
        .collect();
    assert_eq!(steps, expected, "the history keeps every step");
    assert_eq!(hired_back.transitions[1].actor, company());
    let other = load(&someone_else).await;
    assert_eq!(
        other, someone_else,
        "another candidate's application is untouched"
    );
    let placement = store::load_placement(&db.pool, active.id, &reference())
        .await
        .unwrap()
        .unwrap();
    let early_end = placement.early_end.unwrap();
    assert_eq!((early_end.reason.as_str(), early_end.note), ("OTHER", None));
}

#[tokio::test]
async fn erasing_a_candidate_blanks_the_reasons_of_their_label_decisions() {
    let db = Db::create().await;
    let offer = published(1);
    insert(&db, &offer).await;
    let erased = CandidateId::new();
    let application = application_of(erased, &offer, None, now());
    submit(&db, &application).await;
    let active = hire(&db, &offer, &application).await;
    let completed = active
        .complete(Some(RawDate::new(2027, 8, 31)), date(2027, 9, 10), later(2))
        .unwrap();
    let request = NewLabelDecision {
        outcome: "REFUSED".to_owned(),
        reason: "Arrêt maladie prolongé".to_owned(),
        reconsiders_decision_id: String::new(),
    };
    let history = crate::labels::requested(&db, &completed).await;
    let decided = decide_label(
        &completed,
        &history,
        &request,
        LabelDecisionId::new(),
        &bpifrance(),
        later(3),
    )
    .unwrap();
    let mut conn = db.conn().await;
    store::save_placement(&mut conn, &completed, active.revision)
        .await
        .unwrap();
    store::insert_label_decision(&mut conn, &decided.decision)
        .await
        .unwrap();
    let done = store::anonymise_candidate_applications(&mut conn, erased)
        .await
        .unwrap();
    assert_eq!(done.label_decisions, 1);
    let history = store::label_history(&db.pool, completed.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].reason, None);
    assert_eq!(history[0].outcome, decided.decision.outcome);
}
