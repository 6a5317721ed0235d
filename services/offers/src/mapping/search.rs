//! The website's search (`SearchOffersRequest`) as checked domain values: mission types, région,
//! département, Territoire d'industrie, contract kinds, level, a circle around a commune, a page.
//! The commune of the circle is only parsed here; the use case resolves it to coordinates
//! against the reference data (reporting an unknown one under [`NEAR_INSEE_FIELD`]).

use super::wire::{
    Filters, PageInput, check_bound_page, check_enum, check_enum_filter, check_page, filter_set,
};
use vte_domain::{
    ContractKind, EducationLevel, FieldErrors, InseeCode, InvalidValue, MissionType, Programme,
    echo,
};
use vte_proto::vte::offers::v1 as offers;

/// The path of the circle's commune, for an error found when resolving it.
pub const NEAR_INSEE_FIELD: &str = "near.insee_code";

/// The widest circle, in km.
pub const MAX_RADIUS_KM: u32 = 500;

/// Which Territoires d'industrie to browse.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TerritoryScope {
    /// Anywhere.
    #[default]
    Any,
    /// Only offers in some Territoire d'industrie (`only_in_territory`).
    InAnyTerritory,
    /// Only offers in this one (`territory_id`, e.g. `ti-7603`), of the request's programme
    /// (2023-2027 unless it names another).
    Territory(String),
}

/// A circle around a commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Near {
    /// The commune at the centre, well formed but not yet looked up.
    pub insee: InseeCode,
    /// The radius in km, 1..=500.
    pub radius_km: u32,
}

/// A SearchOffers request, checked. Filters combine with AND, the values of a list with OR; an
/// empty list or `None` means any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequestInput {
    /// Offers whose primary or secondary mission type is one of these.
    pub mission_types: Vec<MissionType>,
    /// INSEE région code, 2 digits.
    pub region: Option<String>,
    /// Département code (`46`, `2A`, `971`), upper case.
    pub departement: Option<String>,
    /// Territoire d'industrie.
    pub territory: TerritoryScope,
    /// Only offers judged on this Territoires d'industrie programme (by their start date).
    pub programme: Option<Programme>,
    /// Offers of one of these contract kinds.
    pub contract_kinds: Vec<ContractKind>,
    /// Offers whose level range includes this level.
    pub level: Option<EducationLevel>,
    /// Offers within a circle, then ordered nearest first.
    pub near: Option<Near>,
    /// Only ecological-transition missions.
    pub ecological_transition_only: bool,
    /// Items wanted, 1..=100.
    pub page_size: u32,
    /// The previous page's cursor, as the client sent it back.
    pub cursor: Option<String>,
}

/// Decodes a SearchOffers request, reporting every bad filter at once.
pub fn search_request_input(
    request: &offers::SearchOffersRequest,
) -> Result<SearchRequestInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mission_types = check_enum_filter(&mut errors, "mission_types", &request.mission_types);
    let region = optional(
        &mut errors,
        "region_code",
        &request.region_code,
        region_code,
    );
    let departement = optional(
        &mut errors,
        "departement_code",
        &request.departement_code,
        departement_code,
    );
    let territory = match optional(
        &mut errors,
        "territory_id",
        &request.territory_id,
        territory_id,
    ) {
        Some(id) => TerritoryScope::Territory(id),
        None if request.only_in_territory => TerritoryScope::InAnyTerritory,
        None => TerritoryScope::Any,
    };
    let programme = check_enum(&mut errors, "programme", request.programme);
    let contract_kinds = check_enum_filter(&mut errors, "contract_kinds", &request.contract_kinds);
    let level = check_enum(&mut errors, "level", request.level);
    let near = request.near.as_ref().and_then(|near| {
        let insee = errors.check(NEAR_INSEE_FIELD, InseeCode::parse(&near.insee_code));
        let radius_km = errors.check("near.radius_km", radius(near.radius_km));
        Some(Near {
            insee: insee?,
            radius_km: radius_km?,
        })
    });
    let page = check_page(&mut errors, "page", request.page.as_ref());
    let mut input = SearchRequestInput {
        mission_types,
        region,
        departement,
        territory,
        programme,
        contract_kinds,
        level,
        near,
        ecological_transition_only: request.ecological_transition_only,
        page_size: page.size,
        cursor: None,
    };
    let PageInput { token, .. } = check_bound_page(&mut errors, "page", page, input.filters());
    input.cursor = token;
    errors.into_result().map(|()| input)
}

impl SearchRequestInput {
    /// The filters its page tokens are bound to (all but the page).
    pub fn filters(&self) -> Filters {
        Filters::NONE
            .with("mission_types", filter_set(&self.mission_types))
            .with("region", &self.region)
            .with("departement", &self.departement)
            .with("territory", &self.territory)
            .with("programme", self.programme)
            .with("contract_kinds", filter_set(&self.contract_kinds))
            .with("level", self.level)
            .with("near", self.near)
            .with(
                "ecological_transition_only",
                self.ecological_transition_only,
            )
    }
}

/// A text filter where blank means any.
fn optional(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
    parse: fn(&str) -> Result<String, InvalidValue>,
) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        None
    } else {
        errors.check(field, parse(raw))
    }
}

fn region_code(raw: &str) -> Result<String, InvalidValue> {
    if raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw.to_owned())
    } else {
        Err(InvalidValue::new(format!(
            "must be an INSEE région code of 2 digits such as 76, got \"{}\"",
            echo(raw)
        )))
    }
}

