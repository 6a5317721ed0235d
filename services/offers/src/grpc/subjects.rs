//! Account subjects in replies. Transition logs and label decisions record who acted (role,
//! tenant and the token's subject, an account id); a reply shows the subject only to that very
//! account and to the platform's operators and services. Everyone else reads the role and the
//! tenant, which say enough ("the company", "Bpifrance", "the school"), but not which person's
//! account it was. Stored records and events keep the subject.

use vte_proto::vte::applications::v1::Application;
use vte_proto::vte::common::v1::Actor;
use vte_proto::vte::placements::v1::{LabelDecision, Placement};
use vte_service::auth::{Caller, Identity};

use crate::access;
use crate::mapping;

/// Who reads a reply, as an actor would be recorded.
#[derive(Debug, Clone)]
pub(super) struct Reader {
    /// Operators and services see every subject.
    sees_all: bool,
    /// The reader as an actor: the one whose own subject stays.
    me: Actor,
}

impl Reader {
    /// The reader `who` is.
    pub(super) fn new(who: &Identity) -> Self {
        Self {
            sees_all: matches!(who.caller, Caller::Admin | Caller::Service),
            me: mapping::wire::actor_to_proto(&access::actor(who)),
        }
    }

    /// Blanks `actor`'s subject unless the reader may see it.
    pub(super) fn actor(&self, actor: &mut Option<Actor>) {
        if let Some(actor) = actor.as_mut()
            && !self.sees_all
            && *actor != self.me
        {
            actor.subject.clear();
        }
    }

    /// The application, each log entry's subject blanked unless the reader may see it.
    pub(super) fn application(&self, mut application: Application) -> Application {
        for transition in &mut application.transitions {
            self.actor(&mut transition.actor);
        }
        application
    }

    /// The label decision, its decider's subject blanked unless the reader may see it.
    pub(super) fn decision(&self, mut decision: LabelDecision) -> LabelDecision {
        self.actor(&mut decision.decided_by);
        decision
    }

    /// The placement, with its latest label decision as [`Reader::decision`] shows it.
    pub(super) fn placement(&self, mut placement: Placement) -> Placement {
        placement.latest_label_decision = placement
            .latest_label_decision
            .map(|decision| self.decision(decision));
        placement
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use vte_domain::{CandidateId, Siren};
    use vte_proto::vte::applications::v1::ApplicationTransition;
    use vte_proto::vte::common::v1::Role;

    fn identity(caller: Caller, subject: &str) -> Identity {
        Identity {
            caller,
            subject: subject.to_owned(),
            expires_at: chrono::Utc::now(),
            on_behalf_of: None,
        }
    }

    fn logged(actors: Vec<Actor>) -> Application {
        Application {
            transitions: actors
                .into_iter()
                .map(|actor| ApplicationTransition {
                    actor: Some(actor),
                    ..ApplicationTransition::default()
                })
                .collect(),
            ..Application::default()
        }
    }

    fn subjects(application: &Application) -> Vec<&str> {
        application
            .transitions
            .iter()
            .map(|t| t.actor.as_ref().unwrap().subject.as_str())
            .collect()
    }

    #[test]
    fn each_reader_sees_only_their_own_subject_and_operators_see_all() {
        let candidate = CandidateId::new();
        let siren = Siren::parse("732829320").unwrap();
        let applicant = Actor {
            role: Role::Candidate as i32,
            subject: "account-42".to_owned(),
            tenant_id: candidate.to_string(),
        };
        let recruiter = Actor {
            role: Role::Company as i32,
            subject: "recruiter-7".to_owned(),
            tenant_id: siren.to_string(),
        };
        let log = || logged(vec![applicant.clone(), recruiter.clone()]);

        let company = Reader::new(&identity(Caller::Company { siren }, "recruiter-7"));
        assert_eq!(subjects(&company.application(log())), ["", "recruiter-7"]);
        let colleague = Reader::new(&identity(Caller::Company { siren }, "recruiter-8"));
        assert_eq!(subjects(&colleague.application(log())), ["", ""]);
        let themself = Reader::new(&identity(
            Caller::Candidate {
                candidate_id: candidate,
            },
            "account-42",
        ));
        assert_eq!(subjects(&themself.application(log())), ["account-42", ""]);
        let admin = Reader::new(&identity(Caller::Admin, "operator-1"));
        assert_eq!(
            subjects(&admin.application(log())),
            ["account-42", "recruiter-7"]
        );
    }
}
