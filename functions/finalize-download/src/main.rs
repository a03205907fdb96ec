//! The FinalizeDownload Lambda: the library step behind lambda_runtime (see `oktavault_shared::lambda`).

#[tokio::main]
async fn main() -> Result<(), oktavault_shared::lambda::Error> {
    oktavault_shared::lambda::serve("FinalizeDownload").await
}
