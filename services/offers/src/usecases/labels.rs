//! The label as practised: the company requests it (or resubmits after a rework) within the
//! window of its rule set, the young person acknowledges the VTE charter, Bpifrance decides,
//! the company or the young person appeals a refusal; readers see the whole case, Bpifrance its
//! queue by deadline; the reminder sweep tells companies whose window closes soon. Each step
//! locks the placement, appends its record, updates the case's row for the queue and appends
//! one event, in one transaction. Every step takes `now` (and its UTC date as today), so tests
//! run them on chosen dates.

use std::time::Duration;

use chrono::{DateTime, Days, Months, NaiveDate, SubsecRound, Utc};
use tokio_util::sync::CancellationToken;
use vte_domain::{LabelDecisionId, PlacementId};
use vte_service::auth::{Caller, Identity};

use super::applications::person;
use super::{Offers, page_request, today};
use crate::access;
use crate::domain::{
    LabelAppeal, LabelAppealId, LabelCase, LabelDecided, LabelDecision, LabelRequest,
    LabelRequestId, Placement, PlacementStatus, acknowledge_charter, appeal_label, decide_label,
    label_window, longest_label_window_months, request_label,
};
use crate::error::Error;
use crate::mapping::{
    self, AppealLabelInput, DecideLabelInput, LabelDecisionsScope, ListLabelDecisionsInput,
    ListLabelQueueInput, RequestLabelInput,
};
use crate::store::{self, LabelScope, Page, labels};

/// The reminders before a window closes, in days before its last day; each is sent once.
pub const REMINDER_DAYS: [u32; 2] = [30, 7];

/// Placements one round of the reminder sweep reads at a time.
const REMINDER_BATCH: i64 = 100;

/// The company of the placement (or an operator) requests its label.
fn may_request(caller: &Caller, placement: &Placement) -> Result<(), Error> {
    match caller {
        Caller::Company { siren } if *siren == placement.company_siren => Ok(()),
        Caller::Admin => Ok(()),
        Caller::Company { .. } => Err(Error::Denied("this placement belongs to another company")),
        _ => Err(Error::Denied(
            "only the company of the placement requests its label",
        )),
    }
}

/// The young person themself (or an operator) acknowledges the charter.
fn may_acknowledge(caller: &Caller, placement: &Placement) -> Result<(), Error> {
    match caller {
        Caller::Candidate { candidate_id } if *candidate_id == placement.candidate_id => Ok(()),
        Caller::Admin => Ok(()),
        _ => Err(Error::Denied(
            "only the young person of the placement acknowledges the charter",
        )),
    }
}

/// The company or the young person (or an operator) appeals.
fn may_appeal(caller: &Caller, placement: &Placement) -> Result<(), Error> {
    match caller {
        Caller::Company { siren } if *siren == placement.company_siren => Ok(()),
        Caller::Candidate { candidate_id } if *candidate_id == placement.candidate_id => Ok(()),
        Caller::Admin => Ok(()),
        _ => Err(Error::Denied(
            "only the company or the young person of the placement appeals its label",
        )),
    }
}

/// Bpifrance, operators and services read the queue.
fn may_read_queue(caller: &Caller) -> Result<(), Error> {
    match caller {
        Caller::Bpifrance | Caller::Admin | Caller::Service => Ok(()),
        _ => Err(Error::Denied("only Bpifrance reads the label queue")),
    }
}

impl Offers {
    /// The company requests the label of its placement, or resubmits its reworked dossier.
    pub async fn request_label(
        &self,
        who: &Identity,
        input: RequestLabelInput,
        now: DateTime<Utc>,
    ) -> Result<(LabelRequest, LabelCase), Error> {
        let mut transaction = self.pool.begin().await?;
        let placement = self.lock(&mut transaction, input.placement_id).await?;
        may_request(&who.caller, &placement)?;
        let mut history = labels::load_label_history(&mut transaction, placement.id).await?;
        let window = label_window(&placement, &self.rules);
        let request = request_label(
            &placement,
            &history,
            &window,
            &input.request,
            LabelRequestId::new(),
            &access::actor(who),
            today(now),
            now,
        )?;
        labels::insert_label_request(&mut transaction, &request).await?;
        history.requests.push(request.clone());
        labels::save_label_case(&mut transaction, placement.id, &history, &window, now).await?;
        let event = mapping::label_requested_event(&placement, &request, &window, now);
        vte_events::append(&mut transaction, &event).await?;
        transaction.commit().await?;
        Ok((request, LabelCase::new(&placement, window, history)))
    }

