// An org's snapshots, grouped by age (last 24 hours, last 7 days, earlier), each with its status, its counts and
// what changed since the one before; picking one opens the browser on it.
import { enc, get, query, type Timeline as TimelineAnswer, type TimelineEntry } from '../api/client';
import { Badge, ErrorNote, Link, Loading, Page, When, plural, useLoad } from '../ui';

const PERIODS: [TimelineEntry['period'], string][] = [
  ['last24_hours', 'Last 24 hours'],
  ['last7_days', 'Last 7 days'],
  ['earlier', 'Earlier'],
];

interface Counted {
  kind: 'counted';
  categories: Record<string, { added: number; removed: number; changed: number }>;
}

export function Timeline(props: { org: string }) {
  const timeline = useLoad(() => get<TimelineAnswer>(`/v1/snapshots${query({ org: props.org })}`), [props.org]);
  return (
    <Page title={`Timeline of ${props.org}`}>
      <ErrorNote error={timeline.error} />
      {timeline.loading && !timeline.data && <Loading what="the snapshots" />}
      {timeline.data && timeline.data.snapshots.length === 0 && (
        <p class="empty">
          No snapshot of {props.org} yet: <Link href="/">back it up from its card</Link>.
        </p>
      )}
      {PERIODS.map(([period, title]) => {
        const entries = timeline.data?.snapshots.filter((s) => s.period === period) ?? [];
        if (entries.length === 0) return null;
        return (
          <section key={period} aria-labelledby={`period-${period}`}>
            <h2 id={`period-${period}`}>{title}</h2>
            <ol class="timeline">
              {entries.map((s) => (
                <Entry key={s.snapshot_id} org={props.org} entry={s} />
              ))}
            </ol>
          </section>
        );
      })}
    </Page>
  );
}

function Entry(props: { org: string; entry: TimelineEntry }) {
  const s = props.entry;
  const changes = s.changes as unknown as { kind: string; reason?: string; categories?: Counted["categories"] };
  return (
    <li class="snapshot">
      <div class="snapshot-head">
        <Link href={`/orgs/${enc(props.org)}/snapshots/${enc(s.snapshot_id)}`} class="snapshot-link">
          <When at={s.created_at} />
        </Link>
        <Badge state={s.status} />
        {!s.complete && <span class="badge badge-partial">incomplete</span>}
        {s.full_refresh && <span class="muted">full</span>}
        <span class="muted">{plural(s.objects, 'object')}</span>
      </div>
      <p class="changes">
        {changes.kind === 'first' && 'The first snapshot of this org.'}
        {changes.kind === 'not_counted' && <span class="muted">Changes not counted: {changes.reason}</span>}
        {changes.kind === 'counted' && <ChangeList categories={changes.categories ?? {}} />}
      </p>
      {(s.lacks as { category: string; part?: string; reason: string }[]).length > 0 && (
        <details>
          <summary>{plural(s.lacks.length, 'thing', 'things')} this snapshot lacks</summary>
          <ul>
            {(s.lacks as { category: string; part?: string; reason: string }[]).map((l, i) => (
              <li key={i}>
                {l.category}
                {l.part ? ` (${l.part})` : ''}: {l.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}

function ChangeList(props: { categories: Counted['categories'] }) {
  const names = Object.keys(props.categories);
  if (names.length === 0) return <>No change since the snapshot before.</>;
  return (
    <>
      Since the one before:{' '}
      {names.map((name, i) => {
        const c = props.categories[name];
        return (
          <span key={name} class="change">
            {i > 0 && ', '}
            {name} {c.added > 0 && <span class="added">+{c.added}</span>} {c.removed > 0 && <span class="removed">−{c.removed}</span>}{' '}
            {c.changed > 0 && <span class="changed">~{c.changed}</span>}
          </span>
        );
      })}
    </>
  );
}
