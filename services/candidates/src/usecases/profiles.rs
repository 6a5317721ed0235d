//! Reading profiles (one by id or by its school's reference, a school's by page) and what the
//! candidate alone changes on theirs: preferences and consent. Each change is a new revision,
//! published as `CandidateProfileChanged`.

use vte_domain::{CandidateId, SchoolId};
use vte_service::auth::Caller;
use vte_wire::page::{Page, PageRequest};

use super::{Candidates, Revised};
use crate::access;
use crate::domain::{AcademicStatus, Preferences, Profile};
use crate::error::{Error, Missing};
use crate::store;

/// Which profile to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileKey {
    /// By the platform's id.
    Id(CandidateId),
    /// By the school's own reference (trimmed, not empty).
    SchoolRef {
        school: SchoolId,
        school_ref: String,
    },
}

/// Which of a school's profiles to list, a page at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileQuery {
    /// The school; a school caller may leave it out.
    pub school: Option<SchoolId>,
    pub status: Option<AcademicStatus>,
    pub matchable_only: bool,
    /// The page, ordered by the school's reference.
    pub page: PageRequest<String>,
}

/// A page of profiles, by the school's reference.
pub type ProfilePage = Page<Profile, String>;

/// A candidate replacing their preferences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferencesUpdate {
    /// The candidate; the caller when left out.
    pub candidate: Option<CandidateId>,
    /// The revision the candidate read; 0 for whatever is stored.
    pub expected_revision: u64,
    pub preferences: Preferences,
}

impl Candidates {
    /// One profile, to its school, the candidate themself, operators and the platform's
    /// services; to another school, the same `NOT_FOUND` as for an absent one.
    pub async fn get_profile(&self, caller: &Caller, key: ProfileKey) -> Result<Profile, Error> {
        // What the role may never read is refused before the lookup; a profile found that is
        // not the caller's reads as absent, so existence never leaks.
        let named = match &key {
            ProfileKey::Id(id) => Some(*id),
            ProfileKey::SchoolRef { .. } => None,
        };
        access::read_profiles(caller, named)?;
        let mut conn = self.pool.acquire().await?;
        let profile = match key {
            ProfileKey::Id(id) => store::profile(&mut conn, id, false).await?,
            ProfileKey::SchoolRef { school, school_ref } => {
                access::lookup_by_ref(caller, school)?;
                store::profile_by_ref(&mut conn, school, &school_ref).await?
            }
        };
        let profile = profile.ok_or(Error::NotFound(Missing::Profile))?;
        access::read_profile(caller, profile.id, profile.school)?;
        Ok(profile)
    }

    /// A page of a school's profiles, to the school or an operator naming it.
    pub async fn list_profiles(
        &self,
        caller: &Caller,
        query: ProfileQuery,
    ) -> Result<ProfilePage, Error> {
        let school = access::school_scope(caller, query.school)?;
        let mut conn = self.pool.acquire().await?;
        let profiles = store::list(
            &mut conn,
            school,
            query.status,
            query.matchable_only,
            &query.page,
        )
        .await?;
        Ok(query
            .page
            .page(profiles, |profile| profile.school_ref.clone()))
    }

    /// The candidate replaces their preferences; from then on pushes leave them alone.
    pub async fn update_preferences(
        &self,
        caller: &Caller,
        update: PreferencesUpdate,
    ) -> Result<Profile, Error> {
        let PreferencesUpdate {
            candidate,
            expected_revision,
            preferences,
        } = update;
        self.change_own(caller, candidate, |profile, now| {
            if expected_revision != 0 && expected_revision != profile.revision {
                return Err(Error::StaleRevision {
                    expected: expected_revision,
                    actual: profile.revision,
                });
            }
            profile
                .schooling
                .status
                .check_contract_kinds(&preferences.contract_kinds)
                .map_err(|invalid| invalid.at("preferences.contract_kinds_sought"))?;
            Ok(profile.with_preferences(preferences, now))
        })
        .await
    }

    /// The candidate consents to the current version of the terms (`terms_version`, as sent).
    pub async fn give_consent(
        &self,
        caller: &Caller,
        candidate: Option<CandidateId>,
        terms_version: &str,
    ) -> Result<Profile, Error> {
        let version = terms_version.trim();
        if version != &*self.terms_version {
            return Err(Error::invalid(
                "terms_version",
                format!(
                    "must be the current version of the terms, {}",
                    self.terms_version
                ),
            ));
        }
        self.change_own(caller, candidate, |profile, now| {
            Ok(profile.consented(version, now))
        })
        .await
    }

    /// The candidate withdraws consent: the profile stops being matchable.
    pub async fn withdraw_consent(
        &self,
        caller: &Caller,
        candidate: Option<CandidateId>,
    ) -> Result<Profile, Error> {
        self.change_own(caller, candidate, |profile, now| {
            Ok(profile.consent_withdrawn(now))
        })
        .await
    }

    /// A change the candidate makes to their own profile, in a transaction of its own.
    async fn change_own(
        &self,
        caller: &Caller,
        named: Option<CandidateId>,
        change: impl FnOnce(&Profile, chrono::DateTime<chrono::Utc>) -> Result<Option<Profile>, Error>,
    ) -> Result<Profile, Error> {
        let candidate = access::self_service(caller, named)?;
        let mut tx = self.begin().await?;
        let revised = self
            .revise(&mut tx, candidate, change)
            .await?
            .ok_or(Error::NotFound(Missing::Profile))?;
        match revised {
            Revised::Changed(profile) => {
                tx.commit().await?;
                Ok(profile)
            }
            Revised::Unchanged(profile) => {
                tx.rollback().await?;
                Ok(profile)
            }
        }
    }
}
