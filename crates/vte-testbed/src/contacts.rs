//! A contact directory a test fills itself, for a service that looks candidates' contact data up
//! without the candidates service running: it knows the candidates the test added, answers
//! [`Lookup::Gone`] for any other (never known, or erased since), and can be made to fail as an
//! unreachable candidates service would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tonic::Code;
use vte_domain::CandidateId;
use vte_service::contacts::{Contact, ContactDirectory, Lookup, LookupFailed, LookupFuture};

/// What the directory holds: the contacts, and whether it answers.
#[derive(Debug, Default)]
struct Entries {
    contacts: HashMap<CandidateId, Contact>,
    unavailable: bool,
}

/// An in-memory [`ContactDirectory`]; clones share the same entries, so the test keeps one and
/// gives the service another ([`MemoryContacts::directory`]).
#[derive(Debug, Clone, Default)]
pub struct MemoryContacts {
    entries: Arc<Mutex<Entries>>,
}

impl MemoryContacts {
    /// An empty directory, answering.
    pub fn new() -> Self {
        Self::default()
    }

    /// The directory as a service takes it.
    pub fn directory(&self) -> Arc<dyn ContactDirectory> {
        Arc::new(self.clone())
    }

    /// Makes `candidate` known with `contact` (replacing what was known).
    pub fn insert(&self, candidate: CandidateId, contact: Contact) {
        self.entries().contacts.insert(candidate, contact);
    }

    /// Forgets `candidate`, as an erasure does: lookups answer [`Lookup::Gone`] from now on.
    pub fn erase(&self, candidate: CandidateId) {
        self.entries().contacts.remove(&candidate);
    }

    /// Makes every lookup fail with `UNAVAILABLE` (`false`), or answer again (`true`).
    pub fn set_available(&self, available: bool) {
        self.entries().unavailable = !available;
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        // A test that panicked while holding the lock has failed already: keep answering.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl ContactDirectory for MemoryContacts {
    fn lookup(&self, candidate: CandidateId) -> LookupFuture<'_> {
        let answer = {
            let entries = self.entries();
            if entries.unavailable {
                Err(LookupFailed(Code::Unavailable))
            } else {
                Ok(entries
                    .contacts
                    .get(&candidate)
                    .cloned()
                    .map_or(Lookup::Gone, Lookup::Found))
            }
        };
        Box::pin(std::future::ready(answer))
    }
}
