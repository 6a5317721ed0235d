//! Signed webhook deliveries, as `vte.notifications.v1.Webhook` describes them: an HTTP POST
//! whose body is the proto3 JSON mapping of `WebhookPayload`, with `vte-delivery-id` (the
//! receiver deduplicates on it) and `vte-signature: t=T,v1=S`, S being the hex HMAC-SHA256 of
//! `T.body` keyed with the webhook's secret (the base64url text returned by RegisterWebhook,
//! used as is). A 2xx answer within the timeout counts as delivered; anything else is retried.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
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

/// Whether an address is one a webhook must not target (loopback, private, link-local...).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
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
                .filter(|address| !is_private(address.ip()))
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
    allow_private: bool,
}

impl WebhookSender {
    /// A sender whose calls time out after `timeout`; unless `allow_private` (development and
    /// tests), it reaches public addresses only. Redirects are not followed: an endpoint
    /// answers itself.
    pub fn new(timeout: Duration, allow_private: bool) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("vte-notifications/1");
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self {
            client: builder.build()?,
            allow_private,
        })
    }

    /// Whether the endpoint's URL names a private address literally (which no resolver sees).
    fn names_private_address(&self, url: &str) -> bool {
        if self.allow_private {
            return false;
        }
        let host = url::Url::parse(url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_default();
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(is_private)
    }

    /// POSTs `body`, signed now, to `endpoint` as delivery `delivery_id`.
    pub async fn send(&self, endpoint: &Endpoint, delivery_id: Uuid, body: Vec<u8>) -> Attempt {
        if self.names_private_address(&endpoint.url) {
            return Attempt::Failed {
                error: "private_address",
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
    fn private_and_loopback_addresses_are_refused_public_ones_pass() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(
                is_private(private.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
                "{private}"
            );
        }
        for public in ["193.51.24.1", "2001:4860:4860::8888"] {
            assert!(
                !is_private(public.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
                "{public}"
            );
        }
    }

    #[tokio::test]
    async fn in_production_a_webhook_never_reaches_a_private_address() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sender = WebhookSender::new(Duration::from_secs(2), false).unwrap();
        let endpoint = |url: String| Endpoint {
            id: Uuid::nil(),
            url,
            secret: "s".to_owned(),
        };
        let literal = sender
            .send(
                &endpoint(format!("http://127.0.0.1:{port}/hook")),
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
                &endpoint(format!("http://localhost:{port}/hook")),
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
