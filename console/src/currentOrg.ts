// The org the org pages (timeline, browse, search, downloads) are about: the one in the address, or else the
// last one seen (a job's, the first card's), kept for the tab.
import { useEffect, useState } from 'preact/hooks';

const KEY = 'oktavault.org';
const listeners = new Set<() => void>();

export function currentOrg(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setCurrentOrg(org: string) {
  if (sessionStorage.getItem(KEY) === org) return;
  sessionStorage.setItem(KEY, org);
  listeners.forEach((l) => l());
}

/** Sets the current org when none is set yet. */
export function offerOrg(org: string) {
  if (!currentOrg()) setCurrentOrg(org);
}

export function useCurrentOrg(): string | null {
  const [org, setOrg] = useState(currentOrg);
  useEffect(() => {
    const update = () => setOrg(currentOrg());
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return org;
}
