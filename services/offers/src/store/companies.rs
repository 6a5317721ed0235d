//! The name each company (by SIREN) first gave on an offer, bound to its SIREN on first use: no
//! verified register of companies is reachable, so this is what stops a company's token from
//! posting offers under another company's name.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use vte_domain::Siren;

use super::error::StoreError;

/// Binds `name` to `siren` unless a name is bound already, and returns the name bound now (the
/// given one on first use, otherwise the one registered first). Run it in the transaction that
/// saves the offer: two first offers of one SIREN racing each other bind one name, and the
/// other one waits for it.
pub async fn bind_company_name(
    conn: &mut PgConnection,
    siren: &Siren,
    name: &str,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    sqlx::query(
        "INSERT INTO company_names (siren, name, registered_at) VALUES ($1, $2, $3)
         ON CONFLICT (siren) DO NOTHING",
    )
    .bind(siren.to_string())
    .bind(name)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let bound: String = sqlx::query_scalar("SELECT name FROM company_names WHERE siren = $1")
        .bind(siren.to_string())
        .fetch_one(conn)
        .await?;
    Ok(bound)
}
