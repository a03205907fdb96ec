//! The org a command's flags name: its URL and credentials checked, a client of it built, and the org
//! registered in the store (through the service layer).

use anyhow::{Context, bail};
use oktavault_shared::categories::CATEGORIES;
use oktavault_shared::credentials::StoredCredentialsConnector;
use oktavault_shared::okta::{ClientConfig, Credentials, OktaClient, OrgUrl, OrgUrlPolicy, Secret};
use oktavault_shared::ports::{AuthKind, Catalog, OrgRecord};
use oktavault_shared::restore::kinds::Kind;
use oktavault_shared::service::orgs;
use oktavault_shared::workflow::OktaConnector;

use crate::args::OrgArgs;
use crate::store::Store;

/// The org the flags name, registered in the store, and a client of it built from the flags' credentials.
/// An OAuth app asks for `--scopes`, or for `default_scopes()`.
pub async fn authorize(
    store: &Store,
    args: &OrgArgs,
    default_scopes: fn() -> Vec<String>,
) -> anyhow::Result<(OrgRecord, OktaClient)> {
    connect(args, default_scopes)?.register(store).await
}

/// An org whose URL the flags give, checked, with a client built from the flags' credentials (or, without them,
/// from the credentials stored for it); not yet in any store.
pub struct Connection {
    url: OrgUrl,
    given: Option<Given>,
}

struct Given {
    auth: AuthKind,
    client_id: Option<String>,
    client: OktaClient,
}

/// Checks the flags without touching a store, so a refused URL or a missing credential leaves nothing behind.
/// Without credential flags, the org's credentials stored sealed by `oktavault org add` are used.
pub fn connect(args: &OrgArgs, default_scopes: fn() -> Vec<String>) -> anyhow::Result<Connection> {
    let url = org_url(args)?;
    if !has_credential_flags(args) {
        return Ok(Connection { url, given: None });
    }
    let (config, auth) = client_config(args, default_scopes)?;
    let client = OktaClient::new(config)?;
    Ok(Connection {
        url,
        given: Some(Given {
            auth,
            client_id: args.client_id.clone(),
            client,
        }),
    })
}

/// The org URL the flags give, checked against the flags' URL policy.
pub fn org_url(args: &OrgArgs) -> anyhow::Result<OrgUrl> {
    let policy = OrgUrlPolicy {
        allow_local: args.allow_local_org,
        allow_custom_domain: args.allow_custom_domain,
    };
    Ok(OrgUrl::parse_with(&args.url, policy)?)
}

/// The client settings the flags give: the org URL, the credentials (OAuth apps ask for `--scopes`, or for
/// `default_scopes()`) and the rate share.
pub fn client_config(args: &OrgArgs, default_scopes: fn() -> Vec<String>) -> anyhow::Result<(ClientConfig, AuthKind)> {
    let url = org_url(args)?;
    if !(0.05..=1.0).contains(&args.rate_share) {
        bail!("--rate-share must be between 0.05 and 1.0 (got {})", args.rate_share);
    }
    let (credentials, auth) = credentials(args, default_scopes)?;
    let mut config = ClientConfig::new(url, credentials);
    config.rate_share = args.rate_share;
    Ok((config, auth))
}

fn has_credential_flags(args: &OrgArgs) -> bool {
    args.token.is_some() || args.client_id.is_some() || args.client_secret.is_some() || args.private_key.is_some()
}

impl Connection {
    /// Registers the org in `store` (through the service layer), or finds it with its stored credentials.
    pub async fn register(self, store: &Store) -> anyhow::Result<(OrgRecord, OktaClient)> {
        let Some(given) = self.given else {
            return stored(store, &self.url).await;
        };
        let org = orgs::register(
            store.catalog.as_ref(),
            self.url.org_id(),
            &self.url,
            given.auth,
            given.client_id,
        )
        .await?;
        Ok((org, given.client))
    }
}

/// The org at `url` with a client of the credentials `oktavault org add` sealed for it.
async fn stored(store: &Store, url: &OrgUrl) -> anyhow::Result<(OrgRecord, OktaClient)> {
    let org_id = url.org_id();
    let org = store
        .catalog
        .get_org(&org_id)
        .await?
        .filter(|o| o.sealed_credentials.is_some());
    let Some(org) = org else {
        bail!(
            "no credentials are stored for {url}: give --token T, or --client-id ID with --client-secret S or \
             --private-key FILE (or the OKTAVAULT_* environment variables), or store them once with \
             `oktavault org add`"
        );
    };
    // The URL policy was applied to the flags above; the seal binds the credentials to this URL.
    let connector = StoredCredentialsConnector::new(store.keys.clone(), true);
    let client = connector.client_for(&org).await?;
    Ok((org, client))
}

fn credentials(args: &OrgArgs, default_scopes: fn() -> Vec<String>) -> anyhow::Result<(Credentials, AuthKind)> {
    let scopes = args.scopes.clone().unwrap_or_else(default_scopes);
    match (&args.token, &args.client_id, &args.client_secret, &args.private_key) {
        (Some(token), None, None, None) => Ok((Credentials::ApiToken(Secret::new(token.clone())), AuthKind::ApiToken)),
        (None, Some(id), Some(secret), None) => Ok((
            Credentials::ClientSecret {
                client_id: id.clone(),
                secret: Secret::new(secret.clone()),
                scopes,
            },
            AuthKind::ClientSecret,
        )),
        (None, Some(id), None, Some(path)) => {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the private key {}", path.display()))?;
            Ok((
                Credentials::PrivateKey {
                    client_id: id.clone(),
                    key_pem: Secret::new(pem),
                    key_id: args.key_id.clone(),
                    scopes,
                },
                AuthKind::PrivateKeyJwt,
            ))
        }
        _ => bail!(
            "give exactly one way to authenticate: --token T, or --client-id ID with --client-secret S, \
             or --client-id ID with --private-key FILE (or the OKTAVAULT_* environment variables)"
        ),
    }
}

/// The read scopes of every category, each once.
pub fn backup_scopes() -> Vec<String> {
    let mut scopes: Vec<String> = CATEGORIES.iter().map(|c| c.scope.to_owned()).collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// What a restore reads (the live org) and writes (the manage scopes of every restorable category).
pub fn restore_scopes() -> Vec<String> {
    let mut scopes = backup_scopes();
    scopes.extend(Kind::all().map(Kind::manage_scope));
    scopes.sort();
    scopes.dedup();
    scopes
}
