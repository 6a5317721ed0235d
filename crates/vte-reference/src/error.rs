//! Why the reference data could not be loaded: always naming the file, and the line when one
//! row is at fault, so whoever maintains the data can fix it without reading code.

use std::path::PathBuf;

/// A reference file that is missing, malformed or inconsistent with the others.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// One row is malformed or refers to something that does not exist.
    #[error("{}, line {line}: {problem}", path.display())]
    Row {
        /// The file.
        path: PathBuf,
        /// The line of the row, counting the header as line 1.
        line: u64,
        /// What is wrong, in plain words.
        problem: String,
    },
    /// The file as a whole is wrong (a missing column, a duplicate key).
    #[error("{}: {problem}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong, in plain words.
        problem: String,
    },
}
