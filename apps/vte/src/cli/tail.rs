//! `vte notifications`: a recipient's in-app notifications, newest first as the API lists them;
//! with `--follow`, new ones below as they arrive (oldest of each batch first, like a log).

use std::collections::HashSet;
use std::time::Duration;

use vte_proto::vte::common::v1::PageRequest;
use vte_proto::vte::notifications::v1::notifications_service_client::NotificationsServiceClient;
use vte_proto::vte::notifications::v1::{ListNotificationsRequest, Notification};

use super::refusal;

async fn page(
    client: &mut NotificationsServiceClient<super::Authed>,
    unread_only: bool,
) -> anyhow::Result<Vec<Notification>> {
    Ok(client
        .list_notifications(ListNotificationsRequest {
            recipient: None,
            unread_only,
            page: Some(PageRequest {
                page_size: 50,
                page_token: String::new(),
            }),
        })
        .await
        .map_err(refusal)?
        .into_inner()
        .notifications)
}

fn print(notification: &Notification) {
    let at = notification
        .created_at
        .as_ref()
        .and_then(|at| chrono::DateTime::from_timestamp(at.seconds, 0))
        .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let unread = if notification.read_at.is_none() {
        "•"
    } else {
        " "
    };
    println!("{unread} {at}  {}", notification.title);
    for line in notification
        .body
        .lines()
        .filter(|line| !line.trim().is_empty())
    {
        println!("      {line}");
    }
    if !notification.link.is_empty() {
        println!("      {}", notification.link);
    }
}

/// Prints the caller's latest notifications, newest first, then new ones every two seconds
/// when `follow`.
pub async fn run(
    client: &mut NotificationsServiceClient<super::Authed>,
    unread_only: bool,
    follow: bool,
) -> anyhow::Result<()> {
    let mut seen = HashSet::new();
    let first = page(client, unread_only).await?;
    for notification in &first {
        seen.insert(notification.id.clone());
        print(notification);
    }
    if first.is_empty() {
        println!("no notifications yet");
    }
    if !follow {
        return Ok(());
    }
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
        let mut latest = page(client, unread_only).await?;
        latest.reverse();
        for notification in latest {
            if seen.insert(notification.id.clone()) {
                print(&notification);
            }
        }
    }
}
