// One job: its state, per-category counts and per-object log, polled while it runs; a restore's results and
// failures, or a download's file.
import { useState } from 'preact/hooks';
import { ApiFailure, enc, get, type DownloadReport, type JobLog, type JobSummary, type RestoreReport } from '../api/client';
import { setCurrentOrg } from '../currentOrg';
import { Badge, ErrorNote, Link, Loading, Page, When, plural, useLoad, usePoll } from '../ui';
import { FetchFile } from './Downloads';

const PROBLEMS = new Set(['failed', 'error', 'skipped', 'warning', 'refused']);

export function JobPage(props: { job: string }) {
  const id = enc(props.job);
  const job = useLoad(async () => {
    const answer = await get<JobSummary>(`/v1/jobs/${id}`);
    setCurrentOrg(answer.org_id);
    return answer;
  }, [props.job]);
  const log = useLoad(() => get<JobLog>(`/v1/jobs/${id}/log`), [props.job]);
  const running = !job.data || job.data.state.state === 'running';
  // Until the job's first step records it the API may answer 404 for a moment, so that is polled through too.
  usePoll(running, 1000, () => {
    job.reload();
    log.reload();
  });
  const kind = job.data?.kind;
  return (
    <Page title={job.data ? `${job.data.kind[0].toUpperCase()}${job.data.kind.slice(1)} job` : 'Job'}>
      {job.error && !(job.error instanceof ApiFailure && job.error.status === 404 && !job.data) && <ErrorNote error={job.error} />}
      {job.error instanceof ApiFailure && job.error.status === 404 && !job.data && <p role="status">Waiting for the job to start…</p>}
      {job.loading && !job.data && <Loading what="the job" />}
      {job.data && <Summary job={job.data} />}
      {job.data && !running && kind === 'restore' && <RestoreResult job={props.job} />}
      {job.data && !running && kind === 'download' && <DownloadResult job={props.job} />}
      <Log log={log.data} error={log.error} running={running} />
    </Page>
  );
}

function Summary(props: { job: JobSummary }) {
  const j = props.job;
  const counts = Object.entries((j.counts ?? {}) as Record<string, unknown>);
  return (
    <>
      <dl class="facts">
        <dt>State</dt>
        <dd>
          <Badge state={j.state.state} /> {j.state.state === 'running' && <span role="status">updating live…</span>}
        </dd>
        <dt>Org</dt>
        <dd>
          <Link href={`/orgs/${enc(j.org_id)}/timeline`}>{j.org_id}</Link>
        </dd>
        <dt>Started</dt>
        <dd>
          <When at={j.created_at} />
        </dd>
        <dt>Finished</dt>
        <dd>{j.finished_at ? <When at={j.finished_at} /> : '—'}</dd>
        {j.snapshot_id && (
          <>
            <dt>Snapshot</dt>
            <dd>
              <Link href={`/orgs/${enc(j.org_id)}/snapshots/${enc(j.snapshot_id)}`}>{j.snapshot_id}</Link>
            </dd>
          </>
        )}
        <dt>Job id</dt>
        <dd>
          <code>{j.job_id}</code>
        </dd>
      </dl>
      {j.error && (
        <p class="error" role="alert">
          {j.error}
        </p>
      )}
      {counts.length > 0 && (
        <table>
          <caption>Per category</caption>
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Counts</th>
            </tr>
          </thead>
          <tbody>
            {counts.map(([name, value]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>{typeof value === 'object' && value ? Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`).join(', ') : String(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function RestoreResult(props: { job: string }) {
  const report = useLoad(() => get<RestoreReport>(`/v1/restores/${enc(props.job)}`), [props.job]);
  if (report.error) return <ErrorNote error={report.error} />;
  if (!report.data) return null;
  const applied = Object.entries(report.data.applied as Record<string, Record<string, number>>);
  const plan = report.data.plan as unknown as { dry_run?: boolean; held?: string[] } | null;
  return (
    <section aria-labelledby="restore-title">
      <h2 id="restore-title">{plan?.dry_run ? 'The plan (a dry run: nothing was written)' : 'What the restore did'}</h2>
      {applied.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {applied.map(([name, counts]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>
                  {Object.entries(counts)
                    .filter(([, n]) => typeof n === 'number' && n > 0)
                    .map(([k, n]) => `${k} ${n}`)
                    .join(', ') || 'nothing'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {plan?.held && plan.held.length > 0 && (
        <div class="held">
          <p>The guardrail held it:</p>
          <ul>
            {plan.held.map((h, i) => (
              <li key={i}>{h}</li>
            ))}
          </ul>
        </div>
      )}
      {report.data.failures.length > 0 && (
        <>
          <h3>{plural(report.data.failures.length, 'object')} could not be restored</h3>
          <ul class="failures">
            {report.data.failures.map((f, i) => (
              <li key={i} class="failure">
                <strong>
                  {f.category}
                  {f.object_id ? ` ${f.object_id}` : ''}
                </strong>
                : {f.message}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function DownloadResult(props: { job: string }) {
  const report = useLoad(() => get<DownloadReport>(`/v1/downloads/${enc(props.job)}`), [props.job]);
  if (report.error) return <ErrorNote error={report.error} />;
  if (!report.data) return null;
  const ok = report.data.state.state === 'completed' || report.data.state.state === 'completed_with_errors';
  return (
    <section aria-labelledby="download-title">
      <h2 id="download-title">The file</h2>
      <p>
        {report.data.format} of snapshot <code>{report.data.snapshot_id}</code>:{' '}
        {Object.entries(report.data.objects)
          .map(([c, n]) => `${c} ${n}`)
          .join(', ')}
      </p>
      {ok ? <FetchFile job={props.job} /> : <p class="bad">No file: {report.data.error ?? 'the download did not finish'}.</p>}
      <p class="muted">Each click makes a fresh, short-lived link.</p>
    </section>
  );
}

function Log(props: { log?: JobLog; error?: unknown; running: boolean }) {
  const [problemsOnly, setProblemsOnly] = useState(false);
  const entries = props.log?.entries ?? [];
  const shown = (problemsOnly ? entries.filter((e) => PROBLEMS.has(e.outcome)) : entries).slice(-500);
  return (
    <section aria-labelledby="log-title">
      <h2 id="log-title">Log {props.log && <span class="muted">({plural(entries.length, 'entry', 'entries')})</span>}</h2>
      <label class="inline">
        <input type="checkbox" checked={problemsOnly} onChange={(e) => setProblemsOnly((e.target as HTMLInputElement).checked)} /> Only what went
        wrong
      </label>
      <ErrorNote error={props.error} />
      <ol class="log" aria-live={props.running ? 'polite' : 'off'}>
        {shown.map((e, i) => (
          <li key={i} class={`log-${e.outcome}`}>
            <span class="muted">{new Date(e.at).toLocaleTimeString()}</span> <span class="outcome">{e.outcome}</span> {e.category}
            {e.object_id ? ` ${e.object_id}` : ''}: {e.message}
          </li>
        ))}
      </ol>
      {props.log && entries.length === 0 && <p class="muted">Nothing logged yet.</p>}
    </section>
  );
}
