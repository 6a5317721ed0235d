//! Cursor pagination, one scheme for every list of the platform. A list is read in a fixed
//! order of a key (an instant and an id, or a school's own reference) and a page stops after the
//! row the cursor names, so rows written meanwhile never shift the next pages. On the wire the
//! cursor is an opaque `page_token`: the fingerprint of the list's filters ([`Filters`]), then
//! URL-safe base64 of the key's text form. A token this service did not give out is refused,
//! naming the field, and so is a token sent back with other filters than those it was given
//! out for ([`bind`], [`unbind`]), instead of silently paging another list from a position in
//! this one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use std::fmt::{self, Write as _};
use uuid::Uuid;
use vte_domain::{FieldErrors, InvalidValue};
use vte_proto::vte::common::v1 as common;

use crate::PageInput;

/// The largest page a list returns.
pub const MAX_PAGE_SIZE: u32 = PageInput::MAX_SIZE;

/// What a list is ordered by, written into and read back from its page tokens.
pub trait CursorKey: Sized {
    /// The key's text form (before base64).
    fn to_text(&self) -> String;
    /// Reads a text form written by [`CursorKey::to_text`]; `None` if it is not one.
    fn from_text(text: &str) -> Option<Self>;
}

/// The usual key: an instant and an id (newest or oldest first, the store decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstantId {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl CursorKey for InstantId {
    fn to_text(&self) -> String {
        format!("{}:{}", self.at.timestamp_micros(), self.id)
    }

    fn from_text(text: &str) -> Option<Self> {
        let (micros, id) = text.split_once(':')?;
        Some(Self {
            at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

impl InstantId {
    /// Its text inside a page token (see [`encode_token`]).
    pub fn encode(&self) -> String {
        encode_token(self)
    }

    /// Reads its text inside a page token (see [`decode_token`]).
    pub fn decode(token: &str) -> Result<Self, InvalidValue> {
        decode_token(token)
    }
}

/// A key that is a text already (a school's own student reference).
impl CursorKey for String {
    fn to_text(&self) -> String {
        self.clone()
    }

    fn from_text(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

/// The text of `key` inside a page token (URL-safe base64), before [`bind`] prefixes it.
pub fn encode_token<K: CursorKey>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(key.to_text())
}

/// Reads the text [`encode_token`] wrote (once [`unbind`] took the filters' fingerprint off).
pub fn decode_token<K: CursorKey>(token: &str) -> Result<K, InvalidValue> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| K::from_text(&text))
        .ok_or_else(|| InvalidValue::new("is not a page token this service gave out"))
}

/// The filters a list was asked with, as a short fingerprint its page tokens carry. Built from
/// the decoded (normalised) filters, each under its name, in a fixed order:
/// `Filters::NONE.with("statuses", &sorted).with("unread_only", unread)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filters(u64);

impl Filters {
    /// No filter at all (FNV-1a's offset basis).
    pub const NONE: Self = Self(0xcbf2_9ce4_8422_2325);

    /// These filters and `name` = `value` (its `Debug` form: a normalised value prints the
    /// same for the same filter, whatever spelling the client sent).
    #[must_use]
    pub fn with(self, name: &str, value: impl fmt::Debug) -> Self {
        let mut hasher = Fnv(self.0);
        // Writing into the hasher cannot fail.
        let _ = write!(hasher, "{name}={value:?};");
        Self(hasher.0)
    }

    /// The 8 hexadecimal digits a token carries.
    fn tag(self) -> String {
        format!("{:08x}", (self.0 >> 32) ^ (self.0 & 0xffff_ffff))
    }
}

/// FNV-1a over what is written into it: stable across builds and platforms, unlike std's
/// hasher, so a token survives a restart; it detects a mistake, it does not stop a forger
/// (who gains nothing: a token only says where a page starts).
struct Fnv(u64);

impl fmt::Write for Fnv {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for byte in text.bytes() {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        Ok(())
    }
}

/// A page token bound to `filters`: `token` (from any cursor scheme) behind the filters' tag.
/// An empty token (the last page) stays empty.
pub fn bind(token: &str, filters: Filters) -> String {
    if token.is_empty() {
        String::new()
    } else {
        format!("{}.{token}", filters.tag())
    }
}

/// The token inside a page token [`bind`] gave out, if it was given out for `filters`.
pub fn unbind(token: &str, filters: Filters) -> Result<String, InvalidValue> {
    let (tag, inner) = token
        .split_once('.')
        .filter(|(tag, inner)| tag.len() == 8 && !inner.is_empty())
        .ok_or_else(|| InvalidValue::new("is not a page token this service gave out"))?;
    if tag == filters.tag() {
        Ok(inner.to_owned())
    } else {
        Err(InvalidValue::new(
            "was given out for other filters: send the filters of its first page, or no \
             page_token to start again",
        ))
    }
}

/// Which page to read: at most `size` rows (1 to [`MAX_PAGE_SIZE`]), after the row `after`
/// names (the first page without it). Copy when its key is ([`InstantId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest<K = InstantId> {
    pub size: u32,
    pub after: Option<K>,
}

impl<K> Default for PageRequest<K> {
    /// The first page, of the default size of the store (a size of 0 reads one row).
    fn default() -> Self {
        Self::first(0)
    }
}

impl<K> PageRequest<K> {
    /// The first page of `size` rows.
    pub const fn first(size: u32) -> Self {
        Self { size, after: None }
    }

    fn size(&self) -> usize {
        self.size.clamp(1, MAX_PAGE_SIZE) as usize
    }

    /// The rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        self.size() as i64 + 1
    }

    /// The page made of `rows` (fetched with [`PageRequest::fetch_limit`]); `key` gives each
    /// row's ordering key.
    pub fn page<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> K) -> Page<T, K> {
        let next = if rows.len() > self.size() {
            rows.truncate(self.size());
            rows.last().map(key)
        } else {
            None
        };
        Page { items: rows, next }
    }
}

