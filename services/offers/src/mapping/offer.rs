//! Offers on the wire: `vte.offers.v1.OfferSpec` into the domain's unchecked [`NewOffer`] (the
//! domain then checks every rule of the content), the offer requests into their inputs, an
//! [`Offer`] into `vte.offers.v1.Offer` with its resolved place and aids, and the
//! `OfferEvent` envelope of each [`OfferChange`].

use super::wire::{
    FilteredList, Filters, PageInput, WireEnum, both, check_count, check_enum, check_enum_filter,
    check_optional_id, check_page, check_recent_date, date_to_proto, filter_set, location_to_proto,
    money, optional_timestamp, optional_to_wire, parse_id, timestamp,
};
use crate::domain::spec::{MAX_FIELDS_OF_STUDY, MAX_LANGUAGES, MAX_SKILLS};
use crate::domain::{
    DraftSpec, NewLanguage, NewMoney, NewOffer, NewSalaryRange, Offer, OfferChange, OfferContent,
    OfferStatus, RemotePolicy,
};
use vte_domain::Programme;
use vte_domain::{
    CefrLevel, CompanySize, ContractKind, EducationLevel, FieldErrors, InvalidValue, MissionType,
    OfferId, Siren,
};
use vte_proto::vte::common::v1 as common;
use vte_proto::vte::offers::v1 as offers;
use vte_proto::vte::offers::v1::offer_event::Event;
use vte_rules::RuleBook;

/// `vte.offers.v1.OfferSpec` as the domain's input, under the field `spec`. Enumerations become
/// their domain codes (UNSPECIFIED becomes "not given"), levels the N of bac+N, the location
/// its INSEE code only (the resolved fields a client sends are ignored, as the contract says).
///
/// Rejected here: a missing `spec`, a list longer than its limit (before any of its entries is
/// read), an enum number this build does not know and a date the calendar lacks or outside
/// [`DATE_YEARS`](super::wire::DATE_YEARS), each under its path (`spec.languages[1].level`). Every other rule (lengths,
/// the commune, the VTE rules) is the domain's, in
/// [`validate_draft`](crate::domain::validate_draft) and
/// [`validate_offer`](crate::domain::validate_offer), with the same paths.
pub fn new_offer(spec: Option<&offers::OfferSpec>) -> Result<NewOffer, FieldErrors> {
    let mut errors = FieldErrors::new();
    let input = check_spec(&mut errors, spec);
    errors.into_result().map(|()| input)
}

/// [`new_offer`], recording the errors.
fn check_spec(errors: &mut FieldErrors, spec: Option<&offers::OfferSpec>) -> NewOffer {
    let Some(spec) = spec else {
        errors.push(InvalidValue::new("is required").at("spec"));
        return NewOffer::default();
    };
    let primary_mission_type = enum_code(
        errors,
        "spec.primary_mission_type",
        spec.primary_mission_type,
        MissionType::code,
    );
    let secondary_mission_type = enum_code(
        errors,
        "spec.secondary_mission_type",
        spec.secondary_mission_type,
        MissionType::code,
    );
    let contract_kind = enum_code(
        errors,
        "spec.contract_kind",
        spec.contract_kind,
        ContractKind::code,
    );
    let remote_policy = enum_code(
        errors,
        "spec.remote_policy",
        spec.remote_policy,
        RemotePolicy::as_str,
    );
    let company_size = enum_code(
        errors,
        "spec.company_size",
        spec.company_size,
        CompanySize::code,
    );
    let min_level = level(errors, "spec.min_level", spec.min_level);
    let max_level = level(errors, "spec.max_level", spec.max_level);
    // Each list's count first: a longer one is refused whole and its entries are not read.
    let mut listed = |field: &str, count: usize, max: usize| check_count(errors, field, count, max);
    let fields_of_study_fit = listed(
        "spec.fields_of_study",
        spec.fields_of_study.len(),
        MAX_FIELDS_OF_STUDY,
    );
    let skills_fit = listed("spec.skills", spec.skills.len(), MAX_SKILLS);
    let languages_fit = listed("spec.languages", spec.languages.len(), MAX_LANGUAGES);
    let fit = |fits: bool, list: &[String]| if fits { list.to_vec() } else { Vec::new() };
    let languages = spec
        .languages
        .iter()
        .take(if languages_fit { MAX_LANGUAGES } else { 0 })
        .enumerate()
        .map(|(i, language)| NewLanguage {
            language: language.language.clone(),
            level: enum_code::<CefrLevel>(
                errors,
                &format!("spec.languages[{i}].level"),
                language.level,
                CefrLevel::as_str,
            ),
        })
        .collect();
    let new_money = |money: &common::Money| NewMoney {
        amount_cents: money.amount_cents,
        currency: money.currency.clone(),
    };
    NewOffer {
        title: spec.title.clone(),
        description: spec.description.clone(),
        primary_mission_type,
        secondary_mission_type,
        ecological_transition: spec.ecological_transition,
        contract_kind,
        duration_months: spec.duration_months,
        min_level,
        max_level,
        fields_of_study: fit(fields_of_study_fit, &spec.fields_of_study),
        skills: fit(skills_fit, &spec.skills),
        languages,
        insee_code: spec
            .location
            .as_ref()
            .map(|location| location.insee_code.clone())
            .unwrap_or_default(),
        remote_policy,
        salary: spec.salary.as_ref().map(|salary| NewSalaryRange {
            min: salary.min.as_ref().map(new_money),
            max: salary.max.as_ref().map(new_money),
        }),
        positions: spec.positions,
        start_date: check_recent_date(errors, "spec.start_date", spec.start_date.as_ref()),
        application_deadline: check_recent_date(
            errors,
            "spec.application_deadline",
            spec.application_deadline.as_ref(),
        ),
        company_name: spec.company_name.clone(),
        company_size,
    }
}

