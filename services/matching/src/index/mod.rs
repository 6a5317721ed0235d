//! The in-memory index matching ranks from (DESIGN.md section 4): every matchable candidate in
//! column partitions by contract kind sought and level ([`partition`]), each split into cells
//! by home département ([`cells`]), every open offer, and the dictionaries that turn skills
//! and fields of study into integers. Ranking candidates for an offer scans only the partitions
//! of the offer's contract kind and of the levels both the offer and the scheme admit, skips
//! the cells no member of which could be within their mobility radius, applies the hard
//! filters (the scheme's rules through [`crate::domain::Gate`], as `vte_rules::judge` decides)
//! and the score components to the columns with the functions of [`crate::domain::score`],
//! and keeps the best in a bounded heap ([`topk`]): no allocation per candidate. Offers are
//! few: ranking them for a candidate weighs each with [`crate::domain::assess`].

pub mod cells;
pub mod partition;
pub mod topk;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use chrono::{Datelike, NaiveDate};
use vte_domain::{CandidateId, ContractKind, MissionType, OfferId};
use vte_reference::ReferenceData;

use crate::domain::eligibility::day;
use crate::domain::score::{
    COMPONENTS, RegionPreference, availability_fit, competence_fit, distance_fit, languages_fit,
    level_in, mission_fit, mobility_passes, skills_competence, skills_fit, studies_competence,
    territory_fit, weighted,
};
use crate::domain::taxonomy::{self, Discipline};
use crate::domain::{
    Assessment, CandidateModel, Gate, NO_FIELD_SOUGHT, OfferModel, Rules, Term, assess,
    contract_index, distance_km, held_keys, mission_index,
};
use cells::{CellKey, Shelf};
use partition::{Partition, Row, skill_bit};
use topk::{TopK, tie_rank};

/// The index shared by the API, the event handlers and the follower that keeps it fresh.
pub type SharedIndex = Arc<RwLock<Index>>;

/// Levels with a partition: bac+2 to bac+5.
const LEVELS: std::ops::RangeInclusive<u8> = 2..=5;

fn partition_of(kind: ContractKind, level: u8) -> Option<usize> {
    LEVELS
        .contains(&level)
        .then(|| contract_index(kind) * 4 + usize::from(level - 2))
}

/// Strings numbered in order of first sight.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn intern(&mut self, key: &str) -> u32 {
        if let Some(id) = self.ids.get(key) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.ids.insert(key.to_owned(), id);
        self.names.push(key.to_owned());
        id
    }

    fn get(&self, key: &str) -> Option<u32> {
        self.ids.get(key).copied()
    }
}

/// What the taxonomy reads in an interned field of study, kept beside its name.
#[derive(Debug, Clone)]
struct FieldInfo {
    disciplines: Vec<Discipline>,
    /// How well these studies prepare for each mission type; `None` when no discipline is read.
    competences: Option<[f32; 8]>,
}

/// A query's values computed on first sight: per interned field (field of study, studies'
/// competence) and per interned skill profile (skills' competence); NaN until then.
struct Memo {
    fields: Vec<[f32; 2]>,
    skill_profiles: Vec<f32>,
}

/// Where a candidate's rows are, and their whole profile for explanations.
#[derive(Debug)]
struct Entry {
    model: Arc<CandidateModel>,
    /// (partition, cell, slot) of each row.
    rows: Vec<(usize, usize, usize)>,
}

/// Restrictions of a RankCandidates request on top of the hard filters.
#[derive(Debug, Clone, Default)]
pub struct CandidateFilter {
    /// Only these levels (intersected with the offer's range); `None` for the offer's range.
    pub levels: Option<Vec<u8>>,
    /// Only candidates at most this far (an unknown distance is then excluded).
    pub max_distance_km: Option<f32>,
    /// Only candidates available on or before this day.
    pub available_by: Option<NaiveDate>,
    /// Candidates to leave out (applicants, already suggested).
    pub exclude: HashSet<CandidateId>,
}

