//! The claims of a platform token and the rules they must meet. The rules are checked here
//! rather than by the JWT library, so that each refusal names the claim and the rule: `exp`
//! and `iat` present, `nbf` not in the future, a lifetime (`exp - iat`) within the maximum for
//! the role, `iss` and `aud` as configured (`aud` a string or an array), `sub` short, and the
//! tenant the role needs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use vte_domain::{CandidateId, SchoolId, Siren};

use super::{AuthError, Caller, Identity, Role};

/// The longest `sub` accepted, in characters (account ids are far shorter).
const MAX_SUBJECT_CHARS: usize = 256;

/// The claims of a platform token, as signed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siren: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_id: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The candidate a `site` token acts for; refused on every other role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

impl Claims {
    /// Claims for `caller`, valid for `ttl` from now.
    pub fn new(caller: &Caller, subject: impl Into<String>, ttl: chrono::Duration) -> Self {
        let now = Utc::now();
        let (school_id, siren, candidate_id) = match caller {
            Caller::School { school_id } => (Some(school_id.to_string()), None, None),
            Caller::Company { siren } => (None, Some(siren.to_string()), None),
            Caller::Candidate { candidate_id } => (None, None, Some(candidate_id.to_string())),
            _ => (None, None, None),
        };
        Self {
            sub: subject.into(),
            role: caller.role().as_str().to_owned(),
            school_id,
            siren,
            candidate_id,
            exp: (now + ttl).timestamp(),
            iat: now.timestamp(),
            iss: None,
            aud: None,
            on_behalf_of: None,
        }
    }

    /// The same claims acting for `candidate` (only a `site` token may carry it).
    pub fn on_behalf_of(mut self, candidate: CandidateId) -> Self {
        self.on_behalf_of = Some(candidate.to_string());
        self
    }
}

/// What every token's claims must meet, from `auth.*` settings.
#[derive(Debug, Clone)]
pub(super) struct ClaimRules {
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub leeway_secs: i64,
    pub max_lifetime_secs: i64,
    pub max_service_lifetime_secs: i64,
}

fn invalid(rule: impl Into<String>) -> AuthError {
    AuthError::InvalidClaims(rule.into())
}

/// The claim `name` as a string, if present.
fn string<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, AuthError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(invalid(format!("{name} must be a string"))),
    }
}

/// The claim `name` as seconds since the epoch (RFC 7519 allows fractions; they are dropped).
fn seconds(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, AuthError> {
    let rule = || invalid(format!("{name} must be a number of seconds since 1970"));
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => match number.as_i64() {
            Some(value) => Ok(Some(value)),
            None => number
                .as_f64()
                .filter(|value| value.is_finite() && value.abs() < 1e15)
                // Bounded above, so the conversion is exact enough and cannot wrap.
                .map(|value| Some(value.trunc() as i64))
                .ok_or_else(rule),
        },
        Some(_) => Err(rule()),
    }
}

/// Whether the `aud` claim (a string or an array of strings) names `audience`.
fn audience_names(claims: &Map<String, Value>, audience: &str) -> Result<bool, AuthError> {
    match claims.get("aud") {
        None | Some(Value::Null) => Err(invalid("missing aud")),
        Some(Value::String(aud)) => Ok(aud == audience),
        Some(Value::Array(auds)) => Ok(auds.iter().any(|aud| aud.as_str() == Some(audience))),
        Some(_) => Err(invalid("aud must be a string or an array of strings")),
    }
}

