//! `vte import-students`: a school's CSV file of students, streamed to
//! `CandidatesService.PushProfiles` in messages of 500 rows with a progress bar, and a per-row
//! error report naming the CSV line, the field and the rule.
//!
//! The file has a header row with these columns (the optional ones may be left empty):
//!
//! | column | example | |
//! |---|---|---|
//! | `school_student_ref` | `ETU-2026-0042` | required |
//! | `status` | `student` or `graduate` | required |
//! | `graduation_date` | `2026-06-30` | required |
//! | `level` | `bac+5` (or `5`) | required |
//! | `field_of_study`, `diploma` | `génie mécanique` | required |
//! | `skills` | `CAO;SolidWorks` | |
//! | `languages` | `en:B2;de:A2` | |
//! | `home_insee_code` | `31555` | required |
//! | `first_name`, `last_name`, `email` | | required for a new student |
//! | `phone` | `+33612345678` | |
//! | `mission_preferences` | `TECHNOLOGIE:90;FINANCE:40` | preferences, all optional |
//! | `radius_km` | `150` | |
//! | `open_to_relocation` | `yes`/`no` | |
//! | `preferred_regions` | `76;75` | |
//! | `contracts` | `CDI;CDD` or `WORK_STUDY` | |
//! | `available_from` | `2026-09-01` | |

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, Contact, MissionTypeWeight, Preferences, ProfileRow, PushProfilesRequest,
    PushSummary, push_profiles_response,
};
use vte_proto::vte::common::v1::{
    CefrLevel, ContractKind, Date, EducationLevel, LanguageSkill, MissionType,
};

use super::refusal;

/// Rows per message (the service's limit).
const ROWS_PER_MESSAGE: usize = 500;

/// One CSV line as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsvStudent {
    school_student_ref: String,
    status: String,
    graduation_date: String,
    level: String,
    field_of_study: String,
    diploma: String,
    skills: String,
    languages: String,
    home_insee_code: String,
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    mission_preferences: String,
    radius_km: String,
    open_to_relocation: String,
    preferred_regions: String,
    contracts: String,
    available_from: String,
}

/// A CSV line that could not even be turned into a row.
#[derive(Debug)]
pub struct LineError {
    pub line: u64,
    pub field: String,
    pub rule: String,
}

/// A CSV file read: the rows to push with their line numbers, and the lines refused here.
pub type CsvRead = (Vec<(u64, ProfileRow)>, Vec<LineError>);

/// Reads the file: the rows to push (with their CSV line numbers) and the lines refused here.
pub fn read_csv(path: &Path) -> anyhow::Result<CsvRead> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (index, record) in reader.deserialize::<CsvStudent>().enumerate() {
        let line = index as u64 + 2;
        match record {
            Ok(student) => match to_row(&student) {
                Ok(row) => rows.push((line, row)),
                Err((field, rule)) => errors.push(LineError { line, field, rule }),
            },
            Err(error) => errors.push(LineError {
                line,
                field: String::from("(line)"),
                rule: error.to_string(),
            }),
        }
    }
    Ok((rows, errors))
}

type Bad = (String, String);

fn bad(field: &str, rule: impl Into<String>) -> Bad {
    (field.to_owned(), rule.into())
}

fn to_row(s: &CsvStudent) -> Result<ProfileRow, Bad> {
    let status = match s.status.to_ascii_lowercase().as_str() {
        "student" | "etudiant" | "étudiant" => AcademicStatus::Student,
        "graduate" | "diplome" | "diplômé" => AcademicStatus::Graduate,
        "" => AcademicStatus::Unspecified,
        _ => return Err(bad("status", "must be student or graduate")),
    };
    let level = match s.level.to_ascii_lowercase().trim_start_matches("bac+") {
        "2" => EducationLevel::Bac2 as i32,
        "3" => EducationLevel::Bac3 as i32,
        "4" => EducationLevel::Bac4 as i32,
        "5" => EducationLevel::Bac5 as i32,
        "" => 0,
        other => other
            .parse::<i32>()
            .map_err(|_| bad("level", "must be bac+2 to bac+5"))?,
    };
    let languages = list(&s.languages)
        .map(|entry| {
            let (language, level) = entry
                .split_once(':')
                .ok_or_else(|| bad("languages", "entries look like en:B2"))?;
            Ok(LanguageSkill {
                language: language.trim().to_ascii_lowercase(),
                level: cefr(level.trim()).ok_or_else(|| bad("languages", "levels are A1 to C2"))?
                    as i32,
            })
        })
        .collect::<Result<Vec<_>, Bad>>()?;
    let contact = (!s.first_name.is_empty() || !s.last_name.is_empty() || !s.email.is_empty())
        .then(|| Contact {
            candidate_id: String::new(),
            first_name: s.first_name.clone(),
            last_name: s.last_name.clone(),
            email: s.email.clone(),
            phone: s.phone.clone(),
        });
    Ok(ProfileRow {
        school_student_ref: s.school_student_ref.clone(),
        status: status as i32,
        graduation_date: optional_date(&s.graduation_date, "graduation_date")?,
        level,
        field_of_study: s.field_of_study.clone(),
        diploma: s.diploma.clone(),
        skills: list(&s.skills).map(str::to_owned).collect(),
        languages,
        home_insee_code: s.home_insee_code.clone(),
        preferences: preferences(s)?,
        contact,
    })
}

