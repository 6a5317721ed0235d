//! Top-20 RankCandidates over 10,000, 100,000 and 1,000,000 synthetic candidates spread over
//! the real communes of metropolitan France: the in-memory index (one thread, the calling one)
//! against, in the same run and on the same rows, the same ranking written as one SQL query
//! over the read model's `candidate_profiles` table (the alternative a team would write first),
//! PostgreSQL restricted to one core too (no parallel workers). Reports p50 and p99 of each,
//! the ratio, and how far the two rankings agree.
//!
//! `cargo bench -p vte-matching --bench rank` (options: `--max N`, `--queries Q`).

#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../tests/common/synthetic.rs"]
mod synthetic;

use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use synthetic::{Rng, candidate, communes, offer};
use vte_matching::domain::{CandidateModel, OfferModel, Rules, mission_index, verdict};
use vte_matching::index::{CandidateFilter, Index};
use vte_matching::store;
use vte_reference::ReferenceData;
use vte_testbed::TestDatabase;
use vte_testbed::bench::{arg, ms, percentile};

/// p50 and p99 in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    (
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99)),
    )
}

/// The ranking of the index as one SQL statement: the same filters (the scheme's rules on the
/// candidate's situation included: status at the start, graduate recency), the same seven
/// components with the same per-offer weights, the same order (score, then id).
const RANK_SQL: &str = "
WITH scored AS (
  SELECT
    2 * 6371.0088 * asin(least(1, sqrt(
        sin(radians(p.home_lat - $1) / 2) ^ 2
      + cos(radians($1)) * cos(radians(p.home_lat)) * sin(radians(p.home_lon - $2) / 2) ^ 2))) AS km,
    p.*
  FROM candidate_profiles p
  WHERE $3::smallint = ANY (p.contract_kinds)
    AND p.level BETWEEN $4 AND $5
    AND p.available_from - $6::date <= $7
    AND $28
    AND ( ((p.academic_status = 2 OR (p.academic_status = 1 AND p.graduation_date <= $6::date))
           AND p.graduation_date >= $26::date)
       OR (p.academic_status = 1 AND (p.graduation_date IS NULL OR p.graduation_date > $6::date)
           AND $27) )
)
SELECT candidate_id,
  ( $8  * greatest(mission_weights[$16] / 100.0, $18 * coalesce(mission_weights[$17], 0) / 100.0)
  + $9  * CASE WHEN cardinality($19::text[]) = 0 THEN 0 ELSE least(1.0,
            (SELECT count(*) FROM unnest(skills) s WHERE lower(s) = ANY ($19))::float8
            / cardinality($19::text[])) END
  + $10 * CASE WHEN cardinality($20::text[]) = 0 OR lower(field_of_study) = ANY ($20) THEN 1.0
               WHEN EXISTS (SELECT 1 FROM unnest(string_to_array(lower(field_of_study), ' ')) w
                            WHERE length(w) >= 4 AND w = ANY ($21)) THEN 0.6
               ELSE 0 END
  + $11 * 1.0 / (1 + (km / greatest(mobility_radius_km, 10)) ^ 2)
  + $12 * ($22 + CASE WHEN cardinality(preferred_regions) = 0 THEN 0.2
                      WHEN $23 = ANY (preferred_regions) THEN 0.4 ELSE 0 END)
  + $13 * CASE WHEN $24::text IS NULL THEN 1.0 ELSE least(1.0, coalesce(
            (SELECT l.level FROM unnest(language_codes, language_levels) AS l(code, level)
             WHERE l.code = $24), 0)::float8 / $25) END
  + $14 * CASE WHEN available_from - $6::date <= 0 THEN 1.0
               ELSE greatest(0, 1 - (available_from - $6::date)::float8 / ($7 + 1)) END
  ) AS score
FROM scored
WHERE open_to_relocation OR km <= mobility_radius_km
ORDER BY score DESC, candidate_id
LIMIT $15";

