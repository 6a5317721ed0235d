//! Browsing published offers over 100,000 offers spread over real communes: two filters and a
//! 50 km radius around a commune, newest first, 20 per page; beside it, as the baseline of the
//! same run, the plain newest-first page with no filter.
//!
//! `cargo bench -p vte-offers --bench browse` (options: `--offers N`, `--queries Q`).

#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Published, insert, migrate, reference};
use vte_domain::{ContractKind, EducationLevel, MissionType};
use vte_offers::store::search::{OfferSearch, search};
use vte_testbed::bench::{arg, ms, percentile};
use vte_testbed::{Rng, TestDatabase};

/// p50, p99 and max in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |p: f64| ms(percentile(&samples, p));
    (at(0.5), at(0.99), at(1.0))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let offers = arg("--offers", 100_000);
    let queries = arg("--queries", 1_000);
    let database = TestDatabase::create().await;
    let pool = database.pool().await;
    migrate(&pool).await;

    let reference = reference();
    // Communes of metropolitan France with a centre; their codes outlive the reference Arc.
    let communes: Vec<&'static str> = reference
        .communes()
        .iter()
        .filter(|c| c.centre().is_some() && !c.insee().is_overseas())
        .map(|c| &*Box::leak(c.insee().as_str().to_owned().into_boxed_str()))
        .collect();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let now = Utc::now();
    let started = Instant::now();
    for chunk in (0..offers).collect::<Vec<_>>().chunks(10_000) {
        let batch: Vec<Published> = chunk
            .iter()
            .map(|&i| {
                let low = EducationLevel::ALL[rng.below(4)];
                let high = EducationLevel::ALL[rng.below(4)].max(low);
                Published {
                    mission: MissionType::ALL[rng.below(8)],
                    secondary: (rng.below(3) == 0).then(|| MissionType::ALL[rng.below(8)]),
                    kind: ContractKind::ALL[rng.below(3)],
                    levels: (low, high),
                    // One in ten offers is no longer published (filled, closed, expired).
                    status: if rng.below(10) == 0 {
                        "CLOSED"
                    } else {
                        "PUBLISHED"
                    },
                    ..Published::at(
                        communes[rng.below(communes.len())],
                        now - chrono::Duration::seconds(i as i64 * 60),
                    )
                }
            })
            .collect();
        insert(&pool, &batch).await;
    }
    sqlx::query("ANALYZE offers").execute(&pool).await.unwrap();
    println!(
        "browse benchmark: {offers} offers over {} communes loaded in {:.1} s; {queries} queries each\n",
        communes.len(),
        started.elapsed().as_secs_f64()
    );

    let mut baseline = Vec::with_capacity(queries);
    let mut filtered = Vec::with_capacity(queries);
    let mut found = 0usize;
    for _ in 0..queries {
        let plain = OfferSearch {
            page_size: 20,
            ..OfferSearch::default()
        };
        let started = Instant::now();
        search(&pool, &plain).await.unwrap();
        baseline.push(started.elapsed());

        let centre = reference
            .commune(&vte_domain::InseeCode::parse(communes[rng.below(communes.len())]).unwrap())
            .unwrap()
            .centre()
            .unwrap();
        let two_filters_and_radius = OfferSearch {
            mission_types: vec![MissionType::ALL[rng.below(8)]],
            contract_kinds: vec![ContractKind::ALL[rng.below(3)]],
            near: Some((centre, 50.0)),
            page_size: 20,
            ..OfferSearch::default()
        };
        let started = Instant::now();
        found += search(&pool, &two_filters_and_radius)
            .await
            .unwrap()
            .found
            .len();
        filtered.push(started.elapsed());
    }
    let (b50, b99, bmax) = percentiles(baseline);
    let (f50, f99, fmax) = percentiles(filtered);
    println!(
        "{:<52} p50={b50:>7.2} ms  p99={b99:>7.2} ms  max={bmax:>7.2} ms",
        "baseline: newest 20 published, no filter"
    );
    println!(
        "{:<52} p50={f50:>7.2} ms  p99={f99:>7.2} ms  max={fmax:>7.2} ms",
        "mission + contract + 50 km, nearest first, 20/page"
    );
    println!(
        "{:<52} p50 x{:.2}  p99 x{:.2}",
        "filtered / baseline",
        f50 / b50,
        f99 / b99
    );
    println!(
        "{:<52} {:.1}",
        "offers per filtered page (mean)",
        found as f64 / queries as f64
    );
}
