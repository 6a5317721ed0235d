//! Signed webhook deliveries, as `vte.notifications.v1.Webhook` describes them: an HTTP POST
//! whose body is the proto3 JSON mapping of `WebhookPayload`, with `vte-delivery-id` (the
//! receiver deduplicates on it), `vte-timestamp: T` (the time of sending, Unix seconds) and
//! `vte-signature: t=T,v1=S`, S being the hex HMAC-SHA256 of `T.body` keyed with the webhook's
//! secret (the base64url text returned by RegisterWebhook, used as is). The timestamp is signed
//! with the body, so a receiver refuses a request whose T is more than [`MAX_AGE`] (five
//! minutes) from its own clock ([`verify_fresh`]): a captured request cannot be replayed later.
//! A 2xx answer within the timeout counts as delivered; anything else is retried. Only public
//! addresses ([`super::address`]) on allowed ports are reached, never through a proxy.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hmac::{Hmac, Mac};
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use sha2::Sha256;
use uuid::Uuid;
use vte_proto::vte::applications::v1::Application;
use vte_proto::vte::notifications::v1::{Notification, WebhookPayload, webhook_payload};
use vte_proto::vte::placements::v1::Placement;

use super::address::is_forbidden;
pub use super::address::{Refusal, Targets};
use crate::config::WebhookSettings;
use crate::domain::payload;
use crate::mapping;
use crate::store::deliveries::{Attempt, Claimed, Endpoint};

/// The header carrying the delivery id.
pub const DELIVERY_ID_HEADER: &str = "vte-delivery-id";
/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "vte-signature";
/// The header carrying the signed time of sending (Unix seconds), also the signature's `t`.
pub const TIMESTAMP_HEADER: &str = "vte-timestamp";
/// How old a signed request a receiver accepts: older ones are refused as replays.
pub const MAX_AGE: Duration = Duration::from_secs(5 * 60);

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

/// The time and the signatures of a `t=T,v1=S` header; `None` without exactly one `t`.
fn parse_signature(header: &str) -> Option<(i64, Vec<&str>)> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                if timestamp.is_some() {
                    return None;
                }
                timestamp = Some(value.parse::<i64>().ok()?);
            }
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    Some((timestamp?, signatures))
}

