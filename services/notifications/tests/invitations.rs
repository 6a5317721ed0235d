//! A company's invitation to apply as a notification, end to end through the broker: the
//! candidate invited hears of it (NOTIFICATION_KIND_INVITED_TO_APPLY, naming the offer, the
//! company and the commune, and that their contact data goes only with an application) unless
//! they turned the kind off; the answer to an invitation tells no one more.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Utc;
use support::events::{TestOffer, set_preference, timestamp};
use support::harness::Notifications;
use vte_domain::{CandidateId, Siren};
use vte_proto::vte::common::v1::{Actor, Role};
use vte_proto::vte::invitations::v1::{
    Invitation, InvitationAnswered, InvitationEvent, InvitationSent, InvitationStatus,
    invitation_event::Event,
};
use vte_proto::vte::notifications::v1::{
    Cadence, ListNotificationsRequest, Notification, NotificationKind,
};

async fn inbox(client: &mut support::harness::Client) -> Vec<Notification> {
    client
        .list_notifications(ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications
}

/// The company's invitation of `candidate` to `offer`, as the offers service publishes it.
fn invitation(offer: &TestOffer, candidate: CandidateId) -> Invitation {
    Invitation {
        id: uuid::Uuid::now_v7().to_string(),
        offer_id: offer.id.to_string(),
        company_siren: offer.company.to_string(),
        candidate_id: candidate.to_string(),
        status: InvitationStatus::Pending as i32,
        invited_by: Some(Actor {
            role: Role::Company as i32,
            subject: "recruteur-1".to_owned(),
            tenant_id: offer.company.to_string(),
        }),
        invited_at: Some(timestamp(Utc::now())),
        revision: 1,
        ..Invitation::default()
    }
}

fn envelope(invitation: &Invitation, event: Event) -> InvitationEvent {
    InvitationEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(timestamp(Utc::now())),
        invitation_id: invitation.id.clone(),
        event: Some(event),
    }
}

async fn deliver(service: &Notifications, event: &InvitationEvent) {
    service.publish(event).await;
    service.wait_handled(&event.event_id).await;
}

#[tokio::test]
async fn an_invited_candidate_is_told_unless_they_turned_invitations_off() {
    let service = Notifications::start().await;
    let offer = TestOffer::figeac(Siren::parse("732829320").unwrap());
    let published = offer.published();
    service.publish(&published).await;
    service.wait_handled(&published.event_id).await;
    let (invited, opted_out) = (CandidateId::new(), CandidateId::new());
    set_preference(
        &service,
        opted_out,
        NotificationKind::InvitedToApply,
        false,
        Cadence::Immediate,
    )
    .await;

    let sent = invitation(&offer, invited);
    deliver(
        &service,
        &envelope(
            &sent,
            Event::Sent(InvitationSent {
                invitation: Some(sent.clone()),
                ..InvitationSent::default()
            }),
        ),
    )
    .await;
    let ignored = invitation(&offer, opted_out);
    deliver(
        &service,
        &envelope(
            &ignored,
            Event::Sent(InvitationSent {
                invitation: Some(ignored.clone()),
                ..InvitationSent::default()
            }),
        ),
    )
    .await;

    let told = inbox(&mut service.candidate(invited)).await;
    assert_eq!(told.len(), 1, "{told:?}");
    let notice = &told[0];
    assert_eq!(notice.kind, NotificationKind::InvitedToApply as i32);
    assert_eq!(
        notice.title,
        "Usinage du Célé vous invite à postuler : Ingénieur méthodes industrialisation"
    );
    assert!(
        notice
            .body
            .contains("« Ingénieur méthodes industrialisation » (Figeac)"),
        "{}",
        notice.body
    );
    assert!(
        notice.body.contains("que si vous postulez"),
        "{}",
        notice.body
    );
    assert_eq!(notice.link, format!("/offres/{}", offer.id));
    assert!(inbox(&mut service.candidate(opted_out)).await.is_empty());

    // The candidate declines: nobody is told anything more.
    let declined = Invitation {
        status: InvitationStatus::Declined as i32,
        revision: 2,
        ..sent.clone()
    };
    deliver(
        &service,
        &envelope(
            &declined,
            Event::Answered(InvitationAnswered {
                invitation: Some(declined.clone()),
            }),
        ),
    )
    .await;
    assert_eq!(inbox(&mut service.candidate(invited)).await.len(), 1);
    assert!(inbox(&mut service.company(offer.company)).await.is_empty());
    assert_eq!(service.notifications_of("INVITED_TO_APPLY").await, 1);
}

/// The invitation's event names the offer: a notice written before the offer's own event has
/// arrived (another topic, no order between them) still says who invites to what.
#[tokio::test]
async fn an_invitation_arriving_before_its_offer_is_told_with_the_names_it_carries() {
    let service = Notifications::start().await;
    let offer = TestOffer::figeac(Siren::parse("732829320").unwrap());
    let invited = CandidateId::new();
    let sent = invitation(&offer, invited);
    deliver(
        &service,
        &envelope(
            &sent,
            Event::Sent(InvitationSent {
                invitation: Some(sent.clone()),
                offer_title: "Ingénieur méthodes industrialisation".to_owned(),
                company_name: "Usinage du Célé".to_owned(),
            }),
        ),
    )
    .await;
    let told = inbox(&mut service.candidate(invited)).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        told[0].title,
        "Usinage du Célé vous invite à postuler : Ingénieur méthodes industrialisation"
    );
}
