//! The rule book: every rule set of the `rules/` directory, checked together (no two confirmed
//! sets of the same kind cover one day), and the question the services ask of it: which rules
//! apply to a contract starting on this date?

use crate::RulesError;
use crate::model::{AfterWindow, AidCode, RuleSet, SchemeTerms};
use crate::validate;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// What to tell people when no confirmed rule set covers a date.
pub const TO_CONFIRM: &str = "à confirmer auprès de Bpifrance";

/// Every rule set, loaded and checked.
#[derive(Debug, Clone)]
pub struct RuleBook {
    sets: Vec<RuleSet>,
}

/// The rules for a contract start date.
#[derive(Debug, Clone, PartialEq)]
pub enum Applicable<'a> {
    /// A confirmed set of the scheme's terms covers the date.
    Confirmed(Applying<'a>),
    /// No confirmed set covers it: "à confirmer auprès de Bpifrance", never a yes.
    ToConfirm(ToConfirm),
}

/// The confirmed terms for a date, and each aid's standing.
#[derive(Debug, Clone, PartialEq)]
pub struct Applying<'a> {
    /// The scheme's set (its id is what a placement freezes).
    pub scheme: &'a RuleSet,
    /// Its terms.
    pub terms: &'a SchemeTerms,
    /// Every aid, in [`AidCode::ALL`] order.
    pub aids: Vec<AidStanding<'a>>,
}

impl<'a> Applying<'a> {
    /// One aid's standing.
    pub fn aid(&self, code: AidCode) -> &AidStanding<'a> {
        // `aids` is built from `AidCode::ALL`, which lists the codes in declaration order.
        &self.aids[code as usize]
    }
}

/// An aid for a contract start date.
#[derive(Debug, Clone, PartialEq)]
pub enum AidStanding<'a> {
    /// A confirmed set covers the date: its terms (still only a "may", see its promise).
    InForce(&'a RuleSet),
    /// No confirmed set covers the date: ask Bpifrance, never a yes.
    ToConfirm(ToConfirm),
    /// The sources say the aid had ended by then.
    Ended {
        /// The set that last applied.
        last: &'a RuleSet,
    },
}

impl<'a> AidStanding<'a> {
    /// The set in force, if any.
    pub fn in_force(&self) -> Option<&'a RuleSet> {
        match self {
            Self::InForce(set) => Some(set),
            _ => None,
        }
    }
}

/// A date no confirmed set covers, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToConfirm {
    /// The contract start date asked about.
    pub start: NaiveDate,
    /// Why nothing is confirmed, in words.
    pub reason: String,
}

impl ToConfirm {
    /// The words shown to people: [`TO_CONFIRM`].
    pub const fn wording(&self) -> &'static str {
        TO_CONFIRM
    }
}

impl RuleBook {
    /// Loads every `*.toml` file of `dir` (other files, such as the README, are ignored).
    pub fn load(dir: &Path) -> Result<Self, RulesError> {
        let read_error = |source| RulesError::Read {
            path: dir.to_path_buf(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|source| RulesError::Read {
                path: path.clone(),
                source,
            })?;
            files.push((path, text));
        }
        Self::from_files(files)
    }

    /// Builds the book from files already read, each with the path its errors will name.
    pub fn from_files(
        files: impl IntoIterator<Item = (PathBuf, String)>,
    ) -> Result<Self, RulesError> {
        let mut read: Vec<(PathBuf, RuleSet)> = Vec::new();
        for (path, text) in files {
            let set: RuleSet =
                toml::from_str(&text).map_err(|error| parse_error(&path, &text, &error))?;
            validate::check(&path, &set)?;
            if read.iter().any(|(_, other)| other.id == set.id) {
                return Err(RulesError::key(
                    &path,
                    "id",
                    format!("`{}` is used by another file", set.id),
                ));
            }
            if let Some((other, _)) = read
                .iter()
                .find(|(_, other)| same_kind(other, &set) && other.window.overlaps(&set.window))
            {
                let problem = format!(
                    "overlaps the window of {} (same kind of rules)",
                    other.display()
                );
                return Err(RulesError::key(&path, "window", problem));
            }
            read.push((path, set));
        }
        if !read.iter().any(|(_, set)| set.scheme.is_some()) {
            return Err(RulesError::key(
                Path::new("rules"),
                "scheme",
                "no file holds the scheme's terms",
            ));
        }
        let mut sets: Vec<RuleSet> = read.into_iter().map(|(_, set)| set).collect();
        sets.sort_by_key(|set| set.window.from);
        Ok(Self { sets })
    }

