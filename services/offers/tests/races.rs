//! Concurrent changes of one offer, as black-box clients made them: acceptances racing each
//! other for the last positions, and a close racing acceptances. Every call answers with the
//! contract's codes (never INTERNAL from a deadlock), and the offer ends with exactly as many
//! positions filled as acceptances answered.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "api/fixtures.rs"]
mod fixtures;
#[allow(dead_code)]
#[path = "api/harness.rs"]
mod harness;

use tonic::Code;
use vte_domain::SchoolId;
use vte_proto::vte::applications::v1::{Application, ApplicationStatus};
use vte_proto::vte::offers::v1::{
    AcceptApplicationRequest, CloseOfferRequest, Offer, OfferSpec, OfferStatus,
};

use crate::fixtures::{application, apply, figeac_cdi, offer, published};
use crate::harness::Api;

/// A published offer with `positions` positions of the owner, and `applicants` applications to
/// it, each by a candidate of their own.
async fn offer_with_applications(
    api: &Api,
    positions: u32,
    applicants: usize,
) -> (Offer, Vec<Application>) {
    let offer = published(
        &api.owner(),
        OfferSpec {
            positions,
            ..figeac_cdi()
        },
    )
    .await;
    let school = SchoolId::new();
    let mut applications = Vec::new();
    for _ in 0..applicants {
        let candidate = api.enrol(school).await;
        applications.push(apply(&api.candidate(candidate), &offer.id, candidate).await);
    }
    (offer, applications)
}

fn acceptance(application: &Application) -> AcceptApplicationRequest {
    AcceptApplicationRequest {
        application_id: application.id.clone(),
        ..AcceptApplicationRequest::default()
    }
}

/// Sends every acceptance at once, each on its own task, and returns each call's code (OK
/// included), in the order of `applications`.
fn accept_all(api: &Api, applications: &[Application]) -> tokio::task::JoinHandle<Vec<Code>> {
    let calls: Vec<_> = applications
        .iter()
        .map(|application| {
            let mut owner = api.owner();
            let request = acceptance(application);
            tokio::spawn(async move { code(owner.accept_application(request).await) })
        })
        .collect();
    tokio::spawn(async move {
        let mut codes = Vec::new();
        for call in calls {
            codes.push(call.await.unwrap());
        }
        codes
    })
}

/// A call's code, OK included.
fn code<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Code {
    result.map_or_else(|status| status.code(), |_| Code::Ok)
}

#[tokio::test]
async fn concurrent_acceptances_fill_exactly_the_positions_and_the_others_fail_their_precondition()
{
    let api = Api::start().await;
    for round in 0..2 {
        let (offer_before, applications) = offer_with_applications(&api, 3, 6).await;

        let codes = accept_all(&api, &applications).await.unwrap();

        let accepted = codes.iter().filter(|code| **code == Code::Ok).count();
        assert_eq!(accepted, 3, "round {round}: {codes:?}");
        assert!(
            codes
                .iter()
                .all(|code| matches!(code, Code::Ok | Code::FailedPrecondition)),
            "round {round}: every other acceptance is refused by the rules, not by a deadlock: \
             {codes:?}"
        );
        let after = offer(&api.owner(), &offer_before.id).await;
        assert_eq!(after.positions_remaining, 0);
        assert_eq!(after.status, OfferStatus::Filled as i32);
        let mut statuses = Vec::new();
        for one in &applications {
            statuses.push(application(&api.owner(), &one.id).await.status);
        }
        let hired = statuses
            .iter()
            .filter(|status| **status == ApplicationStatus::Accepted as i32)
            .count();
        assert_eq!(hired, 3, "round {round}: {statuses:?}");
    }
}

#[tokio::test]
async fn closing_an_offer_while_it_is_being_filled_answers_every_call_by_the_rules() {
    let api = Api::start().await;
    for round in 0..2 {
        let (offer_before, applications) = offer_with_applications(&api, 3, 4).await;

        let accepts = accept_all(&api, &applications);
        let closed = code(
            api.owner()
                .close_offer(CloseOfferRequest {
                    offer_id: offer_before.id.clone(),
                    reason: String::new(),
                })
                .await,
        );
        let accepted = accepts.await.unwrap();

        for code in accepted.iter().chain([&closed]) {
            assert!(
                matches!(code, Code::Ok | Code::FailedPrecondition),
                "round {round}: accepts {accepted:?}, close {closed:?}"
            );
        }
        let hired = accepted.iter().filter(|code| **code == Code::Ok).count();
        let after = offer(&api.owner(), &offer_before.id).await;
        assert_eq!(
            3 - after.positions_remaining as usize,
            hired,
            "round {round}: the offer counts every hire answered, and only those"
        );
        let expected = if closed == Code::Ok {
            OfferStatus::Closed
        } else {
            // Only a filled offer can no longer be closed.
            assert_eq!(hired, 3, "round {round}: {accepted:?}");
            OfferStatus::Filled
        };
        assert_eq!(after.status, expected as i32, "round {round}");
    }
}
