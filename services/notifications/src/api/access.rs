//! Who may read and change which recipient's notifications, preferences and webhooks
//! (DESIGN.md section 5): a recipient only their own (a company by SIREN, a school by id, a
//! candidate by id, Bpifrance as one recipient); operators (`admin`) any recipient they name.
//! The website and the platform's services have no notifications of their own.

use tonic::Status;
use vte_proto::vte::notifications::v1 as wire;
use vte_service::auth::Caller;

use crate::domain::Recipient;
use crate::mapping;

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
/// only for operators.
pub fn whose(
    caller: &Caller,
    named: Option<&wire::Recipient>,
    field: &str,
) -> Result<Recipient, Status> {
    let named = named
        .map(|named| mapping::recipient_from_proto(named, field))
        .transpose()
        .map_err(|error| Status::invalid_argument(error.to_string()))?;
    match (caller, own(caller), named) {
        (Caller::Admin, _, Some(named)) => Ok(named),
        (Caller::Admin, _, None) => Err(Status::invalid_argument(format!(
            "{field}: an operator must name the recipient"
        ))),
        (_, Some(own), None) => Ok(own),
        (_, Some(own), Some(named)) if named == own => Ok(own),
        (_, Some(_), Some(_)) => Err(Status::permission_denied(
            "a recipient reads and changes only their own notifications",
        )),
        (_, None, _) => Err(Status::permission_denied(
            "only companies, schools, candidates, Bpifrance and operators have notifications",
        )),
    }
}

/// The caller's own recipient, for RPCs that name none.
pub fn caller_recipient(caller: &Caller) -> Result<Recipient, Status> {
    own(caller)
        .ok_or_else(|| Status::permission_denied("this caller has no notifications of its own"))
}

/// Acting on a webhook of `owner`: the owner or an operator.
pub fn manage_webhook(caller: &Caller, owner: &Recipient) -> bool {
    matches!(caller, Caller::Admin) || own(caller).as_ref() == Some(owner)
}
