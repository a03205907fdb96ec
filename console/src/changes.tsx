// How the API's attribute-level changes (`{kind: added|removed|changed, path, value|before|after}`) and an
// object's versions read on a page.
import type { ObjectHistory } from './api/client';
import { plural } from './ui';

export interface Change {
  kind: 'added' | 'removed' | 'changed';
  path: string;
  value?: unknown;
  before?: unknown;
  after?: unknown;
}

export interface Run {
  first: string;
  last: string;
  count: number;
}

const short = (v: unknown) => {
  const text = JSON.stringify(v);
  return text === undefined ? 'nothing' : text.length > 120 ? `${text.slice(0, 117)}…` : text;
};

export function ChangeRows(props: { changes: Change[] }) {
  if (props.changes.length === 0) return null;
  return (
    <ul class="diff">
      {props.changes.map((c, i) => (
        <li key={i} class={`diff-${c.kind}`}>
          <code>{c.path || '(the object)'}</code>{' '}
          {c.kind === 'added' && (
            <>
              <span class="added">added</span> {short(c.value)}
            </>
          )}
          {c.kind === 'removed' && (
            <>
              <span class="removed">removed</span> {short(c.value)}
            </>
          )}
          {c.kind === 'changed' && (
            <>
              <del>{short(c.before)}</del> → <ins>{short(c.after)}</ins>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

/** An object's versions, oldest first, each with the snapshots that hold it and what changed from the one before. */
export function Versions(props: { history: ObjectHistory; snapshotLink: (snapshot: string) => string; Link: (p: { href: string; children: any }) => any }) {
  const { history, Link } = props;
  return (
    <ol class="versions">
      {history.versions.map((v, i) => {
        const runs = v.snapshots as unknown as Run[];
        const changes = v.changes as unknown as Change[];
        return (
          <li key={v.hash}>
            <p>
              <strong>Version {i + 1}</strong>
              {v.last_updated && <span class="muted"> · updated in Okta {new Date(v.last_updated).toLocaleString()}</span>}
              <br />
              in{' '}
              {runs.map((r, j) => (
                <span key={j}>
                  {j > 0 && ', '}
                  <Link href={props.snapshotLink(r.first)}>{r.first}</Link>
                  {r.count > 1 && (
                    <>
                      {' '}
                      … <Link href={props.snapshotLink(r.last)}>{r.last}</Link> ({plural(r.count, 'snapshot')})
                    </>
                  )}
                </span>
              ))}
            </p>
            {i > 0 && (changes.length > 0 ? <ChangeRows changes={changes} /> : <p class="muted">No attribute changed.</p>)}
          </li>
        );
      })}
    </ol>
  );
}
