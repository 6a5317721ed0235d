//! The demo data set is loaded once per data set, through the library as `vte up --demo` calls
//! it: a set stopped halfway (here, two offers of Ateliers du Célé already there) is completed to
//! six offers per company, and a second load publishes nothing and says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use vte::cli::offer::OfferFile;
use vte::demo::{COMPANIES, Demo, OFFERS};
use vte::platform::{Platform, PlatformOptions};
use vte_domain::Siren;
use vte_proto::vte::common::v1::PageRequest;
use vte_proto::vte::offers::v1::ListOffersRequest;
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_service::auth::Caller;

/// Each demo company's offers, in any status.
async fn offers_per_company(connection: &vte::cli::Connection) -> Vec<usize> {
    let mut counts = Vec::new();
    for (siren, _, _) in COMPANIES {
        let caller = Caller::Company {
            siren: Siren::parse(siren).unwrap(),
        };
        let listed = OffersServiceClient::new(
            connection
                .channel(&connection.offers, &caller)
                .await
                .unwrap(),
        )
        .list_offers(ListOffersRequest {
            company_siren: String::new(),
            statuses: vec![],
            page: Some(PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .offers;
        counts.push(listed.len());
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_half_loaded_demo_is_completed_and_a_loaded_one_is_left_alone() {
    let mut options = PlatformOptions::new(vte_testbed::reference_dir());
    options.any_port = true;
    let platform = Platform::start(options).await.expect("the platform starts");
    let connection = platform.connection();
    let reference = vte_reference::ReferenceData::load(&vte_testbed::reference_dir()).unwrap();

    // A run stopped after Ateliers du Célé's first two offers (the tour's Figeac offer).
    let figeac = OfferFile::read(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/offer.toml"),
    )
    .unwrap();
    let caller = Caller::Company {
        siren: Siren::parse(COMPANIES[0].0).unwrap(),
    };
    for _ in 0..2 {
        let mut offers = OffersServiceClient::new(
            connection
                .channel(&connection.offers, &caller)
                .await
                .unwrap(),
        );
        vte::cli::offer::publish(&mut offers, figeac.spec().unwrap())
            .await
            .unwrap();
    }

    let first = vte::demo::load(&connection, &reference).await.unwrap();
    assert_eq!(first, Demo::Loaded);
    let per_company = OFFERS / COMPANIES.len();
    assert_eq!(
        offers_per_company(&connection).await,
        vec![per_company; COMPANIES.len()],
        "completed: the two offers there count as Ateliers du Célé's first two"
    );

    let second = vte::demo::load(&connection, &reference).await.unwrap();
    assert_eq!(second, Demo::AlreadyLoaded { offers: OFFERS });
    assert_eq!(
        offers_per_company(&connection).await,
        vec![per_company; COMPANIES.len()]
    );
    platform.stop(Duration::from_secs(5)).await.unwrap();
}
