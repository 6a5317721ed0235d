//! `ConfirmErasure` with production keys: the confirming service is the subject its key is
//! bound to, so a service's key cannot confirm an erasure for another service (issue 13,
//! item 5). The service runs in development mode too, so the school pushes with a development
//! token; the services sign with their own ES256 keys, as in production.

mod common;

use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_candidates::Application;
use vte_domain::SchoolId;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    ConfirmErasureRequest, PushProfilesBatchRequest, RequestErasureRequest,
};
use vte_proto::vte::common::v1::PlatformService;
use vte_service::auth::Caller;
use vte_service::peers::{Peers, ServiceAuth};
use vte_service::settings::{
    AuthSettings, KeyAlgorithm, PeersSettings, PublicKeySettings, SigningKeySettings,
};
use vte_testbed::TestService;

use common::{SECRET, graduate};

/// A key pair of the auth tests (they protect nothing).
fn key(name: &str) -> String {
    let package = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it");
    std::fs::read_to_string(format!(
        "{package}/../../crates/vte-service/tests/keys/{name}"
    ))
    .expect("a test key")
}

/// The public keys of offers (`offers-2026`) and matching (`matching-2026`), each bound to
/// its service.
fn service_keys() -> Vec<PublicKeySettings> {
    [
        ("offers-2026", "es256-public.pem", "offers"),
        ("matching-2026", "es256-other-public.pem", "matching"),
    ]
    .into_iter()
    .map(|(kid, pem, service)| PublicKeySettings {
        kid: kid.into(),
        algorithm: KeyAlgorithm::Es256,
        pem: key(pem),
        roles: Some(vec!["service".into()]),
        subject: Some(service.into()),
    })
    .collect()
}

/// What a service signing as `subject` with the private key `kid` / `pem` sends.
fn signing_as(subject: &str, kid: &str, pem: &str) -> ServiceAuth {
    let auth = AuthSettings {
        signing_key: Some(SigningKeySettings {
            kid: kid.into(),
            algorithm: KeyAlgorithm::Es256,
            pem: key(pem).into(),
        }),
        ..AuthSettings::default()
    };
    Peers::new(subject, &PeersSettings::default(), &auth)
        .expect("peers")
        .auth()
}

type Client = CandidatesServiceClient<InterceptedService<Channel, ServiceAuth>>;

fn client(service: &TestService, auth: ServiceAuth) -> Client {
    CandidatesServiceClient::with_interceptor(service.channel(), auth)
}

fn confirm(candidate: &str, service: PlatformService) -> ConfirmErasureRequest {
    ConfirmErasureRequest {
        candidate_id: candidate.to_owned(),
        service: service as i32,
    }
}

#[tokio::test]
async fn a_services_key_cannot_confirm_an_erasure_as_another_service() {
    let service = TestService::builder(SECRET)
        .settings(|settings| settings.auth.public_keys = service_keys())
        .start::<Application>()
        .await;
    let school = SchoolId::new();
    let caller = Caller::School { school_id: school };
    let mut as_school =
        CandidatesServiceClient::with_interceptor(service.channel(), service.bearer(Some(&caller)));
    as_school
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: vec![graduate("G1")],
        })
        .await
        .expect("pushed");
    let candidate: uuid::Uuid = sqlx::query_scalar("SELECT id FROM profiles WHERE school_id = $1")
        .bind(school.as_uuid())
        .fetch_one(service.pool())
        .await
        .expect("the pushed profile");
    let candidate = candidate.to_string();
    as_school
        .request_erasure(RequestErasureRequest {
            candidate_id: candidate.clone(),
        })
        .await
        .expect("erasure requested");

    // Offers' key, claiming to be matching: its key does not vouch for that subject.
    let forged = client(
        &service,
        signing_as("matching", "offers-2026", "es256-private.pem"),
    )
    .confirm_erasure(confirm(&candidate, PlatformService::Matching))
    .await
    .expect_err("offers' key signed sub=matching");
    assert_eq!(forged.code(), Code::Unauthenticated);
    assert!(forged.message().contains("offers-2026"), "{forged:?}");

    // Offers as itself confirms for itself only.
    let mut offers = client(
        &service,
        signing_as("offers", "offers-2026", "es256-private.pem"),
    );
    let other = offers
        .confirm_erasure(confirm(&candidate, PlatformService::Matching))
        .await
        .expect_err("offers confirming for matching");
    assert_eq!(other.code(), Code::PermissionDenied);
    let status = offers
        .confirm_erasure(confirm(&candidate, PlatformService::Offers))
        .await
        .expect("offers confirms its own erasure")
        .into_inner()
        .status
        .expect("a status");
    let confirmed: Vec<(i32, bool)> = status
        .confirmations
        .iter()
        .map(|c| (c.service, c.confirmed_at.is_some()))
        .collect();
    assert_eq!(
        confirmed,
        [
            (PlatformService::Offers as i32, true),
            (PlatformService::Candidates as i32, true),
            (PlatformService::Matching as i32, false),
            (PlatformService::Notifications as i32, false),
        ],
        "the forged confirmation for matching left no trace"
    );

    let matching = client(
        &service,
        signing_as("matching", "matching-2026", "es256-other-private.pem"),
    )
    .confirm_erasure(confirm(&candidate, PlatformService::Matching))
    .await
    .expect("matching confirms with its own key")
    .into_inner();
    assert!(!matching.status.expect("a status").complete);
}
