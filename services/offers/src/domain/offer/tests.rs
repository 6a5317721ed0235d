#![allow(clippy::unwrap_used)]

use super::*;
use crate::domain::error::ErrorKind;
use crate::domain::testing::{
    date, draft_offer, figeac_cdi, now, published_offer, reference, today,
};
use chrono::TimeDelta;

fn later() -> DateTime<Utc> {
    now() + TimeDelta::hours(1)
}

fn illegal(from: OfferStatus, action: OfferAction) -> DomainError {
    DomainError::IllegalOfferTransition { from, action }
}

fn closed_draft() -> Offer {
    draft_offer().close("", later()).unwrap()
}

fn filled_offer() -> Offer {
    published_offer(1).fill_position(later()).unwrap()
}

fn expired_offer() -> Offer {
    published_offer(1)
        .expire(date(2026, 7, 1), later())
        .unwrap()
}

#[test]
fn a_new_draft_is_at_revision_one_with_no_position_filled() {
    let draft = draft_offer();
    assert_eq!(draft.status, OfferStatus::Draft);
    assert_eq!(draft.revision, 1);
    assert_eq!(draft.positions_remaining(), 2);
    assert_eq!((draft.created_at, draft.updated_at), (now(), now()));
    assert_eq!(draft.published_at, None);
}

#[test]
fn publishing_a_complete_draft_makes_it_visible_and_counts_a_revision() {
    let published = draft_offer()
        .publish(reference(), today(), later())
        .unwrap();
    assert_eq!(published.status, OfferStatus::Published);
    assert_eq!(published.revision, 2);
    assert_eq!(published.published_at, Some(later()));
    assert_eq!(published.updated_at, later());
    assert!(published.spec().is_some());
    assert!(
        published.aids(crate::domain::testing::rules())[0].eligible(),
        "a CDI in Figeac opens the company aid"
    );
}

