//! Recipients are tenants, never addresses: a company by SIREN, a school by id, a candidate by
//! id, or Bpifrance as one recipient. Each role receives a fixed set of [`Kind`]s (its
//! audience); channels and cadences are how a notification reaches it.

use std::fmt;

use vte_domain::{CandidateId, InvalidValue, SchoolId, Siren};

/// Who a notification is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recipient {
    Company(Siren),
    School(SchoolId),
    Candidate(CandidateId),
    Bpifrance,
}

/// The role of a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipientRole {
    Company,
    School,
    Candidate,
    Bpifrance,
}

impl RecipientRole {
    /// The role's name as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::School => "school",
            Self::Candidate => "candidate",
            Self::Bpifrance => "bpifrance",
        }
    }
}

impl Recipient {
    /// Its role.
    pub fn role(&self) -> RecipientRole {
        match self {
            Self::Company(_) => RecipientRole::Company,
            Self::School(_) => RecipientRole::School,
            Self::Candidate(_) => RecipientRole::Candidate,
            Self::Bpifrance => RecipientRole::Bpifrance,
        }
    }

    /// The tenant id as stored and sent: SIREN, school id, candidate id, or empty.
    pub fn tenant(&self) -> String {
        match self {
            Self::Company(siren) => siren.to_string(),
            Self::School(school) => school.to_string(),
            Self::Candidate(candidate) => candidate.to_string(),
            Self::Bpifrance => String::new(),
        }
    }

    /// A recipient from its role's name and tenant id.
    pub fn parse(role: &str, tenant: &str) -> Result<Self, InvalidValue> {
        match role {
            "company" => Siren::parse(tenant).map(Self::Company),
            "school" => SchoolId::parse(tenant).map(Self::School),
            "candidate" => CandidateId::parse(tenant).map(Self::Candidate),
            "bpifrance" if tenant.is_empty() => Ok(Self::Bpifrance),
            "bpifrance" => Err(InvalidValue::new("must be empty for bpifrance")),
            _ => Err(InvalidValue::new(
                "must be a company, a school, a candidate or bpifrance",
            )),
        }
    }

    /// The kinds this recipient can receive.
    pub fn audience(&self) -> &'static [Kind] {
        use Kind::*;
        match self {
            Self::Company(_) => &[
                ApplicationReceived,
                ApplicationStatusChanged,
                CandidatesSuggested,
                PlacementStatusChanged,
                LabelDecided,
                ApplicationsAwaitingReview,
                OfferExpiring,
                LabelRequestDue,
            ],
            Self::School(_) => &[
                ApplicationStatusChanged,
                PlacementStatusChanged,
                LabelDecided,
                ProfileRetired,
            ],
            Self::Candidate(_) => &[
                ApplicationStatusChanged,
                OffersSuggested,
                PlacementStatusChanged,
                LabelDecided,
                ConsentRequested,
                InvitedToApply,
            ],
            Self::Bpifrance => &[PlacementStatusChanged, LabelsAwaitingDecision],
        }
    }

    /// Whether the recipient may receive `kind`.
    pub fn receives(&self, kind: Kind) -> bool {
        self.audience().contains(&kind)
    }

    /// Whether the recipient's email address comes from the candidates service (a candidate's
    /// contact data, looked up at delivery time); the others register their own address with
    /// UpdatePreferences, and are emailed only once they have.
    pub fn has_contact_email(&self) -> bool {
        matches!(self, Self::Candidate(_))
    }

    /// Whether the recipient may register webhooks.
    pub fn has_webhooks(&self) -> bool {
        matches!(self, Self::School(_) | Self::Bpifrance)
    }
}

impl fmt::Display for Recipient {
    /// `role:tenant`, with ids only: safe in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.role().code(), self.tenant())
    }
}

/// What a notification is about (the contract's `NotificationKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    ApplicationReceived,
    ApplicationStatusChanged,
    CandidatesSuggested,
    OffersSuggested,
    PlacementStatusChanged,
    LabelDecided,
    ConsentRequested,
    ApplicationsAwaitingReview,
    OfferExpiring,
    LabelsAwaitingDecision,
    /// A student's profile erased by the retention sweep (to their school).
    ProfileRetired,
    /// The window to request a VTE's label closes soon, nothing requested (to the company).
    LabelRequestDue,
    /// A company invited the candidate to apply to one of its offers (to the candidate).
    InvitedToApply,
}

