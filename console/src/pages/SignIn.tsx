// Signing in. Locally, the link `oktavault serve` printed carries a one-time code in its fragment, traded here for
// a session token kept in this tab's sessionStorage (the printed bearer token works too). On AWS, OIDC with PKCE
// at the company's identity provider (`../oidc`). `GET /v1/console/config` says which.
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, get, post, session, type Session } from '../api/client';
import { finishSignIn, isRedirectBack, startSignIn, type OidcConfig } from '../oidc';
import { navigate } from '../router';
import { describe } from '../ui';

type Config = { sign_in: 'link' } | OidcConfig | { sign_in: 'unavailable'; reason: string };

export function SignIn(props: { onSignedIn: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [token, setToken] = useState('');
  const [config, setConfig] = useState<Config | null>(null);

  const done = () => {
    props.onSignedIn();
    navigate('/', true);
  };

  useEffect(() => {
    document.title = 'Sign in · oktavault';
    const query = new URLSearchParams(location.search);
    if (isRedirectBack(query)) {
      // The provider's code is spent by this exchange: take it out of the address bar and history first.
      history.replaceState(null, '', '/sign-in');
      setBusy(true);
      finishSignIn(query).then(
        (bearer) => {
          session.set(bearer);
          done();
        },
        (e) => {
          setBusy(false);
          setError(describe(e));
        },
      );
    }
    get<Config>('/v1/console/config').then(setConfig, (e) => setError(describe(e)));
    const code = new URLSearchParams(location.hash.slice(1)).get('code');
    if (!code) return;
    // The code is spent by this call: take it out of the address bar and history first.
    history.replaceState(null, '', '/sign-in');
    setBusy(true);
    post<Session>('/v1/console/sessions', { code }).then(
      (answer) => {
        session.set(answer.token);
        done();
      },
      (e) => {
        setBusy(false);
        setError(describe(e));
      },
    );
  }, []);

  const useToken = async (event: Event) => {
    event.preventDefault();
    setError(null);
    session.set(token.trim());
    try {
      await get('/v1/orgs');
      done();
    } catch (e) {
      session.clear();
      setError(e instanceof ApiFailure && e.status === 401 ? 'That token is not this server’s: copy the token line `oktavault serve` printed.' : describe(e));
    }
  };

  return (
    <main id="main" class="signin">
      <h1>oktavault</h1>
      {busy ? (
        <p role="status">Signing in…</p>
      ) : config?.sign_in === 'oidc' ? (
        <>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <p>Sign in with your company’s identity provider ({new URL(config.issuer).host}).</p>
          <button
            type="button"
            onClick={() => {
              setBusy(true);
              startSignIn(config).catch((e) => {
                setBusy(false);
                setError(describe(e));
              });
            }}
          >
            Sign in
          </button>
        </>
      ) : config?.sign_in === 'unavailable' ? (
        <p class="error" role="alert">
          {error ?? config.reason}
        </p>
      ) : (
        <>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <p>
            Open the <strong>console:</strong> link that <code>oktavault serve</code> printed to sign in. Each link
            signs in once.
          </p>
          <form onSubmit={useToken}>
            <label for="token">Or paste the token it printed</label>
            <input
              id="token"
              type="password"
              autoComplete="off"
              value={token}
              onInput={(e) => setToken((e.target as HTMLInputElement).value)}
              required
              minLength={16}
            />
            <button type="submit">Sign in</button>
          </form>
        </>
      )}
    </main>
  );
}
