//! `vte invite`: a company invites a candidate it found in a ranking to apply to its offer
//! (InviteToApply), `vte invite list` shows an offer's or a candidate's invitations as a table,
//! and `vte invite decline` declines one as the candidate. Refusals print the service's message.

use clap::{Args, Subcommand};
use vte_domain::{CandidateId, Siren};
use vte_proto::vte::common::v1::{Actor, PageRequest, Role};
use vte_proto::vte::invitations::v1::{Invitation, InvitationStatus};
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_proto::vte::offers::v1::{
    DeclineInvitationRequest, InviteToApplyRequest, ListInvitationsRequest,
    list_invitations_request::Scope,
};
use vte_service::auth::Caller;

use super::rank::clip;
use super::{Authed, Connection, refusal};

/// `vte invite OFFER_ID CANDIDATE_ID --siren SIREN [--message TEXT]`, or one of its
/// subcommands.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct InviteArgs {
    /// `list` or `decline`; without one, sends an invitation.
    #[command(subcommand)]
    pub command: Option<InviteCommand>,
    /// The offer (UUID).
    #[arg(value_name = "OFFER_ID", required = true)]
    pub offer: Option<String>,
    /// The candidate, as the ranking names them (UUID).
    #[arg(value_name = "CANDIDATE_ID", required = true)]
    pub candidate: Option<String>,
    /// The SIREN of the company owning the offer, which invites.
    #[arg(long, value_name = "SIREN", required = true)]
    pub siren: Option<String>,
    /// A message to the candidate (plain text, at most 1,000 characters).
    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,
}

/// What `vte invite` does besides sending.
#[derive(Debug, Clone, Subcommand)]
pub enum InviteCommand {
    /// Lists the invitations to an offer (as its company) or of a candidate (as the candidate).
    List {
        /// The offer (UUID); with `--siren`.
        #[arg(
            long,
            value_name = "ID",
            requires = "siren",
            conflicts_with = "candidate"
        )]
        offer: Option<String>,
        /// The company owning the offer.
        #[arg(long, value_name = "SIREN")]
        siren: Option<String>,
        /// The candidate (UUID).
        #[arg(long, value_name = "ID", required_unless_present = "offer")]
        candidate: Option<String>,
    },
    /// Declines a pending invitation, as the candidate.
    Decline {
        /// The invitation (UUID).
        #[arg(value_name = "INVITATION_ID")]
        invitation: String,
        /// The candidate invited (UUID).
        #[arg(long, value_name = "ID")]
        candidate: String,
        /// Why, shown to the company (at most 1,000 characters).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
}

/// Runs `vte invite` against the services of `connection`, printing what the service answered.
pub async fn run(connection: &Connection, args: InviteArgs) -> anyhow::Result<()> {
    match args.command {
        None => {
            let (Some(offer), Some(candidate), Some(siren)) =
                (args.offer, args.candidate, args.siren)
            else {
                anyhow::bail!("say vte invite OFFER_ID CANDIDATE_ID --siren SIREN");
            };
            let mut client = client(connection, &company(&siren)?).await?;
            let message = args.message.unwrap_or_default();
            let invitation = send(&mut client, &offer, &candidate, &message).await?;
            print!("{}", describe(&invitation));
        }
        Some(InviteCommand::List {
            offer,
            siren,
            candidate,
        }) => {
            let (caller, scope) = match (offer, siren, candidate) {
                (Some(offer), Some(siren), None) => (company(&siren)?, Scope::OfferId(offer)),
                (None, _, Some(candidate)) => {
                    (as_candidate(&candidate)?, Scope::CandidateId(candidate))
                }
                _ => anyhow::bail!("say --offer ID --siren SIREN, or --candidate ID"),
            };
            let mut client = client(connection, &caller).await?;
            print!("{}", table(&list(&mut client, scope).await?));
        }
        Some(InviteCommand::Decline {
            invitation,
            candidate,
            reason,
        }) => {
            let mut client = client(connection, &as_candidate(&candidate)?).await?;
            let reason = reason.unwrap_or_default();
            print!(
                "{}",
                describe(&decline(&mut client, &invitation, &reason).await?)
            );
        }
    }
    Ok(())
}

/// Invites the candidate to apply to the offer, as the caller of `client` (its company).
pub async fn send(
    client: &mut OffersServiceClient<Authed>,
    offer_id: &str,
    candidate_id: &str,
    message: &str,
) -> anyhow::Result<Invitation> {
    let answer = client
        .invite_to_apply(InviteToApplyRequest {
            offer_id: offer_id.to_owned(),
            candidate_id: candidate_id.to_owned(),
            message: message.to_owned(),
        })
        .await;
    answered(answer.map_err(refusal)?.into_inner().invitation)
}

