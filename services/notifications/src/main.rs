//! The notifications service as its own process (one container per service in production).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    vte_service::run_main::<vte_notifications::Application>().await
}
