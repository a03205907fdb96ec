//! The capture Lambda: EventBridge events from Okta log streams in, pending changes and a scheduled capture out
//! (see `oktavault_shared::capture`).

#[tokio::main]
async fn main() -> Result<(), oktavault_shared::lambda::Error> {
    oktavault_shared::capture::lambda::serve().await
}
