//! Placements (the VTE itself): the parties, Bpifrance and operators read them; the company
//! (or Bpifrance, or an operator, and for an early end the candidate's school) records how the
//! VTE ended.

use vte_domain::PlacementId;
use vte_service::auth::Identity;

use super::applications::person;
use super::{Offers, now, page_request, today};
use crate::access;
use crate::domain::{DomainError, Placement};
use crate::error::Error;
use crate::mapping::{self, CompletePlacementInput, EndPlacementEarlyInput, ListPlacementsInput};
use crate::store::{self, Page, PlacementFilter};

impl Offers {
    /// A placement, for its parties, Bpifrance, operators and services.
    pub async fn get_placement(&self, who: &Identity, id: PlacementId) -> Result<Placement, Error> {
        let placement = store::load_placement(&self.pool, id, &self.reference)
            .await?
            .ok_or(Error::NotFound("placement"))?;
        access::read_case(
            &who.caller,
            &placement.company_siren,
            person(&placement.candidate_id, placement.school_id.as_ref()),
            true,
        )?;
        Ok(placement)
    }

    /// A page of placements: a tenant's own, or any for Bpifrance, operators and services.
    pub async fn list_placements(
        &self,
        who: &Identity,
        input: ListPlacementsInput,
    ) -> Result<Page<Placement>, Error> {
        let mut filter = PlacementFilter {
            company: input.company_siren,
            candidate: input.candidate_id,
            school: input.school_id,
            statuses: input.statuses,
            awaiting_label_only: input.awaiting_label_only,
        };
        access::scope_placements(&who.caller, &mut filter)?;
        let page = page_request(input.page)?;
        let found = store::list_placements(&self.pool, &filter, page, &self.reference).await?;
        Ok(found)
    }

    /// The VTE ran its course.
    pub async fn complete_placement(
        &self,
        who: &Identity,
        input: CompletePlacementInput,
    ) -> Result<Placement, Error> {
        let now = now();
        self.change_placement(who, input.placement_id, false, |placement| {
            placement.complete(input.completed_on, today(now), now)
        })
        .await
    }

    /// The VTE ended before its course.
    pub async fn end_placement_early(
        &self,
        who: &Identity,
        input: EndPlacementEarlyInput,
    ) -> Result<Placement, Error> {
        let now = now();
        self.change_placement(who, input.placement_id, true, |placement| {
            placement.end_early(input.ended_on, &input.reason, &input.note, today(now), now)
        })
        .await
    }

    /// Locks the placement, checks the caller may record its end (the candidate's school too
    /// when `school_may`), applies `change`, saves it with one event.
    async fn change_placement(
        &self,
        who: &Identity,
        id: PlacementId,
        school_may: bool,
        change: impl FnOnce(&Placement) -> Result<Placement, DomainError>,
    ) -> Result<Placement, Error> {
        let mut transaction = self.pool.begin().await?;
        let placement = store::lock_placement(&mut transaction, id, &self.reference)
            .await?
            .ok_or(Error::NotFound("placement"))?;
        access::record_placement_end(
            &who.caller,
            &placement.company_siren,
            placement.school_id.as_ref(),
            school_may,
        )?;
        let next = change(&placement)?;
        store::save_placement(&mut transaction, &next, placement.revision).await?;
        vte_events::append(&mut transaction, &mapping::placement_event(&next, None)).await?;
        transaction.commit().await?;
        Ok(next)
    }
}
