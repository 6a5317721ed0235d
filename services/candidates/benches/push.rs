//! A school pushing 100,000 realistic profiles through the streaming `PushProfiles` RPC, end to
//! end: the real service started in-process on its own PostgreSQL database and an embedded
//! broker, a school's signed token, 200 messages of 500 rows, every row validated, stored with
//! its contact data and its `vte.candidates.v1` event appended to the outbox, while the outbox
//! relay publishes to the broker. Then the re-push of the same profiles (all unchanged, no
//! event). As the baseline of the same run, the same rows' data inserted as plain rows into a
//! bare table, one UNNEST statement per 500 rows on the same server (no validation, no events,
//! no gRPC).
//!
//! Homes are drawn from the reference communes weighted by population; fields of study,
//! diplomas, skills, languages and contact data are drawn from realistic lists; 40% of rows
//! carry the school's initial preferences. The generator is deterministic.
//!
//! `cargo bench -p vte-candidates --bench push` (options: `--profiles N`, at most 200,000;
//! `--hold-relay`: the embedded broker is unreachable during the first push, so the relay
//! publishes nothing meanwhile and every appended row is still in the outbox table when the push
//! ends; the drain is then timed from the broker's return).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, Utc};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_candidates::Application;
use vte_domain::SchoolId;
use vte_events::{EventEnvelope, Topics};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, CandidateEvent, Contact, MissionTypeWeight, Preferences, ProfileRow,
    PushCounts, PushProfilesRequest, PushSummary, push_profiles_response,
};
use vte_proto::vte::common::v1::{
    CefrLevel, ContractKind, Date, EducationLevel, LanguageSkill, MissionType,
};
use vte_reference::ReferenceData;
use vte_service::auth::{BearerToken, Caller, Claims};
use vte_service::{Service, Settings};
use vte_testbed::bench::arg;
use vte_testbed::{Rng, TestDatabase, TestKafka};

const SECRET: &str = "candidates-push-bench-secret";
const ROWS_PER_MESSAGE: usize = 500;
const PARTITIONS: i32 = 3;
/// The aim for the first push of 100,000 profiles.
const AIM: Duration = Duration::from_secs(30);
/// How long the bench waits for the relay to empty the outbox before reporting what is left.
const DRAIN_PATIENCE: Duration = Duration::from_secs(600);

/// A field of study with the diplomas that lead to it and the skills it teaches.
struct Field {
    name: &'static str,
    diplomas: &'static [&'static str],
    skills: &'static [&'static str],
}

