//! kill -9 of `vte up` loses nothing a caller was told was done: the embedded broker dies with
//! the process, so the outboxes keep what the consumer groups have not committed past and the
//! next run on the same data directory publishes it again; consumers skip what they had already
//! handled, so each fact is recorded once. The binary itself runs, is killed and restarted.
//!
//! One duplicate is not the backbone's: an email the mail catcher accepted just before the kill,
//! whose delivery the notifications worker had not yet recorded, is sent again when its lease
//! runs out (at-least-once at the SMTP edge, with a random Message-ID that no relay can use to
//! drop the second copy). The 1,000-profile test tells those apart and names them.
//!
//! Ports: `--port-offset` 12500 and 12600 (see up.rs: outside Linux's ephemeral range).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::process::{Child, Command};
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, Contact, GiveConsentRequest, ListProfilesRequest, Preferences, ProfileRow,
    PushProfilesBatchRequest,
};
use vte_proto::vte::common::v1::{
    CefrLevel, ContractKind, Date, EducationLevel, LanguageSkill, PageRequest,
};
use vte_proto::vte::notifications::v1::notifications_service_client::NotificationsServiceClient;
use vte_proto::vte::notifications::v1::{ListNotificationsRequest, NotificationKind};
use vte_service::auth::Caller;

/// A debug build starting PostgreSQL and four services takes its time.
const START_PATIENCE: Duration = Duration::from_secs(180);
/// How long the restarted platform may take to catch up on what the crash interrupted.
const CATCH_UP: Duration = Duration::from_secs(180);
const READY: &str = "Stop with Ctrl-C.";

