// The orgs: one card each, with what a person checks first (is it backed up, when, is the app still allowed),
// and the actions on it: authorize (or again), backup on or off, back up now.
import { useState } from 'preact/hooks';
import { enc, get, patch, post, type Authorized, type JobAccepted, type OrgCard } from '../api/client';
import { offerOrg } from '../currentOrg';
import { navigate } from '../router';
import { Badge, Dialog, ErrorNote, Link, Loading, Page, When, describe, useLoad } from '../ui';

export function Orgs() {
  const orgs = useLoad(async () => {
    const answer = await get<{ orgs: OrgCard[] }>('/v1/orgs');
    if (answer.orgs[0]) offerOrg(answer.orgs[0].org_id);
    return answer;
  }, []);
  const [authorizing, setAuthorizing] = useState<{ url: string } | null>(null);
  return (
    <Page
      title="Orgs"
      actions={
        <button type="button" onClick={() => setAuthorizing({ url: '' })}>
          Authorize an org
        </button>
      }
    >
      <ErrorNote error={orgs.error} />
      {orgs.loading && !orgs.data && <Loading what="the orgs" />}
      {orgs.data && orgs.data.orgs.length === 0 && (
        <p class="empty">No org is authorized yet. Authorize one to back it up on a schedule.</p>
      )}
      <ul class="cards">
        {orgs.data?.orgs.map((card) => (
          <Card key={card.org_id} card={card} onChanged={orgs.reload} onReauthorize={() => setAuthorizing({ url: card.url })} />
        ))}
      </ul>
      <AuthorizeDialog
        initialUrl={authorizing?.url ?? ''}
        open={!!authorizing}
        onClose={() => setAuthorizing(null)}
        onAuthorized={orgs.reload}
      />
    </Page>
  );
}

function Card(props: { card: OrgCard; onChanged: () => void; onReauthorize: () => void }) {
  const { card } = props;
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const org = enc(card.org_id);
  const act = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await what();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const backupNow = () =>
    act(async () => {
      const job = await post<JobAccepted>(`/v1/orgs/${org}/backups`, undefined);
      navigate(`/jobs/${enc(job.job_id)}`);
    });
  const setEnabled = (enabled: boolean) =>
    act(async () => {
      await patch(`/v1/orgs/${org}`, { backup_enabled: enabled });
      props.onChanged();
    });
  const titleId = `org-${card.org_id.replace(/[^a-z0-9]/gi, '-')}`;
  return (
    <li class="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{card.org_id}</h2>
      <dl class="facts">
        <dt>Domain</dt>
        <dd>{card.url}</dd>
        <dt>Storage</dt>
        <dd>{card.storage}</dd>
        <dt>Backup</dt>
        <dd>{card.backup_enabled ? `on, every ${card.schedule.every_hours} h` : 'off'}</dd>
        <dt>App</dt>
        <dd>
          {card.app_status ? (
            card.app_status.ok ? (
              <>
                allowed <span class="muted">(checked <When at={card.app_status.at} />)</span>
              </>
            ) : (
              <span class="bad">{card.app_status.message ?? 'refused'}</span>
            )
          ) : card.credentials_stored ? (
            'not checked yet'
          ) : (
            <span class="bad">no credentials stored: authorize it again</span>
          )}
        </dd>
        <dt>Last backup</dt>
        <dd>
          {card.last_backup ? (
            <>
              <Badge state={card.last_backup.status} /> <When at={card.last_backup.at} />{' '}
              <Link href={`/jobs/${enc(card.last_backup.job_id)}`} label={`The last backup job of ${card.org_id}`}>
                job
              </Link>
              {card.last_backup.error && <p class="bad">{card.last_backup.error}</p>}
            </>
          ) : (
            'none yet'
          )}
        </dd>
        <dt>Next run</dt>
        <dd>{card.backup_enabled ? <When at={card.next_run} /> : 'backup is off'}</dd>
      </dl>
      {card.unreachable.length > 0 && (
        <details>
          <summary>{card.unreachable.length} categories the granted scopes cannot reach</summary>
          <ul>
            {card.unreachable.map((u) => (
              <li key={u.category}>
                {u.category}: needs {u.scope} ({u.reason})
              </li>
            ))}
          </ul>
        </details>
      )}
      <ErrorNote error={error} />
      <div class="actions">
        <button type="button" onClick={backupNow} disabled={busy} aria-label={`Back up ${card.org_id} now`}>
          Back up now
        </button>
        <button type="button" class="secondary" onClick={() => setEnabled(!card.backup_enabled)} disabled={busy}>
          {card.backup_enabled ? 'Turn backup off' : 'Turn backup on'}
        </button>
        <button type="button" class="secondary" onClick={props.onReauthorize} disabled={busy}>
          Re-authorize
        </button>
        <Link href={`/orgs/${org}/timeline`} class="button secondary">
          Timeline
        </Link>
      </div>
    </li>
  );
}

type Method = 'client_secret' | 'api_token' | 'private_key';

const SCOPES = [
  'okta.users.read',
  'okta.groups.read',
  'okta.apps.read',
  'okta.policies.read',
  'okta.authorizationServers.read',
  'okta.idps.read',
  'okta.roles.read',
  'okta.logs.read',
];

