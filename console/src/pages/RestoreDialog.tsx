// The restore dialog: the objects picked, a target org and the options, then the plan (a dry run against the
// live org: create, update or skip per object, with the attribute changes and what cannot come back, and the
// guardrail's numbers), then the restore itself on confirmation.
import { useEffect, useRef, useState } from 'preact/hooks';
import { enc, get, post, type JobAccepted, type OrgCard, type RestoreReport } from '../api/client';
import { ChangeRows, type Change } from '../changes';
import { waitFor } from '../jobs';
import { navigate } from '../router';
import { ErrorNote, describe, plural } from '../ui';

export interface RestoreAsk {
  org: string;
  snapshot: string;
  select: string[];
  /** What the dialog says it restores (`rosa.ivanova@example.com`, `3 objects`). */
  what: string;
}

interface CategoryPlan {
  create: number;
  update: number;
  reactivate: number;
  recreate: number;
  skip: number;
  changed: number;
  live: number;
}

interface PlannedObject {
  category: string;
  source_id: string;
  name?: string;
  action: string;
  notes?: string[];
  changes?: Change[];
}

interface Plan {
  categories: Record<string, CategoryPlan>;
  emails: number;
  held: string[];
  confirmation_token?: string | null;
}

type Step = { kind: 'options' } | { kind: 'planning' } | { kind: 'plan'; report: RestoreReport; body: Record<string, unknown> } | { kind: 'applying' };

