//! The French text of every notification, written from the facts an event carries (offer title,
//! company, commune, the reason it matches, the next step). Texts name offers and companies,
//! never a person: a candidate is "un candidat" to a company, and the greeting of an email is
//! added at delivery time from the contact lookup. Titles are cut at 120 characters and
//! bodies at 2,000, as the contract says.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{Kind, Recipient};

/// Longest title, in characters.
pub const MAX_TITLE: usize = 120;
/// Longest body, in characters.
pub const MAX_BODY: usize = 2_000;

/// A notification to create for one recipient, before channels are chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub recipient: Recipient,
    pub kind: Kind,
    pub text: Text,
    /// What it is about (offer, application, placement...).
    pub subject_id: Option<Uuid>,
    /// When the fact happened.
    pub occurred_at: DateTime<Utc>,
    /// The fact in full, for webhooks.
    pub subject: Option<Subject>,
}

/// The fact a webhook carries besides the notification: an aggregate, encoded as on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A `vte.applications.v1.Application` (its `message` is always empty in events).
    Application(Vec<u8>),
    /// A `vte.placements.v1.Placement`.
    Placement(Vec<u8>),
}

/// The human-readable part of a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// 1..=120 characters.
    pub title: String,
    /// Plain text, 0..=2,000 characters.
    pub body: String,
    /// Path on the website to act on it.
    pub link: String,
}

impl Text {
    fn new(title: String, body: String, link: String) -> Self {
        Self {
            title: cut(&title, MAX_TITLE),
            body: cut(&body, MAX_BODY),
            link,
        }
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// What the service knows of an offer (from `vte.offers.v1`); empty strings when it has not
/// heard of the offer yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferFacts {
    pub title: String,
    pub company_name: String,
    /// The workplace's commune, e.g. "Figeac".
    pub commune: String,
}

impl OfferFacts {
    /// « Titre » (Commune), or what is known of it.
    fn named(&self) -> String {
        let title = if self.title.is_empty() {
            String::from("votre offre")
        } else {
            format!("« {} »", self.title)
        };
        if self.commune.is_empty() {
            title
        } else {
            format!("{title} ({})", self.commune)
        }
    }

    fn company(&self) -> &str {
        if self.company_name.is_empty() {
            "L'entreprise"
        } else {
            &self.company_name
        }
    }