/// Restrictions of a RankOffers request on top of the hard filters.
#[derive(Debug, Clone, Default)]
pub struct OfferFilter {
    /// Search radius replacing the candidate's mobility (an unknown distance is then excluded).
    pub radius_km: Option<f32>,
    pub region_code: Option<String>,
    pub only_in_territory: bool,
    /// Offers whose primary or secondary type is one of these; empty for any.
    pub mission_types: Vec<MissionType>,
    /// Offers to leave out (already suggested).
    pub exclude: HashSet<OfferId>,
}

/// The best candidates for an offer.
#[derive(Debug, Clone)]
pub struct CandidateRanking {
    /// Best first, with their scores.
    pub hits: Vec<(Arc<CandidateModel>, f32)>,
    /// How many passed every filter.
    pub eligible: u32,
}

/// The best offers for a candidate.
#[derive(Debug, Clone)]
pub struct OfferRanking {
    /// Best first, each with its assessment.
    pub hits: Vec<(Arc<OfferModel>, Assessment)>,
    pub eligible: u32,
}

/// Every matchable candidate and open offer, laid out for ranking.
#[derive(Debug)]
pub struct Index {
    partitions: Vec<Shelf>,
    candidates: HashMap<CandidateId, Entry>,
    offers: HashMap<OfferId, Arc<OfferModel>>,
    skills: Interner,
    fields: Interner,
    /// What the taxonomy reads in each interned field, by its id.
    field_info: Vec<FieldInfo>,
    /// What candidates' skills say of each mission type, interned: id 0 is "nothing" (no
    /// skill in a family of the taxonomy), few distinct profiles in all.
    skill_profiles: Vec<Option<[f32; 8]>>,
    skill_profile_ids: HashMap<[u32; 8], u32>,
    /// One bit per région code of the reference data.
    regions: HashMap<String, u32>,
    /// The day whose shuffle breaks ties; `None`: the current UTC day.
    tie_day: Option<NaiveDate>,
}

impl Index {
    /// An empty index knowing the régions of `reference`.
    pub fn new(reference: &ReferenceData) -> Self {
        let regions = reference
            .regions()
            .iter()
            .take(32)
            .enumerate()
            .map(|(i, region)| (region.code().to_owned(), 1u32 << i))
            .collect();
        Self {
            partitions: (0..ContractKind::ALL.len() * 4)
                .map(|_| Shelf::default())
                .collect(),
            candidates: HashMap::new(),
            offers: HashMap::new(),
            skills: Interner::default(),
            fields: Interner::default(),
            field_info: Vec::new(),
            skill_profiles: vec![None],
            skill_profile_ids: HashMap::new(),
            regions,
            tie_day: None,
        }
    }

    /// The same index breaking ties by the shuffle of `day` rather than of the current day (the
    /// evaluation's `as_of`, tests).
    pub fn with_tie_day(mut self, day: NaiveDate) -> Self {
        self.tie_day = Some(day);
        self
    }

    /// The seed of the day whose shuffle breaks ties.
    pub fn tie_seed(&self) -> u64 {
        let day = self
            .tie_day
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        u64::try_from(day.num_days_from_ce()).unwrap_or(0)
    }

    /// How many candidates and open offers it holds.
    pub fn len(&self) -> (usize, usize) {
        (self.candidates.len(), self.offers.len())
    }

    pub fn candidate(&self, id: &CandidateId) -> Option<&Arc<CandidateModel>> {
        self.candidates.get(id).map(|entry| &entry.model)
    }

    pub fn offer(&self, id: &OfferId) -> Option<&Arc<OfferModel>> {
        self.offers.get(id)
    }

    /// Adds or replaces an offer; one that is not open is removed.
    pub fn upsert_offer(&mut self, offer: OfferModel) {
        if offer.open {
            self.offers.insert(offer.id, Arc::new(offer));
        } else {
            self.offers.remove(&offer.id);
        }
    }

    pub fn remove_offer(&mut self, id: &OfferId) {
        self.offers.remove(id);
    }

