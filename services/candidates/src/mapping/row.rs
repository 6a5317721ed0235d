//! Decoding what schools and candidates send: a pushed [`ProfileRow`], preferences and contact
//! data. Every violated rule of a row is reported, each under its proto path
//! (`languages[1].level`, `contact.email`), so a school fixes a file in one pass; but a
//! repeated field over its maximum count ([`crate::domain::limits`]) is one error, its entries
//! never looked at, and a value is quoted at most as [`vte_domain::echo`] cuts it.

use std::collections::HashSet;

use chrono::NaiveDate;
use vte_domain::{
    CefrLevel, ContractKind, EducationLevel, FieldErrors, InvalidValue, LanguageCode, MissionType,
    echo,
};
use vte_proto::vte::candidates::v1 as wire;
use vte_reference::ReferenceData;
use vte_wire::WireEnum;

pub use crate::domain::limits::MAX_REF_CHARS;
use crate::domain::limits::{
    MAX_AVAILABILITY_YEARS_AHEAD, MAX_CONTRACT_KINDS, MAX_DIPLOMA_CHARS, MAX_FIELD_OF_STUDY_CHARS,
    MAX_GRADUATION_YEARS_AHEAD, MAX_LANGUAGES, MAX_MISSION_WEIGHTS, MAX_NAME_CHARS, MAX_RADIUS_KM,
    MAX_REGIONS, MAX_ROWS_PER_BATCH, MAX_SKILL_CHARS, MAX_SKILLS, check_date_range,
};
use crate::domain::push::{PushedProfile, PushedRow};
use crate::domain::{AcademicStatus, Contact, Preferences, Schooling};

/// `AcademicStatus` from the wire (this service's own enum): `None` for UNSPECIFIED.
fn academic_status(raw: i32) -> Result<Option<AcademicStatus>, InvalidValue> {
    match wire::AcademicStatus::try_from(raw) {
        Ok(wire::AcademicStatus::Unspecified) => Ok(None),
        Ok(wire::AcademicStatus::Student) => Ok(Some(AcademicStatus::Student)),
        Ok(wire::AcademicStatus::Graduate) => Ok(Some(AcademicStatus::Graduate)),
        Err(_) => Err(InvalidValue::new(format!(
            "{raw} is not a value of vte.candidates.v1.AcademicStatus"
        ))),
    }
}

/// The wire value of a status.
pub fn academic_status_to_wire(status: AcademicStatus) -> i32 {
    match status {
        AcademicStatus::Student => wire::AcademicStatus::Student.into(),
        AcademicStatus::Graduate => wire::AcademicStatus::Graduate.into(),
    }
}

/// Reads an `AcademicStatus` filter: `None` for UNSPECIFIED.
pub fn status_filter(raw: i32) -> Result<Option<AcademicStatus>, FieldErrors> {
    academic_status(raw).map_err(|invalid| invalid.at("status").into())
}

/// Checks the rows of a push, each on its own (see [`decode_row`]). More rows than any call
/// takes ([`MAX_ROWS_PER_BATCH`]) are not decoded at all: they come back as empty placeholders,
/// as many as were sent, for the use case to refuse by their count.
pub fn decode_rows(
    rows: Vec<wire::ProfileRow>,
    reference: &ReferenceData,
    today: NaiveDate,
) -> Vec<PushedRow> {
    if rows.len() > MAX_ROWS_PER_BATCH {
        return rows
            .iter()
            .map(|_| PushedRow {
                sent_ref: String::new(),
                checked: Err(FieldErrors::new()),
            })
            .collect();
    }
    rows.into_iter()
        .map(|row| PushedRow {
            checked: decode_row(&row, reference, today),
            sent_ref: echo(&row.school_student_ref),
        })
        .collect()
}

