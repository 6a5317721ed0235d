//! Where an offer's job is: a commune given by its INSEE code and resolved once against the
//! reference data into the names, département, région and the Territoire d'industrie it lies in
//! under each programme. Which programme counts is the scheme's rules' choice, by the contract's
//! start date (`vte_rules::RuleBook::programme_for`).

use vte_domain::{InseeCode, InvalidValue};
use vte_reference::{Programme, ReferenceData};
use vte_rules::PlaceFacts;

/// A Territoire d'industrie as an offer records it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TerritoryRef {
    /// The territory id within its programme, e.g. `ti-7603`.
    pub id: String,
    /// The territory's name, e.g. `Aurillac – Figeac – Rodez`.
    pub name: String,
    /// The programme the id belongs to.
    pub programme: Programme,
}

/// A workplace: a commune that exists in the reference data, with what it resolves to.
///
/// Built only by [`Location::resolve`], so its names and territory always agree with its code;
/// the store keeps the INSEE code and resolves it again when reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    insee: InseeCode,
    commune_name: String,
    departement_code: String,
    departement_name: String,
    region_code: String,
    region_name: String,
    /// The territory under each programme, in [`Programme::ALL`] order.
    territories: [Option<TerritoryRef>; 2],
}

impl Location {
    /// Parses an INSEE commune code and resolves it, rejecting a malformed code or one that
    /// names no commune.
    pub fn resolve(reference: &ReferenceData, raw_insee: &str) -> Result<Self, InvalidValue> {
        let commune = reference.resolve(raw_insee)?;
        let insee = commune.insee();
        let departement_code = commune.departement().to_owned();
        let departement_name = reference
            .departement(&departement_code)
            .map(|departement| departement.name().to_owned())
            .unwrap_or_default();
        let region_code = commune.region().to_owned();
        let region_name = reference
            .region(&region_code)
            .map(|region| region.name().to_owned())
            .unwrap_or_default();
        let territories = Programme::ALL.map(|programme| {
            reference
                .territory_of(&insee, programme)
                .map(|territory| TerritoryRef {
                    id: territory.id().to_owned(),
                    name: territory.name().to_owned(),
                    programme: territory.programme(),
                })
        });
        Ok(Self {
            insee,
            commune_name: commune.name().to_owned(),
            departement_code,
            departement_name,
            region_code,
            region_name,
            territories,
        })
    }

    /// The commune's INSEE code, e.g. `46102`.
    pub fn insee(&self) -> InseeCode {
        self.insee
    }

    /// The commune's name, e.g. `Figeac`.
    pub fn commune_name(&self) -> &str {
        &self.commune_name
    }

    /// The département code, e.g. `46`.
    pub fn departement_code(&self) -> &str {
        &self.departement_code
    }

    /// The département name, e.g. `Lot`.
    pub fn departement_name(&self) -> &str {
        &self.departement_name
    }

    /// The région code, e.g. `76`.
    pub fn region_code(&self) -> &str {
        &self.region_code
    }

    /// The région name, e.g. `Occitanie`.
    pub fn region_name(&self) -> &str {
        &self.region_name
    }

    /// The Territoire d'industrie of `programme` the commune lies in, if any.
    pub fn territory_in(&self, programme: Programme) -> Option<&TerritoryRef> {
        self.territories[programme.index()].as_ref()
    }

    /// The place as the scheme's rules read it.
    pub fn facts(&self) -> PlaceFacts {
        PlaceFacts {
            commune: self.commune_name.clone(),
            territories: self
                .territories
                .clone()
                .map(|territory| territory.map(|t| t.name)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::testing::reference;

    #[test]
    fn figeac_resolves_to_the_lot_in_occitanie_and_its_territoire_d_industrie() {
        let figeac = Location::resolve(reference(), "46102").unwrap();
        assert_eq!(figeac.commune_name(), "Figeac");
        assert_eq!(figeac.departement_code(), "46");
        assert_eq!(figeac.departement_name(), "Lot");
        assert_eq!(figeac.region_code(), "76");
        assert_eq!(figeac.region_name(), "Occitanie");
        let territory = figeac.territory_in(Programme::Ti2023_2027).unwrap();
        assert_eq!(territory.id, "ti-7603");
        assert_eq!(territory.name, "Aurillac – Figeac – Rodez");
        assert!(figeac.territory_in(Programme::Ti2018_2022).is_some());
    }

    #[test]
    fn saint_malo_lies_in_a_territoire_d_industrie_of_2018_2022_only() {
        let saint_malo = Location::resolve(reference(), "35288").unwrap();
        let old = saint_malo.territory_in(Programme::Ti2018_2022).unwrap();
        assert_eq!(old.name, "Dinan - Saint-Malo");
        assert_eq!(saint_malo.territory_in(Programme::Ti2023_2027), None);
        assert_eq!(
            saint_malo.facts().territories[0].as_deref(),
            Some("Dinan - Saint-Malo")
        );
    }

    #[test]
    fn toulouse_lies_in_no_territoire_d_industrie() {
        let toulouse = Location::resolve(reference(), "31555").unwrap();
        assert_eq!(toulouse.commune_name(), "Toulouse");
        assert_eq!(toulouse.territory_in(Programme::Ti2023_2027), None);
        assert_eq!(toulouse.territory_in(Programme::Ti2018_2022), None);
    }

    #[test]
    fn a_well_formed_code_that_names_no_commune_is_rejected() {
        assert_eq!(
            Location::resolve(reference(), "46999").unwrap_err().rule(),
            "no commune with INSEE code 46999"
        );
        assert_eq!(
            Location::resolve(reference(), "4610").unwrap_err().rule(),
            "must be 5 characters, got 4"
        );
    }
}
