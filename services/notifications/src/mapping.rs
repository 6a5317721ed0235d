//! Conversions between the wire contract (`vte.notifications.v1`, `vte.common.v1`) and the
//! domain, written once for the API, the webhooks and the events. Decoders name the field and
//! the rule of anything they refuse.

use chrono::{DateTime, Utc};
use prost_types::Timestamp;
use uuid::Uuid;
use vte_domain::{CandidateId, FieldError, InvalidValue, SchoolId, Siren};
use vte_proto::vte::common::v1::{PageResponse, Role};
use vte_proto::vte::notifications::v1 as wire;
use vte_wire::page::{Filters, InstantId};

use crate::domain::{Cadence, Channel, DeliveryStatus, Kind, Recipient};
use crate::store::deliveries::DeliveryRecord;
use crate::store::notifications::StoredNotification;
use crate::store::preferences::Preference;
use crate::store::webhooks::Webhook;

/// The wire kind of a domain kind.
pub fn kind_to_proto(kind: Kind) -> wire::NotificationKind {
    use wire::NotificationKind as W;
    match kind {
        Kind::ApplicationReceived => W::ApplicationReceived,
        Kind::ApplicationStatusChanged => W::ApplicationStatusChanged,
        Kind::CandidatesSuggested => W::CandidatesSuggested,
        Kind::OffersSuggested => W::OffersSuggested,
        Kind::PlacementStatusChanged => W::PlacementStatusChanged,
        Kind::LabelDecided => W::LabelDecided,
        Kind::ConsentRequested => W::ConsentRequested,
        Kind::ApplicationsAwaitingReview => W::ApplicationsAwaitingReview,
        Kind::OfferExpiring => W::OfferExpiring,
        Kind::LabelsAwaitingDecision => W::LabelsAwaitingDecision,
        Kind::ProfileRetired => W::ProfileRetired,
        Kind::LabelRequestDue => W::LabelRequestDue,
        Kind::InvitedToApply => W::InvitedToApply,
    }
}

/// The domain kind of a wire number; refuses unknown numbers and UNSPECIFIED.
pub fn kind_from_proto(number: i32) -> Result<Kind, InvalidValue> {
    let kind = wire::NotificationKind::try_from(number)
        .map_err(|_| InvalidValue::new(format!("must be a NotificationKind, got {number}")))?;
    Kind::ALL
        .into_iter()
        .find(|candidate| kind_to_proto(*candidate) == kind)
        .ok_or_else(|| InvalidValue::new("must not be NOTIFICATION_KIND_UNSPECIFIED"))
}

/// The wire channel of a domain channel.
pub fn channel_to_proto(channel: Channel) -> wire::DeliveryChannel {
    match channel {
        Channel::InApp => wire::DeliveryChannel::InApp,
        Channel::Email => wire::DeliveryChannel::Email,
        Channel::Webhook => wire::DeliveryChannel::Webhook,
    }
}

/// The wire status of a domain status.
pub fn status_to_proto(status: DeliveryStatus) -> wire::DeliveryStatus {
    match status {
        DeliveryStatus::Pending => wire::DeliveryStatus::Pending,
        DeliveryStatus::Retrying => wire::DeliveryStatus::Retrying,
        DeliveryStatus::Delivered => wire::DeliveryStatus::Delivered,
        DeliveryStatus::Failed => wire::DeliveryStatus::Failed,
    }
}

/// The wire cadence of a domain cadence.
pub fn cadence_to_proto(cadence: Cadence) -> wire::Cadence {
    match cadence {
        Cadence::Immediate => wire::Cadence::Immediate,
        Cadence::DailyDigest => wire::Cadence::DailyDigest,
    }
}

/// The domain cadence of a wire number; UNSPECIFIED means immediate (the default).
pub fn cadence_from_proto(number: i32) -> Result<Cadence, InvalidValue> {
    match wire::Cadence::try_from(number) {
        Ok(wire::Cadence::Unspecified | wire::Cadence::Immediate) => Ok(Cadence::Immediate),
        Ok(wire::Cadence::DailyDigest) => Ok(Cadence::DailyDigest),
        Err(_) => Err(InvalidValue::new(format!(
            "must be a Cadence, got {number}"
        ))),
    }
}

/// The wire recipient of a domain recipient.
pub fn recipient_to_proto(recipient: &Recipient) -> wire::Recipient {
    let role = match recipient {
        Recipient::Company(_) => Role::Company,
        Recipient::School(_) => Role::School,
        Recipient::Candidate(_) => Role::Candidate,
        Recipient::Bpifrance => Role::Bpifrance,
    };
    wire::Recipient {
        role: role as i32,
        tenant_id: recipient.tenant(),
    }
}