fn departement_code(raw: &str) -> Result<String, InvalidValue> {
    // No code is longer: a long value is refused without being copied.
    let code = if raw.len() <= 3 {
        raw.to_ascii_uppercase()
    } else {
        String::new()
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let valid = match code.len() {
        2 => digits(&code) || code == "2A" || code == "2B",
        3 => code.starts_with("97") && digits(&code),
        _ => false,
    };
    if valid {
        Ok(code)
    } else {
        Err(InvalidValue::new(format!(
            "must be a département code such as 46, 2A or 971, got \"{}\"",
            echo(raw)
        )))
    }
}

fn territory_id(raw: &str) -> Result<String, InvalidValue> {
    let id = if raw.len() <= 7 {
        raw.to_ascii_lowercase()
    } else {
        String::new()
    };
    match id.strip_prefix("ti-") {
        Some(number) if number.len() == 4 && number.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err(InvalidValue::new(format!(
            "must be a Territoire d'industrie id such as ti-7603, got \"{}\"",
            echo(raw)
        ))),
    }
}

fn radius(raw: u32) -> Result<u32, InvalidValue> {
    if (1..=MAX_RADIUS_KM).contains(&raw) {
        Ok(raw)
    } else {
        Err(InvalidValue::new(format!(
            "must be 1 to {MAX_RADIUS_KM} km, got {raw}"
        )))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use vte_proto::vte::common::v1 as common;

    #[test]
    fn an_empty_search_browses_everything_twenty_at_a_time() {
        let input = search_request_input(&offers::SearchOffersRequest::default()).unwrap();
        assert_eq!(input.territory, TerritoryScope::Any);
        assert_eq!(input.near, None);
        assert_eq!(input.page_size, 20);
        assert!(input.mission_types.is_empty() && input.contract_kinds.is_empty());
    }

    #[test]
    fn a_full_search_becomes_domain_values() {
        let request = offers::SearchOffersRequest {
            mission_types: vec![
                common::MissionType::Technologie.into(),
                common::MissionType::Finance.into(),
            ],
            region_code: "76".to_owned(),
            departement_code: "2a".to_owned(),
            territory_id: "ti-7603".to_owned(),
            only_in_territory: true,
            contract_kinds: vec![common::ContractKind::Cdi.into()],
            level: common::EducationLevel::Bac5.into(),
            near: Some(offers::NearCommune {
                insee_code: "46102".to_owned(),
                radius_km: 50,
            }),
            ecological_transition_only: true,
            page: Some(common::PageRequest {
                page_size: 10,
                page_token: String::new(),
            }),
            programme: common::Programme::Ti20182022.into(),
        };
        // The next page's token, as the gRPC layer gives it out for these filters.
        let filters = search_request_input(&request).unwrap().filters();
        let mut request = request;
        if let Some(page) = request.page.as_mut() {
            page.page_token = vte_wire::page::bind("next", filters);
        }
        let input = search_request_input(&request).unwrap();
        assert_eq!(
            input.mission_types,
            [MissionType::Technologie, MissionType::Finance]
        );
        assert_eq!(input.region.as_deref(), Some("76"));
        assert_eq!(input.departement.as_deref(), Some("2A"));
        assert_eq!(input.programme, Some(Programme::Ti2018_2022));
        assert_eq!(
            input.territory,
            TerritoryScope::Territory("ti-7603".to_owned())
        );
        assert_eq!(input.contract_kinds, [ContractKind::Cdi]);
        assert_eq!(input.level, Some(EducationLevel::Bac5));
        let near = input.near.unwrap();
        assert_eq!((near.insee.as_str(), near.radius_km), ("46102", 50));
        assert!(input.ecological_transition_only);
        assert_eq!(
            (input.page_size, input.cursor.as_deref()),
            (10, Some("next"))
        );
    }

    #[test]
    fn a_page_token_of_other_filters_is_refused() {
        let filters = search_request_input(&offers::SearchOffersRequest::default())
            .unwrap()
            .filters();
        let request = offers::SearchOffersRequest {
            region_code: "76".to_owned(),
            page: Some(common::PageRequest {
                page_size: 10,
                page_token: vte_wire::page::bind("next", filters),
            }),
            ..Default::default()
        };
        let errors = search_request_input(&request).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field()).collect();
        assert_eq!(fields, ["page.page_token"]);
    }

    #[test]
    fn a_3_mib_region_code_is_quoted_64_characters_long_and_100000_types_cost_one_error() {
        let request = offers::SearchOffersRequest {
            mission_types: vec![42; 100_000],
            region_code: "7".repeat(3 << 20),
            ..Default::default()
        };
        let errors = search_request_input(&request).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field()).collect();
        assert_eq!(fields, ["mission_types", "region_code"]);
        assert!(errors.to_string().len() < 400, "{errors}");
    }

    #[test]
    fn only_in_a_territory_without_an_id_means_any_territory() {
        let request = offers::SearchOffersRequest {
            only_in_territory: true,
            ..Default::default()
        };
        let input = search_request_input(&request).unwrap();
        assert_eq!(input.territory, TerritoryScope::InAnyTerritory);
    }

    #[test]
    fn every_bad_filter_is_reported_at_once() {
        let request = offers::SearchOffersRequest {
            mission_types: vec![42],
            region_code: "7".to_owned(),
            departement_code: "99A".to_owned(),
            territory_id: "7603".to_owned(),
            level: 1,
            near: Some(offers::NearCommune {
                insee_code: "4610".to_owned(),
                radius_km: 501,
            }),
            page: Some(common::PageRequest {
                page_size: 500,
                page_token: String::new(),
            }),
            ..Default::default()
        };
        let errors = search_request_input(&request).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field()).collect();
        assert_eq!(
            fields,
            [
                "mission_types[0]",
                "region_code",
                "departement_code",
                "territory_id",
                "level",
                "near.insee_code",
                "near.radius_km",
                "page.page_size",
            ]
        );
    }
}
