//! Territoires d'industrie and the programmes that define them. Territory ids (`ti-7603`) are
//! only meaningful within a programme: the same id names different territories in 2018-2022
//! and 2023-2027 (`ti-1104` is Grand-Orly Seine Bièvre in the first, Grand Roissy Le Bourget in
//! the second), so every lookup names its programme.

use crate::code::ShortCode;
use vte_domain::Siren;

pub use vte_domain::Programme;

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
