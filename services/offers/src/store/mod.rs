//! The offers service's PostgreSQL storage: queries returning domain types, every one exercised
//! by a test against the test bed's database. [`search`] serves the website's browsing;
//! [`offers`], [`applications`], [`invitations`], [`placements`] and [`labels`] save and load
//! the aggregates, [`candidates`] keeps what `vte.candidates.v1` says, [`companies`] the name
//! bound to each SIREN. Writes take the caller's connection (`&mut *tx`): the service locks,
//! calls the domain, saves and appends its event in one transaction. Reads take any executor;
//! lists are cursor pages (`vte_wire::page`), an offer's or a candidate's run by [`lists`].

pub mod applications;
pub mod candidates;
pub mod companies;
mod error;
pub mod invitations;
pub mod labels;
pub mod lists;
pub mod offers;
pub mod placements;
pub mod search;

pub use applications::{
    ApplicationScope, applications_due_for_expiry, insert_application, list_applications,
    load_application, lock_application, open_applications_around, open_applications_of_candidate,
    open_applications_of_offer, save_application,
};
pub use candidates::{
    Anonymised, KnownCandidate, anonymise_candidate_applications, consents, load_candidate,
    load_candidate_facts, record_consent, record_facts, upsert_candidate,
};
pub use companies::bind_company_name;
pub use error::{StoreError, UniqueRule};
pub use invitations::{
    anonymise_candidate_invitations, count_pending_of_offer, count_sent_by_company_since,
    has_open_application, insert_invitation, list_invitations, lock_invitation,
    lock_pending_invitation, pending_invitations, save_invitation,
};
pub use labels::{LabelScope, insert_label_decision, label_history, list_label_decisions};
pub use lists::ListScope;
pub use offers::{
    insert_offer, list_company_offers, load_offer, load_offers, lock_offer, offers_due_for_expiry,
    save_offer,
};
pub use placements::{
    PlacementFilter, Unfrozen, freeze_placement, insert_placement, list_placements, load_placement,
    lock_placement, save_placement, unfrozen_placements,
};
pub use vte_wire::page::{InstantId as PageCursor, MAX_PAGE_SIZE, Page, PageRequest};