    /// Adds or replaces a matchable candidate.
    pub fn upsert_candidate(&mut self, candidate: CandidateModel) {
        self.remove_candidate(&candidate.id);
        // Every key the candidate's skills hold (their own and their families'), sorted.
        let mut skills: Vec<u32> = held_keys(&candidate.skills)
            .iter()
            .map(|key| self.skills.intern(key))
            .collect();
        skills.sort_unstable();
        let skills: Box<[u32]> = skills.into_boxed_slice();
        let field = self.fields.intern(&candidate.field_of_study.key);
        if field as usize == self.field_info.len() {
            let disciplines = candidate.field_of_study.disciplines.clone();
            self.field_info.push(FieldInfo {
                competences: taxonomy::fields().competences(&disciplines),
                disciplines,
            });
        }
        let skill_profile = self.skill_profile(&candidate);
        let regions = candidate
            .preferred_regions
            .iter()
            .filter_map(|code| self.regions.get(code))
            .fold(0, |mask, bit| mask | bit);
        let cell = if candidate.open_to_relocation || !candidate.home.unit.is_known() {
            CellKey::Anywhere
        } else {
            CellKey::Departement(candidate.home.insee.departement().to_owned())
        };
        let mut rows = Vec::with_capacity(candidate.contract_kinds.len());
        for kind in &candidate.contract_kinds {
            let Some(p) = partition_of(*kind, candidate.level) else {
                continue;
            };
            let (c, at) = self.partitions[p].push(
                cell.clone(),
                Row {
                    id: candidate.id,
                    unit: candidate.home.unit.0,
                    radius_km: candidate.radius_km as f32,
                    relocation: candidate.open_to_relocation,
                    available: candidate.available_from.num_days_from_ce(),
                    status: candidate.academic.code(),
                    graduation: day(candidate.graduation_date),
                    missions: candidate.mission_weights,
                    regions,
                    field,
                    skill_profile,
                    skills: skills.clone(),
                    languages: candidate.languages.clone().into_boxed_slice(),
                },
            );
            rows.push((p, c, at));
        }
        self.candidates.insert(
            candidate.id,
            Entry {
                model: Arc::new(candidate),
                rows,
            },
        );
    }

    /// The interned id of what `candidate`'s skills say of each mission type.
    fn skill_profile(&mut self, candidate: &CandidateModel) -> u32 {
        let Some(profile) =
            taxonomy::skills().competences(candidate.skills.iter().map(|t| &t.skill))
        else {
            return 0;
        };
        let key = profile.map(f32::to_bits);
        if let Some(id) = self.skill_profile_ids.get(&key) {
            return *id;
        }
        let id = u32::try_from(self.skill_profiles.len()).unwrap_or(0);
        self.skill_profiles.push(Some(profile));
        self.skill_profile_ids.insert(key, id);
        id
    }

    /// Removes a candidate (no longer matchable, or erased).
    pub fn remove_candidate(&mut self, id: &CandidateId) {
        let Some(entry) = self.candidates.remove(id) else {
            return;
        };
        for (p, c, at) in entry.rows {
            if let Some(moved) = self.partitions[p].swap_remove(c, at)
                && let Some(moved) = self.candidates.get_mut(&moved)
                && let Some(row) = moved.rows.iter_mut().find(|(q, _, _)| *q == p)
            {
                row.2 = at;
            }
        }
    }

