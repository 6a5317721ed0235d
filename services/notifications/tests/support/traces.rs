//! Where the service's database still mentions something (a candidate id, an account subject, a
//! sentence): every table is read as text, its `bytea` columns as hex, so an id inside a stored
//! protobuf is found as surely as one in a text column.

use sqlx::PgPool;

/// Tables that keep a candidate's opaque id on purpose after their erasure: the record that
/// they were erased (so no late event notifies them) and, until the candidates service has it,
/// the confirmation to send.
pub const KEPT_ON_PURPOSE: &[&str] = &["erased_candidates", "erasure_confirmations"];

/// The tables (but [`KEPT_ON_PURPOSE`] and the migrations' own) with a row mentioning
/// `needle`, in text or in bytes.
pub async fn tables_mentioning(pool: &PgPool, needle: &str) -> Vec<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
           AND table_name <> '_sqlx_migrations'
         ORDER BY table_name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let hex = hex_of(needle);
    let mut mentioning = Vec::new();
    for table in tables {
        if KEPT_ON_PURPOSE.contains(&table.as_str()) {
            continue;
        }
        let found: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM \"{table}\" t
                 WHERE position(lower($1) IN lower(t::text)) > 0
                    OR position($2 IN t::text) > 0)"
        )))
        .bind(needle)
        .bind(&hex)
        .fetch_one(pool)
        .await
        .unwrap();
        if found {
            mentioning.push(table);
        }
    }
    mentioning
}

/// `text`'s UTF-8 bytes as PostgreSQL prints a `bytea` (lowercase hex).
fn hex_of(text: &str) -> String {
    text.bytes().map(|byte| format!("{byte:02x}")).collect()
}
