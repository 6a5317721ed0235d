//! The offers service's bad requests about a placement's label, aimed at a real placement
//! whose label is requested (a bad dossier, decision or appeal is judged only once the placement
//! is found): malformed and unknown placement ids, a dossier of 100,000 characters, empty or
//! without the charter, decisions refused without a reason or reconsidering a malformed id, an
//! appeal of 100,000 characters, other companies' and other candidates' placements, the roles
//! that take no such step, and the queue's pages.

use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::common::v1::PageRequest;
use vte_proto::vte::offers::v1::{
    AcknowledgeLabelCharterRequest, AppealLabelRequest, DecideLabelRequest, GetLabelCaseRequest,
    ListLabelDecisionsRequest, ListLabelQueueRequest, RequestLabelRequest,
    list_label_decisions_request,
};
use vte_proto::vte::placements::v1::LabelOutcome;
use vte_service::auth::Caller;

use crate::bed::{Bed, OTHER_SIREN, SIREN, candidate, company, school};
use crate::case::{Case, DENIED, DENIED_OR_HIDDEN, INVALID, NOT_FOUND, case};
use crate::fixtures::{accept, apply, figeac_cdi, label_requested, months_from_today, published};
use crate::invitations::terse;

/// A placement of [`SIREN`] whose label is requested and awaits Bpifrance.
pub struct Labelled {
    /// The placement.
    pub placement: String,
    /// Its young person.
    pub student: CandidateId,
    /// Their school.
    pub school: SchoolId,
}

impl Labelled {
    /// A student of a new school applies to a new published offer of [`SIREN`], is hired from
    /// a month ago, acknowledges the charter; the company requests the label.
    pub async fn set_up(bed: &Bed) -> Self {
        let school = SchoolId::new();
        let student = crate::pushed_student(bed, school).await;
        let (owner, young_person) = (bed.offers(&company(SIREN)), bed.offers(&candidate(student)));
        let offer = published(&owner, figeac_cdi()).await;
        let application = apply(&young_person, &offer.id, student).await;
        let (_, placement) = accept(&owner, &application.id, Some(months_from_today(-1))).await;
        label_requested(&owner, &young_person, &placement.id).await;
        Self {
            placement: placement.id,
            student,
            school,
        }
    }
}

fn dossier(placement: &str) -> RequestLabelRequest {
    RequestLabelRequest {
        placement_id: placement.to_owned(),
        responsibilities: "Industrialiser la nouvelle gamme de pièces usinées.".to_owned(),
        management_link: "Rattaché au directeur général.".to_owned(),
        charter_acknowledged: true,
    }
}

fn decision(placement: &str, outcome: LabelOutcome, reason: String) -> DecideLabelRequest {
    DecideLabelRequest {
        placement_id: placement.to_owned(),
        outcome: outcome as i32,
        reason,
        reconsiders_decision_id: String::new(),
    }
}

fn appeal(placement: &str, reason: String) -> AppealLabelRequest {
    AppealLabelRequest {
        placement_id: placement.to_owned(),
        reason,
    }
}

fn page(size: u32, token: &str) -> Option<PageRequest> {
    Some(PageRequest {
        page_size: size,
        page_token: token.to_owned(),
    })
}

