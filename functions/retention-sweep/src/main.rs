//! The retention sweep Lambda: `service::retention::sweep_all` behind lambda_runtime, within a time budget under
//! the invocation's deadline (see `oktavault_shared::lambda::serve_retention_sweep`).

#[tokio::main]
async fn main() -> Result<(), oktavault_shared::lambda::Error> {
    oktavault_shared::lambda::serve_retention_sweep().await
}