const STOP_WORDS: [&str; 12] = [
    "de",
    "des",
    "du",
    "la",
    "le",
    "les",
    "et",
    "en",
    "aux",
    "pour",
    "management",
    "sciences",
];

async fn rank_sql(
    pool: &PgPool,
    offer: &OfferModel,
    rules: &Rules,
    reference: &ReferenceData,
) -> Vec<(uuid::Uuid, f64)> {
    let centre = reference
        .commune(&offer.place.insee)
        .unwrap()
        .centre()
        .unwrap();
    let w = rules.weights_for(offer);
    let fields: Vec<String> = offer.fields.iter().map(|f| f.text.to_lowercase()).collect();
    let words: Vec<String> = fields
        .iter()
        .flat_map(|f| f.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .filter(|w| w.chars().count() >= 4 && !STOP_WORDS.contains(&w.as_str()))
        .collect();
    let language = offer.languages.first();
    sqlx::query_as(RANK_SQL)
        .bind(centre.lat)
        .bind(centre.lon)
        .bind(i16::try_from(vte_matching::domain::contract_index(offer.contract) + 1).unwrap())
        .bind(i16::from(offer.scheme.levels.0))
        .bind(i16::from(offer.scheme.levels.1))
        .bind(offer.start_date)
        .bind(rules.availability_tolerance_days as i32)
        .bind(f64::from(w[0]))
        .bind(f64::from(w[1]))
        .bind(f64::from(w[2]))
        .bind(f64::from(w[3]))
        .bind(f64::from(w[4]))
        .bind(f64::from(w[5]))
        .bind(f64::from(w[6]))
        .bind(20i64)
        .bind(mission_index(offer.primary) as i32 + 1)
        .bind(offer.secondary.map(|s| mission_index(s) as i32 + 1))
        .bind(f64::from(rules.secondary_mission_share))
        .bind(
            offer
                .skills
                .iter()
                .map(|s| s.text.to_lowercase())
                .collect::<Vec<_>>(),
        )
        .bind(&fields)
        .bind(&words)
        .bind(if offer.territory().is_some() {
            0.6f64
        } else {
            0.0
        })
        .bind(&offer.place.region_code)
        .bind(language.map(|l| l.code.as_str().to_owned()))
        .bind(language.map_or(1.0, |l| f64::from(l.level)))
        .bind(offer.scheme.graduated_since)
        .bind(offer.contract == vte_domain::ContractKind::WorkStudy)
        .bind(offer.scheme.offer_admitted())
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let max = arg("--max", 1_000_000);
    let queries = arg("--queries", 300);
    let reference = ReferenceData::load(&vte_testbed::reference_dir()).unwrap();
    let book = vte_rules::RuleBook::load(&vte_rules::repository_rules_dir()).unwrap();
    let communes = communes(&reference);
    let database = TestDatabase::create().await;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("SET max_parallel_workers_per_gather = 0")
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .connect(&database.url())
        .await
        .unwrap();
    vte_matching::migrations().run(&pool).await.unwrap();
    let rules = Rules::default();
    let mut rng = Rng(0x005e_ed0f_ca11_ab1e);
    let mut index = Index::new(&reference);
    let mut loaded = 0usize;
    println!(
        "RankCandidates top-20: in-memory index (1 thread) vs one SQL query (PostgreSQL, no parallel workers)\n"
    );
    println!(
        "{:>9}  {:>10} {:>10}  {:>10} {:>10}  {:>8}  {:>8}  {:>9}",
        "candidates",
        "index p50",
        "index p99",
        "SQL p50",
        "SQL p99",
        "p50 x",
        "eligible",
        "same top"
    );
    for size in [10_000usize, 100_000, 1_000_000] {
        if size > max {
            break;
        }
        let started = Instant::now();
        while loaded < size {
            let batch: Vec<CandidateModel> = (loaded..(loaded + 20_000).min(size))
                .map(|_| candidate(&mut rng, &reference, &communes))
                .collect();
            store::insert_profiles(&pool, &batch, 1).await.unwrap();
            for c in batch {
                index.upsert_candidate(c);
            }
            loaded = size.min(loaded + 20_000);
        }
        sqlx::query("ANALYZE candidate_profiles")
            .execute(&pool)
            .await
            .unwrap();
        let load_secs = started.elapsed().as_secs_f64();

        let mut offer_rng = Rng(0x0ff3_75ee_d000_0001);
        let offers: Vec<OfferModel> = (0..queries)
            .map(|_| offer(&mut offer_rng, &reference, &book, &communes))
            .collect();
        let mut index_times = Vec::with_capacity(queries);
        let mut eligible = 0u64;
        for offer in &offers {
            let started = Instant::now();
            let ranking = index.rank_candidates(offer, &rules, &CandidateFilter::default(), 20);
            index_times.push(started.elapsed());
            eligible += u64::from(ranking.eligible);
        }
        let sql_queries = match size {
            10_000 => 40,
            100_000 => 15,
            _ => 6,
        }
        .min(queries);
        let mut sql_times = Vec::with_capacity(sql_queries);
        let (mut same, mut compared, mut max_delta) = (0usize, 0usize, 0f64);
        for offer in offers.iter().take(sql_queries) {
            let started = Instant::now();
            let rows = rank_sql(&pool, offer, &rules, &reference).await;
            sql_times.push(started.elapsed());
            let ranking = index.rank_candidates(offer, &rules, &CandidateFilter::default(), 20);
            compared += 1;
            let ids: Vec<uuid::Uuid> = ranking.hits.iter().map(|(c, _)| c.id.as_uuid()).collect();
            let sql_ids: Vec<uuid::Uuid> = rows.iter().map(|(id, _)| *id).collect();
            if ids == sql_ids {
                same += 1;
            }
            for ((_, a), (_, b)) in ranking.hits.iter().zip(&rows) {
                max_delta = max_delta.max((f64::from(*a) - b).abs());
            }
        }
        // What the use case adds to a ranking: the verdict (`vte_rules::judge`) of each of
        // the top 20, for its eligibility and aids; and what judging every pair instead of
        // the index's gate would cost, at the same price per pair.
        let mut verdict_times = Vec::with_capacity(queries);
        let mut judged = 0u32;
        for offer in &offers {
            let ranking = index.rank_candidates(offer, &rules, &CandidateFilter::default(), 20);
            let started = Instant::now();
            for (candidate, _) in &ranking.hits {
                let verdict = verdict(&book, offer, candidate, rules.availability_tolerance_days);
                judged += u32::from(verdict.admissible());
            }
            verdict_times.push(started.elapsed());
        }
        let per_pair_us =
            verdict_times.iter().sum::<Duration>().as_secs_f64() * 1e6 / f64::from(judged.max(1));
        let (v50, _) = percentiles(verdict_times);
        let (i50, i99) = percentiles(index_times);
        let (s50, s99) = percentiles(sql_times);
        println!(
            "{size:>9}  {i50:>8.3}ms {i99:>8.3}ms  {s50:>8.1}ms {s99:>8.1}ms  {:>7.0}x  {:>8}  {same:>4}/{compared:<4}",
            s50 / i50,
            eligible / queries as u64,
        );
        println!(
            "           (loaded in {load_secs:.1} s; {queries} index queries, {sql_queries} SQL queries; largest score difference between the two rankings {max_delta:.1e})"
        );
        println!(
            "           (verdicts of the top 20: {v50:.3} ms p50, {per_pair_us:.1} us a pair; judging all {} pairs the scan keeps would take about {:.0} ms a query)",
            eligible / queries as u64,
            per_pair_us * (eligible / queries as u64) as f64 / 1e3
        );
    }
}