/// The cases.
pub fn cases(bed: &Bed, l: &Labelled) -> Vec<Case> {
    let owner = bed.offers(&company(SIREN));
    let other = bed.offers(&company(OTHER_SIREN));
    let bpifrance = bed.offers(&Caller::Bpifrance);
    let young_person = bed.offers(&candidate(l.student));
    let stranger = bed.offers(&candidate(CandidateId::new()));
    let its_school = bed.offers(&school(l.school));
    let unknown = uuid::Uuid::now_v7().to_string();
    let placement = l.placement.as_str();
    let ack = |placement: &str| AcknowledgeLabelCharterRequest {
        placement_id: placement.to_owned(),
    };

    vec![
        // The company's dossier.
        case(
            "request label: a malformed placement id",
            INVALID,
            call!(owner, request_label, dossier("VTE-42")),
        )
        .naming("placement_id"),
        case(
            "request label: an unknown placement",
            NOT_FOUND,
            call!(owner, request_label, dossier(&unknown)),
        ),
        case(
            "request label: 100,000 characters of responsibilities",
            INVALID,
            terse(
                'x',
                call!(
                    owner,
                    request_label,
                    RequestLabelRequest {
                        responsibilities: "x".repeat(100_000),
                        ..dossier(placement)
                    }
                ),
            ),
        )
        .naming("responsibilities"),
        case(
            "request label: an empty link to the management",
            INVALID,
            call!(
                owner,
                request_label,
                RequestLabelRequest {
                    management_link: String::new(),
                    ..dossier(placement)
                }
            ),
        )
        .naming("management_link"),
        case(
            "request label: the charter not acknowledged",
            INVALID,
            call!(
                owner,
                request_label,
                RequestLabelRequest {
                    charter_acknowledged: false,
                    ..dossier(placement)
                }
            ),
        )
        .naming("charter_acknowledged"),
        case(
            "request label: another company's placement",
            DENIED_OR_HIDDEN,
            call!(other, request_label, dossier(placement)),
        ),
        case(
            "request label: as Bpifrance",
            DENIED,
            call!(bpifrance, request_label, dossier(placement)),
        ),
        case(
            "acknowledge charter: a malformed placement id",
            INVALID,
            call!(young_person, acknowledge_label_charter, ack("42")),
        )
        .naming("placement_id"),
        case(
            "acknowledge charter: as another candidate",
            DENIED_OR_HIDDEN,
            call!(stranger, acknowledge_label_charter, ack(placement)),
        ),
        // Bpifrance's decision.
        case(
            "decide label: a refusal without a reason",
            INVALID,
            call!(
                bpifrance,
                decide_label,
                decision(placement, LabelOutcome::Refused, String::new())
            ),
        )
        .naming("reason"),
        case(
            "decide label: a rework asked for in 100,000 characters",
            INVALID,
            terse(
                'w',
                call!(
                    bpifrance,
                    decide_label,
                    decision(
                        placement,
                        LabelOutcome::ReworkRequested,
                        "w".repeat(100_000)
                    )
                ),
            ),
        )
        .naming("reason"),
        case(
            "decide label: reconsidering a malformed decision id",
            INVALID,
            call!(
                bpifrance,
                decide_label,
                DecideLabelRequest {
                    reconsiders_decision_id: "decision-1".to_owned(),
                    ..decision(placement, LabelOutcome::Granted, String::new())
                }
            ),
        )
        .naming("reconsiders_decision_id"),
        case(
            "decide label: as the school",
            DENIED,
            call!(
                its_school,
                decide_label,
                decision(placement, LabelOutcome::Granted, String::new())
            ),
        ),
        // Appeals and reads.
        case(
            "appeal label: a 100,000-character reason",
            INVALID,
            terse(
                'a',
                call!(
                    young_person,
                    appeal_label,
                    appeal(placement, "a".repeat(100_000))
                ),
            ),
        )
        .naming("reason"),
        case(
            "appeal label: another company's placement",
            DENIED_OR_HIDDEN,
            call!(
                other,
                appeal_label,
                appeal(placement, "Le poste est bien un VTE.".to_owned())
            ),
        ),
        case(
            "get label case: a malformed placement id",
            INVALID,
            call!(
                bpifrance,
                get_label_case,
                GetLabelCaseRequest {
                    placement_id: "VTE-42".to_owned(),
                }
            ),
        )
        .naming("placement_id"),
        case(
            "get label case: another company's placement",
            DENIED_OR_HIDDEN,
            call!(
                other,
                get_label_case,
                GetLabelCaseRequest {
                    placement_id: l.placement.clone(),
                }
            ),
        ),
        case(
            "label queue: as the company",
            DENIED,
            call!(owner, list_label_queue, ListLabelQueueRequest::default()),
        ),
        case(
            "label queue: a page of 1,000",
            INVALID,
            call!(
                bpifrance,
                list_label_queue,
                ListLabelQueueRequest {
                    page: page(1_000, ""),
                }
            ),
        )
        .naming("page.page_size"),
        case(
            "label queue: a page token of no list",
            INVALID,
            call!(
                bpifrance,
                list_label_queue,
                ListLabelQueueRequest {
                    page: page(1, "bm90IGEgdG9rZW4"),
                }
            ),
        )
        .naming("page.page_token"),
        case(
            "list label decisions: a malformed candidate id",
            INVALID,
            call!(
                bpifrance,
                list_label_decisions,
                ListLabelDecisionsRequest {
                    scope: Some(list_label_decisions_request::Scope::CandidateId(
                        "ETU-2026-042".to_owned(),
                    )),
                    page: None,
                }
            ),
        )
        .naming("candidate_id"),
    ]
}
