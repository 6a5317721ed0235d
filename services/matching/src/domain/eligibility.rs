//! The scheme's rules in matching (issue 14): the verdict of [`vte_rules::judge`] on a pair is
//! matching's hard filter for them, and what rankings and explanations show. The index cannot
//! call `judge` for each of a million rows, so [`SchemeFit`] reads once per offer what the
//! verdict says of the offer alone (with `judge` itself), and [`Gate`] applies the rules that
//! read the candidate to the index's columns. `tests/eligibility.rs` checks that the index and
//! `judge` agree on every pair of many generated ones.

use chrono::{Datelike, Days, Months, NaiveDate};
use vte_domain::{ContractKind, Programme};
use vte_rules::{
    CandidateFacts, OfferFacts, Options, PlaceFacts, Rule, RuleBook, Status, Verdict, judge,
};

use super::model::{Academic, CandidateModel, OfferModel, Place};

/// What the rules for an offer's start date say of the offer alone, read once when its model
/// is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeFit {
    /// The scheme's rule set the offer is judged by.
    pub rule_set_id: String,
    /// The Territoires d'industrie programme that set names: the territory matching scores and
    /// filters on.
    pub programme: Programme,
    /// The rule `contract_duration`: the contract is one the scheme admits, for long enough.
    pub contract_duration: bool,
    /// The rule `company_size`: the company is of a size the scheme admits.
    pub company_size: bool,
    /// The lowest and highest levels both the offer and the scheme admit (min > max: none).
    pub levels: (u8, u8),
    /// A graduate's diploma dated on or after this day is less than the recency window old at
    /// the start.
    pub graduated_since: NaiveDate,
}

impl SchemeFit {
    /// Nothing read yet: admits nothing. A model is built with it, then [`SchemeFit::read`].
    pub fn unread() -> Self {
        Self {
            rule_set_id: String::new(),
            programme: Programme::default(),
            contract_duration: false,
            company_size: false,
            levels: (1, 0),
            graduated_since: NaiveDate::MAX,
        }
    }

    /// Reads the rules for `offer`'s start date with [`judge`] (a candidate of whom nothing is
    /// known: only the checks on the offer are read).
    pub fn read(book: &RuleBook, offer: &OfferModel) -> Self {
        let nobody = CandidateFacts {
            status: Status::Unknown,
            level: 0,
            graduation_date: None,
            contract_kinds: Vec::new(),
            available_from: None,
        };
        let verdict = judge(book, &offer_facts(offer), &nobody, Options::default());
        let met = |rule: Rule| {
            verdict
                .checks
                .iter()
                .any(|check| check.rule == rule && check.met)
        };
        let terms = book
            .by_id(&verdict.rule_set_id)
            .and_then(|set| set.scheme.as_ref());
        let (levels, months) = terms.map_or(((1, 0), 0), |terms| {
            (
                (
                    offer.min_level.max(terms.level_floor.years()),
                    offer.max_level.min(terms.level_ceiling.years()),
                ),
                u32::from(terms.graduate_recency_months),
            )
        });
        Self {
            contract_duration: terms.is_some() && met(Rule::ContractDuration),
            company_size: terms.is_some() && met(Rule::CompanySize),
            programme: verdict.programme,
            levels,
            graduated_since: earliest_recent_graduation(offer.start_date, months),
            rule_set_id: verdict.rule_set_id,
        }
    }

    /// Whether the rules on the offer alone are met: no candidate can pass otherwise.
    pub fn offer_admitted(&self) -> bool {
        self.contract_duration && self.company_size
    }

    /// Whether the scheme and the offer both admit `level`.
    pub fn admits_level(&self, level: u8) -> bool {
        (self.levels.0..=self.levels.1).contains(&level)
    }
}

/// The first graduation day whose diploma is less than `months` old on `start`, as `judge`
/// counts: `graduation + months > start`. Adding months is monotonic (a day past the end of a
/// month falls on its last day), so the days that pass are exactly those from this one.
fn earliest_recent_graduation(start: NaiveDate, months: u32) -> NaiveDate {
    let passes = |day: NaiveDate| {
        day.checked_add_months(Months::new(months))
            .is_none_or(|limit| start < limit)
    };
    let mut day = start
        .checked_sub_months(Months::new(months))
        .and_then(|day| day.checked_sub_days(Days::new(4)))
        .unwrap_or(NaiveDate::MIN);
    // At most a handful of steps: month ends differ by three days at most.
    while !passes(day) {
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    day
}

/// A graduation day in the index's columns: days from the common era, [`NO_DATE`] when unknown.
pub type Day = i32;

/// The graduation day of a candidate who gave none.
pub const NO_DATE: Day = i32::MIN;

/// A date as a column value.
pub fn day(date: Option<NaiveDate>) -> Day {
    date.map_or(NO_DATE, |date| date.num_days_from_ce())
}

/// The rules of the verdict that read a candidate's situation (status at the start and
/// graduate recency), for one offer, on the index's columns; the others are the index's own
/// filters (contract sought, levels by partition, availability) or the offer's alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    start: Day,
    graduated_since: Day,
    work_study: bool,
}

