// What the person has picked to restore or download: objects of one snapshot of one org, from any categories,
// gathered while browsing or searching, and kept for the tab. A restore and a download each take one snapshot, so picking from
// another snapshot starts a new selection (the tray says so).
import { useEffect, useState } from 'preact/hooks';

export interface Picked {
  category: string;
  id: string;
  name: string;
}

export interface Selection {
  org: string;
  snapshot: string;
  items: Picked[];
}

// Kept for the tab, so a reload or an opened link does not lose what was picked.
const KEY = 'oktavault.selection';
let selection: Selection | null = (() => {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Selection | null;
  } catch {
    return null;
  }
})();
const listeners = new Set<() => void>();
const changed = () => {
  if (selection) sessionStorage.setItem(KEY, JSON.stringify(selection));
  else sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l());
};

export function useSelection(): Selection | null {
  const [, setTick] = useState(0);
  useEffect(() => {
    const update = () => setTick((t) => t + 1);
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return selection;
}

export function isPicked(org: string, snapshot: string, category: string, id: string): boolean {
  return (
    !!selection &&
    selection.org === org &&
    selection.snapshot === snapshot &&
    selection.items.some((i) => i.category === category && i.id === id)
  );
}

export function toggle(org: string, snapshot: string, item: Picked) {
  if (!selection || selection.org !== org || selection.snapshot !== snapshot) {
    selection = { org, snapshot, items: [] };
  }
  const at = selection.items.findIndex((i) => i.category === item.category && i.id === item.id);
  if (at >= 0) selection.items.splice(at, 1);
  else selection.items.push(item);
  selection = { ...selection };
  changed();
}

export function clearSelection() {
  selection = null;
  changed();
}

/** The API's `select` for the picked objects: `CATEGORY:ID`. */
export function selectors(items: Picked[]): string[] {
  return items.map((i) => `${i.category}:${i.id}`);
}
