//! The offers service's bad requests about offers: sizes and counts of the offer spec and of
//! the filters, dates out of the calendar or of the century, unknown enum numbers, malformed
//! and unknown ids, a page token of other filters, another company's offers and each role's
//! forbidden calls, and bytes no generated client writes (hiring calls: `hiring.rs`).

use prost::Message as _;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::common::v1::{Date, LanguageSkill, Location, Money, PageRequest, SalaryRange};
use vte_proto::vte::offers::v1::{
    CloseOfferRequest, CreateOfferRequest, GetOfferRequest, ListOffersRequest, NearCommune,
    OfferSpec, PublishOfferRequest, SearchOffersRequest, UpdateOfferRequest,
};
use vte_service::auth::Caller;

use crate::bed::{Bed, OTHER_SIREN, SIREN, candidate, company, school};
use crate::case::{Case, DENIED, DENIED_OR_HIDDEN, INVALID, NOT_FOUND, case, raw_call};
use crate::fixtures::figeac_cdi;

/// What the offers cases aim at: offers of [`SIREN`] and a student of a school.
pub struct Targets {
    /// A draft of [`SIREN`].
    pub draft: String,
    /// A published offer of [`SIREN`].
    pub published: String,
    /// The token of the second page of [`SIREN`]'s offers, one a page, without filters.
    pub list_token: String,
    /// The token of the second page of a search of everything, one a page.
    pub search_token: String,
    /// The school of [`Targets::student`].
    pub school: SchoolId,
    /// A student the offers service knows.
    pub student: CandidateId,
}

fn spec(adjust: impl FnOnce(&mut OfferSpec)) -> Option<OfferSpec> {
    let mut spec = figeac_cdi();
    adjust(&mut spec);
    Some(spec)
}

fn create(spec: Option<OfferSpec>) -> CreateOfferRequest {
    CreateOfferRequest {
        company_siren: String::new(),
        spec,
    }
}

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

fn page(size: u32, token: &str) -> Option<PageRequest> {
    Some(PageRequest {
        page_size: size,
        page_token: token.to_owned(),
    })
}

const MIB: usize = 1024 * 1024;