/// Every invitation in `scope`, most recently changed first, page after page.
pub async fn list(
    client: &mut OffersServiceClient<Authed>,
    scope: Scope,
) -> anyhow::Result<Vec<Invitation>> {
    let mut invitations = Vec::new();
    let mut page_token = String::new();
    loop {
        let answer = client
            .list_invitations(ListInvitationsRequest {
                scope: Some(scope.clone()),
                statuses: Vec::new(),
                page: Some(PageRequest {
                    page_size: 100,
                    page_token,
                }),
            })
            .await
            .map_err(refusal)?
            .into_inner();
        invitations.extend(answer.invitations);
        page_token = answer
            .page
            .map(|page| page.next_page_token)
            .unwrap_or_default();
        if page_token.is_empty() {
            return Ok(invitations);
        }
    }
}

/// Declines the invitation, as the caller of `client` (the candidate), giving `reason`.
pub async fn decline(
    client: &mut OffersServiceClient<Authed>,
    invitation_id: &str,
    reason: &str,
) -> anyhow::Result<Invitation> {
    let answer = client
        .decline_invitation(DeclineInvitationRequest {
            invitation_id: invitation_id.to_owned(),
            reason: reason.to_owned(),
        })
        .await;
    answered(answer.map_err(refusal)?.into_inner().invitation)
}

/// The invitation an answer carries (the contract says it always does).
fn answered(invitation: Option<Invitation>) -> anyhow::Result<Invitation> {
    invitation.ok_or_else(|| anyhow::anyhow!("the offers service answered no invitation"))
}

/// An invitation in a few lines: its status, the offer and company, the candidate, when it was
/// sent and answered, the message, the reason to decline and the application it led to.
pub fn describe(invitation: &Invitation) -> String {
    let mut lines = vec![
        format!(
            "invitation {}: {}",
            invitation.id,
            status(invitation.status)
        ),
        format!(
            "  offer       {} (company {})",
            invitation.offer_id, invitation.company_siren
        ),
        format!("  candidate   {}", invitation.candidate_id),
        format!(
            "  sent        {}{}",
            at(invitation.invited_at.as_ref().map(|t| t.seconds)),
            by(invitation.invited_by.as_ref())
        ),
    ];
    if !invitation.message.is_empty() {
        lines.push(format!("  message     {}", invitation.message));
    }
    if invitation.answered_at.is_some() {
        lines.push(format!(
            "  answered    {}{}",
            at(invitation.answered_at.as_ref().map(|t| t.seconds)),
            by(invitation.answered_by.as_ref())
        ));
    }
    if !invitation.decline_reason.is_empty() {
        lines.push(format!("  reason      {}", invitation.decline_reason));
    }
    if !invitation.application_id.is_empty() {
        lines.push(format!("  application {}", invitation.application_id));
    }
    lines.join("\n") + "\n"
}

/// Invitations as a table, one line each; "no invitations" when there are none.
pub fn table(invitations: &[Invitation]) -> String {
    if invitations.is_empty() {
        return String::from("no invitations\n");
    }
    let mut out = format!(
        "{} invitation{}:\n{:<36}  {:<8}  {:<36}  {:<9}  {:<36}  {:<16}  message\n",
        invitations.len(),
        if invitations.len() == 1 { "" } else { "s" },
        "invitation",
        "status",
        "offer",
        "company",
        "candidate",
        "sent (UTC)"
    );
    for invitation in invitations {
        out.push_str(&format!(
            "{:<36}  {:<8}  {:<36}  {:<9}  {:<36}  {:<16}  {}\n",
            invitation.id,
            status(invitation.status),
            invitation.offer_id,
            invitation.company_siren,
            invitation.candidate_id,
            at(invitation.invited_at.as_ref().map(|t| t.seconds)),
            clip(&invitation.message.replace('\n', " "), 40)
        ));
    }
    out
}

fn status(raw: i32) -> &'static str {
    match InvitationStatus::try_from(raw) {
        Ok(InvitationStatus::Pending) => "pending",
        Ok(InvitationStatus::Accepted) => "accepted",
        Ok(InvitationStatus::Declined) => "declined",
        Ok(InvitationStatus::Expired) => "expired",
        _ => "unknown",
    }
}

/// A time of the wire (its seconds), in minutes UTC.
fn at(seconds: Option<i64>) -> String {
    seconds
        .and_then(|seconds| chrono::DateTime::from_timestamp(seconds, 0))
        .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| String::from("?"))
}

fn by(actor: Option<&Actor>) -> String {
    let Some(role) = actor.and_then(|actor| Role::try_from(actor.role).ok()) else {
        return String::new();
    };
    let name = role
        .as_str_name()
        .trim_start_matches("ROLE_")
        .to_lowercase();
    format!(" by the {name}")
}

