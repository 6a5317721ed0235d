//! The bad-input corpus: well over sixty kinds of bad request across the four services (sizes,
//! counts, encodings, dates, enum numbers, ids, other tenants' objects, each role's forbidden
//! calls), each answered with the code the contract gives it (INVALID_ARGUMENT,
//! PERMISSION_DENIED or NOT_FOUND) in a reply under 64 KiB; and after all of them, not one row
//! more or less in any table of any service and not one event published.
//!
//! One table per service (`bad_input_corpus/<service>.rs`, offers' hiring calls in
//! `hiring.rs`, its invitations to apply in `invitations.rs` and its label steps in
//! `labels.rs`), each case a name, a call, the codes allowed and, for most refusals of input,
//! the field it must name; the cases run one after the other on one platform, against a few
//! real targets (a draft and published offers of one company, a student of one school, a
//! pending invitation of a consenting student, a placement whose label is requested).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "bad_input_corpus/case.rs"]
#[macro_use]
mod case;

#[path = "bad_input_corpus/bed.rs"]
mod bed;
#[path = "bad_input_corpus/candidates.rs"]
mod candidates;
#[path = "../../services/offers/tests/api/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
#[path = "bad_input_corpus/hiring.rs"]
mod hiring;
#[path = "bad_input_corpus/invitations.rs"]
mod invitations;
#[path = "bad_input_corpus/labels.rs"]
mod labels;
#[path = "bad_input_corpus/matching.rs"]
mod matching;
#[path = "bad_input_corpus/notifications.rs"]
mod notifications;
#[path = "bad_input_corpus/offers.rs"]
mod offers;

/// What the offers fixtures call their client.
mod harness {
    pub type Client = crate::bed::Offers;
}

use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::{
    AcademicStatus, Contact, GetProfileRequest, ProfileRow, PushProfilesBatchRequest,
    SchoolStudentRef, get_profile_request,
};
use vte_proto::vte::common::v1::{Date, EducationLevel, PageRequest};
use vte_proto::vte::offers::v1::{ListOffersRequest, SearchOffersRequest};
use vte_testbed::{PATIENCE, eventually};

use bed::{Bed, SIREN, company};
use fixtures::{draft, figeac_cdi, published};

/// Pushes one student of `school` and waits until the offers service knows them.
async fn pushed_student(bed: &Bed, school: SchoolId) -> CandidateId {
    let mut schools = bed.candidates(&bed::school(school));
    let row = ProfileRow {
        school_student_ref: "ETU-2026-042".to_owned(),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(Date {
            year: 2025,
            month: 6,
            day: 30,
        }),
        level: EducationLevel::Bac5 as i32,
        field_of_study: "génie mécanique".to_owned(),
        diploma: "Diplôme d'ingénieur".to_owned(),
        home_insee_code: "31555".to_owned(),
        contact: Some(Contact {
            first_name: "Jeanne".to_owned(),
            last_name: "Martin".to_owned(),
            email: "jeanne.martin@example.fr".to_owned(),
            ..Contact::default()
        }),
        ..ProfileRow::default()
    };
    schools
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: vec![row],
        })
        .await
        .unwrap();
    let profile = schools
        .get_profile(GetProfileRequest {
            key: Some(get_profile_request::Key::SchoolRef(SchoolStudentRef {
                school_id: school.to_string(),
                school_student_ref: "ETU-2026-042".to_owned(),
            })),
        })
        .await
        .unwrap()
        .into_inner()
        .profile
        .unwrap();
    let student = CandidateId::parse(&profile.id).unwrap();
    let pool = bed.offers.pool();
    eventually(
        "the offers service to learn of the student",
        PATIENCE,
        || async move {
            let known: Option<i64> =
                sqlx::query_scalar("SELECT count(*) FROM candidates WHERE id = $1")
                    .bind(student.as_uuid())
                    .fetch_optional(pool)
                    .await
                    .ok()?;
            (known == Some(1)).then_some(())
        },
    )
    .await;
    student
}

/// The token of a list's second page, one item a page.
fn second_page(token: Option<vte_proto::vte::common::v1::PageResponse>) -> String {
    let token = token.expect("a page").next_page_token;
    assert!(!token.is_empty(), "the list has a second page");
    token
}

#[tokio::test]
async fn every_bad_request_is_refused_as_the_contract_says_briefly_and_changes_nothing() {
    let bed = Bed::start().await;
    let school = SchoolId::new();
    let student = pushed_student(&bed, school).await;
    let owner = bed.offers(&company(SIREN));
    let a_draft = draft(&owner, figeac_cdi()).await;
    let a_published = published(&owner, figeac_cdi()).await;
    published(&owner, figeac_cdi()).await;
    let one = Some(PageRequest {
        page_size: 1,
        page_token: String::new(),
    });
    let list_token = owner
        .clone()
        .list_offers(ListOffersRequest {
            page: one.clone(),
            ..ListOffersRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .page;
    let search_token = bed
        .offers(&vte_service::auth::Caller::Site)
        .search_offers(SearchOffersRequest {
            page: one,
            ..SearchOffersRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .page;
    let targets = offers::Targets {
        draft: a_draft.id,
        published: a_published.id.clone(),
        list_token: second_page(list_token),
        search_token: second_page(search_token),
        school,
        student,
    };
    let invited = invitations::Invited::set_up(&bed).await;
    let labelled = labels::Labelled::set_up(&bed).await;

    let mut readers = bed.readers();
    for (_, reader) in &mut readers {
        reader.new_records().await;
    }
    let before = bed.settled_rows().await;

    let mut cases = offers::cases(&bed, &targets);
    cases.extend(hiring::cases(&bed, &targets));
    cases.extend(invitations::cases(&bed, &targets, &invited));
    cases.extend(labels::cases(&bed, &labelled));
    cases.extend(candidates::cases(&bed, school, student));
    cases.extend(matching::cases(&bed, &a_published.id, student));
    cases.extend(notifications::cases(&bed));
    assert!(cases.len() >= 60, "the corpus holds {} cases", cases.len());
    let wrong = case::run(cases).await;

    let after = bed.rows().await;
    let changed: Vec<String> = after
        .iter()
        .filter(|(table, count)| before.get(*table) != Some(*count))
        .map(|(table, count)| format!("{table}: {:?} -> {count}", before.get(table)))
        .collect();
    let mut published = Vec::new();
    for (service, reader) in &mut readers {
        for record in reader.new_records().await {
            published.push(format!("{service}: {} key {}", record.topic, record.key));
        }
    }
    assert!(
        wrong.is_empty() && changed.is_empty() && published.is_empty(),
        "cases answered wrongly:\n{}\n\nrows changed: {changed:#?}\n\nevents published: \
         {published:#?}",
        wrong.join("\n"),
    );
}