    /// « Titre » chez Entreprise (Commune).
    fn offer_at_company(&self) -> String {
        let title = if self.title.is_empty() {
            String::from("l'offre")
        } else {
            format!("« {} »", self.title)
        };
        let mut text = title;
        if !self.company_name.is_empty() {
            text.push_str(&format!(" chez {}", self.company_name));
        }
        if !self.commune.is_empty() {
            text.push_str(&format!(" ({})", self.commune));
        }
        text
    }
}

fn date_fr(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// Where an application went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicationStep {
    Submitted,
    InReview,
    Interview { at: Option<DateTime<Utc>> },
    Accepted,
    Refused { reason: String },
    Withdrawn,
    Obsolete,
    Expired,
}

/// Ids an application's texts link to.
#[derive(Debug, Clone, Copy)]
pub struct ApplicationRef {
    pub application_id: Uuid,
    pub offer_id: Uuid,
}

/// To the company: a candidate applied.
pub fn application_received(
    offer: &OfferFacts,
    ids: ApplicationRef,
    remind_after_days: u32,
) -> Text {
    Text::new(
        format!(
            "Nouvelle candidature : {}",
            title_or(&offer.title, "votre offre")
        ),
        format!(
            "Un candidat a postulé à votre offre {}.\n\nProchaine étape : consultez sa \
             candidature et répondez-lui. Sans réponse de votre part dans {remind_after_days} \
             jours, nous vous le rappellerons.",
            offer.named()
        ),
        company_application_link(ids),
    )
}

/// To the company: a candidate withdrew.
pub fn application_withdrawn_for_company(offer: &OfferFacts, ids: ApplicationRef) -> Text {
    Text::new(
        format!(
            "Candidature retirée : {}",
            title_or(&offer.title, "votre offre")
        ),
        format!(
            "Un candidat a retiré sa candidature à votre offre {}.\n\nProchaine étape : aucune \
             action n'est nécessaire ; les autres candidatures restent ouvertes.",
            offer.named()
        ),
        company_application_link(ids),
    )
}

/// To the company: an application has waited for an answer since `submitted_on`.
pub fn awaiting_review(
    offer: &OfferFacts,
    ids: ApplicationRef,
    submitted_on: NaiveDate,
    days: u32,
) -> Text {
    Text::new(
        format!("Une candidature attend votre réponse depuis {days} jours"),
        format!(
            "Une candidature reçue le {} pour votre offre {} attend toujours votre réponse.\n\n\
             Prochaine étape : ouvrez la candidature pour l'examiner, proposer un entretien ou \
             y répondre. Un candidat sans nouvelles se tourne vers d'autres offres.",
            date_fr(submitted_on),
            offer.named()
        ),
        company_application_link(ids),
    )
}

/// To the company: its offer's last day to apply is near. The day is given as a date, never
/// as "in N days": a digest delivers it the next morning.
pub fn offer_expiring(offer: &OfferFacts, offer_id: Uuid, expires_on: NaiveDate) -> Text {
    Text::new(
        format!(
            "Dernier jour de candidature pour votre offre : le {}",
            date_fr(expires_on)
        ),
        format!(
            "Votre offre {} n'accepte plus de candidatures après le {}.\n\n\
             Prochaine étape : si le poste est encore à pourvoir, repoussez la date limite de \
             candidature ; sinon, fermez l'offre pour prévenir les candidats.",
            offer.named(),
            date_fr(expires_on)
        ),
        format!("/offres/{offer_id}"),
    )
}

/// A VTE whose label request or appeal awaits Bpifrance, as Bpifrance's reminder lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLabel {
    pub offer: OfferFacts,
    /// The day the request (or the appeal) came.
    pub since: NaiveDate,
}

/// VTEs a label reminder names one by one; the others are counted.
const LISTED_LABELS: usize = 15;

/// To Bpifrance: label requests (or appeals) await its decision for more than `days` days.
pub fn labels_awaiting(pending: &[PendingLabel], days: u32) -> Text {
    let count = pending.len();
    let title = if count == 1 {
        format!("Une demande de label VTE attend votre décision depuis plus de {days} jours")
    } else {
        format!(
            "{count} demandes de label VTE attendent votre décision depuis plus de {days} jours"
        )
    };
    let mut body = String::from("Ces demandes de label VTE attendent votre décision :\n");
    for item in pending.iter().take(LISTED_LABELS) {
        body.push_str(&format!(
            "\n- {}, en attente depuis le {}",
            item.offer.offer_at_company(),
            date_fr(item.since)
        ));
    }
    if count > LISTED_LABELS {
        body.push_str(&format!("\n- et {} autres", count - LISTED_LABELS));
    }
    body.push_str(
        "\n\nProchaine étape : accordez le label, refusez-le en donnant la raison, ou demandez \
         de retravailler la fiche de poste ; votre file des demandes est classée par date \
         limite de demande.",
    );
    Text::new(title, body, String::from("/bpifrance/vte?label=en-attente"))
}

