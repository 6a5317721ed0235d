//! `vte`: run the whole platform with one command, and drive it from the command line.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool prints its results"
)]

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use vte::cli::{self, Connection, TokenArgs};
use vte::platform::{Platform, PlatformOptions};
use vte_domain::{CandidateId, Siren};
use vte_proto::vte::matching::v1::matching_service_client::MatchingServiceClient;
use vte_proto::vte::notifications::v1::notifications_service_client::NotificationsServiceClient;
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_service::auth::Caller;

#[derive(Debug, Parser)]
#[command(
    name = "vte",
    version,
    about = "The VTE matching platform: run it, and use it"
)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the four services in this process, with a private PostgreSQL cluster, an embedded
    /// Kafka-protocol broker and a mail catcher, until Ctrl-C.
    Up(UpArgs),
    /// Prints a development token for a role (signed with the development secret).
    Token(TokenArgs),
    /// Imports a school's students from a CSV file (see `vte help import-students`).
    ImportStudents {
        /// The school (UUID).
        #[arg(long)]
        school: String,
        /// The CSV file.
        file: PathBuf,
    },
    /// Creates and publishes an offer described in a TOML file, for a company.
    PublishOffer {
        /// The company's SIREN.
        #[arg(long)]
        siren: String,
        /// The TOML file.
        file: PathBuf,
    },
    /// Rankings with their explanations.
    #[command(subcommand)]
    Rank(RankCommand),
    /// Invites a ranked candidate to apply to an offer (as its company); `list` and `decline`
    /// show and answer invitations.
    Invite(cli::invite::InviteArgs),
    /// Records Bpifrance's label decision on a VTE whose label was requested, and prints a
    /// summary of it.
    Label {
        /// The placement (UUID).
        placement: String,
        /// Grant the label.
        #[arg(long, conflicts_with = "refuse")]
        grant: bool,
        /// Refuse it, with this reason.
        #[arg(long, value_name = "REASON")]
        refuse: Option<String>,
        /// The decision this one reconsiders (an appeal).
        #[arg(long)]
        reconsiders: Option<String>,
    },
    /// Shows a recipient's notifications; `--follow` waits for new ones.
    Notifications {
        /// The recipient's role: company, school, candidate or bpifrance.
        #[arg(long = "as", value_parser = cli::role_parser())]
        role: vte_domain::Role,
        #[arg(long)]
        siren: Option<String>,
        #[arg(long)]
        school: Option<String>,
        #[arg(long)]
        candidate: Option<String>,
        #[arg(long)]
        unread: bool,
        #[arg(long)]
        follow: bool,
    },
    /// Dead letters: list a topic's, or replay them to the topic they came from.
    #[command(subcommand)]
    Dlq(cli::dlq::DlqCommand),
}

