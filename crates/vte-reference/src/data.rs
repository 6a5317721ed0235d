//! [`ReferenceData`]: the loaded tables and every lookup the services need (communes by INSEE
//! or postal code, territories by programme, distances, names of départements and régions).
//! Immutable once loaded, so one instance is shared across tasks in an `Arc`.

use crate::geo::haversine_km;
use crate::index::Communes;
use crate::names::fold;
use crate::places::{Commune, Departement, Epci, Region};
use crate::territory::{Programme, Territory};
use std::fmt;
use std::path::PathBuf;
use vte_domain::{InseeCode, InvalidValue, PostalCode, Siren};

/// The environment variable naming the reference directory in tests and tools.
pub const REFERENCE_DIR_VAR: &str = "VTE_REFERENCE_DIR";

/// The French reference data: communes (COG 2026), départements, régions, EPCI and the
/// Territoires d'industrie of both programmes.
pub struct ReferenceData {
    communes: Communes,
    departements: Vec<Departement>,
    regions: Vec<Region>,
    epcis: Vec<Epci>,
    programmes: [ProgrammeData; 2],
}

impl ReferenceData {
    /// The reference directory for tests and local runs: `$VTE_REFERENCE_DIR` if set, else
    /// `../shared/reference` next to the workspace root, found at run time from the package
    /// being run (cargo's `CARGO_MANIFEST_DIR`) or the current directory. Never from a path
    /// fixed at compile time: a build cache shared between checkouts would point at an old one.
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os(REFERENCE_DIR_VAR).filter(|dir| !dir.is_empty()) {
            return PathBuf::from(dir);
        }
        let start = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        let root = start
            .ancestors()
            .find(|dir| dir.join("Cargo.lock").is_file())
            .unwrap_or(&start);
        let dir = root.join("../shared/reference");
        dir.canonicalize().unwrap_or(dir)
    }

    pub(crate) fn new(
        communes: Communes,
        departements: Vec<Departement>,
        regions: Vec<Region>,
        epcis: Vec<Epci>,
        programmes: [ProgrammeData; 2],
    ) -> Self {
        Self {
            communes,
            departements,
            regions,
            epcis,
            programmes,
        }
    }

    /// Every commune, ordered by INSEE code.
    pub fn communes(&self) -> &[Commune] {
        self.communes.list()
    }

    /// The commune with this INSEE code, if it exists.
    pub fn commune(&self, insee: &InseeCode) -> Option<&Commune> {
        self.communes.get(insee)
    }

    /// Parses an INSEE code and finds its commune, rejecting a malformed code or one that names
    /// no commune (`no commune with INSEE code 99999`).
    pub fn resolve(&self, raw: &str) -> Result<&Commune, InvalidValue> {
        let insee = InseeCode::parse(raw)?;
        self.commune(&insee)
            .ok_or_else(|| InvalidValue::new(format!("no commune with INSEE code {insee}")))
    }

    /// Every commune served by `postal_code`, ordered by INSEE code (often several: the caller
    /// must choose, or ask, never guess).
    pub fn communes_for_postal_code(&self, postal_code: &PostalCode) -> Vec<&Commune> {
        self.communes.for_postal_code(postal_code)
    }

    /// Finds a commune from a postal code and its name as a person typed it (case, accents and
    /// punctuation ignored). An empty name is enough only when the postal code serves a single
    /// commune; otherwise the rule lists the communes to choose from.
    pub fn resolve_postal(&self, postal_code: &str, name: &str) -> Result<&Commune, InvalidValue> {
        let postal_code = PostalCode::parse(postal_code)?;
        let candidates = self.communes_for_postal_code(&postal_code);
        let wanted = fold(name);
        match candidates.as_slice() {
            [] => Err(InvalidValue::new(format!(
                "no commune has postal code {postal_code}"
            ))),
            [only] if wanted.is_empty() => Ok(only),
            _ if wanted.is_empty() => Err(InvalidValue::new(format!(
                "postal code {postal_code} serves {} communes, name one: {}",
                candidates.len(),
                list_names(&candidates)
            ))),
            _ => candidates
                .iter()
                .copied()
                .find(|commune| fold(commune.name()) == wanted)
                .ok_or_else(|| {
                    InvalidValue::new(format!(
                        "no commune named \"{}\" has postal code {postal_code}; it serves {}",
                        vte_domain::echo(name.trim()),
                        list_names(&candidates)
                    ))
                }),
        }
    }

    /// The Territoire d'industrie of `programme` the commune lies in, if any.
    pub fn territory_of(&self, insee: &InseeCode, programme: Programme) -> Option<&Territory> {
        let data = &self.programmes[programme.index()];
        let territory = data.membership[self.communes.position(insee)?]?;
        data.territories.get(usize::from(territory))
    }

    /// Every territory of `programme`, ordered by id.
    pub fn territories(&self, programme: Programme) -> &[Territory] {
        &self.programmes[programme.index()].territories
    }

    /// The territory of `programme` with this id (`ti-7603`).
    pub fn territory(&self, programme: Programme, id: &str) -> Option<&Territory> {
        let data = &self.programmes[programme.index()];
        data.position(id)
            .and_then(|i| data.territories.get(usize::from(i)))
    }

    /// The distance in km between the centres of two communes; `None` when either is unknown
    /// or has no centre (overseas collectivities).
    pub fn distance_km(&self, from: &InseeCode, to: &InseeCode) -> Option<f64> {
        let from = self.commune(from)?.centre?;
        let to = self.commune(to)?.centre?;
        Some(haversine_km(from, to))
    }

    /// Every département, ordered by code.
    pub fn departements(&self) -> &[Departement] {
        &self.departements
    }

    /// The département with this code (`46`, `2A`, `971`).
    pub fn departement(&self, code: &str) -> Option<&Departement> {
        self.departements
            .binary_search_by(|departement| departement.code().cmp(code))
            .ok()
            .map(|i| &self.departements[i])
    }

    /// Every région, ordered by code.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// The région with this code (`76`).
    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions
            .binary_search_by(|region| region.code().cmp(code))
            .ok()
            .map(|i| &self.regions[i])
    }

    /// The EPCI with this SIREN.
    pub fn epci(&self, siren: &Siren) -> Option<&Epci> {
        self.epcis
            .binary_search_by_key(siren, |epci| epci.siren)
            .ok()
            .map(|i| &self.epcis[i])
    }
}

