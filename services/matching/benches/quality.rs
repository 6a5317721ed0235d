//! Ranking quality on the graded set `../shared/eval/ranking-dev.json` (its README gives the
//! measures): each offer's pool ranked as RankCandidates ranks it (the hard filters, then the
//! score; `assess` agrees with the index, `tests/index.rs`), with the filters of issue 14 (the
//! scheme's verdict) and with matching's filters before it (contract sought, the offer's level
//! range, availability, mobility), on the same scores. A stopgap until issue 15's evaluate
//! command; prints the means over offers and, for each pair the graders found eligible but the
//! verdict refuses, the rule and its reason.
//!
//! `cargo bench -p vte-matching --bench quality` (option: `--set PATH`).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde_json::Value;
use vte_domain::{
    CandidateId, CompanySize, ContractKind, LanguageCode, MissionType, OfferId, Siren,
};
use vte_matching::domain::{
    Academic, Assessment, CandidateModel, Language, OfferModel, Place, Rules, SchemeFit, Term,
    assess, mission_weights, verdict,
};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn day(value: &Value) -> Option<NaiveDate> {
    value.as_str().and_then(|raw| raw.parse().ok())
}

fn terms(value: &Value) -> Vec<Term> {
    value
        .as_array()
        .map(|items| items.iter().map(|item| Term::new(text(item))).collect())
        .unwrap_or_default()
}

fn languages(value: &Value) -> Vec<Language> {
    let cefr = |raw: &str| {
        ["A1", "A2", "B1", "B2", "C1", "C2"]
            .iter()
            .position(|l| *l == raw)
    };
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| {
            Some(Language {
                code: LanguageCode::parse(text(&item["code"])).ok()?,
                level: u8::try_from(cefr(text(&item["level"]))? + 1).ok()?,
            })
        })
        .collect()
}

fn level(value: &Value) -> u8 {
    u8::try_from(value.as_u64().unwrap_or(0)).unwrap_or(0)
}

fn offer(raw: &Value, reference: &ReferenceData, book: &RuleBook) -> OfferModel {
    let mission = |value: &Value| MissionType::parse(text(value)).ok();
    let mut offer = OfferModel {
        id: OfferId::new(),
        siren: Siren::parse("732829320").unwrap(),
        title: text(&raw["title"]).to_owned(),
        company_name: text(&raw["company_name"]).to_owned(),
        open: true,
        primary: mission(&raw["primary_mission_type"]).expect("primary_mission_type"),
        secondary: mission(&raw["secondary_mission_type"]),
        contract: ContractKind::parse(text(&raw["contract_kind"])).expect("contract_kind"),
        duration_months: raw["duration_months"]
            .as_u64()
            .and_then(|months| u16::try_from(months).ok()),
        min_level: level(&raw["min_level"]),
        max_level: level(&raw["max_level"]),
        company_size: CompanySize::parse(text(&raw["company_size"])).expect("company_size"),
        ecological: raw["ecological_transition"].as_bool().unwrap_or(false),
        fields: terms(&raw["fields_of_study"]),
        skills: terms(&raw["skills"]),
        languages: languages(&raw["languages"]),
        place: Place::resolve(reference, text(&raw["insee_code"])).expect("insee_code"),
        start_date: day(&raw["start_date"]).expect("start_date"),
        scheme: SchemeFit::unread(),
    };
    offer.scheme = SchemeFit::read(book, &offer);
    offer
}