/// Checks one pushed row. `today` dates the rules on graduation; `reference` knows the
/// communes and régions.
pub fn decode_row(
    row: &wire::ProfileRow,
    reference: &ReferenceData,
    today: NaiveDate,
) -> Result<PushedProfile, FieldErrors> {
    let mut errors = FieldErrors::new();
    let school_ref = check_text(
        &mut errors,
        "school_student_ref",
        &row.school_student_ref,
        MAX_REF_CHARS,
    );
    let status = match academic_status(row.status) {
        Ok(Some(status)) => Some(status),
        Ok(None) => {
            errors.push(InvalidValue::new("is required: STUDENT or GRADUATE").at("status"));
            None
        }
        Err(invalid) => {
            errors.push(invalid.at("status"));
            None
        }
    };
    let graduation_date = match row.graduation_date.as_ref() {
        None => {
            errors.push(InvalidValue::new("is required").at("graduation_date"));
            None
        }
        Some(date) => errors.check(
            "graduation_date",
            vte_wire::date_from_proto(date)
                .and_then(|date| check_date_range(date, today, MAX_GRADUATION_YEARS_AHEAD)),
        ),
    };
    if let (Some(AcademicStatus::Graduate), Some(date)) = (status, graduation_date)
        && date > today
    {
        errors.push(
            InvalidValue::new(format!(
                "a graduate's graduation date must not be in the future (today is {today})"
            ))
            .at("graduation_date"),
        );
    }
    let level = check_level(&mut errors, row.level);
    let field_of_study = check_text(
        &mut errors,
        "field_of_study",
        &row.field_of_study,
        MAX_FIELD_OF_STUDY_CHARS,
    );
    let diploma = check_text(&mut errors, "diploma", &row.diploma, MAX_DIPLOMA_CHARS);
    let skills = check_skills(&mut errors, &row.skills);
    let languages = check_languages(&mut errors, &row.languages);
    let home = match reference.resolve(&row.home_insee_code) {
        Ok(commune) => Some(commune.insee()),
        Err(invalid) => {
            errors.push(invalid.at("home_insee_code"));
            None
        }
    };
    let preferences = row.preferences.as_ref().and_then(|preferences| {
        check_preferences(
            &mut errors,
            "preferences",
            preferences,
            status,
            reference,
            today,
        )
    });
    let contact = row
        .contact
        .as_ref()
        .and_then(|contact| check_contact(&mut errors, "contact", contact));
    errors.into_result()?;
    match (
        school_ref,
        status,
        graduation_date,
        level,
        field_of_study,
        diploma,
        home,
    ) {
        (
            Some(school_ref),
            Some(status),
            Some(graduation_date),
            Some(level),
            Some(field_of_study),
            Some(diploma),
            Some(home),
        ) => Ok(PushedProfile {
            school_ref,
            schooling: Schooling {
                status,
                graduation_date,
                level,
                field_of_study,
                diploma,
                skills,
                languages,
                home,
            },
            preferences,
            contact,
        }),
        // Every `None` above recorded an error, so the result above already returned.
        _ => Err(InvalidValue::new("is incomplete").at("row").into()),
    }
}

/// Checks the preferences a candidate sends (`UpdatePreferencesRequest.preferences`). What
/// depends on the candidate's academic status is checked once their profile is read
/// ([`AcademicStatus::check_contract_kinds`]).
pub fn decode_preferences(
    preferences: Option<&wire::Preferences>,
    reference: &ReferenceData,
) -> Result<Preferences, FieldErrors> {
    decode_preferences_on(preferences, reference, chrono::Utc::now().date_naive())
}

/// [`decode_preferences`] on `today`, which dates the range of `available_from`.
pub fn decode_preferences_on(
    preferences: Option<&wire::Preferences>,
    reference: &ReferenceData,
    today: NaiveDate,
) -> Result<Preferences, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(preferences) = preferences else {
        errors.push(InvalidValue::new("is required").at("preferences"));
        return Err(errors);
    };
    let decoded = check_preferences(
        &mut errors,
        "preferences",
        preferences,
        None,
        reference,
        today,
    );
    errors.into_result()?;
    decoded.ok_or_else(|| InvalidValue::new("is incomplete").at("preferences").into())
}

fn check_level(errors: &mut FieldErrors, raw: i32) -> Option<EducationLevel> {
    match EducationLevel::from_wire(raw) {
        Ok(Some(level)) => Some(level),
        Ok(None) => {
            errors.push(InvalidValue::new("is required: bac+2 to bac+5").at("level"));
            None
        }
        Err(_) => {
            errors.push(
                InvalidValue::new(format!(
                    "must be bac+2 to bac+5 (EDUCATION_LEVEL_BAC_2..=EDUCATION_LEVEL_BAC_5), \
                     got {raw}: VTE is open from bac+2"
                ))
                .at("level"),
            );
            None
        }
    }
}

/// A required text of 1..=`max` characters, trimmed, without control characters.
fn check_text(errors: &mut FieldErrors, field: &str, raw: &str, max: usize) -> Option<String> {
    match bounded_text(raw, max) {
        Ok(text) => Some(text),
        Err(invalid) => {
            errors.push(invalid.at(field));
            None
        }
    }
}

