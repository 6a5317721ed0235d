//! Short administrative codes (départements `01`, `2A`, `971`; régions `11`, `975`) stored
//! inline so communes need no allocation for them.

use std::fmt;

/// One to three ASCII letters or digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ShortCode {
    bytes: [u8; 3],
    len: u8,
}

impl ShortCode {
    /// The code, or `None` unless `raw` is 1 to 3 ASCII letters or digits.
    pub(crate) fn new(raw: &str) -> Option<Self> {
        let raw = raw.as_bytes();
        if raw.is_empty() || raw.len() > 3 || !raw.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        let mut bytes = [0u8; 3];
        bytes[..raw.len()].copy_from_slice(raw);
        Some(Self {
            bytes,
            len: raw.len() as u8,
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII is ever stored, so the fallback is unreachable.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Debug for ShortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_keep_their_text() {
        for raw in ["1", "2A", "971"] {
            assert_eq!(ShortCode::new(raw).unwrap().as_str(), raw);
        }
    }

    #[test]
    fn empty_long_or_odd_codes_are_refused() {
        for raw in ["", "9711", "1-"] {
            assert_eq!(ShortCode::new(raw), None);
        }
    }
}
