//! Applications: a candidate applies (or their school on their behalf), the company reviews,
//! interviews, accepts or refuses, the candidate's side may withdraw. Accepting fills a position,
//! starts the placement and makes the candidate's other open applications obsolete, all in one
//! transaction with one event per aggregate changed.

use sqlx::{Postgres, Transaction};
use vte_domain::{ApplicationId, CandidateId, PlacementId, SchoolId};
use vte_service::auth::{Caller, Identity};
use vte_service::contacts::{Contact, Lookup};

use super::{Offers, again, invitations, now, today};
use crate::access::{self, Person};
use crate::domain::acceptance::Scheme;
use crate::domain::{
    Acceptance, Application, DomainError, Offer, OfferChange, OfferStatus, accept,
};
use crate::error::Error;
use crate::mapping::{
    self, AcceptInput, ApplicationStep, ApplyInput, ListApplicationsInput, ScheduleInterviewInput,
};
use crate::store::{self, Page};
use vte_rules::Options;

/// An application as its reader may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationView {
    /// The application.
    pub application: Application,
    /// The candidate's contact data: only for the candidate themself and the company applied to
    /// (when the candidate applied themself or consents now), and `None` once erased.
    pub contact: Option<Contact>,
}

/// Which side may take a step on an application.
#[derive(Clone, Copy)]
enum Side {
    /// The company that owns the offer (or an operator).
    Employer,
    /// The candidate or their school (or an operator).
    Candidate,
}

impl Offers {
    /// A candidate applies to a published offer, or their school (or an operator) applies for
    /// them.
    pub async fn apply(&self, who: &Identity, input: ApplyInput) -> Result<Application, Error> {
        let candidate = match (&who.caller, input.candidate_id) {
            (Caller::Candidate { candidate_id }, None) => *candidate_id,
            (_, Some(candidate)) => candidate,
            (_, None) => {
                return Err(Error::TargetNotNamed {
                    field: "candidate_id",
                    rule: "is required when a school or an operator applies",
                });
            }
        };
        let known = store::load_candidate(&self.pool, candidate).await?;
        if known.as_ref().is_some_and(|known| known.erased) {
            return Err(Error::CandidateErased);
        }
        let school = known.as_ref().and_then(|known| known.school_id);
        access::act_for(&who.caller, person(&candidate, school.as_ref()))?;
        // Applying discloses the candidate's contact data to the company: only the candidate
        // themself, or someone acting for them while they consent.
        let by_candidate =
            matches!(who.caller, Caller::Candidate { candidate_id } if candidate_id == candidate);
        if !by_candidate && !store::consents(&self.pool, candidate).await? {
            return Err(Error::ConsentRequired);
        }
        let school = school.or(match who.caller {
            Caller::School { school_id } => Some(school_id),
            _ => None,
        });
        let now = now();
        let mut transaction = self.pool.begin().await?;
        let offer = store::lock_offer(&mut transaction, input.offer_id, &self.reference)
            .await?
            .ok_or(Error::NotFound("offer"))?;
        // A draft is not there for whoever may not read it: no "not published" to probe with.
        if offer.status == OfferStatus::Draft {
            access::read_offer(&who.caller, &offer.company_siren, false)?;
        }
        let application = Application::submit(
            ApplicationId::new(),
            &offer,
            candidate,
            school,
            &access::actor(who),
            &input.message,
            today(now),
            now,
        )?;
        // The pair must be eligible under the rules of the offer's start date.
        self.require_eligible(&mut transaction, &offer, candidate)
            .await?;
        store::insert_application(&mut transaction, &application).await?;
        vte_events::append(&mut transaction, &mapping::application_event(&application)).await?;
        // Applying answers the company's invitation to this offer, if there is one.
        invitations::accept_pending(
            &mut transaction,
            &offer,
            candidate,
            application.id,
            &access::actor(who),
            now,
        )
        .await?;
        transaction.commit().await?;
        Ok(application)
    }

    /// An application, for its parties, operators and services; with the candidate's contact
    /// data for the candidate, and for the company applied to when the candidate applied
    /// themself or consents now.
    pub async fn get_application(
        &self,
        who: &Identity,
        id: ApplicationId,
    ) -> Result<ApplicationView, Error> {
        let application = store::load_application(&self.pool, id)
            .await?
            .ok_or(Error::NotFound("application"))?;
        access::read_case(
            &who.caller,
            &application.company_siren,
            person(&application.candidate_id, application.school_id.as_ref()),
            false,
        )?;
        // The company reads the contact data only when the candidate applied themself or
        // consents now (a school's application for a student who withdrew since discloses
        // nothing); the candidate always reads their own.
        let discloses = match who.caller {
            Caller::Candidate { .. } => true,
            Caller::Company { .. } => {
                application.submitted_by_candidate()
                    || store::consents(&self.pool, application.candidate_id).await?
            }
            _ => false,
        };
        let contact = if discloses {
            self.candidate_contact(application.candidate_id).await?
        } else {
            None
        };
        Ok(ApplicationView {
            application,
            contact,
        })
    }

