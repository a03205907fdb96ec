// A snapshot's categories with their counts, then one category's objects a page at a time, with a filter over
// the page. Each object can be picked for a restore or a download, or opened.
import { useState } from 'preact/hooks';
import { enc, get, query, type CategoryTree, type ObjectPage } from '../api/client';
import { navigate } from '../router';
import { isPicked, toggle, useSelection } from '../selection';
import { ErrorNote, Link, Loading, Page, When, plural, useLoad } from '../ui';

const PAGE = 50;

export function Browse(props: { org: string; snapshot: string }) {
  const params = new URLSearchParams(location.search);
  const category = params.get('category');
  const tree = useLoad(
    () => get<CategoryTree>(`/v1/snapshots/${enc(props.snapshot)}${query({ org: props.org })}`),
    [props.org, props.snapshot],
  );
  const open = (name: string) =>
    navigate(`/orgs/${enc(props.org)}/snapshots/${enc(props.snapshot)}${query({ category: name })}`);
  const categories = tree.data?.categories.filter((c) => c.objects > 0 || c.skipped) ?? [];
  const title = tree.data ? (
    <>
      Snapshot of <When at={tree.data.created_at} />
    </>
  ) : null;
  return (
    <Page title={category ? `Browse ${category}` : 'Browse'}>
      <ErrorNote error={tree.error} />
      {tree.loading && !tree.data && <Loading what="the snapshot" />}
      {tree.data && (
        <>
          <p class="muted">
            {title} · <code>{tree.data.snapshot_id}</code> ·{' '}
            <Link href={`/orgs/${enc(props.org)}/timeline`}>other snapshots</Link>
          </p>
          <div class="browse">
            <nav aria-label="Categories" class="tree">
              <label for="category-pick" class="narrow-only">
                Category
              </label>
              <select
                id="category-pick"
                class="narrow-only"
                value={category ?? ''}
                onChange={(e) => open((e.target as HTMLSelectElement).value)}
              >
                <option value="">Choose a category</option>
                {categories.map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.title} ({c.objects})
                  </option>
                ))}
              </select>
              <ul class="wide-only">
                {categories.map((c) => (
                  <li key={c.name}>
                    <Link
                      href={`/orgs/${enc(props.org)}/snapshots/${enc(props.snapshot)}${query({ category: c.name })}`}
                      class={c.name === category ? 'current' : ''}
                    >
                      {c.title} <span class="count">{c.objects}</span>
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
            <div class="objects">
              {category ? (
                <Objects key={category} org={props.org} snapshot={tree.data.snapshot_id} category={category} />
              ) : (
                <p class="empty">Choose a category to see its objects.</p>
              )}
            </div>
          </div>
        </>
      )}
    </Page>
  );
}

function Objects(props: { org: string; snapshot: string; category: string }) {
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const after = pages[pages.length - 1];
  const [filter, setFilter] = useState('');
  useSelection();
  const page = useLoad(
    () =>
      get<ObjectPage>(
        `/v1/snapshots/${enc(props.snapshot)}/categories/${enc(props.category)}${query({ org: props.org, after, limit: PAGE })}`,
      ),
    [props.snapshot, props.category, after],
  );
  const wanted = filter.trim().toLowerCase();
  const shown = page.data?.objects.filter((o) => !wanted || o.name.toLowerCase().includes(wanted) || o.id.toLowerCase().includes(wanted)) ?? [];
  return (
    <section aria-labelledby="objects-title">
      <h2 id="objects-title">
        {props.category} {page.data && <span class="muted">({plural(page.data.total, 'object')})</span>}
      </h2>
      <label for="filter">Filter this page by name or id</label>
      <input id="filter" type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      <ErrorNote error={page.error} />
      {page.loading && !page.data && <Loading what="the objects" />}
      <table class="object-list">
        <thead>
          <tr>
            <th scope="col">Pick</th>
            <th scope="col">Name</th>
            <th scope="col" class="wide-only">
              Id
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((o) => (
            <tr key={o.id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Pick ${o.name} for a restore or download`}
                  checked={isPicked(props.org, props.snapshot, props.category, o.id)}
                  onChange={() => toggle(props.org, props.snapshot, { category: props.category, id: o.id, name: o.name })}
                />
              </td>
              <td>
                <Link href={`/orgs/${enc(props.org)}/snapshots/${enc(props.snapshot)}/${enc(props.category)}/${enc(o.id)}`}>
                  {o.name || o.id}
                </Link>
              </td>
              <td class="wide-only">
                <code>{o.id}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.data && shown.length === 0 && <p class="empty">No object on this page matches.</p>}
      <div class="actions">
        <button type="button" class="secondary" disabled={pages.length === 1} onClick={() => setPages(pages.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          class="secondary"
          disabled={!page.data?.next_after}
          onClick={() => page.data?.next_after && setPages([...pages, page.data.next_after])}
        >
          Next page
        </button>
      </div>
    </section>
  );
}