#[test]
fn publishing_an_incomplete_draft_names_every_missing_field_and_changes_nothing() {
    let input = NewOffer {
        title: String::new(),
        company_size: String::new(),
        ..figeac_cdi()
    };
    let draft = draft_offer()
        .update(&input, reference(), today(), later())
        .unwrap();
    let error = draft.publish(reference(), today(), later()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    let fields: Vec<_> = error
        .field_errors()
        .unwrap()
        .iter()
        .map(|e| e.field())
        .collect();
    assert_eq!(fields, ["spec.title", "spec.company_size"]);
}

#[test]
fn a_draft_whose_start_date_passed_cannot_be_published() {
    let error = draft_offer()
        .publish(reference(), date(2026, 9, 2), later())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn only_a_draft_is_published() {
    for offer in [
        published_offer(2),
        filled_offer(),
        closed_draft(),
        expired_offer(),
    ] {
        let from = offer.status;
        assert_eq!(
            offer.publish(reference(), today(), later()),
            Err(illegal(from, OfferAction::Publish))
        );
    }
}

#[test]
fn a_draft_is_updated_leniently_and_a_published_offer_completely() {
    let partial = NewOffer {
        title: "Bras droit".to_owned(),
        ..NewOffer::default()
    };
    let draft = draft_offer()
        .update(&partial, reference(), today(), later())
        .unwrap();
    assert_eq!(draft.revision, 2);
    assert_eq!(draft.positions_remaining(), 0);
    let error = published_offer(2)
        .update(&partial, reference(), today(), later())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn a_published_offer_keeps_at_least_its_filled_positions() {
    let offer = published_offer(3).fill_position(later()).unwrap();
    let offer = offer.fill_position(later()).unwrap();
    let fewer = NewOffer {
        positions: 1,
        ..figeac_cdi()
    };
    let error = offer
        .update(&fewer, reference(), today(), later())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid request: spec.positions: cannot go below the 2 positions already filled, got 1"
    );
    let as_many = NewOffer {
        positions: 2,
        ..figeac_cdi()
    };
    let filled = offer
        .update(&as_many, reference(), today(), later())
        .unwrap();
    assert_eq!(filled.status, OfferStatus::Filled);
    assert_eq!(filled.ended_at, Some(later()));
}

#[test]
fn a_final_offer_is_not_updated() {
    for offer in [filled_offer(), closed_draft(), expired_offer()] {
        let from = offer.status;
        assert_eq!(
            offer.update(&figeac_cdi(), reference(), today(), later()),
            Err(illegal(from, OfferAction::Update))
        );
    }
}

#[test]
fn a_draft_or_a_published_offer_can_be_closed_with_a_reason() {
    let closed = published_offer(2)
        .close(" Poste pourvu en interne ", later())
        .unwrap();
    assert_eq!(closed.status, OfferStatus::Closed);
    assert_eq!(
        closed.close_reason.unwrap().as_str(),
        "Poste pourvu en interne"
    );
    assert_eq!(closed.ended_at, Some(later()));
    let closed = closed_draft();
    assert_eq!(closed.status, OfferStatus::Closed);
    assert_eq!(closed.close_reason, None);
    assert!(matches!(closed.content, OfferContent::Draft(_)));
}

#[test]
fn a_close_reason_has_at_most_500_characters() {
    let error = published_offer(1)
        .close(&"x".repeat(501), later())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid request: reason: must be at most 500 characters, got 501"
    );
}

#[test]
fn a_final_offer_is_not_closed() {
    for offer in [filled_offer(), closed_draft(), expired_offer()] {
        let from = offer.status;
        assert_eq!(
            offer.close("", later()),
            Err(illegal(from, OfferAction::Close))
        );
    }
}

#[test]
fn an_acceptance_takes_a_position_and_the_last_one_fills_the_offer() {
    let offer = published_offer(2);
    let once = offer.fill_position(later()).unwrap();
    assert_eq!(once.status, OfferStatus::Published);
    assert_eq!(once.positions_remaining(), 1);
    assert_eq!(once.revision, offer.revision + 1);
    assert_eq!(OfferChange::between(&offer, &once), OfferChange::Updated);
    let twice = once.fill_position(later()).unwrap();
    assert_eq!(twice.status, OfferStatus::Filled);
    assert_eq!(twice.positions_remaining(), 0);
    assert_eq!(OfferChange::between(&once, &twice), OfferChange::Filled);
    assert_eq!(
        twice.fill_position(later()),
        Err(illegal(OfferStatus::Filled, OfferAction::FillPosition))
    );
}

#[test]
fn a_draft_takes_no_acceptance() {
    assert_eq!(
        draft_offer().fill_position(later()),
        Err(illegal(OfferStatus::Draft, OfferAction::FillPosition))
    );
}

#[test]
fn an_offer_expires_the_day_after_its_application_deadline() {
    let offer = published_offer(2);
    assert!(!offer.is_due_for_expiry(date(2026, 6, 30)));
    assert_eq!(
        offer.expire(date(2026, 6, 30), later()),
        Err(DomainError::OfferStillOpen {
            last_day: date(2026, 6, 30)
        })
    );
    assert!(offer.is_due_for_expiry(date(2026, 7, 1)));
    let expired = offer.expire(date(2026, 7, 1), later()).unwrap();
    assert_eq!(expired.status, OfferStatus::Expired);
    assert_eq!(expired.ended_at, Some(later()));
    assert_eq!(OfferChange::between(&offer, &expired), OfferChange::Expired);
}

#[test]
fn without_a_deadline_an_offer_expires_after_its_start_date() {
    let input = NewOffer {
        application_deadline: None,
        ..figeac_cdi()
    };
    let offer = draft_offer()
        .update(&input, reference(), today(), later())
        .unwrap()
        .publish(reference(), today(), later())
        .unwrap();
    assert!(!offer.is_due_for_expiry(date(2026, 9, 1)));
    assert!(offer.is_due_for_expiry(date(2026, 9, 2)));
}

#[test]
fn drafts_and_final_offers_do_not_expire() {
    let far = date(2030, 1, 1);
    assert!(!draft_offer().is_due_for_expiry(far));
    for offer in [
        draft_offer(),
        filled_offer(),
        closed_draft(),
        expired_offer(),
    ] {
        let from = offer.status;
        assert_eq!(
            offer.expire(far, later()),
            Err(illegal(from, OfferAction::Expire))
        );
    }
}

#[test]
fn applications_are_taken_until_the_last_day_to_apply() {
    let offer = published_offer(1);
    assert_eq!(offer.check_open_to_applications(date(2026, 6, 30)), Ok(()));
    assert_eq!(
        offer.check_open_to_applications(date(2026, 7, 1)),
        Err(DomainError::ApplicationsClosed {
            last_day: date(2026, 6, 30)
        })
    );
    assert_eq!(
        draft_offer().check_open_to_applications(today()),
        Err(DomainError::OfferNotOpen {
            status: OfferStatus::Draft
        })
    );
}

#[test]
fn a_stale_revision_is_refused() {
    let offer = published_offer(1);
    assert_eq!(offer.check_revision(None), Ok(()));
    assert_eq!(offer.check_revision(Some(2)), Ok(()));
    let error = offer.check_revision(Some(1)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::FailedPrecondition);
    assert_eq!(
        error.to_string(),
        "the offer is at revision 2, not 1: read it again"
    );
}

#[test]
fn statuses_are_stored_under_their_codes_and_three_are_final() {
    for status in OfferStatus::ALL {
        assert_eq!(OfferStatus::parse(status.as_str()), Ok(status));
    }
    let finals: Vec<_> = OfferStatus::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .collect();
    assert_eq!(
        finals,
        [
            OfferStatus::Filled,
            OfferStatus::Closed,
            OfferStatus::Expired
        ]
    );
}

#[test]
fn positions_below_those_filled_are_reported_with_the_other_violations() {
    let offer = published_offer(3).fill_position(later()).unwrap();
    let offer = offer.fill_position(later()).unwrap();
    let input = NewOffer {
        title: String::new(),
        positions: 1,
        ..figeac_cdi()
    };
    let error = offer
        .update(&input, reference(), today(), later())
        .unwrap_err();
    let fields: Vec<_> = error
        .field_errors()
        .unwrap()
        .iter()
        .map(|e| e.field())
        .collect();
    assert_eq!(fields, ["spec.title", "spec.positions"]);
}

#[test]
fn a_company_name_matches_its_spellings_but_not_another_name() {
    assert!(same_company_name(
        "Ateliers du Célé",
        "  ATELIERS   du  célé "
    ));
    assert!(!same_company_name("Ateliers du Célé", "Ateliers du Lot"));
    assert!(!same_company_name("Ateliers du Célé", "AteliersduCélé"));
}

#[test]
fn the_company_name_is_read_from_a_draft_and_from_complete_content() {
    let offer = published_offer(3);
    assert_eq!(offer.content.company_name(), Some("Usinage du Célé SAS"));
    let unnamed = NewOffer {
        company_name: String::new(),
        ..figeac_cdi()
    };
    let draft = validate_draft(&unnamed, reference()).unwrap();
    assert_eq!(OfferContent::Draft(draft).company_name(), None);
}
