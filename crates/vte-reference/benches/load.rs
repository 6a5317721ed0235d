//! Benchmarks of loading the reference data and of the lookups the matching service makes in
//! its inner loop. `raw_read` (just `std::fs::read` of every CSV file) is the baseline: report
//! `load` as a ratio to it. Run: `cargo bench -p vte-reference --bench load`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use vte_domain::{InseeCode, PostalCode};
use vte_reference::{Programme, ReferenceData};

fn csv_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the reference directory is readable")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "csv"))
        .collect();
    files.sort();
    files
}

fn loading(c: &mut Criterion) {
    let dir = ReferenceData::default_dir();
    let files = csv_files(&dir);
    c.bench_function("raw_read", |b| {
        b.iter(|| {
            for file in &files {
                black_box(std::fs::read(file).expect("a reference file is readable"));
            }
        })
    });
    c.bench_function("load", |b| {
        b.iter(|| black_box(ReferenceData::load(&dir).expect("the reference data loads")))
    });
}

fn lookups(c: &mut Criterion) {
    let data =
        ReferenceData::load(&ReferenceData::default_dir()).expect("the reference data loads");
    let code = |raw| InseeCode::parse(raw).expect("a valid INSEE code");
    let (figeac, toulouse, rennes) = (code("46102"), code("31555"), code("35238"));
    c.bench_function("commune", |b| b.iter(|| data.commune(black_box(&figeac))));
    c.bench_function("resolve", |b| b.iter(|| data.resolve(black_box("46102"))));
    c.bench_function("territory_of", |b| {
        b.iter(|| data.territory_of(black_box(&figeac), Programme::default()))
    });
    c.bench_function("distance_km", |b| {
        b.iter(|| data.distance_km(black_box(&toulouse), black_box(&rennes)))
    });
    let postal_code = PostalCode::parse("01400").expect("a valid postal code");
    c.bench_function("communes_for_postal_code", |b| {
        b.iter(|| data.communes_for_postal_code(black_box(&postal_code)))
    });
}

criterion_group!(benches, loading, lookups);
criterion_main!(benches);
