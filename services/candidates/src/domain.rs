//! The candidates service's rules, free of I/O: what a profile is, how a school's push changes
//! it, what the candidate owns (preferences, consent), when a profile may be matched, and the
//! labels it shows. Values arrive here already checked (see [`crate::mapping::row`]) within the
//! sizes of [`limits`]; a push is decided row by row in [`push`], its new profiles counted
//! against the school's [`quota`]; [`retention`] says when an idle graduate's profile goes.

pub mod limits;
pub mod push;
pub mod quota;
pub mod retention;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use vte_domain::{
    CandidateId, CefrLevel, ContractKind, EducationLevel, InseeCode, InvalidValue, LanguageCode,
    MissionType, SchoolId,
};
use vte_proto::vte::common::v1::{PlatformService, Role};

/// The candidate's academic situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AcademicStatus {
    /// Enrolled and seeking a work-study contract.
    Student,
    /// Holds their diploma and seeks a job.
    Graduate,
}

impl AcademicStatus {
    /// The name stored in the `status` column, for listing by status.
    pub fn as_str(self) -> &'static str {
        match self {
            AcademicStatus::Student => "student",
            AcademicStatus::Graduate => "graduate",
        }
    }

    /// The contract kinds someone of this status may seek: a student seeks work-study (and
    /// possibly more); a graduate any. An empty list is refused elsewhere.
    pub fn check_contract_kinds(self, kinds: &[ContractKind]) -> Result<(), InvalidValue> {
        if self == AcademicStatus::Student
            && !kinds.is_empty()
            && !kinds.contains(&ContractKind::WorkStudy)
        {
            return Err(InvalidValue::new(
                "a student seeks work-study: include WORK_STUDY",
            ));
        }
        Ok(())
    }
}

/// What the school knows of its student, apart from contact data and preferences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schooling {
    pub status: AcademicStatus,
    pub graduation_date: NaiveDate,
    pub level: EducationLevel,
    pub field_of_study: String,
    pub diploma: String,
    pub skills: Vec<String>,
    pub languages: Vec<(LanguageCode, CefrLevel)>,
    /// Home commune (current INSEE code; only the commune, never an address).
    pub home: InseeCode,
}

/// What the candidate looks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// Interest per mission type, 0..=100; empty means no preference.
    pub mission_weights: Vec<(MissionType, u8)>,
    pub mobility_radius_km: u16,
    pub open_to_relocation: bool,
    /// INSEE région codes.
    pub preferred_regions: Vec<String>,
    pub contract_kinds: Vec<ContractKind>,
    pub available_from: NaiveDate,
    pub paused: bool,
    /// True once the candidate set them: later pushes no longer change them.
    pub set_by_candidate: bool,
}

/// The radius a profile gets when its school says nothing of mobility.
pub const DEFAULT_RADIUS_KM: u16 = 50;

impl Preferences {
    /// What a new profile starts with when its school sends no preferences: no mission
    /// preference, 50 km, work-study for a student and CDD or CDI for a graduate, available from
    /// the graduation date (graduate) or today (student).
    pub fn defaults_for(schooling: &Schooling, today: NaiveDate) -> Self {
        let (contract_kinds, available_from) = match schooling.status {
            AcademicStatus::Student => (vec![ContractKind::WorkStudy], today),
            AcademicStatus::Graduate => (
                vec![ContractKind::Cdd, ContractKind::Cdi],
                schooling.graduation_date,
            ),
        };
        Self {
            mission_weights: Vec::new(),
            mobility_radius_km: DEFAULT_RADIUS_KM,
            open_to_relocation: false,
            preferred_regions: Vec::new(),
            contract_kinds,
            available_from,
            paused: false,
            set_by_candidate: false,
        }
    }
}

/// The candidate's consent to be matched and shown pseudonymously to companies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub given: bool,
    pub given_at: Option<DateTime<Utc>>,
    /// The version of the terms consented to.
    pub version: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// A VTE label granted by Bpifrance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub decision_id: uuid::Uuid,
    pub placement_id: uuid::Uuid,
    pub granted_at: DateTime<Utc>,
    pub company_name: String,
    pub offer_title: String,
    pub mission_type: Option<MissionType>,
}

/// A candidate's personal contact data, kept apart from the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// E.164, when known.
    pub phone: Option<String>,
}

