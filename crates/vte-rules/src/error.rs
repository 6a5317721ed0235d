//! Why the rules could not be loaded: always naming the file and the key, so whoever maintains
//! the data can fix it without reading code.

use std::path::PathBuf;

/// A rule file that is missing, malformed or inconsistent with the others.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The directory or a file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A key is malformed, unknown, missing or breaks a rule.
    #[error("{}: key `{key}`: {problem}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// The key at fault, dotted (`window.until`, `aid.amount.fixed_eur`).
        key: String,
        /// What is wrong, in plain words.
        problem: String,
    },
}

impl RulesError {
    pub(crate) fn key(
        path: &std::path::Path,
        key: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Self::Key {
            path: path.to_path_buf(),
            key: key.into(),
            problem: problem.into(),
        }
    }
}
