//! The backup check Lambda: `service::alerts::check_backups` behind lambda_runtime, run hourly by a schedule; an org
//! with no complete snapshot within its schedule plus grace gets an alert on the SNS topic (see
//! `oktavault_shared::lambda::serve_check_backups`).

#[tokio::main]
async fn main() -> Result<(), oktavault_shared::lambda::Error> {
    oktavault_shared::lambda::serve_check_backups().await
}