impl Kind {
    /// Every kind, in the contract's order.
    pub const ALL: [Kind; 13] = [
        Kind::ApplicationReceived,
        Kind::ApplicationStatusChanged,
        Kind::CandidatesSuggested,
        Kind::OffersSuggested,
        Kind::PlacementStatusChanged,
        Kind::LabelDecided,
        Kind::ConsentRequested,
        Kind::ApplicationsAwaitingReview,
        Kind::OfferExpiring,
        Kind::LabelsAwaitingDecision,
        Kind::ProfileRetired,
        Kind::LabelRequestDue,
        Kind::InvitedToApply,
    ];

    /// The kind's name as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::ApplicationReceived => "APPLICATION_RECEIVED",
            Self::ApplicationStatusChanged => "APPLICATION_STATUS_CHANGED",
            Self::CandidatesSuggested => "CANDIDATES_SUGGESTED",
            Self::OffersSuggested => "OFFERS_SUGGESTED",
            Self::PlacementStatusChanged => "PLACEMENT_STATUS_CHANGED",
            Self::LabelDecided => "LABEL_DECIDED",
            Self::ConsentRequested => "CONSENT_REQUESTED",
            Self::ApplicationsAwaitingReview => "APPLICATIONS_AWAITING_REVIEW",
            Self::OfferExpiring => "OFFER_EXPIRING",
            Self::LabelsAwaitingDecision => "LABELS_AWAITING_DECISION",
            Self::ProfileRetired => "PROFILE_RETIRED",
            Self::LabelRequestDue => "LABEL_REQUEST_DUE",
            Self::InvitedToApply => "INVITED_TO_APPLY",
        }
    }

    /// The kind of a stored name.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// How a digest email names the kind, in French.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::ApplicationReceived => "candidatures reçues",
            Self::ApplicationStatusChanged => "suivi des candidatures",
            Self::CandidatesSuggested => "candidats suggérés",
            Self::OffersSuggested => "offres suggérées",
            Self::PlacementStatusChanged => "suivi des VTE",
            Self::LabelDecided => "décisions de label",
            Self::ConsentRequested => "demandes de consentement",
            Self::ApplicationsAwaitingReview => "candidatures en attente",
            Self::OfferExpiring => "offres bientôt expirées",
            Self::LabelsAwaitingDecision => "labels à décider",
            Self::ProfileRetired => "profils effacés (durée de conservation)",
            Self::LabelRequestDue => "demandes de label à faire",
            Self::InvitedToApply => "invitations à postuler",
        }
    }
}

/// A way to reach a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    InApp,
    Email,
    Webhook,
}

impl Channel {
    /// The channel's name as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::InApp => "IN_APP",
            Self::Email => "EMAIL",
            Self::Webhook => "WEBHOOK",
        }
    }

    /// The channel of a stored name.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::InApp, Self::Email, Self::Webhook]
            .into_iter()
            .find(|channel| channel.code() == code)
    }
}

/// When email notifications of a kind go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Cadence {
    #[default]
    Immediate,
    DailyDigest,
}

impl Cadence {
    /// The cadence's name as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::Immediate => "IMMEDIATE",
            Self::DailyDigest => "DAILY_DIGEST",
        }
    }

    /// The cadence of a stored name.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "IMMEDIATE" => Some(Self::Immediate),
            "DAILY_DIGEST" => Some(Self::DailyDigest),
            _ => None,
        }
    }
}

/// Where one delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    Pending,
    Retrying,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    /// The status's name as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Retrying => "RETRYING",
            Self::Delivered => "DELIVERED",
            Self::Failed => "FAILED",
        }
    }

    /// The status of a stored name.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Pending, Self::Retrying, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|status| status.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.code()), Some(kind));
        }
        for channel in [Channel::InApp, Channel::Email, Channel::Webhook] {
            assert_eq!(Channel::parse(channel.code()), Some(channel));
        }
        let school = Recipient::School(SchoolId::new());
        assert_eq!(Recipient::parse("school", &school.tenant()), Ok(school));
        assert_eq!(Recipient::parse("bpifrance", ""), Ok(Recipient::Bpifrance));
        assert!(Recipient::parse("bpifrance", "x").is_err());
    }

    #[test]
    fn only_candidates_are_emailed_and_only_schools_and_bpifrance_have_webhooks() {
        let candidate = Recipient::Candidate(CandidateId::new());
        assert!(candidate.has_contact_email() && !candidate.has_webhooks());
        assert!(Recipient::Bpifrance.has_webhooks());
        assert!(!Recipient::Bpifrance.receives(Kind::OffersSuggested));
    }
}