fn company(siren: &str) -> anyhow::Result<Caller> {
    let siren = Siren::parse(siren).map_err(|e| anyhow::anyhow!("--siren: {e}"))?;
    Ok(Caller::Company { siren })
}

fn as_candidate(candidate: &str) -> anyhow::Result<Caller> {
    let candidate_id =
        CandidateId::parse(candidate).map_err(|e| anyhow::anyhow!("--candidate: {e}"))?;
    Ok(Caller::Candidate { candidate_id })
}

async fn client(
    connection: &Connection,
    caller: &Caller,
) -> anyhow::Result<OffersServiceClient<Authed>> {
    Ok(OffersServiceClient::new(
        connection.channel(&connection.offers, caller).await?,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: Top,
    }

    #[derive(Debug, Subcommand)]
    enum Top {
        Invite(InviteArgs),
    }

    fn parse(line: &str) -> Result<InviteArgs, clap::Error> {
        let Top::Invite(args) = Cli::try_parse_from(line.split_whitespace())?.command;
        Ok(args)
    }

    const OFFER: &str = "0193a0e4-6f1c-7c3e-9b4a-1f2e3d4c5b6a";
    const CANDIDATE: &str = "0193a0e4-7a2b-7d4f-8c5b-2a3b4c5d6e7f";

    #[test]
    fn invite_sends_with_two_ids_and_a_siren_and_lists_or_declines_with_its_subcommands() {
        let send = parse(&format!("vte invite {OFFER} {CANDIDATE} --siren 732829320")).unwrap();
        assert!(send.command.is_none());
        assert_eq!(send.offer.as_deref(), Some(OFFER));
        assert_eq!(send.siren.as_deref(), Some("732829320"));
        assert!(parse(&format!("vte invite {OFFER} {CANDIDATE}")).is_err());

        let list = parse(&format!(
            "vte invite list --offer {OFFER} --siren 732829320"
        ))
        .unwrap();
        assert!(matches!(
            list.command,
            Some(InviteCommand::List { offer: Some(_), .. })
        ));
        assert!(parse(&format!("vte invite list --offer {OFFER}")).is_err());
        assert!(parse("vte invite list").is_err());
        let mine = parse(&format!("vte invite list --candidate {CANDIDATE}")).unwrap();
        assert!(matches!(
            mine.command,
            Some(InviteCommand::List {
                candidate: Some(_),
                ..
            })
        ));

        let decline = parse(&format!(
            "vte invite decline {OFFER} --candidate {CANDIDATE}"
        ))
        .unwrap();
        assert!(matches!(
            decline.command,
            Some(InviteCommand::Decline { .. })
        ));
        assert!(parse(&format!("vte invite decline {OFFER}")).is_err());
    }

    fn invitation() -> Invitation {
        let utc = |at: &str| vte_wire::timestamp(at.parse().unwrap());
        Invitation {
            id: "0193a0e5-0000-7000-8000-000000000001".to_owned(),
            offer_id: OFFER.to_owned(),
            company_siren: "732829320".to_owned(),
            candidate_id: CANDIDATE.to_owned(),
            status: InvitationStatus::Declined as i32,
            message: "Votre parcours en génie mécanique nous intéresse.".to_owned(),
            invited_by: Some(Actor {
                role: Role::Company as i32,
                ..Actor::default()
            }),
            invited_at: Some(utc("2026-03-02T08:30:00Z")),
            answered_by: Some(Actor {
                role: Role::Candidate as i32,
                ..Actor::default()
            }),
            answered_at: Some(utc("2026-03-02T09:15:00Z")),
            decline_reason: "Je reste à Toulouse".to_owned(),
            ..Invitation::default()
        }
    }

    #[test]
    fn an_invitation_reads_as_words_and_dates_not_as_numbers() {
        let text = describe(&invitation());
        assert!(text.starts_with("invitation 0193a0e5-0000-7000-8000-000000000001: declined\n"));
        assert!(
            text.contains("sent        2026-03-02 08:30 by the company"),
            "{text}"
        );
        assert!(
            text.contains("answered    2026-03-02 09:15 by the candidate"),
            "{text}"
        );
        assert!(text.contains("reason      Je reste à Toulouse"), "{text}");
        assert!(!text.contains("application"), "{text}");

        let rows = table(&[invitation(), invitation()]);
        assert!(rows.starts_with("2 invitations:\n"), "{rows}");
        assert_eq!(rows.lines().count(), 4);
        assert!(rows.lines().nth(2).unwrap().contains("declined"), "{rows}");
        assert_eq!(table(&[]), "no invitations\n");
    }
}
