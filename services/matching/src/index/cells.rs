//! The rows of one partition grouped by where the candidates live: one cell per département
//! of home, plus one for the candidates the mobility filter never excludes (open to
//! relocation, or living where no distance can be computed). Each cell knows a centre, how far
//! its members live from it and the largest mobility radius among them, so a scan skips a
//! whole cell when even its nearest possible member is beyond the largest radius: by the
//! triangle inequality none of them would pass the mobility filter.

use std::collections::HashMap;

use vte_domain::CandidateId;

use super::partition::{Partition, Row};
use crate::domain::distance_km;

/// Slack for the single-precision distances, in km: a cell is skipped only when it is out of
/// reach by more than this.
const MARGIN_KM: f32 = 1.0;

/// Which cell a row goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CellKey {
    /// Mobility never excludes them.
    Anywhere,
    /// Their home département.
    Departement(String),
}

/// Rows living near each other, and the bounds that let a scan skip them.
#[derive(Debug)]
pub struct Cell {
    /// The home of the first row placed here (cells never move).
    centre: [f32; 3],
    /// No row lives further than this from the centre (never shrinks on removal).
    bound_km: f32,
    /// No row has a larger mobility radius (never shrinks on removal).
    max_radius_km: f32,
    anywhere: bool,
    pub rows: Partition,
}

impl Cell {
    /// Whether no row of the cell can pass the mobility filter, nor be within `max_km`, for a
    /// workplace at `point`. Never true for the anywhere cell nor for an unknown `point`.
    #[inline]
    pub fn out_of_reach(&self, point: &[f32; 3], max_km: Option<f32>) -> bool {
        if self.anywhere {
            return false;
        }
        let nearest = distance_km(&self.centre, point) - self.bound_km - MARGIN_KM;
        nearest > self.max_radius_km || max_km.is_some_and(|max| nearest > max)
    }
}

/// One partition's cells.
#[derive(Debug, Default)]
pub struct Shelf {
    pub cells: Vec<Cell>,
    keys: HashMap<CellKey, usize>,
}

impl Shelf {
    /// Places a row in the cell of `key`; returns (cell, slot).
    pub fn push(&mut self, key: CellKey, row: Row) -> (usize, usize) {
        let anywhere = key == CellKey::Anywhere;
        let cell = match self.keys.get(&key) {
            Some(cell) => *cell,
            None => {
                self.cells.push(Cell {
                    centre: row.unit,
                    bound_km: 0.0,
                    max_radius_km: 0.0,
                    anywhere,
                    rows: Partition::default(),
                });
                self.keys.insert(key, self.cells.len() - 1);
                self.cells.len() - 1
            }
        };
        let target = &mut self.cells[cell];
        if !anywhere {
            target.bound_km = target.bound_km.max(distance_km(&target.centre, &row.unit));
            target.max_radius_km = target.max_radius_km.max(row.radius_km);
        }
        (cell, target.rows.push(row))
    }

    /// Removes the row at (`cell`, `slot`); returns the id of the row moved into its place.
    pub fn swap_remove(&mut self, cell: usize, slot: usize) -> Option<CandidateId> {
        self.cells.get_mut(cell)?.rows.swap_remove(slot)
    }
}