/// The domain code of an enum field, empty for UNSPECIFIED or a bad number (recorded).
fn enum_code<E: WireEnum>(
    errors: &mut FieldErrors,
    field: &str,
    raw: i32,
    code: fn(E) -> &'static str,
) -> String {
    check_enum(errors, field, raw)
        .map(code)
        .unwrap_or_default()
        .to_owned()
}

/// A level as the N of bac+N, 0 for UNSPECIFIED or a bad number (recorded).
fn level(errors: &mut FieldErrors, field: &str, raw: i32) -> i32 {
    check_enum::<EducationLevel>(errors, field, raw).map_or(0, |level| i32::from(level.years()))
}

/// A revision check: 0 on the wire means none.
fn expected_revision(raw: u64) -> Option<u64> {
    (raw != 0).then_some(raw)
}

/// CreateOffer, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOfferInput {
    /// The company named by an operator; `None` means the caller's company.
    pub company_siren: Option<Siren>,
    /// The draft's content, for [`validate_draft`](crate::domain::validate_draft).
    pub spec: NewOffer,
}

/// Decodes a CreateOffer request.
pub fn create_offer_input(
    request: &offers::CreateOfferRequest,
) -> Result<CreateOfferInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let company_siren = check_optional_id(&mut errors, "company_siren", &request.company_siren);
    let spec = check_spec(&mut errors, request.spec.as_ref());
    errors.into_result().map(|()| CreateOfferInput {
        company_siren,
        spec,
    })
}

/// UpdateOffer, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateOfferInput {
    /// The offer.
    pub offer_id: OfferId,
    /// The full new content, for [`Offer::update`].
    pub spec: NewOffer,
    /// The revision the caller read, for [`Offer::check_revision`]; `None` skips the check.
    pub expected_revision: Option<u64>,
}

/// Decodes an UpdateOffer request.
pub fn update_offer_input(
    request: &offers::UpdateOfferRequest,
) -> Result<UpdateOfferInput, FieldErrors> {
    let (offer_id, spec) = both(
        parse_id("offer_id", &request.offer_id),
        new_offer(request.spec.as_ref()),
    )?;
    Ok(UpdateOfferInput {
        offer_id,
        spec,
        expected_revision: expected_revision(request.expected_revision),
    })
}

/// PublishOffer, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishOfferInput {
    /// The offer.
    pub offer_id: OfferId,
    /// The revision the caller read; `None` skips the check.
    pub expected_revision: Option<u64>,
}

/// Decodes a PublishOffer request.
pub fn publish_offer_input(
    request: &offers::PublishOfferRequest,
) -> Result<PublishOfferInput, FieldErrors> {
    Ok(PublishOfferInput {
        offer_id: parse_id("offer_id", &request.offer_id)?,
        expected_revision: expected_revision(request.expected_revision),
    })
}

/// CloseOffer, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseOfferInput {
    /// The offer.
    pub offer_id: OfferId,
    /// Why, as sent; checked by [`Offer::close`].
    pub reason: String,
}

/// Decodes a CloseOffer request.
pub fn close_offer_input(
    request: &offers::CloseOfferRequest,
) -> Result<CloseOfferInput, FieldErrors> {
    Ok(CloseOfferInput {
        offer_id: parse_id("offer_id", &request.offer_id)?,
        reason: request.reason.clone(),
    })
}

/// ListOffers, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOffersInput {
    /// The company; `None` means the caller's company.
    pub company_siren: Option<Siren>,
    /// Only these statuses; empty means all.
    pub statuses: Vec<OfferStatus>,
    /// The page wanted.
    pub page: PageInput,
}

/// Decodes a ListOffers request.
pub fn list_offers_input(
    request: &offers::ListOffersRequest,
) -> Result<ListOffersInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let company_siren = check_optional_id(&mut errors, "company_siren", &request.company_siren);
    let statuses = check_enum_filter(&mut errors, "statuses", &request.statuses);
    let page = check_page(&mut errors, "page", request.page.as_ref());
    let input = ListOffersInput {
        company_siren,
        statuses,
        page,
    };
    input.bind_page(errors)
}

