//! Loading the reference directory: the COG tables (régions, départements, EPCI, communes),
//! then the 2023-2027 territories and their communes, then the 2018-2022 territories (derived in
//! [`crate::history`]). Every cross-reference is checked, so lookups never meet a dangling code.

use crate::LoadError;
use crate::code::ShortCode;
use crate::data::{ProgrammeData, ReferenceData};
use crate::geo::GeoPoint;
use crate::history;
use crate::index::Communes;
use crate::places::{Commune, Departement, Epci, PostalCodes, Region, RegionZone};
use crate::table::{Row, Table, name, number, sorted_unique};
use crate::territory::{Groupement, Programme, Territory};
use std::path::Path;
use vte_domain::{InseeCode, PostalCode, Siren};

impl ReferenceData {
    /// Loads every file of the reference directory `dir` (see its README), checking that codes
    /// refer to each other consistently. Errors name the file and the line.
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        load(dir)
    }
}

fn load(dir: &Path) -> Result<ReferenceData, LoadError> {
    let regions = load_regions(dir)?;
    let departements = load_departements(dir, &regions)?;
    let epcis = load_epcis(dir)?;
    let communes = load_communes(dir, &regions, &departements, &epcis)?;
    let current = load_current_programme(dir, &regions, &communes)?;
    let groupements = load_current_groupements(dir, &current)?;
    let first = history::load_first_programme(dir, &regions, &communes, &current, &groupements)?;
    Ok(ReferenceData::new(
        communes,
        departements,
        regions,
        epcis,
        [first, current],
    ))
}

fn load_regions(dir: &Path) -> Result<Vec<Region>, LoadError> {
    const COLUMNS: &[&str] = &["code", "nom", "chef_lieu", "zone"];
    let mut table = Table::open(dir, "regions.csv", COLUMNS)?;
    let mut regions = Vec::with_capacity(32);
    table.for_each_row(|row, _| {
        let zone = match row.text(3) {
            "metro" => RegionZone::Metropole,
            "drom" => RegionZone::Drom,
            "com" => RegionZone::Com,
            other => return Err(row.rejected(3, other, "must be metro, drom or com")),
        };
        regions.push(Region {
            code: code(row, 0)?,
            name: name(row, 1)?,
            chef_lieu: row.parse(2, InseeCode::parse)?,
            zone,
        });
        Ok(())
    })?;
    sorted_unique(table.path(), &mut regions, |region| region.code, "région")?;
    Ok(regions)
}

fn load_departements(dir: &Path, regions: &[Region]) -> Result<Vec<Departement>, LoadError> {
    const COLUMNS: &[&str] = &["code", "nom", "region", "chef_lieu"];
    let mut table = Table::open(dir, "departements.csv", COLUMNS)?;
    let mut departements = Vec::with_capacity(128);
    table.for_each_row(|row, _| {
        departements.push(Departement {
            code: code(row, 0)?,
            name: name(row, 1)?,
            region: known_region(row, 2, regions)?,
            chef_lieu: row.parse(3, InseeCode::parse)?,
        });
        Ok(())
    })?;
    sorted_unique(
        table.path(),
        &mut departements,
        |dep| dep.code,
        "département",
    )?;
    Ok(departements)
}

fn load_epcis(dir: &Path) -> Result<Vec<Epci>, LoadError> {
    const COLUMNS: &[&str] = &["siren", "nom", "type"];
    let mut table = Table::open(dir, "epci.csv", COLUMNS)?;
    let mut epcis = Vec::with_capacity(1300);
    table.for_each_row(|row, _| {
        epcis.push(Epci {
            siren: row.parse(0, Siren::parse)?,
            name: name(row, 1)?,
            kind: name(row, 2)?,
        });
        Ok(())
    })?;
    sorted_unique(table.path(), &mut epcis, |epci| epci.siren, "EPCI")?;
    Ok(epcis)
}

fn load_communes(
    dir: &Path,
    regions: &[Region],
    departements: &[Departement],
    epcis: &[Epci],
) -> Result<Communes, LoadError> {
    const COLUMNS: &[&str] = &[
        "insee",
        "nom",
        "dep",
        "reg",
        "epci_siren",
        "codes_postaux",
        "population",
        "lat",
        "lon",
    ];
    let mut table = Table::open(dir, "communes.csv", COLUMNS)?;
    let mut communes = Vec::with_capacity(36_000);
    // Rows come grouped by département, so most rows repeat the previous row's codes.
    let (mut last_departement, mut last_region) = (None, None);
    let mut scratch = Vec::new();
    let epci_sirens: Vec<Siren> = epcis.iter().map(|epci| epci.siren).collect();
    table.for_each_row(|row, _| {
        let insee = row.parse(0, InseeCode::parse)?;
        let departement = row.text(2);
        if departement != insee.departement() {
            let rule = format!("is not the département of {insee}");
            return Err(row.rejected(2, departement, &rule));
        }
        if last_departement != ShortCode::new(departement) {
            let known = departements
                .iter()
                .find(|known| known.code() == departement);
            let known =
                known.ok_or_else(|| row.rejected(2, departement, "is not in departements.csv"))?;
            last_departement = Some(known.code);
        }
        let region = match last_region {
            Some(region) if ShortCode::new(row.text(3)) == Some(region) => region,
            _ => *last_region.insert(known_region(row, 3, regions)?),
        };
        let epci = row.parse_optional(4, Siren::parse)?;
        if let Some(epci) = epci
            && epci_sirens.binary_search(&epci).is_err()
        {
            return Err(row.rejected(4, &epci.to_string(), "is not in epci.csv"));
        }
        communes.push(Commune {
            insee,
            name: name(row, 1)?,
            region,
            epci,
            postal_codes: postal_codes(row, 5, &mut scratch)?,
            population: row.parse_optional(6, number::<u32>)?,
            centre: centre(row, 7, 8)?,
        });
        Ok(())
    })?;
    let path = table.path();
    sorted_unique(path, &mut communes, |commune| commune.insee, "commune")?;
    Communes::new(communes).map_err(|problem| LoadError::File {
        path: path.to_owned(),
        problem,
    })
}

