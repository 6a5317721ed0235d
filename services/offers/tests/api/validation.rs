//! Every rule of an offer's content, broken once: INVALID_ARGUMENT naming the field, every
//! violation of a request reported at once, and nothing changed nor emitted. A draft is checked
//! leniently (what is given must be valid); publishing, and updating a published offer, check
//! that everything required is there and that no date has passed.

use tonic::Code;
use vte_proto::vte::common::v1::{
    CefrLevel, CompanySize, ContractKind, Date, EducationLevel, LanguageSkill, MissionType,
    SalaryRange,
};
use vte_proto::vte::offers::v1::{
    CreateOfferRequest, ListOffersRequest, OfferSpec, OfferStatus, PublishOfferRequest,
    UpdateOfferRequest,
};

use crate::fixtures::{
    Answer, assert_code, assert_invalid, date, days_from_today, draft, euros, figeac_cdi,
    in_commune, offer, published,
};
use crate::harness::{Api, SIREN};

/// A rule and the spec that breaks it.
struct Broken {
    /// The field the refusal must name.
    field: &'static str,
    /// What is wrong, for the failure message.
    what: &'static str,
    spec: OfferSpec,
}

fn broken(field: &'static str, what: &'static str, spec: OfferSpec) -> Broken {
    Broken { field, what, spec }
}

fn language(code: &str, level: CefrLevel) -> LanguageSkill {
    LanguageSkill {
        language: code.to_owned(),
        level: level as i32,
    }
}

/// The rules a draft must already keep: every part given is valid.
fn draft_rules() -> Vec<Broken> {
    let valid = figeac_cdi;
    let start = days_from_today(90);
    vec![
        broken("spec", "no spec at all", OfferSpec::default()),
        broken(
            "spec.title",
            "a title of 121 characters",
            OfferSpec {
                title: "x".repeat(121),
                ..valid()
            },
        ),
        broken(
            "spec.description",
            "a description of 8,001 characters",
            OfferSpec {
                description: "x".repeat(8_001),
                ..valid()
            },
        ),
        broken(
            "spec.secondary_mission_type",
            "a secondary mission type equal to the primary one",
            OfferSpec {
                secondary_mission_type: MissionType::Technologie as i32,
                ..valid()
            },
        ),
        broken(
            "spec.primary_mission_type",
            "a mission type number the contract does not have",
            OfferSpec {
                primary_mission_type: 99,
                ..valid()
            },
        ),
        broken(
            "spec.duration_months",
            "a CDD of 6 months",
            OfferSpec {
                contract_kind: ContractKind::Cdd as i32,
                duration_months: Some(6),
                ..valid()
            },
        ),
        broken(
            "spec.duration_months",
            "a work-study contract of 61 months",
            OfferSpec {
                contract_kind: ContractKind::WorkStudy as i32,
                duration_months: Some(61),
                ..valid()
            },
        ),
        broken(
            "spec.duration_months",
            "a CDI with a duration",
            OfferSpec {
                duration_months: Some(12),
                ..valid()
            },
        ),
        broken(
            "spec.min_level",
            "bac+7, above the VTE's bac+5",
            OfferSpec {
                min_level: 7,
                max_level: 7,
                ..valid()
            },
        ),
        broken(
            "spec.max_level",
            "a minimum level above the maximum",
            OfferSpec {
                min_level: EducationLevel::Bac5 as i32,
                max_level: EducationLevel::Bac3 as i32,
                ..valid()
            },
        ),
        broken(
            "spec.fields_of_study",
            "11 fields of study",
            OfferSpec {
                fields_of_study: (0..11).map(|i| format!("domaine {i}")).collect(),
                ..valid()
            },
        ),
        broken(
            "spec.skills",
            "31 skills",
            OfferSpec {
                skills: (0..31).map(|i| format!("compétence {i}")).collect(),
                ..valid()
            },
        ),
        broken(
            "spec.skills[1]",
            "a skill of 61 characters",
            OfferSpec {
                skills: vec!["SolidWorks".to_owned(), "x".repeat(61)],
                ..valid()
            },
        ),
        broken(
            "spec.skills",
            "100,000 skills (refused whole, not one error per entry)",
            OfferSpec {
                skills: vec!["x".to_owned(); 100_000],
                ..valid()
            },
        ),
        broken(
            "spec.start_date",
            "a start date in 1900",
            OfferSpec {
                start_date: Some(Date {
                    year: 1900,
                    month: 9,
                    day: 1,
                }),
                application_deadline: None,
                ..valid()
            },
        ),
        broken(
            "spec.application_deadline",
            "a deadline in 2100",
            OfferSpec {
                application_deadline: Some(Date {
                    year: 2100,
                    month: 1,
                    day: 1,
                }),
                ..valid()
            },
        ),
        broken(
            "spec.languages[1].language",
            "English twice",
            OfferSpec {
                languages: vec![language("en", CefrLevel::B2), language("en", CefrLevel::C1)],
                ..valid()
            },
        ),
        broken(
            "spec.languages[0].language",
            "a language that is not an ISO 639-1 code",
            OfferSpec {
                languages: vec![language("english", CefrLevel::B2)],
                ..valid()
            },
        ),
        broken(
            "spec.languages[0].level",
            "a language without its level",
            OfferSpec {
                languages: vec![language("de", CefrLevel::Unspecified)],
                ..valid()
            },
        ),
        broken(
            "spec.location.insee_code",
            "the unknown commune 99999",
            in_commune(valid(), "99999"),
        ),
        broken(
            "spec.salary.max",
            "a minimum salary above the maximum",
            OfferSpec {
                salary: Some(SalaryRange {
                    min: Some(euros(50_000)),
                    max: Some(euros(40_000)),
                }),
                ..valid()
            },
        ),
        broken(
            "spec.salary.min.currency",
            "a salary in dollars",
            OfferSpec {
                salary: Some(SalaryRange {
                    min: Some(vte_proto::vte::common::v1::Money {
                        amount_cents: 3_600_000,
                        currency: "USD".to_owned(),
                    }),
                    max: Some(euros(42_000)),
                }),
                ..valid()
            },
        ),
        broken(
            "spec.positions",
            "51 positions",
            OfferSpec {
                positions: 51,
                ..valid()
            },
        ),
        broken(
            "spec.application_deadline",
            "a deadline after the start date",
            OfferSpec {
                start_date: Some(date(start)),
                application_deadline: Some(date(start + chrono::Duration::days(1))),
                ..valid()
            },
        ),
        broken(
            "spec.start_date",
            "a date the calendar lacks",
            OfferSpec {
                start_date: Some(Date {
                    year: 2030,
                    month: 2,
                    day: 30,
                }),
                ..valid()
            },
        ),
        broken(
            "spec.company_name",
            "a company name of 201 characters",
            OfferSpec {
                company_name: "x".repeat(201),
                ..valid()
            },
        ),
    ]
}

