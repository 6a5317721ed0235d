//! The label's use cases on fixed dates, against the service's own database: a VTE started on
//! 1 September 2025 may have its label requested until 1 March 2026 (the 6 months of its rule
//! set), and its company is reminded 30 and 7 days before, once each, unless it requested.
//! The placements are hired through the API; the label steps run through `Offers` with a
//! chosen `now` (the running service's own reminder sweep, on today's date, finds their windows
//! long closed and leaves them alone).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tonic::Code;
use vte_domain::{PlacementId, SchoolId};
use vte_offers::domain::{LabelStatus, NewLabelRequest};
use vte_offers::mapping::RequestLabelInput;
use vte_offers::usecases::Offers;
use vte_proto::vte::offers::v1::EndPlacementEarlyRequest;
use vte_proto::vte::placements::v1::EarlyEndReason;
use vte_proto::vte::placements::v1::placement_event::Event;
use vte_reference::ReferenceData;
use vte_rules::RuleBook;
use vte_service::auth::{Caller, Identity};

use crate::fixtures::{Answer, accept, apply, date, figeac_cdi, published};
use crate::harness::{Api, Envelope, EventLog};

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

/// 10:00 UTC on `day`.
fn at(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).unwrap())
}

fn identity(caller: Caller) -> Identity {
    Identity {
        caller,
        subject: "account-1".to_owned(),
        expires_at: at(day(2030, 1, 1)),
        on_behalf_of: None,
    }
}

/// The use cases on the API's database, with the repository's rule sets.
fn use_cases(api: &Api) -> Offers {
    let reference = Arc::new(ReferenceData::load(&vte_testbed::reference_dir()).unwrap());
    let rules = Arc::new(RuleBook::load(&vte_rules::repository_rules_dir()).unwrap());
    Offers::new(
        api.pool().clone(),
        reference,
        rules,
        api.contacts().directory(),
    )
}

/// A VTE whose contract started on `start`, its young person having acknowledged the charter:
/// hired through the API (on the offer's start date, the candidate being eligible then), its
/// start then moved in the database to the date the test needs.
async fn started_on(api: &Api, offers: &Offers, start: NaiveDate) -> PlacementId {
    let candidate = api.enrol(SchoolId::new()).await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let application = apply(&api.candidate(candidate), &offer.id, candidate).await;
    let (_, placement) = accept(&api.owner(), &application.id, None).await;
    let id = PlacementId::parse(&placement.id).unwrap();
    sqlx::query(
        "UPDATE placements SET start_date = $2, planned_end_date = $2 + interval '12 months'
         WHERE id = $1",
    )
    .bind(id.as_uuid())
    .bind(start)
    .execute(api.pool())
    .await
    .unwrap();
    offers
        .acknowledge_label_charter(
            &identity(Caller::Candidate {
                candidate_id: candidate,
            }),
            id,
            at(start),
        )
        .await
        .unwrap();
    id
}

fn company() -> Identity {
    identity(Caller::Company {
        siren: vte_domain::Siren::parse(crate::harness::SIREN).unwrap(),
    })
}

fn dossier(placement_id: PlacementId) -> RequestLabelInput {
    RequestLabelInput {
        placement_id,
        request: NewLabelRequest {
            responsibilities: "Piloter l'industrialisation de la ligne d'usinage.".to_owned(),
            management_link: "Rattaché au directeur général.".to_owned(),
            charter_acknowledged: true,
        },
    }
}

/// The `LabelRequestDue` events published since `log` last read, by placement: (days left,
/// last day of the window).
async fn reminders(log: &mut EventLog) -> Vec<(String, u32, String)> {
    log.new_events()
        .await
        .into_iter()
        .filter_map(|published| {
            let Envelope::Placement(event) = published.event else {
                return None;
            };
            let Some(Event::LabelRequestDue(due)) = event.event else {
                return None;
            };
            let closes = due.window?.closes_on?;
            Some((
                event.placement_id,
                due.days_left,
                format!("{}-{:02}-{:02}", closes.year, closes.month, closes.day),
            ))
        })
        .collect()
}

