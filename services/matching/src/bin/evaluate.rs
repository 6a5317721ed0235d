//! `evaluate`: ranking quality on a graded set (`../shared/eval/README.md`). Ranks every offer's
//! pool through the code RankCandidates runs, with the matching service's own settings
//! (`matching.rules.*` from its defaults, `VTE_CONFIG` and `VTE_MATCHING__*`), and prints, per
//! offer and as means over offers, nDCG@10, P@5, ineligible pairs shown and eligible pairs
//! missed, ending with one line:
//!
//! `ndcg@10 <x> p@5 <y> ineligible_shown <n> eligible_missed <m>`
//!
//! `cargo run --release -p vte-matching --bin evaluate -- ../shared/eval/ranking-dev.json`
//! (options: `--reference DIR`, `--rules DIR`, `--show N` to list each offer's first N).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use vte_matching::MatchingSettings;
use vte_matching::evaluation::{Report, evaluate, set::GradedSet};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;
use vte_service::Service;
use vte_service::settings::OwnSettings;

struct Args {
    set: PathBuf,
    reference: PathBuf,
    rules: PathBuf,
    show: usize,
}

fn args() -> Result<Args, String> {
    let mut raw = std::env::args().skip(1);
    let mut args = Args {
        set: PathBuf::new(),
        reference: ReferenceData::default_dir(),
        rules: vte_rules::repository_rules_dir(),
        show: 0,
    };
    let mut set = None;
    while let Some(arg) = raw.next() {
        let mut value = |name: &str| raw.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--reference" => args.reference = value("--reference")?.into(),
            "--rules" => args.rules = value("--rules")?.into(),
            "--show" => {
                args.show = value("--show")?
                    .parse()
                    .map_err(|_| "--show takes a number".to_owned())?;
            }
            "-h" | "--help" => return Err(String::new()),
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            path => set = Some(PathBuf::from(path)),
        }
    }
    args.set = set.ok_or("the graded set's path is required")?;
    Ok(args)
}

fn run(args: &Args) -> Result<Report, String> {
    let text = std::fs::read_to_string(&args.set)
        .map_err(|e| format!("reading {}: {e}", args.set.display()))?;
    let set: GradedSet = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a graded set: {e}", args.set.display()))?;
    if set.version != 1 {
        return Err(format!(
            "{}: version {} is not 1",
            args.set.display(),
            set.version
        ));
    }
    let reference = ReferenceData::load(&args.reference)
        .map_err(|e| format!("reading {}: {e}", args.reference.display()))?;
    let book = RuleBook::load(&args.rules).map_err(|e| e.to_string())?;
    let settings = MatchingSettings::load(vte_matching::Application::DEFAULTS)?;
    println!(
        "{}: {} offers, {} candidates, {} judgments, as of {}",
        args.set.display(),
        set.offers.len(),
        set.candidates.len(),
        set.judgments.len(),
        set.as_of
    );
    evaluate(&set, &reference, &book, &settings.rules, &settings.spread).map_err(|e| e.to_string())
}

fn print(report: &Report, show: usize) {
    println!(
        "\n{:<6} {:>4} {:>6} {:>8} {:>6} {:>10} {:>8} {:>8}  title",
        "offer", "pool", "ranked", "nDCG@10", "P@5", "inelig.", "missed", "lowered"
    );
    for offer in &report.offers {
        let m = &offer.measures;
        let title: String = offer.title.chars().take(60).collect();
        println!(
            "{:<6} {:>4} {:>6} {:>8.3} {:>6.2} {:>10} {:>8} {:>8}  {title}",
            offer.id,
            offer.pool,
            offer.ranked.len(),
            m.ndcg_at_10,
            m.precision_at_5,
            m.ineligible_shown,
            m.eligible_missed,
            offer.lowered
        );
        for (rank, (id, score)) in offer.ranked.iter().take(show).enumerate() {
            println!("         {:>2}. {id} {score:.3}", rank + 1);
        }
    }
    let m = &report.overall;
    println!(
        "\nmean over {} offers: nDCG@10 {:.3}, P@5 {:.3}; ineligible shown {}, eligible missed {}",
        report.offers.len(),
        m.ndcg_at_10,
        m.precision_at_5,
        m.ineligible_shown,
        m.eligible_missed
    );
    let (u, g) = (&report.unspread, report.exposure_gini);
    println!(
        "by score alone (no exposure spread): nDCG@10 {:.3}, P@5 {:.3}; the spread changes \
         nDCG@10 by {:+.3}; exposure Gini of the first pages {:.3} -> {:.3}",
        u.ndcg_at_10,
        u.precision_at_5,
        // Rounded first, so that a change below the shown precision prints +0.000, not -0.000.
        ((m.ndcg_at_10 - u.ndcg_at_10) * 1000.0).round() / 1000.0 + 0.0,
        g.0,
        g.1
    );
    println!("{}", report.summary_line());
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(problem) => {
            if !problem.is_empty() {
                eprintln!("evaluate: {problem}");
            }
            eprintln!(
                "usage: evaluate <graded-set.json> [--reference DIR] [--rules DIR] [--show N]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(report) => {
            print(&report, args.show);
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("evaluate: {problem}");
            ExitCode::FAILURE
        }
    }
}
