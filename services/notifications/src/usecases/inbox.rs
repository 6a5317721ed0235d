//! The in-app list: a recipient reads their notifications, newest first, and marks them read.
//! [`notify`] is how notifications come in: every fact the consumer hears and every reminder of
//! the sweep goes through it.

use sqlx::PgConnection;
use uuid::Uuid;
use vte_service::auth::Caller;
use vte_wire::page::{Page, PageRequest};

use super::{Notifications, now};
use crate::domain::{Draft, Recipient};
use crate::store::notifications::{self, Created, FanOut, StoredNotification};
use crate::{Error, access};

/// Which in-app notifications to read.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxQuery {
    /// Whose: the caller's own when `None` (operators must name one).
    pub recipient: Option<Recipient>,
    pub unread_only: bool,
    pub page: PageRequest,
}

/// A page of a recipient's in-app notifications, and how many are unread in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbox {
    pub page: Page<StoredNotification>,
    pub unread: i64,
}

/// Which of the caller's notifications to mark read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToMark {
    All,
    /// These ids, every one the caller's, or none is marked.
    Only(Vec<Uuid>),
}

impl Notifications {
    /// A page of the in-app notifications of the recipient `query` names.
    pub async fn inbox(&self, caller: &Caller, query: InboxQuery) -> Result<Inbox, Error> {
        let recipient = access::whose(caller, query.recipient, "recipient")?;
        let page =
            notifications::list(&self.pool, &recipient, query.unread_only, query.page).await?;
        let unread = notifications::unread_count(&self.pool, &recipient).await?;
        Ok(Inbox { page, unread })
    }

    /// Marks the caller's own notifications read; returns how many were unread.
    pub async fn mark_read(&self, caller: &Caller, marked: ToMark) -> Result<u64, Error> {
        let recipient = access::caller_recipient(caller)?;
        let now = now();
        let mut connection = self.pool.acquire().await?;
        match marked {
            ToMark::All => {
                Ok(notifications::mark_all_read(&mut connection, &recipient, now).await?)
            }
            ToMark::Only(ids) => notifications::mark_read(&mut connection, &recipient, &ids, now)
                .await?
                .map_err(Error::NotificationNotFound),
        }
    }
}

/// Turns `drafts`, all from the fact (or reminder) `source_id`, into notifications and their
/// deliveries as each recipient's preferences and webhooks say, in the caller's transaction;
/// the same fact told twice creates nothing more.
pub async fn notify(
    connection: &mut PgConnection,
    source_id: Uuid,
    drafts: &[Draft],
    clock: FanOut,
) -> Result<Created, Error> {
    let created = notifications::fan_out(connection, source_id, drafts, clock).await?;
    tracing::debug!(
        source_id = %source_id,
        notifications = created.notifications,
        deliveries = created.deliveries,
        "fact fanned out"
    );
    Ok(created)
}
