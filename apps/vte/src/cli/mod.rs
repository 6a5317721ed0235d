//! The command-line client: development tokens, a school's CSV import, an offer from a file,
//! rankings as readable tables, label decisions, notifications. It talks gRPC to a running
//! platform (`vte up`, or any deployment given its URLs and a token).

pub mod offer;
pub mod rank;
pub mod students;
pub mod tail;

use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_service::auth::{BearerToken, Caller, Claims, sign_hs256};

use crate::platform::DEV_SECRET;

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

/// A role to mint a token for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Site,
    School,
    Company,
    Candidate,
    Bpifrance,
    Admin,
    Service,
}

/// `vte token`: the tenant a role needs.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The role.
    pub role: RoleArg,
    /// The school (role school).
    #[arg(long)]
    pub school: Option<String>,
    /// The company's SIREN (role company).
    #[arg(long)]
    pub siren: Option<String>,
    /// The candidate (role candidate).
    #[arg(long)]
    pub candidate: Option<String>,
    /// The token's subject (an opaque account id); for a service, its name.
    #[arg(long)]
    pub subject: Option<String>,
    /// Lifetime in minutes.
    #[arg(long, default_value_t = 12 * 60)]
    pub ttl_minutes: i64,
}

impl TokenArgs {
    /// The caller these arguments describe.
    pub fn caller(&self) -> anyhow::Result<Caller> {
        let school = || -> anyhow::Result<SchoolId> {
            let raw = self
                .school
                .as_deref()
                .context("--school <uuid> is required")?;
            SchoolId::parse(raw).map_err(|e| anyhow::anyhow!("--school: {e}"))
        };
        Ok(match self.role {
            RoleArg::Site => Caller::Site,
            RoleArg::School => Caller::School {
                school_id: school()?,
            },
            RoleArg::Company => {
                let raw = self
                    .siren
                    .as_deref()
                    .context("--siren <9 digits> is required")?;
                Caller::Company {
                    siren: Siren::parse(raw).map_err(|e| anyhow::anyhow!("--siren: {e}"))?,
                }
            }
            RoleArg::Candidate => {
                let raw = self
                    .candidate
                    .as_deref()
                    .context("--candidate <uuid> is required")?;
                Caller::Candidate {
                    candidate_id: CandidateId::parse(raw)
                        .map_err(|e| anyhow::anyhow!("--candidate: {e}"))?,
                }
            }
            RoleArg::Bpifrance => Caller::Bpifrance,
            RoleArg::Admin => Caller::Admin,
            RoleArg::Service => Caller::Service,
        })
    }
}

/// A signed development token for `caller`.
pub fn mint(
    secret: &str,
    caller: &Caller,
    subject: Option<&str>,
    ttl_minutes: i64,
) -> anyhow::Result<String> {
    let subject = subject
        .map(str::to_owned)
        .unwrap_or_else(|| format!("cli-{}", caller.role().as_str()));
    let claims = Claims::new(caller, subject, chrono::Duration::minutes(ttl_minutes));
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

/// Waits until matching ranks offers for each of `candidates`, that is until it knows them as
/// matchable (tests and benchmarks that publish offers right after a school's push and expect
/// those students to be suggested).
pub async fn until_matchable(
    matching_url: &str,
    secret: &str,
    candidates: &[CandidateId],
    patience: Duration,
) -> anyhow::Result<()> {
    use vte_proto::vte::matching::v1::RankOffersRequest;
    use vte_proto::vte::matching::v1::matching_service_client::MatchingServiceClient;

    let deadline = tokio::time::Instant::now() + patience;
    for &candidate_id in candidates {
        let caller = Caller::Candidate { candidate_id };
        let mut client = MatchingServiceClient::new(authed(matching_url, secret, &caller)?);
        loop {
            let answer = client.rank_offers(RankOffersRequest::default()).await;
            match answer {
                Ok(_) => break,
                // Anything but "not known (yet)" or "not up yet" will not pass with time.
                Err(status)
                    if !matches!(
                        status.code(),
                        tonic::Code::NotFound
                            | tonic::Code::FailedPrecondition
                            | tonic::Code::Unavailable
                    ) =>
                {
                    anyhow::bail!("matching refuses to rank offers for {candidate_id}: {status}")
                }
                Err(status) if tokio::time::Instant::now() >= deadline => {
                    anyhow::bail!(
                        "matching does not know candidate {candidate_id} as matchable after \
                         {patience:?}: {}",
                        status.message()
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
    Ok(())
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

/// A refusal from a service, in words.
pub fn refusal(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}
