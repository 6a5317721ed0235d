//! Bpifrance's label decisions, shown on the candidate's profile so they may put them on a CV:
//! a grant adds the label (once per decision); a refusal that reconsiders a grant (an appeal
//! decided the other way) removes it. Applied in the caller's transaction (the consumer
//! runner's, which also records the event as handled).

use sqlx::{Postgres, Transaction};
use vte_domain::CandidateId;

use super::{Candidates, Revised};
use crate::domain::Label;
use crate::error::Error;

/// A decision on a candidate's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelDecision {
    /// The label is granted.
    Granted(Label),
    /// The label is refused; when the refusal reconsiders an earlier decision, that one's
    /// label goes.
    Refused { reconsiders: Option<uuid::Uuid> },
}

impl Candidates {
    /// Shows `decision` on the candidate's profile. `None` when the candidate has no profile
    /// here (erased, or pushed by no school): there is nothing to show.
    pub async fn record_label_decision(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        candidate: CandidateId,
        decision: LabelDecision,
    ) -> Result<Option<Revised>, Error> {
        self.revise(tx, candidate, |profile, now| {
            Ok(match decision {
                LabelDecision::Granted(label) => profile.labelled(label, now),
                LabelDecision::Refused {
                    reconsiders: Some(overturned),
                } => profile.label_withdrawn(overturned, now),
                LabelDecision::Refused { reconsiders: None } => None,
            })
        })
        .await
    }
}