    /// The candidate's contact data, which the candidates service owns; `None` once erased.
    async fn candidate_contact(&self, candidate: CandidateId) -> Result<Option<Contact>, Error> {
        match self.contacts.lookup(candidate).await {
            Ok(Lookup::Found(contact)) => Ok(Some(contact)),
            Ok(Lookup::Gone) => Ok(None),
            Err(failed) => Err(Error::ContactsUnavailable(failed)),
        }
    }

    /// A page of the applications to an offer (for its company) or of a candidate (for them
    /// and their school); services read either.
    pub async fn list_applications(
        &self,
        who: &Identity,
        input: ListApplicationsInput,
    ) -> Result<Page<Application>, Error> {
        let page = self.readable_page(who, &input, read_for).await?;
        let scope = input.scope.into();
        Ok(store::list_applications(&self.pool, scope, &input.statuses, page).await?)
    }

    /// The company starts reviewing the application.
    pub async fn review_application(
        &self,
        who: &Identity,
        step: ApplicationStep,
    ) -> Result<Application, Error> {
        let (actor, now) = (access::actor(who), now());
        self.step(who, step.application_id, Side::Employer, |a| {
            a.start_review(&actor, &step.text, now)
        })
        .await
    }

    /// The company invites the candidate to an interview.
    pub async fn schedule_interview(
        &self,
        who: &Identity,
        input: ScheduleInterviewInput,
    ) -> Result<Application, Error> {
        let (actor, now) = (access::actor(who), now());
        self.step(who, input.application_id, Side::Employer, |a| {
            a.schedule_interview(&actor, input.interview_at, &input.note, now)
        })
        .await
    }

    /// The company refuses the application.
    pub async fn refuse_application(
        &self,
        who: &Identity,
        step: ApplicationStep,
    ) -> Result<Application, Error> {
        let (actor, now) = (access::actor(who), now());
        self.step(who, step.application_id, Side::Employer, |a| {
            a.refuse(&actor, &step.text, now)
        })
        .await
    }

    /// The candidate (or their school) withdraws the application.
    pub async fn withdraw_application(
        &self,
        who: &Identity,
        step: ApplicationStep,
    ) -> Result<Application, Error> {
        let (actor, now) = (access::actor(who), now());
        self.step(who, step.application_id, Side::Candidate, |a| {
            a.withdraw(&actor, &step.text, now)
        })
        .await
    }

    /// Locks the application, checks the caller's side, applies `change`, saves it with one
    /// event.
    async fn step(
        &self,
        who: &Identity,
        id: ApplicationId,
        side: Side,
        change: impl FnOnce(&Application) -> Result<Application, DomainError>,
    ) -> Result<Application, Error> {
        let mut transaction = self.pool.begin().await?;
        let application = store::lock_application(&mut transaction, id)
            .await?
            .ok_or(Error::NotFound("application"))?;
        match side {
            Side::Employer => access::manage_offer(&who.caller, &application.company_siren)?,
            Side::Candidate => access::act_for(
                &who.caller,
                person(&application.candidate_id, application.school_id.as_ref()),
            )?,
        }
        let next = change(&application)?;
        store::save_application(&mut transaction, &next, application.revision).await?;
        vte_events::append(&mut transaction, &mapping::application_event(&next)).await?;
        transaction.commit().await?;
        Ok(next)
    }

    /// The company hires the candidate: the application is accepted, the offer fills a
    /// position (and is filled at the last one), the placement starts, and the candidate's
    /// other open applications (and the filled offer's) become obsolete. Concurrent acceptances
    /// on one offer queue on the offer's lock, each seeing the positions the previous one left;
    /// a transaction PostgreSQL aborts for a lock conflict runs again.
    pub async fn accept_application(
        &self,
        who: &Identity,
        input: AcceptInput,
    ) -> Result<Acceptance, Error> {
        let mut attempt = 1;
        loop {
            match self.accept_once(who, &input).await {
                Err(error) if again(&error, &mut attempt).await => {}
                outcome => return outcome,
            }
        }
    }