/// To the school: the retention sweep erased the profile `candidate` (the opaque id the school
/// read beside its own reference; the reference itself is no longer kept). Says why, that
/// nothing is asked of the school, and what becomes of the reference.
pub fn profile_retired(candidate: Uuid) -> Text {
    Text::new(
        String::from("Profil d'un diplômé effacé (durée de conservation)"),
        format!(
            "Le profil {candidate} d'un de vos anciens étudiants a été effacé de la plateforme \
             VTE, avec ses coordonnées : diplômé depuis plus longtemps que la période où un VTE \
             peut lui être proposé, son profil était resté inchangé pendant toute la durée de \
             conservation des profils inactifs. Nous appliquons ainsi les recommandations \
             de la CNIL sur la conservation des données des candidats.\n\nProchaine étape : \
             aucune action n'est nécessaire. Sa référence ne sera plus acceptée dans vos \
             envois de profils ; s'il reprend des études, envoyez-le sous une nouvelle \
             référence."
        ),
        String::new(),
    )
}

fn company_application_link(ids: ApplicationRef) -> String {
    format!(
        "/offres/{}/candidatures/{}",
        ids.offer_id, ids.application_id
    )
}

fn title_or<'a>(title: &'a str, fallback: &'a str) -> &'a str {
    if title.is_empty() { fallback } else { title }
}

/// To the candidate: where their application went.
pub fn application_for_candidate(
    step: &ApplicationStep,
    offer: &OfferFacts,
    ids: ApplicationRef,
) -> Text {
    let what = offer.offer_at_company();
    let company = offer.company();
    let (title, body) = match step {
        ApplicationStep::Submitted => (
            "Votre candidature est envoyée".to_owned(),
            format!(
                "Votre candidature à {what} est bien envoyée.\n\nProchaine étape : l'entreprise \
                 l'examine ; vous serez prévenu de sa réponse."
            ),
        ),
        ApplicationStep::InReview => (
            "Votre candidature est en cours d'examen".to_owned(),
            format!(
                "{company} examine votre candidature à {what}.\n\nProchaine étape : l'entreprise \
                 reviendra vers vous, pour un entretien ou une réponse."
            ),
        ),
        ApplicationStep::Interview { at } => (
            "Entretien proposé".to_owned(),
            match at {
                Some(at) => format!(
                    "{company} vous propose un entretien pour {what}, le {} à {} (heure UTC).\n\n\
                     Prochaine étape : préparez l'entretien ; en cas d'empêchement, prévenez \
                     l'entreprise au plus tôt.",
                    date_fr(at.date_naive()),
                    at.format("%H:%M")
                ),
                None => format!(
                    "{company} vous propose un entretien pour {what}.\n\nProchaine étape : \
                     l'entreprise vous précisera la date."
                ),
            },
        ),
        ApplicationStep::Accepted => (
            "Félicitations, votre candidature est retenue".to_owned(),
            format!(
                "{company} a retenu votre candidature à {what}.\n\nProchaine étape : \
                 l'entreprise vous contacte pour signer le contrat et préparer votre arrivée."
            ),
        ),
        ApplicationStep::Refused { reason } => (
            "Votre candidature n'est pas retenue".to_owned(),
            format!(
                "{company} n'a pas retenu votre candidature à {what}.{}\n\nProchaine étape : \
                 d'autres offres VTE vous attendent ; consultez vos suggestions.",
                reason_sentence(reason)
            ),
        ),
        ApplicationStep::Withdrawn => (
            "Votre candidature est retirée".to_owned(),
            format!(
                "Votre candidature à {what} est retirée.\n\nProchaine étape : consultez vos \
                 suggestions pour postuler ailleurs."
            ),
        ),
        ApplicationStep::Obsolete => (
            "L'offre n'est plus ouverte".to_owned(),
            format!(
                "L'offre {what} a été pourvue ou fermée ; votre candidature est close.\n\n\
                 Prochaine étape : consultez vos suggestions pour postuler à d'autres offres."
            ),
        ),
        ApplicationStep::Expired => (
            "Votre candidature a expiré".to_owned(),
            format!(
                "Votre candidature à {what} a expiré sans réponse de l'entreprise.\n\n\
                 Prochaine étape : consultez vos suggestions et postulez à d'autres offres."
            ),
        ),
    };
    Text::new(title, body, format!("/candidatures/{}", ids.application_id))
}

