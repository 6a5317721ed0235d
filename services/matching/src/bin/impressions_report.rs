//! `impressions-report`: how the rankings matching showed fared, from its own database (the
//! impressions it recorded and the outcomes it learnt from events). Prints the impressions per
//! audience, apply-rate@10 (pairs shown in a top 10 then applied to within the window),
//! interviews, hires and labels whose pair was in a top 10 before, the median time from a
//! pair's first showing to its application, and the exposure Gini of companies' top 10s over
//! the matchable candidates, ending with one line:
//!
//! `apply_rate@10 <x> hires_in_top10 <y> median_days_to_apply <d> exposure_gini <g>`
//!
//! `cargo run --release -p vte-matching --bin impressions-report -- [--database-url URL]
//! [--since YYYY-MM-DD] [--window-days N]` (the database defaults to the matching service's
//! own settings: `VTE_DATABASE__URL`, `VTE_CONFIG`; `--since` to 400 days ago, the window to 30
//! days). It reads ids and times only, and prints counts and shares, never an id.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::postgres::PgPoolOptions;
use vte_matching::impressions::report::report;
use vte_matching::impressions::store;
use vte_service::Service;

struct Args {
    database_url: Option<String>,
    since: DateTime<Utc>,
    window_days: i64,
}

const USAGE: &str = "usage: impressions-report [--database-url URL] [--since YYYY-MM-DD] \
                     [--window-days N]";

fn args() -> Result<Args, String> {
    let mut raw = std::env::args().skip(1);
    let mut args = Args {
        database_url: None,
        since: Utc::now() - Duration::days(400),
        window_days: 30,
    };
    while let Some(arg) = raw.next() {
        let mut value = |name: &str| raw.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--database-url" => args.database_url = Some(value("--database-url")?),
            "--since" => {
                let text = value("--since")?;
                let day = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map_err(|_| "--since takes a date as YYYY-MM-DD".to_owned())?;
                args.since = day.and_time(chrono::NaiveTime::MIN).and_utc();
            }
            "--window-days" => {
                args.window_days = value("--window-days")?
                    .parse()
                    .ok()
                    .filter(|days| (1..=3650).contains(days))
                    .ok_or("--window-days takes a number of days in 1..=3650")?;
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// The database: `--database-url`, else the matching service's own settings.
fn database_url(args: &Args) -> Result<String, String> {
    if let Some(url) = &args.database_url {
        return Ok(url.clone());
    }
    vte_service::Settings::figment(vte_matching::Application::DEFAULTS)
        .extract_inner::<String>("database.url")
        .map_err(|error| format!("database.url: {error}"))
}

async fn run(args: &Args) -> Result<String, String> {
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&database_url(args)?)
        .await
        .map_err(|error| format!("connecting to the database: {error}"))?;
    let inputs = store::report_inputs(&pool, args.since, Duration::days(args.window_days))
        .await
        .map_err(|error| format!("reading the impressions: {error}"))?;
    Ok(report(&inputs).to_string())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(problem) => {
            if !problem.is_empty() {
                eprintln!("impressions-report: {problem}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("impressions-report: {problem}");
            ExitCode::FAILURE
        }
    }
}
