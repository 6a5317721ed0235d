//! The service's pool bounds what a call can hold: a statement runs at most
//! `statement_timeout`, a transaction left idle loses its connection, a call that finds no free
//! connection is answered `UNAVAILABLE`, and migrations alone run without the statement limit.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use sqlx::migrate::Migrator;
use tonic::Code;
use vte_service::database;
use vte_service::settings::DatabaseSettings;
use vte_testbed::TestDatabase;

fn settings(database: &TestDatabase, max_connections: u32) -> DatabaseSettings {
    serde_json::from_value(serde_json::json!({
        "url": database.url(),
        "max_connections": max_connections,
        "acquire_timeout_secs": 1,
        "statement_timeout_secs": 1,
        "idle_in_transaction_timeout_secs": 1,
    }))
    .unwrap()
}

fn sqlstate(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|db| db.code().map(|code| code.into_owned()))
}

#[tokio::test]
async fn a_statement_longer_than_the_statement_timeout_is_cancelled() {
    let db = TestDatabase::create().await;
    let pool = database::connect(&settings(&db, 2)).await.unwrap();
    let timeout: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(timeout, "1s");
    let started = Instant::now();
    let cancelled = sqlx::query("SELECT pg_sleep(5)")
        .execute(&pool)
        .await
        .unwrap_err();
    // 57014: query_canceled.
    assert_eq!(
        sqlstate(&cancelled).as_deref(),
        Some("57014"),
        "{cancelled}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // Answered as a busy service (retry shortly), not as an internal failure.
    assert!(database::is_unavailable(&cancelled));
}

#[tokio::test]
async fn a_transaction_left_idle_loses_its_connection() {
    let db = TestDatabase::create().await;
    let pool = database::connect(&settings(&db, 2)).await.unwrap();
    let mut transaction = pool.begin().await.unwrap();
    sqlx::query("SELECT 1")
        .execute(&mut *transaction)
        .await
        .unwrap();
    // Idle in the transaction for longer than the 1 s the settings allow.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let ended = sqlx::query("SELECT 1").execute(&mut *transaction).await;
    assert!(ended.is_err(), "the idle transaction was kept open");
    // The pool replaces the lost connection.
    drop(transaction);
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(one, 1);
}

#[tokio::test]
async fn a_call_that_finds_no_free_connection_is_answered_unavailable() {
    let db = TestDatabase::create().await;
    let pool = database::connect(&settings(&db, 1)).await.unwrap();
    let _held = pool.acquire().await.unwrap();
    let started = Instant::now();
    let exhausted = sqlx::query("SELECT 1").execute(&pool).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(exhausted, sqlx::Error::PoolTimedOut),
        "{exhausted}"
    );
    assert!(database::is_unavailable(&exhausted));
    let status = database::unavailable(&exhausted);
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(
        status.message(),
        "the service is busy or restarting: retry shortly"
    );
}

#[tokio::test]
async fn migrations_run_without_the_statement_timeout_and_calls_keep_it() {
    let db = TestDatabase::create().await;
    let pool = database::connect(&settings(&db, 2)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("1_slow.sql"),
        "SELECT pg_sleep(1.5);\nCREATE TABLE slow_migration (id int);\n",
    )
    .unwrap();
    let migrator = Migrator::new(dir.path()).await.unwrap();
    database::migrate(&pool, &migrator).await.unwrap();
    let created: bool = sqlx::query_scalar("SELECT to_regclass('slow_migration') IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(created);
    for _ in 0..2 {
        let timeout: String = sqlx::query_scalar("SHOW statement_timeout")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(timeout, "1s");
    }
}
