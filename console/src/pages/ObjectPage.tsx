// One object as a snapshot holds it: its JSON, with the ids it points at shown as names that open those
// objects, the objects that hold it (a user's groups and apps), and its history across the org's snapshots as an
// attribute-level diff.
import type { ComponentChildren } from 'preact';
import { enc, get, type HistoryAnswer, type ObjectView } from '../api/client';
import { Versions } from '../changes';
import { isPicked, toggle, useSelection } from '../selection';
import { ErrorNote, Link, Loading, Page, useLoad } from '../ui';
import { UndoButton } from './Undo';

type Reference = ObjectView['references'][number];

export function ObjectPage(props: { org: string; snapshot: string; category: string; id: string }) {
  useSelection();
  const object = useLoad(
    () =>
      get<ObjectView>(
        `/v1/snapshots/${enc(props.snapshot)}/categories/${enc(props.category)}/objects/${enc(props.id)}?org=${enc(props.org)}`,
      ),
    [props.snapshot, props.category, props.id],
  );
  // A System Log event never changes and is not in the search index: it has no history to ask for.
  const hasHistory = props.category !== 'system_log';
  const history = useLoad(
    () =>
      hasHistory
        ? get<HistoryAnswer>(`/v1/orgs/${enc(props.org)}/objects/${enc(props.category)}/${enc(props.id)}/history`)
        : Promise.resolve(null),
    [props.org, props.category, props.id],
  );
  const snapshot = object.data?.snapshot_id ?? props.snapshot;
  const name = history.data?.name ?? props.id;
  const link = (category: string, id: string) => `/orgs/${enc(props.org)}/snapshots/${enc(snapshot)}/${enc(category)}/${enc(id)}`;
  const picked = isPicked(props.org, snapshot, props.category, props.id);
  return (
    <Page
      title={name}
      actions={
        object.data && (
          <>
            <button
              type="button"
              class="secondary"
              aria-pressed={picked}
              onClick={() => toggle(props.org, snapshot, { category: props.category, id: props.id, name })}
            >
              {picked ? 'Picked' : 'Pick for restore or download'}
            </button>
            {props.category === 'system_log' && <UndoButton org={props.org} event={props.id} />}
          </>
        )
      }
    >
      <p class="muted">
        {props.category} · <code>{props.id}</code> · in snapshot{' '}
        <Link href={`/orgs/${enc(props.org)}/snapshots/${enc(snapshot)}?category=${enc(props.category)}`}>{snapshot}</Link>
      </p>
      <ErrorNote error={object.error} />
      {object.loading && !object.data && <Loading what="the object" />}
      {object.data && props.category === 'system_log' && <LogEvent event={object.data.object} />}
      {object.data && object.data.references.length > 0 && (
        <section aria-labelledby="refs-title">
          <h2 id="refs-title">Points at</h2>
          <ul class="refs">
            {object.data.references.map((r) => (
              <li key={r.pointer}>
                <code>{r.field}</code>: <Link href={link(r.category, r.id)}>{r.name ?? r.id}</Link> <span class="muted">({r.category})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {object.data && object.data.held_by.length > 0 && (
        <section aria-labelledby="held-title">
          <h2 id="held-title">Held by</h2>
          {object.data.held_by.map((h) => (
            <div key={h.via}>
              <h3>
                {h.category} <span class="muted">({h.via}{h.truncated ? ', the first 200' : ''})</span>
              </h3>
              <ul class="refs">
                {h.objects.map((o) => (
                  <li key={o.id}>
                    <Link href={link(h.category, o.id)}>{o.name}</Link>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </section>
      )}
      {object.data && (
        <section aria-labelledby="json-title">
          <h2 id="json-title">As backed up</h2>
          <pre class="json" tabIndex={0} aria-label="The object's JSON">
            <JsonView value={object.data.object} pointer="" refs={byPointer(object.data.references)} link={link} />
          </pre>
        </section>
      )}
      {hasHistory && (
      <section aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        <ErrorNote error={history.error} />
        {history.loading && !history.data && <Loading what="its history" />}
        {history.data && (
          <>
            {history.data.deleted_since && (
              <p class="bad">
                Deleted: snapshot {history.data.deleted_since} and later do not hold it.
              </p>
            )}
            <Versions history={history.data} snapshotLink={(s) => link(props.category, props.id).replace(enc(snapshot), enc(s))} Link={Link} />
          </>
        )}
      </section>
      )}
    </Page>
  );
}

const byPointer = (refs: Reference[]) => new Map(refs.map((r) => [r.pointer, r]));

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

function JsonView(props: {
  value: unknown;
  pointer: string;
  refs: Map<string, Reference>;
  link: (category: string, id: string) => string;
  indent?: string;
}): ComponentChildren {
  const { value, pointer, refs } = props;
  const indent = props.indent ?? '';
  const inner = `${indent}  `;
  const ref = refs.get(pointer);
  if (ref && typeof value === 'string') {
    return (
      <>
        {JSON.stringify(value)}{' '}
        <Link href={props.link(ref.category, ref.id)} class="ref">
          → {ref.name ?? ref.id}
        </Link>
      </>
    );
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return (
      <>
        {'[\n'}
        {value.map((item, i) => (
          <>
            {inner}
            <JsonView value={item} pointer={`${pointer}/${i}`} refs={refs} link={props.link} indent={inner} />
            {i < value.length - 1 ? ',\n' : '\n'}
          </>
        ))}
        {indent}]
      </>
    );
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    return (
      <>
        {'{\n'}
        {entries.map(([key, item], i) => (
          <>
            {inner}
            <span class="key">{JSON.stringify(key)}</span>:{' '}
            <JsonView value={item} pointer={`${pointer}/${escapePointer(key)}`} refs={refs} link={props.link} indent={inner} />
            {i < entries.length - 1 ? ',\n' : '\n'}
          </>
        ))}
        {indent}
        {'}'}
      </>
    );
  }
  return JSON.stringify(value);
}

/** What a System Log event says, above its JSON: what happened, to what, by whom, when. */
function LogEvent(props: { event: unknown }) {
  const e = props.event as {
    eventType?: string;
    displayMessage?: string;
    published?: string;
    actor?: { displayName?: string; alternateId?: string };
    target?: { type?: string; displayName?: string; alternateId?: string }[];
  };
  return (
    <dl class="facts">
      <dt>Event</dt>
      <dd>
        {e.displayMessage ?? e.eventType} <code>{e.eventType}</code>
      </dd>
      <dt>When</dt>
      <dd>{e.published ? new Date(e.published).toLocaleString() : 'not recorded'}</dd>
      <dt>By</dt>
      <dd>{e.actor?.displayName ?? e.actor?.alternateId ?? 'not recorded'}</dd>
      <dt>Targets</dt>
      <dd>{(e.target ?? []).map((t) => `${t.type ?? ''} ${t.displayName ?? t.alternateId ?? ''}`.trim()).join(', ') || 'none'}</dd>
    </dl>
  );
}