const FIELDS: &[Field] = &[
    Field {
        name: "génie mécanique",
        diplomas: &[
            "Diplôme d'ingénieur en génie mécanique",
            "BUT Génie mécanique et productique",
            "Master Mécanique",
            "BTS Conception des produits industriels",
        ],
        skills: &[
            "CAO",
            "SolidWorks",
            "CATIA",
            "dimensionnement",
            "RDM",
            "cotation fonctionnelle",
            "usinage",
            "méthodes industrielles",
            "AMDEC",
        ],
    },
    Field {
        name: "génie électrique",
        diplomas: &[
            "Diplôme d'ingénieur en génie électrique",
            "BUT Génie électrique et informatique industrielle",
            "BTS Électrotechnique",
            "Master Énergie électrique",
        ],
        skills: &[
            "électrotechnique",
            "automatismes",
            "API Siemens",
            "électronique de puissance",
            "schémas électriques",
            "EPLAN",
            "habilitation électrique",
        ],
    },
    Field {
        name: "informatique",
        diplomas: &[
            "Diplôme d'ingénieur en informatique",
            "BUT Informatique",
            "Master Informatique",
            "BTS Services informatiques aux organisations",
            "Licence professionnelle Développement web",
        ],
        skills: &[
            "Java",
            "Python",
            "SQL",
            "Rust",
            "développement web",
            "DevOps",
            "Linux",
            "réseaux",
            "cybersécurité",
            "data science",
        ],
    },
    Field {
        name: "génie industriel",
        diplomas: &[
            "Diplôme d'ingénieur en génie industriel",
            "Master Management de la production",
            "BUT Qualité, logistique industrielle et organisation",
        ],
        skills: &[
            "lean manufacturing",
            "amélioration continue",
            "ordonnancement",
            "SAP",
            "gestion de production",
            "Six Sigma",
            "ERP",
        ],
    },
    Field {
        name: "qualité",
        diplomas: &[
            "Master Qualité, hygiène, sécurité, environnement",
            "BUT Qualité, logistique industrielle et organisation",
            "Licence professionnelle Qualité",
        ],
        skills: &[
            "ISO 9001",
            "audit qualité",
            "métrologie",
            "ISO 14001",
            "analyse de risques",
            "8D",
        ],
    },
    Field {
        name: "chimie",
        diplomas: &[
            "Diplôme d'ingénieur chimiste",
            "Master Chimie",
            "BUT Chimie",
            "BTS Métiers de la chimie",
        ],
        skills: &[
            "chimie analytique",
            "HPLC",
            "formulation",
            "génie des procédés",
            "bonnes pratiques de laboratoire",
        ],
    },
    Field {
        name: "logistique et supply chain",
        diplomas: &[
            "Master Management de la supply chain",
            "BUT Management de la logistique et des transports",
            "BTS Gestion des transports et logistique associée",
        ],
        skills: &[
            "gestion des stocks",
            "approvisionnement",
            "WMS",
            "prévision de la demande",
            "transport international",
            "SAP",
        ],
    },
    Field {
        name: "finance et comptabilité",
        diplomas: &[
            "Master Contrôle de gestion et audit organisationnel",
            "DCG",
            "DSCG",
            "BTS Comptabilité et gestion",
            "Master Finance d'entreprise",
        ],
        skills: &[
            "contrôle de gestion",
            "comptabilité générale",
            "reporting",
            "consolidation",
            "trésorerie",
            "Excel avancé",
            "analyse financière",
        ],
    },
    Field {
        name: "commerce international",
        diplomas: &[
            "Master Commerce international",
            "BTS Commerce international",
            "BUT Techniques de commercialisation",
            "Programme Grande École",
        ],
        skills: &[
            "prospection à l'export",
            "négociation",
            "Incoterms",
            "veille concurrentielle",
            "CRM",
            "douane",
        ],
    },
    Field {
        name: "marketing",
        diplomas: &[
            "Master Marketing",
            "Programme Grande École",
            "BUT Techniques de commercialisation",
            "Bachelor Marketing digital",
        ],
        skills: &[
            "marketing digital",
            "SEO",
            "études de marché",
            "réseaux sociaux",
            "gestion de projet",
            "Google Analytics",
        ],
    },
    Field {
        name: "ressources humaines",
        diplomas: &[
            "Master Gestion des ressources humaines",
            "BUT Gestion des entreprises et des administrations",
            "Licence professionnelle Ressources humaines",
        ],
        skills: &[
            "recrutement",
            "paie",
            "droit social",
            "GPEC",
            "formation",
            "RSE",
            "marque employeur",
        ],
    },
    Field {
        name: "agroalimentaire",
        diplomas: &[
            "Diplôme d'ingénieur agronome",
            "BTS Sciences et technologies des aliments",
            "Master Sciences des aliments",
        ],
        skills: &[
            "HACCP",
            "IFS",
            "microbiologie",
            "conduite de ligne",
            "R&D produit",
        ],
    },
    Field {
        name: "énergie et environnement",
        diplomas: &[
            "Diplôme d'ingénieur en énergétique",
            "Master Énergies renouvelables",
            "BTS Fluides, énergies, domotique",
        ],
        skills: &[
            "thermique",
            "efficacité énergétique",
            "bilan carbone",
            "photovoltaïque",
            "analyse du cycle de vie",
        ],
    },
];

const GENERIC_SKILLS: &[&str] = &[
    "Excel",
    "Power BI",
    "gestion de projet",
    "travail en équipe",
    "anglais technique",
    "Pack Office",
    "communication",
    "VBA",
];

const FIRST_NAMES: &[&str] = &[
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Emma",
    "Jade",
    "Louise",
    "Sarah",
    "Hélène",
    "Zoé",
    "Anaïs",
    "Clémence",
    "Yasmine",
    "Océane",
    "Lucas",
    "Hugo",
    "Louis",
    "Nathan",
    "Théo",
    "Enzo",
    "Mathis",
    "Noah",
    "Gabriel",
    "Raphaël",
    "Adam",
    "Maël",
    "Loïc",
    "Karim",
    "Mehdi",
    "Julien",
    "Thomas",
    "Antoine",
    "Maxime",
    "Quentin",
    "Baptiste",
    "Arthur",
    "Jérémy",
];

