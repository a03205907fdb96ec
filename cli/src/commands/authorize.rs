//! The org a command's flags name: its URL and credentials checked, a client of it built, and the org
//! registered in the store (through the service layer).

use anyhow::{Context, bail};
use oktavault_shared::categories::CATEGORIES;
use oktavault_shared::okta::{ClientConfig, Credentials, OktaClient, OrgUrl, OrgUrlPolicy, Secret};
use oktavault_shared::ports::{AuthKind, OrgRecord};
use oktavault_shared::restore::kinds::Kind;
use oktavault_shared::service::orgs;

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

/// An org whose URL and credentials the flags give, checked, with a client built; not yet in any store.
pub struct Connection {
    url: OrgUrl,
    auth: AuthKind,
    client_id: Option<String>,
    client: OktaClient,
}

/// Checks the flags without touching a store, so a refused URL or a missing credential leaves nothing behind.
pub fn connect(args: &OrgArgs, default_scopes: fn() -> Vec<String>) -> anyhow::Result<Connection> {
    let policy = OrgUrlPolicy {
        allow_local: args.allow_local_org,
        allow_custom_domain: args.allow_custom_domain,
    };
    let url = OrgUrl::parse_with(&args.url, policy)?;
    if !(0.05..=1.0).contains(&args.rate_share) {
        bail!("--rate-share must be between 0.05 and 1.0 (got {})", args.rate_share);
    }
    let (credentials, auth) = credentials(args, default_scopes)?;
    let mut config = ClientConfig::new(url.clone(), credentials);
    config.rate_share = args.rate_share;
    let client = OktaClient::new(config)?;
    Ok(Connection {
        url,
        auth,
        client_id: args.client_id.clone(),
        client,
    })
}

impl Connection {
    /// Registers the org in `store` (through the service layer).
    pub async fn register(self, store: &Store) -> anyhow::Result<(OrgRecord, OktaClient)> {
        let org = orgs::register(
            store.catalog.as_ref(),
            self.url.org_id(),
            &self.url,
            self.auth,
            self.client_id,
        )
        .await?;
        Ok((org, self.client))
    }
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