/// To the candidate's school: their student's application moved on.
pub fn application_for_school(
    step: &ApplicationStep,
    offer: &OfferFacts,
    ids: ApplicationRef,
) -> Text {
    let what = offer.offer_at_company();
    let status = match step {
        ApplicationStep::Submitted => "envoyée",
        ApplicationStep::InReview => "en cours d'examen",
        ApplicationStep::Interview { .. } => "au stade de l'entretien",
        ApplicationStep::Accepted => "retenue",
        ApplicationStep::Refused { .. } => "non retenue",
        ApplicationStep::Withdrawn => "retirée",
        ApplicationStep::Obsolete => "close (offre pourvue ou fermée)",
        ApplicationStep::Expired => "expirée",
    };
    let reason = match step {
        ApplicationStep::Refused { reason } => reason_sentence(reason),
        _ => String::new(),
    };
    Text::new(
        format!("Candidature d'un étudiant : {status}"),
        format!(
            "La candidature d'un de vos étudiants à {what} est {status}.{reason}\n\nProchaine \
             étape : le détail est dans votre espace école."
        ),
        format!("/ecole/candidatures/{}", ids.application_id),
    )
}

fn reason_sentence(reason: &str) -> String {
    let reason = reason.trim();
    if reason.is_empty() {
        String::new()
    } else {
        format!(" Motif : {reason}")
    }
}

/// What happened to a placement (the VTE itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlacementStep {
    Started {
        start_date: Option<NaiveDate>,
    },
    Completed,
    EndedEarly {
        reason: String,
    },
    LabelGranted,
    LabelRefused {
        reason: String,
    },
    /// Bpifrance asked the company to rework the fiche de poste (the reason says what).
    LabelReworkRequested {
        reason: String,
    },
    /// The company requested the label (version 1) or resubmitted its dossier.
    LabelRequested {
        version: u32,
        closes_on: Option<NaiveDate>,
    },
    /// The company or the young person appealed a refusal.
    LabelAppealed {
        by_company: bool,
    },
    /// The window to request the label closes on `closes_on`, in `days_left` days.
    LabelRequestDue {
        closes_on: NaiveDate,
        days_left: u32,
    },
}

impl PlacementStep {
    /// The kind of notification the step makes.
    pub fn kind(&self) -> Kind {
        match self {
            Self::LabelGranted | Self::LabelRefused { .. } | Self::LabelReworkRequested { .. } => {
                Kind::LabelDecided
            }
            // Something for Bpifrance to decide.
            Self::LabelRequested { .. } | Self::LabelAppealed { .. } => {
                Kind::LabelsAwaitingDecision
            }
            Self::LabelRequestDue { .. } => Kind::LabelRequestDue,
            Self::Started { .. } | Self::Completed | Self::EndedEarly { .. } => {
                Kind::PlacementStatusChanged
            }
        }
    }
}

/// The facts of a placement shared by its texts.
#[derive(Debug, Clone)]
pub struct PlacementFacts {
    pub placement_id: Uuid,
    pub offer: OfferFacts,
}

