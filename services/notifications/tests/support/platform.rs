//! The notifications service with candidates whose contact data it can look up: a contact
//! directory the test fills stands where the candidates service would be, answering for the
//! students the test made known and `Gone` for anyone else. (Tests that need the real
//! candidates service, erasures travelling between the two, live in the workspace's `tests/`.)

use vte_domain::{CandidateId, SchoolId};
use vte_notifications::NotificationsSettings;
use vte_service::contacts::Contact;
use vte_testbed::MemoryContacts;

use super::harness::{Bed, Directory, Notifications};
use super::smtp::SmtpSink;

/// The notifications service and the contact directory it asks, for one test.
#[derive(Debug)]
pub struct Platform {
    pub notifications: Notifications,
    contacts: MemoryContacts,
}

impl Platform {
    /// Starts the notifications service on an empty directory.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts it, letting the test adjust the service's own settings.
    pub async fn start_with(adjust: impl FnOnce(&mut NotificationsSettings) + Send) -> Self {
        let contacts = MemoryContacts::new();
        let smtp = SmtpSink::start().await;
        let directory = Directory::Memory(contacts.clone());
        let notifications =
            Notifications::start_on(Bed::start().await, smtp, directory, |_, own| adjust(own))
                .await;
        Self {
            notifications,
            contacts,
        }
    }

    /// A new student of `school` with this first name and address, as the candidates service
    /// would give them out; returns their candidate id.
    pub async fn push_student(
        &self,
        _school: SchoolId,
        first_name: &str,
        email: &str,
    ) -> CandidateId {
        let candidate = CandidateId::new();
        let contact = Contact {
            first_name: first_name.to_owned(),
            last_name: "Martin".to_owned(),
            email: email.to_owned(),
            phone: String::new(),
        };
        self.contacts.insert(candidate, contact);
        candidate
    }
}