/// The rules a draft may still break, but publishing may not.
fn publication_rules() -> Vec<Broken> {
    let valid = figeac_cdi;
    vec![
        broken(
            "spec.positions",
            "0 positions",
            OfferSpec {
                positions: 0,
                ..valid()
            },
        ),
        broken(
            "spec.start_date",
            "a start date in the past",
            OfferSpec {
                start_date: Some(date(days_from_today(-2))),
                ..valid()
            },
        ),
        broken(
            "spec.application_deadline",
            "an application deadline in the past",
            OfferSpec {
                application_deadline: Some(date(days_from_today(-2))),
                ..valid()
            },
        ),
        broken(
            "spec.duration_months",
            "a CDD without its duration",
            OfferSpec {
                contract_kind: ContractKind::Cdd as i32,
                duration_months: None,
                ..valid()
            },
        ),
        broken(
            "spec.title",
            "no title",
            OfferSpec {
                title: String::new(),
                ..valid()
            },
        ),
        broken(
            "spec.company_size",
            "no company size (a large group has none)",
            OfferSpec {
                company_size: CompanySize::Unspecified as i32,
                ..valid()
            },
        ),
        broken(
            "spec.location.insee_code",
            "no workplace",
            OfferSpec {
                location: None,
                ..valid()
            },
        ),
    ]
}

fn create(spec: OfferSpec) -> CreateOfferRequest {
    CreateOfferRequest {
        company_siren: String::new(),
        spec: Some(spec),
    }
}

fn list_own() -> ListOffersRequest {
    ListOffersRequest {
        company_siren: SIREN.to_owned(),
        statuses: Vec::new(),
        page: None,
    }
}

#[tokio::test]
async fn a_draft_breaking_any_rule_is_refused_naming_the_field_and_nothing_is_kept_nor_emitted() {
    let api = Api::start().await;
    let mut log = api.events();
    let company = api.owner();

    for rule in draft_rules() {
        let refusal = company
            .clone()
            .create_offer(CreateOfferRequest {
                spec: (rule.field != "spec").then_some(rule.spec),
                ..create(OfferSpec::default())
            })
            .await;
        let Err(refusal) = refusal else {
            panic!("{} was accepted", rule.what);
        };
        assert_invalid(&refusal, &[rule.field]);
    }

    let kept = company
        .clone()
        .list_offers(list_own())
        .await
        .answer()
        .offers;
    assert!(kept.is_empty(), "{kept:?}");
    assert!(log.new_events().await.is_empty());
}

