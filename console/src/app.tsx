// The console's shell: the sign-in gate, the navigation, the selection tray, and the page the path names.
import { useEffect, useState } from 'preact/hooks';
import { session, whenSignedOut } from './api/client';
import { setCurrentOrg, useCurrentOrg } from './currentOrg';
import { match, useLocation } from './router';
import { Link } from './ui';
import { SignIn } from './pages/SignIn';
import { Orgs } from './pages/Orgs';
import { Timeline } from './pages/Timeline';
import { Browse } from './pages/Browse';
import { ObjectPage } from './pages/ObjectPage';
import { Search } from './pages/Search';
import { Jobs } from './pages/Jobs';
import { JobPage } from './pages/JobPage';
import { Downloads } from './pages/Downloads';
import { SelectionTray } from './pages/SelectionTray';

export function App() {
  const where = useLocation();
  const remembered = useCurrentOrg();
  const [signedIn, setSignedIn] = useState(() => !!session.token());
  useEffect(() => {
    whenSignedOut(() => {
      session.clear();
      setSignedIn(false);
    });
  }, []);

  if (where.path === '/sign-in' || !signedIn) {
    return <SignIn onSignedIn={() => setSignedIn(true)} />;
  }

  const orgParam = match('/orgs/:org', where.path.split('/').slice(0, 3).join('/'))?.org ?? null;
  useEffect(() => {
    if (orgParam) setCurrentOrg(orgParam);
  }, [orgParam]);
  const org = orgParam ?? remembered;

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          oktavault
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link href="/">Orgs</Link>
            </li>
            {org && (
              <>
                <li>
                  <Link href={`/orgs/${encodeURIComponent(org)}/timeline`}>Timeline</Link>
                </li>
                <li>
                  <Link href={`/orgs/${encodeURIComponent(org)}/snapshots/latest`}>Browse</Link>
                </li>
                <li>
                  <Link href={`/orgs/${encodeURIComponent(org)}/search`}>Search</Link>
                </li>
                <li>
                  <Link href={`/orgs/${encodeURIComponent(org)}/downloads`}>Downloads</Link>
                </li>
              </>
            )}
            <li>
              <Link href="/jobs">Jobs</Link>
            </li>
          </ul>
        </nav>
        {org && <span class="current-org" title="The org the pages are about">{org}</span>}
      </header>
      <main id="main">
        <Route path={where.path} />
      </main>
      <SelectionTray />
    </>
  );
}

function Route(props: { path: string }) {
  const path = props.path;
  let m: Record<string, string> | null;
  if (path === '/' || path === '/orgs') return <Orgs />;
  if ((m = match('/orgs/:org/timeline', path))) return <Timeline org={m.org} />;
  if ((m = match('/orgs/:org/snapshots/:snapshot', path))) return <Browse org={m.org} snapshot={m.snapshot} />;
  if ((m = match('/orgs/:org/snapshots/:snapshot/:category/:id', path)))
    return <ObjectPage org={m.org} snapshot={m.snapshot} category={m.category} id={m.id} />;
  if ((m = match('/orgs/:org/search', path))) return <Search org={m.org} />;
  if ((m = match('/orgs/:org/downloads', path))) return <Downloads org={m.org} />;
  if (path === '/jobs') return <Jobs />;
  if ((m = match('/jobs/:job', path))) return <JobPage job={m.job} />;
  return (
    <section class="page">
      <h1>Nothing here</h1>
      <p>
        The console has no page at {path}. <Link href="/">Go to the orgs</Link>.
      </p>
    </section>
  );
}
