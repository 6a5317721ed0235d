//! The offers service beside the real candidates service, on one broker namespace: contact data
//! crosses from the candidates service only where the contract allows it, and an erasure there
//! reaches the offers service, which confirms it back.

#![allow(clippy::unwrap_used)]

#[path = "../../services/offers/tests/api/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
#[path = "offers_with_candidates/harness.rs"]
mod harness;

#[path = "offers_with_candidates/contact.rs"]
mod contact;
