// The picked objects, always at hand at the foot of the page, with the two things to do with them.
import { useState } from 'preact/hooks';
import { clearSelection, selectors, toggle, useSelection } from '../selection';
import { Dialog, plural } from '../ui';
import { RestoreForm } from './RestoreDialog';
import { DownloadForm } from './Downloads';

export function SelectionTray() {
  const selection = useSelection();
  const [open, setOpen] = useState<'restore' | 'download' | null>(null);
  if (!selection || selection.items.length === 0) return null;
  const what = selection.items.length === 1 ? selection.items[0].name || selection.items[0].id : plural(selection.items.length, 'object');
  return (
    <aside class="tray" aria-label="Picked objects">
      <details>
        <summary>
          {plural(selection.items.length, 'object')} picked from snapshot <code>{selection.snapshot}</code>
        </summary>
        <ul>
          {selection.items.map((i) => (
            <li key={i.category + i.id}>
              {i.category}: {i.name || i.id}{' '}
              <button type="button" class="quiet" aria-label={`Unpick ${i.name || i.id}`} onClick={() => toggle(selection.org, selection.snapshot, i)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      </details>
      <div class="actions">
        <button type="button" onClick={() => setOpen('restore')}>
          Restore…
        </button>
        <button type="button" class="secondary" onClick={() => setOpen('download')}>
          Download…
        </button>
        <button type="button" class="quiet" onClick={clearSelection}>
          Clear
        </button>
      </div>
      <Dialog title="Restore" open={open === 'restore'} onClose={() => setOpen(null)} wide>
        <RestoreForm ask={{ org: selection.org, snapshot: selection.snapshot, select: selectors(selection.items), what }} onClose={() => setOpen(null)} />
      </Dialog>
      <Dialog title="Download" open={open === 'download'} onClose={() => setOpen(null)}>
        <DownloadForm org={selection.org} snapshot={selection.snapshot} select={selectors(selection.items)} what={what} onClose={() => setOpen(null)} />
      </Dialog>
    </aside>
  );
}
