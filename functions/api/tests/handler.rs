//! The API function's handler fed real API Gateway HTTP API (payload 2.0) events, as lambda_http decodes them,
//! over the AWS adapters on moto: callers come from the JWT authorizer's claims (the HTTP API's `[a b]` string and
//! a JSON array string), a refused call starts nothing and is audited, and backup now starts an execution of the
//! backup state machine named after the job it answers.
//!
//! `cargo test -p oktavault-fn-api --test handler`

use std::sync::Arc;
use std::time::Duration;

use oktavault_fn_api::{aws_api, handle, router};
use oktavault_shared::api::OrgHosting;
use oktavault_shared::api::auth::{ConsoleSignIn, ConsoleToken};
use oktavault_shared::api::launcher::StateMachines;
use oktavault_shared::aws::TableSpec;
use oktavault_shared::ids::OrgId;
use oktavault_shared::lambda::{Adapters, LambdaSettings};
use oktavault_shared::okta::OrgUrlPolicy;
use oktavault_shared::ports::{AuditResult, AuthKind, Catalog, OrgRecord};
use oktavault_shared::ports::{NoCaptureBuses, RecordSchedules};
use oktavault_shared::testkit::aws_fixtures::{create_bucket, create_key};
use oktavault_shared::testkit::moto::MotoServer;
use oktavault_shared::workflow::embedded::{BACKUP_DEFINITION, DOWNLOAD_DEFINITION, RESTORE_DEFINITION};
use serde_json::{Value, json};

const ORG: &str = "acme.okta.com";

/// An HTTP API payload 2.0 event as API Gateway sends it after its JWT authorizer accepted the token.
fn event(method: &str, path: &str, claims: Option<Value>, body: Option<Value>) -> String {
    let mut context = json!({
        "accountId": "123456789012",
        "apiId": "r3pmxmplak",
        "domainName": "r3pmxmplak.execute-api.eu-west-1.amazonaws.com",
        "domainPrefix": "r3pmxmplak",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.10",
            "userAgent": "curl/8.5.0"
        },
        "requestId": "JKJaXmPLvHcESHA=",
        "routeKey": "$default",
        "stage": "$default",
        "time": "28/Nov/2026:12:00:00 +0000",
        "timeEpoch": 1795867200000u64
    });
    if let Some(claims) = claims {
        context["authorizer"] = json!({"jwt": {"claims": claims, "scopes": null}});
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "authorization": "Bearer eyJraWQiOiJ0ZXN0In0.e30.c2ln",
            "content-type": "application/json",
            "host": "r3pmxmplak.execute-api.eu-west-1.amazonaws.com"
        },
        "requestContext": context,
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
    }
    event.to_string()
}

fn claims(sub: &str, roles: &str) -> Value {
    json!({
        "sub": sub,
        "iss": "https://acme.okta.com/oauth2/default",
        "aud": "api://oktavault",
        "oktavault_roles": roles
    })
}

struct Fixture {
    _moto: MotoServer,
    router: axum::Router,
    catalog: std::sync::Arc<dyn Catalog>,
    sfn: aws_sdk_sfn::Client,
    machines: StateMachines,
}

async fn fixture() -> Fixture {
    let moto = tokio::task::spawn_blocking(MotoServer::start).await.unwrap();
    let sdk = moto.sdk_config();
    let settings = LambdaSettings {
        bucket: "oktavault-snapshots".into(),
        table: "oktavault-catalog".into(),
        kms_key_id: create_key(&sdk).await,
        bucket_kms_key_id: create_key(&sdk).await,
        page_budget: Duration::from_secs(20),
        allow_local_orgs: false,
        alert_topic_arn: None,
        object_lock: None,
    };
    create_bucket(&sdk, &settings.bucket, false).await;
    TableSpec::new(&settings.table)
        .create_table(&aws_sdk_dynamodb::Client::new(&sdk))
        .await
        .unwrap();
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let mut arns = Vec::new();
    for (name, definition) in [
        ("oktavault-backup", BACKUP_DEFINITION),
        ("oktavault-restore", RESTORE_DEFINITION),
        ("oktavault-download", DOWNLOAD_DEFINITION),
    ] {
        let created = sfn
            .create_state_machine()
            .name(name)
            .definition(definition)
            .role_arn("arn:aws:iam::123456789012:role/oktavault-states")
            .send()
            .await
            .unwrap();
        arns.push(created.state_machine_arn().to_owned());
    }
    let machines = StateMachines {
        backup: arns[0].clone(),
        restore: arns[1].clone(),
        download: arns[2].clone(),
    };
    let adapters = Adapters::from_config(&sdk, &settings);
    let catalog = adapters.catalog.clone();
    catalog
        .put_org(&OrgRecord::new(
            OrgId::new(ORG).unwrap(),
            format!("https://{ORG}"),
            AuthKind::ClientSecret,
            Some("0oa1client".into()),
            "2026-11-28T12:00:00Z".into(),
        ))
        .await
        .unwrap();
    Fixture {
        _moto: moto,
        router: router(aws_api(
            adapters,
            machines.clone(),
            OrgHosting {
                schedules: Arc::new(RecordSchedules),
                capture: Arc::new(NoCaptureBuses),
                storage: "AWS us-east-1".into(),
                url_policy: OrgUrlPolicy::default(),
            },
            ConsoleSignIn::Oidc {
                issuer: "https://acme.okta.com".into(),
                client_id: "0oaconsole".into(),
                token: ConsoleToken::IdToken,
                scopes: vec!["openid".into(), "profile".into()],
            },
        )),
        catalog,
        sfn,
        machines,
    }
}