function AuthorizeDialog(props: { initialUrl: string; open: boolean; onClose: () => void; onAuthorized: () => void }) {
  return (
    <Dialog title={props.initialUrl ? 'Re-authorize the org' : 'Authorize an org'} open={props.open} onClose={props.onClose} wide>
      <AuthorizeForm initialUrl={props.initialUrl} onAuthorized={props.onAuthorized} onClose={props.onClose} />
    </Dialog>
  );
}

function AuthorizeForm(props: { initialUrl: string; onAuthorized: () => void; onClose: () => void }) {
  const [url, setUrl] = useState(props.initialUrl);
  const [method, setMethod] = useState<Method>('client_secret');
  const [clientId, setClientId] = useState('');
  const [secret, setSecret] = useState('');
  const [keyId, setKeyId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [answer, setAnswer] = useState<Authorized | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { url: url.trim() };
    if (method === 'api_token') body.api_token = secret;
    if (method === 'client_secret') Object.assign(body, { client_id: clientId.trim(), client_secret: secret });
    if (method === 'private_key') Object.assign(body, { client_id: clientId.trim(), private_key: secret, ...(keyId ? { key_id: keyId } : {}) });
    try {
      setAnswer(await post<Authorized>('/v1/orgs', body));
      setSecret('');
      props.onAuthorized();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (answer) return <CheckResult answer={answer} onClose={props.onClose} />;

  return (
    <form onSubmit={submit} class="stack">
      <p>
        In the Okta Admin Console, add an <strong>API Services</strong> app (Applications → Create App Integration →
        API Services), and grant it these read scopes on its <em>Okta API Scopes</em> tab:
      </p>
      <ul class="scopes">
        {SCOPES.map((s) => (
          <li key={s}>
            <code>{s}</code>
          </li>
        ))}
      </ul>
      <p class="muted">
        A scope left out only leaves out what it reads: the check below says which. Restoring needs the matching
        <code>.manage</code> scopes. An API token works too.
      </p>
      <label for="org-url">Org URL</label>
      <input id="org-url" type="url" required placeholder="https://acme.okta.com" value={url} onInput={(e) => setUrl((e.target as HTMLInputElement).value)} />
      <fieldset>
        <legend>Credentials</legend>
        <label class="inline">
          <input type="radio" name="method" checked={method === 'client_secret'} onChange={() => setMethod('client_secret')} /> Client id and secret
        </label>
        <label class="inline">
          <input type="radio" name="method" checked={method === 'private_key'} onChange={() => setMethod('private_key')} /> Client id and private key
        </label>
        <label class="inline">
          <input type="radio" name="method" checked={method === 'api_token'} onChange={() => setMethod('api_token')} /> An API token (SSWS)
        </label>
      </fieldset>
      {method !== 'api_token' && (
        <>
          <label for="client-id">Client id</label>
          <input id="client-id" required value={clientId} onInput={(e) => setClientId((e.target as HTMLInputElement).value)} />
        </>
      )}
      <label for="secret">{method === 'api_token' ? 'API token' : method === 'client_secret' ? 'Client secret' : 'Private key (PKCS#8 PEM)'}</label>
      {method === 'private_key' ? (
        <textarea id="secret" required rows={5} value={secret} onInput={(e) => setSecret((e.target as HTMLTextAreaElement).value)} />
      ) : (
        <input id="secret" type="password" autoComplete="off" required value={secret} onInput={(e) => setSecret((e.target as HTMLInputElement).value)} />
      )}
      {method === 'private_key' && (
        <>
          <label for="key-id">Key id (optional)</label>
          <input id="key-id" value={keyId} onInput={(e) => setKeyId((e.target as HTMLInputElement).value)} />
        </>
      )}
      <ErrorNote error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Check and authorize'}
        </button>
        <button type="button" class="secondary" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function CheckResult(props: { answer: Authorized; onClose: () => void }) {
  const { answer } = props;
  return (
    <div class="stack" role="status">
      <p>
        <strong>{answer.org_id}</strong> is {answer.reauthorized ? 're-authorized' : 'authorized'}: its credentials are
        sealed in the store.
      </p>
      <table>
        <caption>The live check, per scope</caption>
        <thead>
          <tr>
            <th scope="col">Scope</th>
            <th scope="col">Read</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {answer.check.probes.map((p) => (
            <tr key={p.scope + p.path}>
              <td>
                <code>{p.scope}</code>
              </td>
              <td>
                <code>{p.path}</code>
              </td>
              <td>{p.refused ? <span class="bad">refused: {p.refused}</span> : <span class="good">granted</span>}</td>
            </tr>
          ))}
          {answer.check.not_granted.map((s) => (
            <tr key={s}>
              <td>
                <code>{s}</code>
              </td>
              <td>—</td>
              <td>
                <span class="bad">not granted</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {answer.unreachable.length > 0 && <p>{answer.unreachable.length} categories cannot be backed up with these scopes.</p>}
      <div class="actions">
        <button type="button" onClick={props.onClose}>
          Done
        </button>
      </div>
    </div>
  );
}
