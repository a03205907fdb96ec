// OIDC sign-in in the browser, on AWS: authorization code with PKCE (RFC 7636) at the company's identity provider.
// The console holds no secret: a fresh verifier per sign-in, kept in this tab's sessionStorage until the
// provider redirects back to /sign-in with the code, which is traded for the tokens at the token endpoint.
// Which token becomes the API's bearer is the deployment's choice (`token`): the ID token for Okta's org
// authorization server, the access token for a custom one.

export interface OidcConfig {
  sign_in: 'oidc';
  issuer: string;
  client_id: string;
  token: 'id_token' | 'access_token';
  scopes: string[];
}

interface Pending {
  verifier: string;
  state: string;
  nonce: string;
  tokenEndpoint: string;
  config: OidcConfig;
}

const PENDING = 'oktavault.oidc';

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const random = (n = 32) => base64url(crypto.getRandomValues(new Uint8Array(n)));

const redirectUri = () => `${location.origin}/sign-in`;

async function discover(issuer: string): Promise<{ authorization_endpoint: string; token_endpoint: string }> {
  const url = `${issuer}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    throw new Error(`The identity provider at ${issuer} did not answer: is this page's origin one of its trusted origins (CORS)?`);
  }
  if (!response.ok) throw new Error(`The identity provider answered ${response.status} for ${url}: check the deployment's issuer URL.`);
  return response.json();
}

/** Sends the browser to the provider's sign-in page. */
export async function startSignIn(config: OidcConfig): Promise<never> {
  const discovery = await discover(config.issuer);
  const verifier = random();
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const pending: Pending = { verifier, state: random(16), nonce: random(16), tokenEndpoint: discovery.token_endpoint, config };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.client_id,
    response_type: 'code',
    scope: config.scopes.join(' '),
    redirect_uri: redirectUri(),
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.href);
  return new Promise(() => {});
}

/** Whether this page is the provider's redirect back (a code or an error in the query). */
export const isRedirectBack = (params: URLSearchParams) => params.has('state') && (params.has('code') || params.has('error'));

/** Trades the code of the redirect back for the API's bearer token. */
export async function finishSignIn(params: URLSearchParams): Promise<string> {
  const saved = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  if (params.has('error')) {
    throw new Error(`The identity provider refused the sign-in: ${params.get('error_description') ?? params.get('error')}`);
  }
  if (!saved) throw new Error('This sign-in was not started in this tab (or was finished already): sign in again.');
  const pending = JSON.parse(saved) as Pending;
  if (params.get('state') !== pending.state) throw new Error('The sign-in answer does not match the sign-in this tab started: sign in again.');
  const response = await fetch(pending.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: redirectUri(),
      client_id: pending.config.client_id,
      code_verifier: pending.verifier,
    }).toString(),
  });
  const tokens = (await response.json().catch(() => ({}))) as Record<string, string>;
  if (!response.ok) {
    throw new Error(`The identity provider did not issue tokens: ${tokens.error_description ?? tokens.error ?? response.status}`);
  }
  const idToken = tokens.id_token;
  if (!idToken) throw new Error('The identity provider sent no ID token: ask for the openid scope.');
  const claims = JSON.parse(atob(idToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { nonce?: string };
  if (claims.nonce !== pending.nonce) throw new Error('The ID token is not for this sign-in (its nonce differs): sign in again.');
  const bearer = pending.config.token === 'access_token' ? tokens.access_token : idToken;
  if (!bearer) throw new Error('The identity provider sent no access token: check the deployment’s ConsoleToken setting.');
  return bearer;
}
