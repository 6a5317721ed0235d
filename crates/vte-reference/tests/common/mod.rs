//! The real reference data, loaded once per test binary from `ReferenceData::default_dir()`
//! (`$VTE_REFERENCE_DIR`, else `../shared/reference` beside the workspace).

use std::sync::OnceLock;
use vte_domain::InseeCode;
use vte_reference::ReferenceData;

pub fn reference() -> &'static ReferenceData {
    static DATA: OnceLock<ReferenceData> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = ReferenceData::default_dir();
        ReferenceData::load(&dir)
            .unwrap_or_else(|error| panic!("cannot load the reference data: {error}"))
    })
}

pub fn insee(code: &str) -> InseeCode {
    InseeCode::parse(code).unwrap_or_else(|error| panic!("{code}: {error}"))
}
