//! Every email the service sends carries a `Message-ID` of its own (RFC 5322 3.6.4), on the
//! sender's domain and naming neither the recipient nor the host: relays and mail clients
//! thread and deduplicate by it, and spam filters mark mail without one. It is the delivery's
//! id, so an email sent again after a crash carries the same one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;

use support::events::{offers_suggested, two_offers};
use support::harness::PATIENCE;
use support::platform::Platform;
use vte_domain::SchoolId;
use vte_testbed::eventually;

#[tokio::test]
async fn every_email_carries_a_message_id_of_its_own() {
    let platform = Platform::start().await;
    let school = SchoolId::new();
    let students = [
        ("Jeanne", "jeanne.martin@ecole.example"),
        ("Hugo", "hugo.bernard@ecole.example"),
        ("Léa", "lea.dubois@ecole.example"),
    ];
    let mut candidates = Vec::new();
    for (first_name, address) in students {
        candidates.push(platform.push_student(school, first_name, address).await);
    }
    let (figeac, rodez) = two_offers(&platform.notifications).await;
    for candidate in &candidates {
        for offer in [&figeac, &rodez] {
            let suggested = offers_suggested(
                *candidate,
                school,
                &[(offer, 0.8, "Mission technologie, votre préférence")],
            );
            platform.notifications.publish(&suggested).await;
        }
    }

    let sink = &platform.notifications.smtp;
    let emails = eventually("an email to each student", PATIENCE, || async {
        let received = sink.messages();
        students
            .iter()
            .all(|(_, address)| !sink.to(address).is_empty())
            .then_some(received)
    })
    .await;
    let mut ids = HashSet::new();
    for email in &emails {
        let parsed = email.parsed();
        let id = parsed
            .message_id()
            .unwrap_or_else(|| panic!("an email without a Message-ID: {:?}", email.subject()))
            .to_owned();
        let (local, domain) = id.split_once('@').expect("local@domain");
        assert_eq!(domain, "vte-france.fr", "{id}: on the sender's domain");
        assert!(
            students
                .iter()
                .all(|(name, address)| !id.contains(address) && !id.contains(name)),
            "{id} names a recipient"
        );
        let local = local.trim_start_matches('<');
        assert!(
            local.len() == 32 && local.chars().all(|c| c.is_ascii_hexdigit()),
            "{id}: the delivery's opaque id"
        );
        assert!(ids.insert(id.clone()), "{id} sent twice");
    }
    assert!(emails.len() >= students.len());
}