/// Whether `header` (`t=T,v1=S`) signs `body` with `secret`, whenever it was signed.
pub fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let Some((timestamp, signatures)) = parse_signature(header) else {
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

/// Whether `header` signs `body` with `secret` and was signed at most [`MAX_AGE`] away from
/// `now` (Unix seconds): what a receiver checks, so that a captured request replayed later is
/// refused.
pub fn verify_fresh(secret: &str, header: &str, body: &[u8], now: i64) -> bool {
    let Some((signed_at, _)) = parse_signature(header) else {
        return false;
    };
    now.abs_diff(signed_at) <= MAX_AGE.as_secs() && verify(secret, header, body)
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
    // Scrubbed again: rows stored before account subjects were left out still hold them.
    let subject = match &delivery.subject {
        Some((kind, bytes)) if kind == "application" => {
            let mut application: Application =
                prost::Message::decode(bytes.as_slice()).map_err(|e| e.to_string())?;
            payload::scrub_application(&mut application);
            Some(webhook_payload::Subject::Application(application))
        }
        Some((kind, bytes)) if kind == "placement" => {
            let mut placement: Placement =
                prost::Message::decode(bytes.as_slice()).map_err(|e| e.to_string())?;
            payload::scrub_placement(&mut placement);
            Some(webhook_payload::Subject::Placement(placement))
        }
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

/// Resolves webhook hosts to public addresses only, so a name that resolved to a public
/// address at registration cannot be pointed at the platform's own network later (DNS
/// rebinding).
#[derive(Debug)]
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|address| !is_forbidden(address.ip()))
                .collect();
            if addresses.is_empty() {
                return Err("the host resolves to no public address".into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// Posts signed payloads to webhooks.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    targets: Targets,
}

impl WebhookSender {
    /// A sender whose calls time out after `timeout`; unless `allow_private` (development and
    /// tests), it reaches public addresses on port 443 only.
    pub fn new(timeout: Duration, allow_private: bool) -> Result<Self, reqwest::Error> {
        Self::with_targets(
            timeout,
            Targets {
                allow_private,
                allowed_ports: Vec::new(),
            },
        )
    }

    /// A sender as the settings say.
    pub fn from_settings(settings: &WebhookSettings) -> Result<Self, reqwest::Error> {
        Self::with_targets(
            Duration::from_secs(settings.timeout_secs),
            Targets::from_settings(settings),
        )
    }

    /// A sender whose calls time out after `timeout`, reaching `targets` only. Redirects are
    /// not followed (an endpoint answers itself) and no proxy is used, whatever the
    /// environment's `HTTP(S)_PROXY` say: a proxy would reach what the address filter refuses.
    pub fn with_targets(timeout: Duration, targets: Targets) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent("vte-notifications/1");
        if !targets.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self {
            client: builder.build()?,
            targets,
        })
    }

    /// POSTs `body`, signed now, to `endpoint` as delivery `delivery_id`.
    pub async fn send(&self, endpoint: &Endpoint, delivery_id: Uuid, body: Vec<u8>) -> Attempt {
        let refused = match url::Url::parse(&endpoint.url) {
            Ok(url) => self.targets.check(&url).err().map(Refusal::code),
            Err(_) => Some("url"),
        };
        if let Some(error) = refused {
            return Attempt::Failed {
                error,
                http_status: 0,
                permanent: true,
            };
        }
        let timestamp = chrono::Utc::now().timestamp();
        let signature = signature(&endpoint.secret, timestamp, &body);
        let sent = self
            .client
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(DELIVERY_ID_HEADER, delivery_id.to_string())
            .header(TIMESTAMP_HEADER, timestamp.to_string())
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

    #[test]
    fn the_timestamp_is_signed_with_the_body_so_a_receiver_refuses_a_replay() {
        let body = br#"{"deliveryId":"x"}"#;
        let sent_at = 1_700_000_000;
        let signed = signature("secret", sent_at, body);
        let header = format!("t={sent_at},v1={signed}");
        // Moving the time of a captured request breaks its signature.
        let moved = format!("t={},v1={signed}", sent_at + 600);
        assert!(!verify("secret", &moved, body));
        let doubled = format!("t={},t={sent_at},v1={signed}", sent_at + 600);
        assert!(!verify("secret", &doubled, body), "one t only");
        assert!(!verify_fresh("secret", &doubled, body, sent_at + 600));
        // Within five minutes either way it is fresh; later it is a replay.
        assert!(verify_fresh("secret", &header, body, sent_at + 299));
        assert!(verify_fresh("secret", &header, body, sent_at - 60));
        assert!(!verify_fresh("secret", &header, body, sent_at + 301));
        assert!(!verify_fresh("other", &header, body, sent_at));
    }

    #[tokio::test]
    async fn a_delivery_to_a_port_not_allowed_fails_for_good_without_connecting() {
        let sender = WebhookSender::new(Duration::from_secs(2), false).unwrap();
        let endpoint = Endpoint {
            id: Uuid::nil(),
            url: "https://193.51.24.1:6379/hook".to_owned(),
            secret: "s".to_owned(),
        };
        let started = std::time::Instant::now();
        let attempt = sender.send(&endpoint, Uuid::nil(), vec![]).await;
        assert_eq!(
            attempt,
            Attempt::Failed {
                error: "port_not_allowed",
                http_status: 0,
                permanent: true
            }
        );
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[tokio::test]
    async fn in_production_a_webhook_never_reaches_a_private_address() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sender = WebhookSender::with_targets(
            Duration::from_secs(2),
            Targets {
                allow_private: false,
                allowed_ports: vec![port],
            },
        )
        .unwrap();
        let endpoint = |url: String| Endpoint {
            id: Uuid::nil(),
            url,
            secret: "s".to_owned(),
        };
        let literal = sender
            .send(
                &endpoint(format!("https://127.0.0.1:{port}/hook")),
                Uuid::nil(),
                vec![],
            )
            .await;
        assert_eq!(
            literal,
            Attempt::Failed {
                error: "private_address",
                http_status: 0,
                permanent: true
            }
        );
        let named = sender
            .send(
                &endpoint(format!("https://localhost:{port}/hook")),
                Uuid::nil(),
                vec![],
            )
            .await;
        assert!(
            matches!(named, Attempt::Failed { http_status: 0, .. }),
            "{named:?}"
        );
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(
            accepted.is_err(),
            "nothing connected to the private listener"
        );
    }
}
