//! Each verification key signs only what it is bound to: the identity provider's keys never a
//! `service` token, a service's key only `role=service, sub=<that service>`; a binding that
//! breaks those rules stops the service at start-up, naming the setting.

#![allow(clippy::unwrap_used)]

use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use vte_service::auth::{AuthError, Authenticator, Caller, Claims};
use vte_service::settings::{AuthSettings, KeyAlgorithm, PublicKeySettings};

const ISSUER: &str = "https://id.vte-france.fr";
const AUDIENCE: &str = "vte-platform";

fn key(name: &str) -> String {
    let package = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    std::fs::read_to_string(format!("{package}/tests/keys/{name}")).unwrap()
}

/// The identity provider's key (no binding: every role but `service`) and offers' key.
fn identity_provider_and_offers() -> Vec<PublicKeySettings> {
    vec![
        PublicKeySettings {
            kid: "idp-2026".into(),
            algorithm: KeyAlgorithm::Es256,
            pem: key("es256-public.pem"),
            roles: None,
            subject: None,
        },
        PublicKeySettings {
            kid: "offers-2026".into(),
            algorithm: KeyAlgorithm::Es256,
            pem: key("es256-other-public.pem"),
            roles: Some(vec!["service".into()]),
            subject: Some("offers".into()),
        },
    ]
}

fn production(public_keys: Vec<PublicKeySettings>) -> Result<Authenticator, String> {
    Authenticator::from_settings(&AuthSettings {
        public_keys,
        issuer: Some(ISSUER.into()),
        audience: Some(AUDIENCE.into()),
        leeway_secs: 0,
        ..AuthSettings::default()
    })
    .map_err(|error| error.to_string())
}

/// A token for `caller` as `subject`, signed with the private key `private` under `kid`.
fn signed(kid: &str, private: &str, caller: &Caller, subject: &str) -> String {
    let mut claims = Claims::new(caller, subject, Duration::minutes(5));
    claims.iss = Some(ISSUER.into());
    claims.aud = Some(AUDIENCE.into());
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.into());
    let key = EncodingKey::from_ec_pem(key(private).as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

fn identity_provider(caller: &Caller, subject: &str) -> String {
    signed("idp-2026", "es256-private.pem", caller, subject)
}

fn offers_key(caller: &Caller, subject: &str) -> String {
    signed("offers-2026", "es256-other-private.pem", caller, subject)
}

#[test]
fn a_service_token_signed_with_the_identity_providers_key_is_refused() {
    let auth = production(identity_provider_and_offers()).unwrap();
    for service in ["offers", "candidates", "matching", "notifications"] {
        let refused = auth
            .verify(&identity_provider(&Caller::Service, service))
            .unwrap_err();
        assert_eq!(
            refused,
            AuthError::KeyMayNotSign("the key `idp-2026` may not sign role service".into())
        );
        assert_eq!(
            tonic::Status::from(refused).code(),
            tonic::Code::Unauthenticated
        );
    }
    let person = identity_provider(&Caller::Bpifrance, "account-7");
    assert_eq!(auth.verify(&person).unwrap().caller, Caller::Bpifrance);
}

#[test]
fn a_services_key_signs_only_service_tokens_of_that_service() {
    let auth = production(identity_provider_and_offers()).unwrap();
    let itself = auth
        .verify(&offers_key(&Caller::Service, "offers"))
        .unwrap();
    assert_eq!(
        (itself.caller, itself.subject.as_str()),
        (Caller::Service, "offers")
    );
    assert_eq!(
        auth.verify(&offers_key(&Caller::Service, "matching")),
        Err(AuthError::KeyMayNotSign(
            "the key `offers-2026` may not sign this subject".into()
        ))
    );
    for person in [Caller::Admin, Caller::Bpifrance, Caller::Site] {
        assert!(matches!(
            auth.verify(&offers_key(&person, "offers")),
            Err(AuthError::KeyMayNotSign(_))
        ));
    }
}

#[test]
fn a_key_bound_to_some_roles_signs_those_only() {
    let mut keys = identity_provider_and_offers();
    keys[0].roles = Some(vec!["site".into(), "candidate".into()]);
    let auth = production(keys).unwrap();
    assert!(
        auth.verify(&identity_provider(&Caller::Site, "web"))
            .is_ok()
    );
    assert_eq!(
        auth.verify(&identity_provider(&Caller::Admin, "root")),
        Err(AuthError::KeyMayNotSign(
            "the key `idp-2026` may not sign role admin".into()
        ))
    );
}

#[test]
fn a_binding_that_would_let_a_key_speak_for_a_service_it_is_not_stops_the_service() {
    let with = |roles: Option<Vec<&str>>, subject: Option<&str>| {
        let mut keys = identity_provider_and_offers();
        keys[1].roles = roles.map(|roles| roles.into_iter().map(String::from).collect());
        keys[1].subject = subject.map(String::from);
        production(keys).unwrap_err()
    };
    let cases = [
        (
            with(Some(vec!["service", "admin"]), Some("offers")),
            "auth.public_keys[1].roles: a key that signs `service` tokens signs nothing else",
        ),
        (
            with(Some(vec!["service"]), None),
            "auth.public_keys[1].subject: a `service` key names the one service",
        ),
        (
            with(Some(vec!["service"]), Some("billing")),
            "auth.public_keys[1].subject",
        ),
        (
            with(Some(vec![]), Some("offers")),
            "auth.public_keys[1].roles: a key must sign some role",
        ),
        (
            with(Some(vec!["superuser"]), None),
            "auth.public_keys[1].roles: unknown role `superuser`",
        ),
    ];
    for (error, expected) in cases {
        assert!(error.starts_with(expected), "{error}");
    }
    let mut twice = identity_provider_and_offers();
    twice[1].kid = "idp-2026".into();
    assert_eq!(
        production(twice).unwrap_err(),
        "auth.public_keys[1].kid: listed twice"
    );
}

#[test]
fn the_development_secret_signs_any_role_in_development_mode_only() {
    let development = AuthSettings {
        development: true,
        hs256_secret: Some(vte_service::auth::DEVELOPMENT_SECRET.into()),
        public_keys: identity_provider_and_offers(),
        ..AuthSettings::default()
    };
    let token = vte_service::auth::sign_hs256(
        vte_service::auth::DEVELOPMENT_SECRET,
        &Claims::new(&Caller::Service, "matching", Duration::minutes(5)),
    )
    .unwrap();
    let auth = Authenticator::from_settings(&development).unwrap();
    assert_eq!(auth.verify(&token).unwrap().subject, "matching");
    let production = AuthSettings {
        development: false,
        issuer: Some(ISSUER.into()),
        audience: Some(AUDIENCE.into()),
        ..development
    };
    assert!(Authenticator::from_settings(&production).is_err());
}
