//! A school's push decided row by row, free of I/O: a row that breaks a rule, repeats an earlier
//! row of its message, names an erased student or creates a profile without contact data is
//! rejected (with its position, field and rule); the others create a profile, update one, or
//! change nothing when equal to what is stored. [`PushSummary`] counts what happened, and lists
//! the rejections within bounds ([`super::limits`]): at most [`MAX_REJECTIONS_PER_ROW`] per
//! row and [`MAX_REJECTIONS_PER_PUSH`] (or [`MAX_REJECTION_BYTES`]) per push, the others only
//! counted, so a push's summary stays small whatever it was sent.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use vte_domain::error::more_errors;
use vte_domain::{CandidateId, FieldErrors, SchoolId};

use super::limits::{MAX_REJECTION_BYTES, MAX_REJECTIONS_PER_PUSH, MAX_REJECTIONS_PER_ROW};
use super::{Contact, ErasureReason, Preferences, Profile, Schooling};

/// One row as a school sent it, checked: the reference as sent (to name the row in a
/// rejection) and the profile it describes, or every rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRow {
    /// `school_student_ref` as sent, untrimmed, cut as [`vte_domain::echo`] cuts it: the
    /// decoder never keeps more of it than a rejection may quote.
    pub sent_ref: String,
    pub checked: Result<PushedProfile, FieldErrors>,
}

/// What a valid row says of a student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedProfile {
    pub school_ref: String,
    pub schooling: Schooling,
    pub preferences: Option<Preferences>,
    pub contact: Option<Contact>,
}

/// How many rows a push received and what became of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushCounts {
    pub received: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub rejected: u32,
}

/// A rejected row: its position in the push (from 1), the reference as sent, and one broken
/// rule (a row breaking several rules has one rejection per rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRejection {
    pub position: u32,
    pub sent_ref: String,
    pub field: String,
    pub rule: String,
}

/// What a push (or one message of it) did: the counts, and the rejections as far as they are
/// listed ([`PushSummary::unlisted`] counts the others).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushSummary {
    pub counts: PushCounts,
    pub rejections: Vec<RowRejection>,
    /// Rejections counted but not listed, past [`MAX_REJECTIONS_PER_PUSH`] or
    /// [`MAX_REJECTION_BYTES`].
    pub unlisted: u32,
    /// Bytes of text the listed rejections carry.
    listed_bytes: usize,
}

impl PushSummary {
    /// Adds what a later message of the same push did (its rejections as far as they still
    /// fit).
    pub fn add(&mut self, later: PushSummary) {
        let (counts, more) = (&mut self.counts, later.counts);
        counts.received += more.received;
        counts.created += more.created;
        counts.updated += more.updated;
        counts.unchanged += more.unchanged;
        counts.rejected += more.rejected;
        for rejection in later.rejections {
            self.list(rejection);
        }
        self.unlisted = self.unlisted.saturating_add(later.unlisted);
    }

    /// Lists `rejection` if the push's bounds allow it, else counts it.
    fn list(&mut self, rejection: RowRejection) {
        let bytes = rejection.sent_ref.len() + rejection.field.len() + rejection.rule.len() + 16;
        if self.rejections.len() < MAX_REJECTIONS_PER_PUSH
            && self.listed_bytes + bytes <= MAX_REJECTION_BYTES
        {
            self.listed_bytes += bytes;
            self.rejections.push(rejection);
        } else {
            self.unlisted = self.unlisted.saturating_add(1);
        }
    }

