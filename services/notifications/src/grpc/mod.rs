//! `vte.notifications.v1.NotificationsService` over the use cases: each method reads the
//! caller's identity, decodes the request ([`requests`]), calls [`Notifications`] and encodes
//! the answer; a refusal becomes a status in [`status`], the one place that maps them.

mod requests;
mod status;

use tonic::{Request, Response, Status};
use vte_proto::vte::notifications::v1::notifications_service_server::NotificationsService;
use vte_proto::vte::notifications::v1::*;
use vte_service::auth::{Caller, identity};

use crate::mapping;
use crate::usecases::Notifications;

/// The notifications API: a gRPC face on [`Notifications`].
#[derive(Debug, Clone)]
pub struct NotificationsApi {
    notifications: Notifications,
}

impl NotificationsApi {
    pub fn new(notifications: Notifications) -> Self {
        Self { notifications }
    }
}

/// Who calls, as the auth interceptor established.
fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    Ok(identity(request)?.caller.clone())
}

/// Counts on the wire, saturated.
fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl NotificationsService for NotificationsApi {
    async fn list_notifications(
        &self,
        request: Request<ListNotificationsRequest>,
    ) -> Answer<ListNotificationsResponse> {
        let caller = caller(&request)?;
        let query = requests::inbox_query(request.get_ref())?;
        let filters = mapping::inbox_filters(query.recipient.as_ref(), query.unread_only);
        let inbox = self.notifications.inbox(&caller, query).await?;
        Ok(Response::new(ListNotificationsResponse {
            notifications: inbox
                .page
                .items
                .iter()
                .map(mapping::notification_to_proto)
                .collect(),
            unread_count: count(inbox.unread),
            page: mapping::page_response(inbox.page.next.as_ref(), filters),
        }))
    }

    async fn mark_read(&self, request: Request<MarkReadRequest>) -> Answer<MarkReadResponse> {
        let caller = caller(&request)?;
        let marked = requests::to_mark(request.get_ref())?;
        let marked = self.notifications.mark_read(&caller, marked).await?;
        Ok(Response::new(MarkReadResponse {
            marked: count(marked),
        }))
    }

    async fn get_preferences(
        &self,
        request: Request<GetPreferencesRequest>,
    ) -> Answer<GetPreferencesResponse> {
        let caller = caller(&request)?;
        let named = requests::recipient(request.get_ref().recipient.as_ref(), "recipient")?;
        let view = self.notifications.preferences(&caller, named).await?;
        Ok(Response::new(GetPreferencesResponse {
            preferences: view
                .preferences
                .iter()
                .map(mapping::preference_to_proto)
                .collect(),
            email_address: view.email_address.unwrap_or_default(),
        }))
    }

    async fn update_preferences(
        &self,
        request: Request<UpdatePreferencesRequest>,
    ) -> Answer<UpdatePreferencesResponse> {
        let caller = caller(&request)?;
        let change = requests::preferences_change(request.get_ref())?;
        let view = self
            .notifications
            .update_preferences(&caller, change)
            .await?;
        Ok(Response::new(UpdatePreferencesResponse {
            preferences: view
                .preferences
                .iter()
                .map(mapping::preference_to_proto)
                .collect(),
            email_address: view.email_address.unwrap_or_default(),
        }))
    }

    async fn register_webhook(
        &self,
        request: Request<RegisterWebhookRequest>,
    ) -> Answer<RegisterWebhookResponse> {
        let caller = caller(&request)?;
        let new = requests::new_webhook(request.get_ref())?;
        let registered = self.notifications.register_webhook(&caller, new).await?;
        Ok(Response::new(RegisterWebhookResponse {
            webhook: Some(mapping::webhook_to_proto(&registered.webhook)),
            secret: registered.secret,
        }))
    }

    async fn list_webhooks(
        &self,
        request: Request<ListWebhooksRequest>,
    ) -> Answer<ListWebhooksResponse> {
        let caller = caller(&request)?;
        let owner = requests::recipient(request.get_ref().owner.as_ref(), "owner")?;
        let webhooks = self.notifications.webhooks(&caller, owner).await?;
        Ok(Response::new(ListWebhooksResponse {
            webhooks: webhooks.iter().map(mapping::webhook_to_proto).collect(),
        }))
    }

    async fn delete_webhook(
        &self,
        request: Request<DeleteWebhookRequest>,
    ) -> Answer<DeleteWebhookResponse> {
        let caller = caller(&request)?;
        let id = requests::id(&request.get_ref().webhook_id, "webhook_id")?;
        self.notifications.delete_webhook(&caller, id).await?;
        Ok(Response::new(DeleteWebhookResponse {}))
    }

    async fn list_dead_letters(
        &self,
        request: Request<ListDeadLettersRequest>,
    ) -> Answer<ListDeadLettersResponse> {
        let caller = caller(&request)?;
        let query = requests::dead_letter_query(request.get_ref())?;
        let filters = mapping::dead_letter_filters(query.webhook);
        let listed = self.notifications.dead_letters(&caller, query).await?;
        Ok(Response::new(ListDeadLettersResponse {
            dead_letters: listed
                .items
                .iter()
                .map(mapping::delivery_to_proto)
                .collect(),
            page: mapping::page_response(listed.next.as_ref(), filters),
        }))
    }

    async fn redeliver_dead_letters(
        &self,
        request: Request<RedeliverDeadLettersRequest>,
    ) -> Answer<RedeliverDeadLettersResponse> {
        let caller = caller(&request)?;
        let redelivery = requests::redelivery(request.get_ref())?;
        let requeued = self
            .notifications
            .redeliver_dead_letters(&caller, redelivery)
            .await?;
        Ok(Response::new(RedeliverDeadLettersResponse {
            requeued: count(requeued),
        }))
    }
}
