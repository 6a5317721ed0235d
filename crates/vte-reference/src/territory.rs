//! Territoires d'industrie and the programmes that define them. Territory ids (`ti-7603`) are
//! only meaningful within a programme: the same id names different territories in 2018-2022
//! and 2023-2027 (`ti-1104` is Grand-Orly Seine Bièvre in the first, Grand Roissy Le Bourget in
//! the second), so every lookup names its programme.

use crate::code::ShortCode;
use std::fmt;
use vte_domain::Siren;

/// A generation of the Territoires d'industrie programme; the current one is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Programme {
    /// The first programme, 2018-2022 (149 territories), kept for history.
    Ti2018_2022,
    /// The current programme, 2023-2027 (183 territories).
    #[default]
    Ti2023_2027,
}

impl Programme {
    /// Both programmes, oldest first.
    pub const ALL: [Programme; 2] = [Self::Ti2018_2022, Self::Ti2023_2027];

    /// The years it covers, e.g. `"2023-2027"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ti2018_2022 => "2018-2022",
            Self::Ti2023_2027 => "2023-2027",
        }
    }

    /// The first and last year of validity.
    pub const fn years(self) -> (u16, u16) {
        match self {
            Self::Ti2018_2022 => (2018, 2022),
            Self::Ti2023_2027 => (2023, 2027),
        }
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Programme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Territoire d'industrie of one programme.
#[derive(Debug, Clone)]
pub struct Territory {
    pub(crate) id: Box<str>,
    pub(crate) name: Box<str>,
    pub(crate) programme: Programme,
    pub(crate) lead_region: ShortCode,
    pub(crate) commune_count: u32,
    pub(crate) unresolved_groupements: Vec<Siren>,
}

impl Territory {
    /// The id within its programme, e.g. `ti-7603`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The name, e.g. `Aurillac – Figeac – Rodez`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The programme it belongs to.
    pub fn programme(&self) -> Programme {
        self.programme
    }

    /// The code of the région that leads it (a territory may straddle régions).
    pub fn lead_region(&self) -> &str {
        self.lead_region.as_str()
    }

    /// How many communes it covers (in the COG 2026).
    pub fn commune_count(&self) -> u32 {
        self.commune_count
    }

    /// Groupements of the territory whose communes could not be derived from the COG 2026
    /// (2018-2022 only; empty when the membership is complete, as it is in the current data).
    pub fn unresolved_groupements(&self) -> &[Siren] {
        &self.unresolved_groupements
    }
}

/// A row of `ti_2023_2027_groupements.csv`: which groupement makes up which territory.
#[derive(Debug)]
pub(crate) struct Groupement {
    pub(crate) territory: u16,
    pub(crate) siren: Siren,
}