/// A student's or graduate's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub id: CandidateId,
    pub school: SchoolId,
    pub school_ref: String,
    pub schooling: Schooling,
    pub preferences: Preferences,
    pub consent: Consent,
    pub labels: Vec<Label>,
    pub revision: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Profile {
    /// A new profile from a school's first push of the student: consent not given yet.
    pub fn create(
        school: SchoolId,
        school_ref: String,
        schooling: Schooling,
        preferences: Option<Preferences>,
        now: DateTime<Utc>,
    ) -> Self {
        let preferences = preferences
            .map(|preferences| Preferences {
                set_by_candidate: false,
                ..preferences
            })
            .unwrap_or_else(|| Preferences::defaults_for(&schooling, now.date_naive()));
        Self {
            id: CandidateId::new(),
            school,
            school_ref,
            schooling,
            preferences,
            consent: Consent::default(),
            labels: Vec::new(),
            revision: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// True when the profile may be ranked: consent given and the search not paused (a stored
    /// profile is always complete).
    pub fn matchable(&self) -> bool {
        self.consent.given && !self.preferences.paused
    }

    /// A later push of the same student: the schooling is replaced, and the preferences too
    /// while the candidate has not set their own. `None` when nothing changes.
    pub fn pushed(
        &self,
        schooling: Schooling,
        preferences: Option<Preferences>,
        now: DateTime<Utc>,
    ) -> Option<Self> {
        let mut next = self.clone();
        next.schooling = schooling;
        if let Some(preferences) = preferences
            && !self.preferences.set_by_candidate
        {
            next.preferences = Preferences {
                set_by_candidate: false,
                ..preferences
            };
        }
        next.changed(self, now)
    }

    /// The candidate replaces their preferences; from now on pushes leave them alone.
    pub fn with_preferences(&self, preferences: Preferences, now: DateTime<Utc>) -> Option<Self> {
        let mut next = self.clone();
        next.preferences = Preferences {
            set_by_candidate: true,
            ..preferences
        };
        next.changed(self, now)
    }

    /// The candidate consents to `version` of the terms (again, possibly).
    pub fn consented(&self, version: &str, now: DateTime<Utc>) -> Option<Self> {
        if self.consent.given && self.consent.version.as_deref() == Some(version) {
            return None;
        }
        let mut next = self.clone();
        next.consent = Consent {
            given: true,
            given_at: Some(now),
            version: Some(version.to_owned()),
            withdrawn_at: None,
        };
        next.changed(self, now)
    }

    /// The candidate withdraws consent: the profile stops being matchable.
    pub fn consent_withdrawn(&self, now: DateTime<Utc>) -> Option<Self> {
        if !self.consent.given {
            return None;
        }
        let mut next = self.clone();
        next.consent.given = false;
        next.consent.withdrawn_at = Some(now);
        next.changed(self, now)
    }

    /// A label granted by Bpifrance; a decision already shown changes nothing.
    pub fn labelled(&self, label: Label, now: DateTime<Utc>) -> Option<Self> {
        if self
            .labels
            .iter()
            .any(|known| known.decision_id == label.decision_id)
        {
            return None;
        }
        let mut next = self.clone();
        next.labels.push(label);
        next.labels.sort_by_key(|label| label.granted_at);
        next.changed(self, now)
    }

    /// A later decision overturned an earlier grant (an appeal): that label goes.
    pub fn label_withdrawn(&self, decision_id: uuid::Uuid, now: DateTime<Utc>) -> Option<Self> {
        let mut next = self.clone();
        next.labels.retain(|label| label.decision_id != decision_id);
        next.changed(self, now)
    }

    /// `self` as the next revision of `before`, or `None` when it is the same profile.
    fn changed(mut self, before: &Self, now: DateTime<Utc>) -> Option<Self> {
        if self == *before {
            return None;
        }
        self.revision = before.revision + 1;
        self.updated_at = now.max(before.updated_at);
        Some(self)
    }
}

/// Who asked for an erasure: the role and subject of their token, and its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    pub role: Role,
    /// The token's subject: an opaque account id.
    pub subject: String,
    pub tenant: Option<String>,
}

/// Why a candidate's data was erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErasureReason {
    /// The candidate, their school or an operator asked (GDPR, article 17).
    Request,
    /// The retention sweep: a graduate past the recency window, idle for the retention period
    /// (see [`retention`]).
    Retention,
}

impl ErasureReason {
    /// The name stored in the `erasures.reason` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Retention => "retention",
        }
    }

    /// The reason of a stored name; `None` for a name this version does not know.
    pub fn parse(stored: &str) -> Option<Self> {
        [Self::Request, Self::Retention]
            .into_iter()
            .find(|reason| reason.as_str() == stored)
    }
}

/// A GDPR erasure and each service's confirmation of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub id: uuid::Uuid,
    /// The erased candidate, kept only as an opaque id.
    pub candidate: CandidateId,
    pub school: SchoolId,
    /// A person's request, or the retention sweep.
    pub reason: ErasureReason,
    pub requested_by: Requester,
    pub requested_at: DateTime<Utc>,
    /// One entry per service that holds candidate data, with when it confirmed.
    pub confirmations: Vec<(PlatformService, Option<DateTime<Utc>>)>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// The services that hold candidate data and must each confirm an erasure.
