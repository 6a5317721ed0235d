//! The notifications service's bad requests: another recipient's inbox, preferences and
//! webhooks, lists of ids and preferences too long, malformed ids, unknown kinds and cadences,
//! webhook addresses it must not call, and page tokens of other filters.

use vte_domain::{SchoolId, Siren};
use vte_proto::vte::common::v1::{PageRequest, Role};
use vte_proto::vte::notifications::v1::{
    DeleteWebhookRequest, GetPreferencesRequest, KindPreference, ListDeadLettersRequest,
    ListNotificationsRequest, ListWebhooksRequest, MarkReadRequest, Recipient,
    RedeliverDeadLettersRequest, RegisterWebhookRequest, UpdatePreferencesRequest,
};
use vte_service::auth::Caller;
use vte_wire::page::InstantId;

use crate::bed::{Bed, OTHER_SIREN, SIREN, company, school};
use crate::case::{Case, DENIED, INVALID, NOT_FOUND, case, raw_call};

fn a_company(siren: &str) -> Option<Recipient> {
    Some(Recipient {
        role: Role::Company as i32,
        tenant_id: siren.to_owned(),
    })
}

fn webhook(url: &str, kinds: Vec<i32>) -> RegisterWebhookRequest {
    RegisterWebhookRequest {
        url: url.to_owned(),
        kinds,
        owner: None,
    }
}

fn page(size: u32, token: String) -> Option<PageRequest> {
    Some(PageRequest {
        page_size: size,
        page_token: token,
    })
}