    /// Counts one row rejected for `rules` (one rejection each, [`MAX_REJECTIONS_PER_ROW`]
    /// at most, then one counting the rest of them and `also` more).
    fn reject<'a>(
        &mut self,
        position: u32,
        sent_ref: &str,
        rules: impl IntoIterator<Item = (&'a str, &'a str)>,
        also: usize,
    ) {
        let mut beyond = also;
        for (i, (field, rule)) in rules.into_iter().enumerate() {
            if i >= MAX_REJECTIONS_PER_ROW {
                beyond += 1;
                continue;
            }
            self.list(RowRejection {
                position,
                sent_ref: sent_ref.to_owned(),
                field: field.to_owned(),
                rule: rule.to_owned(),
            });
        }
        if beyond > 0 {
            self.list(RowRejection {
                position,
                sent_ref: sent_ref.to_owned(),
                field: String::new(),
                rule: format!("{} in this row", more_errors(beyond)),
            });
        }
        self.counts.rejected += 1;
    }
}

/// A valid row and its position.
#[derive(Debug)]
struct ValidRow {
    position: u32,
    sent_ref: String,
    profile: PushedProfile,
}

/// One message of rows once checked on its own: what remains to compare with the store.
#[derive(Debug)]
pub struct CheckedMessage {
    received: u32,
    valid: Vec<ValidRow>,
    tally: PushSummary,
}

/// What one message of rows changes: new revisions in row order (`true` for a creation), the
/// contact data to write, and the message's summary.
#[derive(Debug)]
pub struct MessagePlan {
    pub revisions: Vec<(Profile, bool)>,
    pub contacts: Vec<(CandidateId, Contact)>,
    pub summary: PushSummary,
}

impl CheckedMessage {
    /// Rejects the rows that break a rule and the repeats of an earlier row's reference;
    /// positions count from `first_position`.
    pub fn check(rows: Vec<PushedRow>, first_position: u32) -> Self {
        let received = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        let mut tally = PushSummary::default();
        let mut valid = Vec::with_capacity(rows.len());
        let mut first_seen: HashMap<String, u32> = HashMap::with_capacity(rows.len());
        for (offset, row) in rows.into_iter().enumerate() {
            let position = first_position + u32::try_from(offset).unwrap_or(u32::MAX);
            match row.checked {
                Ok(profile) => match first_seen.get(&profile.school_ref) {
                    Some(first) => {
                        let rule = format!("repeats row {first} of this message");
                        tally.reject(position, &row.sent_ref, [("school_student_ref", &*rule)], 0);
                    }
                    None => {
                        first_seen.insert(profile.school_ref.clone(), position);
                        valid.push(ValidRow {
                            position,
                            sent_ref: row.sent_ref,
                            profile,
                        });
                    }
                },
                Err(errors) => tally.reject(
                    position,
                    &row.sent_ref,
                    errors.iter().map(|error| (error.field(), error.rule())),
                    errors.omitted(),
                ),
            }
        }
        Self {
            received,
            valid,
            tally,
        }
    }

    /// The references of the valid rows, to look up in the store.
    pub fn refs(&self) -> Vec<String> {
        self.valid
            .iter()
            .map(|row| row.profile.school_ref.clone())
            .collect()
    }

