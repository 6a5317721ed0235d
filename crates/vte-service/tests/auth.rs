//! The auth layer: every kind of bad token is refused, good tokens hand role and tenant on.

#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::SecretString;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_service::auth::{AuthError, Authenticator, Caller, Claims, Role, sign_hs256};
use vte_service::settings::{AuthSettings, KeyAlgorithm, PublicKeySettings};

const SECRET: &str = "development-secret-of-the-tests";
const ISSUER: &str = "https://id.vte-france.fr";
const AUDIENCE: &str = "vte-platform";

fn development() -> Authenticator {
    Authenticator::from_settings(&AuthSettings {
        development: true,
        hs256_secret: Some(SecretString::from(SECRET)),
        leeway_secs: 0,
        ..AuthSettings::default()
    })
    .unwrap()
}

fn key(name: &str) -> String {
    // At run time: a build cache shared between checkouts keeps compile-time paths.
    let package = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    std::fs::read_to_string(format!("{package}/tests/keys/{name}")).unwrap()
}

fn production() -> Authenticator {
    Authenticator::from_settings(&AuthSettings {
        public_keys: vec![
            PublicKeySettings {
                kid: "2026-rsa".into(),
                algorithm: KeyAlgorithm::Rs256,
                pem: key("rs256-public.pem"),
                roles: None,
                subject: None,
            },
            PublicKeySettings {
                kid: "2026-ec".into(),
                algorithm: KeyAlgorithm::Es256,
                pem: key("es256-public.pem"),
                roles: None,
                subject: None,
            },
        ],
        issuer: Some(ISSUER.into()),
        audience: Some(AUDIENCE.into()),
        leeway_secs: 0,
        ..AuthSettings::default()
    })
    .unwrap()
}

fn claims(caller: &Caller) -> Claims {
    Claims::new(caller, "account-42", Duration::minutes(5))
}

/// Claims as the identity provider writes them in production.
fn issued(caller: &Caller) -> Claims {
    let mut claims = claims(caller);
    claims.iss = Some(ISSUER.into());
    claims.aud = Some(AUDIENCE.into());
    claims
}

fn signed(algorithm: Algorithm, kid: &str, private_pem: &str, claims: &Claims) -> String {
    let mut header = Header::new(algorithm);
    header.kid = Some(kid.into());
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_ec_pem(private_pem.as_bytes()).unwrap(),
    };
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn siren() -> Siren {
    Siren::parse("732829320").unwrap()
}

#[test]
fn a_valid_token_of_every_role_hands_its_role_and_tenant_to_the_handler() {
    let callers = [
        Caller::Site,
        Caller::School {
            school_id: SchoolId::new(),
        },
        Caller::Company { siren: siren() },
        Caller::Candidate {
            candidate_id: CandidateId::new(),
        },
        Caller::Bpifrance,
        Caller::Admin,
        Caller::Service,
    ];
    let auth = development();
    for caller in callers {
        let token = sign_hs256(SECRET, &claims(&caller)).unwrap();
        let identity = auth.verify(&token).unwrap();
        assert_eq!(identity.caller, caller);
        assert_eq!(identity.subject, "account-42");
    }
}

#[test]
fn an_expired_token_is_refused() {
    let caller = Caller::Admin;
    let expired = Claims::new(&caller, "account-42", Duration::minutes(-10));
    let token = sign_hs256(SECRET, &expired).unwrap();
    assert_eq!(development().verify(&token), Err(AuthError::Expired));
}

#[test]
fn a_token_signed_with_another_secret_is_refused() {
    let token = sign_hs256("not-the-secret", &claims(&Caller::Admin)).unwrap();
    assert_eq!(development().verify(&token), Err(AuthError::BadSignature));
}

#[test]
fn an_unsigned_alg_none_token_is_refused() {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(&Caller::Admin)).unwrap());
    for token in [format!("{header}.{body}."), format!("{header}.{body}")] {
        let refused = development().verify(&token).unwrap_err();
        assert!(
            matches!(
                refused,
                AuthError::AlgorithmNotAccepted | AuthError::Malformed
            ),
            "{refused:?}"
        );
    }
}

#[test]
fn a_malformed_token_is_refused() {
    for token in ["", "abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln"] {
        assert!(
            development().verify(token).is_err(),
            "{token:?} was accepted"
        );
    }
}

