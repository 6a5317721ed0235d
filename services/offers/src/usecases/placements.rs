//! Placements (the VTE itself): the parties, Bpifrance and operators read them; the company
//! (or Bpifrance, or an operator, and for an early end the candidate's school) records how the
//! VTE ended.

use vte_domain::PlacementId;
use vte_service::auth::Identity;

use super::applications::person;
use super::{Offers, now, page_request, today};
use crate::access;
use crate::domain::{DomainError, Frozen, Placement};
use crate::error::Error;
use crate::mapping::{self, CompletePlacementInput, EndPlacementEarlyInput, ListPlacementsInput};
use crate::store::{self, Page, PlacementFilter};
use sqlx::PgPool;
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

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

/// Freezes the rules and aids of placements made before the hire froze them, in transactions of
/// `batch` rows until none is left: the rules of their start date and their offer's aids (their
/// candidate's facts were not kept then, so no pair verdict). Run at start-up and by every sweep
/// round; running it again changes nothing. Returns how many it froze.
pub async fn freeze_unfrozen_placements(
    pool: &PgPool,
    reference: &ReferenceData,
    rules: &RuleBook,
    batch: u32,
) -> Result<u64, Error> {
    let mut frozen = 0;
    loop {
        let mut transaction = pool.begin().await?;
        let due = store::unfrozen_placements(&mut transaction, reference, batch).await?;
        for placement in &due {
            let offer = store::load_offer(&mut *transaction, placement.offer_id, reference)
                .await?
                .ok_or(Error::NotFound("offer"))?;
            let Some(spec) = offer.spec() else {
                return Err(
                    DomainError::Inconsistent("a placement of an offer without content").into(),
                );
            };
            let mut facts = spec.facts();
            facts.contract = placement.contract.kind();
            facts.duration_months = placement.contract.duration_months();
            facts.start = placement.start_date;
            let freeze = Frozen::after_the_fact(rules, &placement.location, facts, now());
            if store::freeze_placement(&mut transaction, placement.id, &freeze).await? {
                frozen += 1;
            }
        }
        transaction.commit().await?;
        if due.len() < batch as usize {
            return Ok(frozen);
        }
    }
}
