//! Refusals bounded whatever the request (issue 13, item 2): a repeated field longer than its
//! limit is refused as a whole before any entry is read, a value is quoted at most 64
//! characters long, and a page token is only good with the filters it was given out for.

use tonic::Code;
use vte_proto::vte::common::v1::{MissionType, PageRequest};
use vte_proto::vte::offers::v1::{
    CreateOfferRequest, ListOffersRequest, OfferSpec, OfferStatus, SearchOffersRequest,
};

use crate::fixtures::{Answer, assert_invalid, draft, fields_named, figeac_cdi, published};
use crate::harness::Api;

/// Everything a refusal carries back to the client: message, details and other trailers.
fn reply_bytes(status: &tonic::Status) -> usize {
    let trailers = status.metadata().clone().into_headers();
    let others: usize = trailers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    status.message().len() + status.details().len() + others
}

fn first_page_of(size: u32) -> Option<PageRequest> {
    Some(PageRequest {
        page_size: size,
        page_token: String::new(),
    })
}

fn after(token: &str) -> Option<PageRequest> {
    Some(PageRequest {
        page_size: 1,
        page_token: token.to_owned(),
    })
}

#[tokio::test]
async fn a_search_with_100000_mission_types_is_refused_in_one_short_error() {
    let api = Api::start().await;

    let refusal = api
        .site()
        .search_offers(SearchOffersRequest {
            mission_types: vec![42; 100_000],
            ..SearchOffersRequest::default()
        })
        .await
        .refusal();

    assert_invalid(&refusal, &["mission_types"]);
    assert_eq!(fields_named(&refusal), ["mission_types"]);
    assert!(refusal.message().contains("at most 16 entries, got 100000"));
    assert!(
        reply_bytes(&refusal) < 2_048,
        "{} bytes",
        reply_bytes(&refusal)
    );
}

#[tokio::test]
async fn a_3_mib_region_code_is_quoted_64_characters_long() {
    let api = Api::start().await;

    let refusal = api
        .site()
        .search_offers(SearchOffersRequest {
            region_code: "7".repeat(3 * 1024 * 1024),
            ..SearchOffersRequest::default()
        })
        .await
        .refusal();

    assert_invalid(&refusal, &["region_code"]);
    assert!(
        refusal.message().contains(&format!("{}…", "7".repeat(64))),
        "{}",
        refusal.message()
    );
    assert!(!refusal.message().contains(&"7".repeat(65)));
    assert!(
        reply_bytes(&refusal) < 2_048,
        "{} bytes",
        reply_bytes(&refusal)
    );
}

#[tokio::test]
async fn an_offer_with_100000_languages_is_refused_without_an_error_per_language() {
    let api = Api::start().await;

    let refusal = api
        .owner()
        .create_offer(CreateOfferRequest {
            company_siren: String::new(),
            spec: Some(OfferSpec {
                languages: vec![Default::default(); 100_000],
                skills: vec!["x".to_owned(); 100_000],
                ..figeac_cdi()
            }),
        })
        .await
        .refusal();

    assert_eq!(fields_named(&refusal), ["spec.skills", "spec.languages"]);
    assert!(
        reply_bytes(&refusal) < 2_048,
        "{} bytes",
        reply_bytes(&refusal)
    );
}

#[tokio::test]
async fn a_page_token_is_refused_with_other_filters_and_good_with_its_own() {
    let api = Api::start().await;
    let company = api.owner();
    for _ in 0..3 {
        draft(&company, figeac_cdi()).await;
    }
    let all = ListOffersRequest {
        page: first_page_of(1),
        ..ListOffersRequest::default()
    };
    let token = company
        .clone()
        .list_offers(all.clone())
        .await
        .answer()
        .page
        .unwrap()
        .next_page_token;

    let drafts_only = ListOffersRequest {
        statuses: vec![OfferStatus::Draft as i32],
        page: after(&token),
        ..ListOffersRequest::default()
    };
    let refusal = company.clone().list_offers(drafts_only).await.refusal();
    assert_invalid(&refusal, &["page.page_token"]);
    assert!(
        refusal.message().contains("other filters"),
        "{}",
        refusal.message()
    );

    let second = company
        .clone()
        .list_offers(ListOffersRequest {
            page: after(&token),
            ..all
        })
        .await
        .answer();
    assert_eq!(second.offers.len(), 1);
}

#[tokio::test]
async fn a_search_page_token_is_refused_for_another_search() {
    let api = Api::start().await;
    let company = api.owner();
    for _ in 0..2 {
        published(&company, figeac_cdi()).await;
    }
    let technologie = SearchOffersRequest {
        mission_types: vec![MissionType::Technologie as i32],
        page: first_page_of(1),
        ..SearchOffersRequest::default()
    };
    let token = api
        .site()
        .search_offers(technologie.clone())
        .await
        .answer()
        .page
        .unwrap()
        .next_page_token;

    let finance = SearchOffersRequest {
        mission_types: vec![MissionType::Finance as i32],
        page: after(&token),
        ..SearchOffersRequest::default()
    };
    let refusal = api.site().search_offers(finance).await.refusal();
    assert_eq!(refusal.code(), Code::InvalidArgument);
    assert_eq!(fields_named(&refusal), ["page.page_token"]);

    let next = api
        .site()
        .search_offers(SearchOffersRequest {
            page: after(&token),
            ..technologie
        })
        .await
        .answer();
    assert_eq!(next.results.len(), 1);
}