impl FilteredList for ListOffersInput {
    fn filters(&self) -> Filters {
        Filters::NONE
            .with("company_siren", self.company_siren)
            .with("statuses", filter_set(&self.statuses))
    }

    fn page_mut(&mut self) -> &mut PageInput {
        &mut self.page
    }
}

/// An offer's content on the wire: a draft's parts, or the complete content.
/// The place's territory is the one of `programme`, the programme the rules name for the start.
pub fn spec_to_proto(content: &OfferContent, programme: Programme) -> offers::OfferSpec {
    match content {
        OfferContent::Draft(draft) => draft_to_proto(draft, programme),
        OfferContent::Complete(spec) => draft_to_proto(&DraftSpec::from(spec), programme),
    }
}

fn draft_to_proto(draft: &DraftSpec, programme: Programme) -> offers::OfferSpec {
    let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
    offers::OfferSpec {
        title: text(draft.title.as_ref().map(|title| title.as_str())),
        description: text(draft.description.as_ref().map(|d| d.as_str())),
        primary_mission_type: optional_to_wire(draft.primary_mission_type),
        secondary_mission_type: optional_to_wire(draft.secondary_mission_type),
        ecological_transition: draft.ecological_transition,
        contract_kind: optional_to_wire(draft.contract_kind),
        duration_months: draft.duration_months.map(u32::from),
        min_level: optional_to_wire(draft.min_level),
        max_level: optional_to_wire(draft.max_level),
        fields_of_study: draft
            .fields_of_study
            .iter()
            .map(|f| f.to_string())
            .collect(),
        skills: draft.skills.iter().map(|s| s.to_string()).collect(),
        languages: draft
            .languages
            .iter()
            .map(|requirement| common::LanguageSkill {
                language: requirement.language.as_str().to_owned(),
                level: requirement.level.to_wire(),
            })
            .collect(),
        location: draft
            .location
            .as_ref()
            .map(|location| location_to_proto(location, programme)),
        remote_policy: optional_to_wire(draft.remote_policy),
        salary: draft.salary.map(|salary| common::SalaryRange {
            min: Some(money(salary.min())),
            max: Some(money(salary.max())),
        }),
        positions: draft.positions.map_or(0, |positions| positions.get()),
        start_date: draft.start_date.map(date_to_proto),
        application_deadline: draft.application_deadline.map(date_to_proto),
        company_name: text(draft.company_name.as_ref().map(|c| c.as_str())),
        company_size: optional_to_wire(draft.company_size),
    }
}

/// The whole offer on the wire, as responses and events carry it: its content with the resolved
/// place (its Territoire d'industrie in the programme of the start date), its status, remaining
/// positions, aids by the rules of its start date (each with its outcome, reason and conditions),
/// revision, times and close reason.
pub fn offer_to_proto(offer: &Offer, rules: &RuleBook) -> offers::Offer {
    let programme = offer
        .start_date()
        .map_or_else(Programme::default, |start| rules.programme_for(start));
    offers::Offer {
        id: offer.id.to_string(),
        company_siren: offer.company_siren.to_string(),
        status: offer.status.to_wire(),
        spec: Some(spec_to_proto(&offer.content, programme)),
        positions_remaining: offer.positions_remaining(),
        aids: vte_wire::eligibility::aids(&offer.aids(rules)),
        revision: offer.revision,
        created_at: Some(timestamp(offer.created_at)),
        updated_at: Some(timestamp(offer.updated_at)),
        published_at: optional_timestamp(offer.published_at),
        ended_at: optional_timestamp(offer.ended_at),
        close_reason: offer
            .close_reason
            .as_ref()
            .map(|reason| reason.to_string())
            .unwrap_or_default(),
    }
}

/// The `vte.offers.v1` envelope of `change` to `offer` (its new state): a fresh UUIDv7 event id,
/// the offer's update time, the offer id as the key.
pub fn offer_event(offer: &Offer, change: OfferChange, rules: &RuleBook) -> offers::OfferEvent {
    let state = Some(offer_to_proto(offer, rules));
    let event = match change {
        OfferChange::Drafted => Event::Drafted(offers::OfferDrafted { offer: state }),
        OfferChange::Published => Event::Published(offers::OfferPublished { offer: state }),
        OfferChange::Updated => Event::Updated(offers::OfferUpdated { offer: state }),
        OfferChange::Filled => Event::Filled(offers::OfferFilled { offer: state }),
        OfferChange::Closed => Event::Closed(offers::OfferClosed { offer: state }),
        OfferChange::Expired => Event::Expired(offers::OfferExpired { offer: state }),
    };
    offers::OfferEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(timestamp(offer.updated_at)),
        offer_id: offer.id.to_string(),
        event: Some(event),
    }
}