#[tokio::test]
async fn every_violation_of_a_draft_is_reported_at_once() {
    let api = Api::start().await;
    let start = days_from_today(90);
    let spec = OfferSpec {
        title: "x".repeat(121),
        secondary_mission_type: MissionType::Technologie as i32,
        contract_kind: ContractKind::Cdd as i32,
        duration_months: Some(6),
        min_level: EducationLevel::Bac5 as i32,
        max_level: EducationLevel::Bac3 as i32,
        languages: vec![language("en", CefrLevel::B2), language("en", CefrLevel::C1)],
        salary: Some(SalaryRange {
            min: Some(euros(50_000)),
            max: Some(euros(40_000)),
        }),
        positions: 51,
        start_date: Some(date(start)),
        application_deadline: Some(date(start + chrono::Duration::days(1))),
        ..in_commune(figeac_cdi(), "99999")
    };

    let refusal = api.owner().create_offer(create(spec)).await.refusal();

    assert_invalid(
        &refusal,
        &[
            "spec.title",
            "spec.secondary_mission_type",
            "spec.duration_months",
            "spec.max_level",
            "spec.languages[1].language",
            "spec.location.insee_code",
            "spec.salary.max",
            "spec.positions",
            "spec.application_deadline",
        ],
    );
}

#[tokio::test]
async fn publishing_a_draft_that_breaks_a_rule_is_refused_naming_the_field_and_changes_nothing() {
    let api = Api::start().await;
    let mut log = api.events();
    let company = api.owner();

    for rule in publication_rules() {
        let kept = draft(&company, rule.spec).await;
        log.new_events().await;

        let refusal = company
            .clone()
            .publish_offer(PublishOfferRequest {
                offer_id: kept.id.clone(),
                expected_revision: 0,
            })
            .await;
        let Err(refusal) = refusal else {
            panic!("a draft with {} was published", rule.what);
        };

        assert_invalid(&refusal, &[rule.field]);
        let after = offer(&company, &kept.id).await;
        assert_eq!(after.status, OfferStatus::Draft as i32, "{}", rule.what);
        assert_eq!(after.revision, kept.revision, "{}", rule.what);
        assert!(
            api.outbox().await.is_empty(),
            "{}: an event was committed",
            rule.what
        );
        assert!(log.new_events().await.is_empty(), "{}", rule.what);
    }
}

#[tokio::test]
async fn every_violation_at_publication_is_reported_at_once() {
    let api = Api::start().await;
    let company = api.owner();
    let incomplete = draft(
        &company,
        OfferSpec {
            positions: 0,
            start_date: Some(date(days_from_today(-2))),
            company_size: CompanySize::Unspecified as i32,
            ..figeac_cdi()
        },
    )
    .await;

    let refusal = company
        .clone()
        .publish_offer(PublishOfferRequest {
            offer_id: incomplete.id,
            expected_revision: 0,
        })
        .await
        .refusal();

    assert_invalid(
        &refusal,
        &["spec.positions", "spec.start_date", "spec.company_size"],
    );
}

#[tokio::test]
async fn an_update_that_breaks_a_rule_leaves_the_published_offer_as_it_was() {
    let api = Api::start().await;
    let mut log = api.events();
    let company = api.owner();
    let before = published(&company, figeac_cdi()).await;
    log.new_events().await;

    let refusal = company
        .clone()
        .update_offer(UpdateOfferRequest {
            offer_id: before.id.clone(),
            spec: Some(OfferSpec {
                title: "Ingénieure méthodes".to_owned(),
                start_date: Some(date(days_from_today(-2))),
                ..figeac_cdi()
            }),
            expected_revision: before.revision,
        })
        .await
        .refusal();

    assert_invalid(&refusal, &["spec.start_date"]);
    let after = offer(&company, &before.id).await;
    assert_eq!(after.revision, before.revision);
    assert_eq!(after.spec, before.spec);
    assert!(log.new_events().await.is_empty());
}

#[tokio::test]
async fn an_update_against_a_stale_revision_is_a_failed_precondition() {
    let api = Api::start().await;
    let company = api.owner();
    let before = draft(&company, figeac_cdi()).await;
    let update = |revision| UpdateOfferRequest {
        offer_id: before.id.clone(),
        spec: Some(figeac_cdi()),
        expected_revision: revision,
    };
    company
        .clone()
        .update_offer(update(before.revision))
        .await
        .answer();

    let stale = company
        .clone()
        .update_offer(update(before.revision))
        .await
        .refusal();

    assert_code(&stale, Code::FailedPrecondition);
}