/// To one party of a placement (company, candidate, school or Bpifrance).
pub fn placement_text(step: &PlacementStep, facts: &PlacementFacts, recipient: &Recipient) -> Text {
    let what = facts.offer.offer_at_company();
    let link = match recipient {
        Recipient::Bpifrance => format!("/bpifrance/vte/{}", facts.placement_id),
        Recipient::School(_) => format!("/ecole/vte/{}", facts.placement_id),
        _ => format!("/vte/{}", facts.placement_id),
    };
    let whose = match recipient {
        Recipient::Candidate(_) => "Votre VTE",
        Recipient::School(_) => "Le VTE d'un de vos étudiants",
        _ => "Le VTE",
    };
    let (title, body) = match step {
        PlacementStep::Started { start_date } => (
            "Le VTE commence".to_owned(),
            format!(
                "{whose} {what} est signé{}.\n\nProchaine étape : le VTE dure au moins un an ; \
                 l'entreprise demande le label VTE à Bpifrance dans les mois qui suivent le début \
                 du contrat (6 mois en général), après l'accord du jeune sur la charte VTE.",
                start_date
                    .map(|date| format!(" et commence le {}", date_fr(date)))
                    .unwrap_or_default()
            ),
        ),
        PlacementStep::Completed => (
            "VTE terminé".to_owned(),
            match recipient {
                Recipient::Bpifrance => {
                    format!("Le VTE {what} est terminé.\n\nProchaine étape : décider du label VTE.")
                }
                _ => format!(
                    "{whose} {what} est terminé.\n\nProchaine étape : si le label VTE a été \
                     demandé, Bpifrance en décide ; vous serez prévenu de sa décision."
                ),
            },
        ),
        PlacementStep::EndedEarly { reason } => (
            "VTE interrompu".to_owned(),
            format!(
                "{whose} {what} s'est arrêté avant son terme.{}\n\nProchaine étape : un VTE \
                 interrompu ne peut plus être labellisé (un label déjà accordé reste acquis).",
                reason_sentence(reason)
            ),
        ),
        PlacementStep::LabelGranted => (
            "Label VTE accordé".to_owned(),
            format!(
                "Bpifrance a accordé le label VTE pour {what}.\n\nProchaine étape : le label \
                 peut figurer sur le CV du jeune diplômé."
            ),
        ),
        PlacementStep::LabelRefused { reason } => (
            "Label VTE refusé".to_owned(),
            format!(
                "Bpifrance a refusé le label VTE pour {what}.{}\n\nProchaine étape : \
                 l'entreprise ou le jeune peut faire appel de la décision, en donnant ses raisons.",
                reason_sentence(reason)
            ),
        ),
        PlacementStep::LabelReworkRequested { reason } => (
            "Label VTE : fiche de poste à retravailler".to_owned(),
            format!(
                "Bpifrance demande de retravailler la fiche de poste de {what} avant de décider \
                 du label VTE.{}\n\nProchaine étape : {}",
                reason_sentence(reason),
                match recipient {
                    Recipient::Company(_) => "renvoyez votre dossier de demande de label modifié.",
                    _ =>
                        "l'entreprise renvoie son dossier modifié ; vous serez prévenu de la décision.",
                }
            ),
        ),
        PlacementStep::LabelRequested { version, closes_on } => (
            if *version > 1 {
                "Dossier de label VTE renvoyé après reprise".to_owned()
            } else {
                "Nouvelle demande de label VTE".to_owned()
            },
            format!(
                "L'entreprise demande le label VTE pour {what} (dossier, version {version}){}.\n\n\
                 Prochaine étape : accorder le label, le refuser en donnant la raison, ou \
                 demander de retravailler la fiche de poste.",
                closes_on
                    .map(|day| format!(", délai de demande jusqu'au {}", date_fr(day)))
                    .unwrap_or_default()
            ),
        ),
        PlacementStep::LabelAppealed { by_company } => (
            "Appel d'un refus de label VTE".to_owned(),
            format!(
                "{} fait appel du refus du label VTE pour {what}.\n\nProchaine étape : \
                 réexaminer le dossier et décider de l'appel.",
                if *by_company {
                    "L'entreprise"
                } else {
                    "Le jeune"
                }
            ),
        ),
        PlacementStep::LabelRequestDue {
            closes_on,
            days_left,
        } => (
            format!("Label VTE à demander avant le {}", date_fr(*closes_on)),
            format!(
                "Le label VTE de {what} n'a pas encore été demandé ; la demande est possible \
                 jusqu'au {} ({}).\n\nProchaine étape : envoyez votre dossier (missions du \
                 poste, lien avec la direction, charte VTE acceptée par l'entreprise et le jeune). \
                 Le label conditionne les aides.",
                date_fr(*closes_on),
                match days_left {
                    0 => "dernier jour aujourd'hui".to_owned(),
                    1 => "encore 1 jour".to_owned(),
                    n => format!("encore {n} jours"),
                }
            ),
        ),
    };
    Text::new(title, body, link)
}

