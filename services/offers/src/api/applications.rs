//! Applications: a candidate applies (or their school on their behalf), the company reviews,
//! interviews, accepts or refuses, the candidate's side may withdraw. Accepting fills a position,
//! starts the placement and makes the candidate's other open applications obsolete, all in one
//! transaction with one event per aggregate changed.

use std::collections::BTreeMap;

use tonic::{Request, Response, Status};
use vte_domain::{ApplicationId, CandidateId, PlacementId, SchoolId};
use vte_proto::vte::offers::v1::*;
use vte_service::auth::Caller;

use super::{
    Answer, OffersApi, append, caller, commit, decoded, not_found, now, page_request,
    page_response, ruled, stored, today,
};
use crate::access::{self, Person};
use crate::domain::{Application, DomainError, OfferChange, accept};
use crate::mapping::{self, ApplicationsScope, Message};
use crate::store::{self, ApplicationScope};

/// Which side may take a step on an application.
#[derive(Clone, Copy)]
enum Side {
    /// The company that owns the offer (or an operator).
    Employer,
    /// The candidate or their school (or an operator).
    Candidate,
}

impl OffersApi {
    pub(super) async fn submit(&self, request: Request<ApplyRequest>) -> Answer<ApplyResponse> {
        let (identity, actor) = caller(&request)?;
        let input = decoded(mapping::apply_input(request.get_ref()))?;
        let candidate = match (&identity.caller, input.candidate_id) {
            (Caller::Candidate { candidate_id }, None) => *candidate_id,
            (_, Some(candidate)) => candidate,
            (_, None) => {
                return Err(Status::invalid_argument(
                    "candidate_id: is required when a school or an operator applies",
                ));
            }
        };
        let known = stored(store::load_candidate(&self.pool, candidate).await)?;
        if known.as_ref().is_some_and(|known| known.erased) {
            return Err(Status::failed_precondition(
                "this candidate has been erased",
            ));
        }
        let school = known.as_ref().and_then(|known| known.school_id);
        access::act_for(
            &identity.caller,
            Person {
                candidate: &candidate,
                school: school.as_ref(),
            },
        )?;
        let school = school.or(match identity.caller {
            Caller::School { school_id } => Some(school_id),
            _ => None,
        });
        let now = now();
        let mut transaction = self.begin().await?;
        let offer =
            stored(store::lock_offer(&mut transaction, input.offer_id, &self.reference).await)?
                .ok_or_else(|| not_found("offer"))?;
        let application = ruled(Application::submit(
            ApplicationId::new(),
            &offer,
            candidate,
            school,
            &actor,
            &input.message,
            today(now),
            now,
        ))?;
        stored(store::insert_application(&mut transaction, &application).await)?;
        append(&mut transaction, &mapping::application_event(&application)).await?;
        commit(transaction).await?;
        Ok(Response::new(ApplyResponse {
            application: Some(mapping::application_to_proto(
                &application,
                Message::Include,
            )),
        }))
    }

    pub(super) async fn application(
        &self,
        request: Request<GetApplicationRequest>,
    ) -> Answer<GetApplicationResponse> {
        let (identity, _) = caller(&request)?;
        let id = decoded(mapping::parse_id(
            "application_id",
            &request.get_ref().application_id,
        ))?;
        let application = stored(store::load_application(&self.pool, id).await)?
            .ok_or_else(|| not_found("application"))?;
        access::read_case(
            &identity.caller,
            &application.company_siren,
            person(&application.candidate_id, application.school_id.as_ref()),
            false,
        )?;
        // Disclosed to the company the candidate applied to, and to the candidate.
        let discloses = matches!(
            identity.caller,
            Caller::Company { .. } | Caller::Candidate { .. }
        );
        let candidate_contact = if discloses {
            self.candidate_contact(application.candidate_id).await?
        } else {
            None
        };
        Ok(Response::new(GetApplicationResponse {
            application: Some(mapping::application_to_proto(
                &application,
                Message::Include,
            )),
            candidate_contact,
        }))
    }

