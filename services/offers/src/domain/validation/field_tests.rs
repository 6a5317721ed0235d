#![allow(clippy::unwrap_used)]

use super::tests::{fields, money, only_violation, publish, violation};
use super::*;
use crate::domain::spec::{NewLanguage, NewMoney, NewSalaryRange};
use crate::domain::testing::{figeac_cdi, reference, today};

#[test]
fn the_title_has_at_most_120_characters() {
    let fits = NewOffer {
        title: "é".repeat(120),
        ..figeac_cdi()
    };
    assert!(publish(&fits).is_ok());
    let (field, rule) = only_violation(NewOffer {
        title: "é".repeat(121),
        ..figeac_cdi()
    });
    assert_eq!(
        (field.as_str(), rule.as_str()),
        ("spec.title", "must be at most 120 characters, got 121")
    );
}

#[test]
fn the_description_has_at_most_8000_characters() {
    assert_eq!(
        only_violation(NewOffer {
            description: "a".repeat(8001),
            ..figeac_cdi()
        }),
        violation(
            "spec.description",
            "must be at most 8000 characters, got 8001"
        )
    );
}

#[test]
fn an_unknown_mission_type_is_rejected() {
    let (field, rule) = only_violation(NewOffer {
        primary_mission_type: "SALES".to_owned(),
        ..figeac_cdi()
    });
    assert_eq!(field, "spec.primary_mission_type");
    assert!(rule.starts_with("must be one of BRAS_DROIT"));
}

#[test]
fn the_secondary_mission_type_differs_from_the_primary() {
    assert_eq!(
        only_violation(NewOffer {
            secondary_mission_type: "TECHNOLOGIE".to_owned(),
            ..figeac_cdi()
        }),
        violation(
            "spec.secondary_mission_type",
            "must differ from the primary mission type (TECHNOLOGIE)"
        )
    );
    let without = NewOffer {
        secondary_mission_type: String::new(),
        ..figeac_cdi()
    };
    assert_eq!(publish(&without).unwrap().secondary_mission_type, None);
}

#[test]
fn contracts_follow_the_vte_duration_rules() {
    let contract = |kind: &str, months: Option<u32>| NewOffer {
        contract_kind: kind.to_owned(),
        duration_months: months,
        ..figeac_cdi()
    };
    assert!(publish(&contract("CDD", Some(12))).is_ok());
    assert!(publish(&contract("WORK_STUDY", Some(24))).is_ok());
    assert_eq!(
        only_violation(contract("CDD", Some(6))),
        violation(
            "spec.duration_months",
            "a CDD must last at least 12 months for a VTE, got 6"
        )
    );
    assert_eq!(
        only_violation(contract("CDI", Some(12))),
        violation(
            "spec.duration_months",
            "a CDI has no end: leave its duration empty"
        )
    );
    assert_eq!(
        only_violation(contract("WORK_STUDY", None)).0,
        "spec.duration_months"
    );
    assert_eq!(
        only_violation(contract("CDD", Some(70_000))),
        violation("spec.duration_months", "must be 12 to 60 months, got 70000")
    );
    assert_eq!(
        only_violation(contract("INTERIM", None)).0,
        "spec.contract_kind"
    );
}

#[test]
fn levels_are_bac2_to_bac5_with_the_lowest_not_above_the_highest() {
    let levels = |min, max| NewOffer {
        min_level: min,
        max_level: max,
        ..figeac_cdi()
    };
    assert!(publish(&levels(2, 2)).is_ok());
    assert_eq!(
        only_violation(levels(1, 3)),
        violation("spec.min_level", "the VTE is for bac+2 to bac+5, got bac+1")
    );
    assert_eq!(
        only_violation(levels(4, 3)),
        violation(
            "spec.max_level",
            "the lowest level (bac+4) must not be above the highest (bac+3)"
        )
    );
    assert_eq!(only_violation(levels(2, -1)).0, "spec.max_level");
}

#[test]
fn fields_of_study_are_at_most_ten_of_at_most_80_characters() {
    let errors = publish(&NewOffer {
        fields_of_study: (0..11).map(|i| format!("domaine {i}")).collect(),
        ..figeac_cdi()
    })
    .unwrap_err();
    assert_eq!(
        errors.to_string(),
        "spec.fields_of_study: must have at most 10 entries, got 11"
    );
    let errors = publish(&NewOffer {
        fields_of_study: vec!["mécanique".to_owned(), " ".to_owned(), "x".repeat(81)],
        ..figeac_cdi()
    })
    .unwrap_err();
    assert_eq!(
        errors.to_string(),
        "spec.fields_of_study[1]: must not be empty; \
         spec.fields_of_study[2]: must be at most 80 characters, got 81"
    );
}

#[test]
fn skills_are_at_most_thirty_of_at_most_60_characters() {
    let errors = publish(&NewOffer {
        skills: (0..31).map(|i| format!("skill {i}")).collect(),
        ..figeac_cdi()
    })
    .unwrap_err();
    assert_eq!(fields(&errors), ["spec.skills"]);
    assert_eq!(
        only_violation(NewOffer {
            skills: vec!["x".repeat(61)],
            ..figeac_cdi()
        }),
        violation("spec.skills[0]", "must be at most 60 characters, got 61")
    );
}

