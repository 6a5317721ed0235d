//! The French reference data the VTE platform locates places with, loaded once at start-up from
//! a directory given by configuration (the files are never copied into the repository).
//!
//! - [`ReferenceData`] ([`data`]): loading and every lookup; [`LoadError`] ([`error`]).
//! - [`places`]: [`Commune`], [`Departement`], [`Region`], [`Epci`].
//! - [`territory`]: [`Programme`] (2023-2027 by default) and [`Territory`]; the 2018-2022
//!   membership is derived as `history` documents.
//! - [`geo`]: [`GeoPoint`] and [`haversine_km`].
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod code;
mod history;
mod index;
mod load;
mod names;
mod table;

pub mod data;
pub mod error;
pub mod geo;
pub mod places;
pub mod territory;

pub use data::{REFERENCE_DIR_VAR, ReferenceData};
pub use error::LoadError;
pub use geo::{EARTH_RADIUS_KM, GeoPoint, haversine_km};
pub use places::{Commune, Departement, Epci, Region, RegionZone};
pub use territory::{Programme, Territory};
