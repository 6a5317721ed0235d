//! The values every aggregate's mapping shares: the platform-wide conversions of `vte-wire`
//! (enums, ids, dates, timestamps, pages), and this service's own: its enumerations, actors,
//! places and aids, the count limit of repeated fields and the calendar window of dates.

use crate::domain::{
    Actor, ApplicationStatus, EarlyEndReason, LabelOutcome, Location, OfferStatus, PlacementStatus,
    RemotePolicy,
};
use vte_domain::{FieldErrors, InvalidValue, Programme, RawDate};
use vte_proto::vte::applications::v1 as applications;
use vte_proto::vte::common::v1 as common;
use vte_proto::vte::offers::v1 as offers;
use vte_proto::vte::placements::v1 as placements;
pub use vte_wire::page::Filters;
use vte_wire::wire_enum;
pub use vte_wire::{
    PageInput, WireEnum, both, check_date, check_enum, check_enums, check_optional_id, check_page,
    date_from_proto, date_to_proto, money, optional_timestamp, optional_to_wire, page_input,
    parse_id, parse_optional_id, raw_date, timestamp, timestamp_from_proto,
};

wire_enum!(RemotePolicy => common::RemotePolicy, "vte.common.v1.RemotePolicy", {
    OnSite = OnSite,
    Hybrid = Hybrid,
    MostlyRemote = MostlyRemote,
});
wire_enum!(OfferStatus => offers::OfferStatus, "vte.offers.v1.OfferStatus", {
    Draft = Draft,
    Published = Published,
    Filled = Filled,
    Closed = Closed,
    Expired = Expired,
});
wire_enum!(ApplicationStatus => applications::ApplicationStatus, "vte.applications.v1.ApplicationStatus", {
    Submitted = Submitted,
    InReview = InReview,
    Interview = Interview,
    Accepted = Accepted,
    Refused = Refused,
    Withdrawn = Withdrawn,
    Obsolete = Obsolete,
    Expired = Expired,
});
wire_enum!(PlacementStatus => placements::PlacementStatus, "vte.placements.v1.PlacementStatus", {
    Active = Active,
    Completed = Completed,
    EndedEarly = EndedEarly,
});
wire_enum!(EarlyEndReason => placements::EarlyEndReason, "vte.placements.v1.EarlyEndReason", {
    TrialPeriod = TrialPeriod,
    Resignation = Resignation,
    Dismissal = Dismissal,
    MutualAgreement = MutualAgreement,
    CompanyDiscontinued = CompanyDiscontinued,
    StudiesEnded = StudiesEnded,
    Other = Other,
});
wire_enum!(LabelOutcome => placements::LabelOutcome, "vte.placements.v1.LabelOutcome", {
    Granted = Granted,
    Refused = Refused,
    ReworkRequested = ReworkRequested,
});

/// The most entries a repeated enum filter (`statuses`, `mission_types`...) takes: more than
/// any enumeration of the contract has values, so only a broken or hostile client reaches it.
pub const MAX_FILTER_VALUES: usize = 16;

/// The years a date sent by a client may fall in: an offer, an application or a placement of
/// the VTE programme lies in this century, and a date in 1900 is a mistake or a probe.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

/// Whether a repeated field of `count` entries holds at most `max`; otherwise records one error
/// under `field` (the caller then leaves the entries unread, so a list of 100,000 costs one
/// error, not one per entry).
pub fn check_count(errors: &mut FieldErrors, field: &str, count: usize, max: usize) -> bool {
    if count <= max {
        return true;
    }
    errors
        .push(InvalidValue::new(format!("must have at most {max} entries, got {count}")).at(field));
    false
}

/// A repeated enum filter, without repeats: at most [`MAX_FILTER_VALUES`] entries (checked
/// before any entry is read), each naming a value (`field[i]` otherwise).
pub fn check_enum_filter<E: WireEnum + PartialEq>(
    errors: &mut FieldErrors,
    field: &str,
    raws: &[i32],
) -> Vec<E> {
    if check_count(errors, field, raws.len(), MAX_FILTER_VALUES) {
        check_enums(errors, field, raws)
    } else {
        Vec::new()
    }
}

