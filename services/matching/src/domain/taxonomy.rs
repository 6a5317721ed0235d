//! The vocabularies matching reads fields of study and skills with (issue 15, item 2): the data
//! of `services/matching/taxonomy/*.toml`, built into the binary and checked when first used.
//!
//! - A field of study is read as the **disciplines** whose labels it contains (whole words,
//!   [`normalize`]d; the longest label wins where two overlap): "BUT GEII" and "Génie électrique
//!   et informatique industrielle" are one discipline. Two fields are as close as their
//!   disciplines in the taxonomy ([`Fields::closeness`]): never by a shared word.
//! - A discipline's family says how well its studies prepare for each mission type
//!   ([`Fields::competence`]).
//! - A skill is read as the **canonical skills** (and tool families) whose labels it contains,
//!   version numbers dropped: "CATIA V5", "CAO (Catia)" are `s:catia`, in the family `f:cao`
//!   ([`Skills::read`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use vte_domain::MissionType;

use super::text::normalize;

#[cfg(test)]
mod tests;

/// A discipline, by its position in the taxonomy.
pub type Discipline = u16;

/// The field-of-study vocabulary.
#[derive(Debug)]
pub struct Fields {
    version: String,
    /// Each discipline's family.
    family_of: Vec<usize>,
    discipline_ids: Vec<String>,
    families: Vec<FamilyData>,
    labels: Labels<Discipline>,
    same_family: f32,
    related_families: f32,
}

#[derive(Debug)]
struct FamilyData {
    id: String,
    name: String,
    /// Families related to it (symmetric).
    related: Vec<usize>,
    /// How well its studies prepare for each mission type, in [`MissionType::ALL`] order.
    missions: [f32; 8],
}

/// The skill vocabulary.
#[derive(Debug)]
pub struct Skills {
    version: String,
    labels: Labels<SkillRef>,
    /// Each canonical skill's key and family.
    skills: Vec<(String, Option<usize>)>,
    /// Each family's key.
    families: Vec<String>,
    /// Each family's position by its key.
    family_of_key: HashMap<String, usize>,
    /// How well holding a skill of each family prepares for each mission type.
    family_missions: Vec<[f32; 8]>,
    /// Each family's name, for explanations.
    family_names: Vec<String>,
    same_family: f32,
    skills_share: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SkillRef {
    Skill(usize),
    Family(usize),
}

/// What a skill text names: the keys that meet it in full and the families that meet it by
/// half (keys such as `s:catia`, `f:cao`, or `t:<folded text>` for a text no label reads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkillKeys {
    pub exact: Vec<String>,
    pub families: Vec<String>,
}

impl SkillKeys {
    /// Every key a candidate holding this skill can be credited for: its own and its families'.
    pub fn held(&self) -> impl Iterator<Item = &String> {
        self.exact.iter().chain(&self.families)
    }
}

/// Labels (folded word sequences) and what they name, matched greedily left to right, the
/// longest label first.
#[derive(Debug)]
struct Labels<T> {
    map: HashMap<String, T>,
    /// The most words a label has.
    longest: usize,
}

impl<T: Copy> Labels<T> {
    fn new() -> Self {
        Self {
            map: HashMap::new(),
            longest: 1,
        }
    }

    fn insert(&mut self, label: &str, value: T) -> Result<(), String> {
        let key = normalize(label);
        if key.is_empty() {
            return Err(format!("label {label:?} is empty once folded"));
        }
        self.longest = self.longest.max(key.split(' ').count());
        match self.map.insert(key.clone(), value) {
            Some(_) => Err(format!("label {label:?} ({key}) is given twice")),
            None => Ok(()),
        }
    }

    /// What the labels in `key` (a [`normalize`]d text) name, in reading order. A one-letter
    /// label ("R", "C") is read only when it is the whole text.
    fn read(&self, key: &str) -> Vec<T> {
        let words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
        let mut found = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let mut matched = 0;
            for len in (1..=self.longest.min(words.len() - i)).rev() {
                let candidate = words[i..i + len].join(" ");
                if candidate.chars().count() < 2 && words.len() > 1 {
                    continue;
                }
                if let Some(value) = self.map.get(&candidate) {
                    found.push(*value);
                    matched = len;
                    break;
                }
            }
            i += matched.max(1);
        }
        found
    }
}

