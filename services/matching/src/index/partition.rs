//! One partition of the candidate index: the candidates seeking one contract kind at one
//! level, column by column (struct of arrays), so a scan reads only the columns a filter or a
//! component needs, in order. Removal swaps the last row in, so the columns stay dense.

use vte_domain::CandidateId;

use crate::domain::Language;

/// The columns of one partition; row `i` of every column is the same candidate.
#[derive(Debug, Default)]
pub struct Partition {
    pub ids: Vec<CandidateId>,
    /// Home commune centre as a unit vector (NaN when unknown).
    pub unit: Vec<[f32; 3]>,
    pub radius_km: Vec<f32>,
    pub relocation: Vec<bool>,
    /// First day available, in days from the common era.
    pub available: Vec<i32>,
    /// Student, graduate or unknown ([`crate::domain::Academic::code`]).
    pub status: Vec<u8>,
    /// Graduation day, in days from the common era ([`crate::domain::eligibility::NO_DATE`]
    /// when unknown).
    pub graduation: Vec<i32>,
    pub missions: Vec<[u8; 8]>,
    /// Preferred régions, one bit per région of the reference data; 0 for none.
    pub regions: Vec<u32>,
    /// Field of study, interned.
    pub field: Vec<u32>,
    /// What the skills say of each mission type, interned (0: no skill in a family).
    pub skill_profile: Vec<u32>,
    /// One bit per skill (by interned id modulo 64): a candidate whose signature shares no bit
    /// with the offer's has none of its skills, without reading their list.
    pub skill_signature: Vec<u64>,
    pub skills: Vec<Box<[u32]>>,
    pub languages: Vec<Box<[Language]>>,
}

/// One row, for [`Partition::push`].
#[derive(Debug)]
pub struct Row {
    pub id: CandidateId,
    pub unit: [f32; 3],
    pub radius_km: f32,
    pub relocation: bool,
    pub available: i32,
    pub status: u8,
    pub graduation: i32,
    pub missions: [u8; 8],
    pub regions: u32,
    pub field: u32,
    pub skill_profile: u32,
    pub skills: Box<[u32]>,
    pub languages: Box<[Language]>,
}

/// The signature bit of an interned skill.
#[inline]
pub fn skill_bit(skill: u32) -> u64 {
    1u64 << (skill % 64)
}

impl Partition {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Appends a row; returns its position.
    pub fn push(&mut self, row: Row) -> usize {
        self.ids.push(row.id);
        self.unit.push(row.unit);
        self.radius_km.push(row.radius_km);
        self.relocation.push(row.relocation);
        self.available.push(row.available);
        self.status.push(row.status);
        self.graduation.push(row.graduation);
        self.missions.push(row.missions);
        self.regions.push(row.regions);
        self.field.push(row.field);
        self.skill_profile.push(row.skill_profile);
        self.skill_signature.push(
            row.skills
                .iter()
                .fold(0, |sig, skill| sig | skill_bit(*skill)),
        );
        self.skills.push(row.skills);
        self.languages.push(row.languages);
        self.ids.len() - 1
    }

    /// Removes row `at` by moving the last row into its place; returns the id of the moved
    /// candidate, whose position is now `at`.
    pub fn swap_remove(&mut self, at: usize) -> Option<CandidateId> {
        if at >= self.ids.len() {
            return None;
        }
        self.ids.swap_remove(at);
        self.unit.swap_remove(at);
        self.radius_km.swap_remove(at);
        self.relocation.swap_remove(at);
        self.available.swap_remove(at);
        self.status.swap_remove(at);
        self.graduation.swap_remove(at);
        self.missions.swap_remove(at);
        self.regions.swap_remove(at);
        self.field.swap_remove(at);
        self.skill_profile.swap_remove(at);
        self.skill_signature.swap_remove(at);
        self.skills.swap_remove(at);
        self.languages.swap_remove(at);
        self.ids.get(at).copied()
    }
}
