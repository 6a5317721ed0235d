//! The test bed's PostgreSQL: a private cluster, a fresh database per test.

#![allow(clippy::unwrap_used)]

use vte_testbed::TestDatabase;

#[tokio::test]
async fn a_test_database_is_created_empty_and_dropped_afterwards() {
    let database = TestDatabase::create().await;
    let name = database.name().to_owned();
    let pool = database.pool().await;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 0);
    assert!(TestDatabase::exists(&name).await);

    drop(database);
    assert!(!TestDatabase::exists(&name).await);
}

#[tokio::test]
async fn two_tests_never_share_a_database() {
    let first = TestDatabase::create().await;
    let second = TestDatabase::create().await;
    assert_ne!(first.name(), second.name());

    sqlx::query("CREATE TABLE only_in_first (id int)")
        .execute(&first.pool().await)
        .await
        .unwrap();
    let seen_in_second: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = 'only_in_first')",
    )
    .fetch_one(&second.pool().await)
    .await
    .unwrap();
    assert!(!seen_in_second);
}

#[tokio::test]
async fn the_server_is_a_real_postgresql_on_loopback() {
    let database = TestDatabase::create().await;
    assert!(database.url().contains("127.0.0.1") || std::env::var("VTE_TEST_DATABASE_URL").is_ok());
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&database.pool().await)
        .await
        .unwrap();
    assert!(!version.is_empty());
}
