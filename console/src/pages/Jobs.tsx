// Every backup, restore and download, newest first, filtered by org, kind, state (the API) and date (here).
// The list polls while a job runs.
import { get, query, type JobList, type OrgCard } from '../api/client';
import { navigate, useLocation } from '../router';
import { Badge, ErrorNote, Link, Loading, Page, When, useLoad, usePoll } from '../ui';

export function Jobs() {
  const { params } = useLocation();
  const org = params.get('org') ?? '';
  const kind = params.get('kind') ?? '';
  const state = params.get('state') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const orgs = useLoad(() => get<{ orgs: OrgCard[] }>('/v1/orgs'), []);
  const jobs = useLoad(() => get<JobList>(`/v1/jobs${query({ org, kind, state })}`), [org, kind, state]);
  const running = !!jobs.data?.jobs.some((j) => j.state.state === 'running');
  usePoll(running, 2000, jobs.reload);
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    const text = next.toString();
    navigate(`/jobs${text ? `?${text}` : ''}`, true);
  };
  const day = (at: string) => at.slice(0, 10);
  const shown = jobs.data?.jobs.filter((j) => (!from || day(j.created_at) >= from) && (!to || day(j.created_at) <= to)) ?? [];
  return (
    <Page title="Jobs">
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter the jobs">
        <div>
          <label for="job-org">Org</label>
          <select id="job-org" value={org} onChange={(e) => set('org', (e.target as HTMLSelectElement).value)}>
            <option value="">Every org</option>
            {orgs.data?.orgs.map((o) => (
              <option key={o.org_id} value={o.org_id}>
                {o.org_id}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="job-kind">Kind</label>
          <select id="job-kind" value={kind} onChange={(e) => set('kind', (e.target as HTMLSelectElement).value)}>
            <option value="">Every kind</option>
            <option value="backup">Backups</option>
            <option value="restore">Restores</option>
            <option value="download">Downloads</option>
          </select>
        </div>
        <div>
          <label for="job-state">State</label>
          <select id="job-state" value={state} onChange={(e) => set('state', (e.target as HTMLSelectElement).value)}>
            <option value="">Every state</option>
            <option value="running">Running</option>
            <option value="completed">Completed</option>
            <option value="completed_with_errors">Completed with errors</option>
            <option value="failed">Failed</option>
            <option value="interrupted">Interrupted</option>
          </select>
        </div>
        <div>
          <label for="job-from">From</label>
          <input id="job-from" type="date" value={from} onChange={(e) => set('from', (e.target as HTMLInputElement).value)} />
        </div>
        <div>
          <label for="job-to">To</label>
          <input id="job-to" type="date" value={to} onChange={(e) => set('to', (e.target as HTMLInputElement).value)} />
        </div>
      </form>
      <ErrorNote error={jobs.error} />
      {jobs.loading && !jobs.data && <Loading what="the jobs" />}
      <table class="jobs">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Kind</th>
            <th scope="col">State</th>
            <th scope="col" class="wide-only">
              Org
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((j) => (
            <tr key={j.job_id}>
              <td>
                <Link href={`/jobs/${encodeURIComponent(j.job_id)}`} label={`${j.kind} job ${j.job_id}`}>
                  <When at={j.created_at} />
                </Link>
              </td>
              <td>{j.kind}</td>
              <td>
                <Badge state={j.state.state} />
              </td>
              <td class="wide-only">{j.org_id}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {jobs.data && shown.length === 0 && <p class="empty">No job matches.</p>}
    </Page>
  );
}
