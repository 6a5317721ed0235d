//! The label's steps as notifications, end to end through the broker: the company hears that
//! its request window closes soon (NOTIFICATION_KIND_LABEL_REQUEST_DUE, with the last day);
//! Bpifrance hears of a request and of an appeal (something to decide), and no one else does;
//! the parties hear that Bpifrance asked for the fiche de poste to be reworked, and why; and
//! Bpifrance is reminded once of the requests waiting a month for its decision.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Utc;
use support::events::{TestOffer, placement_completed, timestamp};
use support::harness::Notifications;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_notifications::reminders;
use vte_proto::vte::common::v1::{Actor, Date, Role};
use vte_proto::vte::notifications::v1::{ListNotificationsRequest, Notification, NotificationKind};
use vte_proto::vte::placements::v1::{
    LabelAppeal, LabelAppealed, LabelDecision, LabelOutcome, LabelRequest, LabelRequestDue,
    LabelRequested, LabelReworkRequested, LabelWindow, Placement, PlacementCompleted,
    PlacementEvent, PlacementStatus, placement_event::Event,
};

fn siren() -> Siren {
    Siren::parse("732829320").unwrap()
}

async fn inbox(client: &mut support::harness::Client) -> Vec<Notification> {
    client
        .list_notifications(ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications
}

/// A running placement of a new candidate of `school` at `offer`.
fn running(offer: &TestOffer, candidate: CandidateId, school: SchoolId) -> Placement {
    let Some(Event::Completed(PlacementCompleted {
        placement: Some(placement),
    })) = placement_completed(offer, candidate, school).event
    else {
        panic!("not a completion");
    };
    Placement {
        status: PlacementStatus::Active as i32,
        revision: 1,
        ..placement
    }
}

fn envelope(placement: &Placement, event: Event) -> PlacementEvent {
    PlacementEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(timestamp(Utc::now())),
        placement_id: placement.id.clone(),
        event: Some(event),
    }
}

fn window_closing_on_1_march_2026() -> LabelWindow {
    LabelWindow {
        rule_set_id: "vte-2023-ti-2023-2027".to_owned(),
        months: 6,
        closes_on: Some(Date {
            year: 2026,
            month: 3,
            day: 1,
        }),
    }
}

async fn deliver(service: &Notifications, event: &PlacementEvent) {
    service.publish(event).await;
    service.wait_handled(&event.event_id).await;
}

fn of_kind(notifications: &[Notification], kind: NotificationKind) -> Vec<&Notification> {
    notifications
        .iter()
        .filter(|n| n.kind == kind as i32)
        .collect()
}

#[tokio::test]
async fn the_company_hears_that_its_label_request_window_closes_in_seven_days() {
    let service = Notifications::start().await;
    let (candidate, school) = (CandidateId::new(), SchoolId::new());
    let placement = running(&TestOffer::figeac(siren()), candidate, school);
    let due = envelope(
        &placement,
        Event::LabelRequestDue(LabelRequestDue {
            placement: Some(placement.clone()),
            window: Some(window_closing_on_1_march_2026()),
            days_left: 7,
        }),
    );
    deliver(&service, &due).await;
    deliver(&service, &due).await; // redelivered: still one notification

    let company = inbox(&mut service.company(siren())).await;
    let reminders = of_kind(&company, NotificationKind::LabelRequestDue);
    assert_eq!(reminders.len(), 1, "{company:?}");
    assert_eq!(
        reminders[0].title,
        "Label VTE à demander avant le 01/03/2026"
    );
    assert!(
        reminders[0].body.contains("encore 7 jours"),
        "{}",
        reminders[0].body
    );
    assert!(
        reminders[0].body.contains("charte VTE"),
        "{}",
        reminders[0].body
    );
    assert_eq!(reminders[0].subject_id, placement.id);
    assert!(inbox(&mut service.candidate(candidate)).await.is_empty());
    assert!(inbox(&mut service.school(school)).await.is_empty());
}