/// The cases.
pub fn cases(bed: &Bed) -> Vec<Case> {
    let owner = bed.notifications(&company(SIREN));
    let a_school = bed.notifications(&school(SchoolId::new()));
    let site = bed.notifications(&Caller::Site);
    let unknown = uuid::Uuid::now_v7().to_string();
    // A token the inbox of unread notifications gave out (it is bound to those filters).
    let mine = Siren::parse(SIREN).unwrap();
    let unread = vte_notifications::mapping::inbox_filters(
        Some(&vte_notifications::domain::Recipient::Company(mine)),
        true,
    );
    let cursor = InstantId {
        at: chrono::Utc::now(),
        id: uuid::Uuid::now_v7(),
    };
    let unread_token = vte_wire::page::page_response_for(Some(&cursor), unread).next_page_token;

    vec![
        case(
            "inbox: another company's",
            DENIED,
            call!(
                owner,
                list_notifications,
                ListNotificationsRequest {
                    recipient: a_company(OTHER_SIREN),
                    ..ListNotificationsRequest::default()
                }
            ),
        ),
        case(
            "inbox: a recipient with a malformed SIREN",
            INVALID,
            call!(
                owner,
                list_notifications,
                ListNotificationsRequest {
                    recipient: a_company(&"9".repeat(100_000)),
                    ..ListNotificationsRequest::default()
                }
            ),
        )
        .naming("recipient.tenant_id"),
        case(
            "inbox: pages of 101",
            INVALID,
            call!(
                owner,
                list_notifications,
                ListNotificationsRequest {
                    page: page(101, String::new()),
                    ..ListNotificationsRequest::default()
                }
            ),
        )
        .naming("page.page_size"),
        case(
            "inbox: a page token never given out",
            INVALID,
            call!(
                owner,
                list_notifications,
                ListNotificationsRequest {
                    page: page(10, "x".repeat(100_000)),
                    ..ListNotificationsRequest::default()
                }
            ),
        )
        .naming("page.page_token"),
        case(
            "inbox: the unread inbox's page token for the whole inbox",
            INVALID,
            call!(
                owner,
                list_notifications,
                ListNotificationsRequest {
                    unread_only: false,
                    page: page(10, unread_token),
                    ..ListNotificationsRequest::default()
                }
            ),
        )
        .naming("page.page_token"),
        case(
            "mark read: 101 ids",
            INVALID,
            call!(
                owner,
                mark_read,
                MarkReadRequest {
                    notification_ids: vec![unknown.clone(); 101],
                    all: false,
                }
            ),
        )
        .naming("notification_ids"),
        case(
            "mark read: a malformed id",
            INVALID,
            call!(
                owner,
                mark_read,
                MarkReadRequest {
                    notification_ids: vec!["n-1".to_owned()],
                    all: false,
                }
            ),
        )
        .naming("notification_ids[0]"),
        case(
            "mark read: ids and all at once",
            INVALID,
            call!(
                owner,
                mark_read,
                MarkReadRequest {
                    notification_ids: vec![unknown.clone()],
                    all: true,
                }
            ),
        )
        .naming("notification_ids"),
        case(
            "preferences: another company's",
            DENIED,
            call!(
                owner,
                get_preferences,
                GetPreferencesRequest {
                    recipient: a_company(OTHER_SIREN),
                }
            ),
        ),
        case(
            "preferences: kind number 99",
            INVALID,
            call!(
                owner,
                update_preferences,
                UpdatePreferencesRequest {
                    recipient: None,
                    preferences: vec![KindPreference {
                        kind: 99,
                        enabled: true,
                        cadence: 0,
                    }],
                    email_address: None,
                }
            ),
        )
        .naming("preferences[0].kind"),
        case(
            "preferences: 100,000 entries",
            INVALID,
            call!(
                owner,
                update_preferences,
                UpdatePreferencesRequest {
                    recipient: None,
                    preferences: vec![
                        KindPreference {
                            kind: 1,
                            enabled: true,
                            cadence: 1,
                        };
                        100_000
                    ],
                    email_address: None,
                }
            ),
        )
        .naming("preferences"),
        case(
            "preferences: a 100,000-character email address",
            INVALID,
            call!(
                owner,
                update_preferences,
                UpdatePreferencesRequest {
                    recipient: None,
                    preferences: Vec::new(),
                    email_address: Some(format!("{}@example.fr", "a".repeat(100_000))),
                }
            ),
        )
        .naming("email_address"),
        case(
            "webhook: registered by a company",
            DENIED,
            call!(
                owner,
                register_webhook,
                webhook("https://hooks.example.fr/vte", Vec::new())
            ),
        ),
        case(
            "webhook: registered by the site",
            DENIED,
            call!(
                site,
                register_webhook,
                webhook("https://hooks.example.fr/vte", Vec::new())
            ),
        ),
        case(
            "webhook: a plain-http address",
            INVALID,
            call!(
                a_school,
                register_webhook,
                webhook("http://hooks.example.fr/vte", Vec::new())
            ),
        )
        .naming("url"),
        case(
            "webhook: a loopback address",
            INVALID,
            call!(
                a_school,
                register_webhook,
                webhook("https://127.0.0.1/vte", Vec::new())
            ),
        )
        .naming("url"),
        case(
            "webhook: a 3 MiB address",
            INVALID,
            call!(
                a_school,
                register_webhook,
                webhook(
                    &format!("https://{}.fr/", "h".repeat(3 * 1024 * 1024)),
                    Vec::new(),
                )
            ),
        )
        .naming("url"),
        case(
            "webhook: kind number 99",
            INVALID,
            call!(
                a_school,
                register_webhook,
                webhook("https://hooks.example.fr/vte", vec![99])
            ),
        )
        .naming("kinds[0]"),
        case(
            "webhook: 100,000 kinds",
            INVALID,
            call!(
                a_school,
                register_webhook,
                webhook("https://hooks.example.fr/vte", vec![1; 100_000])
            ),
        )
        .naming("kinds"),
        case(
            "webhooks: another company's",
            DENIED,
            call!(
                owner,
                list_webhooks,
                ListWebhooksRequest {
                    owner: a_company(OTHER_SIREN),
                }
            ),
        ),
        case(
            "webhook: deleting an unknown one",
            NOT_FOUND,
            call!(
                a_school,
                delete_webhook,
                DeleteWebhookRequest {
                    webhook_id: unknown.clone(),
                }
            ),
        ),
        case(
            "webhook: deleting a malformed id",
            INVALID,
            call!(
                a_school,
                delete_webhook,
                DeleteWebhookRequest {
                    webhook_id: "w".repeat(1_000),
                }
            ),
        )
        .naming("webhook_id"),
        case(
            "dead letters: a malformed webhook id",
            INVALID,
            call!(
                a_school,
                list_dead_letters,
                ListDeadLettersRequest {
                    webhook_id: "nil".to_owned(),
                    page: None,
                }
            ),
        )
        .naming("webhook_id"),
        case(
            "redeliver: 1,001 ids",
            INVALID,
            call!(
                a_school,
                redeliver_dead_letters,
                RedeliverDeadLettersRequest {
                    webhook_id: unknown.clone(),
                    delivery_ids: vec![unknown.clone(); 1_001],
                }
            ),
        )
        .naming("delivery_ids"),
        case(
            "redeliver: an unknown webhook",
            NOT_FOUND,
            call!(
                a_school,
                redeliver_dead_letters,
                RedeliverDeadLettersRequest {
                    webhook_id: unknown.clone(),
                    delivery_ids: Vec::new(),
                }
            ),
        ),
        case(
            "webhook: deleting an id that is not UTF-8",
            INVALID,
            raw_call(
                bed.raw(&bed.notifications, &school(SchoolId::new())),
                "/vte.notifications.v1.NotificationsService/DeleteWebhook",
                // Field 1 (webhook_id), length 2, bytes 0xff 0xfe.
                vec![0x0a, 0x02, 0xff, 0xfe],
            ),
        ),
        case(
            "inbox: a field number 0, which protobuf does not have",
            INVALID,
            raw_call(
                bed.raw(&bed.notifications, &company(SIREN)),
                "/vte.notifications.v1.NotificationsService/ListNotifications",
                vec![0x00, 0x01],
            ),
        ),
    ]
}