/// A running `vte up` on a data directory, and what it printed.
struct Up {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Up {
    async fn start(data_dir: &Path, port_offset: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vte"))
            .arg("up")
            .arg("--rules-dir")
            .arg(vte_rules::repository_rules_dir())
            .arg("--reference-dir")
            .arg(vte_testbed::reference_dir())
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--port-offset", port_offset])
            .env("RUST_LOG", "warn")
            // A delivery the killed run had claimed but not sent is taken up again when its
            // lease runs out: 15 s here rather than the default 120 s, still far above a send.
            .env("VTE_NOTIFICATIONS__WORKER__LEASE_SECS", "15")
            .env_remove("DATABASE_URL")
            .env_remove("KAFKA_BROKERS")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("vte up starts");
        let stdout = support::collect(child.stdout.take().unwrap());
        let stderr = support::collect(child.stderr.take().unwrap());
        let mut up = Self {
            child,
            stdout,
            stderr,
        };
        let deadline = tokio::time::Instant::now() + START_PATIENCE;
        while !up.stdout.lock().unwrap().contains(READY) {
            if let Ok(Some(status)) = up.child.try_wait() {
                panic!(
                    "vte up exited ({status}) before it was ready:\n{}",
                    up.said()
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "vte up not ready after {START_PATIENCE:?}:\n{}",
                up.said()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        up
    }

    fn said(&self) -> String {
        format!(
            "{}\n{}",
            self.stdout.lock().unwrap(),
            self.stderr.lock().unwrap()
        )
    }

    /// The URL the banner's `export` line gives `name`.
    fn exported(&self, name: &str) -> String {
        support::exported(&self.stdout.lock().unwrap(), name)
    }

    async fn kill_9(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }

    async fn stop(self) {
        let pid = i32::try_from(self.child.id().unwrap()).unwrap();
        let pid = rustix::process::Pid::from_raw(pid).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
        let mut child = self.child;
        let _ = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    }
}

fn authed(url: &str, caller: &Caller) -> vte::cli::Authed {
    vte::cli::authed(url, vte::platform::DEV_SECRET, caller).unwrap()
}

fn date(day: chrono::NaiveDate) -> Date {
    vte_wire::date_to_proto(day)
}

/// Student `n` of a school in Toulouse, graduated five months ago.
fn student(n: usize) -> ProfileRow {
    let today = chrono::Utc::now().date_naive();
    ProfileRow {
        school_student_ref: format!("INSA-{n:05}"),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(date(today - chrono::Duration::days(150))),
        level: EducationLevel::Bac5 as i32,
        field_of_study: "génie mécanique".to_owned(),
        diploma: "Diplôme d'ingénieur".to_owned(),
        skills: vec!["SolidWorks".to_owned()],
        languages: vec![LanguageSkill {
            language: "en".to_owned(),
            level: CefrLevel::B2 as i32,
        }],
        home_insee_code: "31555".to_owned(),
        preferences: Some(Preferences {
            mobility_radius_km: 100,
            contract_kinds_sought: vec![ContractKind::Cdi as i32],
            available_from: Some(date(today)),
            ..Preferences::default()
        }),
        contact: Some(Contact {
            candidate_id: String::new(),
            first_name: "Camille".to_owned(),
            last_name: format!("Etudiant{n}"),
            email: format!("etudiant{n}@insa-toulouse.example"),
            phone: String::new(),
        }),
    }
}

/// The school pushes `count` students in one call; returns their candidate ids.
async fn push(candidates_url: &str, school: &Caller, count: usize) -> Vec<CandidateId> {
    let mut client = CandidatesServiceClient::new(authed(candidates_url, school));
    let summary = client
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: (0..count).map(student).collect(),
        })
        .await
        .expect("the push is acknowledged")
        .into_inner()
        .summary
        .unwrap();
    assert_eq!(summary.counts.unwrap().created as usize, count);
    let mut ids = Vec::with_capacity(count);
    let mut token = String::new();
    loop {
        let page = client
            .list_profiles(ListProfilesRequest {
                page: Some(PageRequest {
                    page_size: 100,
                    page_token: token,
                }),
                ..ListProfilesRequest::default()
            })
            .await
            .unwrap()
            .into_inner();
        ids.extend(
            page.profiles
                .iter()
                .map(|profile| CandidateId::parse(&profile.id).unwrap()),
        );
        token = page
            .page
            .map(|page| page.next_page_token)
            .unwrap_or_default();
        if token.is_empty() {
            return ids;
        }
    }
}

/// The recipients of the emails in the mail catcher's directory, with how many each got.
fn recipients(mail: &Path) -> HashMap<String, usize> {
    let mut recipients = HashMap::new();
    let Ok(entries) = std::fs::read_dir(mail) else {
        return recipients;
    };
    for entry in entries {
        let message = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        let to = message
            .lines()
            .find_map(|line| line.strip_prefix("To: "))
            .map(|to| match (to.find('<'), to.rfind('>')) {
                (Some(start), Some(end)) if start < end => &to[start + 1..end],
                _ => to.trim(),
            });
        if let Some(to) = to {
            *recipients.entry(to.to_owned()).or_default() += 1;
        }
    }
    recipients
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_a_fifth_of_a_second_after_300_consents_loses_none_of_them() {
    let dir = support::data_dir();
    let up = Up::start(dir.path(), "12500").await;
    let candidates_url = up.exported("VTE_CANDIDATES_URL");
    let school = Caller::School {
        school_id: SchoolId::new(),
    };
    let students = push(&candidates_url, &school, 300).await;
    assert_eq!(students.len(), 300);
    for &candidate_id in &students {
        CandidatesServiceClient::new(authed(&candidates_url, &Caller::Candidate { candidate_id }))
            .give_consent(GiveConsentRequest {
                candidate_id: String::new(),
                terms_version: vte_candidates::DEFAULT_TERMS_VERSION.to_owned(),
            })
            .await
            .expect("the consent is acknowledged");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    up.kill_9().await;

    let up = Up::start(dir.path(), "12500").await;
    vte::cli::until_matchable(
        &up.exported("VTE_MATCHING_URL"),
        vte::platform::DEV_SECRET,
        &students,
        CATCH_UP,
    )
    .await
    .expect("matching knows every consenting student after the restart");
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_1_5_s_after_1000_profiles_loses_no_consent_email_and_records_each_once() {
    let dir = support::data_dir();
    let up = Up::start(dir.path(), "12700").await;
    let school = Caller::School {
        school_id: SchoolId::new(),
    };
    let students = push(&up.exported("VTE_CANDIDATES_URL"), &school, 1000).await;
    assert_eq!(students.len(), 1000);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    up.kill_9().await;
    let before = recipients(&dir.path().join("mail"));

    let up = Up::start(dir.path(), "12700").await;
    let mail = dir.path().join("mail");
    let deadline = tokio::time::Instant::now() + CATCH_UP;
    while recipients(&mail).len() < 1000 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of 1000 consent emails after {CATCH_UP:?} ({} before the crash)",
            recipients(&mail).len(),
            before.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = recipients(&mail);
    for n in 0..1000 {
        assert!(
            received.contains_key(&format!("etudiant{n}@insa-toulouse.example")),
            "no consent email for student {n}"
        );
    }
    // What was handled before the crash and published again after it is skipped: each student
    // has one consent request.
    let notifications_url = up.exported("VTE_NOTIFICATIONS_URL");
    for &candidate_id in &students {
        let listed = NotificationsServiceClient::new(authed(
            &notifications_url,
            &Caller::Candidate { candidate_id },
        ))
        .list_notifications(ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications;
        let requests = listed
            .iter()
            .filter(|n| n.kind == NotificationKind::ConsentRequested as i32)
            .count();
        assert_eq!(requests, 1, "consent requests of {candidate_id}");
    }
    // An email sent twice is one the mail catcher had accepted before the kill (the worker's
    // lease ran out on it), never one the replay caused.
    let twice: Vec<_> = received.iter().filter(|(_, n)| **n > 1).collect();
    for (to, _) in &twice {
        assert!(
            before.contains_key(*to),
            "{to} got a second email not in flight at the kill"
        );
    }
    if !twice.is_empty() {
        eprintln!("sent again after their lease ran out: {twice:?}");
    }
    up.stop().await;
}