fn candidate(raw: &Value, reference: &ReferenceData) -> CandidateModel {
    let preferences = &raw["preferences"];
    let weights = preferences["mission_type_weights"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(mission, weight)| {
            Some((
                MissionType::parse(mission).ok()?,
                u32::try_from(weight.as_u64()?).ok()?,
            ))
        });
    CandidateModel {
        id: CandidateId::new(),
        school: None,
        academic: match text(&raw["status"]) {
            "STUDENT" => Academic::Student,
            "GRADUATE" => Academic::Graduate,
            _ => Academic::Unknown,
        },
        graduation_date: day(&raw["graduation_date"]),
        level: level(&raw["level"]),
        field_of_study: Term::new(text(&raw["field_of_study"])),
        skills: terms(&raw["skills"]),
        languages: languages(&raw["languages"]),
        home: Place::resolve(reference, text(&raw["home_insee_code"])).expect("home_insee_code"),
        mission_weights: mission_weights(weights),
        radius_km: u32::try_from(preferences["mobility_radius_km"].as_u64().unwrap_or(0))
            .unwrap_or(0),
        open_to_relocation: preferences["open_to_relocation"].as_bool().unwrap_or(false),
        preferred_regions: preferences["preferred_region_codes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|code| text(code).to_owned())
            .collect(),
        contract_kinds: preferences["contract_kinds_sought"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|kind| ContractKind::parse(text(kind)).ok())
            .collect(),
        available_from: day(&preferences["available_from"]).expect("available_from"),
        labels_count: 0,
    }
}

/// Matching's hard filters before issue 14.
fn filters_before(offer: &OfferModel, candidate: &CandidateModel, a: &Assessment) -> bool {
    let f = &a.filters;
    f.offer_open
        && f.contract
        && (offer.min_level..=offer.max_level).contains(&candidate.level)
        && f.availability
        && f.mobility
}

#[derive(Debug, Default, Clone, Copy)]
struct Measures {
    ndcg10: f64,
    p5: f64,
    ineligible_shown: usize,
    eligible_missed: usize,
}

/// The measures of one ranking (pool ids, best first) against the pool's judgments.
fn measure(
    ranked: &[&str],
    pool: &[&str],
    judged: &HashMap<(&str, &str), (f64, bool)>,
    offer: &str,
) -> Measures {
    let grade = |id: &str| judged.get(&(offer, id)).map_or(0.0, |j| j.0);
    let gain = |g: f64| 2f64.powf(g) - 1.0;
    let dcg = |ids: &mut dyn Iterator<Item = f64>| {
        ids.take(10)
            .enumerate()
            .map(|(i, g)| gain(g) / (i as f64 + 2.0).log2())
            .sum::<f64>()
    };
    let mut ideal: Vec<f64> = pool.iter().map(|id| grade(id)).collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg = dcg(&mut ideal.into_iter());
    let actual = dcg(&mut ranked.iter().map(|id| grade(id)));
    Measures {
        ndcg10: if idcg > 0.0 { actual / idcg } else { 0.0 },
        p5: ranked.iter().take(5).filter(|id| grade(id) >= 2.0).count() as f64 / 5.0,
        ineligible_shown: ranked
            .iter()
            .filter(|id| judged.get(&(offer, **id)).is_some_and(|j| !j.1))
            .count(),
        eligible_missed: pool
            .iter()
            .filter(|id| {
                !ranked.contains(id)
                    && judged
                        .get(&(offer, **id))
                        .is_some_and(|j| j.1 && j.0 >= 2.0)
            })
            .count(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .windows(2)
        .find(|pair| pair[0] == "--set")
        .map(|pair| PathBuf::from(&pair[1]))
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/ranking-dev.json")
        });
    let set: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let reference = ReferenceData::load(&vte_testbed::reference_dir()).unwrap();
    let book = RuleBook::load(&vte_rules::repository_rules_dir()).unwrap();
    let rules = Rules::default();
    let candidates: HashMap<&str, CandidateModel> = set["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|raw| (text(&raw["id"]), candidate(raw, &reference)))
        .collect();
    let judged: HashMap<(&str, &str), (f64, bool)> = set["judgments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                (text(&j["offer"]), text(&j["candidate"])),
                (
                    j["grade"].as_f64().unwrap(),
                    j["eligible"].as_bool().unwrap(),
                ),
            )
        })
        .collect();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    let mut refusals = Vec::new();
    println!("{}: {}", path.display(), set["as_of"]);
    println!(
        "{:>5}  {:>16}  {:>16}",
        "offer", "nDCG@10 before", "nDCG@10 after"
    );
    for raw in set["offers"].as_array().unwrap() {
        let id = text(&raw["id"]);
        let offer = offer(raw, &reference, &book);
        let pool: Vec<&str> = raw["pool"].as_array().unwrap().iter().map(text).collect();
        let mut scored: Vec<(&str, f32, bool, bool)> = pool
            .iter()
            .map(|cid| {
                let candidate = &candidates[cid];
                let a = assess(&offer, candidate, &rules);
                (
                    *cid,
                    a.score,
                    filters_before(&offer, candidate, &a),
                    a.eligible(),
                )
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        let ranked = |keep: fn(&(&str, f32, bool, bool)) -> bool| -> Vec<&str> {
            scored.iter().filter(|s| keep(s)).map(|s| s.0).collect()
        };
        let (b, a) = (
            measure(&ranked(|s| s.2), &pool, &judged, id),
            measure(&ranked(|s| s.3), &pool, &judged, id),
        );
        println!("{id:>5}  {:>16.3}  {:>16.3}", b.ndcg10, a.ndcg10);
        before.push(b);
        after.push(a);
        for cid in &pool {
            let candidate = &candidates[cid];
            let judgment = judged.get(&(id, *cid));
            let verdict = verdict(&book, &offer, candidate, rules.availability_tolerance_days);
            if judgment.is_some_and(|j| j.1) && !verdict.admissible() {
                for check in verdict.unmet() {
                    refusals.push(format!(
                        "{id}/{cid} (grade {}): {} — {}",
                        judgment.map_or(0.0, |j| j.0),
                        check.rule.code(),
                        check.reason
                    ));
                }
            }
        }
    }
    let mean = |all: &[Measures], f: fn(&Measures) -> f64| {
        all.iter().map(f).sum::<f64>() / all.len() as f64
    };
    let sum = |all: &[Measures], f: fn(&Measures) -> usize| all.iter().map(f).sum::<usize>();
    println!("\nmean over {} offers     before   after", before.len());
    println!(
        "nDCG@10                 {:.3}    {:.3}",
        mean(&before, |m| m.ndcg10),
        mean(&after, |m| m.ndcg10)
    );
    println!(
        "P@5                     {:.3}    {:.3}",
        mean(&before, |m| m.p5),
        mean(&after, |m| m.p5)
    );
    println!(
        "ineligible shown        {:>5}    {:>5}",
        sum(&before, |m| m.ineligible_shown),
        sum(&after, |m| m.ineligible_shown)
    );
    println!(
        "eligible missed         {:>5}    {:>5}",
        sum(&before, |m| m.eligible_missed),
        sum(&after, |m| m.eligible_missed)
    );
    println!("\npairs the graders found eligible that the verdict refuses:");
    for refusal in &refusals {
        println!("  {refusal}");
    }
}
