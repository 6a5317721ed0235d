//! The command-line client: development tokens, a school's CSV import, an offer from a file,
//! rankings as readable tables, invitations to apply, label decisions, notifications. It talks
//! gRPC to a running platform (`vte up`, or any deployment given its URLs and a token), and
//! Kafka for the dead letters (`vte dlq`).

pub mod dlq;
pub mod invite;
pub mod label;
pub mod offer;
pub mod rank;
pub mod students;
pub mod tail;

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use clap::builder::TypedValueParser as _;
use vte_domain::Role;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_service::auth::Caller;

pub use crate::connection::{Authed, Connection, authed, mint, mint_for};

/// A role on the command line, named as in tokens (`site`, `school`, `company`...).
pub fn role_parser() -> impl clap::builder::TypedValueParser<Value = Role> {
    clap::builder::PossibleValuesParser::new(Role::ALL.map(Role::as_str))
        .try_map(|name| Role::parse(&name))
}

/// `vte token`: the tenant a role needs.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The role.
    #[arg(value_parser = role_parser())]
    pub role: Role,
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
    /// The candidate a `site` token acts for (the candidate's delegation to the website).
    #[arg(long, value_name = "CANDIDATE")]
    pub on_behalf_of: Option<String>,
    /// Lifetime in minutes: at most a day (1440), an hour (60) for `service` tokens, as the
    /// services accept by default. Default: 12 hours, an hour for `service`.
    #[arg(long)]
    pub ttl_minutes: Option<i64>,
}

impl TokenArgs {
    /// The lifetime asked for, or the default of the role.
    pub fn ttl_minutes(&self) -> i64 {
        self.ttl_minutes.unwrap_or(match self.role {
            Role::Service => 60,
            _ => 12 * 60,
        })
    }

    /// The candidate a site token acts for, if one was named.
    pub fn on_behalf_of(&self) -> anyhow::Result<Option<CandidateId>> {
        let Some(raw) = self.on_behalf_of.as_deref() else {
            return Ok(None);
        };
        anyhow::ensure!(
            self.role == Role::Site,
            "--on-behalf-of: only a site token acts for a candidate"
        );
        CandidateId::parse(raw)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("--on-behalf-of: {e}"))
    }

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
            Role::Site => Caller::Site,
            Role::School => Caller::School {
                school_id: school()?,
            },
            Role::Company => {
                let raw = self
                    .siren
                    .as_deref()
                    .context("--siren <9 digits> is required")?;
                Caller::Company {
                    siren: Siren::parse(raw).map_err(|e| anyhow::anyhow!("--siren: {e}"))?,
                }
            }
            Role::Candidate => {
                let raw = self
                    .candidate
                    .as_deref()
                    .context("--candidate <uuid> is required")?;
                Caller::Candidate {
                    candidate_id: CandidateId::parse(raw)
                        .map_err(|e| anyhow::anyhow!("--candidate: {e}"))?,
                }
            }
            Role::Bpifrance => Caller::Bpifrance,
            Role::Admin => Caller::Admin,
            Role::Service => Caller::Service,
        })
    }
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

/// A refusal from a service, in words.
pub fn refusal(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use vte_service::auth::DEVELOPMENT_SECRET;

    fn args(role: Role) -> TokenArgs {
        TokenArgs {
            role,
            school: None,
            siren: None,
            candidate: None,
            subject: None,
            on_behalf_of: None,
            ttl_minutes: None,
        }
    }

    #[test]
    fn a_service_token_defaults_to_the_hour_the_services_accept() {
        assert_eq!(args(Role::Service).ttl_minutes(), 60);
        assert_eq!(args(Role::Site).ttl_minutes(), 12 * 60);
        let service = args(Role::Service);
        assert!(
            mint(
                DEVELOPMENT_SECRET,
                &service.caller().unwrap(),
                Some("offers"),
                service.ttl_minutes()
            )
            .is_ok()
        );
    }

    #[test]
    fn only_a_site_token_acts_on_behalf_of_a_candidate() {
        let candidate = CandidateId::new().to_string();
        let site = TokenArgs {
            on_behalf_of: Some(candidate.clone()),
            ..args(Role::Site)
        };
        assert_eq!(
            site.on_behalf_of().unwrap().map(|id| id.to_string()),
            Some(candidate.clone())
        );
        let admin = TokenArgs {
            on_behalf_of: Some(candidate),
            ..args(Role::Admin)
        };
        assert!(admin.on_behalf_of().is_err());
        let garbled = TokenArgs {
            on_behalf_of: Some("someone".to_owned()),
            ..args(Role::Site)
        };
        assert!(garbled.on_behalf_of().is_err());
    }
}