    pub(super) async fn applications(
        &self,
        request: Request<ListApplicationsRequest>,
    ) -> Answer<ListApplicationsResponse> {
        let (identity, _) = caller(&request)?;
        let input = decoded(mapping::list_applications_input(request.get_ref()))?;
        let scope = match input.scope {
            ApplicationsScope::Offer(offer_id) => {
                let offer = stored(store::load_offer(&self.pool, offer_id, &self.reference).await)?
                    .ok_or_else(|| not_found("offer"))?;
                if !matches!(identity.caller, Caller::Service) {
                    access::manage_offer(&identity.caller, &offer.company_siren)?;
                }
                ApplicationScope::Offer(offer_id)
            }
            ApplicationsScope::Candidate(candidate) => {
                let school = self.school_of(candidate).await?;
                if !matches!(identity.caller, Caller::Service) {
                    access::act_for(&identity.caller, person(&candidate, school.as_ref()))?;
                }
                ApplicationScope::Candidate(candidate)
            }
        };
        let page = page_request(input.page)?;
        let found =
            stored(store::list_applications(&self.pool, scope, &input.statuses, page).await)?;
        Ok(Response::new(ListApplicationsResponse {
            applications: found
                .items
                .iter()
                .map(|a| mapping::application_to_proto(a, Message::Include))
                .collect(),
            page: page_response(found.next),
        }))
    }

    pub(super) async fn review(
        &self,
        request: Request<ReviewApplicationRequest>,
    ) -> Answer<ReviewApplicationResponse> {
        let (identity, actor) = caller(&request)?;
        let step = decoded(mapping::review_input(request.get_ref()))?;
        let now = now();
        let application = self
            .step(&identity.caller, step.application_id, Side::Employer, |a| {
                a.start_review(&actor, &step.text, now)
            })
            .await?;
        Ok(Response::new(ReviewApplicationResponse { application }))
    }

    pub(super) async fn interview(
        &self,
        request: Request<ScheduleInterviewRequest>,
    ) -> Answer<ScheduleInterviewResponse> {
        let (identity, actor) = caller(&request)?;
        let input = decoded(mapping::schedule_interview_input(request.get_ref()))?;
        let now = now();
        let application = self
            .step(
                &identity.caller,
                input.application_id,
                Side::Employer,
                |a| a.schedule_interview(&actor, input.interview_at, &input.note, now),
            )
            .await?;
        Ok(Response::new(ScheduleInterviewResponse { application }))
    }

    pub(super) async fn refuse(
        &self,
        request: Request<RefuseApplicationRequest>,
    ) -> Answer<RefuseApplicationResponse> {
        let (identity, actor) = caller(&request)?;
        let step = decoded(mapping::refuse_input(request.get_ref()))?;
        let now = now();
        let application = self
            .step(&identity.caller, step.application_id, Side::Employer, |a| {
                a.refuse(&actor, &step.text, now)
            })
            .await?;
        Ok(Response::new(RefuseApplicationResponse { application }))
    }

    pub(super) async fn withdraw(
        &self,
        request: Request<WithdrawApplicationRequest>,
    ) -> Answer<WithdrawApplicationResponse> {
        let (identity, actor) = caller(&request)?;
        let step = decoded(mapping::withdraw_input(request.get_ref()))?;
        let now = now();
        let application = self
            .step(
                &identity.caller,
                step.application_id,
                Side::Candidate,
                |a| a.withdraw(&actor, &step.text, now),
            )
            .await?;
        Ok(Response::new(WithdrawApplicationResponse { application }))
    }

