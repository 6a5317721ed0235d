//! Builds the notifications service from its settings (and, for tests, the contact directory
//! it asks) and runs it until shutdown: the shared host (database, auth, health, relay, erasure
//! confirmations) plus the notifications API, the consumer of the five topics it listens to,
//! the delivery worker and the reminder sweep.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use vte_proto::EventEnvelope;
use vte_proto::vte::applications::v1::ApplicationEvent;
use vte_proto::vte::candidates::v1::CandidateEvent;
use vte_proto::vte::common::v1::PlatformService;
use vte_proto::vte::invitations::v1::InvitationEvent;
use vte_proto::vte::matching::v1::MatchingEvent;
use vte_proto::vte::notifications::v1::notifications_service_server::NotificationsServiceServer;
use vte_proto::vte::offers::v1::OfferEvent;
use vte_proto::vte::placements::v1::PlacementEvent;
use vte_service::contacts::ContactDirectory;
use vte_service::{
    Pieces, RunError, Service, ServiceDefaults, ServiceHost, Settings, Shared, StartError,
};

use crate::channels::contacts::Contacts;
use crate::channels::email::Mailer;
use crate::channels::webhook::WebhookSender;
use crate::config::NotificationsSettings;
use crate::consumer::{EventsHandler, OfferAlerts};
use crate::domain::Backoff;
use crate::grpc::NotificationsApi;
use crate::reminders;
use crate::usecases::Notifications;
use crate::worker::Deliverer;

/// The service's database schema, applied at start-up.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The host's optional pieces the service mounts: it keeps candidates' data, so it confirms
/// to the candidates service each erasure it applies.
fn pieces() -> Pieces {
    Pieces::confirming_erasures(PlatformService::Notifications)
}

/// Every migration the service's database gets (the backbone's, its pieces', its own), for
/// tools and tests that prepare a database without starting the service.
pub fn migrations() -> Migrator {
    vte_service::host::migrations(&MIGRATOR, &pieces())
}

/// The notifications service, built and ready to run.
#[derive(Debug)]
pub struct Application {
    host: ServiceHost,
}

impl Application {
    /// Builds the service from the shared settings and its own (`notifications` section); it
    /// looks candidates' contact data up in the candidates service.
    pub async fn build_with(
        settings: Settings,
        own: NotificationsSettings,
    ) -> Result<Self, StartError> {
        let shared = Shared::load(&settings)?;
        Self::build_from(settings, own, shared).await
    }

    /// Builds the service as [`Application::build_with`] does, looking candidates' contact
    /// data up in `contacts` instead (a service's tests give their own).
    pub async fn build_with_contacts(
        settings: Settings,
        own: NotificationsSettings,
        contacts: Arc<dyn ContactDirectory>,
    ) -> Result<Self, StartError> {
        let shared = Shared::load(&settings)?.with_contacts(contacts);
        Self::build_from(settings, own, shared).await
    }

    /// Where `/metrics` is served.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.host.metrics_addr()
    }
}

impl Service for Application {
    const DEFAULTS: ServiceDefaults = ServiceDefaults {
        name: "notifications",
        grpc_port: 50054,
        metrics_port: 9454,
    };
    const READS: &'static [&'static str] = &[
        MatchingEvent::TOPIC,
        ApplicationEvent::TOPIC,
        PlacementEvent::TOPIC,
        OfferEvent::TOPIC,
        CandidateEvent::TOPIC,
        InvitationEvent::TOPIC,
    ];
    type Own = NotificationsSettings;

    async fn assemble(
        settings: Settings,
        own: NotificationsSettings,
        shared: Shared,
    ) -> Result<Self, StartError> {
        let setting = |setting: &'static str| {
            move |error: &dyn std::fmt::Display| StartError::Setting {
                setting,
                message: error.to_string(),
            }
        };
        let mailer = Mailer::new(&own.smtp).map_err(|e| setting("notifications.smtp")(&e))?;
        let webhooks = WebhookSender::from_settings(&own.webhooks)
            .map_err(|e| setting("notifications.webhooks")(&e))?;
        let mut host = ServiceHost::build_with(settings, &MIGRATOR, pieces()).await?;
        let contacts = shared.contacts(&host.peers);
        let notifications = Notifications::new(host.pool.clone(), own.webhooks.clone());
        let interceptor = host.auth.interceptor();
        host.grpc()
            .add_service(NotificationsServiceServer::with_interceptor(
                NotificationsApi::new(notifications),
                interceptor,
            ));
        let offer_alerts = OfferAlerts::register(host.metrics.registry(), own.offer_alerts)
            .map_err(|e| setting("notifications.offer_alerts")(&e))?;
        let handler = EventsHandler {
            remind_after_days: own.reminders.unanswered_after_days,
            digest: own.digest,
            offer_alerts,
        };
        let consumer = host
            .consumer()
            .on::<MatchingEvent, _>(handler.clone())
            .on_batches::<ApplicationEvent, _>(handler.clone())
            .on_batches::<PlacementEvent, _>(handler.clone())
            .on_batches::<OfferEvent, _>(handler.clone())
            .on_batches::<CandidateEvent, _>(handler.clone())
            .on_batches::<InvitationEvent, _>(handler);
        host.consume(consumer);
        let backoff = Backoff {
            first_delay: Duration::from_millis(own.retry.first_delay_ms),
            max_delay: Duration::from_millis(own.retry.max_delay_ms),
            max_attempts: own.retry.max_attempts.max(1),
        };
        let deliverer = Deliverer::new(
            host.pool.clone(),
            mailer,
            webhooks,
            Contacts::from(contacts),
            backoff,
            own.site_url.clone(),
            own.worker.clone(),
        );
        host.spawn("delivery worker", move |stop| async move {
            deliverer.run(stop).await;
            Ok(())
        });
        let pool = host.pool.clone();
        let reminders = own.reminders.clone();
        let digest = own.digest;
        host.spawn("reminder sweep", move |stop| async move {
            reminders::run(pool, reminders, digest, stop).await;
            Ok(())
        });
        Ok(Self { host })
    }

    fn grpc_addr(&self) -> SocketAddr {
        self.host.grpc_addr()
    }

    async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), RunError> {
        self.host.run(shutdown).await
    }
}
