//! Property tests of the decoders facing schools (issue 13): whatever a row holds (any text of
//! any length, any number of entries in its repeated fields, any number in its enums and
//! dates), decoding it never panics, and its rejection stays bounded: at most 50 field errors
//! kept, each rule and path cut, the reference quoted at most 64 characters, the whole
//! INVALID_ARGUMENT status under 16 KiB. The check of a push on the wire, before decoding,
//! never panics on any bytes and never refuses a request within the limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use chrono::NaiveDate;
use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;
use vte_candidates::mapping::frames::{BATCH, check_shape};
use vte_candidates::mapping::row::{decode_preferences_on, decode_row, decode_rows};
use vte_domain::FieldErrors;
use vte_domain::MAX_FIELD_ERRORS;
use vte_domain::error::{MAX_FIELD_BYTES, MAX_RULE_BYTES};
use vte_proto::vte::candidates::v1::{
    Contact, MissionTypeWeight, Preferences, ProfileRow, PushProfilesBatchRequest,
};
use vte_proto::vte::common::v1::{Date, LanguageSkill};
use vte_reference::ReferenceData;

static REFERENCE: LazyLock<ReferenceData> =
    LazyLock::new(|| ReferenceData::load(&ReferenceData::default_dir()).unwrap());

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
}

/// Any text: short ones of any characters, plausible ones, and now and then a huge one.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => any::<String>(),
        3 => "[A-Za-z0-9 éè\\-]{0,12}",
        1 => (1usize..200_000).prop_map(|n| "é".repeat(n)),
    ]
}

/// An enum number: the valid ones, their neighbours, and any other.
fn number() -> impl Strategy<Value = i32> {
    prop_oneof![4 => -2..12i32, 1 => any::<i32>()]
}

fn date() -> impl Strategy<Value = Option<Date>> {
    proptest::option::of(
        (any::<i32>(), -1..14i32, -1..33i32).prop_map(|(year, month, day)| Date {
            year: year % 12_000,
            month,
            day,
        }),
    )
}

fn preferences() -> impl Strategy<Value = Preferences> {
    (
        vec((number(), any::<u32>()), 0..40),
        any::<u32>(),
        vec(text(), 0..30),
        vec(number(), 0..8),
        date(),
        any::<bool>(),
    )
        .prop_map(
            |(weights, radius, regions, kinds, available_from, paused)| Preferences {
                mission_type_weights: weights
                    .into_iter()
                    .map(|(mission_type, weight)| MissionTypeWeight {
                        mission_type,
                        weight,
                    })
                    .collect(),
                mobility_radius_km: radius,
                open_to_relocation: paused,
                preferred_region_codes: regions,
                contract_kinds_sought: kinds,
                available_from,
                paused,
                set_by_candidate: false,
            },
        )
}

fn row() -> impl Strategy<Value = ProfileRow> {
    (
        (text(), number(), date(), number(), text(), text()),
        (
            vec(text(), 0..45),
            vec((text(), number()), 0..20),
            prop_oneof![text(), "[0-9]{5}"],
            proptest::option::of(preferences()),
            proptest::option::of((text(), text(), text(), text())),
        ),
    )
        .prop_map(
            |(
                (school_student_ref, status, graduation_date, level, field_of_study, diploma),
                (skills, languages, home_insee_code, preferences, contact),
            )| ProfileRow {
                school_student_ref,
                status,
                graduation_date,
                level,
                field_of_study,
                diploma,
                skills,
                languages: languages
                    .into_iter()
                    .map(|(language, level)| LanguageSkill { language, level })
                    .collect(),
                home_insee_code,
                preferences,
                contact: contact.map(|(first_name, last_name, email, phone)| Contact {
                    candidate_id: String::new(),
                    first_name,
                    last_name,
                    email,
                    phone,
                }),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_row_decodes_without_panic_into_bounded_errors(row in row()) {
        if let Err(errors) = decode_row(&row, &REFERENCE, today()) {
            prop_assert!(!errors.is_empty());
            prop_assert!(errors.iter().count() <= MAX_FIELD_ERRORS);
            for error in &errors {
                prop_assert!(error.rule().len() <= MAX_RULE_BYTES, "{}", error.rule());
                prop_assert!(error.field().len() <= MAX_FIELD_BYTES, "{}", error.field());
                // A rule quotes a value cut: none runs on for long.
                prop_assert!(error.rule().chars().count() <= 200, "{}", error.rule());
            }
            let status = vte_wire::status::invalid_status(&errors);
            prop_assert!(status.message().len() + status.details().len() < 16 * 1024);
        }
    }

    #[test]
    fn a_rows_reference_is_kept_at_most_as_a_rejection_may_quote_it(row in row()) {
        let sent = row.school_student_ref.clone();
        let decoded = decode_rows(vec![row], &REFERENCE, today());
        prop_assert_eq!(decoded.len(), 1);
        prop_assert_eq!(&decoded[0].sent_ref, &vte_domain::echo(&sent));
        prop_assert!(decoded[0].sent_ref.chars().count() <= 64 + 32);
    }

    #[test]
    fn any_preferences_decode_without_panic_into_bounded_errors(preferences in preferences()) {
        if let Err(errors) = decode_preferences_on(Some(&preferences), &REFERENCE, today()) {
            prop_assert!(errors.iter().count() <= MAX_FIELD_ERRORS);
            let status = vte_wire::status::invalid_status(&errors);
            prop_assert!(status.message().len() + status.details().len() < 16 * 1024);
        }
    }

    #[test]
    fn the_wire_check_never_panics_on_any_bytes(bytes in vec(any::<u8>(), 0..4096)) {
        let mut errors = FieldErrors::new();
        check_shape(&bytes, &BATCH, "", &mut errors);
        prop_assert!(errors.iter().count() <= MAX_FIELD_ERRORS);
    }

    #[test]
    fn the_wire_check_never_refuses_a_request_within_the_limits(rows in vec(row(), 1..4)) {
        let request = PushProfilesBatchRequest {
            school_id: String::new(),
            rows,
        };
        let mut errors = FieldErrors::new();
        check_shape(&request.encode_to_vec(), &BATCH, "", &mut errors);
        prop_assert!(errors.is_empty(), "{}", errors);
    }
}
