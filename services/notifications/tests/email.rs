//! Email end to end, with a contact directory giving addresses at delivery time (where the
//! candidates service would) and a real SMTP server on loopback receiving them: a suggestion
//! makes one French email with its facts; an opted-out candidate gets none; a digest gathers a
//! day's items into one email; a candidate the directory does not know is not emailed. No
//! address or message body is kept by the notifications service. That an erased candidate is
//! never contacted again needs the candidates service too: see the workspace's
//! `tests/tests/notifications_with_candidates.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Timelike as _, Utc};
use support::events::{
    TestApplication, candidates_suggested, offers_suggested, set_preference, two_offers,
};
use support::harness::PATIENCE;
use support::platform::Platform;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::notifications::v1::{
    Cadence, GetPreferencesRequest, NotificationKind, UpdatePreferencesRequest,
};
use vte_testbed::eventually;

fn siren() -> Siren {
    Siren::parse("732829320").unwrap()
}

/// Nothing the service stores mentions `needle` (an address or a name).
async fn nothing_stored_mentions(platform: &Platform, needle: &str) {
    for table in ["notifications", "deliveries", "outbox"] {
        let found: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {table} t WHERE position(lower($1) in lower(t::text)) > 0"
        )))
        .bind(needle)
        .fetch_one(&platform.notifications.pool)
        .await
        .unwrap();
        assert_eq!(found, 0, "{table} mentions {needle}");
    }
}

#[tokio::test]
async fn a_suggestion_event_produces_one_french_email_with_the_facts() {
    let platform = Platform::start().await;
    let school = SchoolId::new();
    let address = "jeanne.martin@ecole.example";
    let candidate = platform.push_student(school, "Jeanne", address).await;
    let (figeac, rodez) = two_offers(&platform.notifications).await;

    let suggested = offers_suggested(
        candidate,
        school,
        &[
            (
                &figeac,
                0.87,
                "Mission technologie, votre préférence ; 12 km de chez vous",
            ),
            (
                &rodez,
                0.64,
                "Dans le Territoire d'industrie Rodez-Decazeville",
            ),
        ],
    );
    platform.notifications.publish(&suggested).await;

    let sink = &platform.notifications.smtp;
    let email = eventually("the suggestion email", PATIENCE, || async {
        sink.to(address)
            .into_iter()
            .find(|m| m.subject() == "2 offres VTE pour vous")
    })
    .await;
    let text = email.text();
    assert!(text.starts_with("Bonjour Jeanne,"), "{text}");
    assert!(text.contains("« Ingénieur méthodes industrialisation » chez Usinage du Célé (Figeac) — 87 % : Mission technologie, votre préférence ; 12 km de chez vous"), "{text}");
    assert!(text.contains("« Chargée de transformation numérique » chez Aveyron Composites (Rodez) — 64 % : Dans le Territoire d'industrie Rodez-Decazeville"), "{text}");
    assert!(
        text.contains("Prochaine étape : consultez ces offres et postulez"),
        "{text}"
    );
    assert!(
        text.contains("https://vte-france.fr/offres-suggerees"),
        "{text}"
    );
    let html = email.html();
    assert!(
        html.contains("Usinage du Célé (Figeac)") && html.contains("lang=\"fr\""),
        "{html}"
    );
    assert_eq!(email.from, "notifications@vte-france.fr");

    // One email for the suggestion, whatever else the candidate got (the consent request of a
    // new profile).
    platform
        .notifications
        .wait_handled(&suggested.event_id)
        .await;
    let delivered = eventually("the delivery to be recorded", PATIENCE, || async {
        let rows: Vec<(String, i32)> = sqlx::query_as(
            "SELECT status, attempts FROM deliveries WHERE channel = 'EMAIL' AND kind = 'OFFERS_SUGGESTED'",
        )
        .fetch_all(&platform.notifications.pool)
        .await
        .unwrap();
        rows.iter().all(|(status, _)| status == "DELIVERED").then_some(rows)
    })
    .await;
    assert_eq!(delivered, vec![("DELIVERED".to_owned(), 1)]);
    let suggestions = sink
        .to(address)
        .into_iter()
        .filter(|m| m.subject() == "2 offres VTE pour vous")
        .count();
    assert_eq!(suggestions, 1);
    nothing_stored_mentions(&platform, address).await;
    nothing_stored_mentions(&platform, "Jeanne").await;
}

