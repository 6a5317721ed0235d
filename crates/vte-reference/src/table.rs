//! Reading one reference CSV file row by row with a reused `StringRecord` (no allocation per row,
//! UTF-8 checked once per row),
//! finding columns by their header name, and turning any problem into a [`LoadError`] that names
//! the file and the line. The file is read into memory in one call, then parsed.

use crate::LoadError;
use csv::StringRecord;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use vte_domain::InvalidValue;

/// An open CSV file whose wanted columns have been located in the header.
pub(crate) struct Table {
    path: PathBuf,
    reader: csv::Reader<Cursor<Vec<u8>>>,
    names: &'static [&'static str],
    positions: Vec<usize>,
}

impl Table {
    /// Opens `dir/file` and locates `columns` in its header (other columns are ignored).
    pub(crate) fn open(
        dir: &Path,
        file: &str,
        columns: &'static [&'static str],
    ) -> Result<Self, LoadError> {
        let path = dir.join(file);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(source) => return Err(LoadError::Read { path, source }),
        };
        let mut reader = csv::ReaderBuilder::new()
            .buffer_capacity(1 << 16)
            .from_reader(Cursor::new(bytes));
        let header = match reader.byte_headers() {
            Ok(header) => header.clone(),
            Err(error) => return Err(csv_error(path, &reader, error)),
        };
        let mut positions = Vec::with_capacity(columns.len());
        for column in columns {
            match header.iter().position(|name| name == column.as_bytes()) {
                Some(position) => positions.push(position),
                None => {
                    let found = String::from_utf8_lossy(header.as_slice()).into_owned();
                    return Err(LoadError::File {
                        problem: format!("no column named {column} in the header (found {found})"),
                        path,
                    });
                }
            }
        }
        Ok(Self {
            path,
            reader,
            names: columns,
            positions,
        })
    }

    /// The file's path, for errors found after reading it.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Calls `each` with every row and the row's line number; an `Err` from `each` stops the
    /// reading and becomes a [`LoadError::Row`].
    pub(crate) fn for_each_row(
        &mut self,
        mut each: impl FnMut(&Row<'_>, u64) -> Result<(), String>,
    ) -> Result<(), LoadError> {
        let mut record = StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let line = record.position().map_or(0, |at| line_of(&self.reader, at));
                    let row = Row {
                        record: &record,
                        names: self.names,
                        positions: &self.positions,
                    };
                    if let Err(problem) = each(&row, line) {
                        return Err(LoadError::Row {
                            path: self.path.clone(),
                            line,
                            problem,
                        });
                    }
                }
                Err(error) => return Err(csv_error(self.path.clone(), &self.reader, error)),
            }
        }
    }
}

/// The line a record starts on. With CRLF line endings (as in the reference files) the csv crate
/// reports a record's position on the `\n` that ends the previous line, one line too early.
fn line_of(reader: &csv::Reader<Cursor<Vec<u8>>>, position: &csv::Position) -> u64 {
    let bytes = reader.get_ref().get_ref();
    let on_newline = usize::try_from(position.byte())
        .ok()
        .and_then(|at| bytes.get(at))
        == Some(&b'\n');
    position.line() + u64::from(on_newline)
}

fn csv_error(path: PathBuf, reader: &csv::Reader<Cursor<Vec<u8>>>, error: csv::Error) -> LoadError {
    let line = error.position().map(|at| line_of(reader, at));
    match (error.into_kind(), line) {
        (csv::ErrorKind::Io(source), _) => LoadError::Read { path, source },
        (kind, Some(line)) => LoadError::Row {
            path,
            line,
            problem: describe(kind),
        },
        (kind, None) => LoadError::File {
            path,
            problem: describe(kind),
        },
    }
}

fn describe(kind: csv::ErrorKind) -> String {
    match kind {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not valid UTF-8", err.field() + 1)
        }
        other => format!("{other:?}"),
    }
}

/// One row, its fields addressed by the index of the column in the list given to
/// [`Table::open`].
pub(crate) struct Row<'r> {
    record: &'r StringRecord,
    names: &'static [&'static str],
    positions: &'r [usize],
}

impl<'r> Row<'r> {
    /// The text of column `column` (empty when absent).
    pub(crate) fn text(&self, column: usize) -> &'r str {
        self.positions
            .get(column)
            .and_then(|&position| self.record.get(position))
            .unwrap_or_default()
    }

    /// Column `column` parsed by `parse`, naming the column and the value when it is rejected.
    pub(crate) fn parse<T>(
        &self,
        column: usize,
        parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    ) -> Result<T, String> {
        let text = self.text(column);
        parse(text).map_err(|invalid| self.rejected(column, text, invalid.rule()))
    }

    /// Column `column` parsed by `parse`, or `None` when empty.
    pub(crate) fn parse_optional<T>(
        &self,
        column: usize,
        parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    ) -> Result<Option<T>, String> {
        let text = self.text(column);
        if text.is_empty() {
            return Ok(None);
        }
        parse(text)
            .map(Some)
            .map_err(|invalid| self.rejected(column, text, invalid.rule()))
    }

    /// A problem with column `column` holding `text`.
    pub(crate) fn rejected(&self, column: usize, text: &str, rule: &str) -> String {
        format!("{} {text:?}: {rule}", self.name(column))
    }

    fn name(&self, column: usize) -> &'static str {
        self.names.get(column).copied().unwrap_or("?")
    }
}

/// Parses a number with `FromStr`, for use with [`Row::parse`].
pub(crate) fn number<T: std::str::FromStr>(text: &str) -> Result<T, InvalidValue> {
    text.parse()
        .map_err(|_| InvalidValue::new("must be a number"))
}

/// Sorts `items` by `key` and rejects duplicates, naming the file.
pub(crate) fn sorted_unique<T, K: Ord + std::fmt::Debug>(
    path: &Path,
    items: &mut [T],
    key: impl Fn(&T) -> K,
    what: &str,
) -> Result<(), LoadError> {
    if !items.is_sorted_by_key(&key) {
        items.sort_by_key(&key);
    }
    match items.windows(2).find(|pair| key(&pair[0]) == key(&pair[1])) {
        Some(pair) => Err(LoadError::File {
            path: path.to_owned(),
            problem: format!("{what} {:?} is listed more than once", key(&pair[0])),
        }),
        None => Ok(()),
    }
}

/// A non-empty text column.
pub(crate) fn name(row: &Row<'_>, column: usize) -> Result<Box<str>, String> {
    let text = row.text(column);
    if text.is_empty() {
        return Err(row.rejected(column, text, "must not be empty"));
    }
    Ok(text.into())
}
