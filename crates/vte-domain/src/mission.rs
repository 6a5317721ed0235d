//! The mission types of the Bpifrance standard job description (fiche de poste type), with
//! their stable codes (used on the wire and in storage) and French labels (shown to people).

use crate::InvalidValue;
use crate::serde_str::serde_as_str;
use std::fmt;

/// What a VTE hire will mainly do, as classified by the Bpifrance fiche de poste.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MissionType {
    /// Bras droit du dirigeant.
    BrasDroit,
    /// Transformation, digitalisation, nouveau business model.
    Transformation,
    /// Projets technologiques en rupture, nouveaux produits, nouvelles méthodes de production.
    Technologie,
    /// Finance, M&A.
    Finance,
    /// International depuis la France.
    International,
    /// Marketing, communication.
    Marketing,
    /// Marque employeur, RH, RSE.
    RhRse,
    /// Any other mission.
    Autre,
}

impl MissionType {
    /// Every mission type, in the order of the fiche de poste.
    pub const ALL: [MissionType; 8] = [
        Self::BrasDroit,
        Self::Transformation,
        Self::Technologie,
        Self::Finance,
        Self::International,
        Self::Marketing,
        Self::RhRse,
        Self::Autre,
    ];

    /// The stable code, e.g. `"BRAS_DROIT"`; never changes once published.
    pub const fn code(self) -> &'static str {
        match self {
            Self::BrasDroit => "BRAS_DROIT",
            Self::Transformation => "TRANSFORMATION",
            Self::Technologie => "TECHNOLOGIE",
            Self::Finance => "FINANCE",
            Self::International => "INTERNATIONAL",
            Self::Marketing => "MARKETING",
            Self::RhRse => "RH_RSE",
            Self::Autre => "AUTRE",
        }
    }

    /// The French label of the fiche de poste, e.g. `"Bras droit du dirigeant"`.
    pub const fn label(self) -> &'static str {
        match self {
            Self::BrasDroit => "Bras droit du dirigeant",
            Self::Transformation => "Transformation / digitalisation / nouveau business model",
            Self::Technologie => {
                "Projets technologiques en rupture / nouveaux produits / \
                 nouvelles méthodes de production"
            }
            Self::Finance => "Finance / M&A",
            Self::International => "International depuis la France",
            Self::Marketing => "Marketing / communication",
            Self::RhRse => "Marque employeur / RH / RSE",
            Self::Autre => "Autre",
        }
    }

    /// Parses a code, ignoring case and surrounding spaces (`"rh_rse"` is `RhRse`).
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|mission| mission.code().eq_ignore_ascii_case(raw))
            .ok_or_else(|| {
                InvalidValue::new(
                    "must be one of BRAS_DROIT, TRANSFORMATION, TECHNOLOGIE, FINANCE, \
                     INTERNATIONAL, MARKETING, RH_RSE, AUTRE",
                )
            })
    }
}

impl fmt::Display for MissionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for MissionType {
    type Err = InvalidValue;

    fn from_str(raw: &str) -> Result<Self, InvalidValue> {
        Self::parse(raw)
    }
}

serde_as_str!(MissionType);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mission_type_parses_back_from_its_code() {
        for mission in MissionType::ALL {
            assert_eq!(MissionType::parse(mission.code()), Ok(mission));
        }
    }

    #[test]
    fn codes_are_read_whatever_their_case() {
        assert_eq!(MissionType::parse(" rh_rse "), Ok(MissionType::RhRse));
    }

    #[test]
    fn labels_are_the_french_ones_of_the_fiche_de_poste() {
        assert_eq!(MissionType::BrasDroit.label(), "Bras droit du dirigeant");
        assert_eq!(
            MissionType::Technologie.label(),
            "Projets technologiques en rupture / nouveaux produits / nouvelles méthodes de production"
        );
    }

    #[test]
    fn an_unknown_mission_type_is_rejected_with_the_list_of_valid_ones() {
        let error = MissionType::parse("SALES").unwrap_err();
        assert!(error.rule().starts_with("must be one of BRAS_DROIT"));
    }

    #[test]
    fn a_mission_type_is_written_as_its_code_in_json() {
        assert_eq!(
            serde_json::to_string(&MissionType::International).unwrap(),
            "\"INTERNATIONAL\""
        );
    }
}
