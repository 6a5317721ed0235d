//! Where the platform's services are and how a client calls them: their URLs, a bearer token
//! (given, or minted for a role with the development secret), and channels carrying it. Shared
//! by the command-line client, the demo loader and the embedded platform.

use anyhow::Context;
use clap::Args;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_service::auth::{BearerToken, Caller, Claims, sign_hs256};

/// The secret development tokens are signed with unless `VTE_AUTH__HS256_SECRET` says
/// otherwise. Development only: production verifies asymmetric keys (`auth.public_keys`), and a
/// service outside development mode refuses to start with this secret.
pub const DEV_SECRET: &str = vte_service::auth::DEVELOPMENT_SECRET;

/// Where the services are and who calls them.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The offers service.
    #[arg(
        long,
        env = "VTE_OFFERS_URL",
        default_value = "http://127.0.0.1:50051",
        global = true
    )]
    pub offers: String,
    /// The candidates service.
    #[arg(
        long,
        env = "VTE_CANDIDATES_URL",
        default_value = "http://127.0.0.1:50052",
        global = true
    )]
    pub candidates: String,
    /// The matching service.
    #[arg(
        long,
        env = "VTE_MATCHING_URL",
        default_value = "http://127.0.0.1:50053",
        global = true
    )]
    pub matching: String,
    /// The notifications service.
    #[arg(
        long,
        env = "VTE_NOTIFICATIONS_URL",
        default_value = "http://127.0.0.1:50054",
        global = true
    )]
    pub notifications: String,
    /// A bearer token to call with; without one, a development token is minted for the role
    /// the command needs, with the development secret.
    #[arg(long, env = "VTE_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
    /// The development HS256 secret (the one `vte up` uses).
    #[arg(
        long,
        env = "VTE_AUTH__HS256_SECRET",
        default_value = DEV_SECRET,
        global = true,
        hide_env_values = true,
        hide_default_value = true
    )]
    pub secret: String,
}

impl Connection {
    /// A channel to `url` carrying the given token, or a development token for `caller`.
    pub async fn channel(&self, url: &str, caller: &Caller) -> anyhow::Result<Authed> {
        let token = match &self.token {
            Some(token) => token.clone(),
            None => mint(&self.secret, caller, None, 60)?,
        };
        let bearer = bearer(&token)?;
        let channel = tonic::transport::Endpoint::from_shared(url.to_owned())
            .with_context(|| format!("{url} is not a URL"))?
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .with_context(|| format!("cannot reach {url}: is the platform running (`vte up`)?"))?;
        Ok(InterceptedService::new(channel, bearer))
    }
}

/// A signed development token for `caller`, living `ttl_minutes`: at most what the services
/// accept by default (`auth.max_token_lifetime_secs`, a day; an hour for `service` tokens).
pub fn mint(
    secret: &str,
    caller: &Caller,
    subject: Option<&str>,
    ttl_minutes: i64,
) -> anyhow::Result<String> {
    mint_for(secret, caller, subject, ttl_minutes, None)
}

/// [`mint`], for a `site` token acting `on_behalf_of` a candidate when one is given.
pub fn mint_for(
    secret: &str,
    caller: &Caller,
    subject: Option<&str>,
    ttl_minutes: i64,
    on_behalf_of: Option<vte_domain::CandidateId>,
) -> anyhow::Result<String> {
    let limits = vte_service::settings::AuthSettings::default();
    let max_secs = match caller {
        Caller::Service => limits.max_service_token_lifetime_secs,
        _ => limits.max_token_lifetime_secs,
    };
    let max_minutes = i64::try_from(max_secs / 60).unwrap_or(i64::MAX);
    if !(1..=max_minutes).contains(&ttl_minutes) {
        anyhow::bail!(
            "--ttl-minutes: a {} token lives 1 to {max_minutes} minutes (the services refuse \
             longer ones)",
            caller.role().as_str()
        );
    }
    let subject = subject
        .map(str::to_owned)
        .unwrap_or_else(|| format!("cli-{}", caller.role().as_str()));
    let mut claims = Claims::new(caller, subject, chrono::Duration::minutes(ttl_minutes));
    if let Some(candidate) = on_behalf_of {
        claims = claims.on_behalf_of(candidate);
    }
    sign_hs256(secret, &claims).map_err(|error| anyhow::anyhow!("cannot sign a token: {error}"))
}

/// `token` as a bearer token.
fn bearer(token: &str) -> anyhow::Result<BearerToken> {
    BearerToken::new(token).context("the token is not a valid header value")
}

/// A channel with the caller's token.
pub type Authed = InterceptedService<Channel, BearerToken>;

/// A channel to `url`, connected on first use, carrying a development token for `caller`
/// signed with `secret` (tests and benchmarks against a platform they started).
pub fn authed(url: &str, secret: &str, caller: &Caller) -> anyhow::Result<Authed> {
    let token = mint(secret, caller, None, 600)?;
    let channel = tonic::transport::Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("{url} is not a URL"))?
        .connect_lazy();
    Ok(InterceptedService::new(channel, bearer(&token)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_lives_no_longer_than_the_services_accept() {
        let month = mint(DEV_SECRET, &Caller::Admin, None, 30 * 24 * 60).expect_err("a month");
        assert!(month.to_string().contains("1 to 1440 minutes"), "{month}");
        let service = mint(DEV_SECRET, &Caller::Service, Some("offers"), 120)
            .expect_err("two hours of service");
        assert!(service.to_string().contains("1 to 60 minutes"), "{service}");

        let day = mint(DEV_SECRET, &Caller::Admin, None, 24 * 60).expect("a day is fine");
        let settings = vte_service::settings::AuthSettings {
            development: true,
            hs256_secret: Some(DEV_SECRET.into()),
            ..Default::default()
        };
        let identity = vte_service::auth::Authenticator::from_settings(&settings)
            .expect("development verifier")
            .verify(&day)
            .expect("the services accept it");
        assert_eq!(identity.subject, "cli-admin");
    }
}
