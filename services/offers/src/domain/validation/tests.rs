#![allow(clippy::unwrap_used)]

use super::*;
use crate::domain::spec::{NewLanguage, NewMoney};
use crate::domain::testing::{date, figeac_cdi, reference, today};

pub(super) fn publish(input: &NewOffer) -> Result<OfferSpec, FieldErrors> {
    validate_offer(input, reference(), today())
}

/// The field paths of the violations, in order.
pub(super) fn fields(errors: &FieldErrors) -> Vec<&str> {
    errors.iter().map(|e| e.field()).collect()
}

/// The only violation of `input` when published: its field and rule.
pub(super) fn only_violation(input: NewOffer) -> (String, String) {
    let errors = publish(&input).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    let error = errors.iter().next().unwrap();
    (error.field().to_owned(), error.rule().to_owned())
}

pub(super) fn violation(field: &str, rule: &str) -> (String, String) {
    (field.to_owned(), rule.to_owned())
}

pub(super) fn money(amount_cents: i64) -> Option<NewMoney> {
    Some(NewMoney {
        amount_cents,
        currency: String::new(),
    })
}

#[test]
fn a_complete_cdi_in_figeac_is_publishable() {
    let spec = publish(&figeac_cdi()).unwrap();
    assert_eq!(spec.title.as_str(), "Ingénieur méthodes industrialisation");
    assert_eq!(spec.contract, Contract::cdi());
    assert_eq!(spec.levels.to_string(), "bac+3 to bac+5");
    assert_eq!(spec.location.commune_name(), "Figeac");
    assert_eq!(spec.positions.get(), 2);
    assert_eq!(spec.salary.unwrap().min().cents(), 3_200_000);
    assert_eq!(spec.last_day_to_apply(), date(2026, 6, 30));
}

#[test]
fn a_bad_offer_reports_every_violated_field_at_once() {
    let input = NewOffer {
        title: "x".repeat(121),
        description: String::new(),
        secondary_mission_type: "TECHNOLOGIE".to_owned(),
        contract_kind: "CDD".to_owned(),
        duration_months: Some(6),
        min_level: 5,
        max_level: 3,
        languages: vec![
            NewLanguage {
                language: "en".to_owned(),
                level: "B2".to_owned(),
            },
            NewLanguage {
                language: "de".to_owned(),
                level: "C1".to_owned(),
            },
            NewLanguage {
                language: "es".to_owned(),
                level: String::new(),
            },
        ],
        insee_code: "46999".to_owned(),
        positions: 51,
        start_date: Some(RawDate::new(2026, 1, 5)),
        company_size: "GE".to_owned(),
        ..figeac_cdi()
    };
    let errors = publish(&input).unwrap_err();
    assert_eq!(
        fields(&errors),
        [
            "spec.title",
            "spec.description",
            "spec.secondary_mission_type",
            "spec.duration_months",
            "spec.max_level",
            "spec.languages[2].level",
            "spec.location.insee_code",
            "spec.positions",
            "spec.start_date",
            "spec.application_deadline",
            "spec.company_size",
        ]
    );
    assert!(errors.to_string().contains(
        "spec.company_size: a large group is not eligible for the VTE: only TPE, PME and ETI are"
    ));
}

#[test]
fn an_empty_offer_is_a_valid_draft_but_names_every_missing_part_when_published() {
    let empty = NewOffer::default();
    assert_eq!(
        validate_draft(&empty, reference()),
        Ok(DraftSpec::default())
    );
    let errors = publish(&empty).unwrap_err();
    assert_eq!(
        fields(&errors),
        [
            "spec.title",
            "spec.description",
            "spec.primary_mission_type",
            "spec.contract_kind",
            "spec.min_level",
            "spec.max_level",
            "spec.location.insee_code",
            "spec.remote_policy",
            "spec.positions",
            "spec.start_date",
            "spec.company_name",
            "spec.company_size",
        ]
    );
    assert!(
        errors
            .iter()
            .all(|e| e.rule() == "is required to publish the offer")
    );
}

#[test]
fn a_draft_still_rejects_what_it_gives_wrongly() {
    let input = NewOffer {
        title: "x".repeat(121),
        insee_code: "4610".to_owned(),
        duration_months: Some(6),
        ..NewOffer::default()
    };
    let errors = validate_draft(&input, reference()).unwrap_err();
    assert_eq!(
        fields(&errors),
        [
            "spec.title",
            "spec.duration_months",
            "spec.location.insee_code"
        ]
    );
}

#[test]
fn a_draft_may_name_a_cdd_before_its_duration_and_a_start_date_in_the_past() {
    let input = NewOffer {
        contract_kind: "CDD".to_owned(),
        duration_months: None,
        start_date: Some(RawDate::new(2020, 1, 1)),
        application_deadline: None,
        ..figeac_cdi()
    };
    let draft = validate_draft(&input, reference()).unwrap();
    assert_eq!(draft.contract_kind, Some(ContractKind::Cdd));
    assert_eq!(
        fields(&publish(&input).unwrap_err()),
        ["spec.duration_months", "spec.start_date"]
    );
}

#[test]
fn a_stored_draft_round_trips_through_the_edge_shape() {
    let draft = validate_draft(&figeac_cdi(), reference()).unwrap();
    let again = validate_draft(&NewOffer::from(&draft), reference()).unwrap();
    assert_eq!(again, draft);
    let spec = publish(&NewOffer::from(&draft)).unwrap();
    assert_eq!(DraftSpec::from(&spec), draft);
}

#[test]
fn a_saved_offer_is_rebuilt_from_its_draft_shape_even_after_its_start_date() {
    let old = NewOffer {
        start_date: Some(RawDate::new(2020, 9, 1)),
        application_deadline: None,
        ..figeac_cdi()
    };
    let draft = validate_draft(&old, reference()).unwrap();
    let spec = OfferSpec::try_from(draft).unwrap();
    assert_eq!(spec.start_date, date(2020, 9, 1));
}

#[test]
fn an_incomplete_draft_does_not_make_a_complete_spec() {
    let input = NewOffer {
        title: String::new(),
        contract_kind: "CDD".to_owned(),
        duration_months: None,
        ..figeac_cdi()
    };
    let draft = validate_draft(&input, reference()).unwrap();
    let errors = OfferSpec::try_from(draft).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "spec.title: is required to publish the offer; \
         spec.duration_months: a CDD needs its duration in months"
    );
}

#[test]
fn the_edge_shape_survives_json_so_a_store_can_keep_drafts_in_it() {
    let input = figeac_cdi();
    let json = serde_json::to_string(&input).unwrap();
    assert_eq!(serde_json::from_str::<NewOffer>(&json).unwrap(), input);
    let sparse: NewOffer = serde_json::from_str(r#"{"title":"Bras droit"}"#).unwrap();
    assert_eq!(sparse.title, "Bras droit");
    assert_eq!(sparse.positions, 0);
}