fn bounded_text(raw: &str, max: usize) -> Result<String, InvalidValue> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(InvalidValue::new("is required (1 character or more)"));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(InvalidValue::new(format!(
            "must be at most {max} characters, got {chars}"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(InvalidValue::new("must not contain control characters"));
    }
    Ok(text.to_owned())
}

fn check_skills(errors: &mut FieldErrors, raw: &[String]) -> Vec<String> {
    if raw.len() > MAX_SKILLS {
        errors.push(
            InvalidValue::new(format!("at most {MAX_SKILLS} skills, got {}", raw.len()))
                .at("skills"),
        );
        return Vec::new();
    }
    let mut seen = HashSet::with_capacity(raw.len());
    let mut skills = Vec::with_capacity(raw.len());
    for (i, skill) in raw.iter().enumerate() {
        let field = format!("skills[{i}]");
        match bounded_text(skill, MAX_SKILL_CHARS) {
            Ok(skill) if seen.insert(skill.to_lowercase()) => skills.push(skill),
            Ok(_) => errors.push(InvalidValue::new("repeats an earlier skill").at(field)),
            Err(invalid) => errors.push(invalid.at(field)),
        }
    }
    skills
}

fn check_languages(
    errors: &mut FieldErrors,
    raw: &[vte_proto::vte::common::v1::LanguageSkill],
) -> Vec<(LanguageCode, CefrLevel)> {
    if raw.len() > MAX_LANGUAGES {
        errors.push(
            InvalidValue::new(format!(
                "at most {MAX_LANGUAGES} languages, got {}",
                raw.len()
            ))
            .at("languages"),
        );
        return Vec::new();
    }
    let mut languages: Vec<(LanguageCode, CefrLevel)> = Vec::with_capacity(raw.len());
    for (i, skill) in raw.iter().enumerate() {
        let code = errors.check(
            &format!("languages[{i}].language"),
            LanguageCode::parse(&skill.language),
        );
        let level = match CefrLevel::from_wire(skill.level) {
            Ok(Some(level)) => Some(level),
            Ok(None) => {
                errors.push(
                    InvalidValue::new("is required: a CEFR level A1 to C2")
                        .at(format!("languages[{i}].level")),
                );
                None
            }
            Err(invalid) => {
                errors.push(invalid.at(format!("languages[{i}].level")));
                None
            }
        };
        if let (Some(code), Some(level)) = (code, level) {
            if languages.iter().any(|(known, _)| *known == code) {
                errors.push(
                    InvalidValue::new("one entry per language: this language is listed twice")
                        .at(format!("languages[{i}].language")),
                );
            } else {
                languages.push((code, level));
            }
        }
    }
    languages
}

fn check_preferences(
    errors: &mut FieldErrors,
    field: &str,
    raw: &wire::Preferences,
    status: Option<AcademicStatus>,
    reference: &ReferenceData,
    today: NaiveDate,
) -> Option<Preferences> {
    let mut complete = true;
    let mut mission_weights: Vec<(MissionType, u8)> = Vec::new();
    let weights = if raw.mission_type_weights.len() > MAX_MISSION_WEIGHTS {
        errors.push(
            InvalidValue::new(format!(
                "at most {MAX_MISSION_WEIGHTS} weights, one per mission type, got {}",
                raw.mission_type_weights.len()
            ))
            .at(format!("{field}.mission_type_weights")),
        );
        complete = false;
        &[][..]
    } else {
        &raw.mission_type_weights[..]
    };
    for (i, weight) in weights.iter().enumerate() {
        let entry = format!("{field}.mission_type_weights[{i}]");
        let mission = match MissionType::from_wire(weight.mission_type) {
            Ok(Some(mission)) => Some(mission),
            Ok(None) => {
                errors.push(
                    InvalidValue::new("must name a mission type, not 0")
                        .at(format!("{entry}.mission_type")),
                );
                None
            }
            Err(invalid) => {
                errors.push(invalid.at(format!("{entry}.mission_type")));
                None
            }
        };
        let value = u8::try_from(weight.weight)
            .ok()
            .filter(|value| *value <= 100);
        if value.is_none() {
            errors.push(
                InvalidValue::new(format!("must be 0 to 100, got {}", weight.weight))
                    .at(format!("{entry}.weight")),
            );
        }
        match (mission, value) {
            (Some(mission), Some(value)) => {
                if mission_weights.iter().any(|(known, _)| *known == mission) {
                    errors.push(
                        InvalidValue::new("each mission type at most once")
                            .at(format!("{entry}.mission_type")),
                    );
                } else {
                    mission_weights.push((mission, value));
                }
            }
            _ => complete = false,
        }
    }
    let radius = u16::try_from(raw.mobility_radius_km)
        .ok()
        .filter(|radius| u32::from(*radius) <= MAX_RADIUS_KM);
    if radius.is_none() {
        errors.push(
            InvalidValue::new(format!(
                "must be 0 to {MAX_RADIUS_KM} km, got {}",
                raw.mobility_radius_km
            ))
            .at(format!("{field}.mobility_radius_km")),
        );
    }
    let mut preferred_regions = Vec::new();
    if raw.preferred_region_codes.len() > MAX_REGIONS {
        errors.push(
            InvalidValue::new(format!(
                "at most {MAX_REGIONS} régions, got {}",
                raw.preferred_region_codes.len()
            ))
            .at(format!("{field}.preferred_region_codes")),
        );
    } else {
        for (i, code) in raw.preferred_region_codes.iter().enumerate() {
            let entry = format!("{field}.preferred_region_codes[{i}]");
            let code = code.trim();
            if reference.region(code).is_none() {
                errors.push(
                    InvalidValue::new(format!(
                        "\"{}\" is not an INSEE région code (2 digits, e.g. \"76\")",
                        echo(code)
                    ))
                    .at(entry),
                );
            } else if preferred_regions.iter().any(|known: &String| known == code) {
                errors.push(InvalidValue::new("repeats an earlier région").at(entry));
            } else {
                preferred_regions.push(code.to_owned());
            }
        }
    }
    let kinds_field = format!("{field}.contract_kinds_sought");
    let contract_kinds: Vec<ContractKind> = if raw.contract_kinds_sought.len() > MAX_CONTRACT_KINDS
    {
        Vec::new()
    } else {
        vte_wire::check_enums(errors, &kinds_field, &raw.contract_kinds_sought)
    };
    if raw.contract_kinds_sought.is_empty() {
        errors.push(
            InvalidValue::new("at least one contract kind: WORK_STUDY, CDD or CDI")
                .at(kinds_field.as_str()),
        );
        complete = false;
    } else if contract_kinds.len() != raw.contract_kinds_sought.len() {
        errors.push(
            InvalidValue::new("1 to 3 distinct contract kinds, none repeated")
                .at(kinds_field.as_str()),
        );
        complete = false;
    }
    if let Some(status) = status
        && let Err(invalid) = status.check_contract_kinds(&contract_kinds)
    {
        errors.push(invalid.at(kinds_field.as_str()));
    }
    let available_from = match raw.available_from.as_ref() {
        None => {
            errors.push(InvalidValue::new("is required").at(format!("{field}.available_from")));
            None
        }
        Some(date) => errors.check(
            &format!("{field}.available_from"),
            vte_wire::date_from_proto(date)
                .and_then(|date| check_date_range(date, today, MAX_AVAILABILITY_YEARS_AHEAD)),
        ),
    };
    match (complete, radius, available_from) {
        (true, Some(mobility_radius_km), Some(available_from)) => Some(Preferences {
            mission_weights,
            mobility_radius_km,
            open_to_relocation: raw.open_to_relocation,
            preferred_regions,
            contract_kinds,
            available_from,
            paused: raw.paused,
            set_by_candidate: false,
        }),
        _ => None,
    }
}

fn check_contact(errors: &mut FieldErrors, field: &str, raw: &wire::Contact) -> Option<Contact> {
    let first_name = check_text(
        errors,
        &format!("{field}.first_name"),
        &raw.first_name,
        MAX_NAME_CHARS,
    );
    let last_name = check_text(
        errors,
        &format!("{field}.last_name"),
        &raw.last_name,
        MAX_NAME_CHARS,
    );
    let email = match email(&raw.email) {
        Ok(email) => Some(email),
        Err(invalid) => {
            errors.push(invalid.at(format!("{field}.email")));
            None
        }
    };
    let phone = match phone(&raw.phone) {
        Ok(phone) => phone,
        Err(invalid) => {
            errors.push(invalid.at(format!("{field}.phone")));
            None
        }
    };
    Some(Contact {
        first_name: first_name?,
        last_name: last_name?,
        email: email?,
        phone,
    })
}

/// An email address of the right shape (see [`vte_domain::EmailAddress`]).
fn email(raw: &str) -> Result<String, InvalidValue> {
    vte_domain::EmailAddress::parse(raw).map(|email| email.as_str().to_owned())
}

/// A phone number in E.164 (`+33612345678`), or empty.
fn phone(raw: &str) -> Result<Option<String>, InvalidValue> {
    let phone = raw.trim();
    if phone.is_empty() {
        return Ok(None);
    }
    let digits = phone.strip_prefix('+').unwrap_or("");
    let valid = (7..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if !valid {
        return Err(InvalidValue::new(
            "must be in E.164 format: '+', the country code and the number, e.g. +33612345678",
        ));
    }
    Ok(Some(phone.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phones_follow_their_formats() {
        assert!(email("jeanne.martin@example.fr").is_ok());
        for bad in [
            "",
            "jeanne",
            "@example.fr",
            "jeanne@",
            "jeanne@example",
            "a b@example.fr",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
        assert_eq!(phone(""), Ok(None));
        assert_eq!(phone("+33612345678"), Ok(Some("+33612345678".to_owned())));
        for bad in ["0612345678", "+0612345678", "+33 6 12 34 56 78", "+33"] {
            assert!(phone(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn texts_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(bounded_text("  génie  ", 10), Ok("génie".to_owned()));
        assert!(bounded_text("   ", 10).is_err());
        assert!(bounded_text("abcdefghijk", 10).is_err());
        assert!(bounded_text("a\u{7}b", 10).is_err());
    }
}
