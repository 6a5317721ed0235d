//! What the service does, free of gRPC and Kafka: typed inputs and the caller in, domain results
//! or [`crate::Error`] out. The gRPC adapter, the consumer and the reminder sweep all call here:
//! - [`inbox`]: the in-app list and marking read ([`Notifications`]), and [`inbox::notify`],
//!   by which every fact the consumer hears and every reminder becomes notifications;
//! - [`preferences`]: kinds on or off, their cadence, a registered email address;
//! - [`webhooks`]: registering, listing and deleting endpoints; their dead letters, sent again;
//! - [`reminders`]: the sweep's three reminders; [`erasure`]: forgetting an erased candidate.

pub mod erasure;
pub mod inbox;
pub mod preferences;
pub mod reminders;
pub mod webhooks;

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::PgPool;

use crate::config::WebhookSettings;

/// The use cases a caller asks for, over the service's database.
#[derive(Debug, Clone)]
pub struct Notifications {
    pool: PgPool,
    webhooks: WebhookSettings,
}

impl Notifications {
    /// The use cases on `pool`; webhook URLs are checked as `webhooks` says.
    pub fn new(pool: PgPool, webhooks: WebhookSettings) -> Self {
        Self { pool, webhooks }
    }
}

/// Now, to the microsecond PostgreSQL keeps.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