/// The taxonomy files, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldsFile {
    version: String,
    same_family: f32,
    related_families: f32,
    sources: Vec<SourceFile>,
    families: Vec<FamilyFile>,
    disciplines: Vec<DisciplineFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    #[allow(dead_code)] // documentation in the data
    title: String,
    #[allow(dead_code)]
    url: String,
    #[allow(dead_code)]
    date: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    id: String,
    name: String,
    #[serde(default)]
    related: Vec<String>,
    missions: HashMap<String, f32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisciplineFile {
    id: String,
    family: String,
    labels: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SkillsFile {
    version: String,
    same_family: f32,
    skills_share: f32,
    sources: Vec<SourceFile>,
    families: Vec<SkillFamilyFile>,
    skills: Vec<SkillFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SkillFamilyFile {
    id: String,
    name: String,
    labels: Vec<String>,
    missions: HashMap<String, f32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SkillFile {
    id: String,
    family: Option<String>,
    labels: Vec<String>,
}

const FIELDS_TOML: &str = include_str!("../../taxonomy/fields.toml");
const SKILLS_TOML: &str = include_str!("../../taxonomy/skills.toml");

/// The field-of-study vocabulary built into the binary.
pub fn fields() -> &'static Fields {
    static FIELDS: OnceLock<Fields> = OnceLock::new();
    FIELDS.get_or_init(|| {
        Fields::parse(FIELDS_TOML)
            .unwrap_or_else(|error| panic!("taxonomy/fields.toml is invalid: {error}"))
    })
}

/// The skill vocabulary built into the binary.
pub fn skills() -> &'static Skills {
    static SKILLS: OnceLock<Skills> = OnceLock::new();
    SKILLS.get_or_init(|| {
        Skills::parse(SKILLS_TOML)
            .unwrap_or_else(|error| panic!("taxonomy/skills.toml is invalid: {error}"))
    })
}

/// The version of both vocabularies, e.g. `fields 2026-12-06, skills 2026-12-06`.
pub fn version() -> String {
    format!("fields {}, skills {}", fields().version, skills().version)
}

/// A family's `missions` table: a value in 0..=1 for every mission type, in
/// [`MissionType::ALL`] order, and no other key.
fn missions(family: &str, table: &HashMap<String, f32>) -> Result<[f32; 8], String> {
    let mut missions = [0.0; 8];
    for (i, mission) in MissionType::ALL.iter().enumerate() {
        let value = table
            .get(mission.code())
            .copied()
            .ok_or_else(|| format!("family {family}: missions.{} is missing", mission.code()))?;
        missions[i] = share(value, &format!("family {family}: missions"))?;
    }
    if table.len() != MissionType::ALL.len() {
        return Err(format!("family {family}: missions names an unknown type"));
    }
    Ok(missions)
}

fn share(value: f32, what: &str) -> Result<f32, String> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{what} must lie in 0..=1, got {value}"))
    }
}