pub const ERASING_SERVICES: [PlatformService; 4] = [
    PlatformService::Offers,
    PlatformService::Candidates,
    PlatformService::Matching,
    PlatformService::Notifications,
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0)
            .single()
            .expect("date")
    }

    fn schooling(status: AcademicStatus) -> Schooling {
        Schooling {
            status,
            graduation_date: NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
            level: EducationLevel::Bac5,
            field_of_study: "génie mécanique".to_owned(),
            diploma: "Diplôme d'ingénieur".to_owned(),
            skills: vec!["CAO".to_owned()],
            languages: vec![],
            home: InseeCode::parse("31555").expect("insee"),
        }
    }

    fn profile() -> Profile {
        Profile::create(
            SchoolId::new(),
            "E-1".to_owned(),
            schooling(AcademicStatus::Graduate),
            None,
            at(1),
        )
    }

    #[test]
    fn a_new_profile_is_not_matchable_until_its_candidate_consents() {
        let created = profile();
        assert_eq!(created.revision, 1);
        assert!(!created.matchable());
        let consented = created.consented("2025-01", at(2)).expect("changes");
        assert!(consented.matchable());
        assert_eq!(consented.revision, 2);
        assert_eq!(consented.consented("2025-01", at(3)), None, "same consent");
        let withdrawn = consented.consent_withdrawn(at(4)).expect("changes");
        assert!(!withdrawn.matchable());
        assert_eq!(withdrawn.consent.withdrawn_at, Some(at(4)));
        assert_eq!(withdrawn.consent_withdrawn(at(5)), None);
    }

    #[test]
    fn defaults_follow_the_academic_status() {
        let graduate = profile();
        assert_eq!(
            graduate.preferences.contract_kinds,
            [ContractKind::Cdd, ContractKind::Cdi]
        );
        assert_eq!(
            graduate.preferences.available_from,
            graduate.schooling.graduation_date
        );
        let student = Profile::create(
            SchoolId::new(),
            "E-2".to_owned(),
            schooling(AcademicStatus::Student),
            None,
            at(1),
        );
        assert_eq!(
            student.preferences.contract_kinds,
            [ContractKind::WorkStudy]
        );
        assert_eq!(student.preferences.available_from, at(1).date_naive());
        assert_eq!(student.preferences.mobility_radius_km, DEFAULT_RADIUS_KM);
    }

    #[test]
    fn the_same_push_twice_changes_nothing_and_a_different_one_bumps_the_revision() {
        let created = profile();
        assert_eq!(created.pushed(created.schooling.clone(), None, at(2)), None);
        let mut moved = created.schooling.clone();
        moved.home = InseeCode::parse("46102").expect("insee");
        let next = created.pushed(moved, None, at(2)).expect("changed");
        assert_eq!(next.revision, 2);
        assert_eq!(next.updated_at, at(2));
    }

    #[test]
    fn once_the_candidate_sets_preferences_pushes_no_longer_change_them() {
        let created = profile();
        let mut mine = created.preferences.clone();
        mine.mobility_radius_km = 150;
        let owned = created.with_preferences(mine, at(2)).expect("changed");
        assert!(owned.preferences.set_by_candidate);
        let mut school_says = owned.preferences.clone();
        school_says.mobility_radius_km = 10;
        school_says.set_by_candidate = false;
        assert_eq!(
            owned.pushed(owned.schooling.clone(), Some(school_says), at(3)),
            None
        );
    }

    #[test]
    fn a_paused_search_is_not_matchable() {
        let consented = profile().consented("2025-01", at(2)).expect("changes");
        let mut paused = consented.preferences.clone();
        paused.paused = true;
        assert!(
            !consented
                .with_preferences(paused, at(3))
                .expect("changed")
                .matchable()
        );
    }

    #[test]
    fn a_label_is_shown_once_and_an_overturned_one_goes() {
        let label = Label {
            decision_id: uuid::Uuid::now_v7(),
            placement_id: uuid::Uuid::now_v7(),
            granted_at: at(3),
            company_name: "Ratier".to_owned(),
            offer_title: "Ingénieur méthodes".to_owned(),
            mission_type: Some(MissionType::Technologie),
        };
        let labelled = profile().labelled(label.clone(), at(3)).expect("changed");
        assert_eq!(labelled.labels, std::slice::from_ref(&label));
        assert_eq!(labelled.labelled(label.clone(), at(4)), None);
        let withdrawn = labelled
            .label_withdrawn(label.decision_id, at(5))
            .expect("changed");
        assert!(withdrawn.labels.is_empty());
        assert_eq!(withdrawn.label_withdrawn(label.decision_id, at(6)), None);
    }
}
