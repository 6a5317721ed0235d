//! The 2018-2022 programme, derived from `ti_2018_2022_groupements.csv`. That file lists each
//! territory's groupements by SIREN, and `in_cog2026` says what each SIREN is in the COG 2026:
//!
//! - `epci`: an EPCI that still exists; its communes are those whose `epci_siren` is that SIREN.
//! - `commune`: a single commune (territories drawn commune by commune, e.g. around Marseille);
//!   a commune's SIREN is `21` + département + `0` + commune number + check digit, which gives
//!   its INSEE code (`211300017` is `13001`, Aix-en-Provence).
//! - `ept`: a territorial public establishment of the Métropole du Grand Paris, whose membership
//!   `communes.csv` does not carry (it gives the Métropole as EPCI). The same EPT makes up a
//!   2023-2027 territory, so its communes are that territory's minus its other groupements'.
//! - Anything else (empty, or a groupement absent from the COG 2026): its communes cannot be
//!   derived; the territory keeps its other groupements and lists the SIREN in
//!   [`Territory::unresolved_groupements`](crate::Territory::unresolved_groupements).
//!
//! In the current data every one of the 588 groupements resolves (547 EPCI, 38 communes, 3 EPT).
//! Membership follows today's EPCI boundaries, so a commune that changed EPCI since 2018 follows
//! its new EPCI: good for history at the scale of a territory, not to audit a 2019 decision.

use crate::LoadError;
use crate::code::ShortCode;
use crate::data::ProgrammeData;
use crate::index::Communes;
use crate::places::Region;
use crate::table::{Table, name, sorted_unique};
use crate::territory::{Groupement, Programme, Territory};
use std::path::Path;
use vte_domain::{InseeCode, Siren};

/// How a groupement's communes are found, from the `in_cog2026` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Epci,
    Commune,
    Ept,
    Absent,
}

struct Row2018 {
    territory: Box<str>,
    siren: Siren,
    kind: Kind,
    line: u64,
}

pub(crate) fn load_first_programme(
    dir: &Path,
    regions: &[Region],
    communes: &Communes,
    current: &ProgrammeData,
    current_groupements: &[Groupement],
) -> Result<ProgrammeData, LoadError> {
    const COLUMNS: &[&str] = &["id_ti", "lib_ti", "siren_groupement", "in_cog2026"];
    let mut table = Table::open(dir, "ti_2018_2022_groupements.csv", COLUMNS)?;
    let mut territories: Vec<Territory> = Vec::with_capacity(160);
    let mut rows = Vec::with_capacity(600);
    table.for_each_row(|row, line| {
        let id = name(row, 0)?;
        let territory_name = name(row, 1)?;
        match territories.iter().find(|known| known.id == id) {
            Some(known) if known.name != territory_name => {
                return Err(row.rejected(
                    1,
                    &territory_name,
                    &format!("{id} was named {:?} earlier", known.name),
                ));
            }
            Some(_) => {}
            None => {
                // The 2018-2022 file has no région column; ids are `ti-` + lead région + rank,
                // as the 2023-2027 file confirms for all of its 183 ids.
                let lead_region = id
                    .get(3..5)
                    .and_then(ShortCode::new)
                    .filter(|code| {
                        regions
                            .binary_search_by_key(code, |known| known.code)
                            .is_ok()
                    })
                    .ok_or_else(|| {
                        row.rejected(0, &id, "does not start with a known région code (ti-RRnn)")
                    })?;
                territories.push(Territory {
                    lead_region,
                    id: id.clone(),
                    name: territory_name,
                    programme: Programme::Ti2018_2022,
                    commune_count: 0,
                    unresolved_groupements: Vec::new(),
                });
            }
        }
        let kind = match row.text(3).to_ascii_lowercase().as_str() {
            "epci" => Kind::Epci,
            "commune" => Kind::Commune,
            "ept" => Kind::Ept,
            _ => Kind::Absent,
        };
        rows.push(Row2018 {
            territory: id,
            siren: row.parse(2, Siren::parse)?,
            kind,
            line,
        });
        Ok(())
    })?;
    let path = table.path().to_owned();
    sorted_unique(
        &path,
        &mut territories,
        |territory| territory.id.clone(),
        "territory",
    )?;

    let mut members = epci_members_of_rows(communes, &rows);
    for (row, members) in rows.iter().zip(&mut members) {
        match row.kind {
            Kind::Epci | Kind::Absent => {}
            Kind::Commune => members.extend(commune_of_siren(communes, row.siren)),
            Kind::Ept => members.extend(
                ept_members(communes, current, current_groupements, row.siren)
                    .into_iter()
                    .flatten(),
            ),
        }
    }
    let mut programme = ProgrammeData::new(territories, communes.list().len());
    for (row, members) in rows.iter().zip(members) {
        let territory = programme.position(&row.territory).unwrap_or_default();
        if members.is_empty() {
            programme.mark_unresolved(territory, row.siren);
        }
        for commune in members {
            programme
                .assign(communes.list(), commune, territory)
                .map_err(|problem| LoadError::Row {
                    path: path.clone(),
                    line: row.line,
                    problem,
                })?;
        }
    }
    Ok(programme)
}