impl Fields {
    /// Reads and checks the vocabulary: every family a discipline or a relation names exists,
    /// every mission type has a value in 0..=1, no label is given twice.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: FieldsFile = toml::from_str(text).map_err(|e| e.to_string())?;
        if file.sources.is_empty() {
            return Err("sources: at least one".to_owned());
        }
        let family_index: HashMap<&str, usize> = file
            .families
            .iter()
            .enumerate()
            .map(|(i, family)| (family.id.as_str(), i))
            .collect();
        let mut families = Vec::with_capacity(file.families.len());
        for family in &file.families {
            let missions = missions(&family.id, &family.missions)?;
            let related = family
                .related
                .iter()
                .map(|id| {
                    family_index
                        .get(id.as_str())
                        .copied()
                        .ok_or_else(|| format!("family {}: related names unknown {id}", family.id))
                })
                .collect::<Result<Vec<_>, _>>()?;
            families.push(FamilyData {
                id: family.id.clone(),
                name: family.name.clone(),
                related,
                missions,
            });
        }
        // Relations hold both ways.
        for i in 0..families.len() {
            for j in families[i].related.clone() {
                if !families[j].related.contains(&i) {
                    families[j].related.push(i);
                }
            }
        }
        let mut labels = Labels::new();
        let mut family_of = Vec::new();
        let mut discipline_ids = Vec::new();
        for (n, discipline) in file.disciplines.iter().enumerate() {
            let family = *family_index
                .get(discipline.family.as_str())
                .ok_or_else(|| {
                    format!(
                        "discipline {}: family {} is unknown",
                        discipline.id, discipline.family
                    )
                })?;
            let id = Discipline::try_from(n).map_err(|_| "too many disciplines".to_owned())?;
            for label in &discipline.labels {
                labels
                    .insert(label, id)
                    .map_err(|e| format!("discipline {}: {e}", discipline.id))?;
            }
            family_of.push(family);
            discipline_ids.push(discipline.id.clone());
        }
        Ok(Self {
            version: file.version,
            family_of,
            discipline_ids,
            families,
            labels,
            same_family: share(file.same_family, "same_family")?,
            related_families: share(file.related_families, "related_families")?,
        })
    }

    /// The disciplines a field of study (a [`normalize`]d key) names, each once.
    pub fn read(&self, key: &str) -> Vec<Discipline> {
        let mut found = self.labels.read(key);
        let mut seen = Vec::with_capacity(found.len());
        found.retain(|d| {
            let new = !seen.contains(d);
            seen.push(*d);
            new
        });
        found
    }

    /// How close two sets of disciplines are: 1 when they share one, `same_family` when two
    /// share a family, `related_families` when two families are related, else 0.
    pub fn closeness(&self, a: &[Discipline], b: &[Discipline]) -> f32 {
        let mut best: f32 = 0.0;
        for x in a {
            for y in b {
                let value = if x == y {
                    1.0
                } else {
                    let (fx, fy) = (self.family_of[*x as usize], self.family_of[*y as usize]);
                    if fx == fy {
                        self.same_family
                    } else if self.families[fx].related.contains(&fy) {
                        self.related_families
                    } else {
                        0.0
                    }
                };
                best = best.max(value);
            }
        }
        best
    }

    /// How well studies in `disciplines` prepare for the mission type at `mission` (its
    /// position in [`MissionType::ALL`]): the best of their families; `None` when no discipline
    /// was read.
    pub fn competence(&self, disciplines: &[Discipline], mission: usize) -> Option<f32> {
        disciplines
            .iter()
            .map(|d| self.families[self.family_of[*d as usize]].missions[mission])
            .reduce(f32::max)
    }

    /// The competence of `disciplines` for every mission type (`None` when none was read).
    pub fn competences(&self, disciplines: &[Discipline]) -> Option<[f32; 8]> {
        let mut all = [0.0; 8];
        for (i, slot) in all.iter_mut().enumerate() {
            *slot = self.competence(disciplines, i)?;
        }
        Some(all)
    }

    /// The name of a discipline's family, for explanations.
    pub fn family_name(&self, discipline: Discipline) -> &str {
        &self.families[self.family_of[discipline as usize]].name
    }

    /// A discipline's id, e.g. `genie-mecanique`.
    pub fn discipline_id(&self, discipline: Discipline) -> &str {
        &self.discipline_ids[discipline as usize]
    }

    /// A family's id by a discipline, e.g. `mecanique`.
    pub fn family_id(&self, discipline: Discipline) -> &str {
        &self.families[self.family_of[discipline as usize]].id
    }
}

