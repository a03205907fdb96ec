// Following a job: its summary until it leaves `running`.
import { enc, get, type JobSummary } from './api/client';

export const finished = (job: JobSummary) => job.state.state !== 'running';

/** Polls the job every `ms` until it finishes (or `signal` aborts); answers its last summary. */
export async function waitFor(jobId: string, signal: AbortSignal, ms = 700): Promise<JobSummary> {
  for (;;) {
    if (signal.aborted) throw new DOMException('stopped following the job', 'AbortError');
    try {
      const job = await get<JobSummary>(`/v1/jobs/${enc(jobId)}`);
      if (finished(job)) return job;
    } catch (e) {
      // The job's first step has not recorded it yet: the API says 404 for a moment.
      if (!(e instanceof Error && 'status' in e && (e as { status: number }).status === 404)) throw e;
    }
    await new Promise((r) => setTimeout(r, ms));
  }
}
