//! Bpifrance's label decisions: Bpifrance alone decides the label of a completed VTE, and every
//! decision stays in the history (an appeal is a new decision naming the one it reconsiders).

use vte_domain::LabelDecisionId;
use vte_service::auth::{Caller, Identity};

use super::applications::person;
use super::{Offers, now, page_request};
use crate::access;
use crate::domain::{LabelDecided, LabelDecision, decide_label};
use crate::error::Error;
use crate::mapping::{self, DecideLabelInput, LabelDecisionsScope, ListLabelDecisionsInput};
use crate::store::{self, LabelScope, Page};

impl Offers {
    /// Bpifrance decides the label of a completed placement, or reconsiders the latest decision.
    pub async fn decide_label(
        &self,
        who: &Identity,
        input: DecideLabelInput,
    ) -> Result<LabelDecided, Error> {
        access::decide_labels(&who.caller)?;
        let mut transaction = self.pool.begin().await?;
        let placement =
            store::lock_placement(&mut transaction, input.placement_id, &self.reference)
                .await?
                .ok_or(Error::NotFound("placement"))?;
        let history = store::label_history(&mut *transaction, placement.id).await?;
        let decided = decide_label(
            &placement,
            &history,
            &input.decision,
            LabelDecisionId::new(),
            &access::actor(who),
            now(),
        )?;
        store::insert_label_decision(&mut transaction, &decided.decision).await?;
        store::save_placement(&mut transaction, &decided.placement, placement.revision).await?;
        let event = mapping::placement_event(&decided.placement, Some(&decided.decision));
        vte_events::append(&mut transaction, &event).await?;
        transaction.commit().await?;
        Ok(decided)
    }

    /// A page of the decisions on one placement (for whoever may read it) or on a candidate's
    /// placements (for them, their school, Bpifrance and services).
    pub async fn list_label_decisions(
        &self,
        who: &Identity,
        input: ListLabelDecisionsInput,
    ) -> Result<Page<LabelDecision>, Error> {
        let scope = match input.scope {
            LabelDecisionsScope::Placement(id) => {
                self.get_placement(who, id).await?;
                LabelScope::Placement(id)
            }
            LabelDecisionsScope::Candidate(candidate) => {
                if !matches!(who.caller, Caller::Bpifrance | Caller::Service) {
                    let school = self.school_of(candidate).await?;
                    access::act_for(&who.caller, person(&candidate, school.as_ref()))?;
                }
                LabelScope::Candidate(candidate)
            }
        };
        let page = page_request(input.page)?;
        let found = store::list_label_decisions(&self.pool, scope, page).await?;
        Ok(found)
    }
}