#[tokio::test]
async fn bpifrance_alone_hears_of_a_request_and_of_an_appeal_and_the_parties_of_a_rework() {
    let service = Notifications::start().await;
    let (candidate, school) = (CandidateId::new(), SchoolId::new());
    let placement = running(&TestOffer::figeac(siren()), candidate, school);
    let company_actor = Actor {
        role: Role::Company as i32,
        subject: "recruiter-7".to_owned(),
        tenant_id: siren().to_string(),
    };
    let requested = envelope(
        &placement,
        Event::LabelRequested(LabelRequested {
            placement: Some(placement.clone()),
            request: Some(LabelRequest {
                version: 1,
                ..LabelRequest::default()
            }),
            window: Some(window_closing_on_1_march_2026()),
        }),
    );
    let rework = envelope(
        &placement,
        Event::LabelReworkRequested(LabelReworkRequested {
            placement: Some(placement.clone()),
            decision: Some(LabelDecision {
                outcome: LabelOutcome::ReworkRequested as i32,
                reason: "Préciser le lien avec la direction.".to_owned(),
                ..LabelDecision::default()
            }),
        }),
    );
    let appealed = envelope(
        &placement,
        Event::LabelAppealed(LabelAppealed {
            placement: Some(placement.clone()),
            appeal: Some(LabelAppeal {
                appealed_by: Some(company_actor),
                ..LabelAppeal::default()
            }),
        }),
    );
    for event in [&requested, &rework, &appealed] {
        deliver(&service, event).await;
    }

    let bpifrance = inbox(&mut service.bpifrance()).await;
    let to_decide = of_kind(&bpifrance, NotificationKind::LabelsAwaitingDecision);
    let titles: Vec<&str> = to_decide.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles.len(), 2, "{bpifrance:?}");
    assert!(
        titles.contains(&"Nouvelle demande de label VTE"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Appel d'un refus de label VTE"),
        "{titles:?}"
    );
    let request = to_decide
        .iter()
        .find(|n| n.title == "Nouvelle demande de label VTE")
        .unwrap();
    assert!(
        request.body.contains("jusqu'au 01/03/2026"),
        "{}",
        request.body
    );
    let appeal = to_decide
        .iter()
        .find(|n| n.title.starts_with("Appel"))
        .unwrap();
    assert!(
        appeal.body.starts_with("L'entreprise fait appel"),
        "{}",
        appeal.body
    );

    let company = inbox(&mut service.company(siren())).await;
    let young_person = inbox(&mut service.candidate(candidate)).await;
    for (who, notifications) in [("company", &company), ("young person", &young_person)] {
        let decided = of_kind(notifications, NotificationKind::LabelDecided);
        assert_eq!(decided.len(), 1, "{who}: {notifications:?}");
        assert_eq!(
            decided[0].title,
            "Label VTE : fiche de poste à retravailler"
        );
        assert!(
            decided[0]
                .body
                .contains("Préciser le lien avec la direction."),
            "{}",
            decided[0].body
        );
        assert!(
            of_kind(notifications, NotificationKind::LabelsAwaitingDecision).is_empty(),
            "{who} is not told of what Bpifrance decides"
        );
    }
    assert!(
        of_kind(&company, NotificationKind::LabelDecided)[0]
            .body
            .contains("renvoyez votre dossier")
    );
}

/// `LabelRequested` for `placement`, as if it came at `at`.
fn requested_at(placement: &Placement, at: chrono::DateTime<Utc>) -> PlacementEvent {
    PlacementEvent {
        occurred_at: Some(timestamp(at)),
        ..envelope(
            placement,
            Event::LabelRequested(LabelRequested {
                placement: Some(placement.clone()),
                request: Some(LabelRequest {
                    version: 1,
                    ..LabelRequest::default()
                }),
                window: Some(window_closing_on_1_march_2026()),
            }),
        )
    }
}

#[tokio::test]
async fn bpifrance_is_reminded_once_of_label_requests_awaiting_its_decision_for_a_month() {
    // The service's own sweep only runs as it starts: the test runs the rounds.
    let service = Notifications::start_with(|_, own| own.reminders.sweep_every_secs = 86_400).await;
    let offer = TestOffer::figeac(siren());
    let long_ago = Utc::now() - chrono::Duration::days(40);
    let new = || running(&offer, CandidateId::new(), SchoolId::new());
    let (waiting, decided, reworked, recent) = ([new(), new()], new(), new(), new());
    let mut events: Vec<PlacementEvent> =
        waiting.iter().map(|p| requested_at(p, long_ago)).collect();
    events.push(requested_at(&decided, long_ago));
    events.push(envelope(
        &decided,
        Event::LabelGranted(vte_proto::vte::placements::v1::LabelGranted {
            placement: Some(decided.clone()),
            decision: None,
        }),
    ));
    events.push(requested_at(&reworked, long_ago));
    events.push(envelope(
        &reworked,
        Event::LabelReworkRequested(LabelReworkRequested {
            placement: Some(reworked.clone()),
            decision: None,
        }),
    ));
    events.push(requested_at(&recent, Utc::now()));
    // A VTE completed long ago whose label nobody requested: nothing for Bpifrance to decide.
    let mut completed = placement_completed(&offer, CandidateId::new(), SchoolId::new());
    completed.occurred_at = Some(timestamp(long_ago));
    events.push(completed);
    for event in &events {
        deliver(&service, event).await;
    }

    let now = Utc::now();
    let paris = chrono_tz::Europe::Paris;
    let remind = |at| reminders::remind_labels(&service.pool, at, 30, paris, at);
    assert_eq!(remind(now).await.unwrap(), 2);
    let reminder = inbox(&mut service.bpifrance())
        .await
        .into_iter()
        .find(|n| {
            n.title
                .contains("attendent votre décision depuis plus de 30 jours")
        })
        .expect("the reminder in Bpifrance's inbox");
    assert_eq!(
        reminder.title,
        "2 demandes de label VTE attendent votre décision depuis plus de 30 jours"
    );
    let since = long_ago
        .with_timezone(&paris)
        .format("%d/%m/%Y")
        .to_string();
    assert_eq!(
        reminder
            .body
            .matches(&format!(
                "- « Ingénieur méthodes industrialisation » chez Usinage du Célé, en attente \
                 depuis le {since}"
            ))
            .count(),
        2,
        "{}",
        reminder.body
    );

    // Each request is recalled once; the recent one a month later, the decided ones never.
    assert_eq!(remind(now).await.unwrap(), 0);
    let next_month = now + chrono::Duration::days(31);
    assert_eq!(
        remind(next_month).await.unwrap(),
        1,
        "only the recent request, once it too waits for a month"
    );
}