#[test]
fn languages_are_unique_known_and_each_with_a_cefr_level() {
    let language = |code: &str, level: &str| NewLanguage {
        language: code.to_owned(),
        level: level.to_owned(),
    };
    let errors = publish(&NewOffer {
        languages: vec![
            language("en", "B2"),
            language("EN", "C1"),
            language("xx", "B1"),
            language("de", "fluent"),
            language("it", ""),
        ],
        ..figeac_cdi()
    })
    .unwrap_err();
    assert_eq!(
        errors.to_string(),
        "spec.languages[1].language: en is already listed at languages[0]: one entry per \
         language; \
         spec.languages[2].language: xx is not an ISO 639-1 language code; \
         spec.languages[3].level: must be a CEFR level: A1, A2, B1, B2, C1 or C2; \
         spec.languages[4].level: is required: the minimum CEFR level"
    );
    let eleven = [
        "en", "de", "es", "it", "pt", "nl", "pl", "ro", "sv", "fi", "da",
    ];
    let errors = publish(&NewOffer {
        languages: eleven.iter().map(|code| language(code, "B1")).collect(),
        ..figeac_cdi()
    })
    .unwrap_err();
    assert_eq!(fields(&errors), ["spec.languages"]);
}

#[test]
fn the_workplace_is_a_commune_of_the_reference_data() {
    assert_eq!(
        only_violation(NewOffer {
            insee_code: "46999".to_owned(),
            ..figeac_cdi()
        }),
        violation(
            "spec.location.insee_code",
            "no commune with INSEE code 46999"
        )
    );
    let toulouse = NewOffer {
        insee_code: "31555".to_owned(),
        ..figeac_cdi()
    };
    assert_eq!(
        publish(&toulouse)
            .unwrap()
            .location
            .territory_in(vte_domain::Programme::Ti2023_2027),
        None
    );
}

#[test]
fn the_remote_policy_is_one_of_the_three() {
    assert_eq!(
        only_violation(NewOffer {
            remote_policy: "FULL_REMOTE".to_owned(),
            ..figeac_cdi()
        }),
        violation(
            "spec.remote_policy",
            "must be one of ON_SITE, HYBRID, MOSTLY_REMOTE"
        )
    );
}

#[test]
fn a_salary_range_is_positive_in_euros_and_in_order() {
    let salary = |min, max| NewOffer {
        salary: Some(NewSalaryRange { min, max }),
        ..figeac_cdi()
    };
    assert_eq!(publish(&salary(None, None)).unwrap().salary, None);
    assert_eq!(
        only_violation(salary(money(4_000_000), money(3_000_000))),
        violation(
            "spec.salary.max",
            "must not be below the minimum (40000 EUR), got 30000 EUR"
        )
    );
    assert_eq!(
        only_violation(salary(money(3_000_000), None)),
        violation(
            "spec.salary.max",
            "is required when a salary range is given"
        )
    );
    let errors = publish(&salary(
        money(-1),
        Some(NewMoney {
            amount_cents: 3_000_000,
            currency: "USD".to_owned(),
        }),
    ))
    .unwrap_err();
    assert_eq!(
        errors.to_string(),
        "spec.salary.min.amount_cents: must be a gross annual salary above zero, in euro cents, \
         got -1; spec.salary.max.currency: must be EUR (or empty for EUR), got \"USD\""
    );
}

#[test]
fn an_offer_opens_one_to_fifty_positions() {
    assert_eq!(
        only_violation(NewOffer {
            positions: 51,
            ..figeac_cdi()
        }),
        violation("spec.positions", "must be 1 to 50, got 51")
    );
    assert_eq!(
        only_violation(NewOffer {
            positions: 0,
            ..figeac_cdi()
        }),
        violation("spec.positions", "is required to publish the offer")
    );
}

#[test]
fn the_start_date_is_today_or_later_at_publication() {
    let starting = |raw: RawDate| NewOffer {
        start_date: Some(raw),
        application_deadline: None,
        ..figeac_cdi()
    };
    assert!(publish(&starting(RawDate::from(today()))).is_ok());
    assert_eq!(
        only_violation(starting(RawDate::new(2026, 3, 1))),
        violation(
            "spec.start_date",
            "must be today (2026-03-02) or later, got 2026-03-01"
        )
    );
    assert_eq!(
        only_violation(starting(RawDate::new(2026, 2, 30))),
        violation(
            "spec.start_date",
            "2026-02-30 is not a date of the calendar"
        )
    );
}

#[test]
fn the_deadline_is_on_or_before_the_start_and_not_past() {
    let deadline = |raw: Option<RawDate>| NewOffer {
        application_deadline: raw,
        ..figeac_cdi()
    };
    assert!(publish(&deadline(None)).is_ok());
    assert!(publish(&deadline(Some(RawDate::new(2026, 9, 1)))).is_ok());
    assert_eq!(
        only_violation(deadline(Some(RawDate::new(2026, 9, 2)))),
        violation(
            "spec.application_deadline",
            "must be on or before the start date (2026-09-01), got 2026-09-02"
        )
    );
    assert_eq!(
        only_violation(deadline(Some(RawDate::new(2026, 3, 1)))),
        violation(
            "spec.application_deadline",
            "must be today (2026-03-02) or later, got 2026-03-01"
        )
    );
    let late = deadline(Some(RawDate::new(2026, 9, 2)));
    assert!(validate_draft(&late, reference()).is_err());
}

#[test]
fn the_company_is_named_and_eligible_by_size() {
    assert_eq!(
        only_violation(NewOffer {
            company_name: "x".repeat(201),
            ..figeac_cdi()
        }),
        violation(
            "spec.company_name",
            "must be at most 200 characters, got 201"
        )
    );
    assert_eq!(
        only_violation(NewOffer {
            company_size: "GE".to_owned(),
            ..figeac_cdi()
        }),
        violation(
            "spec.company_size",
            "a large group is not eligible for the VTE: only TPE, PME and ETI are"
        )
    );
    for size in ["TPE", "PME", "ETI"] {
        let input = NewOffer {
            company_size: size.to_owned(),
            ..figeac_cdi()
        };
        assert!(publish(&input).is_ok(), "{size}");
    }
}