    /// The young person acknowledges the VTE charter (again: nothing changes).
    pub async fn acknowledge_label_charter(
        &self,
        who: &Identity,
        placement_id: PlacementId,
        now: DateTime<Utc>,
    ) -> Result<LabelCase, Error> {
        let mut transaction = self.pool.begin().await?;
        let placement = self.lock(&mut transaction, placement_id).await?;
        may_acknowledge(&who.caller, &placement)?;
        let mut history = labels::load_label_history(&mut transaction, placement.id).await?;
        if let Some(given) = acknowledge_charter(&placement, &history, &access::actor(who), now)? {
            labels::insert_charter_acknowledgement(&mut transaction, &given).await?;
            history.acknowledgement = Some(given);
        }
        transaction.commit().await?;
        let window = label_window(&placement, &self.rules);
        Ok(LabelCase::new(&placement, window, history))
    }

    /// Bpifrance decides the pending dossier version or appeal, or reviews its latest decision.
    pub async fn decide_label(
        &self,
        who: &Identity,
        input: DecideLabelInput,
        now: DateTime<Utc>,
    ) -> Result<(LabelDecided, LabelCase), Error> {
        access::decide_labels(&who.caller)?;
        let mut transaction = self.pool.begin().await?;
        let placement = self.lock(&mut transaction, input.placement_id).await?;
        let mut history = labels::load_label_history(&mut transaction, placement.id).await?;
        let decided = decide_label(
            &placement,
            &history,
            &input.decision,
            LabelDecisionId::new(),
            &access::actor(who),
            now,
        )?;
        store::insert_label_decision(&mut transaction, &decided.decision).await?;
        store::save_placement(&mut transaction, &decided.placement, placement.revision).await?;
        history.decisions.push(decided.decision.clone());
        let window = label_window(&placement, &self.rules);
        labels::save_label_case(&mut transaction, placement.id, &history, &window, now).await?;
        let event = mapping::placement_event(&decided.placement, Some(&decided.decision));
        vte_events::append(&mut transaction, &event).await?;
        transaction.commit().await?;
        let case = LabelCase::new(&decided.placement, window, history);
        Ok((decided, case))
    }

    /// The company or the young person appeals the latest decision, a refusal.
    pub async fn appeal_label(
        &self,
        who: &Identity,
        input: AppealLabelInput,
        now: DateTime<Utc>,
    ) -> Result<(LabelAppeal, LabelCase), Error> {
        let mut transaction = self.pool.begin().await?;
        let placement = self.lock(&mut transaction, input.placement_id).await?;
        may_appeal(&who.caller, &placement)?;
        let mut history = labels::load_label_history(&mut transaction, placement.id).await?;
        let appeal = appeal_label(
            &placement,
            &history,
            &input.reason,
            LabelAppealId::new(),
            &access::actor(who),
            now,
        )?;
        labels::insert_label_appeal(&mut transaction, &appeal).await?;
        history.appeals.push(appeal.clone());
        let window = label_window(&placement, &self.rules);
        labels::save_label_case(&mut transaction, placement.id, &history, &window, now).await?;
        let event = mapping::label_appealed_event(&placement, &appeal, now);
        vte_events::append(&mut transaction, &event).await?;
        transaction.commit().await?;
        Ok((appeal, LabelCase::new(&placement, window, history)))
    }

    /// A placement's label case, for whoever may read the placement.
    pub async fn label_case(&self, who: &Identity, id: PlacementId) -> Result<LabelCase, Error> {
        let placement = self.get_placement(who, id).await?;
        self.case_of(placement).await
    }