const LAST_NAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefebvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Benali",
    "Nguyen",
    "Le Goff",
    "Kerbrat",
    "Da Silva",
    "Haddad",
    "Müller",
    "Perrin",
];

const EMAIL_DOMAINS: &[&str] = &[
    "etu.univ-lyon1.fr",
    "etudiant.univ-rennes.fr",
    "gmail.com",
    "outlook.fr",
    "orange.fr",
    "etu.insa-toulouse.fr",
    "laposte.net",
];

const SECOND_LANGUAGES: &[&str] = &["de", "es", "it", "pt", "zh", "ar", "nl", "ja"];

/// Lower-case ASCII for an email's local part: accents dropped, spaces to dashes.
fn ascii(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            ' ' | '\'' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn date(day: NaiveDate) -> Date {
    Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    }
}

/// Population-weighted communes (those with a known population).
struct Communes {
    codes: Vec<String>,
    cumulative: Vec<u64>,
}

impl Communes {
    fn of(reference: &ReferenceData) -> Self {
        let mut codes = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        for commune in reference.communes() {
            if let Some(population) = commune.population().filter(|p| *p > 0) {
                total += u64::from(population);
                codes.push(commune.insee().as_str().to_owned());
                cumulative.push(total);
            }
        }
        Self { codes, cumulative }
    }

    fn pick(&self, rng: &mut Rng) -> &str {
        let total = *self.cumulative.last().unwrap();
        let at = rng.next() % total;
        let index = self.cumulative.partition_point(|&sum| sum <= at);
        &self.codes[index]
    }
}

/// One row of the school's file.
fn profile_row(
    i: usize,
    rng: &mut Rng,
    communes: &Communes,
    regions: &[String],
    today: NaiveDate,
) -> ProfileRow {
    let field = rng.pick(FIELDS);
    let student = rng.chance(60);
    let graduation = if student {
        today + chrono::Duration::days(30 + rng.below(900) as i64)
    } else {
        today - chrono::Duration::days(1 + rng.below(1_000) as i64)
    };
    // VTE is open from bac+2; most profiles are bac+5.
    let level = match rng.below(10) {
        0 => EducationLevel::Bac2,
        1 | 2 => EducationLevel::Bac3,
        3 => EducationLevel::Bac4,
        _ => EducationLevel::Bac5,
    };
    let own = 2 + rng.below(5);
    let mut skills: Vec<String> = rng
        .distinct(field.skills, own)
        .into_iter()
        .map(|s| (*s).to_owned())
        .collect();
    let generic = rng.below(3);
    for generic in rng.distinct(GENERIC_SKILLS, generic) {
        if !skills.iter().any(|s| s.eq_ignore_ascii_case(generic)) {
            skills.push((*generic).to_owned());
        }
    }
    let mut languages = vec![LanguageSkill {
        language: "fr".to_owned(),
        level: CefrLevel::C2 as i32,
    }];
    if rng.chance(92) {
        let level = [CefrLevel::B1, CefrLevel::B2, CefrLevel::B2, CefrLevel::C1];
        languages.push(LanguageSkill {
            language: "en".to_owned(),
            level: *rng.pick(&level) as i32,
        });
    }
    let second = usize::from(rng.chance(35));
    for code in rng.distinct(SECOND_LANGUAGES, second) {
        let level = [CefrLevel::A1, CefrLevel::A2, CefrLevel::B1, CefrLevel::B2];
        languages.push(LanguageSkill {
            language: (*code).to_owned(),
            level: *rng.pick(&level) as i32,
        });
    }
    let preferences = rng.chance(40).then(|| {
        let missions = rng.below(4);
        let missions = rng.distinct(&MISSIONS, missions);
        let kinds = if student {
            if rng.chance(20) {
                vec![ContractKind::WorkStudy, ContractKind::Cdd]
            } else {
                vec![ContractKind::WorkStudy]
            }
        } else {
            match rng.below(3) {
                0 => vec![ContractKind::Cdi],
                1 => vec![ContractKind::Cdd, ContractKind::Cdi],
                _ => vec![ContractKind::Cdd],
            }
        };
        let preferred = rng.below(3);
        Preferences {
            mission_type_weights: missions
                .into_iter()
                .map(|mission| MissionTypeWeight {
                    mission_type: *mission as i32,
                    weight: 10 * (1 + rng.below(10)) as u32,
                })
                .collect(),
            mobility_radius_km: *rng.pick(&[10, 20, 30, 50, 50, 100, 200, 500]),
            open_to_relocation: rng.chance(30),
            preferred_region_codes: rng
                .distinct(regions, preferred)
                .into_iter()
                .cloned()
                .collect(),
            contract_kinds_sought: kinds.into_iter().map(|kind| kind as i32).collect(),
            available_from: Some(date(if student {
                today + chrono::Duration::days(rng.below(200) as i64)
            } else {
                graduation.max(today)
            })),
            paused: rng.chance(3),
            set_by_candidate: false,
        }
    });
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let contact = Contact {
        candidate_id: String::new(),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        email: format!(
            "{}.{}{}@{}",
            ascii(first),
            ascii(last),
            i,
            rng.pick(EMAIL_DOMAINS)
        ),
        phone: if rng.chance(80) {
            format!("+336{:08}", rng.below(100_000_000))
        } else {
            String::new()
        },
    };
    ProfileRow {
        school_student_ref: format!("ETU-{:07}", i + 1),
        status: if student {
            AcademicStatus::Student
        } else {
            AcademicStatus::Graduate
        } as i32,
        graduation_date: Some(date(graduation)),
        level: level as i32,
        field_of_study: field.name.to_owned(),
        diploma: (*rng.pick(field.diplomas)).to_owned(),
        skills,
        languages,
        home_insee_code: communes.pick(rng).to_owned(),
        preferences,
        contact: Some(contact),
    }
}

