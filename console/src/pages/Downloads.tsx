// Downloads: a selection (whole categories here, or the picked objects from the tray) and a format; the job's
// page then fetches the file through a fresh short-lived link on each click.
import { useState } from 'preact/hooks';
import { enc, get, post, query, type CategoryTree, type DownloadLink, type JobAccepted, type JobList } from '../api/client';
import { navigate } from '../router';
import { Badge, ErrorNote, Link, Loading, Page, When, describe, useLoad } from '../ui';

const FORMATS: [string, string][] = [
  ['json', 'JSON documents (a zip of one file per category when there are several)'],
  ['csv', 'CSV tables'],
  ['jsonl', 'JSON Lines tables, gzipped and partitioned (Athena, DuckDB)'],
  ['sqlite', 'A SQLite file of tables (oktavault serve only)'],
];

export function DownloadForm(props: { org: string; snapshot: string; select: string[]; what: string; onClose?: () => void }) {
  const [format, setFormat] = useState('json');
  const [relationships, setRelationships] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const start = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const job = await post<JobAccepted>(`/v1/orgs/${enc(props.org)}/downloads`, {
        snapshot: props.snapshot,
        select: props.select,
        format,
        relationships,
      });
      props.onClose?.();
      navigate(`/jobs/${enc(job.job_id)}`);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <form onSubmit={start} class="stack">
      <p>
        Download <strong>{props.what}</strong> from snapshot <code>{props.snapshot}</code>.
      </p>
      <label for="format">Format</label>
      <select id="format" value={format} onChange={(e) => setFormat((e.target as HTMLSelectElement).value)}>
        {FORMATS.map(([value, words]) => (
          <option key={value} value={value}>
            {words}
          </option>
        ))}
      </select>
      <label class="inline">
        <input type="checkbox" checked={relationships} onChange={(e) => setRelationships((e.target as HTMLInputElement).checked)} /> With relationships
        (memberships and assignments of what is picked)
      </label>
      <ErrorNote error={error} />
      <div class="actions">
        <button type="submit" disabled={busy || props.select.length === 0}>
          Start the download
        </button>
        {props.onClose && (
          <button type="button" class="secondary" onClick={props.onClose}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

export function Downloads(props: { org: string }) {
  const tree = useLoad(() => get<CategoryTree>(`/v1/snapshots/latest${query({ org: props.org })}`), [props.org]);
  const jobs = useLoad(() => get<JobList>(`/v1/jobs${query({ org: props.org, kind: 'download' })}`), [props.org]);
  const [picked, setPicked] = useState<string[]>([]);
  const flip = (name: string) => setPicked(picked.includes(name) ? picked.filter((p) => p !== name) : [...picked, name]);
  return (
    <Page title="Downloads">
      <p>
        Pick whole categories of the latest snapshot here, or pick single objects while browsing or searching and
        use <em>Download…</em> at the foot of the page.
      </p>
      <ErrorNote error={tree.error} />
      {tree.loading && !tree.data && <Loading what="the latest snapshot" />}
      {tree.data && (
        <div class="download-grid">
          <fieldset class="categories">
            <legend>Categories of the snapshot of {new Date(tree.data.created_at).toLocaleString()}</legend>
            {tree.data.categories
              .filter((c) => c.objects > 0)
              .map((c) => (
                <label class="inline" key={c.name}>
                  <input type="checkbox" checked={picked.includes(c.name)} onChange={() => flip(c.name)} /> {c.title} ({c.objects})
                </label>
              ))}
          </fieldset>
          <DownloadForm org={props.org} snapshot={tree.data.snapshot_id} select={picked} what={picked.length ? picked.join(', ') : 'nothing yet: pick a category'} />
        </div>
      )}
      <h2>Earlier downloads</h2>
      <ErrorNote error={jobs.error} />
      <ul class="plain">
        {jobs.data?.jobs.map((j) => (
          <li key={j.job_id}>
            <Link href={`/jobs/${enc(j.job_id)}`}>
              <When at={j.created_at} />
            </Link>{' '}
            <Badge state={j.state.state} />
          </li>
        ))}
        {jobs.data?.jobs.length === 0 && <li class="muted">None yet.</li>}
      </ul>
    </Page>
  );
}

/** Fetches the finished download through a fresh link: on AWS a presigned URL, opened as is; embedded, this API's
 * file route, fetched with the session's token and handed to the browser as a file. */
export function FetchFile(props: { job: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fetchIt = async () => {
    setBusy(true);
    setError(null);
    try {
      const link = await get<DownloadLink>(`/v1/downloads/${enc(props.job)}/link`);
      const url = new URL(link.url, location.href);
      if (url.origin !== location.origin) {
        location.assign(url.href);
        return;
      }
      const token = sessionStorage.getItem('oktavault.session');
      const response = await fetch(url.href, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
      if (!response.ok) throw new Error(`The file could not be fetched (${response.status}): ${await response.text()}`);
      const blob = await response.blob();
      const href = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = href;
      a.download = link.file_name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" onClick={fetchIt} disabled={busy}>
        {busy ? 'Fetching…' : 'Download the file'}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