impl PageRequest<InstantId> {
    /// The cursor's instant, bound as `$n::timestamptz` (NULL on the first page).
    pub fn after_at(&self) -> Option<DateTime<Utc>> {
        self.after.map(|cursor| cursor.at)
    }

    /// The cursor's id, bound as `$n::uuid` (NULL on the first page).
    pub fn after_id(&self) -> Option<Uuid> {
        self.after.map(|cursor| cursor.id)
    }
}

/// One page of a list and the key of its last row when another page follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, K = InstantId> {
    pub items: Vec<T>,
    pub next: Option<K>,
}

/// The page a client asked for in `page` of a list without filters: [`page_request_for`] with
/// [`Filters::NONE`].
pub fn page_request<K: CursorKey>(
    field: &str,
    page: Option<&common::PageRequest>,
) -> Result<PageRequest<K>, FieldErrors> {
    page_request_for(field, page, Filters::NONE)
}

/// [`page_request`], recording its errors among others.
pub fn check_page_request<K: CursorKey>(
    errors: &mut FieldErrors,
    field: &str,
    page: Option<&common::PageRequest>,
) -> PageRequest<K> {
    check_page_request_for(errors, field, page, Filters::NONE)
}

/// The page a client asked for in `page` (checked as [`crate::page_input`] does), its token
/// decoded, errors under `field.page_size` and `field.page_token`; the token must have been
/// given out for these `filters` ([`page_response_for`]).
pub fn check_page_request_for<K: CursorKey>(
    errors: &mut FieldErrors,
    field: &str,
    page: Option<&common::PageRequest>,
    filters: Filters,
) -> PageRequest<K> {
    let input = crate::check_page(errors, field, page);
    let after = input.token.as_deref().and_then(|token| {
        match unbind(token, filters).and_then(|inner| decode_token(&inner)) {
            Ok(key) => Some(key),
            Err(invalid) => {
                errors.push(invalid.at(format!("{field}.page_token")));
                None
            }
        }
    });
    PageRequest {
        size: input.size,
        after,
    }
}

/// [`check_page_request_for`], alone.
pub fn page_request_for<K: CursorKey>(
    field: &str,
    page: Option<&common::PageRequest>,
    filters: Filters,
) -> Result<PageRequest<K>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let request = check_page_request_for(&mut errors, field, page, filters);
    errors.into_result().map(|()| request)
}

/// [`page_response`] for a list with `filters`: the next token is bound to them.
pub fn page_response_for<K: CursorKey>(next: Option<&K>, filters: Filters) -> common::PageResponse {
    common::PageResponse {
        next_page_token: bind(&next.map(encode_token).unwrap_or_default(), filters),
    }
}

/// The `PageResponse` that lets a client ask for the page after this one, of a list without
/// filters: [`page_response_for`] with [`Filters::NONE`].
pub fn page_response<K: CursorKey>(next: Option<&K>) -> common::PageResponse {
    page_response_for(next, Filters::NONE)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_token_round_trips_and_garbage_is_refused_naming_the_field() {
        let key = InstantId {
            at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(decode_token::<InstantId>(&encode_token(&key)), Ok(key));
        let wire = common::PageRequest {
            page_size: 10,
            page_token: "not-a-token".to_owned(),
        };
        let errors = page_request::<InstantId>("page", Some(&wire)).unwrap_err();
        assert_eq!(errors.iter().next().unwrap().field(), "page.page_token");
        let school_ref = String::from("ETU-2026-042");
        assert_eq!(
            decode_token::<String>(&encode_token(&school_ref)),
            Ok(school_ref)
        );
    }

    #[test]
    fn a_token_given_out_for_some_filters_is_refused_with_others() {
        let unread = Filters::NONE.with("unread_only", true);
        let all = Filters::NONE.with("unread_only", false);
        assert_ne!(unread, all);
        assert_eq!(unread, Filters::NONE.with("unread_only", true));
        let key = InstantId {
            at: DateTime::from_timestamp_micros(1_700_000_000_000_000).unwrap(),
            id: Uuid::now_v7(),
        };
        let token = page_response_for(Some(&key), unread).next_page_token;
        let wire = common::PageRequest {
            page_size: 10,
            page_token: token.clone(),
        };
        assert_eq!(
            page_request_for::<InstantId>("page", Some(&wire), unread)
                .unwrap()
                .after,
            Some(key)
        );
        let errors = page_request_for::<InstantId>("page", Some(&wire), all).unwrap_err();
        let error = errors.iter().next().unwrap();
        assert_eq!(error.field(), "page.page_token");
        assert!(error.rule().contains("other filters"), "{}", error.rule());
        // An unbound token, or one with its tag cut, is not one of these lists' tokens.
        assert!(unbind(&encode_token(&key), unread).is_err());
        assert!(unbind(&token[9..], unread).is_err());
        assert_eq!(bind("", unread), "");
        assert_eq!(unbind(&bind("abc", all), all).unwrap(), "abc");
    }

    #[test]
    fn a_page_holds_at_most_its_size_and_says_where_the_next_starts() {
        let request = PageRequest::<String>::first(2);
        assert_eq!(request.fetch_limit(), 3);
        let page = request.page(vec!["a", "b", "c"], |row| (*row).to_owned());
        assert_eq!(page.items, ["a", "b"]);
        assert_eq!(page.next.as_deref(), Some("b"));
        let last = request.page(vec!["d"], |row| (*row).to_owned());
        assert_eq!(last.next, None);
        assert_eq!(page_response::<String>(None).next_page_token, "");
    }
}
