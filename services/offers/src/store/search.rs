//! Browsing published offers for the website: filters on mission type, region, département,
//! Territoire d'industrie, contract kind and level, "within R km of a commune", newest first with
//! a stable cursor. The radius is a GiST bounding-box scan on the commune centres, refined by
//! the haversine distance in SQL, so a page costs the same whatever the number of offers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;
use vte_domain::{ContractKind, EducationLevel, InvalidValue, MissionType, Programme};
use vte_reference::{EARTH_RADIUS_KM, GeoPoint};

/// Kilometres per degree of latitude.
const KM_PER_DEGREE: f64 = 111.195;
/// Largest page.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Widest radius.
pub const MAX_RADIUS_KM: f64 = 1000.0;

/// Which territories to browse.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TerritoryFilter {
    /// Anywhere.
    #[default]
    Any,
    /// Only offers in some Territoire d'industrie.
    AnyTerritoire,
    /// Only offers in this Territoire d'industrie (`ti-7603`).
    Territoire(String),
}

/// A website search, already validated at the edge.
#[derive(Debug, Clone, Default)]
pub struct OfferSearch {
    /// Offers whose primary or secondary mission is one of these; empty means any.
    pub mission_types: Vec<MissionType>,
    /// INSEE région code.
    pub region: Option<String>,
    /// Département code (`46`, `2A`, `971`).
    pub departement: Option<String>,
    pub territory: TerritoryFilter,
    /// Only offers judged on this programme (by their start date); a territory id is read in it
    /// (2023-2027 when `None`).
    pub programme: Option<Programme>,
    /// Offers of one of these contract kinds; empty means any.
    pub contract_kinds: Vec<ContractKind>,
    /// Only offers flagged as ecological-transition missions.
    pub ecological_transition_only: bool,
    /// Offers whose level range contains this level.
    pub level: Option<EducationLevel>,
    /// Offers within `radius_km` of this point.
    pub near: Option<(GeoPoint, f64)>,
    pub page_size: u32,
    /// Where the previous page stopped.
    pub after: Option<Cursor>,
}

/// A position in the results' order, opaque to clients: newest first, or nearest first when
/// the search has a radius.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cursor {
    Newest {
        published_at: DateTime<Utc>,
        id: Uuid,
    },
    Nearest {
        distance_km: f64,
        id: Uuid,
    },
}

impl Cursor {
    /// The cursor's text form, as sent to clients.
    pub fn encode(&self) -> String {
        let text = match self {
            Cursor::Newest { published_at, id } => {
                format!("t:{}:{id}", published_at.timestamp_micros())
            }
            Cursor::Nearest { distance_km, id } => format!("d:{}:{id}", distance_km.to_bits()),
        };
        URL_SAFE_NO_PAD.encode(text)
    }

    /// Reads a cursor a client sent back.
    pub fn decode(text: &str) -> Result<Self, InvalidValue> {
        let invalid = || InvalidValue::new("is not a cursor this service gave out");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.splitn(3, ':');
        let (kind, key, id) = (parts.next(), parts.next(), parts.next());
        let id = Uuid::parse_str(id.ok_or_else(invalid)?).map_err(|_| invalid())?;
        let key = key.ok_or_else(invalid)?;
        match kind {
            Some("t") => Ok(Cursor::Newest {
                published_at: key
                    .parse()
                    .ok()
                    .and_then(DateTime::from_timestamp_micros)
                    .ok_or_else(invalid)?,
                id,
            }),
            Some("d") => Ok(Cursor::Nearest {
                distance_km: f64::from_bits(key.parse().map_err(|_| invalid())?),
                id,
            }),
            _ => Err(invalid()),
        }
    }
}

/// One result: the offer and, for a search with a radius, its distance in km.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub offer_id: Uuid,
    pub distance_km: Option<f64>,
}

/// One page of results in order, and the cursor of the next page if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub found: Vec<Found>,
    pub next: Option<Cursor>,
}

impl SearchPage {
    /// The offer ids, in order.
    pub fn offer_ids(&self) -> Vec<Uuid> {
        self.found.iter().map(|found| found.offer_id).collect()
    }
}