fn load_current_programme(
    dir: &Path,
    regions: &[Region],
    communes: &Communes,
) -> Result<ProgrammeData, LoadError> {
    const TERRITORIES: &[&str] = &["id_ti", "lib_ti", "insee_reg"];
    let mut table = Table::open(dir, "ti_2023_2027.csv", TERRITORIES)?;
    let mut territories = Vec::with_capacity(200);
    table.for_each_row(|row, _| {
        territories.push(Territory {
            id: name(row, 0)?,
            name: name(row, 1)?,
            programme: Programme::Ti2023_2027,
            lead_region: known_region(row, 2, regions)?,
            commune_count: 0,
            unresolved_groupements: Vec::new(),
        });
        Ok(())
    })?;
    sorted_unique(
        table.path(),
        &mut territories,
        |territory| territory.id.clone(),
        "territory",
    )?;

    const MEMBERS: &[&str] = &["insee", "id_ti"];
    let mut table = Table::open(dir, "ti_2023_2027_communes.csv", MEMBERS)?;
    let mut programme = ProgrammeData::new(territories, communes.list().len());
    // Rows come grouped by territory: look the id up only when it changes.
    let mut last: Option<(String, u16)> = None;
    table.for_each_row(|row, _| {
        let insee = row.parse(0, InseeCode::parse)?;
        let commune = communes
            .position(&insee)
            .ok_or_else(|| row.rejected(0, insee.as_str(), "is not in communes.csv"))?;
        let id = row.text(1);
        let territory = match &last {
            Some((last_id, territory)) if last_id == id => *territory,
            _ => {
                let territory = programme
                    .position(id)
                    .ok_or_else(|| row.rejected(1, id, "is not in ti_2023_2027.csv"))?;
                last = Some((id.to_owned(), territory));
                territory
            }
        };
        programme.assign(communes.list(), commune, territory)
    })?;
    Ok(programme)
}

fn load_current_groupements(
    dir: &Path,
    current: &ProgrammeData,
) -> Result<Vec<Groupement>, LoadError> {
    const COLUMNS: &[&str] = &["id_ti", "siren_groupement"];
    let mut table = Table::open(dir, "ti_2023_2027_groupements.csv", COLUMNS)?;
    let mut groupements = Vec::with_capacity(700);
    table.for_each_row(|row, _| {
        let id = row.text(0);
        let territory = current
            .position(id)
            .ok_or_else(|| row.rejected(0, id, "is not in ti_2023_2027.csv"))?;
        groupements.push(Groupement {
            territory,
            siren: row.parse(1, Siren::parse)?,
        });
        Ok(())
    })?;
    Ok(groupements)
}

fn code(row: &Row<'_>, column: usize) -> Result<ShortCode, String> {
    let text = row.text(column);
    ShortCode::new(text)
        .ok_or_else(|| row.rejected(column, text, "must be 1 to 3 letters or digits"))
}

/// A région code that `regions.csv` lists.
fn known_region(row: &Row<'_>, column: usize, regions: &[Region]) -> Result<ShortCode, String> {
    let code = code(row, column)?;
    match regions.binary_search_by_key(&code, |region| region.code) {
        Ok(_) => Ok(code),
        Err(_) => Err(row.rejected(column, code.as_str(), "is not in regions.csv")),
    }
}

/// The pipe-separated postal codes of column `column`, parsed into `scratch` (reused across
/// rows) and copied inline into the commune.
fn postal_codes(
    row: &Row<'_>,
    column: usize,
    scratch: &mut Vec<PostalCode>,
) -> Result<PostalCodes, String> {
    scratch.clear();
    for code in row.text(column).split('|').filter(|code| !code.is_empty()) {
        let code = PostalCode::parse(code)
            .map_err(|invalid| row.rejected(column, code, invalid.rule()))?;
        scratch.push(code);
    }
    Ok(PostalCodes::new(scratch))
}

fn centre(row: &Row<'_>, lat: usize, lon: usize) -> Result<Option<GeoPoint>, String> {
    match (
        row.parse_optional(lat, number::<f64>)?,
        row.parse_optional(lon, number::<f64>)?,
    ) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon)) => GeoPoint::new(lat, lon)
            .map(Some)
            .ok_or_else(|| format!("lat {lat} / lon {lon}: coordinates out of range")),
        _ => Err("lat and lon must both be given or both be empty".to_owned()),
    }
}