const MISSIONS: [MissionType; 8] = [
    MissionType::BrasDroit,
    MissionType::Transformation,
    MissionType::Technologie,
    MissionType::Finance,
    MissionType::International,
    MissionType::Marketing,
    MissionType::RhRse,
    MissionType::Autre,
];

/// What one streamed push took and answered.
struct Pushed {
    wall: Duration,
    progress_messages: usize,
    slowest_message: Duration,
    summary: PushSummary,
}

impl Pushed {
    fn counts(&self) -> PushCounts {
        self.summary.counts.unwrap_or_default()
    }
}

type Client = CandidatesServiceClient<InterceptedService<Channel, BearerToken>>;

/// Streams `messages` and reads every progress message and the summary.
async fn push(client: &mut Client, messages: Vec<PushProfilesRequest>) -> Pushed {
    let started = Instant::now();
    let mut replies = client
        .push_profiles(tokio_stream::iter(messages))
        .await
        .expect("PushProfiles refused")
        .into_inner();
    let mut progress_messages = 0;
    let mut last = started;
    let mut slowest_message = Duration::ZERO;
    let mut summary = None;
    while let Some(reply) = replies.message().await.expect("PushProfiles failed") {
        match reply.kind {
            Some(push_profiles_response::Kind::Progress(_)) => {
                progress_messages += 1;
                slowest_message = slowest_message.max(last.elapsed());
                last = Instant::now();
            }
            Some(push_profiles_response::Kind::Summary(done)) => summary = Some(done),
            None => panic!("a reply with neither progress nor summary"),
        }
    }
    Pushed {
        wall: started.elapsed(),
        progress_messages,
        slowest_message,
        summary: summary.expect("the stream ended without a summary"),
    }
}