/// One offer suggested to a candidate.
#[derive(Debug, Clone)]
pub struct SuggestedOffer {
    pub offer: OfferFacts,
    /// Why it matches, in one sentence.
    pub summary: String,
    /// In [0, 1].
    pub score: f64,
}

/// To the candidate: offers that match their profile.
pub fn offers_suggested(offers: &[SuggestedOffer]) -> Text {
    let title = match offers.len() {
        1 => "Une offre VTE pour vous".to_owned(),
        n => format!("{n} offres VTE pour vous"),
    };
    let mut body = String::from("Ces offres correspondent à votre profil :\n");
    for suggestion in offers {
        body.push_str(&format!(
            "\n• {} — {} % : {}",
            suggestion.offer.offer_at_company(),
            percent(suggestion.score),
            suggestion.summary.trim()
        ));
    }
    body.push_str(
        "\n\nProchaine étape : consultez ces offres et postulez à celles qui vous plaisent.",
    );
    Text::new(title, body, String::from("/offres-suggerees"))
}

/// To the candidate: an offer just published that fits their profile (an offer alert).
pub fn new_offer_for_you(offer_id: Uuid, suggestion: &SuggestedOffer) -> Text {
    let body = format!(
        "Une nouvelle offre correspond à votre profil :\n\n• {} — {} % : {}\n\nProchaine \
         étape : consultez l'offre et postulez si elle vous plaît.",
        suggestion.offer.offer_at_company(),
        percent(suggestion.score),
        suggestion.summary.trim()
    );
    Text::new(
        "Nouvelle offre VTE pour vous".to_owned(),
        body,
        format!("/offres/{offer_id}"),
    )
}

/// To the company: candidates that match one of its offers (pseudonymous summaries only).
pub fn candidates_suggested(
    offer_title: &str,
    offer_id: Uuid,
    summaries: &[(f64, String)],
) -> Text {
    let title = match summaries.len() {
        1 => format!("Un candidat suggéré pour « {offer_title} »"),
        n => format!("{n} candidats suggérés pour « {offer_title} »"),
    };
    let mut body = format!("Ces profils correspondent à votre offre « {offer_title} » :\n");
    for (score, summary) in summaries {
        body.push_str(&format!("\n• {} % : {}", percent(*score), summary.trim()));
    }
    body.push_str(
        "\n\nProchaine étape : consultez les profils suggérés ; les candidats voient vos offres \
         et peuvent postuler.",
    );
    Text::new(title, body, format!("/offres/{offer_id}/candidats"))
}

/// To the candidate: a company that found them in a ranking invites them to apply to one of
/// its offers. The company's own message is not repeated (it may hold names or contact
/// details): the candidate reads it with the invitation.
pub fn invited_to_apply(offer: &OfferFacts, offer_id: Uuid) -> Text {
    Text::new(
        format!(
            "{} vous invite à postuler : {}",
            offer.company(),
            title_or(&offer.title, "une offre VTE")
        ),
        format!(
            "{} a remarqué votre profil et vous invite à postuler à son offre {}.\n\nVous \
             décidez : vos coordonnées ne lui sont transmises que si vous postulez.\n\n\
             Prochaine étape : consultez l'offre et l'invitation, puis postulez ou déclinez.",
            offer.company(),
            offer.named()
        ),
        format!("/offres/{offer_id}"),
    )
}

/// To the candidate: their school created their profile, which waits for their consent.
pub fn consent_requested() -> Text {
    Text::new(
        "Votre école a créé votre profil VTE".to_owned(),
        "Votre école a inscrit votre profil sur la plateforme VTE, qui met en relation les \
         jeunes diplômés et les PME et ETI industrielles des territoires.\n\nProchaine étape : \
         donnez votre accord pour recevoir des offres qui vous correspondent."
            .to_owned(),
        String::from("/profil/consentement"),
    )
}