/// Runs a search over published offers: newest first, or nearest first within a radius.
pub async fn search(pool: &PgPool, search: &OfferSearch) -> Result<SearchPage, sqlx::Error> {
    let page_size = search.page_size.clamp(1, MAX_PAGE_SIZE);
    let mut query = QueryBuilder::<Postgres>::new(
        "SELECT id, published_at, distance FROM (SELECT id, published_at, ",
    );
    match search.near {
        Some((centre, _)) => push_distance(&mut query, centre),
        None => {
            query.push("NULL::float8");
        }
    }
    query.push(" AS distance FROM offers WHERE status = 'PUBLISHED'");
    push_filters(&mut query, search);
    query.push(") AS matching WHERE true");
    if let Some((_, radius_km)) = search.near {
        query
            .push(" AND distance <= ")
            .push_bind(radius_km.clamp(0.0, MAX_RADIUS_KM));
    }
    match (&search.after, search.near.is_some()) {
        (Some(Cursor::Nearest { distance_km, id }), true) => {
            query
                .push(" AND (distance, id) > (")
                .push_bind(*distance_km);
            query.push(", ").push_bind(*id).push(")");
        }
        (Some(Cursor::Newest { published_at, id }), false) => {
            query
                .push(" AND (published_at, id) < (")
                .push_bind(*published_at);
            query.push(", ").push_bind(*id).push(")");
        }
        // A cursor from a search of the other order starts from the beginning.
        _ => {}
    }
    if search.near.is_some() {
        query.push(" ORDER BY distance, id");
    } else {
        query.push(" ORDER BY published_at DESC, id DESC");
    }
    query.push(" LIMIT ").push_bind(i64::from(page_size) + 1);
    let mut rows: Vec<(Uuid, DateTime<Utc>, Option<f64>)> =
        query.build_query_as().fetch_all(pool).await?;
    let next = if rows.len() > page_size as usize {
        rows.truncate(page_size as usize);
        rows.last()
            .map(|&(id, published_at, distance)| match distance {
                Some(distance_km) => Cursor::Nearest { distance_km, id },
                None => Cursor::Newest { published_at, id },
            })
    } else {
        None
    };
    Ok(SearchPage {
        found: rows
            .into_iter()
            .map(|(offer_id, _, distance_km)| Found {
                offer_id,
                distance_km,
            })
            .collect(),
        next,
    })
}

fn push_filters(query: &mut QueryBuilder<Postgres>, search: &OfferSearch) {
    if !search.mission_types.is_empty() {
        let codes: Vec<&str> = search.mission_types.iter().map(|m| m.code()).collect();
        query.push(" AND (primary_mission = ANY(");
        query.push_bind(codes.clone());
        query.push(") OR secondary_mission = ANY(");
        query.push_bind(codes);
        query.push("))");
    }
    if let Some(region) = &search.region {
        query.push(" AND region = ").push_bind(region.clone());
    }
    if let Some(departement) = &search.departement {
        query
            .push(" AND departement = ")
            .push_bind(departement.clone());
    }
    match &search.territory {
        TerritoryFilter::Any => {}
        TerritoryFilter::AnyTerritoire => {
            query.push(" AND territory_id IS NOT NULL");
        }
        TerritoryFilter::Territoire(id) => {
            let programme = search.programme.unwrap_or_default();
            query
                .push(" AND territory_id = ")
                .push_bind(id.clone())
                .push(" AND territory_programme = ")
                .push_bind(programme.as_str());
        }
    }
    if let Some(programme) = search.programme {
        query
            .push(" AND territory_programme = ")
            .push_bind(programme.as_str());
    }
    if !search.contract_kinds.is_empty() {
        let codes: Vec<&str> = search.contract_kinds.iter().map(|k| k.code()).collect();
        query
            .push(" AND contract_kind = ANY(")
            .push_bind(codes)
            .push(")");
    }
    if search.ecological_transition_only {
        query.push(" AND ecological_transition");
    }
    if let Some(level) = search.level {
        let years = i16::from(level.years());
        query.push(" AND min_level <= ").push_bind(years);
        query.push(" AND max_level >= ").push_bind(years);
    }
    if let Some((centre, radius_km)) = search.near {
        push_box(query, centre, radius_km.clamp(0.0, MAX_RADIUS_KM));
    }
}

/// The bounding box of the circle, on the GiST index; the exact distance refines it.
fn push_box(query: &mut QueryBuilder<Postgres>, centre: GeoPoint, radius_km: f64) {
    let lat_delta = radius_km / KM_PER_DEGREE;
    // Longitude degrees shrink with latitude; near the poles the box is the whole circle.
    let cos_lat = centre.lat.to_radians().cos().max(0.01);
    let lon_delta = (radius_km / (KM_PER_DEGREE * cos_lat)).min(180.0);
    query.push(" AND position <@ box(point(");
    query.push_bind(centre.lon - lon_delta);
    query.push(", ");
    query.push_bind(centre.lat - lat_delta);
    query.push("), point(");
    query.push_bind(centre.lon + lon_delta);
    query.push(", ");
    query.push_bind(centre.lat + lat_delta);
    query.push("))");
}

/// The great-circle distance in km from `centre` to the offer's commune (haversine).
fn push_distance(query: &mut QueryBuilder<Postgres>, centre: GeoPoint) {
    query.push("2 * ");
    query.push_bind(EARTH_RADIUS_KM);
    query.push(" * asin(sqrt(power(sin(radians(position[1] - ");
    query.push_bind(centre.lat);
    query.push(") / 2), 2) + cos(radians(");
    query.push_bind(centre.lat);
    query.push(")) * cos(radians(position[1])) * power(sin(radians(position[0] - ");
    query.push_bind(centre.lon);
    query.push(") / 2), 2)))");
}
