//! The backbone's schema, merged into each service's migrator so every service applies the one
//! migration file in `crates/vte-events/migrations` without a copy of it.

use sqlx::migrate::{Migration, Migrator};

/// The backbone's own migrations (versions below [`FIRST_SERVICE_VERSION`]).
pub static BACKBONE: Migrator = sqlx::migrate!("./migrations");

/// A service's own migrations are numbered from here.
pub const FIRST_SERVICE_VERSION: i64 = 1000;

/// The backbone's migrations followed by the service's own.
///
/// # Panics
/// When a service migration is numbered below [`FIRST_SERVICE_VERSION`]: a programming error
/// that every service's start-up test catches.
pub fn with_service(service: &Migrator) -> Migrator {
    let mut migrations: Vec<Migration> = BACKBONE.iter().cloned().collect();
    for migration in service.iter() {
        assert!(
            migration.version >= FIRST_SERVICE_VERSION,
            "service migration {} ({}) must be numbered from {FIRST_SERVICE_VERSION}: lower \
             versions belong to the event backbone",
            migration.version,
            migration.description
        );
        migrations.push(migration.clone());
    }
    Migrator::with_migrations(migrations)
}
