//! The list requests scoped to an offer or a candidate (ListApplications, ListInvitations) on
//! the wire: one decoded input, [`ScopedList`], and one decoder, [`scoped_list_input`], for
//! every request that [`ScopedListRequest`] reads (each request's own is one
//! `scoped_list_request!` line in its aggregate's module).

use vte_domain::{FieldErrors, InvalidValue};
use vte_proto::vte::common::v1 as common;

use super::wire::{
    FilteredList, Filters, PageInput, WireEnum, both, check_enum_filter, check_page, filter_set,
    parse_id,
};
pub use crate::store::ListScope;

/// A list request scoped to an offer or a candidate, decoded: whose records, which statuses,
/// which page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedList<S> {
    /// Whose records.
    pub scope: ListScope,
    /// Only these statuses; empty means all.
    pub statuses: Vec<S>,
    /// The page wanted.
    pub page: PageInput,
}

/// The scope of a request as sent: the oneof's id, not parsed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeSent<'a> {
    /// `offer_id`.
    Offer(&'a str),
    /// `candidate_id`.
    Candidate(&'a str),
}

/// A request that [`scoped_list_input`] decodes: a `oneof scope { offer_id, candidate_id }`,
/// `repeated statuses` of one enumeration and a `page`.
pub trait ScopedListRequest {
    /// The statuses it filters on.
    type Status: WireEnum + PartialEq;

    /// Its scope as sent; `None` when neither id is.
    fn scope(&self) -> Option<ScopeSent<'_>>;

    /// Its status filter, as numbers.
    fn statuses(&self) -> &[i32];

    /// Its page, if given.
    fn page(&self) -> Option<&common::PageRequest>;
}

/// Implements [`ScopedListRequest`] for a `vte.offers.v1` request type, given the module of
/// its oneof (`list_invitations_request`) and its status type.
macro_rules! scoped_list_request {
    ($request:ty, $oneof:ident, $status:ty) => {
        impl $crate::mapping::lists::ScopedListRequest for $request {
            type Status = $status;

            fn scope(&self) -> Option<$crate::mapping::lists::ScopeSent<'_>> {
                use vte_proto::vte::offers::v1::$oneof::Scope;
                use $crate::mapping::lists::ScopeSent;
                self.scope.as_ref().map(|scope| match scope {
                    Scope::OfferId(id) => ScopeSent::Offer(id),
                    Scope::CandidateId(id) => ScopeSent::Candidate(id),
                })
            }

            fn statuses(&self) -> &[i32] {
                &self.statuses
            }

            fn page(&self) -> Option<&vte_proto::vte::common::v1::PageRequest> {
                self.page.as_ref()
            }
        }
    };
}
pub(crate) use scoped_list_request;

/// Decodes a scoped list request: the scope is required (`scope`, or the id under its own
/// name), the status filter is bounded (`statuses`), the page checked (`page`), and its token
/// must have been given out for the same scope and statuses (`page.page_token`). Every error
/// of the request comes back at once.
pub fn scoped_list_input<R: ScopedListRequest>(
    request: &R,
) -> Result<ScopedList<R::Status>, FieldErrors> {
    let scope = match request.scope() {
        Some(ScopeSent::Offer(id)) => parse_id("offer_id", id).map(ListScope::Offer),
        Some(ScopeSent::Candidate(id)) => parse_id("candidate_id", id).map(ListScope::Candidate),
        None => Err(
            InvalidValue::new("one of offer_id or candidate_id is required")
                .at("scope")
                .into(),
        ),
    };
    let mut errors = FieldErrors::new();
    let statuses = check_enum_filter(&mut errors, "statuses", request.statuses());
    let page = check_page(&mut errors, "page", request.page());
    let (scope, ()) = both(scope, errors.into_result())?;
    ScopedList {
        scope,
        statuses,
        page,
    }
    .bind_page(FieldErrors::new())
}

impl<S: WireEnum> FilteredList for ScopedList<S> {
    fn filters(&self) -> Filters {
        // The list's own name first: a token of one list (its cursor in its table) is never
        // taken by the other for the same scope.
        Filters::NONE
            .with("list", S::PROTO_NAME)
            .with("scope", self.scope)
            .with("statuses", filter_set(&self.statuses))
    }

    fn page_mut(&mut self) -> &mut PageInput {
        &mut self.page
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use vte_domain::CandidateId;
    use vte_proto::vte::applications::v1::ApplicationStatus as WireApplicationStatus;
    use vte_proto::vte::invitations::v1::InvitationStatus as WireInvitationStatus;
    use vte_proto::vte::offers::v1::{
        ListApplicationsRequest, ListInvitationsRequest, list_applications_request,
        list_invitations_request,
    };

    use super::*;
    use crate::domain::{ApplicationStatus, InvitationStatus};

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.iter().map(|error| error.field()).collect()
    }

    #[test]
    fn applications_and_invitations_of_a_candidate_decode_alike_into_one_scope() {
        let candidate = CandidateId::new();
        let page = Some(common::PageRequest {
            page_size: 5,
            page_token: String::new(),
        });
        let invitations = scoped_list_input(&ListInvitationsRequest {
            scope: Some(list_invitations_request::Scope::CandidateId(
                candidate.to_string(),
            )),
            statuses: vec![WireInvitationStatus::Declined as i32; 2],
            page: page.clone(),
        })
        .unwrap();
        let applications = scoped_list_input(&ListApplicationsRequest {
            scope: Some(list_applications_request::Scope::CandidateId(
                candidate.to_string(),
            )),
            statuses: vec![WireApplicationStatus::InReview as i32],
            page,
        })
        .unwrap();
        assert_eq!(invitations.scope, ListScope::Candidate(candidate));
        assert_eq!(invitations.statuses, vec![InvitationStatus::Declined]);
        assert_eq!(applications.scope, invitations.scope);
        assert_eq!(applications.statuses, vec![ApplicationStatus::InReview]);
        assert_eq!(applications.page.size, 5);
    }

    #[test]
    fn a_list_without_a_scope_and_with_17_statuses_is_told_both_at_once() {
        let invitations = scoped_list_input(&ListInvitationsRequest {
            scope: None,
            statuses: vec![1; 17],
            page: None,
        })
        .unwrap_err();
        assert_eq!(fields(&invitations), ["scope", "statuses"]);
        let applications = scoped_list_input(&ListApplicationsRequest {
            scope: Some(list_applications_request::Scope::OfferId(
                "offre-42".to_owned(),
            )),
            statuses: vec![99],
            page: None,
        })
        .unwrap_err();
        assert_eq!(fields(&applications), ["offer_id", "statuses[0]"]);
    }

    #[test]
    fn a_page_of_applications_and_one_of_invitations_never_share_a_token() {
        let candidate = CandidateId::new().to_string();
        let applications = scoped_list_input(&ListApplicationsRequest {
            scope: Some(list_applications_request::Scope::CandidateId(
                candidate.clone(),
            )),
            statuses: vec![],
            page: None,
        })
        .unwrap();
        let invitations = scoped_list_input(&ListInvitationsRequest {
            scope: Some(list_invitations_request::Scope::CandidateId(candidate)),
            statuses: vec![],
            page: None,
        })
        .unwrap();
        assert_eq!(applications.scope, invitations.scope);
        assert_ne!(applications.filters(), invitations.filters());
    }
}