    /// Bpifrance's queue: the cases awaiting a decision, the window closing first first.
    pub async fn label_queue(
        &self,
        who: &Identity,
        input: ListLabelQueueInput,
    ) -> Result<Page<LabelCase>, Error> {
        may_read_queue(&who.caller)?;
        let page = page_request(input.page)?;
        let found = labels::label_queue(&self.pool, page).await?;
        let mut cases = Vec::with_capacity(found.items.len());
        for id in found.items {
            let placement = store::load_placement(&self.pool, id, &self.reference)
                .await?
                .ok_or(Error::NotFound("placement"))?;
            cases.push(self.case_of(placement).await?);
        }
        Ok(Page {
            items: cases,
            next: found.next,
        })
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

    /// Reminds the company of every placement whose label was never requested and whose
    /// window closes within [`REMINDER_DAYS`] of `today`, once per threshold: one
    /// `LabelRequestDue` event per reminder sent (when both thresholds are crossed at once,
    /// one reminder stands for both). Returns how many reminders were sent.
    pub async fn remind_label_requests(
        &self,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<usize, Error> {
        let widest = REMINDER_DAYS.into_iter().max().unwrap_or_default();
        let last = REMINDER_DAYS.into_iter().min().unwrap_or_default();
        // A window closes some months after the start: placements that started longer ago than
        // the longest window (and a month to spare) are closed; a start up to `widest` days
        // ahead may still close within `widest` days for a window of at least a month.
        let longest = u32::from(longest_label_window_months(&self.rules)) + 1;
        let from = today
            .checked_sub_months(Months::new(longest))
            .unwrap_or(NaiveDate::MIN);
        let until = today
            .checked_add_days(Days::new(u64::from(widest)))
            .unwrap_or(NaiveDate::MAX);
        let mut after = None;
        let mut sent = 0;
        loop {
            let batch = labels::unrequested_started_between(
                &self.pool,
                from,
                until,
                last,
                after,
                REMINDER_BATCH,
            )
            .await?;
            for (_, id) in &batch {
                sent += usize::from(self.remind_one(*id, today, now).await?);
            }
            if batch.len() < REMINDER_BATCH as usize {
                return Ok(sent);
            }
            after = batch.last().copied();
        }
    }

    /// Reminds the company of `id` if a threshold is due and not sent; whether it did. Reads
    /// first without a lock, and locks the placement only to send a reminder.
    async fn remind_one(
        &self,
        id: PlacementId,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let Some(placement) = store::load_placement(&self.pool, id, &self.reference).await? else {
            return Ok(false);
        };
        if self.due_reminders(&placement, today).await?.is_empty() {
            return Ok(false);
        }
        let mut transaction = self.pool.begin().await?;
        let placement = self.lock(&mut transaction, id).await?;
        let due = self.due_reminders(&placement, today).await?;
        let history = labels::load_label_history(&mut transaction, id).await?;
        if due.is_empty() || !history.requests.is_empty() {
            return Ok(false); // a request or another sweep came in between
        }
        let window = label_window(&placement, &self.rules);
        for days in &due {
            labels::record_reminder(&mut transaction, id, *days, window.closes_on, now).await?;
        }
        let days_left = u32::try_from(window.days_left(today)).unwrap_or_default();
        let event = mapping::label_request_due_event(&placement, &window, days_left, now);
        vte_events::append(&mut transaction, &event).await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// The reminder thresholds crossed on `today` and not sent yet for `placement`: none once
    /// its window closed or it ended early.
    async fn due_reminders(
        &self,
        placement: &Placement,
        today: NaiveDate,
    ) -> Result<Vec<u32>, Error> {
        let window = label_window(placement, &self.rules);
        let Ok(days_left) = u32::try_from(window.days_left(today)) else {
            return Ok(Vec::new());
        };
        if placement.status == PlacementStatus::EndedEarly {
            return Ok(Vec::new());
        }
        let already = labels::reminders_sent(&self.pool, placement.id).await?;
        Ok(REMINDER_DAYS
            .into_iter()
            .filter(|days| days_left <= *days && !already.contains(days))
            .collect())
    }

    async fn lock(
        &self,
        transaction: &mut sqlx::PgConnection,
        id: PlacementId,
    ) -> Result<Placement, Error> {
        store::lock_placement(transaction, id, &self.reference)
            .await?
            .ok_or(Error::NotFound("placement"))
    }

    async fn case_of(&self, placement: Placement) -> Result<LabelCase, Error> {
        let mut connection = self.pool.acquire().await?;
        let history = labels::load_label_history(&mut connection, placement.id).await?;
        let window = label_window(&placement, &self.rules);
        Ok(LabelCase::new(&placement, window, history))
    }
}

/// Runs [`Offers::remind_label_requests`] every `every` until `shutdown`: a background task of
/// the service. Each round reads the clock once; a failed round is logged and the next one
/// tries again.
pub async fn run_label_reminders(offers: Offers, every: Duration, shutdown: CancellationToken) {
    loop {
        let now = Utc::now().trunc_subsecs(6);
        match offers.remind_label_requests(now.date_naive(), now).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "reminded companies of label request windows"),
            Err(error) => {
                tracing::warn!(%error, "the label reminder sweep failed; retrying next round");
            }
        }
        if !vte_service::shutdown::pause(every, &shutdown).await {
            return;
        }
    }
}