/// Checks the time claims against `now`: present, not expired, already valid, not too long.
fn check_times(
    claims: &Map<String, Value>,
    role: Role,
    rules: &ClaimRules,
    now: i64,
) -> Result<DateTime<Utc>, AuthError> {
    let exp = seconds(claims, "exp")?
        .ok_or_else(|| invalid("missing exp: every token must say when it expires"))?;
    let iat = seconds(claims, "iat")?
        .ok_or_else(|| invalid("missing iat: the token's lifetime is bounded from it"))?;
    if exp.saturating_add(rules.leeway_secs) < now {
        return Err(AuthError::Expired);
    }
    if let Some(nbf) = seconds(claims, "nbf")?
        && nbf > now.saturating_add(rules.leeway_secs)
    {
        return Err(AuthError::NotYetValid);
    }
    if iat > now.saturating_add(rules.leeway_secs) {
        return Err(invalid("iat is in the future"));
    }
    let (max, setting) = match role {
        Role::Service => (
            rules.max_service_lifetime_secs,
            "auth.max_service_token_lifetime_secs",
        ),
        _ => (rules.max_lifetime_secs, "auth.max_token_lifetime_secs"),
    };
    if exp.saturating_sub(iat) > max {
        return Err(invalid(format!(
            "the token lives longer (exp - iat) than the {max} s a {} token may ({setting})",
            role.as_str()
        )));
    }
    DateTime::from_timestamp(exp, 0).ok_or_else(|| invalid("exp is out of range"))
}

/// The tenant `role` needs, read from its claim.
fn caller(claims: &Map<String, Value>, role: Role) -> Result<Caller, AuthError> {
    let tenant = |name: &str| string(claims, name);
    Ok(match role {
        Role::Site => Caller::Site,
        Role::Bpifrance => Caller::Bpifrance,
        Role::Admin => Caller::Admin,
        Role::Service => Caller::Service,
        Role::School => Caller::School {
            school_id: tenant("school_id")?
                .and_then(|id| SchoolId::parse(id).ok())
                .ok_or_else(|| invalid("a school token needs a valid school_id"))?,
        },
        Role::Company => Caller::Company {
            siren: tenant("siren")?
                .and_then(|siren| Siren::parse(siren).ok())
                .ok_or_else(|| invalid("a company token needs a valid siren"))?,
        },
        Role::Candidate => Caller::Candidate {
            candidate_id: tenant("candidate_id")?
                .and_then(|id| CandidateId::parse(id).ok())
                .ok_or_else(|| invalid("a candidate token needs a valid candidate_id"))?,
        },
    })
}

/// The identity the verified `claims` establish, or the first rule they break.
pub(super) fn identity(
    claims: &Value,
    rules: &ClaimRules,
    now: i64,
) -> Result<Identity, AuthError> {
    let claims = claims
        .as_object()
        .ok_or_else(|| invalid("the claims are not a JSON object"))?;
    let role = string(claims, "role")?.ok_or_else(|| invalid("missing role"))?;
    let role = Role::parse(role).map_err(|_| invalid("unknown role"))?;
    let expires_at = check_times(claims, role, rules, now)?;
    if let Some(issuer) = &rules.issuer {
        match string(claims, "iss")? {
            None => return Err(invalid("missing iss")),
            Some(iss) if iss != issuer => return Err(invalid("wrong issuer")),
            Some(_) => {}
        }
    }
    if let Some(audience) = &rules.audience
        && !audience_names(claims, audience)?
    {
        return Err(invalid("wrong audience"));
    }
    let subject = string(claims, "sub")?.ok_or_else(|| invalid("missing sub"))?;
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(invalid(format!(
            "sub must hold 1 to {MAX_SUBJECT_CHARS} characters"
        )));
    }
    let caller = caller(claims, role)?;
    let on_behalf_of = match (&caller, string(claims, "on_behalf_of")?) {
        (_, None) => None,
        (Caller::Site, Some(id)) => Some(
            CandidateId::parse(id)
                .map_err(|_| invalid("on_behalf_of must be a valid candidate id"))?,
        ),
        (_, Some(_)) => return Err(invalid("only a site token may carry on_behalf_of")),
    };
    Ok(Identity {
        caller,
        subject: subject.to_owned(),
        expires_at,
        on_behalf_of,
    })
}
