//! Cursor pagination: a page is read in a fixed order of (instant, id), newest first, and
//! stops where the cursor says, so rows written meanwhile never shift the next pages. The
//! cursor's text form is opaque to clients (`page_token`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use vte_domain::InvalidValue;

/// Largest page a list returns; 0 asks for [`DEFAULT_PAGE_SIZE`].
pub const MAX_PAGE_SIZE: u32 = 100;
/// The page size when the client asks for none.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// Where a page stopped: the ordering instant and id of its last row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl PageCursor {
    /// The cursor's text form, as sent to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.at.timestamp_micros(), self.id))
    }

    /// Reads a cursor a client sent back.
    pub fn decode(text: &str) -> Result<Self, InvalidValue> {
        let invalid = || InvalidValue::new("is not a page token this service gave out");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (micros, id) = text.split_once(':').ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        Ok(Self {
            at: DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?,
            id: Uuid::parse_str(id).map_err(|_| invalid())?,
        })
    }
}

/// Which page to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows wanted, 1..=[`MAX_PAGE_SIZE`].
    pub size: u32,
    /// The cursor of the previous page; `None` for the first.
    pub after: Option<PageCursor>,
}

impl PageRequest {
    /// The rows to fetch: one more than the page, to know whether another follows.
    pub(crate) fn fetch_limit(&self) -> i64 {
        i64::from(self.size.clamp(1, MAX_PAGE_SIZE)) + 1
    }

    /// The page made of `rows`, whose ordering key `key` gives.
    pub(crate) fn page<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> PageCursor) -> Page<T> {
        let size = self.size.clamp(1, MAX_PAGE_SIZE) as usize;
        let next = if rows.len() > size {
            rows.truncate(size);
            rows.last().map(key)
        } else {
            None
        };
        Page { items: rows, next }
    }
}

/// One page of a list and the cursor of the next, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<PageCursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let cursor = PageCursor {
            at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap_or_default(),
            id: Uuid::now_v7(),
        };
        assert_eq!(PageCursor::decode(&cursor.encode()), Ok(cursor));
        assert!(PageCursor::decode("not-a-token").is_err());
    }
}
