//! What can go wrong in the store: the database itself, a write that lost a race with another
//! one (the revision moved on), a stored row the domain no longer accepts, or a row that a
//! unique rule of the schema refuses. The service's [`Error`](crate::Error) sorts them: a lost race
//! and a duplicate are the caller's to handle, the rest is internal.

use std::fmt;

/// A store operation that failed. Nothing it wrote is kept once the caller's transaction rolls
/// back, which it should do on any of these.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or refused the query (`INTERNAL`).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The row is no longer at the revision it was read at (or is gone): another writer got
    /// there first. Nothing was written; read again and retry (`ABORTED`).
    #[error("changed concurrently: the row is no longer at the revision it was read at")]
    ConcurrentChange,
    /// A stored row does not make a valid domain value any more, e.g. an offer in a commune the
    /// reference data no longer has (`INTERNAL`). `what` names the row and the rule.
    #[error("stored data no longer fits the domain: {what}")]
    Corrupt {
        /// The row and what is wrong with it.
        what: String,
    },
    /// A unique rule of the schema refused the row (`ALREADY_EXISTS` or `FAILED_PRECONDITION`,
    /// depending on the rule).
    #[error("refused as a duplicate: {rule}")]
    Duplicate {
        /// The rule the row broke.
        rule: UniqueRule,
    },
}

/// The unique rules of the schema a write may break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UniqueRule {
    /// A row with the same id exists.
    SameId,
    /// The candidate already has an open application to the offer.
    OneOpenApplicationPerOffer,
    /// The application already started a placement.
    OnePlacementPerApplication,
    /// A label request's version, or an appeal, is already decided: a later decision must
    /// reconsider the latest one.
    OneDecisionPerRequestOrAppeal,
    /// The label decision was already reconsidered: only the latest one can be.
    OneReconsiderationPerDecision,
}

impl UniqueRule {
    /// The rule a unique index or constraint of the schema enforces, by its name.
    fn of_constraint(name: &str) -> Option<Self> {
        match name {
            "offers_pkey" | "applications_pkey" | "placements_pkey" | "label_decisions_pkey" => {
                Some(Self::SameId)
            }
            "applications_one_open_per_offer" => Some(Self::OneOpenApplicationPerOffer),
            "placements_application_id_key" => Some(Self::OnePlacementPerApplication),
            "label_decisions_per_request" | "label_decisions_per_appeal" => {
                Some(Self::OneDecisionPerRequestOrAppeal)
            }
            "label_decisions_reconsiders_key" => Some(Self::OneReconsiderationPerDecision),
            _ => None,
        }
    }
}

impl fmt::Display for UniqueRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SameId => "a row with this id already exists",
            Self::OneOpenApplicationPerOffer => {
                "the candidate already has an open application to this offer"
            }
            Self::OnePlacementPerApplication => "the application already started a placement",
            Self::OneDecisionPerRequestOrAppeal => {
                "this label request or appeal is already decided: reconsider the latest decision"
            }
            Self::OneReconsiderationPerDecision => {
                "this label decision was already reconsidered: reconsider the latest one"
            }
        })
    }
}

/// A failed insert: a unique violation of a known rule becomes [`StoreError::Duplicate`].
pub(crate) fn on_insert(error: sqlx::Error) -> StoreError {
    let rule = match &error {
        sqlx::Error::Database(database) if database.is_unique_violation() => {
            database.constraint().and_then(UniqueRule::of_constraint)
        }
        _ => None,
    };
    match rule {
        Some(rule) => StoreError::Duplicate { rule },
        None => StoreError::Database(error),
    }
}

/// A stored row that does not parse: `what` names the row, `why` the rule it breaks.
/// The outcome of a revision-guarded update: one row, or someone changed it meanwhile.
pub(crate) fn one_row(done: sqlx::postgres::PgQueryResult) -> Result<(), StoreError> {
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::ConcurrentChange)
    }
}

pub(crate) fn corrupt(what: impl fmt::Display, why: impl fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: format!("{what}: {why}"),
    }
}

/// A number converted between the domain's unsigned types and PostgreSQL's signed columns;
/// out of range only for a corrupt row (or a domain value no column can hold).
pub(crate) fn convert<T, U>(value: U, what: &str) -> Result<T, StoreError>
where
    U: Copy + fmt::Display,
    T: TryFrom<U>,
{
    T::try_from(value).map_err(|_| corrupt(what, format!("{value} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unique_index_of_the_schema_names_its_rule() {
        for (name, rule) in [
            (
                "applications_one_open_per_offer",
                UniqueRule::OneOpenApplicationPerOffer,
            ),
            (
                "placements_application_id_key",
                UniqueRule::OnePlacementPerApplication,
            ),
            (
                "label_decisions_per_request",
                UniqueRule::OneDecisionPerRequestOrAppeal,
            ),
            (
                "label_decisions_per_appeal",
                UniqueRule::OneDecisionPerRequestOrAppeal,
            ),
            (
                "label_decisions_reconsiders_key",
                UniqueRule::OneReconsiderationPerDecision,
            ),
        ] {
            assert_eq!(UniqueRule::of_constraint(name), Some(rule), "{name}");
        }
        assert_eq!(UniqueRule::of_constraint("label_decisions_first"), None);
    }
}