fn preferences(s: &CsvStudent) -> Result<Option<Preferences>, Bad> {
    let given = [
        &s.mission_preferences,
        &s.radius_km,
        &s.open_to_relocation,
        &s.preferred_regions,
        &s.contracts,
        &s.available_from,
    ]
    .iter()
    .any(|value| !value.is_empty());
    if !given {
        return Ok(None);
    }
    let mission_type_weights = list(&s.mission_preferences)
        .map(|entry| {
            let (mission, weight) = entry
                .split_once(':')
                .ok_or_else(|| bad("mission_preferences", "entries look like TECHNOLOGIE:90"))?;
            Ok(MissionTypeWeight {
                mission_type: MissionType::from_str_name(&format!(
                    "MISSION_TYPE_{}",
                    mission.trim().to_ascii_uppercase()
                ))
                .ok_or_else(|| {
                    bad(
                        "mission_preferences",
                        format!("unknown mission type {mission}"),
                    )
                })? as i32,
                weight: weight
                    .trim()
                    .parse()
                    .map_err(|_| bad("mission_preferences", "weights are 0 to 100"))?,
            })
        })
        .collect::<Result<Vec<_>, Bad>>()?;
    let contract_kinds_sought = list(&s.contracts)
        .map(|kind| {
            ContractKind::from_str_name(&format!(
                "CONTRACT_KIND_{}",
                kind.to_ascii_uppercase().replace('-', "_")
            ))
            .map(|kind| kind as i32)
            .ok_or_else(|| bad("contracts", "WORK_STUDY, CDD or CDI"))
        })
        .collect::<Result<Vec<_>, Bad>>()?;
    Ok(Some(Preferences {
        mission_type_weights,
        mobility_radius_km: if s.radius_km.is_empty() {
            50
        } else {
            s.radius_km
                .parse()
                .map_err(|_| bad("radius_km", "a number of km"))?
        },
        open_to_relocation: matches!(
            s.open_to_relocation.to_ascii_lowercase().as_str(),
            "yes" | "oui" | "true" | "1"
        ),
        preferred_region_codes: list(&s.preferred_regions).map(str::to_owned).collect(),
        contract_kinds_sought,
        available_from: optional_date(&s.available_from, "available_from")?,
        paused: false,
        set_by_candidate: false,
    }))
}

fn list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(';')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
}

fn cefr(raw: &str) -> Option<CefrLevel> {
    CefrLevel::from_str_name(&format!("CEFR_LEVEL_{}", raw.to_ascii_uppercase()))
}

fn optional_date(raw: &str, field: &str) -> Result<Option<Date>, Bad> {
    if raw.is_empty() {
        return Ok(None);
    }
    let date = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| bad(field, "a date such as 2026-06-30"))?;
    Ok(Some(vte_wire::date_to_proto(date)))
}

/// Streams `rows` for `school` and returns the service's summary; `on_progress` hears the
/// number of rows processed after each message.
pub async fn push(
    client: &mut CandidatesServiceClient<super::Authed>,
    school: &str,
    rows: Vec<ProfileRow>,
    on_progress: impl Fn(u32),
) -> anyhow::Result<PushSummary> {
    let (sender, receiver) = mpsc::channel(4);
    let school = school.to_owned();
    tokio::spawn(async move {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<ProfileRow> = rows.by_ref().take(ROWS_PER_MESSAGE).collect();
            let message = PushProfilesRequest {
                school_id: school.clone(),
                rows: chunk,
            };
            if sender.send(message).await.is_err() {
                return;
            }
        }
    });
    let mut replies = client
        .push_profiles(ReceiverStream::new(receiver))
        .await
        .map_err(refusal)?
        .into_inner();
    while let Some(reply) = replies.message().await.map_err(refusal)? {
        match reply.kind {
            Some(push_profiles_response::Kind::Progress(counts)) => on_progress(counts.received),
            Some(push_profiles_response::Kind::Summary(summary)) => return Ok(summary),
            None => {}
        }
    }
    anyhow::bail!("the stream ended without a summary")
}

/// `vte import-students`.
pub async fn import(
    connection: &super::Connection,
    school: &str,
    path: &Path,
) -> anyhow::Result<()> {
    let school_id = vte_domain::SchoolId::parse(school)
        .map_err(|error| anyhow::anyhow!("--school: {error}"))?;
    let (rows, local_errors) = read_csv(path)?;
    let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
    let rows: Vec<ProfileRow> = rows.into_iter().map(|(_, row)| row).collect();
    let total = rows.len() as u64;
    let caller = vte_service::auth::Caller::School { school_id };
    let mut client =
        CandidatesServiceClient::new(connection.channel(&connection.candidates, &caller).await?)
            .max_decoding_message_size(64 * 1024 * 1024);
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let summary = if rows.is_empty() {
        PushSummary::default()
    } else {
        push(&mut client, school, rows, |received| {
            bar.set_position(u64::from(received));
        })
        .await?
    };
    bar.finish_and_clear();
    let counts = summary.counts.unwrap_or_default();
    println!(
        "{} rows read from {}: {} created, {} updated, {} unchanged, {} refused by the service, \
         {} unreadable",
        total + local_errors.len() as u64,
        path.display(),
        counts.created,
        counts.updated,
        counts.unchanged,
        counts.rejected,
        local_errors.len()
    );
    let mut report: BTreeMap<u64, Vec<(String, String)>> = BTreeMap::new();
    for error in local_errors {
        report
            .entry(error.line)
            .or_default()
            .push((error.field, error.rule));
    }
    for rejection in summary.rejections {
        let line = usize::try_from(rejection.position)
            .ok()
            .and_then(|position| lines.get(position.wrapping_sub(1)))
            .copied()
            .unwrap_or(0);
        report
            .entry(line)
            .or_default()
            .push((rejection.field, rejection.rule));
    }
    if !report.is_empty() {
        println!("\nline  field                          rule");
        for (line, problems) in report {
            for (field, rule) in problems {
                println!("{line:>4}  {field:<30} {rule}");
            }
        }
    }
    Ok(())
}