impl Skills {
    /// Reads and checks the vocabulary: every family a skill names exists, no label is given
    /// twice.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: SkillsFile = toml::from_str(text).map_err(|e| e.to_string())?;
        if file.sources.is_empty() {
            return Err("sources: at least one".to_owned());
        }
        let mut labels = Labels::new();
        let family_index: HashMap<&str, usize> = file
            .families
            .iter()
            .enumerate()
            .map(|(i, family)| (family.id.as_str(), i))
            .collect();
        for (i, family) in file.families.iter().enumerate() {
            for label in &family.labels {
                labels
                    .insert(label, SkillRef::Family(i))
                    .map_err(|e| format!("family {}: {e}", family.id))?;
            }
        }
        let mut skills = Vec::with_capacity(file.skills.len());
        for (i, skill) in file.skills.iter().enumerate() {
            let family = skill
                .family
                .as_deref()
                .map(|id| {
                    family_index
                        .get(id)
                        .copied()
                        .ok_or_else(|| format!("skill {}: family {id} is unknown", skill.id))
                })
                .transpose()?;
            for label in &skill.labels {
                // A skill may repeat its family's label ("usinage"): the skill wins.
                let key = normalize(label);
                if matches!(labels.map.get(&key), Some(SkillRef::Family(f)) if Some(*f) == family) {
                    labels.map.insert(key, SkillRef::Skill(i));
                    continue;
                }
                labels
                    .insert(label, SkillRef::Skill(i))
                    .map_err(|e| format!("skill {}: {e}", skill.id))?;
            }
            skills.push((format!("s:{}", skill.id), family));
        }
        let families: Vec<String> = file
            .families
            .iter()
            .map(|family| format!("f:{}", family.id))
            .collect();
        Ok(Self {
            version: file.version,
            labels,
            skills,
            family_of_key: families
                .iter()
                .enumerate()
                .map(|(i, key)| (key.clone(), i))
                .collect(),
            family_missions: file
                .families
                .iter()
                .map(|family| missions(&family.id, &family.missions))
                .collect::<Result<_, _>>()?,
            family_names: file.families.iter().map(|f| f.name.clone()).collect(),
            families,
            same_family: share(file.same_family, "same_family")?,
            skills_share: share(file.skills_share, "skills_share")?,
        })
    }

    /// What a skill text (a [`normalize`]d key) names. A text no label reads is its own skill,
    /// version numbers dropped ("gurobi 9" is `t:gurobi`).
    pub fn read(&self, key: &str) -> SkillKeys {
        let mut keys = SkillKeys::default();
        let push = |list: &mut Vec<String>, key: &String| {
            if !list.contains(key) {
                list.push(key.clone());
            }
        };
        for found in self.labels.read(key) {
            match found {
                SkillRef::Skill(i) => {
                    let (key, family) = &self.skills[i];
                    push(&mut keys.exact, key);
                    if let Some(f) = family {
                        push(&mut keys.families, &self.families[*f]);
                    }
                }
                SkillRef::Family(f) => push(&mut keys.exact, &self.families[f]),
            }
        }
        // A skill implies its family: "CAO (SolidWorks)" is SolidWorks, not all of CAO.
        let implied = keys.families.clone();
        keys.exact.retain(|key| !implied.contains(key));
        if keys.exact.is_empty() {
            let folded: Vec<&str> = key.split(' ').filter(|w| !is_version(w)).collect();
            let folded = folded.join(" ");
            if !folded.is_empty() {
                keys.exact.push(format!("t:{folded}"));
            }
        }
        keys
    }

    /// The credit a family match earns (an offer's skill met by another of its family).
    pub fn same_family(&self) -> f32 {
        self.same_family
    }

    /// How well holding `skills` prepares for every mission type: the best of their families
    /// (a skill's own, or the family a text names, e.g. "CAO"); `None` when none is in a family.
    pub fn competences<'a>(&self, skills: impl Iterator<Item = &'a SkillKeys>) -> Option<[f32; 8]> {
        let mut best: Option<[f32; 8]> = None;
        for keys in skills {
            for key in keys.held() {
                if let Some(&f) = self.family_of_key.get(key) {
                    let profile = best.get_or_insert([0.0; 8]);
                    for (slot, value) in profile.iter_mut().zip(self.family_missions[f]) {
                        *slot = slot.max(value);
                    }
                }
            }
        }
        best
    }

    /// The names of the families of `skills` that prepare well (0.5 or more) for the mission
    /// type at `mission`, each once, for explanations.
    pub fn preparing<'a>(
        &self,
        skills: impl Iterator<Item = &'a SkillKeys>,
        mission: usize,
    ) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for keys in skills {
            for key in keys.held() {
                if let Some(&f) = self.family_of_key.get(key)
                    && self.family_missions[f][mission] >= 0.5
                    && !names.contains(&self.family_names[f].as_str())
                {
                    names.push(&self.family_names[f]);
                }
            }
        }
        names
    }

    /// The part of the gap their studies leave to 1 that a candidate's skills may close in
    /// the competence component (`skills_share`: 0.5).
    pub fn skills_share(&self) -> f32 {
        self.skills_share
    }
}

/// A word that only numbers a version: `3`, `2019`, `v5`, `3.11`.
fn is_version(word: &str) -> bool {
    let digits = word.strip_prefix('v').unwrap_or(word);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
}
