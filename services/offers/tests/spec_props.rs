//! Properties of the offer spec decoder, the part of the offers service that reads what a
//! company sends: `vte.offers.v1.OfferSpec` through [`new_offer`] (the wire's rules) and
//! [`validate_draft`] (the content's rules), on any input a client could send. It never
//! panics, it reports at most [`MAX_FIELD_ERRORS`] errors of a few hundred bytes each, a list
//! over its limit costs one error and none per entry, and a date outside this century is
//! refused, naming its field.

#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use proptest::collection::vec;
use proptest::prelude::*;
use vte_domain::{FieldErrors, MAX_FIELD_ERRORS};
use vte_offers::domain::validate_draft;
use vte_offers::mapping::new_offer;
use vte_proto::vte::common::v1::{
    CefrLevel, CompanySize, ContractKind, Date, EducationLevel, LanguageSkill, Location,
    MissionType, Money, RemotePolicy, SalaryRange,
};
use vte_proto::vte::offers::v1::OfferSpec;
use vte_reference::ReferenceData;

/// The longest field path or rule an error may carry, in bytes.
const MAX_ERROR_PART_BYTES: usize = 400;

fn reference() -> &'static ReferenceData {
    static DATA: OnceLock<ReferenceData> = OnceLock::new();
    DATA.get_or_init(|| ReferenceData::load(&ReferenceData::default_dir()).unwrap())
}

/// Any text, short or long, including control, combining and right-to-left characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\\PC{0,40}",
        1 => any::<String>(),
        1 => (any::<char>(), 0..5_000usize).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

/// An enum number: mostly the contract's, sometimes any.
fn number() -> impl Strategy<Value = i32> {
    prop_oneof![4 => -1..12i32, 1 => any::<i32>()]
}

fn date() -> impl Strategy<Value = Option<Date>> {
    let part = || prop_oneof![4 => -1..40i32, 1 => any::<i32>()];
    let year = prop_oneof![3 => 1890..2110i32, 1 => any::<i32>()];
    proptest::option::of((year, part(), part()).prop_map(|(year, month, day)| Date {
        year,
        month,
        day,
    }))
}

fn money() -> impl Strategy<Value = Option<Money>> {
    proptest::option::of((any::<i64>(), prop_oneof!["EUR", text()]).prop_map(
        |(amount_cents, currency)| Money {
            amount_cents,
            currency,
        },
    ))
}

prop_compose! {
    fn spec()(
        title in text(),
        description in text(),
        enums in vec(number(), 7),
        duration_months in proptest::option::of(any::<u32>()),
        fields_of_study in vec(text(), 0..40),
        skills in vec(text(), 0..80),
        languages in vec((text(), number()), 0..40),
        insee in proptest::option::of(prop_oneof!["[0-9AB]{5}", text()]),
        salary in proptest::option::of((money(), money())),
        positions in prop_oneof![0..60u32, any::<u32>()],
        dates in (date(), date()),
        company_name in text(),
        ecological_transition in any::<bool>(),
    ) -> OfferSpec {
        OfferSpec {
            title,
            description,
            primary_mission_type: enums[0],
            secondary_mission_type: enums[1],
            ecological_transition,
            contract_kind: enums[2],
            duration_months,
            min_level: enums[3],
            max_level: enums[4],
            fields_of_study,
            skills,
            languages: languages
                .into_iter()
                .map(|(language, level)| LanguageSkill { language, level })
                .collect(),
            location: insee.map(|insee_code| Location {
                insee_code,
                ..Location::default()
            }),
            remote_policy: enums[5],
            salary: salary.map(|(min, max)| SalaryRange { min, max }),
            positions,
            start_date: dates.0,
            application_deadline: dates.1,
            company_name,
            company_size: enums[6],
        }
    }
}