/// For each row, the communes of its EPCI (empty for rows of another kind), found in one pass
/// over the communes.
fn epci_members_of_rows(communes: &Communes, rows: &[Row2018]) -> Vec<Vec<usize>> {
    let mut rows_by_epci: Vec<(Siren, usize)> = (rows.iter().enumerate())
        .filter(|(_, row)| row.kind == Kind::Epci)
        .map(|(i, row)| (row.siren, i))
        .collect();
    rows_by_epci.sort_unstable();
    let mut members = vec![Vec::new(); rows.len()];
    for (commune, epci) in communes.list().iter().enumerate() {
        let Some(epci) = epci.epci else { continue };
        let start = rows_by_epci.partition_point(|&(siren, _)| siren < epci);
        for &(_, row) in rows_by_epci[start..]
            .iter()
            .take_while(|&&(siren, _)| siren == epci)
        {
            members[row].push(commune);
        }
    }
    members
}

/// The communes of one EPCI.
fn epci_members(communes: &Communes, siren: Siren) -> Vec<usize> {
    (communes.list().iter().enumerate())
        .filter(|(_, commune)| commune.epci == Some(siren))
        .map(|(i, _)| i)
        .collect()
}

/// The commune whose SIREN is `siren` (`21` + département + `0` + number + check digit).
fn commune_of_siren(communes: &Communes, siren: Siren) -> Option<usize> {
    let digits = siren.to_string();
    let (prefix, departement, zero, number) = (
        digits.get(0..2)?,
        digits.get(2..4)?,
        digits.get(4..5)?,
        digits.get(5..8)?,
    );
    if prefix != "21" || zero != "0" {
        return None;
    }
    // Corsica's communes share the département digits 20; their numbers do not overlap.
    let candidates: &[&str] = if departement == "20" {
        &["2A", "2B"]
    } else {
        &[departement]
    };
    let mut found = candidates.iter().filter_map(|departement| {
        let insee = InseeCode::parse(&format!("{departement}{number}")).ok()?;
        communes.position(&insee)
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// The communes of an EPT, read from the 2023-2027 territory it belongs to, minus the communes
/// of that territory's other groupements; `None` if that cannot be told apart.
fn ept_members(
    communes: &Communes,
    current: &ProgrammeData,
    current_groupements: &[Groupement],
    siren: Siren,
) -> Option<Vec<usize>> {
    let territory = current_groupements
        .iter()
        .find(|groupement| groupement.siren == siren)?
        .territory;
    let mut members = current.members(territory);
    for other in current_groupements
        .iter()
        .filter(|groupement| groupement.territory == territory && groupement.siren != siren)
    {
        let others = match commune_of_siren(communes, other.siren) {
            Some(commune) => vec![commune],
            None => epci_members(communes, other.siren),
        };
        if others.is_empty() {
            return None;
        }
        members.retain(|commune| !others.contains(commune));
    }
    Some(members)
}