impl Gate {
    /// The gate of `offer`.
    pub fn new(offer: &OfferModel) -> Self {
        Self {
            start: offer.start_date.num_days_from_ce(),
            graduated_since: offer.scheme.graduated_since.num_days_from_ce(),
            work_study: offer.contract == ContractKind::WorkStudy,
        }
    }

    /// Whether the candidate has their diploma on the first day (a student graduating by then
    /// starts as a graduate).
    #[inline]
    fn graduate_at_start(&self, status: u8, graduation: Day) -> bool {
        status == Academic::Graduate.code()
            || (status == Academic::Student.code()
                && graduation != NO_DATE
                && graduation <= self.start)
    }

    /// The rule `contract_for_status`: a graduate takes any contract, a student only
    /// work-study; an unknown situation none.
    #[inline]
    pub fn contract_for_status(&self, status: u8, graduation: Day) -> bool {
        self.graduate_at_start(status, graduation)
            || (status == Academic::Student.code() && self.work_study)
    }

    /// The rule `graduate_recency`: a graduate's diploma, dated, less than the window old.
    #[inline]
    pub fn graduate_recency(&self, status: u8, graduation: Day) -> bool {
        !self.graduate_at_start(status, graduation)
            || (graduation != NO_DATE && graduation >= self.graduated_since)
    }

    /// Both rules on the candidate's situation.
    #[inline]
    pub fn situation(&self, status: u8, graduation: Day) -> bool {
        self.contract_for_status(status, graduation) && self.graduate_recency(status, graduation)
    }
}

/// The workplace as the rules read it.
pub fn place_facts(place: &Place) -> PlaceFacts {
    PlaceFacts {
        commune: place.commune_name.clone(),
        territories: place.territories.clone(),
    }
}

/// The offer's side of a pair, as the rules read it.
pub fn offer_facts(offer: &OfferModel) -> OfferFacts {
    OfferFacts {
        contract: offer.contract,
        duration_months: offer.duration_months,
        start: offer.start_date,
        min_level: offer.min_level,
        max_level: offer.max_level,
        company_size: offer.company_size,
        place: place_facts(&offer.place),
        ecological_mission: offer.ecological,
    }
}

/// The candidate's side of a pair, as the rules read it.
pub fn candidate_facts(candidate: &CandidateModel) -> CandidateFacts {
    CandidateFacts {
        status: match candidate.academic {
            Academic::Student => Status::Student,
            Academic::Graduate => Status::Graduate,
            Academic::Unknown => Status::Unknown,
        },
        level: candidate.level,
        graduation_date: candidate.graduation_date,
        contract_kinds: candidate.contract_kinds.clone(),
        available_from: Some(candidate.available_from),
    }
}

/// The verdict on a pair, with matching's availability tolerance: what rankings and
/// explanations show, and what the index's filters agree with.
pub fn verdict(
    book: &RuleBook,
    offer: &OfferModel,
    candidate: &CandidateModel,
    tolerance_days: u32,
) -> Verdict {
    judge(
        book,
        &offer_facts(offer),
        &candidate_facts(candidate),
        Options {
            availability_tolerance_days: tolerance_days,
        },
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_earliest_recent_graduation_is_the_first_day_judge_would_pass() {
        for (start, earliest) in [
            (day(2027, 9, 1), day(2025, 9, 2)),
            (day(2028, 2, 29), day(2026, 3, 1)),
            (day(2027, 2, 28), day(2025, 3, 1)),
            (day(2027, 3, 31), day(2025, 4, 1)),
        ] {
            let found = earliest_recent_graduation(start, 24);
            assert_eq!(found, earliest, "start {start}");
            let before = found.pred_opt().unwrap();
            assert!(before.checked_add_months(Months::new(24)).unwrap() <= start);
            assert!(found.checked_add_months(Months::new(24)).unwrap() > start);
        }
    }
}
