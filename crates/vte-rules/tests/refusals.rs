//! Rule files that must be refused, each error naming the file and the key: an unknown key,
//! overlapping windows, a set without sources, insane amounts and durations.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use vte_rules::{RuleBook, RulesError};

const SCHEME: &str = r#"
id = "vte-test"
title = "Conditions de test"

[window]
from = 2019-01-01
until = 2022-12-31
after = "fermé"

[[sources]]
id = "guide-v5"
url = "https://www.vte-france.fr/"
title = "Guide méthodologique V5, fiche 13"
date = "2019"

[scheme]
level_floor = "bac+2"
level_ceiling = "bac+5"
graduate_recency_months = 24
company_sizes = ["TPE", "PME", "ETI"]
ti_programme = "2018-2022"
label_request_months = 6

[[scheme.contracts]]
kind = "CDD"
min_months = 12

[[scheme.contracts]]
kind = "CDI"
"#;

const AID: &str = r#"
id = "aide-test"
title = "Aide de test"

[window]
from = 2020-01-01

[[sources]]
id = "operation-1000-vte"
url = "https://www.vte-france.fr/operation-1-000-volontaires-territoriaux-en-entreprise/"
title = "Opération 1 000 volontaires territoriaux en entreprise"
date = "2020"

[aid]
code = "territoires-industrie"
paid_by = "l'État"
promise = "sous réserve de labellisation"
conditions = ["label VTE accordé par Bpifrance"]

[aid.amount]
fixed_eur = 4000

[aid.eligibility]
level_floor = [{ level = "bac+2", source = "operation-1000-vte" }]

[[aid.eligibility.contracts]]
kind = "CDI"
"#;

fn load(files: &[(&str, &str)]) -> Result<RuleBook, RulesError> {
    RuleBook::from_files(
        files
            .iter()
            .map(|(name, text)| (PathBuf::from(format!("rules/{name}")), (*text).to_owned())),
    )
}

/// The refusal, as (file, key, problem).
fn refusal(files: &[(&str, &str)]) -> (String, String, String) {
    match load(files).unwrap_err() {
        RulesError::Key { path, key, problem } => (path.display().to_string(), key, problem),
        other => panic!("expected a key error, got {other}"),
    }
}

#[test]
fn well_formed_files_load() {
    let book = load(&[("scheme.toml", SCHEME), ("aid.toml", AID)]).unwrap();
    assert_eq!(book.sets().len(), 2);
}

#[test]
fn an_unknown_key_is_refused_naming_the_file_and_the_key() {
    let text = AID.replace("fixed_eur = 4000", "fixed_eur = 4000\nbonus_eur = 1200");
    let (file, key, problem) = refusal(&[("scheme.toml", SCHEME), ("aid.toml", &text)]);
    assert_eq!(file, "rules/aid.toml");
    assert_eq!(key, "aid.amount.bonus_eur");
    assert!(problem.contains("unknown field `bonus_eur`"), "{problem}");
    let message = load(&[("aid.toml", &text)]).unwrap_err().to_string();
    assert!(
        message.starts_with("rules/aid.toml: key `aid.amount.bonus_eur`"),
        "{message}"
    );
}

#[test]
fn a_misspelt_top_level_key_is_refused() {
    let text = SCHEME.replacen("title = ", "titel = ", 1);
    let (file, key, _) = refusal(&[("scheme.toml", &text)]);
    assert_eq!(
        (file.as_str(), key.as_str()),
        ("rules/scheme.toml", "titel")
    );
}

#[test]
fn overlapping_windows_of_the_same_kind_are_refused() {
    let later = SCHEME
        .replace("id = \"vte-test\"", "id = \"vte-test-2\"")
        .replace("from = 2019-01-01", "from = 2022-12-31")
        .replace("until = 2022-12-31", "until = 2027-12-31");
    let (file, key, problem) = refusal(&[("a.toml", SCHEME), ("b.toml", &later)]);
    assert_eq!((file.as_str(), key.as_str()), ("rules/b.toml", "window"));
    assert!(problem.contains("rules/a.toml"), "{problem}");
}

#[test]
fn windows_that_follow_each_other_or_differ_in_kind_are_accepted() {
    let later = SCHEME
        .replace("id = \"vte-test\"", "id = \"vte-test-2\"")
        .replace("from = 2019-01-01", "from = 2023-01-01")
        .replace("until = 2022-12-31", "until = 2027-12-31");
    // The aid's window (2020-) overlaps both scheme windows: a different kind, so allowed.
    assert!(load(&[("a.toml", SCHEME), ("b.toml", &later), ("c.toml", AID)]).is_ok());
}

