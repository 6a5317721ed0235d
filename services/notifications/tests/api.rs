//! The NotificationsService API's rules, through the generated client with a token per role:
//! whose data each caller may read and change, and INVALID_ARGUMENT naming the field and the
//! rule for every malformed request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::harness::Notifications;
use tonic::Code;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::common::v1::{PageRequest, Role};
use vte_proto::vte::notifications::v1::{
    Cadence, DeleteWebhookRequest, GetPreferencesRequest, KindPreference, ListNotificationsRequest,
    ListWebhooksRequest, MarkReadRequest, NotificationKind, Recipient, RegisterWebhookRequest,
    UpdatePreferencesRequest,
};
use vte_service::auth::Caller;

fn siren() -> Siren {
    Siren::parse("732829320").unwrap()
}

fn company_recipient() -> Recipient {
    Recipient {
        role: Role::Company as i32,
        tenant_id: siren().to_string(),
    }
}

/// The status's code, and its message naming the field.
fn refused<T: std::fmt::Debug>(result: Result<T, tonic::Status>) -> (Code, String) {
    let status = result.expect_err("the call should have been refused");
    (status.code(), status.message().to_owned())
}

#[tokio::test]
async fn a_recipient_reads_only_their_own_and_operators_name_whom_they_read() {
    let service = Notifications::start().await;
    let named = ListNotificationsRequest {
        recipient: Some(company_recipient()),
        ..ListNotificationsRequest::default()
    };
    let (code, _) = refused(
        service
            .candidate(CandidateId::new())
            .list_notifications(named.clone())
            .await,
    );
    assert_eq!(code, Code::PermissionDenied);
    let (code, _) = refused(
        service
            .client(&Caller::Site)
            .list_notifications(ListNotificationsRequest::default())
            .await,
    );
    assert_eq!(code, Code::PermissionDenied);
    let (code, _) = refused(
        service
            .client(&Caller::Service)
            .get_preferences(GetPreferencesRequest::default())
            .await,
    );
    assert_eq!(code, Code::PermissionDenied);
    assert!(
        service
            .company(siren())
            .list_notifications(named.clone())
            .await
            .is_ok(),
        "naming itself"
    );
    assert!(service.admin().list_notifications(named).await.is_ok());
    let (code, message) = refused(
        service
            .admin()
            .list_notifications(ListNotificationsRequest::default())
            .await,
    );
    assert_eq!(
        (code, message.starts_with("recipient:")),
        (Code::InvalidArgument, true),
        "{message}"
    );

    let (code, message) = refused(
        service
            .admin()
            .list_notifications(ListNotificationsRequest {
                recipient: Some(Recipient {
                    role: Role::Company as i32,
                    tenant_id: "73282932".to_owned(),
                }),
                ..ListNotificationsRequest::default()
            })
            .await,
    );
    assert_eq!(code, Code::InvalidArgument);
    assert!(message.starts_with("recipient.tenant_id:"), "{message}");
}

#[tokio::test]
async fn preferences_list_every_kind_the_recipient_receives_and_changes_are_checked() {
    let service = Notifications::start().await;
    let mut school = service.school(SchoolId::new());
    let defaults = school
        .get_preferences(GetPreferencesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let kinds: Vec<i32> = defaults.preferences.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        vec![
            NotificationKind::ApplicationStatusChanged as i32,
            NotificationKind::PlacementStatusChanged as i32,
            NotificationKind::LabelDecided as i32,
            NotificationKind::ProfileRetired as i32,
        ]
    );
    assert!(
        defaults
            .preferences
            .iter()
            .all(|p| p.enabled && p.cadence == Cadence::Immediate as i32)
    );

    let entry = |kind: NotificationKind, cadence: i32| KindPreference {
        kind: kind as i32,
        enabled: true,
        cadence,
    };
    let update = |preferences| UpdatePreferencesRequest {
        recipient: None,
        preferences,
        email_address: None,
    };
    let cases = [
        (vec![], "preferences:"),
        (
            vec![entry(NotificationKind::OffersSuggested, 1)],
            "preferences[0].kind:",
        ),
        (
            vec![entry(NotificationKind::Unspecified, 1)],
            "preferences[0].kind:",
        ),
        (
            vec![
                entry(NotificationKind::LabelDecided, 1),
                entry(NotificationKind::LabelDecided, 2),
            ],
            "preferences[1].kind:",
        ),
        (
            vec![entry(NotificationKind::LabelDecided, 7)],
            "preferences[0].cadence:",
        ),
    ];
    for (preferences, field) in cases {
        let (code, message) = refused(school.update_preferences(update(preferences)).await);
        assert_eq!(code, Code::InvalidArgument, "{message}");
        assert!(message.starts_with(field), "{message} should name {field}");
    }
    let after = school
        .get_preferences(GetPreferencesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after, defaults, "a refused change changes nothing");

    let changed = school
        .update_preferences(update(vec![KindPreference {
            kind: NotificationKind::LabelDecided as i32,
            enabled: false,
            cadence: Cadence::DailyDigest as i32,
        }]))
        .await
        .unwrap()
        .into_inner();
    let label = changed
        .preferences
        .iter()
        .find(|p| p.kind == NotificationKind::LabelDecided as i32)
        .unwrap();
    assert!(!label.enabled);
    assert_eq!(label.cadence, Cadence::DailyDigest as i32);
    assert_eq!(changed.preferences.len(), 4);
}