#[test]
fn a_tenant_role_without_its_tenant_is_refused() {
    let mut school = claims(&Caller::School {
        school_id: SchoolId::new(),
    });
    school.school_id = None;
    let mut company = claims(&Caller::Company { siren: siren() });
    company.siren = Some("123456789".into()); // fails the SIREN checksum
    let mut unknown = claims(&Caller::Admin);
    unknown.role = "superuser".into();
    for claims in [school, company, unknown] {
        let token = sign_hs256(SECRET, &claims).unwrap();
        assert!(matches!(
            development().verify(&token),
            Err(AuthError::InvalidClaims(_))
        ));
    }
}

#[test]
fn production_keys_verify_rs256_and_es256_tokens_chosen_by_kid() {
    let claims = issued(&Caller::Bpifrance);
    let auth = production();
    let rsa = signed(
        Algorithm::RS256,
        "2026-rsa",
        &key("rs256-private.pem"),
        &claims,
    );
    let ec = signed(
        Algorithm::ES256,
        "2026-ec",
        &key("es256-private.pem"),
        &claims,
    );
    assert_eq!(auth.verify(&rsa).unwrap().caller.role(), Role::Bpifrance);
    assert_eq!(auth.verify(&ec).unwrap().caller.role(), Role::Bpifrance);

    let unknown_kid = signed(
        Algorithm::ES256,
        "2024-ec",
        &key("es256-private.pem"),
        &claims,
    );
    assert_eq!(
        auth.verify(&unknown_kid),
        Err(AuthError::AlgorithmNotAccepted)
    );
    let forged = signed(
        Algorithm::ES256,
        "2026-ec",
        &key("es256-other-private.pem"),
        &claims,
    );
    assert_eq!(auth.verify(&forged), Err(AuthError::BadSignature));

    let mut wrong_issuer = claims.clone();
    wrong_issuer.iss = Some("https://evil.example".into());
    let token = signed(
        Algorithm::ES256,
        "2026-ec",
        &key("es256-private.pem"),
        &wrong_issuer,
    );
    assert!(matches!(
        auth.verify(&token),
        Err(AuthError::InvalidClaims(_))
    ));
}

#[test]
fn production_refuses_development_tokens_and_the_public_key_used_as_a_secret() {
    let auth = production();
    let development = sign_hs256(SECRET, &claims(&Caller::Admin)).unwrap();
    assert_eq!(
        auth.verify(&development),
        Err(AuthError::AlgorithmNotAccepted)
    );
    // Algorithm confusion: an HS256 token "signed" with the RSA public key as its secret.
    let confused = sign_hs256(&key("rs256-public.pem"), &claims(&Caller::Admin)).unwrap();
    assert_eq!(auth.verify(&confused), Err(AuthError::AlgorithmNotAccepted));
}

#[test]
fn development_refuses_asymmetric_tokens_it_has_no_key_for() {
    let token = signed(
        Algorithm::ES256,
        "2026-ec",
        &key("es256-private.pem"),
        &issued(&Caller::Admin),
    );
    assert_eq!(
        development().verify(&token),
        Err(AuthError::AlgorithmNotAccepted)
    );
}

#[test]
fn a_service_with_no_verification_key_does_not_start() {
    let error = Authenticator::from_settings(&AuthSettings::default()).unwrap_err();
    assert!(error.to_string().contains("hs256_secret"));
}

#[test]
fn a_site_token_acting_for_a_candidate_hands_that_candidate_on() {
    let candidate = CandidateId::new();
    let token = sign_hs256(SECRET, &claims(&Caller::Site).on_behalf_of(candidate)).unwrap();
    let identity = development().verify(&token).unwrap();
    assert_eq!(identity.caller, Caller::Site);
    assert_eq!(identity.on_behalf_of, Some(candidate));

    let plain = sign_hs256(SECRET, &claims(&Caller::Site)).unwrap();
    assert_eq!(development().verify(&plain).unwrap().on_behalf_of, None);
}

#[test]
fn only_a_site_token_may_act_on_behalf_of_a_candidate() {
    let school = Caller::School {
        school_id: SchoolId::new(),
    };
    for caller in [school, Caller::Company { siren: siren() }, Caller::Admin] {
        let claims = claims(&caller).on_behalf_of(CandidateId::new());
        let token = sign_hs256(SECRET, &claims).unwrap();
        assert_eq!(
            development().verify(&token),
            Err(AuthError::InvalidClaims(
                "only a site token may carry on_behalf_of".into()
            ))
        );
    }
    let mut garbled = claims(&Caller::Site);
    garbled.on_behalf_of = Some("not-a-candidate".into());
    let token = sign_hs256(SECRET, &garbled).unwrap();
    assert!(matches!(
        development().verify(&token),
        Err(AuthError::InvalidClaims(message)) if message.contains("on_behalf_of")
    ));
}

