//! `vte label`: Bpifrance's decision on a VTE's label (grant, or refuse with a reason,
//! possibly reconsidering an earlier decision), printed as a short summary of what was decided
//! on which VTE and where the label now stands.

use std::fmt::Write as _;

use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_proto::vte::offers::v1::{DecideLabelRequest, DecideLabelResponse};
use vte_proto::vte::placements::v1::{LabelOutcome, LabelStatus};
use vte_service::auth::Caller;

use super::{Connection, refusal};

/// What Bpifrance decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Grant,
    Refuse { reason: String },
}

/// Records the decision on `placement` as Bpifrance and prints its summary.
pub async fn decide(
    connection: &Connection,
    placement: String,
    decision: Decision,
    reconsiders: Option<String>,
) -> anyhow::Result<()> {
    let (outcome, reason) = match decision {
        Decision::Grant => (LabelOutcome::Granted, String::new()),
        Decision::Refuse { reason } => (LabelOutcome::Refused, reason),
    };
    let mut client = OffersServiceClient::new(
        connection
            .channel(&connection.offers, &Caller::Bpifrance)
            .await?,
    );
    let answer = client
        .decide_label(DecideLabelRequest {
            placement_id: placement,
            outcome: outcome as i32,
            reason,
            reconsiders_decision_id: reconsiders.unwrap_or_default(),
        })
        .await
        .map_err(refusal)?
        .into_inner();
    print!("{}", summary(&answer));
    Ok(())
}

/// A few lines saying what was decided, on which VTE, and where its label stands.
pub fn summary(answer: &DecideLabelResponse) -> String {
    let mut text = String::new();
    let Some(decision) = &answer.decision else {
        return String::from("The offers service recorded the decision but did not return it.\n");
    };
    let outcome = match LabelOutcome::try_from(decision.outcome) {
        Ok(LabelOutcome::Granted) => "granted",
        Ok(LabelOutcome::Refused) => "refused",
        Ok(LabelOutcome::ReworkRequested) => "sent back for rework",
        _ => "decided",
    };
    let _ = writeln!(
        text,
        "Label {outcome} for placement {}",
        decision.placement_id
    );
    if let Some(case) = &answer.label {
        let start = case
            .start_date
            .as_ref()
            .and_then(|date| vte_wire::date_from_proto(date).ok())
            .map(|date| format!(", from {date}"))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "  VTE:        « {} » at {} (SIREN {}){start}",
            case.offer_title, case.company_name, case.company_siren
        );
    }
    let decided_at = decision
        .decided_at
        .as_ref()
        .and_then(|at| chrono::DateTime::from_timestamp(at.seconds, 0))
        .map(|at| format!(" on {}", at.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default();
    let _ = writeln!(text, "  decision:   {}{decided_at}", decision.id);
    if !decision.reason.is_empty() {
        let _ = writeln!(text, "  reason:     {}", decision.reason);
    }
    if !decision.reconsiders_decision_id.is_empty() {
        let _ = writeln!(text, "  reconsiders {}", decision.reconsiders_decision_id);
    }
    if let Some(case) = &answer.label {
        let status = LabelStatus::try_from(case.status)
            .map(|status| status.as_str_name().trim_start_matches("LABEL_STATUS_"))
            .unwrap_or("UNKNOWN");
        let _ = writeln!(
            text,
            "  label now:  {status} ({} decision(s), {} dossier version(s), {} appeal(s))",
            case.decisions.len(),
            case.requests.len(),
            case.appeals.len()
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use vte_proto::vte::placements::v1::{LabelCase, LabelDecision};

    #[test]
    fn a_refusal_reads_as_a_summary_with_its_reason_not_a_debug_dump() {
        let decision = LabelDecision {
            id: "0193b000-0000-7000-8000-0000000000d1".into(),
            placement_id: "0193b000-0000-7000-8000-0000000000a1".into(),
            outcome: LabelOutcome::Refused as i32,
            reason: "La mission ne relève pas de la production industrielle.".into(),
            decided_at: Some(prost_types::Timestamp {
                seconds: 1_796_550_000,
                nanos: 0,
            }),
            ..LabelDecision::default()
        };
        let answer = DecideLabelResponse {
            decision: Some(decision.clone()),
            placement: None,
            label: Some(LabelCase {
                company_siren: "732829320".into(),
                company_name: "Ateliers du Célé".into(),
                offer_title: "Technicienne méthodes".into(),
                start_date: Some(vte_wire::date_to_proto(
                    chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap_or_default(),
                )),
                status: LabelStatus::Refused as i32,
                decisions: vec![decision],
                ..LabelCase::default()
            }),
        };
        let text = summary(&answer);
        assert_eq!(
            text,
            "Label refused for placement 0193b000-0000-7000-8000-0000000000a1\n  \
             VTE:        « Technicienne méthodes » at Ateliers du Célé (SIREN 732829320), \
             from 2026-09-01\n  \
             decision:   0193b000-0000-7000-8000-0000000000d1 on 2026-12-06 09:40 UTC\n  \
             reason:     La mission ne relève pas de la production industrielle.\n  \
             label now:  REFUSED (1 decision(s), 0 dossier version(s), 0 appeal(s))\n"
        );
    }
}
