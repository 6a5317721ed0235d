//! What a webhook payload may carry of a fact: the application or the placement in full, as the
//! contract says, but no account subject (the `sub` of the token of the candidate, the company
//! staff member or the Bpifrance agent who acted): the owner's information system needs roles
//! and tenants, not who logged in. [`Subject`]s are built scrubbed, and scrubbed again when
//! sent (rows stored before this rule). [`Subject::candidate`] names the person a fact is about,
//! so that erasing them finds it in every recipient's notifications, and
//! [`Subject::free_texts`] what was written about them there (reasons, notes), which
//! [`without_free_texts`] takes out of a notification's text.

use prost::Message as _;
use uuid::Uuid;
use vte_proto::vte::applications::v1::Application;
use vte_proto::vte::common::v1::Actor;
use vte_proto::vte::placements::v1::Placement;

use super::Subject;

fn forget_subject(actor: Option<&mut Actor>) {
    if let Some(actor) = actor {
        actor.subject.clear();
    }
}

/// Clears the account subjects of an application's transitions.
pub fn scrub_application(application: &mut Application) {
    for transition in &mut application.transitions {
        forget_subject(transition.actor.as_mut());
    }
}

/// Clears the account subject of a placement's latest label decision.
pub fn scrub_placement(placement: &mut Placement) {
    if let Some(decision) = placement.latest_label_decision.as_mut() {
        forget_subject(decision.decided_by.as_mut());
    }
}

impl Subject {
    /// The application as a webhook carries it, without account subjects.
    pub fn application(application: &Application) -> Self {
        let mut application = application.clone();
        scrub_application(&mut application);
        Self::Application(application.encode_to_vec())
    }

    /// The placement as a webhook carries it, without account subjects.
    pub fn placement(placement: &Placement) -> Self {
        let mut placement = placement.clone();
        scrub_placement(&mut placement);
        Self::Placement(placement.encode_to_vec())
    }

    /// The candidate the fact is about, when it names one.
    pub fn candidate(&self) -> Option<Uuid> {
        let candidate = match self {
            Self::Application(bytes) => Application::decode(bytes.as_slice()).ok()?.candidate_id,
            Self::Placement(bytes) => Placement::decode(bytes.as_slice()).ok()?.candidate_id,
        };
        Uuid::parse_str(&candidate).ok()
    }
}

impl Subject {
    /// A fact as stored: its type (`application`, `placement`) and its bytes.
    pub fn stored(subject_type: &str, bytes: Vec<u8>) -> Option<Self> {
        match subject_type {
            "application" => Some(Self::Application(bytes)),
            "placement" => Some(Self::Placement(bytes)),
            _ => None,
        }
    }

    /// What people wrote about the candidate in the fact: the reasons of an application's
    /// steps, a placement's early-end note and label decision reason (non-empty, trimmed).
    pub fn free_texts(&self) -> Vec<String> {
        let texts: Vec<String> = match self {
            Self::Application(bytes) => Application::decode(bytes.as_slice())
                .map(|a| a.transitions.into_iter().map(|t| t.reason).collect())
                .unwrap_or_default(),
            Self::Placement(bytes) => Placement::decode(bytes.as_slice())
                .map(|p| {
                    let decision = p.latest_label_decision.map(|d| d.reason);
                    std::iter::once(p.early_end_note).chain(decision).collect()
                })
                .unwrap_or_default(),
        };
        texts
            .into_iter()
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
            .collect()
    }
}

/// `text` without the sentences quoting `free_texts` (texts quote a reason as
/// ` Motif : <reason>`), each replaced by a note that it was erased.
pub fn without_free_texts(text: &str, free_texts: &[String]) -> String {
    free_texts.iter().fold(text.to_owned(), |text, free| {
        text.replace(&format!(" Motif : {free}"), " Motif effacé.")
    })
}

#[cfg(test)]
mod tests {
    use vte_proto::vte::applications::v1::ApplicationTransition;
    use vte_proto::vte::common::v1::Role;
    use vte_proto::vte::placements::v1::LabelDecision;

    use super::*;

    fn actor(role: Role, subject: &str) -> Option<Actor> {
        Some(Actor {
            role: role as i32,
            subject: subject.to_owned(),
            tenant_id: String::new(),
        })
    }

    #[test]
    fn no_account_subject_reaches_a_payload_roles_and_the_candidate_stay() {
        let candidate = Uuid::now_v7();
        let application = Application {
            candidate_id: candidate.to_string(),
            transitions: vec![
                ApplicationTransition {
                    actor: actor(Role::Candidate, "idp|sacha"),
                    ..ApplicationTransition::default()
                },
                ApplicationTransition {
                    actor: actor(Role::Company, "idp|recruteuse"),
                    ..ApplicationTransition::default()
                },
            ],
            ..Application::default()
        };
        let subject = Subject::application(&application);
        let Subject::Application(bytes) = &subject else {
            panic!("an application")
        };
        let sent = Application::decode(bytes.as_slice()).unwrap();
        assert!(sent.transitions.iter().all(|t| {
            let actor = t.actor.as_ref().unwrap();
            actor.subject.is_empty() && actor.role != 0
        }));
        assert_eq!(subject.candidate(), Some(candidate));

        let placement = Placement {
            candidate_id: candidate.to_string(),
            latest_label_decision: Some(LabelDecision {
                decided_by: actor(Role::Bpifrance, "idp|agent"),
                ..LabelDecision::default()
            }),
            ..Placement::default()
        };
        let subject = Subject::placement(&placement);
        let Subject::Placement(bytes) = &subject else {
            panic!("a placement")
        };
        let sent = Placement::decode(bytes.as_slice()).unwrap();
        let decided_by = sent.latest_label_decision.unwrap().decided_by.unwrap();
        assert!(decided_by.subject.is_empty());
        assert_eq!(subject.candidate(), Some(candidate));
    }

    #[test]
    fn the_reasons_written_about_a_candidate_are_found_and_taken_out_of_a_text() {
        let application = Application {
            transitions: vec![
                ApplicationTransition::default(),
                ApplicationTransition {
                    reason: " Profil trop junior, appeler Sacha ".to_owned(),
                    ..ApplicationTransition::default()
                },
            ],
            ..Application::default()
        };
        let free = Subject::application(&application).free_texts();
        assert_eq!(free, vec!["Profil trop junior, appeler Sacha".to_owned()]);
        let body = "La candidature est non retenue. Motif : Profil trop junior, appeler Sacha\n\n\
                    Prochaine étape : le détail est dans votre espace école.";
        let cleared = without_free_texts(body, &free);
        assert!(!cleared.contains("Sacha"), "{cleared}");
        assert!(cleared.starts_with("La candidature est non retenue. Motif effacé.\n\n"));
        let placement = Placement {
            early_end_note: "Déménagement de Sacha".to_owned(),
            ..Placement::default()
        };
        let free = Subject::placement(&placement).free_texts();
        assert_eq!(free, vec!["Déménagement de Sacha".to_owned()]);
    }
}