    /// The best `limit` candidates for `offer` that pass every filter and `filter`.
    pub fn rank_candidates(
        &self,
        offer: &OfferModel,
        rules: &Rules,
        filter: &CandidateFilter,
        limit: usize,
    ) -> CandidateRanking {
        let mut query = Query::new(self, offer, rules, filter);
        query.seed = self.tie_seed();
        let mut memo = Memo {
            fields: vec![[f32::NAN; 2]; self.fields.names.len()],
            skill_profiles: vec![f32::NAN; self.skill_profiles.len()],
        };
        let mut top = TopK::new(limit);
        let mut eligible = 0u32;
        if offer.open && offer.scheme.offer_admitted() {
            let (min, max) = offer.scheme.levels;
            for level in min..=max {
                if filter
                    .levels
                    .as_ref()
                    .is_some_and(|levels| !levels.contains(&level))
                {
                    continue;
                }
                if let Some(p) = partition_of(offer.contract, level) {
                    for cell in &self.partitions[p].cells {
                        if !cell.out_of_reach(&query.unit, filter.max_distance_km) {
                            eligible += query.scan(&cell.rows, filter, &mut memo, &mut top);
                        }
                    }
                }
            }
        }
        let hits = top
            .into_sorted()
            .into_iter()
            .filter_map(|hit| {
                self.candidates
                    .get(&hit.key.1)
                    .map(|entry| (entry.model.clone(), hit.score))
            })
            .collect();
        CandidateRanking { hits, eligible }
    }

    /// The best `limit` open offers for `candidate` that pass every filter and `filter`.
    pub fn rank_offers(
        &self,
        candidate: &CandidateModel,
        rules: &Rules,
        filter: &OfferFilter,
        limit: usize,
    ) -> OfferRanking {
        let mut top = TopK::new(limit);
        let seed = self.tie_seed();
        let mut eligible = 0u32;
        for offer in self.offers.values() {
            if filter.exclude.contains(&offer.id) || !offer_wanted(offer, filter) {
                continue;
            }
            let assessment = assess(offer, candidate, rules);
            let f = &assessment.filters;
            let mobility = match filter.radius_km {
                Some(radius) => f.distance_km <= radius,
                None => f.mobility,
            };
            if f.offer_open && f.scheme_passes() && mobility {
                eligible += 1;
                top.offer(
                    assessment.score,
                    (tie_rank(offer.id.as_uuid().as_u128(), seed), offer.id),
                );
            }
        }
        let hits = top
            .into_sorted()
            .into_iter()
            .filter_map(|hit| self.offers.get(&hit.key.1).cloned())
            .map(|offer| {
                let assessment = assess(&offer, candidate, rules);
                (offer, assessment)
            })
            .collect();
        OfferRanking { hits, eligible }
    }
}

fn offer_wanted(offer: &OfferModel, filter: &OfferFilter) -> bool {
    if filter.only_in_territory && offer.territory().is_none() {
        return false;
    }
    if let Some(region) = &filter.region_code
        && *region != offer.place.region_code
    {
        return false;
    }
    filter.mission_types.is_empty()
        || filter.mission_types.contains(&offer.primary)
        || offer
            .secondary
            .is_some_and(|s| filter.mission_types.contains(&s))
}

/// An offer prepared for scanning candidates: everything per query computed once.
struct Query<'a> {
    weights: [f32; COMPONENTS],
    unit: [f32; 3],
    primary: usize,
    secondary: Option<usize>,
    share: f32,
    start: i32,
    tolerance: i32,
    available_by: i32,
    max_distance_km: Option<f32>,
    min_scale_km: f32,
    tolerance_days: u32,
    /// For each skill the offer seeks, the interned keys that meet it in full and those of its
    /// families (absent keys are held by no candidate); their count and signature.
    skill_groups: Vec<(Vec<u32>, Vec<u32>)>,
    /// The signature of each of those skills' keys, in the same order.
    group_signatures: Vec<u64>,
    skills_sought: u32,
    skill_signature: u64,
    /// The fields of study the offer seeks, and every interned field's key and taxonomy.
    sought_fields: &'a [Term],
    field_names: &'a [String],
    field_info: &'a [FieldInfo],
    /// Every interned skill profile, and the part of the gap skills may close.
    skill_profiles: &'a [Option<[f32; 8]>],
    skills_share: f32,
    offer: &'a OfferModel,
    gate: Gate,
    in_territory: bool,
    region_bit: u32,
    /// The day's seed of [`tie_rank`].
    seed: u64,
}