fn percent(score: f64) -> u32 {
    // A score is in [0, 1]; anything else from a producer is clamped, not trusted.
    (score.clamp(0.0, 1.0) * 100.0).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figeac() -> OfferFacts {
        OfferFacts {
            title: "Ingénieur méthodes".to_owned(),
            company_name: "Usinage du Célé".to_owned(),
            commune: "Figeac".to_owned(),
        }
    }

    #[test]
    fn a_suggestion_names_the_offer_the_company_the_commune_and_why() {
        let text = offers_suggested(&[SuggestedOffer {
            offer: figeac(),
            summary: "Mission technologie, 12 km de chez vous".to_owned(),
            score: 0.873,
        }]);
        assert_eq!(text.title, "Une offre VTE pour vous");
        assert!(
            text.body
                .contains("« Ingénieur méthodes » chez Usinage du Célé (Figeac) — 87 %")
        );
        assert!(text.body.contains("12 km de chez vous"));
        assert!(text.body.contains("Prochaine étape"));
    }

    #[test]
    fn a_new_offer_alert_names_the_offer_and_links_to_it() {
        let id = Uuid::nil();
        let text = new_offer_for_you(
            id,
            &SuggestedOffer {
                offer: figeac(),
                summary: "Formation en génie mécanique".to_owned(),
                score: 0.914,
            },
        );
        assert_eq!(text.title, "Nouvelle offre VTE pour vous");
        assert!(
            text.body.contains(
                "« Ingénieur méthodes » chez Usinage du Célé (Figeac) — 91 % : Formation"
            ),
            "{}",
            text.body
        );
        assert_eq!(text.link, format!("/offres/{id}"));
    }

    #[test]
    fn long_texts_are_cut_to_the_contracts_limits() {
        let summary = "x".repeat(3_000);
        let text = offers_suggested(&[SuggestedOffer {
            offer: figeac(),
            summary,
            score: 0.5,
        }]);
        assert_eq!(text.body.chars().count(), MAX_BODY);
        assert!(text.body.ends_with('…'));
    }

    #[test]
    fn an_unknown_offer_still_reads_as_french() {
        let ids = ApplicationRef {
            application_id: Uuid::nil(),
            offer_id: Uuid::nil(),
        };
        let text =
            application_for_candidate(&ApplicationStep::Expired, &OfferFacts::default(), ids);
        assert!(
            text.body
                .starts_with("Votre candidature à l'offre a expiré"),
            "{}",
            text.body
        );
    }

    #[test]
    fn an_expiry_reminder_gives_the_last_day_as_a_date() {
        let last_day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let text = offer_expiring(&OfferFacts::default(), Uuid::nil(), last_day);
        assert_eq!(
            text.title,
            "Dernier jour de candidature pour votre offre : le 28/11/2026"
        );
        assert!(text.body.contains("après le 28/11/2026"), "{}", text.body);
    }

    #[test]
    fn a_label_reminder_lists_fifteen_requests_and_counts_the_others() {
        let pending: Vec<PendingLabel> = (0..40)
            .map(|_| PendingLabel {
                offer: OfferFacts::default(),
                since: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            })
            .collect();
        let text = labels_awaiting(&pending, 30);
        assert_eq!(
            text.title,
            "40 demandes de label VTE attendent votre décision depuis plus de 30 jours"
        );
        assert_eq!(
            text.body.matches("en attente depuis le 01/10/2026").count(),
            15
        );
        assert!(text.body.contains("- et 25 autres"), "{}", text.body);
        assert!(
            labels_awaiting(&pending[..1], 30)
                .title
                .starts_with("Une demande de label VTE attend")
        );
    }
}