    /// The last set of `code` whose window opened by `start` (or its first one): the terms a
    /// date no confirmed set covers is provisionally read by.
    pub fn last_known_aid(&self, code: AidCode, start: NaiveDate) -> Option<&RuleSet> {
        let of_code = || {
            self.sets
                .iter()
                .filter(move |set| set.aid.as_ref().is_some_and(|aid| aid.code == code))
        };
        of_code()
            .rfind(|set| set.window.from <= start)
            .or_else(|| of_code().next())
    }

    /// Every set, oldest window first.
    pub fn sets(&self) -> &[RuleSet] {
        &self.sets
    }

    /// The set with this id.
    pub fn by_id(&self, id: &str) -> Option<&RuleSet> {
        self.sets.iter().find(|set| set.id == id)
    }

    /// The rules for a contract starting on `start`: the scheme's set and each aid's standing,
    /// or [`Applicable::ToConfirm`] when no confirmed scheme set covers the date.
    pub fn for_contract_start(&self, start: NaiveDate) -> Applicable<'_> {
        let schemes: Vec<&RuleSet> = self
            .sets
            .iter()
            .filter(|set| set.scheme.is_some())
            .collect();
        let covering = schemes.iter().find(|set| set.window.covers(start));
        let Some((scheme, Some(terms))) = covering.map(|set| (*set, set.scheme.as_ref())) else {
            return Applicable::ToConfirm(uncovered(start, "les conditions du VTE", &schemes));
        };
        let aids = AidCode::ALL
            .iter()
            .map(|code| self.aid_standing(*code, start))
            .collect();
        Applicable::Confirmed(Applying {
            scheme,
            terms,
            aids,
        })
    }

    /// One aid's standing for a contract starting on `start`, whatever the scheme's.
    pub fn aid_standing(&self, code: AidCode, start: NaiveDate) -> AidStanding<'_> {
        let sets: Vec<&RuleSet> = self
            .sets
            .iter()
            .filter(|set| set.aid.as_ref().is_some_and(|aid| aid.code == code))
            .collect();
        if let Some(set) = sets.iter().find(|set| set.window.covers(start)) {
            return AidStanding::InForce(set);
        }
        let last_before = sets
            .iter()
            .rev()
            .find(|set| set.window.until.is_some_and(|until| until < start));
        match last_before {
            Some(last) if last.window.after == Some(AfterWindow::Closed) => {
                AidStanding::Ended { last }
            }
            _ => AidStanding::ToConfirm(uncovered(start, code.code(), &sets)),
        }
    }
}

/// Why no set of `sets` (one kind, oldest first) covers `start`.
fn uncovered(start: NaiveDate, what: &str, sets: &[&RuleSet]) -> ToConfirm {
    let first = sets.iter().map(|set| set.window.from).min();
    let confirmed_until = sets
        .iter()
        .filter_map(|set| set.window.until)
        .filter(|until| *until < start)
        .max();
    let reason = match (first, confirmed_until) {
        (Some(first), _) if start < first => {
            format!("{what} : aucune règle sourcée pour un contrat commençant avant le {first}")
        }
        (_, Some(until)) => {
            format!("{what} : les sources ne confirment les règles que jusqu'au {until}")
        }
        _ => format!("{what} : aucune règle sourcée pour un contrat commençant le {start}"),
    };
    ToConfirm { start, reason }
}

fn same_kind(a: &RuleSet, b: &RuleSet) -> bool {
    match (&a.aid, &b.aid) {
        (Some(x), Some(y)) => x.code == y.code,
        (None, None) => a.scheme.is_some() && b.scheme.is_some(),
        _ => false,
    }
}

