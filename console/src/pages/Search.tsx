// Search across every snapshot of the org: a keyword, a type and a date range; each result shows its versions and
// the snapshots they appear in, a deleted object marked as such, and each version can be opened or picked.
import { useState } from 'preact/hooks';
import { enc, get, query, type SearchAnswer, type ObjectHistory } from '../api/client';
import { Versions, type Run } from '../changes';
import { navigate, useLocation } from '../router';
import { isPicked, toggle, useSelection } from '../selection';
import { ErrorNote, Link, Loading, Page, plural, useLoad } from '../ui';

const TYPES = ['users', 'groups', 'apps', 'group_rules', 'policies', 'authorization_servers', 'identity_providers', 'network_zones', 'system_log'];

export function Search(props: { org: string }) {
  const { params } = useLocation();
  const q = params.get('q') ?? '';
  const category = params.get('category') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const [form, setForm] = useState({ q, category, from, to });
  const results = useLoad<SearchAnswer | null>(
    () => (q ? get<SearchAnswer>(`/v1/orgs/${enc(props.org)}/search${query({ q, category, from, to })}`) : Promise.resolve(null)),
    [props.org, q, category, from, to],
  );
  const submit = (event: Event) => {
    event.preventDefault();
    navigate(`/orgs/${enc(props.org)}/search${query(form)}`);
  };
  const field = (key: keyof typeof form) => (e: Event) => setForm({ ...form, [key]: (e.target as HTMLInputElement).value });
  return (
    <Page title="Search">
      <form class="filters" role="search" onSubmit={submit}>
        <div class="grow">
          <label for="q">Name, login, email, label or id</label>
          <input id="q" type="search" required value={form.q} onInput={field('q')} />
        </div>
        <div>
          <label for="type">Type</label>
          <select id="type" value={form.category} onChange={field('category')}>
            <option value="">Every type</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="from">Changed from</label>
          <input id="from" type="date" value={form.from} onInput={field('from')} />
        </div>
        <div>
          <label for="to">Changed to</label>
          <input id="to" type="date" value={form.to} onInput={field('to')} />
        </div>
        <div class="end">
          <button type="submit">Search</button>
        </div>
      </form>
      <ErrorNote error={results.error} />
      {results.loading && q && <Loading what="the results" />}
      {results.data && (
        <>
          <p role="status">
            {plural(results.data.results.length, 'object')} in {plural(results.data.snapshots, 'snapshot')}
            {results.data.more > 0 && `, and ${results.data.more} more: narrow the search`}.
          </p>
          <ul class="results">
            {results.data.results.map((r) => (
              <Result key={r.category + r.id} org={props.org} result={r} />
            ))}
          </ul>
        </>
      )}
    </Page>
  );
}

function Result(props: { org: string; result: ObjectHistory }) {
  const r = props.result;
  useSelection();
  const snapshotLink = (s: string) => `/orgs/${enc(props.org)}/snapshots/${enc(s)}/${enc(r.category)}/${enc(r.id)}`;
  // The newest snapshot that holds it: a deleted object is restored from there.
  const newest = r.last_seen;
  const newestRun = (r.versions[r.versions.length - 1]?.snapshots as unknown as Run[] | undefined) ?? [];
  const picked = isPicked(props.org, newest, r.category, r.id);
  const name = r.name ?? r.id;
  return (
    <li class="result">
      <h2>
        <Link href={snapshotLink(newest)}>{name}</Link> <span class="muted">{r.category}</span>{' '}
        {r.deleted_since && <span class="badge badge-deleted">deleted</span>}
      </h2>
      <p class="muted">
        <code>{r.id}</code> · last in snapshot <Link href={snapshotLink(newest)}>{newest}</Link>
        {r.deleted_since && <> · gone from {r.deleted_since} on</>}
        {newestRun.length === 0 && ''}
      </p>
      <button
        type="button"
        class="secondary"
        aria-pressed={picked}
        aria-label={`Pick ${name} for a restore or download`}
        onClick={() => toggle(props.org, newest, { category: r.category, id: r.id, name })}
      >
        {picked ? 'Picked' : 'Pick'}
      </button>
      <details>
        <summary>{plural(r.versions.length, 'version')}</summary>
        <Versions history={r} snapshotLink={snapshotLink} Link={Link} />
      </details>
    </li>
  );
}
