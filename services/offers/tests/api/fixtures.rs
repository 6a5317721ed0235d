//! What the API tests build on: a valid offer (a CDI in Figeac), calendar dates, the common
//! steps of a hire (publish, apply, accept, complete), and reading a refusal (its code, the
//! fields an INVALID_ARGUMENT names).

use chrono::{Months, NaiveDate, Utc};
use tonic::{Code, Response, Status};
use vte_domain::CandidateId;
use vte_proto::vte::applications::v1::Application;
use vte_proto::vte::common::v1::{
    CefrLevel, CompanySize, ContractKind, Date, EducationLevel, LanguageSkill, Location,
    MissionType, Money, RemotePolicy, SalaryRange,
};
use vte_proto::vte::offers::v1::{
    AcceptApplicationRequest, AcknowledgeLabelCharterRequest, ApplyRequest,
    CompletePlacementRequest, CreateOfferRequest, GetApplicationRequest, GetOfferRequest, Offer,
    OfferSpec, PublishOfferRequest, RequestLabelRequest,
};
use vte_proto::vte::placements::v1::{LabelCase, Placement};

use crate::harness::Client;

/// Figeac (Lot), in the Territoire d'industrie Aurillac – Figeac – Rodez.
pub const FIGEAC: &str = "46102";
/// Capdenac (Lot), about 5 km from Figeac.
pub const CAPDENAC: &str = "46055";
/// Toulouse, in no Territoire d'industrie, about 120 km from Figeac.
pub const TOULOUSE: &str = "31555";

/// Today's date (UTC; the service's day is the same or one ahead, never behind).
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// `months` months from today (negative: ago).
pub fn months_from_today(months: i32) -> NaiveDate {
    let today = today();
    let shift = Months::new(months.unsigned_abs());
    if months >= 0 {
        today.checked_add_months(shift).unwrap()
    } else {
        today.checked_sub_months(shift).unwrap()
    }
}

/// `days` days from today (negative: ago).
pub fn days_from_today(days: i64) -> NaiveDate {
    today() + chrono::Duration::days(days)
}

/// A date as the wire carries it.
pub fn date(day: NaiveDate) -> Date {
    use chrono::Datelike;
    Date {
        year: day.year(),
        month: i32::try_from(day.month()).unwrap(),
        day: i32::try_from(day.day()).unwrap(),
    }
}

/// A salary in euros, as the wire carries it.
pub fn euros(amount: i64) -> Money {
    Money {
        amount_cents: amount * 100,
        currency: "EUR".to_owned(),
    }
}

/// A complete, valid offer: a CDI in Figeac, mission TECHNOLOGIE, bac+3 to bac+5, one position,
/// starting in three months, for a PME, every required field set.
pub fn figeac_cdi() -> OfferSpec {
    OfferSpec {
        title: "Ingénieur industrialisation".to_owned(),
        description: "Industrialiser une nouvelle gamme de pièces usinées pour l'aéronautique, \
                      de la conception du procédé à la mise en production."
            .to_owned(),
        primary_mission_type: MissionType::Technologie as i32,
        secondary_mission_type: MissionType::Unspecified as i32,
        ecological_transition: false,
        contract_kind: ContractKind::Cdi as i32,
        duration_months: None,
        min_level: EducationLevel::Bac3 as i32,
        max_level: EducationLevel::Bac5 as i32,
        fields_of_study: vec!["génie mécanique".to_owned()],
        skills: vec!["SolidWorks".to_owned(), "lean management".to_owned()],
        languages: vec![LanguageSkill {
            language: "en".to_owned(),
            level: CefrLevel::B2 as i32,
        }],
        location: Some(Location {
            insee_code: FIGEAC.to_owned(),
            ..Location::default()
        }),
        remote_policy: RemotePolicy::Hybrid as i32,
        salary: Some(SalaryRange {
            min: Some(euros(36_000)),
            max: Some(euros(42_000)),
        }),
        positions: 1,
        start_date: Some(date(months_from_today(3))),
        application_deadline: None,
        company_name: "Ateliers du Célé".to_owned(),
        company_size: CompanySize::Pme as i32,
    }
}

/// `spec` with its workplace in another commune.
pub fn in_commune(spec: OfferSpec, insee: &str) -> OfferSpec {
    OfferSpec {
        location: Some(Location {
            insee_code: insee.to_owned(),
            ..Location::default()
        }),
        ..spec
    }
}

/// What a call answered, read the way tests assert on it.
pub trait Answer<T> {
    /// The message; panics with the status otherwise.
    fn answer(self) -> T;
    /// The refusal; panics if the call succeeded.
    fn refusal(self) -> Status;
    /// The status code (`Code::Ok` for a success).
    fn code(self) -> Code;
}

impl<T: std::fmt::Debug> Answer<T> for Result<Response<T>, Status> {
    #[track_caller]
    fn answer(self) -> T {
        match self {
            Ok(response) => response.into_inner(),
            Err(status) => panic!(
                "expected an answer, got {:?}: {}",
                status.code(),
                status.message()
            ),
        }
    }

    #[track_caller]
    fn refusal(self) -> Status {
        match self {
            Ok(response) => panic!("expected a refusal, got {:?}", response.into_inner()),
            Err(status) => status,
        }
    }