/// The cases.
pub fn cases(bed: &Bed, t: &Targets) -> Vec<Case> {
    let owner = bed.offers(&company(SIREN));
    let other = bed.offers(&company(OTHER_SIREN));
    let admin = bed.offers(&Caller::Admin);
    let site = bed.offers(&Caller::Site);
    let bpifrance = bed.offers(&Caller::Bpifrance);
    let its_school = bed.offers(&school(t.school));
    let student = bed.offers(&candidate(t.student));
    let unknown = uuid::Uuid::now_v7().to_string();
    let (draft, published) = (t.draft.clone(), t.published.clone());

    vec![
        // The offer spec.
        case(
            "create: no spec",
            INVALID,
            call!(owner, create_offer, create(None)),
        )
        .naming("spec"),
        case(
            "create: a 100,000-character title",
            INVALID,
            call!(
                owner,
                create_offer,
                create(spec(|s| s.title = "T".repeat(100_000)))
            ),
        )
        .naming("spec.title"),
        case(
            "create: 100,000 skills",
            INVALID,
            call!(
                owner,
                create_offer,
                create(spec(|s| s.skills = vec!["x".to_owned(); 100_000]))
            ),
        )
        .naming("spec.skills"),
        case(
            "create: 100,000 languages",
            INVALID,
            call!(
                owner,
                create_offer,
                create(spec(|s| {
                    s.languages = vec![LanguageSkill::default(); 100_000];
                }))
            ),
        )
        .naming("spec.languages"),
        case(
            "create: 11 fields of study",
            INVALID,
            call!(
                owner,
                create_offer,
                create(spec(|s| {
                    s.fields_of_study = vec!["génie".to_owned(); 11];
                }))
            ),
        )
        .naming("spec.fields_of_study"),
        case(
            "create: mission type number 99",
            INVALID,
            call!(
                owner,
                create_offer,
                create(spec(|s| s.primary_mission_type = 99))
            ),
        )
        .naming("spec.primary_mission_type"),
        case(
            "create: a negative contract kind",
            INVALID,
            call!(owner, create_offer, create(spec(|s| s.contract_kind = -1))),
        )
        .naming("spec.contract_kind"),
        case(
            "create: a start date in 1900",
            INVALID,
            call!(
                owner,
                create_offer,
                create(spec(|s| s.start_date = date(1900, 1, 1)))
            ),
        )
        .naming("spec.start_date"),
        case(
            "create: 30 February",
            INVALID,
            call!(
                owner,
                create_offer,
                create(spec(|s| s.start_date = date(2027, 2, 30)))
            ),
        )
        .naming("spec.start_date"),
        case(
            "create: a deadline in year 9999",
            INVALID,
            call!(
                owner,
                create_offer,
                create(spec(|s| s.application_deadline = date(9999, 1, 1)))
            ),
        )
        .naming("spec.application_deadline"),
        case(
            "create: a commune that does not exist",
            INVALID,
            call!(
                owner,
                create_offer,
                create(spec(|s| {
                    s.location = Some(Location {
                        insee_code: "00000".to_owned(),
                        ..Location::default()
                    });
                }))
            ),
        )
        .naming("spec.location.insee_code"),
        case(
            "create: a 3 MiB currency",
            INVALID,
            call!(
                owner,
                create_offer,
                create(spec(|s| {
                    s.salary = Some(SalaryRange {
                        min: Some(Money {
                            amount_cents: 3_600_000,
                            currency: "U".repeat(3 * MIB),
                        }),
                        max: None,
                    });
                }))
            ),
        )
        .naming("spec.salary.min.currency"),
        case(
            "create: 1,000 positions",
            INVALID,
            call!(owner, create_offer, create(spec(|s| s.positions = 1_000))),
        )
        .naming("spec.positions"),
        case(
            "create: a malformed SIREN named by an operator",
            INVALID,
            call!(
                admin,
                create_offer,
                CreateOfferRequest {
                    company_siren: "12345678A".to_owned(),
                    spec: spec(|_| {}),
                }
            ),
        )
        .naming("company_siren"),
        // Another company's offers and the roles that create none.
        case(
            "create: for another company",
            DENIED,
            call!(
                owner,
                create_offer,
                CreateOfferRequest {
                    company_siren: OTHER_SIREN.to_owned(),
                    spec: spec(|_| {}),
                }
            ),
        ),
        case(
            "create: as a candidate",
            DENIED,
            call!(student, create_offer, create(spec(|_| {}))),
        ),
        case(
            "create: as a school",
            DENIED,
            call!(its_school, create_offer, create(spec(|_| {}))),
        ),
        case(
            "create: as the site",
            DENIED,
            call!(site, create_offer, create(spec(|_| {}))),
        ),
        case(
            "create: as Bpifrance",
            DENIED,
            call!(bpifrance, create_offer, create(spec(|_| {}))),
        ),
        case(
            "update: a malformed offer id",
            INVALID,
            call!(
                owner,
                update_offer,
                UpdateOfferRequest {
                    offer_id: "not-a-uuid".to_owned(),
                    spec: spec(|_| {}),
                    expected_revision: 0,
                }
            ),
        )
        .naming("offer_id"),
        case(
            "update: another company's draft",
            DENIED_OR_HIDDEN,
            call!(
                other,
                update_offer,
                UpdateOfferRequest {
                    offer_id: draft.clone(),
                    spec: spec(|_| {}),
                    expected_revision: 0,
                }
            ),
        ),
        case(
            "publish: an unknown offer",
            NOT_FOUND,
            call!(
                owner,
                publish_offer,
                PublishOfferRequest {
                    offer_id: unknown.clone(),
                    expected_revision: 0,
                }
            ),
        ),
        case(
            "publish: another company's draft",
            DENIED_OR_HIDDEN,
            call!(
                other,
                publish_offer,
                PublishOfferRequest {
                    offer_id: draft.clone(),
                    expected_revision: 0,
                }
            ),
        ),
        case(
            "close: another company's offer",
            DENIED_OR_HIDDEN,
            call!(
                other,
                close_offer,
                CloseOfferRequest {
                    offer_id: published.clone(),
                    reason: "pourvu".to_owned(),
                }
            ),
        ),
        case(
            "get: another company's draft",
            DENIED_OR_HIDDEN,
            call!(
                other,
                get_offer,
                GetOfferRequest {
                    offer_id: draft.clone(),
                }
            ),
        ),
        case(
            "get: a 3 MiB offer id",
            INVALID,
            call!(
                owner,
                get_offer,
                GetOfferRequest {
                    offer_id: "7".repeat(3 * MIB),
                }
            ),
        )
        .naming("offer_id"),
        // Lists and their filters.
        case(
            "list offers: 100,000 statuses",
            INVALID,
            call!(
                owner,
                list_offers,
                ListOffersRequest {
                    statuses: vec![1; 100_000],
                    ..ListOffersRequest::default()
                }
            ),
        )
        .naming("statuses"),
        case(
            "list offers: pages of 101",
            INVALID,
            call!(
                owner,
                list_offers,
                ListOffersRequest {
                    page: page(101, ""),
                    ..ListOffersRequest::default()
                }
            ),
        )
        .naming("page.page_size"),
        case(
            "list offers: a page token never given out",
            INVALID,
            call!(
                owner,
                list_offers,
                ListOffersRequest {
                    page: page(1, "Z2FyYmFnZQ"),
                    ..ListOffersRequest::default()
                }
            ),
        )
        .naming("page.page_token"),
        case(
            "list offers: a page token sent with other filters",
            INVALID,
            call!(
                owner,
                list_offers,
                ListOffersRequest {
                    statuses: vec![2],
                    page: page(1, &t.list_token),
                    ..ListOffersRequest::default()
                }
            ),
        )
        .naming("page.page_token"),
        case(
            "list offers: another company's",
            DENIED,
            call!(
                owner,
                list_offers,
                ListOffersRequest {
                    company_siren: OTHER_SIREN.to_owned(),
                    ..ListOffersRequest::default()
                }
            ),
        ),
        case(
            "search: 100,000 mission types",
            INVALID,
            call!(
                site,
                search_offers,
                SearchOffersRequest {
                    mission_types: vec![3; 100_000],
                    ..SearchOffersRequest::default()
                }
            ),
        )
        .naming("mission_types"),
        case(
            "search: a 3 MiB région code",
            INVALID,
            call!(
                site,
                search_offers,
                SearchOffersRequest {
                    region_code: "7".repeat(3 * MIB),
                    ..SearchOffersRequest::default()
                }
            ),
        )
        .naming("region_code"),
        case(
            "search: a radius of 501 km",
            INVALID,
            call!(
                site,
                search_offers,
                SearchOffersRequest {
                    near: Some(NearCommune {
                        insee_code: "46102".to_owned(),
                        radius_km: 501,
                    }),
                    ..SearchOffersRequest::default()
                }
            ),
        )
        .naming("near.radius_km"),
        case(
            "search: around a commune that does not exist",
            INVALID,
            call!(
                site,
                search_offers,
                SearchOffersRequest {
                    near: Some(NearCommune {
                        insee_code: "99999".to_owned(),
                        radius_km: 50,
                    }),
                    ..SearchOffersRequest::default()
                }
            ),
        )
        .naming("near.insee_code"),
        case(
            "search: a département code with a control character",
            INVALID,
            call!(
                site,
                search_offers,
                SearchOffersRequest {
                    departement_code: "4\u{0}6".to_owned(),
                    ..SearchOffersRequest::default()
                }
            ),
        )
        .naming("departement_code"),
        case(
            "search: a page token sent with other filters",
            INVALID,
            call!(
                site,
                search_offers,
                SearchOffersRequest {
                    region_code: "76".to_owned(),
                    page: page(1, &t.search_token),
                    ..SearchOffersRequest::default()
                }
            ),
        )
        .naming("page.page_token"),
        case(
            "search: a région code that is not UTF-8",
            INVALID,
            raw_call(
                bed.raw(&bed.offers, &Caller::Site),
                "/vte.offers.v1.OffersService/SearchOffers",
                // Field 2 (region_code), length 2, bytes 0xff 0xfe.
                vec![0x12, 0x02, 0xff, 0xfe],
            ),
        ),
        case(
            "search: a request cut in the middle of a field",
            INVALID,
            raw_call(
                bed.raw(&bed.offers, &Caller::Site),
                "/vte.offers.v1.OffersService/SearchOffers",
                {
                    let mut bytes = SearchOffersRequest {
                        region_code: "76".to_owned(),
                        ..SearchOffersRequest::default()
                    }
                    .encode_to_vec();
                    bytes.pop();
                    bytes
                },
            ),
        ),
    ]
}