#[derive(Debug, Subcommand)]
enum RankCommand {
    /// The best candidates for an offer (as its company).
    Candidates {
        /// The offer (UUID).
        offer: String,
        /// The company owning the offer.
        #[arg(long)]
        siren: String,
        #[arg(long, default_value_t = 10)]
        limit: u32,
        /// Show every score component.
        #[arg(long)]
        explain: bool,
    },
    /// The best offers for a candidate (as the candidate).
    Offers {
        /// The candidate (UUID).
        candidate: String,
        #[arg(long, default_value_t = 10)]
        limit: u32,
        #[arg(long)]
        explain: bool,
    },
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    /// Keep the data (PostgreSQL, mail) in this directory between runs; without it, a fresh
    /// temporary cluster is used and removed at exit.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Load the demo data set (3 schools, 300 students, 36 offers).
    #[arg(long)]
    demo: bool,
    /// Add this to every port (to run two platforms side by side).
    #[arg(long, default_value_t = 0)]
    port_offset: u16,
    /// Use this SMTP relay (plain SMTP, `host:port`) instead of the built-in mail catcher.
    #[arg(long, value_name = "HOST:PORT")]
    smtp: Option<String>,
    /// Use this PostgreSQL server (each service gets its own database there).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Use this Kafka cluster instead of the embedded broker.
    #[arg(long, env = "KAFKA_BROKERS")]
    kafka_brokers: Option<String>,
    /// Export traces over OTLP/gRPC to this collector.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    otlp_endpoint: Option<String>,
    /// The reference data directory (communes, Territoires d'industrie).
    #[arg(long, env = "VTE_REFERENCE_DIR")]
    reference_dir: Option<PathBuf>,
    /// The scheme's rule sets (default: the repository's `rules/`).
    #[arg(long, env = "VTE_RULES_DIR")]
    rules_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Errors are for people: one line with its causes, no backtrace.
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("vte: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let connection = cli.connection;
    match cli.command {
        Command::Up(args) => up(args, &connection).await,
        Command::Token(args) => {
            let caller = args.caller()?;
            let token = cli::mint_for(
                &connection.secret,
                &caller,
                args.subject.as_deref(),
                args.ttl_minutes(),
                args.on_behalf_of()?,
            )?;
            println!("{token}");
            Ok(())
        }
        Command::ImportStudents { school, file } => {
            cli::students::import(&connection, &school, &file).await
        }
        Command::PublishOffer { siren, file } => {
            let siren = Siren::parse(&siren).map_err(|e| anyhow::anyhow!("--siren: {e}"))?;
            let spec = cli::offer::OfferFile::read(&file)?.spec()?;
            let caller = Caller::Company { siren };
            let mut client =
                OffersServiceClient::new(connection.channel(&connection.offers, &caller).await?);
            let offer = cli::offer::publish(&mut client, spec).await?;
            cli::offer::describe(&offer);
            Ok(())
        }
        Command::Rank(RankCommand::Candidates {
            offer,
            siren,
            limit,
            explain,
        }) => {
            let siren = Siren::parse(&siren).map_err(|e| anyhow::anyhow!("--siren: {e}"))?;
            let caller = Caller::Company { siren };
            let mut client = MatchingServiceClient::new(
                connection.channel(&connection.matching, &caller).await?,
            );
            let ranking = cli::rank::candidates(&mut client, &offer, limit).await?;
            cli::rank::print_candidates(&ranking, explain);
            Ok(())
        }
        Command::Rank(RankCommand::Offers {
            candidate,
            limit,
            explain,
        }) => {
            let candidate_id =
                CandidateId::parse(&candidate).map_err(|e| anyhow::anyhow!("candidate: {e}"))?;
            let caller = Caller::Candidate { candidate_id };
            let mut client = MatchingServiceClient::new(
                connection.channel(&connection.matching, &caller).await?,
            );
            let ranking = cli::rank::offers(&mut client, &candidate, limit).await?;
            cli::rank::print_offers(&ranking, explain);
            Ok(())
        }
        Command::Invite(args) => cli::invite::run(&connection, args).await,
        Command::Label {
            placement,
            grant,
            refuse,
            reconsiders,
        } => {
            let decision = match (grant, refuse) {
                (true, None) => cli::label::Decision::Grant,
                (false, Some(reason)) => cli::label::Decision::Refuse { reason },
                _ => anyhow::bail!("say --grant, or --refuse <reason>"),
            };
            cli::label::decide(&connection, placement, decision, reconsiders).await
        }
        Command::Notifications {
            role,
            siren,
            school,
            candidate,
            unread,
            follow,
        } => {
            let caller = TokenArgs {
                role,
                school,
                siren,
                candidate,
                subject: None,
                on_behalf_of: None,
                ttl_minutes: Some(60),
            }
            .caller()?;
            let mut client = NotificationsServiceClient::new(
                connection
                    .channel(&connection.notifications, &caller)
                    .await?,
            );
            cli::tail::run(&mut client, unread, follow).await
        }
        Command::Dlq(command) => cli::dlq::run(command).await,
    }
}

async fn up(args: UpArgs, connection: &Connection) -> anyhow::Result<()> {
    let started = Instant::now();
    let reference_dir = args
        .reference_dir
        .unwrap_or_else(vte_reference::ReferenceData::default_dir);
    let mut options = PlatformOptions::new(reference_dir.clone());
    if let Some(rules_dir) = args.rules_dir {
        options.rules_dir = rules_dir;
    }
    options.data_dir = args.data_dir;
    options.database_url = args.database_url;
    options.kafka_brokers = args.kafka_brokers;
    options.port_offset = args.port_offset;
    options.otlp_endpoint = args.otlp_endpoint.clone();
    options.secret = connection.secret.clone();
    options.smtp_relay = match args.smtp {
        Some(relay) => {
            let (host, port) = relay
                .rsplit_once(':')
                .context("--smtp: expected host:port")?;
            Some((host.to_owned(), port.parse().context("--smtp: bad port")?))
        }
        None => None,
    };
    // Warnings and errors only on the console (`RUST_LOG=info` for every call).
    let telemetry = vte_telemetry::TelemetrySettings {
        otlp_endpoint: args.otlp_endpoint,
        log_filter: String::from("warn"),
        ..vte_telemetry::TelemetrySettings::default()
    };
    let _telemetry = vte_telemetry::init("vte", &telemetry)?;
    println!("Starting the VTE platform…");
    let mut platform = Platform::start(options).await?;
    let healthy = started.elapsed();
    println!(
        "\nAll four services are healthy ({:.1} s after start):",
        healthy.as_secs_f64()
    );
    for endpoint in &platform.endpoints {
        println!(
            "  {:<14} gRPC {:<22} metrics http://{}/metrics",
            endpoint.name,
            endpoint.url(),
            endpoint.metrics
        );
    }
    if let Some(mailbox) = &platform.mailbox {
        println!(
            "  {:<14} smtp://{} → emails written to {}",
            "mail catcher",
            mailbox.addr(),
            mailbox.dir().display()
        );
    }
    print_client_environment(&platform);
    if args.demo {
        println!("\nLoading the demo data…");
        let reference = vte_reference::ReferenceData::load(&reference_dir)?;
        if let vte::demo::Demo::AlreadyLoaded { offers } =
            vte::demo::load(&platform.connection(), &reference).await?
        {
            println!(
                "  demo data already loaded ({offers} offers of the demo companies are there): \
                 nothing pushed or published again"
            );
        }
    }
    println!(
        "\nA development token: `cargo run --release -p vte -- token school --school <uuid>` \
         (roles: site, school, company, candidate, bpifrance, admin, service).\n\
         Try `cargo run --release -p vte -- help`. Stop with Ctrl-C."
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            println!("\nStopping…");
        }
        failure = platform.failed() => {
            eprintln!("a service failed: {:#}", failure.err().unwrap_or_else(|| anyhow::anyhow!("unknown")));
        }
    }
    platform.stop(vte::platform::DRAIN_PATIENCE).await?;
    println!("Stopped.");
    Ok(())
}

/// What another terminal sets for the client to reach this platform: the client's defaults are
/// the ports without `--port-offset`, and the embedded broker's port is new on every run.
fn print_client_environment(platform: &Platform) {
    let connection = platform.connection();
    println!(
        "\nFor the client (`vte rank`, `vte notifications`, `vte dlq`...) in another terminal:\n  \
         export VTE_OFFERS_URL={} VTE_CANDIDATES_URL={} VTE_MATCHING_URL={} \
         VTE_NOTIFICATIONS_URL={} VTE_KAFKA__BROKERS={}",
        connection.offers,
        connection.candidates,
        connection.matching,
        connection.notifications,
        platform.kafka_brokers()
    );
}
