//! The keys tokens are verified with, each bound to what it may sign, and the start-up rules of
//! `auth.*`: outside development mode no HS256 secret (let alone the published one) and both
//! `issuer` and `audience` set. The development HS256 key signs anything; an asymmetric key
//! signs its `roles` (by default every role but `service`) and, when bound, one `subject`.

use std::collections::HashSet;

use jsonwebtoken::{Algorithm, DecodingKey};
use secrecy::ExposeSecret;
use vte_domain::Role;

use super::{DEVELOPMENT_SECRET, Identity};
use crate::peers::platform_service;
use crate::settings::{AuthSettings, KeyAlgorithm, PublicKeySettings};

/// The `auth.*` settings cannot start a service; the message names the setting and the rule.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {reason}")]
pub struct KeyError {
    setting: String,
    reason: String,
}

impl KeyError {
    fn new(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            reason: reason.into(),
        }
    }
}

/// What a key may sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Binding {
    /// The development HS256 secret: any role, any subject (development mode only).
    Anything,
    /// These roles, and only this subject when one is given.
    Only {
        roles: Vec<Role>,
        subject: Option<String>,
    },
}

impl Binding {
    /// Why a key bound so may not sign `identity`, if it may not.
    pub(super) fn refusal(&self, identity: &Identity) -> Option<String> {
        let Binding::Only { roles, subject } = self else {
            return None;
        };
        let role = identity.caller.role();
        if !roles.contains(&role) {
            return Some(format!("role {}", role.as_str()));
        }
        match subject {
            Some(subject) if *subject != identity.subject => Some(String::from("this subject")),
            _ => None,
        }
    }
}

/// A key of the verifier.
pub(super) struct VerificationKey {
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    pub key: DecodingKey,
    pub binding: Binding,
}

/// Refuses settings that would let a production service accept development tokens, or any
/// token without the issuer and audience checks.
pub(super) fn check_mode(settings: &AuthSettings) -> Result<(), KeyError> {
    if settings.development {
        return Ok(());
    }
    let development = "set auth.development = true (VTE_AUTH__DEVELOPMENT=true) only for a \
                       development run";
    if let Some(secret) = &settings.hs256_secret {
        let reason = if secret.expose_secret() == DEVELOPMENT_SECRET {
            format!(
                "the published development secret is refused outside development mode; {development}"
            )
        } else if !settings.public_keys.is_empty() {
            format!(
                "an HS256 secret next to auth.public_keys would let anyone holding it sign any \
                 role; remove it, or {development}"
            )
        } else {
            format!(
                "HS256 tokens are for development only: production verifies auth.public_keys; \
                 {development}"
            )
        };
        return Err(KeyError::new("auth.hs256_secret", reason));
    }
    for (setting, value) in [
        ("auth.issuer", &settings.issuer),
        ("auth.audience", &settings.audience),
    ] {
        if value.as_deref().is_none_or(str::is_empty) {
            return Err(KeyError::new(
                setting,
                format!(
                    "required outside development mode (the claim the identity provider \
                     writes in its tokens); {development}"
                ),
            ));
        }
    }
    Ok(())
}

/// The binding `public` declares, checked.
fn binding(index: usize, public: &PublicKeySettings) -> Result<Binding, KeyError> {
    let setting = |field: &str| format!("auth.public_keys[{index}].{field}");
    let roles = match &public.roles {
        None => Role::ALL
            .into_iter()
            .filter(|role| *role != Role::Service)
            .collect(),
        Some(names) if names.is_empty() => {
            return Err(KeyError::new(setting("roles"), "a key must sign some role"));
        }
        Some(names) => names
            .iter()
            .map(|name| {
                Role::parse(name).map_err(|_| {
                    let shown: String = name.chars().take(64).collect();
                    let known = Role::ALL.map(Role::as_str).join(", ");
                    KeyError::new(
                        setting("roles"),
                        format!("unknown role `{shown}` ({known})"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    if roles.contains(&Role::Service) {
        // A service's key: one service, nothing else, so that no other signer (the identity
        // provider included) can speak as a service, and no service as another.
        if roles.iter().any(|role| *role != Role::Service) {
            return Err(KeyError::new(
                setting("roles"),
                "a key that signs `service` tokens signs nothing else",
            ));
        }
        if public
            .subject
            .as_deref()
            .and_then(platform_service)
            .is_none()
        {
            return Err(KeyError::new(
                setting("subject"),
                "a `service` key names the one service it signs for: offers, candidates, \
                 matching or notifications",
            ));
        }
    }
    Ok(Binding::Only {
        roles,
        subject: public.subject.clone(),
    })
}

/// The keys of `settings`, after the start-up rules.
pub(super) fn verification_keys(settings: &AuthSettings) -> Result<Vec<VerificationKey>, KeyError> {
    if settings.hs256_secret.is_none() && settings.public_keys.is_empty() {
        return Err(KeyError::new(
            "auth",
            "no verification key: set auth.public_keys (or auth.hs256_secret in development)",
        ));
    }
    check_mode(settings)?;
    let mut keys = Vec::new();
    if let Some(secret) = &settings.hs256_secret {
        keys.push(VerificationKey {
            kid: None,
            algorithm: Algorithm::HS256,
            key: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
            binding: Binding::Anything,
        });
    }
    let mut kids = HashSet::new();
    for (index, public) in settings.public_keys.iter().enumerate() {
        let setting = |field: &str| format!("auth.public_keys[{index}].{field}");
        if !kids.insert(public.kid.as_str()) {
            return Err(KeyError::new(setting("kid"), "listed twice"));
        }
        let pem = public.pem.as_bytes();
        let (algorithm, key) = match public.algorithm {
            KeyAlgorithm::Rs256 => (Algorithm::RS256, DecodingKey::from_rsa_pem(pem)),
            KeyAlgorithm::Es256 => (Algorithm::ES256, DecodingKey::from_ec_pem(pem)),
        };
        let key = key
            .map_err(|error| KeyError::new(setting("pem"), format!("({}) {error}", public.kid)))?;
        keys.push(VerificationKey {
            kid: Some(public.kid.clone()),
            algorithm,
            key,
            binding: binding(index, public)?,
        });
    }
    Ok(keys)
}
