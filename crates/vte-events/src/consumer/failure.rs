//! How a database error is judged when it stops a handler: by its SQLSTATE class. An event that
//! breaks a rule of the data (class 22, a data exception; class 23, an integrity constraint; and
//! their kin) fails the same way on every try, so it is dead-lettered at once; a serialisation
//! failure or a deadlock (class 40), a lock or statement timeout, a lost connection may pass on
//! the next try, so it is retried, a bounded number of times while the database answers. Reasons
//! name the SQLSTATE and the constraint, never the server's message, which can quote a value.

use super::HandlerError;

/// SQLSTATE classes whose errors repeat on every try with the same event.
const PERMANENT_CLASSES: [(&str, &str); 6] = [
    ("21", "cardinality violation"),
    ("22", "data exception"),
    ("23", "integrity constraint violation"),
    ("27", "triggered data change violation"),
    ("44", "WITH CHECK OPTION violation"),
    // PL/pgSQL's RAISE EXCEPTION, NO_DATA_FOUND and TOO_MANY_ROWS: a trigger's rule refused it.
    ("P0", "refused by a database rule"),
];

/// Named SQLSTATE classes that are worth retrying, for the reason given.
const TRANSIENT_CLASSES: [(&str, &str); 7] = [
    ("08", "connection exception"),
    (
        "40",
        "transaction rollback (serialisation failure or deadlock)",
    ),
    ("53", "insufficient resources"),
    (
        "55",
        "object not in prerequisite state (lock not available)",
    ),
    (
        "57",
        "operator intervention (statement timeout or shutdown)",
    ),
    ("58", "system error"),
    ("42", "syntax error or access rule violation"),
];

/// Judges `error`: [`HandlerError::Permanent`] when retrying the same event cannot help,
/// [`HandlerError::Transient`] otherwise (class 42 included: a schema not yet migrated while a
/// new version rolls out heals by itself, and the retries are bounded anyway).
pub fn classify(error: &sqlx::Error) -> HandlerError {
    match error {
        sqlx::Error::Database(database) => {
            let code = database.code().unwrap_or_default().into_owned();
            let constraint = database
                .constraint()
                .map(|name| format!(", constraint {}", cut(name)))
                .unwrap_or_default();
            let class = code.get(..2).unwrap_or_default();
            if let Some((_, what)) = PERMANENT_CLASSES.iter().find(|(c, _)| *c == class) {
                return HandlerError::Permanent(format!(
                    "the database refused the event: SQLSTATE {} ({what}{constraint})",
                    cut(&code)
                ));
            }
            let what = TRANSIENT_CLASSES
                .iter()
                .find(|(c, _)| *c == class)
                .map_or("database error", |(_, what)| what);
            HandlerError::Transient(format!(
                "database error: SQLSTATE {} ({what}{constraint})",
                cut(&code)
            ))
        }
        // A value that cannot even be bound to the query: the event's, every time.
        sqlx::Error::Encode(reason) => HandlerError::Permanent(format!(
            "a value of the event cannot be stored: {}",
            cut(&reason.to_string())
        )),
        other => HandlerError::Transient(other.to_string()),
    }
}

/// Whether `code` is a SQLSTATE this module treats as permanent.
pub fn is_permanent_sqlstate(code: &str) -> bool {
    let class = code.get(..2).unwrap_or_default();
    PERMANENT_CLASSES.iter().any(|(c, _)| *c == class)
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        classify(&error)
    }
}

/// At most 64 characters of a name the server gave.
fn cut(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::is_permanent_sqlstate;

    #[test]
    fn data_and_constraint_errors_are_permanent_and_concurrency_errors_are_not() {
        for code in [
            "22001", "22P02", "23505", "23503", "23502", "23514", "P0001", "21000",
        ] {
            assert!(is_permanent_sqlstate(code), "{code}");
        }
        for code in [
            "40001", "40P01", "55P03", "57014", "08006", "53300", "42P01", "",
        ] {
            assert!(!is_permanent_sqlstate(code), "{code}");
        }
    }
}
