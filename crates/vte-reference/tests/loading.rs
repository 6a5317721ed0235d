//! Loading: where the data is found, what a broken file reports (on a damaged private copy of
//! the directory), and sharing the loaded data across threads.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;
use vte_reference::{LoadError, ReferenceData};

/// A private copy of the reference directory that a test may damage.
fn copy_of_reference() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(ReferenceData::default_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "csv") {
            fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    copy
}

fn replace_in(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from} not in {file}");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn reference_data_can_be_shared_between_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<ReferenceData>();
}

#[test]
fn the_default_directory_holds_the_readme() {
    assert!(ReferenceData::default_dir().join("README.md").is_file());
}

#[test]
fn a_missing_directory_names_the_file_that_could_not_be_read() {
    let error = ReferenceData::load(Path::new("/nonexistent/reference")).unwrap_err();
    assert!(matches!(error, LoadError::Read { .. }));
    assert!(
        error
            .to_string()
            .starts_with("cannot read /nonexistent/reference/regions.csv")
    );
}

#[test]
fn a_malformed_row_is_reported_with_its_file_and_line() {
    let dir = copy_of_reference();
    replace_in(dir.path(), "communes.csv", "\n01002,", "\n0100,");
    let error = ReferenceData::load(dir.path()).unwrap_err().to_string();
    assert!(
        error.ends_with("communes.csv, line 3: insee \"0100\": must be 5 characters, got 4"),
        "{error}"
    );
}

#[test]
fn a_territory_commune_missing_from_the_communes_is_reported() {
    let dir = copy_of_reference();
    replace_in(
        dir.path(),
        "ti_2023_2027_communes.csv",
        "\n97104,",
        "\n97199,",
    );
    let error = ReferenceData::load(dir.path()).unwrap_err().to_string();
    assert!(
        error.ends_with(
            "ti_2023_2027_communes.csv, line 2: insee \"97199\": is not in communes.csv"
        ),
        "{error}"
    );
}

#[test]
fn a_commune_in_two_territories_is_reported() {
    let dir = copy_of_reference();
    replace_in(
        dir.path(),
        "ti_2023_2027_communes.csv",
        "\n97105,ti-0101",
        "\n97104,ti-0102",
    );
    let error = ReferenceData::load(dir.path()).unwrap_err().to_string();
    assert!(
        error.contains("line 3: commune 97104 would be in both ti-0101 and ti-0102"),
        "{error}"
    );
}

#[test]
fn a_missing_column_is_reported_with_the_header_found() {
    let dir = copy_of_reference();
    replace_in(dir.path(), "regions.csv", "code,nom", "cod,nom");
    let error = ReferenceData::load(dir.path()).unwrap_err().to_string();
    assert!(
        error.contains("regions.csv: no column named code in the header"),
        "{error}"
    );
}
