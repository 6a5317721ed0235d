//! The matching service's bad requests: malformed ids, limits and distances out of range,
//! filters with too many entries or a date in 1900, another company's offer, another
//! candidate's ranking, and the roles that may not rank.

use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::common::v1::Date;
use vte_proto::vte::matching::v1::{
    CandidateFilters, ExplainMatchRequest, OfferFilters, RankCandidatesRequest, RankOffersRequest,
};
use vte_service::auth::Caller;

use crate::bed::{Bed, OTHER_SIREN, SIREN, candidate, company, school};
use crate::case::{Case, DENIED, DENIED_OR_HIDDEN, INVALID, case, raw_call};

fn rank_candidates(offer: &str, filters: CandidateFilters) -> RankCandidatesRequest {
    RankCandidatesRequest {
        offer_id: offer.to_owned(),
        limit: 0,
        filters: Some(filters),
    }
}

fn rank_offers(candidate: CandidateId, filters: OfferFilters) -> RankOffersRequest {
    RankOffersRequest {
        candidate_id: candidate.to_string(),
        limit: 0,
        filters: Some(filters),
    }
}

/// The cases; `offer` is a published offer of [`SIREN`], `student` a student the matching
/// service knows.
pub fn cases(bed: &Bed, offer: &str, student: CandidateId) -> Vec<Case> {
    let owner = bed.matching(&company(SIREN));
    let other = bed.matching(&company(OTHER_SIREN));
    let themself = bed.matching(&candidate(student));
    let stranger = bed.matching(&candidate(CandidateId::new()));
    let other_school = bed.matching(&school(SchoolId::new()));
    let bpifrance = bed.matching(&Caller::Bpifrance);

    vec![
        case(
            "rank candidates: a malformed offer id",
            INVALID,
            call!(
                owner,
                rank_candidates,
                rank_candidates("offre-42", CandidateFilters::default())
            ),
        )
        .naming("offer_id"),
        case(
            "rank candidates: a limit of 101",
            INVALID,
            call!(
                owner,
                rank_candidates,
                RankCandidatesRequest {
                    limit: 101,
                    ..rank_candidates(offer, CandidateFilters::default())
                }
            ),
        )
        .naming("limit"),
        case(
            "rank candidates: 100,000 levels",
            INVALID,
            call!(
                owner,
                rank_candidates,
                rank_candidates(
                    offer,
                    CandidateFilters {
                        levels: vec![3; 100_000],
                        ..CandidateFilters::default()
                    },
                )
            ),
        )
        .naming("filters.levels"),
        case(
            "rank candidates: within 0 km",
            INVALID,
            call!(
                owner,
                rank_candidates,
                rank_candidates(
                    offer,
                    CandidateFilters {
                        max_distance_km: Some(0),
                        ..CandidateFilters::default()
                    },
                )
            ),
        )
        .naming("filters.max_distance_km"),
        case(
            "rank candidates: available by 1900",
            INVALID,
            call!(
                owner,
                rank_candidates,
                rank_candidates(
                    offer,
                    CandidateFilters {
                        available_by: Some(Date {
                            year: 1900,
                            month: 1,
                            day: 1,
                        }),
                        ..CandidateFilters::default()
                    },
                )
            ),
        )
        .naming("filters.available_by"),
        case(
            "rank candidates: another company's offer",
            DENIED_OR_HIDDEN,
            call!(
                other,
                rank_candidates,
                rank_candidates(offer, CandidateFilters::default())
            ),
        ),
        case(
            "rank candidates: as a candidate",
            DENIED,
            call!(
                themself,
                rank_candidates,
                rank_candidates(offer, CandidateFilters::default())
            ),
        ),
        case(
            "rank offers: 100,000 mission types",
            INVALID,
            call!(
                themself,
                rank_offers,
                rank_offers(
                    student,
                    OfferFilters {
                        mission_types: vec![3; 100_000],
                        ..OfferFilters::default()
                    },
                )
            ),
        )
        .naming("filters.mission_types"),
        case(
            "rank offers: a 3 MiB région code",
            INVALID,
            call!(
                themself,
                rank_offers,
                rank_offers(
                    student,
                    OfferFilters {
                        region_code: "7".repeat(3 * 1024 * 1024),
                        ..OfferFilters::default()
                    },
                )
            ),
        )
        .naming("filters.region_code"),
        case(
            "rank offers: within 5,000 km",
            INVALID,
            call!(
                themself,
                rank_offers,
                rank_offers(
                    student,
                    OfferFilters {
                        radius_km: Some(5_000),
                        ..OfferFilters::default()
                    },
                )
            ),
        )
        .naming("filters.radius_km"),
        case(
            "rank offers: for another candidate",
            DENIED_OR_HIDDEN,
            call!(
                stranger,
                rank_offers,
                rank_offers(student, OfferFilters::default())
            ),
        ),
        case(
            "rank offers: for another school's student",
            DENIED_OR_HIDDEN,
            call!(
                other_school,
                rank_offers,
                rank_offers(student, OfferFilters::default())
            ),
        ),
        case(
            "rank offers: as a company",
            DENIED,
            call!(
                owner,
                rank_offers,
                rank_offers(student, OfferFilters::default())
            ),
        ),
        case(
            "rank offers: as Bpifrance",
            DENIED,
            call!(
                bpifrance,
                rank_offers,
                rank_offers(student, OfferFilters::default())
            ),
        ),
        case(
            "explain: malformed ids",
            INVALID,
            call!(
                owner,
                explain_match,
                ExplainMatchRequest {
                    offer_id: "?".repeat(10_000),
                    candidate_id: String::new(),
                }
            ),
        )
        .naming("offer_id"),
        case(
            "explain: another company's offer",
            DENIED_OR_HIDDEN,
            call!(
                other,
                explain_match,
                ExplainMatchRequest {
                    offer_id: offer.to_owned(),
                    candidate_id: student.to_string(),
                }
            ),
        ),
        case(
            "explain: an offer id that is not UTF-8",
            INVALID,
            raw_call(
                bed.raw(&bed.matching, &company(SIREN)),
                "/vte.matching.v1.MatchingService/ExplainMatch",
                // Field 1 (offer_id), length 2, bytes 0xff 0xfe.
                vec![0x0a, 0x02, 0xff, 0xfe],
            ),
        ),
        case(
            "rank offers: a length running past the end of the request",
            INVALID,
            raw_call(
                bed.raw(&bed.matching, &candidate(student)),
                "/vte.matching.v1.MatchingService/RankOffers",
                // Field 1 (candidate_id) announcing 100 bytes, followed by 2.
                vec![0x0a, 0x64, b'a', b'b'],
            ),
        ),
    ]
}