/// The domain recipient a request names at `field`.
pub fn recipient_from_proto(named: &wire::Recipient, field: &str) -> Result<Recipient, FieldError> {
    let tenant = named.tenant_id.trim();
    let at = |rule: InvalidValue, sub: &str| rule.at(format!("{field}.{sub}"));
    match Role::try_from(named.role) {
        Ok(Role::Company) => Siren::parse(tenant)
            .map(Recipient::Company)
            .map_err(|rule| at(rule, "tenant_id")),
        Ok(Role::School) => SchoolId::parse(tenant)
            .map(Recipient::School)
            .map_err(|rule| at(rule, "tenant_id")),
        Ok(Role::Candidate) => CandidateId::parse(tenant)
            .map(Recipient::Candidate)
            .map_err(|rule| at(rule, "tenant_id")),
        Ok(Role::Bpifrance) if tenant.is_empty() => Ok(Recipient::Bpifrance),
        Ok(Role::Bpifrance) => Err(at(
            InvalidValue::new("must be empty for ROLE_BPIFRANCE"),
            "tenant_id",
        )),
        _ => Err(at(
            InvalidValue::new(
                "must be ROLE_COMPANY, ROLE_SCHOOL, ROLE_CANDIDATE or ROLE_BPIFRANCE",
            ),
            "role",
        )),
    }
}

/// A timestamp on the wire.
pub fn timestamp(at: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A wire timestamp as a date-time; `None` when absent or out of range.
pub fn from_timestamp(at: Option<&Timestamp>) -> Option<DateTime<Utc>> {
    let at = at?;
    DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).unwrap_or(0))
}

/// The wire form of an in-app notification.
pub fn notification_to_proto(notification: &StoredNotification) -> wire::Notification {
    wire::Notification {
        id: notification.id.to_string(),
        recipient: Some(recipient_to_proto(&notification.recipient)),
        kind: kind_to_proto(notification.kind) as i32,
        title: notification.text.title.clone(),
        body: notification.text.body.clone(),
        link: notification.text.link.clone(),
        subject_id: notification
            .subject_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        created_at: Some(timestamp(notification.created_at)),
        read_at: notification.read_at.map(timestamp),
    }
}

/// The wire form of a delivery.
pub fn delivery_to_proto(delivery: &DeliveryRecord) -> wire::Delivery {
    wire::Delivery {
        id: delivery.id.to_string(),
        notification_id: delivery.notification_id.to_string(),
        kind: kind_to_proto(delivery.kind) as i32,
        recipient: Some(recipient_to_proto(&delivery.recipient)),
        channel: channel_to_proto(delivery.channel) as i32,
        webhook_id: delivery
            .webhook_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        status: status_to_proto(delivery.status) as i32,
        attempts: delivery.attempts,
        first_attempt_at: delivery.first_attempt_at.map(timestamp),
        last_attempt_at: delivery.last_attempt_at.map(timestamp),
        next_attempt_at: delivery
            .next_attempt_at
            .filter(|_| delivery.status == DeliveryStatus::Retrying)
            .map(timestamp),
        delivered_at: delivery.delivered_at.map(timestamp),
        last_http_status: u32::from(delivery.last_http_status),
        last_error: delivery.last_error.clone(),
    }
}

/// The wire form of a recipient's choice for one kind.
pub fn preference_to_proto(preference: &Preference) -> wire::KindPreference {
    wire::KindPreference {
        kind: kind_to_proto(preference.kind) as i32,
        enabled: preference.enabled,
        cadence: cadence_to_proto(preference.cadence) as i32,
    }
}

/// The wire form of a registered webhook (never its secret).
pub fn webhook_to_proto(webhook: &Webhook) -> wire::Webhook {
    wire::Webhook {
        id: webhook.id.to_string(),
        owner: Some(recipient_to_proto(&webhook.owner)),
        url: webhook.url.clone(),
        kinds: webhook
            .kinds
            .iter()
            .map(|kind| kind_to_proto(*kind) as i32)
            .collect(),
        created_at: Some(timestamp(webhook.created_at)),
    }
}

/// The filters an inbox's page tokens are bound to: whose inbox, unread only or not.
pub fn inbox_filters(recipient: Option<&Recipient>, unread_only: bool) -> Filters {
    Filters::NONE
        .with("recipient", recipient)
        .with("unread_only", unread_only)
}

/// The filters a list of dead letters' page tokens are bound to: which webhook.
pub fn dead_letter_filters(webhook: Option<Uuid>) -> Filters {
    Filters::NONE.with("webhook_id", webhook)
}

/// Where the next page starts, as a token for the client (empty on the last page), bound to
/// the list's `filters`.
pub fn page_response(next: Option<&InstantId>, filters: Filters) -> Option<PageResponse> {
    Some(vte_wire::page::page_response_for(next, filters))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_unspecified_is_refused() {
        for kind in Kind::ALL {
            assert_eq!(kind_from_proto(kind_to_proto(kind) as i32), Ok(kind));
        }
        assert!(kind_from_proto(0).is_err());
        assert!(kind_from_proto(99).is_err());
    }

    #[test]
    fn a_named_recipient_is_checked_field_by_field() {
        let named = wire::Recipient {
            role: Role::Company as i32,
            tenant_id: "12345".to_owned(),
        };
        let error = recipient_from_proto(&named, "recipient").unwrap_err();
        assert_eq!(error.field(), "recipient.tenant_id");
        let admin = wire::Recipient {
            role: Role::Admin as i32,
            tenant_id: String::new(),
        };
        assert_eq!(
            recipient_from_proto(&admin, "owner").unwrap_err().field(),
            "owner.role"
        );
    }
}