    /// Decides each valid row against the store: `erased` references are refused (saying why
    /// they were erased), `existing` profiles (with their contact data) are updated or left
    /// unchanged, the others created.
    pub fn plan(
        self,
        school: SchoolId,
        erased: &HashMap<String, ErasureReason>,
        existing: &HashMap<String, (Profile, Option<Contact>)>,
        now: DateTime<Utc>,
    ) -> MessagePlan {
        let mut summary = self.tally;
        summary.counts.received = self.received;
        let mut revisions = Vec::with_capacity(self.valid.len());
        let mut contacts = Vec::new();
        for row in self.valid {
            let pushed = row.profile;
            if let Some(reason) = erased.get(&pushed.school_ref) {
                let rule = match reason {
                    ErasureReason::Request => {
                        "this student's data was erased at their request: the reference is not \
                         pushed again"
                    }
                    ErasureReason::Retention => {
                        "this graduate's profile was erased by the retention sweep (past the \
                         graduate recency window, idle for the retention period): the reference \
                         is not pushed again; a returning student takes a new reference"
                    }
                };
                summary.reject(
                    row.position,
                    &row.sent_ref,
                    [("school_student_ref", rule)],
                    0,
                );
                continue;
            }
            match existing.get(&pushed.school_ref) {
                None => {
                    let Some(contact) = pushed.contact else {
                        summary.reject(
                            row.position,
                            &row.sent_ref,
                            [("contact", "is required when the profile is created")],
                            0,
                        );
                        continue;
                    };
                    let profile = Profile::create(
                        school,
                        pushed.school_ref,
                        pushed.schooling,
                        pushed.preferences,
                        now,
                    );
                    contacts.push((profile.id, contact));
                    revisions.push((profile, true));
                    summary.counts.created += 1;
                }
                Some((stored, stored_contact)) => {
                    let next = stored.pushed(pushed.schooling, pushed.preferences, now);
                    let new_contact = pushed
                        .contact
                        .filter(|contact| Some(contact) != stored_contact.as_ref());
                    if next.is_none() && new_contact.is_none() {
                        summary.counts.unchanged += 1;
                        continue;
                    }
                    if let Some(next) = next {
                        revisions.push((next, false));
                    }
                    if let Some(contact) = new_contact {
                        contacts.push((stored.id, contact));
                    }
                    summary.counts.updated += 1;
                }
            }
        }
        MessagePlan {
            revisions,
            contacts,
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AcademicStatus;
    use chrono::{NaiveDate, TimeZone};
    use vte_domain::{EducationLevel, InseeCode, InvalidValue};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
            .single()
            .expect("date")
    }

    fn contact() -> Contact {
        Contact {
            first_name: "Jeanne".to_owned(),
            last_name: "Martin".to_owned(),
            email: "jeanne.martin@example.fr".to_owned(),
            phone: None,
        }
    }

    fn row(school_ref: &str, contact: Option<Contact>) -> PushedRow {
        PushedRow {
            sent_ref: school_ref.to_owned(),
            checked: Ok(PushedProfile {
                school_ref: school_ref.to_owned(),
                schooling: Schooling {
                    status: AcademicStatus::Graduate,
                    graduation_date: NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
                    level: EducationLevel::Bac5,
                    field_of_study: "génie mécanique".to_owned(),
                    diploma: "Diplôme d'ingénieur".to_owned(),
                    skills: vec![],
                    languages: vec![],
                    home: InseeCode::parse("31555").expect("insee"),
                },
                preferences: None,
                contact,
            }),
        }
    }

    fn bad_row(sent_ref: &str) -> PushedRow {
        let mut errors = FieldErrors::new();
        errors.push(InvalidValue::new("is required").at("graduation_date"));
        errors.push(InvalidValue::new("is required: bac+2 to bac+5").at("level"));
        PushedRow {
            sent_ref: sent_ref.to_owned(),
            checked: Err(errors),
        }
    }

    #[test]
    fn each_broken_rule_is_reported_and_the_row_counted_once() {
        let school = SchoolId::new();
        let checked = CheckedMessage::check(
            vec![row("A", Some(contact())), bad_row("B"), row("A", None)],
            11,
        );
        assert_eq!(checked.refs(), ["A"]);
        let plan = checked.plan(school, &HashMap::new(), &HashMap::new(), now());
        let counts = plan.summary.counts;
        assert_eq!(
            (counts.received, counts.created, counts.rejected),
            (3, 1, 2)
        );
        let rejected: Vec<_> = plan
            .summary
            .rejections
            .iter()
            .map(|r| (r.position, r.field.as_str()))
            .collect();
        assert_eq!(
            rejected,
            [
                (12, "graduation_date"),
                (12, "level"),
                (13, "school_student_ref")
            ]
        );
        assert!(plan.summary.rejections[2].rule.contains("row 11"));
        assert_eq!(plan.revisions.len(), 1);
        assert!(plan.revisions[0].1, "a creation");
        assert_eq!(plan.contacts.len(), 1);
    }

    #[test]
    fn an_erased_student_and_a_new_one_without_contact_data_are_refused() {
        let school = SchoolId::new();
        let checked = CheckedMessage::check(vec![row("E", Some(contact())), row("N", None)], 1);
        let erased = HashMap::from([("E".to_owned(), ErasureReason::Request)]);
        let plan = checked.plan(school, &erased, &HashMap::new(), now());
        assert_eq!(plan.summary.counts.rejected, 2);
        let fields: Vec<_> = plan
            .summary
            .rejections
            .iter()
            .map(|r| r.field.as_str())
            .collect();
        assert_eq!(fields, ["school_student_ref", "contact"]);
        assert!(plan.revisions.is_empty() && plan.contacts.is_empty());
    }

    #[test]
    fn a_row_equal_to_the_stored_profile_changes_nothing_and_new_contact_data_updates_it() {
        let school = SchoolId::new();
        let Ok(pushed) = row("S", None).checked else {
            unreachable!("a valid row")
        };
        let stored = Profile::create(school, "S".to_owned(), pushed.schooling, None, now());
        let existing = HashMap::from([("S".to_owned(), (stored.clone(), Some(contact())))]);
        let same = CheckedMessage::check(vec![row("S", Some(contact()))], 1).plan(
            school,
            &HashMap::new(),
            &existing,
            now(),
        );
        assert_eq!(same.summary.counts.unchanged, 1);
        assert!(same.revisions.is_empty() && same.contacts.is_empty());
        let mut moved = contact();
        moved.email = "jeanne@example.org".to_owned();
        let updated = CheckedMessage::check(vec![row("S", Some(moved))], 1).plan(
            school,
            &HashMap::new(),
            &existing,
            now(),
        );
        assert_eq!(updated.summary.counts.updated, 1);
        assert!(
            updated.revisions.is_empty(),
            "the profile itself is the same"
        );
        assert_eq!(updated.contacts.len(), 1);
        assert_eq!(updated.contacts[0].0, stored.id);
    }

    #[test]
    fn a_row_lists_ten_rejections_and_a_push_a_thousand_then_they_are_counted() {
        let mut errors = FieldErrors::new();
        for i in 0..60 {
            errors.push(InvalidValue::new("is required").at(format!("skills[{i}]")));
        }
        let row = PushedRow {
            sent_ref: "R".to_owned(),
            checked: Err(errors),
        };
        let school = SchoolId::new();
        let one = CheckedMessage::check(vec![row.clone()], 1).plan(
            school,
            &HashMap::new(),
            &HashMap::new(),
            now(),
        );
        assert_eq!(one.summary.rejections.len(), MAX_REJECTIONS_PER_ROW + 1);
        assert_eq!(
            one.summary.rejections[MAX_REJECTIONS_PER_ROW].rule,
            "... and 50 more errors in this row"
        );
        let mut total = PushSummary::default();
        for message in 0..200 {
            let rows = vec![row.clone(); 10];
            let plan = CheckedMessage::check(rows, message * 10 + 1).plan(
                school,
                &HashMap::new(),
                &HashMap::new(),
                now(),
            );
            total.add(plan.summary);
        }
        assert_eq!(total.counts.rejected, 2_000);
        assert_eq!(total.rejections.len(), MAX_REJECTIONS_PER_PUSH);
        assert_eq!(
            total.rejections.len() + total.unlisted as usize,
            2_000 * (MAX_REJECTIONS_PER_ROW + 1)
        );
    }

    #[test]
    fn a_later_message_adds_to_the_summary() {
        let mut total = PushSummary::default();
        let school = SchoolId::new();
        for first in [1, 3] {
            let message = CheckedMessage::check(vec![bad_row("X"), bad_row("Y")], first).plan(
                school,
                &HashMap::new(),
                &HashMap::new(),
                now(),
            );
            total.add(message.summary);
        }
        assert_eq!((total.counts.received, total.counts.rejected), (4, 4));
        assert_eq!(total.rejections.len(), 8);
        assert_eq!(total.rejections[7].position, 4);
    }
}
