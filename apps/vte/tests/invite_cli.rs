//! `vte invite` end to end: the command-line client, run as its binary, against the whole
//! platform as `vte up` runs it. A school imports a student from a CSV file (`vte
//! import-students`), who consents; a company publishes an offer from a TOML file (`vte
//! publish-offer`) and invites the student (`vte invite`); both sides list the invitation (`vte
//! invite list`) and the student declines it (`vte invite decline`); refusals print the
//! service's message and fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use vte::platform::{Platform, PlatformOptions};
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{GiveConsentRequest, ListProfilesRequest};
use vte_service::auth::Caller;

const PATIENCE: Duration = Duration::from_secs(60);
const SIREN: &str = "552100554";

/// What one run of `vte` printed, and whether it succeeded.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs the `vte` binary with `args` against `platform`'s services, with development tokens.
async fn vte(platform: &Platform, args: &[&str]) -> Run {
    let url = |name: &str| platform.endpoint(name).unwrap().url();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_vte"))
        .args([
            "--offers",
            &url("offers"),
            "--candidates",
            &url("candidates"),
        ])
        .args(args)
        .env_remove("VTE_TOKEN")
        .env_remove("VTE_AUTH__HS256_SECRET")
        .output()
        .await
        .expect("vte runs");
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A GEII graduate of five months ago living in Rodez, seeking a CDI from today.
fn students_csv(today: chrono::NaiveDate) -> String {
    let graduated = today - chrono::Duration::days(150);
    format!(
        "school_student_ref,status,graduation_date,level,field_of_study,diploma,skills,\
         languages,home_insee_code,first_name,last_name,email,phone,mission_preferences,\
         radius_km,open_to_relocation,preferred_regions,contracts,available_from\n\
         IUT-RDZ-017,graduate,{graduated},bac+3,génie électrique et informatique industrielle,\
         BUT GEII,automatismes;Python,en:B2,12202,Lucas,Vidal,lucas.vidal@etudiant.example,,\
         TECHNOLOGIE:90,80,no,,CDI,{today}\n"
    )
}

/// A CDI in Decazeville (36 km from Rodez) for an automation technician, in two months.
fn offer_toml(today: chrono::NaiveDate) -> String {
    let start = today + chrono::Duration::days(60);
    format!(
        "title = \"Technicien automatismes\"\n\
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

/// The first whitespace-separated word after `prefix` on the line that starts with it.
fn word_after(text: &str, prefix: &str) -> String {
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{text}"));
    line.split([' ', ':']).next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_company_invites_from_the_command_line_and_the_student_lists_and_declines() {
    let mut options = PlatformOptions::new(vte_testbed::reference_dir());
    options.any_port = true;
    let platform = Platform::start(options).await.expect("the platform starts");
    let files = tempfile::tempdir().unwrap();
    let today = chrono::Utc::now().date_naive();
    let (csv, toml) = (
        files.path().join("iut.csv"),
        files.path().join("offer.toml"),
    );
    std::fs::write(&csv, students_csv(today)).unwrap();
    std::fs::write(&toml, offer_toml(today)).unwrap();

    // A school imports the student, who consents.
    let school_id = SchoolId::new();
    let school = school_id.to_string();
    let imported = vte(
        &platform,
        &[
            "import-students",
            "--school",
            &school,
            csv.to_str().unwrap(),
        ],
    )
    .await;
    assert!(imported.ok, "{}", imported.stderr);
    let candidates_url = platform.endpoint("candidates").unwrap().url();
    let authed = |caller: &Caller| {
        vte::cli::authed(&candidates_url, vte::platform::DEV_SECRET, caller).unwrap()
    };
    let profiles = CandidatesServiceClient::new(authed(&Caller::School { school_id }))
        .list_profiles(ListProfilesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .profiles;
    let candidate_id = CandidateId::parse(&profiles[0].id).unwrap();
    CandidatesServiceClient::new(authed(&Caller::Candidate { candidate_id }))
        .give_consent(GiveConsentRequest {
            candidate_id: String::new(),
            terms_version: vte_candidates::DEFAULT_TERMS_VERSION.to_owned(),
        })
        .await
        .unwrap();
    let candidate = candidate_id.to_string();

    // The company publishes its offer and invites the student, once the offers service has
    // heard of the student's profile and consent (FAILED_PRECONDITION until then).
    let published = vte(
        &platform,
        &["publish-offer", "--siren", SIREN, toml.to_str().unwrap()],
    )
    .await;
    assert!(published.ok, "{}", published.stderr);
    let offer = word_after(&published.stdout, "offer ");
    let message = "Votre BUT GEII nous intéresse pour notre ligne de Decazeville.";
    let invite = [
        "invite",
        &offer,
        &candidate,
        "--siren",
        SIREN,
        "--message",
        message,
    ];
    let sent = vte_testbed::eventually(
        "the offers service to accept the invitation",
        PATIENCE,
        || {
            let platform = &platform;
            async move {
                let run = vte(platform, &invite).await;
                assert!(
                    run.ok || run.stderr.contains("FailedPrecondition"),
                    "{}",
                    run.stderr
                );
                run.ok.then_some(run.stdout)
            }
        },
    )
    .await;
    let invitation = word_after(&sent, "invitation ");
    assert!(sent.contains(": pending"), "{sent}");
    assert!(
        sent.contains(&format!("offer       {offer} (company {SIREN})")),
        "{sent}"
    );
    assert!(sent.contains(&format!("message     {message}")), "{sent}");
    assert!(sent.contains("by the company"), "{sent}");

    // Both sides find it in their list; another company does not read the offer's.
    let by_offer = vte(
        &platform,
        &["invite", "list", "--offer", &offer, "--siren", SIREN],
    )
    .await;
    assert!(by_offer.ok, "{}", by_offer.stderr);
    assert!(
        by_offer.stdout.starts_with("1 invitation:\n"),
        "{}",
        by_offer.stdout
    );
    let row = by_offer.stdout.lines().nth(2).unwrap();
    assert!(
        row.starts_with(&invitation) && row.contains("pending"),
        "{row}"
    );
    assert!(
        row.contains(&candidate) && row.contains("Votre BUT GEII"),
        "{row}"
    );
    let mine = vte(&platform, &["invite", "list", "--candidate", &candidate]).await;
    assert!(
        mine.ok && mine.stdout.contains(&invitation),
        "{}{}",
        mine.stdout,
        mine.stderr
    );
    let other = vte(
        &platform,
        &["invite", "list", "--offer", &offer, "--siren", "732829320"],
    )
    .await;
    assert!(!other.ok, "{}", other.stdout);
    assert!(
        other.stderr.contains("PermissionDenied"),
        "{}",
        other.stderr
    );

    // The student declines; a second decline is refused with the service's reason.
    let reason = "J'ai accepté un poste à Rodez.";
    let decline = [
        "invite",
        "decline",
        &invitation,
        "--candidate",
        &candidate,
        "--reason",
        reason,
    ];
    let declined = vte(&platform, &decline).await;
    assert!(declined.ok, "{}", declined.stderr);
    assert!(
        declined.stdout.contains(": declined"),
        "{}",
        declined.stdout
    );
    assert!(
        declined.stdout.contains("by the candidate"),
        "{}",
        declined.stdout
    );
    assert!(
        declined.stdout.contains(&format!("reason      {reason}")),
        "{}",
        declined.stdout
    );
    let again = vte(&platform, &decline).await;
    assert!(!again.ok);
    assert!(
        again.stderr.contains("FailedPrecondition") && again.stderr.contains("not pending"),
        "{}",
        again.stderr
    );
    let after = vte(
        &platform,
        &["invite", "list", "--offer", &offer, "--siren", SIREN],
    )
    .await;
    assert!(
        after.stdout.lines().nth(2).unwrap().contains("declined"),
        "{}",
        after.stdout
    );
}
