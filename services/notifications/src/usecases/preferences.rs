//! A recipient's preferences: each kind they receive on or off, its email cadence, and (for a
//! company, a school or Bpifrance) the address their email goes to. A candidate's address is
//! their contact data, kept by the candidates service, never here.

use vte_domain::EmailAddress;
use vte_service::auth::Caller;

use super::Notifications;
use crate::domain::Recipient;
use crate::store::preferences::{self, Preference};
use crate::{Error, access};

/// Most entries one change of preferences holds.
pub const MAX_PREFERENCES: usize = 16;

/// A recipient's preferences, every kind they receive in the contract's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferencesView {
    pub preferences: Vec<Preference>,
    /// The address they registered, if any.
    pub email_address: Option<String>,
}

/// A change of preferences, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferencesChange {
    /// Whose: the caller's own when `None` (operators must name one).
    pub recipient: Option<Recipient>,
    /// The kinds to change, in the request's order (other kinds keep theirs).
    pub preferences: Vec<Preference>,
    /// The address to register; empty removes it; `None` leaves it.
    pub email_address: Option<String>,
}

/// What a change does to the registered address.
enum AddressChange {
    Remove,
    Set(EmailAddress),
}

impl Notifications {
    /// The preferences of the recipient named (the caller's own when `None`).
    pub async fn preferences(
        &self,
        caller: &Caller,
        named: Option<Recipient>,
    ) -> Result<PreferencesView, Error> {
        let recipient = access::whose(caller, named, "recipient")?;
        Ok(PreferencesView {
            preferences: preferences::load(&self.pool, &recipient).await?,
            email_address: preferences::email_address(&self.pool, &recipient).await?,
        })
    }

    /// Saves a change of preferences and returns them all, as they now stand.
    pub async fn update_preferences(
        &self,
        caller: &Caller,
        change: PreferencesChange,
    ) -> Result<PreferencesView, Error> {
        let recipient = access::whose(caller, change.recipient, "recipient")?;
        let address = address_change(&recipient, change.email_address.as_deref())?;
        if change.preferences.is_empty() && address.is_none() {
            return Err(Error::invalid(
                "preferences",
                format!("must hold 1..={MAX_PREFERENCES} entries unless email_address is given"),
            ));
        }
        check_kinds(&recipient, &change.preferences)?;
        let mut transaction = self.pool.begin().await?;
        preferences::save(&mut transaction, &recipient, &change.preferences).await?;
        match &address {
            Some(AddressChange::Set(address)) => {
                let address = Some(address.as_str());
                preferences::set_email_address(&mut transaction, &recipient, address).await?;
            }
            Some(AddressChange::Remove) => {
                preferences::set_email_address(&mut transaction, &recipient, None).await?;
            }
            None => {}
        }
        let preferences = preferences::load(&mut *transaction, &recipient).await?;
        let email_address = preferences::email_address(&mut *transaction, &recipient).await?;
        transaction.commit().await?;
        Ok(PreferencesView {
            preferences,
            email_address,
        })
    }
}

/// The change of registered address `raw` asks for. Candidates have no registered address.
fn address_change(
    recipient: &Recipient,
    raw: Option<&str>,
) -> Result<Option<AddressChange>, Error> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if recipient.has_contact_email() {
        return Err(Error::invalid(
            "email_address",
            "a candidate's address is their contact data, changed with their school or on \
             their profile, not here",
        ));
    }
    if raw.trim().is_empty() {
        return Ok(Some(AddressChange::Remove));
    }
    EmailAddress::parse(raw)
        .map(|address| Some(AddressChange::Set(address)))
        .map_err(|rule| Error::from(rule.at("email_address")))
}

/// Each kind changed is one the recipient receives, and appears once.
fn check_kinds(recipient: &Recipient, changes: &[Preference]) -> Result<(), Error> {
    for (i, change) in changes.iter().enumerate() {
        let kind = change.kind;
        if !recipient.receives(kind) {
            return Err(Error::invalid(
                format!("preferences[{i}].kind"),
                format!(
                    "must be a kind this recipient receives, got {}",
                    kind.code()
                ),
            ));
        }
        if changes[..i].iter().any(|earlier| earlier.kind == kind) {
            return Err(Error::invalid(
                format!("preferences[{i}].kind"),
                format!("must appear once, {} is repeated", kind.code()),
            ));
        }
    }
    Ok(())
}