fn list_names(communes: &[&Commune]) -> String {
    const SHOWN: usize = 10;
    let mut names: Vec<&str> = communes.iter().map(|commune| commune.name()).collect();
    names.sort_by_cached_key(|name| fold(name));
    let mut list = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    list
}

impl fmt::Debug for ReferenceData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReferenceData")
            .field("communes", &self.communes.list().len())
            .field("departements", &self.departements.len())
            .field("regions", &self.regions.len())
            .field("epcis", &self.epcis.len())
            .field(
                "territories_2018_2022",
                &self.programmes[0].territories.len(),
            )
            .field(
                "territories_2023_2027",
                &self.programmes[1].territories.len(),
            )
            .finish()
    }
}

/// The territories of one programme and, for each commune (by index), the one it lies in.
#[derive(Debug)]
pub(crate) struct ProgrammeData {
    pub(crate) territories: Vec<Territory>,
    membership: Vec<Option<u16>>,
}

impl ProgrammeData {
    /// No commune assigned yet; `territories` must be sorted by id.
    pub(crate) fn new(territories: Vec<Territory>, communes: usize) -> Self {
        Self {
            territories,
            membership: vec![None; communes],
        }
    }

    /// The index of the territory with this id.
    pub(crate) fn position(&self, id: &str) -> Option<u16> {
        self.territories
            .binary_search_by(|territory| territory.id().cmp(id))
            .ok()
            .and_then(|i| u16::try_from(i).ok())
    }

    /// Puts commune `commune` in `territory`; a commune lies in at most one territory, so
    /// another territory already holding it is a problem with the data.
    pub(crate) fn assign(
        &mut self,
        communes: &[Commune],
        commune: usize,
        territory: u16,
    ) -> Result<(), String> {
        match self.membership[commune] {
            Some(held) if held == territory => Ok(()),
            Some(held) => Err(format!(
                "commune {} would be in both {} and {}",
                communes[commune].insee,
                self.territories[usize::from(held)].id,
                self.territories[usize::from(territory)].id,
            )),
            None => {
                self.membership[commune] = Some(territory);
                self.territories[usize::from(territory)].commune_count += 1;
                Ok(())
            }
        }
    }

    /// Records a groupement whose communes could not be derived.
    pub(crate) fn mark_unresolved(&mut self, territory: u16, siren: Siren) {
        if let Some(territory) = self.territories.get_mut(usize::from(territory)) {
            territory.unresolved_groupements.push(siren);
        }
    }

    /// The indexes of the communes in `territory`.
    pub(crate) fn members(&self, territory: u16) -> Vec<usize> {
        self.membership
            .iter()
            .enumerate()
            .filter(|&(_, &held)| held == Some(territory))
            .map(|(i, _)| i)
            .collect()
    }
}