impl Fixture {
    async fn invoke(&self, event: &str) -> (u16, Value) {
        let request = lambda_http::request::from_str(event).expect("lambda_http decodes the event");
        let response = handle(self.router.clone(), request).await;
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    /// The answer's status, content type and body, whatever its type.
    async fn invoke_raw(&self, event: &str) -> (u16, String, Vec<u8>) {
        let request = lambda_http::request::from_str(event).expect("lambda_http decodes the event");
        let response = handle(self.router.clone(), request).await;
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, content_type, bytes.to_vec())
    }

    async fn backup_executions(&self) -> Vec<aws_sdk_sfn::types::ExecutionListItem> {
        self.sfn
            .list_executions()
            .state_machine_arn(&self.machines.backup)
            .send()
            .await
            .unwrap()
            .executions
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_gateway_events_reach_the_router_with_their_jwt_claims_in_either_array_form() {
    let f = fixture().await;

    // The HTTP API's one-string form of an array claim.
    let viewer = claims("vera@acme.com", &format!("[viewer@{ORG}]"));
    let (status, body) = f.invoke(&event("GET", "/v1/jobs", Some(viewer.clone()), None)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"jobs": []}));

    // A viewer cannot back up: 403, no execution, the refusal audited with the caller.
    let backups = format!("/v1/orgs/{ORG}/backups");
    let (status, body) = f.invoke(&event("POST", &backups, Some(viewer), None)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(f.backup_executions().await.is_empty());
    let trail = f.catalog.list_audit(None).await.unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(
        (trail[0].subject.as_str(), trail[0].action.as_str(), trail[0].result),
        ("vera@acme.com", "backup", AuditResult::Refused)
    );

    // A JSON array in the claim's string: the operator starts a backup, answered at once with its job.
    let operator = claims("otto@acme.com", r#"["operator","viewer@other.okta.com"]"#);
    let (status, body) = f.invoke(&event("POST", &backups, Some(operator), None)).await;
    assert_eq!(status, 202, "{body}");
    let job = body["job_id"].as_str().unwrap().to_owned();
    assert_eq!(body["kind"], "backup");
    let executions = f.backup_executions().await;
    assert_eq!(executions.len(), 1, "one execution of the backup state machine");
    assert_eq!(executions[0].name(), format!("{job}-api"));
    let described = f
        .sfn
        .describe_execution()
        .execution_arn(executions[0].execution_arn())
        .send()
        .await
        .unwrap();
    let input: Value = serde_json::from_str(described.input().unwrap()).unwrap();
    assert_eq!(input["org_id"], ORG);
    assert_eq!(input["new_job_id"], job.as_str());
    assert_eq!(input["trigger"], "manual");
    let trail = f.catalog.list_audit(Some(&OrgId::new(ORG).unwrap())).await.unwrap();
    assert_eq!(trail[0].subject, "otto@acme.com");
    assert_eq!(trail[0].result, AuditResult::Started);
    assert_eq!(trail[0].job_id.as_ref().map(|j| j.to_string()), Some(job));

    // Malformed JSON in the event's body is the caller's mistake, answered as JSON.
    let (status, body) = f
        .invoke(&event(
            "POST",
            &format!("/v1/orgs/{ORG}/downloads"),
            Some(claims("ada@acme.com", "[admin]")),
            Some(json!("{not json")),
        ))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_request");

    // A route reached without the JWT authorizer names the missing claims.
    let (status, body) = f.invoke(&event("GET", "/v1/jobs", None, None)).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("JWT authorizer"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_function_serves_the_console_and_its_oidc_sign_in_without_claims_and_keeps_the_api_behind_them() {
    let f = fixture().await;
    // The routes the template opens without the JWT authorizer: no claims reach the function.
    let (status, content_type, page) = f.invoke_raw(&event("GET", "/", None, None)).await;
    assert_eq!((status, content_type.as_str()), (200, "text/html; charset=utf-8"));
    let (status, _, deep) = f
        .invoke_raw(&event("GET", "/orgs/acme.okta.com/timeline", None, None))
        .await;
    assert_eq!((status, deep), (200, page));
    let (status, body) = f.invoke(&event("GET", "/v1/console/config", None, None)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sign_in"], "oidc");
    assert_eq!(body["issuer"], "https://acme.okta.com");
    assert_eq!(body["token"], "id_token");
    // The sign-in link exchange is `oktavault serve`'s alone.
    let (status, body) = f
        .invoke(&event(
            "POST",
            "/v1/console/sessions",
            None,
            Some(json!({"code": "0123456789abcdef"})),
        ))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("OIDC"), "{body}");
}
