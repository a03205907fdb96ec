//! The catalog table's definition, for tests and local setups (the deployment template
//! declares the same table: keep them in step).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};

use super::schema::{GSI1, GSI1PK, GSI1SK, PK, SK};
use crate::aws::errors::Failure;
use crate::ports::CatalogError;

/// The catalog table: on-demand capacity, string keys `PK`/`SK`, and the index `GSI1`
/// (`GSI1PK`/`GSI1SK`, all attributes projected, so listings need no second read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub table_name: String,
}

impl TableSpec {
    pub fn new(table_name: impl Into<String>) -> Self {
        Self {
            table_name: table_name.into(),
        }
    }

    /// Creates the table and waits until it is ACTIVE.
    pub async fn create_table(&self, client: &aws_sdk_dynamodb::Client) -> Result<(), CatalogError> {
        let string_attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute name and type are set")
        };
        let key = |name: &str, key_type: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .expect("attribute name and key type are set")
        };
        let gsi1 = GlobalSecondaryIndex::builder()
            .index_name(GSI1)
            .key_schema(key(GSI1PK, KeyType::Hash))
            .key_schema(key(GSI1SK, KeyType::Range))
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .expect("index name and key schema are set");
        client
            .create_table()
            .table_name(&self.table_name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(string_attribute(PK))
            .attribute_definitions(string_attribute(SK))
            .attribute_definitions(string_attribute(GSI1PK))
            .attribute_definitions(string_attribute(GSI1SK))
            .key_schema(key(PK, KeyType::Hash))
            .key_schema(key(SK, KeyType::Range))
            .global_secondary_indexes(gsi1)
            .send()
            .await
            .map_err(|err| self.failed("create", Failure::from_sdk(&err)))?;
        self.wait_until_active(client).await
    }

    async fn wait_until_active(&self, client: &aws_sdk_dynamodb::Client) -> Result<(), CatalogError> {
        use aws_sdk_dynamodb::types::TableStatus;
        for _ in 0..120 {
            let described = client
                .describe_table()
                .table_name(&self.table_name)
                .send()
                .await
                .map_err(|err| self.failed("describe", Failure::from_sdk(&err)))?;
            if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        Err(CatalogError::Backend {
            message: format!(
                "DynamoDB table {} was not ACTIVE after 60 s; check it in the console",
                self.table_name
            ),
            retryable: true,
        })
    }

    fn failed(&self, operation: &str, failure: Failure) -> CatalogError {
        CatalogError::Backend {
            message: format!(
                "could not {operation} the DynamoDB table {}: {}",
                self.table_name, failure.message
            ),
            retryable: failure.retryable,
        }
    }
}
