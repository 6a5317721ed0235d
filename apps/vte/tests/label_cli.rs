//! `vte label` and `vte notifications`, run as the binary against the whole platform: a GEII
//! graduate of Rodez imported by CSV is hired on an offer in Decazeville published from TOML,
//! the company requests the label, and Bpifrance grants it from the command line, which prints
//! a summary of the decision (not a debug dump). The company then lists its notifications with
//! `vte notifications`, newest first, in the order the API gives them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use vte::platform::{Platform, PlatformOptions};
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{GiveConsentRequest, ListProfilesRequest};
use vte_proto::vte::notifications::v1::ListNotificationsRequest;
use vte_proto::vte::notifications::v1::notifications_service_client::NotificationsServiceClient;
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_proto::vte::offers::v1::{
    AcceptApplicationRequest, AcknowledgeLabelCharterRequest, ApplyRequest, RequestLabelRequest,
};
use vte_service::auth::Caller;

const PATIENCE: Duration = Duration::from_secs(60);
const SIREN: &str = "552100554";

/// Runs the `vte` binary against `platform`; its success, stdout and stderr.
async fn vte(platform: &Platform, args: &[&str]) -> (bool, String, String) {
    let url = |name: &str| platform.endpoint(name).unwrap().url();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_vte"))
        .env("VTE_OFFERS_URL", url("offers"))
        .env("VTE_CANDIDATES_URL", url("candidates"))
        .env("VTE_MATCHING_URL", url("matching"))
        .env("VTE_NOTIFICATIONS_URL", url("notifications"))
        .env_remove("VTE_TOKEN")
        .env_remove("VTE_AUTH__HS256_SECRET")
        .args(args)
        .output()
        .await
        .expect("vte runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A GEII graduate of five months ago living in Rodez, seeking a CDI from today.
fn students_csv(today: chrono::NaiveDate) -> String {
    let graduated = today - chrono::Duration::days(150);
    format!(
        "school_student_ref,status,graduation_date,level,field_of_study,diploma,skills,\
         languages,home_insee_code,first_name,last_name,email,phone,mission_preferences,\
         radius_km,open_to_relocation,preferred_regions,contracts,available_from\n\
         IUT-RDZ-021,graduate,{graduated},bac+3,génie électrique et informatique industrielle,\
         BUT GEII,automatismes;Python,en:B2,12202,Inès,Costes,ines.costes@etudiant.example,,\
         TECHNOLOGIE:90,80,no,,CDI,{today}\n"
    )
}

/// A CDI in Decazeville (36 km from Rodez) for an automation technician, in two months.
fn offer_toml(today: chrono::NaiveDate) -> String {
    let start = today + chrono::Duration::days(60);
    format!(
        "title = \"Technicienne automatismes\"\n\
         description = \"Programmer et mettre au point les automates d'une ligne de découpe.\"\n\
         mission = \"TECHNOLOGIE\"\n\
         contract = \"CDI\"\n\
         min_level = 2\n\
         max_level = 5\n\
         fields_of_study = [\"GEII\"]\n\
         skills = [\"automatismes\"]\n\
         commune = \"12089\"\n\
         start_date = \"{start}\"\n\
         company_name = \"Forges du Lot\"\n\
         company_size = \"PME\"\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bpifrance_grants_a_label_from_the_command_line_and_the_company_reads_its_news_newest_first()
 {
    let mut options = PlatformOptions::new(vte_testbed::reference_dir());
    options.any_port = true;
    let platform = Platform::start(options).await.expect("the platform starts");
    let url = |name: &str| platform.endpoint(name).unwrap().url();
    let authed = |service: &str, caller: &Caller| {
        vte::cli::authed(&url(service), vte::platform::DEV_SECRET, caller).unwrap()
    };
    let files = tempfile::tempdir().unwrap();
    let today = chrono::Utc::now().date_naive();
    let (csv, toml) = (
        files.path().join("iut.csv"),
        files.path().join("offer.toml"),
    );
    std::fs::write(&csv, students_csv(today)).unwrap();
    std::fs::write(&toml, offer_toml(today)).unwrap();

    // The school imports the student, who consents; the company publishes its offer.
    let school_id = SchoolId::new();
    let (ok, _, said) = vte(
        &platform,
        &[
            "import-students",
            "--school",
            &school_id.to_string(),
            csv.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "{said}");
    let profiles =
        CandidatesServiceClient::new(authed("candidates", &Caller::School { school_id }))
            .list_profiles(ListProfilesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .profiles;
    let candidate_id = CandidateId::parse(&profiles[0].id).unwrap();
    let candidate = Caller::Candidate { candidate_id };
    CandidatesServiceClient::new(authed("candidates", &candidate))
        .give_consent(GiveConsentRequest {
            candidate_id: String::new(),
            terms_version: vte_candidates::DEFAULT_TERMS_VERSION.to_owned(),
        })
        .await
        .unwrap();
    let (ok, published, said) = vte(
        &platform,
        &["publish-offer", "--siren", SIREN, toml.to_str().unwrap()],
    )
    .await;
    assert!(ok, "{said}");
    let offer_id = published
        .lines()
        .find_map(|line| line.strip_prefix("offer "))
        .and_then(|rest| rest.split([' ', ':']).next())
        .unwrap_or_else(|| panic!("no offer id in {published}"))
        .to_owned();

    // The student applies (once the offers service has heard of the consent), is hired to
    // start in two weeks, acknowledges the charter; the company requests the label.
    let young_person = OffersServiceClient::new(authed("offers", &candidate));
    let application = vte_testbed::eventually("the application", PATIENCE, || {
        let (mut young_person, offer_id) = (young_person.clone(), offer_id.clone());
        async move {
            young_person
                .apply(ApplyRequest {
                    offer_id,
                    candidate_id: candidate_id.to_string(),
                    message: "Les automatismes de découpe m'intéressent.".to_owned(),
                })
                .await
                .ok()
                .and_then(|answer| answer.into_inner().application)
        }
    })
    .await;
    let company = Caller::Company {
        siren: Siren::parse(SIREN).unwrap(),
    };
    let mut offers = OffersServiceClient::new(authed("offers", &company));
    let start = today + chrono::Duration::days(14);
    let placement = offers
        .accept_application(AcceptApplicationRequest {
            application_id: application.id,
            contract_start_date: Some(vte_wire::date_to_proto(start)),
            duration_months: None,
            note: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .placement
        .unwrap();
    young_person
        .clone()
        .acknowledge_label_charter(AcknowledgeLabelCharterRequest {
            placement_id: placement.id.clone(),
        })
        .await
        .unwrap();
    offers
        .request_label(RequestLabelRequest {
            placement_id: placement.id.clone(),
            responsibilities: "Mettre en service les automates de la nouvelle ligne de découpe."
                .to_owned(),
            management_link: "Rattachée au directeur industriel.".to_owned(),
            charter_acknowledged: true,
        })
        .await
        .unwrap();

    // Bpifrance grants it from the command line: a summary, not a debug dump.
    let (ok, granted, said) = vte(&platform, &["label", &placement.id, "--grant"]).await;
    assert!(ok, "{said}");
    assert!(
        granted.starts_with(&format!("Label granted for placement {}\n", placement.id)),
        "{granted}"
    );
    assert!(
        granted.contains(&format!(
            "  VTE:        « Technicienne automatismes » at Forges du Lot (SIREN {SIREN}), from \
             {start}\n"
        )),
        "{granted}"
    );
    assert!(
        granted
            .contains("  label now:  GRANTED (1 decision(s), 1 dossier version(s), 0 appeal(s))"),
        "{granted}"
    );
    assert!(
        !granted.contains('{') && !granted.contains("LabelDecision"),
        "{granted}"
    );
    assert!(granted.lines().count() <= 5, "{granted}");

    // The company's notifications: the CLI prints them in the API's order, newest first. Once
    // the grant's notification is there, compare while nothing new arrives.
    let notifications = NotificationsServiceClient::new(authed("notifications", &company));
    let api_titles = || {
        let mut notifications = notifications.clone();
        async move {
            notifications
                .list_notifications(ListNotificationsRequest::default())
                .await
                .unwrap()
                .into_inner()
                .notifications
                .into_iter()
                .map(|n| n.title)
                .collect::<Vec<String>>()
        }
    };
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let before = api_titles().await;
        let (ok, printed, said) = vte(
            &platform,
            &["notifications", "--as", "company", "--siren", SIREN],
        )
        .await;
        assert!(ok, "{said}");
        let after = api_titles().await;
        let granted_told = after.iter().any(|title| title == "Label VTE accordé");
        if before == after && granted_told && after.len() >= 3 {
            // Each notification's first line: the unread mark, its time, two spaces, its title.
            let cli: Vec<String> = printed
                .lines()
                .filter(|line| !line.starts_with("      "))
                .filter_map(|line| {
                    let after_mark = line.chars().skip(1).collect::<String>();
                    let (_, title) = after_mark.trim_start().split_once("  ")?;
                    Some(title.to_owned())
                })
                .collect();
            assert_eq!(
                cli, after,
                "newest first, as the API lists them:\n{printed}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the company's notifications: {after:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    platform.stop(Duration::from_secs(5)).await.unwrap();
}
