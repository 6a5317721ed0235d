//! The OffersService API end to end, through the generated gRPC client with a bearer token per
//! role, against the real service on a fresh PostgreSQL database and an embedded Kafka broker:
//! who may call what (the tenancy matrix), the offer's validation rules, the application state
//! machine, the aid an offer opens, Bpifrance's label decisions, one event per state change,
//! browsing published offers, and to whom a candidate's contact data is disclosed.

#![allow(clippy::unwrap_used)]

#[path = "api/fixtures.rs"]
mod fixtures;
#[path = "api/harness.rs"]
mod harness;

#[path = "api/aid.rs"]
mod aid;
#[path = "api/bounds.rs"]
mod bounds;
#[path = "api/browsing.rs"]
mod browsing;
#[path = "api/contact.rs"]
mod contact;
#[path = "api/eligibility.rs"]
mod eligibility;
#[path = "api/events.rs"]
mod events;
#[path = "api/invitations.rs"]
mod invitations;
#[path = "api/label_dates.rs"]
mod label_dates;
#[path = "api/label_rules.rs"]
mod label_rules;
#[path = "api/labels.rs"]
mod labels;
#[path = "api/state_machine.rs"]
mod state_machine;
#[path = "api/tenancy.rs"]
mod tenancy;
#[path = "api/validation.rs"]
mod validation;
