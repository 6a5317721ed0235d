//! Cursor pagination for the store's lists: a page is read in a fixed order of (instant, id)
//! and stops where the cursor says, so rows written meanwhile before the cursor never shift
//! the next pages. The cursor's text form is opaque to clients (`page_token`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use vte_domain::InvalidValue;

/// Largest page a list returns.
pub const MAX_PAGE_SIZE: u32 = 100;

/// Where a page stopped: the ordering instant and id of its last row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor {
    at: DateTime<Utc>,
    id: Uuid,
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

/// Which page to read: at most `size` rows (1 to [`MAX_PAGE_SIZE`]; 0 reads one), after
/// `after` (the first page without it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageRequest {
    /// The number of rows wanted.
    pub size: u32,
    /// The cursor of the previous page.
    pub after: Option<PageCursor>,
}

impl PageRequest {
    /// The first page of `size` rows.
    pub const fn first(size: u32) -> Self {
        Self { size, after: None }
    }

    fn size(&self) -> usize {
        self.size.clamp(1, MAX_PAGE_SIZE) as usize
    }

    /// The rows to fetch: one more than the page, to know whether another page follows.
    pub(crate) fn fetch_limit(&self) -> i64 {
        self.size() as i64 + 1
    }

    /// The cursor's instant, bound as `$n::timestamptz` (NULL on the first page).
    pub(crate) fn after_at(&self) -> Option<DateTime<Utc>> {
        self.after.map(|cursor| cursor.at)
    }

    /// The cursor's id, bound as `$n::uuid` (NULL on the first page).
    pub(crate) fn after_id(&self) -> Option<Uuid> {
        self.after.map(|cursor| cursor.id)
    }

    /// The page made of `rows` (fetched with [`fetch_limit`](Self::fetch_limit)); `key`
    /// gives each row's ordering instant and id.
    pub(crate) fn page<T>(
        &self,
        mut rows: Vec<T>,
        key: impl Fn(&T) -> (DateTime<Utc>, Uuid),
    ) -> Page<T> {
        let next = if rows.len() > self.size() {
            rows.truncate(self.size());
            rows.last().map(|row| {
                let (at, id) = key(row);
                PageCursor { at, id }
            })
        } else {
            None
        };
        Page { items: rows, next }
    }
}

/// One page of a list, and the cursor of the next page if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows of this page, in the list's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PageCursor>,
}