/// A development token of arbitrary claims, for what [`Claims`] cannot express.
fn raw(claims: &serde_json::Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[test]
fn a_token_without_exp_is_refused_because_exp_is_missing() {
    let token = raw(&serde_json::json!({"sub": "account-42", "role": "admin", "iat": now()}));
    let refused = development().verify(&token).unwrap_err();
    assert!(
        matches!(&refused, AuthError::InvalidClaims(rule) if rule.starts_with("missing exp")),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("missing exp"), "{refused}");
}

#[test]
fn a_token_not_valid_yet_is_refused() {
    let mut claims = serde_json::to_value(claims(&Caller::Admin)).unwrap();
    claims["nbf"] = (now() + 600).into();
    assert_eq!(
        development().verify(&raw(&claims)),
        Err(AuthError::NotYetValid)
    );
    claims["nbf"] = (now() - 1).into();
    assert!(development().verify(&raw(&claims)).is_ok(), "valid since");
}

#[test]
fn a_token_living_longer_than_its_role_may_is_refused() {
    let thirty_days = Claims::new(&Caller::Admin, "account-42", Duration::days(30));
    let refused = development()
        .verify(&sign_hs256(SECRET, &thirty_days).unwrap())
        .unwrap_err();
    assert!(
        matches!(&refused, AuthError::InvalidClaims(rule) if rule.contains("auth.max_token_lifetime_secs")),
        "{refused:?}"
    );
    // A day for people, an hour for services (which sign theirs for five minutes).
    let day = Claims::new(&Caller::Admin, "account-42", Duration::hours(24));
    assert!(
        development()
            .verify(&sign_hs256(SECRET, &day).unwrap())
            .is_ok()
    );
    let service_for_two_hours = Claims::new(&Caller::Service, "offers", Duration::hours(2));
    assert!(matches!(
        development().verify(&sign_hs256(SECRET, &service_for_two_hours).unwrap()),
        Err(AuthError::InvalidClaims(rule)) if rule.contains("auth.max_service_token_lifetime_secs")
    ));
    // The lifetime is bounded from iat, which therefore must be there, and not in the future.
    let mut no_iat = serde_json::to_value(claims(&Caller::Admin)).unwrap();
    no_iat.as_object_mut().unwrap().remove("iat");
    assert!(matches!(
        development().verify(&raw(&no_iat)),
        Err(AuthError::InvalidClaims(rule)) if rule.starts_with("missing iat")
    ));
    let mut later = serde_json::to_value(claims(&Caller::Admin)).unwrap();
    later["iat"] = (now() + 3600).into();
    later["exp"] = (now() + 3900).into();
    assert!(development().verify(&raw(&later)).is_err());
}

#[test]
fn an_audience_array_naming_the_platform_is_accepted() {
    let auth = production();
    let mut claims = serde_json::to_value(issued(&Caller::Bpifrance)).unwrap();
    claims["aud"] = serde_json::json!(["https://other.example", AUDIENCE]);
    let sign = |claims: &serde_json::Value| {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("2026-ec".into());
        let key = EncodingKey::from_ec_pem(key("es256-private.pem").as_bytes()).unwrap();
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    };
    assert_eq!(
        auth.verify(&sign(&claims)).unwrap().caller,
        Caller::Bpifrance
    );
    claims["aud"] = serde_json::json!(["https://other.example"]);
    assert_eq!(
        auth.verify(&sign(&claims)),
        Err(AuthError::InvalidClaims("wrong audience".into()))
    );
    claims.as_object_mut().unwrap().remove("aud");
    assert_eq!(
        auth.verify(&sign(&claims)),
        Err(AuthError::InvalidClaims("missing aud".into()))
    );
    claims["aud"] = AUDIENCE.into();
    claims.as_object_mut().unwrap().remove("iss");
    assert_eq!(
        auth.verify(&sign(&claims)),
        Err(AuthError::InvalidClaims("missing iss".into()))
    );
}

#[test]
fn a_claim_of_the_wrong_type_is_named() {
    let mut claims = serde_json::to_value(claims(&Caller::Admin)).unwrap();
    claims["exp"] = "tomorrow".into();
    assert!(matches!(
        development().verify(&raw(&claims)),
        Err(AuthError::InvalidClaims(rule)) if rule.starts_with("exp must be a number")
    ));
    let mut long_subject = serde_json::to_value(self::claims(&Caller::Admin)).unwrap();
    long_subject["sub"] = "x".repeat(10_000).into();
    let refused = development().verify(&raw(&long_subject)).unwrap_err();
    assert!(refused.to_string().len() < 200, "{refused}");
}