/// An optional date of a request ([`check_date`]) that must also fall in [`DATE_YEARS`].
pub fn check_recent_date(
    errors: &mut FieldErrors,
    field: &str,
    date: Option<&common::Date>,
) -> Option<RawDate> {
    let date = check_date(errors, field, date)?;
    if DATE_YEARS.contains(&date.year) {
        return Some(date);
    }
    let (first, last) = (DATE_YEARS.start(), DATE_YEARS.end());
    let rule = format!(
        "must fall in the years {first} to {last}, got {:04}-{:02}-{:02}",
        date.year, date.month, date.day
    );
    errors.push(InvalidValue::new(rule).at(field));
    None
}

/// The numbers of a repeated enum filter, sorted: one fingerprint ([`Filters`]) whatever
/// order the client listed them in.
pub fn filter_set<E: WireEnum>(values: &[E]) -> Vec<i32> {
    let mut numbers: Vec<i32> = values.iter().map(|value| value.to_wire()).collect();
    numbers.sort_unstable();
    numbers
}

/// `page` as the use case reads it: its token, which must have been given out for `filters`
/// (the gRPC layer binds each next token with [`vte_wire::page::bind`]), unbound; a token of
/// other filters, or none of ours, is refused under `field.page_token`.
pub fn check_bound_page(
    errors: &mut FieldErrors,
    field: &str,
    page: PageInput,
    filters: Filters,
) -> PageInput {
    let token = page.token.and_then(|token| {
        errors.check(
            &format!("{field}.page_token"),
            vte_wire::page::unbind(&token, filters),
        )
    });
    PageInput {
        size: page.size,
        token,
    }
}

/// A decoded list request whose page token is bound to its filters: a token given out for one
/// list is refused, under `page.page_token`, for a list with other filters.
pub trait FilteredList: Sized {
    /// The filters its page tokens are bound to.
    fn filters(&self) -> Filters;

    /// The page it asks for.
    fn page_mut(&mut self) -> &mut PageInput;

    /// Unbinds the page token from the filters; the request is accepted if neither this nor
    /// the request's other `errors` refused anything.
    fn bind_page(mut self, mut errors: FieldErrors) -> Result<Self, FieldErrors> {
        let filters = self.filters();
        let page = std::mem::take(self.page_mut());
        *self.page_mut() = check_bound_page(&mut errors, "page", page, filters);
        errors.into_result().map(|()| self)
    }
}

/// Who acted, on the wire: role, token subject, tenant (empty when the role has none).
pub fn actor_to_proto(actor: &Actor) -> common::Actor {
    common::Actor {
        role: actor.role.to_wire(),
        subject: actor.subject.clone(),
        tenant_id: actor.tenant_id.clone().unwrap_or_default(),
    }
}

/// A resolved workplace on the wire: the commune, its département and région, and its
/// Territoire d'industrie in `programme` when it lies in one.
pub fn location_to_proto(location: &Location, programme: Programme) -> common::Location {
    common::Location {
        insee_code: location.insee().to_string(),
        commune_name: location.commune_name().to_owned(),
        departement_code: location.departement_code().to_owned(),
        departement_name: location.departement_name().to_owned(),
        region_code: location.region_code().to_owned(),
        region_name: location.region_name().to_owned(),
        territory: location
            .territory_in(programme)
            .map(|territory| common::Territory {
                id: territory.id.clone(),
                name: territory.name.clone(),
                programme: territory.programme.to_wire(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_survives_the_wire_and_zero_means_not_given() {
        for status in ApplicationStatus::ALL {
            assert_eq!(
                ApplicationStatus::from_wire(status.to_wire()),
                Ok(Some(status))
            );
        }
        for reason in EarlyEndReason::ALL {
            assert_eq!(
                EarlyEndReason::from_wire(reason.to_wire()),
                Ok(Some(reason))
            );
        }
        assert_eq!(OfferStatus::from_wire(0), Ok(None));
    }
}
