//! The demo data set `vte up --demo` loads, against the whole platform: every student pushed
//! and matchable, every offer published (most in Territoires d'industrie), and every company
//! told by email which candidates matching suggests for its offers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::Duration;

use vte::platform::{Platform, PlatformOptions};
use vte_domain::{SchoolId, Siren};
use vte_proto::vte::candidates::v1::ListProfilesRequest;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::common::v1::PageRequest;
use vte_proto::vte::matching::v1::RankCandidatesRequest;
use vte_proto::vte::matching::v1::matching_service_client::MatchingServiceClient;
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_proto::vte::offers::v1::{ListOffersRequest, OfferStatus};
use vte_service::auth::Caller;

const PATIENCE: Duration = Duration::from_secs(60);

fn page(token: &str) -> Option<PageRequest> {
    Some(PageRequest {
        page_size: 100,
        page_token: token.to_owned(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_loads_matchable_students_and_published_offers_and_companies_hear_of_candidates() {
    let mut options = PlatformOptions::new(vte_testbed::reference_dir());
    options.any_port = true;
    let platform = Platform::start(options).await.expect("the platform starts");
    let connection = platform.connection();
    let mut arrivals = platform.mailbox.as_ref().unwrap().subscribe();
    let reference = vte_reference::ReferenceData::load(&vte_testbed::reference_dir()).unwrap();

    vte::demo::load(&connection, &reference)
        .await
        .expect("the demo loads");

    // Every school's students are there and matchable.
    for (id, name, _) in vte::demo::SCHOOLS {
        let school_id = SchoolId::parse(id).unwrap();
        let mut client = CandidatesServiceClient::new(
            connection
                .channel(&connection.candidates, &Caller::School { school_id })
                .await
                .unwrap(),
        );
        let (mut matchable, mut token) = (0, String::new());
        loop {
            let answer = client
                .list_profiles(ListProfilesRequest {
                    school_id: id.to_owned(),
                    status: 0,
                    matchable_only: true,
                    page: page(&token),
                })
                .await
                .unwrap()
                .into_inner();
            matchable += answer.profiles.len();
            token = answer.page.map(|p| p.next_page_token).unwrap_or_default();
            if token.is_empty() {
                break;
            }
        }
        assert_eq!(matchable, 100, "{name}: every student consented");
    }

    // Every offer is published, two thirds of them in Territoires d'industrie; each ranks
    // candidates.
    let (mut published, mut in_territory) = (0, 0);
    let mut some_offer = None;
    for (siren, name, _) in vte::demo::COMPANIES {
        let company = Caller::Company {
            siren: Siren::parse(siren).unwrap(),
        };
        let offers = OffersServiceClient::new(
            connection
                .channel(&connection.offers, &company)
                .await
                .unwrap(),
        )
        .list_offers(ListOffersRequest {
            company_siren: String::new(),
            statuses: vec![OfferStatus::Published as i32],
            page: page(""),
        })
        .await
        .unwrap()
        .into_inner()
        .offers;
        assert!(!offers.is_empty(), "{name} published offers");
        for offer in &offers {
            published += 1;
            let location = offer.spec.as_ref().unwrap().location.as_ref().unwrap();
            in_territory += usize::from(location.territory.is_some());
        }
        some_offer.get_or_insert((company, offers[0].id.clone()));
    }
    assert_eq!(published, 36);
    assert!(in_territory >= 24, "{in_territory} of 36 in a Territoire");
    let (company, offer_id) = some_offer.unwrap();
    let matching = MatchingServiceClient::new(
        connection
            .channel(&connection.matching, &company)
            .await
            .unwrap(),
    );
    // Matching learns of the offer from its event: poll until it can rank it.
    let ranked = vte_testbed::eventually(
        "matching to rank candidates for a demo offer",
        PATIENCE,
        || {
            let (mut matching, offer_id) = (matching.clone(), offer_id.clone());
            async move {
                matching
                    .rank_candidates(RankCandidatesRequest {
                        offer_id,
                        limit: 5,
                        filters: None,
                    })
                    .await
                    .ok()
                    .map(tonic::Response::into_inner)
                    .filter(|ranked| !ranked.candidates.is_empty())
            }
        },
    )
    .await;
    assert!(
        !ranked.candidates.is_empty(),
        "the demo offer ranks candidates"
    );

    // Each company hears by email of the candidates suggested for its offers.
    let mut waiting: HashSet<String> = vte::demo::COMPANIES
        .iter()
        .map(|(_, name, _)| format!("To: {}", vte::demo::company_email(name)))
        .collect();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !waiting.is_empty() {
        let received = tokio::time::timeout_at(deadline, arrivals.recv())
            .await
            .unwrap_or_else(|_| panic!("no suggestion email for {waiting:?}"))
            .expect("the mailbox stopped");
        let text = String::from_utf8_lossy(&received.message).into_owned();
        waiting.retain(|to| !text.contains(to.as_str()));
    }
    platform.stop(Duration::from_secs(5)).await.unwrap();
}
