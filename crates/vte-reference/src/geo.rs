//! Points on the Earth and the great-circle distance between them (haversine on a sphere of
//! the IUGG mean radius). Good to a few hundred metres over France, well within the precision
//! of commune centres.

/// The mean Earth radius (IUGG), in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A WGS84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Latitude, -90 to 90.
    pub lat: f64,
    /// Longitude, -180 to 180.
    pub lon: f64,
}

impl GeoPoint {
    /// A point, or `None` when a coordinate is out of range or not a number.
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
            .then_some(Self { lat, lon })
    }
}

/// The great-circle distance between two points, in kilometres.
pub fn haversine_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat_a, lat_b) = (a.lat.to_radians(), b.lat.to_radians());
    let half_dlat = (lat_b - lat_a) / 2.0;
    let half_dlon = (b.lon - a.lon).to_radians() / 2.0;
    let h = half_dlat.sin().powi(2) + lat_a.cos() * lat_b.cos() * half_dlon.sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::new(lat, lon).unwrap()
    }

    #[test]
    fn a_point_is_zero_km_from_itself() {
        let figeac = point(44.60526, 2.02543);
        assert_eq!(haversine_km(figeac, figeac), 0.0);
    }

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = haversine_km(point(45.0, 2.0), point(46.0, 2.0));
        assert!((d - 111.195).abs() < 0.01, "{d}");
    }

    #[test]
    fn distance_is_symmetric_and_handles_antipodes() {
        let (a, b) = (point(43.6, 1.43), point(48.11, -1.68));
        assert_eq!(haversine_km(a, b), haversine_km(b, a));
        let half_circumference = std::f64::consts::PI * EARTH_RADIUS_KM;
        let d = haversine_km(point(0.0, 0.0), point(0.0, 180.0));
        assert!((d - half_circumference).abs() < 1e-6);
    }

    #[test]
    fn out_of_range_coordinates_are_not_points() {
        assert_eq!(GeoPoint::new(91.0, 0.0), None);
        assert_eq!(GeoPoint::new(0.0, -180.5), None);
        assert_eq!(GeoPoint::new(f64::NAN, 0.0), None);
    }
}