impl<'a> Query<'a> {
    fn new(
        index: &'a Index,
        offer: &'a OfferModel,
        rules: &Rules,
        filter: &CandidateFilter,
    ) -> Self {
        let ids = |keys: &[String]| -> Vec<u32> {
            keys.iter()
                .filter_map(|key| index.skills.get(key))
                .collect()
        };
        let skill_groups: Vec<(Vec<u32>, Vec<u32>)> = offer
            .skills
            .iter()
            .map(|skill| (ids(&skill.skill.exact), ids(&skill.skill.families)))
            .collect();
        Self {
            weights: rules.weights_for(offer),
            unit: offer.place.unit.0,
            primary: mission_index(offer.primary),
            secondary: offer.secondary.map(mission_index),
            share: rules.secondary_mission_share,
            start: offer.start_date.num_days_from_ce(),
            tolerance: i32::try_from(rules.availability_tolerance_days).unwrap_or(i32::MAX),
            available_by: filter
                .available_by
                .map_or(i32::MAX, |day| day.num_days_from_ce()),
            max_distance_km: filter.max_distance_km,
            min_scale_km: rules.min_distance_scale_km,
            tolerance_days: rules.availability_tolerance_days,
            skill_signature: skill_groups
                .iter()
                .flat_map(|(exact, families)| exact.iter().chain(families))
                .fold(0, |sig, skill| sig | skill_bit(*skill)),
            group_signatures: skill_groups
                .iter()
                .map(|(exact, families)| {
                    exact
                        .iter()
                        .chain(families)
                        .fold(0, |sig, skill| sig | skill_bit(*skill))
                })
                .collect(),
            skill_groups,
            skills_sought: u32::try_from(offer.skills.len()).unwrap_or(u32::MAX),
            sought_fields: &offer.fields,
            field_names: &index.fields.names,
            field_info: &index.field_info,
            skill_profiles: &index.skill_profiles,
            skills_share: taxonomy::skills().skills_share(),
            offer,
            gate: Gate::new(offer),
            in_territory: offer.territory().is_some(),
            region_bit: index
                .regions
                .get(&offer.place.region_code)
                .copied()
                .unwrap_or(0),
            seed: 0,
        }
    }

    /// The field-of-study and studies' competence values of an interned field, computed on
    /// first sight in this query (`field_values` starts as NaN), as
    /// [`crate::domain::field_fit`] and [`studies_competence`] compute them for one pair: the
    /// dictionary of fields may be large, the fields of the candidates that pass the filters
    /// are far fewer.
    #[inline]
    fn field_values(&self, field: u32, field_values: &mut [[f32; 2]]) -> [f32; 2] {
        let Some(slot) = field_values.get_mut(field as usize) else {
            return [0.0, 0.0];
        };
        if slot[0].is_nan() {
            let (name, info) = (
                self.field_names.get(field as usize),
                self.field_info.get(field as usize),
            );
            let fit = if self.sought_fields.is_empty() {
                NO_FIELD_SOUGHT
            } else if name.is_some_and(|name| self.sought_fields.iter().any(|f| f.key == *name)) {
                1.0
            } else {
                info.map_or(0.0, |info| {
                    self.sought_fields
                        .iter()
                        .map(|f| taxonomy::fields().closeness(&info.disciplines, &f.disciplines))
                        .fold(0.0, f32::max)
                })
            };
            let competence = studies_competence(
                info.and_then(|info| info.competences.as_ref()),
                self.primary,
                self.secondary,
                self.share,
            );
            *slot = [fit, competence];
        }
        *slot
    }

    /// The skills' competence value of an interned skill profile, computed on first sight in
    /// this query, as [`skills_competence`] computes it for one pair.
    #[inline]
    fn skills_value(&self, profile: u32, values: &mut [f32]) -> f32 {
        let Some(slot) = values.get_mut(profile as usize) else {
            return 0.0;
        };
        if slot.is_nan() {
            let profile = self.skill_profiles.get(profile as usize).copied().flatten();
            *slot = skills_competence(profile.as_ref(), self.primary, self.secondary, self.share);
        }
        *slot
    }