#[tokio::test]
async fn an_opted_out_candidate_receives_no_email_while_another_does() {
    let platform = Platform::start().await;
    let school = SchoolId::new();
    let opted_out = platform
        .push_student(school, "Léa", "lea@ecole.example")
        .await;
    let other = platform
        .push_student(school, "Hugo", "hugo@ecole.example")
        .await;
    set_preference(
        &platform.notifications,
        opted_out,
        NotificationKind::OffersSuggested,
        false,
        Cadence::Immediate,
    )
    .await;
    let (figeac, _) = two_offers(&platform.notifications).await;

    let to_opted_out = offers_suggested(
        opted_out,
        school,
        &[(&figeac, 0.9, "Très proche de votre profil")],
    );
    let to_other = offers_suggested(
        other,
        school,
        &[(&figeac, 0.9, "Très proche de votre profil")],
    );
    platform.notifications.publish(&to_opted_out).await;
    platform.notifications.publish(&to_other).await;
    platform
        .notifications
        .wait_handled(&to_opted_out.event_id)
        .await;

    let sink = &platform.notifications.smtp;
    eventually("the other candidate's email", PATIENCE, || async {
        sink.to("hugo@ecole.example")
            .into_iter()
            .find(|m| m.subject() == "Une offre VTE pour vous")
    })
    .await;
    assert!(
        sink.to("lea@ecole.example")
            .iter()
            .all(|m| m.subject() != "Une offre VTE pour vous"),
        "the opted-out candidate got the suggestion"
    );
    let theirs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE recipient_tenant = $1 AND kind = 'OFFERS_SUGGESTED'",
    )
    .bind(opted_out.to_string())
    .fetch_one(&platform.notifications.pool)
    .await
    .unwrap();
    assert_eq!(theirs, 0, "nothing in-app either");
}

#[tokio::test]
async fn a_digest_gathers_a_days_items_into_one_email() {
    let platform = Platform::start().await;
    let school = SchoolId::new();
    let address = "camille@ecole.example";
    let candidate = platform.push_student(school, "Camille", address).await;
    set_preference(
        &platform.notifications,
        candidate,
        NotificationKind::ApplicationStatusChanged,
        true,
        Cadence::DailyDigest,
    )
    .await;
    let (figeac, rodez) = two_offers(&platform.notifications).await;
    let first = TestApplication::new(&figeac, candidate, school);
    let second = TestApplication::new(&rodez, candidate, school);
    for event in [
        first.review_started(),
        second.review_started(),
        first.refused("Profil retenu plus proche du poste."),
    ] {
        platform.notifications.publish(&event).await;
        platform.notifications.wait_handled(&event.event_id).await;
    }
    let sink = &platform.notifications.smtp;
    let digests = |sink: &support::smtp::SmtpSink| {
        sink.to(address)
            .into_iter()
            .filter(|m| m.subject().starts_with("Votre résumé du jour"))
            .collect::<Vec<_>>()
    };
    let pending: Vec<(String, chrono::DateTime<Utc>)> = sqlx::query_as(
        "SELECT status, next_attempt_at FROM deliveries WHERE channel = 'EMAIL' AND digest",
    )
    .fetch_all(&platform.notifications.pool)
    .await
    .unwrap();
    assert_eq!(pending.len(), 3);
    let digest = platform.notifications.own.digest;
    let due = digest.due(Utc::now());
    for (status, at) in &pending {
        assert_eq!(status, "PENDING");
        assert!(
            (*at - due).num_minutes().abs() < 1,
            "due at the next morning's digest hour ({at} vs {due})"
        );
    }
    let local = due.with_timezone(&digest.time_zone);
    assert_eq!(local.hour(), digest.hour, "at the hour in the time zone");
    assert!(digests(sink).is_empty(), "nothing before the digest hour");

    // Tomorrow at the digest hour.
    let digest_time = due + Duration::seconds(1);
    let sent = platform
        .notifications
        .worker()
        .send_digests(digest_time)
        .await
        .unwrap();
    assert_eq!(sent, 1, "one email for the recipient's one kind");

    let digest = eventually("the digest email", PATIENCE, || async {
        digests(sink).into_iter().next()
    })
    .await;
    assert_eq!(
        digest.subject(),
        "Votre résumé du jour : suivi des candidatures (3)"
    );
    let text = digest.text();
    assert!(text.starts_with("Bonjour Camille,"), "{text}");
    assert_eq!(text.matches("## ").count(), 3, "{text}");
    assert_eq!(
        text.matches("## Votre candidature est en cours d'examen")
            .count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("## Votre candidature n'est pas retenue"),
        "{text}"
    );
    assert!(
        text.contains("Aveyron Composites (Rodez)") && text.contains("Usinage du Célé (Figeac)"),
        "{text}"
    );
    assert!(
        text.contains("Motif : Profil retenu plus proche du poste."),
        "{text}"
    );
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status FROM deliveries WHERE channel = 'EMAIL' AND digest")
            .fetch_all(&platform.notifications.pool)
            .await
            .unwrap();
    assert_eq!(statuses, vec!["DELIVERED"; 3]);
    assert_eq!(
        platform
            .notifications
            .worker()
            .send_digests(digest_time)
            .await
            .unwrap(),
        0,
        "sent once"
    );
    assert_eq!(digests(sink).len(), 1);
}