#[test]
fn a_set_without_sources_is_refused() {
    let start = SCHEME.find("[[sources]]").unwrap();
    let end = SCHEME.find("[scheme]").unwrap();
    // `sources = []` must sit above the first table to be a top-level key.
    let text = format!("sources = []\n{}{}", &SCHEME[..start], &SCHEME[end..]);
    let (file, key, problem) = refusal(&[("scheme.toml", &text)]);
    assert_eq!(
        (file.as_str(), key.as_str()),
        ("rules/scheme.toml", "sources")
    );
    assert!(problem.contains("at least one source"), "{problem}");
}

#[test]
fn a_source_without_a_title_is_refused_as_a_missing_key() {
    let text = SCHEME.replace("title = \"Guide méthodologique V5, fiche 13\"\n", "");
    let (_, _, problem) = refusal(&[("scheme.toml", &text)]);
    assert!(problem.contains("missing field `title`"), "{problem}");
}

#[test]
fn an_undated_or_badly_dated_source_is_refused() {
    let text = SCHEME.replace("date = \"2019\"", "date = \"printemps 2019\"");
    let (_, key, _) = refusal(&[("scheme.toml", &text)]);
    assert_eq!(key, "sources[0].date");
}

#[test]
fn an_insane_amount_is_refused() {
    let text = AID.replace("fixed_eur = 4000", "fixed_eur = 4000000");
    let (_, key, problem) = refusal(&[("scheme.toml", SCHEME), ("aid.toml", &text)]);
    assert_eq!(key, "aid.amount.fixed_eur");
    assert!(problem.contains("got 4000000"), "{problem}");
    let text = AID.replace("fixed_eur = 4000", "fixed_eur = 4000\nup_to_eur = 8000");
    let (_, key, _) = refusal(&[("scheme.toml", SCHEME), ("aid.toml", &text)]);
    assert_eq!(key, "aid.amount");
}

#[test]
fn an_insane_duration_is_refused() {
    let text = SCHEME.replace("min_months = 12", "min_months = 0");
    let (_, key, _) = refusal(&[("scheme.toml", &text)]);
    assert_eq!(key, "scheme.contracts[0].min_months");
    let text = SCHEME.replace("label_request_months = 6", "label_request_months = 600");
    let (_, key, _) = refusal(&[("scheme.toml", &text)]);
    assert_eq!(key, "scheme.label_request_months");
}

#[test]
fn a_window_ending_before_it_starts_or_without_what_follows_is_refused() {
    let text = SCHEME.replace("until = 2022-12-31", "until = 2018-12-31");
    assert_eq!(refusal(&[("scheme.toml", &text)]).1, "window.until");
    let text = SCHEME.replace("after = \"fermé\"\n", "");
    assert_eq!(refusal(&[("scheme.toml", &text)]).1, "window.after");
}

#[test]
fn a_level_reading_must_cite_a_source_of_its_file() {
    let text = AID.replace("source = \"operation-1000-vte\" }", "source = \"rumour\" }");
    let (_, key, _) = refusal(&[("scheme.toml", SCHEME), ("aid.toml", &text)]);
    assert_eq!(key, "aid.eligibility.level_floor[0].source");
}

#[test]
fn a_date_with_a_time_is_refused() {
    let text = SCHEME.replace("from = 2019-01-01", "from = 2019-01-01T00:00:00");
    let (_, key, problem) = refusal(&[("scheme.toml", &text)]);
    assert_eq!(key, "window.from");
    assert!(problem.contains("without a time"), "{problem}");
}

#[test]
fn a_directory_with_a_bad_file_is_refused_naming_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scheme.toml"), SCHEME).unwrap();
    std::fs::write(dir.path().join("README.md"), "not rules").unwrap();
    assert!(RuleBook::load(dir.path()).is_ok());
    let bad = AID.replace("[window]", "[window]\nuntill = 2030-01-01");
    std::fs::write(dir.path().join("aid.toml"), bad).unwrap();
    let message = RuleBook::load(dir.path()).unwrap_err().to_string();
    assert!(
        message.contains("aid.toml: key `window.untill`"),
        "{message}"
    );
}