#[tokio::test]
async fn a_vte_started_on_1_september_2025_is_requested_on_15_february_and_not_on_2_april() {
    let api = Api::start().await;
    let offers = use_cases(&api);
    let in_time = started_on(&api, &offers, day(2025, 9, 1)).await;
    let too_late = started_on(&api, &offers, day(2025, 9, 1)).await;

    let (request, case) = offers
        .request_label(&company(), dossier(in_time), at(day(2026, 2, 15)))
        .await
        .unwrap();
    assert_eq!(request.version, 1);
    assert_eq!(case.status(), LabelStatus::Requested);
    assert_eq!(case.window.closes_on, day(2026, 3, 1));
    assert_eq!(
        case.window.rule_set_id.as_deref(),
        Some("vte-2023-ti-2023-2027")
    );

    let refused = offers
        .request_label(&company(), dossier(too_late), at(day(2026, 4, 2)))
        .await
        .unwrap_err();
    let status = tonic::Status::from(refused);
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(
        status.message(),
        "the label request window closed on 2026-03-01: label_request_months = 6 of rule set \
         vte-2023-ti-2023-2027 allows a request until 6 months after the contract start \
         (2025-09-01); today is 2026-04-02"
    );
    let case = offers.label_case(&company(), too_late).await.unwrap();
    assert_eq!(case.status(), LabelStatus::NotRequested);
    assert!(case.history.requests.is_empty());
}

#[tokio::test]
async fn the_company_is_reminded_thirty_and_seven_days_before_the_window_closes_once_each() {
    let api = Api::start().await;
    let offers = use_cases(&api);
    let silent = started_on(&api, &offers, day(2025, 9, 1)).await;
    let diligent = started_on(&api, &offers, day(2025, 9, 1)).await;
    offers
        .request_label(&company(), dossier(diligent), at(day(2025, 12, 1)))
        .await
        .unwrap();
    let ended = started_on(&api, &offers, day(2025, 9, 1)).await;
    api.owner()
        .end_placement_early(EndPlacementEarlyRequest {
            placement_id: ended.to_string(),
            ended_on: Some(date(day(2025, 11, 30))),
            reason: EarlyEndReason::TrialPeriod as i32,
            note: String::new(),
        })
        .await
        .answer();

    let mut log = api.events();
    log.new_events().await;
    let mut sent = Vec::new();
    let mut published = Vec::new();
    for today in [
        day(2026, 1, 15), // 45 days before: nothing yet
        day(2026, 1, 30), // 30 days before
        day(2026, 1, 30), // the same day again: once
        day(2026, 2, 10),
        day(2026, 2, 22), // 7 days before
        day(2026, 2, 27),
        day(2026, 3, 2), // closed
    ] {
        sent.push(
            offers
                .remind_label_requests(today, at(today))
                .await
                .unwrap(),
        );
        published.extend(reminders(&mut log).await);
    }

    assert_eq!(sent, [0, 1, 0, 0, 1, 0, 0]);
    let silent = silent.to_string();
    assert_eq!(
        published,
        [
            (silent.clone(), 30, "2026-03-01".to_owned()),
            (silent, 7, "2026-03-01".to_owned())
        ],
        "the company that requested, and the VTE that ended early, are never reminded"
    );
}

#[tokio::test]
async fn a_first_sweep_a_few_days_before_the_close_reminds_once_for_both_thresholds() {
    let api = Api::start().await;
    let offers = use_cases(&api);
    let late = started_on(&api, &offers, day(2025, 9, 1)).await;
    let mut log = api.events();
    log.new_events().await;

    let first = offers
        .remind_label_requests(day(2026, 2, 26), at(day(2026, 2, 26)))
        .await
        .unwrap();
    let again = offers
        .remind_label_requests(day(2026, 2, 28), at(day(2026, 2, 28)))
        .await
        .unwrap();

    assert_eq!((first, again), (1, 0));
    assert_eq!(
        reminders(&mut log).await,
        [(late.to_string(), 3, "2026-03-01".to_owned())]
    );
}