    /// One attempt of [`Offers::accept_application`]. Rows are locked in the order every writer
    /// of an offer and its applications follows: the offer first, then its applications (and
    /// the candidate's) by id, in one query.
    async fn accept_once(&self, who: &Identity, input: &AcceptInput) -> Result<Acceptance, Error> {
        // The offer and the company of an application never change: read them unlocked to
        // know which offer to lock first.
        let found = store::load_application(&self.pool, input.application_id)
            .await?
            .ok_or(Error::NotFound("application"))?;
        access::manage_offer(&who.caller, &found.company_siren)?;
        let now = now();
        let mut transaction = self.pool.begin().await?;
        let offer = store::lock_offer(&mut transaction, found.offer_id, &self.reference)
            .await?
            .ok_or(Error::NotFound("offer"))?;
        let application = store::lock_application(&mut transaction, input.application_id)
            .await?
            .ok_or(Error::NotFound("application"))?;
        // The candidate's and the offer's open applications, each once (this one among them).
        let others =
            store::open_applications_around(&mut transaction, application.candidate_id, offer.id)
                .await?;
        // The hire is judged on the candidate's facts as this service last learnt them.
        let facts = store::load_candidate_facts(&mut *transaction, application.candidate_id)
            .await?
            .ok_or(Error::ProfileNotKnown)?;
        let scheme = Scheme {
            rules: &self.rules,
            candidate: &facts,
        };
        let acceptance = accept(
            &application,
            &offer,
            &others,
            &access::actor(who),
            &input.terms,
            scheme,
            PlacementId::new(),
            now,
        )?;
        store::save_application(
            &mut transaction,
            &acceptance.application,
            application.revision,
        )
        .await?;
        let accepted = mapping::application_event(&acceptance.application);
        vte_events::append(&mut transaction, &accepted).await?;
        store::save_offer(
            &mut transaction,
            &acceptance.offer,
            offer.revision,
            &self.reference,
            &self.rules,
        )
        .await?;
        let change = OfferChange::between(&offer, &acceptance.offer);
        let filled = mapping::offer_event(&acceptance.offer, change, &self.rules);
        vte_events::append(&mut transaction, &filled).await?;
        // The last position filled: the offer's pending invitations expire.
        invitations::expire_pending(&mut transaction, &acceptance.offer).await?;
        store::insert_placement(&mut transaction, &acceptance.placement).await?;
        let started = mapping::placement_event(&acceptance.placement, None);
        vte_events::append(&mut transaction, &started).await?;
        for obsolete in &acceptance.obsolete {
            let before = others
                .iter()
                .find(|other| other.id == obsolete.id)
                .map_or(obsolete.revision, |other| other.revision);
            store::save_application(&mut transaction, obsolete, before).await?;
            vte_events::append(&mut transaction, &mapping::application_event(obsolete)).await?;
        }
        transaction.commit().await?;
        Ok(acceptance)
    }

    /// Refuses a pair the scheme's verdict does not admit, under the rules of the offer's start
    /// date and the candidate's facts as this service last learnt them (FAILED_PRECONDITION
    /// naming the rule): applying and inviting judge alike.
    pub(super) async fn require_eligible(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        offer: &Offer,
        candidate: CandidateId,
    ) -> Result<(), Error> {
        let facts = store::load_candidate_facts(&mut **transaction, candidate)
            .await?
            .ok_or(Error::ProfileNotKnown)?;
        if let Some(spec) = offer.spec() {
            let verdict = vte_rules::judge(&self.rules, &spec.facts(), &facts, Options::default());
            DomainError::unless_admissible(&verdict)?;
        }
        Ok(())
    }

    /// The candidate's school, as the candidates service last said.
    pub(super) async fn school_of(
        &self,
        candidate: CandidateId,
    ) -> Result<Option<SchoolId>, Error> {
        Ok(store::load_candidate(&self.pool, candidate)
            .await?
            .and_then(|known| known.school_id))
    }
}

/// Reading a candidate's applications: the candidate themself, their school, or an operator.
fn read_for(
    who: &Identity,
    candidate: &CandidateId,
    school: Option<&SchoolId>,
) -> Result<(), Error> {
    access::act_for(&who.caller, person(candidate, school))
}

/// The person an application, a placement or a list concerns.
pub(super) fn person<'a>(candidate: &'a CandidateId, school: Option<&'a SchoolId>) -> Person<'a> {
    Person { candidate, school }
}