    /// The skills credit of a candidate's held keys (sorted), as
    /// [`crate::domain::skill_credit`] sums it for one pair.
    #[inline]
    fn skills_credit(&self, held: &[u32]) -> f32 {
        let holds = |id: &u32| held.binary_search(id).is_ok();
        let same_family = taxonomy::skills().same_family();
        self.skill_groups
            .iter()
            .map(|(exact, families)| {
                if exact.iter().any(holds) {
                    1.0
                } else if families.iter().any(holds) {
                    same_family
                } else {
                    0.0
                }
            })
            .sum()
    }

    /// Scans one partition: filters, scores, offers the survivors to `top`; returns how many
    /// passed every filter.
    fn scan(
        &self,
        p: &Partition,
        filter: &CandidateFilter,
        memo: &mut Memo,
        top: &mut TopK<(u64, CandidateId)>,
    ) -> u32 {
        let n = p.len();
        let (ids, units, radii, relocation) = (
            &p.ids[..n],
            &p.unit[..n],
            &p.radius_km[..n],
            &p.relocation[..n],
        );
        let (status, graduation) = (&p.status[..n], &p.graduation[..n]);
        let (available, missions, regions, fields) = (
            &p.available[..n],
            &p.missions[..n],
            &p.regions[..n],
            &p.field[..n],
        );
        let (signatures, skills, languages, profiles) = (
            &p.skill_signature[..n],
            &p.skills[..n],
            &p.languages[..n],
            &p.skill_profile[..n],
        );
        let w = &self.weights;
        // Skills and languages are the costly components: skipped when even full marks on
        // both could not reach the heap.
        let costly_bound = w[1] + w[5] + 1e-5;
        let mut eligible = 0;
        for i in 0..n {
            let late = available[i] - self.start;
            if late > self.tolerance || available[i] > self.available_by {
                continue;
            }
            if !self.gate.situation(status[i], graduation[i]) {
                continue;
            }
            let km = distance_km(&units[i], &self.unit);
            if !mobility_passes(km, radii[i], relocation[i]) {
                continue;
            }
            if let Some(max) = self.max_distance_km
                && (km.is_nan() || km > max)
            {
                continue;
            }
            if !filter.exclude.is_empty() && filter.exclude.contains(&ids[i]) {
                continue;
            }
            eligible += 1;
            let region = if regions[i] == 0 {
                RegionPreference::NoPreference
            } else if regions[i] & self.region_bit != 0 {
                RegionPreference::Preferred
            } else {
                RegionPreference::NotPreferred
            };
            let [field, studies] = self.field_values(fields[i], &mut memo.fields);
            let skills_side = self.skills_value(profiles[i], &mut memo.skill_profiles);
            let competence = competence_fit(studies, skills_side, self.skills_share);
            let mut values = [
                mission_fit(&missions[i], self.primary, self.secondary, self.share),
                0.0,
                field,
                distance_fit(km, radii[i], self.min_scale_km),
                territory_fit(self.in_territory, region),
                0.0,
                availability_fit(late, self.tolerance_days),
                competence,
            ];
            if let Some(threshold) = top.threshold() {
                let cheap = weighted(w, &values);
                if cheap + costly_bound < threshold {
                    continue;
                }
                // Tighter: only the skills sharing a signature bit with the candidate's keys
                // can earn credit, one at most each.
                let reachable = self
                    .group_signatures
                    .iter()
                    .filter(|group| **group & signatures[i] != 0)
                    .count();
                let skills_bound = skills_fit(reachable as f32, self.skills_sought);
                if cheap + w[1] * skills_bound + w[5] + 1e-5 < threshold {
                    continue;
                }
            }
            values[1] = if signatures[i] & self.skill_signature == 0 {
                skills_fit(0.0, self.skills_sought)
            } else {
                skills_fit(self.skills_credit(&skills[i]), self.skills_sought)
            };
            values[5] = languages_fit(&self.offer.languages, |need| level_in(&languages[i], need));
            let tie = tie_rank(ids[i].as_uuid().as_u128(), self.seed);
            top.offer(weighted(w, &values), (tie, ids[i]));
        }
        eligible
    }
}