    /// Locks the application, checks the caller's side, applies `change`, saves it with one
    /// event.
    async fn step(
        &self,
        caller: &Caller,
        id: ApplicationId,
        side: Side,
        change: impl FnOnce(&Application) -> Result<Application, DomainError>,
    ) -> Result<Option<vte_proto::vte::applications::v1::Application>, Status> {
        let mut transaction = self.begin().await?;
        let application = stored(store::lock_application(&mut transaction, id).await)?
            .ok_or_else(|| not_found("application"))?;
        match side {
            Side::Employer => access::manage_offer(caller, &application.company_siren)?,
            Side::Candidate => access::act_for(
                caller,
                person(&application.candidate_id, application.school_id.as_ref()),
            )?,
        }
        let next = ruled(change(&application))?;
        stored(store::save_application(&mut transaction, &next, application.revision).await)?;
        append(&mut transaction, &mapping::application_event(&next)).await?;
        commit(transaction).await?;
        Ok(Some(mapping::application_to_proto(&next, Message::Include)))
    }

    pub(super) async fn accept(
        &self,
        request: Request<AcceptApplicationRequest>,
    ) -> Answer<AcceptApplicationResponse> {
        let (identity, actor) = caller(&request)?;
        let input = decoded(mapping::accept_input(request.get_ref()))?;
        let now = now();
        let mut transaction = self.begin().await?;
        let application =
            stored(store::lock_application(&mut transaction, input.application_id).await)?
                .ok_or_else(|| not_found("application"))?;
        access::manage_offer(&identity.caller, &application.company_siren)?;
        let offer = stored(
            store::lock_offer(&mut transaction, application.offer_id, &self.reference).await,
        )?
        .ok_or_else(|| not_found("offer"))?;
        // The candidate's and the offer's other open applications, each once.
        let mut others: BTreeMap<ApplicationId, Application> = BTreeMap::new();
        for open in [
            stored(
                store::open_applications_of_candidate(&mut transaction, application.candidate_id)
                    .await,
            )?,
            stored(store::open_applications_of_offer(&mut transaction, offer.id).await)?,
        ] {
            others.extend(open.into_iter().map(|a| (a.id, a)));
        }
        let others: Vec<Application> = others.into_values().collect();
        let acceptance = ruled(accept(
            &application,
            &offer,
            &others,
            &actor,
            &input.terms,
            PlacementId::new(),
            now,
        ))?;
        stored(
            store::save_application(
                &mut transaction,
                &acceptance.application,
                application.revision,
            )
            .await,
        )?;
        append(
            &mut transaction,
            &mapping::application_event(&acceptance.application),
        )
        .await?;
        stored(
            store::save_offer(
                &mut transaction,
                &acceptance.offer,
                offer.revision,
                &self.reference,
            )
            .await,
        )?;
        let change = OfferChange::between(&offer, &acceptance.offer);
        append(
            &mut transaction,
            &mapping::offer_event(&acceptance.offer, change),
        )
        .await?;
        stored(store::insert_placement(&mut transaction, &acceptance.placement).await)?;
        append(
            &mut transaction,
            &mapping::placement_event(&acceptance.placement, None),
        )
        .await?;
        for obsolete in &acceptance.obsolete {
            let before = others
                .iter()
                .find(|other| other.id == obsolete.id)
                .map_or(obsolete.revision, |other| other.revision);
            stored(store::save_application(&mut transaction, obsolete, before).await)?;
            append(&mut transaction, &mapping::application_event(obsolete)).await?;
        }
        commit(transaction).await?;
        Ok(Response::new(AcceptApplicationResponse {
            application: Some(mapping::application_to_proto(
                &acceptance.application,
                Message::Include,
            )),
            placement: Some(mapping::placement_to_proto(&acceptance.placement)),
        }))
    }

    /// The candidate's school, as the candidates service last said.
    pub(super) async fn school_of(
        &self,
        candidate: CandidateId,
    ) -> Result<Option<SchoolId>, Status> {
        Ok(stored(store::load_candidate(&self.pool, candidate).await)?
            .and_then(|known| known.school_id))
    }
}

pub(super) fn person<'a>(candidate: &'a CandidateId, school: Option<&'a SchoolId>) -> Person<'a> {
    Person { candidate, school }
}