#[tokio::test]
async fn a_candidate_the_candidates_service_does_not_know_is_not_emailed() {
    let platform = Platform::start().await;
    let (figeac, _) = two_offers(&platform.notifications).await;
    let stranger = CandidateId::new();
    let suggested = offers_suggested(stranger, SchoolId::new(), &[(&figeac, 0.7, "Proche")]);
    platform.notifications.publish(&suggested).await;

    let failed = eventually("the email delivery to fail for good", PATIENCE, || async {
        let row: Option<(String, i32, String)> = sqlx::query_as(
            "SELECT status, attempts, last_error FROM deliveries WHERE channel = 'EMAIL' AND recipient_tenant = $1",
        )
        .bind(stranger.to_string())
        .fetch_optional(&platform.notifications.pool)
        .await
        .unwrap();
        row.filter(|(status, ..)| status == "FAILED")
    })
    .await;
    assert_eq!(
        failed,
        ("FAILED".to_owned(), 1, "recipient_unknown".to_owned())
    );
    assert_eq!(platform.notifications.smtp.count(), 0);
}

#[tokio::test]
async fn a_company_that_registered_its_address_is_emailed_about_suggested_candidates() {
    let platform = Platform::start().await;
    let (figeac, rodez) = two_offers(&platform.notifications).await;
    let address = "recrutement@usinage-du-cele.example";
    let mut company = platform.notifications.company(siren());
    let registered = company
        .update_preferences(UpdatePreferencesRequest {
            recipient: None,
            preferences: vec![],
            email_address: Some(address.to_owned()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(registered.email_address, address);
    let read = company
        .get_preferences(GetPreferencesRequest { recipient: None })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.email_address, address);

    let suggested = candidates_suggested(&figeac, &[(CandidateId::new(), 0.91)]);
    platform.notifications.publish(&suggested).await;
    let sink = &platform.notifications.smtp;
    let email = eventually("the company's email", PATIENCE, || async {
        sink.to(address).into_iter().next()
    })
    .await;
    assert!(email.text().starts_with("Bonjour,"), "{}", email.text());
    assert!(
        email
            .text()
            .contains("Ingénieur méthodes industrialisation"),
        "{}",
        email.text()
    );
    nothing_stored_mentions(&platform, address).await;

    // The other company gave no address: in-app only.
    let other = candidates_suggested(&rodez, &[(CandidateId::new(), 0.8)]);
    platform.notifications.publish(&other).await;
    platform.notifications.wait_handled(&other.event_id).await;
    let emails: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE channel = 'EMAIL' AND recipient_tenant = '552100554'",
    )
    .fetch_one(&platform.notifications.pool)
    .await
    .unwrap();
    assert_eq!(emails, 0);

    // A malformed address, and a candidate's, are refused by name.
    let malformed = company
        .update_preferences(UpdatePreferencesRequest {
            recipient: None,
            preferences: vec![],
            email_address: Some("recrutement".to_owned()),
        })
        .await
        .unwrap_err();
    assert!(
        malformed.message().starts_with("email_address:"),
        "{malformed:?}"
    );
    let candidate = platform
        .notifications
        .candidate(CandidateId::new())
        .update_preferences(UpdatePreferencesRequest {
            recipient: None,
            preferences: vec![],
            email_address: Some("moi@example.fr".to_owned()),
        })
        .await
        .unwrap_err();
    assert!(
        candidate.message().starts_with("email_address:"),
        "{candidate:?}"
    );
}