/// A valid offer: a CDI in Figeac starting in September 2027.
fn valid() -> OfferSpec {
    OfferSpec {
        title: "Ingénieur industrialisation".to_owned(),
        description: "Industrialiser une gamme de pièces usinées.".to_owned(),
        primary_mission_type: MissionType::Technologie as i32,
        contract_kind: ContractKind::Cdi as i32,
        min_level: EducationLevel::Bac3 as i32,
        max_level: EducationLevel::Bac5 as i32,
        skills: vec!["SolidWorks".to_owned()],
        location: Some(Location {
            insee_code: "46102".to_owned(),
            ..Location::default()
        }),
        remote_policy: RemotePolicy::Hybrid as i32,
        positions: 1,
        start_date: Some(Date {
            year: 2027,
            month: 9,
            day: 1,
        }),
        company_name: "Ateliers du Célé".to_owned(),
        company_size: CompanySize::Pme as i32,
        ..OfferSpec::default()
    }
}

/// Every error of `errors` is short, and there are at most [`MAX_FIELD_ERRORS`].
fn assert_bounded(errors: &FieldErrors) -> Result<(), TestCaseError> {
    prop_assert!(errors.len() <= MAX_FIELD_ERRORS, "{} errors", errors.len());
    for error in errors {
        prop_assert!(
            error.field().len() <= MAX_ERROR_PART_BYTES,
            "{}",
            error.field()
        );
        prop_assert!(
            error.rule().len() <= MAX_ERROR_PART_BYTES,
            "{}",
            error.rule()
        );
    }
    Ok(())
}

/// The spec decoded and checked as a draft: the wire's errors, else the content's.
fn decode(spec: &OfferSpec) -> Result<(), FieldErrors> {
    let input = new_offer(Some(spec))?;
    validate_draft(&input, reference()).map(|_| ())
}

proptest! {
    // No regression files written into the tree: a failure prints its minimal input.
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_spec_is_decoded_or_refused_in_a_few_short_errors(spec in spec()) {
        if let Err(errors) = decode(&spec) {
            assert_bounded(&errors)?;
            prop_assert!(!errors.is_empty());
        }
    }

    #[test]
    fn a_valid_spec_with_any_texts_reaches_the_content_rules_and_stays_bounded(
        title in text(),
        description in text(),
        skills in vec(text(), 0..=30),
        language in text(),
        insee in text(),
        company_name in text(),
    ) {
        let spec = OfferSpec {
            title,
            description,
            skills,
            languages: vec![LanguageSkill { language, level: CefrLevel::B2 as i32 }],
            location: Some(Location { insee_code: insee, ..Location::default() }),
            company_name,
            ..valid()
        };
        // The wire's rules hold (enums, dates, counts): only the content's may break.
        let input = new_offer(Some(&spec));
        prop_assert!(input.is_ok(), "{input:?}");
        if let Err(errors) = validate_draft(&input.unwrap(), reference()) {
            assert_bounded(&errors)?;
        }
    }

    #[test]
    fn a_list_over_its_limit_costs_one_error_and_none_per_entry(
        spec in spec(),
        extra in 31..5_000usize,
    ) {
        let spec = OfferSpec {
            skills: vec!["\u{202e}bad\u{0}".to_owned(); extra],
            ..spec
        };
        let errors = decode(&spec).unwrap_err();
        assert_bounded(&errors)?;
        let fields: Vec<&str> = errors.iter().map(|e| e.field()).collect();
        prop_assert!(fields.contains(&"spec.skills"), "{fields:?}");
        prop_assert!(!fields.iter().any(|f| f.starts_with("spec.skills[")), "{fields:?}");
    }

    #[test]
    fn a_date_outside_this_century_is_refused_naming_it(
        spec in spec(),
        year in prop_oneof![1900..2000i32, 2100..10_000i32],
    ) {
        let spec = OfferSpec {
            start_date: Some(Date { year, month: 9, day: 1 }),
            ..spec
        };
        let errors = decode(&spec).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field()).collect();
        prop_assert!(fields.contains(&"spec.start_date"), "{fields:?}");
    }
}
