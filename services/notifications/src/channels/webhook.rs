//! Signed webhook deliveries, as `vte.notifications.v1.Webhook` describes them: an HTTP POST
//! whose body is the proto3 JSON mapping of `WebhookPayload`, with `vte-delivery-id` (the
//! receiver deduplicates on it) and `vte-signature: t=T,v1=S`, S being the hex HMAC-SHA256 of
//! `T.body` keyed with the webhook's secret (the base64url text returned by RegisterWebhook,
//! used as is). A 2xx answer within the timeout counts as delivered; anything else is retried.

use std::sync::OnceLock;
use std::time::Duration;

use hmac::{Hmac, Mac};
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use sha2::Sha256;
use uuid::Uuid;
use vte_proto::vte::notifications::v1::{Notification, WebhookPayload, webhook_payload};

use crate::mapping;
use crate::store::deliveries::{Attempt, Claimed, Endpoint};

/// The header carrying the delivery id.
pub const DELIVERY_ID_HEADER: &str = "vte-delivery-id";
/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "vte-signature";

/// The `v1` signature of `body` sent at `timestamp` (Unix seconds), keyed with `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `header` (`t=T,v1=S`) signs `body` with `secret`; what a receiver checks.
pub fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    let Ok(key) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    signatures.into_iter().any(|signature| {
        let Ok(expected) = hex::decode(signature) else {
            return false;
        };
        let mut mac = key.clone();
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    })
}

/// The descriptor of `WebhookPayload`, from the contract's descriptor set.
fn payload_descriptor() -> Result<&'static MessageDescriptor, String> {
    static DESCRIPTOR: OnceLock<Result<MessageDescriptor, String>> = OnceLock::new();
    DESCRIPTOR
        .get_or_init(|| {
            let pool = DescriptorPool::decode(vte_proto::FILE_DESCRIPTOR_SET)
                .map_err(|error| error.to_string())?;
            pool.get_message_by_name("vte.notifications.v1.WebhookPayload")
                .ok_or_else(|| String::from("WebhookPayload is not in the descriptor set"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The JSON body of a claimed webhook delivery.
pub fn payload_json(delivery: &Claimed) -> Result<Vec<u8>, String> {
    let subject = match &delivery.subject {
        Some((kind, bytes)) if kind == "application" => {
            Some(webhook_payload::Subject::Application(
                prost::Message::decode(bytes.as_slice()).map_err(|e| e.to_string())?,
            ))
        }
        Some((kind, bytes)) if kind == "placement" => Some(webhook_payload::Subject::Placement(
            prost::Message::decode(bytes.as_slice()).map_err(|e| e.to_string())?,
        )),
        _ => None,
    };
    let payload = WebhookPayload {
        delivery_id: delivery.id.to_string(),
        kind: mapping::kind_to_proto(delivery.kind) as i32,
        occurred_at: Some(mapping::timestamp(delivery.occurred_at)),
        notification: Some(Notification {
            id: delivery.notification_id.to_string(),
            recipient: Some(mapping::recipient_to_proto(&delivery.recipient)),
            kind: mapping::kind_to_proto(delivery.kind) as i32,
            title: delivery.text.title.clone(),
            body: delivery.text.body.clone(),
            link: delivery.text.link.clone(),
            subject_id: delivery
                .subject_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            created_at: Some(mapping::timestamp(delivery.created_at)),
            read_at: None,
        }),
        subject,
    };
    let dynamic = DynamicMessage::decode(
        payload_descriptor()?.clone(),
        payload.encode_to_vec().as_slice(),
    )
    .map_err(|error| error.to_string())?;
    serde_json::to_vec(&dynamic).map_err(|error| error.to_string())
}

/// Posts signed payloads to webhooks.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
}

impl WebhookSender {
    /// A sender whose calls time out after `timeout`. Redirects are not followed: an endpoint
    /// answers itself.
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("vte-notifications/1")
            .build()?;
        Ok(Self { client })
    }

    /// POSTs `body`, signed now, to `endpoint` as delivery `delivery_id`.
    pub async fn send(&self, endpoint: &Endpoint, delivery_id: Uuid, body: Vec<u8>) -> Attempt {
        let timestamp = chrono::Utc::now().timestamp();
        let signature = signature(&endpoint.secret, timestamp, &body);
        let sent = self
            .client
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(DELIVERY_ID_HEADER, delivery_id.to_string())
            .header(SIGNATURE_HEADER, format!("t={timestamp},v1={signature}"))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Attempt::Delivered {
                http_status: response.status().as_u16(),
            },
            Ok(response) => Attempt::Failed {
                error: "http_status",
                http_status: response.status().as_u16(),
                permanent: false,
            },
            Err(error) => Attempt::Failed {
                error: if error.is_timeout() {
                    "timeout"
                } else if error.is_connect() {
                    "connect"
                } else {
                    "request"
                },
                http_status: 0,
                permanent: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_secret_only() {
        let body = br#"{"deliveryId":"x"}"#;
        let header = format!(
            "t=1700000000,v1={}",
            signature("secret-a", 1_700_000_000, body)
        );
        assert!(verify("secret-a", &header, body));
        assert!(!verify("secret-b", &header, body));
        assert!(!verify("secret-a", &header, b"{}"));
        assert!(!verify("secret-a", "v1=00", body));
    }
}