/// A parse error, naming the dotted key of the line toml points at (`aid.amount.fixed_eur`).
fn parse_error(path: &Path, text: &str, error: &toml::de::Error) -> RulesError {
    let key = error
        .span()
        .map(|span| key_at(text, span.start))
        .unwrap_or_default();
    RulesError::key(path, key, error.message().trim())
}

/// The dotted key written on the line holding byte `at`, under its nearest `[table]` header.
fn key_at(text: &str, at: usize) -> String {
    let before = text.get(..at).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default().trim();
    let header = |line: &str| {
        let line = line.trim();
        line.starts_with('[')
            .then(|| line.trim_matches(['[', ']']).trim().to_owned())
    };
    let key: String = if let Some(table) = header(line) {
        table
    } else {
        let own = line.split('=').next().unwrap_or_default().trim();
        let table = text[..line_start].lines().rev().find_map(header);
        match table {
            Some(table) => format!("{table}.{own}"),
            None => own.to_owned(),
        }
    };
    key.chars().take(64).collect()
}

/// The repository's `rules/` directory, for tests and local runs: `$VTE_RULES_DIR` if set, else
/// `rules/` at the workspace root, found at run time from the package being run (cargo's
/// `CARGO_MANIFEST_DIR`) or the current directory. Never from a path fixed at compile time: a
/// build cache shared between checkouts would point at another checkout's rules. A deployment
/// passes its own path to [`RuleBook::load`] (`rules.dir`).
pub fn repository_rules_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VTE_RULES_DIR").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir);
    }
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let root = start
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(&start);
    root.join("rules")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Window;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_window_includes_both_its_ends_and_an_open_one_never_ends() {
        let closed = Window {
            from: day(2020, 9, 1),
            until: Some(day(2024, 12, 31)),
            after: Some(AfterWindow::ToConfirm),
        };
        assert!(!closed.covers(day(2020, 8, 31)));
        assert!(closed.covers(day(2020, 9, 1)) && closed.covers(day(2024, 12, 31)));
        assert!(!closed.covers(day(2025, 1, 1)));
        let open = Window {
            from: day(2025, 1, 1),
            until: None,
            after: None,
        };
        assert!(open.covers(day(2099, 1, 1)));
        assert!(!closed.overlaps(&open) && !open.overlaps(&closed));
        let touching = Window {
            from: day(2024, 12, 31),
            ..open
        };
        assert!(closed.overlaps(&touching) && touching.overlaps(&closed));
    }

    #[test]
    fn aid_codes_are_listed_in_declaration_order() {
        for (index, code) in AidCode::ALL.into_iter().enumerate() {
            assert_eq!(code as usize, index, "{}", code.code());
        }
    }

    #[test]
    fn a_parse_error_is_pinned_to_the_dotted_key_of_its_line() {
        let text = "id = \"x\"\n[aid.amount]\nfixed_eur = 4000\nbonus_eur = 1\n";
        let at = text.find("bonus_eur").unwrap();
        assert_eq!(key_at(text, at), "aid.amount.bonus_eur");
        assert_eq!(key_at(text, 0), "id");
        assert_eq!(key_at(text, text.find("[aid").unwrap()), "aid.amount");
    }

    #[test]
    fn an_aid_whose_sources_say_it_closed_has_ended_rather_than_to_confirm() {
        let mut book = RuleBook::load(&repository_rules_dir()).unwrap();
        let set = book
            .sets
            .iter_mut()
            .find(|set| set.id == "aide-vte-vert-2020")
            .unwrap();
        set.window.after = Some(AfterWindow::Closed);
        let Applicable::Confirmed(applying) = book.for_contract_start(day(2026, 1, 1)) else {
            panic!("2026 is covered by the 2023-2027 terms");
        };
        assert!(
            matches!(applying.aid(AidCode::VteVert), AidStanding::Ended { last } if last.id == "aide-vte-vert-2020")
        );
    }
}
