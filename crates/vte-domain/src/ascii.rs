//! Small helpers for value types stored as fixed-size ASCII arrays (INSEE codes, postal codes,
//! language codes): compact, `Copy`, and cheap to hash.

/// Views bytes that the caller has already checked to be ASCII as a `&str`.
pub(crate) fn as_str(bytes: &[u8]) -> &str {
    // Only ASCII is ever stored, so the fallback is unreachable.
    std::str::from_utf8(bytes).unwrap_or_default()
}
