//! Browsing for the website: the site finds published offers by mission type and distance,
//! nearest first, and never a draft, a closed offer, another mission or a faraway one.

use vte_proto::vte::common::v1::{MissionType, PageRequest};
use vte_proto::vte::offers::v1::{CloseOfferRequest, NearCommune, OfferSpec, SearchOffersRequest};

use crate::fixtures::{
    Answer, CAPDENAC, FIGEAC, TOULOUSE, draft, figeac_cdi, in_commune, published,
};
use crate::harness::Api;

fn technologie_within_50_km_of_figeac() -> SearchOffersRequest {
    SearchOffersRequest {
        mission_types: vec![MissionType::Technologie as i32],
        near: Some(NearCommune {
            insee_code: FIGEAC.to_owned(),
            radius_km: 50,
        }),
        page: Some(PageRequest {
            page_size: 100,
            page_token: String::new(),
        }),
        ..SearchOffersRequest::default()
    }
}

#[tokio::test]
async fn the_site_finds_published_offers_by_mission_within_50_km_of_figeac_nearest_first() {
    let api = Api::start().await;
    let company = api.owner();
    let in_figeac = published(&company, figeac_cdi()).await;
    let secondary_in_capdenac = published(
        &company,
        OfferSpec {
            primary_mission_type: MissionType::Finance as i32,
            secondary_mission_type: MissionType::Technologie as i32,
            ..in_commune(figeac_cdi(), CAPDENAC)
        },
    )
    .await;
    let _draft_in_figeac = draft(&company, figeac_cdi()).await;
    let _finance_in_figeac = published(
        &company,
        OfferSpec {
            primary_mission_type: MissionType::Finance as i32,
            ..figeac_cdi()
        },
    )
    .await;
    let _in_toulouse = published(&company, in_commune(figeac_cdi(), TOULOUSE)).await;
    let closed_in_figeac = published(&company, figeac_cdi()).await;
    company
        .clone()
        .close_offer(CloseOfferRequest {
            offer_id: closed_in_figeac.id.clone(),
            reason: "Poste pourvu en interne.".to_owned(),
        })
        .await
        .answer();

    let results = api
        .site()
        .search_offers(technologie_within_50_km_of_figeac())
        .await
        .answer()
        .results;

    let found: Vec<&str> = results
        .iter()
        .map(|result| result.offer.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(
        found,
        [in_figeac.id.as_str(), secondary_in_capdenac.id.as_str()]
    );
    assert_eq!(results[0].distance_km, Some(0.0));
    let capdenac = results[1].distance_km.unwrap();
    assert!((1.0..15.0).contains(&capdenac), "Capdenac at {capdenac} km");
    assert_eq!(
        (capdenac * 10.0).round() / 10.0,
        capdenac,
        "a distance is given to one decimal"
    );
}

#[tokio::test]
async fn the_site_never_finds_a_draft() {
    let api = Api::start().await;
    let _draft = draft(&api.owner(), figeac_cdi()).await;

    let results = api
        .site()
        .search_offers(technologie_within_50_km_of_figeac())
        .await
        .answer()
        .results;

    assert!(results.is_empty(), "{results:?}");
}

#[tokio::test]
async fn a_search_with_a_radius_beyond_500_km_is_invalid() {
    let api = Api::start().await;
    let mut request = technologie_within_50_km_of_figeac();
    request.near.as_mut().unwrap().radius_km = 501;

    let refusal = api.site().search_offers(request).await.refusal();

    crate::fixtures::assert_invalid(&refusal, &["near.radius_km"]);
}