/// Outbox rows ever appended (the identity's last value: the relay deletes what it published).
async fn appended(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('outbox', 'id')::regclass), 0)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Outbox rows of `vte.candidates.v1` still waiting for the relay.
async fn waiting(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE topic = $1")
        .bind(CandidateEvent::TOPIC)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Polls until the outbox is empty; the time it took, or `None` after [`DRAIN_PATIENCE`].
async fn drained(pool: &PgPool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < DRAIN_PATIENCE {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(pool)
            .await
            .unwrap();
        if left == 0 {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Records on the broker's `vte.candidates.v1` topic: the sum of its partitions' high
/// watermarks.
async fn on_broker(kafka: &TestKafka, topics: &Topics) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.brokers())
        .create()
        .unwrap();
    let topic = topics.topic(CandidateEvent::TOPIC);
    tokio::task::spawn_blocking(move || {
        (0..PARTITIONS)
            .map(|partition| {
                consumer
                    .fetch_watermarks(&topic, partition, Duration::from_secs(10))
                    .unwrap()
                    .1
            })
            .sum()
    })
    .await
    .unwrap()
}

/// The baseline: the same rows' data as plain rows of a bare table, one UNNEST statement per
/// message's worth of rows, each its own transaction. Returns the wall time.
async fn baseline(pool: &PgPool, school: SchoolId, messages: &[PushProfilesRequest]) -> Duration {
    sqlx::query(
        "CREATE TABLE bench_plain_profiles (
             school_id          uuid     NOT NULL,
             school_student_ref text     NOT NULL,
             status             smallint NOT NULL,
             graduation_date    date     NOT NULL,
             level              smallint NOT NULL,
             field_of_study     text     NOT NULL,
             diploma            text     NOT NULL,
             skills             jsonb    NOT NULL,
             languages          jsonb    NOT NULL,
             home_insee         text     NOT NULL,
             preferences        jsonb,
             first_name         text     NOT NULL,
             last_name          text     NOT NULL,
             email              text     NOT NULL,
             phone              text,
             PRIMARY KEY (school_id, school_student_ref)
         )",
    )
    .execute(pool)
    .await
    .unwrap();
    // Columns are prepared before the clock starts, as the push's messages are.
    let batches: Vec<Batch> = messages.iter().map(Batch::of).collect();
    let mut conn = pool.acquire().await.unwrap();
    let started = Instant::now();
    for b in &batches {
        sqlx::query(
            "INSERT INTO bench_plain_profiles
             SELECT $1, ref, status, graduation, level, field, diploma, skills::jsonb,
                 languages::jsonb, home, preferences::jsonb, first_name, last_name, email, phone
             FROM unnest($2::text[], $3::int2[], $4::date[], $5::int2[], $6::text[], $7::text[],
                 $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                 $14::text[], $15::text[])
               AS u(ref, status, graduation, level, field, diploma, skills, languages, home,
                 preferences, first_name, last_name, email, phone)",
        )
        .bind(school.as_uuid())
        .bind(&b.refs)
        .bind(&b.statuses)
        .bind(&b.graduations)
        .bind(&b.levels)
        .bind(&b.fields)
        .bind(&b.diplomas)
        .bind(&b.skills)
        .bind(&b.languages)
        .bind(&b.homes)
        .bind(&b.preferences)
        .bind(&b.first_names)
        .bind(&b.last_names)
        .bind(&b.emails)
        .bind(&b.phones)
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    let wall = started.elapsed();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM bench_plain_profiles")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let expected: usize = messages.iter().map(|m| m.rows.len()).sum();
    assert_eq!(rows as usize, expected, "baseline rows");
    wall
}

/// One message's rows as UNNEST columns.
#[derive(Default)]
struct Batch {
    refs: Vec<String>,
    statuses: Vec<i16>,
    graduations: Vec<NaiveDate>,
    levels: Vec<i16>,
    fields: Vec<String>,
    diplomas: Vec<String>,
    skills: Vec<String>,
    languages: Vec<String>,
    homes: Vec<String>,
    preferences: Vec<Option<String>>,
    first_names: Vec<String>,
    last_names: Vec<String>,
    emails: Vec<String>,
    phones: Vec<Option<String>>,
}

impl Batch {
    fn of(message: &PushProfilesRequest) -> Self {
        let mut b = Self::default();
        for row in &message.rows {
            let day = |d: &Option<Date>| {
                let d = d.unwrap();
                NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32).unwrap()
            };
            let contact = row.contact.clone().unwrap();
            b.refs.push(row.school_student_ref.clone());
            b.statuses.push(row.status as i16);
            b.graduations.push(day(&row.graduation_date));
            b.levels.push(row.level as i16);
            b.fields.push(row.field_of_study.clone());
            b.diplomas.push(row.diploma.clone());
            b.skills.push(serde_json::to_string(&row.skills).unwrap());
            let languages: Vec<(&str, i32)> = row
                .languages
                .iter()
                .map(|l| (l.language.as_str(), l.level))
                .collect();
            b.languages.push(serde_json::to_string(&languages).unwrap());
            b.homes.push(row.home_insee_code.clone());
            b.preferences.push(row.preferences.as_ref().map(|p| {
                serde_json::json!({
                    "missions": p.mission_type_weights.iter()
                        .map(|w| (w.mission_type, w.weight)).collect::<Vec<_>>(),
                    "radius": p.mobility_radius_km,
                    "relocation": p.open_to_relocation,
                    "regions": p.preferred_region_codes,
                    "kinds": p.contract_kinds_sought,
                    "available_from": day(&p.available_from),
                    "paused": p.paused,
                })
                .to_string()
            }));
            b.first_names.push(contact.first_name);
            b.last_names.push(contact.last_name);
            b.emails.push(contact.email);
            b.phones
                .push(Some(contact.phone).filter(|phone| !phone.is_empty()));
        }
        b
    }
}

fn row(label: &str, wall: Duration, rows: usize, baseline: Duration, note: &str) {
    let secs = wall.as_secs_f64();
    println!(
        "{label:<34} {secs:>8.2} s  {:>9.0} rows/s  {:>6.2}x   {note}",
        rows as f64 / secs,
        secs / baseline.as_secs_f64()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    vte_testbed::init_tracing();
    let profiles = arg("--profiles", 100_000);
    assert!(
        (1..=200_000).contains(&profiles),
        "--profiles must be 1 to 200,000 (one stream)"
    );

    // The service, as the offers tests start theirs.
    let database = TestDatabase::create().await;
    let kafka = TestKafka::start();
    let reference_dir = vte_testbed::reference_dir();
    let mut settings = Settings::local(
        Application::DEFAULTS,
        &database.url(),
        kafka.brokers(),
        SECRET,
        &reference_dir,
    );
    settings.kafka.create_topics = !kafka.is_embedded();
    settings.kafka.namespace = format!("{}.", kafka.namespace());
    let topics = settings.kafka.topics();
    kafka.create_topics(topics.platform(PARTITIONS)).await;
    let service = Application::build(settings)
        .await
        .expect("the candidates service did not build");
    let addr = service.grpc_addr();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(service.run_until_stopped(shutdown.clone()));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("cannot connect to the candidates service");
    let school = SchoolId::new();
    let claims = Claims::new(
        &Caller::School { school_id: school },
        "school-information-system",
        chrono::Duration::hours(2),
    );
    let mut client: Client = CandidatesServiceClient::with_interceptor(
        channel,
        BearerToken::hs256(SECRET, &claims).unwrap(),
    );
    let pool = database.pool().await;

    // The school's file, generated before any clock starts.
    let reference = ReferenceData::load(&reference_dir).unwrap();
    let communes = Communes::of(&reference);
    let regions: Vec<String> = reference
        .regions()
        .iter()
        .map(|r| r.code().to_owned())
        .collect();
    let today = Utc::now().date_naive();
    let mut rng = Rng(0x5eed_cafe_0000_0005);
    let rows: Vec<ProfileRow> = (0..profiles)
        .map(|i| profile_row(i, &mut rng, &communes, &regions, today))
        .collect();
    let homes = rows
        .iter()
        .map(|r| r.home_insee_code.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    let with_preferences = rows.iter().filter(|r| r.preferences.is_some()).count();
    let messages: Vec<PushProfilesRequest> = rows
        .chunks(ROWS_PER_MESSAGE)
        .map(|chunk| PushProfilesRequest {
            school_id: school.to_string(),
            rows: chunk.to_vec(),
        })
        .collect();
    drop(rows);
    let wire_bytes: usize = messages.iter().map(prost::Message::encoded_len).sum();
    println!(
        "push benchmark: {profiles} profiles in {} messages of {ROWS_PER_MESSAGE} rows \
         ({:.1} MiB on the wire), homes in {} distinct communes (of {} weighted by population), \
         {with_preferences} with preferences",
        messages.len(),
        wire_bytes as f64 / (1024.0 * 1024.0),
        homes,
        communes.codes.len(),
    );

    // Baseline: plain rows, same server, same batch size.
    let base = baseline(&pool, school, &messages).await;

    // First push: every profile created, one event each.
    let hold = std::env::args().any(|a| a == "--hold-relay");
    if hold {
        kafka.set_reachable(false);
    }
    let appended_before = appended(&pool).await;
    let first = push(&mut client, messages.clone()).await;
    let counts = first.counts();
    let appended_after = appended(&pool).await;
    let waiting_after = waiting(&pool).await;
    if hold {
        assert_eq!(
            waiting_after as usize, profiles,
            "outbox rows with the relay held"
        );
        kafka.set_reachable(true);
    }
    let events = appended_after - appended_before;
    assert_eq!(counts.received as usize, profiles, "received");
    assert_eq!(counts.created as usize, profiles, "created");
    assert_eq!(
        counts.rejected,
        0,
        "rejected: {:?}",
        first.summary.rejections.first()
    );
    assert_eq!(first.progress_messages, messages.len(), "progress messages");
    assert_eq!(
        events as usize, profiles,
        "outbox rows appended by the push"
    );
    let stored: (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM profiles), (SELECT count(*) FROM contacts)")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        stored,
        (profiles as i64, profiles as i64),
        "profiles, contacts"
    );
    let drain = drained(&pool).await;
    let published = on_broker(&kafka, &topics).await;

    // Re-push of the same file: nothing changes, nothing is appended.
    let second = push(&mut client, messages).await;
    let again = second.counts();
    let appended_final = appended(&pool).await;
    let waiting_final = waiting(&pool).await;
    assert_eq!(again.unchanged as usize, profiles, "unchanged: {again:?}");
    assert_eq!(
        appended_final, appended_after,
        "the re-push appended outbox rows"
    );

    println!();
    println!(
        "{:<34} {:>10}  {:>15}  {:>7}",
        "", "wall", "throughput", "vs base"
    );
    row(
        "baseline: plain UNNEST insert",
        base,
        profiles,
        base,
        "bare table, 1 statement per 500 rows, no validation/events/gRPC",
    );
    row(
        "push (PushProfiles, created)",
        first.wall,
        profiles,
        base,
        &format!(
            "aim < {} s: {}",
            AIM.as_secs(),
            if first.wall < AIM { "met" } else { "NOT MET" }
        ),
    );
    row(
        "re-push (same file, unchanged)",
        second.wall,
        profiles,
        base,
        &format!(
            "aim: faster than the push: {}",
            if second.wall < first.wall {
                "met"
            } else {
                "NOT MET"
            }
        ),
    );
    println!();
    println!(
        "push:    created {} rejected {} | progress messages {} | longest wait for one {:.0} ms",
        counts.created,
        counts.rejected,
        first.progress_messages,
        first.slowest_message.as_secs_f64() * 1e3
    );
    println!(
        "re-push: unchanged {} updated {} created {} rejected {} | longest wait for a \
         progress message {:.0} ms",
        again.unchanged,
        again.updated,
        again.created,
        again.rejected,
        second.slowest_message.as_secs_f64() * 1e3
    );
    println!(
        "outbox:  {events} {} rows appended by the push; {waiting_after} in the outbox table \
         when the push ended ({}); re-push appended {}",
        CandidateEvent::TOPIC,
        if hold {
            "broker held unreachable during the push: nothing published yet"
        } else {
            "the relay published the rest meanwhile"
        },
        appended_final - appended_after,
    );
    match drain {
        Some(drain) => println!(
            "relay:   outbox empty {:.2} s after the push ended{} ({:.2} s after it started); \
             {published} records on the broker's {} topic; {waiting_final} waiting after the \
             re-push",
            drain.as_secs_f64(),
            if hold {
                " and the broker came back"
            } else {
                ""
            },
            (first.wall + drain).as_secs_f64(),
            CandidateEvent::TOPIC,
        ),
        None => println!(
            "relay:   outbox NOT drained {} s after the push ended; {published} records on the \
             broker",
            DRAIN_PATIENCE.as_secs()
        ),
    }

    shutdown.cancel();
    let _ = running.await;
}