#[tokio::test]
async fn mark_read_refuses_other_recipients_ids_and_malformed_requests() {
    let service = Notifications::start().await;
    let mut candidate = service.candidate(CandidateId::new());
    let (code, message) = refused(
        candidate
            .mark_read(MarkReadRequest {
                notification_ids: vec!["not-a-uuid".to_owned()],
                all: false,
            })
            .await,
    );
    assert_eq!(code, Code::InvalidArgument);
    assert!(message.starts_with("notification_ids[0]:"), "{message}");
    let (code, _) = refused(
        candidate
            .mark_read(MarkReadRequest {
                notification_ids: vec![uuid::Uuid::now_v7().to_string()],
                all: true,
            })
            .await,
    );
    assert_eq!(code, Code::InvalidArgument);
    let (code, _) = refused(
        candidate
            .mark_read(MarkReadRequest {
                notification_ids: vec![uuid::Uuid::now_v7().to_string()],
                all: false,
            })
            .await,
    );
    assert_eq!(code, Code::NotFound);
    let (code, message) = refused(
        candidate
            .list_notifications(ListNotificationsRequest {
                page: Some(PageRequest {
                    page_size: 101,
                    page_token: String::new(),
                }),
                ..ListNotificationsRequest::default()
            })
            .await,
    );
    assert_eq!(
        (code, message.starts_with("page.page_size:")),
        (Code::InvalidArgument, true)
    );
}

#[tokio::test]
async fn webhooks_are_for_schools_and_bpifrance_with_checked_urls_and_kinds() {
    let service =
        Notifications::start_with(|_, own| own.webhooks.allow_private_targets = false).await;
    let school = SchoolId::new();
    let register = |url: &str, kinds: Vec<i32>| RegisterWebhookRequest {
        url: url.to_owned(),
        kinds,
        owner: None,
    };
    let (code, _) = refused(
        service
            .company(siren())
            .register_webhook(register("https://93.184.215.14/hook", vec![]))
            .await,
    );
    assert_eq!(code, Code::PermissionDenied);
    let cases = [
        ("", vec![], "url:"),
        ("http://93.184.215.14/hook", vec![], "url:"),
        ("https://127.0.0.1/hook", vec![], "url:"),
        ("https://10.0.0.8/hook", vec![], "url:"),
        ("https://[::1]/hook", vec![], "url:"),
        // Forms that reach a private IPv4 address through a translator, and special-purpose
        // blocks (RFC 6890).
        ("https://[64:ff9b::a00:1]/hook", vec![], "url:"),
        ("https://[2002:a00:1::1]/hook", vec![], "url:"),
        ("https://[::ffff:5db8:d70e]/hook", vec![], "url:"),
        ("https://[::a00:1]/hook", vec![], "url:"),
        ("https://198.18.0.1/hook", vec![], "url:"),
        ("https://240.0.0.1/hook", vec![], "url:"),
        ("https://192.0.0.8/hook", vec![], "url:"),
        // Ports other than 443 reach other services of the host.
        ("https://93.184.215.14:8443/hook", vec![], "url:"),
        ("https://93.184.215.14:22/hook", vec![], "url:"),
        ("https://user:secret@93.184.215.14/hook", vec![], "url:"),
        (
            "https://93.184.215.14/hook",
            vec![NotificationKind::OffersSuggested as i32],
            "kinds[0]:",
        ),
    ];
    let mut client = service.school(school);
    for (url, kinds, field) in cases {
        let (code, message) = refused(client.register_webhook(register(url, kinds)).await);
        assert_eq!(code, Code::InvalidArgument, "{url}: {message}");
        assert!(message.starts_with(field), "{message} should name {field}");
    }
    let registered = client
        .register_webhook(register(
            "https://93.184.215.14/hook",
            vec![NotificationKind::LabelDecided as i32],
        ))
        .await
        .unwrap()
        .into_inner();
    let webhook = registered.webhook.unwrap();
    assert_eq!(webhook.kinds, vec![NotificationKind::LabelDecided as i32]);
    for _ in 1..10 {
        client
            .register_webhook(register("https://93.184.215.14/hook", vec![]))
            .await
            .unwrap();
    }
    let (code, _) = refused(
        client
            .register_webhook(register("https://93.184.215.14/hook", vec![]))
            .await,
    );
    assert_eq!(code, Code::ResourceExhausted, "ten per owner");

    let listed = client
        .list_webhooks(ListWebhooksRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.webhooks.len(), 10);
    assert_eq!(listed.webhooks[0].id, webhook.id, "oldest first");
    let (code, _) = refused(
        service
            .school(SchoolId::new())
            .list_webhooks(ListWebhooksRequest {
                owner: Some(Recipient {
                    role: Role::School as i32,
                    tenant_id: school.to_string(),
                }),
            })
            .await,
    );
    assert_eq!(code, Code::PermissionDenied);
    let (code, _) = refused(
        service
            .school(SchoolId::new())
            .delete_webhook(DeleteWebhookRequest {
                webhook_id: webhook.id.clone(),
            })
            .await,
    );
    assert_eq!(
        code,
        Code::NotFound,
        "another school's webhook is not found"
    );
    client
        .delete_webhook(DeleteWebhookRequest {
            webhook_id: webhook.id.clone(),
        })
        .await
        .unwrap();
    let (code, _) = refused(
        client
            .delete_webhook(DeleteWebhookRequest {
                webhook_id: webhook.id.clone(),
            })
            .await,
    );
    assert_eq!(code, Code::NotFound, "deleted once");
    let (kept, secret): (i64, String) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM webhooks WHERE secret = $1),
                (SELECT secret FROM webhooks WHERE id = $2::uuid)",
    )
    .bind(&registered.secret)
    .bind(&webhook.id)
    .fetch_one(&service.pool)
    .await
    .unwrap();
    assert_eq!(
        kept, 0,
        "a deleted webhook's secret is gone from the database"
    );
    assert!(secret.is_empty());
}
