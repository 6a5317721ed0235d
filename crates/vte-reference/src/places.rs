//! The places of the Code officiel géographique (COG 2026) as loaded from the reference files:
//! communes, départements, régions and EPCI (the intercommunal groupings a commune belongs to).
//! Fields are read through accessors; the values were checked when loaded.

use crate::code::ShortCode;
use crate::geo::GeoPoint;
use vte_domain::{InseeCode, PostalCode, Siren};

/// A commune, the finest place an offer or a candidate is located in.
#[derive(Debug, Clone)]
pub struct Commune {
    pub(crate) insee: InseeCode,
    pub(crate) name: Box<str>,
    pub(crate) region: ShortCode,
    pub(crate) epci: Option<Siren>,
    pub(crate) postal_codes: PostalCodes,
    pub(crate) population: Option<u32>,
    pub(crate) centre: Option<GeoPoint>,
}

impl Commune {
    /// The INSEE code, e.g. `46102`.
    pub fn insee(&self) -> InseeCode {
        self.insee
    }

    /// The official name, e.g. `Figeac`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The département code, e.g. `46`, `2A`, `971`.
    pub fn departement(&self) -> &str {
        self.insee.departement()
    }

    /// The région code, e.g. `76` (overseas collectivities use their own code, e.g. `975`).
    pub fn region(&self) -> &str {
        self.region.as_str()
    }

    /// The SIREN of the EPCI the commune belongs to; `None` for the few communes in none
    /// (some islands, overseas collectivities).
    pub fn epci(&self) -> Option<Siren> {
        self.epci
    }

    /// The postal codes serving the commune (one or more; none for uninhabited territories).
    pub fn postal_codes(&self) -> &[PostalCode] {
        self.postal_codes.as_slice()
    }

    /// The legal population, when known.
    pub fn population(&self) -> Option<u32> {
        self.population
    }

    /// The geometric centre of the commune; `None` for the overseas collectivities (Saint-Pierre-
    /// et-Miquelon, Saint-Barthélemy, Saint-Martin, TAAF, Wallis-et-Futuna, Polynesia, New
    /// Caledonia, Clipperton), which the source outlines do not cover.
    pub fn centre(&self) -> Option<GeoPoint> {
        self.centre
    }
}

/// A commune's postal codes, held inline when there are at most three (all but 25 communes) so
/// that loading allocates nothing for them.
#[derive(Debug, Clone)]
pub(crate) enum PostalCodes {
    Inline { codes: [PostalCode; 3], len: u8 },
    Heap(Box<[PostalCode]>),
}

impl PostalCodes {
    pub(crate) fn new(codes: &[PostalCode]) -> Self {
        match codes {
            [] => Self::Heap(Box::default()),
            [first, ..] if codes.len() <= 3 => {
                let mut inline = [*first; 3];
                inline[..codes.len()].copy_from_slice(codes);
                Self::Inline {
                    codes: inline,
                    len: codes.len() as u8,
                }
            }
            _ => Self::Heap(codes.into()),
        }
    }

    fn as_slice(&self) -> &[PostalCode] {
        match self {
            Self::Inline { codes, len } => &codes[..usize::from(*len)],
            Self::Heap(codes) => codes,
        }
    }
}

/// A département (or an overseas collectivity, which the COG lists alongside them).
#[derive(Debug, Clone)]
pub struct Departement {
    pub(crate) code: ShortCode,
    pub(crate) name: Box<str>,
    pub(crate) region: ShortCode,
    pub(crate) chef_lieu: InseeCode,
}

impl Departement {
    /// The code, e.g. `46`, `2A`, `971`.
    pub fn code(&self) -> &str {
        self.code.as_str()
    }

    /// The name, e.g. `Lot`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The code of its région.
    pub fn region(&self) -> &str {
        self.region.as_str()
    }

    /// The INSEE code of its prefecture.
    pub fn chef_lieu(&self) -> InseeCode {
        self.chef_lieu
    }
}

/// Whether a région is in metropolitan France, an overseas département-région, or an overseas
/// collectivity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionZone {
    /// Metropolitan France, Corsica included (`metro`).
    Metropole,
    /// Guadeloupe, Martinique, Guyane, La Réunion, Mayotte (`drom`).
    Drom,
    /// The overseas collectivities and territories (`com`).
    Com,
}

/// A région, whose code also names a Territoire d'industrie's lead région.
#[derive(Debug, Clone)]
pub struct Region {
    pub(crate) code: ShortCode,
    pub(crate) name: Box<str>,
    pub(crate) chef_lieu: InseeCode,
    pub(crate) zone: RegionZone,
}

impl Region {
    /// The code, e.g. `76`.
    pub fn code(&self) -> &str {
        self.code.as_str()
    }

    /// The name, e.g. `Occitanie`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The INSEE code of its chef-lieu.
    pub fn chef_lieu(&self) -> InseeCode {
        self.chef_lieu
    }

    /// Metropolitan, overseas département-région or overseas collectivity.
    pub fn zone(&self) -> RegionZone {
        self.zone
    }
}

/// An EPCI: a communauté de communes (`CC`), d'agglomération (`CA`), urbaine (`CU`) or a
/// métropole (`METRO`, `MET69` for Lyon).
#[derive(Debug, Clone)]
pub struct Epci {
    pub(crate) siren: Siren,
    pub(crate) name: Box<str>,
    pub(crate) kind: Box<str>,
}

impl Epci {
    /// Its SIREN.
    pub fn siren(&self) -> Siren {
        self.siren
    }

    /// Its name, e.g. `CC Grand-Figeac`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its legal form as written in the COG: `CC`, `CA`, `CU`, `METRO` or `MET69`.
    pub fn kind(&self) -> &str {
        &self.kind
    }
}
