//! How long a company may request the label: from the hire until `label_request_months` after
//! the contract's start, as the scheme's rule set for the placement says: the set frozen on the
//! placement at the hire (what the company was told then), else, for a set the rule book no
//! longer holds, the set covering the start date. [`label_window`] is the one place that picks
//! it.

use super::super::placement::Placement;
use chrono::{Months, NaiveDate};
use vte_rules::{Applicable, RuleBook};

/// The window when no confirmed rule set covers the start date: the 6 months every set so far
/// has said, the request being judged by Bpifrance ("à confirmer auprès de Bpifrance").
pub const DEFAULT_LABEL_REQUEST_MONTHS: u16 = 6;

/// The window a placement's label may first be requested in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelWindow {
    /// The rule set it comes from; `None` when no confirmed set covers the start date and
    /// [`DEFAULT_LABEL_REQUEST_MONTHS`] applies.
    pub rule_set_id: Option<String>,
    /// Months after the contract's start.
    pub months: u16,
    /// The last day a first request is accepted: the start date plus `months` (month
    /// arithmetic clamps to the month's last day).
    pub closes_on: NaiveDate,
}

impl LabelWindow {
    /// The window of `months` after `start`, from `rule_set_id`.
    pub fn after(start: NaiveDate, months: u16, rule_set_id: Option<String>) -> Self {
        let closes_on = start
            .checked_add_months(Months::new(u32::from(months)))
            .unwrap_or(NaiveDate::MAX);
        Self {
            rule_set_id,
            months,
            closes_on,
        }
    }

    /// Whether a first request made on `today` is in time (the last day included).
    pub fn is_open_on(&self, today: NaiveDate) -> bool {
        today <= self.closes_on
    }

    /// Days from `today` to the last day (negative once closed).
    pub fn days_left(&self, today: NaiveDate) -> i64 {
        (self.closes_on - today).num_days()
    }

    /// The rule, in words: "label_request_months = 6 of rule set vte-2023-ti-2023-2027".
    pub fn rule(&self) -> String {
        match &self.rule_set_id {
            Some(id) => format!("label_request_months = {} of rule set {id}", self.months),
            None => format!(
                "the default of {} months (no confirmed rule set covers the start date)",
                self.months
            ),
        }
    }
}

/// The label request window of `placement`: by the rule set frozen at its hire, else by the
/// set covering its start date, else [`DEFAULT_LABEL_REQUEST_MONTHS`].
pub fn label_window(placement: &Placement, rules: &RuleBook) -> LabelWindow {
    let frozen = rules
        .by_id(&placement.frozen.rule_set_id)
        .and_then(|set| set.scheme.as_ref().map(|terms| (set, terms)));
    if let Some((set, terms)) = frozen {
        return LabelWindow::after(
            placement.start_date,
            terms.label_request_months,
            Some(set.id.clone()),
        );
    }
    match rules.for_contract_start(placement.start_date) {
        Applicable::Confirmed(applying) => LabelWindow::after(
            placement.start_date,
            applying.terms.label_request_months,
            Some(applying.scheme.id.clone()),
        ),
        Applicable::ToConfirm(_) => {
            LabelWindow::after(placement.start_date, DEFAULT_LABEL_REQUEST_MONTHS, None)
        }
    }
}

/// The longest window any rule set (or the default) gives, in months: placements that started
/// longer ago than that have no window open any more.
pub fn longest_label_window_months(rules: &RuleBook) -> u16 {
    rules
        .sets()
        .iter()
        .filter_map(|set| set.scheme.as_ref())
        .map(|terms| terms.label_request_months)
        .chain([DEFAULT_LABEL_REQUEST_MONTHS])
        .max()
        .unwrap_or(DEFAULT_LABEL_REQUEST_MONTHS)
}
