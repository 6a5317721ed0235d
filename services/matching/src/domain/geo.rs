//! Distances as matching computes them: each commune centre is kept as a unit vector, so the
//! distance between two places needs a square root and a short series instead of four
//! trigonometric calls. The index scans millions of candidates with it, and every explanation
//! uses the same function, so a distance reported is the distance the filters saw.

use vte_reference::{EARTH_RADIUS_KM, GeoPoint};

/// A point on the unit sphere (single precision: a metre or so over France).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit(pub [f32; 3]);

impl Unit {
    /// The unit vector of a WGS84 position.
    pub fn of(point: GeoPoint) -> Self {
        let (lat, lon) = (point.lat.to_radians(), point.lon.to_radians());
        Self([
            (lat.cos() * lon.cos()) as f32,
            (lat.cos() * lon.sin()) as f32,
            lat.sin() as f32,
        ])
    }

    /// A point no distance can be computed to: the index stores it for unknown centres.
    pub const UNKNOWN: Unit = Unit([f32::NAN; 3]);

    /// Whether this is a real point.
    pub fn is_known(&self) -> bool {
        !self.0[0].is_nan()
    }
}

/// The great-circle distance in km between two unit vectors; NaN when either is unknown.
///
/// `2R asin(c/2)` for the chord `c`, with `asin` as its series up to the fifth power below
/// 0.1 (about 1,270 km: all of metropolitan France, error under a metre) and exact beyond.
#[inline]
pub fn distance_km(a: &[f32; 3], b: &[f32; 3]) -> f32 {
    let (dx, dy, dz) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    let half = (dx * dx + dy * dy + dz * dz).sqrt() * 0.5;
    let angle = if half < 0.1 {
        let h2 = half * half;
        half * (1.0 + h2 * (1.0 / 6.0 + h2 * (3.0 / 40.0)))
    } else {
        // `clamp` keeps NaN (an unknown point), where `min` would turn it into 1.
        half.clamp(0.0, 1.0).asin()
    };
    2.0 * EARTH_RADIUS_KM as f32 * angle
}

/// A distance rounded to one decimal, as answers report it.
pub fn one_decimal(km: f32) -> f64 {
    (f64::from(km) * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use vte_reference::haversine_km;

    #[test]
    fn the_fast_distance_agrees_with_haversine_within_a_few_metres() {
        let figeac = GeoPoint::new(44.6086, 2.0317).unwrap();
        for (lat, lon) in [
            (43.6045, 1.4440),
            (48.1147, -1.6794),
            (50.63, 3.06),
            (44.61, 2.04),
        ] {
            let other = GeoPoint::new(lat, lon).unwrap();
            let exact = haversine_km(figeac, other) as f32;
            let fast = distance_km(&Unit::of(figeac).0, &Unit::of(other).0);
            assert!((exact - fast).abs() < 0.05, "{exact} vs {fast}");
        }
        let reunion = GeoPoint::new(-21.11, 55.53).unwrap();
        let exact = haversine_km(figeac, reunion) as f32;
        let fast = distance_km(&Unit::of(figeac).0, &Unit::of(reunion).0);
        assert!((exact - fast).abs() / exact < 1e-3, "{exact} vs {fast}");
    }

    #[test]
    fn an_unknown_point_has_no_distance() {
        let figeac = Unit::of(GeoPoint::new(44.6086, 2.0317).unwrap());
        assert!(distance_km(&figeac.0, &Unit::UNKNOWN.0).is_nan());
        assert!(!Unit::UNKNOWN.is_known());
    }
}