export function RestoreForm(props: { ask: RestoreAsk; onClose: () => void }) {
  const { ask } = props;
  const [orgs, setOrgs] = useState<OrgCard[]>([]);
  const [target, setTarget] = useState(ask.org);
  const [relationships, setRelationships] = useState(true);
  const [onConflict, setOnConflict] = useState<'skip' | 'overwrite' | 'merge'>('skip');
  const [step, setStep] = useState<Step>({ kind: 'options' });
  const [error, setError] = useState<unknown>(null);
  const abort = useRef(new AbortController());
  useEffect(() => {
    get<{ orgs: OrgCard[] }>('/v1/orgs').then((a) => setOrgs(a.orgs), setError);
    return () => abort.current.abort();
  }, []);

  const body = (): Record<string, unknown> => ({
    snapshot: ask.snapshot,
    select: ask.select,
    relationships,
    on_conflict: onConflict,
    ...(target !== ask.org ? { source_org: ask.org } : {}),
  });

  const preview = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setStep({ kind: 'planning' });
    try {
      const asked = body();
      const job = await post<JobAccepted>(`/v1/orgs/${enc(target)}/restore-plans`, asked);
      await waitFor(job.job_id, abort.current.signal);
      const report = await get<RestoreReport>(`/v1/restores/${enc(job.job_id)}?objects=true`);
      if (!report.plan) throw new Error(report.error ?? 'The plan could not be made: open the job for its log.');
      setStep({ kind: 'plan', report, body: asked });
    } catch (e) {
      setError(e);
      setStep({ kind: 'options' });
    }
  };

  const apply = async (plan: Plan, asked: Record<string, unknown>) => {
    setError(null);
    setStep({ kind: 'applying' });
    try {
      const token = plan.confirmation_token ? { confirmation_token: plan.confirmation_token } : {};
      const job = await post<JobAccepted>(`/v1/orgs/${enc(target)}/restores`, { ...asked, ...token });
      props.onClose();
      navigate(`/jobs/${enc(job.job_id)}`);
    } catch (e) {
      setError(e);
      setStep({ kind: 'options' });
    }
  };

  if (step.kind === 'planning') return <p role="status">Planning against the live org {target}… nothing is written.</p>;
  if (step.kind === 'applying') return <p role="status">Starting the restore…</p>;
  if (step.kind === 'plan') {
    return (
      <PlanView
        report={step.report}
        target={target}
        onBack={() => setStep({ kind: 'options' })}
        onApply={() => apply(step.report.plan as unknown as Plan, step.body)}
      />
    );
  }
  return (
    <form onSubmit={preview} class="stack">
      <p>
        Restore <strong>{ask.what}</strong> from snapshot <code>{ask.snapshot}</code> of {ask.org}.
      </p>
      <label for="target-org">Into the org</label>
      <select id="target-org" value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
        {[ask.org, ...orgs.map((o) => o.org_id).filter((o) => o !== ask.org)].map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
      <label class="inline">
        <input type="checkbox" checked={relationships} onChange={(e) => setRelationships((e.target as HTMLInputElement).checked)} /> With relationships
        (group memberships, app assignments, roles)
      </label>
      <fieldset>
        <legend>When the object exists in the org</legend>
        {(
          [
            ['skip', 'Skip it (restore only what is missing)'],
            ['overwrite', 'Overwrite it with the backed-up version'],
            ['merge', 'Merge: put back only the attributes that changed'],
          ] as const
        ).map(([value, words]) => (
          <label class="inline" key={value}>
            <input type="radio" name="on-conflict" checked={onConflict === value} onChange={() => setOnConflict(value)} /> {words}
          </label>
        ))}
      </fieldset>
      <ErrorNote error={error} />
      <div class="actions">
        <button type="submit">Preview the plan</button>
        <button type="button" class="secondary" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const ACTION_WORDS: Record<string, string> = {
  create: 'create',
  update: 'update',
  skip: 'skip',
  reactivate: 'reactivate',
  recreate: 'recreate',
};

export function PlanView(props: { report: RestoreReport; target: string; onBack: () => void; onApply: () => void }) {
  const plan = props.report.plan as unknown as Plan;
  const objects = (props.report.objects ?? []) as PlannedObject[];
  const categories = Object.entries(plan.categories);
  const writes = categories.reduce((n, [, c]) => n + c.create + c.update + c.reactivate + c.recreate, 0);
  return (
    <div class="stack plan" aria-live="polite">
      <h3>The plan for {props.target}</h3>
      <table>
        <caption>Per category (the guardrail holds a restore that changes more than 10% of a category's live objects)</caption>
        <thead>
          <tr>
            <th scope="col">Category</th>
            <th scope="col">Create</th>
            <th scope="col">Update</th>
            <th scope="col">Skip</th>
            <th scope="col">Live now</th>
            <th scope="col">Share changed</th>
          </tr>
        </thead>
        <tbody>
          {categories.map(([name, c]) => {
            const changed = c.create + c.update + c.reactivate + c.recreate;
            return (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>{c.create + c.recreate}</td>
                <td>{c.update + c.reactivate}</td>
                <td>{c.skip}</td>
                <td>{c.live}</td>
                <td>{c.live > 0 ? `${((100 * changed) / c.live).toFixed(1)}%` : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p>
        {plural(plan.emails, 'activation email')} (the guardrail holds more than 50).{' '}
        {writes === 0 && <strong>Nothing to write: the org already holds all of it.</strong>}
      </p>
      {plan.held.length > 0 && (
        <div class="held" role="alert">
          <p>
            <strong>The guardrail holds this plan:</strong>
          </p>
          <ul>
            {plan.held.map((h, i) => (
              <li key={i}>{h}</li>
            ))}
          </ul>
          <p>Applying it confirms it.</p>
        </div>
      )}
      <h4>Per object</h4>
      <ul class="planned">
        {objects.map((o) => (
          <li key={o.category + o.source_id}>
            <span class={`action action-${o.action}`}>{ACTION_WORDS[o.action] ?? o.action}</span> {o.category}:{' '}
            <strong>{o.name ?? o.source_id}</strong>
            {o.changes && o.changes.length > 0 && <ChangeRows changes={o.changes} />}
            {o.notes && o.notes.length > 0 && (
              <ul class="notes">
                {o.notes.map((n, i) => (
                  <li key={i}>{n}</li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
      <div class="actions">
        <button type="button" onClick={props.onApply} disabled={writes === 0}>
          {plan.held.length > 0 ? 'Confirm and restore' : 'Restore'}
        </button>
        <button type="button" class="secondary" onClick={props.onBack}>
          Back
        </button>
      </div>
    </div>
  );
}

export { describe };