    fn code(self) -> Code {
        match self {
            Ok(_) => Code::Ok,
            Err(status) => status.code(),
        }
    }
}

/// The fields an INVALID_ARGUMENT names: those of its `google.rpc.BadRequest` details, or
/// failing those, the `field:` prefixes of its message.
pub fn fields_named(status: &Status) -> Vec<String> {
    if let Some(details) = vte_offers::mapping::bad_request_of(status) {
        return details
            .field_violations
            .into_iter()
            .map(|violation| violation.field)
            .collect();
    }
    status
        .message()
        .trim_start_matches("invalid request:")
        .split(';')
        .filter_map(|part| {
            part.split_once(':')
                .map(|(field, _)| field.trim().to_owned())
        })
        .collect()
}

/// Asserts `status` is INVALID_ARGUMENT naming every field of `fields`, in its message too.
#[track_caller]
pub fn assert_invalid(status: &Status, fields: &[&str]) {
    assert_eq!(
        status.code(),
        Code::InvalidArgument,
        "expected INVALID_ARGUMENT naming {fields:?}, got {:?}: {}",
        status.code(),
        status.message()
    );
    let named = fields_named(status);
    for field in fields {
        assert!(
            named.iter().any(|named| named == field),
            "INVALID_ARGUMENT does not name {field}: it names {named:?} ({})",
            status.message()
        );
        assert!(
            status.message().contains(field),
            "the message does not name {field}: {}",
            status.message()
        );
    }
}

/// Asserts `status` has `code`, showing its message otherwise.
#[track_caller]
pub fn assert_code(status: &Status, code: Code) {
    assert_eq!(
        status.code(),
        code,
        "expected {code:?}, got {:?}: {}",
        status.code(),
        status.message()
    );
}

/// A new draft of `company`.
pub async fn draft(company: &Client, spec: OfferSpec) -> Offer {
    company
        .clone()
        .create_offer(CreateOfferRequest {
            company_siren: String::new(),
            spec: Some(spec),
        })
        .await
        .answer()
        .offer
        .unwrap()
}

/// A new offer of `company`, created and published.
pub async fn published(company: &Client, spec: OfferSpec) -> Offer {
    let offer = draft(company, spec).await;
    company
        .clone()
        .publish_offer(PublishOfferRequest {
            offer_id: offer.id,
            expected_revision: 0,
        })
        .await
        .answer()
        .offer
        .unwrap()
}

/// The offer as `client` reads it now.
pub async fn offer(client: &Client, offer_id: &str) -> Offer {
    client
        .clone()
        .get_offer(GetOfferRequest {
            offer_id: offer_id.to_owned(),
        })
        .await
        .answer()
        .offer
        .unwrap()
}

/// `who` (the candidate themself, or their school naming them) applies to `offer_id`.
pub async fn apply(who: &Client, offer_id: &str, candidate: CandidateId) -> Application {
    who.clone()
        .apply(ApplyRequest {
            offer_id: offer_id.to_owned(),
            candidate_id: candidate.to_string(),
            message: "Bonjour, votre offre correspond à mon projet.".to_owned(),
        })
        .await
        .answer()
        .application
        .unwrap()
}

/// The application as `client` reads it now.
pub async fn application(client: &Client, application_id: &str) -> Application {
    client
        .clone()
        .get_application(GetApplicationRequest {
            application_id: application_id.to_owned(),
        })
        .await
        .answer()
        .application
        .unwrap()
}

/// The company hires: the accepted application and its new placement. `start` is the contract's
/// first day (`None`: the offer's start date).
pub async fn accept(
    company: &Client,
    application_id: &str,
    start: Option<NaiveDate>,
) -> (Application, Placement) {
    let answer = company
        .clone()
        .accept_application(AcceptApplicationRequest {
            application_id: application_id.to_owned(),
            contract_start_date: start.map(date),
            duration_months: None,
            note: String::new(),
        })
        .await
        .answer();
    (answer.application.unwrap(), answer.placement.unwrap())
}

/// A CDI started 13 months ago, so that it can be completed yesterday.
pub fn start_long_ago() -> NaiveDate {
    months_from_today(-13)
}

/// The company records the VTE's completion, yesterday.
pub async fn complete(company: &Client, placement_id: &str) -> Placement {
    company
        .clone()
        .complete_placement(CompletePlacementRequest {
            placement_id: placement_id.to_owned(),
            completed_on: Some(date(days_from_today(-1))),
        })
        .await
        .answer()
        .placement
        .unwrap()
}

/// The young person acknowledges the VTE charter and the company requests the label of
/// `placement_id` (whose window must be open: a start less than 6 months ago). Returns the case,
/// awaiting Bpifrance.
pub async fn label_requested(
    company: &Client,
    young_person: &Client,
    placement_id: &str,
) -> LabelCase {
    young_person
        .clone()
        .acknowledge_label_charter(AcknowledgeLabelCharterRequest {
            placement_id: placement_id.to_owned(),
        })
        .await
        .answer();
    company
        .clone()
        .request_label(RequestLabelRequest {
            placement_id: placement_id.to_owned(),
            responsibilities: "Industrialiser la nouvelle gamme ; encadrer deux techniciens."
                .to_owned(),
            management_link: "Rattaché au directeur général.".to_owned(),
            charter_acknowledged: true,
        })
        .await
        .answer()
        .label
        .unwrap()
}
