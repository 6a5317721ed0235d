//! Who may read and change which recipient's notifications, preferences and webhooks
//! (DESIGN.md section 5): a recipient only their own (a company by SIREN, a school by id, a
//! candidate by id, Bpifrance as one recipient); operators (`admin`) any recipient they name.
//! The website and the platform's services have no notifications of their own.

use vte_service::auth::Caller;

use crate::Error;
use crate::domain::Recipient;

/// The recipient a caller acts as, if any.
pub fn own(caller: &Caller) -> Option<Recipient> {
    match caller {
        Caller::Company { siren } => Some(Recipient::Company(*siren)),
        Caller::School { school_id } => Some(Recipient::School(*school_id)),
        Caller::Candidate { candidate_id } => Some(Recipient::Candidate(*candidate_id)),
        Caller::Bpifrance => Some(Recipient::Bpifrance),
        Caller::Site | Caller::Admin | Caller::Service => None,
    }
}

/// The recipient a request is about: the caller's own when `named` is absent; another one
/// only for operators, who must name one (in the request's `field`).
pub fn whose(caller: &Caller, named: Option<Recipient>, field: &str) -> Result<Recipient, Error> {
    match (caller, own(caller), named) {
        (Caller::Admin, _, Some(named)) => Ok(named),
        (Caller::Admin, _, None) => {
            Err(Error::invalid(field, "an operator must name the recipient"))
        }
        (_, Some(own), None) => Ok(own),
        (_, Some(own), Some(named)) if named == own => Ok(own),
        (_, Some(_), Some(_)) => Err(Error::NotTheirs),
        (_, None, _) => Err(Error::NoNotifications),
    }
}

/// The caller's own recipient, for requests that name none.
pub fn caller_recipient(caller: &Caller) -> Result<Recipient, Error> {
    own(caller).ok_or(Error::NoOwnNotifications)
}

/// Acting on a webhook of `owner`: the owner or an operator.
pub fn manage_webhook(caller: &Caller, owner: &Recipient) -> bool {
    matches!(caller, Caller::Admin) || own(caller).as_ref() == Some(owner)
}
